//! How current the data is: the live connection, when the data was last confirmed, loads,
//! the clock (the server's, measured), records the client had to skip, and the outbox.
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The live connection, for the header (guarantee G1: never silently stale).
#[derive(Debug, Clone, PartialEq)]
pub enum Conn {
    Connecting,
    Live,
    Reconnecting { since: DateTime<Utc>, error: String },
}

/// Data not confirmed current for this long, while the stream is down, is STALE rather than
/// RECONNECTING: twice the server's heartbeat. This is the default heartbeat's (10 s); the
/// live subscription replaces it with what the server says (`LiveMsg::SilenceLimit`).
pub const STALE_AFTER_SECS: i64 = 20;

pub struct SyncStatus {
    /// The server's time as this console knows it (`clock_offset` included).
    pub now: DateTime<Utc>,
    pub conn: Conn,
    /// When the data was last known to be current (a live event, heartbeat or full load).
    pub as_of: Option<DateTime<Utc>>,
    pub loaded: bool,
    pub loading: bool,
    /// When the load on its way was asked for: everything committed before then is in it.
    pub load_asked: Option<DateTime<Utc>>,
    /// When the last load that landed was asked for: a reconnect's delta starts there at
    /// the latest, even when the console holds no incident to date it by.
    pub whole_at: Option<DateTime<Utc>>,
    /// See [`STALE_AFTER_SECS`].
    pub stale_after: chrono::Duration,
    /// The stream is up but events may have been missed (first connection, lost history):
    /// not LIVE until the full re-list lands.
    pub resyncing: bool,
    /// Records the client had to skip, by where they came from (`lists`, `detail`,
    /// `events`); the header counts them so a commander knows the board is incomplete.
    pub unreadable: BTreeMap<crate::console::intent::ReadScope, Vec<crate::client::Unreadable>>,
    /// Server time minus this machine's, once measured; `now` already includes it, and the
    /// header says so when it is large.
    pub clock_offset: Option<chrono::Duration>,
    /// Writes waiting in the outbox (the server is unreachable), as last reported.
    pub outbox_waiting: usize,
}

impl SyncStatus {
    pub fn new(now: DateTime<Utc>) -> SyncStatus {
        SyncStatus {
            now,
            conn: Conn::Connecting,
            as_of: None,
            loaded: false,
            loading: false,
            stale_after: chrono::Duration::seconds(STALE_AFTER_SECS),
            resyncing: false,
            load_asked: None,
            whole_at: None,
            unreadable: BTreeMap::new(),
            clock_offset: None,
            outbox_waiting: 0,
        }
    }

    /// The stream is down, and it has been down, or the data has gone unconfirmed, for at
    /// least the silence limit (guarantee G1: the header says STALE, with the time of the
    /// data). A stream ended by silence is therefore STALE at once.
    pub fn is_stale(&self) -> bool {
        match &self.conn {
            Conn::Live | Conn::Connecting => false,
            Conn::Reconnecting { since, .. } => {
                let oldest = self.as_of.map_or(*since, |a| a.min(*since));
                self.now - oldest >= self.stale_after
            }
        }
    }

    /// How many records were skipped as unreadable, and the first of them.
    pub fn unreadable(&self) -> (usize, Option<&crate::client::Unreadable>) {
        let n = self.unreadable.values().map(Vec::len).sum();
        (n, self.unreadable.values().flatten().next())
    }
}
