//! Idempotent writes for a backend without a database of its own (PagerDuty): the same
//! contract as the SQL store's `idempotency_keys` table, kept in memory. A key is the
//! caller's; a retry with the same request gets the first answer (`Created::Replayed`, so
//! the route marks it `Idempotent-Replayed`), a retry that arrives while the first attempt
//! is still on its way waits for it, and a key reused for a different request is refused
//! with `idempotency_key_reused`. A failed attempt stores nothing, so it can be retried.
use super::error::ApiError;
use super::store::{Created, Idempotency, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long a key is remembered: the API promises 24 hours; the SQL store keeps 48.
pub const KEEP: Duration = Duration::from_secs(48 * 3600);

/// The first answer to a key.
struct Stored {
    request_hash: String,
    status: u16,
    body: String,
}

type Slot = Arc<Mutex<Option<Stored>>>;

#[derive(Default)]
pub struct Memo {
    slots: Mutex<HashMap<(String, String), (Instant, Slot)>>,
}

impl Memo {
    /// Runs `write` once per (`who`, key): answered with `status` and its JSON the first
    /// time, replayed after that.
    pub async fn once<T, F>(
        &self,
        who: &str,
        idem: Option<&Idempotency>,
        status: u16,
        write: F,
    ) -> Result<Created<T>, ApiError>
    where
        T: Serialize,
        F: Future<Output = Result<T, ApiError>>,
    {
        let Some(idem) = idem else {
            return write.await.map(Created::New);
        };
        let slot = {
            let mut slots = self.slots.lock().await;
            let now = Instant::now();
            slots.retain(|_, (at, _)| now.duration_since(*at) < KEEP);
            slots
                .entry((who.to_string(), idem.key.clone()))
                .or_insert_with(|| (now, Slot::default()))
                .1
                .clone()
        };
        // Held across the write: a concurrent retry of the key waits here for the answer.
        let mut stored = slot.lock().await;
        if let Some(first) = stored.as_ref() {
            if first.request_hash != idem.request_hash {
                return Err(StoreError::KeyReused.into());
            }
            return Ok(Created::Replayed {
                status: first.status,
                body: first.body.clone(),
            });
        }
        let value = write.await?;
        *stored = Some(Stored {
            request_hash: idem.request_hash.clone(),
            status,
            body: serde_json::to_string(&value).unwrap_or_default(),
        });
        Ok(Created::New(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str, hash: &str) -> Idempotency {
        Idempotency {
            key: k.into(),
            request_hash: hash.into(),
        }
    }

    #[tokio::test]
    async fn a_key_runs_once_replays_and_refuses_another_request() {
        let memo = Memo::default();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let write = || async {
            runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, ApiError>(serde_json::json!({"id": "U1"}))
        };
        let first = memo.once("ana", Some(&key("k", "h1")), 201, write()).await;
        assert!(matches!(first, Ok(Created::New(_))));
        let again = memo.once("ana", Some(&key("k", "h1")), 201, write()).await;
        let Ok(Created::Replayed { status, body }) = again else {
            panic!("not replayed")
        };
        assert_eq!((status, body.as_str()), (201, r#"{"id":"U1"}"#));
        let other = memo.once("ana", Some(&key("k", "h2")), 201, write()).await;
        let Err(e) = other else { panic!("accepted") };
        assert_eq!(e.code, "idempotency_key_reused");
        // Another caller's key of the same name is its own.
        let bo = memo.once("bo", Some(&key("k", "h2")), 201, write()).await;
        assert!(matches!(bo, Ok(Created::New(_))));
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_write_stores_nothing() {
        let memo = Memo::default();
        let failed = memo
            .once::<serde_json::Value, _>("ana", Some(&key("k", "h")), 201, async {
                Err(ApiError::not_found("gone"))
            })
            .await;
        assert!(failed.is_err());
        let retried = memo
            .once("ana", Some(&key("k", "h")), 201, async {
                Ok::<_, ApiError>(serde_json::json!(1))
            })
            .await;
        assert!(matches!(retried, Ok(Created::New(_))));
    }
}
