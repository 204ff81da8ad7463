//! The HTTP client for the incident API. The console uses it for an embedded server and a
//! remote one alike, so the embedded default exercises exactly the remote code path.
//!
//! Every response is passed through [`crate::sanitize`] while it is deserialized: nothing
//! this module returns carries raw API text.

mod clock;
mod live;
pub mod outbox;
mod retry;
mod signals;
mod sse;
mod token;
mod write;

pub use clock::ServerClock;
pub(crate) use live::error_chain;
pub use live::{DEFAULT_HEARTBEAT, HEARTBEAT_HEADER, LiveEvent, LiveMsg, silence_limit, subscribe};
pub use retry::{MAX_RETRY_AFTER, parse_retry_after};
pub use signals::{Link, MAX_URL, SignalRecord, links, web_url};
pub use sse::{SseEvent, SseItem, SseParser};
pub use token::Token;
pub use write::{Method, WhoAmI, Write, WriteError, new_key};

use crate::domain::{CorrectiveAction, Incident, RiskException, StatusUpdate, TimelineEntry};
use crate::sanitize::Sanitize;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Requests other than the event stream give up after this long, so a slow server shows up
/// as an error on screen rather than a spinner forever. (The event stream has no total
/// timeout: see `live`.)
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// A server that accepts no connection within this long is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A GET answered 429 or 503 is tried again after the server's Retry-After if that is at
/// most this long, this many times; otherwise the error says how long the server asked for.
const BUSY_WAIT_MAX: Duration = Duration::from_secs(10);
const BUSY_RETRIES: u32 = 3;
/// The API's largest page.
const PAGE: u32 = 500;

#[derive(Clone)]
pub struct ApiClient {
    /// Requests: connect, read and total timeouts.
    http: reqwest::Client,
    /// The event stream: a connect timeout only; its read timeout is the silence limit.
    stream: reqwest::Client,
    /// `scheme://host:port` with no trailing slash and no `/api/v1`.
    base: String,
    token: Token,
    /// Where skipped records are reported, besides the log (see [`ApiClient::collecting`]).
    unreadable: Option<Collected>,
    /// Woken whenever the server answers any request: the event stream, waiting out its
    /// backoff after losing the server, reconnects at once (see `live`). Shared by clones.
    answered: Arc<tokio::sync::Notify>,
    /// The server's time, measured from every answer (shared by all clones).
    clock: ServerClock,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

/// The API's error body: `{"error":{"code","message","field"}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// The server's message when it answered that it has no such thing at all (`501`,
    /// code `unsupported`, e.g. corrective actions with `--backend pagerduty`): a pane shows
    /// this message instead of a failure.
    pub fn unsupported(e: &anyhow::Error) -> Option<String> {
        e.chain()
            .find_map(|c| c.downcast_ref::<ApiError>())
            .filter(|a| a.code == "unsupported")
            .map(|a| a.message.clone())
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ApiError,
}

/// A list page, each item kept as raw JSON so one bad record cannot fail the whole list.
#[derive(Deserialize)]
struct RawItems {
    items: Vec<Box<RawValue>>,
    #[serde(default)]
    next_cursor: Option<String>,
    /// Records the server left out because it could not read them from its database.
    #[serde(default)]
    unreadable: Vec<ServerSkipped>,
}

#[derive(Deserialize)]
struct ServerSkipped {
    #[serde(default)]
    id: String,
    #[serde(default)]
    error: String,
}

/// A record the client could not read (a wrong type, a missing field, an unknown variant)
/// and skipped, so that the rest of its list or stream is still shown. Every field is
/// sanitized: the error quotes API data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Where it came from: `GET /incidents`, `event incident.updated`.
    pub source: String,
    /// Which record: its `id` when that is readable, else its position (`item 3`).
    pub record: String,
    /// What was wrong, with the field's path: `severity: unknown variant ...`.
    pub error: String,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.record, self.error)
    }
}

