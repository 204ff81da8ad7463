//! The bottom row: what is being typed, the last message, or key hints generated from the
//! keymap for the current mode.
use super::fmt::{fit_spans, truncate, width};
use crate::console::forms::{Subject, WriteId};
use crate::console::intent::Intent;
use crate::console::keymap::Mode;
use crate::console::state::{InputKind, Level, Notice, State};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Widget;

/// Which actions earn a hint, most useful first; keys come from the keymap. Writes that
/// ask for a hint (`WriteSpec::hint`) go between these two, in registry order.
const HINTS_BEFORE_WRITES: &[Intent] = &[
    Intent::Submit,
    Intent::Cancel,
    Intent::Open,
    Intent::Back,
    Intent::Help,
    Intent::Quit,
];
const HINTS_AFTER_WRITES: &[Intent] = &[
    Intent::MoveLeft,
    Intent::NextTab,
    Intent::Filter,
    Intent::Command,
    Intent::SortNext,
    Intent::SortReverse,
    Intent::ViewBoard,
    Intent::ViewList,
    Intent::ViewActions,
    Intent::ToggleClosed,
];

fn hinted() -> impl Iterator<Item = Intent> {
    let writes = WriteId::all()
        .filter(|w| w.spec().hint())
        .map(Intent::Write);
    HINTS_BEFORE_WRITES
        .iter()
        .copied()
        .chain(writes)
        .chain(HINTS_AFTER_WRITES.iter().copied())
}

/// What the footer shows, borrowed from the state: one row, built left to right as spans.
pub struct Footer<'a> {
    state: &'a State,
}

impl<'a> Footer<'a> {
    pub fn new(state: &'a State) -> Self {
        Footer { state }
    }

    /// The row's spans for `room` columns.
    fn spans(&self, room: usize) -> Vec<Span<'a>> {
        let state = self.state;
        let t = &state.settings.theme;
        if let Some(input) = &state.ui.input {
            let prompt = match input.kind {
                InputKind::Filter => "/",
                InputKind::Command => ":",
            };
            return vec![
                Span::styled(prompt, t.key),
                Span::styled(input.text.as_str(), t.base),
                Span::styled("█", t.base),
            ];
        }
        let mut row = Row {
            spans: vec![],
            used: 0,
            room,
        };
        // Where the closed history stands, first, while closed incidents are shown on a
        // list they fill: the rows beyond come from the server as the selection nears the
        // end.
        if let Some(note) = history_note(state) {
            row.push(truncate(&note, room), t.dim);
            row.gap(3);
        }
        if let Some(Notice { level, text, .. }) = &state.ui.notice {
            let style = if *level == Level::Error {
                t.error
            } else {
                t.base
            };
            // The first line, cut to leave room for the key that shows the rest in the log.
            let more = state
                .settings
                .keymap
                .key_for(state.ui.mode(), Intent::Messages);
            let reserve = more.as_ref().map_or(0, |k| width(&k.to_string()) + 7);
            let first = text.lines().next().unwrap_or_default();
            let cut = room.saturating_sub(row.used).saturating_sub(reserve);
            row.push(truncate(first, cut), style);
            if let Some(k) = more
                && row.used + 2 < room
            {
                row.gap(2);
                // Only the key is bright: "more" reads as its label.
                row.push(k.to_string(), t.key);
                row.push(" more".into(), t.key.patch(t.dim));
            }
            row.gap(3);
        }
        hints(state, &mut row);
        row.spans
    }
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        fit_spans(self.spans(area.width as usize), area.width as usize).render(area, buf);
    }
}

/// Spans and the columns they take so far, in a row of `room` columns.
struct Row<'a> {
    spans: Vec<Span<'a>>,
    used: usize,
    room: usize,
}

impl<'a> Row<'a> {
    fn push(&mut self, text: String, style: Style) {
        self.used += width(&text);
        self.spans.push(Span::styled(text, style));
    }

    /// Blank columns between parts, never more than are left: a gap is not text to cut.
    fn gap(&mut self, n: usize) {
        let n = n.min(self.room.saturating_sub(self.used));
        self.push(" ".repeat(n), Style::default());
    }
}

fn history_note(state: &State) -> Option<String> {
    if !state.ui.show_closed || !matches!(state.ui.mode(), Mode::List | Mode::Board) {
        return None;
    }
    state.history.status()
}

/// Key hints while they fit whole: a hint is never cut.
fn hints(state: &State, row: &mut Row) {
    let t = &state.settings.theme;
    let mode = state.ui.mode();
    if matches!(mode, Mode::Form | Mode::Confirm) {
        // The form draws its own hints.
        return;
    }
    for action in hinted() {
        let action = &action;
        if action.is_write() && state.settings.writes_disabled() {
            continue;
        }
        // Corrective-action keys in the detail only mean something on its actions tab.
        let on_actions_tab = state
            .ui
            .detail
            .as_ref()
            .is_some_and(|d| d.tab == crate::console::state::Tab::Actions);
        let on_an_action =
            matches!(action, Intent::Write(w) if w.spec().subject() == Subject::Action);
        if on_an_action && mode == Mode::Detail && !on_actions_tab {
            continue;
        }
        let Some(key) = state.settings.keymap.key_for(mode, *action) else {
            continue;
        };
        let key = key.to_string();
        let label = if *action == Intent::MoveLeft {
            // One hint for the pair: "h/l column".
            let r = state
                .settings
                .keymap
                .key_for(mode, Intent::MoveRight)
                .map(|k| k.to_string())
                .unwrap_or_default();
            format!("{key}/{r}")
        } else {
            key
        };
        let text = if *action == Intent::MoveLeft {
            "column"
        } else {
            action.label()
        };
        if row.used + label.chars().count() + text.len() + 3 > row.room {
            break;
        }
        // A key this token's role cannot use is shown struck out: pressing it says why.
        let (key_style, text_style) =
            if crate::console::roles::allowed(state.settings.role, *action) {
                (t.key, t.dim)
            } else {
                let struck = t.dim.add_modifier(ratatui::style::Modifier::CROSSED_OUT);
                (struck, struck)
            };
        row.push(label, key_style);
        row.gap(1);
        row.push(text.to_string(), text_style);
        row.gap(2);
    }
}
