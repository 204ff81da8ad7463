//! `sitrep evidence` against a real `sitrep serve` whose clock is set by the test (the
//! server runs under libfaketime reading its time from a file), so every figure in the
//! export has a known value; and its markdown, JSON and CSV agree.
use crate::common;
use common::bin::{cli_token, command, free_port, wait_healthy};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// libfaketime's multi-threaded library, or None (a failure under CI).
fn libfaketime() -> Option<PathBuf> {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("faketime/libfaketimeMT.so.1"))
        .chain([PathBuf::from("/usr/lib/faketime/libfaketimeMT.so.1")])
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "libfaketime is missing (apt-get install faketime): CI must run this test"
        );
        eprintln!("SKIPPED: libfaketime is not installed (apt-get install faketime)");
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

/// The server's clock: a file libfaketime reads on every clock call.
struct Clock(PathBuf);

impl Clock {
    fn set(&self, at: &str) {
        std::fs::write(&self.0, format!("{at}\n")).unwrap();
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body);
        if method == reqwest::Method::PATCH {
            let current: Value = self
                .http
                .get(format!("{}/api/v1{path}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            req = req.header("If-Match", format!("\"{}\"", current["version"]));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v
    }

    async fn create(&self, body: Value) -> String {
        let v = self.call(reqwest::Method::POST, "/incidents", body).await;
        v["id"].as_str().unwrap().to_string()
    }

    async fn phase(&self, id: &str, phase: &str) {
        self.call(
            reqwest::Method::PATCH,
            &format!("/incidents/{id}"),
            json!({"phase": phase}),
        )
        .await;
    }

    async fn customer_update(&self, id: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/incidents/{id}/updates"),
            json!({"audience": "customer", "impact_scope": "EU", "current_status": "working", "next_steps": "more"}),
        )
        .await;
    }
}

