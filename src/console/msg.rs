//! What `update` asks the run loop to do: network work as [`Effect`]s, run by tasks that
//! answer with messages. Its own module so the write path (`triage`) and the router
//! (`update`) both name it without depending on each other.

/// Network work that `update` asks for; the run loop hands it to tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// List what is live: open incidents, those closed within `client::RECENT_CLOSED`, and
    /// open actions (first connection, `reset`, lost history).
    LoadAll,
    /// Fetch every incident declared in the last `days` days with its timeline, updates,
    /// actions and exceptions, and compute the review's figures (the review view only).
    LoadReview { days: u32 },
    /// Catch up after missed events of the same database: incidents changed since `since`,
    /// and the open actions again.
    LoadChanges {
        since: chrono::DateTime<chrono::Utc>,
    },
    /// A page of closed incidents (optionally only those containing `text`), from the
    /// cursor (None: the newest).
    LoadClosed {
        text: Option<String>,
        cursor: Option<String>,
    },
    /// Fetch an incident's updates, actions, exceptions, timeline and signals.
    FetchDetail(String),
    /// Re-fetch only the timeline (it has no events of its own).
    FetchTimeline(String),
    /// Re-fetch only the signals (a new one was noted on the timeline).
    FetchSignals(String),
    /// Hand a write to the outbox (which saves it, sends it, and reports back).
    Write(crate::client::Write),
    /// The server may be back: try the outbox's waiting writes now.
    RetryOutbox,
    /// Drop the outbox's writes that another token queued (`:discard-held`).
    DiscardHeldWrites,
    /// The drafts changed: the run loop saves them soon (see `app::DraftSaves`).
    DraftsChanged,
    /// Save every form draft (JSON) to the data directory.
    SaveDrafts(String),
    /// Ask the server who this token is.
    WhoAmI,
    /// Put this text on the clipboard through the terminal (OSC 52).
    Clipboard(String),
}
