//! A real Prometheus (Debian `prometheus`) scrapes a real `sitrep serve`, once with a viewer
//! token from a credentials file on the API's listener and once without a token on
//! `--metrics-listen`, and PromQL on its HTTP API finds the incidents this test declared.
use crate::common;

use common::bin::{cli_token, command, free_port, spawn_serve, wait_healthy};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether `prometheus` can be run. Without it the test is skipped with a message, except
/// under CI (`CI` set), where it must fail: CI installs it (`.ci/run`).
fn have_prometheus() -> bool {
    let found = Command::new("prometheus")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "prometheus is missing (apt-get install prometheus): CI must run this test"
        );
        eprintln!("SKIPPED: prometheus is not installed (apt-get install prometheus)");
    }
    found
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running Prometheus: its port and its log file.
struct Prom {
    port: u16,
    log: std::path::PathBuf,
}

/// The value of the one series a PromQL query returns, once Prometheus has it.
async fn query_until(http: &reqwest::Client, prom: &Prom, promql: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = Value::Null;
    loop {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{}/api/v1/query", prom.port))
            .query(&[("query", promql)])
            .send()
            .await
            && let Ok(v) = r.json::<Value>().await
        {
            if let Some(got) = v["data"]["result"][0]["value"][1].as_str()
                && got == want
            {
                return got.to_string();
            }
            last = v;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never answered {want} to {promql}; last answer: {last}; its log:\n{}",
            std::fs::read_to_string(&prom.log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_real_prometheus_scrapes_sitrep_with_a_token_and_on_the_metrics_address() {
    if !have_prometheus() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let admin = cli_token(None, db, "commander", "cora");
    let viewer = cli_token(None, db, "viewer", "prometheus");
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let _server = Killed(spawn_serve(
        db,
        port,
        &["--metrics-listen", &metrics_listen],
        Stdio::null(),
    ));
    wait_healthy(port).await;
    let http = reqwest::Client::new();
    for title in ["Checkout down", "Login down"] {
        let r = http
            .post(format!("http://127.0.0.1:{port}/api/v1/incidents"))
            .bearer_auth(&admin)
            .json(&json!({"title": title, "severity": "SEV1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }

    // The token in a file only Prometheus reads, never on its command line.
    let token_file = dir.path().join("sitrep.token");
    std::fs::write(&token_file, &viewer).unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n\
             - job_name: sitrep\n  authorization:\n    credentials_file: {}\n  static_configs:\n  - targets: ['127.0.0.1:{port}']\n\
             - job_name: sitrep-open\n  static_configs:\n  - targets: ['{metrics_listen}']\n\
             - job_name: sitrep-no-token\n  static_configs:\n  - targets: ['127.0.0.1:{port}']\n",
            token_file.display()
        ),
    )
    .unwrap();
    let prom = Prom {
        port: free_port(),
        log: dir.path().join("prometheus.log"),
    };
    let log = std::fs::File::create(&prom.log).unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", prom.port))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );

    for job in ["sitrep", "sitrep-open"] {
        let got = query_until(
            &http,
            &prom,
            &format!(r#"sum(sitrep_open_incidents{{job="{job}",severity="SEV1"}})"#),
            "2",
        )
        .await;
        assert_eq!(got, "2");
        query_until(&http, &prom, &format!(r#"up{{job="{job}"}}"#), "1").await;
    }
    // Without a token, the API's listener refuses the scrape.
    query_until(&http, &prom, r#"up{job="sitrep-no-token"}"#, "0").await;
    // The two writes were timed, as Prometheus sees them.
    query_until(
        &http,
        &prom,
        r#"sitrep_write_duration_seconds_count{job="sitrep",method="POST",route="/api/v1/incidents",status="2xx"}"#,
        "2",
    )
    .await;
    // The CLI flag is wired: `sitrep serve --help` names it.
    let help = command(None, &["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--metrics-listen"));
}
