//! The live event subscription: `GET /events`, resumed with `Last-Event-ID` after any
//! disconnect, with jittered exponential backoff so a fleet of consoles does not stampede a
//! server that just restarted.
//!
//! Timeouts: connecting has the client's connect timeout; the response headers and then
//! every read must come within the silence limit, twice the server's heartbeat (the server
//! says its heartbeat in the `Sitrep-Heartbeat` response header; a server that does not is
//! assumed to use the default, 10 s). There is never a total timeout: the stream is meant to
//! stay open for days.
//!
//! Reconnecting: the server's `retry:` field is the base of the backoff (the first retry
//! waits that long, plus up to half again as jitter; each further failure doubles the
//! window, capped); a 429 or 503 with `Retry-After` waits what the server asked instead.
use super::retry::{MAX_RETRY_AFTER, busy, secs};
use super::{ApiClient, SseItem, SseParser, Unreadable};
use crate::domain::{CorrectiveAction, Incident, RiskException, StatusUpdate, TimelineEntry};
use crate::sanitize::Sanitize;
use futures_util::StreamExt;
use rand::Rng;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The heartbeat of a server that does not say (`sitrep serve --heartbeat-secs` default).
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(10);
pub use crate::protocol::{HEARTBEAT_HEADER, RUN_HEADER};
/// Before the server has said anything with `retry:`.
const BACKOFF_FIRST: Duration = Duration::from_millis(500);
/// The largest backoff window, and the longest backoff wait (window plus jitter).
const BACKOFF_WINDOW_MAX: Duration = Duration::from_secs(20);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// How long the stream may be silent before it is dead even if TCP has not noticed (a
/// dropped VPN, a sleeping laptop, a half-open connection): two missed heartbeats.
pub fn silence_limit(heartbeat: Duration) -> Duration {
    heartbeat.saturating_mul(2)
}

/// One change from the server, already sanitized.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    Incident(Incident),
    UpdatePosted(StatusUpdate),
    Action(CorrectiveAction),
    Exception(RiskException),
    /// A timeline entry appended on its own (a scribe's note).
    Timeline(TimelineEntry),
}

/// What the subscription tells its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveMsg {
    /// The stream is open. `resync` means events may have been missed (first connection,
    /// or no event id to resume from), so the owner must list everything again.
    Connected { resync: bool },
    /// Sent on every connection, just before `Connected`: silence longer than this ends the
    /// stream (twice the server's heartbeat), so data older than this is stale.
    SilenceLimit(Duration),
    /// A heartbeat or any other sign of life.
    Alive,
    Event {
        seq: u64,
        event: LiveEvent,
        /// Who made the change (the token's name), when the server says; sanitized.
        actor: Option<String>,
    },
    /// The server could not replay what we missed (`event: reset`): list everything again.
    Reset,
    /// The server no longer holds the events we missed, but they were changes to the same
    /// database (`event: reset` with `relist: changes`): fetching what changed since our
    /// newest record catches up, without re-listing the history.
    Missed,
    /// An event whose record could not be read; it was skipped and the stream goes on.
    Unreadable(Unreadable),
    /// The stream dropped; the next attempt is in `retry_in`.
    Disconnected { error: String, retry_in: Duration },
}

/// What one connection leaves for the next.
struct Session {
    last_id: Option<String>,
    /// The server run `last_id` came from (`Sitrep-Run`), sent back with it.
    run: Option<String>,
    failures: u32,
    /// The server's `retry:`, the base of the backoff.
    retry: Option<Duration>,
    /// The silence limit of the last connection.
    silence: Duration,
}

/// Why a connection ended.
struct Failure {
    error: String,
    /// The server's Retry-After (429, 503).
    retry_after: Option<Duration>,
    /// The server answered the stream request with an error status. Otherwise it was not
    /// reached (or the stream broke), and the backoff ends early as soon as any other
    /// request gets an answer: the server is back.
    answered: bool,
}

impl From<String> for Failure {
    fn from(error: String) -> Self {
        Failure {
            error,
            retry_after: None,
            answered: false,
        }
    }
}

