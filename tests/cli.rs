//! The real binary: token commands, and durability of answered writes through kill -9.
use crate::common;
use serde_json::{Value, json};

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::bin::{BIN, cli_token, free_port, wait_healthy};

fn sitrep(args: &[&str]) -> std::process::Output {
    common::bin::run(None, args)
}

fn spawn_server(db: &str, port: u16) -> Child {
    common::bin::spawn_serve(db, port, &[], std::process::Stdio::piped())
}

#[test]
fn token_create_prints_only_the_token_and_list_never_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let db = db.to_str().unwrap();
    let out = sitrep(&[
        "token",
        "create",
        "--role",
        "responder",
        "--name",
        "pager-bot",
        "--db",
        db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one line: the token");
    let token = stdout.trim();
    assert!(token.starts_with("sitrep_") && token.len() > 40);

    let dup = sitrep(&[
        "token",
        "create",
        "--role",
        "viewer",
        "--name",
        "pager-bot",
        "--db",
        db,
    ]);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let bad_role = sitrep(&[
        "token", "create", "--role", "admin", "--name", "x", "--db", db,
    ]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("commander"));

    let list = sitrep(&["token", "list", "--db", db]);
    let listed = String::from_utf8(list.stdout).unwrap();
    assert!(listed.contains("pager-bot") && listed.contains("responder"));
    assert!(!listed.contains(token));
    let raw = std::fs::read(dir.path().join("t.db")).unwrap();
    assert!(
        !String::from_utf8_lossy(&raw).contains(token),
        "only the hash is stored"
    );

    assert!(
        sitrep(&["token", "revoke", "pager-bot", "--db", db])
            .status
            .success()
    );
    let again = sitrep(&["token", "revoke", "pager-bot", "--db", db]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&sitrep(&["token", "list", "--db", db]).stdout).contains("revoked")
    );
}

