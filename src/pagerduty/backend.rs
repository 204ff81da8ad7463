//! PagerDuty as an incident backend of sitrep's API: the server's router, authentication,
//! request checks, idempotency and event stream serve it exactly as they serve the SQL
//! store; this file only translates. Incidents and their versions come from the poller's
//! listings and from PagerDuty's answers to reads and writes; the event log is kept in
//! memory (the console that started the gateway is its only reader).
use super::api::{PdClient, PdError};
use super::map::{self, Priorities, Versions};
use crate::client::Token;
use crate::domain::{
    Audience, Incident, IncidentPatch, NewIncident, NewNote, NewStatusUpdate, Role, StatusUpdate,
    TimelineEntry,
};
use crate::protocol::EventKind;
use crate::server::IncidentBackend;
use crate::server::backend::{Outage, WritesDown};
use crate::server::error::ApiError;
use crate::server::idempotency::Memo;
use crate::server::store::{
    Created, EventRecord, Idempotency, IncidentQuery, Listed, Principal, SignalRecord, Slice,
    UnreadableRow, hash_token,
};
use axum::http::StatusCode;
use chrono::Utc;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

/// Events kept for consoles that reconnect with `Last-Event-ID`.
const EVENT_LOG: usize = 2_000;

impl From<PdError> for ApiError {
    fn from(e: PdError) -> Self {
        let msg = crate::sanitize::clean_line(&e.to_string());
        let (status, code) = match e {
            PdError::Unreachable(_) => (StatusCode::SERVICE_UNAVAILABLE, "pagerduty_unreachable"),
            PdError::RateLimited { .. } => (StatusCode::SERVICE_UNAVAILABLE, "rate_limited"),
            PdError::Decode(_) => (StatusCode::BAD_GATEWAY, "pagerduty_error"),
            PdError::Status { status, .. } => match status {
                401 | 403 => (StatusCode::FORBIDDEN, "pagerduty_refused"),
                404 => (StatusCode::NOT_FOUND, "not_found"),
                400..=499 => (StatusCode::UNPROCESSABLE_ENTITY, "pagerduty_refused"),
                _ => (StatusCode::BAD_GATEWAY, "pagerduty_error"),
            },
        };
        ApiError::new(status, code, msg)
    }
}

struct Inner {
    versions: Versions,
    listed: BTreeSet<String>,
    priorities: Option<Priorities>,
    seq: i64,
    log: VecDeque<EventRecord>,
    truncated: bool,
    /// The records the last poll could not read: left off the board, named in the list.
    unreadable: Vec<UnreadableRow>,
}

/// PagerDuty's incidents behind sitrep's API.
pub struct PdBackend {
    pd: PdClient,
    /// The one caller: the console that started the gateway, with the gateway's token.
    principal: Principal,
    inner: Mutex<Inner>,
    commits: Arc<Notify>,
    /// None while PagerDuty answers; the outage after a failed poll.
    health: watch::Sender<Option<Outage>>,
    /// Stops the poller.
    stop: watch::Sender<bool>,
    memo: Memo,
}

impl PdBackend {
    /// A backend that accepts `token` only: a commander acting as the From user, or a
    /// viewer when `read_only`.
    pub fn new(pd: PdClient, token: &Token, read_only: bool) -> PdBackend {
        let name = crate::sanitize::clean_line(pd.from().unwrap_or("pagerduty"));
        PdBackend {
            pd,
            principal: Principal {
                name,
                role: if read_only {
                    Role::Viewer
                } else {
                    Role::Commander
                },
                token_hash: hash_token(token.expose()),
            },
            inner: Mutex::new(Inner {
                versions: Versions::default(),
                listed: BTreeSet::new(),
                priorities: None,
                seq: 0,
                log: VecDeque::new(),
                truncated: false,
                unreadable: Vec::new(),
            }),
            commits: Arc::new(Notify::new()),
            health: watch::Sender::new(None),
            stop: watch::Sender::new(false),
            memo: Memo::default(),
        }
    }

