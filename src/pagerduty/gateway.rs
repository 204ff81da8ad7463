//! An in-process gateway: the subset of sitrep's `/api/v1` that the console uses, served on
//! loopback and translated to PagerDuty. The console, its outbox, its event subscriber and
//! its keys stay exactly as they are with sitrep's own server.
use super::api::{PdClient, PdError};
use super::map::{self, Priorities, Versions};
use crate::client::Token;
use crate::domain::{Audience, Incident, NewStatusUpdate, StatusUpdate};
use crate::protocol::EventKind;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// Events kept for consoles that reconnect with `Last-Event-ID`.
const EVENT_LOG: usize = 2_000;

/// A sitrep-shaped error: `{"error":{"code","message","field"}}` (+ `current` with 412).
#[derive(Debug)]
pub struct GwError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    current: Option<Value>,
}

impl GwError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GwError {
            status,
            code,
            message: crate::sanitize::clean_line(&message.into()),
            field: None,
            current: None,
        }
    }

    fn field(mut self, f: &str) -> Self {
        self.field = Some(f.to_string());
        self
    }

    fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).field(field)
    }

    /// A pane or write that PagerDuty has nothing for.
    pub fn unsupported(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported",
            format!("PagerDuty has no {what}; this is not available with --backend pagerduty"),
        )
    }
}

impl From<PdError> for GwError {
    fn from(e: PdError) -> Self {
        let msg = e.to_string();
        match e {
            PdError::Unreachable(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "pagerduty_unreachable",
                msg,
            ),
            PdError::RateLimited { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "rate_limited", msg)
            }
            PdError::Decode(_) => Self::new(StatusCode::BAD_GATEWAY, "pagerduty_error", msg),
            PdError::Status { status, .. } => match status {
                401 | 403 => Self::new(StatusCode::FORBIDDEN, "pagerduty_refused", msg),
                404 => Self::new(StatusCode::NOT_FOUND, "not_found", msg),
                400..=499 => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "pagerduty_refused", msg),
                _ => Self::new(StatusCode::BAD_GATEWAY, "pagerduty_error", msg),
            },
        }
    }
}

impl IntoResponse for GwError {
    fn into_response(self) -> Response {
        let mut body =
            json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        if let Some(c) = self.current {
            body["current"] = c;
        }
        (self.status, axum::Json(body)).into_response()
    }
}

type GwResult<T> = Result<T, GwError>;

#[derive(Debug, Clone)]
struct Ev {
    seq: u64,
    kind: EventKind,
    data: String,
}

struct Inner {
    versions: Versions,
    listed: BTreeSet<String>,
    priorities: Option<Priorities>,
    seq: u64,
    log: VecDeque<Ev>,
    truncated: bool,
}

/// A stored answer to a POST, replayed for a retry with the same Idempotency-Key.
#[derive(Clone)]
struct Stored {
    body: Value,
    status: StatusCode,
    response: Value,
}

/// Everything the gateway's handlers and the poller share.
pub struct Shared {
    pd: PdClient,
    token: Token,
    read_only: bool,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Arc<Ev>>,
    /// None while PagerDuty answers; Some(why) after a failed poll.
    health: watch::Sender<Option<String>>,
    shutdown: watch::Sender<bool>,
    idempotency: tokio::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Stored>>>>>,
    heartbeat: Duration,
}

