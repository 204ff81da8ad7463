//! Signed outbound webhooks: subscriptions a commander adds (`sitrep webhook add`), each
//! delivered from the event log with its own durable cursor, signed per the Standard
//! Webhooks specification, or shaped as Slack incoming-webhook messages. See
//! docs/webhooks.md.
pub mod cli;
pub mod model;
pub mod payload;
pub mod routes;
pub mod sign;
pub mod target;
pub mod worker;

use crate::server::store::Store;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How deliveries are made (`sitrep serve --webhook-give-up-after …`).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// After failing this long, a subscription stops and is marked failing.
    pub give_up_after: Duration,
    /// The first retry waits about this long; each next one twice as long.
    pub retry_base: Duration,
    /// No wait between retries is longer than this.
    pub retry_max: Duration,
    /// The longest a receiver may take to answer one delivery.
    pub timeout: Duration,
    /// Deliveries in flight at once, across all subscriptions.
    pub concurrency: usize,
    /// The public status page, linked from chat messages when set.
    pub public_url: Option<String>,
    /// How often chat subscriptions look for customer updates that became overdue.
    pub overdue_every: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            give_up_after: Duration::from_secs(24 * 3600),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
            concurrency: 64,
            public_url: None,
            overdue_every: Duration::from_secs(30),
        }
    }
}

/// `sitrep serve` flags for webhooks.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// How long a webhook may keep failing before its deliveries stop and it is marked
    /// failing (e.g. 24h, 30m).
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub webhook_give_up_after: Duration,
    /// The public status page's URL, linked from chat (`--format slack`) messages.
    #[arg(long, env = "SITREP_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl ServeArgs {
    pub fn config(&self) -> WebhookConfig {
        WebhookConfig {
            give_up_after: self.webhook_give_up_after,
            public_url: self.public_url.clone(),
            ..WebhookConfig::default()
        }
    }
}

/// The webhook side of a running server: its store, its configuration and the address
/// it listens on (known once bound), which no subscription may point at.
#[derive(Debug)]
pub struct Hooks {
    pub store: Store,
    pub config: WebhookConfig,
    own: OnceLock<Vec<SocketAddr>>,
    /// Wakes the delivery worker when a subscription is added or removed here (other
    /// replicas notice on their next rescan).
    pub changed: tokio::sync::Notify,
    /// Delivery attempts that failed (an error or a non-2xx answer), for `/metrics`.
    pub delivery_failures: prometheus_client::metrics::counter::Counter,
    /// Subscriptions in the failing state at the worker's last scan, for `/metrics`.
    pub failing: prometheus_client::metrics::gauge::Gauge,
}

impl Hooks {
    pub fn new(store: Store, config: WebhookConfig) -> Arc<Hooks> {
        Arc::new(Hooks {
            store,
            config,
            own: OnceLock::new(),
            changed: tokio::sync::Notify::new(),
            delivery_failures: Default::default(),
            failing: Default::default(),
        })
    }

    /// Exports the delivery figures at `/metrics`. Unlabelled: subscription ids are not a
    /// bounded set over a server's life.
    pub fn export(&self, metrics: &crate::server::metrics::Metrics) {
        metrics.register(
            "sitrep_webhook_delivery_failures",
            "Webhook delivery attempts by this replica that failed (connection error or non-2xx answer)",
            self.delivery_failures.clone(),
        );
        metrics.register(
            "sitrep_webhooks_failing",
            "Webhook subscriptions in the failing state (deliveries stopped until re-enabled), as the database says",
            self.failing.clone(),
        );
    }

    /// Records the addresses this server listens on (the API, and the status page's and
    /// metrics' own listeners when they have them), once bound.
    pub fn listening_on(&self, addrs: Vec<SocketAddr>) {
        let _ = self.own.set(addrs);
    }

    /// Refuses a URL that resolves to one of this server's own listeners, or to a
    /// link-local address (where cloud hosts serve instance metadata and credentials).
    pub async fn check_target(&self, url: &reqwest::Url) -> Result<Vec<SocketAddr>, String> {
        let addrs = target::resolve(url).await?;
        if let Some(a) = addrs.iter().find(|a| target::link_local(a.ip())) {
            return Err(format!(
                "this URL resolves to the link-local address {}, where a host's instance metadata lives; a webhook must go elsewhere",
                a.ip()
            ));
        }
        for own in self.own.get().into_iter().flatten() {
            if addrs.iter().any(|a| target::points_at(*a, *own)) {
                return Err(format!(
                    "this URL points at this sitrep server's own listener ({own}); a webhook must go elsewhere"
                ));
            }
        }
        Ok(addrs)
    }
}

/// A change to who receives incident data, made by a commander. The audit trail records
/// it inside the store's own transaction (`Store::add_webhook`/`remove_webhook`); this
/// is the server log's line for it, after the commit.
#[derive(Debug)]
pub enum AdminChange<'a> {
    Added(&'a model::Webhook),
    Removed(&'a model::Webhook),
}

/// Called after a webhook is added or removed (committed). Logs the receiving host only:
/// the secret is not part of [`model::Webhook`], and a chat webhook's URL path is itself a
/// credential.
pub fn administered(actor: &str, change: AdminChange<'_>) {
    let actor = crate::sanitize::clean_line(actor);
    let (what, w) = match change {
        AdminChange::Added(w) => ("webhook added", w),
        AdminChange::Removed(w) => ("webhook removed", w),
    };
    let host = host_of(&w.url);
    tracing::info!(%actor, id = %w.id, %host, "{what}");
}

/// The host of a URL, for logs and errors (never its path or query).
pub fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(crate::sanitize::clean_line))
        .unwrap_or_else(|| "?".into())
}
