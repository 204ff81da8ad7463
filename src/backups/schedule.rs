//! Backups inside the server (`sitrep serve --backup-every 1h --backup-dir D`): the same job
//! as `sitrep backup --dir D`, on a timer, logged, with the time of the last success kept in
//! a [`BackupStatus`] that monitoring can read.
use super::crypt::Protection;
use super::job::{self, Destination};
use super::retention::Policy;
use crate::server::Database;
use crate::server::store::Store;
use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// A server's backup schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub every: Duration,
    pub dir: PathBuf,
    pub policy: Policy,
    pub protection: Protection,
    /// Shared with whoever reports on backups (logs, metrics).
    pub status: Arc<BackupStatus>,
}

/// What the scheduled backups did last. Read by monitoring: a backup whose last success is
/// older than a few periods is a page, not a log line.
#[derive(Debug, Default)]
pub struct BackupStatus {
    inner: Mutex<Outcomes>,
    /// The same outcomes as `/metrics` figures (shared handles; see [`Self::export`]).
    last_success_unix: Gauge,
    failures_total: Counter,
}

#[derive(Debug, Default, Clone)]
pub struct Outcomes {
    pub last_success: Option<DateTime<Utc>>,
    pub last_path: Option<PathBuf>,
    pub last_failure: Option<DateTime<Utc>>,
    pub successes: u64,
    pub failures: u64,
}

impl BackupStatus {
    pub fn snapshot(&self) -> Outcomes {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// When the last scheduled backup succeeded (None: not yet in this run).
    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        self.snapshot().last_success
    }

    /// Exports the last success (Unix seconds, 0 before the first) and the failures of
    /// this run's scheduled backups at `/metrics`.
    pub fn export(&self, metrics: &crate::server::metrics::Metrics) {
        metrics.register(
            "sitrep_backup_last_success_timestamp_seconds",
            "When the last scheduled backup of this server succeeded, in Unix seconds (0: none yet since it started)",
            self.last_success_unix.clone(),
        );
        metrics.register(
            "sitrep_backup_failures",
            "Scheduled backups of this server that failed since it started",
            self.failures_total.clone(),
        );
    }

    fn succeeded(&self, path: PathBuf) {
        let mut o = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let at = Utc::now();
        self.last_success_unix.set(at.timestamp());
        o.last_success = Some(at);
        o.last_path = Some(path);
        o.successes += 1;
    }

    fn failed(&self) {
        let mut o = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        o.last_failure = Some(Utc::now());
        o.failures += 1;
        self.failures_total.inc();
    }
}

/// Runs the schedule until shutdown: the first backup one period after start, then one
/// every period.
pub fn spawn(store: Store, db: Database, s: Schedule, mut shutdown: watch::Receiver<bool>) {
    tracing::info!(
        every = %humantime::format_duration(s.every),
        dir = %s.dir.display(),
        encrypted = s.protection.encrypted(),
        "scheduled backups"
    );
    tokio::spawn(async move {
        let dest = Destination::Dir {
            dir: s.dir.clone(),
            policy: s.policy,
        };
        loop {
            tokio::select! {
                _ = tokio::time::sleep(s.every) => {}
                _ = shutdown.changed() => return,
            }
            match job::run(&store, &db, &s.protection, &dest).await {
                Ok(done) => {
                    s.status.succeeded(done.path.clone());
                    tracing::info!(
                        path = %done.path.display(),
                        bytes = done.bytes,
                        pruned = done.pruned.len(),
                        encrypted = s.protection.encrypted(),
                        "backup written"
                    );
                }
                Err(e) => {
                    s.status.failed();
                    let last = s.status.last_success();
                    tracing::error!(
                        error = %crate::sanitize::clean_line(&format!("{e:#}")),
                        last_success = ?last,
                        "backup failed; nothing was pruned"
                    );
                }
            }
        }
    });
}
