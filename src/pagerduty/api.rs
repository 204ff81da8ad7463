//! PagerDuty's REST API v2, the few calls sitrep makes: with the token in
//! `Authorization: Token token=…`, the versioned `Accept` header, a client-side limit on
//! requests per minute, `429` honoured (`Retry-After`, else `ratelimit-reset`), and offset
//! pagination that stops where PagerDuty's does (offset + limit ≤ 10,000).
use super::map::{PdIncident, PdLogEntry, PdNote, PdPriority, PdStatusUpdate};
use crate::client::Token;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

pub const DEFAULT_URL: &str = "https://api.pagerduty.com";
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";
/// PagerDuty's documented limit per API key.
pub const PD_LIMIT_PER_MINUTE: u32 = 960;
/// What sitrep allows itself: below the key's limit, leaving room for the key's other users.
pub const BUDGET_PER_MINUTE: u32 = 900;
/// PagerDuty's largest page for incidents.
pub const PAGE: u32 = 100;
/// Offset pagination ends here: PagerDuty refuses offset + limit beyond it.
pub const OFFSET_CAP: u32 = 10_000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Without a Retry-After or ratelimit-reset header, a 429 waits this long.
const DEFAULT_BACKOFF: Duration = Duration::from_secs(5);

/// Why a call failed. The message never holds the token (it is only ever in a header).
#[derive(Debug, Clone, PartialEq)]
pub enum PdError {
    /// No answer: connection refused, timeout, DNS.
    Unreachable(String),
    /// Still rate limited after waiting as long as the caller allows.
    RateLimited { retry_in: Duration },
    /// PagerDuty answered with an error status.
    Status { status: u16, message: String },
    /// An answer we could not read.
    Decode(String),
}

impl fmt::Display for PdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PdError::Unreachable(e) => write!(f, "PagerDuty unreachable: {e}"),
            PdError::RateLimited { retry_in } => write!(
                f,
                "PagerDuty rate limit reached; retry in {}s",
                retry_in.as_secs().max(1)
            ),
            PdError::Status { status, message } => {
                write!(f, "PagerDuty answered {status}: {message}")
            }
            PdError::Decode(e) => write!(f, "unreadable answer from PagerDuty: {e}"),
        }
    }
}

impl std::error::Error for PdError {}

/// A sliding one-minute window of request start times, plus a pause that a 429 (or an
/// exhausted `ratelimit-remaining`) imposes on every request from this key.
#[derive(Debug)]
pub struct Limiter {
    per_window: u32,
    window: Duration,
    state: Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    starts: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl Limiter {
    pub fn new(per_window: u32, window: Duration) -> Self {
        Limiter {
            per_window: per_window.max(1),
            window,
            state: Mutex::new(LimiterState::default()),
        }
    }

    pub fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_secs(60))
    }

    /// How long until a request may start, or None (and the request is counted) if now.
    fn try_take(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = st.paused_until {
            if until > now {
                return Some(until - now);
            }
            st.paused_until = None;
        }
        while st
            .starts
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            st.starts.pop_front();
        }
        if (st.starts.len() as u32) < self.per_window {
            st.starts.push_back(now);
            return None;
        }
        let oldest = *st.starts.front().expect("window is full");
        Some(self.window.saturating_sub(now.duration_since(oldest)))
    }

    /// The wait before the next request could start (without taking a slot).
    pub fn wait_hint(&self) -> Duration {
        let now = Instant::now();
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.paused_until
            .filter(|u| *u > now)
            .map_or(Duration::ZERO, |u| u - now)
    }

    /// Waits for a slot, but no longer than `max_wait` in total.
    async fn acquire(&self, max_wait: Duration) -> Result<(), PdError> {
        let deadline = Instant::now() + max_wait;
        loop {
            match self.try_take() {
                None => return Ok(()),
                Some(wait) => {
                    if Instant::now() + wait > deadline {
                        return Err(PdError::RateLimited { retry_in: wait });
                    }
                    tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                }
            }
        }
    }

    /// Every request from this key waits until `wait` has passed.
    fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.paused_until.is_none_or(|u| u < until) {
            st.paused_until = Some(until);
        }
    }
}

#[derive(Clone)]
pub struct PdClient {
    http: reqwest::Client,
    base: String,
    token: Token,
    from: Option<String>,
    limiter: Arc<Limiter>,
    /// The longest a call waits for the rate limit before giving up with RateLimited.
    max_wait: Duration,
}

impl fmt::Debug for PdClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    more: Option<bool>,
}

/// One list of incidents, and whether PagerDuty had more than offset pagination can reach.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub incidents: Vec<PdIncident>,
    pub truncated: bool,
}

