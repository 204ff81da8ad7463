//! Bytes the real binary writes to the terminal: the console and the wall, each in a
//! 200x50 pseudo-terminal against a server holding the demo scenario (no simulator).
//! Idle: bytes over a window with nothing changing (after SETTLE_SECS, default 80). Change: bytes within 900 ms after one
//! incident edit (a title change through the API), less the idle rate over that window,
//! averaged over several edits.
//!
//! `cargo bench --bench bandwidth` (60 s idle window; IDLE_SECS=N to change it).
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use sitrep::client::{ApiClient, Token};
use sitrep::demo::Scenario;
use sitrep::domain::{Incident, Role, Severity};
use sitrep::server::{self, ServerConfig, store};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

struct Run {
    bytes: Arc<AtomicU64>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _pty: portable_pty::PtyPair,
}

fn spawn(args: &[&str], url: &str, token_file: &Path, home: &Path) -> Run {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_sitrep"));
    cmd.args(args);
    cmd.args(["--api", url, "--token-file"]);
    cmd.arg(token_file);
    cmd.env("HOME", home);
    cmd.env("XDG_DATA_HOME", home.join("data"));
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("NO_COLOR");
    cmd.env_remove("COLORTERM");
    let child = pty.slave.spawn_command(cmd).unwrap();
    let bytes = Arc::new(AtomicU64::new(0));
    let mut reader = pty.master.try_clone_reader().unwrap();
    let counted = bytes.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            counted.fetch_add(n as u64, Ordering::Relaxed);
        }
    });
    Run {
        bytes,
        child,
        _pty: pty,
    }
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let settle: u64 = std::env::var("SETTLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(80);
    sitrep::client::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(ServerConfig::sqlite(
        dir.path().join("bw.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    running
        .store
        .seed(&Scenario::builtin().ops(store::now()))
        .await
        .unwrap();
    // The console and the wall read with a viewer token: a viewer token is enough.
    let viewer = Token::new(
        running
            .store
            .create_token("bench", Role::Viewer)
            .await
            .unwrap(),
    );
    let token_file = dir.path().join("token");
    viewer.write_private(&token_file).unwrap();
    let url = format!("http://{}", running.addr);
    let editor = ApiClient::new(
        &url,
        Token::new(
            running
                .store
                .create_token("editor", Role::Commander)
                .await
                .unwrap(),
        ),
    )
    .unwrap();

    let modes: [(&str, Vec<&str>); 3] = [
        ("console", vec![]),
        ("wall", vec!["wall"]),
        (
            "wall --ascii --color 16",
            vec!["wall", "--ascii", "--color", "16"],
        ),
    ];
    let runs: Vec<(&str, Run)> = modes
        .iter()
        .map(|(name, args)| (*name, spawn(args, &url, &token_file, dir.path())))
        .collect();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let first: Vec<u64> = runs
        .iter()
        .map(|(_, r)| r.bytes.load(Ordering::Relaxed))
        .collect();
    // The demo scenario has one customer update fall due about a minute after seeding
    // (its countdown shows seconds under five minutes); let that pass before measuring.
    tokio::time::sleep(Duration::from_secs(settle)).await;
    let b0: Vec<u64> = runs
        .iter()
        .map(|(_, r)| r.bytes.load(Ordering::Relaxed))
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let idle: Vec<f64> = runs
        .iter()
        .zip(&b0)
        .map(|((_, r), b)| (r.bytes.load(Ordering::Relaxed) - b) as f64 / secs as f64)
        .collect();

    // One visible change at a time: a SEV1's title, which the board and the wall both show.
    let incidents: Vec<Incident> = editor.list_incidents().await.unwrap();
    let target = incidents
        .iter()
        .find(|i| i.severity == Severity::Sev1 && i.phase.is_active())
        .unwrap()
        .clone();
    let edits = 5;
    let mut change = vec![0f64; runs.len()];
    let mut version = target.version;
    for k in 0..edits {
        // Edit mid-minute, away from the wall's once-a-minute redraw, and take the idle
        // rate from the five seconds before the edit.
        loop {
            let sec = chrono::Utc::now().timestamp() % 60;
            if (10..40).contains(&sec) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let quiet: Vec<u64> = runs
            .iter()
            .map(|(_, r)| r.bytes.load(Ordering::Relaxed))
            .collect();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let before: Vec<u64> = runs
            .iter()
            .map(|(_, r)| r.bytes.load(Ordering::Relaxed))
            .collect();
        let inc: Incident = editor
            .patch(
                &format!("/incidents/{}", target.id),
                version,
                &serde_json::json!({ "title": format!("{} ({})", target.title, k + 1) }),
            )
            .await
            .unwrap();
        version = inc.version;
        tokio::time::sleep(Duration::from_millis(900)).await;
        for (i, (_, r)) in runs.iter().enumerate() {
            let got = (r.bytes.load(Ordering::Relaxed) - before[i]) as f64;
            let rate = (before[i] - quiet[i]) as f64 / 5.0;
            change[i] += (got - rate * 0.9).max(0.0);
        }
    }
    println!(
        "200x50, demo scenario, TERM=xterm-256color, {secs} s idle window, {edits} title edits"
    );
    println!(
        "{:<26} {:>16} {:>14} {:>18}",
        "", "first 4 s (paint)", "idle bytes/min", "bytes per change"
    );
    for (i, (name, _)) in runs.iter().enumerate() {
        println!(
            "{:<26} {:>16} {:>14.0} {:>18.0}",
            name,
            first[i],
            idle[i] * 60.0,
            change[i] / edits as f64
        );
    }
    for (_, mut r) in runs {
        let _ = r.child.kill();
    }
    running.shutdown().await;
}
