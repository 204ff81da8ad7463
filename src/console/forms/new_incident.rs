//! `n`: declare a new incident.
use super::{Command, Field, Form, FormKind, Prepared, Submitted, sev_names};
use crate::domain::{Deployment, NewIncident, Severity};

pub fn open() -> Form {
    Form::new(
        FormKind::NewIncident,
        None,
        vec![
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
        ],
    )
}

pub fn submit(f: &Form) -> Result<Submitted, String> {
    let severity: Severity = f.get("severity").parse()?;
    let deployment: Deployment = f.get("deployment").parse()?;
    let title = f.get("title").to_string();
    Ok(Submitted::Send(Prepared {
        label: format!("new incident {title:?}"),
        command: Command::NewIncident(NewIncident {
            customer_impact: Some(f.get("customer_impact") == "yes"),
            deployment: Some(deployment),
            impact_scope: Some(f.get("impact_scope").to_string()),
            ..NewIncident::new(title, severity)
        }),
        seen: None,
    }))
}
