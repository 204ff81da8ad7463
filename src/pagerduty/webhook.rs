//! PagerDuty's v3 webhooks, received by the gateway: `POST /pagerduty/webhook` on a
//! listener of its own (never the loopback API, which takes sitrep's token). A delivery is
//! trusted only when `X-PagerDuty-Signature` carries a `v1=` HMAC-SHA256 of the raw body
//! under the subscription's secret; then the incident it names is read from PagerDuty at
//! once, so the console shows the change within a second instead of at the next poll.
//!
//! The payload is only a hint of *which* incident changed: what the board shows still
//! comes from PagerDuty's REST API (`GET /incidents/{id}`), so a delivery that arrives
//! late, twice or out of order cannot put an old state on the board, and a replayed
//! delivery (same `event.id`) is accepted and ignored.
use super::backend::PdBackend;
use crate::client::Token;
use crate::server::error::ApiError;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

/// The route PagerDuty's subscription points at.
pub const PATH: &str = "/pagerduty/webhook";
pub const SIGNATURE_HEADER: &str = "x-pagerduty-signature";
/// PagerDuty's payloads are a few kilobytes; anything much larger is not from it.
const BODY_LIMIT: usize = 256 * 1024;
/// Event ids remembered to recognise a replayed delivery.
const REMEMBERED: usize = 4096;
/// Incidents waiting for their refresh; beyond it a delivery is dropped (the poll is the
/// safety net).
const QUEUE: usize = 1024;

/// Where the webhook listener runs and the subscription's secret.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    pub listen: SocketAddr,
    /// The signing secret PagerDuty showed when the subscription was created (a file,
    /// never an argument; redacted in Debug).
    pub secret: Token,
}

/// True when one of the header's `v1=` signatures is the HMAC-SHA256 of `body` under
/// `secret`. Several signatures may be present (PagerDuty signs with each secret during a
/// rotation); each is compared in constant time.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    let mut ok = subtle::Choice::from(0);
    for sig in header.split(',') {
        let Some(hex_sig) = sig.trim().strip_prefix("v1=") else {
            continue;
        };
        let Ok(given) = hex::decode(hex_sig.trim()) else {
            continue;
        };
        if given.len() == expected.len() {
            ok |= given.as_slice().ct_eq(expected.as_slice());
        }
    }
    ok.into()
}

/// The `v1=` signature PagerDuty would send for `body` (tests and docs sign with it).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The incident a v3 event is about: `event.data.id` when `data.type` is `incident`, else
/// `event.data.incident.id` (notes, status updates, responders carry an
/// `incident_reference`). None for events about something else (`service.updated`,
/// `pagey.ping`).
pub fn incident_id(payload: &Value) -> Option<String> {
    let event = payload.get("event")?;
    if event.get("resource_type").and_then(Value::as_str) != Some("incident") {
        return None;
    }
    let data = event.get("data")?;
    let id = if data.get("type").and_then(Value::as_str) == Some("incident") {
        data.get("id")
    } else {
        data.pointer("/incident/id")
    }?;
    id.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .map(str::to_string)
}

#[derive(Clone)]
struct Hook {
    secret: Token,
    seen: Arc<Mutex<Seen>>,
    refresh: mpsc::Sender<String>,
}

