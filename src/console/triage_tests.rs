//! Triage writes: keys in, forms, optimistic state and effects out, then the outbox's answer.
use super::*;
use crate::client::Method;
use crate::client::outbox::OutboxReport;
use crate::console::forms::WriteId;
use crate::console::intent::Msg;
use crate::console::state::{Detail, Tab};
use crate::console::testdata;
use crate::console::update::update;
use crate::domain::{ActionStatus, Phase, Severity};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

fn key(s: &mut State, c: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    key(s, KeyCode::Char(c))
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        ch(s, c);
    }
}

fn ctrl_s(s: &mut State) -> Vec<Effect> {
    update(
        s,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    )
}

/// A commander ("cora") looking at `id`.
fn at(id: &str) -> State {
    let mut s = testdata::state();
    s.settings.me = Some("cora".into());
    s.settings.role = Some(Role::Commander);
    s.ui.detail = Some(Detail::new(id, Tab::Timeline));
    s
}

fn writes(effects: &[Effect]) -> Vec<Write> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Write(w) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

fn one_write(effects: &[Effect]) -> Write {
    let w = writes(effects);
    assert_eq!(w.len(), 1, "expected one write in {effects:?}");
    w.into_iter().next().unwrap()
}

fn done(s: &mut State, w: &Write, entity: Option<LiveEvent>) -> Vec<Effect> {
    update(
        s,
        Msg::Outbox(OutboxReport::Done {
            write: w.clone(),
            entity,
            pending: 0,
        }),
    )
}

fn refused(s: &mut State, w: &Write, status: u16, message: &str, current: Option<LiveEvent>) {
    update(
        s,
        Msg::Outbox(OutboxReport::Failed {
            write: w.clone(),
            error: WriteError::Refused {
                status,
                code: "x".into(),
                message: message.into(),
                current,
            },
            pending: 0,
        }),
    );
}

fn form(s: &State) -> &Form {
    match &s.ui.overlay {
        Some(Overlay::Form(f)) => f,
        other => panic!("expected a form, got {other:?}"),
    }
}

fn message(s: &State) -> String {
    s.ui.notice
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn take_command_changes_the_card_at_once_then_confirms() {
    let mut s = at("INC-101");
    assert_eq!(s.data.incidents["INC-101"].commander, None);
    let w = one_write(&ch(&mut s, 'a'));
    assert_eq!(w.method, Method::Patch);
    assert_eq!(w.path, "/incidents/INC-101");
    assert_eq!(w.body, json!({"commander": "cora"}));
    assert_eq!(w.if_match, Some(1));
    // Optimistic, and marked pending in the header count and on the card.
    assert_eq!(
        s.data.incidents["INC-101"].commander.as_deref(),
        Some("cora")
    );
    assert!(s.writes.is_pending("INC-101"));
    assert_eq!(s.pending_count(), 1);
    let mut confirmed = s.data.incidents["INC-101"].clone();
    confirmed.version = 2;
    done(&mut s, &w, Some(LiveEvent::Incident(confirmed)));
    assert!(!s.writes.is_pending("INC-101"));
    assert_eq!(s.pending_count(), 0);
    assert_eq!(s.data.incidents["INC-101"].version, 2);
    assert_eq!(
        s.data.incidents["INC-101"].commander.as_deref(),
        Some("cora")
    );
}

#[test]
fn a_refused_write_rolls_back_and_says_why() {
    let mut s = at("INC-101");
    let w = one_write(&ch(&mut s, 'a'));
    refused(
        &mut s,
        &w,
        403,
        "changing the commander needs the commander role",
        None,
    );
    assert_eq!(s.data.incidents["INC-101"].commander, None, "rolled back");
    assert!(!s.writes.is_pending("INC-101"));
    assert!(
        message(&s).contains("needs the commander role"),
        "{}",
        message(&s)
    );
}

#[test]
fn severity_needs_a_reason_and_an_upgrade_is_sent_at_once() {
    let mut s = at("INC-103");
    assert!(ch(&mut s, 's').is_empty());
    assert_eq!(form(&s).kind, named("set_severity"));
    // On the choice field, "1" picks SEV1.
    ch(&mut s, '1');
    assert_eq!(form(&s).get("severity"), "SEV1");
    // No reason: refused before anything is sent.
    assert!(writes(&ctrl_s(&mut s)).is_empty());
    assert_eq!(form(&s).error.as_deref(), Some("Reason is required"));
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "all EU card payments failing");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(
        w.body,
        json!({"severity": "SEV1", "reason": "all EU card payments failing"})
    );
    assert!(s.ui.overlay.is_none());
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev1);
}

#[test]
fn a_downgrade_asks_first() {
    let mut s = at("INC-103");
    ch(&mut s, 's');
    ch(&mut s, '4');
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "cache only");
    assert!(writes(&ctrl_s(&mut s)).is_empty());
    let Some(Overlay::Confirm(c)) = &s.ui.overlay else {
        panic!("expected a confirmation")
    };
    assert!(
        c.title.contains("Downgrade INC-103 from SEV2 to SEV4"),
        "{}",
        c.title
    );
    // Nothing changed yet; "n" cancels and sends nothing.
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev2);
    assert!(ch(&mut s, 'n').is_empty());
    assert!(s.ui.overlay.is_none());
    // Again, and yes this time.
    ch(&mut s, 's');
    ctrl_s(&mut s);
    let w = one_write(&ch(&mut s, 'y'));
    assert_eq!(w.body["severity"], "SEV4");
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev4);
}

