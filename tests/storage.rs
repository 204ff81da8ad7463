//! The storage side of "a 2xx means durable": a full disk, a read-only file and another
//! process's lock answer 503 and recover by themselves; one server per SQLite file; local
//! commands through the running server; an event-log epoch across restores; unreadable
//! rows; refusals at start-up; private files. Mostly against the real binary.
use crate::common;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::bin::{free_port, stderr};

/// The binary with a private home, so the default database and local token live there.
/// `/events` of the server at `base` (as `token`), resuming after `last` when given.
async fn stream_events(base: &str, token: &str, last: Option<&str>) -> common::SseReader {
    let mut req = http().get(format!("{base}/events")).bearer_auth(token);
    if let Some(id) = last {
        req = req.header("Last-Event-ID", id);
    }
    common::SseReader::new(req.send().await.unwrap())
}

fn sitrep_in(home: &Path, args: &[&str]) -> Output {
    common::bin::run(Some(home), args)
}

fn command(home: &Path, args: &[&str]) -> Command {
    common::bin::command(Some(home), args)
}

/// A `sitrep serve` child, killed (-9) when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn spawn(home: &Path, db: Option<&Path>) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["serve", "--listen", &listen];
        let db_s;
        if let Some(db) = db {
            db_s = db.to_str().unwrap().to_string();
            args.extend(["--db", &db_s]);
        }
        let child = command(home, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Server { child, port }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1", self.port)
    }

    /// Waits until the server answers `/health` (whatever it says).
    async fn up(self) -> Server {
        sitrep::client::install_crypto_provider();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if reqwest::get(format!("{}/health", self.base()))
                .await
                .is_ok()
            {
                return self;
            }
            assert!(Instant::now() < deadline, "server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait: a clean stop.
    fn stop(mut self) {
        // SAFETY: signalling our own child by its pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn token_create(home: &Path, db: &Path, name: &str) -> String {
    common::bin::cli_token(Some(home), db.to_str().unwrap(), "commander", name)
}

async fn post_incident(
    base: &str,
    token: &str,
    title: &str,
    key: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut r = http()
        .post(format!("{base}/incidents"))
        .bearer_auth(token)
        .json(&json!({"title": title, "severity": "SEV3"}));
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, retry, body)
}

async fn health(base: &str) -> (StatusCode, Value) {
    let r = http().get(format!("{base}/health")).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Every incident the server lists (all pages), id → title.
async fn all_incidents(base: &str, token: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/incidents?limit=500");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let v: Value = http()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for i in v["items"].as_array().unwrap() {
            out.insert(
                i["id"].as_str().unwrap().to_string(),
                i["title"].as_str().unwrap().to_string(),
            );
        }
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// A small tmpfs, unmounted when dropped. None (with a visible message) where mounting is
/// not permitted, unless SITREP_REQUIRE_TMPFS=1 (CI), where that fails the test.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        let ok = matches!(&out, Ok(o) if o.status.success());
        if !ok {
            let why = match &out {
                Ok(o) => stderr(o),
                Err(e) => e.to_string(),
            };
            if std::env::var("SITREP_REQUIRE_TMPFS").as_deref() == Ok("1") {
                panic!("SITREP_REQUIRE_TMPFS=1 but a tmpfs cannot be mounted: {why}");
            }
            eprintln!(
                "SKIPPED: the disk-full test needs `mount -t tmpfs` (root); it could not mount: {why}"
            );
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).output();
    }
}

/// `SITREP_DB` names the local database for the console and the scripting verbs as it
/// does for `sitrep serve`; they used to ignore it and open (and make a token in) the
/// default database instead.
#[test]
fn the_scripting_verbs_use_sitrep_db() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("elsewhere.db");
    let out = command(home.path(), &["incidents", "list"])
        .env("SITREP_DB", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(db.exists(), "SITREP_DB was not used");
    assert!(
        !home.path().join("data/sitrep/sitrep.db").exists(),
        "the default database was opened instead"
    );
}

/// A clean stop folds the WAL into the database file, so the file alone (what a hand copy
/// of a stopped server's database takes) holds every committed change. It used to leave
/// an 86 KB `-wal` and a main file with none of the incidents in it.
#[tokio::test]
async fn a_clean_stop_leaves_every_change_in_the_database_file_itself() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("stop.db");
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    for n in 0..3 {
        let (s, _, b) = post_incident(&server.base(), &token, &format!("kept {n}"), None).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    server.stop();
    let wal = db.with_extension("db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the WAL still holds changes after a clean stop"
    );
    // The file alone, copied elsewhere, has all three.
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    let server = Server::spawn(home.path(), Some(&copy)).up().await;
    let stored = all_incidents(&server.base(), &token).await;
    assert_eq!(stored.len(), 3, "{stored:?}");
}

