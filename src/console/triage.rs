//! Writes from the keyboard: what a write key does, and what happens to a write between
//! the key and the server's answer. Every write is pinned when it starts to the incident
//! (or corrective action) and version the user saw; it is sent with that version as
//! If-Match, and not sent at all over a change that arrived since: the conflict dialog
//! shows that change instead. Everything here is pure; the outbox task does the sending and
//! reports back with `Msg::Outbox`. The forms themselves are in `forms/`, one per write.
use super::forms::roles::ROLES;
use super::forms::{
    self, Confirm, Context, Form, Opened, Overlay, Prepared, Refusal, Seen, Subject, Submitted,
    Target, WriteId,
};
use super::intent::Intent;
use super::msg::Effect;
use super::state::{Loadable, Pending, State, View};
use crate::client::outbox::{Held, OutboxReport};
use crate::client::{LiveEvent, Write, WriteError};
use crate::domain::{CorrectiveAction, Incident, Role};

/// The incident a write key acts on: the open detail's, else the selection.
fn target(state: &State) -> Option<Incident> {
    let id = match &state.ui.detail {
        Some(d) => Some(d.id.as_str()),
        None => state.selected_id(),
    }?;
    state.data.incidents.get(id).cloned()
}

/// The corrective action under the cursor in the actions view.
fn selected_action(state: &State) -> Option<CorrectiveAction> {
    if let Some(d) = &state.ui.detail {
        // In the detail's actions tab: the top row shown.
        return match (&d.tab, &d.actions) {
            (super::state::Tab::Actions, Loadable::Ready(list)) => list.get(d.scroll).cloned(),
            _ => None,
        };
    }
    if state.ui.view != View::Actions {
        return None;
    }
    state.selected_action().cloned()
}

/// A write key was pressed outside a form: the write's own description decides what
/// happens (see `forms/`); this checks what every write needs first.
pub fn start(state: &mut State, write: WriteId) -> Vec<Effect> {
    if state.settings.writes_disabled() {
        state.ui.error(if state.settings.read_only {
            "read-only: this console does not change incidents"
        } else {
            "read-only: this token is a viewer's"
        });
        return vec![];
    }
    // Said at once, before any form is filled in: the server would refuse it.
    if let Some(why) = super::roles::refusal(state.settings.role, write) {
        state.ui.error(why);
        return vec![];
    }
    state.ui.help = false;
    let spec = write.spec();
    let (inc, action) = match spec.subject() {
        Subject::Nothing => (None, None),
        Subject::Incident => match target(state) {
            Some(inc) => (Some(inc), None),
            None => {
                state.ui.error(forms::NO_INCIDENT);
                return vec![];
            }
        },
        Subject::Action => match selected_action(state) {
            Some(a) => (None, Some(a)),
            None => {
                state.ui.error(forms::NO_ACTION);
                return vec![];
            }
        },
    };
    // A closed incident is the commander's record: said at once, in the server's words.
    if let (Some(inc), Some(role)) = (&inc, state.settings.role)
        && let Err(e) = inc.authorize_addition(
            state.settings.me.as_deref().unwrap_or("you"),
            role,
            &spec.description().to_lowercase(),
        )
    {
        state.ui.error(e.message);
        return vec![];
    }
    // What the write is pinned to: as it is on screen now.
    let (target, seen) = match (&inc, &action) {
        (Some(i), _) => (Target::Incident(i), Some(Seen::Incident(i.clone()))),
        (None, Some(a)) => (Target::Action(a), Some(Seen::Action(a.clone()))),
        (None, None) => (Target::Nothing, None),
    };
    let last_scope = inc.as_ref().and_then(|inc| {
        state
            .ui
            .detail
            .as_ref()
            .filter(|d| d.id == inc.id)
            .and_then(|d| match &d.updates {
                Loadable::Ready(u) => u.last().map(|u| u.impact_scope.clone()),
                _ => None,
            })
    });
    let opened = spec.open(&Context {
        target,
        me: state.settings.me.as_deref(),
        role: state.settings.role,
        now: state.sync.now,
        cadence: &state.settings.cadence,
        last_scope: last_scope.as_deref(),
    });
    match opened {
        Ok(Opened::Form(new)) => {
            open_form(state, Form::pinned(write, seen, new.fields, new.context))
        }
        Ok(Opened::Write(submitted)) => proceed(state, submitted, None),
        Err(Refusal::Error(why)) => {
            state.ui.error(why);
            vec![]
        }
        Err(Refusal::Notice(why)) => {
            state.ui.info(why);
            vec![]
        }
    }
}