/// Runs until `send` returns false (the console has gone). Never returns an error: a
/// console keeps trying, and says so on screen.
pub async fn subscribe<F>(client: ApiClient, mut send: F)
where
    F: FnMut(LiveMsg) -> bool + Send,
{
    let mut session = Session {
        last_id: None,
        run: None,
        failures: 0,
        retry: None,
        silence: silence_limit(DEFAULT_HEARTBEAT),
    };
    loop {
        let failure = match stream_once(&client, &mut session, &mut send).await {
            Ok(Stop) => return,
            Err(f) => f,
        };
        session.failures = session.failures.saturating_add(1);
        let retry_in = match failure.retry_after {
            Some(wait) => with_jitter(wait),
            None => backoff(session.failures, session.retry.unwrap_or(BACKOFF_FIRST)),
        };
        let error = failure.error;
        tracing::warn!(%error, ?retry_in, "event stream disconnected");
        // Listen before saying so, so an answer that arrives meanwhile is not missed.
        let back = client.server_answers();
        if !send(LiveMsg::Disconnected { error, retry_in }) {
            return;
        }
        if failure.answered {
            tokio::time::sleep(retry_in).await;
        } else {
            // After a server restart the console's other requests (its outbox, a re-list)
            // get through long before a grown backoff ends: follow them.
            tokio::select! {
                _ = tokio::time::sleep(retry_in) => {}
                _ = back => tracing::info!("the server answers again; reconnecting the event stream"),
            }
        }
    }
}

struct Stop;

/// Jitter over an exponentially growing window that starts at `base` (the server's
/// `retry:`, or half a second): the wait is between the window and half again as much. It
/// never waits less than the server asked.
fn backoff(failures: u32, base: Duration) -> Duration {
    let base = base.min(MAX_RETRY_AFTER);
    let exp = base.saturating_mul(1u32 << (failures.clamp(1, 9) - 1));
    let window = exp.min(BACKOFF_WINDOW_MAX.max(base));
    let ms = window.as_millis() as u64;
    Duration::from_millis(rand::rng().random_range(ms..=ms + ms / 2)).min(BACKOFF_MAX.max(base))
}

/// What the server asked, plus up to a tenth (at most a second) so consoles spread out.
fn with_jitter(wait: Duration) -> Duration {
    let extra = (wait / 10).min(Duration::from_secs(1)).as_millis() as u64;
    wait + Duration::from_millis(rand::rng().random_range(0..=extra))
}

/// The silence limit the response's `Sitrep-Heartbeat` header implies (1-60 s, as `sitrep
/// serve` accepts); the default heartbeat's otherwise.
fn silence_from(resp: &reqwest::Response) -> Duration {
    let heartbeat = resp
        .headers()
        .get(HEARTBEAT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| (1..=60).contains(s))
        .map_or(DEFAULT_HEARTBEAT, Duration::from_secs);
    silence_limit(heartbeat)
}

