//! Writes from the keyboard: take command, severity, phase, close, roles, status updates,
//! corrective actions, exceptions and new incidents. Everything here is pure: it opens
//! forms and confirmations, changes the board optimistically, and returns [`Effect`]s; the
//! outbox task does the sending and reports back with `Msg::Outbox`.
use super::action::Action;
use super::form::{Confirm, Field, Form, FormKind, Overlay};
use super::state::{Loadable, Pending, State, View};
use super::update::Effect;
use crate::client::outbox::OutboxReport;
use crate::client::{LiveEvent, Method, Write, WriteError};
use crate::domain::{ActionStatus, CorrectiveAction, Incident, Phase, Role, Severity};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

/// The four roles, in the order the form shows them (the API's names).
pub const ROLES: [(&str, &str); 4] = [
    ("commander", "Commander"),
    ("comms_lead", "Comms lead"),
    ("scribe", "Scribe"),
    ("ops_lead", "Ops lead"),
];

/// The incident a write key acts on: the open detail's, else the selection.
fn target(state: &State) -> Option<Incident> {
    let id = match &state.detail {
        Some(d) => Some(d.id.as_str()),
        None => state.selected_id(),
    }?;
    state.incidents.get(id).cloned()
}

/// The corrective action under the cursor in the actions view.
fn selected_action(state: &State) -> Option<CorrectiveAction> {
    if let Some(d) = &state.detail {
        // In the detail's actions tab: the top row shown.
        return match (&d.tab, &d.actions) {
            (super::state::Tab::Actions, Loadable::Ready(list)) => list.get(d.scroll).cloned(),
            _ => None,
        };
    }
    if state.view != View::Actions {
        return None;
    }
    state
        .action_rows()
        .get(state.actions_cursor)
        .map(|a| (*a).clone())
}

fn sev_names() -> Vec<&'static str> {
    Severity::ALL.iter().map(|s| s.as_str()).collect()
}