#[test]
fn phase_moves_with_an_optional_reason_and_a_409_is_shown_plainly() {
    let mut s = at("INC-103");
    ch(&mut s, 'p');
    assert!(
        form(&s).context.contains("Triage → Containment"),
        "{}",
        form(&s).context
    );
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(
        w.body,
        json!({"phase": "containment"}),
        "no empty reason sent"
    );
    assert_eq!(s.data.incidents["INC-103"].phase, Phase::Containment);
    let msg = "a customer-impacting incident needs a customer update before follow-through";
    refused(&mut s, &w, 409, msg, None);
    assert_eq!(s.data.incidents["INC-103"].phase, Phase::Triage);
    assert!(message(&s).contains(msg));
    // Back a phase, with a reason.
    ch(&mut s, 'P');
    typed(&mut s, "misrouted");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.body, json!({"phase": "detection", "reason": "misrouted"}));
}

#[test]
fn close_asks_for_confirmation() {
    let mut s = at("INC-109");
    assert!(ch(&mut s, 'C').is_empty());
    assert!(matches!(&s.ui.overlay, Some(Overlay::Confirm(c)) if c.title == "Close INC-109?"));
    key(&mut s, KeyCode::Esc);
    assert!(s.ui.overlay.is_none());
    assert_eq!(s.data.incidents["INC-109"].phase, Phase::FollowThrough);
    ch(&mut s, 'C');
    let w = one_write(&key(&mut s, KeyCode::Enter));
    assert_eq!(w.body, json!({"phase": "closed"}));
    assert_eq!(s.data.incidents["INC-109"].phase, Phase::Closed);
    refused(
        &mut s,
        &w,
        409,
        "2 corrective actions are open and there is no exception",
        None,
    );
    assert_eq!(s.data.incidents["INC-109"].phase, Phase::FollowThrough);
    assert!(message(&s).contains("2 corrective actions are open"));
}

#[test]
fn roles_set_and_clear_only_what_changed() {
    let mut s = at("INC-103");
    ch(&mut s, 'R');
    assert_eq!(form(&s).get("commander"), "Ana Lima");
    // Clear the commander, set a scribe.
    for _ in 0.."Ana Lima".len() {
        key(&mut s, KeyCode::Backspace);
    }
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "sam");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(
        w.body,
        json!({"commander": null, "roles": {"scribe": "sam"}})
    );
    assert_eq!(s.data.incidents["INC-103"].commander, None);
    assert_eq!(s.data.incidents["INC-103"].roles["scribe"], "sam");
}

#[test]
fn status_update_form_prefills_scope_and_cadence_and_keeps_its_draft() {
    let mut s = at("INC-103");
    s.settings.cadence.sev2_minutes = Some(45);
    ch(&mut s, 'u');
    let f = form(&s);
    assert_eq!(f.get("audience"), "customer", "customer-impacting");
    assert_eq!(f.get("impact_scope"), "All regions, web login");
    assert_eq!(
        f.get("next_update_in_minutes"),
        "45",
        "the configured cadence"
    );
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    // Every change asks for the drafts to be saved (the run loop spaces the saves out).
    let e = ch(&mut s, 'L');
    assert_eq!(e, [Effect::DraftsChanged]);
    assert_eq!(
        s.writes.drafts["status_update:INC-103"].get("current_status"),
        "L"
    );
    typed(&mut s, "ogin restored for 80%");
    // Esc closes and keeps the draft; the same key brings it back.
    key(&mut s, KeyCode::Esc);
    assert!(s.ui.overlay.is_none());
    ch(&mut s, 'u');
    assert_eq!(form(&s).get("current_status"), "Login restored for 80%");
    assert_eq!(form(&s).focus, 2);
    // Next steps is required.
    assert!(writes(&ctrl_s(&mut s)).is_empty());
    assert_eq!(form(&s).error.as_deref(), Some("Next steps is required"));
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "rolling back the auth deploy");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.method, Method::Post);
    assert_eq!(w.path, "/incidents/INC-103/updates");
    assert_eq!(w.body["next_update_in_minutes"], 45);
    assert_eq!(w.body["audience"], "customer");
    assert_eq!(w.key.len(), 32, "an Idempotency-Key");
    // The draft stays until the server has the update.
    assert!(s.writes.drafts.contains_key("status_update:INC-103"));
    let e = done(&mut s, &w, None);
    assert!(!s.writes.drafts.contains_key("status_update:INC-103"));
    assert!(e.contains(&Effect::DraftsChanged));
}

