//! Durable storage for the incident API. Every write runs in one transaction that holds the
//! change, its timeline entries and its event-log rows, so they commit or vanish together.
//!
//! Two backends share one SQL dialect (`$N` parameters, text timestamps, BIGINT) through
//! sqlx's `Any` driver. Writes are serialized, so commit order is event-log order: SQLite has
//! one writer connection (and readers that WAL lets read during a write); PostgreSQL takes a
//! transaction-scoped advisory lock, which also serializes writes from several replicas, and
//! announces each commit with NOTIFY so every replica's event pump wakes.

pub mod acting;
pub mod audit;
mod backend;
mod children;
mod epoch;
pub mod fault;
pub mod files;
mod gauges;
pub mod lock;
mod page_secret;
pub mod restore;
mod rows;
mod runs;
mod startup;
mod tx;
pub use children::{ActionKey, ActionQuery};
pub use fault::Unavailable;
pub use gauges::StoreGauges;
pub use incidents::IncidentQuery;
pub use rows::{Listed, Slice, UnreadableRow};
mod incidents;
mod log;
mod seed;
mod signals;
mod tokens;
mod webhooks;
pub use webhooks::{LoggedEvent, WebhookSpec, WebhookTarget};

pub use seed::SeedOp;
pub use signals::{IngestOutcome, SignalRecord};

pub use log::EventRecord;
pub use tokens::{Principal, TokenInfo, hash_token};

use crate::domain::{Cadence, DomainError};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::Serialize;
use sqlx::AnyPool;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

type Tx = tx::WriteTx;

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
    /// The database cannot store anything right now (full disk, read-only, locked, down):
    /// temporary, so the API answers 503 with Retry-After.
    #[error("the change was not stored: {}", .0.reason())]
    Unavailable(Unavailable),
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("stored data could not be read: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// One stored record this server cannot read (damaged, or edited by hand), named: lists
    /// leave it out and name it; asked for alone, it is refused with what to do.
    #[error(
        "{what} {id} is stored in a form this server cannot read ({reason}); lists leave it out. Restore it from a backup, or correct its row"
    )]
    Unreadable {
        what: &'static str,
        id: String,
        reason: String,
    },
}

impl StoreError {
    /// A parse failure of the stored record `what` `id`, named.
    pub(super) fn of_record(self, what: &'static str, id: &str) -> StoreError {
        match self {
            StoreError::Corrupt(e) => StoreError::Unreadable {
                what,
                id: id.to_string(),
                reason: e.to_string(),
            },
            other => other,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    /// Every driver error passes here, so an outage is recognised on any path, read or write.
    fn from(e: sqlx::Error) -> Self {
        match Unavailable::classify(&e) {
            Some(why) => StoreError::Unavailable(why),
            None => StoreError::Db(e),
        }
    }
}

/// The result of an idempotent write: the entity as this request left it, or the stored
/// answer to an earlier request with the same key.
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

/// Where the data lives: a SQLite file, or a PostgreSQL database shared by replicas.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    /// A `postgres://` or `postgresql://` URL, or else a SQLite file path.
    pub fn parse(s: &str) -> Database {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Database::Postgres(s.to_string())
        } else {
            Database::Sqlite(PathBuf::from(s.strip_prefix("sqlite://").unwrap_or(s)))
        }
    }

    /// For logs and errors: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(p) => p.display().to_string(),
            Database::Postgres(url) => redact_url(url),
        }
    }
}

/// A PostgreSQL URL's password never reaches a log or an error message.
impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({})", self.describe())
    }
}

fn redact_url(url: &str) -> String {
    // scheme://user:password@host/db → scheme://user:***@host/db
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Lock id for PostgreSQL's global write lock (pg_advisory_xact_lock).
const WRITE_LOCK: i64 = 0x5173_7265;
/// The NOTIFY channel that wakes every replica's event pump.
pub const EVENTS_CHANNEL: &str = "sitrep_events";

#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Set for PostgreSQL: the listener connects to it to hear other replicas' commits.
    pg_url: Option<Arc<str>>,
    writer: AnyPool,
    reader: AnyPool,
    cadence: Cadence,
    /// Woken after every commit that appended events, so the event pump reads them.
    committed: Arc<Notify>,
    /// The latest write failure that means "cannot store now", for `/health`.
    health: Arc<fault::WriteHealth>,
    /// This process's run, once recorded (see `runs`).
    run: Arc<std::sync::OnceLock<Arc<str>>>,
    /// Told of each milestone a committed write reached (the server's metrics).
    milestones: Option<MilestoneSink>,
}

