//! The incident API: axum routes over an incident backend (`backend`), with a live event
//! stream. `sitrep serve` and the embedded console serve the SQL store; `--backend
//! pagerduty` serves PagerDuty through the same router.
pub mod auth;
pub mod backend;
pub mod connections;
pub mod error;
pub mod events;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod per_token;
pub mod routes;
pub mod status_page;
pub mod store;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
pub use backend::IncidentBackend;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
pub use store::Database;
use store::Store;
use tokio::sync::watch;

/// Largest request body accepted (413 above it).
pub const BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub database: Database,
    pub listen: SocketAddr,
    /// How often an idle event stream sends a heartbeat comment.
    pub heartbeat: Duration,
    /// How long the event log keeps events for resumption.
    pub event_retention: chrono::Duration,
    /// Alertmanager `severity` label → SEV level.
    pub alert_severity: crate::domain::SeverityMap,
    /// Timeouts and the connection cap (see `connections`).
    pub limits: connections::Limits,
    /// The public status page, when enabled.
    pub status_page: Option<status_page::StatusPageConfig>,
    /// Where `/metrics` is served besides the API's listener (see `metrics`).
    pub metrics: metrics::MetricsConfig,
    /// Scheduled backups (`--backup-every`); their status is in `backups.status`.
    pub backups: Option<crate::backups::Schedule>,
    /// Outbound webhook deliveries.
    pub webhooks: crate::webhooks::WebhookConfig,
}

impl ServerConfig {
    pub fn sqlite(db_path: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        Self::new(Database::Sqlite(db_path.into()), listen)
    }

    pub fn new(database: Database, listen: SocketAddr) -> Self {
        Self {
            database,
            listen,
            heartbeat: Duration::from_secs(10),
            event_retention: chrono::Duration::days(7),
            alert_severity: Default::default(),
            limits: Default::default(),
            status_page: None,
            metrics: Default::default(),
            backups: None,
            webhooks: Default::default(),
        }
    }

    /// The HTTP side of this configuration.
    pub fn http(&self) -> HttpConfig {
        HttpConfig {
            listen: self.listen,
            heartbeat: self.heartbeat,
            alert_severity: self.alert_severity.clone(),
            limits: self.limits.clone(),
            status_page: self.status_page.clone(),
            metrics: self.metrics.clone(),
            webhooks: None,
        }
    }
}

/// How the API is served, whatever the backend.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// How often an idle event stream sends a heartbeat comment.
    pub heartbeat: Duration,
    /// Alertmanager `severity` label → SEV level.
    pub alert_severity: crate::domain::SeverityMap,
    /// Timeouts and the connection cap (see `connections`).
    pub limits: connections::Limits,
    /// The public status page, when enabled.
    pub status_page: Option<status_page::StatusPageConfig>,
    /// Where `/metrics` is served besides the API's listener (see `metrics`).
    pub metrics: metrics::MetricsConfig,
    /// Outbound webhooks (the SQL store only; None answers 501).
    pub webhooks: Option<Arc<crate::webhooks::Hooks>>,
}

#[derive(Clone)]
pub struct AppState {
    /// Where incidents live: every route reads and writes through it.
    pub backend: Arc<dyn IncidentBackend>,
    pub hub: events::Hub,
    pub openapi: Arc<str>,
    pub heartbeat: Duration,
    pub shutdown: watch::Receiver<bool>,
    pub alert_severity: Arc<crate::domain::SeverityMap>,
    /// Requests in progress per token (see `auth`).
    pub in_flight: auth::InFlight,
    /// What `/metrics` exports; `register` adds a metric of another module.
    pub metrics: metrics::Metrics,
    /// Outbound webhooks, where the backend has them.
    pub webhooks: Option<Arc<crate::webhooks::Hooks>>,
}

/// The API serving one backend in this process.
pub struct Serving {
    pub addr: SocketAddr,
    /// Where the status page listens when it has a listener of its own.
    pub status_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The newest event id published.
    newest: watch::Receiver<i64>,
    pub metrics: metrics::Metrics,
    /// The `--metrics-listen` address and the task serving it.
    metrics_listener: Option<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)>,
}

impl Serving {
    /// Starts the backend's event pump, binds the address and serves in a background task.
    pub async fn start(backend: Arc<dyn IncidentBackend>, cfg: HttpConfig) -> Result<Serving> {
        Self::start_with_metrics(backend, cfg, metrics::Metrics::new(None)).await
    }

