//! Taking one backup: a consistent plain copy made where the database lives (SQLite's
//! `VACUUM INTO` into a private temporary directory beside the file, or `pg_dump`'s
//! output), streamed through the encryptor into a temporary file beside the destination,
//! fsynced and renamed into place, so the destination holds a complete backup or nothing.
//! Pruning runs after that rename only: a failed backup never costs an old one.
use super::crypt::Protection;
use super::retention::{self, Policy};
use crate::server::Database;
use crate::server::store::Store;
use anyhow::{Context, Result, bail};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a backup goes.
#[derive(Clone, Debug)]
pub enum Destination {
    /// This file, which must not exist yet.
    File(PathBuf),
    /// A file named for the current UTC time in this directory, then pruning by `policy`.
    Dir { dir: PathBuf, policy: Policy },
}

/// A backup written.
#[derive(Debug)]
pub struct Done {
    pub path: PathBuf,
    pub bytes: u64,
    /// Older backups deleted by the retention policy.
    pub pruned: Vec<PathBuf>,
}

/// Takes one backup of `db` (opened as `store`) to `dest`.
pub async fn run(
    store: &Store,
    db: &Database,
    protection: &Protection,
    dest: &Destination,
) -> Result<Done> {
    let kind = match db {
        Database::Sqlite(_) => "db",
        Database::Postgres(_) => "pgdump",
    };
    let (path, policy) = match dest {
        Destination::File(p) => (p.clone(), None),
        Destination::Dir { dir, policy } => {
            crate::server::store::files::create_private_dir(dir)
                .with_context(|| format!("creating {}", dir.display()))?;
            let name = retention::file_name(chrono::Utc::now(), kind, protection.encrypted());
            (dir.join(name), Some(policy))
        }
    };
    if path.exists() {
        bail!("{} already exists", path.display());
    }
    let bytes = match db {
        Database::Sqlite(file) => sqlite(store, file, protection, &path).await?,
        Database::Postgres(url) => postgres(url, protection, &path).await?,
    };
    let mut pruned = Vec::new();
    if let (Some(policy), Destination::Dir { dir, .. }) = (policy, dest) {
        pruned = prune(dir, policy, &path)?;
    }
    Ok(Done {
        path,
        bytes,
        pruned,
    })
}

async fn sqlite(store: &Store, file: &Path, protection: &Protection, to: &Path) -> Result<u64> {
    // The plain copy stays on the database's own disk, in a private (0700) directory that is
    // removed whatever happens; only the encrypted stream reaches the destination.
    let near = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let scratch = tempfile::Builder::new()
        .prefix(".sitrep-backup-")
        .tempdir_in(near)
        .with_context(|| format!("creating a temporary directory in {}", near.display()))?;
    let plain = scratch.path().join("copy.db");
    store.backup(&plain).await.context("copying the database")?;
    let protection = protection.clone();
    let to = to.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut from = std::fs::File::open(&plain)?;
        let written = write_atomically(&to, &protection, &mut from);
        drop(scratch);
        written
    })
    .await?
}

async fn postgres(url: &str, protection: &Protection, to: &Path) -> Result<u64> {
    let protection = protection.clone();
    let to = to.to_path_buf();
    let (url, password) = split_password(url);
    tokio::task::spawn_blocking(move || {
        // The password goes in the environment, never in argv (process lists show argv).
        let mut cmd = Command::new("pg_dump");
        cmd.args([
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--dbname",
        ])
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        if let Some(pw) = &password {
            cmd.env("PGPASSWORD", pw);
        }
        let mut child = cmd
            .spawn()
            .context("starting pg_dump (is the PostgreSQL client installed?)")?;
        let mut out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.by_ref().take(64 * 1024).read_to_string(&mut s);
            s
        });
        write_atomically_checked(&to, &protection, &mut out, |copied| {
            if !copied {
                // pg_dump may be blocked writing to a pipe nobody reads any more.
                let _ = child.kill();
            }
            let status = child.wait()?;
            let stderr = errors.join().unwrap_or_default();
            if !status.success() {
                bail!(
                    "pg_dump failed ({status}): {}",
                    crate::sanitize::clean_line(stderr.trim())
                );
            }
            Ok(())
        })
    })
    .await?
}

/// Splits a PostgreSQL URL into the URL without its password and the password, decoded.
pub(super) fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return (url.to_string(), None);
    };
    match userinfo.split_once(':') {
        Some((user, pw)) => (
            format!("{scheme}://{user}@{host}"),
            Some(
                percent_encoding::percent_decode_str(pw)
                    .decode_utf8_lossy()
                    .into_owned(),
            ),
        ),
        None => (url.to_string(), None),
    }
}

/// Streams `from` (through the encryptor) into a private temporary file beside `to`,
/// fsyncs it and renames it to `to` (refusing to replace an existing file); returns the
/// bytes written.
pub fn write_atomically(to: &Path, protection: &Protection, from: &mut impl Read) -> Result<u64> {
    write_atomically_checked(to, protection, from, |_| Ok(()))
}

/// [`write_atomically`], asking `source_ok` after the copy whether the source ended well
/// (pg_dump's exit status; told whether the copy succeeded) before anything is renamed
/// into place.
fn write_atomically_checked(
    to: &Path,
    protection: &Protection,
    from: &mut impl Read,
    source_ok: impl FnOnce(bool) -> Result<()>,
) -> Result<u64> {
    let dir = to
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // tempfile creates it 0600 and removes it if anything below fails.
    let mut tmp = tempfile::Builder::new()
        .prefix(".sitrep-backup-")
        .suffix(".partial")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let copied = protection
        .copy(from, BufWriter::new(tmp.as_file_mut()))
        .and_then(|w| {
            w.into_inner()
                .map_err(|e| e.into_error().into())
                .map(|_| ())
        });
    let checked = source_ok(copied.is_ok());
    copied.with_context(|| format!("writing {}", to.display()))?;
    checked?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("writing {}", to.display()))?;
    let bytes = tmp.as_file().metadata()?.len();
    tmp.persist_noclobber(to)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming the finished backup to {}", to.display()))?;
    let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    Ok(bytes)
}

/// Deletes the backups in `dir` that `policy` does not keep; never `just_written`.
fn prune(dir: &Path, policy: &Policy, just_written: &Path) -> Result<Vec<PathBuf>> {
    let names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let written = just_written
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut pruned = Vec::new();
    for name in retention::to_delete(&names, policy, written) {
        let path = dir.join(&name);
        std::fs::remove_file(&path).with_context(|| format!("pruning {}", path.display()))?;
        pruned.push(path);
    }
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            split_password("postgres://ops:p%40ss@db:5432/sitrep"),
            (
                "postgres://ops@db:5432/sitrep".to_string(),
                Some("p@ss".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://ops@db/sitrep"),
            ("postgres://ops@db/sitrep".to_string(), None)
        );
    }

    #[test]
    fn a_failed_source_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("b.db");
        let err = write_atomically_checked(&to, &Protection::Plain, &mut &b"half"[..], |_| {
            bail!("pg_dump failed")
        })
        .unwrap_err();
        assert!(err.to_string().contains("pg_dump failed"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