#[test]
fn bad_minutes_and_dates_are_refused_in_the_form() {
    let mut s = at("INC-103");
    ch(&mut s, 'u');
    let f = form(&s).clone();
    let mut f2 = f.clone();
    for field in &mut f2.fields {
        if field.name != "audience" {
            field.value = "x".into();
        }
    }
    s.ui.overlay = Some(Overlay::Form(f2));
    assert!(writes(&ctrl_s(&mut s)).is_empty());
    assert!(form(&s).error.as_deref().unwrap().contains("whole minutes"));
    key(&mut s, KeyCode::Esc);
    ch(&mut s, 'c');
    assert_eq!(form(&s).get("owner"), "cora", "defaults to you");
    typed(&mut s, "Add a canary");
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    for _ in 0..10 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "next week");
    assert!(writes(&ctrl_s(&mut s)).is_empty());
    assert_eq!(form(&s).error.as_deref(), Some("due date: YYYY-MM-DD"));
    for _ in 0..9 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "2026-12-04");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(
        w.body,
        json!({"title": "Add a canary", "owner": "cora", "due_date": "2026-12-04"})
    );
}

#[test]
fn an_exception_needs_every_field_and_a_future_date() {
    let mut s = at("INC-109");
    ch(&mut s, 'x');
    typed(&mut s, "close with the drill open");
    assert!(writes(&ctrl_s(&mut s)).is_empty());
    assert_eq!(
        form(&s).error.as_deref(),
        Some("Risk accepted by is required")
    );
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "VP Eng");
    key(&mut s, KeyCode::Tab);
    for _ in 0..10 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "2020-01-01");
    assert!(writes(&ctrl_s(&mut s)).is_empty());
    assert!(form(&s).error.as_deref().unwrap().contains("future"));
    for _ in 0..10 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "2026-12-31");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.path, "/incidents/INC-109/exceptions");
    assert_eq!(w.body["remediation_due"], "2026-12-31T23:59:59Z");
    assert_eq!(w.body["risk_accepted_by"], "VP Eng");
}

#[test]
fn a_new_incident_is_declared_from_the_board() {
    let mut s = testdata::state();
    ch(&mut s, 'n');
    typed(&mut s, "Checkout errors");
    key(&mut s, KeyCode::Tab);
    ch(&mut s, '2');
    key(&mut s, KeyCode::Tab);
    ch(&mut s, ' ');
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Right);
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "EU card payments");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.path, "/incidents");
    assert_eq!(
        w.body,
        json!({"title": "Checkout errors", "severity": "SEV2", "customer_impact": true,
               "deployment": "self_hosted", "impact_scope": "EU card payments"})
    );
}

#[test]
fn space_cycles_an_action_and_enter_edits_it() {
    let mut s = testdata::state();
    ch(&mut s, '3');
    let first = s.action_rows()[0].clone();
    assert_eq!(first.status, ActionStatus::Open);
    let w = one_write(&ch(&mut s, ' '));
    assert_eq!(w.path, format!("/actions/{}", first.id));
    assert_eq!(w.body, json!({"status": "in_progress"}));
    assert_eq!(w.if_match, Some(first.version));
    assert_eq!(
        s.data.open_actions[&first.id].status,
        ActionStatus::InProgress
    );
    // Refused: back to open.
    refused(&mut s, &w, 403, "needs the responder role", None);
    assert_eq!(s.data.open_actions[&first.id].status, ActionStatus::Open);
    key(&mut s, KeyCode::Enter);
    assert_eq!(form(&s).kind, named("edit_action"));
    assert_eq!(form(&s).get("title"), first.title);
    key(&mut s, KeyCode::Tab);
    typed(&mut s, " Jr");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.body, json!({"owner": format!("{} Jr", first.owner)}));
}

#[test]
fn a_412_shows_what_changed_and_reapplies_on_the_new_version() {
    let mut s = at("INC-103");
    ch(&mut s, 's');
    ch(&mut s, '1');
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "spreading");
    let w = one_write(&ctrl_s(&mut s));
    let mut theirs = testdata::state().data.incidents["INC-103"].clone();
    theirs.commander = Some("Bo Chen".into());
    theirs.version = 5;
    refused(
        &mut s,
        &w,
        412,
        "changed since",
        Some(LiveEvent::Incident(theirs)),
    );
    let Some(Overlay::Confirm(c)) = &s.ui.overlay else {
        panic!("expected the conflict")
    };
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains("commander: Ana Lima → Bo Chen")),
        "{:?}",
        c.lines
    );
    // Theirs is what the board shows until we re-apply.
    assert_eq!(
        s.data.incidents["INC-103"].commander.as_deref(),
        Some("Bo Chen")
    );
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev2);
    let again = one_write(&ch(&mut s, 'y'));
    assert_eq!(again.if_match, Some(5));
    assert_eq!(again.body, w.body);
    assert_ne!(again.key, w.key);
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev1);
    assert_eq!(
        s.data.incidents["INC-103"].commander.as_deref(),
        Some("Bo Chen")
    );
}

#[test]
fn read_only_and_viewer_tokens_refuse_every_write_key() {
    for viewer in [false, true] {
        let mut s = at("INC-103");
        if viewer {
            update(
                &mut s,
                Msg::WhoAmI(Ok(crate::client::WhoAmI {
                    name: "vic".into(),
                    role: Role::Viewer,
                })),
            );
        } else {
            s.settings.read_only = true;
        }
        for c in ['a', 's', 'p', 'P', 'C', 'R', 'u', 'c', 'x', 'n'] {
            assert!(ch(&mut s, c).is_empty(), "{c} sent something");
            assert!(s.ui.overlay.is_none(), "{c} opened a form");
            assert!(message(&s).starts_with("read-only"), "{c}: {}", message(&s));
        }
        let help = crate::console::view::help_lines(&s)
            .into_iter()
            .map(|l| l.1)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!help.contains("Take command"), "{help}");
        assert!(help.contains("Open the selected incident"));
    }
}

