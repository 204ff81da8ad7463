-- The PostgreSQL twin of migrations/sqlite/0006_incident_filters.sql.
ALTER TABLE incidents ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE incidents SET
    updated_at = to_char((data::json->>'updated_at')::timestamptz AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    search = lower(id || E'\n' || (data::json->>'title') || E'\n'
        || coalesce(data::json->>'commander', '') || E'\n'
        || (data::json->>'impact_scope'));
CREATE INDEX incidents_updated ON incidents (updated_at);
CREATE INDEX incidents_phase_updated ON incidents (phase, updated_at);
