//! Writes from the console: one [`Write`] is a POST or PATCH with everything needed to send
//! it again unchanged (the same Idempotency-Key, the same If-Match), so it can wait in the
//! outbox while the server is unreachable.
use super::{ApiClient, LiveEvent};
use crate::domain::Role;
use crate::sanitize::Sanitize;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Post,
    Patch,
}

/// One write, as queued and as stored in the outbox file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Write {
    /// Idempotency-Key, sent with every write (POST and PATCH) and kept across retries, so
    /// a retry whose first answer was lost gets that answer back (not a 412 about the
    /// version the write itself moved); also the write's id in the outbox.
    pub key: String,
    pub method: Method,
    /// Under `/api/v1`, e.g. `/incidents/INC-4/updates`.
    pub path: String,
    /// The version the change was based on (PATCH only).
    #[serde(default)]
    pub if_match: Option<i64>,
    pub body: Value,
    /// The incident the write is about, for the pending marker and rollback.
    #[serde(default)]
    pub incident_id: Option<String>,
    /// What it does, in a few words, for messages: "severity SEV1 on INC-4".
    pub label: String,
    /// The form draft it was typed in, cleared when the write lands: also when it lands in
    /// a later session, sent from the outbox file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
}

impl Write {
    pub fn new(
        method: Method,
        path: impl Into<String>,
        body: Value,
        label: impl Into<String>,
    ) -> Self {
        Write {
            key: new_key(),
            method,
            path: path.into(),
            if_match: None,
            body,
            incident_id: None,
            label: label.into(),
            draft: None,
        }
    }

    pub fn if_match(mut self, version: i64) -> Self {
        self.if_match = Some(version);
        self
    }

    pub fn incident(mut self, id: &str) -> Self {
        self.incident_id = Some(id.to_string());
        self
    }
}

/// 128 random bits as hex: an Idempotency-Key the server keeps for 48 hours.
pub fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// Why a write did not land. (One at a time travels through a channel: size is no concern.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum WriteError {
    /// No answer (connection refused, timeout): the write stays queued and is sent again.
    Unreachable(String),
    /// 429 or 503: the server is overloaded or down for a moment. The write stays queued and
    /// is sent again, not before `retry_after` (the server's Retry-After, else a default).
    Busy {
        status: u16,
        retry_after: std::time::Duration,
        /// The server's own reason, when it gave one ("disk full"): a full disk is not a
        /// busy server, and someone has to act on it.
        reason: Option<String>,
    },
    /// The server answered and refused; the write is dropped.
    Refused {
        status: u16,
        code: String,
        message: String,
        /// With 412: the entity as it is now.
        current: Option<LiveEvent>,
    },
}

impl WriteError {
    pub fn message(&self) -> String {
        match self {
            WriteError::Unreachable(e) => format!("server unreachable: {e}"),
            WriteError::Busy {
                status,
                retry_after,
                reason: None,
            } => format!(
                "server busy (HTTP {status}), retrying in {}",
                super::retry::secs(*retry_after)
            ),
            WriteError::Busy {
                status,
                retry_after,
                reason: Some(reason),
            } => format!(
                "the server cannot store writes now (HTTP {status}: {reason}); its operator must fix that (free disk space, check the database); yours stays queued, retrying in {}",
                super::retry::secs(*retry_after)
            ),
            // The token is no longer good: no retry will help, a new token will.
            WriteError::Refused {
                status: 401,
                message,
                ..
            } => format!(
                "{message}: ask a commander for a new token (sitrep token create) and restart the console with it"
            ),
            WriteError::Refused { message, .. } => message.clone(),
        }
    }
}

