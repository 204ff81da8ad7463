//! Checks made before the pools open a SQLite file, so a wrong file is refused at once with
//! what is wrong and what to do (a pool would retry its failing connection setup until its
//! acquire timeout and then report only that it timed out).
use super::StoreError;
use sqlx::{AnyConnection, Connection};
use std::path::Path;
use std::time::Duration;

/// Opens one connection and reads the schema: not a database, damaged, not sitrep's, or
/// written by a newer sitrep are refused. Returns the schema version, None for a new file.
pub async fn check_sqlite(url: &str, path: &Path, known: i64) -> Result<Option<i64>, StoreError> {
    let shown = path.display();
    let check = async {
        let mut conn = AnyConnection::connect(url).await?;
        let result = read_schema(&mut conn).await;
        Ok::<_, sqlx::Error>((conn, result))
    };
    // A lock held by another process is waited for by the busy timeout; nothing here
    // should take longer than that.
    let outcome = tokio::time::timeout(Duration::from_secs(5), check)
        .await
        .map_err(|_| {
            StoreError::Refused(format!(
                "{shown} did not answer within 5 s (is another process holding it locked?)"
            ))
        })?;
    let (mut conn, found) = match outcome {
        Ok(opened) => opened,
        Err(e) => return Err(unreadable(path, &e)),
    };
    // A damaged page can sit anywhere: reading the schema touches only the first. SQLite's
    // quick check reads every page (about a second per few hundred MB), so a damaged file
    // is refused before it is served as healthy and written into. Outside the timeout above:
    // its cost grows with the file, not with anyone's lock.
    let damage = match &found {
        Ok((_, Some(_))) => quick_check(&mut conn).await,
        _ => Ok(None),
    };
    let _ = conn.close().await;
    let (tables, version) = match found {
        Ok(found) => found,
        Err(e) => return Err(unreadable(path, &e)),
    };
    match damage {
        Ok(None) => {}
        Ok(Some(first)) => return Err(damaged(path, &first)),
        Err(e) => return Err(unreadable(path, &e)),
    }
    match version {
        Some(v) if v > known => Err(StoreError::Refused(format!(
            "{shown}: {}",
            newer_schema(v, known)
        ))),
        None if tables > 0 => Err(StoreError::Refused(format!(
            "{shown} is a SQLite database but not sitrep's (it has other tables): pass --db with sitrep's database, or a new path to start an empty one"
        ))),
        _ => Ok(version),
    }
}

/// The number of tables, and the newest applied migration if sitrep's table is there.
async fn read_schema(conn: &mut AnyConnection) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::raw_sql("PRAGMA busy_timeout = 3000")
        .execute(&mut *conn)
        .await?;
    let tables: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
        .fetch_one(&mut *conn)
        .await?;
    let has: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if has == 0 {
        return Ok((tables, None));
    }
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut *conn)
        .await?;
    Ok((tables, v))
}

/// The first problem SQLite's quick check finds, or None when the file is sound.
async fn quick_check(conn: &mut AnyConnection) -> Result<Option<String>, sqlx::Error> {
    let verdict: String = sqlx::query_scalar("PRAGMA quick_check(1)")
        .fetch_one(&mut *conn)
        .await?;
    Ok((verdict != "ok").then_some(verdict))
}

fn damaged(path: &Path, first: &str) -> StoreError {
    let shown = path.display();
    // The check's words can quote names stored in the file.
    let first = crate::sanitize::clean_line(first);
    StoreError::Refused(format!(
        "{shown} is damaged (SQLite's check found: {first}): restore a backup with `sitrep restore BACKUP --db {shown}`, or move the file away to start an empty database"
    ))
}

fn unreadable(path: &Path, e: &sqlx::Error) -> StoreError {
    let shown = path.display();
    let code = e
        .as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff);
    StoreError::Refused(match code {
        // SQLITE_NOTADB, SQLITE_CORRUPT
        Some(26) | Some(11) => format!(
            "{shown} is not a usable SQLite database ({e}): restore a backup with `sitrep restore BACKUP --db {shown}`, or move the file away to start an empty database"
        ),
        // SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH
        Some(14) | Some(3) | Some(23) => format!(
            "cannot open {shown} ({e}): check that the file and its directory exist and belong to this user"
        ),
        _ => format!("cannot read {shown}: {e}"),
    })
}

/// The refusal for a database whose schema is newer than this binary.
pub fn newer_schema(found: i64, known: i64) -> String {
    format!(
        "the database has schema version {found}, written by a newer sitrep; this sitrep knows versions up to {known}. Upgrade sitrep, or restore a backup made by this version; refusing to open it so nothing newer is damaged"
    )
}
