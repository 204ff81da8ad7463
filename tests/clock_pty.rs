//! A console whose clock is wrong, against a real `sitrep serve` on true time: the console
//! runs under `faketime` (libfaketime), 15 minutes slow and 15 minutes fast. Overdue is
//! what the server's clock says, and the header says the local clock is off.
use sitrep::client::Token;
use sitrep::domain::{Cadence, NewIncident, Role, Severity};
use sitrep::server::store::{Created, Store};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::pty;
use pty::spawn_program;

use common::bin::{BIN, free_port};

/// Whether `faketime` can be used. Without it the test is skipped with a message, except
/// under CI (`CI` set), where it must fail: CI installs it (`.ci/run`).
fn have_faketime() -> bool {
    let found = Command::new("faketime")
        .args(["-f", "+0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "faketime is missing (apt-get install faketime): CI must run this test"
        );
        eprintln!("SKIPPED: faketime is not installed (apt-get install faketime)");
    }
    found
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A database holding one SEV1 whose customer update fell due as it was declared (overdue
/// by the server's clock from then on) and one SEV2 due in ten minutes, and a commander's
/// token; then the real server on it, on true time.
async fn server_with_incidents(dir: &std::path::Path) -> (Server, String, std::path::PathBuf) {
    let db = dir.join("skew.db");
    let store = Store::open_sqlite(&db)
        .await
        .unwrap()
        .with_cadence(Cadence {
            sev1_minutes: Some(0),
            sev2_minutes: Some(10),
            sev3_minutes: None,
            sev4_minutes: None,
        });
    let mut fell_due = None;
    for (title, severity) in [
        ("Checkout down", Severity::Sev1),
        ("Search slow", Severity::Sev2),
    ] {
        let mut req = NewIncident::new(title, severity);
        req.customer_impact = Some(true);
        req.impact_scope = Some("EU customers".into());
        let Created::New(inc) = store.create_incident("test", &req, None).await.unwrap() else {
            panic!("a new incident");
        };
        fell_due = fell_due.or(inc.next_update_due_at);
    }
    // The console knows the server's time to within a second or so (a Date header has whole
    // seconds): let the SEV1 be clearly overdue before a console looks.
    let clearly = fell_due.unwrap() + chrono::Duration::seconds(3);
    if let Ok(wait) = (clearly - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    let token = Token::new(store.create_token("ana", Role::Commander).await.unwrap());
    store.close().await;
    let token_file = dir.join("token");
    token.write_private(&token_file).unwrap();

    let port = free_port();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("SITREP_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    sitrep::client::install_crypto_provider();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/api/v1/health")).await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, base, token_file)
}

/// The console under `faketime` with the clock moved by `skew` ("-15m", "+15m"); returns the
/// screen once it is live and has measured the server's clock.
fn console_screen(
    dir: &std::path::Path,
    skew: &str,
    base: &str,
    token: &std::path::Path,
) -> String {
    let home = dir.join(format!("home{skew}"));
    std::fs::create_dir_all(&home).unwrap();
    let mut c = spawn_program(
        &home,
        "faketime",
        &[
            "-f",
            skew,
            BIN,
            "--api",
            base,
            "--token-file",
            token.to_str().unwrap(),
        ],
        // Only the wall clock is wrong on a real machine; the monotonic clock is not.
        &[("FAKETIME_DONT_FAKE_MONOTONIC", "1")],
    );
    c.screen.wait_for("LIVE", Duration::from_secs(30));
    c.screen.wait_for("Search slow", Duration::from_secs(10));
    c.screen.wait_for(" clock 15m", Duration::from_secs(10));
    let screen = c.screen.contents();
    c.keys("q");
    assert!(c.exited_within(Duration::from_secs(10)));
    screen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_console_clock_counts_on_the_servers_time_and_says_so() {
    if !have_faketime() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_server, base, token) = server_with_incidents(dir.path()).await;

    // 15 minutes slow: by its own clock the SEV1's update is not due for 15 minutes.
    let slow = console_screen(dir.path(), "-15m", &base, &token);
    assert!(slow.contains("clock 15m slow"), "{slow}");
    assert!(slow.contains(" customer update OVERDUE "), "{slow}");
    // The header and the SEV1's card; the SEV2's card counts down its ten minutes.
    assert_eq!(slow.matches("OVERDUE").count(), 2, "{slow}");
    assert!(
        slow.contains("upd 10m") || slow.contains("upd 9m"),
        "{slow}"
    );

    // 15 minutes fast: by its own clock the SEV2's update is five minutes late.
    let fast = console_screen(dir.path(), "+15m", &base, &token);
    assert!(fast.contains("clock 15m fast"), "{fast}");
    assert!(fast.contains(" customer update OVERDUE "), "{fast}");
    assert_eq!(fast.matches("OVERDUE").count(), 2, "{fast}");
    assert!(
        fast.contains("upd 10m") || fast.contains("upd 9m"),
        "{fast}"
    );
}