#[test]
fn the_header_count_follows_the_outbox() {
    let mut s = at("INC-103");
    update(
        &mut s,
        Msg::Outbox(OutboxReport::Waiting {
            pending: 3,
            error: "connection refused".into(),
        }),
    );
    assert_eq!(s.pending_count(), 3);
    assert!(message(&s).contains("3 writes waiting"));
    let w = Write::new(Method::Post, "/incidents/INC-103/updates", json!({}), "u");
    update(
        &mut s,
        Msg::Outbox(OutboxReport::Done {
            write: w,
            entity: None,
            pending: 0,
        }),
    );
    assert_eq!(s.pending_count(), 0);
}

#[test]
fn an_overridden_key_is_the_one_that_works_and_the_one_help_shows() {
    let mut s = at("INC-103");
    s.settings
        .keymap
        .merge("[global]\ntake_command = [\"T\"]\n")
        .unwrap();
    assert!(
        ch(&mut s, 'a').is_empty(),
        "the default key no longer takes command"
    );
    assert!(
        writes(&ch(&mut s, 'T')).is_empty(),
        "Ana Lima commands it: asks"
    );
    assert_eq!(writes(&ch(&mut s, 'y')).len(), 1);
    let help = crate::console::view::help_lines(&s);
    assert!(
        help.iter()
            .any(|(_, l)| l.trim_start().starts_with('T') && l.contains("Take command")),
        "{help:?}"
    );
    assert!(!help.iter().any(|(_, l)| l.trim_start().starts_with("a ")));
}

#[test]
fn in_the_detail_actions_tab_space_and_enter_act_on_the_top_row() {
    let mut s = at("INC-109");
    let list: Vec<CorrectiveAction> = testdata::actions()
        .into_iter()
        .filter(|a| a.incident_id == "INC-109")
        .collect();
    {
        let d = s.ui.detail.as_mut().unwrap();
        d.tab = Tab::Actions;
        d.actions = Loadable::Ready(list.clone());
    }
    // The second row scrolled to the top.
    s.ui.detail.as_mut().unwrap().scroll = 1;
    // In progress → done asks first.
    assert!(writes(&ch(&mut s, ' ')).is_empty());
    assert!(
        matches!(&s.ui.overlay, Some(Overlay::Confirm(c)) if c.title == format!("Mark {} done?", list[1].id))
    );
    let w = one_write(&ch(&mut s, 'y'));
    assert_eq!(w.path, format!("/actions/{}", list[1].id));
    match &s.ui.detail.as_ref().unwrap().actions {
        Loadable::Ready(l) => {
            assert_ne!(l[1].status, list[1].status);
            assert_eq!(w.body["status"], l[1].status.as_str());
        }
        other => panic!("{other:?}"),
    }
    key(&mut s, KeyCode::Enter);
    assert_eq!(form(&s).action_id.as_deref(), Some(list[1].id.as_str()));
}

/// A commander ("cora") on the board, nothing open.
fn on_board() -> State {
    let mut s = testdata::state();
    s.settings.me = Some("cora".into());
    s.settings.role = Some(Role::Commander);
    s
}

fn live(s: &mut State, inc: Incident) -> Vec<Effect> {
    update(
        s,
        Msg::Live(crate::client::LiveMsg::Event {
            seq: 1,
            event: LiveEvent::Incident(inc),
            actor: Some("dana".into()),
        }),
    )
}

/// Someone else moves an incident to `phase` through the API.
fn moved(s: &mut State, id: &str, phase: Phase) -> Vec<Effect> {
    let mut inc = s.data.incidents[id].clone();
    inc.phase = phase;
    inc.version += 1;
    live(s, inc)
}

#[test]
fn the_cursor_follows_an_incident_moved_by_a_live_event() {
    let mut s = on_board();
    ch(&mut s, 'l');
    ch(&mut s, 'j');
    assert_eq!(s.selected_id(), Some("INC-112"));
    moved(&mut s, "INC-112", Phase::Containment);
    // Not INC-104, which slid into its row in Triage: the incident, in its new column.
    assert_eq!(s.selected_id(), Some("INC-112"));
    assert_eq!(s.ui.visible_phases()[s.ui.board_col], Phase::Containment);
    // The list view follows it through a re-sort the same way.
    ch(&mut s, '2');
    ch(&mut s, 'j');
    let picked = s.selected_id().unwrap().to_string();
    let mut inc = s.data.incidents[&picked].clone();
    inc.severity = if inc.severity == Severity::Sev1 {
        Severity::Sev4
    } else {
        Severity::Sev1
    };
    inc.version += 1;
    live(&mut s, inc);
    assert_eq!(s.selected_id(), Some(picked.as_str()));
}