impl Shared {
    pub fn pd(&self) -> &PdClient {
        &self.pd
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn has_priorities(&self) -> bool {
        self.lock().priorities.is_some()
    }

    pub fn set_priorities(&self, p: Priorities) {
        self.lock().priorities = Some(p);
    }

    fn priorities(&self) -> Priorities {
        self.lock().priorities.clone().unwrap_or_default()
    }

    pub fn shutdown_rx(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn set_health(&self, down: Option<String>) {
        self.health.send_if_modified(|h| {
            if *h != down {
                *h = down;
                true
            } else {
                false
            }
        });
    }

    pub fn truncated(&self) -> bool {
        self.lock().truncated
    }

    fn publish(inner: &mut Inner, tx: &broadcast::Sender<Arc<Ev>>, kind: EventKind, data: String) {
        inner.seq += 1;
        let ev = Ev {
            seq: inner.seq,
            kind,
            data,
        };
        inner.log.push_back(ev.clone());
        while inner.log.len() > EVENT_LOG {
            inner.log.pop_front();
        }
        let _ = tx.send(Arc::new(ev));
    }

    /// An incident that PagerDuty listed or returned and that changed: `incident.created` the
    /// first time the gateway sees it, `incident.updated` after that.
    fn publish_incident(
        inner: &mut Inner,
        tx: &broadcast::Sender<Arc<Ev>>,
        inc: &Incident,
        is_new: bool,
    ) {
        let kind = if is_new {
            EventKind::IncidentCreated
        } else {
            EventKind::IncidentUpdated
        };
        let data = serde_json::to_string(inc).unwrap_or_default();
        Self::publish(inner, tx, kind, data);
    }

    /// Takes one poll's incidents; returns how many are new or changed. The first listing
    /// fills the board without events (consoles list it).
    pub fn apply_listing(&self, incidents: &[map::PdIncident], truncated: bool) -> usize {
        let mut inner = self.lock();
        let prios = inner.priorities.clone().unwrap_or_default();
        inner.truncated = truncated;
        let mut changed = 0;
        for pd in incidents {
            let mapped = map::incident(pd, &prios, 0);
            let is_new = !inner.listed.contains(&mapped.id);
            let (inc, did_change) = inner.versions.stamp(mapped);
            if did_change {
                changed += 1;
                inner.listed.insert(inc.id.clone());
                Self::publish_incident(&mut inner, &self.events, &inc, is_new);
            }
        }
        changed
    }

    /// Records an incident PagerDuty returned (after a write or a GET) and publishes it if
    /// it changed.
    fn record(&self, pd: &map::PdIncident) -> Incident {
        let mut inner = self.lock();
        let prios = inner.priorities.clone().unwrap_or_default();
        let mapped = map::incident(pd, &prios, 0);
        let is_new = inner.listed.insert(mapped.id.clone());
        let (inc, changed) = inner.versions.stamp(mapped);
        if changed {
            Self::publish_incident(&mut inner, &self.events, &inc, is_new);
        }
        inc
    }

    fn publish_update(&self, u: &StatusUpdate) {
        let mut inner = self.lock();
        let data = serde_json::to_string(u).unwrap_or_default();
        Self::publish(&mut inner, &self.events, EventKind::UpdatePosted, data);
    }

    fn current(&self, id: &str) -> Option<Incident> {
        let inner = self.lock();
        inner
            .listed
            .contains(id)
            .then(|| inner.versions.current(id))
            .flatten()
    }
}

/// The gateway, running on loopback.
pub struct Gateway {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
    poller: Option<tokio::task::JoinHandle<()>>,
}

/// How the gateway runs.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    pub poll: Duration,
    pub read_only: bool,
    pub heartbeat: Duration,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            poll: Duration::from_secs(10),
            read_only: false,
            heartbeat: Duration::from_secs(10),
        }
    }
}

impl Gateway {
    /// Polls PagerDuty once (so the first board is complete), then serves on 127.0.0.1 on
    /// a free port with a fresh random token, and polls on the interval. A first poll that
    /// PagerDuty refuses (bad token) is an error; an unreachable PagerDuty is not (the
    /// console starts and shows it is reconnecting).
    pub async fn start(pd: PdClient, opts: GatewayOptions) -> anyhow::Result<Gateway> {
        let (events, _) = broadcast::channel(4096);
        let (health, _) = watch::channel(None);
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            pd,
            token: Token::new(crate::client::new_key()),
            read_only: opts.read_only,
            inner: Mutex::new(Inner {
                versions: Versions::default(),
                listed: BTreeSet::new(),
                priorities: None,
                seq: 0,
                log: VecDeque::new(),
                truncated: false,
            }),
            events,
            health,
            shutdown,
            idempotency: tokio::sync::Mutex::new(HashMap::new()),
            heartbeat: opts.heartbeat,
        });
        match super::poll::poll_once(&shared, true).await {
            Ok(r) => tracing::info!(incidents = r.incidents, "PagerDuty: first poll"),
            Err(PdError::Status { status, message }) if matches!(status, 401 | 403) => {
                anyhow::bail!(
                    "PagerDuty at {} refused the API token ({status}): {message}",
                    shared.pd.base()
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "PagerDuty not reachable at start");
                shared.set_health(Some(e.to_string()));
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = router(shared.clone());
        let mut stop = shared.shutdown_rx();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await;
        });
        let poller = Some(super::poll::spawn(shared.clone(), opts.poll));
        Ok(Gateway {
            addr,
            shared,
            server,
            poller,
        })
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The local token the console uses for this gateway.
    pub fn token(&self) -> Token {
        self.shared.token.clone()
    }

    pub async fn shutdown(mut self) {
        let _ = self.shared.shutdown.send(true);
        if let Some(p) = self.poller.take() {
            let _ = p.await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.server).await;
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .route("/whoami", get(whoami))
        .route("/incidents", get(list).post(unsupported_new_incident))
        .route("/incidents/{id}", get(one).patch(patch_incident))
        .route("/incidents/{id}/updates", get(updates).post(post_update))
        .route("/incidents/{id}/timeline", get(timeline))
        .route("/incidents/{id}/actions", unsupported(ACTIONS))
        .route("/incidents/{id}/exceptions", unsupported(EXCEPTIONS))
        .route("/incidents/{id}/signals", unsupported(SIGNALS))
        .route("/actions", unsupported(ACTIONS))
        .route("/actions/{id}", unsupported(ACTIONS))
        .route("/events", get(events))
        .fallback(|| async {
            GwError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        });
    Router::new()
        .nest("/api/v1", api)
        .fallback(|| async { GwError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .with_state(shared)
}

/// The console's bearer token (constant-time compare: it is a secret).
fn auth(sh: &Shared, headers: &HeaderMap) -> GwResult<()> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if sh.token.matches(given) {
        Ok(())
    } else {
        Err(GwError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or unknown token",
        ))
    }
}

