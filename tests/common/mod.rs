//! A real server on an ephemeral port with a temporary database, and clients per role.
#![allow(dead_code)]

pub mod bin;
pub mod hostile_text;
pub mod pg;
pub mod pty;
pub mod receiver;
pub mod screen;

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use sitrep::domain::Role;
use sitrep::server::{self, Database, RunningServer, ServerConfig};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestServer)` twice: on SQLite and on PostgreSQL, so the two
/// stores answer to one contract.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let t = $crate::common::TestServer::on($crate::common::Backend::Sqlite).await.unwrap();
                super::$name(t).await
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                if let Some(t) = $crate::common::TestServer::on($crate::common::Backend::Postgres).await {
                    super::$name(t).await
                }
            })*
        }
    };
}

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub http: Client,
    pub commander: String,
    pub responder: String,
    pub viewer: String,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server on a fresh database of this backend; None when PostgreSQL is unavailable.
    pub async fn on(backend: Backend) -> Option<TestServer> {
        match backend {
            Backend::Sqlite => Some(Self::start().await),
            Backend::Postgres => {
                let url = pg::fresh_database().await?;
                Some(Self::start_db(Database::Postgres(url), |_| {}).await)
            }
        }
    }

    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        Self::start_db(Database::Sqlite("t.db".into()), tweak).await
    }

    /// `Database::Sqlite` paths are taken relative to a fresh temporary directory.
    pub async fn start_db(db: Database, tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        Self::launch(db, tweak, None).await
    }

    /// Another server on the same (PostgreSQL) database, with the same tokens.
    pub async fn replica_of(other: &TestServer, db: Database) -> TestServer {
        let tokens = (
            other.commander.clone(),
            other.responder.clone(),
            other.viewer.clone(),
        );
        Self::launch(db, |_| {}, Some(tokens)).await
    }

    async fn launch(
        db: Database,
        tweak: impl FnOnce(&mut ServerConfig),
        tokens: Option<(String, String, String)>,
    ) -> TestServer {
        // reqwest is built with rustls on ring (no default provider): install it.
        sitrep::client::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let db = match db {
            Database::Sqlite(p) => Database::Sqlite(dir.path().join(p)),
            pg => pg,
        };
        let mut cfg = ServerConfig::new(db, "127.0.0.1:0".parse().unwrap());
        tweak(&mut cfg);
        let server = server::start(cfg).await.unwrap();
        let (commander, responder, viewer) = match tokens {
            Some(t) => t,
            None => {
                let s = &server.store;
                (
                    s.create_token("cora", Role::Commander).await.unwrap(),
                    s.create_token("rex", Role::Responder).await.unwrap(),
                    s.create_token("vic", Role::Viewer).await.unwrap(),
                )
            }
        };
        TestServer {
            base: format!("http://{}/api/v1", server.addr),
            server: Some(server),
            http: Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            commander,
            responder,
            viewer,
            dir,
        }
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut r = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Sends as the commander and returns (status, body as JSON or Null).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = self.commander.clone();
        self.call_as(&token, method, path, body, None).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        if_match: Option<i64>,
    ) -> (StatusCode, Value) {
        let mut r = self.req(method, path, Some(token));
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(v) = if_match {
            r = r.header("If-Match", format!("\"{v}\""));
        }
        json_of(r.send().await.unwrap()).await
    }

    pub async fn create_incident(&self, body: Value) -> Value {
        let (s, v) = self.call(Method::POST, "/incidents", Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    /// PATCH as the commander based on the incident's current version.
    pub async fn patch(&self, id: &str, body: Value) -> (StatusCode, Value) {
        let (_, inc) = self
            .call(Method::GET, &format!("/incidents/{id}"), None)
            .await;
        let token = self.commander.clone();
        self.call_as(
            &token,
            Method::PATCH,
            &format!("/incidents/{id}"),
            Some(body),
            inc["version"].as_i64(),
        )
        .await
    }

    pub async fn customer_update(&self, id: &str) -> Value {
        let (s, v) = self
            .call(
                Method::POST,
                &format!("/incidents/{id}/updates"),
                Some(json!({"audience": "customer", "impact_scope": "EU checkout", "current_status": "Failing over", "next_steps": "Watch error rates"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }
}

pub async fn json_of(resp: Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Asserts an API error: this status, a JSON error naming this field.
pub fn assert_error(got: &(StatusCode, Value), status: u16, field: &str) {
    assert_eq!(got.0.as_u16(), status, "{}", got.1);
    assert_eq!(got.1["error"]["field"], json!(field), "{}", got.1);
    assert!(
        got.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        got.1
    );
}

/// A request the API must refuse: method, path, body, and the status and field it names.
pub type Refusal = (Method, &'static str, Option<Value>, u16, &'static str);
/// A PATCH the API must refuse: path, body, the version sent as If-Match (if any), and the
/// status and field it names.
pub type PatchRefusal = (&'static str, Value, Option<i64>, u16, &'static str);

impl TestServer {
    /// Sends each request as the commander and checks its refusal, naming the failing case.
    pub async fn assert_refused(&self, cases: Vec<Refusal>) {
        let plain = cases
            .into_iter()
            .map(|(m, p, b, s, f)| (m, p, b, None, s, f));
        self.refusals(plain).await;
    }

    /// Sends each PATCH as the commander and checks its refusal, naming the failing case.
    pub async fn assert_patch_refused(&self, cases: Vec<PatchRefusal>) {
        let patches = cases
            .into_iter()
            .map(|(p, b, v, s, f)| (Method::PATCH, p, Some(b), v, s, f));
        self.refusals(patches).await;
    }

    async fn refusals(
        &self,
        cases: impl Iterator<Item = (Method, &str, Option<Value>, Option<i64>, u16, &str)>,
    ) {
        let token = self.commander.clone();
        for (method, path, body, version, status, field) in cases {
            let case = format!("{method} {path} {body:?} If-Match {version:?}");
            let got = self.call_as(&token, method, path, body, version).await;
            assert_eq!(got.0.as_u16(), status, "{case}: {}", got.1);
            assert_eq!(got.1["error"]["field"], json!(field), "{case}: {}", got.1);
            assert!(
                got.1["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{case}: {}",
                got.1
            );
        }
    }
}

/// One Server-Sent Event as parsed from the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    pub id: Option<i64>,
    pub event: String,
    pub data: String,
}

/// Reads `text/event-stream` frames from a streaming response.
pub struct SseReader {
    resp: Response,
    buf: String,
}

impl SseReader {
    pub fn new(resp: Response) -> Self {
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            resp,
            buf: String::new(),
        }
    }

    /// A header of the stream's response.
    pub fn header(&self, name: &str) -> Option<String> {
        let v = self.resp.headers().get(name)?;
        v.to_str().ok().map(str::to_string)
    }

    /// The next event with an `event:` name (skips heartbeats and the retry hint); None on
    /// timeout.
    pub async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let frame: String = self.buf.drain(..end + 2).collect();
                let mut ev = Sse {
                    id: None,
                    event: String::new(),
                    data: String::new(),
                };
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        ev.id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        ev.event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        ev.data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if !ev.event.is_empty() {
                    return Some(ev);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .ok()?
                .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Everything the stream still sends until the server ends it; None if it is still
    /// open after `wait`.
    pub async fn rest_until_end(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut text = std::mem::take(&mut self.buf);
        loop {
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Err(_) => return None,
                Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Ok(None)) | Ok(Err(_)) => return Some(text),
            }
        }
    }
}
