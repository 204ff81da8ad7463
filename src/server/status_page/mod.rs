//! The public status page: `/status` (HTML), `/status/feed.atom` and
//! `/status/api/v2/{summary,status,incidents}.json`, served without a token, on the API's
//! listener or a separate one.
//!
//! Only customer-audience updates of customer-impacting incidents are shown (`public`
//! decides what that is; the renderers see nothing else). Answers carry an ETag and
//! `Cache-Control`, and a conditional GET is answered 304, so a front cache can carry the
//! load; behind it, one snapshot is built per change of the event log (or every
//! [`MAX_AGE`] at most), however many readers ask.
mod atom;
mod html;
pub mod public;
mod statuspage;

use super::backend::IncidentBackend;
use super::connections::{Limits, connection_cap, descriptor_limit};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use public::Snapshot;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};

pub const PAGE_PATH: &str = "/status";
pub const STYLE_PATH: &str = "/status/style.css";
pub const FAVICON_PATH: &str = "/status/favicon.svg";
pub const FEED_PATH: &str = "/status/feed.atom";
pub const SUMMARY_PATH: &str = "/status/api/v2/summary.json";
pub const STATUS_PATH: &str = "/status/api/v2/status.json";
pub const INCIDENTS_PATH: &str = "/status/api/v2/incidents.json";

/// A snapshot is rebuilt after this long even when no event arrived (times move on: the
/// 90-day window, an incident resolved by a replica whose events are still on their way).
pub const MAX_AGE: Duration = Duration::from_secs(15);

/// No script at all, styles only from our own stylesheet, nothing may frame the page.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// Short enough that the page reloading every minute always sees a new update.
const CACHE_CONTROL: &str = "public, max-age=10";

const STYLE: &str = include_str!("../../../assets/status-page.css");
const FAVICON: &str = include_str!("../../../assets/status-page-favicon.svg");

/// How the status page is served. The server has no configuration file yet, so
/// `sitrep serve --status-page [--status-listen ADDR] [--status-title T]` stands in for a
/// `[status_page]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPageConfig {
    /// A separate address for the public page; None: the API's own listener.
    pub listen: Option<SocketAddr>,
    /// The page's name (heading, feed title, `page.name` in the JSON).
    pub title: String,
    /// Where the public reaches the server, e.g. `https://status.example.com` (no trailing
    /// slash): makes the feed's and the JSON's links absolute. None: they are relative to
    /// whatever address the reader used.
    pub public_url: Option<String>,
}

impl Default for StatusPageConfig {
    fn default() -> Self {
        Self {
            listen: None,
            title: "Service status".into(),
            public_url: None,
        }
    }
}

/// The `sitrep serve` flags for the status page.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusPageArgs {
    /// Serve the public status page at /status (no token): customer updates of
    /// customer-impacting incidents only, with an Atom feed and Statuspage-shaped JSON.
    #[arg(long, env = "SITREP_STATUS_PAGE")]
    pub status_page: bool,
    /// Serve the status page on this address instead of the API's listener.
    #[arg(long, env = "SITREP_STATUS_LISTEN", requires = "status_page")]
    pub status_listen: Option<SocketAddr>,
    /// The status page's title.
    #[arg(long, env = "SITREP_STATUS_TITLE", default_value = "Service status")]
    pub status_title: String,
    /// The address the public reaches the page at (e.g. https://status.example.com), for
    /// absolute links in the Atom feed and the JSON.
    #[arg(long, env = "SITREP_STATUS_URL", value_parser = public_url)]
    pub status_url: Option<String>,
}

/// An http(s) origin, optionally with a path prefix, kept without its trailing slash.
fn public_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http:// or https:// address".into());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("must have no query, fragment or user name".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

impl StatusPageArgs {
    pub fn config(self) -> Option<StatusPageConfig> {
        self.status_page.then_some(StatusPageConfig {
            listen: self.status_listen,
            title: self.status_title,
            public_url: self.status_url,
        })
    }
}

