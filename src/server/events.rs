//! The live event stream. A pump reads each commit's new rows from the durable event log
//! into a shared window of recent events (`hub`); every subscriber replays from the log
//! first (Last-Event-ID), one page bounded by bytes at a time, then follows the window,
//! reading the log again whenever it falls behind the window. The log, not the window, is
//! the source of truth, so nothing is lost or repeated.
//!
//! What one subscriber holds is bounded whatever the size of events: at most one page
//! (`hub::PAGE_BYTES`) while it replays, one event while it follows, and what the
//! connection buffers (see `server::connections`); a subscriber that stops reading is cut
//! off by the connection's write-stall timeout and resumes later with Last-Event-ID.
//!
//! A stream ends within about a second when its token is revoked (`gate`).
mod gate;
mod hub;

pub use gate::DEFAULT_STREAMS_PER_TOKEN;
pub use hub::Hub;

use super::AppState;
use super::auth::Auth;
use super::error::{ApiError, ErrorBody};
use super::store::EventRecord;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use hub::Next;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::IntoParams;

pub use crate::protocol::{HEARTBEAT_HEADER, RUN_HEADER};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Resume after this event id (the same as the Last-Event-ID header).
    #[param(value_type = Option<i64>, minimum = 0)]
    last_event_id: Option<String>,
}

fn to_sse(ev: &EventRecord) -> Event {
    Event::default()
        .id(ev.seq.to_string())
        .event(&ev.kind)
        .data(&ev.data)
}

fn parse_last_id(raw: &str, field: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::invalid(field, format!("{field} must be a non-negative event id")))
}

/// Where a stream starts, and whether the client must re-list first (`reset`): the log no
/// longer holds the events right after the client's id, the id is from another database, or it
/// was handed out before the database was restored from a backup (below `floor`).
fn resume_point(last_id: Option<i64>, bounds: Option<(i64, i64)>, floor: i64) -> (i64, bool) {
    let newest = bounds.map_or(0, |(_, max)| max);
    match (last_id, bounds) {
        (None, _) => (newest, false),
        (Some(id), _) if id < floor => (newest.max(floor), true),
        (Some(id), _) if id == floor && newest <= floor => (floor, false),
        (Some(id), None) => (floor, id > floor),
        // The log no longer holds the events right after `id`, or `id` is from another
        // database: the client must re-list.
        (Some(id), Some((min, max))) if id > max || id < min - 1 => (max.max(floor), true),
        (Some(id), Some(_)) => (id, false),
    }
}

/// One page of the log after `cursor`, read before the token is re-checked, so no event
/// committed after a revocation is sent; None when the token is no longer live.
async fn read_page(
    store: &dyn super::backend::IncidentBackend,
    cursor: i64,
    token_hash: &str,
) -> Result<Option<Vec<EventRecord>>, ApiError> {
    let page = store
        .events_page(cursor, hub::PAGE_ROWS, hub::PAGE_BYTES)
        .await?;
    let live = store.live_token_hashes(&[token_hash.to_string()]).await?;
    Ok(live.contains(token_hash).then_some(page))
}

/// Live changes as Server-Sent Events. Each event's `id` is its sequence number in the
/// event log; reconnect with `Last-Event-ID` to receive everything missed, in order. An id
/// the log no longer keeps yields `event: reset`: re-list, then continue from its id.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id", pattern = "^[0-9]{1,18}$"),
        ("Sitrep-Run" = Option<String>, Header, description = "The `Sitrep-Run` of the stream that event id came from; when this database does not know that run as the one that handed out the id (it was put back from an older copy), the stream starts with `reset`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream of `incident.created`, `incident.updated`, `update.posted`, `action.created`, `action.updated`, `exception.created` and `reset` events. An idle stream carries a `heartbeat` comment every `Sitrep-Heartbeat` seconds; a client that hears nothing for twice that long should reconnect.", content_type = "text/event-stream",
            headers(("Sitrep-Heartbeat" = u64, description = "Seconds between heartbeats on an idle stream"),
                ("Sitrep-Run" = String, description = "This server run; send it back with Last-Event-ID when resuming"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "The token already holds its limit of open streams (`serve --max-streams-per-token`, 32 by default); retry after Retry-After seconds", body = ErrorBody)))]
pub async fn events(
    State(st): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    params: Result<Query<EventParams>, axum::extract::rejection::QueryRejection>,
) -> Result<
    (
        axum::http::HeaderMap,
        Sse<impl Stream<Item = Result<Event, Infallible>>>,
    ),
    ApiError,