impl Unreadable {
    /// Reads one record as `T`, or says why it cannot be read. `position` counts from 1 in a
    /// list; 0 is a record on its own (an event). Lone UTF-16 surrogate escapes
    /// (`"\ud800"`), which no Rust string can hold, are read as U+FFFD first.
    pub fn parse<T: DeserializeOwned + Sanitize>(
        source: &str,
        position: usize,
        json: &str,
    ) -> std::result::Result<T, Unreadable> {
        let json = repair_surrogates(json);
        let de = &mut serde_json::Deserializer::from_str(&json);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(mut v) => {
                v.sanitize();
                Ok(v)
            }
            Err(e) => {
                let id = serde_json::from_str::<serde_json::Value>(&json)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string));
                let path = e.path().to_string();
                let error = if path == "." {
                    e.inner().to_string()
                } else {
                    format!("{path}: {}", e.inner())
                };
                Err(Unreadable {
                    source: crate::sanitize::clean_line(source),
                    record: crate::sanitize::clean_line(&id.unwrap_or_else(|| match position {
                        0 => "a record without an id".to_string(),
                        n => format!("item {n}"),
                    })),
                    error: crate::sanitize::clean_line(&shorten(&error, 160)),
                })
            }
        }
    }
}

impl Unreadable {
    /// A record that reads only after its lone surrogate escapes became U+FFFD: it is shown,
    /// but the commander is told that its text is not exactly what the server sent.
    pub fn repaired(source: &str, position: usize, json: &str) -> Option<Unreadable> {
        let Cow::Owned(fixed) = repair_surrogates(json) else {
            return None;
        };
        let id = serde_json::from_str::<serde_json::Value>(&fixed)
            .ok()
            .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string));
        Some(Unreadable {
            source: crate::sanitize::clean_line(source),
            record: crate::sanitize::clean_line(&id.unwrap_or_else(|| format!("item {position}"))),
            error: "a lone UTF-16 surrogate in its text, shown as \u{fffd}".into(),
        })
    }
}

/// Collects the records a client skipped; see [`ApiClient::collecting`].
#[derive(Clone, Default)]
pub struct Collected(Arc<Mutex<Vec<Unreadable>>>);