#[tokio::test]
async fn a_full_disk_gets_503_never_a_2xx_for_a_write_not_stored_and_recovers_by_itself() {
    let Some(fs) = Tmpfs::mount("3m") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let db = fs.path().join("sitrep.db");
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let base = server.base();
    assert_eq!(health(&base).await.0, StatusCode::OK);
    // Most of the space goes to a file this test can delete to make room again.
    let filler = fs.path().join("filler");
    std::fs::write(&filler, vec![7u8; 2 * 1024 * 1024]).unwrap();

    let mut acknowledged: Vec<(String, String)> = Vec::new();
    let mut refused_keys = Vec::new();
    let mut refusals = 0;
    for n in 0..3000 {
        let title = format!("disk-full write {n} {}", "x".repeat(150));
        let key = format!("k-{n}");
        let (status, retry, body) = post_incident(&base, &token, &title, Some(&key)).await;
        match status {
            StatusCode::CREATED => {
                acknowledged.push((body["id"].as_str().unwrap().to_string(), title));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                let secs: u64 = retry.expect("a 503 carries Retry-After").parse().unwrap();
                assert!(secs >= 1);
                let msg = body["error"]["message"].as_str().unwrap_or_default();
                assert!(msg.contains("disk full"), "the reason is given: {body}");
                refused_keys.push((key, title));
                refusals += 1;
                if refusals >= 30 {
                    break;
                }
            }
            other => panic!("write {n}: {other} {body} (never a 500, never another 2xx)"),
        }
    }
    assert!(refusals >= 30, "the disk never filled");
    assert!(
        !acknowledged.is_empty(),
        "some writes fit before the disk filled"
    );
    let ids: HashSet<&String> = acknowledged.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), acknowledged.len(), "an id was handed out twice");

    let (hs, hv) = health(&base).await;
    assert_eq!(hs, StatusCode::SERVICE_UNAVAILABLE, "{hv}");
    assert_eq!(hv["writes"], "unavailable: disk full", "{hv}");

    // A refused request retried while the disk is still full is refused again, not
    // answered from an idempotency key that was never stored.
    let (key, title) = refused_keys[0].clone();
    let (s, _, b) = post_incident(&base, &token, &title, Some(&key)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{b}");

    // Room again: the same server stores writes, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let (s, _, b) = post_incident(&base, &token, &title, Some(&key)).await;
    assert_eq!(s, StatusCode::CREATED, "after space returns: {b}");
    let recovered = b["id"].as_str().unwrap().to_string();
    assert!(
        !ids.contains(&recovered),
        "a fresh id, not one handed out before"
    );
    let (s, _, again) = post_incident(&base, &token, &title, Some(&key)).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        again["id"], b["id"],
        "the retried key replays the stored answer"
    );
    acknowledged.push((recovered, title));
    // Room back for good: a steady run of writes keeps fitting. The WAL is checkpointed as
    // it goes, so it cannot eat the room that came back (it did: it grew to 2.9 MB, never
    // checkpointed, filled the disk again and then could never be folded in).
    for n in 0..150 {
        let title = format!("after the disk emptied {n} {}", "y".repeat(150));
        let (s, _, b) = post_incident(&base, &token, &title, None).await;
        assert_eq!(
            s,
            StatusCode::CREATED,
            "write {n} after space returned: {b}"
        );
        acknowledged.push((b["id"].as_str().unwrap().to_string(), title));
    }
    let (hs, hv) = health(&base).await;
    assert_eq!((hs, &hv["writes"]), (StatusCode::OK, &json!("ok")), "{hv}");

    // Everything acknowledged survives kill -9, exactly as answered.
    server.kill9();
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let stored = all_incidents(&server.base(), &token).await;
    for (id, title) in &acknowledged {
        assert_eq!(
            stored.get(id),
            Some(title),
            "{id} was answered 201 but is not on disk"
        );
    }
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "nothing refused was stored"
    );
}

/// `cmd` as an unprivileged user when this test runs as root (root ignores file modes),
/// so that a mode-0444 database really is read-only for the server.
fn unprivileged(cmd: &mut Command) -> Option<Command> {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        return None;
    }
    // setpriv execs the program itself, so killing the child kills the server.
    let mut wrapped = Command::new("setpriv");
    wrapped
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(cmd.get_program());
    wrapped.args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    Some(wrapped)
}

