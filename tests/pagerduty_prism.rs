//! The PagerDuty backend judged by PagerDuty's own OpenAPI document rather than by our fake:
//! Stoplight Prism (`@stoplight/prism-cli`) mocks the official REST API v2 document
//! (tests/specs/pagerduty-rest-v2-openapi.json.gz, a gzip copy of PagerDuty/api-schema's
//! reference/REST/openapiv3.json at commit 91a06fb, 2026-08-14), validates every request
//! sitrep makes against it, and answers an invalid one with 400/422 and an `sl-violations`
//! header. The test asserts there is none, on the first poll, the detail reads and every
//! write the console can make.
//!
//! A small header-rewriting proxy sits in front of Prism: real PagerDuty accepts (and its
//! documentation asks for) `Accept: application/vnd.pagerduty+json;version=2`, but Prism
//! matches `Accept` against the document's `application/json` responses only and answers
//! 406. The proxy rewrites that one header to `application/json` and passes everything else
//! through unchanged, recording each answer.
//!
//! Prism is found through `SITREP_PRISM` (the `prism` executable), else
//! `/opt/prism/node_modules/.bin/prism` (where .ci/run installs it with
//! `npm install --prefix /opt/prism @stoplight/prism-cli`). Missing: the test fails when
//! `CI` is set and is skipped, saying so, otherwise.
use crate::common;
use crate::pagerduty::{patch, update};
use crate::pagerduty_fake::{ANA, TOKEN};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;
use sitrep::client::{ApiClient, Token};
use sitrep::pagerduty::api::ACCEPT;
use sitrep::pagerduty::{Gateway, GatewayOptions, PdClient};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEFAULT_PRISM: &str = "/opt/prism/node_modules/.bin/prism";

