//! A local fake of PagerDuty's REST API v2, shaped after PagerDuty's published OpenAPI
//! document (/work/shared/specs/pagerduty-rest-v2-openapi.json): the routes, query
//! parameters (`limit`, `offset`, `statuses[]`, `since`, `date_range`), headers
//! (`Authorization: Token token=…`, `Accept: application/vnd.pagerduty+json;version=2`,
//! `From` on writes) and JSON bodies (`Pagination` + `incidents`, `{"incident":…}`,
//! `{"note":…}`, `{"status_update":…}`, `log_entries`, `priorities`, and the generic
//! `{"error":{"code","message","errors"}}`). It records every request and can be told to
//! answer 429 with `Retry-After`.
#![allow(dead_code)]
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "pd-fake-token-s3cr3t-9f2c";
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";
pub const ANA: (&str, &str, &str) = ("PANA001", "Ana Lima", "ana@example.com");
pub const BO: (&str, &str, &str) = ("PBOC002", "Bo Chen", "bo@example.com");

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HashMap<String, String>,
    pub body: Option<Value>,
    pub at: std::time::Instant,
}

impl Recorded {
    pub fn q(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[derive(Default)]
pub struct FakeState {
    pub incidents: Vec<Value>,
    /// Extra triggered incidents made up on the fly when listed (cheap large accounts).
    pub bulk: usize,
    pub priorities: Vec<Value>,
    pub notes: HashMap<String, Vec<Value>>,
    pub status_updates: HashMap<String, Vec<Value>>,
    pub log_entries: HashMap<String, Vec<Value>>,
    pub requests: Vec<Recorded>,
    /// Answer the next requests with 429 and these Retry-After seconds.
    pub throttle: VecDeque<u64>,
    /// Answer everything with 500 (PagerDuty having a bad day).
    pub down: bool,
    /// Answer everything with this status and message (a permanent refusal such as 406).
    pub refuse: Option<(u16, String)>,
    /// Lists ignore `offset` and always say `more: true` (a broken or mocked server).
    pub endless: bool,
    next_id: u64,
}

#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<FakeState>>,
}

fn user_ref((id, name, _): (&str, &str, &str)) -> Value {
    json!({"id": id, "type": "user_reference", "summary": name,
           "self": format!("https://api.pagerduty.com/users/{id}"),
           "html_url": format!("https://example.pagerduty.com/users/{id}")})
}

pub fn priorities() -> Vec<Value> {
    ["PSLWBL8", "P53ZZH5", "PGE9YCZ", "PVJPWYW", "P81SUUT"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({"id": id, "type": "priority", "summary": format!("P{}", i + 1),
                   "self": format!("https://api.pagerduty.com/priorities/{id}"),
                   "name": format!("P{}", i + 1), "description": "priority"})
        })
        .collect()
}

/// An incident as PagerDuty's `Incident` schema has it.
pub fn incident(
    id: &str,
    number: u64,
    title: &str,
    status: &str,
    urgency: &str,
    created: DateTime<Utc>,
) -> Value {
    json!({
        "id": id, "type": "incident", "summary": format!("[#{number}] {title}"),
        "self": format!("https://api.pagerduty.com/incidents/{id}"),
        "html_url": format!("https://example.pagerduty.com/incidents/{id}"),
        "incident_number": number, "title": title,
        "created_at": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "updated_at": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "status": status, "incident_key": format!("key-{id}"),
        "service": {"id": "PIJ90N7", "type": "service_reference", "summary": "Checkout API",
                    "self": "https://api.pagerduty.com/services/PIJ90N7"},
        "assignments": if status == "resolved" { json!([]) } else {
            json!([{"at": created.to_rfc3339(), "assignee": user_ref(BO)}]) },
        "assigned_via": "escalation_policy",
        "last_status_change_at": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "resolved_at": null,
        "acknowledgements": if status == "acknowledged" { json!([{"at": created.to_rfc3339(), "acknowledger": user_ref(BO)}]) } else { json!([]) },
        "urgency": urgency,
        "priority": null,
        "escalation_policy": {"id": "PT20YPA", "type": "escalation_policy_reference", "summary": "Another Escalation Policy"},
        "teams": [],
    })
}

fn err(status: StatusCode, code: u64, message: &str, errors: &[&str]) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message, "errors": errors}})),
    )
        .into_response()
}

