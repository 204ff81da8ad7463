-- A token may carry an expiry (RFC 3339 UTC, compared as text like every stored time):
-- from then on it authenticates nothing and its open event streams end.
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