#[tokio::test]
async fn an_answered_write_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("durable.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "ic");
    let port = free_port();
    let mut server = spawn_server(db, port);
    wait_healthy(port).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let resp = http
        .post(format!("{base}/incidents"))
        .bearer_auth(&token)
        .json(&json!({"title": "Power loss in rack 7", "severity": "SEV1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
    // SIGKILL right after the 201: no shutdown hook, no flush.
    server.kill().unwrap();
    server.wait().unwrap();

    let port = free_port();
    let mut server = spawn_server(db, port);
    wait_healthy(port).await;
    let got: Value = http
        .get(format!("http://127.0.0.1:{port}/api/v1/incidents/INC-1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["title"], "Power loss in rack 7");
    server.kill().unwrap();
    let _ = server.wait();
    // The server's log never carries the token.
    let mut stderr = String::new();
    use std::io::Read;
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains(&token));
}

#[tokio::test]
async fn backup_copies_a_live_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "ic");
    let port = free_port();
    let mut server = spawn_server(db, port);
    wait_healthy(port).await;
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/incidents"))
        .bearer_auth(&token)
        .json(&json!({"title": "Backed up", "severity": "SEV3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);

    // While the server runs.
    let copy = dir.path().join("copy.db");
    let out = sitrep(&["backup", "--no-encrypt", copy.to_str().unwrap(), "--db", db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = sitrep(&["backup", "--no-encrypt", copy.to_str().unwrap(), "--db", db]);
    assert!(!again.status.success(), "never overwrites an existing file");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    server.kill().unwrap();
    let _ = server.wait();

    // The copy is a working database with the incident and the token.
    let port = free_port();
    let mut restored = spawn_server(copy.to_str().unwrap(), port);
    wait_healthy(port).await;
    let got: Value = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/api/v1/incidents/INC-1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["title"], "Backed up");
    restored.kill().unwrap();
    let _ = restored.wait();
}

#[test]
fn database_flag_takes_only_postgres_urls_and_never_prints_the_password() {
    let out = sitrep(&["token", "list", "--database", "/tmp/x.db"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
    // An unreachable server: the error names the host but not the password.
    let out = Command::new(BIN)
        .args(["token", "list"])
        .env(
            "SITREP_DATABASE_URL",
            "postgres://ops:hunter2@127.0.0.1:1/sitrep",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test]
async fn a_body_trickled_too_slowly_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("slow.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "ic");
    let port = free_port();
    let mut server = spawn_server(db, port);
    wait_healthy(port).await;
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\""
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut reply = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), sock.read(&mut reply))
        .await
        .expect("the server answers")
        .unwrap();
    let reply = String::from_utf8_lossy(&reply[..n]);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("body_timeout"));
    assert!(started.elapsed() >= Duration::from_secs(9));
    server.kill().unwrap();
    let _ = server.wait();
}

#[tokio::test]
async fn scripting_verbs_follow_the_console_rules_and_exit_codes() {
    sitrep::client::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "runbook");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &token).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let port = free_port();
    let mut server = spawn_server(db, port);
    wait_healthy(port).await;
    let api = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{api}/api/v1/incidents"))
        .bearer_auth(&token)
        .json(&json!({"title": "Queue backlog", "severity": "SEV2", "customer_impact": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["id"], "INC-1");
    let tf = token_file.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut full = vec!["--api", api.as_str(), "--token-file", tf];
        full.extend_from_slice(args);
        sitrep(&full)
    };

    let out = run(&["incidents", "list", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["id"], "INC-1");
    let table =
        String::from_utf8(run(&["incidents", "list", "--severity", "SEV2"]).stdout).unwrap();
    assert!(
        table.contains("INC-1") && table.contains("Queue backlog"),
        "{table}"
    );
    assert!(
        !String::from_utf8(run(&["incidents", "list", "--severity", "SEV1"]).stdout)
            .unwrap()
            .contains("INC-1")
    );

    // A customer update from a runbook, then the report shows it.
    let out = run(&[
        "update",
        "post",
        "INC-1",
        "--audience",
        "customer",
        "--impact",
        "EU queue consumers",
        "--status",
        "Draining the backlog",
        "--next",
        "Scale consumers",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "UPD-1");
    let report = String::from_utf8(run(&["report", "INC-1"]).stdout).unwrap();
    assert!(report.starts_with("# INC-1 — Queue backlog"), "{report}");
    assert!(report.contains("**Impact scope:** EU queue consumers"));
    assert!(report.contains("## Durations"));
    let json_report: Value =
        serde_json::from_slice(&run(&["report", "INC-1", "--format", "json"]).stdout).unwrap();
    assert_eq!(
        json_report["updates"][0]["current_status"],
        "Draining the backlog"
    );
    let show = String::from_utf8(run(&["incident", "show", "INC-1"]).stdout).unwrap();
    assert!(show.contains("last update (customer"), "{show}");

    // Refused by the server: exit 1 with the server's reason on stderr.
    let out = run(&[
        "update",
        "post",
        "INC-1",
        "--audience",
        "customer",
        "--status",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("impact_scope"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["incident", "show", "INC-404"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // Bad usage: exit 2.
    assert_eq!(
        run(&["incidents", "list", "--phase", "resolved"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&[
            "update",
            "post",
            "INC-1",
            "--audience",
            "everyone",
            "--status",
            "x"
        ])
        .status
        .code(),
        Some(2)
    );
    // A token file others can read is refused, and the token never shows in the error.
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&["incidents", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("600"), "{err}");
    assert!(!err.contains(&token));
    // The environment variable works too.
    let out = Command::new(BIN)
        .args(["--api", &api, "actions", "list", "--json"])
        .env("SITREP_TOKEN", &token)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!([])
    );
    server.kill().unwrap();
    let _ = server.wait();
}

/// Each subcommand's `--help` offers only what it uses: the server's and the backup's no
/// console flags, the scripting verbs the connection flags (also after the verb), and the
/// console itself all of them.
#[test]
fn each_subcommand_offers_only_its_own_flags() {
    let help = |args: &[&str]| {
        let out = sitrep(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    for cmd in ["serve", "backup", "restore", "token", "openapi"] {
        let h = help(&[cmd, "--help"]);
        for flag in [
            "--mouse",
            "--theme",
            "--pagerduty-url",
            "--api",
            "--read-only",
        ] {
            assert!(
                !h.contains(flag),
                "`sitrep {cmd} --help` offers {flag}:\n{h}"
            );
        }
    }
    let list = help(&["incidents", "list", "--help"]);
    assert!(
        list.contains("--api") && list.contains("--token-file"),
        "{list}"
    );
    assert!(
        !list.contains("--mouse") && !list.contains("--theme"),
        "{list}"
    );
    let demo = help(&["demo", "--help"]);
    assert!(
        demo.contains("--mouse") && demo.contains("--theme"),
        "{demo}"
    );
    assert!(!demo.contains("--api"), "{demo}");
    let wall = help(&["wall", "--help"]);
    assert!(wall.contains("--api") && wall.contains("--theme"), "{wall}");
    assert!(!wall.contains("--mouse"), "{wall}");
    let top = help(&["--help"]);
    for flag in ["--api", "--mouse", "--theme", "--read-only"] {
        assert!(top.contains(flag), "{top}");
    }
    let create = help(&["token", "create", "--help"]);
    assert!(create.contains("commander (everything"), "{create}");
    assert!(create.contains("--expires-in"), "{create}");
}

/// A URL that is not a sitrep API (here a web server answering 404 with a page) is named
/// as such, rather than only `HTTP 404 Not Found`; flags work before and after the verb.
#[tokio::test]
async fn a_url_that_is_not_a_sitrep_server_is_called_that() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let page = "<html><body>Not here</body></html>";
                let _ = sock
                    .write_all(
                        format!(
                            "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                            page.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    for args in [
        vec!["incidents", "list", "--api", url.as_str()],
        vec!["--api", url.as_str(), "incidents", "list"],
    ] {
        let out = tokio::task::spawn_blocking({
            let home = home.path().to_path_buf();
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                common::bin::command(Some(&home), &args)
                    .env("SITREP_TOKEN", "sitrep_not_a_real_token")
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("does not answer like a sitrep server") && err.contains(&url),
            "{args:?}: {err}"
        );
        assert!(!err.contains("sitrep_not_a_real_token"), "{err}");
    }
}
