//! `s`: set severity, with a reason. A downgrade asks first (it relaxes the cadence).
use super::{Command, Field, Form, FormKind, Prepared, Seen, Submitted, sev_names};
use crate::domain::{Incident, IncidentPatch, Severity};

pub fn open(inc: &Incident) -> Form {
    Form::new(
        FormKind::Severity,
        Some(inc),
        vec![
            Field::choice("severity", "Severity", &sev_names(), inc.severity.as_str()),
            Field::text("reason", "Reason", "").required(),
        ],
    )
}

pub fn submit(f: &Form, seen: &Incident) -> Result<Submitted, String> {
    let to: Severity = f.get("severity").parse().map_err(|_| "pick SEV1 to SEV4")?;
    if to == seen.severity {
        return Err(format!("{} is already {to}", seen.id));
    }
    let write = Prepared {
        command: Command::PatchIncident {
            id: seen.id.clone(),
            patch: IncidentPatch {
                severity: Some(to),
                reason: Some(f.get("reason").to_string()),
                ..Default::default()
            },
        },
        label: format!("{} {} → {to}", seen.id, seen.severity),
        seen: Some(Seen::Incident(seen.clone())),
    };
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
