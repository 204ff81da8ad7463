//! The incident backend: everything the API's routes need from wherever incidents live.
//!
//! The router (`server::router`) holds one `Arc<dyn IncidentBackend>` and does the HTTP
//! part itself, the same for every backend: bearer authentication and roles (`auth`),
//! request bodies, `If-Match` and `Idempotency-Key` (`extract`), JSON errors (`error`),
//! ETags and idempotent replays (`routes::answer`), and the live event stream with
//! `Last-Event-ID` resumption, heartbeats and per-token stream caps (`events`). A backend
//! answers in domain types and `ApiError`s.
//!
//! Two backends exist: the SQL store (`store::Store`, SQLite or PostgreSQL; `sitrep serve`
//! and the embedded console) and PagerDuty (`crate::pagerduty::PdBackend`). A method a
//! backend does not implement answers 501 `unsupported`, naming what is missing
//! ([`IncidentBackend::unsupported`]), so a console shows "not available here" in the pane
//! instead of an empty list or a retry loop.
use super::error::ApiError;
use super::store::{
    ActionKey, ActionQuery, Created, EventRecord, Idempotency, IncidentQuery, IngestOutcome,
    Listed, Principal, SignalRecord, Slice,
};
use crate::domain::{
    ActionPatch, CorrectiveAction, Incident, IncidentPatch, NewAction, NewException, NewIncident,
    NewNote, NewStatusUpdate, RiskException, Signal, StatusUpdate, TimelineEntry,
};
use axum::http::StatusCode;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{Notify, watch};

/// What the live event stream needs to know about a source that can go away (PagerDuty):
/// while one is present, open streams end and new ones are refused with 503, so a console
/// says it is reconnecting instead of showing a silently stale board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    /// Machine-readable, e.g. `pagerduty_unreachable`.
    pub code: &'static str,
    /// Why, in a sentence a person can act on.
    pub message: String,
    /// The source refused rather than failed (PagerDuty's 406, 401 …): asking again will
    /// not help, so it is a 502 without `Retry-After`, not "busy, retry in 2 s".
    pub permanent: bool,
}

impl From<Outage> for ApiError {
    fn from(o: Outage) -> Self {
        if o.permanent {
            return ApiError::new(StatusCode::BAD_GATEWAY, o.code, o.message);
        }
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, o.code, o.message).retry_after(2)
    }
}

/// Why writes cannot be stored right now (for `/health`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritesDown {
    pub reason: String,
    /// Seconds before checking again.
    pub retry_after: u64,
}

