//! A webhook receiver that verifies signatures with the Standard Webhooks reference library
//! (PyPI `standardwebhooks`, in a small Python program) and writes one JSON line per
//! request it got: `{"ok": …, "type": …, "data": …, "body": …}`.
use super::bin::{KillOnDrop, free_port, wait_listening};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROGRAM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/webhooks_fixtures/receiver.py"
);

/// A signing secret in `dir/hook.secret` (owner-only), and the secret itself.
pub fn write_secret(dir: &Path) -> (String, PathBuf) {
    // 32 printable bytes: adnanh/webhook takes its HMAC key as text.
    use base64::Engine;
    let key = "sitrep-test-key-0123456789abcdef";
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    let path = dir.join("hook.secret");
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    (secret, path)
}

/// One receiver's port, secret and output file; it runs between `start` and `stop` (or
/// its drop).
pub struct Receiver {
    pub port: u16,
    pub secret: String,
    pub secret_file: PathBuf,
    pub out: PathBuf,
    running: Option<KillOnDrop>,
}

impl Receiver {
    /// Its secret and output file in `dir`, a free port, nothing listening yet.
    pub fn prepare(dir: &Path) -> Receiver {
        let (secret, secret_file) = write_secret(dir);
        Receiver {
            port: free_port(),
            secret,
            secret_file,
            out: dir.join("received.jsonl"),
            running: None,
        }
    }

    /// Prepared in `dir` and listening.
    pub async fn running(dir: &Path) -> Receiver {
        let mut rx = Self::prepare(dir);
        rx.start().await;
        rx
    }

    /// Starts it (again, on the same port and file) and waits until it listens.
    pub async fn start(&mut self) {
        let child = Command::new("python3")
            .args([
                PROGRAM,
                &self.port.to_string(),
                self.secret_file.to_str().unwrap(),
                self.out.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        self.running = Some(KillOnDrop(child));
        wait_listening(self.port).await;
    }

    /// Ends it, as a receiver that goes away.
    pub fn stop(&mut self) {
        self.running = None;
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Its lines so far.
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits until `pred` holds for its lines; those lines.
    pub async fn until(&self, within: Duration, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let lines = self.received();
            if pred(&lines) {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "not received within {within:?}: {lines:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
