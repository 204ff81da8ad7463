//! `n`: declare a new incident.
use super::command::Command;
use super::form::{Field, Form, Prepared, sev_names};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{Deployment, NewIncident as NewIncidentRequest, Role, Severity};
use chrono::{DateTime, Utc};

pub struct NewIncident;

impl WriteSpec for NewIncident {
    fn name(&self) -> &'static str {
        "new_incident"
    }
    fn label(&self) -> &'static str {
        "new"
    }
    fn description(&self) -> &'static str {
        "Declare a new incident"
    }
    fn subject(&self) -> Subject {
        Subject::Nothing
    }
    /// `POST /incidents` is a responder's (the server's route).
    fn role(&self) -> Role {
        Role::Responder
    }
    fn open(&self, _: &Context) -> Result<Opened, Refusal> {
        Ok(Opened::Form(NewForm::new(vec![
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
        ])))
    }
    fn submit(&self, f: &Form, _: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let severity: Severity = f.get("severity").parse()?;
        let deployment: Deployment = f.get("deployment").parse()?;
        let title = f.get("title").to_string();
        Ok(Submitted::Send(Prepared {
            label: format!("new incident {title:?}"),
            command: Command::NewIncident(NewIncidentRequest {
                customer_impact: Some(f.get("customer_impact") == "yes"),
                deployment: Some(deployment),
                impact_scope: Some(f.get("impact_scope").to_string()),
                ..NewIncidentRequest::new(title, severity)
            }),
            seen: None,
        }))
    }
}