/// An incident store the API can serve. Required: reading incidents, their timeline and
/// status updates, changing an incident, posting an update, the event log, and tokens.
/// Everything else has a default that answers [`IncidentBackend::unsupported`].
///
/// Writes take the caller (`actor` name or the whole `Principal`), the request already
/// parsed and validated by the route, and the optional idempotency key with the request's
/// fingerprint; they return `Created::New` or, for a key seen before with the same
/// request, `Created::Replayed` with the first answer (a key reused for another request
/// is `idempotency_key_reused`; see `server::idempotency::Memo` for a backend without a
/// database of its own). Every write that changes something appends to the event log, so
/// subscribers hear of it.
#[async_trait::async_trait]
pub trait IncidentBackend: Send + Sync + 'static {
    /// The refusal for what this backend has no place for: 501 `unsupported`, naming it.
    fn unsupported(&self, what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported",
            format!("this server has no {what}"),
        )
    }

    // --- who is calling ---

    /// The owner of a bearer token; None for an unknown, revoked or expired one.
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, ApiError>;
    /// Which of these token hashes are still live (an open event stream ends when its
    /// token's hash drops out).
    async fn live_token_hashes(&self, hashes: &[String]) -> Result<HashSet<String>, ApiError>;

    /// The secret the public status page keys its incident and update keys with. It must
    /// be the same for every server showing the same incidents (feed entry ids and page
    /// anchors stay stable) and unknown to the public. The default is random per process:
    /// stable for a backend's lifetime, new after a restart (the SQL store keeps one in
    /// its database).
    async fn status_page_secret(&self) -> Result<[u8; 32], ApiError> {
        static SECRET: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
        Ok(*SECRET.get_or_init(rand::random))
    }

    // --- incidents ---

    /// A page of incidents, newest first, and the cursor position after it when more follow.
    async fn list_incidents(
        &self,
        q: &IncidentQuery,
    ) -> Result<(Listed<Incident>, Option<i64>), ApiError>;
    async fn incident(&self, id: &str) -> Result<Incident, ApiError>;
    /// Applies a checked patch if the incident is still at `if_match` (412 with `current`
    /// otherwise). Rules that depend on the incident as it is (roles, closing) are decided
    /// here, atomically with the write.
    async fn patch_incident(
        &self,
        who: &Principal,
        id: &str,
        if_match: i64,
        patch: &IncidentPatch,
        idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, ApiError>;
    async fn create_incident(
        &self,
        _actor: &str,
        _req: &NewIncident,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, ApiError> {
        Err(self.unsupported("declaring incidents"))
    }
    /// The incident's timeline, oldest first.
    async fn timeline(&self, id: &str, page: Slice) -> Result<Listed<TimelineEntry>, ApiError>;
    async fn add_note(
        &self,
        _who: &Principal,
        _id: &str,
        _req: &NewNote,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<TimelineEntry>, ApiError> {
        Err(self.unsupported("timeline notes"))
    }

    // --- status updates ---

    async fn updates(&self, id: &str, page: Slice) -> Result<Listed<StatusUpdate>, ApiError>;
    async fn post_update(
        &self,
        who: &Principal,
        id: &str,
        req: &NewStatusUpdate,
        idem: Option<&Idempotency>,
    ) -> Result<Created<StatusUpdate>, ApiError>;

    // --- corrective actions ---

    async fn incident_actions(
        &self,
        _id: &str,
        _page: Slice,
    ) -> Result<Listed<CorrectiveAction>, ApiError> {
        Err(self.unsupported("corrective actions"))
    }
    async fn actions(
        &self,
        _q: &ActionQuery,
    ) -> Result<(Listed<CorrectiveAction>, Option<ActionKey>), ApiError> {
        Err(self.unsupported("corrective actions"))
    }
    async fn action(&self, _id: &str) -> Result<CorrectiveAction, ApiError> {
        Err(self.unsupported("corrective actions"))
    }
    async fn create_action(
        &self,
        _actor: &str,
        _id: &str,
        _req: &NewAction,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<CorrectiveAction>, ApiError> {
        Err(self.unsupported("corrective actions"))
    }
    async fn patch_action(
        &self,
        _who: &Principal,
        _id: &str,
        _if_match: i64,
        _patch: &ActionPatch,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<CorrectiveAction>, ApiError> {
        Err(self.unsupported("corrective actions"))
    }

    // --- exceptions (risk acceptance) ---

    async fn exceptions(&self, _id: &str, _page: Slice) -> Result<Listed<RiskException>, ApiError> {
        Err(self.unsupported("exceptions (risk acceptance)"))
    }
    async fn create_exception(
        &self,
        _actor: &str,
        _id: &str,
        _req: &NewException,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<RiskException>, ApiError> {
        Err(self.unsupported("exceptions (risk acceptance)"))
    }

    // --- the audit trail of administration ---

    async fn admin_events(
        &self,
        _page: Slice,
    ) -> Result<Listed<crate::server::store::audit::AdminEvent>, ApiError> {
        Err(self.unsupported("audit trail"))
    }

    // --- monitoring signals ---

    async fn ingest_signal(
        &self,
        _actor: &str,
        _signal: &Signal,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<IngestOutcome>, ApiError> {
        Err(self.unsupported("alert ingestion"))
    }
    async fn signals(&self, _id: &str, _page: Slice) -> Result<Listed<SignalRecord>, ApiError> {
        Err(self.unsupported("monitoring signals"))
    }

    // --- the event log behind `/events` ---

    /// Notified after every change that appended events (the stream's pump then reads
    /// `events_page`). Called once when the server starts; `shutdown` ends whatever the
    /// backend starts to hear of changes made elsewhere (other replicas).
    fn watch_commits(&self, shutdown: watch::Receiver<bool>) -> Arc<Notify>;
    /// Events after `after`, in order: at most `max_rows`, and at most `max_bytes` of data
    /// unless the first event alone is larger.
    async fn events_page(
        &self,
        after: i64,
        max_rows: i64,
        max_bytes: usize,
    ) -> Result<Vec<EventRecord>, ApiError>;
    /// The oldest and newest event ids the log still holds; None when it is empty.
    async fn event_bounds(&self) -> Result<Option<(i64, i64)>, ApiError>;
    /// Ids below this were handed out before the log was restored from a backup: a client
    /// resuming from one must re-list.
    async fn event_base(&self) -> Result<i64, ApiError> {
        Ok(1)
    }
    /// The run this server names on event streams (`Sitrep-Run`), so a client can say which
    /// run its last event id came from; None: this backend's ids are not tied to runs.
    fn run(&self) -> Option<Arc<str>> {
        None
    }
    /// Whether an id a client saw from `run` names the same event here; false when the log
    /// was put back from an older copy since (see `store::runs`).
    async fn run_covers(&self, _run: &str, _id: i64) -> Result<bool, ApiError> {
        Ok(true)
    }
    /// A source that can go away announces it here (see [`Outage`]); None: it cannot.
    fn outages(&self) -> Option<watch::Receiver<Option<Outage>>> {
        None
    }

    // --- health ---

    /// Whether a write could be stored now.
    async fn write_status(&self) -> Result<(), WritesDown>;
}

/// Resolves when `outages` reports one (never when the backend has none to report).
pub(crate) async fn outage(outages: &mut Option<watch::Receiver<Option<Outage>>>) {
    match outages {
        Some(rx) => {
            // A closed channel means the backend is gone: end as well.
            let _ = rx.wait_for(Option::is_some).await;
        }
        None => std::future::pending().await,
    }
}