    /// [`Serving::start`] exporting these metrics.
    pub async fn start_with_metrics(
        backend: Arc<dyn IncidentBackend>,
        mut cfg: HttpConfig,
        metrics: metrics::Metrics,
    ) -> Result<Serving> {
        let page_limits = status_page::share_connections(&mut cfg);
        let (stop, shutdown) = watch::channel(false);
        let hub = events::Hub::start(
            backend.clone(),
            cfg.limits.streams_per_token,
            shutdown.clone(),
        )
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
        let newest = hub.watch();
        let page = cfg.status_page.as_ref().map(|p| {
            (
                p.listen,
                status_page::router(backend.clone(), newest.clone(), p),
            )
        });
        let mut state = None;
        let app = router(|openapi| {
            let s = AppState {
                backend,
                hub,
                openapi,
                heartbeat: cfg.heartbeat,
                shutdown: shutdown.clone(),
                alert_severity: Arc::new(cfg.alert_severity.clone()),
                in_flight: auth::InFlight::new(cfg.limits.requests_per_token()),
                metrics: metrics.clone(),
                webhooks: cfg.webhooks.clone(),
            };
            state = Some(s.clone());
            s
        });
        let (app, status_addr) = match page {
            None => (app, None),
            Some((None, page)) => (app.merge(page), None),
            Some((Some(at), page)) => {
                let addr = status_page::serve_apart(at, page, page_limits, &shutdown).await?;
                (app, Some(addr))
            }
        };
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("listening on {}", cfg.listen))?;
        let addr = listener.local_addr()?;
        let metrics_listener = match (cfg.metrics.listen, state) {
            (Some(at), Some(state)) => {
                let listener = tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("listening for metrics on {at}"))?;
                let bound = listener.local_addr()?;
                let task = tokio::spawn(connections::serve(
                    listener,
                    metrics::routes::open_router(state),
                    cfg.limits.clone(),
                    shutdown.clone(),
                ));
                Some((bound, task))
            }
            _ => None,
        };
        let task = tokio::spawn(connections::serve(
            listener,
            app,
            cfg.limits.clone(),
            shutdown,
        ));
        Ok(Serving {
            addr,
            status_addr,
            stop,
            task,
            newest,
            metrics,
            metrics_listener,
        })
    }

    /// Fires when the server is told to stop.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// The address serving `/metrics` without a token (`--metrics-listen`), if any.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().map(|(a, _)| *a)
    }

    /// Stops accepting, ends event streams, waits for in-flight requests.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        if let Some((_, task)) = self.metrics_listener {
            let _ = task.await;
        }
    }

    /// Waits until the server stops by itself (it only does on an I/O error).
    pub async fn wait(&mut self) -> Result<()> {
        (&mut self.task)
            .await
            .context("server task failed")?
            .context("server failed")
    }
}

/// A server of the SQL store running in this process (for `sitrep serve`, the embedded
/// console and tests).
pub struct RunningServer {
    pub addr: SocketAddr,
    pub store: Store,
    http: Serving,
    /// A SQLite server's claim on its file, released when the server is dropped.
    lock: Option<Arc<std::sync::Mutex<store::lock::ServerLock>>>,
}

impl RunningServer {
    /// Where the status page listens when it has a listener of its own.
    pub fn status_addr(&self) -> Option<SocketAddr> {
        self.http.status_addr
    }

    /// Stops accepting, ends event streams, waits for in-flight requests, closes the store.
    pub async fn shutdown(self) {
        let newest = *self.http.newest.borrow();
        self.http.shutdown().await;
        if let Some(lock) = &self.lock {
            record_newest(lock, newest);
        }
        self.store.close().await;
    }

    /// Waits until the server stops by itself (it only does on an I/O error).
    pub async fn wait(&mut self) -> Result<()> {
        self.http.wait().await
    }

    /// What `/metrics` exports: `metrics().register(..)` adds a metric of another module.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.http.metrics
    }

    /// The address serving `/metrics` without a token (`--metrics-listen`), if any.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.http.metrics_addr()
    }
}

/// The router with every route, and the OpenAPI document generated from the same routes.
pub fn router(state_parts: impl FnOnce(Arc<str>) -> AppState) -> Router {
    let (api, doc) = openapi::routes().split_for_parts();
    let doc_json: Arc<str> = openapi::render(doc).into();
    let state = state_parts(doc_json);
    api.route_layer(middleware::from_fn_with_state(
        state.metrics.clone(),
        metrics::time_writes,
    ))
    .fallback(|| async { error::ApiError::not_found("no such endpoint; see /api/v1/openapi.json") })
    .layer(DefaultBodyLimit::max(BODY_LIMIT))
    .layer(middleware::from_fn(log_request))
    .layer(middleware::from_fn(acting_scope))
    .with_state(state)
}

/// Each request in its own scope for the token it writes with (`store::acting`).
async fn acting_scope(req: Request, next: Next) -> Response {
    store::acting::scope(next.run(req)).await
}