/// Receives the milestones (acknowledged, first customer update, recovered) that writes
/// of this process reach, after they commit.
pub type MilestoneSink = Arc<dyn Fn(crate::domain::milestone::Reached) + Send + Sync>;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/sqlite/0001_init.sql")),
    (2, include_str!("migrations/sqlite/0002_signals.sql")),
    (3, include_str!("migrations/sqlite/0003_meta.sql")),
    (4, include_str!("migrations/sqlite/0004_token_names.sql")),
    (5, include_str!("migrations/sqlite/0005_token_expiry.sql")),
    (
        6,
        include_str!("migrations/sqlite/0006_incident_filters.sql"),
    ),
    (7, include_str!("migrations/sqlite/0007_webhooks.sql")),
    (8, include_str!("migrations/sqlite/0008_admin_audit.sql")),
];
const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/postgres/0001_init.sql")),
    (2, include_str!("migrations/postgres/0002_signals.sql")),
    (3, include_str!("migrations/postgres/0003_meta.sql")),
    (4, include_str!("migrations/postgres/0004_token_names.sql")),
    (5, include_str!("migrations/postgres/0005_token_expiry.sql")),
    (
        6,
        include_str!("migrations/postgres/0006_incident_filters.sql"),
    ),
    (7, include_str!("migrations/postgres/0007_webhooks.sql")),
    (8, include_str!("migrations/postgres/0008_admin_audit.sql")),
];

/// The newest schema version this binary knows.
fn latest(migrations: &[(i64, &str)]) -> i64 {
    migrations.iter().map(|(v, _)| *v).max().unwrap_or(0)
}

/// A SQLite file as a URL the `Any` driver understands (the path percent-encoded).
fn sqlite_url(path: &Path, mode: &str) -> Result<String, StoreError> {
    let abs = std::path::absolute(path)
        .map_err(|e| StoreError::Refused(format!("bad database path {}: {e}", path.display())))?;
    let mut url = String::from("sqlite://");
    for b in abs.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url.push_str("?mode=");
    url.push_str(mode);
    Ok(url)
}

