//! `p` / `P`: move to the next or previous phase, with an optional reason. Moving to
//! Closed is `close`'s confirmation instead.
use super::{Command, Field, Form, FormKind, Prepared, Seen, Submitted};
use crate::domain::{Incident, IncidentPatch, Phase};

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

pub fn open(inc: &Incident, forward: bool, to: Phase) -> Form {
    let mut form = Form::new(
        if forward {
            FormKind::NextPhase
        } else {
            FormKind::PrevPhase
        },
        Some(inc),
        vec![Field::text("reason", "Reason (optional)", "")],
    );
    form.context = format!(
        "{} {} · {} → {}",
        inc.id,
        inc.title,
        inc.phase.title(),
        to.title()
    );
    form
}

pub fn submit(f: &Form, seen: &Incident) -> Result<Submitted, String> {
    let to = target(seen, f.kind == FormKind::NextPhase)?;
    let reason = Some(f.get("reason").to_string()).filter(|r| !r.is_empty());
    Ok(Submitted::Send(Prepared {
        command: Command::PatchIncident {
            id: seen.id.clone(),
            patch: IncidentPatch {
                phase: Some(to),
                reason,
                ..Default::default()
            },
        },
        label: format!("{} → {}", seen.id, to.title()),
        seen: Some(Seen::Incident(seen.clone())),
    }))
}