    pub fn pd(&self) -> &PdClient {
        &self.pd
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn has_priorities(&self) -> bool {
        self.lock().priorities.is_some()
    }

    pub fn set_priorities(&self, p: Priorities) {
        self.lock().priorities = Some(p);
    }

    fn priorities(&self) -> Priorities {
        self.lock().priorities.clone().unwrap_or_default()
    }

    /// Fires when the gateway stops (the poller ends).
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// After a poll: None when PagerDuty answered, else why it did not. A refusal that
    /// asking again cannot change is said as what it is (`pagerduty_refused`, PagerDuty's
    /// status and message), not as a busy or unreachable server.
    pub fn set_health(&self, down: Option<&PdError>) {
        let down = down.map(|e| {
            let permanent = e.is_permanent();
            let mut message = e.to_string();
            if permanent {
                message.push_str(
                    "; sitrep stopped asking (retrying cannot change this answer): fix it and restart sitrep",
                );
            }
            Outage {
                code: if permanent {
                    "pagerduty_refused"
                } else {
                    "pagerduty_unreachable"
                },
                message: crate::sanitize::clean_line(&message),
                permanent,
            }
        });
        self.health.send_if_modified(|h| {
            if *h != down {
                *h = down;
                true
            } else {
                false
            }
        });
    }

    pub fn truncated(&self) -> bool {
        self.lock().truncated
    }

    fn publish(&self, inner: &mut Inner, kind: EventKind, incident_id: &str, data: String) {
        inner.seq += 1;
        inner.log.push_back(EventRecord {
            seq: inner.seq,
            kind: kind.as_str().to_string(),
            incident_id: incident_id.to_string(),
            data,
        });
        while inner.log.len() > EVENT_LOG {
            inner.log.pop_front();
        }
        self.commits.notify_one();
    }

    /// `incident.created` the first time the gateway sees an incident, `incident.updated`
    /// after that.
    fn publish_incident(&self, inner: &mut Inner, inc: &Incident, is_new: bool) {
        let kind = if is_new {
            EventKind::IncidentCreated
        } else {
            EventKind::IncidentUpdated
        };
        let data = serde_json::to_string(inc).unwrap_or_default();
        self.publish(inner, kind, &inc.id, data);
    }

    /// Takes one poll's incidents (and the records it could not read); returns how many
    /// are new or changed.
    pub fn apply_listing(
        &self,
        incidents: &[map::PdIncident],
        unreadable: Vec<UnreadableRow>,
        truncated: bool,
    ) -> usize {
        let mut inner = self.lock();
        let prios = inner.priorities.clone().unwrap_or_default();
        inner.truncated = truncated;
        inner.unreadable = unreadable;
        let mut changed = 0;
        for pd in incidents {
            let mapped = map::incident(pd, &prios, 0);
            let is_new = !inner.listed.contains(&mapped.id);
            let (inc, did_change) = inner.versions.stamp(mapped);
            if did_change {
                changed += 1;
                inner.listed.insert(inc.id.clone());
                self.publish_incident(&mut inner, &inc, is_new);
            }
        }
        changed
    }

    /// Reads one incident from PagerDuty now and publishes it if it changed (a verified
    /// webhook said it did).
    pub async fn refresh(&self, id: &str) -> Result<Incident, PdError> {
        let pd = self.pd.incident(id).await?;
        Ok(self.record(&pd))
    }

    /// Records an incident PagerDuty returned (after a write or a GET) and publishes it if
    /// it changed.
    fn record(&self, pd: &map::PdIncident) -> Incident {
        let mut inner = self.lock();
        let prios = inner.priorities.clone().unwrap_or_default();
        let mapped = map::incident(pd, &prios, 0);
        let is_new = inner.listed.insert(mapped.id.clone());
        let (inc, changed) = inner.versions.stamp(mapped);
        if changed {
            self.publish_incident(&mut inner, &inc, is_new);
        }
        inc
    }

    fn current(&self, id: &str) -> Option<Incident> {
        let inner = self.lock();
        inner
            .listed
            .contains(id)
            .then(|| inner.versions.current(id))
            .flatten()
    }

    /// PagerDuty writes act as a PagerDuty user: without one, say how to name it.
    fn needs_from_user(&self) -> Result<(), ApiError> {
        if self.pd.from().is_none() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "from_required",
                "PagerDuty writes need the email of a PagerDuty user: pass --pagerduty-from EMAIL or set PAGERDUTY_FROM",
            )
            .field("From"));
        }
        Ok(())
    }

    async fn apply_patch(
        &self,
        id: &str,
        if_match: i64,
        patch: &IncidentPatch,
    ) -> Result<Incident, ApiError> {
        self.needs_from_user()?;
        let plan = map::plan_patch(patch, &self.priorities())
            .map_err(|r| ApiError::invalid(&r.field, r.message))?;
        // PagerDuty has no versions; the gateway checks against what it last saw, so a change
        // someone made in PagerDuty since the console's copy is a conflict, not an overwrite.
        if let Some(cur) = self.current(id)
            && cur.version != if_match
        {
            let mut e = ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "version_mismatch",
                crate::sanitize::clean_line(&format!(
                    "{id} changed in PagerDuty since your copy (version {if_match}, now {})",
                    cur.version
                )),
            )
            .field("If-Match");
            e.current = serde_json::to_value(&cur).ok();
            return Err(e);
        }
        let pd = self
            .pd
            .update_incident(id, serde_json::Value::Object(plan.fields))
            .await?;
        if let Some(note) = &plan.note
            && let Err(e) = self.pd.add_note(id, note).await
        {
            // The change landed; only the note with its reason did not. Say so in the log.
            tracing::warn!(error = %e, incident = %id, "PagerDuty: the reason note was not added");
        }
        Ok(self.record(&pd))
    }

    /// An internal update is a PagerDuty note; a customer update is a PagerDuty status
    /// update stating scope, status and next steps.
    async fn create_update(
        &self,
        id: &str,
        req: &NewStatusUpdate,
    ) -> Result<StatusUpdate, ApiError> {
        self.needs_from_user()?;
        // The API's own checks (three statements for a customer update, 1 to 1440 minutes).
        req.validate()?;
        let clean = crate::sanitize::clean_text;
        let now = Utc::now();
        let u = if req.audience != Audience::Customer {
            let content =
                map::note_content(&req.impact_scope, &req.current_status, &req.next_steps);
            let note = self.pd.add_note(id, &content).await?;
            StatusUpdate {
                current_status: clean(req.current_status.trim()),
                impact_scope: clean(req.impact_scope.trim()),
                next_steps: clean(req.next_steps.trim()),
                ..map::note_update(id, &note)
            }
        } else {
            let message = map::status_message(
                &req.impact_scope,
                &req.current_status,
                &req.next_steps,
                req.next_update_in_minutes,
            );
            let su = self.pd.add_status_update(id, &message).await?;
            StatusUpdate {
                id: crate::sanitize::clean_line(&su.id),
                incident_id: crate::sanitize::clean_line(id),
                audience: Audience::Customer,
                impact_scope: clean(req.impact_scope.trim()),
                current_status: clean(req.current_status.trim()),
                next_steps: clean(req.next_steps.trim()),
                author: su
                    .sender
                    .and_then(|s| s.summary)
                    .or_else(|| self.pd.from().map(str::to_string))
                    .map(|s| crate::sanitize::clean_line(&s))
                    .unwrap_or_else(|| "PagerDuty".into()),
                posted_at: su.created_at.unwrap_or(now),
                next_update_due_at: req
                    .next_update_in_minutes
                    .map(|m| now + chrono::Duration::minutes(i64::from(m))),
            }
        };
        let mut inner = self.lock();
        let data = serde_json::to_string(&u).unwrap_or_default();
        self.publish(&mut inner, EventKind::UpdatePosted, id, data);
        Ok(u)
    }

    fn outage(&self) -> Option<Outage> {
        self.health.borrow().clone()
    }
}

