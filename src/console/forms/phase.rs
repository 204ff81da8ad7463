//! `p` / `P` (`next_phase.rs`, `prev_phase.rs`): move to the next or previous phase, with an
//! optional reason. Moving to Closed is `close`'s confirmation instead, and moving into or
//! out of Closed is a commander's whatever the key's own role.
use super::close;
use super::form::{Field, Form, Prepared};
use super::write::{Context, NewForm, Opened, Refusal, Submitted, Target};
use crate::domain::{Incident, IncidentPatch, Phase, Role};

/// The phase a move lands in, or why there is none.
pub fn target(inc: &Incident, forward: bool) -> Result<Phase, String> {
    let to = if forward {
        inc.phase.next()
    } else {
        inc.phase.previous()
    };
    to.ok_or_else(|| {
        format!(
            "{} is already {}",
            inc.id,
            if forward {
                "at the last phase"
            } else {
                "at the first phase"
            }
        )
    })
}

fn patch(to: Phase) -> IncidentPatch {
    IncidentPatch {
        phase: Some(to),
        ..Default::default()
    }
}

/// The least role a phase move needs on some incident: a move between open phases.
pub fn least_role() -> Role {
    patch(Phase::Containment).least_role().0
}

/// Why this role cannot move this incident to `to` (into or out of Closed is a
/// commander's: the domain's `IncidentPatch::required_role`), or None. An unknown role
/// (the server has not said yet) is let through: the server decides.
pub fn refusal(role: Option<Role>, inc: &Incident, to: Phase) -> Option<String> {
    let role = role?;
    let need = patch(to).required_role(inc).0;
    (role < need).then(|| {
        format!(
            "moving to {} from {} needs the {need} role; this token is a {role}'s",
            to.title(),
            inc.phase.title()
        )
    })
}

pub fn open(cx: &Context, forward: bool) -> Result<Opened, Refusal> {
    let inc = cx.target.incident().map_err(Refusal::Error)?;
    let to = target(inc, forward).map_err(Refusal::Error)?;
    if let Some(why) = refusal(cx.role, inc, to) {
        return Err(Refusal::Error(why));
    }
    if to == Phase::Closed {
        return Ok(Opened::Write(close::ask(inc)));
    }
    let context = format!(
        "{} {} · {} → {}",
        inc.id,
        inc.title,
        inc.phase.title(),
        to.title()
    );
    Ok(Opened::Form(
        NewForm::new(vec![Field::text("reason", "Reason (optional)", "")]).context(context),
    ))
}

pub fn submit(f: &Form, target: Target, forward: bool) -> Result<Submitted, String> {
    let seen = target.incident()?;
    let to = self::target(seen, forward)?;
    let reason = Some(f.get("reason").to_string()).filter(|r| !r.is_empty());
    let patch = IncidentPatch {
        reason,
        ..patch(to)
    };
    let label = format!("{} → {}", seen.id, to.title());
    Ok(Submitted::Send(Prepared::patch_incident(
        seen, patch, label,
    )))
}
