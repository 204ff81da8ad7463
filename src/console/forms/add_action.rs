//! `c`: add a corrective action (owner defaults to you, due in a week).
use super::command::Command;
use super::corrective;
use super::form::{Form, Prepared};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{NewAction, Role};
use chrono::{DateTime, Utc};

pub struct AddAction;

impl WriteSpec for AddAction {
    fn name(&self) -> &'static str {
        "add_action"
    }
    fn label(&self) -> &'static str {
        "action"
    }
    fn description(&self) -> &'static str {
        "Add a corrective action"
    }
    fn hint(&self) -> bool {
        true
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    /// `POST /incidents/{id}/actions` is a responder's (the server's route).
    fn role(&self) -> Role {
        Role::Responder
    }
    fn draft_name(&self) -> &'static str {
        "corrective_action"
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        cx.target.incident().map_err(Refusal::Error)?;
        let due = (cx.now.date_naive() + chrono::Days::new(7)).to_string();
        let owner = cx.me.unwrap_or_default();
        Ok(Opened::Form(NewForm::new(corrective::fields("", owner, &due))))
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let command = Command::AddAction {
            id: seen.id.clone(),
            action: NewAction {
                title: f.get("title").to_string(),
                owner: f.get("owner").to_string(),
                due_date: corrective::due_date(f)?,
                priority: None,
            },
        };
        let label = format!("action on {}", seen.id);
        Ok(Submitted::Send(Prepared::on_incident(seen, command, label)))
    }
}
