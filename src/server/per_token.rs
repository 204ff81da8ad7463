//! Places per token, each token's count capped: how many requests a token has in progress
//! (`auth`) and how many event streams it holds open (`events::gate`). One token must not
//! take more than its share of what the server has, whichever way it holds on.
//!
//! A place is a guard: dropping it gives the place back, and a token with no place left is
//! forgotten, so the map holds only the tokens in use. Each token's entry may also carry
//! something shared by all its places (the event streams' revocation flag), created when
//! the token takes its first place and dropped with its last.
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

struct Held<S> {
    places: usize,
    shared: S,
}

/// A count of places per token hash, at most `per_token` each.
pub struct PerTokenLimit<S = ()> {
    tokens: Arc<Mutex<HashMap<String, Held<S>>>>,
    per_token: usize,
}

// Derived `Clone` would ask `S: Clone`; clones share the one map.
impl<S> Clone for PerTokenLimit<S> {
    fn clone(&self) -> Self {
        PerTokenLimit {
            tokens: self.tokens.clone(),
            per_token: self.per_token,
        }
    }
}

impl<S> fmt::Debug for PerTokenLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerTokenLimit")
            .field("per_token", &self.per_token)
            .field("in_use", &self.in_use())
            .finish()
    }
}

/// The token already holds its cap of places.
#[derive(Debug, PartialEq, Eq)]
pub struct AtLimit {
    pub open: usize,
}

/// One place of a token; given back when dropped.
pub struct Place<S = ()> {
    limit: PerTokenLimit<S>,
    hash: String,
}

impl<S> fmt::Debug for Place<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hash identifies a token: kept out of logs like the token itself.
        f.debug_struct("Place").finish_non_exhaustive()
    }
}

impl<S> Drop for Place<S> {
    fn drop(&mut self) {
        let mut tokens = self.limit.lock();
        if let Some(h) = tokens.get_mut(&self.hash) {
            h.places -= 1;
            if h.places == 0 {
                tokens.remove(&self.hash);
            }
        }
    }
}

impl<S: Default> PerTokenLimit<S> {
    /// A limit of `per_token` places (at least one) for each token.
    pub fn new(per_token: usize) -> Self {
        PerTokenLimit {
            tokens: Arc::default(),
            per_token: per_token.max(1),
        }
    }

    /// Takes a place for the token with this hash, or refuses when it holds its cap.
    pub fn enter(&self, hash: &str) -> Result<Place<S>, AtLimit> {
        self.enter_with(hash, |_| ()).map(|(place, ())| place)
    }

    /// As `enter`, and reads the token's shared value under the same lock, so nothing
    /// done to it between taking the place and reading it is missed.
    pub fn enter_with<R>(
        &self,
        hash: &str,
        read: impl FnOnce(&S) -> R,
    ) -> Result<(Place<S>, R), AtLimit> {
        let mut tokens = self.lock();
        let h = tokens.entry(hash.to_string()).or_insert_with(|| Held {
            places: 0,
            shared: S::default(),
        });
        // `per_token` is at least one, so a refused token already holds places and its
        // entry is not left empty.
        if h.places >= self.per_token {
            return Err(AtLimit { open: h.places });
        }
        h.places += 1;
        let read = read(&h.shared);
        let place = Place {
            limit: self.clone(),
            hash: hash.to_string(),
        };
        Ok((place, read))
    }
}

impl<S> PerTokenLimit<S> {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Held<S>>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Places held now, over all tokens.
    pub fn in_use(&self) -> usize {
        self.lock().values().map(|h| h.places).sum()
    }

    /// Places the token with this hash holds now.
    pub fn held_by(&self, hash: &str) -> usize {
        self.lock().get(hash).map_or(0, |h| h.places)
    }

    /// The hashes of the tokens that hold a place now.
    pub fn tokens(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Runs `f` on the shared value of each of these tokens that still holds a place.
    pub fn for_each_shared<'a>(
        &self,
        hashes: impl IntoIterator<Item = &'a String>,
        mut f: impl FnMut(&S),
    ) {
        let tokens = self.lock();
        for h in hashes {
            if let Some(held) = tokens.get(h) {
                f(&held.shared);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_token_capped_and_given_back_when_dropped() {
        let limit: PerTokenLimit = PerTokenLimit::new(2);
        let a = limit.enter("h1").unwrap();
        let _b = limit.enter("h1").unwrap();
        assert_eq!(limit.enter("h1").err(), Some(AtLimit { open: 2 }));
        // Another token is not affected.
        let c = limit.enter("h2").unwrap();
        assert_eq!(limit.in_use(), 3);
        drop(a);
        assert_eq!(limit.held_by("h1"), 1);
        assert!(limit.enter("h1").is_ok(), "a dropped place is free again");
        drop(c);
        assert_eq!(
            limit.tokens(),
            vec!["h1".to_string()],
            "a token with no place is forgotten"
        );
    }

    #[test]
    fn a_cap_of_zero_still_lets_one_place_through() {
        let limit: PerTokenLimit = PerTokenLimit::new(0);
        let _a = limit.enter("h").unwrap();
        assert!(limit.enter("h").is_err());
    }
}
