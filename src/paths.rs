//! Where sitrep keeps its files, following the XDG base directory conventions.
use anyhow::{Context, Result};
use std::path::PathBuf;

fn dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "sitrep")
        .context("cannot find a home directory for sitrep's data (set HOME or XDG_DATA_HOME)")
}

/// `$XDG_DATA_HOME/sitrep` (usually `~/.local/share/sitrep`), created on first use with
/// mode 0700: it holds the database, the local token, drafts and the outbox.
pub fn data_dir() -> Result<PathBuf> {
    let dir = dirs()?.data_dir().to_path_buf();
    crate::server::store::files::create_private_dir(&dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    // Made by an earlier sitrep under a lax umask: sitrep's own directory, so closed to
    // others (the files in it are then unreachable whatever their own modes).
    crate::server::store::files::tighten(&dir, 0o700)
        .with_context(|| format!("making {} private", dir.display()))?;
    Ok(dir)
}

/// From here on, files and directories this process creates are its owner's only (0600,
/// 0700), whatever the inherited umask: the database, its -wal and -shm, backups, logs,
/// drafts and the outbox hold incident and customer text. Called first thing in main.
pub fn private_umask() {
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// `$XDG_CONFIG_HOME/sitrep` (usually `~/.config/sitrep`); not created.
pub fn config_dir() -> Result<PathBuf> {
    Ok(dirs()?.config_dir().to_path_buf())
}

/// The default SQLite database: `<data dir>/sitrep.db`.
pub fn default_db() -> Result<PathBuf> {
    Ok(data_dir()?.join("sitrep.db"))
}

/// Refuses a secret-holding file (a token, a signing secret, a decryption identity) that
/// other users can read: whoever can read it can act as its owner, so it is not used until
/// it is made private.
pub fn require_private(path: &std::path::Path, what: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::os::unix::fs::PermissionsExt;
    let meta =
        std::fs::metadata(path).with_context(|| format!("reading {what} {}", path.display()))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "{what} {} is readable by other users (mode {:o}); run `chmod 600 {}` and try again",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    Ok(())
}
