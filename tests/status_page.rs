//! The public status page (`sitrep serve --status-page`): what it shows and, above all,
//! what it never shows; escaping of hostile text in HTML, Atom and JSON; caching headers
//! and conditional GET; a customer update reaching every format at once.
use crate::common;

use common::TestServer;
use common::hostile_text::{evil, evil_body};
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sitrep::server::Database;
use sitrep::server::status_page::{CSP, StatusPageConfig};
use std::time::{Duration, Instant};

const FORMATS: [&str; 4] = [
    "/status",
    "/status/feed.atom",
    "/status/api/v2/summary.json",
    "/status/api/v2/incidents.json",
];

async fn with_page() -> TestServer {
    TestServer::start_with(|c| c.status_page = Some(StatusPageConfig::default())).await
}

fn root(t: &TestServer) -> String {
    t.base.trim_end_matches("/api/v1").to_string()
}

/// GET without a token.
async fn get(t: &TestServer, path: &str) -> (StatusCode, HeaderMap, String) {
    let r = t
        .http
        .get(format!("{}{path}", root(t)))
        .send()
        .await
        .unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

async fn ok(t: &TestServer, path: &str) -> String {
    let (s, _, body) = get(t, path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    body
}

async fn post(t: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let (s, v) = t.call_as(token, Method::POST, path, Some(body), None).await;
    assert!(s.is_success(), "{path}: {s} {v}");
    v
}

/// A customer-impacting incident opened by an alert (so it has a signal) and full of
/// internal data: title, summary, commander, roles, a severity change with a reason,
/// internal updates, a note, a risk exception, a corrective action. One customer update.
/// Returns each internal field's name and value.
async fn incident_full_of_internal_data(t: &TestServer) -> Vec<(&'static str, String)> {
    let alert = json!({
        "version": "4", "groupKey": "{}:{alertname=\"SecretAlertName\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "sitrep",
        "groupLabels": {"alertname": "SecretAlertName"},
        "commonLabels": {"alertname": "SecretAlertName", "job": "secret-job-label"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager.internal:9093",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "SecretAlertName", "severity": "critical", "instance": "db-secret-host:5432"},
            "annotations": {"summary": "secret annotation summary", "runbook_url": "https://runbooks.internal/secret"},
            "startsAt": "2026-11-29T05:00:00.000Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.internal/graph?secret-expr", "fingerprint": "secretfp01"
        }]
    });
    let r = t.responder.clone();
    post(t, &r, "/ingest/alertmanager", alert).await;
    let (s, v) = t
        .patch(
            "INC-1",
            json!({
                "title": "Secret internal title", "summary": "secret summary of the root cause",
                "commander": "Alice Secretperson", "roles": {"comms_lead": "Bob Hiddenname"},
                "customer_impact": true, "impact_scope": "secret draft scope",
            }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = t
        .patch(
            "INC-1",
            json!({"severity": "SEV2", "reason": "secret severity reason"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let c = t.commander.clone();
    post(
        t,
        &c,
        "/incidents/INC-1/updates",
        json!({"audience": "internal", "impact_scope": "secret internal scope",
               "current_status": "secret internal status", "next_steps": "secret internal steps"}),
    )
    .await;
    post(
        t,
        &c,
        "/incidents/INC-1/notes",
        json!({"text": "secret scribe note"}),
    )
    .await;
    let due = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    post(
        t,
        &c,
        "/incidents/INC-1/exceptions",
        json!({"description": "secret exception description",
               "risk_accepted_by": "Carol Riskowner", "remediation_due": due}),
    )
    .await;
    post(
        t,
        &c,
        "/incidents/INC-1/actions",
        json!({"title": "secret corrective action", "owner": "Dan Actionowner", "due_date": "2027-01-15"}),
    )
    .await;
    post(
        t,
        &c,
        "/incidents/INC-1/updates",
        json!({"audience": "customer", "impact_scope": "Checkout in the EU is slow",
               "current_status": "We are moving traffic to a healthy region",
               "next_steps": "We will confirm once error rates are normal"}),
    )
    .await;
    vec![
        ("incident id", "INC-1".into()),
        ("update id", "UPD-".into()),
        ("action id", "ACT-1".into()),
        ("exception id", "EXC-1".into()),
        ("title", "Secret internal title".into()),
        ("alert title", "SecretAlertName".into()),
        ("summary", "secret summary".into()),
        ("commander", "Secretperson".into()),
        ("role holder", "Hiddenname".into()),
        ("draft impact scope", "secret draft scope".into()),
        ("severity reason", "secret severity reason".into()),
        ("severity", "SEV".into()),
        ("internal update scope", "secret internal scope".into()),
        ("internal update status", "secret internal status".into()),
        ("internal update steps", "secret internal steps".into()),
        ("note", "secret scribe note".into()),
        ("exception", "secret exception".into()),
        ("risk owner", "Riskowner".into()),
        ("action", "secret corrective action".into()),
        ("action owner", "Actionowner".into()),
        ("signal label", "secret-job-label".into()),
        ("signal host", "db-secret-host".into()),
        ("signal annotation", "secret annotation".into()),
        ("signal link", "prometheus.internal".into()),
        ("runbook", "runbooks.internal".into()),
        ("fingerprint", "secretfp01".into()),
        ("source", "alertmanager".into()),
        ("actor (commander token)", "cora".into()),
        ("actor (responder token)", "rex".into()),
        ("commander token", t.commander.clone()),
        ("responder token", t.responder.clone()),
        ("viewer token", t.viewer.clone()),
        ("token prefix", "sitrep_".into()),
    ]
}

#[tokio::test]
async fn page_feed_and_json_show_the_customer_update_and_nothing_internal() {
    nothing_internal(with_page().await).await
}

/// The same on PostgreSQL (when the harness can start one; CI requires it).
#[tokio::test]
async fn nothing_internal_on_postgres_either() {
    if let Some(url) = common::pg::fresh_database().await {
        let page = Some(StatusPageConfig::default());
        nothing_internal(
            TestServer::start_db(Database::Postgres(url), |c| c.status_page = page).await,
        )
        .await
    }
}

async fn nothing_internal(t: TestServer) {
    let internal = incident_full_of_internal_data(&t).await;
    for path in FORMATS.iter().chain(&["/status/api/v2/status.json"]) {
        let body = ok(&t, path).await;
        for (field, value) in &internal {
            assert!(
                !body.to_lowercase().contains(&value.to_lowercase()),
                "{path} shows the {field} ({value:?}):\n{body}"
            );
        }
    }
    for path in FORMATS {
        let body = ok(&t, path).await;
        for public in [
            "Checkout in the EU is slow",
            "We are moving traffic to a healthy region",
            "We will confirm once error rates are normal",
        ] {
            assert!(body.contains(public), "{path} lacks {public:?}:\n{body}");
        }
    }
    let html = ok(&t, "/status").await;
    assert!(html.contains("Next update due"), "{html}");
    assert!(html.contains("Partial System Outage"), "{html}");
    let summary: Value =
        serde_json::from_str(&ok(&t, "/status/api/v2/summary.json").await).unwrap();
    assert_eq!(summary["status"]["indicator"], "major");
    let inc = &summary["incidents"][0];
    assert_eq!(inc["status"], "investigating");
    assert_eq!(inc["impact"], "major");
    assert_eq!(inc["name"], "Checkout in the EU is slow");
    let upd = &inc["incident_updates"][0];
    assert_eq!(upd["incident_id"], inc["id"]);
    assert!(upd["next_update_at"].is_string(), "{upd}");
    assert_eq!(inc["incident_updates"].as_array().unwrap().len(), 1);
    assert_eq!(summary["components"], json!([]));
}

#[tokio::test]
async fn incidents_without_customer_impact_or_customer_updates_stay_off_the_page() {
    let t = with_page().await;
    t.create_incident(json!({"title": "internal only", "severity": "SEV1"}))
        .await;
    t.customer_update("INC-1").await;
    t.create_incident(
        json!({"title": "impact, nothing said yet", "severity": "SEV1", "customer_impact": true}),
    )
    .await;
    let summary: Value =
        serde_json::from_str(&ok(&t, "/status/api/v2/summary.json").await).unwrap();
    assert_eq!(summary["incidents"], json!([]), "{summary}");
    assert_eq!(summary["status"]["indicator"], "none");
    assert!(ok(&t, "/status").await.contains("All Systems Operational"));
}

#[tokio::test]
async fn a_resolved_incident_moves_to_the_resolved_section() {
    let t = with_page().await;
    t.create_incident(json!({"title": "x", "severity": "SEV3", "customer_impact": true}))
        .await;
    t.customer_update("INC-1").await;
    let (s, v) = t
        .patch(
            "INC-1",
            json!({"phase": "follow_through", "reason": "fixed"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let summary: Value =
        serde_json::from_str(&ok(&t, "/status/api/v2/summary.json").await).unwrap();
    assert_eq!(summary["incidents"], json!([]));
    let all: Value = serde_json::from_str(&ok(&t, "/status/api/v2/incidents.json").await).unwrap();
    let inc = &all["incidents"][0];
    assert_eq!(inc["status"], "resolved");
    assert!(inc["resolved_at"].is_string(), "{inc}");
    // The update was posted while the incident was still being investigated.
    assert_eq!(inc["incident_updates"][0]["status"], "investigating");
    let html = ok(&t, "/status").await;
    let resolved = html.split("Resolved in the last 90 days").nth(1).unwrap();
    assert!(resolved.contains("EU checkout"), "{html}");
    assert!(!ok(&t, "/status").await.contains("fixed"));
}

/// Every text field of a customer update carries the terminal attacks of the sanitizer's
/// corpus plus markup and script injections; none may become markup, script or XML.
#[tokio::test]
async fn hostile_text_stays_text_in_html_atom_and_json() {
    let t = with_page().await;
    const MARKUP: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>' \
        </dd></dl><a href=\"javascript:alert(3)\">x</a><style>*{}</style><!-- ]]> &amp; \
        <meta http-equiv=refresh content=0;url=http://evil.example/>";
    let scope = format!("{}{MARKUP}", evil("scope"));
    t.create_incident(json!({"title": "t", "severity": "SEV1", "customer_impact": true}))
        .await;
    let c = t.commander.clone();
    post(
        &t,
        &c,
        "/incidents/INC-1/updates",
        json!({"audience": "customer", "impact_scope": scope,
               "current_status": format!("{MARKUP}{}", evil_body("status").chars().take(9000).collect::<String>()),
               "next_steps": format!("{MARKUP}{}", evil("steps"))}),
    )
    .await;
    for path in FORMATS {
        let body = ok(&t, path).await;
        for bad in [
            '\x1b',
            '\x07',
            '\u{9b}',
            '\u{9d}',
            '\u{202e}',
            '\u{200b}',
            '\u{e0068}',
        ] {
            assert!(!body.contains(bad), "{path} carries {bad:?}");
        }
    }
    let html = ok(&t, "/status").await;
    assert_only_our_markup(&html);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    // The feed is well-formed XML whose entry reads back as the text that was posted.
    let feed: atom_syndication::Feed = ok(&t, "/status/feed.atom").await.parse().unwrap();
    let content = feed.entries[0].content.as_ref().unwrap();
    assert_eq!(content.content_type.as_deref(), Some("text"));
    assert!(content.value.as_ref().unwrap().contains(MARKUP));
    assert!(content.value.as_ref().unwrap().contains("indented"));
    assert!(
        feed.entries[0]
            .title
            .value
            .contains("<script>alert(1)</script>")
    );
    let summary: Value =
        serde_json::from_str(&ok(&t, "/status/api/v2/summary.json").await).unwrap();
    let steps = summary["incidents"][0]["incident_updates"][0]["next_steps"]
        .as_str()
        .unwrap();
    assert!(steps.starts_with(MARKUP), "{steps}");
}

/// Every tag and attribute in the page is one the renderer writes itself.
fn assert_only_our_markup(html: &str) {
    const TAGS: &[&str] = &[
        "!DOCTYPE", "html", "head", "meta", "title", "link", "body", "header", "h1", "h2", "h3",
        "h4", "p", "main", "section", "article", "span", "ol", "li", "dl", "dt", "dd", "time",
        "footer", "a", "details", "summary",
    ];
    const ATTRS: &[&str] = &[
        "lang",
        "charset",
        "name",
        "content",
        "http-equiv",
        "rel",
        "href",
        "type",
        "title",
        "class",
        "role",
        "aria-labelledby",
        "id",
        "datetime",
        "html",
    ];
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let end = rest[at..].find('>').expect("unclosed tag") + at;
        let tag = &rest[at + 1..end];
        let mut words = tag.trim_start_matches('/').split_whitespace();
        let name = words.next().unwrap_or("");
        assert!(TAGS.contains(&name), "unexpected tag <{tag}>");
        // Attributes: name="value" with no raw quote inside a value.
        let mut attrs = &tag[tag.find(char::is_whitespace).unwrap_or(tag.len())..];
        while !attrs.trim().is_empty() {
            attrs = attrs.trim_start();
            let eq = attrs.find('=').unwrap_or(attrs.len());
            let attr = attrs[..eq].trim();
            assert!(
                ATTRS.contains(&attr),
                "unexpected attribute {attr:?} in <{tag}>"
            );
            if eq == attrs.len() {
                break;
            }
            let value = &attrs[eq + 1..];
            assert!(value.starts_with('"'), "unquoted value in <{tag}>");
            let close = value[1..].find('"').unwrap() + 1;
            if attr == "href" {
                assert!(
                    value[1..close].starts_with("/status"),
                    "link out of the page: <{tag}>"
                );
            }
            attrs = &value[close + 1..];
        }
        rest = &rest[end + 1..];
    }
}

#[tokio::test]
async fn answers_carry_security_and_cache_headers_and_honour_if_none_match() {
    let t = with_page().await;
    t.create_incident(json!({"title": "t", "severity": "SEV2", "customer_impact": true}))
        .await;
    t.customer_update("INC-1").await;
    let mut tags = Vec::new();
    for path in FORMATS
        .iter()
        .chain(&["/status/style.css", "/status/api/v2/status.json"])
    {
        let (s, h, body) = get(&t, path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP, "{path}");
        assert!(!CSP.contains("unsafe"), "{CSP}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert!(
            h[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("max-age=")
        );
        let tag = h[header::ETAG].clone();
        let again = t
            .http
            .get(format!("{}{path}", root(&t)))
            .header(header::IF_NONE_MATCH, tag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[header::ETAG], tag);
        assert!(again.text().await.unwrap().is_empty());
        assert!(!body.is_empty());
        tags.push((path.to_string(), tag));
    }
    let (_, h, _) = get(&t, "/status").await;
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let (_, h, _) = get(&t, "/status/feed.atom").await;
    assert_eq!(
        h[header::CONTENT_TYPE],
        "application/atom+xml; charset=utf-8"
    );
    let (_, h, _) = get(&t, "/status/api/v2/summary.json").await;
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    // A new customer update changes every tag but the stylesheet's.
    t.customer_update("INC-1").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (path, old) in &tags {
        let (_, h, _) = get(&t, path).await;
        assert_eq!(h[header::ETAG] == *old, path.ends_with(".css"), "{path}");
    }
}

#[tokio::test]
async fn a_customer_update_reaches_page_feed_and_summary_within_two_seconds() {
    let t = with_page().await;
    t.create_incident(json!({"title": "t", "severity": "SEV1", "customer_impact": true}))
        .await;
    t.customer_update("INC-1").await;
    // Warm every format, so a cached snapshot is what the new update must get past.
    for path in FORMATS {
        ok(&t, path).await;
    }
    let c = t.commander.clone();
    post(
        &t,
        &c,
        "/incidents/INC-1/updates",
        json!({"audience": "customer", "impact_scope": "EU checkout",
               "current_status": "Second update 7731", "next_steps": "Watch"}),
    )
    .await;
    let posted = Instant::now();
    for path in FORMATS {
        loop {
            if ok(&t, path).await.contains("Second update 7731") {
                break;
            }
            assert!(
                posted.elapsed() < Duration::from_secs(2),
                "{path} still stale"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn the_page_can_have_a_listener_of_its_own_and_is_off_by_default() {
    let off = TestServer::start().await;
    assert_eq!(get(&off, "/status").await.0, StatusCode::NOT_FOUND);
    let t = TestServer::start_with(|c| {
        c.status_page = Some(StatusPageConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            title: "Acme <status>".into(),
            public_url: Some("https://status.example.com".into()),
        })
    })
    .await;
    let apart = t.server.as_ref().unwrap().status_addr().unwrap();
    assert_eq!(get(&t, "/status").await.0, StatusCode::NOT_FOUND);
    let page = t
        .http
        .get(format!("http://{apart}/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<h1>Acme &lt;status&gt;</h1>")
    );
    // The API stays on its own listener.
    let api = t
        .http
        .get(format!("http://{apart}/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    // With the public address known, the feed and the JSON link absolutely.
    t.create_incident(json!({"title": "t", "severity": "SEV2", "customer_impact": true}))
        .await;
    t.customer_update("INC-1").await;
    let get_apart = |path: &str| t.http.get(format!("http://{apart}{path}")).send();
    // The page shows a new update within 2 s (its snapshot follows the event log, and the
    // page was read above, before the update).
    let posted = Instant::now();
    let summary: Value = loop {
        let summary: Value = get_apart("/status/api/v2/summary.json")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if summary["incidents"][0].is_object() || posted.elapsed() > Duration::from_secs(2) {
            break summary;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(summary["page"]["url"], "https://status.example.com/status");
    assert_eq!(summary["page"]["name"], "Acme <status>");
    let short = summary["incidents"][0]["shortlink"].as_str().unwrap();
    assert!(
        short.starts_with("https://status.example.com/status#incident-"),
        "{short}"
    );
    let feed: atom_syndication::Feed = get_apart("/status/feed.atom")
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(feed.entries[0].links[0].href, short);
    assert!(
        feed.links
            .iter()
            .any(|l| l.rel == "self" && l.href == "https://status.example.com/status/feed.atom")
    );
}

/// The unkeyed hash the page once used for its keys, which anyone could recompute from an
/// id and a time: no key on the page may be it.
fn unkeyed(kind: &str, id: &str, at: &str) -> String {
    use sha2::{Digest, Sha256};
    let at: chrono::DateTime<chrono::Utc> = at.parse().unwrap();
    let mut h = Sha256::new();
    h.update(format!("{kind}\0{id}\0{}", at.to_rfc3339()));
    hex::encode(&h.finalize()[..8])
}

/// Every incident and update key in incidents.json of the server at `root`.
async fn public_keys(http: &reqwest::Client, root: &str) -> Vec<String> {
    let r = http
        .get(format!("{root}/status/api/v2/incidents.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let mut keys = Vec::new();
    for inc in v["incidents"].as_array().unwrap() {
        keys.push(inc["id"].as_str().unwrap().to_string());
        for u in inc["incident_updates"].as_array().unwrap() {
            keys.push(u["id"].as_str().unwrap().to_string());
        }
    }
    keys
}

#[tokio::test]
async fn keys_cannot_be_recomputed_from_ids_and_survive_a_restart() {
    let mut t = with_page().await;
    t.create_incident(json!({"title": "x", "severity": "SEV2", "customer_impact": true}))
        .await;
    t.customer_update("INC-1").await;
    t.customer_update("INC-1").await;
    let keys = public_keys(&t.http, &root(&t)).await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    // The real ids and times, as the API knows them: the old scheme's guesses.
    let (_, inc) = t.call(Method::GET, "/incidents/INC-1", None).await;
    let mut guesses = vec![unkeyed(
        "incident",
        "INC-1",
        inc["created_at"].as_str().unwrap(),
    )];
    let (_, ups) = t.call(Method::GET, "/incidents/INC-1/updates", None).await;
    for u in ups["items"].as_array().unwrap() {
        guesses.push(unkeyed(
            "update",
            u["id"].as_str().unwrap(),
            u["posted_at"].as_str().unwrap(),
        ));
    }
    assert_eq!(guesses.len(), 3, "{ups}");
    for g in &guesses {
        assert!(!keys.contains(g), "key {g} is the unkeyed hash of an id");
    }
    // Another server on the same database shows the same keys (feed ids, anchors).
    t.server.take().unwrap().shutdown().await;
    let db = Database::Sqlite(t.dir.path().join("t.db"));
    let mut cfg = sitrep::server::ServerConfig::new(db, "127.0.0.1:0".parse().unwrap());
    cfg.status_page = Some(StatusPageConfig::default());
    let again = sitrep::server::start(cfg).await.unwrap();
    let keys_again = public_keys(&t.http, &format!("http://{}", again.addr)).await;
    again.shutdown().await;
    assert_eq!(keys_again, keys);
}

/// PostgreSQL replicas share the secret: both show the same keys.
#[tokio::test]
async fn replicas_on_postgres_show_the_same_keys() {
    let Some(url) = common::pg::fresh_database().await else {
        return;
    };
    let db = Database::Postgres(url);
    let page = Some(StatusPageConfig::default());
    let a = TestServer::start_db(db.clone(), |c| c.status_page = page).await;
    a.create_incident(json!({"title": "x", "severity": "SEV2", "customer_impact": true}))
        .await;
    a.customer_update("INC-1").await;
    let mut cfg = sitrep::server::ServerConfig::new(db, "127.0.0.1:0".parse().unwrap());
    cfg.status_page = Some(StatusPageConfig::default());
    let b = sitrep::server::start(cfg).await.unwrap();
    let keys_a = public_keys(&a.http, &root(&a)).await;
    let keys_b = public_keys(&a.http, &format!("http://{}", b.addr)).await;
    b.shutdown().await;
    assert_eq!(keys_a.len(), 2, "{keys_a:?}");
    assert_eq!(keys_b, keys_a);
}
