//! Files sitrep creates hold incidents, tokens' hashes and customer text: they are created
//! readable by their owner only (0600, directories 0700), whatever the umask. SQLite gives
//! its -wal and -shm files the database file's mode, so creating the database file first
//! covers them too.
use super::StoreError;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` and any missing parents with mode 0700 (existing ones are left alone).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Takes group and other permissions off `path` when this user owns it and it has any
/// (files made by an earlier sitrep, or another tool, under a lax umask). A missing path,
/// or one owned by someone else, is left alone.
pub fn tighten(path: &Path, mode: u32) -> std::io::Result<bool> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me || meta.mode() & 0o777 & !mode == 0 {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(true)
}

/// Creates `path` empty with mode 0600 (and its directory 0700) unless it exists; an
/// existing one, and its -wal and -shm, lose group and other permissions (SQLite gives new
/// -wal and -shm files the database file's mode).
pub fn create_private(path: &Path) -> Result<(), StoreError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_os_string();
        file.push(suffix);
        let file = Path::new(&file);
        match tighten(file, 0o600) {
            Ok(true) => tracing::info!(path = %file.display(), "made private (0600)"),
            Ok(false) => {}
            Err(e) => {
                return Err(StoreError::Refused(format!(
                    "cannot make {} private: {e}",
                    file.display()
                )));
            }
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)
            .map_err(|e| StoreError::Refused(format!("cannot create {}: {e}", dir.display())))?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Refused(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}
