//! The SQL store as the API's incident backend: each method is the store's own, in its own
//! transaction, with its errors turned into the API's. Authorization that depends on the
//! incident as it is (`patch_incident`) stays inside the write's transaction.
use super::{
    ActionKey, ActionQuery, Created, EventRecord, Idempotency, IncidentQuery, IngestOutcome,
    Listed, Principal, SignalRecord, Slice, Store, StoreError,
};
use crate::domain::{
    ActionPatch, CorrectiveAction, Incident, IncidentPatch, NewAction, NewException, NewIncident,
    NewNote, NewStatusUpdate, RiskException, Signal, StatusUpdate, TimelineEntry,
};
use crate::server::backend::{IncidentBackend, WritesDown};
use crate::server::error::ApiError;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

impl Store {
    /// Every answer the API gets from this store passes here, so `/health` reports what
    /// requests meet wherever in a transaction they meet it: damage found by a read, a table
    /// locked by another program that the health probe's own small write never touches.
    fn seen<T>(&self, r: Result<T, StoreError>) -> Result<T, ApiError> {
        if let Err(StoreError::Unavailable(why)) = &r {
            self.health.failed(*why);
        }
        Ok(r?)
    }
}

#[async_trait::async_trait]
impl IncidentBackend for Store {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, ApiError> {
        self.seen(Store::authenticate(self, token).await)
    }

    async fn live_token_hashes(&self, hashes: &[String]) -> Result<HashSet<String>, ApiError> {
        self.seen(Store::live_token_hashes(self, hashes).await)
    }

    async fn status_page_secret(&self) -> Result<[u8; 32], ApiError> {
        self.seen(Store::status_page_secret(self).await)
    }

    async fn list_incidents(
        &self,
        q: &IncidentQuery,
    ) -> Result<(Listed<Incident>, Option<i64>), ApiError> {
        self.seen(Store::list_incidents(self, q).await)
    }

    async fn incident(&self, id: &str) -> Result<Incident, ApiError> {
        self.seen(Store::incident(self, id).await)
    }

