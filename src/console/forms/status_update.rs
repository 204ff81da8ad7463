//! `u`: post a status update. Impact scope starts from the last update's (else the
//! incident's) and the next update from the severity's cadence.
use super::{Command, Field, Form, FormKind, Prepared, Seen, Submitted};
use crate::domain::{Audience, Cadence, Incident, NewStatusUpdate};

/// `last_scope`: the impact scope of the incident's last update, if it is loaded.
pub fn open(inc: &Incident, last_scope: Option<&str>, cadence: &Cadence) -> Form {
    let last_scope = last_scope
        .filter(|s| !s.is_empty())
        .unwrap_or(&inc.impact_scope)
        .to_string();
    let minutes = cadence
        .minutes(inc.severity)
        .map(|m| m.to_string())
        .unwrap_or_default();
    let audience = if inc.customer_impact {
        "customer"
    } else {
        "internal"
    };
    Form::new(
        FormKind::StatusUpdate,
        Some(inc),
        vec![
            Field::choice("audience", "Audience", &["customer", "internal"], audience),
            Field::text("impact_scope", "Impact scope", last_scope).required(),
            Field::text("current_status", "Current status", "").required(),
            Field::text("next_steps", "Next steps", "").required(),
            Field::text("next_update_in_minutes", "Next update in (min)", minutes)
                .hint("empty: no update owed"),
        ],
    )
}

pub fn submit(f: &Form, seen: &Incident) -> Result<Submitted, String> {
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
    Ok(Submitted::Send(Prepared {
        command: Command::PostUpdate {
            id: seen.id.clone(),
            update,
        },
        label: format!("{audience} update on {}", seen.id),
        seen: Some(Seen::Incident(seen.clone())),
    }))
}
