//! `R`: assign commander, comms lead, scribe and ops lead. Only what changed is sent.
use super::form::{Field, Form, Prepared};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{Incident, IncidentPatch, Role, RolePatch};
use chrono::{DateTime, Utc};

/// The four roles, in the order the form shows them (the API's names).
pub const ROLES: [(&str, &str); 4] = [
    ("commander", "Commander"),
    ("comms_lead", "Comms lead"),
    ("scribe", "Scribe"),
    ("ops_lead", "Ops lead"),
];

pub struct AssignRoles;

impl WriteSpec for AssignRoles {
    fn name(&self) -> &'static str {
        "assign_roles"
    }
    fn label(&self) -> &'static str {
        "roles"
    }
    fn description(&self) -> &'static str {
        "Assign commander, comms lead, scribe, ops lead"
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    fn role(&self) -> Role {
        IncidentPatch {
            roles: Some(RolePatch::new()),
            ..Default::default()
        }
        .least_role()
        .0
    }
    fn form_title(&self) -> &'static str {
        "Assign roles"
    }
    fn draft_name(&self) -> &'static str {
        "roles"
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let inc = cx.target.incident().map_err(Refusal::Error)?;
        let fields = ROLES
            .iter()
            .map(|(name, label)| Field::text(name, label, current(inc, name)).hint("empty clears"))
            .collect();
        Ok(Opened::Form(NewForm::new(fields)))
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let mut patch = IncidentPatch::default();
        let mut roles = RolePatch::new();
        for (name, _) in ROLES {
            let new = f.get(name);
            if new == current(seen, name) {
                continue;
            }
            let v = Some(new.to_string()).filter(|n| !n.is_empty());
            if name == "commander" {
                patch.commander = Some(v);
            } else {
                roles.insert(name.into(), v);
            }
        }
        if !roles.is_empty() {
            patch.roles = Some(roles);
        }
        if patch.is_empty() {
            return Err("nothing changed".into());
        }
        let label = format!("{} roles", seen.id);
        Ok(Submitted::Send(Prepared::patch_incident(seen, patch, label)))
    }
}

fn current(inc: &Incident, role: &str) -> String {
    if role == "commander" {
        inc.commander.clone().unwrap_or_default()
    } else {
        inc.roles.get(role).cloned().unwrap_or_default()
    }
}
