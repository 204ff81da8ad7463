//! Snapshots of every triage form and confirmation at the smallest supported size (80x24),
//! reached by the keys a commander presses.
use crate::common::screen::{press, screen_at};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sitrep::client::LiveEvent;
use sitrep::client::outbox::OutboxReport;
use sitrep::client::{Method, Write, WriteError};
use sitrep::console::intent::Msg;
use sitrep::console::testdata;
use sitrep::console::{State, update};

fn screen(state: &State) -> String {
    screen_at(state, 80, 24)
}

/// The board with INC-103 (SEV2, Triage, customer-impacting) selected, as "cora".
fn state() -> State {
    let mut s = testdata::state();
    s.settings.me = Some("cora".into());
    press(&mut s, "l");
    assert_eq!(s.selected_id(), Some("INC-103"));
    s
}

#[test]
fn forms_at_80x24() {
    let cases: &[(&str, &str)] = &[
        ("form_severity", "s1\tall EU card payments failing"),
        ("form_next_phase", "pmitigation deployed"),
        ("form_roles", "R\t\tsam"),
        (
            "form_status_update",
            "u\t\tLogin works again for 80% of users\tRolling back the auth deploy",
        ),
        (
            "form_corrective_action",
            "cAdd a canary stage for auth deploys",
        ),
        ("form_exception", "xClose with the restore drill still open"),
        ("form_new_incident", "nCheckout errors in EU\t2"),
    ];
    for (name, keys) in cases {
        let mut s = state();
        press(&mut s, keys);
        assert!(s.ui.overlay.is_some(), "{name}: no form open");
        insta::assert_snapshot!(*name, screen(&s));
    }
}

#[test]
fn a_required_field_is_named_in_the_form() {
    let mut s = state();
    press(&mut s, "x\u{13}");
    let text = screen(&s);
    assert!(text.contains("What is excepted is required"), "{text}");
    insta::assert_snapshot!("form_exception_missing_field", text);
}

#[test]
fn a_long_form_error_is_wrapped_not_cut() {
    let mut s = state();
    press(&mut s, "xKeep the old gateway");
    let Some(sitrep::console::forms::Overlay::Form(f)) = s.ui.overlay.as_mut() else {
        panic!("no form open")
    };
    let error = "refused: remediation_due must be within 90 days of today and after the \
                 incident started; ask the CTO to accept the risk for longer and record why";
    f.error = Some(error.into());
    let text = screen(&s);
    // The form's rows, read inside its border: the whole error is there, in order.
    let inside: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split('│').nth(1))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(inside.join(" ").contains(error), "{text}");
    assert!(!text.contains('…'), "{text}");
    // The hints stay on their own row below it.
    assert!(text.contains("ctrl-s send"), "{text}");
}

#[test]
fn edit_action_at_80x24() {
    let mut s = state();
    press(&mut s, "3\n");
    insta::assert_snapshot!("form_edit_action", screen(&s));
}

#[test]
fn confirmations_at_80x24() {
    // Close.
    let mut s = state();
    press(&mut s, "C");
    insta::assert_snapshot!("confirm_close", screen(&s));
    // A downgrade.
    let mut s = state();
    press(&mut s, "s4\tcache only, no customer impact\u{13}");
    insta::assert_snapshot!("confirm_downgrade", screen(&s));
    // A conflict: someone else took command first.
    let mut s = state();
    let e = press(&mut s, "s1\tspreading\u{13}");
    let w: Write = e
        .into_iter()
        .find_map(|e| match e {
            sitrep::console::Effect::Write(w) => Some(w),
            _ => None,
        })
        .unwrap();
    assert_eq!(w.method, Method::Patch);
    let mut theirs = testdata::state().data.incidents["INC-103"].clone();
    theirs.commander = Some("Bo Chen".into());
    theirs.version = 4;
    update(
        &mut s,
        Msg::Outbox(OutboxReport::Failed {
            write: w,
            error: WriteError::Refused {
                status: 412,
                code: "precondition_failed".into(),
                message: "changed".into(),
                current: Some(LiveEvent::Incident(theirs)),
            },
            pending: 0,
        }),
    );
    insta::assert_snapshot!("confirm_conflict", screen(&s));
}

#[test]
fn take_command_confirmation_at_80x24() {
    let mut s = state();
    assert!(press(&mut s, "a").is_empty(), "nothing sent before yes");
    let text = screen(&s);
    assert!(
        text.contains("Take command of INC-103 from Ana Lima?"),
        "{text}"
    );
    insta::assert_snapshot!("confirm_take_command", text);
}

/// A colleague's change arrives while the form is open: Ctrl+S sends nothing and shows it.
#[test]
fn conflict_dialog_at_80x24() {
    let mut s = state();
    press(&mut s, "s1	spreading to EU");
    let mut theirs = s.data.incidents["INC-103"].clone();
    theirs.severity = sitrep::domain::Severity::Sev3;
    theirs.commander = Some("Bo Chen".into());
    theirs.version = 2;
    update(
        &mut s,
        Msg::Live(sitrep::client::LiveMsg::Event {
            seq: 9,
            event: LiveEvent::Incident(theirs),
            actor: Some("dana".into()),
        }),
    );
    assert!(press(&mut s, "\u{13}").is_empty(), "nothing sent");
    let text = screen(&s);
    assert!(text.contains("Conflict on INC-103"), "{text}");
    assert!(text.contains("by dana"), "{text}");
    insta::assert_snapshot!("conflict_dialog", text);
}

#[test]
fn a_pending_write_shows_on_the_card_and_in_the_header() {
    let mut s = state();
    // INC-103 has a commander: taking command asks first.
    press(&mut s, "ay");
    let text = screen(&s);
    assert!(text.contains("1 pending"), "{text}");
    assert!(text.contains("pending"), "{text}");
    insta::assert_snapshot!("board_pending_write", text);
}

#[test]
fn the_footer_shows_effective_write_keys_and_hides_them_when_read_only() {
    let mut s = state();
    s.settings
        .keymap
        .merge("[global]\nset_severity = [\"S\"]\n")
        .unwrap();
    let text = screen(&s);
    let footer = text.lines().last().unwrap();
    assert!(footer.contains("a take command"), "{footer}");
    assert!(footer.contains("S severity"), "{footer}");
    s.settings.read_only = true;
    let text = screen(&s);
    let footer = text.lines().last().unwrap();
    assert!(!footer.contains("take command"), "{footer}");
    assert!(text.lines().next().unwrap().contains("READ-ONLY"));
}

/// A customer update typed over several lines, long enough to wrap: every word of it is on
/// screen before Ctrl+S, at the smallest size and a common one.
#[test]
fn a_multi_line_update_form_wraps_its_text() {
    let mut s = state();
    press(
        &mut s,
        "u\t\tLogin works again for about 80% of users after the auth rollback; \
         the remaining errors come from one region.",
    );
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    update(&mut s, Msg::Key(enter));
    press(
        &mut s,
        "Sessions started before 09:40 must sign in again.\tWatch error rates for 30 minutes, \
         then re-enable the auth deploy pipeline with a canary stage.",
    );
    for (name, w, h) in [
        ("form_status_update_wrapped_80x24", 80, 24),
        ("form_status_update_wrapped_120x40", 120, 40),
    ] {
        let text = screen_at(&s, w, h);
        for words in ["region.", "sign in again.", "canary stage."] {
            assert!(
                text.contains(words),
                "{name}: {words:?} not on screen\n{text}"
            );
        }
        insta::assert_snapshot!(name, text);
    }
}
