//! `c`: add a corrective action (owner defaults to you, due in a week).
use super::command::Command;
use super::form::{Field, Form, Prepared, Seen, parse_date};
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
        Ok(Opened::Form(NewForm::new(vec![
            Field::text("title", "Title", "").required(),
            Field::text("owner", "Owner", cx.me.unwrap_or_default()).required(),
            Field::text("due_date", "Due date", due)
                .required()
                .hint("YYYY-MM-DD"),
        ])))
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let due_date = parse_date(f.get("due_date")).ok_or("due date: YYYY-MM-DD")?;
        Ok(Submitted::Send(Prepared {
            command: Command::AddAction {
                id: seen.id.clone(),
                action: NewAction {
                    title: f.get("title").to_string(),
                    owner: f.get("owner").to_string(),
                    due_date,
                    priority: None,
                },
            },
            label: format!("action on {}", seen.id),
            seen: Some(Seen::Incident(seen.clone())),
        }))
    }
}
