//! A prepared customer update pasted into the console, end to end: the real binary in a
//! pseudo-terminal against a real `sitrep serve`, a three-line current status pasted with
//! bracketed paste, Ctrl+S, and the update as the API stores it keeps its three lines.
use crate::common;
use crate::common::pty;

use common::bin::{cli_token, free_port, spawn_serve, wait_healthy};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_three_line_status_is_stored_with_its_three_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "ana");
    let port = free_port();
    let mut server = spawn_serve(db, port, &[], Stdio::null());
    wait_healthy(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let inc: Value = http
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(&token)
        .json(
            &json!({"title": "Checkout errors in EU", "severity": "SEV2",
            "customer_impact": true, "impact_scope": "EU checkout"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = inc["id"].as_str().unwrap().to_string();

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut c = pty::spawn(
        &home,
        &["--api", &base, "--token-file", token_file.to_str().unwrap()],
    );
    c.screen.wait_for("LIVE", Duration::from_secs(20));
    c.screen
        .wait_for("Checkout errors", Duration::from_secs(10));
    c.keys("u");
    c.screen
        .wait_for("Post a status update", Duration::from_secs(10));
    // Audience (customer, from the incident) → impact scope → current status.
    c.keys("\t\t");
    c.keys("\x1b[200~Payments work again for most users.\r\nCards issued in Spain still fail.\r\nWe are rolling back the gateway config.\x1b[201~");
    c.screen
        .wait_for("rolling back the gateway config.", Duration::from_secs(10));
    c.keys("\tNext update after the rollback completes.");
    c.keys("\x13");

    let deadline = Instant::now() + Duration::from_secs(15);
    let stored = loop {
        let page: Value = http
            .get(format!("{base}/api/v1/incidents/{id}/updates"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(u) = page["items"].as_array().and_then(|a| a.first()) {
            break u.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no update stored:\n{}",
            c.screen.contents()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stored["audience"], "customer");
    assert_eq!(
        stored["current_status"],
        "Payments work again for most users.\nCards issued in Spain still fail.\nWe are rolling back the gateway config."
    );
    assert_eq!(
        stored["next_steps"],
        "Next update after the rollback completes."
    );
    c.keys("q");
    assert!(c.exited_within(Duration::from_secs(10)));
    server.kill().unwrap();
    server.wait().unwrap();
}
