-- What the live lists filter on, as columns with indexes, so a console's start-up (open
-- incidents, recently closed ones) and a reconnect's delta (changed since) cost what is
-- live, not the whole history. `updated_at` is RFC 3339 UTC with milliseconds, compared as
-- text like every stored time; `search` is the lowercased text that `q=` matches (id,
-- title, commander, impact scope, one per line).
ALTER TABLE incidents ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE incidents SET
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.updated_at')),
    search = lower(id || char(10) || json_extract(data, '$.title') || char(10)
        || coalesce(json_extract(data, '$.commander'), '') || char(10)
        || json_extract(data, '$.impact_scope'));
CREATE INDEX incidents_updated ON incidents (updated_at);
CREATE INDEX incidents_phase_updated ON incidents (phase, updated_at);
