//! PagerDuty's REST API v2, the few calls sitrep makes: with the token in
//! `Authorization: Token token=…`, the versioned `Accept` header, a client-side limit on
//! requests per minute with a share kept for interactive reads, `429` honoured
//! (`Retry-After`, else `ratelimit-reset`), and offset pagination that stops where
//! PagerDuty's does (offset + limit ≤ 10,000) or where a page brings nothing new. A list's
//! records are read one by one: one sitrep cannot read is left out and named.
use super::map::{PdIncident, PdLogEntry, PdNote, PdPriority, PdStatusUpdate};
use crate::client::Token;
use crate::server::store::UnreadableRow;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::{HashSet, VecDeque};
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
                let reason = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default();
                write!(f, "PagerDuty answered {status}{reason}: {message}")
            }
            PdError::Decode(e) => write!(f, "unreadable answer from PagerDuty: {e}"),
        }
    }
}

impl std::error::Error for PdError {}

impl PdError {
    /// A refusal that asking again cannot change (a 4xx other than 408, 425 and 429: a bad
    /// token, a header or query PagerDuty does not accept, a missing resource). Only the
    /// network, 5xx and rate limits are worth retrying.
    pub fn is_permanent(&self) -> bool {
        matches!(self, PdError::Status { status, .. }
            if (400..500).contains(status) && !matches!(status, 408 | 425 | 429))
    }
}

