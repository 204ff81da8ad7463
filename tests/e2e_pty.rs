//! End to end: the real `sitrep` binary in a pseudo-terminal, connected to a real server,
//! with keys in and the screen (as a terminal emulator sees it) out.
use sitrep::client::{ApiClient, Token, install_crypto_provider};
use sitrep::domain::Role;
use sitrep::server::{self, ServerConfig};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::pty;
use pty::spawn;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_created_through_the_api_appears_on_the_console() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(ServerConfig::sqlite(
        dir.path().join("e2e.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let base = format!("http://{}", running.addr);
    let token = Token::new(
        running
            .store
            .create_token("ana", Role::Commander)
            .await
            .unwrap(),
    );
    let token_file = dir.path().join("token");
    token.write_private(&token_file).unwrap();

    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut console = spawn(
        &home,
        &["--api", &base, "--token-file", token_file.to_str().unwrap()],
    );
    console.screen.wait_for("LIVE", Duration::from_secs(15));
    assert!(
        console.screen.contents().contains(&base),
        "the header names the server"
    );

    let api = ApiClient::new(&base, token).unwrap();
    let created: serde_json::Value = api
        .post(
            "/incidents",
            &serde_json::json!({
                "title": "Disk full on db-7",
                "severity": "SEV2",
                "customer_impact": true,
                "impact_scope": "Reporting",
            }),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    console
        .screen
        .wait_for("Disk full on db-7", Duration::from_secs(10));
    let screen = console.screen.contents();
    assert!(screen.contains(&format!("SEV2 {id}")), "{screen}");
    assert!(screen.contains("Detection 1"), "{screen}");

    // A phase change made elsewhere moves the card live.
    let _: serde_json::Value = api
        .patch(
            &format!("/incidents/{id}"),
            1,
            &serde_json::json!({ "phase": "triage", "commander": "Bo Chen" }),
        )
        .await
        .unwrap();
    console.screen.wait_for("Triage 1", Duration::from_secs(10));
    console.screen.wait_for("Bo Chen", Duration::from_secs(5));

    // The selection followed the incident into Triage (it is an incident, not a row), so
    // enter opens it there: the detail with the incident's facts, then quit.
    console.keys("\r");
    console
        .screen
        .wait_for("Impact scope", Duration::from_secs(5));
    console.screen.wait_for("Reporting", Duration::from_secs(5));
    console
        .screen
        .wait_for("hosted; recovery owned by vendor", Duration::from_secs(5));
    // A lone ESC followed at once by q reads as alt-q: wait for the board first.
    console.keys("\x1b");
    console
        .screen
        .wait_for("Detection 0", Duration::from_secs(5));
    console.keys("q");
    let status = console.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    // The terminal is restored: back on the main screen. The process can exit before the
    // reader thread has fed its last bytes to the parser, so give it a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    let restored = loop {
        let alt = console
            .screen
            .parser
            .lock()
            .unwrap()
            .screen()
            .alternate_screen();
        if !alt || Instant::now() > deadline {
            break !alt;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(restored, "left the alternate screen on quit");
    running.shutdown().await;
}

#[test]
fn a_token_file_others_can_read_is_refused_before_the_ui_starts() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "abc\n").unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = crate::common::bin::run(
        Some(dir.path()),
        &[
            "--api",
            "http://127.0.0.1:9",
            "--token-file",
            token_file.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("readable by other users") && err.contains("chmod 600"),
        "{err}"
    );
    assert!(!err.contains("abc"), "the token must never be printed");
}

#[test]
fn a_remote_server_without_a_token_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::bin::run(Some(dir.path()), &["--api", "http://127.0.0.1:9"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SITREP_TOKEN") && err.contains("--token-file"),
        "{err}"
    );
}

#[test]
fn the_embedded_default_keeps_one_private_token_and_sigterm_restores_the_terminal() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let token_path = home.join("data/sitrep/local-token");
    let mut first_token = None;
    for run in 0..2 {
        let mut console = spawn(home, &[]);
        console.screen.wait_for("LIVE", Duration::from_secs(20));
        assert!(console.screen.contents().contains("local"));
        let meta = std::fs::metadata(&token_path).expect("local token file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let token = std::fs::read_to_string(&token_path).unwrap();
        match &first_token {
            None => first_token = Some(token),
            Some(t) => assert_eq!(t, &token, "created once, reused on the next start"),
        }
        if run == 0 {
            console.keys("q");
        } else {
            let pid = console.child.process_id().unwrap();
            let killed = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
        }
        console.wait_exit(Duration::from_secs(10));
        let alt = console
            .screen
            .parser
            .lock()
            .unwrap()
            .screen()
            .alternate_screen();
        assert!(!alt, "terminal restored after run {run}");
    }
    assert!(home.join("data/sitrep/sitrep.db").exists());
    assert!(
        home.join("data/sitrep/console.log").exists(),
        "logs go to a file"
    );
}

/// An Alertmanager notification as Alertmanager posts it: one alert, firing.
fn alertmanager(fingerprint: &str, annotations: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "version": "4",
        "groupKey": "{}:{alertname=\"CheckoutErrors\"}",
        "status": "firing",
        "receiver": "sitrep",
        "groupLabels": {"alertname": "CheckoutErrors"},
        "commonLabels": {"alertname": "CheckoutErrors", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.internal:9093",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "CheckoutErrors", "severity": "critical"},
            "annotations": annotations,
            "startsAt": "2026-11-29T05:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.internal:9090/graph?g0.expr=checkout",
            "fingerprint": fingerprint
        }]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_from_alertmanager_is_shown_in_the_detail_and_copied_with_y() {
    use common::bin::{cli_token, free_port, spawn_serve, wait_healthy};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "ana");
    let port = free_port();
    let mut server = spawn_serve(db, port, &[], std::process::Stdio::null());
    wait_healthy(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let send = |body: serde_json::Value| {
        let req = http
            .post(format!("{base}/api/v1/ingest/alertmanager"))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let resp = req.send().await.unwrap();
            assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
        }
    };
    send(alertmanager(
        "f1",
        serde_json::json!({
            "summary": "Checkout 5xx above 5%",
            "runbook_url": "https://runbooks.example.com/checkout-5xx",
        }),
    ))
    .await;

    let token_file = dir.path().join("token");
    Token::new(token.clone())
        .write_private(&token_file)
        .unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // 80x24, outside tmux whatever runs the tests: the OSC 52 sequence is the plain one.
    let mut c = pty::spawn_sized(
        &home,
        env!("CARGO_BIN_EXE_sitrep"),
        &["--api", &base, "--token-file", token_file.to_str().unwrap()],
        &[("TMUX", "")],
        (24, 80),
    );
    c.screen.wait_for("LIVE", Duration::from_secs(20));
    c.screen.wait_for("INC-1", Duration::from_secs(10));
    // The only incident is selected: open it, and go one tab left of the timeline.
    c.keys("\r");
    c.screen.wait_for("Links (3)", Duration::from_secs(10));
    c.keys("h");
    c.screen.wait_for("› runbook", Duration::from_secs(5));
    let screen = c.screen.contents();
    assert!(
        screen.contains("https://runbooks.example.com/checkout-5xx"),
        "{screen}"
    );
    assert!(screen.contains("(CheckoutErrors)"), "{screen}");

    // A second alert of the group fires with a dashboard: the open detail shows it live.
    send(alertmanager(
        "f2",
        serde_json::json!({
            "runbook_url": "https://runbooks.example.com/checkout-5xx",
            "dashboard_url": "https://grafana.example.com/d/checkout",
        }),
    ))
    .await;
    c.screen.wait_for(
        "https://grafana.example.com/d/checkout",
        Duration::from_secs(10),
    );
    c.screen.wait_for("Links (4)", Duration::from_secs(5));

    // y copies the marked link (the runbook) through OSC 52, and says it was sent.
    c.keys("y");
    c.screen
        .wait_for("sent runbook link", Duration::from_secs(5));
    let osc = sitrep::console::clipboard::osc52("https://runbooks.example.com/checkout-5xx", false);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !c.raw_text().contains(&osc) {
        assert!(Instant::now() < deadline, "no OSC 52 with the runbook link");
        std::thread::sleep(Duration::from_millis(20));
    }
    c.keys("q");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
    let _ = server.kill();
    let _ = server.wait();
}
