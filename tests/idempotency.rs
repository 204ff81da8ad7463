//! Idempotency-Key on every write method: the same key and body get the stored answer
//! (status, body, ETag) and change nothing more; the same key with another body is refused.
//! And the user-visible case: a PATCH whose answer is lost on the way back is retried by
//! the outbox and lands once, as the user's own success, not as a conflict with itself.
use crate::common;

use common::{TestServer, assert_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sitrep::client::outbox::{self, OutboxCmd, OutboxReport};
use sitrep::client::{ApiClient, LiveEvent, Token, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Sends `body` with `method` and an Idempotency-Key; returns status, ETag, whether the
/// answer says it was replayed, and the body.
async fn keyed(
    t: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    key: &str,
    if_match: Option<i64>,
    body: Value,
) -> (StatusCode, Option<String>, bool, Value) {
    let mut r = t
        .req(method, path, Some(token))
        .header("Idempotency-Key", key)
        .json(&body);
    if let Some(v) = if_match {
        r = r.header("If-Match", format!("\"{v}\""));
    }
    let resp = r.send().await.unwrap();
    let status = resp.status();
    let etag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, etag, replayed, body)
}

async fn timeline_len(t: &TestServer, id: &str) -> usize {
    let (_, tl) = t
        .call(Method::GET, &format!("/incidents/{id}/timeline"), None)
        .await;
    tl["items"].as_array().unwrap().len()
}

/// PATCH /incidents/{id}, PATCH /actions/{id} and the Alertmanager receiver honour the key
/// like the POSTs always did.
async fn every_write_method_honours_the_idempotency_key(t: TestServer) {
    t.create_incident(json!({"title": "Checkout errors", "severity": "SEV2"}))
        .await;
    let cmd = t.commander.clone();
    let before = timeline_len(&t, "INC-1").await;
    let body = json!({"phase": "triage", "reason": "on it"});
    let first = keyed(
        &t,
        &cmd,
        Method::PATCH,
        "/incidents/INC-1",
        "k-1",
        Some(1),
        body.clone(),
    )
    .await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.3);
    assert_eq!(first.1.as_deref(), Some("\"2\""));
    assert!(!first.2);
    // The retry carries the If-Match it was first sent with, which is now stale: the stored
    // answer comes back, not a 412.
    let again = keyed(
        &t,
        &cmd,
        Method::PATCH,
        "/incidents/INC-1",
        "k-1",
        Some(1),
        body.clone(),
    )
    .await;
    assert_eq!(again.0, StatusCode::OK, "{}", again.3);
    assert_eq!(again.1, first.1);
    assert!(again.2, "marked as replayed");
    assert_eq!(again.3, first.3);
    assert_eq!(timeline_len(&t, "INC-1").await, before + 1, "one entry");
    // The same key for another change is refused, naming the header.
    let other = keyed(
        &t,
        &cmd,
        Method::PATCH,
        "/incidents/INC-1",
        "k-1",
        Some(2),
        json!({"phase": "containment"}),
    )
    .await;
    assert_eq!(other.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", other.3);
    assert_eq!(other.3["error"]["code"], "idempotency_key_reused");
    assert_eq!(other.3["error"]["field"], "Idempotency-Key");
    // Without a key, a stale If-Match is still a conflict.
    let got = t
        .call_as(&cmd, Method::PATCH, "/incidents/INC-1", Some(body), Some(1))
        .await;
    assert_error(&got, 412, "If-Match");

    // Corrective actions.
    let (s, a) = t
        .call(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "Alert on 5xx", "owner": "ana", "due_date": "2031-01-01"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let path = format!("/actions/{}", a["id"].as_str().unwrap());
    let done = json!({"status": "done"});
    let first = keyed(
        &t,
        &t.responder,
        Method::PATCH,
        &path,
        "k-2",
        Some(1),
        done.clone(),
    )
    .await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.3);
    let again = keyed(&t, &t.responder, Method::PATCH, &path, "k-2", Some(1), done).await;
    assert_eq!(
        (again.0, again.1.clone(), again.2),
        (StatusCode::OK, first.1.clone(), true)
    );
    assert_eq!(again.3["version"], 2);

    // Alertmanager: a replay opens nothing more.
    let alert = json!({
        "version": "4", "groupKey": "{}:{alertname=\"Disk\"}", "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "Disk"}, "annotations": {},
                    "startsAt": "2026-11-30T10:00:00Z", "fingerprint": "f1"}]
    });
    let first = keyed(
        &t,
        &t.responder,
        Method::POST,
        "/ingest/alertmanager",
        "k-3",
        None,
        alert.clone(),
    )
    .await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.3);
    assert_eq!(first.3["created"], true);
    let again = keyed(
        &t,
        &t.responder,
        Method::POST,
        "/ingest/alertmanager",
        "k-3",
        None,
        alert,
    )
    .await;
    assert_eq!((again.0, again.2), (StatusCode::OK, true));
    assert_eq!(again.3, first.3);
    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "{page}");
}

