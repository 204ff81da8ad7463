-- A token's name is unique among live tokens only: once a token is revoked its name can be
-- given to a new token (the revoked row stays, for `token list` and the record).
ALTER TABLE tokens DROP CONSTRAINT tokens_pkey;
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;