/// The current time at millisecond precision, the precision the API reports.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// Fixed-width RFC 3339, so stored times sort as text.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub async fn open(db: &Database) -> Result<Store, StoreError> {
        match db {
            Database::Sqlite(path) => Self::open_sqlite(path).await,
            Database::Postgres(url) => Self::open_postgres(url).await,
        }
    }

    /// Opens (creating if needed) and migrates the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        files::create_private(path)?;
        // One connection, no pool: a file that is not a database, is damaged or comes from
        // a newer sitrep is refused here in milliseconds, instead of the pool retrying a
        // failing connection setup until its timeout.
        startup::check_sqlite(&sqlite_url(path, "rw")?, path, latest(SQLITE_MIGRATIONS)).await?;
        let writer = AnyPoolOptions::new()
            .max_connections(1)
            // Below the client's 15 s request timeout: a refusal it can act on beats a hang.
            .acquire_timeout(Duration::from_secs(10))
            .after_release(tx::clean_on_release(Backend::Sqlite))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL lets readers work during a write; FULL makes a commit durable
                    // before the 2xx, through kill -9 or power loss. The busy timeout bounds
                    // the wait for another process's lock well inside a client's patience.
                    // The WAL is checkpointed every 1 MiB and cut back to 1 MiB after: left
                    // to SQLite's default 4 MiB it ate the room that came back after a full
                    // disk, filled the disk again and could then never be checkpointed.
                    conn.execute(
                        "PRAGMA busy_timeout = 3000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 256; PRAGMA journal_size_limit = 1048576;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&sqlite_url(path, "rwc")?)
            .await?;
        let reader = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 3000; PRAGMA query_only = ON;")
                        .await?;
                    Ok(())
                })
            })
            .connect(&sqlite_url(path, "ro")?)
            .await?;
        let store = Store {
            backend: Backend::Sqlite,
            pg_url: None,
            writer,
            reader,
            cadence: Cadence::default(),
            committed: Arc::new(Notify::new()),
            health: Arc::default(),
            run: Arc::default(),
            milestones: None,
        };
        store.migrate(SQLITE_MIGRATIONS).await?;
        store.start_epoch_if_restored().await?;
        Ok(store)
    }

    /// Connects to and migrates a PostgreSQL database. Several servers may share it.
    pub async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        // A short acquire timeout: an unreachable database is reported in seconds, and a
        // saturated pool answers 503 (with Retry-After) rather than hanging the client.
        // Writers and readers have pools of their own, so writes waiting for the write lock
        // cannot take every connection from reads. A write waits at most 3 s for a lock (a
        // session of another program, a replica stopped mid-transaction) and then answers
        // 503 busy; a transaction left idle (its process frozen) is ended by the server after
        // 5 s, so its write lock cannot stall every replica.
        let options = || {
            AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("SET lock_timeout = '3s'").await?;
                        conn.execute("SET idle_in_transaction_session_timeout = '5s'")
                            .await?;
                        Ok(())
                    })
                })
        };
        let writer = options()
            .after_release(tx::clean_on_release(Backend::Postgres))
            .connect(url)
            .await
            .map_err(|e| unreachable_postgres(url, e))?;
        let reader = options().connect(url).await?;
        let store = Store {
            backend: Backend::Postgres,
            pg_url: Some(url.into()),
            writer,
            reader,
            cadence: Cadence::default(),
            committed: Arc::new(Notify::new()),
            health: Arc::default(),
            run: Arc::default(),
            milestones: None,
        };
        store.migrate(POSTGRES_MIGRATIONS).await?;
        store.start_epoch_if_restored().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL URL, for the listener that hears other replicas' commits.
    pub fn postgres_url(&self) -> Option<&str> {
        self.pg_url.as_deref()
    }

    /// Uses a different update cadence for new incidents and updates.
    pub fn with_cadence(mut self, cadence: Cadence) -> Self {
        self.cadence = cadence;
        self
    }

    /// Reports the milestones this store's writes reach to `sink`.
    pub fn with_milestones(mut self, sink: MilestoneSink) -> Self {
        self.milestones = Some(sink);
        self
    }

    pub fn cadence(&self) -> &Cadence {
        &self.cadence
    }

    async fn migrate(&self, migrations: &[(i64, &str)]) -> Result<(), StoreError> {
        // Nothing to do is found by reading, so a database that is read-only (or locked by
        // another process) still opens, and its writes are refused one by one with 503.
        let known = latest(migrations);
        let applied = self.applied_versions().await?;
        if let Some(v) = applied
            .as_ref()
            .and_then(|a| a.iter().max().copied())
            .filter(|v| *v > known)
        {
            return Err(StoreError::Refused(startup::newer_schema(v, known)));
        }
        // By version, not by the newest: a database that got a later migration before an
        // earlier one existed (parallel branches) still gets the earlier one.
        if let Some(a) = &applied
            && migrations.iter().all(|(v, _)| a.contains(v))
        {
            return Ok(());
        }
        if applied.is_none() && self.backend == Backend::Postgres {
            let tables: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            )
            .fetch_one(&self.writer)
            .await?;
            if tables > 0 {
                return Err(StoreError::Refused(format!(
                    "this PostgreSQL database has {tables} tables but not sitrep's: give sitrep a database (or schema) of its own; nothing was changed"
                )));
            }
        }
        // Replicas starting together: the write lock makes one migrate while others wait
        // (longer than a request's lock wait: a migration can take a while).
        let mut tx = self.begin_patiently().await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        self.commit(tx).await?;
        // In version order whatever order the list is written in.
        let mut ordered = migrations.to_vec();
        ordered.sort_by_key(|(v, _)| *v);
        for (version, sql) in &ordered {
            let mut tx = self.begin_patiently().await?;
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
            self.commit(tx).await?;
        }
        Ok(())
    }

    /// A write transaction for start-up work, waiting up to two minutes for the write lock.
    async fn begin_patiently(&self) -> Result<Tx, StoreError> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match self.begin().await {
                Err(StoreError::Unavailable(Unavailable::Locked)) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => return other,
            }
        }
    }

    /// The schema versions applied, None for a database without the table yet.
    async fn applied_versions(&self) -> Result<Option<Vec<i64>>, StoreError> {
        let table = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
            }
        };
        let exists: i64 = sqlx::query_scalar(table).fetch_one(&self.writer).await?;
        if exists == 0 {
            return Ok(None);
        }
        Ok(Some(
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(&self.writer)
                .await?,
        ))
    }

    /// A handle that is notified after every commit that appended events.
    pub fn commit_signal(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    /// SQLite's query plan for `sql` with its text and then integer arguments, one line
    /// per step (`SCAN t` walks a table; `SEARCH t USING INDEX i` does not).
    #[cfg(test)]
    pub(crate) async fn query_plan(&self, sql: &str, args: &[String], ints: &[i64]) -> Vec<String> {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
        for a in args {
            q = q.bind(a);
        }
        for i in ints {
            q = q.bind(i);
        }
        let rows = q.fetch_all(&self.reader).await.expect("a query plan");
        rows.into_iter().map(|r| r.3).collect()
    }

    /// Starts a write transaction. Writes are serialized: on SQLite by the one writer
    /// connection, on PostgreSQL by a lock held until commit, across all replicas.
    async fn begin(&self) -> Result<Tx, StoreError> {
        let mut tx = match Tx::begin(&self.writer, self.backend).await {
            Ok(tx) => tx,
            Err(e) => return Err(self.failed(e).await),
        };
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        // Under the write lock, so a revocation committed before this write is seen here.
        if let Some(token_hash) = acting::current() {
            let live: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
            )
            .bind(&token_hash)
            .bind(ts(now()))
            .fetch_optional(&mut *tx)
            .await?;
            if live.is_none() {
                return Err(DomainError::unauthorized(
                    "Authorization",
                    "this token was revoked or expired while the request was being sent; nothing was changed",
                )
                .into());
            }
        }
        Ok(tx)
    }

    /// Remembers a write that could not be stored, for `/health`. On a full disk, SQLite's
    /// WAL is checkpointed and truncated: it holds many copies of the same pages, and until
    /// it reaches its checkpoint size (4 MB) it only grows, so on a nearly full disk the
    /// space it gives back can be what lets the next write through.
    async fn failed(&self, e: StoreError) -> StoreError {
        if let StoreError::Unavailable(why) = &e {
            self.health.failed(*why);
            if *why == Unavailable::DiskFull && self.backend == Backend::Sqlite {
                let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&self.writer)
                    .await;
            }
        }
        e
    }

    /// Whether a write can be stored now: a small write committed and its outcome, or the
    /// reason of a real write that failed moments ago with none succeeding since.
    pub async fn write_status(&self) -> Result<(), StoreError> {
        let mut last = self.health.probe.lock().await;
        let probed = match *last {
            Some((at, outcome)) if at.elapsed() < fault::PROBE_EVERY => {
                outcome.map_err(StoreError::Unavailable)
            }
            _ => {
                let outcome = match self.probe().await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(self.failed(e).await),
                };
                *last = match &outcome {
                    Ok(()) => Some((Instant::now(), Ok(()))),
                    Err(StoreError::Unavailable(why)) => Some((Instant::now(), Err(*why))),
                    Err(_) => None,
                };
                outcome
            }
        };
        drop(last);
        match probed {
            Ok(()) => match self.health.recent_failure() {
                Some(why) => {
                    // Room again after a full disk: fold the WAL in now, before new writes
                    // can fill the space it would otherwise keep.
                    if why == Unavailable::DiskFull && self.backend == Backend::Sqlite {
                        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                            .execute(&self.writer)
                            .await;
                    }
                    Err(StoreError::Unavailable(why))
                }
                None => Ok(()),
            },
            Err(e) => Err(e),
        }
    }

    /// How many write probes `/health` has run: at most about one a second however many
    /// ask.
    pub fn write_probes(&self) -> u64 {
        self.health
            .probes
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A small write committed.
    async fn probe(&self) -> Result<(), StoreError> {
        self.health
            .probes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('write_probe', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(ts(now()))
        .execute(&mut *tx)
        .await?;
        // Not `Store::commit`: a probe that fits where a real write did not must not clear
        // that write's failure (`write_status` weighs the two).
        tx.commit().await?;
        Ok(())
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

    /// Stores the idempotency key with a 201 answer (in the same transaction as the
    /// change), commits, and wakes the event pump.
    async fn finish<T: Serialize>(
        &self,
        tx: Tx,
        actor: &str,
        idem: Option<&Idempotency>,
        value: T,
    ) -> Result<Created<T>, StoreError> {
        self.finish_with(tx, actor, idem, 201, value).await
    }

    /// [`Store::finish`] for a write whose answer has another status (200 for a PATCH).
    async fn finish_with<T: Serialize>(
        &self,
        mut tx: Tx,
        actor: &str,
        idem: Option<&Idempotency>,
        status: u16,
        value: T,
    ) -> Result<Created<T>, StoreError> {
        if let Some(k) = idem {
            sqlx::query(
                "INSERT INTO idempotency_keys (principal, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(actor)
            .bind(&k.key)
            .bind(&k.request_hash)
            .bind(i64::from(status))
            .bind(serde_json::to_string(&value)?)
            .bind(ts(now()))
            .execute(&mut *tx)
            .await?;
        }
        self.commit(tx).await?;
        Ok(Created::New(value))
    }

    /// Commits a write transaction: every write but the health probe commits here, so a
    /// failure is remembered for `/health` (and a full SQLite disk gets its WAL back) and a
    /// success tells `/health` that writes get through again, whatever the write was. A
    /// write that appended events also wakes the event pumps (every replica's, on
    /// PostgreSQL) and reports the milestones it reached.
    async fn commit(&self, mut tx: Tx) -> Result<(), StoreError> {
        let emitted = tx.emitted;
        if emitted && self.backend == Backend::Postgres {
            // Delivered at commit, to every replica listening (this one included).
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(EVENTS_CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        let reached = std::mem::take(&mut tx.reached);
        if let Err(e) = tx.commit().await {
            return Err(self.failed(e).await);
        }
        self.health.succeeded();
        if emitted {
            self.committed.notify_one();
        }
        if let Some(sink) = &self.milestones {
            reached.into_iter().for_each(|r| sink(r));
        }
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

    /// An online, consistent copy of a SQLite database (`VACUUM INTO`), safe while the
    /// server runs, readable by its owner only. The copy is marked, so whichever server
    /// opens it as its database later starts a new event-log epoch (see `epoch`).
    /// PostgreSQL has its own tools.
    pub async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            return Err(StoreError::Refused(
                "for PostgreSQL use pg_dump (see the README's Operations section)".into(),
            ));
        }
        if to.exists() {
            return Err(StoreError::Refused(format!(
                "{} already exists",
                to.display()
            )));
        }
        let target = std::path::absolute(to)
            .map_err(|e| StoreError::Refused(format!("bad path {}: {e}", to.display())))?;
        // VACUUM INTO fills an empty file in place, keeping the mode it was created with.
        files::create_private(&target)?;
        let copied = async {
            sqlx::query("VACUUM INTO $1")
                .bind(target.to_string_lossy().into_owned())
                .execute(&self.writer)
                .await?;
            epoch::mark_restored(&sqlite_url(&target, "rw")?).await
        };
        if let Err(e) = copied.await {
            let _ = std::fs::remove_file(&target);
            return Err(e);
        }
        Ok(())
    }

    /// Closes the pools, flushing the WAL.
    pub async fn close(&self) {
        // Fold the WAL into the database file, so the file alone (copied by hand while the
        // server is stopped) holds every committed change.
        if self.backend == Backend::Sqlite {
            self.reader.close().await;
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.writer)
                .await
            {
                tracing::warn!(error = %e, "could not fold the WAL into the database at shutdown");
            }
        }
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// Allocates the next number for an entity table. Safe because writes are serialized.
async fn next_num(tx: &mut Tx, table: &str) -> Result<i64, StoreError> {
    let sql = format!("SELECT COALESCE(MAX(num), 0) + 1 FROM {table}");
    Ok(sqlx::query_scalar(&sql).fetch_one(&mut **tx).await?)
}

/// A PostgreSQL server that cannot be reached at start-up, said with where it was looked
/// for (host and port, never the URL: it can hold a password) and what to check.
fn unreachable_postgres(url: &str, e: sqlx::Error) -> StoreError {
    let timed_out = matches!(e, sqlx::Error::PoolTimedOut);
    let Ok(opts) = url.parse::<sqlx::postgres::PgConnectOptions>() else {
        return e.into();
    };
    let place = format!("{}:{}", opts.get_host(), opts.get_port());
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => StoreError::Refused(format!(
            "cannot reach PostgreSQL at {place}{}: check that it runs there and accepts connections from this host",
            if timed_out { " within 5 s" } else { "" }
        )),
        other => other.into(),
    }
}
