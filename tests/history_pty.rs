//! The closed history in the real console: the `sitrep` binary in a pseudo-terminal against
//! a real server whose closed incidents are older than the console's 24-hour window. `z`
//! fetches the newest closed page, scrolling to the end fetches the next one, and the footer
//! says how much is shown.
use chrono::{Duration as CDuration, Utc};
use serde_json::json;
use sitrep::client::{Token, install_crypto_provider};
use sitrep::domain::{IncidentPatch, Phase, Role};
use sitrep::server::store::SeedOp;
use sitrep::server::{self, ServerConfig};
use std::time::Duration;

use crate::common::pty;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn z_pages_the_closed_history_from_the_server() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(ServerConfig::sqlite(
        dir.path().join("history.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    // 150 incidents closed ten days ago (a page and a half), then two open ones.
    let at = Utc::now() - CDuration::days(10);
    let mut ops = Vec::new();
    for i in 0..150 {
        ops.push(SeedOp::Create {
            at,
            actor: "seed".into(),
            req: serde_json::from_value(
                json!({"title": format!("Old outage {i}"), "severity": "SEV3"}),
            )
            .unwrap(),
        });
        ops.push(SeedOp::Patch {
            at,
            actor: "seed".into(),
            incident: i,
            patch: IncidentPatch {
                phase: Some(Phase::Closed),
                ..Default::default()
            },
        });
    }
    for i in 0..2 {
        ops.push(SeedOp::Create {
            at: Utc::now(),
            actor: "seed".into(),
            req: serde_json::from_value(
                json!({"title": format!("Live outage {i}"), "severity": "SEV2"}),
            )
            .unwrap(),
        });
    }
    running.store.seed(&ops).await.unwrap();
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
    let base = format!("http://{}", running.addr);
    let mut console = pty::spawn(
        &home,
        &["--api", &base, "--token-file", token_file.to_str().unwrap()],
    );
    let wait = Duration::from_secs(20);
    console.screen.wait_for("LIVE", wait);
    // The list view shows what is live; nothing closed was fetched at start-up.
    console.keys("2");
    console.screen.wait_for("Live outage 1", wait);
    assert!(!console.screen.contents().contains("Old outage"));

    // `z`: the newest page of the closed history, and the footer says more is older.
    console.keys("z");
    console
        .screen
        .wait_for("older closed: 100 loaded, more older", wait);
    // The newest 100 (INC-51 to INC-150, listed oldest first): nothing older yet.
    let screen = console.screen.contents();
    assert!(screen.contains("Old outage 50 "), "{screen}");
    assert!(!screen.contains("Old outage 49 "), "{screen}");

    // To the end of the list: the next (last) page comes from the server.
    console.keys("G");
    console
        .screen
        .wait_for("older closed: all 150 loaded", wait);
    // The oldest incident is now in the list, at its top.
    console.keys("g");
    console.screen.wait_for("Old outage 0 ", wait);

    // `z` again hides the closed ones.
    console.keys("z");
    let deadline = std::time::Instant::now() + wait;
    while console.screen.contents().contains("Old outage") {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            console.screen.contents()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    console.keys("q");
    console.wait_exit(Duration::from_secs(10));
    running.shutdown().await;
}