#[test]
fn a_write_after_a_move_acts_on_the_moved_incident() {
    let mut s = on_board();
    ch(&mut s, 'l');
    ch(&mut s, 'j');
    assert_eq!(s.selected_id(), Some("INC-112"));
    moved(&mut s, "INC-112", Phase::Containment);
    let mut effects = ch(&mut s, 'a');
    if let Some(Overlay::Confirm(c)) = &s.ui.overlay {
        // Someone commands it: the question names the incident it is about.
        assert!(c.title.contains("INC-112"), "{}", c.title);
        effects = ch(&mut s, 'y');
    }
    let w = one_write(&effects);
    assert_eq!(w.path, "/incidents/INC-112");
    assert_eq!(w.if_match, Some(s.data.incidents["INC-112"].version));
}

#[test]
fn p_then_p_again_acts_on_the_same_incident() {
    let mut s = on_board();
    ch(&mut s, 'l');
    assert_eq!(s.selected_id(), Some("INC-103"));
    ch(&mut s, 'p');
    assert_eq!(form(&s).title(), "Move to the next phase · INC-103");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.path, "/incidents/INC-103");
    assert_eq!(s.data.incidents["INC-103"].phase, Phase::Containment);
    // Its own move took the selection along: the second p is about INC-103 again.
    assert_eq!(s.selected_id(), Some("INC-103"));
    ch(&mut s, 'p');
    assert_eq!(form(&s).incident_id.as_deref(), Some("INC-103"));
    assert!(
        form(&s)
            .context
            .contains("Containment and recovery → Communication"),
        "{}",
        form(&s).context
    );
}

#[test]
fn an_incident_that_leaves_the_view_leaves_nothing_selected() {
    let mut s = on_board();
    ch(&mut s, 'l');
    ch(&mut s, 'j');
    moved(&mut s, "INC-112", Phase::Closed);
    assert_eq!(s.selected_id(), None, "no neighbour slides into its place");
    assert!(
        message(&s).contains("INC-112 was closed"),
        "{}",
        message(&s)
    );
    // The next write key says so instead of acting on INC-104.
    assert!(ch(&mut s, 'a').is_empty());
    assert!(
        message(&s).starts_with("nothing selected"),
        "{}",
        message(&s)
    );
    assert!(s.ui.overlay.is_none());
    // Moving on selects deliberately again.
    ch(&mut s, 'k');
    assert!(s.selected_id().is_some());

    // Filtered out: the same.
    let mut s = on_board();
    ch(&mut s, 'l');
    assert_eq!(s.selected_id(), Some("INC-103"));
    ch(&mut s, '/');
    typed(&mut s, "sev:3");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.selected_id(), None);
    // Clearing the filter brings the selection back to its incident.
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.selected_id(), Some("INC-103"));
}

fn confirm(s: &State) -> &Confirm {
    match &s.ui.overlay {
        Some(Overlay::Confirm(c)) => c,
        other => panic!("expected a question, got {other:?}"),
    }
}

/// INC-103 (SEV2, version 1): a severity form with SEV1 and a reason typed, then Dana's
/// SEV3 arrives live before Ctrl+S.
fn severity_form_overtaken() -> State {
    let mut s = at("INC-103");
    ch(&mut s, 's');
    ch(&mut s, '1');
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "spreading");
    let mut theirs = s.data.incidents["INC-103"].clone();
    theirs.severity = Severity::Sev3;
    theirs.version = 2;
    live(&mut s, theirs);
    // The form still says what the user chose; the board shows Dana's change.
    assert_eq!(form(&s).get("severity"), "SEV1");
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev3);
    s
}

#[test]
fn a_form_whose_incident_changed_before_ctrl_s_sends_nothing_and_shows_the_conflict() {
    let mut s = severity_form_overtaken();
    assert!(writes(&ctrl_s(&mut s)).is_empty(), "nothing sent");
    let c = confirm(&s);
    assert_eq!(c.title, "Conflict on INC-103");
    assert!(c.conflict);
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains("severity: SEV2 → SEV3") && l.contains("by dana")),
        "{:?}",
        c.lines
    );
    assert!(c.lines.iter().any(|l| l.contains("INC-103 SEV2 → SEV1")));
    // Dana's value stands on the board until the user chooses.
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev3);
    assert!(!s.writes.is_pending("INC-103"));
    // Discard: nothing is sent and the draft goes with it.
    let e = key(&mut s, KeyCode::Esc);
    assert!(writes(&e).is_empty());
    assert!(s.ui.overlay.is_none());
    assert!(!s.writes.drafts.contains_key("severity:INC-103"));
    assert!(message(&s).starts_with("discarded"), "{}", message(&s));
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev3);
}

#[test]
fn re_apply_sends_if_match_of_the_new_version() {
    let mut s = severity_form_overtaken();
    ctrl_s(&mut s);
    let w = one_write(&ch(&mut s, 'y'));
    assert_eq!(
        w.if_match,
        Some(2),
        "on Dana's version, which the dialog showed"
    );
    assert_eq!(w.body, json!({"severity": "SEV1", "reason": "spreading"}));
    // The optimistic card is the same typed change applied to Dana's version.
    assert_eq!(s.data.incidents["INC-103"].severity, Severity::Sev1);
    assert!(s.writes.is_pending("INC-103"));
}

