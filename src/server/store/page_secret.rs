//! The status page's key secret: 32 random bytes made once per database and kept in `meta`,
//! so every server on the database (restarts, PostgreSQL replicas) derives the same public
//! keys for incidents and updates, and nobody without the database can.
use super::{Store, StoreError};

const KEY: &str = "status_page_secret";

impl Store {
    /// The secret, created on first use. The first writer wins (`DO NOTHING`), and every
    /// server then reads the same row.
    pub async fn status_page_secret(&self) -> Result<[u8; 32], StoreError> {
        let fresh: [u8; 32] = rand::random();
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(KEY)
            .bind(hex::encode(fresh))
            .execute(&self.writer)
            .await?;
        let stored: String = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(KEY)
            .fetch_one(&self.writer)
            .await?;
        hex::decode(stored.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| StoreError::Unreadable {
                what: "meta",
                id: KEY.into(),
                reason: "not 32 hex-encoded bytes".into(),
            })
    }
}
