//! Bearer tokens. Only a SHA-256 hash of each token is stored: tokens are 256 random bits,
//! so a fast hash is enough and lookups stay cheap on every request. A token may expire:
//! from its expiry on it authenticates nothing, and the event gate's sweep ends its open
//! streams within a second, as for a revoked one.
use super::{Store, StoreError, audit, now, ts};
use crate::domain::Role;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What `token list` shows: never the token itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub expires_at: Option<String>,
}

impl TokenInfo {
    /// "active", "active until …", "expired …" or "revoked …", for `token list`.
    pub fn state(&self, at: DateTime<Utc>) -> String {
        match (&self.revoked_at, &self.expires_at) {
            (Some(r), _) => format!("revoked {r}"),
            (None, Some(e)) if e.as_str() <= ts(at).as_str() => format!("expired {e}"),
            (None, Some(e)) => format!("active until {e}"),
            (None, None) => "active".into(),
        }
    }
}

/// A token's owner as the API sees it: the name goes on the timeline as the actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The stored hash of the token it presented, so a long-lived request (the event
    /// stream) can check later that the token is still live.
    pub token_hash: String,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Creates a token and returns it in plain text: the only time it is ever visible.
    pub async fn create_token(&self, name: &str, role: Role) -> Result<String, StoreError> {
        self.create_token_until(name, role, None).await
    }

    /// Creates a token that stops working at `expires_at` (None: never), recorded in the
    /// audit trail as made by this machine's user.
    pub async fn create_token_until(
        &self,
        name: &str,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<String, StoreError> {
        self.create_token_by(&local_actor(), name, role, expires_at)
            .await
    }

    /// Creates a token on behalf of `actor`; the token and its audit record commit
    /// together.
    pub async fn create_token_by(
        &self,
        actor: &str,
        name: &str,
        role: Role,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<String, StoreError> {
        let name = name.trim();
        if expires_at.is_some_and(|e| e <= now()) {
            return Err(StoreError::Refused(
                "a token's expiry must be in the future".into(),
            ));
        }
        // The name is the actor on every timeline entry, audit record and list: it must
        // read the same everywhere, so nothing the terminal sanitizer would change or mark
        // (controls, bidi overrides, zero-width characters) may be in it.
        if name.is_empty() || name.len() > 100 || crate::sanitize::clean_line(name) != name {
            return Err(StoreError::Refused(
                "a token name must be 1-100 printable characters, without direction overrides or invisible characters".into(),
            ));
        }
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let token = format!("sitrep_{}", hex::encode(secret));
        // Names are unique among live tokens (a partial unique index): a revoked token's
        // name is free again.
        let mut tx = self.begin().await?;
        let res = sqlx::query(
            "INSERT INTO tokens (name, role, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(hash_token(&token))
        .bind(ts(now()))
        .bind(expires_at.map(ts))
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Refused(format!(
                "a live token named {name:?} already exists: revoke it first (`sitrep token revoke {name}`), or choose another name"
            )));
        }
        let detail = match expires_at {
            Some(e) => format!("role={role} expires={}", ts(e)),
            None => format!("role={role}"),
        };
        audit::record_in(&mut tx, actor, "token.create", name, &detail).await?;
        self.commit(tx).await?;
        Ok(token)
    }

    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        type Row = (String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT name, role, created_at, revoked_at, expires_at FROM tokens ORDER BY created_at, name, revoked_at",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(name, role, created_at, revoked_at, expires_at)| {
                Ok(TokenInfo {
                    role: role.parse().map_err(StoreError::Refused)?,
                    name,
                    created_at,
                    revoked_at,
                    expires_at,
                })
            })
            .collect()
    }

    /// Revokes a token by name, recorded as done by this machine's user; returns whether a
    /// live token was revoked.
    pub async fn revoke_token(&self, name: &str) -> Result<bool, StoreError> {
        self.revoke_token_by(&local_actor(), name).await
    }

    /// Revokes a token on behalf of `actor`; the revocation and its audit record commit
    /// together (nothing is recorded when there was no live token of that name).
    pub async fn revoke_token_by(&self, actor: &str, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let res =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                .bind(ts(now()))
                .bind(name)
                .execute(&mut *tx)
                .await?;
        if res.rows_affected() == 0 {
            return Ok(false);
        }
        audit::record_in(&mut tx, actor, "token.revoke", name, "").await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// The live token's owner, or None for an unknown, revoked or expired token.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        let token_hash = hash_token(token);
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT name, role FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(&token_hash)
        .bind(ts(now()))
        .fetch_optional(&self.reader)
        .await?;
        row.map(|(name, role)| {
            Ok(Principal {
                name,
                role: role.parse().map_err(StoreError::Refused)?,
                token_hash,
            })
        })
        .transpose()
    }

    /// Which of these token hashes still belong to a live (unrevoked, unexpired) token: one
    /// indexed query per hundred hashes, however many streams hold them.
    pub async fn live_token_hashes(
        &self,
        hashes: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut live = std::collections::HashSet::new();
        for chunk in hashes.chunks(100) {
            let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT token_hash FROM tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1) AND token_hash IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, String>(&sql).bind(ts(now()));
            for h in chunk {
                q = q.bind(h);
            }
            live.extend(q.fetch_all(&self.reader).await?);
        }
        Ok(live)
    }
}

/// The actor for changes made on this machine rather than through the API: `local:` and
/// the login name (from the environment; the uid when it has none).
pub fn local_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        // SAFETY: getuid has no preconditions.
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }));
    format!("local:{user}")
}
