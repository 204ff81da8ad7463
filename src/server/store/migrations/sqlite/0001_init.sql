-- Entities are stored as their JSON document (the API's shape) plus the columns that
-- queries filter or sort on. The timeline and the event log are append-only.
CREATE TABLE tokens (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE incidents (
    num         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    phase       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX incidents_phase ON incidents (phase, num);

CREATE TABLE status_updates (
    num         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    audience    TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX status_updates_incident ON status_updates (incident_id, num);

CREATE TABLE actions (
    num         INTEGER PRIMARY KEY,
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
    num             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    incident_id     TEXT NOT NULL REFERENCES incidents (id),
    remediation_due TEXT NOT NULL,
    data            TEXT NOT NULL
);
CREATE INDEX exceptions_incident ON exceptions (incident_id, num);

CREATE TABLE timeline (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
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

-- The durable event log: its seq is the SSE id, so a client resumes from any point the
-- log still keeps.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    data        TEXT NOT NULL
);

CREATE TABLE idempotency_keys (
    principal    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The timeline is evidence: the database itself refuses to change or delete it.
CREATE TRIGGER timeline_no_update BEFORE UPDATE ON timeline
BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;
CREATE TRIGGER timeline_no_delete BEFORE DELETE ON timeline
BEGIN SELECT RAISE(ABORT, 'the timeline is append-only'); END;