/// Whose request it is. The poller's requests are `Background`: they may use the budget
/// only up to what is kept for `Interactive` ones (a console's detail reads and writes), so
/// a busy poll never leaves the detail pane waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Priority {
    #[default]
    Interactive,
    Background,
}
/// A sliding one-minute window of request start times, plus a pause that a 429 (or an
/// exhausted `ratelimit-remaining`) imposes on every request from this key. A tenth of the
/// window (at least one request) is kept for interactive requests: background ones wait
/// when only that share is left.
#[derive(Debug)]
pub struct Limiter {
    per_window: u32,
    /// Slots only interactive requests may take.
    reserve: u32,
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
        let per_window = per_window.max(1);
        Limiter {
            per_window,
            reserve: if per_window > 1 {
                (per_window / 10).max(1)
            } else {
                0
            },
            window,
            state: Mutex::new(LimiterState::default()),
        }
    }

    pub fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_secs(60))
    }

    /// How long until a request may start, or None (and the request is counted) if now.
    fn try_take(&self, priority: Priority) -> Option<Duration> {
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
        let allowed = match priority {
            Priority::Interactive => self.per_window,
            Priority::Background => self.per_window - self.reserve,
        } as usize;
        if st.starts.len() < allowed {
            st.starts.push_back(now);
            return None;
        }
        // The slot frees when the start that fills it leaves the window.
        let blocking = st.starts[st.starts.len() - allowed];
        Some(self.window.saturating_sub(now.duration_since(blocking)))
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
    async fn acquire(&self, max_wait: Duration, priority: Priority) -> Result<(), PdError> {
        let deadline = Instant::now() + max_wait;
        loop {
            match self.try_take(priority) {
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
    priority: Priority,
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

/// The raw records of every page of a list.
#[derive(Debug, Default)]
struct Pages {
    items: Vec<Value>,
    /// Offset pagination (or the page cap) ended before `more` did.
    truncated: bool,
    /// `more` stayed true while the pages brought nothing new.
    stalled: bool,
}

/// One list of incidents: the readable ones, the ones left out, and whether PagerDuty had
/// more than offset pagination can reach.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub incidents: Vec<PdIncident>,
    pub unreadable: Vec<UnreadableRow>,
    pub truncated: bool,
}

/// The readable records of a list and the ones left out.
#[derive(Debug, Clone)]
pub struct Read<T> {
    pub items: Vec<T>,
    pub unreadable: Vec<UnreadableRow>,
}

/// Reads each record on its own: one that does not read as `T` (a negative count, a
/// missing field, a type PagerDuty changed) is left out, logged and named, so one bad
/// record cannot take the whole list away.
fn read_each<T: DeserializeOwned>(items: Vec<Value>, what: &str) -> (Vec<T>, Vec<UnreadableRow>) {
    let mut ok = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for item in items {
        let id = item
            .get("id")
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "(no id)".into());
        match serde_json::from_value::<T>(item) {
            Ok(v) => ok.push(v),
            Err(e) => {
                let id = crate::sanitize::clean_line(&id);
                let mut error = crate::sanitize::clean_line(&format!(
                    "PagerDuty sent a {what} sitrep cannot read: {e}"
                ));
                if error.chars().count() > 300 {
                    error = error.chars().take(300).collect::<String>() + "…";
                }
                tracing::warn!(what, id = %id, %error, "a PagerDuty record was left out");
                bad.push(UnreadableRow { id, error });
            }
        }
    }
    (ok, bad)
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
            priority: Priority::Interactive,
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

    /// The same client (same key, same limiter) for background work: polling.
    pub fn background(&self) -> Self {
        PdClient {
            priority: Priority::Background,
            ..self.clone()
        }
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
            self.limiter.acquire(left, self.priority).await?;
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

    /// Every page of a list (`field` holds its records), at most `max_pages`, stopping when
    /// `more` is false, the next page would pass offset 10,000, or a page brings no record
    /// not seen on an earlier one: a server whose `more` never turns false (or that ignores
    /// `offset`) costs two requests, not a hundred.
    async fn pages(
        &self,
        path: &str,
        field: &str,
        filter: &[(&str, String)],
        max_pages: u32,
    ) -> Result<Pages, PdError> {
        let mut out = Pages::default();
        let mut seen = HashSet::new();
        let mut offset: u32 = 0;
        for _ in 0..max_pages {
            let mut q: Vec<(&str, String)> = filter.to_vec();
            q.push(("limit", PAGE.to_string()));
            q.push(("offset", offset.to_string()));
            let mut body: Value = self.get(path, &q).await?;
            let more = body.get("more").and_then(Value::as_bool).unwrap_or(false);
            let Some(Value::Array(items)) = body.get_mut(field).map(Value::take) else {
                return Err(PdError::Decode(format!("no `{field}` list in the answer")));
            };
            let mut fresh = 0;
            for item in items {
                // Records without an id are told apart by their whole text.
                let key = match item.get("id").and_then(Value::as_str) {
                    Some(id) => id.to_string(),
                    None => item.to_string(),
                };
                if seen.insert(key) {
                    fresh += 1;
                    out.items.push(item);
                }
            }
            if !more {
                return Ok(out);
            }
            if fresh == 0 {
                tracing::warn!(
                    path,
                    offset,
                    "PagerDuty says there is more, but the page brought nothing new; stopped paging"
                );
                out.stalled = true;
                return Ok(out);
            }
            offset += PAGE;
            if offset + PAGE > OFFSET_CAP {
                out.truncated = true;
                return Ok(out);
            }
        }
        out.truncated = true;
        Ok(out)
    }

    /// All pages of one incident query (see [`PdClient::pages`]).
    pub async fn list_incidents(&self, filter: &[(&str, String)]) -> Result<Listing, PdError> {
        let p = self
            .pages("/incidents", "incidents", filter, OFFSET_CAP / PAGE)
            .await?;
        let (incidents, unreadable) = read_each(p.items, "incident");
        Ok(Listing {
            incidents,
            unreadable,
            truncated: p.truncated,
        })
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
        let p = self
            .pages("/priorities", "priorities", &[], OFFSET_CAP / PAGE)
            .await?;
        let (all, unreadable) = read_each(p.items, "priority");
        for u in unreadable {
            tracing::warn!(id = %u.id, error = %u.error, "a PagerDuty priority was left out");
        }
        Ok(all)
    }

    pub async fn notes(&self, id: &str) -> Result<Read<PdNote>, PdError> {
        let mut body: Value = self
            .get(&format!("/incidents/{}/notes", enc(id)), &[])
            .await?;
        let Some(Value::Array(items)) = body.get_mut("notes").map(Value::take) else {
            return Err(PdError::Decode("no `notes` list in the answer".into()));
        };
        let (items, unreadable) = read_each(items, "note");
        Ok(Read { items, unreadable })
    }

    /// Up to 1,000 log entries (ten pages), oldest and newest alike.
    pub async fn log_entries(&self, id: &str) -> Result<Read<PdLogEntry>, PdError> {
        let p = self
            .pages(
                &format!("/incidents/{}/log_entries", enc(id)),
                "log_entries",
                &[],
                10,
            )
            .await?;
        let (items, unreadable) = read_each(p.items, "log entry");
        Ok(Read { items, unreadable })
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
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    // PagerDuty's own shape first; then RFC 9457 problem details (`title`, `detail`), which
    // proxies and mock servers in front of it answer with.
    let mut msg = text("/error/message")
        .or_else(|| match (text("/title"), text("/detail")) {
            (Some(t), Some(d)) => Some(format!("{t}: {d}")),
            (t, d) => t.or(d),
        })
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
            assert!(l.try_take(Priority::Interactive).is_none());
        }
        let wait = l.try_take(Priority::Interactive).unwrap();
        assert!(wait <= Duration::from_millis(300) && wait > Duration::from_millis(200));
        assert!(matches!(
            l.acquire(Duration::from_millis(10), Priority::Interactive)
                .await,
            Err(PdError::RateLimited { .. })
        ));
        l.acquire(Duration::from_secs(1), Priority::Interactive)
            .await
            .unwrap();
        l.pause(Duration::from_millis(200));
        assert!(l.wait_hint() > Duration::from_millis(100));
    }

    #[test]
    fn background_requests_leave_a_share_for_interactive_ones() {
        let l = Limiter::new(20, Duration::from_secs(60));
        // A poll that would page on and on takes 18 of 20, then waits...
        for _ in 0..18 {
            assert!(l.try_take(Priority::Background).is_none());
        }
        assert!(l.try_take(Priority::Background).is_some());
        // ...while a detail read still gets its turn at once.
        assert!(l.try_take(Priority::Interactive).is_none());
        assert!(l.try_take(Priority::Interactive).is_none());
        assert!(l.try_take(Priority::Interactive).is_some());
    }

    #[test]
    fn only_what_retrying_can_fix_is_transient() {
        let s = |status| PdError::Status {
            status,
            message: "x".into(),
        };
        for permanent in [400, 401, 403, 404, 406, 415] {
            assert!(s(permanent).is_permanent(), "{permanent}");
        }
        for transient in [408, 425, 429, 500, 502, 503] {
            assert!(!s(transient).is_permanent(), "{transient}");
        }
        assert!(!PdError::Unreachable("refused".into()).is_permanent());
        assert_eq!(
            s(406).to_string(),
            "PagerDuty answered 406 Not Acceptable: x"
        );
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