/// Writes need the gateway to be writable and a PagerDuty user to act as.
fn writable(sh: &Shared) -> GwResult<()> {
    if sh.read_only {
        return Err(GwError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the console runs --read-only",
        ));
    }
    if sh.pd.from().is_none() {
        return Err(GwError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "from_required",
            "PagerDuty writes need the email of a PagerDuty user: pass --pagerduty-from EMAIL or set PAGERDUTY_FROM",
        )
        .field("From"));
    }
    Ok(())
}

async fn whoami(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> GwResult<axum::Json<Value>> {
    auth(&sh, &headers)?;
    let role = if sh.read_only { "viewer" } else { "commander" };
    let name = sh.pd.from().unwrap_or("pagerduty");
    Ok(axum::Json(
        json!({"name": crate::sanitize::clean_line(name), "role": role}),
    ))
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<usize>,
    cursor: Option<String>,
}

async fn list(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(p): Query<ListParams>,
) -> GwResult<axum::Json<Value>> {
    auth(&sh, &headers)?;
    if let Some(why) = sh.health.borrow().clone()
        && sh.lock().listed.is_empty()
    {
        return Err(GwError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pagerduty_unreachable",
            why,
        ));
    }
    let mut all: Vec<Incident> = {
        let inner = sh.lock();
        inner
            .listed
            .iter()
            .filter_map(|id| inner.versions.current(id))
            .collect()
    };
    all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let start: usize = p
        .cursor
        .as_deref()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    let page: Vec<Incident> = all.iter().skip(start).take(limit).cloned().collect();
    let next = (start + limit < all.len()).then(|| (start + limit).to_string());
    Ok(axum::Json(json!({"items": page, "next_cursor": next})))
}

fn with_etag(inc: &Incident) -> Response {
    let mut r = axum::Json(inc).into_response();
    if let Ok(v) = format!("\"{}\"", inc.version).parse() {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

async fn one(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> GwResult<Response> {
    auth(&sh, &headers)?;
    let pd = sh.pd.incident(&id).await?;
    Ok(with_etag(&sh.record(&pd)))
}

fn if_match(headers: &HeaderMap) -> GwResult<i64> {
    let raw = headers.get(header::IF_MATCH).ok_or_else(|| {
        GwError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "if_match_required",
            "a change needs If-Match with the version it is based on",
        )
        .field("If-Match")
    })?;
    raw.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| GwError::invalid("If-Match", "If-Match must be a quoted version number"))
}

fn json_body(bytes: &Bytes) -> GwResult<Value> {
    serde_json::from_slice(bytes).map_err(|e| {
        GwError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("malformed JSON: {e}"),
        )
    })
}

