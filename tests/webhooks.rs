//! Signed outbound webhooks against real receivers: the Standard Webhooks reference
//! library (PyPI `standardwebhooks`, in a small Python receiver) and Debian's `webhook`
//! (adnanh/webhook) with a payload-hmac-sha256 rule. Both are started by the tests; with
//! `CI` set, a missing one fails the test instead of skipping it.
use crate::common::bin::{self, CliDb, KillOnDrop, Served, free_port, wait_listening};
use crate::common::receiver::{Receiver, write_secret};
use crate::common::{TestServer, assert_error};
use reqwest::Method;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a component is here; without it a test skips, or fails under CI.
fn have(what: &str, ok: bool) -> bool {
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is missing (.ci/run installs it)"
        );
        eprintln!("SKIPPED: {what} is missing");
    }
    ok
}

fn have_reference_library() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    have("python3 with the standardwebhooks package", ok)
}

async fn add_hook(t: &TestServer, url: &str, events: &[&str], secret: &str) -> Value {
    let (s, v) = t
        .call(
            Method::POST,
            "/webhooks",
            Some(json!({"url": url, "events": events, "secret": secret})),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{v}");
    v
}

/// Update ids delivered, in the order received (verified ones only).
fn update_ids(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["ok"] == true && l["type"] == "update.posted")
        .map(|l| l["data"]["id"].as_str().unwrap().to_string())
        .collect()
}

on_both_stores!(
    webhooks_are_for_commanders_and_never_show_their_secret,
    deliveries_verify_with_the_reference_library
);

