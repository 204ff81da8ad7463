//! Which server run handed out an event id. A console resumes with the last id it saw and
//! the run it saw it from (`Sitrep-Run`). Every run is recorded in the database with the
//! first id it could hand out, so a database put back from an older copy, by any means
//! (a file copied by hand together with its `.lock` sidecar, the sidecar deleted, a
//! `pg_restore` of an older dump), does not know the run a console names, or knows that id
//! as another run's: that console must re-list rather than resume, because the ids it holds
//! may name other events in this database.
use super::{Backend, Store, StoreError};
use std::sync::Arc;

pub(super) fn new_run() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Store {
    /// Records this process's run, starting at the next id the log will hand out, and
    /// makes it the run this store names on event streams.
    pub async fn record_run(&self, run: &str) -> Result<(), StoreError> {
        let first = self.newest_event_id().await? + 1;
        sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(format!("run:{run}"))
            .bind(first.to_string())
            .execute(&self.writer)
            .await?;
        let _ = self.run.set(Arc::from(run));
        Ok(())
    }

    /// A new run for a PostgreSQL replica (a SQLite server records its run with its epoch).
    pub async fn begin_run(&self) -> Result<(), StoreError> {
        self.record_run(&new_run()).await
    }

    /// The run this process recorded, if it did.
    pub fn run(&self) -> Option<Arc<str>> {
        self.run.get().cloned()
    }

    /// Whether `id`, seen by a client from `run`, names the same event in this database:
    /// the run is known here and, on SQLite (one server at a time, so runs follow each other
    /// in id order), no later run had started handing out ids at or below `id`. PostgreSQL
    /// replicas run side by side, so there only the run's presence is checked.
    pub async fn run_covers(&self, run: &str, id: i64) -> Result<bool, StoreError> {
        if !crate::protocol::is_run_name(run) {
            return Ok(false);
        }
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT key, value FROM meta WHERE key LIKE 'run:%'")
                .fetch_all(&self.reader)
                .await?;
        let starts: Vec<(&str, i64)> = rows
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("run:")?, v.parse().ok()?)))
            .collect();
        let Some(&(_, start)) = starts.iter().find(|(name, _)| *name == run) else {
            return Ok(false);
        };
        if self.backend == Backend::Postgres {
            return Ok(true);
        }
        let next_start = starts.iter().map(|&(_, s)| s).filter(|&s| s > start).min();
        Ok(next_start.is_none_or(|next| id < next))
    }
}
