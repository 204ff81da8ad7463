//! What can happen to the console. [`Intent`]s are what a person asks for; they have serde
//! names so a keymap file can bind keys to them. [`Msg`] is everything `update` consumes:
//! intents, raw keys, the clock, and results that network tasks send back.
use super::forms::WriteId;
use crate::client::LiveMsg;
use crate::domain::{CorrectiveAction, Incident, RiskException, StatusUpdate, TimelineEntry};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

/// A bindable user intent (what a person asks the console to do). Declaration order is the order help lists them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    MoveDown,
    MoveUp,
    MoveLeft,
    MoveRight,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    Back,
    NextTab,
    PrevTab,
    SortNext,
    SortReverse,
    ViewBoard,
    ViewList,
    ViewActions,
    ViewReview,
    ToggleClosed,
    Filter,
    Command,
    Submit,
    Cancel,
    DeleteChar,
    Help,
    /// The message log: every refusal, error and notice, in full.
    Messages,
    /// Select the incident whose customer update is the most overdue.
    MostOverdue,
    /// Copy the selected incident to the clipboard of the terminal the person sits at, even
    /// over SSH: OSC 52 travels with the output, where no local clipboard tool can reach.
    Copy,
    /// The same, as a handover brief.
    CopyBrief,
    Quit,
    // In a form or a confirmation.
    NextField,
    PrevField,
    ChoiceNext,
    ChoicePrev,
    Send,
    Confirm,
    /// A write, by its name in the registry (`forms/mod.rs`): hidden and refused when
    /// read-only. Last, because its name is not a variant's: writes sort after every other
    /// action, which is where help lists them.
    #[serde(untagged)]
    Write(WriteId),
}

impl Intent {
    /// A few words for footer hints.
    pub fn label(self) -> &'static str {
        match self {
            Intent::MoveDown => "down",
            Intent::MoveUp => "up",
            Intent::MoveLeft => "left",
            Intent::MoveRight => "right",
            Intent::PageDown => "page down",
            Intent::PageUp => "page up",
            Intent::Top => "top",
            Intent::Bottom => "bottom",
            Intent::Open => "open",
            Intent::Back => "back",
            Intent::NextTab => "next tab",
            Intent::PrevTab => "prev tab",
            Intent::SortNext => "sort",
            Intent::SortReverse => "reverse",
            Intent::ViewBoard => "board",
            Intent::ViewList => "list",
            Intent::ViewActions => "actions",
            Intent::ViewReview => "review",
            Intent::ToggleClosed => "closed",
            Intent::Filter => "filter",
            Intent::Command => "command",
            Intent::Submit => "apply",
            Intent::Cancel => "cancel",
            Intent::DeleteChar => "delete",
            Intent::Help => "help",
            Intent::Messages => "messages",
            Intent::MostOverdue => "most overdue",
            Intent::Copy => "copy",
            Intent::CopyBrief => "copy brief",
            Intent::Quit => "quit",
            Intent::NextField => "next field",
            Intent::PrevField => "prev field",
            Intent::ChoiceNext => "next choice",
            Intent::ChoicePrev => "prev choice",
            Intent::Send => "send",
            Intent::Confirm => "yes",
            Intent::Write(w) => w.spec().label(),
        }
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Intent::MoveDown => "Select the next item",
            Intent::MoveUp => "Select the previous item",
            Intent::MoveLeft => "Previous column / tab",
            Intent::MoveRight => "Next column / tab",
            Intent::PageDown => "Down one page",
            Intent::PageUp => "Up one page",
            Intent::Top => "First item",
            Intent::Bottom => "Last item",
            Intent::Open => "Open the selected incident",
            Intent::Back => "Back / clear the filter",
            Intent::NextTab => "Next detail tab",
            Intent::PrevTab => "Previous detail tab",
            Intent::SortNext => "Sort by the next column",
            Intent::SortReverse => "Reverse the sort order",
            Intent::ViewBoard => "Board: incidents by phase",
            Intent::ViewList => "List: a sortable table",
            Intent::ViewActions => "Corrective actions across incidents",
            Intent::ViewReview => "Review: charts of a period (:review 30d)",
            Intent::ToggleClosed => "Show or hide closed incidents",
            Intent::Filter => "Filter: text, sev:1, phase:triage, owner:NAME",
            Intent::Command => "Command: :board :list :actions :closed :quit",
            Intent::Submit => "Apply the filter or command",
            Intent::Cancel => "Cancel",
            Intent::DeleteChar => "Delete the last character",
            Intent::Help => "Show or hide this help",
            Intent::Messages => "Show or hide the message log (every refusal and notice)",
            Intent::MostOverdue => "Select the incident whose customer update is most overdue",
            Intent::Copy => {
                "Copy the incident's id and title/summary, or on the Links tab the marked link (OSC 52)"
            }
            Intent::CopyBrief => "Copy a handover brief of the incident (OSC 52)",
            Intent::Quit => "Quit sitrep",
            Intent::NextField => "Next field",
            Intent::PrevField => "Previous field",
            Intent::ChoiceNext => "Next choice (space too)",
            Intent::ChoicePrev => "Previous choice",
            Intent::Send => "Send",
            Intent::Confirm => "Yes, do it",
            Intent::Write(w) => w.spec().description(),
        }
    }

    /// Whether the action changes something on the server.
    pub fn is_write(self) -> bool {
        matches!(self, Intent::Write(_))
    }
}