async fn patch_incident(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> GwResult<Response> {
    auth(&sh, &headers)?;
    writable(&sh)?;
    let version = if_match(&headers)?;
    let body = json_body(&bytes)?;
    let plan = map::plan_body(&body, &sh.priorities())
        .map_err(|r| GwError::invalid(&r.field, r.message))?;
    // PagerDuty has no versions; the gateway checks against what it last saw, so a change
    // someone made in PagerDuty since the console's copy is a conflict, not an overwrite.
    if let Some(cur) = sh.current(&id)
        && cur.version != version
    {
        let mut e = GwError::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            format!(
                "{id} changed in PagerDuty since your copy (version {version}, now {})",
                cur.version
            ),
        );
        e.current = serde_json::to_value(&cur).ok();
        return Err(e);
    }
    let pd = sh
        .pd
        .update_incident(&id, Value::Object(plan.fields))
        .await?;
    if let Some(note) = &plan.note
        && let Err(e) = sh.pd.add_note(&id, note).await
    {
        // The change landed; only the note with its reason did not. Say so in the log.
        tracing::warn!(error = %e, incident = %id, "PagerDuty: the reason note was not added");
    }
    Ok(with_etag(&sh.record(&pd)))
}

async fn updates(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> GwResult<axum::Json<Value>> {
    auth(&sh, &headers)?;
    let notes = sh.pd.notes(&id).await?;
    let mut items: Vec<StatusUpdate> = notes.iter().map(|n| map::note_update(&id, n)).collect();
    items.sort_by_key(|u| u.posted_at);
    Ok(axum::Json(json!({"items": items})))
}

async fn timeline(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> GwResult<axum::Json<Value>> {
    auth(&sh, &headers)?;
    let entries = sh.pd.log_entries(&id).await?;
    Ok(axum::Json(json!({"items": map::timeline(&id, &entries)})))
}

async fn post_update(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> GwResult<Response> {
    auth(&sh, &headers)?;
    writable(&sh)?;
    let body = json_body(&bytes)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // One slot per key: a retry that arrives while the first attempt is still on its way
    // waits for it, then replays its answer.
    let slot = match &key {
        Some(k) => {
            let mut map = sh.idempotency.lock().await;
            Some(map.entry(format!("{id}\n{k}")).or_default().clone())
        }
        None => None,
    };
    let mut guard = match &slot {
        Some(s) => Some(s.lock().await),
        None => None,
    };
    if let Some(Some(stored)) = guard.as_deref() {
        if stored.body != body {
            return Err(GwError::invalid(
                "Idempotency-Key",
                "this Idempotency-Key was used with a different body",
            ));
        }
        let mut r = (stored.status, axum::Json(stored.response.clone())).into_response();
        r.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
        return Ok(r);
    }
    let u = create_update(&sh, &id, &body).await?;
    let response = serde_json::to_value(&u).unwrap_or(Value::Null);
    if let Some(g) = guard.as_deref_mut() {
        *g = Some(Stored {
            body,
            status: StatusCode::CREATED,
            response: response.clone(),
        });
    }
    sh.publish_update(&u);
    Ok((StatusCode::CREATED, axum::Json(response)).into_response())
}

async fn create_update(sh: &Shared, id: &str, body: &Value) -> GwResult<StatusUpdate> {
    // The API's own request type and checks (three statements for a customer update,
    // 1 to 1440 minutes): one definition for the console, the server and this gateway.
    let req: NewStatusUpdate = serde_json::from_value(body.clone()).map_err(|e| {
        GwError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.to_string(),
        )
    })?;
    let customer = req.audience == Audience::Customer;
    req.validate()
        .map_err(|e| GwError::invalid(e.field.as_deref().unwrap_or("body"), e.message))?;
    let now = Utc::now();
    if !customer {
        let note = sh
            .pd
            .add_note(
                id,
                &map::note_content(&req.impact_scope, &req.current_status, &req.next_steps),
            )
            .await?;
        let mut u = map::note_update(id, &note);
        u.current_status = crate::sanitize::clean_text(req.current_status.trim());
        u.impact_scope = crate::sanitize::clean_text(req.impact_scope.trim());
        u.next_steps = crate::sanitize::clean_text(req.next_steps.trim());
        return Ok(u);
    }
    let message = map::status_message(
        &req.impact_scope,
        &req.current_status,
        &req.next_steps,
        req.next_update_in_minutes,
    );
    let su = sh.pd.add_status_update(id, &message).await?;
    let clean = crate::sanitize::clean_text;
    Ok(StatusUpdate {
        id: crate::sanitize::clean_line(&su.id),
        incident_id: crate::sanitize::clean_line(id),
        audience: Audience::Customer,
        impact_scope: clean(req.impact_scope.trim()),
        current_status: clean(req.current_status.trim()),
        next_steps: clean(req.next_steps.trim()),
        author: su
            .sender
            .and_then(|s| s.summary)
            .or_else(|| sh.pd.from().map(str::to_string))
            .map(|s| crate::sanitize::clean_line(&s))
            .unwrap_or_else(|| "PagerDuty".into()),
        posted_at: su.created_at.unwrap_or(now),
        next_update_due_at: req
            .next_update_in_minutes
            .map(|m| now + chrono::Duration::minutes(i64::from(m))),
    })
}

const ACTIONS: &str = "corrective actions";
const EXCEPTIONS: &str = "exceptions (risk acceptance)";
const SIGNALS: &str =
    "monitoring signals in sitrep's form (see the incident's alerts in PagerDuty)";

/// Every method on a path PagerDuty has no place for: after the token check, a 501 that
/// names what is missing, which the console shows in the pane instead of an empty list.
fn unsupported(what: &'static str) -> axum::routing::MethodRouter<Arc<Shared>> {
    let refuse = move |State(sh): State<Arc<Shared>>, headers: HeaderMap| async move {
        auth(&sh, &headers)?;
        GwResult::<Response>::Err(GwError::unsupported(what))
    };
    get(refuse).post(refuse).patch(refuse)
}

async fn unsupported_new_incident(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
) -> GwResult<Response> {
    auth(&sh, &headers)?;
    Err(GwError::new(
        StatusCode::NOT_IMPLEMENTED,
        "unsupported",
        "declaring incidents is not available with --backend pagerduty: PagerDuty needs a service and escalation policy; trigger it in PagerDuty",
    ))
}

/// Live changes in sitrep's event format. The stream ends when a poll fails, and a new one
/// is refused (503) until PagerDuty answers again, so the console says it is reconnecting
/// instead of showing a silently stale board.
async fn events(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> GwResult<Response> {
    auth(&sh, &headers)?;
    if let Some(why) = sh.health.borrow().clone() {
        return Err(GwError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pagerduty_unreachable",
            why,
        ));
    }
    let last: Option<u64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse().ok());
    let mut rx = sh.events.subscribe();
    let (backlog, reset, mut cursor) = {
        let inner = sh.lock();
        match last {
            None => (vec![], false, inner.seq),
            Some(id) => {
                let oldest = inner.log.front().map_or(inner.seq + 1, |e| e.seq);
                if id > inner.seq || id + 1 < oldest {
                    (vec![], true, inner.seq)
                } else {
                    let b: Vec<Ev> = inner.log.iter().filter(|e| e.seq > id).cloned().collect();
                    (b, false, id)
                }
            }
        }
    };
    let mut health = sh.health.subscribe();
    let mut shutdown = sh.shutdown_rx();
    let reset_event = |seq: u64| {
        Event::default()
            .id(seq.to_string())
            .event("reset")
            .data("{\"reason\":\"events were missed; re-list\"}")
    };
    let heartbeat = sh.heartbeat;
    let stream = async_stream::stream! {
        yield Ok::<_, std::convert::Infallible>(Event::default().retry(Duration::from_millis(2000)));
        if reset {
            yield Ok(reset_event(cursor));
        }
        for ev in backlog {
            cursor = ev.seq;
            yield Ok(Event::default().id(ev.seq.to_string()).event(ev.kind.as_str()).data(ev.data));
        }
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Ok(ev) if ev.seq <= cursor => continue,
                    Ok(ev) => {
                        cursor = ev.seq;
                        yield Ok(Event::default().id(ev.seq.to_string()).event(ev.kind.as_str()).data(ev.data.clone()));
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let seq = sh.lock().seq;
                        cursor = seq;
                        yield Ok(reset_event(seq));
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                changed = health.changed() => {
                    if changed.is_err() || health.borrow().is_some() {
                        break;
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
    };
    // Like sitrep's own server: the console sizes its silence limit from this header.
    let advertised = [(
        axum::http::HeaderName::from_static(crate::protocol::HEARTBEAT_HEADER),
        heartbeat.as_secs().max(1).to_string(),
    )];
    Ok((
        advertised,
        Sse::new(stream).keep_alive(KeepAlive::new().interval(heartbeat).text("heartbeat")),
    )
        .into_response())
}
