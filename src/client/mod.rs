//! The HTTP client for the incident API. The console uses it for an embedded server and a
//! remote one alike, so the embedded default exercises exactly the remote code path.
//!
//! Every response is passed through [`crate::sanitize`] while it is deserialized: nothing
//! this module returns carries raw API text.

mod live;
pub mod outbox;
mod sse;
mod token;
mod write;

pub(crate) use live::error_chain;
pub use live::{LiveEvent, LiveMsg, subscribe};
pub use sse::{SseEvent, SseItem, SseParser};
pub use token::Token;
pub use write::{Method, WhoAmI, Write, WriteError, new_key};

use crate::domain::{CorrectiveAction, Incident, RiskException, StatusUpdate, TimelineEntry};
use crate::sanitize::Sanitize;
use anyhow::{Context, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::Duration;

/// Requests other than the event stream give up after this long, so a slow server shows up
/// as an error on screen rather than a spinner forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The API's largest page.
const PAGE: u32 = 500;

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    /// `scheme://host:port` with no trailing slash and no `/api/v1`.
    base: String,
    token: Token,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

/// The API's error body: `{"error":{"code","message","field"}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// The server's message when it answered that it has no such thing at all (`501`,
    /// code `unsupported`, e.g. corrective actions with `--backend pagerduty`): a pane shows
    /// this message instead of a failure.
    pub fn unsupported(e: &anyhow::Error) -> Option<String> {
        e.chain()
            .find_map(|c| c.downcast_ref::<ApiError>())
            .filter(|a| a.code == "unsupported")
            .map(|a| a.message.clone())
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ApiError,
}

#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
    #[serde(default)]
    next_cursor: Option<String>,
}

/// Installs ring as rustls' crypto provider (we build without aws-lc). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl ApiClient {
    pub fn new(base: &str, token: Token) -> Result<Self> {
        install_crypto_provider();
        let base = base.trim().trim_end_matches('/');
        let base = base.strip_suffix("/api/v1").unwrap_or(base).to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("API URL {base:?} must start with http:// or https://");
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("sitrep-console/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        Ok(Self { http, base, token })
    }

    /// The server this client talks to, for the header.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(self.token.expose())
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T> {
        let resp = req.timeout(REQUEST_TIMEOUT).send().await?;
        let status = resp.status();
        if !status.is_success() {
            let bytes = resp.bytes().await.unwrap_or_default();
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(mut b) => {
                    b.error.status = status.as_u16();
                    b.error.message = crate::sanitize::clean_line(&b.error.message);
                    b.error.code = crate::sanitize::clean_line(&b.error.code);
                    b.error.into()
                }
                Err(_) => anyhow::anyhow!("HTTP {status}"),
            });
        }
        Ok(resp.json::<T>().await?)
    }

    async fn get<T: DeserializeOwned + Sanitize>(&self, path: &str) -> Result<T> {
        let mut v: T = self
            .send(self.request(reqwest::Method::GET, path))
            .await
            .with_context(|| format!("GET {path}"))?;
        v.sanitize();
        Ok(v)
    }

    async fn items<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>>
    where
        Vec<T>: Sanitize,
    {
        let mut page: Items<T> = self
            .send(self.request(reqwest::Method::GET, path))
            .await
            .with_context(|| format!("GET {path}"))?;
        page.items.sanitize();
        Ok(page.items)
    }

    /// Checks the server answers and accepts the token.
    pub async fn check(&self) -> Result<()> {
        let _: Vec<Incident> = self.page_of_incidents(Some(1), None).await?.0;
        Ok(())
    }

    async fn page_of_incidents(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<(Vec<Incident>, Option<String>)> {
        let mut q: Vec<(&str, String)> = vec![("limit", limit.unwrap_or(PAGE).to_string())];
        if let Some(c) = cursor {
            q.push(("cursor", c.to_string()));
        }
        let req = self.request(reqwest::Method::GET, "/incidents").query(&q);
        let mut page: Items<Incident> = self.send(req).await.context("GET /incidents")?;
        page.items.sanitize();
        Ok((page.items, page.next_cursor))
    }

    /// Every incident, all phases, following the cursor to the end.
    pub async fn list_incidents(&self) -> Result<Vec<Incident>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (items, next) = self.page_of_incidents(None, cursor.as_deref()).await?;
            all.extend(items);
            match next {
                Some(c) if !c.is_empty() => cursor = Some(c),
                _ => return Ok(all),
            }
        }
    }

    pub async fn incident(&self, id: &str) -> Result<Incident> {
        self.get(&format!("/incidents/{}", enc(id))).await
    }

    pub async fn updates(&self, id: &str) -> Result<Vec<StatusUpdate>> {
        self.items(&format!("/incidents/{}/updates", enc(id))).await
    }

    pub async fn incident_actions(&self, id: &str) -> Result<Vec<CorrectiveAction>> {
        self.items(&format!("/incidents/{}/actions", enc(id))).await
    }

    pub async fn exceptions(&self, id: &str) -> Result<Vec<RiskException>> {
        self.items(&format!("/incidents/{}/exceptions", enc(id)))
            .await
    }

    pub async fn timeline(&self, id: &str) -> Result<Vec<TimelineEntry>> {
        self.items(&format!("/incidents/{}/timeline", enc(id)))
            .await
    }

    /// Open and in-progress corrective actions across all incidents.
    pub async fn open_actions(&self) -> Result<Vec<CorrectiveAction>> {
        self.items("/actions?status=open,in_progress").await
    }

    /// POST a JSON body; used by the demo simulator and tests (the console itself only
    /// reads in this version).
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T> {
        self.send(self.request(reqwest::Method::POST, path).json(body))
            .await
            .with_context(|| format!("POST {path}"))
    }

    /// PATCH with the version the change was based on (If-Match), so a concurrent edit is a
    /// conflict rather than a silent overwrite.
    pub async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        version: i64,
        body: &serde_json::Value,
    ) -> Result<T> {
        let req = self
            .request(reqwest::Method::PATCH, path)
            .header(reqwest::header::IF_MATCH, format!("\"{version}\""))
            .json(body);
        self.send(req)
            .await
            .with_context(|| format!("PATCH {path}"))
    }
}

/// Percent-encodes a path segment. Ids are `INC-42`-shaped, but an id is API data and must
/// not be able to add path segments or a query.
fn enc(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised_and_ids_cannot_escape_their_segment() {
        let c = ApiClient::new("http://127.0.0.1:9/api/v1/", Token::new("t")).unwrap();
        assert_eq!(c.url("/health"), "http://127.0.0.1:9/api/v1/health");
        assert_eq!(enc("INC-4/../x?y"), "INC-4%2F..%2Fx%3Fy");
        assert!(ApiClient::new("ftp://x", Token::new("t")).is_err());
    }

    #[test]
    fn debug_redacts_the_token() {
        let c = ApiClient::new("http://127.0.0.1:9", Token::new("supersecret")).unwrap();
        assert!(!format!("{c:?}").contains("supersecret"));
    }
}