#[test]
fn a_change_that_arrives_while_the_conflict_is_open_is_shown_again_not_overwritten() {
    let mut s = severity_form_overtaken();
    ctrl_s(&mut s);
    let mut again = s.data.incidents["INC-103"].clone();
    again.commander = Some("Bo Chen".into());
    again.version = 3;
    live(&mut s, again);
    assert!(writes(&ch(&mut s, 'y')).is_empty());
    let c = confirm(&s);
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains("commander: Ana Lima → Bo Chen")),
        "{:?}",
        c.lines
    );
    assert_eq!(one_write(&ch(&mut s, 'y')).if_match, Some(3));
}

#[test]
fn your_own_write_landing_while_a_form_is_open_is_no_conflict() {
    let mut s = at("INC-102");
    let first = one_write(&ch(&mut s, 'a'));
    ch(&mut s, 's');
    ch(&mut s, '1');
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "worse");
    let mut landed = s.data.incidents["INC-102"].clone();
    landed.version = 2;
    done(&mut s, &first, Some(LiveEvent::Incident(landed)));
    // What the form was based on (commander cora, shown at once) is what the server has:
    // sent on the version seen; the outbox chains it onto our own write.
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.if_match, Some(1));
}

#[test]
fn taking_command_from_a_sitting_commander_names_them_and_asks() {
    let mut s = at("INC-103");
    assert!(ch(&mut s, 'a').is_empty());
    let c = confirm(&s);
    assert_eq!(c.title, "Take command of INC-103 from Ana Lima?");
    assert!(
        c.lines
            .iter()
            .any(|l| l.contains("Ana Lima commands INC-103"))
    );
    assert!(writes(&ch(&mut s, 'n')).is_empty());
    assert_eq!(
        s.data.incidents["INC-103"].commander.as_deref(),
        Some("Ana Lima")
    );
    ch(&mut s, 'a');
    let w = one_write(&ch(&mut s, 'y'));
    assert_eq!(w.body, json!({"commander": "cora"}));
    assert_eq!(w.if_match, Some(1));
}

#[test]
fn space_shows_each_step_on_the_row_and_done_asks_first() {
    let mut s = testdata::state();
    ch(&mut s, '3');
    let first = s.action_rows()[0].clone();
    assert_eq!(first.status, ActionStatus::Open);
    let w = one_write(&ch(&mut s, ' '));
    // Step one is on the row at once, marked as not yet confirmed, and stays selected.
    assert_eq!(
        s.data.open_actions[&first.id].status,
        ActionStatus::InProgress
    );
    assert!(s.writes.is_action_pending(&first.id));
    assert_eq!(s.ui.actions_cursor.id.as_deref(), Some(first.id.as_str()));
    let mut landed = s.data.open_actions[&first.id].clone();
    landed.version = 2;
    done(&mut s, &w, Some(LiveEvent::Action(landed)));
    assert!(!s.writes.is_action_pending(&first.id));
    // Step two takes the action off the open list: asked first, naming it.
    assert!(writes(&ch(&mut s, ' ')).is_empty());
    let c = confirm(&s);
    assert_eq!(c.title, format!("Mark {} done?", first.id));
    assert!(c.lines.iter().any(|l| l.contains(&first.owner)));
    let w = one_write(&ch(&mut s, 'y'));
    assert_eq!(w.body, json!({"status": "done"}));
    assert_eq!(w.if_match, Some(2));
}

#[test]
fn a_responder_is_told_at_once_which_keys_need_a_commander() {
    let mut s = at("INC-103");
    s.settings.role = Some(Role::Responder);
    for k in ['s', 'a', 'C', 'x', 'R'] {
        assert!(ch(&mut s, k).is_empty());
        assert!(s.ui.overlay.is_none(), "{k}: no form to fill in first");
        assert!(
            message(&s).contains("needs the commander role"),
            "{k}: {}",
            message(&s)
        );
    }
    // What a responder may do still opens.
    ch(&mut s, 'u');
    assert_eq!(form(&s).kind, named("post_update"));
    key(&mut s, KeyCode::Esc);
    ch(&mut s, 'p');
    assert_eq!(form(&s).kind, named("next_phase"));
    key(&mut s, KeyCode::Esc);
    // Help says which keys are unavailable and why.
    let help = crate::console::view::help_lines(&s);
    assert!(
        help.iter().any(|(_, l)| l.contains("Set severity")
            && l.contains("unavailable: needs commander, you are responder")),
        "{help:?}"
    );
    // Closing from follow-through is a commander's too, whatever key asks.
    let mut s = at("INC-109");
    s.settings.role = Some(Role::Responder);
    assert!(ch(&mut s, 'p').is_empty());
    assert!(s.ui.overlay.is_none());
    assert!(
        message(&s).contains("needs the commander role"),
        "{}",
        message(&s)
    );
}

#[test]
fn a_closed_incident_is_the_commanders_record_and_the_console_says_so_at_once() {
    let mut s = at("INC-111");
    s.settings.role = Some(Role::Responder);
    s.settings.me = Some("rui".into());
    for k in ['u', 'e', 'N', 'c'] {
        assert!(ch(&mut s, k).is_empty(), "{k}: nothing is sent");
        assert!(s.ui.overlay.is_none(), "{k}: no form to fill in first");
        let m = message(&s);
        assert!(
            m.contains("INC-111 is closed") && m.contains("commander"),
            "{k}: {m}"
        );
    }
    // The commander may still correct the record.
    s.settings.role = Some(Role::Commander);
    ch(&mut s, 'u');
    assert_eq!(form(&s).kind, named("post_update"));
}

