//! `sitrep wall` end to end: the real binary in a pseudo-terminal against a real server,
//! reading with a viewer token; live changes appear; keys do nothing but quit, and with
//! `--no-keys` not even that; SIGHUP ends it with the terminal restored.
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use sitrep::client::{ApiClient, Token, install_crypto_provider};
use sitrep::domain::Role;
use sitrep::server::{self, ServerConfig};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Wall {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Wall {
    fn spawn(home: &std::path::Path, args: &[&str]) -> Wall {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 48,
                cols: 160,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_sitrep"));
        cmd.args(args);
        cmd.env("HOME", home);
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("SITREP_TOKEN");
        cmd.env_remove("NO_COLOR");
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(48, 160, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let p = parser.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        std::mem::forget(pty.master);
        Wall {
            parser,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.contents().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("screen never showed {needle:?}:\n{}", self.contents());
    }

    fn keys(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn exited_within(&mut self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Whether the terminal is still on the alternate screen, allowing the reader thread a
    /// moment to feed the last bytes after the process exits.
    fn alternate_screen(&self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let alt = self.parser.lock().unwrap().screen().alternate_screen();
            if !alt || Instant::now() > deadline {
                return alt;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
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
    let mut wall = Wall::spawn(
        &home,
        &["wall", "--no-keys", "--api", &base, "--token-file", tf],
    );
    wall.wait_for("SITREP WALL");
    wall.wait_for("LIVE");
    let created: serde_json::Value = api
        .post(
            "/incidents",
            &serde_json::json!({"title": "Checkout down", "severity": "SEV1"}),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    wall.wait_for(&format!("SEV1 {id}"));
    wall.wait_for("Checkout down");
    assert!(
        !wall.contents().contains("q quit"),
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
    assert!(!wall.alternate_screen(), "terminal restored");

    // Without --no-keys, q quits (and --redact hides the title).
    let mut wall = Wall::spawn(
        &home,
        &["wall", "--redact", "--api", &base, "--token-file", tf],
    );
    wall.wait_for(&format!("SEV1 {id}"));
    assert!(
        !wall.contents().contains("Checkout down"),
        "{}",
        wall.contents()
    );
    wall.keys("j");
    assert!(!wall.exited_within(Duration::from_millis(500)));
    wall.keys("q");
    assert!(wall.exited_within(Duration::from_secs(10)), "q quits");
    assert!(!wall.alternate_screen(), "terminal restored");
    running.shutdown().await;
}
