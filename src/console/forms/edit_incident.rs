//! `e`: edit the incident's facts: title, summary, customer impact and impact scope. Only
//! what was changed is sent, pinned to the version on screen like every write. Saying
//! customers are no longer affected stops the customer-update clock: the server makes that
//! the commander's call, with a reason, so the form asks for the reason and offers "no"
//! only to a commander.
use super::form::{Field, Form, Prepared, Seen};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{IncidentPatch, Role, limits};
use chrono::{DateTime, Utc};

pub struct EditIncident;

impl WriteSpec for EditIncident {
    fn name(&self) -> &'static str {
        "edit_incident"
    }
    fn label(&self) -> &'static str {
        "edit"
    }
    fn description(&self) -> &'static str {
        "Edit title, summary, customer impact and impact scope"
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    /// The least role for any of the four fields (`IncidentPatch::least_role`); turning
    /// customer impact off is the commander's (`required_role`), which the form keeps to.
    fn role(&self) -> Role {
        IncidentPatch {
            title: Some(String::new()),
            ..Default::default()
        }
        .least_role()
        .0
    }
    fn form_title(&self) -> &'static str {
        "Edit the incident"
    }
    fn field_limit(&self, field: &str) -> Option<usize> {
        match field {
            "summary" => Some(limits::LONG_TEXT),
            "impact_scope" => Some(limits::SHORT_TEXT),
            "reason" => Some(limits::REASON),
            _ => None,
        }
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let inc = cx.target.incident().map_err(Refusal::Error)?;
        let yes_no: &[&str] = if inc.customer_impact && cx.role < Some(Role::Commander) {
            // Only a commander may say customers are no longer affected.
            &["yes"]
        } else {
            &["yes", "no"]
        };
        let impact = if inc.customer_impact { "yes" } else { "no" };
        Ok(Opened::Form(NewForm::new(vec![
            Field::text("title", "Title", inc.title.clone()).required(),
            Field::text("summary", "Summary", inc.summary.clone()).multiline(),
            Field::choice("customer_impact", "Customer impact", yes_no, impact),
            Field::text("impact_scope", "Impact scope", inc.impact_scope.clone()).multiline(),
            Field::text("reason", "Reason", "").hint("needed to turn customer impact off"),
        ])))
    }
    fn required(&self, form: &Form, field: &Field) -> bool {
        match field.name.as_str() {
            // Turning customer impact off needs a reason (the server's rule).
            "reason" => {
                form.get("customer_impact") == "no"
                    && matches!(&form.seen, Some(Seen::Incident(i)) if i.customer_impact)
            }
            _ => field.required,
        }
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let changed = |name: &str, was: &str| {
            let now = f.get(name);
            (now != was.trim()).then(|| now.to_string())
        };
        let impact = f.get("customer_impact") == "yes";
        let customer_impact = (impact != seen.customer_impact).then_some(impact);
        if customer_impact == Some(false) && f.get("reason").is_empty() {
            return Err("Reason is required to turn customer impact off".into());
        }
        let patch = IncidentPatch {
            title: changed("title", &seen.title),
            summary: changed("summary", &seen.summary),
            impact_scope: changed("impact_scope", &seen.impact_scope),
            customer_impact,
            reason: customer_impact
                .map(|_| f.get("reason").to_string())
                .filter(|r| !r.is_empty()),
            ..Default::default()
        };
        if patch.is_empty() {
            return Err(format!("nothing changed: {} is as shown", seen.id));
        }
        let fields: Vec<&str> = [
            ("title", patch.title.is_some()),
            ("summary", patch.summary.is_some()),
            ("customer impact", patch.customer_impact.is_some()),
            ("impact scope", patch.impact_scope.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        let label = format!("edit {}: {}", seen.id, fields.join(", "));
        Ok(Submitted::Send(Prepared::patch_incident(seen, patch, label)))
    }
}