/// A write key was pressed outside a form.
pub fn start(state: &mut State, action: Action) -> Vec<Effect> {
    if state.writes_disabled() {
        state.error(if state.read_only {
            "read-only: this console does not change incidents"
        } else {
            "read-only: this token is a viewer's"
        });
        return vec![];
    }
    state.help = false;
    if action == Action::NewIncident {
        let form = Form::new(
            FormKind::NewIncident,
            None,
            vec![
                Field::text("title", "Title", "").required(),
                Field::choice("severity", "Severity", &sev_names(), "SEV3"),
                Field::choice("customer_impact", "Customer impact", &["yes", "no"], "no"),
                Field::choice(
                    "deployment",
                    "Deployment",
                    &["hosted", "self_hosted"],
                    "hosted",
                ),
                Field::text("impact_scope", "Impact scope", ""),
            ],
        );
        return open_form(state, form);
    }
    if matches!(action, Action::EditAction | Action::CycleActionStatus) {
        let Some(a) = selected_action(state) else {
            state.error(
                "select a corrective action first (actions view, or the detail's actions tab)",
            );
            return vec![];
        };
        return if action == Action::EditAction {
            edit_action_form(state, &a)
        } else {
            cycle_action(state, a)
        };
    }
    let Some(inc) = target(state) else {
        state.error("select an incident first");
        return vec![];
    };
    match action {
        Action::TakeCommand => take_command(state, inc),
        Action::SetSeverity => {
            let form = Form::new(
                FormKind::Severity,
                Some(&inc),
                vec![
                    Field::choice("severity", "Severity", &sev_names(), inc.severity.as_str()),
                    Field::text("reason", "Reason", "").required(),
                ],
            );
            open_form(state, form)
        }
        Action::NextPhase | Action::PrevPhase => {
            let forward = action == Action::NextPhase;
            let to = if forward {
                inc.phase.next()
            } else {
                inc.phase.previous()
            };
            let Some(to) = to else {
                state.error(format!(
                    "{} is already {}",
                    inc.id,
                    if forward {
                        "at the last phase"
                    } else {
                        "at the first phase"
                    }
                ));
                return vec![];
            };
            if to == Phase::Closed {
                return close(state, inc);
            }
            let mut form = Form::new(
                if forward {
                    FormKind::NextPhase
                } else {
                    FormKind::PrevPhase
                },
                Some(&inc),
                vec![Field::text("reason", "Reason (optional)", "")],
            );
            form.context = format!(
                "{} {} · {} → {}",
                inc.id,
                inc.title,
                inc.phase.title(),
                to.title()
            );
            open_form(state, form)
        }
        Action::CloseIncident => close(state, inc),
        Action::AssignRoles => {
            let mut fields = vec![];
            for (name, label) in ROLES {
                let cur = if name == "commander" {
                    inc.commander.clone().unwrap_or_default()
                } else {
                    inc.roles.get(name).cloned().unwrap_or_default()
                };
                fields.push(Field::text(name, label, cur).hint("empty clears"));
            }
            open_form(state, Form::new(FormKind::Roles, Some(&inc), fields))
        }
        Action::PostUpdate => {
            // Impact scope starts from the last update's, else the incident's.
            let last_scope = state
                .detail
                .as_ref()
                .filter(|d| d.id == inc.id)
                .and_then(|d| match &d.updates {
                    Loadable::Ready(u) => u.last().map(|u| u.impact_scope.clone()),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| inc.impact_scope.clone());
            let minutes = state
                .cadence
                .minutes(inc.severity)
                .map(|m| m.to_string())
                .unwrap_or_default();
            let audience = if inc.customer_impact {
                "customer"
            } else {
                "internal"
            };
            let form = Form::new(
                FormKind::StatusUpdate,
                Some(&inc),
                vec![
                    Field::choice("audience", "Audience", &["customer", "internal"], audience),
                    Field::text("impact_scope", "Impact scope", last_scope).required(),
                    Field::text("current_status", "Current status", "").required(),
                    Field::text("next_steps", "Next steps", "").required(),
                    Field::text("next_update_in_minutes", "Next update in (min)", minutes)
                        .hint("empty: no update owed"),
                ],
            );
            open_form(state, form)
        }
        Action::AddAction => {
            let due = (state.now.date_naive() + chrono::Days::new(7)).to_string();
            let form = Form::new(
                FormKind::CorrectiveAction,
                Some(&inc),
                vec![
                    Field::text("title", "Title", "").required(),
                    Field::text("owner", "Owner", state.me.clone().unwrap_or_default()).required(),
                    Field::text("due_date", "Due date", due)
                        .required()
                        .hint("YYYY-MM-DD"),
                ],
            );
            open_form(state, form)
        }
        Action::AddException => {
            let due = (state.now.date_naive() + chrono::Days::new(14)).to_string();
            let form = Form::new(
                FormKind::Exception,
                Some(&inc),
                vec![
                    Field::text("description", "What is excepted", "").required(),
                    Field::text("risk_accepted_by", "Risk accepted by", "").required(),
                    Field::text("remediation_due", "Remediation due", due)
                        .required()
                        .hint("YYYY-MM-DD"),
                ],
            );
            open_form(state, form)
        }
        _ => vec![],
    }
}

/// Opens a form, or its saved draft if there is one.
fn open_form(state: &mut State, form: Form) -> Vec<Effect> {
    let form = match state.drafts.get(&form.draft_key()).cloned() {
        Some(mut d) => {
            state.info("draft restored: ctrl-s sends it, esc keeps it for later");
            d.context = form.context;
            d
        }
        None => form,
    };
    state.overlay = Some(Overlay::Form(form));
    state.dirty = true;
    vec![]
}

fn take_command(state: &mut State, inc: Incident) -> Vec<Effect> {
    let Some(me) = state.me.clone() else {
        state.error("your name is not known yet: set name in config.toml or wait for the server");
        return vec![];
    };
    if inc.commander.as_deref() == Some(me.as_str()) {
        state.info(format!("you already command {}", inc.id));
        return vec![];
    }
    let mut after = inc.clone();
    after.commander = Some(me.clone());
    let w = Write::new(
        Method::Patch,
        format!("/incidents/{}", inc.id),
        json!({ "commander": me }),
        format!("{} commander {me}", inc.id),
    )
    .if_match(inc.version)
    .incident(&inc.id);
    send(state, w, Some(after), None)
}

fn close(state: &mut State, inc: Incident) -> Vec<Effect> {
    let mut after = inc.clone();
    after.phase = Phase::Closed;
    let w = Write::new(
        Method::Patch,
        format!("/incidents/{}", inc.id),
        json!({ "phase": "closed" }),
        format!("close {}", inc.id),
    )
    .if_match(inc.version)
    .incident(&inc.id);
    state.overlay = Some(Overlay::Confirm(Confirm {
        title: format!("Close {}?", inc.id),
        lines: vec![
            inc.title.clone(),
            format!("{} · {}", inc.severity, inc.phase.title()),
            "The server refuses while corrective actions are open without an exception.".into(),
        ],
        write: w,
        optimistic: Some(after),
        draft: None,
    }));
    vec![]
}

fn edit_action_form(state: &mut State, a: &CorrectiveAction) -> Vec<Effect> {
    let inc = state.incidents.get(&a.incident_id).cloned();
    let mut form = Form::new(
        FormKind::EditAction,
        inc.as_ref(),
        vec![
            Field::text("title", "Title", a.title.clone()).required(),
            Field::text("owner", "Owner", a.owner.clone()).required(),
            Field::text("due_date", "Due date", a.due_date.to_string())
                .required()
                .hint("YYYY-MM-DD"),
            Field::choice(
                "status",
                "Status",
                &["open", "in_progress", "done", "cancelled"],
                a.status.as_str(),
            ),
        ],
    );
    form.action_id = Some(a.id.clone());
    form.incident_id = Some(a.incident_id.clone());
    form.context = format!("{} {} · {}", a.id, a.title, a.incident_id);
    open_form(state, form)
}

fn cycle_action(state: &mut State, a: CorrectiveAction) -> Vec<Effect> {
    let next = match a.status {
        ActionStatus::Open => ActionStatus::InProgress,
        ActionStatus::InProgress => ActionStatus::Done,
        ActionStatus::Done | ActionStatus::Cancelled => ActionStatus::Open,
    };
    let w = Write::new(
        Method::Patch,
        format!("/actions/{}", a.id),
        json!({ "status": next.as_str() }),
        format!("{} {}", a.id, next.as_str()),
    )
    .if_match(a.version)
    .incident(&a.incident_id);
    let mut after = a.clone();
    after.status = next;
    set_action_local(state, after);
    let key = w.key.clone();
    let effects = send(state, w, None, None);
    if let Some(p) = state.pending.get_mut(&key) {
        p.action_before = Some(a);
    }
    effects
}

/// Shows an action's new state locally, whatever its version.
fn set_action_local(state: &mut State, a: CorrectiveAction) {
    if a.status.is_open() {
        state.open_actions.insert(a.id.clone(), a.clone());
    } else {
        state.open_actions.remove(&a.id);
    }
    if let Some(d) = state.detail.as_mut().filter(|d| d.id == a.incident_id)
        && let Loadable::Ready(list) = &mut d.actions
        && let Some(x) = list.iter_mut().find(|x| x.id == a.id)
    {
        *x = a;
    }
    let len = state.action_rows().len();
    state.actions_cursor = state.actions_cursor.min(len.saturating_sub(1));
    state.dirty = true;
}

/// Queues a write: the optimistic change shows at once, marked pending.
fn send(
    state: &mut State,
    w: Write,
    optimistic: Option<Incident>,
    draft: Option<String>,
) -> Vec<Effect> {
    let before = w
        .incident_id
        .as_ref()
        .and_then(|id| state.incidents.get(id))
        .cloned();
    if let Some(after) = optimistic {
        state.set_local(after);
    }
    state.pending.insert(
        w.key.clone(),
        Pending {
            write: w.clone(),
            before,
            action_before: None,
            draft,
        },
    );
    state.info(format!("sending: {}", w.label));
    vec![Effect::Write(w)]
}

/// A key in a form or confirmation.
pub fn in_overlay(state: &mut State, action: Action) -> Vec<Effect> {
    state.dirty = true;
    match state.overlay.take() {
        Some(Overlay::Confirm(c)) => match action {
            Action::Confirm => send(state, c.write, c.optimistic, c.draft),
            Action::Cancel => {
                state.info("cancelled: nothing was sent");
                vec![]
            }
            _ => {
                state.overlay = Some(Overlay::Confirm(c));
                vec![]
            }
        },
        Some(Overlay::Form(mut f)) => {
            f.error = None;
            match action {
                Action::Cancel => {
                    state.info("form closed; the draft is kept (open it again to continue)");
                    return vec![];
                }
                Action::NextField => f.move_focus(1),
                Action::PrevField => f.move_focus(-1),
                Action::ChoiceNext | Action::ChoicePrev => {
                    let d = if action == Action::ChoiceNext { 1 } else { -1 };
                    if let Some(field) = f.focused() {
                        field.cycle(d);
                    }
                    return edited(state, f);
                }
                Action::DeleteChar => {
                    if let Some(field) = f.focused()
                        && !field.is_choice()
                    {
                        field.value.pop();
                    }
                    return edited(state, f);
                }
                Action::Send => return submit(state, f),
                _ => {}
            }
            state.overlay = Some(Overlay::Form(f));
            vec![]
        }
        None => vec![],
    }
}

/// A printable key while a form is open.
pub fn form_char(state: &mut State, c: char) -> Vec<Effect> {
    let Some(Overlay::Form(mut f)) = state.overlay.take() else {
        return vec![];
    };
    let kind = f.kind;
    if let Some(field) = f.focused() {
        if field.is_choice() {
            field.type_char(c);
        } else if let Err(full) = super::paste::type_char(kind, field, c) {
            // Nothing changed: say why, and leave the saved draft alone.
            f.error = Some(full);
            state.overlay = Some(Overlay::Form(f));
            state.dirty = true;
            return vec![];
        }
    }
    f.error = None;
    edited(state, f)
}

/// The form changed: keep it on screen and save the draft.
pub(super) fn edited(state: &mut State, f: Form) -> Vec<Effect> {
    state.drafts.insert(f.draft_key(), f.clone());
    state.overlay = Some(Overlay::Form(f));
    state.dirty = true;
    vec![save_drafts(state)]
}

/// The drafts changed; the run loop writes them, at most a few times a second.
pub fn save_drafts(_: &State) -> Effect {
    Effect::DraftsChanged
}

fn refuse(state: &mut State, mut f: Form, why: String) -> Vec<Effect> {
    f.error = Some(why);
    state.overlay = Some(Overlay::Form(f));
    vec![]
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Ctrl+S: check the form, then send (or ask first, for a downgrade).
fn submit(state: &mut State, f: Form) -> Vec<Effect> {
    if let Some(m) = f.missing() {
        let why = format!("{} is required", m.label);
        return refuse(state, f, why);
    }
    let draft = Some(f.draft_key());
    let inc = f
        .incident_id
        .as_ref()
        .and_then(|id| state.incidents.get(id))
        .cloned();
    let text = |name: &str| f.get(name).to_string();
    match f.kind {
        FormKind::NewIncident => {
            let body = json!({
                "title": text("title"),
                "severity": text("severity"),
                "customer_impact": f.get("customer_impact") == "yes",
                "deployment": text("deployment"),
                "impact_scope": text("impact_scope"),
            });
            let w = Write::new(
                Method::Post,
                "/incidents",
                body,
                format!("new incident {:?}", text("title")),
            );
            send(state, w, None, draft)
        }
        _ if f.kind != FormKind::EditAction && inc.is_none() => {
            refuse(state, f, "the incident is no longer on the board".into())
        }
        FormKind::Severity => {
            let inc = inc.expect("checked above");
            let Ok(to) = text("severity").parse::<Severity>() else {
                return refuse(state, f, "pick SEV1 to SEV4".into());
            };
            if to == inc.severity {
                return refuse(state, f, format!("{} is already {to}", inc.id));
            }
            let mut after = inc.clone();
            after.severity = to;
            let w = Write::new(
                Method::Patch,
                format!("/incidents/{}", inc.id),
                json!({ "severity": to.as_str(), "reason": text("reason") }),
                format!("{} {} → {to}", inc.id, inc.severity),
            )
            .if_match(inc.version)
            .incident(&inc.id);
            if to > inc.severity {
                // A downgrade (SEV1 → SEV3) relaxes the cadence: ask first.
                state.overlay = Some(Overlay::Confirm(Confirm {
                    title: format!("Downgrade {} from {} to {to}?", inc.id, inc.severity),
                    lines: vec![
                        inc.title.clone(),
                        format!("Reason: {}", text("reason")),
                        "Customer updates will be due less often.".into(),
                    ],
                    write: w,
                    optimistic: Some(after),
                    draft,
                }));
                return vec![];
            }
            send(state, w, Some(after), draft)
        }
        FormKind::NextPhase | FormKind::PrevPhase => {
            let inc = inc.expect("checked above");
            let to = if f.kind == FormKind::NextPhase {
                inc.phase.next()
            } else {
                inc.phase.previous()
            };
            let Some(to) = to else {
                return refuse(state, f, "no phase to move to".into());
            };
            let mut body = json!({ "phase": to.as_str() });
            if !text("reason").is_empty() {
                body["reason"] = json!(text("reason"));
            }
            let mut after = inc.clone();
            after.phase = to;
            let w = Write::new(
                Method::Patch,
                format!("/incidents/{}", inc.id),
                body,
                format!("{} → {}", inc.id, to.title()),
            )
            .if_match(inc.version)
            .incident(&inc.id);
            send(state, w, Some(after), draft)
        }
        FormKind::Roles => {
            let inc = inc.expect("checked above");
            let mut body = Map::new();
            let mut roles = Map::new();
            let mut after = inc.clone();
            for (name, _) in ROLES {
                let new = text(name);
                let cur = if name == "commander" {
                    inc.commander.clone().unwrap_or_default()
                } else {
                    inc.roles.get(name).cloned().unwrap_or_default()
                };
                if new == cur {
                    continue;
                }
                let v = if new.is_empty() {
                    Value::Null
                } else {
                    json!(new)
                };
                if name == "commander" {
                    body.insert("commander".into(), v);
                    after.commander = (!new.is_empty()).then(|| new.clone());
                } else {
                    roles.insert(name.into(), v);
                    if new.is_empty() {
                        after.roles.remove(name);
                    } else {
                        after.roles.insert(name.into(), new.clone());
                    }
                }
            }
            if !roles.is_empty() {
                body.insert("roles".into(), Value::Object(roles));
            }
            if body.is_empty() {
                return refuse(state, f, "nothing changed".into());
            }
            let w = Write::new(
                Method::Patch,
                format!("/incidents/{}", inc.id),
                Value::Object(body),
                format!("{} roles", inc.id),
            )
            .if_match(inc.version)
            .incident(&inc.id);
            send(state, w, Some(after), draft)
        }
        FormKind::StatusUpdate => {
            let inc = inc.expect("checked above");
            let mut body = json!({
                "audience": text("audience"),
                "impact_scope": text("impact_scope"),
                "current_status": text("current_status"),
                "next_steps": text("next_steps"),
            });
            let m = text("next_update_in_minutes");
            if !m.is_empty() {
                match m.parse::<u32>() {
                    Ok(n) if (1..=1440).contains(&n) => body["next_update_in_minutes"] = json!(n),
                    _ => {
                        return refuse(state, f, "next update in: whole minutes, 1 to 1440".into());
                    }
                }
            }
            let w = Write::new(
                Method::Post,
                format!("/incidents/{}/updates", inc.id),
                body,
                format!("{} update on {}", text("audience"), inc.id),
            )
            .incident(&inc.id);
            send(state, w, None, draft)
        }
        FormKind::CorrectiveAction => {
            let inc = inc.expect("checked above");
            let Some(due) = parse_date(&text("due_date")) else {
                return refuse(state, f, "due date: YYYY-MM-DD".into());
            };
            let w = Write::new(
                Method::Post,
                format!("/incidents/{}/actions", inc.id),
                json!({ "title": text("title"), "owner": text("owner"), "due_date": due.to_string() }),
                format!("action on {}", inc.id),
            )
            .incident(&inc.id);
            send(state, w, None, draft)
        }
        FormKind::Exception => {
            let inc = inc.expect("checked above");
            let Some(due) = parse_due(&text("remediation_due")) else {
                return refuse(state, f, "remediation due: YYYY-MM-DD".into());
            };
            if due <= state.now {
                return refuse(state, f, "remediation due must be in the future".into());
            }
            let w = Write::new(
                Method::Post,
                format!("/incidents/{}/exceptions", inc.id),
                json!({
                    "description": text("description"),
                    "risk_accepted_by": text("risk_accepted_by"),
                    "remediation_due": due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                }),
                format!("exception on {}", inc.id),
            )
            .incident(&inc.id);
            send(state, w, None, draft)
        }
        FormKind::EditAction => {
            let Some(a) = f.action_id.as_ref().and_then(|id| {
                state
                    .open_actions
                    .get(id)
                    .cloned()
                    .or_else(|| detail_action(state, id))
            }) else {
                return refuse(state, f, "the action is no longer listed".into());
            };
            let Some(due) = parse_date(&text("due_date")) else {
                return refuse(state, f, "due date: YYYY-MM-DD".into());
            };
            let mut body = Map::new();
            if text("title") != a.title {
                body.insert("title".into(), json!(text("title")));
            }
            if text("owner") != a.owner {
                body.insert("owner".into(), json!(text("owner")));
            }
            if due != a.due_date {
                body.insert("due_date".into(), json!(due.to_string()));
            }
            if text("status") != a.status.as_str() {
                body.insert("status".into(), json!(text("status")));
            }
            if body.is_empty() {
                return refuse(state, f, "nothing changed".into());
            }
            let w = Write::new(
                Method::Patch,
                format!("/actions/{}", a.id),
                Value::Object(body),
                format!("edit {}", a.id),
            )
            .if_match(a.version)
            .incident(&a.incident_id);
            send(state, w, None, draft)
        }
    }
}

fn detail_action(state: &State, id: &str) -> Option<CorrectiveAction> {
    match &state.detail.as_ref()?.actions {
        Loadable::Ready(list) => list.iter().find(|a| a.id == id).cloned(),
        _ => None,
    }
}

/// A date means the end of that day (UTC); a full RFC 3339 time is taken as it is.
fn parse_due(s: &str) -> Option<DateTime<Utc>> {
    if let Some(d) = parse_date(s) {
        return d.and_hms_opt(23, 59, 59).map(|t| t.and_utc());
    }
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The outbox reports.
pub fn on_outbox(state: &mut State, report: OutboxReport) -> Vec<Effect> {
    state.dirty = true;
    match report {
        OutboxReport::Waiting { pending, error } => {
            state.outbox_waiting = pending;
            state.error(format!(
                "{pending} write{} waiting for the server ({error}); they will be sent when it is back",
                if pending == 1 { "" } else { "s" }
            ));
            vec![]
        }
        OutboxReport::Done {
            write,
            entity,
            pending,
        } => {
            state.outbox_waiting = pending;
            let p = state.pending.remove(&write.key);
            let mut effects = vec![];
            if let Some(draft) = p.and_then(|p| p.draft)
                && state.drafts.remove(&draft).is_some()
            {
                effects.push(save_drafts(state));
            }
            if let Some(e) = entity {
                effects.extend(super::update::apply_event(state, e));
            }
            state.info(format!("done: {}", write.label));
            effects
        }
        OutboxReport::Failed {
            write,
            error,
            pending,
        } => {
            state.outbox_waiting = pending;
            let p = state.pending.remove(&write.key);
            rollback(state, p.as_ref());
            match error {
                WriteError::Refused {
                    status: 412,
                    current: Some(current),
                    ..
                } => conflict(state, write, p, current),
                other => {
                    let kept = p
                        .as_ref()
                        .and_then(|p| p.draft.as_ref())
                        .is_some_and(|d| state.drafts.contains_key(d));
                    state.error(format!(
                        "refused: {}: {}{}",
                        write.label,
                        other.message(),
                        if kept { " (your draft is kept)" } else { "" }
                    ));
                    vec![]
                }
            }
        }
    }
}

/// Puts back what an optimistic change replaced, unless the server has moved on since.
fn rollback(state: &mut State, p: Option<&Pending>) {
    let Some(p) = p else { return };
    if let Some(before) = &p.before
        && state
            .incidents
            .get(&before.id)
            .is_some_and(|cur| cur.version <= before.version)
    {
        state.set_local(before.clone());
    }
    if let Some(a) = &p.action_before {
        set_action_local(state, a.clone());
    }
}

/// 412: someone else changed it first. Show what, and offer to re-apply on their version.
fn conflict(
    state: &mut State,
    write: Write,
    p: Option<Pending>,
    current: LiveEvent,
) -> Vec<Effect> {
    let mut lines = vec![];
    let (version, optimistic) = match &current {
        LiveEvent::Incident(cur) => {
            if let Some(before) = p.as_ref().and_then(|p| p.before.as_ref()) {
                lines.extend(incident_diff(before, cur));
            }
            // Show their version now; ours is re-applied on top if confirmed.
            state.set_local(cur.clone());
            let mut after = cur.clone();
            apply_patch(&mut after, &write.body);
            (cur.version, Some(after))
        }
        LiveEvent::Action(cur) => {
            if let Some(before) = p.as_ref().and_then(|p| p.action_before.as_ref()) {
                lines.extend(action_diff(before, cur));
            }
            set_action_local(state, cur.clone());
            (cur.version, None)
        }
        _ => return vec![],
    };
    if lines.is_empty() {
        lines.push("(no visible field changed)".into());
    }
    lines.insert(0, "Someone else changed it first:".into());
    lines.push(String::new());
    lines.push(format!(
        "Re-apply yours ({}) on their version?",
        write.label
    ));
    let mut again = write.clone();
    again.key = crate::client::new_key();
    again.if_match = Some(version);
    state.overlay = Some(Overlay::Confirm(Confirm {
        title: format!(
            "Conflict on {}",
            write.incident_id.clone().unwrap_or_default()
        ),
        lines,
        write: again,
        optimistic,
        draft: p.and_then(|p| p.draft),
    }));
    state.error(format!(
        "conflict: {} changed since you looked",
        write.label
    ));
    vec![]
}

/// Applies a PATCH body to a local copy, for the optimistic view.
fn apply_patch(inc: &mut Incident, body: &Value) {
    if let Some(s) = body
        .get("severity")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
    {
        inc.severity = s;
    }
    if let Some(p) = body
        .get("phase")
        .and_then(|p| serde_json::from_value::<Phase>(p.clone()).ok())
    {
        inc.phase = p;
    }
    if let Some(c) = body.get("commander") {
        inc.commander = c.as_str().map(str::to_string);
    }
    if let Some(Value::Object(roles)) = body.get("roles") {
        for (k, v) in roles {
            match v.as_str() {
                Some(name) => {
                    inc.roles.insert(k.clone(), name.to_string());
                }
                None => {
                    inc.roles.remove(k);
                }
            }
        }
    }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "(none)".into())
}

pub fn incident_diff(a: &Incident, b: &Incident) -> Vec<String> {
    let mut out = vec![];
    let mut diff = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("  {what}: {x} → {y}"));
        }
    };
    diff("severity", a.severity.to_string(), b.severity.to_string());
    diff("phase", a.phase.title().into(), b.phase.title().into());
    diff("commander", opt(&a.commander), opt(&b.commander));
    for (role, _) in ROLES.iter().skip(1) {
        diff(
            role,
            opt(&a.roles.get(*role).cloned()),
            opt(&b.roles.get(*role).cloned()),
        );
    }
    diff("title", a.title.clone(), b.title.clone());
    diff(
        "impact scope",
        a.impact_scope.clone(),
        b.impact_scope.clone(),
    );
    diff(
        "customer impact",
        a.customer_impact.to_string(),
        b.customer_impact.to_string(),
    );
    out
}

fn action_diff(a: &CorrectiveAction, b: &CorrectiveAction) -> Vec<String> {
    let mut out = vec![];
    let mut diff = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("  {what}: {x} → {y}"));
        }
    };
    diff("status", a.status.as_str().into(), b.status.as_str().into());
    diff("owner", a.owner.clone(), b.owner.clone());
    diff("due date", a.due_date.to_string(), b.due_date.to_string());
    diff("title", a.title.clone(), b.title.clone());
    out
}

/// The server said who we are. A viewer token disables every write key.
pub fn on_whoami(state: &mut State, who: Result<crate::client::WhoAmI, String>) -> Vec<Effect> {
    match who {
        Ok(w) => {
            if state.me.is_none() {
                state.me = Some(w.name);
            }
            state.role = Some(w.role);
            if w.role == Role::Viewer {
                state.info("viewer token: read-only");
            }
            state.dirty = true;
        }
        Err(e) => tracing::info!(error = %e, "whoami unavailable"),
    }
    vec![]
}

#[cfg(test)]
#[path = "triage_tests.rs"]
mod tests;
