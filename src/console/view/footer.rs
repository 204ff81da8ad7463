//! The bottom row: what is being typed, the last message, or key hints generated from the
//! keymap for the current mode.
use super::fmt::{put, width};
use crate::console::forms::{Subject, WriteId};
use crate::console::intent::Intent;
use crate::console::keymap::Mode;
use crate::console::state::{InputKind, Level, Notice, State};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

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

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let (x, y, right) = (area.x, area.y, area.right());
    if let Some(input) = &state.ui.input {
        let prompt = match input.kind {
            InputKind::Filter => "/",
            InputKind::Command => ":",
        };
        let x = put(buf, x, y, prompt, area.width, t.key);
        let x = put(buf, x, y, &input.text, right - x, t.base);
        put(buf, x, y, "█", right - x, t.base);
        return;
    }
    // Where the closed history stands, first, while closed incidents are shown on a list
    // they fill: the rows beyond come from the server as the selection nears the end.
    let x = match history_note(state) {
        Some(note) => put(buf, x, y, &note, area.width, t.dim) + 3,
        None => x,
    };
    let area = Rect {
        x,
        width: right.saturating_sub(x),
        ..area
    };
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
            .key_for(state.ui.mode(), Intent::Messages)
            .map(|k| format!("{k} more"));
        let first = text.lines().next().unwrap_or_default();
        let reserve = more.as_ref().map_or(0, |m| width(m) as u16 + 2);
        let x = put(buf, x, y, first, area.width.saturating_sub(reserve), style);
        let x = match &more {
            Some(m) if x + 2 < right => {
                let kx = put(buf, x + 2, y, m, right - x - 2, t.key);
                // Only the key is bright: "more" reads as its label.
                let key_w = m.chars().count() - " more".len();
                for cx in (x + 2 + key_w as u16)..kx {
                    if let Some(c) = buf.cell_mut((cx, y)) {
                        c.set_style(t.dim);
                    }
                }
                kx
            }
            _ => x,
        };
        hints(state, x + 3, y, right, buf);
        return;
    }
    hints(state, x, y, right, buf);
}

fn history_note(state: &State) -> Option<String> {
    if !state.ui.show_closed || !matches!(state.ui.mode(), Mode::List | Mode::Board) {
        return None;
    }
    state.history.status()
}

fn hints(state: &State, mut x: u16, y: u16, right: u16, buf: &mut Buffer) {
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
        let need = (label.chars().count() + text.len() + 3) as u16;
        if x + need > right {
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
        x = put(buf, x, y, &label, right - x, key_style);
        x = put(buf, x + 1, y, text, right - x - 1, text_style) + 2;
    }
}
