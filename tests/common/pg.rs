//! A throwaway PostgreSQL cluster for tests: initdb in a temporary directory, a free port,
//! one database per test. Run as the `postgres` user when the tests run as root (initdb
//! refuses root). A watchdog stops the cluster and removes its files when the test process
//! exits. Without PostgreSQL binaries the PostgreSQL tests are skipped with a loud warning,
//! unless SITREP_REQUIRE_POSTGRES is set (CI sets it), in which case they fail.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Cluster {
    port: u16,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Some(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs a PostgreSQL binary, as the postgres user when we are root.
fn pg_command(bin: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin).args(args);
        c
    } else {
        let mut c = Command::new(bin);
        c.args(args);
        c
    }
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_cluster() -> Option<Cluster> {
    let Some(bin) = bin_dir() else {
        if std::env::var_os("SITREP_REQUIRE_POSTGRES").is_some() {
            panic!(
                "PostgreSQL is required (SITREP_REQUIRE_POSTGRES) but initdb was not found: install the postgresql package"
            );
        }
        eprintln!(
            "\n!!! SKIPPING the PostgreSQL store tests: no initdb found (install postgresql, or see .ci/run) !!!\n"
        );
        return None;
    };
    let dir = std::env::temp_dir().join(format!(
        "sitrep-pg-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.args(["postgres:postgres"]).arg(&dir);
                c
            },
            "chown the cluster directory",
        );
    }
    let data = dir.join("data");
    let data_s = data.to_str().unwrap();
    run(
        pg_command(
            &bin.join("initdb"),
            &[
                "-D",
                data_s,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        ),
        "initdb",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = format!(
        "-F -p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=32MB",
        dir.display()
    );
    let log = dir.join("log");
    run(
        pg_command(
            &bin.join("pg_ctl"),
            &[
                "-D",
                data_s,
                "-l",
                log.to_str().unwrap(),
                "-o",
                &opts,
                "-w",
                "-t",
                "60",
                "start",
            ],
        ),
        "pg_ctl start",
    );
    // Stop the cluster and remove it once this test process is gone.
    let stop = pg_command(
        &bin.join("pg_ctl"),
        &["-D", data_s, "-m", "immediate", "stop"],
    );
    let stop_line = format!(
        "{} {}",
        stop.get_program().to_string_lossy(),
        stop.get_args()
            .map(|a| format!("'{}'", a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop_line} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    use std::os::unix::process::CommandExt;
    // Deliberately never waited on: the watchdog must outlive this process.
    #[allow(clippy::zombie_processes)]
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the cluster watchdog");
    Some(Cluster { port })
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// A URL to a new, empty database in the shared test cluster; None when PostgreSQL is
/// not installed (and not required).
pub async fn fresh_database() -> Option<String> {
    let cluster = CLUSTER.get_or_init(start_cluster).as_ref()?;
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    );
    let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the test cluster");
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    conn.close().await.ok();
    Some(format!(
        "postgres://postgres@127.0.0.1:{}/{name}",
        cluster.port
    ))
}
