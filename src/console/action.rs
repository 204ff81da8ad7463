//! What can happen to the console. [`Action`]s are what a person asks for; they have serde
//! names so a keymap file can bind keys to them. [`Msg`] is everything `update` consumes:
//! actions, raw keys, the clock, and results that network tasks send back.
use super::forms::WriteId;
use crate::client::LiveMsg;
use crate::domain::{CorrectiveAction, Incident, RiskException, StatusUpdate, TimelineEntry};
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

/// A bindable user action. Declaration order is the order help lists them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
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

impl Action {
    /// A few words for footer hints.
    pub fn label(self) -> &'static str {
        match self {
            Action::MoveDown => "down",
            Action::MoveUp => "up",
            Action::MoveLeft => "left",
            Action::MoveRight => "right",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Back => "back",
            Action::NextTab => "next tab",
            Action::PrevTab => "prev tab",
            Action::SortNext => "sort",
            Action::SortReverse => "reverse",
            Action::ViewBoard => "board",
            Action::ViewList => "list",
            Action::ViewActions => "actions",
            Action::ViewReview => "review",
            Action::ToggleClosed => "closed",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Submit => "apply",
            Action::Cancel => "cancel",
            Action::DeleteChar => "delete",
            Action::Help => "help",
            Action::Messages => "messages",
            Action::MostOverdue => "most overdue",
            Action::Copy => "copy",
            Action::CopyBrief => "copy brief",
            Action::Quit => "quit",
            Action::NextField => "next field",
            Action::PrevField => "prev field",
            Action::ChoiceNext => "next choice",
            Action::ChoicePrev => "prev choice",
            Action::Send => "send",
            Action::Confirm => "yes",
            Action::Write(w) => w.spec().label(),
        }
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::MoveDown => "Select the next item",
            Action::MoveUp => "Select the previous item",
            Action::MoveLeft => "Previous column / tab",
            Action::MoveRight => "Next column / tab",
            Action::PageDown => "Down one page",
            Action::PageUp => "Up one page",
            Action::Top => "First item",
            Action::Bottom => "Last item",
            Action::Open => "Open the selected incident",
            Action::Back => "Back / clear the filter",
            Action::NextTab => "Next detail tab",
            Action::PrevTab => "Previous detail tab",
            Action::SortNext => "Sort by the next column",
            Action::SortReverse => "Reverse the sort order",
            Action::ViewBoard => "Board: incidents by phase",
            Action::ViewList => "List: a sortable table",
            Action::ViewActions => "Corrective actions across incidents",
            Action::ViewReview => "Review: charts of a period (:review 30d)",
            Action::ToggleClosed => "Show or hide closed incidents",
            Action::Filter => "Filter: text, sev:1, phase:triage, owner:NAME",
            Action::Command => "Command: :board :list :actions :closed :quit",
            Action::Submit => "Apply the filter or command",
            Action::Cancel => "Cancel",
            Action::DeleteChar => "Delete the last character",
            Action::Help => "Show or hide this help",
            Action::Messages => "Show or hide the message log (every refusal and notice)",
            Action::MostOverdue => "Select the incident whose customer update is most overdue",
            Action::Copy => {
                "Copy the incident's id and title/summary, or on the Links tab the marked link (OSC 52)"
            }
            Action::CopyBrief => "Copy a handover brief of the incident (OSC 52)",
            Action::Quit => "Quit sitrep",
            Action::NextField => "Next field",
            Action::PrevField => "Previous field",
            Action::ChoiceNext => "Next choice (space too)",
            Action::ChoicePrev => "Previous choice",
            Action::Send => "Send",
            Action::Confirm => "Yes, do it",
            Action::Write(w) => w.spec().description(),
        }
    }

    /// Whether the action changes something on the server.
    pub fn is_write(self) -> bool {
        matches!(self, Action::Write(_))
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

/// Everything `update` reacts to. Messages are moved one at a time through a channel, so a
/// large variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Action(Action),
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
    /// flagged before under the same `scope` (`lists`, `detail Updates`, …).
    Unreadable {
        scope: String,
        records: Vec<crate::client::Unreadable>,
    },
}