/// Opens a form, or its saved draft if there is one. Either way it is pinned to the
/// incident (or action) as it is on screen now.
fn open_form(state: &mut State, form: Form) -> Vec<Effect> {
    let form = match state.writes.drafts.get(&form.draft_key()).cloned() {
        Some(mut d) => {
            state
                .ui
                .info("draft restored: ctrl-s sends it, esc keeps it for later");
            d.context = form.context;
            d.seen = form.seen;
            // Which fields are multi-line is the form's, not the saved draft's.
            for field in &mut d.fields {
                field.multiline = form
                    .fields
                    .iter()
                    .any(|new| new.name == field.name && new.multiline);
            }
            d
        }
        None => form,
    };
    state.ui.overlay = Some(Overlay::Form(form));
    state.ui.dirty = true;
    vec![]
}

/// Sends a write at once, or asks first.
fn proceed(state: &mut State, submitted: Submitted, draft: Option<String>) -> Vec<Effect> {
    match submitted {
        Submitted::Send(p) => dispatch(state, p, draft),
        Submitted::Ask {
            title,
            lines,
            write,
        } => {
            state.ui.overlay = Some(Overlay::Confirm(Confirm {
                title,
                lines,
                write,
                draft,
                yes: "yes",
                no: "no",
                conflict: false,
            }));
            state.ui.dirty = true;
            vec![]
        }
    }
}

/// The incident or action as it is now, of the kind `seen` is.
fn current(state: &State, seen: &Seen) -> Option<Seen> {
    match seen {
        Seen::Incident(i) => state.data.incidents.get(&i.id).cloned().map(Seen::Incident),
        Seen::Action(a) => state
            .data
            .open_actions
            .get(&a.id)
            .cloned()
            .or_else(|| detail_action(state, &a.id))
            .map(Seen::Action),
    }
}

/// The fields a person sees that differ between what a write was based on and now.
fn changes(seen: &Seen, now: &Seen) -> Vec<String> {
    match (seen, now) {
        (Seen::Incident(a), Seen::Incident(b)) => incident_diff(a, b),
        (Seen::Action(a), Seen::Action(b)) => action_diff(a, b),
        _ => vec![],
    }
}

/// Sends a prepared write, pinned to what the user saw: If-Match is that version. If
/// what the user saw has changed since (a live event arrived), nothing is sent: the
/// conflict dialog shows the change and offers to re-apply on the new version.
fn dispatch(state: &mut State, p: Prepared, draft: Option<String>) -> Vec<Effect> {
    let now = match &p.seen {
        None => None,
        Some(seen) => match current(state, seen) {
            None => {
                state.ui.error(format!(
                    "not sent: {} is no longer listed ({})",
                    subject(seen),
                    p.label
                ));
                return vec![];
            }
            Some(now) => {
                if !changes(seen, &now).is_empty() {
                    return conflict(state, p, now, draft);
                }
                Some(now)
            }
        },
    };
    let version = p.seen.as_ref().map(Seen::version);
    let w = p.command.to_write(version, &p.label);
    let (optimistic, action_after) = match &now {
        Some(Seen::Incident(inc)) => (
            p.command
                .optimistic(inc, state.sync.now, &state.settings.cadence),
            None,
        ),
        Some(Seen::Action(a)) => (None, p.command.optimistic_action(a, state.sync.now)),
        None => (None, None),
    };
    let action_before = match (&now, &action_after) {
        (Some(Seen::Action(a)), Some(_)) => Some(a.clone()),
        _ => None,
    };
    if let Some(after) = action_after {
        state.set_action_local(after);
    }
    let key = w.key.clone();
    let effects = send(state, w, optimistic, draft, Some(p));
    if let Some(pending) = state.writes.pending.get_mut(&key) {
        pending.action_before = action_before;
    }
    effects
}

fn subject(seen: &Seen) -> &str {
    match seen {
        Seen::Incident(i) => &i.id,
        Seen::Action(a) => &a.id,
    }
}

