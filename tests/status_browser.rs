//! The status page in a real browser: `sitrep serve --status-page --status-listen` is
//! started as a user starts it, customer updates are posted through the API, and headless
//! Chromium (Debian's `chromium`) loads the page. The test reads the rendered DOM, takes a
//! desktop screenshot (light) and a phone one (dark) — docs/status-page.png and
//! docs/status-page-phone.png; `SITREP_STATUS_SCREENSHOTS=docs` writes them there — and
//! requires that the browser logged no console message at all: a resource blocked by the
//! Content-Security-Policy, a failed load or a script error each log one. Without Chromium
//! it is skipped on a developer's machine and fails under CI (`CI` set), where `.ci/run`
//! installs it.
use crate::common;

use common::bin::{cli_token, free_port, spawn_serve, wait_healthy};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// What one headless load printed: the DOM (or nothing) and the browser's console lines.
struct Load {
    dom: String,
    console: Vec<String>,
}

/// Loads `url` in a fresh profile with the flags a sealed machine needs (no network
/// services of Chrome's own), doing `action` (`--dump-dom` or `--screenshot=…`).
async fn load(browser: &Path, profile: &Path, url: &str, action: &[&str]) -> Load {
    let mut cmd = tokio::process::Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(action)
    .arg(url)
    .stdin(Stdio::null())
    .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(90), cmd.output())
        .await
        .expect("chromium did not finish in 90 s")
        .expect("chromium could not be started");
    let stderr = String::from_utf8_lossy(&out.stderr);
    Load {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        // Chromium logs every console message (errors, CSP violations, failed loads) as
        // `…:INFO:CONSOLE…] "message", source: …`.
        console: stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE") || l.contains("Refused to"))
            .map(str::to_string)
            .collect(),
    }
}

#[tokio::test]
async fn chromium_renders_the_page_with_no_console_errors_or_blocked_resources() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is missing (apt-get install chromium): CI must run this test"
        );
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "cora");
    let (port, page_port) = (free_port(), free_port());
    let page_listen = format!("127.0.0.1:{page_port}");
    let mut server = spawn_serve(
        db,
        port,
        &[
            "--status-page",
            "--status-listen",
            &page_listen,
            "--status-title",
            "Acme Cloud status",
            "--status-url",
            "https://status.acme.example/",
        ],
        Stdio::null(),
    );
    wait_healthy(port).await;
    let api = format!("http://127.0.0.1:{port}/api/v1");
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{api}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let updates = [
        (
            "SEV2",
            "Checkout and payments for customers in the EU fail for about 1 in 5 attempts",
            "We moved traffic to a healthy region; errors are falling.",
            "We will watch error rates for 30 minutes and post again.",
        ),
        (
            "SEV3",
            "Images load slowly for customers in Asia",
            "A cache node was replaced. <script>alert(1)</script>",
            "None: the incident is resolved.",
        ),
    ];
    for (n, (sev, scope, status, next)) in updates.into_iter().enumerate() {
        let r = post(
            "/incidents",
            json!({"title": "internal title", "severity": sev, "customer_impact": true}),
        )
        .await
        .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let update = json!({"audience": "customer", "impact_scope": scope, "current_status": status, "next_steps": next});
        let r = post(&format!("/incidents/INC-{}/updates", n + 1), update)
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    // The second is resolved: it moves to the resolved section.
    let r = http
        .patch(format!("{api}/incidents/INC-2"))
        .bearer_auth(&token)
        .header("If-Match", "\"2\"")
        .json(&json!({"phase": "follow_through"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let url = format!("http://{page_listen}/status");
    let summary: serde_json::Value = http
        .get(format!("{url}/api/v2/summary.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["page"]["url"], "https://status.acme.example/status");

    let profile = tempfile::tempdir().unwrap();
    let seen = load(&browser, profile.path(), &url, &["--dump-dom"]).await;
    for text in [
        "Acme Cloud status",
        "Partial System Outage",
        "Checkout and payments for customers in the EU",
        "Images load slowly for customers in Asia",
        "We will watch error rates for 30 minutes",
        "Next update due",
        "Resolved in the last 90 days",
    ] {
        assert!(
            seen.dom.contains(text),
            "{text:?} not rendered:\n{}",
            seen.dom
        );
    }
    // The customer's markup is text in the DOM, not an element.
    assert!(
        seen.dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        seen.dom
    );
    assert!(!seen.dom.contains("<script"), "{}", seen.dom);
    assert!(
        seen.console.is_empty(),
        "console messages: {:#?}",
        seen.console
    );

    // A desktop window in the light scheme, and a phone in the dark one.
    for (name, size, extra) in [
        ("status-page.png", "--window-size=900,800", None),
        (
            "status-page-phone.png",
            "--window-size=390,844",
            Some("--force-dark-mode"),
        ),
    ] {
        let shot = dir.path().join(name);
        let shot_arg = format!("--screenshot={}", shot.display());
        let mut args = vec![shot_arg.as_str(), size, "--hide-scrollbars"];
        args.extend(extra);
        let shown = load(&browser, profile.path(), &url, &args).await;
        assert!(
            shown.console.is_empty(),
            "console messages: {:#?}",
            shown.console
        );
        let png = std::fs::read(&shot).expect("no screenshot written");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{} bytes",
            png.len()
        );
        if let Some(docs) = std::env::var_os("SITREP_STATUS_SCREENSHOTS") {
            std::fs::copy(&shot, Path::new(&docs).join(name)).unwrap();
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The console check above is only worth something if a violation shows up in it: a page
/// whose policy forbids its own inline style and script must produce console lines.
#[tokio::test]
async fn a_csp_violation_is_what_the_console_check_catches() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "chromium is missing");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("blocked.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" \
         content=\"default-src 'none'\"><style>p{color:red}</style></head>\
         <body><p>x</p><script>document.title='ran'</script></body></html>",
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    let seen = load(&browser, profile.path(), &url, &["--dump-dom"]).await;
    assert!(
        seen.console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{:#?}",
        seen.console
    );
    assert!(!seen.dom.contains("<title>ran"), "{}", seen.dom);
}