impl Collected {
    /// Everything collected so far, emptying the collector.
    pub fn take(&self) -> Vec<Unreadable> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Replaces each lone UTF-16 surrogate escape (`\ud800` without its pair, or a lone low
/// one) in JSON text with `\ufffd`, byte for byte the same length. serde_json refuses the
/// whole document otherwise, and a Rust string cannot hold the surrogate anyway.
pub(crate) fn repair_surrogates(json: &str) -> Cow<'_, str> {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        let hex = b.get(i..i + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    }
    let b = json.as_bytes();
    if !b.windows(2).any(|w| w == b"\\u") {
        return Cow::Borrowed(json);
    }
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(b, i) {
            Some(0xd800..=0xdbff) if matches!(escape_at(b, i + 6), Some(0xdc00..=0xdfff)) => {
                i += 12
            }
            Some(0xd800..=0xdfff) => {
                out.get_or_insert_with(|| b.to_vec())[i..i + 6].copy_from_slice(b"\\ufffd");
                i += 6;
            }
            // Any other escape, `\\` included, is two bytes plus what is not a backslash.
            _ => i += 2,
        }
    }
    match out {
        // Only ASCII bytes were replaced with ASCII bytes, so it is still UTF-8.
        Some(v) => Cow::Owned(String::from_utf8(v).unwrap_or_else(|_| json.to_string())),
        None => Cow::Borrowed(json),
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// Installs ring as rustls' crypto provider (we build without aws-lc). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl ApiClient {
    pub fn new(base: &str, token: Token) -> Result<Self> {
        install_crypto_provider();
        let base = base.trim().trim_end_matches('/');
        let base = base.strip_suffix("/api/v1").unwrap_or(base).to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("API URL {base:?} must start with http:// or https://");
        }
        let agent = concat!("sitrep-console/", env!("CARGO_PKG_VERSION"));
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(REQUEST_TIMEOUT)
            .user_agent(agent)
            .build()
            .context("building the HTTP client")?;
        let stream = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(agent)
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            http,
            stream,
            base,
            token,
            unreadable: None,
            answered: Arc::new(tokio::sync::Notify::new()),
            clock: ServerClock::default(),
        })
    }

    /// A client like this one that also collects the records it skips (malformed items of a
    /// list), so a caller can show them: `let (c, bad) = client.collecting();` then
    /// `bad.take()` after the calls.
    pub fn collecting(&self) -> (ApiClient, Collected) {
        let bad = Collected::default();
        let c = ApiClient {
            unreadable: Some(bad.clone()),
            ..self.clone()
        };
        (c, bad)
    }

    /// Logs a record that could not be read (skipped, or shown repaired) and hands it to the
    /// collector, if any.
    pub(crate) fn skipped(&self, u: Unreadable) {
        tracing::warn!(source = %u.source, record = %u.record, error = %u.error, "a record could not be read as sent");
        if let Some(c) = &self.unreadable {
            c.0.lock().unwrap_or_else(|p| p.into_inner()).push(u);
        }
    }

    /// Reads each item of a list page on its own: the good ones are returned, the bad ones
    /// are reported through [`ApiClient::skipped`].
    fn read_items<T: DeserializeOwned + Sanitize>(
        &self,
        source: &str,
        raw: Vec<Box<RawValue>>,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(raw.len());
        for (k, item) in raw.iter().enumerate() {
            match Unreadable::parse::<T>(source, k + 1, item.get()) {
                Ok(v) => {
                    // Shown, with U+FFFD in place of what no string can hold, and flagged.
                    if let Some(u) = Unreadable::repaired(source, k + 1, item.get()) {
                        self.skipped(u);
                    }
                    out.push(v)
                }
                Err(u) => self.skipped(u),
            }
        }
        out
    }

    /// Takes in an answer to one of this client's requests (`sent`: the local time just
    /// before it left): the server's clock from its `Date`, and that the server is there.
    pub(crate) fn answered(&self, sent: chrono::DateTime<chrono::Utc>, resp: &reqwest::Response) {
        self.heard_from(resp.status());
        self.observe_clock(sent, resp);
    }

    /// Notes that the server answered (a proxy's 502-504 does not count: the server behind
    /// it may still be down), waking an event stream that waits to reconnect.
    fn heard_from(&self, status: reqwest::StatusCode) {
        if !matches!(status.as_u16(), 502..=504) {
            self.answered.notify_waiters();
        }
    }

    /// Resolves when the server next answers a request of this client or a clone, counting
    /// from this call (not from the first poll).
    pub(crate) fn server_answers(&self) -> tokio::sync::futures::Notified<'_> {
        self.answered.notified()
    }

    /// The server's clock as measured from this client's answers: countdowns and ages are
    /// computed on it, because every due date the API sends is on it.
    pub fn clock(&self) -> ServerClock {
        self.clock.clone()
    }

    /// Takes an answer's `Date` into the clock estimate; `sent` is the local time just before
    /// the request left.
    pub(crate) fn observe_clock(
        &self,
        sent: chrono::DateTime<chrono::Utc>,
        resp: &reqwest::Response,
    ) {
        let date = resp.headers().get(reqwest::header::DATE);
        self.clock
            .observe(sent, chrono::Utc::now(), date.and_then(|v| v.to_str().ok()));
    }

    /// An error status whose body is not sitrep's JSON error: the URL is not a sitrep API
    /// (a web page, another service) or a proxy answered for it. Said in words, since
    /// `HTTP 404 Not Found` alone sends a new user looking in the wrong place.
    fn foreign_answer(&self, status: reqwest::StatusCode) -> anyhow::Error {
        let base = crate::sanitize::clean_line(&self.base);
        match status.as_u16() {
            502..=504 => anyhow::anyhow!(
                "HTTP {status} from a proxy in front of {base}: the sitrep server behind it is not answering"
            ),
            _ => anyhow::anyhow!(
                "HTTP {status} from {base}, which does not answer like a sitrep server (no sitrep error in the reply): check the URL given with --api or the profile's `api`"
            ),
        }
    }

    /// The server this client talks to, for the header.
    /// A one-way fingerprint of the token (see [`Token::fingerprint`]).
    pub fn token_fingerprint(&self) -> String {
        self.token.fingerprint()
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(self.token.expose())
    }

    /// A GET of the event stream, on the client without read or total timeouts.
    pub(crate) fn stream_request(&self, path: &str) -> reqwest::RequestBuilder {
        self.stream
            .get(self.url(path))
            .bearer_auth(self.token.expose())
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T> {
        let (http, req) = req.timeout(REQUEST_TIMEOUT).build_split();
        let mut req = req?;
        let mut tries = 0;
        let resp = loop {
            // Only a GET is sent again by itself; writes go through the outbox, which has
            // its own rules (and their Idempotency-Keys).
            let again = (req.method() == reqwest::Method::GET)
                .then(|| req.try_clone())
                .flatten();
            let sent = chrono::Utc::now();
            let resp = http.execute(req).await?;
            self.answered(sent, &resp);
            let Some(asked) = retry::busy(&resp) else {
                break resp;
            };
            let wait = asked.unwrap_or(Duration::from_secs(1));
            match again {
                Some(next) if tries < BUSY_RETRIES && wait <= BUSY_WAIT_MAX => {
                    tracing::warn!(status = %resp.status(), wait = %retry::secs(wait), "server busy; retrying");
                    tokio::time::sleep(wait).await;
                    tries += 1;
                    req = next;
                }
                _ => {
                    anyhow::bail!(
                        "server busy (HTTP {}); try again in {}",
                        resp.status(),
                        retry::secs(wait)
                    )
                }
            }
        };
        let status = resp.status();
        if !status.is_success() {
            let bytes = resp.bytes().await.unwrap_or_default();
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(mut b) => {
                    b.error.status = status.as_u16();
                    b.error.message = crate::sanitize::clean_line(&b.error.message);
                    b.error.code = crate::sanitize::clean_line(&b.error.code);
                    b.error.into()
                }
                Err(_) => self.foreign_answer(status),
            });
        }
        Ok(resp.json::<T>().await?)
    }

    async fn get<T: DeserializeOwned + Sanitize>(&self, path: &str) -> Result<T> {
        let mut v: T = self
            .send(self.request(reqwest::Method::GET, path))
            .await
            .with_context(|| format!("GET {path}"))?;
        v.sanitize();
        Ok(v)
    }

    /// Every record of one incident's list, following `next_cursor` to the end.
    async fn items<T: DeserializeOwned + Sanitize>(&self, path: &str) -> Result<Vec<T>> {
        let source = format!("GET {path}");
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut req = self.request(reqwest::Method::GET, path);
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c)]);
            }
            let page: RawItems = self.send(req).await.with_context(|| source.clone())?;
            self.server_skipped(&source, page.unreadable);
            all.extend(self.read_items(&source, page.items));
            match page.next_cursor {
                // A server that repeats a cursor would loop forever: stop instead.
                Some(c) if !c.is_empty() && cursor.as_deref() != Some(c.as_str()) => {
                    cursor = Some(c)
                }
                _ => return Ok(all),
            }
        }
    }

    /// Records the server could not read itself: flagged like those this client cannot.
    fn server_skipped(&self, source: &str, skipped: Vec<ServerSkipped>) {
        for s in skipped {
            self.skipped(Unreadable {
                source: crate::sanitize::clean_line(source),
                record: crate::sanitize::clean_line(&s.id),
                error: crate::sanitize::clean_line(&format!(
                    "the server could not read it: {}",
                    shorten(&s.error, 160)
                )),
            });
        }
    }

    /// Checks the server answers and accepts the token.
    pub async fn check(&self) -> Result<()> {
        let _: Vec<Incident> = self.page_of_incidents(Some(1), None).await?.0;
        Ok(())
    }

    async fn page_of_incidents(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<(Vec<Incident>, Option<String>)> {
        self.filtered_page(&[], limit, cursor).await
    }

    /// Every incident, all phases, following the cursor to the end (scripts and reports,
    /// which answer over the whole history).
    pub async fn list_incidents(&self) -> Result<Vec<Incident>> {
        self.incidents_where(&[]).await
    }

    /// Every incident matching the server-side `filters`, following the cursor to the end.
    pub async fn incidents_where(&self, filters: &[(&str, String)]) -> Result<Vec<Incident>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (items, next) = self.filtered_page(filters, None, cursor.as_deref()).await?;
            all.extend(items);
            match next {
                // A server that repeats a cursor would loop forever: stop instead.
                Some(c) if !c.is_empty() && cursor.as_deref() != Some(c.as_str()) => {
                    cursor = Some(c)
                }
                _ => return Ok(all),
            }
        }
    }

    /// What a console shows from the start: every open incident, those closed at or after
    /// `closed_since` (the recent window), and older closed ones that still have an open
    /// corrective action (the actions view names and opens them); not the rest of the
    /// closed history.
    pub async fn live_incidents(&self, closed_since: DateTime<Utc>) -> Result<Vec<Incident>> {
        let open = [("open", "true".to_string())];
        let recent = [("closed_since", rfc3339(closed_since))];
        let owing = [
            ("open", "false".to_string()),
            ("open_actions", "true".to_string()),
        ];
        let (open, recent, owing) = tokio::join!(
            self.incidents_where(&open),
            self.incidents_where(&recent),
            self.incidents_where(&owing)
        );
        let mut all = open?;
        all.extend(recent?);
        // A recently closed incident with an open action is in both lists.
        let seen: std::collections::HashSet<String> = all.iter().map(|i| i.id.clone()).collect();
        all.extend(owing?.into_iter().filter(|i| !seen.contains(&i.id)));
        Ok(all)
    }

    /// Incidents changed at or after `since`, in any phase: a reconnect's delta.
    pub async fn changed_incidents(&self, since: DateTime<Utc>) -> Result<Vec<Incident>> {
        self.incidents_where(&[("updated_since", rfc3339(since))])
            .await
    }

    /// One page of closed incidents, newest first, optionally only those whose id, title,
    /// commander or impact scope contains `text`; the cursor of the next (older) page.
    pub async fn closed_page(
        &self,
        text: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<(Vec<Incident>, Option<String>)> {
        let mut filters = vec![("open", "false".to_string())];
        if let Some(t) = text {
            filters.push(("q", t.to_string()));
        }
        self.filtered_page(&filters, Some(CLOSED_PAGE), cursor)
            .await
    }

    async fn filtered_page(
        &self,
        filters: &[(&str, String)],
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<(Vec<Incident>, Option<String>)> {
        let mut q: Vec<(&str, String)> = vec![("limit", limit.unwrap_or(PAGE).to_string())];
        q.extend(filters.iter().cloned());
        if let Some(c) = cursor {
            q.push(("cursor", c.to_string()));
        }
        let req = self.request(reqwest::Method::GET, "/incidents").query(&q);
        let page: RawItems = self.send(req).await.context("GET /incidents")?;
        self.server_skipped("GET /incidents", page.unreadable);
        Ok((
            self.read_items("GET /incidents", page.items),
            page.next_cursor,
        ))
    }

    pub async fn incident(&self, id: &str) -> Result<Incident> {
        self.get(&format!("/incidents/{}", enc(id))).await
    }

    pub async fn updates(&self, id: &str) -> Result<Vec<StatusUpdate>> {
        self.items(&format!("/incidents/{}/updates", enc(id))).await
    }

    pub async fn incident_actions(&self, id: &str) -> Result<Vec<CorrectiveAction>> {
        self.items(&format!("/incidents/{}/actions", enc(id))).await
    }

    pub async fn exceptions(&self, id: &str) -> Result<Vec<RiskException>> {
        self.items(&format!("/incidents/{}/exceptions", enc(id)))
            .await
    }

    pub async fn timeline(&self, id: &str) -> Result<Vec<TimelineEntry>> {
        self.items(&format!("/incidents/{}/timeline", enc(id)))
            .await
    }

    /// The audit trail of administration, oldest first (every page; commanders only).
    pub async fn audit_trail<T: DeserializeOwned + Sanitize>(&self) -> Result<Vec<T>> {
        self.items("/audit").await
    }

    /// The monitoring signals attached to an incident, oldest first (every page).
    pub async fn signals(&self, id: &str) -> Result<Vec<SignalRecord>> {
        self.items(&format!("/incidents/{}/signals", enc(id))).await
    }

    /// Open and in-progress corrective actions across all incidents, overdue first,
    /// following the cursor to the end.
    pub async fn open_actions(&self) -> Result<Vec<CorrectiveAction>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut q: Vec<(&str, String)> = vec![
                ("status", "open,in_progress".into()),
                ("limit", PAGE.to_string()),
            ];
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let req = self.request(reqwest::Method::GET, "/actions").query(&q);
            const SOURCE: &str = "GET /actions?status=open,in_progress";
            let page: RawItems = self.send(req).await.context(SOURCE)?;
            self.server_skipped(SOURCE, page.unreadable);
            all.extend(self.read_items(SOURCE, page.items));
            match page.next_cursor {
                Some(c) if !c.is_empty() && cursor.as_ref() != Some(&c) => cursor = Some(c),
                _ => return Ok(all),
            }
        }
    }

    /// POST a JSON body; used by the demo simulator and tests (the console itself only
    /// reads in this version).
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T> {
        self.send(self.request(reqwest::Method::POST, path).json(body))
            .await
            .with_context(|| format!("POST {path}"))
    }

    /// PATCH with the version the change was based on (If-Match), so a concurrent edit is a
    /// conflict rather than a silent overwrite.
    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        version: i64,
        body: &serde_json::Value,
    ) -> Result<T> {
        let req = self
            .request(reqwest::Method::PATCH, path)
            .header(reqwest::header::IF_MATCH, format!("\"{version}\""))
            .json(body);
        self.send(req)
            .await
            .with_context(|| format!("PATCH {path}"))
    }
}