fn decode(s: &str) -> String {
    let b = s.replace('+', " ");
    let bytes = b.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

impl Fake {
    pub async fn start() -> Fake {
        let state = Arc::new(Mutex::new(FakeState {
            priorities: priorities(),
            next_id: 1,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/incidents", get(list_incidents))
            .route("/incidents/{id}", get(get_incident).put(put_incident))
            .route("/incidents/{id}/notes", get(list_notes).post(post_note))
            .route("/incidents/{id}/status_updates", post(post_status_update))
            .route("/incidents/{id}/log_entries", get(log_entries))
            .route("/priorities", get(list_priorities))
            .fallback(|| async { err(StatusCode::NOT_FOUND, 2100, "Not Found", &[]) })
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fake { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn add(&self, inc: Value) {
        let mut st = self.state.lock().unwrap();
        let id = inc["id"].as_str().unwrap().to_string();
        st.log_entries.entry(id.clone()).or_default().push(json!({
            "id": format!("LT{id}"), "type": "trigger_log_entry", "summary": "Triggered through the API",
            "created_at": inc["created_at"], "agent": {"id": "PIJ90N7", "type": "service_reference", "summary": "Checkout API"},
            "channel": {"type": "api"}, "incident": {"id": id, "type": "incident_reference"}
        }));
        st.incidents.push(inc);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn writes(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }

    pub fn incident(&self, id: &str) -> Value {
        let st = self.state.lock().unwrap();
        st.incidents
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    }

    /// Changes an incident as someone working in PagerDuty's own UI would.
    pub fn set(&self, id: &str, f: impl FnOnce(&mut Value)) {
        let mut st = self.state.lock().unwrap();
        let inc = st.incidents.iter_mut().find(|i| i["id"] == id).unwrap();
        f(inc);
        inc["updated_at"] = json!(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
}

type St = Arc<Mutex<FakeState>>;

/// Records the request, then answers as PagerDuty does when it is throttled, down, or the
/// headers are wrong (`Err(response)`); on a write, the user named by `From`.
#[allow(clippy::result_large_err)]
fn gate(
    st: &St,
    method: Method,
    path: &str,
    raw: Option<&str>,
    h: &HeaderMap,
    body: Option<&Bytes>,
) -> Result<Option<(&'static str, &'static str, &'static str)>, Response> {
    let mut s = st.lock().unwrap();
    let body_json = body.and_then(|b| serde_json::from_slice::<Value>(b).ok());
    s.requests.push(Recorded {
        method: method.to_string(),
        path: path.to_string(),
        query: parse_query(raw),
        headers: h
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body_json,
        at: std::time::Instant::now(),
    });
    if let Some(secs) = s.throttle.pop_front() {
        let mut r = err(
            StatusCode::TOO_MANY_REQUESTS,
            2020,
            "Rate Limit Exceeded",
            &[],
        );
        r.headers_mut()
            .insert("retry-after", secs.to_string().parse().unwrap());
        r.headers_mut()
            .insert("ratelimit-limit", "960".parse().unwrap());
        r.headers_mut()
            .insert("ratelimit-remaining", "0".parse().unwrap());
        r.headers_mut()
            .insert("ratelimit-reset", secs.to_string().parse().unwrap());
        return Err(r);
    }
    if let Some((status, message)) = &s.refuse {
        return Err(err(
            StatusCode::from_u16(*status).unwrap(),
            2001,
            message,
            &[],
        ));
    }
    if s.down {
        return Err(err(
            StatusCode::INTERNAL_SERVER_ERROR,
            2000,
            "Internal Server Error",
            &[],
        ));
    }
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Token token={TOKEN}") {
        return Err(err(
            StatusCode::UNAUTHORIZED,
            2006,
            "Authentication failed",
            &[],
        ));
    }
    let accept = h.get("accept").and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept != ACCEPT {
        return Err(err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["Accept header must be application/vnd.pagerduty+json;version=2"],
        ));
    }
    if method == Method::GET {
        return Ok(None);
    }
    if h.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return Err(err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["Content-Type must be application/json"],
        ));
    }
    let from = h.get("from").and_then(|v| v.to_str().ok()).unwrap_or("");
    match [ANA, BO].into_iter().find(|u| u.2 == from) {
        Some(u) => Ok(Some(u)),
        None => Err(err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["Requester User Not Found"],
        )),
    }
}

fn page(q: &[(String, String)]) -> (usize, usize) {
    let get = |n: &str| {
        q.iter()
            .find(|(k, _)| k == n)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    (get("offset").unwrap_or(0), get("limit").unwrap_or(25))
}

async fn list_incidents(State(st): State<St>, RawQuery(raw): RawQuery, h: HeaderMap) -> Response {
    if let Err(r) = gate(&st, Method::GET, "/incidents", raw.as_deref(), &h, None) {
        return r;
    }
    let q = parse_query(raw.as_deref());
    let (mut offset, limit) = page(&q);
    let endless = st.lock().unwrap().endless;
    if endless {
        offset = 0;
    }
    if limit > 100 {
        return err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["Limit must be at most 100"],
        );
    }
    if offset + limit > 10_000 {
        return err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["Offset must be less than 10000"],
        );
    }
    let statuses: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "statuses[]")
        .map(|(_, v)| v.clone())
        .collect();
    let all_dates = q.iter().any(|(k, v)| k == "date_range" && v == "all");
    let since = q
        .iter()
        .find(|(k, _)| k == "since")
        .and_then(|(_, v)| DateTime::parse_from_rfc3339(v).ok())
        .map(|d| d.with_timezone(&Utc))
        .filter(|_| !all_dates)
        .unwrap_or_else(|| {
            if all_dates {
                DateTime::<Utc>::MIN_UTC
            } else {
                Utc::now() - Duration::days(30)
            }
        });
    let s = st.lock().unwrap();
    let wanted = |status: &str| statuses.is_empty() || statuses.iter().any(|x| x == status);
    let explicit: Vec<&Value> = s
        .incidents
        .iter()
        .filter(|i| wanted(i["status"].as_str().unwrap_or("")))
        .filter(|i| {
            DateTime::parse_from_rfc3339(i["created_at"].as_str().unwrap())
                .map(|d| d.with_timezone(&Utc) >= since)
                .unwrap_or(false)
        })
        .collect();
    let bulk = if wanted("triggered") { s.bulk } else { 0 };
    let total = explicit.len() + bulk;
    let mut items: Vec<Value> = explicit
        .iter()
        .skip(offset)
        .take(limit)
        .map(|v| (*v).clone())
        .collect();
    let mut k = offset.saturating_sub(explicit.len());
    let t0 = Utc::now() - Duration::hours(1);
    while items.len() < limit && k < bulk {
        items.push(incident(
            &format!("PB{k:06}"),
            100_000 + k as u64,
            &format!("Bulk alert {k}"),
            "triggered",
            "low",
            t0,
        ));
        k += 1;
    }
    let total_wanted = q.iter().any(|(k, v)| k == "total" && v == "true");
    axum::Json(json!({
        "incidents": items, "limit": limit, "offset": offset,
        "more": endless || offset + limit < total,
        "total": if total_wanted { json!(total) } else { Value::Null },
    }))
    .into_response()
}

async fn get_incident(
    State(st): State<St>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    h: HeaderMap,
) -> Response {
    if let Err(r) = gate(
        &st,
        Method::GET,
        &format!("/incidents/{id}"),
        raw.as_deref(),
        &h,
        None,
    ) {
        return r;
    }
    let s = st.lock().unwrap();
    match s.incidents.iter().find(|i| i["id"] == id.as_str()) {
        Some(i) => axum::Json(json!({"incident": i})).into_response(),
        None => err(StatusCode::NOT_FOUND, 2100, "Not Found", &[]),
    }
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn put_incident(
    State(st): State<St>,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match gate(
        &st,
        Method::PUT,
        &format!("/incidents/{id}"),
        None,
        &h,
        Some(&body),
    ) {
        Ok(u) => u.unwrap(),
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["Malformed JSON"],
        );
    };
    let Some(patch) = req.get("incident").filter(|p| p.is_object()) else {
        return err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["incident is required"],
        );
    };
    if !matches!(
        patch["type"].as_str(),
        Some("incident" | "incident_reference")
    ) {
        return err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["incident.type must be incident or incident_reference"],
        );
    }
    let mut s = st.lock().unwrap();
    let prios = s.priorities.clone();
    let Some(inc) = s.incidents.iter_mut().find(|i| i["id"] == id.as_str()) else {
        return err(StatusCode::NOT_FOUND, 2100, "Not Found", &[]);
    };
    let mut entries = vec![];
    if let Some(status) = patch.get("status").and_then(Value::as_str) {
        match status {
            "acknowledged" => {
                inc["status"] = json!("acknowledged");
                inc["acknowledgements"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"at": now(), "acknowledger": user_ref(user)}));
                entries.push((
                    "acknowledge_log_entry",
                    format!("Acknowledged by {}", user.1),
                ));
            }
            "resolved" => {
                inc["status"] = json!("resolved");
                inc["acknowledgements"] = json!([]);
                inc["assignments"] = json!([]);
                inc["resolved_at"] = json!(now());
                entries.push(("resolve_log_entry", format!("Resolved by {}", user.1)));
            }
            "triggered" if inc["status"] == "resolved" => inc["status"] = json!("triggered"),
            _ => {
                return err(
                    StatusCode::BAD_REQUEST,
                    2001,
                    "Invalid Input Provided",
                    &["Incident status cannot be changed this way"],
                );
            }
        }
        inc["last_status_change_at"] = json!(now());
    }
    if let Some(p) = patch.get("priority") {
        let id = p.get("id").and_then(Value::as_str).unwrap_or("");
        match prios.iter().find(|x| x["id"] == id) {
            Some(found) => inc["priority"] = found.clone(),
            None => {
                return err(
                    StatusCode::BAD_REQUEST,
                    2001,
                    "Invalid Input Provided",
                    &["Priority not found"],
                );
            }
        }
    }
    if let Some(t) = patch.get("title").and_then(Value::as_str) {
        inc["title"] = json!(t);
    }
    inc["updated_at"] = json!(now());
    let out = inc.clone();
    for (kind, summary) in entries {
        s.log_entries.entry(id.clone()).or_default().push(json!({
            "id": format!("L{}", rand_id()), "type": kind, "summary": summary, "created_at": now(),
            "agent": user_ref(user), "channel": {"type": "api"}
        }));
    }
    axum::Json(json!({"incident": out})).into_response()
}

