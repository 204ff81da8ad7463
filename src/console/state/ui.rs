//! What the person is doing with the screen: the view, the open detail, help, typing, the
//! filter and sort, the selections (by id), the open form or question, the footer message,
//! and whether the screen needs drawing.
use super::data::{Lens, SortBy};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
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
    /// An open form or confirmation; it takes the keyboard.
    pub overlay: Option<Overlay>,
    pub message: Option<(Level, String)>,
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
            overlay: None,
            message: None,
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
        } else if self.detail.is_some() {
            Mode::Detail
        } else {
            match self.view {
                View::Board => Mode::Board,
                View::List => Mode::List,
                View::Actions => Mode::Actions,
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

    /// Whether anything on screen counts seconds (the clock, countdowns), so the 1 Hz
    /// tick is worth running.
    pub fn needs_tick(&self) -> bool {
        !self.quit
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Info, text.into()));
        self.dirty = true;
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Error, text.into()));
        self.dirty = true;
    }
}