/// One page of a list PagerDuty returns whole; the cursor is a position in it.
fn page_of<T>(all: Vec<T>, page: Slice) -> Listed<T> {
    let start = usize::try_from(page.after).unwrap_or(0);
    let limit = page.limit as usize;
    let total = all.len();
    let items: Vec<T> = all.into_iter().skip(start).take(limit).collect();
    Listed {
        items,
        unreadable: Vec::new(),
        more_after: (start + limit < total).then(|| (start + limit) as i64),
    }
}

#[async_trait::async_trait]
impl IncidentBackend for PdBackend {
    fn unsupported(&self, what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported",
            format!("PagerDuty has no {what}; this is not available with --backend pagerduty"),
        )
    }

    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, ApiError> {
        Ok((hash_token(token) == self.principal.token_hash).then(|| self.principal.clone()))
    }

    async fn live_token_hashes(&self, hashes: &[String]) -> Result<HashSet<String>, ApiError> {
        Ok(hashes
            .iter()
            .filter(|h| **h == self.principal.token_hash)
            .cloned()
            .collect())
    }

    async fn list_incidents(
        &self,
        q: &IncidentQuery,
    ) -> Result<(Listed<Incident>, Option<i64>), ApiError> {
        if let Some(down) = self.outage()
            && self.lock().listed.is_empty()
        {
            return Err(down.into());
        }
        let mut all: Vec<Incident> = {
            let inner = self.lock();
            inner
                .listed
                .iter()
                .filter_map(|id| inner.versions.current(id))
                .filter(|i| q.matches(i))
                .collect()
        };
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        let after = q.before.unwrap_or(0);
        let mut listed = page_of(
            all,
            Slice {
                after,
                limit: q.limit,
            },
        );
        // Named once, on the first page, as the SQL store names the rows it skips.
        if after == 0 {
            listed.unreadable = self.lock().unreadable.clone();
        }
        let next = listed.more_after;
        Ok((listed, next))
    }

    async fn incident(&self, id: &str) -> Result<Incident, ApiError> {
        let pd = self.pd.incident(id).await?;
        Ok(self.record(&pd))
    }

    async fn patch_incident(
        &self,
        who: &Principal,
        id: &str,
        if_match: i64,
        patch: &IncidentPatch,
        idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, ApiError> {
        self.memo
            .once(&who.name, idem, 200, self.apply_patch(id, if_match, patch))
            .await
    }

    async fn create_incident(
        &self,
        _actor: &str,
        _req: &NewIncident,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, ApiError> {
        Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported",
            "declaring incidents is not available with --backend pagerduty: PagerDuty needs a service and escalation policy; trigger it in PagerDuty",
        ))
    }

    async fn timeline(&self, id: &str, page: Slice) -> Result<Listed<TimelineEntry>, ApiError> {
        let entries = self.pd.log_entries(id).await?;
        let mut listed = page_of(map::timeline(id, &entries.items), page);
        if page.after == 0 {
            listed.unreadable = entries.unreadable;
        }
        Ok(listed)
    }

    async fn add_note(
        &self,
        _who: &Principal,
        _id: &str,
        _req: &NewNote,
        _idem: Option<&Idempotency>,
    ) -> Result<Created<TimelineEntry>, ApiError> {
        Err(ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "unsupported",
            "timeline notes are not available with --backend pagerduty: post an internal update (it becomes a PagerDuty note)",
        ))
    }

    async fn updates(&self, id: &str, page: Slice) -> Result<Listed<StatusUpdate>, ApiError> {
        let notes = self.pd.notes(id).await?;
        let mut items: Vec<StatusUpdate> = notes
            .items
            .iter()
            .map(|n| map::note_update(id, n))
            .collect();
        items.sort_by_key(|u| u.posted_at);
        let mut listed = page_of(items, page);
        if page.after == 0 {
            listed.unreadable = notes.unreadable;
        }
        Ok(listed)
    }

    async fn post_update(
        &self,
        who: &Principal,
        id: &str,
        req: &NewStatusUpdate,
        idem: Option<&Idempotency>,
    ) -> Result<Created<StatusUpdate>, ApiError> {
        self.memo
            .once(&who.name, idem, 201, self.create_update(id, req))
            .await
    }

    async fn signals(&self, _id: &str, _page: Slice) -> Result<Listed<SignalRecord>, ApiError> {
        Err(self.unsupported(
            "monitoring signals in sitrep's form (see the incident's alerts in PagerDuty)",
        ))
    }

    fn watch_commits(&self, _shutdown: watch::Receiver<bool>) -> Arc<Notify> {
        self.commits.clone()
    }

    async fn events_page(
        &self,
        after: i64,
        max_rows: i64,
        max_bytes: usize,
    ) -> Result<Vec<EventRecord>, ApiError> {
        let inner = self.lock();
        let mut page = Vec::new();
        let mut bytes = 0;
        let from = inner.log.partition_point(|e| e.seq <= after);
        for ev in inner.log.range(from..) {
            if page.len() as i64 >= max_rows
                || (!page.is_empty() && bytes + ev.data.len() > max_bytes)
            {
                break;
            }
            bytes += ev.data.len();
            page.push(ev.clone());
        }
        Ok(page)
    }

    async fn event_bounds(&self) -> Result<Option<(i64, i64)>, ApiError> {
        let inner = self.lock();
        Ok(inner
            .log
            .front()
            .zip(inner.log.back())
            .map(|(a, b)| (a.seq, b.seq)))
    }

    fn outages(&self) -> Option<watch::Receiver<Option<Outage>>> {
        Some(self.health.subscribe())
    }

    async fn write_status(&self) -> Result<(), WritesDown> {
        match self.outage() {
            None => Ok(()),
            Some(down) => Err(WritesDown {
                reason: down.message,
                retry_after: 5,
            }),
        }
    }
}
