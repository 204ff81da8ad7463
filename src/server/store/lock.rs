//! One server per SQLite file. Each server pumps events from its own commits only, so a
//! second server on the same file would show its subscribers LIVE while they miss every
//! change made through the first. A server holds an advisory lock on `<db>.lock` for its
//! lifetime (the kernel drops it when the process dies, even by kill -9) and writes its pid
//! and address there, so a second one is refused with who holds the file, and local
//! commands can find the running server and go through it. The sidecar is named after the
//! file's canonical path (a symlink or `..` leads to the same one), and the database file
//! itself is locked too, so a hard link to it (another name, same file) is refused as well:
//! a server on a hard link would keep its own WAL and lose the other's commits.
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Held while this process serves the database; released on drop or exit.
#[derive(Debug)]
pub struct ServerLock {
    file: File,
    path: PathBuf,
    /// The database file, locked by inode (absent until the file exists).
    _db: Option<File>,
    /// What the previous server on this file recorded, read before it is overwritten.
    previous: LastRun,
    /// What this server records, kept across rewrites.
    run: LastRun,
    addr: Option<SocketAddr>,
}

/// What a server records beside the file about the database it served: the instance stamp
/// it wrote into the database, and the newest event id it saw committed. A database file
/// put back from an older copy while no server ran disagrees with one or the other, and its
/// event ids would name other events than the ones consoles hold (see `epoch`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastRun {
    pub instance: Option<String>,
    pub events: Option<i64>,
}

/// Who holds a database's lock, as written in the lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    /// Where that server listens, once it does (a loopback address for a wildcard bind).
    pub addr: Option<SocketAddr>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.pid, self.addr) {
            (Some(pid), Some(addr)) => write!(f, "sitrep (pid {pid}) serving http://{addr}"),
            (Some(pid), None) => write!(f, "sitrep (pid {pid})"),
            _ => write!(f, "another sitrep process"),
        }
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{db} is already in use by {holder}; one server per SQLite file (stop that one, or connect to it with --api)"
    )]
    Held { db: String, holder: Holder },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// `<db>.lock`, next to the database, named after its canonical path.
pub fn lock_path(db: &Path) -> PathBuf {
    let db = canonical(db);
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

/// The database's path with symlinks and `..` resolved; for a file not created yet, its
/// directory's (which may itself be reached through a link).
fn canonical(db: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(db) {
        return p;
    }
    match (
        db.parent().filter(|d| !d.as_os_str().is_empty()),
        db.file_name(),
    ) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or_else(|_| db.to_path_buf()),
        _ => db.to_path_buf(),
    }
}

