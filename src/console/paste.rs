//! Text arriving in a field: a bracketed paste (the whole text in one message) or a typed
//! character. Either way it is cleaned the way API text is (an escape sequence in the
//! clipboard must not reach the terminal through the field that echoes it) and held to the
//! server's length limit for that field, with a notice in the form when something was cut, so
//! a form can never hold what the server would refuse.
//!
//! Text goes in at the cursor. A multi-line field (a status, next steps, a summary) keeps
//! pasted line breaks; in a one-line field they, and tabs everywhere, become spaces.
use super::forms::{Field, Overlay, WriteId};
use super::keymap::Mode;
use super::msg::Effect;
use super::state::{InputKind, State};
use crate::domain::limits;

/// The most characters a filter or command line holds: far beyond any real query, and it
/// keeps a stray paste into the filter from re-indexing on megabytes.
pub const INPUT_MAX: usize = 1_000;

/// The server's limit (in characters) for a form field, by the API name of the field. The
/// same name can mean different things: an incident's impact scope is short text, a status
/// update's is long.
pub fn limit(kind: WriteId, field: &str) -> usize {
    if let Some(max) = kind.spec().field_limit(field) {
        return max;
    }
    match field {
        "title" => limits::TITLE,
        "summary" | "current_status" | "next_steps" => limits::LONG_TEXT,
        "impact_scope" | "description" => limits::SHORT_TEXT,
        "reason" => limits::REASON,
        // Names (owner, commander and the other roles, who accepted a risk), dates, minutes.
        _ => limits::NAME,
    }
}

/// Pasted text as one line: line breaks (CR LF, CR or LF) and tabs become spaces, and the
/// sanitizer's rules apply (escape sequences removed, other controls and bidi overrides made
/// visible, invisible characters dropped).
pub fn one_line(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    crate::sanitize::clean_line(&unified)
}

/// Pasted text for a multi-line field: line breaks (CR LF, CR or LF) kept as LF, tabs
/// become spaces, and otherwise the sanitizer's rules, as for [`one_line`].
pub fn multi_line(text: &str) -> String {
    let unified = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\t', " ");
    crate::sanitize::clean_text(&unified)
}

/// Pasted text cleaned for `field`: multi-line or one line, as the field is.
pub fn for_field(field: &Field, text: &str) -> String {
    if field.multiline {
        multi_line(text)
    } else {
        one_line(text)
    }
}

/// Appends as much of `text` to `value` as fits in `max` characters; returns how many
/// characters of `text` did not fit.
pub fn append(value: &mut String, text: &str, max: usize) -> usize {
    let room = max.saturating_sub(value.chars().count());
    let end = text
        .char_indices()
        .nth(room)
        .map_or(text.len(), |(at, _)| at);
    value.push_str(&text[..end]);
    text[end..].chars().count()
}

/// A typed character into a text field of a `kind` form: refused, with the notice to show,
/// when the field is already at the server's limit.
pub fn type_char(kind: WriteId, field: &mut Field, c: char) -> Result<(), String> {
    let max = limit(kind, &field.name);
    let text = one_line(c.encode_utf8(&mut [0; 4]));
    if field.insert(&text, max) > 0 {
        return Err(format!(
            "{} is full: {max} characters is the server's limit",
            field.label
        ));
    }
    Ok(())
}

/// A bracketed paste: into the focused text field of a form, or the filter or command line
/// being typed. Anywhere else it is ignored: pasted text is never a string of commands.
pub fn paste(state: &mut State, text: &str) -> Vec<Effect> {
    match state.ui.mode() {
        Mode::Form => into_form(state, text),
        Mode::Input => {
            into_input(state, text);
            vec![]
        }
        _ => vec![],
    }
}

fn into_form(state: &mut State, text: &str) -> Vec<Effect> {
    let Some(Overlay::Form(mut f)) = state.ui.overlay.take() else {
        return vec![];
    };
    let kind = f.kind;
    let Some(field) = f.focused().filter(|field| !field.is_choice()) else {
        f.error = Some("a paste goes into a text field: move to one with Tab".into());
        state.ui.overlay = Some(Overlay::Form(f));
        state.ui.dirty = true;
        return vec![];
    };
    let max = limit(kind, &field.name);
    let text = for_field(field, text);
    let dropped = field.insert(&text, max);
    f.error = (dropped > 0).then(|| {
        format!(
            "Paste cut: {} holds {max} characters (the server's limit); {dropped} left out",
            field.label
        )
    });
    state.form_edited(f)
}

