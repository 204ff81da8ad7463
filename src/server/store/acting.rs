//! The token a request writes with, re-checked inside each of its write transactions.
//!
//! A request's token is checked when its head arrives, but its body can take seconds more
//! (up to the body timeout), and a revocation in between must still stop the write: a token
//! is revoked because it leaked, and a leaked token's holder can line up slow requests. So
//! the API runs each request in a [`scope`], its authentication records the token there
//! ([`acting_as`]), and [`Store::begin`](super::Store) checks, after taking the write lock,
//! that the token is still live. Revocation is itself a write under the same lock, so a
//! write either commits before the revocation or is refused after it. Writes outside a
//! request (start-up, the webhook worker, pruning, local commands) have no scope and no
//! token to check.
use std::future::Future;
use std::sync::{Arc, OnceLock};

tokio::task_local! {
    static ACTING: Arc<OnceLock<String>>;
}

/// Runs `fut` (one request) with room to record the token it acts with.
pub async fn scope<F: Future>(fut: F) -> F::Output {
    ACTING.scope(Arc::new(OnceLock::new()), fut).await
}

/// Records the (hash of the) token the current request acts with; outside a [`scope`] it
/// does nothing.
pub fn acting_as(token_hash: &str) {
    let _ = ACTING.try_with(|slot| slot.set(token_hash.to_string()));
}

/// The token the current request acts with, if it is a request that authenticated.
pub(super) fn current() -> Option<String> {
    ACTING.try_with(|slot| slot.get().cloned()).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_token_is_seen_only_inside_its_own_request() {
        assert_eq!(current(), None);
        acting_as("outside");
        assert_eq!(current(), None, "no scope: nothing recorded");
        let inside = scope(async {
            assert_eq!(current(), None, "not authenticated yet");
            acting_as("h1");
            acting_as("h2");
            current()
        })
        .await;
        assert_eq!(
            inside.as_deref(),
            Some("h1"),
            "the first token recorded stays"
        );
        let other = scope(async { current() }).await;
        assert_eq!(other, None, "each request has its own");
    }
}
