//! `sitrep restore`: put a backup in place of a SQLite database. Only with no server on the
//! file (its lock is held throughout), from a file that is a sitrep database this binary can
//! read, copied privately and renamed into place, and followed by a new event-log epoch so
//! consoles holding newer event ids re-list instead of resuming into other events.
use super::lock::ServerLock;
use super::{Store, files, sqlite_url, startup};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Restored {
    /// Where the replaced database was kept, if there was one.
    pub kept: Option<PathBuf>,
    /// The first event id of the new epoch.
    pub base: i64,
}

pub async fn restore_sqlite(backup: &Path, db: &Path) -> anyhow::Result<Restored> {
    sqlx::any::install_default_drivers();
    let _lock = ServerLock::acquire(db)?;
    if !backup.is_file() {
        anyhow::bail!("{} is not a file", backup.display());
    }
    let version = startup::check_sqlite(
        &sqlite_url(backup, "ro")?,
        backup,
        super::latest(super::SQLITE_MIGRATIONS),
    )
    .await?;
    if version.is_none() {
        anyhow::bail!("{} is not a sitrep database", backup.display());
    }
    let tmp = with_suffix(db, ".restoring");
    let _ = std::fs::remove_file(&tmp);
    files::create_private(&tmp)?;
    let copy = || -> std::io::Result<()> {
        let mut from = std::fs::File::open(backup)?;
        let mut to = std::fs::OpenOptions::new().write(true).open(&tmp)?;
        std::io::copy(&mut from, &mut to)?;
        to.flush()?;
        to.sync_all()
    };
    if let Err(e) = copy() {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!("copying {}: {e}", backup.display());
    }
    // The current file moves aside with its -wal and -shm, which belong to it alone: a
    // WAL left beside the restored file would be replayed into it.
    let kept = if db.exists() {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = with_suffix(db, &format!(".replaced-{stamp}"));
        for suffix in ["-wal", "-shm", ""] {
            let from = with_suffix(db, suffix);
            if from.exists() {
                std::fs::rename(&from, with_suffix(&aside, suffix))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&tmp, db)?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    let store = Store::open_sqlite(db).await?;
    let base = store.start_new_epoch().await;
    store.close().await;
    Ok(Restored { kept, base: base? })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}
