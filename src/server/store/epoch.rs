//! The event log's epoch. Event ids are the log's sequence numbers, and a client resumes
//! with the last id it saw. When the database is replaced by a backup, the log goes back to
//! the backup's tail and would hand the ids the client saw after the backup to other events.
//! So each epoch starts its ids at a base above every id of earlier epochs (derived from the
//! clock: a thousand ids per millisecond since the epoch began would be needed to catch up),
//! and a client holding an id below the base gets `reset` and re-lists.
use super::lock::LastRun;
use super::{Backend, Store, StoreError};
use sqlx::{AnyConnection, Connection};

/// Marks a fresh backup: the server that opens it as its database starts a new epoch.
pub(super) async fn mark_restored(url: &str) -> Result<(), StoreError> {
    let mut conn = AnyConnection::connect(url).await?;
    let result = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('restore_pending', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .execute(&mut conn)
    .await;
    let _ = conn.close().await;
    result?;
    Ok(())
}

impl Store {
    /// The first event id of the current epoch (1 for a database never restored).
    pub async fn event_base(&self) -> Result<i64, StoreError> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'event_base'")
                .fetch_optional(&self.reader)
                .await?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(1))
    }

    /// A database opened from a backup (copied into place by `sitrep restore` or by hand)
    /// starts a new epoch before anyone subscribes.
    pub(super) async fn start_epoch_if_restored(&self) -> Result<(), StoreError> {
        let pending: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'restore_pending'")
                .fetch_optional(&self.writer)
                .await?;
        if pending.is_some() {
            let base = self.start_new_epoch().await?;
            tracing::info!(base, "database restored from a backup: new event-log epoch");
        }
        Ok(())
    }

    /// Compares this database with what the last server on the file recorded (`last`). A
    /// file put back by hand from an older copy carries another instance stamp, or a log
    /// that ends before the last id that server saw: its ids would name other events than
    /// the ones consoles hold, so a new epoch starts and they re-list. Then stamps this
    /// run, and returns what this server records for the next one.
    pub async fn continue_or_start_epoch(&self, last: &LastRun) -> Result<LastRun, StoreError> {
        let stamp: Option<String> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'instance'")
                .fetch_optional(&self.writer)
                .await?;
        let newest = self.newest_event_id().await?;
        let other_instance = last.instance.is_some() && stamp != last.instance;
        let log_behind = last.events.is_some_and(|seen| seen > newest);
        if other_instance || log_behind {
            let base = self.start_new_epoch().await?;
            tracing::warn!(
                base,
                other_instance,
                log_behind,
                "the database file was replaced since the last server on it ran: new event-log epoch, consoles re-list"
            );
        }
        let instance = super::runs::new_run();
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('instance', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(&instance)
        .execute(&self.writer)
        .await?;
        self.record_run(&instance).await?;
        Ok(LastRun {
            instance: Some(instance),
            events: Some(self.newest_event_id().await?),
        })
    }

    /// The highest event id ever handed out: SQLite's sequence survives pruning, where
    /// `MAX(seq)` of a pruned log would fall back.
    pub(super) async fn newest_event_id(&self) -> Result<i64, StoreError> {
        let newest: Option<i64> = match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar(
                    "SELECT CAST(seq AS BIGINT) FROM sqlite_sequence WHERE name = 'events'",
                )
                .fetch_optional(&self.writer)
                .await?
            }
            Backend::Postgres => {
                sqlx::query_scalar("SELECT MAX(seq) FROM events")
                    .fetch_one(&self.writer)
                    .await?
            }
        };
        Ok(newest.unwrap_or(0))
    }

    /// Starts a new epoch now and returns its first event id. For PostgreSQL, run after
    /// `pg_restore` (`sitrep restore --database URL`), with every server stopped.
    pub async fn start_new_epoch(&self) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        let clock = chrono::Utc::now().timestamp_millis().saturating_mul(1000);
        let base = clock
            .max(newest.unwrap_or(0) + 1)
            .max(self.event_base().await? + 1);
        match self.backend {
            Backend::Sqlite => {
                sqlx::query("DELETE FROM sqlite_sequence WHERE name = 'events'")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', $1)")
                    .bind(base - 1)
                    .execute(&mut *tx)
                    .await?;
            }
            Backend::Postgres => {
                // DDL takes no parameters; `base` is an integer computed here.
                sqlx::raw_sql(&format!(
                    "ALTER TABLE events ALTER COLUMN seq RESTART WITH {base}"
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('event_base', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(base.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM meta WHERE key = 'restore_pending'")
            .execute(&mut *tx)
            .await?;
        self.commit(tx).await?;
        Ok(base)
    }
}
