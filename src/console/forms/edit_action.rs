//! `enter` on a corrective action: edit its title, owner, due date or status. Only what
//! changed is sent.
use super::corrective;
use super::form::{Field, Form, Prepared};
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
        let mut fields = corrective::fields(&a.title, &a.owner, &a.due_date.to_string());
        fields.push(Field::choice(
                "status",
                "Status",
                &["open", "in_progress", "done", "cancelled"],
            a.status.as_str(),
        ));
        Ok(Opened::Form(NewForm::new(fields)))
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.action()?;
        let due = corrective::due_date(f)?;
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
        let label = format!("edit {} on {}", seen.id, seen.incident_id);
        Ok(Submitted::Send(Prepared::patch_action(seen, patch, label)))
    }
}
