-- Outbound webhook subscriptions. Each keeps its own durable cursor (the last event-log
-- seq it has delivered or skipped), so deliveries survive a restart and stay in order.
-- The secret is kept to sign with; no endpoint ever returns it.
CREATE TABLE webhooks (
    num             BIGINT PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,
    format          TEXT NOT NULL,
    secret          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    cursor          BIGINT NOT NULL,
    state           TEXT NOT NULL,
    failing_since   TEXT,
    last_error      TEXT,
    last_success_at TEXT
);

-- Recent delivery attempts per subscription (a bounded tail, for `sitrep webhook deliveries`).
CREATE TABLE webhook_deliveries (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  TEXT NOT NULL,
    event_seq   BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    attempt     BIGINT NOT NULL,
    at          TEXT NOT NULL,
    status      BIGINT,
    error       TEXT,
    ms          BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, seq);

-- Overdue customer updates already announced to a chat subscription (once per due time).
CREATE TABLE webhook_overdue_sent (
    webhook_id  TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    PRIMARY KEY (webhook_id, incident_id, due_at)
);
