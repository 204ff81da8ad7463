-- Facts about the database itself. `event_base`: the first event id of the event log's
-- current epoch; a client resuming from an id below it gets `reset` (the log was restored
-- or recreated, so its ids name other events). `restore_pending`: set in backups, so the
-- server that opens one as its database starts a new epoch.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('event_base', '1');