fn named(name: &str) -> WriteId {
    WriteId::named(name).unwrap()
}

#[test]
fn n_selects_the_declared_incident_names_it_and_offers_command() {
    let mut s = testdata::state();
    s.settings.me = Some("cora".into());
    s.settings.role = Some(Role::Commander);
    ch(&mut s, 'n');
    typed(&mut s, "Checkout errors in EU");
    let w = one_write(&ctrl_s(&mut s));
    let mut created = testdata::incident("INC-900", Severity::Sev3, Phase::Detection);
    created.title = "Checkout errors in EU".into();
    done(&mut s, &w, Some(LiveEvent::Incident(created)));
    assert_eq!(s.selected_id(), Some("INC-900"));
    assert!(message(&s).contains("INC-900"), "{}", message(&s));
    let Some(Overlay::Confirm(c)) = &s.ui.overlay else {
        panic!("no offer to take command: {:?}", s.ui.overlay);
    };
    assert!(c.title.contains("Take command"), "{}", c.title);
    // Enter takes command of it.
    let w = one_write(&key(&mut s, KeyCode::Enter));
    assert_eq!(w.path, "/incidents/INC-900");
    assert_eq!(w.body, json!({"commander": "cora"}));
}

#[test]
fn declining_command_of_a_declared_incident_sends_nothing() {
    let mut s = testdata::state();
    s.settings.me = Some("cora".into());
    s.settings.role = Some(Role::Commander);
    ch(&mut s, 'n');
    typed(&mut s, "Disk full");
    let w = one_write(&ctrl_s(&mut s));
    let created = testdata::incident("INC-901", Severity::Sev4, Phase::Detection);
    done(&mut s, &w, Some(LiveEvent::Incident(created)));
    assert!(key(&mut s, KeyCode::Esc).is_empty());
    assert!(s.ui.overlay.is_none());
    assert_eq!(s.selected_id(), Some("INC-901"));
}

#[test]
fn a_responder_who_declares_is_not_offered_command_they_cannot_take() {
    let mut s = testdata::state();
    s.settings.me = Some("rui".into());
    s.settings.role = Some(Role::Responder);
    ch(&mut s, 'n');
    typed(&mut s, "Disk full");
    let w = one_write(&ctrl_s(&mut s));
    let created = testdata::incident("INC-902", Severity::Sev4, Phase::Detection);
    done(&mut s, &w, Some(LiveEvent::Incident(created)));
    assert!(s.ui.overlay.is_none());
    assert_eq!(s.selected_id(), Some("INC-902"));
    assert!(message(&s).contains("declared INC-902"), "{}", message(&s));
}

#[test]
fn e_edits_the_facts_and_sends_only_what_changed_pinned() {
    let mut s = at("INC-103");
    ch(&mut s, 'e');
    let version = s.data.incidents["INC-103"].version;
    // Title: append to it; leave the rest.
    typed(&mut s, " (EU)");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.path, "/incidents/INC-103");
    let title = format!("{} (EU)", testdata::state().data.incidents["INC-103"].title);
    assert_eq!(w.body, json!({ "title": title }));
    assert_eq!(w.if_match, Some(version));
}

#[test]
fn e_with_nothing_changed_says_so_and_turning_impact_off_needs_a_reason() {
    let mut s = at("INC-103");
    assert!(s.data.incidents["INC-103"].customer_impact);
    ch(&mut s, 'e');
    assert!(ctrl_s(&mut s).is_empty());
    let Some(Overlay::Form(f)) = &s.ui.overlay else {
        panic!()
    };
    assert!(f.error.as_deref().unwrap().contains("nothing changed"));
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    ch(&mut s, 'n');
    assert!(ctrl_s(&mut s).is_empty());
    let Some(Overlay::Form(f)) = &s.ui.overlay else {
        panic!()
    };
    assert_eq!(f.error.as_deref(), Some("Reason is required"));
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "rolled back");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(
        w.body,
        json!({"customer_impact": false, "reason": "rolled back"})
    );
}

#[test]
fn a_responder_is_not_offered_turning_customer_impact_off() {
    let mut s = at("INC-103");
    s.settings.role = Some(Role::Responder);
    ch(&mut s, 'e');
    let Some(Overlay::Form(f)) = &s.ui.overlay else {
        panic!("{:?}", s.ui.notice)
    };
    assert_eq!(f.fields[2].choices, ["yes"]);
}

