//! Ends the event streams of a revoked token. A stream is authenticated once, when it
//! opens, but lives for days; revocation is a write to the store, possibly by another
//! process (`sitrep token revoke`) or another replica, so there is no signal to wait for.
//! Instead the gate keeps the set of token hashes that have open streams and re-checks them
//! all in one query: every second, and before the pump publishes new events. A revoked
//! token's streams end within about a second, and never receive an event committed after
//! the revocation.
//!
//! The gate also caps the streams one token may hold open at once: a stream lives as long
//! as its client reads, so without a cap one leaked viewer token could take every
//! connection the server has. Over the cap a new stream is refused (429, Retry-After)
//! rather than an old one ended, so two clients sharing a token cannot knock each other
//! off in turn.
use crate::server::backend::IncidentBackend;
use crate::server::error::ApiError;
use crate::server::per_token::{PerTokenLimit, Place};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub use crate::server::per_token::AtLimit as TooManyStreams;

/// How often open streams' tokens are re-checked when no event flows.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// Streams one token may hold open at once unless `serve --max-streams-per-token` says
/// otherwise: a war-room wall, a few consoles and scripts sharing one token fit.
pub const DEFAULT_STREAMS_PER_TOKEN: usize = 32;

/// The open streams of each token, and each token's revocation flag shared by its streams.
#[derive(Clone)]
pub struct Gate {
    streams: PerTokenLimit<watch::Sender<bool>>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(DEFAULT_STREAMS_PER_TOKEN)
    }
}

/// One open stream's registration; dropping it unregisters the stream.
pub struct Pass {
    // Held, not read: dropping it gives the token's place back.
    _place: Place<watch::Sender<bool>>,
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

impl Gate {
    pub fn new(per_token: usize) -> Self {
        Gate {
            streams: PerTokenLimit::new(per_token),
        }
    }

    /// Streams open now, over all tokens.
    pub fn streams(&self) -> usize {
        self.streams.in_use()
    }

    /// Registers a stream of the token with this hash. The caller must check the token
    /// once more after registering (see `events`): a revocation between its
    /// authentication and this registration is seen by no sweep.
    pub fn register(&self, hash: &str) -> Result<Pass, TooManyStreams> {
        let (place, revoked) = self.streams.enter_with(hash, |flag| flag.subscribe())?;
        Ok(Pass {
            _place: place,
            revoked,
        })
    }

    /// Re-checks every token with an open stream; flags the revoked ones.
    pub async fn sweep(&self, store: &dyn IncidentBackend) -> Result<(), ApiError> {
        let hashes = self.streams.tokens();
        if hashes.is_empty() {
            return Ok(());
        }
        let live = store.live_token_hashes(&hashes).await?;
        let revoked = hashes.iter().filter(|h| !live.contains(*h));
        self.streams.for_each_shared(revoked, |flag| {
            flag.send_replace(true);
        });
        Ok(())
    }

    pub fn spawn_sweeps(
        &self,
        store: Arc<dyn IncidentBackend>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let gate = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = shutdown.changed() => return,
                }
                if let Err(e) = gate.sweep(store.as_ref()).await {
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
        let a = gate.register("h1").unwrap();
        let b = gate.register("h1").unwrap();
        let c = gate.register("h2").unwrap();
        assert_eq!(gate.streams.held_by("h1"), 2);
        gate.streams.for_each_shared(&["h1".to_string()], |flag| {
            flag.send_replace(true);
        });
        assert!(a.is_revoked() && b.is_revoked() && !c.is_revoked());
        drop(a);
        drop(b);
        assert_eq!(gate.streams.tokens(), vec!["h2".to_string()]);
        drop(c);
        assert_eq!(gate.streams(), 0);
        assert!(gate.streams.tokens().is_empty());
    }

    #[test]
    fn a_token_over_its_cap_is_refused_and_a_closed_stream_frees_a_place() {
        let gate = Gate::new(2);
        let a = gate.register("h1").unwrap();
        let _b = gate.register("h1").unwrap();
        assert_eq!(gate.register("h1").err(), Some(TooManyStreams { open: 2 }));
        // Another token is not affected.
        let _c = gate.register("h2").unwrap();
        drop(a);
        assert!(gate.register("h1").is_ok());
    }
}
