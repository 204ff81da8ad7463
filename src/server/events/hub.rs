//! The pump and the shared window of recent events. The pump reads each commit's new rows
//! from the durable event log, page by page, and appends them to a window that every live
//! subscriber reads from, so a new event costs one database read however many subscribers
//! there are. The window is bounded by bytes, not rows: whatever the size of events, it
//! holds at most `RECENT_BYTES`, and a subscriber that falls behind it reads the log
//! itself, one bounded page at a time.
use super::gate::Gate;
use crate::server::backend::IncidentBackend;
use crate::server::error::ApiError;
use crate::server::store::EventRecord;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// At most this many rows per read of the log.
pub const PAGE_ROWS: i64 = 500;
/// At most this many bytes of event data per read of the log (one event larger than this
/// is read alone): what one replaying subscriber holds at a time.
pub const PAGE_BYTES: usize = 64 * 1024;
/// The window of recent events shared by all live subscribers.
const RECENT_BYTES: usize = 2 * 1024 * 1024;
const RECENT_ROWS: usize = 1024;

/// Every event of the log with a sequence number in `(floor, last]`, in order.
struct Recent {
    floor: i64,
    events: VecDeque<Arc<EventRecord>>,
    bytes: usize,
}

impl Recent {
    fn push(&mut self, ev: EventRecord) {
        self.bytes += ev.data.len();
        self.events.push_back(Arc::new(ev));
        while self.events.len() > 1
            && (self.bytes > RECENT_BYTES || self.events.len() > RECENT_ROWS)
        {
            if let Some(old) = self.events.pop_front() {
                self.bytes -= old.data.len();
                self.floor = old.seq;
            }
        }
    }
}

/// What the window holds after a cursor.
pub enum Next {
    /// The next event after the cursor.
    Event(Arc<EventRecord>),
    /// Nothing after the cursor yet.
    UpToDate,
    /// The window no longer reaches back to the cursor: read the log.
    Behind,
}

#[derive(Clone)]
pub struct Hub {
    recent: Arc<Mutex<Recent>>,
    newest: watch::Sender<i64>,
    pub(super) gate: Gate,
}

impl Hub {
    /// Starts the pump that publishes newly committed events until `shutdown` fires.
    pub async fn start(
        store: Arc<dyn IncidentBackend>,
        streams_per_token: usize,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<Hub, ApiError> {
        let mut cursor = store.event_bounds().await?.map_or(0, |(_, max)| max);
        let hub = Hub {
            recent: Arc::new(Mutex::new(Recent {
                floor: cursor,
                events: VecDeque::new(),
                bytes: 0,
            })),
            newest: watch::Sender::new(cursor),
            gate: Gate::new(streams_per_token),
        };
        hub.gate.spawn_sweeps(store.clone(), shutdown.clone());
        let signal: Arc<Notify> = store.watch_commits(shutdown.clone());
        let pump = hub.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = signal.notified() => {}
                    _ = shutdown.changed() => return,
                }
                loop {
                    let read = async {
                        let page = store.events_page(cursor, PAGE_ROWS, PAGE_BYTES).await?;
                        // Revocations committed before these events end their streams
                        // before the events are published.
                        if !page.is_empty() {
                            pump.gate.sweep(store.as_ref()).await?;
                        }
                        Ok::<_, ApiError>(page)
                    };
                    match read.await {
                        Ok(page) if page.is_empty() => break,
                        Ok(page) => cursor = pump.publish(page),
                        Err(e) => {
                            tracing::warn!(error = %e, "event pump could not read the log; retrying");
                            tokio::select! {
                                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                                _ = shutdown.changed() => return,
                            }
                        }
                    }
                }
            }
        });
        Ok(hub)
    }

    /// Appends a page read from the log and wakes the subscribers; returns its last seq.
    fn publish(&self, page: Vec<EventRecord>) -> i64 {
        let mut last = *self.newest.borrow();
        {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            for ev in page {
                last = ev.seq;
                recent.push(ev);
            }
        }
        self.newest.send_replace(last);
        last
    }

    /// Event streams open on this server now.
    pub fn subscribers(&self) -> usize {
        self.gate.streams()
    }

    /// Wakes whenever events after what it has seen are published.
    pub fn watch(&self) -> watch::Receiver<i64> {
        self.newest.subscribe()
    }

    /// The event right after `cursor`, if the window holds it.
    pub fn next_after(&self, cursor: i64) -> Next {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if cursor < recent.floor {
            return Next::Behind;
        }
        let at = recent.events.partition_point(|e| e.seq <= cursor);
        match recent.events.get(at) {
            Some(ev) => Next::Event(ev.clone()),
            None => Next::UpToDate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: i64, size: usize) -> EventRecord {
        EventRecord {
            seq,
            kind: "incident.updated".into(),
            incident_id: "INC-1".into(),
            data: "x".repeat(size),
        }
    }

    #[test]
    fn the_window_is_bounded_by_bytes_and_knows_where_it_starts() {
        let mut r = Recent {
            floor: 10,
            events: VecDeque::new(),
            bytes: 0,
        };
        for seq in 11..=200 {
            r.push(ev(seq, 40_000));
        }
        assert!(r.bytes <= RECENT_BYTES, "{}", r.bytes);
        assert_eq!(r.floor, r.events[0].seq - 1);
        assert_eq!(r.events.back().unwrap().seq, 200);
        // One event larger than the whole window is still kept, alone.
        r.push(ev(201, RECENT_BYTES * 2));
        assert_eq!((r.events.len(), r.floor), (1, 200));
    }
}
