//! `/metrics` in the Prometheus text format, for the team's own monitoring: what the
//! policy asks to watch (open incidents, overdue customer updates, overdue corrective
//! actions, exceptions past their remediation date), how fast incidents are handled (time
//! to acknowledge, to the first customer update, to recovery) and how the server itself
//! does (event-stream subscribers, write latency). Every metric is listed in
//! docs/metrics.md.
//!
//! Two kinds of figure, and what each replica exports:
//! - Store gauges are read from the database at scrape time (`store::StoreGauges`): every
//!   replica on one PostgreSQL reports the same numbers, so aggregate them with `max`,
//!   never `sum`. They survive restarts because they are never kept in the process.
//! - Histograms and the subscriber gauge are this process's: a replica observes the
//!   milestones its own writes reach, once each, when the write commits, and the latency of
//!   the writes it served. Summing them over replicas (`sum by (le, severity)`) counts each
//!   incident once; a restart starts them from zero, which `rate`/`increase` handle as a
//!   counter reset.
//!
//! Another module adds a metric of its own through the same registry (one line):
//! `state.metrics.register("sitrep_x", "What x counts", counter.clone())`.
pub mod routes;
mod writes;

pub use routes::MetricsArgs;
pub use writes::time_writes;

use super::store::{MilestoneSink, Store, StoreGauges};
use crate::domain::milestone::{Milestone, Reached};
use crate::domain::{Phase, Severity};
use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Where metrics are served besides the token-guarded `/metrics` of the API's listener.
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// A second address serving `/metrics` (only) without a token, for a scraper on a
    /// network the API's clients do not share.
    pub listen: Option<SocketAddr>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabels {
    severity: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpenLabels {
    severity: &'static str,
    phase: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// A metric of any kind, so that metrics of several kinds can be listed in one table.
#[derive(Debug)]
struct AnyMetric(Box<dyn Metric>);

impl AnyMetric {
    fn of(metric: impl Metric) -> Self {
        AnyMetric(Box::new(metric))
    }
}

impl EncodeMetric for AnyMetric {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }

    // A family without series is left out of the text entirely, as unwrapped.
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Seconds from a minute to a week: incidents are handled in minutes to hours, and a
/// forgotten one shows up in the last buckets.
fn incident_buckets() -> Histogram {
    Histogram::new([
        30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
        259200.0, 604800.0,
    ])
}

/// The server's metrics and the registry they are encoded from. Cheap to clone: clones
/// share everything.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Mutex<Registry>,
    /// The store the gauges are read from (None: a backend without one, e.g. PagerDuty).
    store: Option<Store>,
    /// Held while gauges are refreshed and encoded; remembers when the last refresh
    /// started, so scrapes that arrive together share one round of queries.
    scrape: tokio::sync::Mutex<Option<Instant>>,
    acknowledged: Histograms<SeverityLabels>,
    first_update: Histograms<SeverityLabels>,
    recovered: Histograms<SeverityLabels>,
    writes: writes::WriteLatency,
    open: Family<OpenLabels, Gauge>,
    updates_overdue: Family<SeverityLabels, Gauge>,
    actions_overdue: Gauge,
    exceptions_past: Gauge,
    store_up: Gauge,
    subscribers: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics of a server; `store` is where the store gauges are read from.
    pub fn new(store: Option<Store>) -> Metrics {
        let mut registry = Registry::default();
        let histograms = || Histograms::<SeverityLabels>::new_with_constructor(incident_buckets);
        let inner = Inner {
            registry: Mutex::new(Registry::default()),
            store,
            scrape: tokio::sync::Mutex::new(None),
            acknowledged: histograms(),
            first_update: histograms(),
            recovered: histograms(),
            writes: writes::WriteLatency::default(),
            open: Family::default(),
            updates_overdue: Family::default(),
            actions_overdue: Gauge::default(),
            exceptions_past: Gauge::default(),
            store_up: Gauge::default(),
            subscribers: Gauge::default(),
        };
        // Only a store has them: a backend without one (PagerDuty) exports none rather
        // than zeros that look like a quiet board.
        let store_gauges = [
            (
                "sitrep_open_incidents",
                "Incidents not closed, by severity and phase (read from the database at scrape time)",
                AnyMetric::of(inner.open.clone()),
            ),
            (
                "sitrep_customer_updates_overdue",
                "Customer-impacting incidents in an active phase whose next customer update is past due, by severity",
                AnyMetric::of(inner.updates_overdue.clone()),
            ),
            (
                "sitrep_corrective_actions_overdue",
                "Corrective actions open or in progress after their due date",
                AnyMetric::of(inner.actions_overdue.clone()),
            ),
            (
                "sitrep_exceptions_past_remediation",
                "Exceptions past their remediation date while their incident still has open corrective actions",
                AnyMetric::of(inner.exceptions_past.clone()),
            ),
            (
                "sitrep_store_up",
                "1 when this scrape read the store gauges from the database, 0 when it could not (they are then left out)",
                AnyMetric::of(inner.store_up.clone()),
            ),
        ];
        let this_process = [
            (
                "sitrep_time_to_acknowledge_seconds",
                "Seconds from declaration to the first move out of Detection, by severity (observed by the replica that made the move)",
                AnyMetric::of(inner.acknowledged.clone()),
            ),
            (
                "sitrep_time_to_first_customer_update_seconds",
                "Seconds from declaration to the first customer update, by severity (observed by the replica that posted it)",
                AnyMetric::of(inner.first_update.clone()),
            ),
            (
                "sitrep_time_to_recovery_seconds",
                "Seconds from declaration to the first move past Containment and recovery, by severity (observed by the replica that made the move)",
                AnyMetric::of(inner.recovered.clone()),
            ),
            (
                "sitrep_event_stream_subscribers",
                "Event streams open on this replica",
                AnyMetric::of(inner.subscribers.clone()),
            ),
        ];
        let store_gauges = store_gauges.into_iter().filter(|_| inner.store.is_some());
        for (name, help, metric) in store_gauges.chain(this_process) {
            registry.register(name, help, metric);
        }
        inner.writes.register(&mut registry);
        *inner.registry.lock().unwrap_or_else(|p| p.into_inner()) = registry;
        Metrics {
            inner: Arc::new(inner),
        }
    }

    /// Adds a metric of another module to what `/metrics` exports. Metrics are shared
    /// handles: keep a clone and update it; the registry encodes its current value.
    /// A counter's name is given without `_total` (the encoding appends it).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry().register(name, help, metric);
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Where the store reports the milestones its writes reach.
    pub fn milestone_sink(&self) -> MilestoneSink {
        let m = self.clone();
        Arc::new(move |r: Reached| m.observe(r))
    }

    /// Records a milestone an incident reached.
    pub fn observe(&self, r: Reached) {
        let family = match r.milestone {
            Milestone::Acknowledged => &self.inner.acknowledged,
            Milestone::FirstCustomerUpdate => &self.inner.first_update,
            Milestone::Recovered => &self.inner.recovered,
        };
        family
            .get_or_create(&SeverityLabels {
                severity: r.severity.as_str(),
            })
            .observe(r.seconds);
    }

    /// Every metric in the Prometheus text format (version 0.0.4), store gauges read now.
    pub async fn render(&self, subscribers: usize) -> String {
        let asked = Instant::now();
        let mut last = self.inner.scrape.lock().await;
        // A refresh that started after this scrape was asked for answers it too.
        if last.is_none_or(|started| started < asked) {
            let started = Instant::now();
            self.refresh_store_gauges().await;
            *last = Some(started);
        }
        self.inner
            .subscribers
            .set(i64::try_from(subscribers).unwrap_or(i64::MAX));
        let mut out = String::new();
        let registry = self.registry();
        if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }

    async fn refresh_store_gauges(&self) {
        let Some(store) = &self.inner.store else {
            return;
        };
        let inner = &self.inner;
        match store.gauges().await {
            Ok(g) => {
                set_store_gauges(inner, &g);
                inner.store_up.set(1);
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: cannot read the store gauges");
                // Left out rather than left stale: an alert on them must not hold a value
                // the database no longer says.
                inner.open.clear();
                inner.updates_overdue.clear();
                inner.store_up.set(0);
            }
        }
    }
}

/// Every severity × open phase is set (zeros included), so a query for one always finds
/// its series and a count that drops to zero is seen as zero, not as a gap.
fn set_store_gauges(inner: &Inner, g: &StoreGauges) {
    for s in Severity::ALL {
        for p in Phase::ALL.iter().filter(|p| **p != Phase::Closed) {
            let n = g
                .open
                .iter()
                .find(|(gs, gp, _)| gs == s && gp == p)
                .map_or(0, |(_, _, n)| *n);
            inner
                .open
                .get_or_create(&OpenLabels {
                    severity: s.as_str(),
                    phase: p.as_str(),
                })
                .set(n);
        }
        let n = g
            .updates_overdue
            .iter()
            .find(|(gs, _)| gs == s)
            .map_or(0, |(_, n)| *n);
        inner
            .updates_overdue
            .get_or_create(&SeverityLabels {
                severity: s.as_str(),
            })
            .set(n);
    }
    inner.actions_overdue.set(g.actions_overdue);
    inner.exceptions_past.set(g.exceptions_past_remediation);
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;

    #[tokio::test]
    async fn milestones_land_in_their_histogram_by_severity() {
        let m = Metrics::new(None);
        m.observe(Reached {
            milestone: Milestone::Acknowledged,
            severity: Severity::Sev1,
            seconds: 90.0,
        });
        let text = m.render(3).await;
        assert!(
            text.contains(
                "sitrep_time_to_acknowledge_seconds_bucket{severity=\"SEV1\",le=\"120\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "sitrep_time_to_acknowledge_seconds_bucket{severity=\"SEV1\",le=\"60\"} 0"
            ),
            "{text}"
        );
        assert!(text.contains("sitrep_event_stream_subscribers 3"), "{text}");
        assert!(
            !text.contains("sitrep_time_to_recovery_seconds_bucket"),
            "{text}"
        );
        // Without a store there are no store gauges, rather than zeros.
        assert!(!text.contains("sitrep_open_incidents"), "{text}");
    }

    #[tokio::test]
    async fn another_module_adds_a_metric_in_one_line() {
        let m = Metrics::new(None);
        let failures = Counter::<u64>::default();
        m.register(
            "sitrep_example_failures",
            "Failures of an example",
            failures.clone(),
        );
        failures.inc_by(2);
        let text = m.render(0).await;
        assert!(text.contains("sitrep_example_failures_total 2"), "{text}");
    }
}
