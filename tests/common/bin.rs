//! The real `sitrep` binary, run as a user runs it: tokens made by `sitrep token create`,
//! servers started by `sitrep serve`, every run isolated from the developer's own settings.
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_sitrep");

/// The binary with nothing inherited that would point it elsewhere (a token, a server, a
/// database in the environment) and, with `home`, a private home for its default database,
/// local token and settings.
pub fn command(home: Option<&Path>, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("SITREP_LOG", "warn")
        .env_remove("SITREP_TOKEN")
        .env_remove("SITREP_API_URL")
        .env_remove("SITREP_DB")
        .env_remove("SITREP_DATABASE_URL");
    if let Some(home) = home {
        c.env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"));
    }
    c
}

pub fn run(home: Option<&Path>, args: &[&str]) -> Output {
    command(home, args).output().unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `sitrep token create` on the database at `db`: the token it printed.
pub fn cli_token(home: Option<&Path>, db: &str, role: &str, name: &str) -> String {
    let out = run(
        home,
        &[
            "token", "create", "--role", role, "--name", name, "--db", db,
        ],
    );
    assert!(out.status.success(), "token create: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `sitrep serve --db DB --listen 127.0.0.1:PORT` plus `flags`. Pipe stderr only when the
/// test reads it: a full pipe nobody reads would stall the server.
pub fn spawn_serve(db: &str, port: u16, flags: &[&str], stderr: Stdio) -> Child {
    let listen = format!("127.0.0.1:{port}");
    command(None, &["serve", "--db", db, "--listen", &listen])
        .args(flags)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// Waits until the server on `port` answers /health with a success.
pub async fn wait_healthy(port: u16) {
    // reqwest is built with rustls on ring (no default provider): install it.
    sitrep::client::install_crypto_provider();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/health")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A child process killed (and reaped) when dropped, so a failing test leaves nothing
/// running.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until something accepts connections on the loopback `port`.
pub async fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A fresh directory holding a database that `sitrep token create` made, with a commander
/// token for it.
pub struct CliDb {
    pub dir: tempfile::TempDir,
    pub db: std::path::PathBuf,
    pub token: String,
}

impl CliDb {
    /// `file` in a new temporary directory, and a commander token named `name`.
    pub fn new(file: &str, name: &str) -> CliDb {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(file);
        let token = cli_token(None, db.to_str().unwrap(), "commander", name);
        CliDb { dir, db, token }
    }

    pub fn db_str(&self) -> &str {
        self.db.to_str().unwrap()
    }
}

/// `sitrep serve` on a loopback port, healthy; stopped when dropped.
pub struct Served {
    pub port: u16,
    child: KillOnDrop,
}

impl Served {
    /// Serves `db` on a free port, with `flags`, once it answers /health.
    pub async fn start(db: &str, flags: &[&str]) -> Served {
        Self::start_on(db, free_port(), flags).await
    }

    /// As `start`, on this port (a restart where the last one ran).
    pub async fn start_on(db: &str, port: u16, flags: &[&str]) -> Served {
        let child = KillOnDrop(spawn_serve(db, port, flags, Stdio::null()));
        wait_healthy(port).await;
        Served { port, child }
    }

    /// `http://127.0.0.1:PORT`, without the API's path.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL now (no shutdown hook, no flush), and reaped.
    pub fn kill(self) {
        drop(self.child);
    }
}