fn evidence(home: &Path, api: &str, token_file: &str, format: &str) -> String {
    let out = command(
        Some(home),
        &[
            "--api",
            api,
            "--token-file",
            token_file,
            "evidence",
            "--from",
            "2026-07-01",
            "--to",
            "2026-09-30",
            "--format",
            format,
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "evidence --format {format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn evidence_figures_come_from_the_timeline_and_the_formats_agree() {
    let Some(lib) = libfaketime() else { return };
    sitrep::client::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "auditor");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &token).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let clock = Clock(dir.path().join("now"));
    clock.set("2026-07-01 10:00:00");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let _server = Server(
        command(None, &["serve", "--db", db, "--listen", &listen])
            .env("LD_PRELOAD", &lib)
            .env("FAKETIME_TIMESTAMP_FILE", &clock.0)
            .env("FAKETIME_NO_CACHE", "1")
            // Timers and timeouts keep real time; only the wall clock is set.
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_healthy(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let api = Api {
        http: reqwest::Client::new(),
        base: base.clone(),
        token,
    };
    use reqwest::Method;

    // INC-1, SEV1, hosted, customer-impacting: cadence 30 min.
    let one = api
        .create(json!({"title": "Checkout down", "severity": "SEV1", "customer_impact": true}))
        .await;
    clock.set("2026-07-01 10:10:00");
    api.phase(&one, "triage").await;
    clock.set("2026-07-01 10:25:00");
    api.customer_update(&one).await; // first update, on time; next due 10:55
    clock.set("2026-07-01 10:40:00");
    api.phase(&one, "containment").await;
    clock.set("2026-07-01 11:20:00");
    api.customer_update(&one).await; // 10:55 missed; next due 11:50
    clock.set("2026-07-01 11:40:00");
    api.phase(&one, "communication").await;
    clock.set("2026-07-01 11:45:00");
    api.phase(&one, "follow_through").await; // resolved before 11:50: kept
    clock.set("2026-07-01 11:50:00");
    let act = api
        .call(
            Method::POST,
            &format!("/incidents/{one}/actions"),
            json!({"title": "Add a canary", "owner": "ops", "due_date": "2026-07-10"}),
        )
        .await;
    clock.set("2026-07-09 12:00:00");
    api.call(
        Method::PATCH,
        &format!("/actions/{}", act["id"].as_str().unwrap()),
        json!({"status": "done"}),
    )
    .await;
    clock.set("2026-07-09 12:05:00");
    api.phase(&one, "closed").await;

    // INC-2, SEV2, self-hosted, no customer impact; an action left overdue under an
    // exception whose remediation date passes.
    clock.set("2026-08-05 09:00:00");
    let two = api
        .create(json!({"title": "Sync lag", "severity": "SEV2", "deployment": "self_hosted"}))
        .await;
    clock.set("2026-08-05 09:40:00");
    api.phase(&two, "triage").await;
    clock.set("2026-08-05 09:50:00");
    api.call(
        Method::POST,
        &format!("/incidents/{two}/actions"),
        json!({"title": "Tune the replica", "owner": "db", "due_date": "2026-08-20"}),
    )
    .await;
    clock.set("2026-08-05 09:55:00");
    api.call(
        Method::POST,
        &format!("/incidents/{two}/exceptions"),
        json!({"description": "run without the tuning", "risk_accepted_by": "CTO", "remediation_due": "2026-09-01T00:00:00Z"}),
    )
    .await;
    clock.set("2026-08-05 15:00:00");
    api.phase(&two, "follow_through").await;
    clock.set("2026-08-05 15:30:00");
    api.phase(&two, "closed").await;

    // Administration in the quarter and after it, on the server's clock.
    let token_at = |at: &str, name: &str| {
        clock.set(at);
        let out = command(
            None,
            &[
                "token",
                "create",
                "--role",
                "responder",
                "--name",
                name,
                "--db",
                db,
            ],
        )
        .env("LD_PRELOAD", &lib)
        .env("FAKETIME_TIMESTAMP_FILE", &clock.0)
        .env("FAKETIME_NO_CACHE", "1")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        .env("TZ", "UTC")
        .output()
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    token_at("2026-08-10 12:00:00", "quarter-bot");
    token_at("2026-10-01 08:00:00", "october-bot");

    // After the quarter: not in the evidence.
    clock.set("2026-10-01 09:00:00");
    api.create(json!({"title": "Later", "severity": "SEV1"}))
        .await;
    clock.set("2026-10-01 12:00:00");

    let tf = token_file.to_str().unwrap();
    let home = dir.path().join("home");
    let j: Value = serde_json::from_str(&evidence(&home, &base, tf, "json")).unwrap();
    let incs = j["incidents"].as_array().unwrap();
    // The administration of the quarter: the token made in it, not the one made after it
    // nor the commander's own (made before the server's clock was set).
    assert_eq!(j["administration"]["status"], "included", "{j}");
    let admin = j["administration"]["records"].as_array().unwrap();
    assert_eq!(admin.len(), 1, "{j}");
    assert_eq!(admin[0]["action"], "token.create");
    assert_eq!(admin[0]["target"], "quarter-bot");
    assert_eq!(
        admin[0]["at"].as_str().unwrap()[..19],
        *"2026-08-10T12:00:00"
    );
    assert_eq!(incs.len(), 2, "{j:#}");
    let (a, b) = (&incs[0], &incs[1]);
    assert_eq!(a["id"], "INC-1");
    assert_eq!(
        a["phase_times"],
        json!({"detection_secs": 600, "triage_secs": 1800, "containment_secs": 3600,
               "communication_secs": 300, "follow_through_secs": 8 * 86400 + 1200})
    );
    assert_eq!(
        (
            &a["to_acknowledge_secs"],
            &a["to_recovery_secs"],
            &a["to_first_update_secs"]
        ),
        (&json!(600), &json!(6300), &json!(1500))
    );
    assert_eq!(
        (
            &a["first_update_on_time"],
            &a["cadence_kept"],
            &a["cadence_missed"]
        ),
        (&json!(true), &json!(2), &json!(1))
    );
    assert_eq!(
        (&a["deployment"], &a["recovery_owner"]),
        (&json!("hosted"), &json!("vendor"))
    );
    assert_eq!(a["actions"][0]["timing"], "on_time");
    assert_eq!(a["actions"][0]["owner"], "ops");
    assert_eq!(b["id"], "INC-2");
    assert_eq!(
        (
            &b["deployment"],
            &b["recovery_owner"],
            &b["customer_impact"]
        ),
        (&json!("self_hosted"), &json!("customer"), &json!(false))
    );
    assert_eq!(
        (&b["to_acknowledge_secs"], &b["to_recovery_secs"]),
        (&json!(2400), &json!(21600))
    );
    assert_eq!(b["actions"][0]["timing"], "overdue");
    assert_eq!(b["exceptions"][0]["risk_accepted_by"], "CTO");
    assert_eq!(b["exceptions"][0]["remediation"], "missed");
    let t = &j["totals"];
    for (k, v) in [
        ("incidents", 2),
        ("customer_impacting", 1),
        ("first_update_on_time", 1),
        ("cadence_kept", 2),
        ("cadence_missed", 1),
        ("incidents_cadence_missed", 1),
        ("actions_on_time", 1),
        ("actions_overdue", 1),
        ("exceptions_missed", 1),
    ] {
        assert_eq!(t[k], v, "totals.{k}: {t:#}");
    }
    let sev2 = &j["by_severity"][1];
    assert_eq!(
        sev2["acknowledge"],
        json!({"count": 1, "mean_secs": 2400, "target_secs": 1800, "within_target": 0})
    );

    // CSV: one figure a row, each the JSON value.
    let csv = evidence(&home, &base, tf, "csv");
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let mut seen = 0;
    for row in rows.records() {
        let row = row.unwrap();
        let (record, id, figure, value) = (&row[0], &row[1], &row[3], &row[4]);
        let expected = match record {
            "incident" => {
                let inc = incs.iter().find(|i| i["id"] == id).unwrap();
                match figure
                    .strip_suffix("_secs")
                    .and_then(|p| inc["phase_times"].get(format!("{p}_secs")))
                {
                    Some(v) => v.clone(),
                    None if figure == "cadence_ok" => continue,
                    None => inc[figure].clone(),
                }
            }
            "total" => t[figure].clone(),
            "admin" => {
                let r = admin
                    .iter()
                    .find(|r| r["seq"].as_i64() == id.parse().ok())
                    .unwrap();
                if figure == "at" {
                    let got = chrono::DateTime::parse_from_rfc3339(value).unwrap();
                    let want = chrono::DateTime::parse_from_rfc3339(r["at"].as_str().unwrap());
                    assert_eq!(got, want.unwrap());
                    seen += 1;
                    continue;
                }
                r[figure].clone()
            }
            _ => continue,
        };
        let expected = match expected {
            Value::String(s) => s,
            Value::Null => String::new(),
            v => v.to_string(),
        };
        // Timestamps: the same instant, however written.
        if figure == "declared_at" {
            assert_eq!(
                chrono::DateTime::parse_from_rfc3339(value).unwrap(),
                chrono::DateTime::parse_from_rfc3339(&expected).unwrap()
            );
        } else {
            assert_eq!(value, expected, "{record} {id} {figure}");
        }
        seen += 1;
    }
    assert!(seen > 40, "{csv}");

    // Markdown: the same numbers, as a person reads them.
    let md = evidence(&home, &base, tf, "markdown");
    assert!(
        md.contains(
            "| INC-1 | SEV1 | yes | hosted (vendor) | 10m 0s | 30m 0s | 1h 0m | 5m 0s | 8d 0h 20m | 10m 0s | 1h 45m | 25m 0s (on time) | missed (2 kept, 1 missed) |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| INC-2 | SEV2 | no | self_hosted (customer) |"),
        "{md}"
    );
    assert!(
        md.contains("| INC-2 | ACT-2 | Tune the replica | db | 2026-08-20 | — | overdue |"),
        "{md}"
    );
    assert!(
        md.contains("| CTO | 2026-09-01 00:00 UTC | missed |"),
        "{md}"
    );
    assert!(
        md.contains("| customer-update deadlines kept | 2 of 3 | all |"),
        "{md}"
    );
    assert!(
        md.contains("| corrective actions overdue | 1 | 0 |"),
        "{md}"
    );
    assert!(!md.contains("INC-3"), "{md}");
    assert!(md.contains("## Administration"), "{md}");
    assert!(md.contains("| 2026-08-10 12:00:00 UTC | local:"), "{md}");
    assert!(
        md.contains("| token.create | quarter-bot | role=responder |"),
        "{md}"
    );
    assert!(!md.contains("october-bot"), "{md}");
    assert!(
        csv.contains("admin,") && csv.contains("quarter-bot"),
        "{csv}"
    );
    assert!(!csv.contains("october-bot"), "{csv}");

    // A viewer's export still has every figure, and says why the trail is missing.
    let viewer = cli_token(None, db, "viewer", "reader");
    let viewer_file = dir.path().join("viewer-token");
    std::fs::write(&viewer_file, &viewer).unwrap();
    std::fs::set_permissions(&viewer_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let vf = viewer_file.to_str().unwrap();
    let jv: Value = serde_json::from_str(&evidence(&home, &base, vf, "json")).unwrap();
    assert_eq!(jv["incidents"].as_array().unwrap().len(), 2, "{jv}");
    assert_eq!(jv["administration"]["status"], "unavailable", "{jv}");
    assert!(
        jv["administration"]["reason"]
            .as_str()
            .unwrap()
            .contains("commander"),
        "{jv}"
    );
    let mdv = evidence(&home, &base, vf, "markdown");
    assert!(mdv.contains("Not included:"), "{mdv}");
    assert!(!mdv.contains("quarter-bot"), "{mdv}");
}
