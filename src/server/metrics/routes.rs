//! Serving `/metrics`: on the API's listener with a token of any role (a scraper can use a
//! viewer token), and, when `serve --metrics-listen ADDR` is given, without a token on that
//! address alone. The API's listener never serves it without a token.
use super::MetricsConfig;
use crate::server::AppState;
use crate::server::auth::Auth;
use crate::server::error::ErrorBody;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
use std::net::SocketAddr;

/// `sitrep serve` flags for metrics.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MetricsArgs {
    /// Also serve /metrics, without a token, on this address (e.g. 127.0.0.1:9187, or an
    /// address on the monitoring network). The API's own /metrics always needs a token.
    #[arg(long, env = "SITREP_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
}

impl MetricsArgs {
    pub fn config(&self) -> MetricsConfig {
        MetricsConfig {
            listen: self.metrics_listen,
        }
    }
}

/// The server's metrics in the Prometheus text format; any role's token.
#[utoipa::path(get, path = "/metrics", tag = "meta",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every metric in the Prometheus text format (version 0.0.4); see docs/metrics.md", content_type = "text/plain"),
        (status = 401, body = ErrorBody)))]
pub async fn metrics(_auth: Auth, State(st): State<AppState>) -> Response {
    exposition(&st).await
}

async fn exposition(st: &AppState) -> Response {
    let text = st.metrics.render(st.hub.subscribers()).await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// The router of the `--metrics-listen` address: `/metrics` without a token, nothing else.
pub fn open_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(st): State<AppState>| async move { exposition(&st).await }),
        )
        .with_state(state)
}