fn prism_path() -> Option<PathBuf> {
    let p = std::env::var_os("SITREP_PRISM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PRISM));
    p.exists().then_some(p)
}

/// Prism, killed when dropped.
struct Prism(Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One answer seen by the proxy.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    status: u16,
    violations: Option<String>,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// Forwards a request to Prism with the versioned Accept header rewritten to
/// `application/json` (see the module comment); everything else unchanged.
async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let method = req.method().clone();
    let path_q = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_default();
    let mut headers = req.headers().clone();
    headers.remove("host");
    if headers.get("accept").and_then(|v| v.to_str().ok()) == Some(ACCEPT) {
        headers.insert("accept", "application/json".parse().unwrap());
    }
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap();
    let resp = p
        .http
        .request(method.clone(), format!("{}{path_q}", p.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("Prism answers");
    let status = resp.status();
    let violations = resp
        .headers()
        .get("sl-violations")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    p.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path_q.split('?').next().unwrap_or("").to_string(),
        status: status.as_u16(),
        violations,
    });
    let mut out = Response::builder().status(status);
    for (k, v) in resp.headers() {
        if k != "content-length" && k != "transfer-encoding" && k != "connection" {
            out = out.header(k, v);
        }
    }
    out.body(Body::from(resp.bytes().await.unwrap())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_sitrep_makes_is_valid_by_pagerdutys_openapi_document() {
    let Some(prism) = prism_path() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Prism is missing: npm install --prefix /opt/prism @stoplight/prism-cli (or set SITREP_PRISM)"
        );
        eprintln!(
            "SKIPPED: Prism not installed (npm install --prefix /opt/prism @stoplight/prism-cli)"
        );
        return;
    };
    // The official document, unpacked for Prism.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("pagerduty-rest-v2-openapi.json");
    let gz = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/specs/pagerduty-rest-v2-openapi.json.gz"
    );
    let out = Command::new("gzip").args(["-dc", gz]).output().unwrap();
    assert!(out.status.success(), "gzip -dc {gz}");
    std::fs::write(&spec, out.stdout).unwrap();

    let port = common::bin::free_port();
    let log = std::fs::File::create(dir.path().join("prism.log")).unwrap();
    let _prism = Prism(
        Command::new(&prism)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting Prism"),
    );
    let upstream = format!("http://127.0.0.1:{port}");
    sitrep::client::install_crypto_provider();
    let http = reqwest::Client::new();
    // Prism reads and dereferences 2.7 MB before it listens (tens of seconds on a busy
    // machine; measured in docs/pagerduty.md).
    let started = Instant::now();
    loop {
        if http
            .get(format!("{upstream}/priorities"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "Prism did not start: {}",
            std::fs::read_to_string(dir.path().join("prism.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("Prism started in {:?}", started.elapsed());

    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new().fallback(forward).with_state(Proxy {
        upstream,
        http,
        seen: seen.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // The first poll (priorities, open and resolved incidents), through the gateway.
    let pd = PdClient::new(&proxy, Token::new(TOKEN), Some(ANA.2.into())).unwrap();
    let gw = Gateway::start(
        pd,
        GatewayOptions {
            poll: Duration::from_secs(3600),
            ..Default::default()
        },
    )
    .await
    .expect("the first poll");
    let (api, skipped) = ApiClient::new(&gw.base(), gw.token()).unwrap().collecting();
    let list = api.list_incidents().await.unwrap();
    assert!(
        !list.is_empty(),
        "Prism's example incidents are on the board"
    );
    let id = list[0].id.clone();
    // The detail pane's reads.
    api.incident(&id).await.unwrap();
    api.timeline(&id).await.unwrap();
    api.updates(&id).await.unwrap();
    // Every write the console makes: take command (acknowledge), severity (priority and
    // a note with the reason), close (resolve with a resolution), internal and customer
    // updates (a note, a status update).
    let patches = [
        json!({"commander": ANA.2}),
        json!({"severity": "SEV1", "reason": "all EU checkouts fail"}),
        json!({"phase": "closed", "reason": "rolled back"}),
    ];
    for body in patches {
        // Prism answers each read with one of the document's examples: take the version
        // the gateway holds now, as a console would after the last change.
        let version = api.incident(&id).await.unwrap().version;
        api.write(&patch(&id, version, body.clone()))
            .await
            .unwrap_or_else(|e| panic!("{body}: {e:?}"));
    }
    for audience in ["internal", "customer"] {
        api.write(&update(&id, audience))
            .await
            .unwrap_or_else(|e| panic!("{audience}: {e:?}"));
    }
    gw.shutdown().await;

    let seen = seen.lock().unwrap().clone();
    eprintln!(
        "{} requests judged by the document: {:?}",
        seen.len(),
        seen.iter()
            .map(|s| format!("{} {} {}", s.method, s.path, s.status))
            .collect::<Vec<_>>()
    );
    // Prism also reports where its own examples break the document's response schemas
    // (the log entry example does): those are the document's, not sitrep's. Every
    // violation located in the request is sitrep's.
    let in_request = |s: &Seen| {
        s.violations.as_deref().is_some_and(|v| {
            serde_json::from_str::<Vec<serde_json::Value>>(v)
                .unwrap_or_default()
                .iter()
                .any(|x| x["location"][0] != "response")
        })
    };
    let bad: Vec<&Seen> = seen
        .iter()
        .filter(|s| in_request(s) || s.status >= 400)
        .collect();
    assert!(bad.is_empty(), "requests the document refuses: {bad:#?}");
    // Prism's example list says `more: true` whatever the offset: each list costs the
    // first page and the repeat that shows nothing new follows.
    let lists = seen.iter().filter(|s| s.path == "/incidents").count();
    assert!(lists <= 4, "{lists} list requests for two lists");
    for (method, path) in [
        ("GET", "/priorities"),
        ("GET", "/incidents"),
        ("GET", "/incidents/{id}/log_entries"),
        ("GET", "/incidents/{id}/notes"),
        ("PUT", "/incidents/{id}"),
        ("POST", "/incidents/{id}/notes"),
        ("POST", "/incidents/{id}/status_updates"),
    ] {
        let want = path.replace("{id}", &id);
        assert!(
            seen.iter().any(|s| s.method == method && s.path == want),
            "sitrep never sent {method} {path}; sent: {seen:#?}"
        );
    }
    // Prism's example records read (none left out).
    assert!(skipped.take().is_empty());
}