    async fn patch_incident(
        &self,
        who: &Principal,
        id: &str,
        if_match: i64,
        patch: &IncidentPatch,
        idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, ApiError> {
        self.seen(Store::patch_incident(self, who, id, if_match, patch, idem).await)
    }

    async fn create_incident(
        &self,
        actor: &str,
        req: &NewIncident,
        idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, ApiError> {
        self.seen(Store::create_incident(self, actor, req, idem).await)
    }

    async fn timeline(&self, id: &str, page: Slice) -> Result<Listed<TimelineEntry>, ApiError> {
        self.seen(Store::timeline(self, id, page).await)
    }

    async fn add_note(
        &self,
        who: &Principal,
        id: &str,
        req: &NewNote,
        idem: Option<&Idempotency>,
    ) -> Result<Created<TimelineEntry>, ApiError> {
        self.seen(Store::add_note(self, who, id, req, idem).await)
    }

    async fn updates(&self, id: &str, page: Slice) -> Result<Listed<StatusUpdate>, ApiError> {
        self.seen(Store::updates(self, id, page).await)
    }

    async fn post_update(
        &self,
        who: &Principal,
        id: &str,
        req: &NewStatusUpdate,
        idem: Option<&Idempotency>,
    ) -> Result<Created<StatusUpdate>, ApiError> {
        self.seen(Store::post_update(self, who, id, req, idem).await)
    }

    async fn incident_actions(
        &self,
        id: &str,
        page: Slice,
    ) -> Result<Listed<CorrectiveAction>, ApiError> {
        self.seen(Store::incident_actions(self, id, page).await)
    }

    async fn actions(
        &self,
        q: &ActionQuery,
    ) -> Result<(Listed<CorrectiveAction>, Option<ActionKey>), ApiError> {
        self.seen(Store::actions(self, q).await)
    }

    async fn action(&self, id: &str) -> Result<CorrectiveAction, ApiError> {
        self.seen(Store::action(self, id).await)
    }

    async fn create_action(
        &self,
        actor: &str,
        id: &str,
        req: &NewAction,
        idem: Option<&Idempotency>,
    ) -> Result<Created<CorrectiveAction>, ApiError> {
        self.seen(Store::create_action(self, actor, id, req, idem).await)
    }

    async fn patch_action(
        &self,
        who: &Principal,
        id: &str,
        if_match: i64,
        patch: &ActionPatch,
        idem: Option<&Idempotency>,
    ) -> Result<Created<CorrectiveAction>, ApiError> {
        self.seen(Store::patch_action(self, who, id, if_match, patch, idem).await)
    }

    async fn exceptions(&self, id: &str, page: Slice) -> Result<Listed<RiskException>, ApiError> {
        self.seen(Store::exceptions(self, id, page).await)
    }

    async fn create_exception(
        &self,
        actor: &str,
        id: &str,
        req: &NewException,
        idem: Option<&Idempotency>,
    ) -> Result<Created<RiskException>, ApiError> {
        self.seen(Store::create_exception(self, actor, id, req, idem).await)
    }

    async fn ingest_signal(
        &self,
        actor: &str,
        signal: &Signal,
        idem: Option<&Idempotency>,
    ) -> Result<Created<IngestOutcome>, ApiError> {
        self.seen(Store::ingest_signal(self, actor, signal, idem).await)
    }

    async fn signals(&self, id: &str, page: Slice) -> Result<Listed<SignalRecord>, ApiError> {
        self.seen(Store::signals(self, id, page).await)
    }

    async fn admin_events(
        &self,
        page: Slice,
    ) -> Result<Listed<super::audit::AdminEvent>, ApiError> {
        Ok(Store::admin_events(self, page).await?)
    }

    fn watch_commits(&self, shutdown: watch::Receiver<bool>) -> Arc<Notify> {
        let signal = self.commit_signal();
        if let Some(url) = self.postgres_url() {
            spawn_pg_listener(url.to_string(), signal.clone(), shutdown);
        }
        signal
    }

    async fn events_page(
        &self,
        after: i64,
        max_rows: i64,
        max_bytes: usize,
    ) -> Result<Vec<EventRecord>, ApiError> {
        self.seen(Store::events_page(self, after, max_rows, max_bytes).await)
    }

    async fn event_bounds(&self) -> Result<Option<(i64, i64)>, ApiError> {
        self.seen(Store::event_bounds(self).await)
    }

    async fn event_base(&self) -> Result<i64, ApiError> {
        self.seen(Store::event_base(self).await)
    }

    fn run(&self) -> Option<Arc<str>> {
        Store::run(self)
    }

    async fn run_covers(&self, run: &str, id: i64) -> Result<bool, ApiError> {
        self.seen(Store::run_covers(self, run, id).await)
    }

    async fn write_status(&self) -> Result<(), WritesDown> {
        Store::write_status(self).await.map_err(|e| match e {
            StoreError::Unavailable(why) => WritesDown {
                reason: why.reason().to_string(),
                retry_after: why.retry_after(),
            },
            e => {
                tracing::error!(error = %e, "write probe failed");
                WritesDown {
                    reason: "database error".into(),
                    retry_after: 5,
                }
            }
        })
    }
}

/// Wakes the pump whenever any replica commits (PostgreSQL NOTIFY). After the listener
/// reconnects, notifications sent meanwhile are lost, so it wakes the pump anyway: the pump
/// reads the log, which is the source of truth.
fn spawn_pg_listener(url: String, signal: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            let listener = async {
                let mut l = sqlx::postgres::PgListener::connect(&url).await?;
                l.listen(crate::server::store::EVENTS_CHANNEL).await?;
                Ok::<_, sqlx::Error>(l)
            };
            let mut listener = tokio::select! {
                l = listener => match l {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for other replicas' changes; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                },
                _ = shutdown.changed() => return,
            };
            backoff = Duration::from_millis(100);
            signal.notify_one();
            loop {
                tokio::select! {
                    msg = listener.try_recv() => match msg {
                        Ok(Some(_)) => signal.notify_one(),
                        // The connection dropped; the next call reconnects. Catch up meanwhile.
                        Ok(None) => signal.notify_one(),
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the replica listener; reconnecting");
                            break;
                        }
                    },
                    _ = shutdown.changed() => return,
                }
            }
        }
    });
}
