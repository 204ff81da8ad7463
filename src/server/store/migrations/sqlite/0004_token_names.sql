-- A token's name is unique among live tokens only: once a token is revoked its name can be
-- given to a new token (the revoked row stays, for `token list` and the record). SQLite
-- cannot drop a primary key in place, so the table is rebuilt.
CREATE TABLE tokens_new (
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
INSERT INTO tokens_new (name, role, token_hash, created_at, revoked_at)
    SELECT name, role, token_hash, created_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;
