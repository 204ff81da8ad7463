//! `x`: record an exception: what is excepted, who accepted the risk, and by when it is
//! remediated (a date means the end of that day, UTC).
use super::command::Command;
use super::form::{Field, Form, Prepared, date_field, parse_date};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{NewException, Role};
use chrono::{DateTime, Utc};

pub struct AddException;

impl WriteSpec for AddException {
    fn name(&self) -> &'static str {
        "add_exception"
    }
    fn label(&self) -> &'static str {
        "exception"
    }
    fn description(&self) -> &'static str {
        "Record an exception (risk acceptance)"
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    /// `POST /incidents/{id}/exceptions` is a commander's (the server's route): accepting
    /// a risk is the commander's call.
    fn role(&self) -> Role {
        Role::Commander
    }
    fn form_title(&self) -> &'static str {
        "Record an exception"
    }
    fn draft_name(&self) -> &'static str {
        "exception"
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        cx.target.incident().map_err(Refusal::Error)?;
        let due = (cx.now.date_naive() + chrono::Days::new(14)).to_string();
        Ok(Opened::Form(NewForm::new(vec![
            Field::text("description", "What is excepted", "")
                .multiline()
                .required(),
            Field::text("risk_accepted_by", "Risk accepted by", "").required(),
            date_field("remediation_due", "Remediation due", due),
        ])))
    }
    fn submit(&self, f: &Form, target: Target, now: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let due = parse_due(f.get("remediation_due")).ok_or("remediation due: YYYY-MM-DD")?;
        if due <= now {
            return Err("remediation due must be in the future".into());
        }
        let command = Command::AddException {
            id: seen.id.clone(),
            exception: NewException {
                description: f.get("description").to_string(),
                risk_accepted_by: f.get("risk_accepted_by").to_string(),
                remediation_due: due,
            },
        };
        let label = format!("exception on {}", seen.id);
        Ok(Submitted::Send(Prepared::on_incident(seen, command, label)))
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