#[derive(Clone)]
struct PageState {
    backend: Arc<dyn IncidentBackend>,
    newest: watch::Receiver<i64>,
    page: Arc<Page>,
    cache: Arc<Mutex<Option<Cached>>>,
    /// Bodies rendered so far (read by tests: a cached answer renders nothing).
    renders: Arc<AtomicU64>,
}

struct Cached {
    event: i64,
    at: Instant,
    view: Arc<View>,
}

/// One snapshot and each format rendered from it, once, on first request: every later
/// reader of the same snapshot gets the same bytes, and a conditional GET is compared with
/// the stored tag without rendering anything.
struct View {
    snap: Arc<Snapshot>,
    bodies: [OnceLock<Body>; 5],
}

/// A rendered answer: its bytes, type and strong ETag.
struct Body {
    bytes: Bytes,
    content_type: &'static str,
    tag: String,
}

impl Body {
    fn new(content_type: &'static str, body: String) -> Body {
        let tag = format!(
            "\"{}\"",
            hex::encode(&Sha256::digest(body.as_bytes())[..16])
        );
        Body {
            bytes: Bytes::from(body),
            content_type,
            tag,
        }
    }
}

/// The formats rendered from a snapshot (indices into [`View::bodies`]).
#[derive(Clone, Copy)]
enum Format {
    Html,
    Feed,
    Summary,
    Status,
    Incidents,
}

impl View {
    fn new(snap: Arc<Snapshot>) -> View {
        View {
            snap,
            bodies: Default::default(),
        }
    }
}

impl PageState {
    /// The current snapshot: the cached one while no event arrived and it is fresh. The lock
    /// is held while building, so a crowd of readers costs one build.
    async fn snapshot(&self) -> Result<Arc<View>, Response> {
        let event = *self.newest.borrow();
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && c.event == event
            && c.at.elapsed() < MAX_AGE
        {
            return Ok(c.view.clone());
        }
        match public::collect(self.backend.as_ref(), Utc::now()).await {
            Ok(snap) => {
                let view = Arc::new(View::new(Arc::new(snap)));
                *cache = Some(Cached {
                    event,
                    at: Instant::now(),
                    view: view.clone(),
                });
                Ok(view)
            }
            Err(e) => {
                tracing::warn!(error = %e.message, "status page: cannot read incidents");
                // A status page that goes blank in an outage helps nobody: keep showing the
                // last one built.
                match cache.as_ref() {
                    Some(c) => Ok(c.view.clone()),
                    None => Err((
                        StatusCode::SERVICE_UNAVAILABLE,
                        [(header::RETRY_AFTER, "5")],
                        "status temporarily unavailable\n",
                    )
                        .into_response()),
                }
            }
        }
    }
}

/// The status page's routes, with their own state, headers and request log.
pub fn router(
    backend: Arc<dyn IncidentBackend>,
    newest: watch::Receiver<i64>,
    cfg: &StatusPageConfig,
) -> Router {
    let state = PageState {
        backend,
        newest,
        page: Arc::new(Page {
            id: page_id(&cfg.title),
            title: cfg.title.clone(),
            base: cfg.public_url.clone().unwrap_or_default(),
        }),
        cache: Arc::new(Mutex::new(None)),
        renders: Arc::new(AtomicU64::new(0)),
    };
    let mut r = Router::new()
        .route(PAGE_PATH, get(page))
        .route("/status/", get(page))
        .route(STYLE_PATH, get(style))
        .route(FAVICON_PATH, get(favicon))
        .route(FEED_PATH, get(feed))
        .route(SUMMARY_PATH, get(summary))
        .route(STATUS_PATH, get(status))
        .route(INCIDENTS_PATH, get(incidents));
    if cfg.listen.is_some() {
        r = r.route("/", get(|| async { Redirect::to(PAGE_PATH) }));
    }
    r.layer(middleware::from_fn(headers))
        .layer(middleware::from_fn(super::log_request))
        .with_state(state)
}