> {
    let Query(p) = params.map_err(super::routes::incidents::query_rejection)?;
    // A source that is down (PagerDuty unreachable) refuses new streams until it is back.
    let mut outages = st.backend.outages();
    if let Some(down) = outages.as_ref().and_then(|o| o.borrow().clone()) {
        return Err(down.into());
    }
    // Both are checked, so a bad value is reported even when the other one is fine; the
    // header (what browsers and reconnecting clients send) wins.
    let from_query = p
        .last_event_id
        .as_deref()
        .map(|s| parse_last_id(s, "last_event_id"))
        .transpose()?;
    let from_header = headers
        .get("last-event-id")
        .map(|v| parse_last_id(v.to_str().unwrap_or("x"), "Last-Event-ID"))
        .transpose()?;
    let last_id = from_header.or(from_query);
    // Register with the gate and watch the window before reading the log, so nothing
    // committed in between is missed; then check the token once more, since a revocation
    // between its authentication and the registration is seen by no sweep.
    let mut pass = st.hub.gate.register(&auth.0.token_hash).map_err(|full| {
        ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_streams",
            format!(
                "this token already has {} event streams open, its limit; close one (or give each client its own token) and retry",
                full.open
            ),
        )
        .field("Authorization")
        .retry_after(5)
    })?;
    let mut newest = st.hub.watch();
    let live = st
        .backend
        .live_token_hashes(std::slice::from_ref(&auth.0.token_hash))
        .await?;
    if !live.contains(&auth.0.token_hash) {
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unknown, revoked or expired token",
        )
        .field("Authorization"));
    }
    // Ids below the epoch's base were handed out before the database was restored from a
    // backup: they may name other events now (see store::epoch).
    let floor = st.backend.event_base().await? - 1;
    let bounds = st.backend.event_bounds().await?;
    // An id from a run this database does not know as its source (it was put back from an
    // older copy): the client re-lists everything.
    let run_unknown = match (last_id, headers.get(RUN_HEADER)) {
        (Some(id), Some(run)) => {
            !st.backend
                .run_covers(run.to_str().unwrap_or(""), id)
                .await?
        }
        _ => false,
    };
    let (mut cursor, reset) = if run_unknown {
        (bounds.map_or(0, |(_, max)| max).max(floor), true)
    } else {
        resume_point(last_id, bounds, floor)
    };
    // Only pruned: the client's id is of this database and epoch, so everything it missed
    // is a change made since then, and catching up on the incidents changed since its
    // newest one suffices. Otherwise (another database, a restored backup, a copy put
    // back) it re-lists all.
    let relist = match (last_id, bounds) {
        (Some(id), Some((_, max))) if !run_unknown && id >= floor && id <= max => "changes",
        _ => "all",
    };
    let reset_data = format!(
        "{{\"reason\":\"the event log no longer holds that id; re-list\",\"relist\":\"{relist}\"}}"
    );
    let store = st.backend.clone();
    let hub = st.hub.clone();
    let token_hash = auth.0.token_hash;
    let mut shutdown = st.shutdown.clone();
    let stream = async_stream::stream! {
        // A client that came without an id learns the stream's position at once, even
        // before any event: should it reconnect, it resumes from there (and learns whether
        // it missed anything) instead of re-listing everything.
        let opening = Event::default().retry(Duration::from_millis(2000));
        yield Ok(if last_id.is_none() { opening.id(cursor.to_string()) } else { opening });
        if reset {
            yield Ok(Event::default().id(cursor.to_string()).event(crate::protocol::EventKind::Reset.as_str()).data(reset_data.clone()));
        }
        loop {
            if pass.is_revoked() || outages.as_ref().is_some_and(|o| o.borrow().is_some()) {
                break;
            }
            match hub.next_after(cursor) {
                Next::Event(ev) => {
                    cursor = ev.seq;
                    yield Ok(to_sse(&ev));
                }
                Next::Behind => {
                    // Catch up from the durable log, one page bounded by bytes at a time.
                    let page = match read_page(store.as_ref(), cursor, &token_hash).await {
                        Ok(Some(p)) => p,
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "event stream could not read the log");
                            break;
                        }
                    };
                    if page.is_empty() {
                        // The window moved past events the log no longer holds (pruned):
                        // wait for the next commit rather than spin.
                        tokio::select! {
                            r = newest.changed() => if r.is_err() { break },
                            _ = pass.revoked() => break,
                            _ = shutdown.changed() => break,
                            _ = super::backend::outage(&mut outages) => break,
                        }
                        continue;
                    }
                    // Moved out one by one: what was sent is freed as the page goes.
                    for ev in page {
                        cursor = ev.seq;
                        yield Ok(to_sse(&ev));
                    }
                }
                Next::UpToDate => {
                    tokio::select! {
                        r = newest.changed() => if r.is_err() { break },
                        _ = pass.revoked() => break,
                        _ = shutdown.changed() => break,
                        _ = super::backend::outage(&mut outages) => break,
                    }
                }
            }
        }
    };
    // Clients size their silence limit from this (twice the heartbeat).
    let mut head = axum::http::HeaderMap::new();
    head.insert(HEARTBEAT_HEADER, st.heartbeat.as_secs().max(1).into());
    if let Some(v) = st
        .backend
        .run()
        .and_then(|r| axum::http::HeaderValue::from_str(&r).ok())
    {
        head.insert(RUN_HEADER, v);
    }
    Ok((
        head,
        Sse::new(stream).keep_alive(KeepAlive::new().interval(st.heartbeat).text("heartbeat")),
    ))
}
