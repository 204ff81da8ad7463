//! Ends the event streams of a revoked token. A stream is authenticated once, when it
//! opens, but lives for days; revocation is a write to the store, possibly by another
//! process (`sitrep token revoke`) or another replica, so there is no signal to wait for.
//! Instead the gate keeps the set of token hashes that have open streams and re-checks them
//! all in one query: every second, and before the pump publishes new events. A revoked
//! token's streams end within about a second, and never receive an event committed after
//! the revocation.
use crate::server::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// How often open streams' tokens are re-checked when no event flows.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

struct Watched {
    streams: usize,
    revoked: watch::Sender<bool>,
}

#[derive(Clone, Default)]
pub struct Gate {
    tokens: Arc<Mutex<HashMap<String, Watched>>>,
}

/// One open stream's registration; dropping it unregisters the stream.
pub struct Pass {
    gate: Gate,
    hash: String,
    revoked: watch::Receiver<bool>,
}

impl Pass {
    pub fn is_revoked(&self) -> bool {
        *self.revoked.borrow()
    }

    /// Resolves once the token is found revoked.
    pub async fn revoked(&mut self) {
        // An error means the gate is gone (the server is stopping): end as well.
        let _ = self.revoked.wait_for(|r| *r).await;
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut tokens = self.gate.lock();
        if let Some(w) = tokens.get_mut(&self.hash) {
            w.streams -= 1;
            if w.streams == 0 {
                tokens.remove(&self.hash);
            }
        }
    }
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Watched>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a stream of the token with this hash. The caller must check the token
    /// once more after registering (see `events`): a revocation between its
    /// authentication and this registration is seen by no sweep.
    pub fn register(&self, hash: &str) -> Pass {
        let mut tokens = self.lock();
        let w = tokens.entry(hash.to_string()).or_insert_with(|| Watched {
            streams: 0,
            revoked: watch::Sender::new(false),
        });
        w.streams += 1;
        Pass {
            gate: self.clone(),
            hash: hash.to_string(),
            revoked: w.revoked.subscribe(),
        }
    }

    /// Re-checks every token with an open stream; flags the revoked ones.
    pub async fn sweep(&self, store: &Store) -> Result<(), StoreError> {
        let hashes: Vec<String> = self.lock().keys().cloned().collect();
        if hashes.is_empty() {
            return Ok(());
        }
        let live = store.live_token_hashes(&hashes).await?;
        let tokens = self.lock();
        for h in hashes.iter().filter(|h| !live.contains(*h)) {
            if let Some(w) = tokens.get(h) {
                w.revoked.send_replace(true);
            }
        }
        Ok(())
    }

    pub fn spawn_sweeps(&self, store: Store, mut shutdown: watch::Receiver<bool>) {
        let gate = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.changed() => return,
                }
                if let Err(e) = gate.sweep(&store).await {
                    tracing::warn!(error = %e, "could not re-check the tokens of open event streams");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_are_counted_per_token_and_forgotten_when_the_last_stream_ends() {
        let gate = Gate::default();
        let a = gate.register("h1");
        let b = gate.register("h1");
        let c = gate.register("h2");
        assert_eq!(gate.lock()["h1"].streams, 2);
        gate.lock()["h1"].revoked.send_replace(true);
        assert!(a.is_revoked() && b.is_revoked() && !c.is_revoked());
        drop(a);
        drop(b);
        assert!(!gate.lock().contains_key("h1"));
        drop(c);
        assert!(gate.lock().is_empty());
    }
}