/// An exclusive, non-blocking flock(2); false when another descriptor holds it. SQLite's
/// own locks are POSIX record locks, which do not interact with flock on local file systems.
fn flock(file: &File) -> std::io::Result<bool> {
    // SAFETY: flock on a descriptor the caller owns; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

impl ServerLock {
    /// Takes the lock without waiting, or says who holds it.
    pub fn acquire(db: &Path) -> Result<ServerLock, LockError> {
        let mut lock = Self::try_lock(db)?;
        let path = lock.path.display().to_string();
        let mut text = String::new();
        let _ = lock.file.read_to_string(&mut text);
        lock.previous = parse_run(&text);
        // Kept until this server records its own, so a server that stops before it does
        // leaves the last record standing.
        lock.run = lock.previous.clone();
        lock.write()
            .map_err(|source| LockError::Io { path, source })?;
        Ok(lock)
    }

    /// What the previous server on this file recorded (empty for a file never served, or
    /// served by a sitrep that did not record it).
    pub fn previous(&self) -> &LastRun {
        &self.previous
    }

    /// What this server has recorded so far.
    pub fn current(&self) -> &LastRun {
        &self.run
    }

    /// Records this server's instance stamp and newest event id.
    pub fn record(&mut self, run: LastRun) -> std::io::Result<()> {
        if run == self.run {
            return Ok(());
        }
        self.run = run;
        self.write()?;
        self.file.sync_data()
    }

    fn try_lock(db: &Path) -> Result<ServerLock, LockError> {
        let path = lock_path(db);
        let io = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            super::files::create_private_dir(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        // A sidecar left by an earlier sitrep under a lax umask names the server's pid and
        // address and the database's stamp: private like the database.
        super::files::tighten(&path, 0o600).map_err(io)?;
        if !flock(&file).map_err(io)? {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(LockError::Held {
                db: db.display().to_string(),
                holder: parse(&text),
            });
        }
        // The same file under another name (a hard link) has another sidecar: the file's
        // own lock catches it.
        let db_file = match File::open(db) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(LockError::Io {
                    path: db.display().to_string(),
                    source: e,
                });
            }
        };
        if let Some(f) = &db_file {
            let held = !flock(f).map_err(|source| LockError::Io {
                path: db.display().to_string(),
                source,
            })?;
            if held {
                return Err(LockError::Held {
                    db: db.display().to_string(),
                    holder: Holder::default(),
                });
            }
        }
        Ok(ServerLock {
            file,
            path,
            _db: db_file,
            previous: LastRun::default(),
            run: LastRun::default(),
            addr: None,
        })
    }

    /// Records the address this server listens on, for local commands to reach it.
    pub fn announce(&mut self, addr: SocketAddr) -> std::io::Result<()> {
        self.addr = Some(addr);
        self.write()
    }

    fn write(&mut self) -> std::io::Result<()> {
        let mut text = format!("pid={}\n", std::process::id());
        if let Some(instance) = &self.run.instance {
            text.push_str(&format!("instance={instance}\n"));
        }
        if let Some(events) = self.run.events {
            text.push_str(&format!("events={events}\n"));
        }
        if let Some(mut a) = self.addr {
            if a.ip().is_unspecified() {
                a.set_ip(match a {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            text.push_str(&format!("addr={a}\n"));
        }
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Who holds `db`'s lock now, if anyone does (the lock is probed, not taken).
pub fn holder(db: &Path) -> Option<Holder> {
    match ServerLock::try_lock(db) {
        Ok(_) => None,
        Err(LockError::Held { holder, .. }) => Some(holder),
        Err(LockError::Io { .. }) => None,
    }
}

fn parse_run(text: &str) -> LastRun {
    let mut run = LastRun::default();
    for line in text.lines() {
        match line.split_once('=') {
            Some(("instance", v)) if !v.trim().is_empty() => run.instance = Some(v.trim().into()),
            Some(("events", v)) => run.events = v.trim().parse().ok(),
            _ => {}
        }
    }
    run
}

fn parse(text: &str) -> Holder {
    let mut h = Holder::default();
    for line in text.lines() {
        match line.split_once('=') {
            Some(("pid", v)) => h.pid = v.trim().parse().ok(),
            Some(("addr", v)) => h.addr = v.trim().parse().ok(),
            _ => {}
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let mut first = ServerLock::acquire(&db).unwrap();
        first.announce("0.0.0.0:7878".parse().unwrap()).unwrap();
        let err = ServerLock::acquire(&db).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("http://127.0.0.1:7878"), "{msg}");
        assert_eq!(
            holder(&db).and_then(|h| h.addr),
            Some("127.0.0.1:7878".parse().unwrap())
        );
        drop(first);
        assert!(holder(&db).is_none(), "released on drop");
        ServerLock::acquire(&db).unwrap();
    }

    #[test]
    fn what_a_server_recorded_is_read_back_by_the_next_and_kept_until_it_records_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let mut first = ServerLock::acquire(&db).unwrap();
        assert_eq!(first.previous(), &LastRun::default());
        let run = LastRun {
            instance: Some("a1b2".into()),
            events: Some(42),
        };
        first.record(run.clone()).unwrap();
        first.announce("127.0.0.1:7878".parse().unwrap()).unwrap();
        drop(first);
        let second = ServerLock::acquire(&db).unwrap();
        assert_eq!(second.previous(), &run, "the address rewrite kept it");
        drop(second);
        assert_eq!(
            ServerLock::acquire(&db).unwrap().previous(),
            &run,
            "a server that recorded nothing leaves the last record"
        );
    }

    #[test]
    fn the_same_file_under_another_name_is_refused_too() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        std::fs::write(&db, b"").unwrap();
        let _first = ServerLock::acquire(&db).unwrap();
        let sym = dir.path().join("sym.db");
        std::os::unix::fs::symlink(&db, &sym).unwrap();
        let hard = dir.path().join("hard.db");
        std::fs::hard_link(&db, &hard).unwrap();
        let dotted = dir.path().join("sub/../s.db");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for other in [&sym, &hard, &dotted] {
            let err = ServerLock::acquire(other).unwrap_err();
            assert!(
                matches!(err, LockError::Held { .. }),
                "{}: {err}",
                other.display()
            );
        }
    }
}
