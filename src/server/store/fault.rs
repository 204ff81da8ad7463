//! Database errors that mean "cannot store anything right now" rather than "this request is
//! wrong" or "a bug": a full disk, a read-only file, a lock held by another process, a
//! database that is down. The API answers these with 503 and Retry-After, and `/health`
//! reports them, so a client retries instead of treating the write as done or lost.
use sqlx::error::DatabaseError;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why writes cannot be stored at the moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    DiskFull,
    ReadOnly,
    Locked,
    IoError,
    Unreachable,
    /// The file (or a PostgreSQL relation) is corrupt: nothing a retry fixes, but an answer
    /// that says so, and `/health` reporting it until the database is restored, rather
    /// than a bare 500 beside a healthy `/health`.
    Damaged,
}

impl Unavailable {
    /// A short reason for people: shown in error messages and in `/health`.
    pub fn reason(self) -> &'static str {
        match self {
            Unavailable::DiskFull => "disk full",
            Unavailable::ReadOnly => "database read-only",
            Unavailable::Locked => "database locked by another process",
            Unavailable::IoError => "database I/O error",
            Unavailable::Unreachable => "database unreachable",
            Unavailable::Damaged => {
                "database damaged: restore it from a backup (sitrep restore) or repair it"
            }
        }
    }

    /// Seconds a client should wait before retrying.
    pub fn retry_after(self) -> u64 {
        match self {
            Unavailable::Locked | Unavailable::Unreachable => 2,
            Unavailable::DiskFull | Unavailable::ReadOnly | Unavailable::IoError => 10,
            Unavailable::Damaged => 60,
        }
    }

    /// The temporary condition behind a driver error, if it is one.
    pub fn classify(e: &sqlx::Error) -> Option<Unavailable> {
        match e {
            sqlx::Error::Database(db) => {
                if let Some(s) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                    let code: i32 = s.code()?.parse().ok()?;
                    return sqlite_code(code);
                }
                if let Some(p) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    return postgres_code(p.code());
                }
                None
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed => Some(Unavailable::Unreachable),
            _ => None,
        }
    }
}

/// SQLite result codes (the primary code is the low byte of the extended one).
fn sqlite_code(extended: i32) -> Option<Unavailable> {
    match extended & 0xff {
        13 => Some(Unavailable::DiskFull),          // SQLITE_FULL
        8 => Some(Unavailable::ReadOnly),           // SQLITE_READONLY
        5 | 6 => Some(Unavailable::Locked),         // SQLITE_BUSY, SQLITE_LOCKED
        10 | 14 | 15 => Some(Unavailable::IoError), // SQLITE_IOERR, _CANTOPEN, _PROTOCOL
        11 | 26 => Some(Unavailable::Damaged),      // SQLITE_CORRUPT, SQLITE_NOTADB
        _ => None,
    }
}

/// PostgreSQL SQLSTATEs.
fn postgres_code(code: &str) -> Option<Unavailable> {
    match code {
        "53100" => Some(Unavailable::DiskFull),
        "25006" => Some(Unavailable::ReadOnly),
        // lock_not_available (lock_timeout), and a transaction ended for idling with the
        // write lock held (idle_in_transaction_session_timeout).
        "55P03" | "25P03" => Some(Unavailable::Locked),
        // A database not accepting connections (ALTER DATABASE … ALLOW_CONNECTIONS false).
        "55000" => Some(Unavailable::Unreachable),
        "58030" => Some(Unavailable::IoError),
        // data_corrupted, index_corrupted
        "XX001" | "XX002" => Some(Unavailable::Damaged),
        c if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => {
            Some(Unavailable::Unreachable)
        }
        _ => None,
    }
}

/// The outcome of the latest write transaction, so `/health` can tell about a failure that
/// a small probe write might not hit (a probe can fit where an incident does not).
#[derive(Debug, Default)]
pub struct WriteHealth {
    last_failure: Mutex<Option<(Instant, Unavailable)>>,
    /// A write found the database damaged: reported until the server restarts (when the
    /// start-up check refuses the file), since later writes that happen to miss the
    /// damaged pages do not repair it.
    damaged: std::sync::atomic::AtomicBool,
    /// The latest probe's outcome. One probe at a time, and at most one a second: every
    /// probe takes the write lock, so unauthenticated `/health` calls must not be able to
    /// queue writes behind a flood of probes.
    pub(super) probe: tokio::sync::Mutex<Option<(Instant, Result<(), Unavailable>)>>,
    /// Probes run so far.
    pub(super) probes: std::sync::atomic::AtomicU64,
}

/// How long a probe's outcome answers `/health`.
pub(super) const PROBE_EVERY: Duration = Duration::from_secs(1);

/// How long a failed write keeps `/health` unhealthy when no write has succeeded since.
const REMEMBER: Duration = Duration::from_secs(15);

impl WriteHealth {
    pub fn failed(&self, why: Unavailable) {
        if why == Unavailable::Damaged {
            self.damaged
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), why));
    }

    pub fn succeeded(&self) {
        *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
        // A real write got through: a probe's failure from before it no longer answers.
        // (A probe running now will tell anew.)
        if let Ok(mut probe) = self.probe.try_lock()
            && matches!(*probe, Some((_, Err(_))))
        {
            *probe = None;
        }
    }

    pub fn recent_failure(&self) -> Option<Unavailable> {
        if self.damaged.load(std::sync::atomic::Ordering::Relaxed) {
            return Some(Unavailable::Damaged);
        }
        let last = *self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
        last.filter(|(at, _)| at.elapsed() < REMEMBER)
            .map(|(_, why)| why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_extended_codes_map_by_their_primary_code() {
        assert_eq!(sqlite_code(13), Some(Unavailable::DiskFull));
        assert_eq!(sqlite_code(8 | (1 << 8)), Some(Unavailable::ReadOnly)); // READONLY_RECOVERY
        assert_eq!(sqlite_code(5 | (2 << 8)), Some(Unavailable::Locked)); // BUSY_SNAPSHOT
        assert_eq!(sqlite_code(10 | (3 << 8)), Some(Unavailable::IoError)); // IOERR_WRITE
        assert_eq!(
            sqlite_code(2067),
            None,
            "a unique violation is not an outage"
        );
        assert_eq!(sqlite_code(11 | (1 << 8)), Some(Unavailable::Damaged)); // CORRUPT_VTAB
        assert_eq!(sqlite_code(26), Some(Unavailable::Damaged));
        assert_eq!(postgres_code("XX001"), Some(Unavailable::Damaged));
        assert_eq!(postgres_code("53100"), Some(Unavailable::DiskFull));
        assert_eq!(postgres_code("23505"), None);
    }

    #[test]
    fn damage_stays_reported_after_writes_that_miss_it() {
        let h = WriteHealth::default();
        h.failed(Unavailable::Locked);
        h.succeeded();
        assert_eq!(h.recent_failure(), None, "a lock passes");
        h.failed(Unavailable::Damaged);
        h.succeeded();
        assert_eq!(h.recent_failure(), Some(Unavailable::Damaged));
    }
}