fn rand_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!("{:06}", N.fetch_add(1, Ordering::Relaxed))
}

async fn list_notes(State(st): State<St>, Path(id): Path<String>, h: HeaderMap) -> Response {
    if let Err(r) = gate(
        &st,
        Method::GET,
        &format!("/incidents/{id}/notes"),
        None,
        &h,
        None,
    ) {
        return r;
    }
    let s = st.lock().unwrap();
    if !s.incidents.iter().any(|i| i["id"] == id.as_str()) {
        return err(StatusCode::NOT_FOUND, 2100, "Not Found", &[]);
    }
    axum::Json(json!({"notes": s.notes.get(&id).cloned().unwrap_or_default()})).into_response()
}

async fn post_note(
    State(st): State<St>,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match gate(
        &st,
        Method::POST,
        &format!("/incidents/{id}/notes"),
        None,
        &h,
        Some(&body),
    ) {
        Ok(u) => u.unwrap(),
        Err(r) => return r,
    };
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(content) = req.pointer("/note/content").and_then(Value::as_str) else {
        return err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["note.content is required"],
        );
    };
    let mut s = st.lock().unwrap();
    if !s.incidents.iter().any(|i| i["id"] == id.as_str()) {
        return err(StatusCode::NOT_FOUND, 2100, "Not Found", &[]);
    }
    let note = json!({"id": format!("PN{}", rand_id()), "user": user_ref(user),
        "channel": {"summary": "The PagerDuty website or APIs"}, "content": content,
        "created_at": now(), "updated_at": now()});
    s.notes.entry(id).or_default().push(note.clone());
    axum::Json(json!({"note": note})).into_response()
}

