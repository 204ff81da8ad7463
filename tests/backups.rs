//! Encrypted backups as an operator takes them: `sitrep backup` while a server writes, the
//! real `age` CLI decrypting the result, retention in a directory, `sitrep restore` with an
//! identity file, scheduled backups inside `sitrep serve`, and PostgreSQL through pg_dump.
use crate::common;
use common::bin::{CliDb, Served, run, stderr};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The real `age` tool, or None (a loud skip) outside CI; CI installs it, so there a
/// missing one fails.
fn age_cli() -> Option<()> {
    let found = Command::new("age")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(());
    }
    if std::env::var_os("CI").is_some() {
        panic!("the age CLI is required when CI is set (apt-get install age)");
    }
    eprintln!("SKIPPED: the age CLI is not installed (apt-get install age)");
    None
}

/// A new identity file from `age-keygen`, and its recipient.
fn keygen(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("backup-key.txt");
    let out = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = Command::new("age-keygen")
        .arg("-y")
        .arg(&key)
        .output()
        .unwrap();
    (
        key,
        String::from_utf8(out.stdout).unwrap().trim().to_string(),
    )
}

/// `age -d -i KEY -o OUT FILE`, with the real tool.
fn age_decrypt(key: &Path, file: &Path, out: &Path) {
    let o = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(key)
        .arg("-o")
        .arg(out)
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "age -d: {o:?}");
}

async fn sqlite_scalar(db: &Path, sql: &str) -> String {
    use sqlx::Connection;
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
    let v: String = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
    conn.close().await.ok();
    v
}

fn backups_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

async fn post(port: u16, token: &str, title: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/incidents"))
        .bearer_auth(token)
        .json(&json!({"title": title, "severity": "SEV2"}))
        .send()
        .await
        .unwrap()
        .status()
}

