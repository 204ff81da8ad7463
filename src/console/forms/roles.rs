//! `R`: assign commander, comms lead, scribe and ops lead. Only what changed is sent.
use super::{Command, Field, Form, FormKind, Prepared, Seen, Submitted};
use crate::domain::{Incident, IncidentPatch, RolePatch};

/// The four roles, in the order the form shows them (the API's names).
pub const ROLES: [(&str, &str); 4] = [
    ("commander", "Commander"),
    ("comms_lead", "Comms lead"),
    ("scribe", "Scribe"),
    ("ops_lead", "Ops lead"),
];

fn current(inc: &Incident, role: &str) -> String {
    if role == "commander" {
        inc.commander.clone().unwrap_or_default()
    } else {
        inc.roles.get(role).cloned().unwrap_or_default()
    }
}

pub fn open(inc: &Incident) -> Form {
    let fields = ROLES
        .iter()
        .map(|(name, label)| Field::text(name, label, current(inc, name)).hint("empty clears"))
        .collect();
    Form::new(FormKind::Roles, Some(inc), fields)
}

pub fn submit(f: &Form, seen: &Incident) -> Result<Submitted, String> {
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
    Ok(Submitted::Send(Prepared {
        command: Command::PatchIncident {
            id: seen.id.clone(),
            patch,
        },
        label: format!("{} roles", seen.id),
        seen: Some(Seen::Incident(seen.clone())),
    }))
}