/// The parts of an incident's detail, fetched separately when the detail opens.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailPart {
    Updates(Vec<StatusUpdate>),
    Actions(Vec<CorrectiveAction>),
    Exceptions(Vec<RiskException>),
    Timeline(Vec<TimelineEntry>),
    Signals(Vec<crate::client::SignalRecord>),
}

/// What a set of unreadable records was flagged by, so a later read of the same thing can
/// clear or replace exactly its own flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadScope {
    /// A page of the closed history.
    ClosedHistory,
    /// One tab of the detail view.
    Detail(super::detail::Tab),
    /// Live events the stream could not parse: named first in the header (declared before
    /// `Lists`), since they are the newest.
    Events,
    /// The live lists (open incidents, recent closed, open actions).
    Lists,
}

/// Everything `update` reacts to. Messages are moved one at a time through a channel, so a
/// large variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Intent(Intent),
    Resize,
    /// The wall clock moved on (1 Hz while something on screen counts).
    Tick(DateTime<Utc>),
    /// The client measured the server's clock anew: server time now, and server minus local
    /// time (the header says so when it is large).
    ClockOffset {
        now: DateTime<Utc>,
        offset: chrono::Duration,
    },
    /// A bracketed paste: the whole pasted text at once, into the focused field.
    Paste(String),
    Live(LiveMsg),
    /// Ids of the outbound webhooks marked failing (asked for a commander's token only).
    WebhooksFailing(Vec<String>),
    Loaded {
        incidents: Vec<Incident>,
        actions: Vec<CorrectiveAction>,
    },
    LoadFailed(String),
    /// A page of the closed history, for the text it was asked with.
    ClosedPage {
        text: Option<String>,
        incidents: Vec<Incident>,
        next: Option<String>,
    },
    ClosedFailed {
        text: Option<String>,
        error: String,
    },
    DetailLoaded {
        id: String,
        part: DetailPart,
    },
    DetailFailed {
        id: String,
        tab: super::detail::Tab,
        error: String,
    },
    /// The backend has no such pane at all (e.g. exceptions with PagerDuty): its message.
    DetailUnavailable {
        id: String,
        tab: super::detail::Tab,
        message: String,
    },
    /// The review's figures for the last `days` days, or why they could not be loaded.
    ReviewLoaded {
        days: u32,
        figures: Result<crate::review::PeriodFigures, String>,
    },
    /// The backend has no corrective actions: why, for the actions view.
    ActionsUnavailable(String),
    /// The outbox sent, failed or is holding writes.
    Outbox(crate::client::outbox::OutboxReport),
    /// Who the token is (name and role), or why that could not be learned.
    WhoAmI(Result<crate::client::WhoAmI, String>),
    /// The records a load had to skip (none: the load read everything), replacing what was
    /// flagged before under the same `scope`.
    Unreadable {
        scope: ReadScope,
        records: Vec<crate::client::Unreadable>,
    },
}