/// Logs each request's method, path, status and duration. Never headers or bodies: they
/// carry tokens and customer text.
pub(crate) async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    // The path is the client's text: sanitized, so a log line cannot act on the terminal
    // that shows it.
    let path = crate::sanitize::clean_line(req.uri().path());
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(%method, %path, status = status.as_u16(), ms, "request failed");
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        tracing::warn!(%method, %path, status = status.as_u16(), ms, "request refused");
    } else {
        tracing::info!(%method, %path, status = status.as_u16(), ms, "request");
    }
    resp
}

/// Opens the store, binds the address and serves in a background task. A SQLite file is
/// served by one server at a time (see `store::lock`).
pub async fn start(cfg: ServerConfig) -> Result<RunningServer> {
    let mut lock = match &cfg.database {
        Database::Sqlite(path) => Some(store::lock::ServerLock::acquire(path)?),
        Database::Postgres(_) => None,
    };
    let store = Store::open(&cfg.database)
        .await
        .with_context(|| format!("opening the database {}", cfg.database.describe()))?;
    // Before anyone can subscribe: a file put back by hand starts a new epoch here.
    if let Some(lock) = &mut lock {
        match store.continue_or_start_epoch(lock.previous()).await {
            Ok(run) => {
                if let Err(e) = lock.record(run) {
                    tracing::warn!(error = %e, path = %lock.path().display(), "cannot record this run beside the database");
                }
            }
            // A full disk still serves reads; this run is then just not stamped.
            Err(e) => tracing::warn!(error = %e, "cannot stamp this run into the database"),
        }
    } else if let Err(e) = store.begin_run().await {
        tracing::warn!(error = %e, "cannot record this replica's run in the database");
    }
    let mut running = start_with_store(store, cfg).await?;
    if let Some(mut lock) = lock {
        lock.announce(running.addr)
            .with_context(|| format!("writing {}", lock.path().display()))?;
        let lock = Arc::new(std::sync::Mutex::new(lock));
        spawn_recording(
            lock.clone(),
            running.http.newest.clone(),
            running.http.stopping(),
        );
        running.lock = Some(lock);
    }
    Ok(running)
}

/// Keeps the newest event id beside a SQLite file, at most once a second and at shutdown,
/// so the next server can tell the file was put back from an older copy. After kill -9 the
/// record can lag by that second; a client naming its run (`store::runs`) is still told to
/// re-list.
fn spawn_recording(
    lock: Arc<std::sync::Mutex<store::lock::ServerLock>>,
    mut newest: watch::Receiver<i64>,
    mut shutdown: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                changed = newest.changed() => if changed.is_err() { return },
                _ = shutdown.changed() => return,
            }
            let id = *newest.borrow_and_update();
            record_newest(&lock, id);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
        }
    });
}

fn record_newest(lock: &std::sync::Mutex<store::lock::ServerLock>, id: i64) {
    let mut lock = lock.lock().unwrap_or_else(|p| p.into_inner());
    let mut run = lock.current().clone();
    if run.events.is_some_and(|seen| seen >= id) {
        return;
    }
    run.events = Some(id);
    if let Err(e) = lock.record(run) {
        tracing::warn!(error = %e, "cannot record the newest event id beside the database");
    }
}

pub async fn start_with_store(store: Store, cfg: ServerConfig) -> Result<RunningServer> {
    let metrics = metrics::Metrics::new(Some(store.clone()));
    let store = store.with_milestones(metrics.milestone_sink());
    let hooks = crate::webhooks::Hooks::new(store.clone(), cfg.webhooks.clone());
    hooks.export(&metrics);
    if let Some(s) = &cfg.backups {
        s.status.export(&metrics);
    }
    let http = Serving::start_with_metrics(
        Arc::new(store.clone()),
        HttpConfig {
            webhooks: Some(hooks.clone()),
            ..cfg.http()
        },
        metrics,
    )
    .await?;
    hooks.listening_on(
        [Some(http.addr), http.status_addr, http.metrics_addr()]
            .into_iter()
            .flatten()
            .collect(),
    );
    crate::webhooks::worker::spawn(hooks, http.newest.clone(), http.stopping());
    spawn_pruning(store.clone(), cfg.event_retention, http.stopping());
    if let Some(s) = cfg.backups.clone() {
        crate::backups::schedule::spawn(store.clone(), cfg.database.clone(), s, http.stopping());
    }
    Ok(RunningServer {
        addr: http.addr,
        store,
        http,
        lock: None,
    })
}

/// Hourly: forget idempotency keys after 48 hours (the contract promises 24) and events
/// past the retention window.
fn spawn_pruning(store: Store, retention: chrono::Duration, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        loop {
            let now = store::now();
            if let Err(e) = store
                .prune(now - chrono::Duration::hours(48), now - retention)
                .await
            {
                tracing::warn!(error = %e, "pruning failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = shutdown.changed() => return,
            }
        }
    });
}