async fn post_status_update(
    State(st): State<St>,
    Path(id): Path<String>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match gate(
        &st,
        Method::POST,
        &format!("/incidents/{id}/status_updates"),
        None,
        &h,
        Some(&body),
    ) {
        Ok(u) => u.unwrap(),
        Err(r) => return r,
    };
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(message) = req.get("message").and_then(Value::as_str) else {
        return err(
            StatusCode::BAD_REQUEST,
            2001,
            "Invalid Input Provided",
            &["message is required"],
        );
    };
    let mut s = st.lock().unwrap();
    if !s.incidents.iter().any(|i| i["id"] == id.as_str()) {
        return err(StatusCode::NOT_FOUND, 2100, "Not Found", &[]);
    }
    let su = json!({"id": format!("PS{}", rand_id()), "message": message, "sender": user_ref(user), "created_at": now()});
    s.status_updates.entry(id).or_default().push(su.clone());
    axum::Json(json!({"status_update": su})).into_response()
}

async fn log_entries(
    State(st): State<St>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    h: HeaderMap,
) -> Response {
    if let Err(r) = gate(
        &st,
        Method::GET,
        &format!("/incidents/{id}/log_entries"),
        raw.as_deref(),
        &h,
        None,
    ) {
        return r;
    }
    let (offset, limit) = page(&parse_query(raw.as_deref()));
    let s = st.lock().unwrap();
    if !s.incidents.iter().any(|i| i["id"] == id.as_str()) {
        return err(StatusCode::NOT_FOUND, 2100, "Not Found", &[]);
    }
    // PagerDuty lists log entries newest first.
    let mut all = s.log_entries.get(&id).cloned().unwrap_or_default();
    all.reverse();
    let items: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
    axum::Json(json!({"log_entries": items, "limit": limit, "offset": offset, "more": offset + limit < all.len(), "total": null})).into_response()
}

async fn list_priorities(State(st): State<St>, RawQuery(raw): RawQuery, h: HeaderMap) -> Response {
    if let Err(r) = gate(&st, Method::GET, "/priorities", raw.as_deref(), &h, None) {
        return r;
    }
    let (offset, limit) = page(&parse_query(raw.as_deref()));
    let s = st.lock().unwrap();
    let items: Vec<Value> = s
        .priorities
        .iter()
        .skip(offset)
        .take(limit)
        .cloned()
        .collect();
    axum::Json(json!({"priorities": items, "limit": limit, "offset": offset, "more": offset + limit < s.priorities.len(), "total": null})).into_response()
}
