//! Keys in a form's text field: the editing keys every terminal text field has (the
//! readline ones, and the arrows, Home, End, Delete) move the cursor and change the text
//! at the cursor. They are fixed, like a shell's, rather than keymap actions; the keys the
//! form itself binds to send, close or quit still win, and help lists both.
use super::forms::Overlay;
use super::forms::text::Edit;
use super::keymap::{Key, KeyName, Mode};
use super::msg::Effect;
use super::state::State;
use crate::console::intent::Intent;

/// The editing key `key` is in a text field, if it is one.
pub fn edit_for(key: Key, multiline: bool) -> Option<Edit> {
    use KeyName::*;
    let Key { name, ctrl, alt } = key;
    Some(match (name, ctrl, alt) {
        (Left, true, _) | (Left, _, true) | (Char('b'), false, true) => Edit::WordLeft,
        (Right, true, _) | (Right, _, true) | (Char('f'), false, true) => Edit::WordRight,
        (Left, false, false) | (Char('b'), true, false) => Edit::Left,
        (Right, false, false) | (Char('f'), true, false) => Edit::Right,
        (Home, false, false) | (Char('a'), true, false) => Edit::Home,
        (End, false, false) | (Char('e'), true, false) => Edit::End,
        (Backspace, _, true) | (Char('w'), true, false) => Edit::DeleteWord,
        (Backspace, _, false) | (Char('h'), true, false) => Edit::Backspace,
        (Delete, false, false) | (Char('d'), true, false) => Edit::Delete,
        (Char('u'), true, false) => Edit::DeleteLine,
        (Char('k'), true, false) => Edit::DeleteToEnd,
        (Char('z'), true, false) => Edit::Undo,
        (Char('y'), true, false) => Edit::Redo,
        (Enter, false, false) if multiline => Edit::Newline,
        (Up, false, false) if multiline => Edit::Up,
        (Down, false, false) if multiline => Edit::Down,
        _ => return None,
    })
}

/// The editing keys as help shows them.
pub const HELP: &[(&str, &str)] = &[
    (
        "←/→, home/end",
        "move the cursor (ctrl-←/→ or alt-b/f: a word)",
    ),
    ("ctrl-a, ctrl-e", "start / end of the line"),
    ("backspace, del", "delete before / at the cursor"),
    (
        "ctrl-w, ctrl-u",
        "delete the word / the line before the cursor",
    ),
    ("ctrl-k", "delete to the end of the line"),
    ("ctrl-z, ctrl-y", "undo, redo"),
    (
        "enter, ↑/↓",
        "in a multi-line field: new line, line up / down",
    ),
];

/// A key in a form whose focused field is text: handled here when it is an editing key
/// the form does not bind to sending, closing or quitting. `None`: not an editing key
/// (or ↑/↓ at the first or last line of a multi-line field, which then moves between
/// fields as the keymap says).
pub fn form_key(state: &mut State, key: Key) -> Option<Vec<Effect>> {
    if matches!(
        state.settings.keymap.action(Mode::Form, key),
        Some(Intent::Send | Intent::Cancel | Intent::Quit)
    ) {
        return None;
    }
    let Some(Overlay::Form(f)) = &state.ui.overlay else {
        return None;
    };
    let field = f.fields.get(f.focus).filter(|field| !field.is_choice())?;
    let edit = edit_for(key, field.multiline)?;
    let Some(Overlay::Form(mut f)) = state.ui.overlay.take() else {
        return None;
    };
    let kind = f.kind;
    let Some(field) = f.focused() else {
        state.ui.overlay = Some(Overlay::Form(f));
        return None;
    };
    let max = super::paste::limit(kind, &field.name);
    if edit == Edit::Newline && field.value.chars().count() >= max {
        f.error = Some(format!(
            "{} is full: {max} characters is the server's limit",
            field.label
        ));
        state.ui.overlay = Some(Overlay::Form(f));
        state.ui.dirty = true;
        return Some(vec![]);
    }
    let before = field.value.clone();
    let moved = field.edit(edit);
    if !moved && matches!(edit, Edit::Up | Edit::Down) {
        // The first or last line: ↑/↓ go on to the previous or next field.
        state.ui.overlay = Some(Overlay::Form(f));
        return None;
    }
    let changed = field.value != before;
    f.error = None;
    if changed {
        return Some(state.form_edited(f));
    }
    state.ui.overlay = Some(Overlay::Form(f));
    state.ui.dirty = true;
    Some(vec![])
}

#[cfg(test)]
#[path = "editing_tests.rs"]
mod tests;