#[tokio::test]
async fn a_read_only_database_answers_503_with_the_reason_and_reads_still_work() {
    let home = tempfile::tempdir().unwrap();
    // Reachable by an unprivileged server user when this test runs as root.
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = home.path().join("db");
    std::fs::create_dir(&dir).unwrap();
    let db = dir.join("ro.db");
    let token = token_create(home.path(), &db, "ic");
    {
        let s = Server::spawn(home.path(), Some(&db)).up().await;
        let (st, _, _) = post_incident(&s.base(), &token, "before read-only", None).await;
        assert_eq!(st, StatusCode::CREATED);
        s.stop();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    for f in std::fs::read_dir(&dir).unwrap() {
        std::fs::set_permissions(f.unwrap().path(), std::fs::Permissions::from_mode(0o666))
            .unwrap();
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = command(
        home.path(),
        &["serve", "--db", db.to_str().unwrap(), "--listen", &listen],
    );
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let mut cmd = unprivileged(&mut cmd).unwrap_or(cmd);
    let server = Server {
        child: cmd.spawn().unwrap(),
        port,
    }
    .up()
    .await;
    let base = server.base();
    let (s, retry, body) = post_incident(&base, &token, "while read-only", None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(retry.is_some());
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("read-only"),
        "{body}"
    );
    let (hs, hv) = health(&base).await;
    assert_eq!(hs, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(hv["writes"], "unavailable: database read-only");
    assert_eq!(
        all_incidents(&base, &token).await.len(),
        1,
        "reads still work"
    );
}

#[tokio::test]
async fn another_process_holding_the_write_lock_gets_503_in_seconds_then_writes_resume() {
    use sqlx::{Connection, Executor};
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("locked.db");
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let base = server.base();
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    other.execute("BEGIN EXCLUSIVE").await.unwrap();
    let started = Instant::now();
    let (s, retry, body) = post_incident(&base, &token, "while locked", None).await;
    let waited = started.elapsed();
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(retry.is_some());
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("locked by another process"),
        "{body}"
    );
    // Not an instant refusal (a short lock is waited out), and inside a client's patience.
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    assert_eq!(
        health(&base).await.1["writes"],
        "unavailable: database locked by another process"
    );
    other.execute("ROLLBACK").await.unwrap();
    let (s, _, body) = post_incident(&base, &token, "after the lock", None).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(health(&base).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_second_server_on_the_same_file_is_refused_naming_the_first() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("one.db");
    let first = Server::spawn(home.path(), Some(&db)).up().await;
    let mut second = command(
        home.path(),
        &[
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while second.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("a second server started on the same file");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = second.wait_with_output().unwrap();
    assert!(!second.status.success());
    let msg = stderr(&second);
    assert!(msg.contains("already in use"), "{msg}");
    assert!(
        msg.contains(&format!("pid {}", first.child.id())),
        "names the holder: {msg}"
    );
    assert!(
        msg.contains(&format!("http://127.0.0.1:{}", first.port)),
        "{msg}"
    );
    // Released when the first server dies, even by kill -9.
    first.kill9();
    Server::spawn(home.path(), Some(&db)).up().await;
}

#[tokio::test]
async fn local_commands_go_through_the_running_server_and_never_make_a_token_silently() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data/sitrep");
    let db = data.join("sitrep.db");
    let api_token = token_create(home.path(), &db, "ic");
    // Without a server, the local command runs one embedded, and says it made a token.
    let first = sitrep_in(home.path(), &["incidents", "list"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("created a commander token"),
        "{}",
        stderr(&first)
    );

    let server = Server::spawn(home.path(), None).up().await;
    let base = server.base();
    let (s, _, inc) = post_incident(&base, &api_token, "Checkout down", None).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = inc["id"].as_str().unwrap().to_string();
    let mut events = stream_events(&base, &api_token, None).await;
    let tokens_before = sitrep_in(home.path(), &["token", "list"]).stdout;

    let post = sitrep_in(
        home.path(),
        &[
            "update",
            "post",
            &id,
            "--audience",
            "internal",
            "--status",
            "posted locally",
        ],
    );
    assert!(post.status.success(), "{}", stderr(&post));
    let ev = events
        .next(Duration::from_secs(5))
        .await
        .expect("the local write reaches the running server's subscribers");
    assert_eq!(ev.event, "update.posted");
    assert!(ev.data.contains("posted locally"));

    // Without the local token, the command refuses and says how to reach the server.
    std::fs::remove_file(data.join("local-token")).unwrap();
    let refused = sitrep_in(
        home.path(),
        &[
            "update",
            "post",
            &id,
            "--audience",
            "internal",
            "--status",
            "again",
        ],
    );
    assert!(!refused.status.success());
    let msg = stderr(&refused);
    assert!(
        msg.contains(&format!("--api http://127.0.0.1:{}", server.port)),
        "{msg}"
    );
    assert_eq!(
        sitrep_in(home.path(), &["token", "list"]).stdout,
        tokens_before,
        "no token was created"
    );
    assert!(
        events.next(Duration::from_millis(300)).await.is_none(),
        "and nothing was written"
    );
}

#[tokio::test]
async fn after_a_restore_a_client_resuming_from_a_newer_id_gets_reset() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("live.db");
    let backup = home.path().join("backup.db");
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let base = server.base();
    for n in 0..3 {
        post_incident(&base, &token, &format!("before backup {n}"), None).await;
    }
    let out = sitrep_in(
        home.path(),
        &[
            "backup",
            "--no-encrypt",
            backup.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut sub = stream_events(&base, &token, None).await;
    for n in 0..2 {
        post_incident(&base, &token, &format!("after backup {n}"), None).await;
    }
    let _ = sub.next(Duration::from_secs(5)).await.unwrap();
    let held = sub.next(Duration::from_secs(5)).await.unwrap().id.unwrap();
    drop(sub);

    // Not while a server has the file.
    let busy = sitrep_in(
        home.path(),
        &[
            "restore",
            backup.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
    );
    assert!(!busy.status.success());
    assert!(
        stderr(&busy).contains("already in use"),
        "{}",
        stderr(&busy)
    );
    server.stop();
    let out = sitrep_in(
        home.path(),
        &[
            "restore",
            backup.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let base = server.base();
    let titles = all_incidents(&base, &token).await;
    assert_eq!(titles.len(), 3, "the backup's incidents: {titles:?}");
    // New events after the restore: in a log without epochs they would reuse `held`.
    for n in 0..4 {
        post_incident(&base, &token, &format!("after restore {n}"), None).await;
    }
    let mut resumed = stream_events(&base, &token, Some(&held.to_string())).await;
    let reset = resumed.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(reset.event, "reset", "{reset:?}");
    // Resuming from the reset's id continues without another reset.
    post_incident(&base, &token, "after the reset", None).await;
    let mut again = stream_events(&base, &token, Some(&reset.id.unwrap().to_string())).await;
    let next = again.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(next.event, "incident.created");
    assert!(next.id.unwrap() > held);

    // A backup copied into place by hand starts a new epoch too.
    server.stop();
    std::fs::remove_file(&db).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let fresh_backup = home.path().join("again.db");
    let out = sitrep_in(
        home.path(),
        &[
            "backup",
            "--no-encrypt",
            fresh_backup.to_str().unwrap(),
            "--db",
            backup.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::copy(&fresh_backup, &db).unwrap();
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    for n in 0..6 {
        post_incident(&server.base(), &token, &format!("hand copy {n}"), None).await;
    }
    let mut resumed = stream_events(&server.base(), &token, Some("4")).await;
    assert_eq!(
        resumed.next(Duration::from_secs(5)).await.unwrap().event,
        "reset"
    );
}

/// A plain copy of the file (not made by `sitrep backup`) put back by hand while no server
/// runs, even after a kill -9: the next server sees the file is not the one the last server
/// left (its stamp, or a log that ends before the last id seen), starts a new epoch, and a
/// client holding an id from the lost stretch gets `reset` instead of other events.
#[tokio::test]
async fn a_plain_file_copy_put_back_by_hand_resets_clients() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("live.db");
    let copy = home.path().join("copy.db");
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    for n in 0..2 {
        post_incident(&server.base(), &token, &format!("before copy {n}"), None).await;
    }
    server.stop();
    std::fs::copy(&db, &copy).unwrap();

    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let base = server.base();
    let mut sub = stream_events(&base, &token, None).await;
    for n in 0..3 {
        post_incident(&base, &token, &format!("lost {n}"), None).await;
    }
    let mut held = 0;
    for _ in 0..3 {
        held = sub.next(Duration::from_secs(5)).await.unwrap().id.unwrap();
    }
    drop(sub);
    // The newest id is recorded at most a second after it is published.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::copy(&copy, &db).unwrap();

    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let base = server.base();
    assert_eq!(
        all_incidents(&base, &token).await.len(),
        2,
        "the copy's incidents"
    );
    // New events that a log without the check would number like the lost ones.
    for n in 0..4 {
        post_incident(&base, &token, &format!("after copy {n}"), None).await;
    }
    let mut resumed = stream_events(&base, &token, Some(&held.to_string())).await;
    let first = resumed.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(first.event, "reset", "{first:?}");

    // An ordinary restart of the same file is not a replacement: no reset.
    let newest = first.id.unwrap();
    server.stop();
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    post_incident(&server.base(), &token, "after restart", None).await;
    let mut resumed = stream_events(&server.base(), &token, Some(&newest.to_string())).await;
    let next = resumed.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(next.event, "incident.created", "{next:?}");
}

/// `/events` resuming after `last`, which the client saw on a stream of server run `run`.
async fn stream_from_run(base: &str, token: &str, last: i64, run: &str) -> common::SseReader {
    let req = http()
        .get(format!("{base}/events"))
        .bearer_auth(token)
        .header("Last-Event-ID", last.to_string())
        .header("Sitrep-Run", run);
    common::SseReader::new(req.send().await.unwrap())
}

/// The sidecar beside the file cannot vouch for it when it travels with the file (a data
/// directory restored with `cp -a`) or is deleted: then the server cannot tell the file
/// was put back. The client can: it names the run its last id came from, and a database
/// that never saw that run (or knows a later run at that id) answers `reset`.
#[tokio::test]
async fn a_copy_put_back_with_its_sidecar_or_without_one_resets_clients_of_later_runs() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("live.db");
    let token = token_create(home.path(), &db, "ic");
    let lock = PathBuf::from(format!("{}.lock", db.display()));
    let saved = home.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    for sidecar in ["copied along", "deleted"] {
        let server = Server::spawn(home.path(), Some(&db)).up().await;
        post_incident(&server.base(), &token, "before copy", None).await;
        server.stop();
        std::fs::copy(&db, saved.join("db")).unwrap();
        std::fs::copy(&lock, saved.join("lock")).unwrap();

        let server = Server::spawn(home.path(), Some(&db)).up().await;
        let base = server.base();
        let mut sub = stream_events(&base, &token, None).await;
        let run = sub.header("sitrep-run").expect("the stream names its run");
        post_incident(&base, &token, "lost", None).await;
        let held = sub.next(Duration::from_secs(5)).await.unwrap().id.unwrap();
        drop(sub);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill9();
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        std::fs::copy(saved.join("db"), &db).unwrap();
        match sidecar {
            "copied along" => std::fs::copy(saved.join("lock"), &lock).map(drop).unwrap(),
            _ => std::fs::remove_file(&lock).unwrap(),
        }

        let server = Server::spawn(home.path(), Some(&db)).up().await;
        let base = server.base();
        // Enough new events that the held id names one of them.
        for n in 0..3 {
            post_incident(&base, &token, &format!("after copy {n}"), None).await;
        }
        let mut resumed = stream_from_run(&base, &token, held, &run).await;
        let first = resumed.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(first.event, "reset", "sidecar {sidecar}: {first:?}");
        let current = resumed.header("sitrep-run").unwrap();
        assert_ne!(current, run);

        // An ordinary restart is not a replacement: the previous run's ids still resume.
        let newest = first.id.unwrap();
        server.stop();
        let server = Server::spawn(home.path(), Some(&db)).up().await;
        post_incident(&server.base(), &token, "after restart", None).await;
        let mut resumed = stream_from_run(&server.base(), &token, newest, &current).await;
        let next = resumed.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(
            next.event, "incident.created",
            "sidecar {sidecar}: {next:?}"
        );
        // A run name that is not one (or unknown) cannot vouch for an id either.
        let mut forged = stream_from_run(&server.base(), &token, newest, "zz<script>").await;
        let first = forged.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(first.event, "reset", "{first:?}");
        server.stop();
    }
}

async fn a_new_epoch_resets_clients_holding_older_ids(t: common::TestServer) {
    for n in 0..3 {
        t.create_incident(json!({"title": format!("n{n}"), "severity": "SEV4"}))
            .await;
    }
    let store = &t.server.as_ref().unwrap().store;
    let base = store.start_new_epoch().await.unwrap();
    assert!(base > 3);
    t.create_incident(json!({"title": "next", "severity": "SEV4"}))
        .await;
    let subscribe = |id: i64| {
        t.req(Method::GET, "/events", Some(&t.viewer))
            .header("Last-Event-ID", id.to_string())
            .send()
    };
    let mut old = common::SseReader::new(subscribe(2).await.unwrap());
    let reset = old.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!((reset.event.as_str(), reset.id), ("reset", Some(base)));
    let mut current = common::SseReader::new(subscribe(base - 1).await.unwrap());
    let ev = current.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!((ev.event.as_str(), ev.id), ("incident.created", Some(base)));
}

async fn one_unreadable_row_is_left_out_and_named_not_a_500(t: common::TestServer) {
    use sqlx::{Connection, Executor};
    for (title, sev) in [("ok one", "SEV3"), ("broken", "SEV2"), ("ok two", "SEV4")] {
        t.create_incident(json!({"title": title, "severity": sev}))
            .await;
    }
    t.call(
        Method::POST,
        "/incidents/INC-2/actions",
        Some(json!({"title": "a", "owner": "o", "due_date": "2031-01-01"})),
    )
    .await;
    let store = &t.server.as_ref().unwrap().store;
    let url = match store.postgres_url() {
        Some(u) => u.to_string(),
        None => format!("sqlite://{}", t.dir.path().join("t.db").display()),
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    conn.execute(
        "UPDATE incidents SET data = REPLACE(data, '\"SEV2\"', '\"SEV9\"') WHERE id = 'INC-2'",
    )
    .await
    .unwrap();
    conn.execute("UPDATE actions SET data = '{\"id\": 7}' WHERE id = 'ACT-1'")
        .await
        .unwrap();
    let (s, v) = t.call(Method::GET, "/incidents", None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let ids: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["INC-3", "INC-1"]);
    assert_eq!(v["unreadable"][0]["id"], "INC-2", "{v}");
    assert!(
        v["unreadable"][0]["error"]
            .as_str()
            .unwrap()
            .contains("SEV9"),
        "{v}"
    );
    for path in ["/actions", "/incidents/INC-2/actions"] {
        let (s, v) = t.call(Method::GET, path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        assert_eq!(v["unreadable"][0]["id"], "ACT-1", "{path}: {v}");
    }
    // Asked for alone, the record is named with what to do, not a bare 500; a retry would
    // meet the same row, so it is not a 5xx that clients retry.
    let update = json!({"audience": "internal", "current_status": "x"});
    for (method, path, body, version, id) in [
        (Method::GET, "/incidents/INC-2", None, None, "INC-2"),
        (
            Method::PATCH,
            "/incidents/INC-2",
            Some(json!({"summary": "x"})),
            Some(1),
            "INC-2",
        ),
        (
            Method::POST,
            "/incidents/INC-2/updates",
            Some(update),
            None,
            "INC-2",
        ),
        (Method::GET, "/actions/ACT-1", None, None, "ACT-1"),
        (
            Method::PATCH,
            "/actions/ACT-1",
            Some(json!({"status": "done"})),
            Some(1),
            "ACT-1",
        ),
    ] {
        let token = t.commander.clone();
        let got = t.call_as(&token, method.clone(), path, body, version).await;
        assert_eq!(got.0, StatusCode::CONFLICT, "{method} {path}: {}", got.1);
        assert_eq!(got.1["error"]["code"], "unreadable", "{}", got.1);
        let msg = got.1["error"]["message"].as_str().unwrap();
        assert!(msg.contains(id) && msg.contains("backup"), "{msg}");
    }
    // The client flags it, as it does records it cannot read itself.
    let client = sitrep::client::ApiClient::new(
        &t.base.replace("/api/v1", ""),
        sitrep::client::Token::new(t.commander.clone()),
    )
    .unwrap();
    let (client, collected) = client.collecting();
    assert_eq!(client.list_incidents().await.unwrap().len(), 2);
    let flagged = collected.take();
    assert_eq!(flagged.len(), 1, "{flagged:?}");
    assert_eq!(flagged[0].record, "INC-2");
}

/// Every `/health` runs a write probe under the write lock, and needs no token: a flood of
/// them must not queue ahead of real writes. One probe runs at a time, and its outcome
/// answers for a second.
async fn a_flood_of_health_checks_runs_about_one_probe_a_second(t: common::TestServer) {
    let store = t.server.as_ref().unwrap().store.clone();
    let before = store.write_probes();
    let started = Instant::now();
    let checks = (0..200).map(|_| {
        let req = t.req(Method::GET, "/health", None);
        async move { req.send().await.unwrap().status() }
    });
    let answered = futures_util::future::join_all(checks).await;
    assert!(
        answered.iter().all(|s| *s == StatusCode::OK),
        "{answered:?}"
    );
    let probes = store.write_probes() - before;
    let allowed = started.elapsed().as_secs() + 2;
    assert!(
        probes <= allowed,
        "{probes} probes for 200 checks in {:?}",
        started.elapsed()
    );
    // A write still goes through at once, and /health still sees a failure of real writes.
    t.create_incident(json!({"title": "after the flood", "severity": "SEV4"}))
        .await;
}

/// A run vouches for ids on both stores only when the database knows it; on SQLite (one
/// server at a time) also only for ids handed out before the next run began.
async fn a_run_vouches_only_for_ids_this_database_knows_it_handed_out(t: common::TestServer) {
    let store = &t.server.as_ref().unwrap().store;
    let postgres = store.backend() == sitrep::server::store::Backend::Postgres;
    store.record_run("00000000000000aa").await.unwrap();
    t.create_incident(json!({"title": "a", "severity": "SEV4"}))
        .await;
    let id = store.event_bounds().await.unwrap().unwrap().1;
    assert!(store.run_covers("00000000000000aa", id).await.unwrap());
    assert!(
        !store.run_covers("00000000000000bb", id).await.unwrap(),
        "an unknown run"
    );
    assert!(!store.run_covers("not a run", id).await.unwrap());
    store.record_run("00000000000000cc").await.unwrap();
    t.create_incident(json!({"title": "b", "severity": "SEV4"}))
        .await;
    let later = store.event_bounds().await.unwrap().unwrap().1;
    assert!(store.run_covers("00000000000000aa", id).await.unwrap());
    assert!(store.run_covers("00000000000000cc", later).await.unwrap());
    // Replicas run side by side on PostgreSQL; on SQLite this id is the later run's.
    assert_eq!(
        store.run_covers("00000000000000aa", later).await.unwrap(),
        postgres
    );
}

/// A new incident, which the database cannot store now: 503.
async fn an_incident_write_is_refused(t: &common::TestServer) {
    let (status, body) = t
        .call(
            Method::POST,
            "/incidents",
            Some(json!({"title": "blocked", "severity": "SEV4"})),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

/// Any write that gets through tells `/health` that writes work again, whichever part of
/// the server made it: here a webhook delivery recorded by the delivery worker, after an
/// incident write was refused while another program held the database.
async fn a_recorded_webhook_delivery_clears_health_after_a_refused_write(t: common::TestServer) {
    use sqlx::{Connection, Executor};
    let store = t.server.as_ref().unwrap().store.clone();
    let hook = store
        .add_webhook(
            &sitrep::server::store::hash_token(&t.commander),
            &sitrep::server::store::WebhookSpec {
                url: "http://127.0.0.1:9/hook",
                events: &["*".to_string()],
                format: Default::default(),
                secret: &"s".repeat(32),
            },
        )
        .await
        .unwrap();
    // Another program holds what an incident write needs, so that write is refused.
    let mut sqlite_holder = None;
    let mut pg_holder = None;
    match store.postgres_url() {
        Some(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            c.execute("BEGIN; LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
            pg_holder = Some(c);
        }
        None => {
            let db = t.dir.path().join("t.db");
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            c.execute("BEGIN EXCLUSIVE").await.unwrap();
            sqlite_holder = Some(c);
        }
    }
    an_incident_write_is_refused(&t).await;
    if let Some(mut c) = pg_holder {
        c.execute("ROLLBACK").await.unwrap();
    }
    if let Some(mut c) = sqlite_holder {
        c.execute("ROLLBACK").await.unwrap();
    }
    let (status, health) = t.call(Method::GET, "/health", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    let delivered = sitrep::webhooks::model::Delivery {
        event_id: 1,
        kind: "incident.created".into(),
        attempt: 1,
        at: "2026-01-01T00:00:00Z".into(),
        status: Some(204),
        error: None,
        ms: 5,
    };
    assert!(store.webhook_delivered(&hook.id, &delivered).await.unwrap());
    let (status, health) = t.call(Method::GET, "/health", None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
}

on_both_stores!(
    a_flood_of_health_checks_runs_about_one_probe_a_second,
    a_run_vouches_only_for_ids_this_database_knows_it_handed_out,
    a_new_epoch_resets_clients_holding_older_ids,
    one_unreadable_row_is_left_out_and_named_not_a_500,
    a_recorded_webhook_delivery_clears_health_after_a_refused_write,
);

/// Damage that appears while the server runs (here: the write-ahead log's pages garbled
/// under it) is a 503 that says so, never a bare 500, and `/health` reports it even when
/// only reads found it (the writer's cached pages still let writes through).
#[tokio::test]
async fn damage_found_while_serving_is_named_and_reported_by_health() {
    use std::io::{Seek, SeekFrom, Write};
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("live.db");
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    let base = server.base();
    for n in 0..30 {
        post_incident(&base, &token, &format!("incident {n}"), None).await;
    }
    // Every page written since start is a WAL frame (a 24-byte header, then the page);
    // garble the pages, keep the headers.
    let wal = format!("{}-wal", db.display());
    let size = std::fs::metadata(&wal).unwrap().len();
    let mut f = std::fs::OpenOptions::new().write(true).open(&wal).unwrap();
    let mut off = 32;
    while off + 24 + 4096 <= size {
        f.seek(SeekFrom::Start(off + 24)).unwrap();
        f.write_all(&[0xA5; 4096]).unwrap();
        off += 24 + 4096;
    }
    drop(f);
    let resp = http()
        .get(format!("{base}/incidents"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "storage_unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("database damaged"), "{message}");
    let health = http().get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Value = health.json().await.unwrap();
    assert!(
        health["writes"].as_str().unwrap().contains("damaged"),
        "{health}"
    );
}

/// A file whose schema reads fine but one of whose tables is damaged: refused at start-up
/// with what to do, instead of served as healthy and written into.
#[tokio::test]
async fn a_damaged_database_is_refused_at_start_naming_the_damage() {
    use sqlx::{Connection, Executor};
    use std::io::{Seek, SeekFrom, Write};
    sqlx::any::install_default_drivers();
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("live.db");
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), Some(&db)).up().await;
    for n in 0..20 {
        post_incident(&server.base(), &token, &format!("incident {n}"), None).await;
    }
    server.stop();
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let page: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let root: i64 =
        sqlx::query_scalar("SELECT rootpage FROM sqlite_master WHERE name = 'incidents'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mut f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.seek(SeekFrom::Start(((root - 1) * page) as u64)).unwrap();
    f.write_all(&vec![0xA5; page as usize]).unwrap();
    f.sync_all().unwrap();
    drop(f);
    let started = Instant::now();
    let mut child = command(
        home.path(),
        &[
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    )
    .stderr(std::process::Stdio::piped())
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    while child.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "a damaged file was served");
    let err = stderr(&out);
    assert!(
        err.contains("is damaged") && err.contains("sitrep restore"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Files left by an earlier sitrep under umask 022 (directory 0755, database 0644) are made
/// private when a server opens them, and SQLite's new -wal and -shm follow the database.
#[tokio::test]
async fn files_left_open_by_an_earlier_install_are_made_private() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data/sitrep");
    let db = data.join("sitrep.db");
    let token = token_create(home.path(), &db, "ic");
    let open =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    open(&data, 0o755);
    open(&db, 0o644);
    std::fs::write(data.join("console.log"), "old\n").unwrap();
    open(&data.join("console.log"), 0o644);
    std::fs::write(data.join("sitrep.db.lock"), "pid=1\n").unwrap();
    open(&data.join("sitrep.db.lock"), 0o644);
    let server = Server::spawn(home.path(), None).up().await;
    post_incident(&server.base(), &token, "private", None).await;
    assert_eq!(mode(&data), 0o700, "data directory");
    for f in [
        "sitrep.db",
        "sitrep.db-wal",
        "sitrep.db-shm",
        "sitrep.db.lock",
    ] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
}

/// PostgreSQL: another program's session holds sitrep's write lock in an open transaction.
/// Writes are refused with 503 in seconds instead of hanging, reads go on meanwhile (the
/// blocked writes cannot take every connection), and writes resume when it lets go.
#[tokio::test]
async fn postgres_a_write_lock_held_elsewhere_gets_503_in_seconds_and_reads_go_on() {
    use sqlx::{Connection, Executor};
    let Some(t) = common::TestServer::on(common::Backend::Postgres).await else {
        return;
    };
    let url = t
        .server
        .as_ref()
        .unwrap()
        .store
        .postgres_url()
        .unwrap()
        .to_string();
    t.create_incident(json!({"title": "before", "severity": "SEV3"}))
        .await;
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    other
        .execute("SELECT pg_advisory_xact_lock(1366520421)")
        .await
        .unwrap();
    let started = Instant::now();
    let writes = (0..20).map(|n| {
        t.call(
            Method::POST,
            "/incidents",
            Some(json!({"title": format!("blocked {n}"), "severity": "SEV4"})),
        )
    });
    let read = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let got = t.call(Method::GET, "/incidents", None).await;
        (got, started.elapsed())
    };
    let (written, ((status, listed), read_at)) =
        tokio::join!(futures_util::future::join_all(writes), read);
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        read_at < Duration::from_secs(3),
        "the read waited {read_at:?}"
    );
    for (s, v) in &written {
        assert_eq!(*s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(14),
        "{:?}",
        started.elapsed()
    );
    other.execute("ROLLBACK").await.unwrap();
    t.create_incident(json!({"title": "after", "severity": "SEV4"}))
        .await;
}

/// PostgreSQL: another program locks one of sitrep's tables outright (ACCESS EXCLUSIVE,
/// as a migration or a VACUUM FULL does). The health probe writes elsewhere and would get
/// through, but `/health` must say what writes see: 503 while they are refused, `ok` again
/// once one is stored.
#[tokio::test]
async fn postgres_health_reports_a_table_locked_elsewhere_while_writes_are_refused() {
    use sqlx::{Connection, Executor};
    let Some(t) = common::TestServer::on(common::Backend::Postgres).await else {
        return;
    };
    let url = t
        .server
        .as_ref()
        .unwrap()
        .store
        .postgres_url()
        .unwrap()
        .to_string();
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    other
        .execute("LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    an_incident_write_is_refused(&t).await;
    let (status, health) = t.call(Method::GET, "/health", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert!(
        health["writes"].as_str().unwrap().contains("locked"),
        "{health}"
    );
    other.execute("ROLLBACK").await.unwrap();
    t.create_incident(json!({"title": "after", "severity": "SEV4"}))
        .await;
    let (status, health) = t.call(Method::GET, "/health", None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_at_once_with_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("junk.db");
    std::fs::write(&db, "this is not a database\n".repeat(400)).unwrap();
    let started = Instant::now();
    let out = sitrep_in(
        home.path(),
        &[
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
    );
    // The old behaviour was a 30 s pool timeout; this bounds a hang, it does not time.
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!out.status.success());
    let msg = stderr(&out);
    assert!(msg.contains("not a usable SQLite database"), "{msg}");
    assert!(msg.contains("sitrep restore"), "{msg}");
    assert!(!msg.contains("pool timed out"), "{msg}");
}

#[tokio::test]
async fn a_database_from_a_newer_sitrep_is_refused() {
    use sqlx::{Connection, Executor};
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("newer.db");
    token_create(home.path(), &db, "ic");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')")
        .await
        .unwrap();
    conn.close().await.unwrap();
    let out = sitrep_in(
        home.path(),
        &["token", "list", "--db", db.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let msg = stderr(&out);
    assert!(msg.contains("schema version 99"), "{msg}");
    assert!(msg.contains("newer sitrep"), "{msg}");

    let other = home.path().join("other.db");
    let mut conn =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", other.display()))
            .await
            .unwrap();
    conn.execute("CREATE TABLE notes (body TEXT)")
        .await
        .unwrap();
    conn.close().await.unwrap();
    let out = sitrep_in(
        home.path(),
        &["token", "list", "--db", other.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not sitrep's"), "{}", stderr(&out));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn database_wal_backup_lock_and_data_directory_are_private_under_a_lax_umask() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data/sitrep");
    let db = data.join("sitrep.db");
    // SAFETY: the umask is inherited by the children spawned below; this test process
    // creates nothing that depends on it meanwhile.
    let old = unsafe { libc::umask(0o022) };
    let token = token_create(home.path(), &db, "ic");
    let server = Server::spawn(home.path(), None).up().await;
    post_incident(&server.base(), &token, "private", None).await;
    let backup: PathBuf = home.path().join("b.db");
    let out = sitrep_in(
        home.path(),
        &["backup", "--no-encrypt", backup.to_str().unwrap()],
    );
    unsafe { libc::umask(old) };
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&data), 0o700, "data directory");
    for f in [
        "sitrep.db",
        "sitrep.db-wal",
        "sitrep.db-shm",
        "sitrep.db.lock",
    ] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    assert_eq!(mode(&backup), 0o600, "backup");
}

#[test]
fn console_log_and_local_token_are_private() {
    let home = tempfile::tempdir().unwrap();
    // SAFETY: as above; the console child inherits it.
    let old = unsafe { libc::umask(0o022) };
    let mut console = pty_console(home.path());
    unsafe { libc::umask(old) };
    console.screen.wait_for("LIVE", Duration::from_secs(15));
    let data = home.path().join("data/sitrep");
    for f in ["console.log", "local-token", "sitrep.db"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
    // console.log is the link to the day's file (rolled daily, a week kept), and the file
    // the appender opened itself is private too.
    let today = std::fs::read_link(data.join("console.log")).expect("console.log is a link");
    let name = today.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("console.20") && name.ends_with(".log"),
        "{name}"
    );
    assert_eq!(mode(&data.join(&name)), 0o600, "{name}");
    // While the console's embedded server runs, a local command goes through it.
    let out = sitrep_in(home.path(), &["incidents", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let _ = console.child.kill();
}

use crate::common::pty;

fn pty_console(home: &Path) -> pty::Console {
    pty::spawn(home, &[])
}

/// A database that recorded 0008 before 0007 existed (branches merged in another order)
/// gets 0007 when it is opened: migrations are applied by version, not by the newest.
async fn a_missing_earlier_migration_is_applied(db: sitrep::server::Database) {
    use sqlx::{Connection, Executor};
    let store = sitrep::server::store::Store::open(&db).await.unwrap();
    drop(store);
    let undo_0007 = [
        "DROP TABLE webhook_overdue_sent",
        "DROP TABLE webhook_deliveries",
        "DROP TABLE webhooks",
        "DELETE FROM schema_migrations WHERE version = 7",
    ];
    let versions = "SELECT version FROM schema_migrations ORDER BY version";
    let recorded: Vec<i64> = match &db {
        sitrep::server::Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for sql in undo_0007 {
                c.execute(sql).await.unwrap();
            }
            let v = sqlx::query_scalar(versions)
                .fetch_all(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
            v
        }
        sitrep::server::Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            for sql in undo_0007 {
                c.execute(sql).await.unwrap();
            }
            let v = sqlx::query_scalar(versions)
                .fetch_all(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
            v
        }
    };
    assert!(
        !recorded.contains(&7) && recorded.contains(&8),
        "{recorded:?}"
    );

    let store = sitrep::server::store::Store::open(&db).await.unwrap();
    // 0007's tables are back: a webhook can be listed again.
    assert!(store.list_webhooks().await.unwrap().is_empty());
    drop(store);
    let recorded: Vec<i64> = match &db {
        sitrep::server::Database::Sqlite(path) => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_scalar(versions)
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
        sitrep::server::Database::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(versions)
                .fetch_all(&mut c)
                .await
                .unwrap()
        }
    };
    assert!(recorded.contains(&7), "{recorded:?}");
}

#[tokio::test]
async fn a_missing_earlier_migration_is_applied_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = sitrep::server::Database::Sqlite(dir.path().join("gap.db"));
    a_missing_earlier_migration_is_applied(db).await;
}

#[tokio::test]
async fn a_missing_earlier_migration_is_applied_on_postgres() {
    let Some(url) = common::pg::fresh_database().await else {
        return;
    };
    a_missing_earlier_migration_is_applied(sitrep::server::Database::Postgres(url)).await;
}