/// How far back a console loads closed incidents at start-up and after a lost history:
/// those closed in the last day are what a shift still talks about; older ones are
/// fetched a page at a time when the closed view or a filter asks.
pub const RECENT_CLOSED: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// Closed incidents per page of history the console fetches on demand.
pub const CLOSED_PAGE: u32 = 100;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Percent-encodes a path segment. Ids are `INC-42`-shaped, but an id is API data and must
/// not be able to add path segments or a query.
fn enc(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised_and_ids_cannot_escape_their_segment() {
        let c = ApiClient::new("http://127.0.0.1:9/api/v1/", Token::new("t")).unwrap();
        assert_eq!(c.url("/health"), "http://127.0.0.1:9/api/v1/health");
        assert_eq!(enc("INC-4/../x?y"), "INC-4%2F..%2Fx%3Fy");
        assert!(ApiClient::new("ftp://x", Token::new("t")).is_err());
    }

    #[test]
    fn lone_surrogate_escapes_become_the_replacement_character() {
        // serde_json refuses a lone surrogate outright.
        assert!(serde_json::from_str::<String>(r#""a\ud800b""#).is_err());
        assert!(serde_json::from_str::<serde_json::Value>(r#"["\udc00"]"#).is_err());
        let fixed = repair_surrogates(r#"{"t":"a\ud800b\udfffc\uD83D\uDE00d\\ud800"}"#);
        assert_eq!(fixed, r#"{"t":"a\ufffdb\ufffdc\uD83D\uDE00d\\ud800"}"#);
        let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(v["t"], "a\u{fffd}b\u{fffd}c😀d\\ud800");
        // A high surrogate at the very end, and a truncated escape, do not panic.
        assert_eq!(repair_surrogates(r#""\ud800""#), r#""\ufffd""#);
        assert_eq!(repair_surrogates(r#""\ud8"#), r#""\ud8"#);
        assert!(matches!(repair_surrogates("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn an_unreadable_record_names_its_id_and_field() {
        let bad = r#"{"id":"INC-7\u001b[2J","title":"x","severity":"SEV9"}"#;
        let e = Unreadable::parse::<Incident>("GET /incidents", 3, bad).unwrap_err();
        assert_eq!(e.record, "INC-7");
        assert!(
            e.error.starts_with("severity: unknown variant `SEV9`"),
            "{e}"
        );
        let e = Unreadable::parse::<Incident>("GET /incidents", 3, "[1]").unwrap_err();
        assert_eq!(e.record, "item 3");
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = ApiClient::new("http://127.0.0.1:9", Token::new("supersecret")).unwrap();
        assert!(!format!("{c:?}").contains("supersecret"));
    }
}
