//! `enter` on a corrective action: edit its title, owner, due date or status. Only what
//! changed is sent.
use super::command::Command;
use super::form::{Field, Form, Prepared, Seen, parse_date};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{ActionPatch, ActionStatus, Role};
use chrono::{DateTime, Utc};

pub struct EditAction;

impl WriteSpec for EditAction {
    fn name(&self) -> &'static str {
        "edit_action"
    }
    fn label(&self) -> &'static str {
        "edit"
    }
    fn description(&self) -> &'static str {
        "Edit the selected corrective action"
    }
    fn hint(&self) -> bool {
        true
    }
    fn subject(&self) -> Subject {
        Subject::Action
    }
    /// `PATCH /actions/{id}` is a responder's (the server's route).
    fn role(&self) -> Role {
        Role::Responder
    }
    fn form_title(&self) -> &'static str {
        "Edit corrective action"
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let a = cx.target.action().map_err(Refusal::Error)?;
        Ok(Opened::Form(NewForm::new(vec![
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
        ])))
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.action()?;
        let due = parse_date(f.get("due_date")).ok_or("due date: YYYY-MM-DD")?;
        let status: ActionStatus = f.get("status").parse()?;
        let changed = |new: &str, old: &str| (new != old).then(|| new.to_string());
        let patch = ActionPatch {
            title: changed(f.get("title"), &seen.title),
            owner: changed(f.get("owner"), &seen.owner),
            due_date: (due != seen.due_date).then_some(due),
            status: (status != seen.status).then_some(status),
            priority: None,
        };
        if patch == ActionPatch::default() {
            return Err("nothing changed".into());
        }
        Ok(Submitted::Send(Prepared {
            command: Command::PatchAction {
                id: seen.id.clone(),
                incident_id: seen.incident_id.clone(),
                patch,
            },
            label: format!("edit {} on {}", seen.id, seen.incident_id),
            seen: Some(Seen::Action(seen.clone())),
        }))
    }
}
