//! The live event stream. A pump reads each commit's new rows from the durable event log
//! and broadcasts them; every subscriber replays from the log first (Last-Event-ID), then
//! follows the broadcast, falling back to the log whenever it lags or sees a gap. The log,
//! not the broadcast, is the source of truth, so nothing is lost or repeated.
use super::AppState;
use super::auth::Auth;
use super::error::{ApiError, ErrorBody};
use super::store::{EventRecord, Store};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};
use utoipa::IntoParams;

const BATCH: i64 = 500;
/// The response header that gives the heartbeat in seconds (the client's
/// `HEARTBEAT_HEADER`; tests/faults.rs checks the two agree).
pub const HEARTBEAT_HEADER: &str = "sitrep-heartbeat";

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<EventRecord>>,
}

impl Hub {
    /// Starts the pump that broadcasts newly committed events until `shutdown` fires.
    pub async fn start(store: Store, mut shutdown: watch::Receiver<bool>) -> Result<Hub, ApiError> {
        let (tx, _) = broadcast::channel(4096);
        let hub = Hub { tx: tx.clone() };
        let mut cursor = store.event_bounds().await?.map_or(0, |(_, max)| max);
        let signal: Arc<Notify> = store.commit_signal();
        if let Some(url) = store.postgres_url() {
            spawn_pg_listener(url.to_string(), signal.clone(), shutdown.clone());
        }
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = signal.notified() => {}
                    _ = shutdown.changed() => return,
                }
                loop {
                    match store.events_after(cursor, BATCH).await {
                        Ok(batch) => {
                            let full = batch.len() as i64 == BATCH;
                            for ev in batch {
                                cursor = ev.seq;
                                // No subscribers is fine: the log keeps everything.
                                let _ = tx.send(Arc::new(ev));
                            }
                            if !full {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event pump could not read the log; retrying");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            }
        });
        Ok(hub)
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<EventRecord>> {
        self.tx.subscribe()
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
                l.listen(super::store::EVENTS_CHANNEL).await?;
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

/// Live changes as Server-Sent Events. Each event's `id` is its sequence number in the
/// event log; reconnect with `Last-Event-ID` to receive everything missed, in order. An id
/// the log no longer keeps yields `event: reset`: re-list, then continue from its id.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id", pattern = "^[0-9]{1,18}$")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream of `incident.created`, `incident.updated`, `update.posted`, `action.created`, `action.updated`, `exception.created` and `reset` events. An idle stream carries a `heartbeat` comment every `Sitrep-Heartbeat` seconds; a client that hears nothing for twice that long should reconnect.", content_type = "text/event-stream",
            headers(("Sitrep-Heartbeat" = u64, description = "Seconds between heartbeats on an idle stream"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn events(
    State(st): State<AppState>,
    _auth: Auth,
    headers: HeaderMap,
    params: Result<Query<EventParams>, axum::extract::rejection::QueryRejection>,
) -> Result<
    (
        [(axum::http::HeaderName, String); 1],
        Sse<impl Stream<Item = Result<Event, Infallible>>>,
    ),
    ApiError,
> {
    let Query(p) = params.map_err(super::routes::incidents::query_rejection)?;
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
    // Subscribe before reading the log, so nothing committed in between is missed.
    let mut rx = st.hub.subscribe();
    let bounds = st.store.event_bounds().await?;
    let newest = bounds.map_or(0, |(_, max)| max);
    // Ids below the epoch's base were handed out before the database was restored from a
    // backup: they may name other events now (see store::epoch).
    let floor = st.store.event_base().await? - 1;
    let (mut cursor, reset) = match (last_id, bounds) {
        (None, _) => (newest, false),
        (Some(id), _) if id < floor => (newest.max(floor), true),
        (Some(id), _) if id == floor && newest <= floor => (floor, false),
        (Some(id), None) => (floor, id > floor),
        // The log no longer holds the events right after `id`, or `id` is from another
        // database: the client must re-list.
        (Some(id), Some((min, max))) if id > max || id < min - 1 => (max.max(floor), true),
        (Some(id), Some(_)) => (id, false),
    };
    let store = st.store.clone();
    let mut shutdown = st.shutdown.clone();
    let stream = async_stream::stream! {
        yield Ok(Event::default().retry(Duration::from_millis(2000)));
        if reset {
            yield Ok(Event::default().id(cursor.to_string()).event("reset").data("{\"reason\":\"the event log no longer holds that id; re-list\"}"));
        }
        'outer: loop {
            // Catch up from the durable log.
            loop {
                let batch = match store.events_after(cursor, BATCH).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "event stream could not read the log");
                        break 'outer;
                    }
                };
                let full = batch.len() as i64 == BATCH;
                for ev in &batch {
                    cursor = ev.seq;
                    yield Ok(to_sse(ev));
                }
                if !full {
                    break;
                }
            }
            // Follow live events until a lag or a gap sends us back to the log.
            loop {
                tokio::select! {
                    msg = rx.recv() => match msg {
                        Ok(ev) if ev.seq <= cursor => continue,
                        Ok(ev) if ev.seq == cursor + 1 => {
                            cursor = ev.seq;
                            yield Ok(to_sse(&ev));
                        }
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue 'outer,
                        Err(broadcast::error::RecvError::Closed) => break 'outer,
                    },
                    _ = shutdown.changed() => break 'outer,
                }
            }
        }
    };
    // Clients size their silence limit from this (twice the heartbeat).
    let heartbeat = [(
        axum::http::HeaderName::from_static(HEARTBEAT_HEADER),
        st.heartbeat.as_secs().max(1).to_string(),
    )];
    Ok((
        heartbeat,
        Sse::new(stream).keep_alive(KeepAlive::new().interval(st.heartbeat).text("heartbeat")),
    ))
}
