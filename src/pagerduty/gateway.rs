//! The gateway: sitrep's own API server, on loopback, over the PagerDuty backend
//! ([`PdBackend`]), with a poller that keeps the board current. The console, its outbox,
//! its event subscriber and its keys stay exactly as they are with `sitrep serve`.
use super::api::{PdClient, PdError};
use super::backend::PdBackend;
use crate::client::Token;
use crate::server::{HttpConfig, Serving};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The gateway, running on loopback.
pub struct Gateway {
    pub addr: SocketAddr,
    pub backend: Arc<PdBackend>,
    token: Token,
    http: Serving,
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
            Err(e) => {
                tracing::warn!(error = %e, "PagerDuty not reachable at start");
                backend.set_health(Some(e.to_string()));
            }
        }
        let http = Serving::start(
            backend.clone(),
            HttpConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                heartbeat: opts.heartbeat,
                alert_severity: Default::default(),
                limits: Default::default(),
                webhooks: None,
            },
        )
        .await?;
        let poller = Some(super::poll::spawn(backend.clone(), opts.poll));
        Ok(Gateway {
            addr: http.addr,
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
        let _ = tokio::time::timeout(Duration::from_secs(5), self.http.shutdown()).await;
    }
}
