//! What the person is doing with the screen: the view, the open detail, help, typing, the
//! filter and sort, the selections (by id), the open form or question, the footer message,
//! and whether the screen needs drawing.
use super::data::{Lens, SortBy};
use super::log::{Level, MessageLog};
use crate::console::detail::Detail;
use crate::console::filter::Filter;
use crate::console::forms::Overlay;
use crate::console::index::Cursor;
use crate::console::keymap::Mode;
use crate::domain::Phase;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Board,
    List,
    Actions,
    /// Charts of a period for a review meeting.
    Review,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Command,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    /// The filter to restore if typing is cancelled.
    pub before: String,
}

/// A footer message that a key press does not dismiss: it describes a state that lasts
/// until it changes (the stream is down, the last load failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sticky {
    StreamLost,
    LoadFailed,
}

/// The footer's one message: how serious it is, its text, and, when it describes a state
/// that lasts, which state (so only that state's end clears it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
    pub sticky: Option<Sticky>,
}

pub struct Ui {
    pub view: View,
    pub detail: Option<Detail>,
    pub help: bool,
    pub help_scroll: usize,
    pub input: Option<Input>,
    pub filter: Filter,
    pub show_closed: bool,
    pub list_sort: SortBy,
    pub list_reverse: bool,
    /// The focused board column, among the visible ones.
    pub board_col: usize,
    /// Each column's selection, by incident id.
    pub column_cursors: [Cursor; 6],
    pub list_cursor: Cursor,
    /// The selected corrective action (by id) in the actions view.
    pub actions_cursor: Cursor,
    pub review: super::review::Review,
    /// An open form or confirmation; it takes the keyboard.
    pub overlay: Option<Overlay>,
    /// What the footer says.
    pub notice: Option<Notice>,
    /// Every message shown, for the message log view.
    pub log: MessageLog,
    /// The message log view is open, scrolled this many lines.
    pub messages: Option<usize>,
    /// Rows per page in the last frame's list, for page up/down.
    pub page: usize,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    pub quit: bool,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            view: View::Board,
            detail: None,
            help: false,
            help_scroll: 0,
            input: None,
            filter: Filter::default(),
            show_closed: false,
            list_sort: SortBy::Severity,
            list_reverse: false,
            board_col: 0,
            column_cursors: Default::default(),
            list_cursor: Cursor::default(),
            actions_cursor: Cursor::default(),
            review: Default::default(),
            overlay: None,
            notice: None,
            log: MessageLog::default(),
            messages: None,
            page: 10,
            dirty: true,
            quit: false,
        }
    }
}

impl Ui {
    /// What the indexes show, as chosen here.
    pub fn lens(&self) -> Lens<'_> {
        Lens {
            filter: &self.filter,
            show_closed: self.show_closed,
            sort: self.list_sort,
            reverse: self.list_reverse,
        }
    }

    /// Which bindings apply right now.
    pub fn mode(&self) -> Mode {
        if let Some(o) = &self.overlay {
            match o {
                Overlay::Form(_) => Mode::Form,
                Overlay::Confirm(_) => Mode::Confirm,
            }
        } else if self.input.is_some() {
            Mode::Input
        } else if self.help {
            Mode::Help
        } else if self.messages.is_some() {
            Mode::Messages
        } else if self.detail.is_some() {
            Mode::Detail
        } else {
            match self.view {
                View::Board => Mode::Board,
                View::List => Mode::List,
                View::Actions => Mode::Actions,
                View::Review => Mode::Review,
            }
        }
    }

    /// Phases with a board column: Closed only when asked for.
    pub fn visible_phases(&self) -> &'static [Phase] {
        if self.show_closed {
            Phase::ALL
        } else {
            &Phase::ALL[..5]
        }
    }

    /// Keeps the focused column among the visible ones (Closed may have been hidden).
    pub fn clamp_board_col(&mut self) {
        self.board_col = self.board_col.min(self.visible_phases().len() - 1);
    }

    /// Whether the 1 Hz tick should run: until the console quits, on every screen, since
    /// every screen shows the header clock and the ages and countdowns move with it. The
    /// run loop alone stops it otherwise (clock turned off, terminal too small to draw),
    /// and a tick redraws only when the text it shows changed (minute resolution by default).
    pub fn needs_tick(&self) -> bool {
        !self.quit
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.show(Level::Info, text.into(), None);
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.show(Level::Error, text.into(), None);
    }

    /// An error that stays in the footer until `clear_sticky(what)`.
    pub fn sticky_error(&mut self, what: Sticky, text: impl Into<String>) {
        self.show(Level::Error, text.into(), Some(what));
    }

    fn show(&mut self, level: Level, text: String, sticky: Option<Sticky>) {
        self.log.push(level, text.clone());
        self.notice = Some(Notice {
            level,
            text,
            sticky,
        });
        self.dirty = true;
    }

    /// Removes the footer message if it reports `what`.
    pub fn clear_sticky(&mut self, what: Sticky) {
        if self.notice.as_ref().is_some_and(|n| n.sticky == Some(what)) {
            self.notice = None;
            self.dirty = true;
        }
    }

    /// Removes a passing message (a key press was the person's answer to it).
    pub fn dismiss(&mut self) {
        if self.notice.as_ref().is_some_and(|n| n.sticky.is_none()) {
            self.notice = None;
            self.dirty = true;
        }
    }
}
