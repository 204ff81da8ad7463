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
