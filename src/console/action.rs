//! What can happen to the console. [`Action`]s are what a person asks for; they have serde
//! names so a keymap file can bind keys to them. [`Msg`] is everything `update` consumes:
//! actions, raw keys, the clock, and results that network tasks send back.
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
    ToggleClosed,
    Filter,
    Command,
    Submit,
    Cancel,
    DeleteChar,
    Help,
    // issue 5: copy the selected incident through OSC 52
    Copy,
    CopyBrief,
    Quit,
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
            Action::ToggleClosed => "closed",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Submit => "apply",
            Action::Cancel => "cancel",
            Action::DeleteChar => "delete",
            Action::Help => "help",
            Action::Copy => "copy",
            Action::CopyBrief => "copy brief",
            Action::Quit => "quit",
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
            Action::ToggleClosed => "Show or hide closed incidents",
            Action::Filter => "Filter: text, sev:1, phase:triage, owner:NAME",
            Action::Command => "Command: :board :list :actions :closed :quit",
            Action::Submit => "Apply the filter or command",
            Action::Cancel => "Cancel typing",
            Action::DeleteChar => "Delete the last character",
            Action::Help => "Show or hide this help",
            Action::Copy => "Copy the incident's id and title/summary (OSC 52)",
            Action::CopyBrief => "Copy a handover brief of the incident (OSC 52)",
            Action::Quit => "Quit sitrep",
        }
    }
}

/// The parts of an incident's detail, fetched separately when the detail opens.
#[derive(Debug, Clone, PartialEq)]
pub enum DetailPart {
    Updates(Vec<StatusUpdate>),
    Actions(Vec<CorrectiveAction>),
    Exceptions(Vec<RiskException>),
    Timeline(Vec<TimelineEntry>),
}

/// Everything `update` reacts to.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Action(Action),
    Resize,
    /// The wall clock moved on (1 Hz while something on screen counts).
    Tick(DateTime<Utc>),
    Live(LiveMsg),
    Loaded {
        incidents: Vec<Incident>,
        actions: Vec<CorrectiveAction>,
    },
    LoadFailed(String),
    DetailLoaded {
        id: String,
        part: DetailPart,
    },
    DetailFailed {
        id: String,
        tab: super::state::Tab,
        error: String,
    },
}
