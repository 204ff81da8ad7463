//! `sitrep backup`, `sitrep restore` and the backup flags of `sitrep serve`.
use super::crypt::{self, Protection};
use super::job::{self, Destination};
use super::retention::Policy;
use super::schedule::Schedule;
use crate::server::Database;
use crate::server::store::Store;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Who may decrypt a backup.
#[derive(Debug, Clone, clap::Args)]
pub struct ProtectArgs {
    /// Encrypt to this age recipient (age1…, from `age-keygen -y KEYFILE`); repeatable.
    #[arg(long = "recipient", value_name = "AGE1…")]
    pub recipients: Vec<String>,
    /// Encrypt to every recipient in this file (one a line, `#` comments).
    #[arg(long, value_name = "FILE", env = "SITREP_BACKUP_RECIPIENTS_FILE")]
    pub recipients_file: Option<PathBuf>,
    /// Write a plain, unencrypted copy (anyone who gets the file reads every incident).
    #[arg(long)]
    pub no_encrypt: bool,
}

impl ProtectArgs {
    pub fn protection(&self) -> Result<Protection> {
        Protection::from_flags(
            &self.recipients,
            self.recipients_file.as_deref(),
            self.no_encrypt,
        )
    }
}

/// Which backups in the directory to keep (none given: keep all).
#[derive(Debug, Clone, clap::Args)]
pub struct KeepArgs {
    /// Keep the newest N backups.
    #[arg(long, value_name = "N")]
    pub keep_last: Option<usize>,
    /// Keep the newest backup of each of the last N days (UTC) that have one.
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<usize>,
    /// Keep the newest backup of each of the last N ISO weeks that have one.
    #[arg(long, value_name = "N")]
    pub keep_weekly: Option<usize>,
}