/// Queues a write: the optimistic change shows at once, marked pending.
fn send(
    state: &mut State,
    w: Write,
    optimistic: Option<Incident>,
    draft: Option<String>,
    prepared: Option<Prepared>,
) -> Vec<Effect> {
    let before = w
        .incident_id
        .as_ref()
        .and_then(|id| state.data.incidents.get(id))
        .cloned();
    if let Some(after) = optimistic {
        state.set_local(after);
    }
    // Saved with the write, so whichever session sends it clears the draft.
    let w = Write {
        draft: draft.clone(),
        ..w
    };
    state.writes.pending.insert(
        w.key.clone(),
        Pending {
            write: w.clone(),
            before,
            action_before: None,
            draft,
            prepared,
        },
    );
    state.ui.info(format!("sending: {}", w.label));
    vec![Effect::Write(w)]
}

/// A key in a form or confirmation.
pub fn in_overlay(state: &mut State, action: Intent) -> Vec<Effect> {
    state.ui.dirty = true;
    match state.ui.overlay.take() {
        Some(Overlay::Confirm(c)) => match action {
            // Sent only if what it is based on is still what is on screen.
            Intent::Confirm => dispatch(state, c.write, c.draft),
            Intent::Cancel if c.conflict => {
                let mut effects = vec![];
                if let Some(d) = &c.draft
                    && state.writes.drafts.remove(d).is_some()
                {
                    effects.push(Effect::DraftsChanged);
                }
                state
                    .ui
                    .info(format!("discarded: {} was not sent", c.write.label));
                effects
            }
            Intent::Cancel => {
                state.ui.info("cancelled: nothing was sent");
                vec![]
            }
            _ => {
                state.ui.overlay = Some(Overlay::Confirm(c));
                vec![]
            }
        },
        Some(Overlay::Form(mut f)) => {
            f.error = None;
            match action {
                Intent::Cancel => {
                    state
                        .ui
                        .info("form closed; the draft is kept (open it again to continue)");
                    return vec![];
                }
                Intent::NextField => f.move_focus(1),
                Intent::PrevField => f.move_focus(-1),
                Intent::ChoiceNext | Intent::ChoicePrev => {
                    let d = if action == Intent::ChoiceNext { 1 } else { -1 };
                    if let Some(field) = f.focused() {
                        field.cycle(d);
                    }
                    return state.form_edited(f);
                }
                Intent::DeleteChar => {
                    if let Some(field) = f.focused() {
                        field.edit(forms::text::Edit::Backspace);
                    }
                    return state.form_edited(f);
                }
                Intent::Send => return submit(state, f),
                _ => {}
            }
            state.ui.overlay = Some(Overlay::Form(f));
            vec![]
        }
        None => vec![],
    }
}

/// A printable key while a form is open.
pub fn form_char(state: &mut State, c: char) -> Vec<Effect> {
    let Some(Overlay::Form(mut f)) = state.ui.overlay.take() else {
        return vec![];
    };
    let kind = f.kind;
    if let Some(field) = f.focused() {
        if field.is_choice() {
            field.type_char(c);
        } else if let Err(full) = super::paste::type_char(kind, field, c) {
            // Nothing changed: say why, and leave the saved draft alone.
            f.error = Some(full);
            state.ui.overlay = Some(Overlay::Form(f));
            state.ui.dirty = true;
            return vec![];
        }
    }
    f.error = None;
    state.form_edited(f)
}

fn refuse(state: &mut State, mut f: Form, why: String) -> Vec<Effect> {
    f.error = Some(why);
    state.ui.overlay = Some(Overlay::Form(f));
    vec![]
}

/// Ctrl+S: the form's typed write, pinned to what the form opened on.
fn submit(state: &mut State, f: Form) -> Vec<Effect> {
    match forms::submit(&f, f.seen.as_ref(), state.sync.now) {
        Ok(s) => {
            let draft = Some(f.draft_key());
            proceed(state, s, draft)
        }
        Err(why) => refuse(state, f, why),
    }
}

fn detail_action(state: &State, id: &str) -> Option<CorrectiveAction> {
    match &state.ui.detail.as_ref()?.actions {
        Loadable::Ready(list) => list.iter().find(|a| a.id == id).cloned(),
        _ => None,
    }
}