/// With a listener of its own, the page gets a quarter of the server's connection budget
/// and the API keeps the rest: the two together stay within the descriptor limit, and a
/// crowd on the public page cannot take the connections commanders need. Returns the
/// page's limits (the API's own in `cfg` are lowered to match).
pub fn share_connections(cfg: &mut super::HttpConfig) -> Limits {
    let separate = cfg.status_page.as_ref().is_some_and(|p| p.listen.is_some());
    let mut page = cfg.limits.clone();
    if separate {
        let cap = connection_cap(cfg.limits.max_connections, descriptor_limit());
        page.max_connections = Some(cap / 4);
        cfg.limits.max_connections = Some(cap - cap / 4);
    }
    page
}

/// Binds the page's own listener and serves it until `shutdown`.
pub async fn serve_apart(
    at: SocketAddr,
    page: Router,
    limits: Limits,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<SocketAddr> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(at)
        .await
        .with_context(|| format!("listening on {at} for the status page"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "status page on http://{addr}{PAGE_PATH}");
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        if let Err(e) = super::connections::serve(listener, page, limits, shutdown).await {
            tracing::error!(error = %e, "the status page's listener failed");
        }
    });
    Ok(addr)
}

/// The page's identity, as the feed and the JSON name and link it.
pub(crate) struct Page {
    pub title: String,
    /// Stable across restarts (a hash of the title).
    pub id: String,
    /// The public origin (see [`StatusPageConfig::public_url`]), or empty.
    pub base: String,
}