/// Recent event ids, oldest first.
#[derive(Default)]
struct Seen {
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Seen {
    /// True the first time an id is offered.
    fn first(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        self.ids.insert(id.to_string());
        self.order.push_back(id.to_string());
        while self.order.len() > REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

/// The webhook's router and the task that refreshes the incidents it names, one at a time
/// (a burst of deliveries about one incident costs one read).
pub fn router(backend: Arc<PdBackend>, secret: Token) -> Router {
    let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
    let worker = backend.clone();
    let mut stop = backend.stopping();
    tokio::spawn(async move {
        loop {
            let first = tokio::select! {
                id = rx.recv() => match id { Some(id) => id, None => return },
                _ = stop.changed() => return,
            };
            // Everything queued meanwhile, each incident once, in arrival order.
            let mut batch = vec![first];
            while let Ok(id) = rx.try_recv() {
                if !batch.contains(&id) {
                    batch.push(id);
                }
            }
            for id in batch {
                match worker.refresh(&id).await {
                    Ok(_) => tracing::debug!(incident = %id, "PagerDuty webhook: refreshed"),
                    Err(e) => {
                        tracing::warn!(incident = %id, error = %e, "PagerDuty webhook: refresh failed; the next poll will catch up")
                    }
                }
            }
        }
    });
    Router::new()
        .route(PATH, post(receive))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(Hook {
            secret,
            seen: Arc::new(Mutex::new(Seen::default())),
            refresh: tx,
        })
}

async fn receive(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !verify(hook.secret.expose().as_bytes(), &body, signature) {
        tracing::warn!(
            signed = !signature.is_empty(),
            "PagerDuty webhook refused: no valid X-PagerDuty-Signature"
        );
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "X-PagerDuty-Signature is missing or no v1 signature matches this body under the subscription's secret",
        )
        .field("X-PagerDuty-Signature")
        .into_response();
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return ApiError::invalid("event", "the body is not JSON").into_response();
    };
    let Some(event_id) = payload.pointer("/event/id").and_then(Value::as_str) else {
        return ApiError::invalid("event.id", "a v3 webhook event has an id").into_response();
    };
    let first = hook
        .seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .first(event_id);
    if !first {
        // PagerDuty retries a delivery it thinks failed; a replay is the same. Either way
        // it was handled: say so, do nothing.
        return StatusCode::ACCEPTED.into_response();
    }
    if let Some(id) = incident_id(&payload)
        && hook.refresh.try_send(id).is_err()
    {
        tracing::warn!("PagerDuty webhook: refresh queue full; the next poll will catch up");
    }
    StatusCode::ACCEPTED.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signatures_match_pagerdutys_algorithm() {
        // HMAC-SHA256 of "hello" under "secret" (as `openssl dgst -sha256 -hmac secret`).
        let want = "v1=88aab3ede8d3adf94d26ab90d3bafd4a2083070c3bcce9c014ee04a443847c0b";
        assert_eq!(sign(b"secret", b"hello"), want);
        assert!(verify(b"secret", b"hello", want));
        // One of several (a secret rotation), with spaces.
        assert!(verify(
            b"secret",
            b"hello",
            &format!("v1=00ff, {want} ,v2=abc")
        ));
        assert!(!verify(b"secret", b"hello!", want));
        assert!(!verify(b"other", b"hello", want));
        assert!(!verify(b"secret", b"hello", ""));
        assert!(!verify(b"secret", b"hello", "v1=zz,v1=88aa"));
        assert!(!verify(b"secret", b"hello", &want.replace("v1=", "v0=")));
    }

    #[test]
    fn the_incident_is_found_in_each_documented_data_type() {
        let incident = json!({"event": {"id": "e1", "event_type": "incident.acknowledged",
            "resource_type": "incident", "data": {"id": "PGR0VU2", "type": "incident"}}});
        assert_eq!(incident_id(&incident).as_deref(), Some("PGR0VU2"));
        let note = json!({"event": {"id": "e2", "event_type": "incident.annotated",
            "resource_type": "incident", "data": {"incident": {"id": "PGR0VU2",
            "type": "incident_reference"}, "id": "P2LA89X", "content": "x",
            "type": "incident_note"}}});
        assert_eq!(incident_id(&note).as_deref(), Some("PGR0VU2"));
        let service = json!({"event": {"id": "e3", "event_type": "service.updated",
            "resource_type": "service", "data": {"id": "PF9KMXH", "type": "service"}}});
        assert_eq!(incident_id(&service), None);
    }

    #[test]
    fn a_replayed_event_id_is_recognised_within_the_window() {
        let mut s = Seen::default();
        assert!(s.first("a"));
        assert!(!s.first("a"));
        for i in 0..REMEMBERED {
            s.first(&i.to_string());
        }
        assert!(s.ids.len() <= REMEMBERED);
        assert!(s.first("a"), "forgotten after the window");
    }
}
