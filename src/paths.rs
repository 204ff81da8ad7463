//! Where sitrep keeps its files, following the XDG base directory conventions.
use anyhow::{Context, Result};
use std::path::PathBuf;

fn dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "sitrep")
        .context("cannot find a home directory for sitrep's data (set HOME or XDG_DATA_HOME)")
}

/// `$XDG_DATA_HOME/sitrep` (usually `~/.local/share/sitrep`), created on first use.
pub fn data_dir() -> Result<PathBuf> {
    let dir = dirs()?.data_dir().to_path_buf();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// `$XDG_CONFIG_HOME/sitrep` (usually `~/.config/sitrep`); not created.
pub fn config_dir() -> Result<PathBuf> {
    Ok(dirs()?.config_dir().to_path_buf())
}

/// The default SQLite database: `<data dir>/sitrep.db`.
pub fn default_db() -> Result<PathBuf> {
    Ok(data_dir()?.join("sitrep.db"))
}
