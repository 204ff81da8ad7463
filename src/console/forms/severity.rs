//! `s`: set severity, with a reason. A downgrade asks first (it relaxes the cadence).
use super::form::{Field, Form, Prepared, sev_names};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{IncidentPatch, Role, Severity};
use chrono::{DateTime, Utc};

pub struct SetSeverity;

impl WriteSpec for SetSeverity {
    fn name(&self) -> &'static str {
        "set_severity"
    }
    fn label(&self) -> &'static str {
        "severity"
    }
    fn description(&self) -> &'static str {
        "Set severity (SEV1-SEV4) with a reason"
    }
    fn hint(&self) -> bool {
        true
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    fn role(&self) -> Role {
        IncidentPatch {
            severity: Some(Severity::Sev1),
            ..Default::default()
        }
        .least_role()
        .0
    }
    fn form_title(&self) -> &'static str {
        "Set severity"
    }
    fn draft_name(&self) -> &'static str {
        "severity"
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let inc = cx.target.incident().map_err(Refusal::Error)?;
        Ok(Opened::Form(NewForm::new(vec![
            Field::choice("severity", "Severity", &sev_names(), inc.severity.as_str()),
            Field::text("reason", "Reason", "").required(),
        ])))
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let to: Severity = f.get("severity").parse().map_err(|_| "pick SEV1 to SEV4")?;
        if to == seen.severity {
            return Err(format!("{} is already {to}", seen.id));
        }
        let patch = IncidentPatch {
            severity: Some(to),
            reason: Some(f.get("reason").to_string()),
            ..Default::default()
        };
        let label = format!("{} {} → {to}", seen.id, seen.severity);
        let write = Prepared::patch_incident(seen, patch, label);
        if to > seen.severity {
            return Ok(Submitted::Ask {
                title: format!("Downgrade {} from {} to {to}?", seen.id, seen.severity),
                lines: vec![
                    seen.title.clone(),
                    format!("Reason: {}", f.get("reason")),
                    "Customer updates will be due less often.".into(),
                ],
                write,
            });
        }
        Ok(Submitted::Send(write))
    }
}
