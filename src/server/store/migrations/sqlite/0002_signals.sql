-- Notifications from monitoring, kept with their alerts (names, labels, annotations).
-- A group key maps to the open incident it opened; repeats that change nothing are not kept.
CREATE TABLE signals (
    num         INTEGER PRIMARY KEY,
    group_key   TEXT NOT NULL,
    incident_id TEXT REFERENCES incidents (id),
    status      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX signals_group ON signals (group_key, num);
CREATE INDEX signals_incident ON signals (incident_id, num);
