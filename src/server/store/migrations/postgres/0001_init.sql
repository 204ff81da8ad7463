-- The PostgreSQL twin of migrations/sqlite/0001_init.sql: same tables, same columns.
-- Entity numbers are allocated under the global write lock (see Store::begin), so plain
-- BIGINT keys suffice; the logs use identity columns.
CREATE TABLE tokens (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE incidents (
    num         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    phase       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX incidents_phase ON incidents (phase, num);

CREATE TABLE status_updates (
    num         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    audience    TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX status_updates_incident ON status_updates (incident_id, num);

CREATE TABLE actions (
    num         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    status      TEXT NOT NULL,
    owner       TEXT NOT NULL,
    due_date    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX actions_incident ON actions (incident_id, num);
CREATE INDEX actions_status ON actions (status, due_date);

CREATE TABLE exceptions (
    num             BIGINT PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    incident_id     TEXT NOT NULL REFERENCES incidents (id),
    remediation_due TEXT NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX exceptions_incident ON exceptions (incident_id, num);

CREATE TABLE timeline (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    field       TEXT,
    old         TEXT,
    new         TEXT,
    reason      TEXT,
    note        TEXT
);
CREATE INDEX timeline_incident ON timeline (incident_id, seq);

CREATE TABLE events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    data        TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
    principal    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE FUNCTION timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the timeline is append-only';
END;
$$;
CREATE TRIGGER timeline_no_update BEFORE UPDATE OR DELETE ON timeline
    FOR EACH ROW EXECUTE FUNCTION timeline_append_only();
