//! The gateway: sitrep's own API server, on loopback, over the PagerDuty backend
//! ([`PdBackend`]), with a poller that keeps the board current. The console, its outbox,
//! its event subscriber and its keys stay exactly as they are with `sitrep serve`.
use super::api::{PdClient, PdError};
use super::backend::PdBackend;
use crate::client::Token;
use crate::server::{HttpConfig, Serving};
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The gateway, running on loopback.
pub struct Gateway {
    pub addr: SocketAddr,
    /// Where PagerDuty's webhooks are received, when configured.
    pub webhook_addr: Option<SocketAddr>,
    pub backend: Arc<PdBackend>,
    token: Token,
    http: Serving,
    poller: Option<tokio::task::JoinHandle<()>>,
    webhook: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// How the gateway runs.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    pub poll: Duration,
    pub read_only: bool,
    pub heartbeat: Duration,
    /// PagerDuty's v3 webhooks: their listener and secret.
    pub webhook: Option<super::webhook::WebhookOptions>,
}

impl Default for GatewayOptions {
    fn default() -> Self {
        GatewayOptions {
            poll: Duration::from_secs(10),
            read_only: false,
            heartbeat: Duration::from_secs(10),
            webhook: None,
        }
    }
}

impl Gateway {
    /// Polls PagerDuty once (so the first board is complete), then serves on 127.0.0.1 on
    /// a free port with a fresh random token, and polls on the interval. A first poll that
    /// PagerDuty refuses (bad token) is an error; an unreachable PagerDuty is not (the
    /// console starts and shows it is reconnecting).
    pub async fn start(pd: PdClient, opts: GatewayOptions) -> anyhow::Result<Gateway> {
        let token = Token::new(crate::client::new_key());
        let backend = Arc::new(PdBackend::new(pd, &token, opts.read_only));
        match super::poll::poll_once(&backend, true).await {
            Ok(r) => tracing::info!(incidents = r.incidents, "PagerDuty: first poll"),
            Err(PdError::Status { status, message }) if matches!(status, 401 | 403) => {
                anyhow::bail!(
                    "PagerDuty at {} refused the API token ({status}): {message}",
                    backend.pd().base()
                );
            }
            // Any other refusal that asking again cannot change: say what PagerDuty said
            // rather than start a console that would only ever show it.
            Err(e) if e.is_permanent() => {
                anyhow::bail!(
                    "PagerDuty at {} refused sitrep's request: {e}",
                    backend.pd().base()
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "PagerDuty not reachable at start");
                backend.set_health(Some(&e));
            }
        }
        let http = Serving::start(
            backend.clone(),
            HttpConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                heartbeat: opts.heartbeat,
                alert_severity: Default::default(),
                limits: Default::default(),
                status_page: None,
                metrics: Default::default(),
                webhooks: None,
            },
        )
        .await?;
        let (webhook_addr, webhook) = match opts.webhook {
            Some(w) => {
                // Its own listener: it faces PagerDuty (through a proxy), carries only the
                // signed route, and has the API's timeouts and connection cap.
                let listener = tokio::net::TcpListener::bind(w.listen)
                    .await
                    .with_context(|| format!("listening for PagerDuty webhooks on {}", w.listen))?;
                let addr = listener.local_addr()?;
                let app = super::webhook::router(backend.clone(), w.secret);
                tracing::info!(%addr, path = super::webhook::PATH, "PagerDuty webhooks received");
                let task = tokio::spawn(crate::server::connections::serve(
                    listener,
                    app,
                    Default::default(),
                    backend.stopping(),
                ));
                (Some(addr), Some(task))
            }
            None => (None, None),
        };
        let poller = Some(super::poll::spawn(backend.clone(), opts.poll));
        Ok(Gateway {
            addr: http.addr,
            webhook_addr,
            webhook,
            backend,
            token,
            http,
            poller,
        })
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The local token the console uses for this gateway.
    pub fn token(&self) -> Token {
        self.token.clone()
    }

    pub async fn shutdown(mut self) {
        self.backend.stop();
        if let Some(p) = self.poller.take() {
            let _ = p.await;
        }
        if let Some(w) = self.webhook.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), w).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.http.shutdown()).await;
    }
}