impl PdClient {
    pub fn new(base: &str, token: Token, from: Option<String>) -> anyhow::Result<Self> {
        crate::client::install_crypto_provider();
        let base = base.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("PagerDuty URL {base:?} must start with http:// or https://");
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("sitrep/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(PdClient {
            http,
            base,
            token,
            from: from.map(|f| f.trim().to_string()).filter(|f| !f.is_empty()),
            limiter: Arc::new(Limiter::per_minute(BUDGET_PER_MINUTE)),
            max_wait: Duration::from_secs(10),
        })
    }

    /// Replaces the rate limiter (tests use a short window).
    pub fn with_limiter(mut self, limiter: Limiter) -> Self {
        self.limiter = Arc::new(limiter);
        self
    }

    pub fn with_max_wait(mut self, d: Duration) -> Self {
        self.max_wait = d;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn from(&self) -> Option<&str> {
        self.from.as_deref()
    }

    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Sends a request (rebuilt for each attempt), waiting for the limiter and retrying
    /// after a 429 as long as the wait fits `max_wait`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        write: bool,
    ) -> Result<T, PdError> {
        let deadline = Instant::now() + self.max_wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            self.limiter.acquire(left).await?;
            // Marked sensitive so no HTTP layer prints it, even at trace level.
            let mut auth = reqwest::header::HeaderValue::from_str(&format!(
                "Token token={}",
                self.token.expose()
            ))
            .map_err(|_| {
                PdError::Decode("the API token has characters a header cannot carry".into())
            })?;
            auth.set_sensitive(true);
            let mut req = self
                .http
                .request(method.clone(), format!("{}{}", self.base, path))
                .header(reqwest::header::AUTHORIZATION, auth)
                .header(reqwest::header::ACCEPT, ACCEPT)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .timeout(REQUEST_TIMEOUT);
            if !query.is_empty() {
                req = req.query(query);
            }
            if write && let Some(from) = &self.from {
                req = req.header("From", from);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| PdError::Unreachable(crate::client::error_chain(&e.without_url())))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            if let Some(wait) = exhausted(&headers) {
                self.limiter.pause(wait);
            }
            if status.as_u16() == 429 {
                let wait = retry_after(&headers).unwrap_or(DEFAULT_BACKOFF);
                tracing::warn!(
                    path,
                    wait_ms = wait.as_millis() as u64,
                    "PagerDuty rate limit (429)"
                );
                self.limiter.pause(wait);
                if Instant::now() + wait > deadline {
                    return Err(PdError::RateLimited { retry_in: wait });
                }
                continue;
            }
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| PdError::Unreachable(crate::client::error_chain(&e.without_url())))?;
            if !status.is_success() {
                return Err(PdError::Status {
                    status: status.as_u16(),
                    message: error_message(&bytes, status),
                });
            }
            return serde_json::from_slice(&bytes).map_err(|e| PdError::Decode(e.to_string()));
        }
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        q: &[(&str, String)],
    ) -> Result<T, PdError> {
        self.call(reqwest::Method::GET, path, q, None, false).await
    }

    /// All pages of one incident query, stopping when `more` is false or the next page
    /// would pass offset 10,000.
    pub async fn list_incidents(&self, filter: &[(&str, String)]) -> Result<Listing, PdError> {
        #[derive(Deserialize)]
        struct P {
            #[serde(flatten)]
            page: Page,
            incidents: Vec<PdIncident>,
        }
        let mut out = Listing::default();
        let mut offset: u32 = 0;
        loop {
            let mut q: Vec<(&str, String)> = filter.to_vec();
            q.push(("limit", PAGE.to_string()));
            q.push(("offset", offset.to_string()));
            let p: P = self.get("/incidents", &q).await?;
            let n = p.incidents.len() as u32;
            out.incidents.extend(p.incidents);
            if !p.page.more.unwrap_or(false) || n == 0 {
                return Ok(out);
            }
            offset += PAGE;
            if offset + PAGE > OFFSET_CAP {
                out.truncated = true;
                return Ok(out);
            }
        }
    }

    pub async fn incident(&self, id: &str) -> Result<PdIncident, PdError> {
        #[derive(Deserialize)]
        struct One {
            incident: PdIncident,
        }
        let one: One = self.get(&format!("/incidents/{}", enc(id)), &[]).await?;
        Ok(one.incident)
    }

    /// The account's priorities, in PagerDuty's order (most severe first).
    pub async fn priorities(&self) -> Result<Vec<PdPriority>, PdError> {
        #[derive(Deserialize)]
        struct P {
            #[serde(flatten)]
            page: Page,
            priorities: Vec<PdPriority>,
        }
        let mut all = Vec::new();
        let mut offset = 0u32;
        loop {
            let q = [("limit", PAGE.to_string()), ("offset", offset.to_string())];
            let p: P = self.get("/priorities", &q).await?;
            let n = p.priorities.len() as u32;
            all.extend(p.priorities);
            offset += PAGE;
            if !p.page.more.unwrap_or(false) || n == 0 || offset + PAGE > OFFSET_CAP {
                return Ok(all);
            }
        }
    }

    pub async fn notes(&self, id: &str) -> Result<Vec<PdNote>, PdError> {
        #[derive(Deserialize)]
        struct N {
            notes: Vec<PdNote>,
        }
        let n: N = self
            .get(&format!("/incidents/{}/notes", enc(id)), &[])
            .await?;
        Ok(n.notes)
    }

    /// Up to 1,000 log entries (ten pages), oldest and newest alike.
    pub async fn log_entries(&self, id: &str) -> Result<Vec<PdLogEntry>, PdError> {
        #[derive(Deserialize)]
        struct L {
            #[serde(flatten)]
            page: Page,
            log_entries: Vec<PdLogEntry>,
        }
        let mut all = Vec::new();
        let mut offset = 0u32;
        for _ in 0..10 {
            let q = [("limit", PAGE.to_string()), ("offset", offset.to_string())];
            let l: L = self
                .get(&format!("/incidents/{}/log_entries", enc(id)), &q)
                .await?;
            let n = l.log_entries.len() as u32;
            all.extend(l.log_entries);
            offset += PAGE;
            if !l.page.more.unwrap_or(false) || n == 0 {
                break;
            }
        }
        Ok(all)
    }

    /// `PUT /incidents/{id}` with `{"incident": {"type": "incident_reference", …fields}}`.
    pub async fn update_incident(&self, id: &str, fields: Value) -> Result<PdIncident, PdError> {
        #[derive(Deserialize)]
        struct One {
            incident: PdIncident,
        }
        let mut incident = json!({ "type": "incident_reference" });
        if let (Some(obj), Some(f)) = (incident.as_object_mut(), fields.as_object()) {
            obj.extend(f.clone());
        }
        let one: One = self
            .call(
                reqwest::Method::PUT,
                &format!("/incidents/{}", enc(id)),
                &[],
                Some(&json!({ "incident": incident })),
                true,
            )
            .await?;
        Ok(one.incident)
    }

    pub async fn add_note(&self, id: &str, content: &str) -> Result<PdNote, PdError> {
        #[derive(Deserialize)]
        struct N {
            note: PdNote,
        }
        let n: N = self
            .call(
                reqwest::Method::POST,
                &format!("/incidents/{}/notes", enc(id)),
                &[],
                Some(&json!({ "note": { "content": content } })),
                true,
            )
            .await?;
        Ok(n.note)
    }

    pub async fn add_status_update(
        &self,
        id: &str,
        message: &str,
    ) -> Result<PdStatusUpdate, PdError> {
        #[derive(Deserialize)]
        struct S {
            status_update: PdStatusUpdate,
        }
        let s: S = self
            .call(
                reqwest::Method::POST,
                &format!("/incidents/{}/status_updates", enc(id)),
                &[],
                Some(&json!({ "message": message })),
                true,
            )
            .await?;
        Ok(s.status_update)
    }
}

