//! The live event subscription: `GET /events`, resumed with `Last-Event-ID` after any
//! disconnect, with jittered exponential backoff so a fleet of consoles does not stampede a
//! server that just restarted.
use super::{ApiClient, SseItem, SseParser};
use crate::domain::{CorrectiveAction, Incident, RiskException, StatusUpdate};
use crate::sanitize::Sanitize;
use futures_util::StreamExt;
use rand::Rng;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The server sends a heartbeat at least every 15 s; three missed ones mean the connection
/// is dead even if TCP has not noticed (a dropped VPN, a sleeping laptop).
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// One change from the server, already sanitized.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    Incident(Incident),
    UpdatePosted(StatusUpdate),
    Action(CorrectiveAction),
    Exception(RiskException),
}

/// What the subscription tells its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveMsg {
    /// The stream is open. `resync` means events may have been missed (first connection,
    /// or no event id to resume from), so the owner must list everything again.
    Connected {
        resync: bool,
    },
    /// A heartbeat or any other sign of life.
    Alive,
    Event {
        seq: u64,
        event: LiveEvent,
    },
    /// The server could not replay what we missed (`event: reset`): list everything again.
    Reset,
    /// The stream dropped; the next attempt is in `retry_in`.
    Disconnected {
        error: String,
        retry_in: Duration,
    },
}

/// Runs until `send` returns false (the console has gone). Never returns an error: a
/// console keeps trying, and says so on screen.
pub async fn subscribe<F>(client: ApiClient, mut send: F)
where
    F: FnMut(LiveMsg) -> bool + Send,
{
    let mut last_id: Option<String> = None;
    let mut failures: u32 = 0;
    loop {
        let error = match stream_once(&client, &mut last_id, &mut failures, &mut send).await {
            Ok(Stop) => return,
            Err(e) => e,
        };
        failures = failures.saturating_add(1);
        let retry_in = backoff(failures);
        tracing::warn!(%error, ?retry_in, "event stream disconnected");
        if !send(LiveMsg::Disconnected { error, retry_in }) {
            return;
        }
        tokio::time::sleep(retry_in).await;
    }
}

struct Stop;

/// Full jitter over an exponentially growing window.
fn backoff(failures: u32) -> Duration {
    let exp = BACKOFF_FIRST.saturating_mul(1u32 << failures.min(8).saturating_sub(1));
    let cap = exp.min(BACKOFF_MAX);
    let ms = cap.as_millis() as u64;
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}

async fn stream_once<F>(
    client: &ApiClient,
    last_id: &mut Option<String>,
    failures: &mut u32,
    send: &mut F,
) -> Result<Stop, String>
where
    F: FnMut(LiveMsg) -> bool,
{
    let mut req = client
        .request(reqwest::Method::GET, "/events")
        .header(reqwest::header::ACCEPT, "text/event-stream");
    if let Some(id) = last_id.as_deref() {
        req = req.header("Last-Event-ID", id);
    }
    let resp = tokio::time::timeout(SILENCE_LIMIT, req.send())
        .await
        .map_err(|_| "timed out connecting".to_string())?
        .map_err(|e| error_chain(&e))?;
    if !resp.status().is_success() {
        // Say why when the server does (e.g. "PagerDuty unreachable: …" from the PagerDuty
        // gateway, or a revoked token), not only the status.
        let status = resp.status();
        let body = resp.bytes().await.unwrap_or_default();
        let why = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")?
                    .as_str()
                    .map(crate::sanitize::clean_line)
            });
        return Err(match why {
            Some(m) => format!("HTTP {status}: {m}"),
            None => format!("HTTP {status}"),
        });
    }
    *failures = 0;
    if !send(LiveMsg::Connected {
        resync: last_id.is_none(),
    }) {
        return Ok(Stop);
    }
    let mut parser = SseParser::new();
    let mut body = resp.bytes_stream();
    loop {
        let chunk = match tokio::time::timeout(SILENCE_LIMIT, body.next()).await {
            Err(_) => return Err("no heartbeat from the server".into()),
            Ok(None) => return Err("the server closed the event stream".into()),
            Ok(Some(Err(e))) => return Err(error_chain(&e)),
            Ok(Some(Ok(c))) => c,
        };
        let items = parser.feed(&chunk);
        if items.is_empty() && !send(LiveMsg::Alive) {
            return Ok(Stop);
        }
        for item in items {
            let msg = match item {
                SseItem::Comment => LiveMsg::Alive,
                SseItem::Event(ev) => {
                    if let Some(id) = &ev.id {
                        *last_id = Some(id.clone());
                    }
                    match decode(&ev.event, &ev.data) {
                        Decoded::Reset => LiveMsg::Reset,
                        Decoded::Event(event) => LiveMsg::Event {
                            seq: ev.id.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
                            event: *event,
                        },
                        Decoded::Ignore => LiveMsg::Alive,
                    }
                }
            };
            if !send(msg) {
                return Ok(Stop);
            }
        }
    }
}

enum Decoded {
    Event(Box<LiveEvent>),
    Reset,
    Ignore,
}

fn parse<T: DeserializeOwned + Sanitize>(kind: &str, data: &str) -> Option<T> {
    match serde_json::from_str::<T>(data) {
        Ok(mut v) => {
            v.sanitize();
            Some(v)
        }
        Err(e) => {
            // A newer server may add event kinds or fields we cannot read; skip, never die.
            tracing::warn!(kind, error = %e, "undecodable event");
            None
        }
    }
}

/// Maps an SSE event to a typed, sanitized change.
fn decode(kind: &str, data: &str) -> Decoded {
    let ev = match kind {
        "reset" => return Decoded::Reset,
        "incident.created" | "incident.updated" => parse(kind, data).map(LiveEvent::Incident),
        "update.posted" => parse(kind, data).map(LiveEvent::UpdatePosted),
        "action.created" | "action.updated" => parse(kind, data).map(LiveEvent::Action),
        "exception.created" => parse(kind, data).map(LiveEvent::Exception),
        _ => None,
    };
    ev.map_or(Decoded::Ignore, |e| Decoded::Event(Box::new(e)))
}

/// reqwest's Display stops at the outermost error ("error sending request"); the cause
/// ("connection refused") is what a commander needs to see.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for _ in 0..50 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(250) && first <= BACKOFF_FIRST);
            let late = backoff(30);
            assert!(late >= BACKOFF_MAX / 2 && late <= BACKOFF_MAX);
        }
        assert!(backoff(4) > backoff(1));
    }

    #[test]
    fn unknown_and_broken_events_are_skipped() {
        assert!(matches!(decode("future.kind", "{}"), Decoded::Ignore));
        assert!(matches!(
            decode("incident.updated", "{not json"),
            Decoded::Ignore
        ));
        assert!(matches!(decode("reset", ""), Decoded::Reset));
    }
}