async fn webhooks_are_for_commanders_and_never_show_their_secret(t: TestServer) {
    let (secret, _) = write_secret(t.dir.path());
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let body = json!({"url": url, "events": ["incident.*", "update.posted"], "secret": secret});
    let responder = t.responder.clone();
    let got = t
        .call_as(
            &responder,
            Method::POST,
            "/webhooks",
            Some(body.clone()),
            None,
        )
        .await;
    assert_eq!(got.0.as_u16(), 403, "{}", got.1);
    let viewer = t.viewer.clone();
    let got = t
        .call_as(&viewer, Method::GET, "/webhooks", None, None)
        .await;
    assert_eq!(got.0.as_u16(), 403, "{}", got.1);

    let added = add_hook(&t, &url, &["incident.*", "update.posted"], &secret).await;
    assert_eq!(added["state"], "ok");
    assert!(!added.to_string().contains(&secret[6..]), "{added}");
    let listed = t.call(Method::GET, "/webhooks", None).await;
    assert_eq!(listed.1["items"].as_array().unwrap().len(), 1);
    assert!(!listed.1.to_string().contains(&secret[6..]), "{}", listed.1);

    // Refusals name the field; nothing is stored.
    let own = format!("http://{}/api/v1/health", t.server.as_ref().unwrap().addr);
    let own_zero = format!(
        "http://0.0.0.0:{}/x",
        t.server.as_ref().unwrap().addr.port()
    );
    let own_name = format!(
        "http://localhost:{}/x",
        t.server.as_ref().unwrap().addr.port()
    );
    for (bad, field) in [
        (
            json!({"url": own, "events": ["*"], "secret": secret}),
            "url",
        ),
        (
            json!({"url": own_zero, "events": ["*"], "secret": secret}),
            "url",
        ),
        (
            json!({"url": own_name, "events": ["*"], "secret": secret}),
            "url",
        ),
        (
            json!({"url": "ftp://127.0.0.1/x", "events": ["*"], "secret": secret}),
            "url",
        ),
        // Cloud instance metadata (and credentials) live on link-local addresses.
        (
            json!({"url": "http://169.254.169.254/latest/meta-data/", "events": ["*"], "secret": secret}),
            "url",
        ),
        (
            json!({"url": "http://[::ffff:169.254.169.254]/x", "events": ["*"], "secret": secret}),
            "url",
        ),
        (
            json!({"url": url, "events": ["incidents.*"], "secret": secret}),
            "events",
        ),
        (
            json!({"url": url, "events": [], "secret": secret}),
            "events",
        ),
        (
            json!({"url": url, "events": ["*"], "secret": "hunter2"}),
            "secret",
        ),
        (
            json!({"url": url, "events": ["*"], "secret": secret, "format": "teams"}),
            "format",
        ),
    ] {
        let got = t.call(Method::POST, "/webhooks", Some(bad.clone())).await;
        assert_error(&got, 422, field);
        assert!(!got.1.to_string().contains(&secret[6..]), "{}", got.1);
    }
    let listed = t.call(Method::GET, "/webhooks", None).await;
    assert_eq!(listed.1["items"].as_array().unwrap().len(), 1);

    let id = added["id"].as_str().unwrap();
    let got = t
        .call_as(
            &responder,
            Method::DELETE,
            &format!("/webhooks/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(got.0.as_u16(), 403, "{}", got.1);
    let got = t
        .call(Method::DELETE, &format!("/webhooks/{id}"), None)
        .await;
    assert_eq!(got.0.as_u16(), 200, "{}", got.1);
    let got = t
        .call(Method::DELETE, &format!("/webhooks/{id}"), None)
        .await;
    assert_error(&got, 404, "id");
}

/// A token demoted after it authenticated cannot add a webhook: the role is read again in
/// the write's own transaction.
#[tokio::test]
async fn a_commander_token_revoked_mid_request_adds_nothing() {
    let t = TestServer::start().await;
    let (secret, _) = write_secret(t.dir.path());
    let store = &t.server.as_ref().unwrap().store;
    let token = store
        .create_token("temp", sitrep::domain::Role::Commander)
        .await
        .unwrap();
    store.revoke_token("temp").await.unwrap();
    let spec = sitrep::server::store::WebhookSpec {
        url: "http://127.0.0.1:9/x",
        events: &["*".to_string()],
        format: Default::default(),
        secret: &secret,
    };
    let hash = sitrep::server::store::hash_token(&token);
    assert!(store.add_webhook(&hash, &spec).await.is_err());
    let rex = sitrep::server::store::hash_token(&t.responder);
    assert!(store.add_webhook(&rex, &spec).await.is_err());
    assert!(store.list_webhooks().await.unwrap().is_empty());
}

/// A customer update posted through the API reaches a receiver that verifies it with the
/// specification's reference library, signed, within 2 s; a forged one is refused by it.
async fn deliveries_verify_with_the_reference_library(t: TestServer) {
    if !have_reference_library() {
        return;
    }
    let rx = Receiver::running(t.dir.path()).await;
    add_hook(
        &t,
        &rx.url("/hook"),
        &["incident.*", "update.posted"],
        &rx.secret,
    )
    .await;
    let inc = t
        .create_incident(
            json!({"title": "Checkout down", "severity": "SEV1", "customer_impact": true}),
        )
        .await;
    let id = inc["id"].as_str().unwrap();
    let upd = t.customer_update(id).await;
    // From the 201: the change is stored, and from then on the clock is the worker's.
    let posted = Instant::now();
    let lines = rx
        .until(Duration::from_secs(2), |l| !update_ids(l).is_empty())
        .await;
    eprintln!(
        "customer update verified at the receiver {:?} after it was posted",
        posted.elapsed()
    );
    assert!(lines.iter().all(|l| l["ok"] == true), "{lines:?}");
    assert_eq!(lines[0]["type"], "incident.created");
    assert_eq!(update_ids(&lines), [upd["id"].as_str().unwrap()]);
    assert_eq!(lines.last().unwrap()["data"]["impact_scope"], "EU checkout");

    // The same receiver refuses a body whose signature does not match.
    let forged = reqwest::Client::new()
        .post(rx.url("/hook"))
        .header("webhook-id", "evt_1")
        .header(
            "webhook-timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header(
            "webhook-signature",
            "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        )
        .body(r#"{"type":"update.posted","timestamp":"x","data":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);

    let list = t.call(Method::GET, "/webhooks", None).await.1;
    let hook = &list["items"][0];
    assert_eq!(hook["state"], "ok");
    let deliveries = t
        .call(
            Method::GET,
            &format!("/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
            None,
        )
        .await
        .1;
    assert_eq!(deliveries["items"][0]["status"], 204, "{deliveries}");
}

/// A receiver that is down, then comes back, gets every event, in order; while it is down
/// writes are not held up.
#[tokio::test]
async fn a_receiver_that_comes_back_gets_every_event_in_order() {
    if !have_reference_library() {
        return;
    }
    let t = TestServer::start_with(|c| {
        c.webhooks.retry_base = Duration::from_millis(100);
        c.webhooks.retry_max = Duration::from_millis(400);
    })
    .await;
    let mut rx = Receiver::prepare(t.dir.path());
    add_hook(&t, &rx.url("/hook"), &["update.posted"], &rx.secret).await;
    let inc = t
        .create_incident(
            json!({"title": "Search slow", "severity": "SEV2", "customer_impact": true}),
        )
        .await;
    let id = inc["id"].as_str().unwrap();
    let mut sent = Vec::new();
    for _ in 0..5 {
        sent.push(
            t.customer_update(id).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Failing, retrying: the list says so.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = t.call(Method::GET, "/webhooks", None).await.1;
        if list["items"][0]["last_error"].is_string() {
            assert_eq!(list["items"][0]["state"], "ok", "retrying, not given up");
            break;
        }
        assert!(Instant::now() < deadline, "no failure recorded: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rx.start().await;
    let lines = rx
        .until(Duration::from_secs(15), |l| update_ids(l).len() >= 5)
        .await;
    assert_eq!(update_ids(&lines), sent, "every event, in order");
    let list = t.call(Method::GET, "/webhooks", None).await.1;
    assert!(list["items"][0]["last_error"].is_null(), "{list}");
}

/// A subscription failing for longer than the give-up time stops and is marked failing.
#[tokio::test]
async fn a_receiver_dead_past_the_give_up_time_marks_the_webhook_failing() {
    let t = TestServer::start_with(|c| {
        c.webhooks.retry_base = Duration::from_millis(50);
        c.webhooks.retry_max = Duration::from_millis(100);
        c.webhooks.give_up_after = Duration::from_millis(500);
    })
    .await;
    let (secret, _) = write_secret(t.dir.path());
    add_hook(
        &t,
        &format!("http://127.0.0.1:{}/hook", free_port()),
        &["*"],
        &secret,
    )
    .await;
    t.create_incident(json!({"title": "Queue stuck", "severity": "SEV3"}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = t.call(Method::GET, "/webhooks", None).await.1;
        if list["items"][0]["state"] == "failing" {
            assert!(list["items"][0]["failing_since"].is_string(), "{list}");
            break;
        }
        assert!(Instant::now() < deadline, "never marked failing: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What a commander's console asks at each connection, for its header.
    let base = format!("http://{}", t.server.as_ref().unwrap().addr);
    let console =
        sitrep::client::ApiClient::new(&base, sitrep::client::Token::new(t.commander.clone()))
            .unwrap();
    assert_eq!(
        sitrep::webhooks::cli::failing(&console).await.unwrap(),
        ["WH-1"]
    );
    let viewer =
        sitrep::client::ApiClient::new(&base, sitrep::client::Token::new(t.viewer.clone()))
            .unwrap();
    assert!(sitrep::webhooks::cli::failing(&viewer).await.is_err());
}

/// kill -9 of the server while a receiver is down loses nothing: after a restart the
/// durable cursor resumes, and every event arrives, in order. Run with the real binary and
/// the real CLI (`sitrep webhook add`).
#[tokio::test]
async fn a_server_killed_and_restarted_loses_no_delivery() {
    if !have_reference_library() {
        return;
    }
    let home = CliDb::new("s.db", "cora");
    let (db, token) = (home.db_str(), home.token.clone());
    let mut rx = Receiver::running(home.dir.path()).await;
    let server = Served::start(db, &[]).await;
    let port = server.port;
    let api = server.base();
    let add = bin::command(
        None,
        &[
            "webhook",
            "add",
            &rx.url("/h"),
            "--events",
            "update.posted",
            "--secret-file",
            rx.secret_file.to_str().unwrap(),
            "--api",
            &api,
        ],
    )
    .env("SITREP_TOKEN", &token)
    .output()
    .unwrap();
    assert!(add.status.success(), "{}", bin::stderr(&add));
    assert_eq!(String::from_utf8_lossy(&add.stdout).trim(), "WH-1");

    let client = reqwest::Client::new();
    let post = |path: String, body: Value| {
        client
            .post(format!("{api}/api/v1{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let inc: Value = post(
        "/incidents".into(),
        json!({"title": "DB failover", "severity": "SEV1", "customer_impact": true}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = inc["id"].as_str().unwrap().to_string();
    let mut sent = Vec::new();
    let update = json!({"audience": "customer", "impact_scope": "All", "current_status": "Investigating", "next_steps": "Fail over"});
    for _ in 0..3 {
        let u: Value = post(format!("/incidents/{id}/updates"), update.clone())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sent.push(u["id"].as_str().unwrap().to_string());
    }
    rx.until(Duration::from_secs(10), |l| update_ids(l).len() >= 3)
        .await;

    // The receiver goes away; more updates; the server dies without a goodbye.
    rx.stop();
    for _ in 0..3 {
        let u: Value = post(format!("/incidents/{id}/updates"), update.clone())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sent.push(u["id"].as_str().unwrap().to_string());
    }
    // Killed once the failure is on record, i.e. mid-retry.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list: Value = client
            .get(format!("{api}/api/v1/webhooks"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if list["items"][0]["last_error"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "no failure recorded: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();

    rx.start().await;
    let _server = Served::start_on(db, port, &[]).await;
    let lines = rx
        .until(Duration::from_secs(15), |l| update_ids(l).len() >= 6)
        .await;
    let got = update_ids(&lines);
    // At-least-once: an event in flight at the kill may come twice, never out of order.
    let mut unique = got.clone();
    unique.dedup();
    assert_eq!(unique, sent, "{got:?}");

    let list = bin::command(None, &["webhook", "list", "--api", &api])
        .env("SITREP_TOKEN", &token)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(text.contains("WH-1") && text.contains(" ok "), "{text}");
    assert!(!text.contains(&rx.secret), "{text}");

    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--api", &api]);
        let o = bin::command(None, &all)
            .env("SITREP_TOKEN", &token)
            .output()
            .unwrap();
        assert!(o.status.success(), "{args:?}: {}", bin::stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let history = cli(&["webhook", "deliveries", "WH-1"]);
    assert!(
        history.contains("update.posted") && history.contains("HTTP 204"),
        "{history}"
    );
    assert!(
        history.contains("could not connect to the receiver"),
        "{history}"
    );
    assert_eq!(cli(&["webhook", "remove", "WH-1"]).trim(), "removed WH-1");
    assert!(cli(&["webhook", "list"]).starts_with("no webhooks"));
}

/// Debian's `webhook` (adnanh/webhook) with a payload-hmac-sha256 trigger rule runs its
/// hook for sitrep's signed deliveries and not for a forged one.
#[tokio::test]
async fn a_real_receiver_checking_the_hmac_runs_only_for_good_signatures() {
    let present = Command::new("webhook")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have("Debian's webhook (adnanh/webhook)", present) {
        return;
    }
    let t = TestServer::start().await;
    let dir = t.dir.path();
    let (secret, _) = write_secret(dir);
    let ran = dir.join("ran.log");
    let script = dir.join("on-hook.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1\" >> {}\n", ran.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let hooks = json!([{
        "id": "sitrep",
        "execute-command": script.to_str().unwrap(),
        "pass-arguments-to-command": [{"source": "header", "name": "webhook-id"}],
        "trigger-rule-mismatch-http-response-code": 401,
        "trigger-rule": {"match": {
            "type": "payload-hmac-sha256",
            "secret": "sitrep-test-key-0123456789abcdef",
            "parameter": {"source": "header", "name": "X-Sitrep-Signature-256"}
        }}
    }]);
    let conf = dir.join("hooks.json");
    std::fs::write(&conf, hooks.to_string()).unwrap();
    let port = free_port();
    let _rx = KillOnDrop(
        Command::new("webhook")
            .args([
                "-hooks",
                conf.to_str().unwrap(),
                "-ip",
                "127.0.0.1",
                "-port",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(port).await;
    let url = format!("http://127.0.0.1:{port}/hooks/sitrep");
    let forged = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("webhook-id", "forged")
        .header(
            "X-Sitrep-Signature-256",
            format!("sha256={}", "0".repeat(64)),
        )
        .body(r#"{"type":"update.posted"}"#)
        .send()
        .await
        .unwrap();
    // webhook 2.8 answers a signature mismatch as an error in evaluating its rules (500).
    assert!(!forged.status().is_success(), "{}", forged.status());

    add_hook(&t, &url, &["incident.*"], &secret).await;
    t.create_incident(json!({"title": "Login errors", "severity": "SEV2"}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let log = loop {
        let log = std::fs::read_to_string(&ran).unwrap_or_default();
        if !log.is_empty() {
            break log;
        }
        assert!(Instant::now() < deadline, "the hook never ran");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(log.lines().all(|l| l.starts_with("evt_")), "{log}");
    assert!(!log.contains("forged"), "{log}");
}

/// `--format slack`: one readable line per event a channel cares about, user text escaped
/// for mrkdwn, a link to the status page; other events are not posted. The receiver still
/// checks the signature.
#[tokio::test]
async fn slack_messages_are_one_escaped_line_per_event_that_matters() {
    if !have_reference_library() {
        return;
    }
    let t = TestServer::start_with(|c| {
        c.webhooks.public_url = Some("https://status.example.com".into());
    })
    .await;
    let rx = Receiver::running(t.dir.path()).await;
    let (s, v) = t
        .call(
            Method::POST,
            "/webhooks",
            Some(json!({"url": rx.url("/chat"), "events": ["*"],
                "secret": rx.secret, "format": "slack"})),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{v}");
    assert_eq!(v["format"], "slack");

    // Not a SEV1: no message for its creation.
    let quiet = t
        .create_incident(json!({"title": "Disk 80%", "severity": "SEV3"}))
        .await;
    let inc = t
        .create_incident(json!({"title": "<!channel> Checkout & <https://evil|pay>", "severity": "SEV2", "customer_impact": true}))
        .await;
    let id = inc["id"].as_str().unwrap();
    let (s, v) = t
        .patch(
            id,
            json!({"severity": "SEV1", "reason": "EU cards <failing>"}),
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{v}");
    let (s, v) = t.patch(id, json!({"phase": "triage"})).await;
    assert_eq!(s.as_u16(), 200, "{v}");
    t.customer_update(id).await;
    let sev1 = t
        .create_incident(json!({"title": "Login down", "severity": "SEV1"}))
        .await;

    let lines = rx
        .until(Duration::from_secs(10), |l| {
            l.iter().any(|x| {
                x["body"]["text"]
                    .as_str()
                    .is_some_and(|s| s.contains("Login down"))
            })
        })
        .await;
    let texts: Vec<String> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["ok"], true, "{l}");
            let text = l["body"]["text"].as_str().unwrap().to_string();
            assert_eq!(l["body"]["blocks"][0]["text"]["text"], text.as_str());
            assert!(
                text.ends_with(" (<https://status.example.com|status page>)"),
                "{text}"
            );
            text
        })
        .collect();
    assert_eq!(texts.len(), 4, "{texts:#?}");
    assert!(
        !texts
            .iter()
            .any(|t| t.contains(quiet["id"].as_str().unwrap())),
        "{texts:#?}"
    );
    let title = "&lt;!channel&gt; Checkout &amp; &lt;https://evil|pay&gt;";
    assert!(
        texts[0].contains(&format!(
            "{id} {title}: severity SEV2 → *SEV1* — reason: EU cards &lt;failing&gt;"
        )),
        "{}",
        texts[0]
    );
    assert!(
        texts[1].contains("phase detection → *triage*"),
        "{}",
        texts[1]
    );
    assert!(
        texts[2].contains("*Impact:* EU checkout *Status:* Failing over *Next:* Watch error rates"),
        "{}",
        texts[2]
    );
    assert!(
        texts[3].starts_with(&format!(
            ":rotating_light: New *SEV1* {}: Login down",
            sev1["id"].as_str().unwrap()
        )),
        "{}",
        texts[3]
    );
    for t in &texts {
        assert!(
            !t.contains("<!channel>") && !t.contains("<https://evil"),
            "{t}"
        );
    }
}

/// A customer update that becomes overdue (time passes; no write announces it) is posted
/// to a chat subscription once per due time.
#[tokio::test]
async fn an_overdue_customer_update_is_announced_to_chat_once() {
    if !have_reference_library() {
        return;
    }
    let t = TestServer::start_with(|c| {
        c.webhooks.overdue_every = Duration::from_millis(100);
    })
    .await;
    let rx = Receiver::running(t.dir.path()).await;
    let (s, v) = t
        .call(
            Method::POST,
            "/webhooks",
            Some(json!({"url": rx.url("/chat"), "events": ["incident.*"],
                "secret": rx.secret, "format": "slack"})),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{v}");
    let inc = t
        .create_incident(
            json!({"title": "Payments <slow>", "severity": "SEV2", "customer_impact": true}),
        )
        .await;
    let id = inc["id"].as_str().unwrap();
    // Move its due time into the past, as an hour of waiting would.
    {
        use sqlx::Connection;
        let url = format!("sqlite://{}", t.dir.path().join("t.db").display());
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE incidents SET data = json_set(data, '$.next_update_due_at', '2020-01-01T00:00:00Z') WHERE id = $1")
            .bind(id)
            .execute(&mut db)
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    let overdue = |l: &[Value]| {
        l.iter()
            .filter(|x| {
                x["body"]["text"]
                    .as_str()
                    .is_some_and(|s| s.contains("OVERDUE"))
            })
            .count()
    };
    let lines = rx.until(Duration::from_secs(10), |l| overdue(l) >= 1).await;
    let text = lines
        .iter()
        .find(|x| x["body"]["text"].as_str().unwrap().contains("OVERDUE"))
        .unwrap()["body"]["text"]
        .clone();
    assert_eq!(
        text.as_str().unwrap(),
        format!(":warning: Customer update *OVERDUE* on {id} SEV2: Payments &lt;slow&gt;")
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(overdue(&rx.received()), 1, "announced once per due time");
}