/// `Retry-After` (seconds) first, then `ratelimit-reset` (seconds until the window resets).
pub fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(3600.0)))
    };
    secs("retry-after").or_else(|| secs("ratelimit-reset"))
}

/// `ratelimit-remaining: 0` means the next request would be refused: wait for the reset.
fn exhausted(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let remaining = h
        .get("ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())?;
    if remaining > 0 {
        return None;
    }
    h.get("ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

/// PagerDuty's `{"error":{"code","message","errors":[…]}}` as one sanitized line.
fn error_message(bytes: &[u8], status: reqwest::StatusCode) -> String {
    let v: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let mut msg = v
        .pointer("/error/message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    if let Some(errs) = v.pointer("/error/errors").and_then(Value::as_array) {
        let details: Vec<&str> = errs.iter().filter_map(Value::as_str).collect();
        if !details.is_empty() {
            msg.push_str(": ");
            msg.push_str(&details.join("; "));
        }
    }
    let mut msg = crate::sanitize::clean_line(&msg);
    if msg.chars().count() > 300 {
        msg = msg.chars().take(300).collect::<String>() + "…";
    }
    msg
}

/// Percent-encodes a path segment: an id cannot add segments or a query.
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

    #[tokio::test]
    async fn the_limiter_keeps_a_window_and_honours_a_pause() {
        let l = Limiter::new(3, Duration::from_millis(300));
        for _ in 0..3 {
            assert!(l.try_take().is_none());
        }
        let wait = l.try_take().unwrap();
        assert!(wait <= Duration::from_millis(300) && wait > Duration::from_millis(200));
        assert!(matches!(
            l.acquire(Duration::from_millis(10)).await,
            Err(PdError::RateLimited { .. })
        ));
        l.acquire(Duration::from_secs(1)).await.unwrap();
        l.pause(Duration::from_millis(200));
        assert!(l.wait_hint() > Duration::from_millis(100));
    }

    #[test]
    fn retry_headers_are_read() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("ratelimit-reset", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        assert_eq!(exhausted(&h), None);
        h.insert("ratelimit-remaining", "0".parse().unwrap());
        assert_eq!(exhausted(&h), Some(Duration::from_secs(7)));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = PdClient::new("http://127.0.0.1:9", Token::new("pd-secret-123"), None).unwrap();
        assert!(!format!("{c:?}").contains("pd-secret"));
        assert_eq!(enc("P1/../x"), "P1%2F..%2Fx");
    }
}
