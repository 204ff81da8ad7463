//! `sitrep --backend pagerduty`: PagerDuty incidents on sitrep's board.
//!
//! PagerDuty is an incident backend of sitrep's API ([`backend`]), translating to
//! PagerDuty's REST API v2 ([`api`]) through a pure mapping ([`map`]); a [`poll`]er turns
//! PagerDuty's incident list into sitrep's live events. The [`gateway`] serves it on
//! loopback with sitrep's own server, so the console, its outbox, its event subscriber and
//! its keys are the same as with `sitrep serve`. With a [`webhook`] secret, PagerDuty's v3
//! webhooks tell the gateway which incident changed, so it is read at once and the poll
//! slows to a safety net.
pub mod api;
pub mod backend;
pub mod gateway;
pub mod map;
pub mod poll;
pub mod webhook;

pub use api::{PdClient, PdError};
pub use backend::PdBackend;
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
    /// The token comes from `--pagerduty-token-file` (mode 600), else `PAGERDUTY_TOKEN`,
    /// else `token_file` in config.toml's `[pagerduty]`; never from an argument.
    pub fn resolve(
        url: Option<&str>,
        token_file: Option<&PathBuf>,
        config_token_file: Option<&PathBuf>,
        from: Option<&str>,
        poll_secs: u64,
    ) -> Result<PdSettings> {
        let env = std::env::var("PAGERDUTY_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty());
        let token = if let Some(path) = token_file {
            Token::from_file(path)?
        } else {
            match (env, config_token_file) {
                (Some(t), _) => Token::new(t),
                (None, Some(path)) => Token::from_file(path)?,
                (None, None) => bail!(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_token_file_must_be_private_and_the_url_has_a_default() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pd.token");
        Token::new("pd-file-secret").write_private(&path).unwrap();
        let s = PdSettings::resolve(None, Some(&path), None, Some("ana@example.com"), 10).unwrap();
        assert_eq!(s.url, "https://api.pagerduty.com");
        assert_eq!(s.token.expose(), "pd-file-secret");
        assert_eq!(s.from.as_deref(), Some("ana@example.com"));
        assert!(!format!("{s:?}").contains("pd-file-secret"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = PdSettings::resolve(None, Some(&path), None, None, 10).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}