/// `sitrep backup FILE --db DB --recipient R`, which must succeed.
fn backup_to(file: &Path, db: &str, recipient: &str) {
    let out = run(
        None,
        &[
            "backup",
            file.to_str().unwrap(),
            "--db",
            db,
            "--recipient",
            recipient,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test]
async fn an_encrypted_backup_taken_while_the_server_writes_decrypts_with_the_real_age() {
    let Some(()) = age_cli() else { return };
    let home = CliDb::new("sitrep.db", "ops");
    let (dir, db_s, token) = (&home.dir, home.db_str(), &home.token);
    let server = Served::start(db_s, &[]).await;
    let port = server.port;
    for n in 0..5 {
        assert!(post(port, token, &format!("before {n}")).await.is_success());
    }
    // Writes keep arriving during the backup.
    let writer = {
        let token = token.clone();
        tokio::spawn(async move {
            for n in 0..40 {
                post(port, &token, &format!("during {n}")).await;
            }
        })
    };
    let (key, recipient) = keygen(dir.path());
    let out_dir = dir.path().join("backups");
    let out = run(
        None,
        &[
            "backup",
            "--db",
            db_s,
            "--dir",
            out_dir.to_str().unwrap(),
            "--recipient",
            &recipient,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    writer.await.unwrap();
    server.kill();

    let names = backups_in(&out_dir);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        names[0].starts_with("sitrep-") && names[0].ends_with("Z.db.age"),
        "{names:?}"
    );
    let file = out_dir.join(&names[0]);
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    assert!(
        !bytes.windows(16).any(|w| w == b"SQLite format 3\0"),
        "the backup is ciphertext"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let plain = dir.path().join("decrypted.db");
    age_decrypt(&key, &file, &plain);
    assert_eq!(sqlite_scalar(&plain, "PRAGMA integrity_check").await, "ok");
    let count: String = sqlite_scalar(&plain, "SELECT CAST(COUNT(*) AS TEXT) FROM incidents").await;
    let count: usize = count.parse().unwrap();
    assert!((5..=45).contains(&count), "{count} incidents");
}

#[test]
fn a_backup_without_recipients_or_no_encrypt_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sitrep.db");
    let copy = dir.path().join("copy.db");
    let out = run(
        None,
        &[
            "backup",
            copy.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("--recipient") && err.contains("--no-encrypt"),
        "{err}"
    );
    assert!(!copy.exists());
    let out = run(
        None,
        &[
            "backup",
            copy.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--recipient",
            "age1notakey",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--recipient #1"), "{}", stderr(&out));
}

#[tokio::test]
async fn retention_prunes_after_a_good_backup_and_never_after_a_failed_one() {
    let Some(()) = age_cli() else { return };
    let home = CliDb::new("sitrep.db", "ops");
    let (dir, db_s) = (&home.dir, home.db_str());
    let (_, recipient) = keygen(dir.path());
    let out_dir = dir.path().join("backups");
    std::fs::create_dir(&out_dir).unwrap();
    let old = [
        "sitrep-20250101T000000Z.db.age",
        "sitrep-20250102T000000Z.db.age",
        "sitrep-20250103T000000Z.db.age",
    ];
    for name in old.iter().chain(["notes.txt"].iter()) {
        std::fs::write(out_dir.join(name), b"x").unwrap();
    }
    let backup = |db: &str| {
        run(
            None,
            &[
                "backup",
                "--db",
                db,
                "--dir",
                out_dir.to_str().unwrap(),
                "--recipient",
                &recipient,
                "--keep-last",
                "2",
            ],
        )
    };
    // A failed backup (the database cannot be read) prunes nothing.
    let bad = dir.path().join("not-a-db");
    std::fs::write(
        &bad,
        b"this is not a database, it is long enough to be read as one",
    )
    .unwrap();
    let out = backup(bad.to_str().unwrap());
    assert!(!out.status.success());
    assert_eq!(backups_in(&out_dir).len(), 4, "{:?}", backups_in(&out_dir));

    let out = backup(db_s);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let left = backups_in(&out_dir);
    // The new one and the newest old one (keep-last 2); notes.txt is not a backup.
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left.contains(&old[2].to_string()), "{left:?}");
    assert!(left.contains(&"notes.txt".to_string()));
    assert!(
        stdout.contains("pruned") && stdout.contains(old[0]),
        "{stdout}"
    );
}

#[tokio::test]
async fn restore_decrypts_checks_and_refuses_a_database_a_server_holds() {
    let Some(()) = age_cli() else { return };
    let home = CliDb::new("sitrep.db", "ops");
    let (dir, db, db_s, token) = (&home.dir, &home.db, home.db_str(), &home.token);
    let server = Served::start(db_s, &[]).await;
    let port = server.port;
    assert!(post(port, token, "in the backup").await.is_success());
    let (key, recipient) = keygen(dir.path());
    let file = dir.path().join("b.db.age");
    backup_to(&file, db_s, &recipient);
    assert!(post(port, token, "after the backup").await.is_success());

    let restore = |extra: &[&str]| {
        let mut args = vec!["restore", file.to_str().unwrap(), "--db", db_s];
        args.extend_from_slice(extra);
        run(None, &args)
    };
    let key_s = key.to_str().unwrap();
    let busy = restore(&["--identity", key_s]);
    assert!(!busy.status.success());
    assert!(
        stderr(&busy).contains("already in use"),
        "{}",
        stderr(&busy)
    );
    server.kill();

    let no_key = restore(&[]);
    assert!(!no_key.status.success());
    assert!(
        stderr(&no_key).contains("--identity"),
        "{}",
        stderr(&no_key)
    );
    let (other_key, _) = {
        let d = dir.path().join("other");
        std::fs::create_dir(&d).unwrap();
        keygen(&d)
    };
    // An identity other users can read is not used (whoever reads it can decrypt).
    {
        use std::os::unix::fs::PermissionsExt;
        let lax = dir.path().join("lax-key.txt");
        std::fs::copy(&key, &lax).unwrap();
        std::fs::set_permissions(&lax, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = restore(&["--identity", lax.to_str().unwrap()]);
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains("chmod 600"),
            "{}",
            stderr(&refused)
        );
    }
    let wrong = restore(&["--identity", other_key.to_str().unwrap()]);
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("cannot decrypt"),
        "{}",
        stderr(&wrong)
    );

    let out = restore(&["--identity", key_s]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("integrity check ok"),
        "{out:?}"
    );
    let titles = sqlite_scalar(
        db,
        "SELECT group_concat(json_extract(data, '$.title'), '|') FROM incidents",
    )
    .await;
    assert_eq!(titles, "in the backup");
    // No decrypted copy is left behind.
    let leftovers: Vec<_> = backups_in(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".sitrep-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn a_damaged_encrypted_backup_is_refused_and_the_database_kept() {
    let Some(()) = age_cli() else { return };
    let home = CliDb::new("sitrep.db", "ops");
    let (dir, db, db_s) = (&home.dir, &home.db, home.db_str());
    let (key, recipient) = keygen(dir.path());
    let file = dir.path().join("b.db.age");
    backup_to(&file, db_s, &recipient);
    let mut bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 0xff;
    std::fs::write(&file, &bytes).unwrap();
    let before = std::fs::read(db).unwrap();
    let out = run(
        None,
        &[
            "restore",
            file.to_str().unwrap(),
            "--db",
            db_s,
            "--identity",
            key.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("decrypting"), "{}", stderr(&out));
    assert_eq!(std::fs::read(db).unwrap(), before);
}

#[tokio::test]
async fn serve_takes_scheduled_backups_and_keeps_the_newest() {
    let Some(()) = age_cli() else { return };
    let home = CliDb::new("sitrep.db", "ops");
    let (dir, db_s, token) = (&home.dir, home.db_str(), &home.token);
    let (key, recipient) = keygen(dir.path());
    let out_dir = dir.path().join("scheduled");
    let server = Served::start(
        db_s,
        &[
            "--backup-every",
            "1s",
            "--backup-dir",
            out_dir.to_str().unwrap(),
            "--recipient",
            &recipient,
            "--keep-last",
            "2",
        ],
    )
    .await;
    let port = server.port;
    assert!(post(port, token, "scheduled").await.is_success());
    // Bounded wait for a third backup (the first two are kept, the third prunes one).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 3 {
        assert!(Instant::now() < deadline, "scheduled backups: {seen:?}");
        if out_dir.exists() {
            seen.extend(
                backups_in(&out_dir)
                    .into_iter()
                    .filter(|n| n.ends_with(".db.age")),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Monitoring sees when the last scheduled backup succeeded, and no failure.
    let metrics = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{name} missing: {metrics}"))
            .parse()
            .unwrap()
    };
    let last = series("sitrep_backup_last_success_timestamp_seconds");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(last > 0.0 && last <= now && now - last < 60.0, "{metrics}");
    assert_eq!(series("sitrep_backup_failures_total"), 0.0, "{metrics}");
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    for name in [
        "sitrep_backup_last_success_timestamp_seconds",
        "sitrep_backup_failures_total",
    ] {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "docs/metrics.md lacks {name}"
        );
    }
    server.kill();
    let left: Vec<String> = backups_in(&out_dir)
        .into_iter()
        .filter(|n| n.ends_with(".db.age"))
        .collect();
    assert!(
        (1..=2).contains(&left.len()),
        "keep-last 2 inside the server: {left:?}"
    );
    let newest = out_dir.join(left.last().unwrap());
    let plain = dir.path().join("newest.db");
    age_decrypt(&key, &newest, &plain);
    assert_eq!(sqlite_scalar(&plain, "PRAGMA integrity_check").await, "ok");
    assert_eq!(
        sqlite_scalar(
            &plain,
            "SELECT group_concat(json_extract(data, '$.title'), '|') FROM incidents"
        )
        .await,
        "scheduled"
    );
}

#[tokio::test]
async fn a_postgres_backup_is_a_pg_dump_that_restores_with_the_same_rows_and_event_ids() {
    let Some(()) = age_cli() else { return };
    let Some(t) = common::TestServer::on(common::Backend::Postgres).await else {
        return;
    };
    for n in 0..4 {
        t.create_incident(json!({"title": format!("pg {n}"), "severity": "SEV3"}))
            .await;
    }
    let url = t
        .server
        .as_ref()
        .unwrap()
        .store
        .postgres_url()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = keygen(dir.path());
    let out_dir = dir.path().join("pg");
    let out = common::bin::command(
        None,
        &[
            "backup",
            "--dir",
            out_dir.to_str().unwrap(),
            "--recipient",
            &recipient,
        ],
    )
    .env("SITREP_DATABASE_URL", &url)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let names = backups_in(&out_dir);
    assert_eq!(names.len(), 1);
    assert!(names[0].ends_with(".pgdump.age"), "{names:?}");
    let file = out_dir.join(&names[0]);

    // The real age and the real pg_restore, into a fresh database.
    let dump = dir.path().join("dump");
    age_decrypt(&key, &file, &dump);
    let fresh = common::pg::fresh_database().await.unwrap();
    let o = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname", &fresh])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(o.status.success(), "pg_restore: {o:?}");
    // And sitrep's own restore into another.
    let fresh2 = common::pg::fresh_database().await.unwrap();
    let o = common::bin::command(
        None,
        &[
            "restore",
            file.to_str().unwrap(),
            "--identity",
            key.to_str().unwrap(),
        ],
    )
    .env("SITREP_DATABASE_URL", &fresh2)
    .output()
    .unwrap();
    assert!(o.status.success(), "sitrep restore: {}", stderr(&o));

    async fn facts(url: &str) -> (i64, i64, Vec<i64>) {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let incidents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents")
            .fetch_one(&mut c)
            .await
            .unwrap();
        let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tokens")
            .fetch_one(&mut c)
            .await
            .unwrap();
        let events: Vec<i64> = sqlx::query_scalar("SELECT seq FROM events ORDER BY seq")
            .fetch_all(&mut c)
            .await
            .unwrap();
        c.close().await.ok();
        (incidents, tokens, events)
    }
    let original = facts(&url).await;
    assert_eq!(original.0, 4);
    assert!(!original.2.is_empty());
    assert_eq!(facts(&fresh).await, original);
    assert_eq!(facts(&fresh2).await, original);
}
