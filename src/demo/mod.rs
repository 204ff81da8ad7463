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
use std::path::PathBuf;

/// A temporary directory removed on drop (the demo database lives and dies with the demo).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir> {
        let dir = std::env::temp_dir().join(format!(
            "sitrep-demo-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        ));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The console user's name in the demo (their token's name, so the actor of their changes).
pub const USER: &str = "you";

/// A running demo backend: server, seeded data, tokens, simulator.
pub struct Demo {
    pub server: server::RunningServer,
    pub console: ApiClient,
    simulator: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl Demo {
    pub async fn start() -> Result<Demo> {
        install_crypto_provider();
        let dir = TempDir::new()?;
        let running = server::start(ServerConfig::sqlite(
            dir.0.join("demo.db"),
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
        let open_target = scenario.open_count();
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
