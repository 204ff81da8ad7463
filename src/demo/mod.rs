//! `sitrep demo`: the embedded server on a throwaway database, seeded with back-dated
//! incidents from `assets/demo.toml`, and a simulator that keeps the board moving.
mod scenario;
mod simulator;

pub use scenario::Scenario;
pub use simulator::Simulator;

use crate::client::{ApiClient, Token, install_crypto_provider};
use crate::domain::Role;
use crate::server::{self, ServerConfig, store};
use anyhow::{Context, Result};
use std::collections::HashSet;

/// The console user's name in the demo (their token's name, so the actor of their changes).
pub const USER: &str = "you";

/// A running demo backend: server, seeded data, tokens, simulator.
pub struct Demo {
    pub server: server::RunningServer,
    pub console: ApiClient,
    simulator: tokio::task::JoinHandle<()>,
    /// The demo database lives and dies with the demo: removed on drop.
    _dir: tempfile::TempDir,
}

impl Demo {
    pub async fn start() -> Result<Demo> {
        install_crypto_provider();
        // A unique directory: two demos in one process (tests) must not share a database.
        let dir = tempfile::Builder::new()
            .prefix("sitrep-demo-")
            .tempdir()
            .context("creating the demo's directory")?;
        let running = server::start(ServerConfig::sqlite(
            dir.path().join("demo.db"),
            "127.0.0.1:0".parse()?,
        ))
        .await
        .context("starting the demo server")?;
        let scenario = Scenario::builtin();
        let ids = running
            .store
            .seed(&scenario.ops(store::now()))
            .await
            .context("seeding the demo scenario")?;
        let quiet: HashSet<String> = scenario.quiet().iter().map(|i| ids[*i].clone()).collect();
        let base = format!("http://{}", running.addr);
        let token = |name: &'static str, role| {
            let store = running.store.clone();
            async move { store.create_token(name, role).await.map(Token::new) }
        };
        let console = ApiClient::new(&base, token(USER, Role::Commander).await?)?;
        // Room for a couple of new alerts, so a newcomer sees one arrive within seconds;
        // after that, one only when an incident closes.
        let open_target = scenario.open_count() + 2;
        let sim = Simulator {
            alerts: ApiClient::new(&base, token("alertmanager", Role::Responder).await?)?,
            lead: ApiClient::new(&base, token("Dana Reyes", Role::Commander).await?)?,
            quiet,
            me: USER.into(),
            open_target,
        };
        let simulator = tokio::spawn(sim.run());
        Ok(Demo {
            server: running,
            console,
            simulator,
            _dir: dir,
        })
    }

    /// Stops the built-in simulator, leaving the server up (for tests that drive one).
    pub fn stop_simulator(&self) {
        self.simulator.abort();
    }

    pub async fn stop(self) {
        self.simulator.abort();
        self.server.shutdown().await;
    }
}
