//! Write latency: how long each write request took to answer, from its headers read to its
//! answer ready, by method, route template and status class. Reads and event streams are
//! not writes and are not timed here.
use super::{Histograms, Metrics};
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct WriteLabels {
    /// One of the methods the API answers, or `other`: the method is the client's text,
    /// and any length of it would otherwise become a new series.
    method: &'static str,
    /// The route's template (`/api/v1/incidents/{id}`), never the path a client sent:
    /// the label set stays as small as the API.
    route: String,
    /// `2xx`, `4xx` or `5xx`: refusals are fast and failures may be slow, so they are
    /// told apart from stored writes.
    status: &'static str,
}

fn latency_buckets() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

#[derive(Clone)]
pub(super) struct WriteLatency(Histograms<WriteLabels>);

impl Default for WriteLatency {
    fn default() -> Self {
        WriteLatency(Histograms::new_with_constructor(latency_buckets))
    }
}

impl WriteLatency {
    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "sitrep_write_duration_seconds",
            "Seconds this replica took to answer a write request, by method, route and status class",
            self.0.clone(),
        );
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        500.. => "5xx",
        400..=499 => "4xx",
        300..=399 => "3xx",
        _ => "2xx",
    }
}

/// Middleware around the API's routes (a route layer, so the route template is known and
/// unknown paths are not timed).
pub async fn time_writes(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    if !is_write(req.method()) {
        return next.run(req).await;
    }
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("", |p| p.as_str())
        .to_string();
    let started = Instant::now();
    let resp = next.run(req).await;
    let labels = WriteLabels {
        method,
        route,
        status: status_class(resp.status().as_u16()),
    };
    metrics
        .inner
        .writes
        .0
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    resp
}