/// A proxy in front of the server that forwards every request but, for the first PATCH,
/// drops the server's answer and closes the client's connection: the server committed, the
/// client never heard. Counts the PATCHes that went through.
async fn proxy_losing_the_first_patch_answer(
    upstream: std::net::SocketAddr,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let patches = Arc::new(AtomicUsize::new(0));
    let lost_one = Arc::new(AtomicBool::new(false));
    let counted = patches.clone();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let (counted, lost_one) = (counted.clone(), lost_one.clone());
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let swallow = Arc::new(AtomicBool::new(false));
                let to_swallow = swallow.clone();
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if buf[..n].starts_with(b"PATCH ") {
                            counted.fetch_add(1, Ordering::SeqCst);
                            if !lost_one.swap(true, Ordering::SeqCst) {
                                to_swallow.store(true, Ordering::SeqCst);
                            }
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
                let mut buf = vec![0u8; 65536];
                loop {
                    let n = match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if swallow.load(Ordering::SeqCst) {
                        // The server has answered, so it has committed: the client gets
                        // nothing and its connection is closed.
                        break;
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    (format!("http://{addr}"), patches)
}

/// What the user saw before: "Someone else changed it first" about their own change. Now
/// the outbox's retry (same key) gets the stored 200, the console gets its own write back,
/// and the timeline has the change once.
async fn a_patch_whose_answer_is_lost_lands_once_without_a_false_conflict(t: TestServer) {
    let inc = t
        .create_incident(json!({"title": "Answer lost", "severity": "SEV2"}))
        .await;
    let addr = t.server.as_ref().unwrap().addr;
    let (proxy, patches) = proxy_losing_the_first_patch_answer(addr).await;
    let client = ApiClient::new(&proxy, Token::new(t.commander.clone())).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ob = outbox::spawn(client, None, move |r| tx.send(r).is_ok());
    let w = Write::new(
        sitrep::client::Method::Patch,
        "/incidents/INC-1",
        json!({"severity": "SEV1", "reason": "all EU card payments failing"}),
        "severity SEV1 on INC-1",
    )
    .if_match(inc["version"].as_i64().unwrap())
    .incident("INC-1");
    ob.send(OutboxCmd::Send(w)).unwrap();
    let mut reports = Vec::new();
    let done = loop {
        let r = tokio::time::timeout(Duration::from_secs(15), rx.recv())
            .await
            .expect("the outbox reported nothing for 15 s")
            .unwrap();
        match r {
            OutboxReport::Waiting { .. } => reports.push(r),
            other => break other,
        }
    };
    assert_eq!(
        reports.len(),
        1,
        "the lost answer made it wait once: {reports:?}"
    );
    let OutboxReport::Done {
        entity: Some(LiveEvent::Incident(got)),
        pending: 0,
        ..
    } = &done
    else {
        panic!("expected the write to succeed, got {done:?}");
    };
    assert_eq!(got.version, 2);
    assert_eq!(got.severity, sitrep::domain::Severity::Sev1);
    assert_eq!(patches.load(Ordering::SeqCst), 2, "sent twice");
    let (_, tl) = t.call(Method::GET, "/incidents/INC-1/timeline", None).await;
    let changes = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "severity_changed")
        .count();
    assert_eq!(changes, 1, "{tl}");
    let (_, now) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(now["version"], 2);
}

on_both_stores!(
    every_write_method_honours_the_idempotency_key,
    a_patch_whose_answer_is_lost_lands_once_without_a_false_conflict,
);
