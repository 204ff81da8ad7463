//! Idle cost of the real console: the `sitrep` binary in a pseudo-terminal, connected to a
//! server holding the demo scenario, nothing changing. Reads the process's CPU time from
//! /proc/PID/stat over a window and counts the bytes it writes to the terminal.
//!
//! `cargo bench --bench idle_cpu` (60 s window; IDLE_SECS=N to change it).
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use sitrep::client::Token;
use sitrep::demo::Scenario;
use sitrep::domain::Role;
use sitrep::server::{self, ServerConfig, store};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("process alive");
    // The command name (field 2) may contain spaces: split after its closing paren.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3, so utime (14) is index 11 and stime (15) index 12.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn clk_tck() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output();
    out.ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; nothing else to parse.
    let secs: u64 = std::env::var("IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    sitrep::client::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let running = server::start(ServerConfig::sqlite(
        dir.path().join("idle.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    running
        .store
        .seed(&Scenario::builtin().ops(store::now()))
        .await
        .unwrap();
    let token = Token::new(
        running
            .store
            .create_token("bench", Role::Viewer)
            .await
            .unwrap(),
    );
    let token_file = dir.path().join("token");
    token.write_private(&token_file).unwrap();

    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_sitrep"));
    cmd.args(["--api", &format!("http://{}", running.addr), "--token-file"]);
    cmd.arg(&token_file);
    cmd.env("HOME", dir.path());
    cmd.env("XDG_DATA_HOME", dir.path().join("data"));
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).unwrap();
    let pid = child.process_id().unwrap();
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
    // Let it connect, load and draw.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t0 = Instant::now();
    let c0 = cpu_ticks(pid);
    let b0 = bytes.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let c1 = cpu_ticks(pid);
    let b1 = bytes.load(Ordering::Relaxed);
    let wall = t0.elapsed().as_secs_f64();
    let cpu = (c1 - c0) as f64 / clk_tck();
    println!(
        "idle console, 200x50, demo scenario, {wall:.0} s: CPU {cpu:.2} s = {:.3} % of one core; {:.0} bytes/s to the terminal",
        100.0 * cpu / wall,
        (b1 - b0) as f64 / wall
    );
    let _ = child.kill();
    running.shutdown().await;
}
