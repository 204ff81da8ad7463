//! Durable storage for the incident API. Every write runs in one transaction that holds the
//! change, its timeline entries and its event-log rows, so they commit or vanish together.
//!
//! SQLite is opened with one writer connection (writes are serialized, so commit order is
//! event-log order) and a small pool of readers (WAL lets them read while a write runs).

mod children;
pub use children::ActionQuery;
pub use incidents::IncidentQuery;
mod incidents;
mod log;
mod seed;
mod tokens;

pub use seed::SeedOp;

pub use log::EventRecord;
pub use tokens::{Principal, TokenInfo, hash_token};

use crate::domain::{Cadence, DomainError};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

type Tx = Transaction<'static, Sqlite>;

/// Why a store operation did not happen. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    /// The caller's If-Match version is not the current one; `current` is the current state.
    #[error("the {what} was changed by someone else (now at version {version})")]
    Stale {
        what: &'static str,
        version: i64,
        current: serde_json::Value,
    },
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    #[error("{0}")]
    Refused(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored data could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// The result of an idempotent create: a new entity, or the stored answer to an earlier
/// request with the same key.
#[derive(Debug)]
pub enum Created<T> {
    New(T),
    Replayed { status: u16, body: String },
}

/// A client-chosen key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

#[derive(Clone)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
    cadence: Cadence,
    /// Woken after every commit that appended events, so the event pump reads them.
    committed: Arc<Notify>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("migrations/sqlite/0001_init.sql"))];

/// The current time at millisecond precision, the precision the API reports.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// Fixed-width RFC 3339, so stored times sort as text.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (creating if needed) and migrates the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Refused(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a write answered 2xx is on disk, even through kill -9 or power loss.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.read_only(true))
            .await?;
        let store = Store {
            writer,
            reader,
            cadence: Cadence::default(),
            committed: Arc::new(Notify::new()),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Uses a different update cadence for new incidents and updates.
    pub fn with_cadence(mut self, cadence: Cadence) -> Self {
        self.cadence = cadence;
        self
    }

    pub fn cadence(&self) -> &Cadence {
        &self.cadence
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .execute(&mut *conn)
        .await?;
        drop(conn);
        for (version, sql) in MIGRATIONS {
            let mut tx = self.writer.begin().await?;
            let applied: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if applied.is_none() {
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                    .bind(version)
                    .bind(ts(now()))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// A handle that is notified after every commit that appended events.
    pub fn commit_signal(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    /// Starts a write transaction (writes are serialized on the one writer connection).
    async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.writer.begin().await?)
    }

    /// With an idempotency key seen before: the stored answer when the request is the same,
    /// a refusal when it differs. None when the key is new (or absent).
    async fn replayed<T>(
        tx: &mut Tx,
        actor: &str,
        idem: Option<&Idempotency>,
    ) -> Result<Option<Created<T>>, StoreError> {
        let Some(k) = idem else { return Ok(None) };
        let seen: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE principal = $1 AND key = $2",
        )
        .bind(actor)
        .bind(&k.key)
        .fetch_optional(&mut **tx)
        .await?;
        match seen {
            None => Ok(None),
            Some((hash, _, _)) if hash != k.request_hash => Err(StoreError::KeyReused),
            Some((_, status, body)) => Ok(Some(Created::Replayed {
                status: u16::try_from(status).unwrap_or(201),
                body,
            })),
        }
    }

    /// Stores the idempotency key with the answer (in the same transaction as the change),
    /// commits, and wakes the event pump.
    async fn finish<T: Serialize>(
        &self,
        mut tx: Tx,
        actor: &str,
        idem: Option<&Idempotency>,
        value: T,
    ) -> Result<Created<T>, StoreError> {
        if let Some(k) = idem {
            sqlx::query(
                "INSERT INTO idempotency_keys (principal, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, 201, $4, $5)",
            )
            .bind(actor)
            .bind(&k.key)
            .bind(&k.request_hash)
            .bind(serde_json::to_string(&value)?)
            .bind(ts(now()))
            .execute(&mut *tx)
            .await?;
        }
        self.commit(tx).await?;
        Ok(Created::New(value))
    }

    async fn commit(&self, tx: Tx) -> Result<(), StoreError> {
        tx.commit().await?;
        self.committed.notify_one();
        Ok(())
    }

    /// Drops idempotency keys older than `keys_older_than` and events older than
    /// `events_older_than` (always keeping the newest event, so resumption can tell a
    /// pruned log from an empty one).
    pub async fn prune(
        &self,
        keys_older_than: DateTime<Utc>,
        events_older_than: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(ts(keys_older_than))
            .execute(&self.writer)
            .await?;
        sqlx::query("DELETE FROM events WHERE at < $1 AND seq < (SELECT MAX(seq) FROM events)")
            .bind(ts(events_older_than))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Closes the pools, flushing the WAL.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// Allocates the next number for an entity table. Safe because writes are serialized.
async fn next_num(tx: &mut Tx, table: &str) -> Result<i64, StoreError> {
    let sql = format!("SELECT COALESCE(MAX(num), 0) + 1 FROM {table}");
    Ok(sqlx::query_scalar(&sql).fetch_one(&mut **tx).await?)
}
