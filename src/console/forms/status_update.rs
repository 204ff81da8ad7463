//! `u`: post a status update. Impact scope starts from the last update's (else the
//! incident's) and the next update from the severity's cadence.
use super::command::Command;
use super::form::{Field, Form, Prepared};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{Audience, NewStatusUpdate, Role, limits};
use chrono::{DateTime, Utc};

pub struct PostUpdate;

impl WriteSpec for PostUpdate {
    fn name(&self) -> &'static str {
        "post_update"
    }
    fn label(&self) -> &'static str {
        "update"
    }
    fn description(&self) -> &'static str {
        "Post a status update (internal or customer)"
    }
    fn hint(&self) -> bool {
        true
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    /// `POST /incidents/{id}/updates` is a responder's (the server's route).
    fn role(&self) -> Role {
        Role::Responder
    }
    fn form_title(&self) -> &'static str {
        "Post a status update"
    }
    fn draft_name(&self) -> &'static str {
        "status_update"
    }
    /// Every update states its current status; a customer update also its impact scope and
    /// next steps (the communication baseline). The server asks the same.
    fn required(&self, form: &Form, field: &Field) -> bool {
        match field.name.as_str() {
            "impact_scope" | "next_steps" => form.get("audience") == "customer",
            _ => field.required,
        }
    }
    /// An update's impact scope is long text (an incident's is short).
    fn field_limit(&self, field: &str) -> Option<usize> {
        (field == "impact_scope").then_some(limits::LONG_TEXT)
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let inc = cx.target.incident().map_err(Refusal::Error)?;
        let last_scope = cx
            .last_scope
            .filter(|s| !s.is_empty())
            .unwrap_or(&inc.impact_scope)
            .to_string();
        let minutes = cx
            .cadence
            .minutes(inc.severity)
            .map(|m| m.to_string())
            .unwrap_or_default();
        let audience = if inc.customer_impact {
            "customer"
        } else {
            "internal"
        };
        Ok(Opened::Form(NewForm::new(vec![
            Field::choice("audience", "Audience", &["customer", "internal"], audience),
            Field::text("impact_scope", "Impact scope", last_scope)
                .multiline(),
            Field::text("current_status", "Current status", "")
                .multiline()
                .required(),
            Field::text("next_steps", "Next steps", "").multiline(),
            Field::text("next_update_in_minutes", "Next update in (min)", minutes)
                .hint("empty: no update owed"),
        ])))
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let audience: Audience = f.get("audience").parse()?;
        let minutes = match f.get("next_update_in_minutes") {
            "" => None,
            m => Some(m.parse::<u32>().map_err(|_| {
                format!(
                    "next update in: whole minutes, 1 to {}",
                    NewStatusUpdate::MAX_MINUTES
                )
            })?),
        };
        let update = NewStatusUpdate {
            audience,
            impact_scope: f.get("impact_scope").to_string(),
            current_status: f.get("current_status").to_string(),
            next_steps: f.get("next_steps").to_string(),
            next_update_in_minutes: minutes,
        };
        let command = Command::PostUpdate {
            id: seen.id.clone(),
            update,
        };
        let label = format!("{audience} update on {}", seen.id);
        Ok(Submitted::Send(Prepared::on_incident(seen, command, label)))
    }
}
