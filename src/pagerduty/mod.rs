//! `sitrep --backend pagerduty`: PagerDuty incidents on sitrep's board.
//!
//! An in-process [`gateway`] serves the part of sitrep's `/api/v1` that the console uses on
//! loopback, translating to PagerDuty's REST API v2 ([`api`]) through a pure mapping
//! ([`map`]); a [`poll`]er turns PagerDuty's incident list into sitrep's live events. The
//! console, its outbox, its event subscriber and its keys are the same as with sitrep's own
//! server.
pub mod api;
pub mod gateway;
pub mod map;
pub mod poll;

pub use api::{PdClient, PdError};
pub use gateway::{Gateway, GatewayOptions};

use crate::client::Token;
use anyhow::{Result, bail};
use std::path::PathBuf;
use std::time::Duration;

/// Where the console's incidents come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// sitrep's own API (embedded, or --api URL).
    #[default]
    Sitrep,
    /// PagerDuty's REST API v2.
    Pagerduty,
}

/// The PagerDuty connection, from flags and the environment.
#[derive(Debug, Clone)]
pub struct PdSettings {
    pub url: String,
    pub token: Token,
    pub from: Option<String>,
    pub poll: Duration,
}

impl PdSettings {
    /// The token comes from `--pagerduty-token-file` (mode 600) or `PAGERDUTY_TOKEN`, never
    /// from an argument.
    pub fn resolve(
        url: Option<&str>,
        token_file: Option<&PathBuf>,
        from: Option<&str>,
        poll_secs: u64,
    ) -> Result<PdSettings> {
        let token = if let Some(path) = token_file {
            Token::from_file(path)?
        } else {
            match std::env::var("PAGERDUTY_TOKEN") {
                Ok(t) if !t.trim().is_empty() => Token::new(t),
                _ => bail!(
                    "--backend pagerduty needs a PagerDuty API token: set PAGERDUTY_TOKEN or pass --pagerduty-token-file PATH (a file only you can read)"
                ),
            }
        };
        Ok(PdSettings {
            url: url
                .map(str::to_string)
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| api::DEFAULT_URL.to_string()),
            token,
            from: from.map(str::to_string).filter(|f| !f.trim().is_empty()),
            poll: Duration::from_secs(poll_secs.max(1)),
        })
    }

    pub fn client(&self) -> Result<PdClient> {
        PdClient::new(&self.url, self.token.clone(), self.from.clone())
    }
}