impl Page {
    /// A link to one of the page's paths, absolute when the public address is known.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A stable id for the page in the feed and the JSON.
fn page_id(title: &str) -> String {
    hex::encode(&Sha256::digest(format!("sitrep-status-page\0{title}"))[..8])
}

impl PageState {
    /// The current snapshot's answer in `format`: rendered on the first request for this
    /// snapshot, the stored bytes afterwards; 304 when the client already has them.
    async fn answer(&self, req: &HeaderMap, format: Format) -> Response {
        let view = match self.snapshot().await {
            Ok(v) => v,
            Err(r) => return r,
        };
        let body = view.bodies[format as usize].get_or_init(|| {
            self.renders.fetch_add(1, Ordering::Relaxed);
            self.render(&view.snap, format)
        });
        let mut resp = respond(req, body);
        if matches!(format, Format::Summary | Format::Status | Format::Incidents) {
            // Status widgets on other sites read these from the browser.
            resp.headers_mut().insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        resp
    }

    fn render(&self, snap: &Snapshot, format: Format) -> Body {
        const JSON: &str = "application/json";
        match format {
            Format::Html => Body::new(
                "text/html; charset=utf-8",
                html::render(&self.page.title, snap),
            ),
            Format::Feed => Body::new(
                "application/atom+xml; charset=utf-8",
                atom::render(&self.page, snap),
            ),
            Format::Summary => Body::new(JSON, statuspage::summary(&self.page, snap).to_string()),
            Format::Status => {
                Body::new(JSON, statuspage::status_only(&self.page, snap).to_string())
            }
            Format::Incidents => {
                Body::new(JSON, statuspage::incidents(&self.page, snap).to_string())
            }
        }
    }
}

async fn page(State(s): State<PageState>, req: HeaderMap) -> Response {
    s.answer(&req, Format::Html).await
}

async fn feed(State(s): State<PageState>, req: HeaderMap) -> Response {
    s.answer(&req, Format::Feed).await
}

async fn summary(State(s): State<PageState>, req: HeaderMap) -> Response {
    s.answer(&req, Format::Summary).await
}

async fn status(State(s): State<PageState>, req: HeaderMap) -> Response {
    s.answer(&req, Format::Status).await
}

async fn incidents(State(s): State<PageState>, req: HeaderMap) -> Response {
    s.answer(&req, Format::Incidents).await
}

async fn style(req: HeaderMap) -> Response {
    cached(&req, "text/css; charset=utf-8", STYLE.to_string())
}

async fn favicon(req: HeaderMap) -> Response {
    cached(&req, "image/svg+xml", FAVICON.to_string())
}

/// The body with a strong ETag of its bytes, or 304 when the client already has them.
fn cached(req: &HeaderMap, content_type: &'static str, body: String) -> Response {
    respond(req, &Body::new(content_type, body))
}

/// A rendered body, or 304 when the client already has it; the bytes are shared, not copied.
fn respond(req: &HeaderMap, body: &Body) -> Response {
    let tag = &body.tag;
    let mut resp = if matches(req, tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, body.content_type)],
            body.bytes.clone(),
        )
            .into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// `If-None-Match` per RFC 9110: `*`, or a list of tags compared weakly.
fn matches(req: &HeaderMap, tag: &str) -> bool {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

/// Headers on every answer: the CSP, no MIME sniffing, no referrer leaking to linked sites.
async fn headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_is_an_http_origin_without_a_trailing_slash() {
        assert_eq!(
            public_url("https://status.example.com/").unwrap(),
            "https://status.example.com"
        );
        assert_eq!(
            public_url("http://h:8080/acme").unwrap(),
            "http://h:8080/acme"
        );
        for bad in [
            "status.example.com",
            "ftp://h",
            "https://h/?q=1",
            "https://u@h",
            "javascript:alert(1)",
        ] {
            assert!(public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_separate_listener_takes_a_quarter_of_the_connection_budget() {
        let mut cfg = crate::server::ServerConfig::sqlite("x.db", "127.0.0.1:0".parse().unwrap());
        cfg.limits.max_connections = Some(400);
        cfg.status_page = Some(StatusPageConfig::default());
        let mut http = cfg.http();
        assert_eq!(share_connections(&mut http).max_connections, Some(400));
        assert_eq!(http.limits.max_connections, Some(400));
        cfg.status_page = Some(StatusPageConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..Default::default()
        });
        let mut http = cfg.http();
        assert_eq!(share_connections(&mut http).max_connections, Some(100));
        assert_eq!(http.limits.max_connections, Some(300));
    }

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_star() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(matches(&h, "\"b\""));
        assert!(matches(&h, "\"a\""));
        assert!(!matches(&h, "\"c\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches(&h, "\"c\""));
        assert!(!matches(&HeaderMap::new(), "\"c\""));
    }

    /// A page on an empty SQLite database, with its render counter.
    async fn state(dir: &std::path::Path) -> PageState {
        let store = crate::server::store::Store::open_sqlite(&dir.join("t.db"))
            .await
            .unwrap();
        let (_tx, newest) = watch::channel(0);
        PageState {
            backend: Arc::new(store),
            newest,
            page: Arc::new(Page {
                id: page_id("t"),
                title: "t".into(),
                base: String::new(),
            }),
            cache: Arc::new(Mutex::new(None)),
            renders: Arc::new(AtomicU64::new(0)),
        }
    }

    async fn body(resp: Response) -> Bytes {
        axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn each_format_is_rendered_once_per_snapshot_and_a_304_renders_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = state(dir.path()).await;
        let first = s.answer(&HeaderMap::new(), Format::Html).await;
        let tag = first.headers()[header::ETAG].clone();
        let first = body(first).await;
        assert_eq!(s.renders.load(Ordering::Relaxed), 1);
        let second = body(s.answer(&HeaderMap::new(), Format::Html).await).await;
        assert_eq!(second, first);
        assert_eq!(s.renders.load(Ordering::Relaxed), 1, "the cached bytes");
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, tag);
        let again = s.answer(&h, Format::Html).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(
            s.renders.load(Ordering::Relaxed),
            1,
            "a 304 renders nothing"
        );
        // Another format of the same snapshot is its own render, once.
        for _ in 0..3 {
            s.answer(&HeaderMap::new(), Format::Summary).await;
        }
        assert_eq!(s.renders.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn not_modified_keeps_the_tag_and_drops_the_body() {
        let first = cached(&HeaderMap::new(), "text/plain", "x".into());
        let tag = first.headers()[header::ETAG].clone();
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, tag.clone());
        let again = cached(&h, "text/plain", "x".into());
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], tag);
        assert_eq!(
            cached(&h, "text/plain", "y".into()).status(),
            StatusCode::OK
        );
    }
}
