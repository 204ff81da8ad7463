//! The console's log: the terminal belongs to the UI, so logs go to files in the data
//! directory. One file a day (`console.YYYY-MM-DD.log`, UTC), the newest behind the
//! `console.log` link, and only the last [`KEPT_LOG_FILES`] days kept: a console left
//! running on a war-room screen for months must not fill the disk. The files are 0600 in
//! the 0700 data directory through the process umask (`paths::private_umask`, set first
//! thing in main), which also covers the files the appender opens at each rollover.
use crate::paths;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use tracing_appender::rolling::{RollingFileAppender, Rotation};

/// A week of days: enough to read back what happened during the last few shifts.
pub const KEPT_LOG_FILES: usize = 7;

/// The name a person opens: a link to the newest day's file.
pub const LATEST: &str = "console.log";

/// Where an unrolled `console.log` from an older sitrep goes, so the link can take its
/// name without deleting it; it counts against [`KEPT_LOG_FILES`] like any other day.
const BEFORE_ROTATION: &str = "console.before-rotation.log";

/// Sends this process's logs (`SITREP_LOG`, default `info,sqlx=warn`) to the rolled files
/// in the data directory; returns the path of the `console.log` link.
pub fn init_file_logging() -> Result<PathBuf> {
    let dir = paths::data_dir()?;
    let appender = appender(&dir, Rotation::DAILY)?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("SITREP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(appender)
        .try_init();
    Ok(dir.join(LATEST))
}

/// The rolled appender over `dir`; drops the oldest files beyond [`KEPT_LOG_FILES`].
fn appender(dir: &Path, rotation: Rotation) -> Result<RollingFileAppender> {
    let latest = dir.join(LATEST);
    if std::fs::symlink_metadata(&latest).is_ok_and(|m| m.is_file()) {
        std::fs::rename(&latest, dir.join(BEFORE_ROTATION))
            .with_context(|| format!("moving the old {} aside", latest.display()))?;
    }
    RollingFileAppender::builder()
        .rotation(rotation)
        .filename_prefix("console")
        .filename_suffix("log")
        .latest_symlink(LATEST)
        .max_log_files(KEPT_LOG_FILES)
        .build(dir)
        .with_context(|| format!("opening the console log in {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn log_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.metadata().unwrap().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Two weeks of old days (the appender drops the oldest by creation time; these were
    /// all made in the same instant, so which ones go is not checked here): at most
    /// a week of files stays, `console.log` links to today's file and what is written
    /// lands there.
    #[test]
    fn old_days_are_dropped_and_console_log_points_at_today() {
        let dir = tempfile::tempdir().unwrap();
        for day in 1..=14 {
            let f = dir.path().join(format!("console.2020-01-{day:02}.log"));
            std::fs::write(&f, "old\n").unwrap();
        }
        let mut a = appender(dir.path(), Rotation::DAILY).unwrap();
        a.write_all(b"hello from today\n").unwrap();
        a.flush().unwrap();

        let files = log_files(dir.path());
        assert!(files.len() <= KEPT_LOG_FILES, "{files:?}");
        let today = format!("console.{}.log", chrono::Utc::now().format("%Y-%m-%d"));
        assert!(files.contains(&today), "{files:?}");
        let link = std::fs::read_link(dir.path().join(LATEST)).unwrap();
        assert_eq!(link.file_name().unwrap().to_string_lossy(), today);
        let text = std::fs::read_to_string(dir.path().join(LATEST)).unwrap();
        assert!(text.contains("hello from today"), "{text}");
    }

    /// The log an older sitrep wrote to `console.log` is kept (moved aside), not deleted
    /// when the link takes its name.
    #[test]
    fn an_unrolled_console_log_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LATEST), "from an older sitrep\n").unwrap();
        let _a = appender(dir.path(), Rotation::DAILY).unwrap();
        let kept = std::fs::read_to_string(dir.path().join(BEFORE_ROTATION)).unwrap();
        assert_eq!(kept, "from an older sitrep\n");
        assert!(
            std::fs::symlink_metadata(dir.path().join(LATEST))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
