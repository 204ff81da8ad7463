//! `sitrep wall` end to end: the real binary in a pseudo-terminal against a real server,
//! reading with a viewer token; live changes appear; keys do nothing but quit, and with
//! `--no-keys` not even that; SIGHUP ends it with the terminal restored.
use sitrep::client::{ApiClient, Token, install_crypto_provider};
use sitrep::domain::Role;
use sitrep::server::{self, ServerConfig};
use std::time::Duration;

use crate::common::pty;

const WAIT: Duration = Duration::from_secs(20);

/// The wall in a 160x48 terminal, the size of a war-room screen in the snapshots.
fn spawn_wall(home: &std::path::Path, args: &[&str]) -> pty::Console {
    pty::spawn_sized(home, crate::common::bin::BIN, args, &[], (48, 160))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_reads_with_a_viewer_token_and_only_quits() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(ServerConfig::sqlite(
        dir.path().join("wall.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let base = format!("http://{}", running.addr);
    let store = running.store.clone();
    let viewer = Token::new(store.create_token("tv", Role::Viewer).await.unwrap());
    let token_file = dir.path().join("token");
    viewer.write_private(&token_file).unwrap();
    let api = ApiClient::new(
        &base,
        Token::new(store.create_token("ana", Role::Commander).await.unwrap()),
    )
    .unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let tf = token_file.to_str().unwrap();

    // --no-keys: q and ctrl-c do nothing; SIGHUP ends it and restores the terminal.
    let mut wall = spawn_wall(
        &home,
        &["wall", "--no-keys", "--api", &base, "--token-file", tf],
    );
    wall.screen.wait_for("SITREP WALL", WAIT);
    wall.screen.wait_for("LIVE", WAIT);
    let created: serde_json::Value = api
        .post(
            "/incidents",
            &serde_json::json!({"title": "Checkout down", "severity": "SEV1"}),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    wall.screen.wait_for(&format!("SEV1 {id}"), WAIT);
    wall.screen.wait_for("Checkout down", WAIT);
    assert!(
        !wall.screen.contents().contains("q quit"),
        "no quit hint with --no-keys"
    );
    wall.keys("q");
    wall.keys("\x03");
    wall.keys("1");
    assert!(
        !wall.exited_within(Duration::from_millis(1500)),
        "keys are ignored"
    );
    let pid = wall.child.process_id().unwrap();
    assert!(
        std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        wall.exited_within(Duration::from_secs(10)),
        "SIGHUP ends it"
    );
    assert!(!wall.alternate_screen_after_exit(), "terminal restored");

    // Without --no-keys, q quits (and --redact hides the title).
    let mut wall = spawn_wall(
        &home,
        &["wall", "--redact", "--api", &base, "--token-file", tf],
    );
    wall.screen.wait_for(&format!("SEV1 {id}"), WAIT);
    assert!(
        !wall.screen.contents().contains("Checkout down"),
        "{}",
        wall.screen.contents()
    );
    wall.keys("j");
    assert!(!wall.exited_within(Duration::from_millis(500)));
    wall.keys("q");
    assert!(wall.exited_within(Duration::from_secs(10)), "q quits");
    assert!(!wall.alternate_screen_after_exit(), "terminal restored");
    running.shutdown().await;
}