fn into_input(state: &mut State, text: &str) {
    let Some(input) = state.ui.input.as_mut() else {
        return;
    };
    let dropped = append(&mut input.text, &one_line(text), INPUT_MAX);
    if input.kind == InputKind::Filter {
        let text = input.text.clone();
        state.set_filter(&text);
    }
    if dropped > 0 {
        state.ui.info(format!(
            "paste cut to {INPUT_MAX} characters; {dropped} were left out"
        ));
    }
    state.ui.dirty = true;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::intent::Msg;
    use crate::console::testdata;
    use crate::console::update::update;
    use crate::domain::Role;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn w(name: &str) -> WriteId {
        WriteId::named(name).unwrap()
    }

    fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
        update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn commander() -> State {
        let mut s = testdata::state();
        s.settings.me = Some("cora".into());
        s.settings.role = Some(Role::Commander);
        s
    }

    fn form(s: &State) -> &super::super::forms::Form {
        match &s.ui.overlay {
            Some(Overlay::Form(f)) => f,
            other => panic!("expected a form, got {other:?}"),
        }
    }

    #[test]
    fn a_paste_is_one_edit_of_the_focused_field_cut_to_the_servers_limit_with_a_notice() {
        let mut s = commander();
        key(&mut s, KeyCode::Char('n'));
        let pasted = "Checkout down\r\nafter\tdeploy q ".repeat(10_000);
        let e = update(&mut s, Msg::Paste(pasted));
        // One edit: one request to save the drafts, not one per character.
        assert_eq!(e, [Effect::DraftsChanged]);
        let f = form(&s);
        assert_eq!(
            f.focus, 0,
            "line breaks in a paste do not move between fields"
        );
        let title = &f.fields[0].value;
        assert_eq!(title.chars().count(), limits::TITLE);
        assert!(
            title.starts_with("Checkout down after deploy q Checkout"),
            "{title}"
        );
        let notice = f.error.as_deref().unwrap_or_default();
        assert!(notice.contains("Title holds 200 characters"), "{notice}");
        assert!(notice.contains("289800 left out"), "{notice}");
        assert_eq!(s.writes.drafts["new_incident:new"].fields[0].value, *title);
        assert!(!s.ui.quit, "a pasted q is text");
        // A key typed into the full field is refused with a notice, and saves nothing.
        let e = key(&mut s, KeyCode::Char('x'));
        assert!(e.is_empty(), "{e:?}");
        let f = form(&s);
        assert_eq!(f.fields[0].value.chars().count(), limits::TITLE);
        assert_eq!(
            f.error.as_deref(),
            Some("Title is full: 200 characters is the server's limit")
        );
        // Room again: typing works and the notice goes.
        key(&mut s, KeyCode::Backspace);
        assert_eq!(key(&mut s, KeyCode::Char('x')), [Effect::DraftsChanged]);
        assert!(form(&s).fields[0].value.ends_with('x'));
        assert_eq!(form(&s).error, None);
    }

    #[test]
    fn a_paste_into_a_choice_or_outside_any_field_changes_nothing() {
        let mut s = commander();
        // On the board a paste is not a string of commands (q would quit, n open a form).
        assert!(update(&mut s, Msg::Paste("qn".into())).is_empty());
        assert!(!s.ui.quit);
        assert!(s.ui.overlay.is_none());
        key(&mut s, KeyCode::Char('n'));
        key(&mut s, KeyCode::Tab);
        let before = form(&s).fields[1].clone();
        assert!(before.is_choice());
        assert!(update(&mut s, Msg::Paste("SEV1".into())).is_empty());
        assert_eq!(form(&s).fields[1], before);
        assert!(
            form(&s)
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("text field")
        );
    }

    #[test]
    fn a_paste_into_the_filter_filters_once_and_is_capped() {
        let mut s = testdata::state();
        key(&mut s, KeyCode::Char('/'));
        update(&mut s, Msg::Paste("INC-101\n".into()));
        assert_eq!(s.ui.input.as_ref().unwrap().text, "INC-101 ");
        assert_eq!(s.ui.filter.raw.trim(), "INC-101");
        update(&mut s, Msg::Paste("y".repeat(5_000)));
        assert_eq!(s.ui.input.as_ref().unwrap().text.chars().count(), INPUT_MAX);
        assert!(s.ui.notice.as_ref().unwrap().text.contains("left out"));
    }

    #[test]
    fn appending_keeps_to_the_limit_in_characters_not_bytes() {
        let mut v = String::from("ab");
        assert_eq!(append(&mut v, "çdé", 4), 1);
        assert_eq!(v, "abçd");
        assert_eq!(append(&mut v, "x", 4), 1);
        assert_eq!(v, "abçd");
        let mut v = String::new();
        assert_eq!(append(&mut v, "", 0), 0);
        assert_eq!(append(&mut v, "東京", 10), 0);
        assert_eq!(v, "東京");
    }

    #[test]
    fn a_pasted_block_becomes_one_clean_line() {
        assert_eq!(
            one_line("line one\r\nline two\rthree\n\tfour"),
            "line one line two three  four"
        );
        // A clipboard cannot act on the terminal through the field that echoes it.
        assert_eq!(one_line("a\u{1b}]52;c;ZXZpbA==\u{7}b\u{1b}[2Jc"), "abc");
        assert_eq!(one_line("x\u{202e}y"), "x[RLO]y");
    }

    #[test]
    fn limits_follow_the_server_per_form() {
        assert_eq!(limit(w("new_incident"), "title"), 200);
        assert_eq!(limit(w("new_incident"), "impact_scope"), 2_000);
        assert_eq!(limit(w("post_update"), "impact_scope"), 10_000);
        assert_eq!(limit(w("post_update"), "current_status"), 10_000);
        assert_eq!(limit(w("set_severity"), "reason"), 1_000);
        assert_eq!(limit(w("add_exception"), "description"), 2_000);
        assert_eq!(limit(w("assign_roles"), "commander"), 100);
    }
}