/// The outbox reports.
pub fn on_outbox(state: &mut State, report: OutboxReport) -> Vec<Effect> {
    state.ui.dirty = true;
    match report {
        OutboxReport::Waiting { pending, error } => {
            state.sync.outbox_waiting = pending;
            state.ui.error(format!(
                "{pending} write{} waiting for the server ({error}); they will be sent when it is back",
                if pending == 1 { "" } else { "s" }
            ));
            vec![]
        }
        OutboxReport::Held { writes } => {
            let text = held_message(state, &writes);
            state.ui.error(text);
            vec![]
        }
        OutboxReport::Discarded { writes } if writes.is_empty() => {
            state.ui.info("no held writes to discard");
            vec![]
        }
        OutboxReport::Discarded { writes } => {
            let labels: Vec<&str> = writes.iter().map(|h| h.label.as_str()).collect();
            state
                .ui
                .info(format!("discarded, never sent: {}", labels.join("; ")));
            vec![]
        }
        OutboxReport::Done {
            write,
            entity,
            pending,
        } => {
            state.sync.outbox_waiting = pending;
            let p = state.writes.pending.remove(&write.key);
            let declared = p.as_ref().is_some_and(|p| {
                matches!(
                    p.prepared.as_ref().map(|w| &w.command),
                    Some(forms::Command::NewIncident(_))
                )
            });
            let mut effects = vec![];
            // A write queued in an earlier session has no pending entry: its draft key
            // travelled with it in the outbox file.
            if let Some(draft) = p.and_then(|p| p.draft).or(write.draft.clone())
                && state.writes.drafts.remove(&draft).is_some()
            {
                effects.push(Effect::DraftsChanged);
            }
            let created = match (&entity, declared) {
                (Some(LiveEvent::Incident(inc)), true) => Some(inc.id.clone()),
                _ => None,
            };
            if let Some(e) = entity {
                effects.extend(super::apply::apply_event(state, e));
            }
            match created {
                Some(id) => declared_new(state, &id),
                None => state.ui.info(format!("done: {}", write.label)),
            }
            effects
        }
        OutboxReport::Failed {
            write,
            error,
            pending,
        } => {
            state.sync.outbox_waiting = pending;
            let p = state.writes.pending.remove(&write.key);
            rollback(state, p.as_ref());
            match error {
                WriteError::Refused {
                    status: 412,
                    current: Some(current),
                    ..
                } if p.as_ref().is_some_and(|p| p.prepared.is_some()) => {
                    let p = p.expect("checked");
                    let now = match current {
                        LiveEvent::Incident(cur) => {
                            // Theirs is what the board shows until the user re-applies.
                            state.set_local(cur.clone());
                            Seen::Incident(cur)
                        }
                        LiveEvent::Action(cur) => {
                            state.set_action_local(cur.clone());
                            Seen::Action(cur)
                        }
                        _ => return vec![],
                    };
                    conflict(state, p.prepared.expect("checked"), now, p.draft)
                }
                other => {
                    let kept = p
                        .as_ref()
                        .and_then(|p| p.draft.as_ref())
                        .or(write.draft.as_ref())
                        .is_some_and(|d| state.writes.drafts.contains_key(d));
                    state.ui.error(format!(
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

/// Writes another token queued, held in the outbox file: say whose, and the two ways out.
fn held_message(state: &State, writes: &[Held]) -> String {
    let n = writes.len();
    let mut names: Vec<&str> = writes
        .iter()
        .map(|h| h.by.as_deref().unwrap_or("an unnamed token"))
        .collect();
    names.dedup();
    let labels: Vec<&str> = writes.iter().map(|h| h.label.as_str()).collect();
    let as_me = match state.settings.me.as_deref() {
        Some(me) => format!(" as {me}"),
        None => String::new(),
    };
    format!(
        "not sent{as_me}: {n} write{} queued by {} under another token ({}). Start the console with that token to send {}, or type :discard-held to drop {}",
        if n == 1 { "" } else { "s" },
        names.join(", "),
        labels.join("; "),
        if n == 1 { "it" } else { "them" },
        if n == 1 { "it" } else { "them" },
    )
}

/// A new incident the user declared is on the board: select it, say its id, and offer to
/// take command of it (a declared incident nobody commands is the one that drifts).
fn declared_new(state: &mut State, id: &str) {
    let shown = state.select_incident(id);
    state.ui.info(format!(
        "declared {id}{}",
        if shown {
            ""
        } else {
            " (not in this view: clear the filter to see it)"
        }
    ));
    let (Some(inc), Some(me)) = (state.data.incidents.get(id), state.settings.me.as_deref()) else {
        return;
    };
    let writes_allowed = !state.settings.writes_disabled()
        && super::roles::refusal(
            state.settings.role,
            WriteId::named("take_command").expect("registered"),
        )
        .is_none();
    if state.ui.overlay.is_some() || !writes_allowed {
        return;
    }
    let Ok(submitted) = forms::take_command::start(inc, me) else {
        return;
    };
    let write = submitted.prepared().clone();
    state.ui.overlay = Some(Overlay::Confirm(Confirm {
        title: format!("Declared {id}. Take command of it?"),
        lines: vec![
            inc.title.clone(),
            format!("{} · {}", inc.severity, inc.phase.title()),
            format!("You ({me}) would become its commander."),
        ],
        write,
        draft: None,
        yes: "take command",
        no: "not now",
        conflict: false,
    }));
    state.ui.dirty = true;
}

/// Puts back what an optimistic change replaced, unless the server has moved on since.
fn rollback(state: &mut State, p: Option<&Pending>) {
    let Some(p) = p else { return };
    if let Some(before) = &p.before
        && state
            .data
            .incidents
            .get(&before.id)
            .is_some_and(|cur| cur.version <= before.version)
    {
        state.set_local(before.clone());
    }
    if let Some(a) = &p.action_before {
        state.set_action_local(a.clone());
    }
}

/// Someone else changed it since the user looked: before sending (a live event arrived
/// while the form was open) or from the server (412). Shows what changed, field by field
/// and by whom, and offers to re-apply the same typed change on the new version.
fn conflict(state: &mut State, p: Prepared, now: Seen, draft: Option<String>) -> Vec<Effect> {
    let (id, version) = (subject(&now).to_string(), now.version());
    let by = match state.data.changed_by.get(&id) {
        Some((v, who)) if *v == version => who.clone(),
        _ => "someone else".to_string(),
    };
    let mut lines = vec![format!(
        "{id} changed since you saw it (now version {version}):"
    )];
    let diff = p
        .seen
        .as_ref()
        .map(|s| changes(s, &now))
        .unwrap_or_default();
    if diff.is_empty() {
        lines.push("  (no field shown here changed)".into());
    }
    lines.extend(diff.into_iter().map(|l| format!("{l}  (by {by})")));
    lines.push(String::new());
    lines.push(format!("Yours, not sent: {}", p.label));
    state.ui.error(format!(
        "not sent: {id} changed since you saw it; re-apply or discard"
    ));
    state.ui.overlay = Some(Overlay::Confirm(Confirm {
        title: format!("Conflict on {id}"),
        lines,
        write: Prepared {
            seen: Some(now),
            ..p
        },
        draft,
        yes: "re-apply yours",
        no: "discard yours",
        conflict: true,
    }));
    vec![]
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "(none)".into())
}

/// A free-text value (a summary can run to paragraphs) as a part of one dialog line: line
/// breaks shown as ⏎, empty said, and long text cut so old and new both fit on screen.
fn text(s: &str) -> String {
    const MAX: usize = 120;
    let flat = s.trim().replace("\r\n", "\n").replace('\n', " ⏎ ");
    if flat.is_empty() {
        return "(empty)".into();
    }
    format!("'{}'", crate::sanitize::columns::truncate(&flat, MAX))
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
    // Every field a form edits is compared: a change to one left out was overwritten by
    // "re-apply yours" under a dialog saying nothing had changed.
    diff("title", text(&a.title), text(&b.title));
    diff("summary", text(&a.summary), text(&b.summary));
    diff("impact scope", text(&a.impact_scope), text(&b.impact_scope));
    diff(
        "customer impact",
        a.customer_impact.to_string(),
        b.customer_impact.to_string(),
    );
    diff(
        "deployment",
        a.deployment.as_str().into(),
        b.deployment.as_str().into(),
    );
    diff(
        "recovery owner",
        a.recovery_owner.as_str().into(),
        b.recovery_owner.as_str().into(),
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
    diff(
        "priority",
        a.priority.as_str().into(),
        b.priority.as_str().into(),
    );
    diff("title", text(&a.title), text(&b.title));
    out
}

/// The server said who we are. A viewer token disables every write key.
pub fn on_whoami(state: &mut State, who: Result<crate::client::WhoAmI, String>) -> Vec<Effect> {
    match who {
        Ok(w) => {
            if state.settings.me.is_none() {
                state.settings.me = Some(w.name);
            }
            state.settings.role = Some(w.role);
            if w.role == Role::Viewer {
                state.ui.info("viewer token: read-only");
            }
            state.ui.dirty = true;
        }
        Err(e) => tracing::info!(error = %e, "whoami unavailable"),
    }
    vec![]
}

#[cfg(test)]
#[path = "triage_tests.rs"]
mod tests;
