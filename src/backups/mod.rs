//! Backups: a consistent copy of the database (SQLite `VACUUM INTO` while the server runs,
//! PostgreSQL `pg_dump`), encrypted on the way out to age recipients so a copy that leaves
//! the host is ciphertext, written atomically (temporary file, fsync, rename), and pruned by
//! a retention policy only after a new copy was written. `sitrep backup` takes one;
//! `sitrep serve --backup-every` takes them on a schedule; `sitrep restore` puts one back.
pub mod cli;
pub mod crypt;
pub mod job;
pub mod retention;
pub mod schedule;

pub use schedule::{BackupStatus, Schedule};