fn notice(s: &State) -> String {
    s.ui.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

/// A severity change typed in one session, queued while the server was down, and sent by
/// the outbox at the next start: its draft goes too, so the form does not come back with
/// the sent text to be posted a second time.
#[test]
fn a_write_sent_in_a_later_session_clears_its_draft() {
    let mut s = at("INC-103");
    ch(&mut s, 's');
    ch(&mut s, '1');
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "all EU card payments failing");
    let w = one_write(&ctrl_s(&mut s));
    assert_eq!(w.draft.as_deref(), Some("severity:INC-103"));
    // The outbox file is what the next session has: the write and the drafts, no memory.
    let w: Write = serde_json::from_value(serde_json::to_value(&w).unwrap()).unwrap();
    let mut next = at("INC-103");
    next.writes.drafts = s.writes.drafts.clone();
    assert!(next.writes.drafts.contains_key("severity:INC-103"));
    done(&mut next, &w, None);
    assert!(
        next.writes.drafts.is_empty(),
        "the sent write's draft is still offered: {:?}",
        next.writes.drafts.keys()
    );
    ch(&mut next, 's');
    assert_eq!(form(&next).get("reason"), "", "the sent reason came back");
}

/// A write from an earlier session refused for good is said, with its draft kept.
#[test]
fn a_refused_write_from_an_earlier_session_is_said_and_its_draft_kept() {
    let mut s = at("INC-103");
    ch(&mut s, 's');
    ch(&mut s, '1');
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "all EU card payments failing");
    let w = one_write(&ctrl_s(&mut s));
    let mut next = at("INC-103");
    next.writes.drafts = s.writes.drafts.clone();
    refused(&mut next, &w, 403, "needs the commander role", None);
    let text = notice(&next);
    assert!(text.contains("refused: INC-103 SEV2 → SEV1"), "{text}");
    assert!(text.contains("(your draft is kept)"), "{text}");
    assert!(next.writes.drafts.contains_key("severity:INC-103"));
}

/// Writes another token queued are held by the outbox; the console names whose they are
/// and both ways out.
#[test]
fn held_writes_are_named_with_who_queued_them_and_how_to_send_or_drop_them() {
    let mut s = at("INC-103");
    s.settings.me = Some("cmd2".into());
    update(
        &mut s,
        Msg::Outbox(OutboxReport::Held {
            writes: vec![crate::client::outbox::Held {
                label: "note on INC-2".into(),
                by: Some("cora".into()),
            }],
        }),
    );
    let text = notice(&s);
    assert!(
        text.contains(
            "not sent as cmd2: 1 write queued by cora under another token (note on INC-2)"
        ),
        "{text}"
    );
    assert!(text.contains("Start the console with that token"), "{text}");
    assert!(text.contains(":discard-held"), "{text}");
    // The command reaches the outbox.
    ch(&mut s, ':');
    typed(&mut s, "discard-held");
    let effects = key(&mut s, KeyCode::Enter);
    assert!(effects.contains(&Effect::DiscardHeldWrites), "{effects:?}");
}

/// Someone else changes a field the edit form shows while it is open: the conflict names
/// that field, old → new and by whom, whichever field it is. The summary was missing:
/// the dialog said nothing shown had changed, and "re-apply" overwrote their summary.
#[test]
fn every_field_the_edit_form_shows_is_compared_in_its_conflict() {
    type Change = fn(&mut Incident);
    let cases: [(&str, Change, &str); 4] = [
        (
            "summary",
            |i| i.summary = "cmd2: root cause is the LB\nrolling back".into(),
            "summary: (empty) → 'cmd2: root cause is the LB ⏎ rolling back'  (by dana)",
        ),
        ("title", |i| i.title = "LB down".into(), "title: "),
        (
            "impact_scope",
            |i| i.impact_scope = "EU only".into(),
            "impact scope: ",
        ),
        (
            "customer_impact",
            |i| i.customer_impact = false,
            "customer impact: true → false",
        ),
    ];
    for (field, change, shown) in cases {
        let mut s = at("INC-103");
        s.data.incidents.get_mut("INC-103").unwrap().summary = String::new();
        ch(&mut s, 'e');
        assert!(
            form(&s).fields.iter().any(|f| f.name == field),
            "the edit form no longer shows {field}"
        );
        key(&mut s, KeyCode::Tab);
        typed(&mut s, "typed by cora");
        let mut theirs = s.data.incidents["INC-103"].clone();
        change(&mut theirs);
        theirs.version += 1;
        live(&mut s, theirs);
        assert!(
            writes(&ctrl_s(&mut s)).is_empty(),
            "{field}: sent over theirs"
        );
        let lines = confirm(&s).lines.join("\n");
        assert!(lines.contains(shown), "{field} not shown:\n{lines}");
        assert!(!lines.contains("no field shown here changed"), "{lines}");
    }
}

/// Someone closes the incident whose detail is open: the footer says who, and that the
/// keys act on the open detail (they do), not that nothing is selected.
#[test]
fn closing_the_open_details_incident_says_the_keys_act_on_it() {
    let mut s = on_board();
    ch(&mut s, 'l');
    ch(&mut s, 'j');
    assert_eq!(s.selected_id(), Some("INC-112"));
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.ui.detail.as_ref().map(|d| d.id.as_str()), Some("INC-112"));
    moved(&mut s, "INC-112", Phase::Closed);
    let text = message(&s);
    assert!(text.contains("INC-112 was closed by dana"), "{text}");
    assert!(!text.contains("nothing is selected:"), "{text}");
    assert!(text.contains("keys act on it"), "{text}");
    ch(&mut s, 'N');
    assert_eq!(form(&s).incident_id.as_deref(), Some("INC-112"));
}