impl KeepArgs {
    pub fn policy(&self) -> Policy {
        Policy {
            keep_last: self.keep_last,
            keep_daily: self.keep_daily,
            keep_weekly: self.keep_weekly,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Write the backup to this file (it must not exist yet).
    #[arg(required_unless_present = "dir", conflicts_with = "dir")]
    pub path: Option<PathBuf>,
    /// Write the backup into this directory as sitrep-<UTC time>.db.age (or .pgdump.age),
    /// then prune by the --keep-* rules.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub protect: ProtectArgs,
    #[command(flatten)]
    pub keep: KeepArgs,
}

/// `sitrep backup`.
pub async fn backup(args: BackupArgs, db: Database) -> Result<()> {
    let protection = args.protect.protection()?;
    let policy = args.keep.policy();
    let dest = match (args.path, args.dir) {
        (_, Some(dir)) => Destination::Dir { dir, policy },
        (Some(path), None) => {
            if policy.prunes() {
                bail!("--keep-last, --keep-daily and --keep-weekly prune a --dir");
            }
            Destination::File(path)
        }
        (None, None) => bail!("name a file, or --dir DIR"),
    };
    let store = Store::open(&db)
        .await
        .with_context(|| format!("opening the database {}", db.describe()))?;
    let done = job::run(&store, &db, &protection, &dest).await;
    store.close().await;
    let done = done?;
    let how = match &protection {
        Protection::Encrypt(r) => format!("encrypted to {} age recipient(s)", r.len()),
        Protection::Plain => "NOT encrypted".to_string(),
    };
    println!(
        "backed up to {} ({} bytes, {how})",
        done.path.display(),
        done.bytes
    );
    for p in &done.pruned {
        println!("pruned {}", p.display());
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup to restore (a file written by `sitrep backup`, encrypted or plain).
    pub path: Option<PathBuf>,
    /// The age identity file (from `age-keygen`) that decrypts an encrypted backup.
    #[arg(long, value_name = "KEYFILE")]
    pub identity: Option<PathBuf>,
}

/// `sitrep restore`.
pub async fn restore(args: RestoreArgs, db: Database) -> Result<()> {
    match (args.path, db) {
        (Some(backup), Database::Sqlite(path)) => {
            restore_sqlite(&backup, args.identity.as_deref(), &path).await
        }
        (None, Database::Sqlite(_)) => bail!("name the backup to restore: sitrep restore PATH"),
        (Some(backup), db @ Database::Postgres(_)) => {
            restore_postgres(&backup, args.identity.as_deref(), &db).await
        }
        (None, db @ Database::Postgres(_)) => {
            let base = new_epoch(&db).await?;
            println!(
                "new event-log epoch: event ids now start at {base} (consoles re-list when they reconnect)"
            );
            Ok(())
        }
    }
}

async fn new_epoch(db: &Database) -> Result<i64> {
    let store = Store::open(db)
        .await
        .with_context(|| format!("opening the database {}", db.describe()))?;
    let base = store.start_new_epoch().await;
    store.close().await;
    Ok(base?)
}

/// A backup made plain where only this user can read it: the file itself, or its
/// decryption in a private temporary directory (removed when this is dropped).
struct Plain {
    path: PathBuf,
    _scratch: Option<tempfile::TempDir>,
}

async fn plain_copy(backup: &Path, identity: Option<&Path>, near: &Path) -> Result<Plain> {
    if !crypt::is_age_file(backup)? {
        return Ok(Plain {
            path: backup.to_path_buf(),
            _scratch: None,
        });
    }
    let Some(identity) = identity else {
        bail!(
            "{} is encrypted: give the age identity that decrypts it with --identity KEYFILE",
            backup.display()
        );
    };
    crate::server::store::files::create_private_dir(near)?;
    let scratch = tempfile::Builder::new()
        .prefix(".sitrep-restore-")
        .tempdir_in(near)
        .with_context(|| format!("creating a temporary directory in {}", near.display()))?;
    let path = scratch.path().join("backup");
    let (from, key, to) = (backup.to_path_buf(), identity.to_path_buf(), path.clone());
    tokio::task::spawn_blocking(move || -> Result<()> {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&to).with_context(|| format!("creating {}", to.display()))?,
        );
        crypt::decrypt(&from, &key, &mut out)?;
        std::io::Write::flush(&mut out)?;
        Ok(())
    })
    .await??;
    Ok(Plain {
        path,
        _scratch: Some(scratch),
    })
}

async fn restore_sqlite(backup: &Path, identity: Option<&Path>, db: &Path) -> Result<()> {
    // Refused before any decrypting when a server holds the file (checked again, and held,
    // by the restore itself).
    drop(crate::server::store::lock::ServerLock::acquire(db)?);
    let near = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let plain = plain_copy(backup, identity, near).await?;
    integrity_check(&plain.path).await?;
    let done = crate::server::store::restore::restore_sqlite(&plain.path, db).await?;
    if let Some(kept) = done.kept {
        println!("kept the replaced database as {}", kept.display());
    }
    println!(
        "restored {} from {} (integrity check ok); event ids now start at {} (consoles re-list when they reconnect)",
        db.display(),
        backup.display(),
        done.base
    );
    Ok(())
}

/// SQLite's full integrity check on the backup before it replaces anything.
async fn integrity_check(file: &Path) -> Result<()> {
    use sqlx::Connection;
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .context("opening the backup")?;
    let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .context("the backup is not a SQLite database")?;
    conn.close().await.ok();
    if rows != ["ok"] {
        bail!(
            "the backup fails SQLite's integrity check: {}",
            crate::sanitize::clean_line(&rows.join("; "))
        );
    }
    Ok(())
}

async fn restore_postgres(backup: &Path, identity: Option<&Path>, db: &Database) -> Result<()> {
    let Database::Postgres(url) = db else {
        unreachable!()
    };
    let scratch = tempfile::tempdir()?;
    let plain = plain_copy(backup, identity, scratch.path()).await?;
    let (url, password) = super::job::split_password(url);
    let mut cmd = std::process::Command::new("pg_restore");
    cmd.args([
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--dbname",
    ])
    .arg(&url)
    .arg(&plain.path)
    .stdin(std::process::Stdio::null());
    if let Some(pw) = &password {
        cmd.env("PGPASSWORD", pw);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .context("starting pg_restore (is the PostgreSQL client installed?)")?;
    if !out.status.success() {
        bail!(
            "pg_restore failed ({}); restore into an empty database: {}",
            out.status,
            crate::sanitize::clean_line(String::from_utf8_lossy(&out.stderr).trim())
        );
    }
    let base = new_epoch(db).await?;
    println!(
        "restored {} from {}; event ids now start at {base} (consoles re-list when they reconnect)",
        db.describe(),
        backup.display()
    );
    Ok(())
}

/// The backup flags of `sitrep serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeBackupArgs {
    /// Take a backup this often (e.g. 1h, 30m) into --backup-dir, as `sitrep backup --dir`.
    #[arg(long, value_name = "EVERY", value_parser = parse_every, requires = "backup_dir")]
    pub backup_every: Option<Duration>,
    /// Where scheduled backups go.
    #[arg(long, value_name = "DIR", requires = "backup_every")]
    pub backup_dir: Option<PathBuf>,
    #[command(flatten)]
    pub protect: ProtectArgs,
    #[command(flatten)]
    pub keep: KeepArgs,
}

impl ServeBackupArgs {
    /// The schedule, checked now (a bad recipient stops the server from starting rather
    /// than failing an hour later).
    pub fn schedule(&self) -> Result<Option<Schedule>> {
        let (Some(every), Some(dir)) = (self.backup_every, &self.backup_dir) else {
            if self.protect.no_encrypt
                || !self.protect.recipients.is_empty()
                || self.keep.policy().prunes()
            {
                bail!("the backup flags of serve need --backup-every and --backup-dir");
            }
            return Ok(None);
        };
        Ok(Some(Schedule {
            every,
            dir: dir.clone(),
            policy: self.keep.policy(),
            protection: self.protect.protection()?,
            status: Default::default(),
        }))
    }
}

fn parse_every(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e}; write a period such as 1h, 30m or 1d"))?;
    if d < Duration::from_secs(1) {
        return Err("a backup period must be at least 1s".into());
    }
    Ok(d)
}