async fn stream_once<F>(
    client: &ApiClient,
    session: &mut Session,
    send: &mut F,
) -> Result<Stop, Failure>
where
    F: FnMut(LiveMsg) -> bool,
{
    let mut req = client
        .stream_request("/events")
        .header(reqwest::header::ACCEPT, "text/event-stream");
    if let Some(id) = session.last_id.as_deref() {
        req = req.header("Last-Event-ID", id);
        if let Some(run) = session.run.as_deref() {
            req = req.header(RUN_HEADER, run);
        }
    }
    let sent = chrono::Utc::now();
    let resp = tokio::time::timeout(session.silence, req.send())
        .await
        .map_err(|_| "timed out waiting for the server".to_string())?
        .map_err(|e| error_chain(&e))?;
    client.observe_clock(sent, &resp);
    if !resp.status().is_success() {
        let status = resp.status();
        let retry_after = busy(&resp);
        // Say why when the server does (e.g. "PagerDuty unreachable: …" from the PagerDuty
        // gateway, or a revoked token), not only the status.
        let body = resp.bytes().await.unwrap_or_default();
        let why = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")?
                    .as_str()
                    .map(crate::sanitize::clean_line)
            })
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        return Err(match retry_after {
            // 429/503: wait what the server asked, if it said.
            Some(wait) => Failure {
                error: format!(
                    "server busy (HTTP {status}{why}){}",
                    wait.map(|d| format!(", asks to wait {}", secs(d)))
                        .unwrap_or_default()
                ),
                retry_after: wait,
                answered: true,
            },
            None => Failure {
                error: format!("HTTP {status}{why}"),
                retry_after: None,
                // A proxy's 502-504: the server behind it is down.
                answered: !matches!(status.as_u16(), 502..=504),
            },
        });
    }
    session.failures = 0;
    session.silence = silence_from(&resp);
    // Every id this stream sends was handed out by this run or an earlier one.
    session.run = resp
        .headers()
        .get(RUN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|r| crate::protocol::is_run_name(r))
        .map(str::to_string);
    if !send(LiveMsg::SilenceLimit(session.silence))
        || !send(LiveMsg::Connected {
            resync: session.last_id.is_none(),
        })
    {
        return Ok(Stop);
    }
    let mut parser = SseParser::new();
    let mut body = resp.bytes_stream();
    loop {
        let chunk = match tokio::time::timeout(session.silence, body.next()).await {
            Err(_) => {
                return Err(
                    format!("no heartbeat from the server for {}", secs(session.silence)).into(),
                );
            }
            Ok(None) => return Err("the server closed the event stream".to_string().into()),
            Ok(Some(Err(e))) => return Err(error_chain(&e).into()),
            Ok(Some(Ok(c))) => c,
        };
        let items = parser.feed(&chunk);
        if let Some(r) = parser.retry() {
            session.retry = Some(r);
        }
        if items.is_empty() && !send(LiveMsg::Alive) {
            return Ok(Stop);
        }
        for item in items {
            let msg = match item {
                SseItem::Comment => LiveMsg::Alive,
                SseItem::Position(id) => {
                    session.last_id = Some(id);
                    continue;
                }
                SseItem::Event(ev) => {
                    if let Some(id) = &ev.id {
                        session.last_id = Some(id.clone());
                    }
                    match decode(&ev.event, &ev.data) {
                        Decoded::Reset => LiveMsg::Reset,
                        Decoded::Missed => LiveMsg::Missed,
                        Decoded::Event(event, actor) => LiveMsg::Event {
                            seq: ev.id.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0),
                            event: *event,
                            actor,
                        },
                        Decoded::Unreadable(u) => {
                            client.skipped(u.clone());
                            LiveMsg::Unreadable(u)
                        }
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
    Event(Box<LiveEvent>, Option<String>),
    Reset,
    Missed,
    /// A known kind whose record cannot be read: skipped, and said so, never fatal.
    Unreadable(Unreadable),
    Ignore,
}

fn parse<T: DeserializeOwned + Sanitize>(kind: &str, data: &str) -> Result<T, Unreadable> {
    Unreadable::parse(&format!("event {kind}"), 0, data)
}

/// Maps an SSE event to a typed, sanitized change. Kinds a newer server may add are ignored.
fn decode(kind: &str, data: &str) -> Decoded {
    use crate::protocol::EventKind as K;
    let Some(k) = K::parse(kind) else {
        return Decoded::Ignore;
    };
    let ev = match k {
        K::Reset => return reset_scope(data),
        K::IncidentCreated | K::IncidentUpdated => parse(kind, data).map(LiveEvent::Incident),
        K::UpdatePosted => parse(kind, data).map(LiveEvent::UpdatePosted),
        K::ActionCreated | K::ActionUpdated => parse(kind, data).map(LiveEvent::Action),
        K::ExceptionCreated => parse(kind, data).map(LiveEvent::Exception),
        K::TimelineAppended => parse(kind, data).map(LiveEvent::Timeline),
    };
    match ev {
        Ok(e) => Decoded::Event(Box::new(e), actor(data)),
        Err(u) => Decoded::Unreadable(u),
    }
}

/// A reset that says only changes were missed (`"relist": "changes"`) allows a delta;
/// anything else (an older server says nothing) re-lists everything.
fn reset_scope(data: &str) -> Decoded {
    #[derive(serde::Deserialize)]
    struct Scope {
        #[serde(default)]
        relist: Option<String>,
    }
    match serde_json::from_str::<Scope>(data) {
        Ok(Scope { relist: Some(r) }) if r == "changes" => Decoded::Missed,
        _ => Decoded::Reset,
    }
}

/// The `actor` the server adds to an event's record: who made the change.
fn actor(data: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct By {
        #[serde(default)]
        actor: Option<String>,
    }
    serde_json::from_str::<By>(data)
        .ok()?
        .actor
        .map(|a| crate::sanitize::clean_line(&a))
        .filter(|a| !a.is_empty())
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
    fn an_events_actor_is_read_through_the_sanitizer() {
        let data = serde_json::json!({
            "id": "INC-1",
            "actor": "\u{1b}]52;c;ZXZpbA==\u{7}dana\u{1b}[2J\u{202e}x",
        })
        .to_string();
        let a = actor(&data).unwrap();
        assert!(a.contains("dana"), "{a:?}");
        assert!(
            !a.chars()
                .any(|c| c.is_control() || c == '\u{202e}' || c == '\u{1b}'),
            "{a:?}"
        );
        assert!(!a.contains("52;c;"), "the OSC payload is dropped: {a:?}");
        assert_eq!(actor(r#"{"id":"INC-1"}"#), None);
        // Only invisible characters: nothing to name, so the dialog says "someone else".
        assert_eq!(actor(r#"{"id":"INC-1","actor":"\u200b"}"#), None);
    }

    #[test]
    fn backoff_starts_at_the_servers_retry_grows_with_jitter_and_is_capped() {
        for _ in 0..50 {
            let first = backoff(1, BACKOFF_FIRST);
            assert!(first >= BACKOFF_FIRST && first <= BACKOFF_FIRST * 3 / 2);
            // The server's `retry: 2000` is the first wait, never less.
            let asked = backoff(1, Duration::from_secs(2));
            assert!(asked >= Duration::from_secs(2) && asked <= Duration::from_secs(3));
            let late = backoff(30, BACKOFF_FIRST);
            assert!(late >= BACKOFF_WINDOW_MAX && late <= BACKOFF_MAX);
            // A server asking for more than the cap gets what it asked.
            assert!(backoff(30, Duration::from_secs(90)) >= Duration::from_secs(90));
            let w = with_jitter(Duration::from_secs(5));
            assert!(w >= Duration::from_secs(5) && w <= Duration::from_millis(5500));
        }
        assert!(backoff(4, BACKOFF_FIRST) > backoff(1, BACKOFF_FIRST));
        assert_eq!(silence_limit(DEFAULT_HEARTBEAT), Duration::from_secs(20));
    }

    #[test]
    fn unknown_and_broken_events_are_skipped() {
        assert!(matches!(decode("future.kind", "{}"), Decoded::Ignore));
        assert!(matches!(
            decode("incident.updated", "{not json"),
            Decoded::Unreadable(_)
        ));
        match decode("action.updated", r#"{"id":"ACT-1","title":7}"#) {
            Decoded::Unreadable(u) => {
                assert_eq!(
                    (u.source.as_str(), u.record.as_str()),
                    ("event action.updated", "ACT-1")
                );
                assert!(
                    u.error.starts_with("incident_id: missing field") || u.error.contains("title"),
                    "{u}"
                );
            }
            _ => panic!("a malformed action event must be flagged"),
        }
        assert!(matches!(decode("reset", ""), Decoded::Reset));
    }

    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::Instant;

    /// A tiny HTTP server: connection n gets `replies[n]` (the last one repeats). A reply
    /// ending in `<hold>` keeps its connection open, silent, afterwards. Returns the base URL
    /// and when each request arrived.
    async fn fake(replies: Vec<&'static str>) -> (String, Arc<Mutex<Vec<Instant>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let seen = arrivals.clone();
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let (mut sock, _) = listener.accept().await.unwrap();
                let reply = replies[n.min(replies.len() - 1)];
                n += 1;
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => req.extend_from_slice(&buf[..k]),
                        }
                    }
                    seen.lock().unwrap().push(Instant::now());
                    let (text, hold) = match reply.strip_suffix("<hold>") {
                        Some(t) => (t, true),
                        None => (reply, false),
                    };
                    let _ = sock.write_all(text.as_bytes()).await;
                    if hold {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                });
            }
        });
        (base, arrivals)
    }

    fn subscribe_to(base: &str) -> tokio::sync::mpsc::UnboundedReceiver<(Instant, LiveMsg)> {
        crate::client::install_crypto_provider();
        let client = ApiClient::new(base, crate::client::Token::new("t")).unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(subscribe(client, move |m| {
            tx.send((Instant::now(), m)).is_ok()
        }));
        rx
    }

    async fn next_disconnect(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<(Instant, LiveMsg)>,
    ) -> (Instant, String, Duration) {
        loop {
            let (at, m) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("a disconnect")
                .unwrap();
            if let LiveMsg::Disconnected { error, retry_in } = m {
                return (at, error, retry_in);
            }
        }
    }

    const STREAM: &str =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n";

    #[tokio::test]
    async fn the_servers_retry_field_is_the_next_reconnect_delay() {
        let reply: &'static str =
            Box::leak(format!("{STREAM}\r\nretry: 1500\n\n: hello\n\n").into_boxed_str());
        let (base, arrivals) = fake(vec![reply]).await;
        let mut rx = subscribe_to(&base);
        let (_, error, retry_in) = next_disconnect(&mut rx).await;
        assert!(error.contains("closed"), "{error}");
        assert!(
            retry_in >= Duration::from_millis(1500) && retry_in <= Duration::from_millis(2250),
            "{retry_in:?}"
        );
        next_disconnect(&mut rx).await;
        let a = arrivals.lock().unwrap().clone();
        assert!(
            a[1] - a[0] >= Duration::from_millis(1500),
            "{:?}",
            a[1] - a[0]
        );
    }

    #[tokio::test]
    async fn silence_beyond_twice_the_heartbeat_ends_the_stream() {
        // The server says its heartbeat is 1 s, sends one, then nothing (a half-open link).
        let reply: &'static str = Box::leak(
            format!("{STREAM}sitrep-heartbeat: 1\r\n\r\n: heartbeat\n\n<hold>").into_boxed_str(),
        );
        let (base, _) = fake(vec![reply]).await;
        let mut rx = subscribe_to(&base);
        let mut alive_at = None;
        let mut limit = None;
        let (at, error, _) = loop {
            let (at, m) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("the stream ends")
                .unwrap();
            match m {
                LiveMsg::SilenceLimit(d) => limit = Some(d),
                LiveMsg::Alive => alive_at = Some(at),
                LiveMsg::Disconnected { error, retry_in } => break (at, error, retry_in),
                _ => {}
            }
        };
        assert_eq!(
            limit,
            Some(Duration::from_secs(2)),
            "2 x the advertised 1 s"
        );
        assert!(error.contains("no heartbeat"), "{error}");
        let silent = at - alive_at.expect("the heartbeat arrived");
        assert!(
            silent >= Duration::from_millis(1900) && silent < Duration::from_millis(3500),
            "{silent:?}"
        );
    }

    #[tokio::test]
    async fn without_the_header_the_default_heartbeat_is_assumed() {
        let reply: &'static str =
            Box::leak(format!("{STREAM}sitrep-heartbeat: junk\r\n\r\n<hold>").into_boxed_str());
        let (base, _) = fake(vec![reply]).await;
        let mut rx = subscribe_to(&base);
        let (_, m) = rx.recv().await.unwrap();
        assert_eq!(m, LiveMsg::SilenceLimit(Duration::from_secs(20)));
    }

    #[tokio::test]
    async fn any_answered_request_ends_the_backoff_after_losing_the_server() {
        // The stream asks for a 20 s reconnection time, then breaks (a restart). The next
        // connection is another request of the same client, answered at once: the stream
        // follows it instead of waiting out its backoff.
        let stream: &'static str =
            Box::leak(format!("{STREAM}\r\nretry: 20000\n\n: hello\n\n").into_boxed_str());
        let list = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\nconnection: close\r\n\r\n{\"items\":[]}";
        let back: &'static str = Box::leak(format!("{STREAM}\r\n<hold>").into_boxed_str());
        let (base, arrivals) = fake(vec![stream, list, back]).await;
        crate::client::install_crypto_provider();
        let client = ApiClient::new(&base, crate::client::Token::new("t")).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(subscribe(client.clone(), move |m| {
            tx.send((Instant::now(), m)).is_ok()
        }));
        let (_, error, retry_in) = next_disconnect(&mut rx).await;
        assert!(error.contains("closed"), "{error}");
        assert!(retry_in >= Duration::from_secs(20), "{retry_in:?}");
        client.check().await.expect("the server answers a list");
        let reconnected = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let (_, LiveMsg::Connected { .. }) = rx.recv().await.unwrap() {
                    return;
                }
            }
        })
        .await;
        assert!(
            reconnected.is_ok(),
            "the stream waited out its backoff although the server answered"
        );
        assert_eq!(arrivals.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn an_error_status_on_the_stream_keeps_its_backoff() {
        // 401 (a revoked token): other requests succeeding says nothing about the stream.
        let denied = "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
        let list = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\nconnection: close\r\n\r\n{\"items\":[]}";
        let (base, arrivals) = fake(vec![denied, list]).await;
        crate::client::install_crypto_provider();
        let client = ApiClient::new(&base, crate::client::Token::new("t")).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(subscribe(client.clone(), move |m| {
            tx.send((Instant::now(), m)).is_ok()
        }));
        let (at, error, retry_in) = next_disconnect(&mut rx).await;
        assert!(error.contains("401"), "{error}");
        client.check().await.unwrap();
        let (again, _, _) = next_disconnect(&mut rx).await;
        assert!(again - at >= retry_in, "{:?} < {retry_in:?}", again - at);
        assert!(arrivals.lock().unwrap().len() >= 3);
    }
}
