//! Editing a form's text fields from the keyboard, and pasting into them, through
//! `update()`: keys in, the field's text and the saved draft out.
use super::*;
use crate::console::forms::Form;
use crate::console::intent::Msg;
use crate::console::testdata;
use crate::console::update::update;
use crate::domain::Role;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn commander() -> State {
    let mut s = testdata::state();
    s.settings.me = Some("cora".into());
    s.settings.role = Some(Role::Commander);
    s
}

fn press(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, mods)))
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    press(s, code, KeyModifiers::NONE)
}

fn ctrl(s: &mut State, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c));
    }
}

fn form(s: &State) -> &Form {
    match &s.ui.overlay {
        Some(Overlay::Form(f)) => f,
        other => panic!("expected a form, got {other:?}"),
    }
}

fn focused(s: &State) -> (&str, &str) {
    let f = form(s);
    let field = &f.fields[f.focus];
    (field.name.as_str(), field.value.as_str())
}

/// The status update form on the selected incident, on its current status field.
fn on_current_status() -> State {
    let mut s = commander();
    key(&mut s, KeyCode::Char('u'));
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    assert_eq!(focused(&s), ("current_status", ""));
    s
}

#[test]
fn the_cursor_moves_and_text_goes_in_where_it_is() {
    let mut s = on_current_status();
    typed(&mut s, "ab cd");
    key(&mut s, KeyCode::Left);
    key(&mut s, KeyCode::Left);
    typed(&mut s, "X");
    assert_eq!(focused(&s).1, "ab Xcd");
    key(&mut s, KeyCode::Home);
    typed(&mut s, "<");
    key(&mut s, KeyCode::End);
    typed(&mut s, ">");
    assert_eq!(focused(&s).1, "<ab Xcd>");
    ctrl(&mut s, 'a');
    key(&mut s, KeyCode::Right);
    key(&mut s, KeyCode::Delete);
    ctrl(&mut s, 'e');
    key(&mut s, KeyCode::Backspace);
    assert_eq!(focused(&s).1, "<b Xcd");
    // Moving the cursor is not an edit: the draft is not saved again for it.
    assert!(key(&mut s, KeyCode::Left).is_empty());
    // Every edit is saved in the draft, as typed.
    assert_eq!(
        s.writes
            .drafts
            .values()
            .next()
            .unwrap()
            .get("current_status"),
        "<b Xcd"
    );
}

#[test]
fn ctrl_w_deletes_a_word_ctrl_u_the_line_and_ctrl_z_undoes() {
    let mut s = on_current_status();
    typed(&mut s, "rolled back the deploy");
    assert_eq!(ctrl(&mut s, 'w'), [Effect::DraftsChanged]);
    assert_eq!(focused(&s).1, "rolled back the ");
    ctrl(&mut s, 'z');
    assert_eq!(focused(&s).1, "rolled back the deploy");
    // Ctrl+U from the middle: the line before the cursor goes, the rest stays.
    for _ in 0.."the deploy".len() {
        key(&mut s, KeyCode::Left);
    }
    ctrl(&mut s, 'u');
    assert_eq!(focused(&s).1, "the deploy");
    ctrl(&mut s, 'z');
    assert_eq!(focused(&s).1, "rolled back the deploy");
    // Ctrl+K: from the cursor to the end.
    ctrl(&mut s, 'k');
    assert_eq!(focused(&s).1, "rolled back ");
}

#[test]
fn enter_starts_a_line_in_a_multi_line_field_and_moves_on_in_a_one_line_field() {
    let mut s = on_current_status();
    typed(&mut s, "one");
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "two");
    assert_eq!(focused(&s), ("current_status", "one\ntwo"));
    // ↑ moves up a line inside the field, and from its first line to the field above.
    key(&mut s, KeyCode::Up);
    typed(&mut s, "!");
    assert_eq!(focused(&s), ("current_status", "one!\ntwo"));
    key(&mut s, KeyCode::Up);
    assert_eq!(focused(&s).0, "impact_scope");
    // Tab moves on whatever the field; Enter in the one-line minutes field does too.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    assert_eq!(focused(&s).0, "next_update_in_minutes");
    key(&mut s, KeyCode::Enter);
    assert_eq!(focused(&s).0, "audience");
    // Ctrl+S still sends from a multi-line field.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "watch");
    key(&mut s, KeyCode::BackTab);
    assert_eq!(focused(&s).0, "current_status");
    let e = ctrl(&mut s, 's');
    assert!(
        e.iter()
            .any(|e| matches!(e, Effect::Write(w) if w.body["current_status"] == "one!\ntwo")),
        "{e:?}"
    );
}

#[test]
fn a_multi_line_paste_stays_in_its_field_with_its_lines() {
    let mut s = on_current_status();
    typed(&mut s, "[]");
    key(&mut s, KeyCode::Left);
    let e = update(
        &mut s,
        Msg::Paste("Login works again\r\nfor 80% of users\n\tmonitoring".into()),
    );
    assert_eq!(e, [Effect::DraftsChanged]);
    assert_eq!(
        focused(&s),
        (
            "current_status",
            "[Login works again\nfor 80% of users\n monitoring]"
        ),
        "the paste goes in at the cursor, its lines kept, and focus stays"
    );
    // Escape sequences in the clipboard are cleaned as everywhere.
    update(&mut s, Msg::Paste("\n\u{1b}[2Jok".into()));
    assert!(
        focused(&s).1.ends_with("monitoring\nok]"),
        "{:?}",
        focused(&s).1
    );
}

#[test]
fn a_multi_line_paste_into_a_one_line_field_becomes_one_line() {
    let mut s = commander();
    key(&mut s, KeyCode::Char('n'));
    typed(&mut s, "EU ");
    update(&mut s, Msg::Paste("checkout\r\ndown\nagain".into()));
    assert_eq!(focused(&s), ("title", "EU checkout down again"));
}

#[test]
fn a_restored_draft_keeps_its_text_and_its_fields_stay_multi_line() {
    let mut s = on_current_status();
    typed(&mut s, "one");
    key(&mut s, KeyCode::Esc);
    // As saved on disk and read back at the next start.
    let saved = serde_json::to_string(&s.writes.drafts).unwrap();
    s.writes.drafts = serde_json::from_str(&saved).unwrap();
    key(&mut s, KeyCode::Char('u'));
    assert_eq!(focused(&s), ("current_status", "one"));
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "two");
    assert_eq!(focused(&s).1, "one\ntwo");
}

#[test]
fn an_internal_update_needs_only_its_current_status() {
    let mut s = on_current_status();
    // The selected incident is customer-impacting: a customer update by default.
    let f = form(&s);
    assert_eq!(f.get("audience"), "customer");
    typed(&mut s, "rolling back");
    // Clear the impact scope it started with.
    key(&mut s, KeyCode::BackTab);
    ctrl(&mut s, 'u');
    assert_eq!(focused(&s), ("impact_scope", ""));
    let e = ctrl(&mut s, 's');
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(form(&s).error.as_deref(), Some("Impact scope is required"));
    // Internal: sent without impact scope or next steps.
    key(&mut s, KeyCode::BackTab);
    key(&mut s, KeyCode::Right);
    assert_eq!(form(&s).get("audience"), "internal");
    let e = ctrl(&mut s, 's');
    assert!(
        e.iter().any(|e| matches!(e, Effect::Write(w) if w.body["audience"] == "internal" && w.body["next_steps"] == "")),
        "{e:?} {:?}",
        s.ui.overlay
    );
}