/// Decodes a written entity by the path it was written to.
fn decode(path: &str, v: Value) -> Option<LiveEvent> {
    fn de<T: serde::de::DeserializeOwned + Sanitize>(v: Value) -> Option<T> {
        let mut t: T = serde_json::from_value(v).ok()?;
        t.sanitize();
        Some(t)
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["incidents"] | ["incidents", _] => de(v).map(LiveEvent::Incident),
        ["incidents", _, "updates"] => de(v).map(LiveEvent::UpdatePosted),
        ["incidents", _, "actions"] | ["actions", _] => de(v).map(LiveEvent::Action),
        ["incidents", _, "exceptions"] => de(v).map(LiveEvent::Exception),
        ["incidents", _, "notes"] => de(v).map(LiveEvent::Timeline),
        _ => None,
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct WhoAmI {
    pub name: String,
    pub role: Role,
}

impl ApiClient {
    /// Sends one write. The answer is the written entity, sanitized.
    pub async fn write(&self, w: &Write) -> Result<Option<LiveEvent>, WriteError> {
        let method = match w.method {
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
        };
        let mut req = self
            .request(method, &w.path)
            .json(&w.body)
            .header("Idempotency-Key", &w.key);
        if let Some(v) = w.if_match {
            req = req.header(reqwest::header::IF_MATCH, format!("\"{v}\""));
        }
        let sent = chrono::Utc::now();
        let resp = req
            .timeout(super::REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| WriteError::Unreachable(super::live::error_chain(&e)))?;
        self.answered(sent, &resp);
        if let Some(asked) = super::retry::busy(&resp) {
            let status = resp.status().as_u16();
            // Only the server's own storage refusal names its cause; a plain 429 or a
            // proxy's 503 is a busy server.
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let reason = (body.pointer("/error/code").and_then(Value::as_str)
                == Some("storage_unavailable"))
            .then(|| body.pointer("/error/message").and_then(Value::as_str))
            .flatten()
            .map(crate::sanitize::clean_line);
            return Err(WriteError::Busy {
                status,
                retry_after: asked.unwrap_or(super::outbox::RETRY),
                reason,
            });
        }
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(decode(&w.path, body));
        }
        if status.is_server_error() && !matches!(status.as_u16(), 500 | 501) {
            // 502/503/504: a proxy in front of a server that is down. (501: the server has
            // no such thing, e.g. corrective actions with --backend pagerduty; final.)
            return Err(WriteError::Unreachable(format!("HTTP {status}")));
        }
        let text = |p: &str| {
            body.pointer(p)
                .and_then(Value::as_str)
                .map(crate::sanitize::clean_line)
        };
        let current = body
            .get("current")
            .cloned()
            .and_then(|c| decode(&w.path, c));
        Err(WriteError::Refused {
            status: status.as_u16(),
            code: text("/error/code").unwrap_or_default(),
            message: text("/error/message").unwrap_or_else(|| format!("HTTP {status}")),
            current,
        })
    }

    /// The token's name and role.
    pub async fn whoami(&self) -> anyhow::Result<WhoAmI> {
        let mut w: WhoAmI = self
            .send(self.request(reqwest::Method::GET, "/whoami"))
            .await?;
        w.name = crate::sanitize::clean_line(&w.name);
        Ok(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_hex_and_writes_round_trip_through_json() {
        let a = new_key();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_key());
        let w = Write::new(
            Method::Patch,
            "/incidents/INC-1",
            serde_json::json!({"phase":"triage"}),
            "x",
        )
        .if_match(3)
        .incident("INC-1");
        let back: Write = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
        assert_eq!(back, w);
    }
}

#[cfg(test)]
mod busy_tests {
    use super::*;
    use crate::client::Token;

    /// The server's database disk is full: the console says so and who must act, instead
    /// of "server busy".
    #[tokio::test]
    async fn a_full_disk_is_named_not_shown_as_a_busy_server() {
        let app = axum::Router::new().fallback(|| async {
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "10")],
                axum::Json(serde_json::json!({"error": {
                    "code": "storage_unavailable",
                    "message": "the change was not stored: disk full; retry in 10 s"
                }})),
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let client = ApiClient::new(&format!("http://{addr}"), Token::new("t")).unwrap();
        let w = Write::new(
            Method::Post,
            "/incidents/INC-1/notes",
            serde_json::json!({"text": "x"}),
            "note",
        );
        let err = client.write(&w).await.unwrap_err();
        server.abort();
        assert!(matches!(err, WriteError::Busy { .. }), "{err:?}");
        let shown = err.message();
        assert!(shown.contains("disk full"), "{shown}");
        assert!(shown.contains("free disk space"), "{shown}");
        assert!(!shown.contains("server busy"), "{shown}");
        assert!(shown.contains("stays queued"), "{shown}");
    }

    /// A refusal of the token itself says the way out: a retry cannot help, a new token can.
    #[test]
    fn a_refused_token_says_to_get_a_new_one() {
        let refused = |status| WriteError::Refused {
            status,
            code: "unauthorized".into(),
            message: "unknown, revoked or expired token".into(),
            current: None,
        };
        let shown = refused(401).message();
        assert!(
            shown.starts_with("unknown, revoked or expired token: "),
            "{shown}"
        );
        assert!(
            shown.contains("new token") && shown.contains("restart"),
            "{shown}"
        );
        assert_eq!(refused(422).message(), "unknown, revoked or expired token");
    }
}
