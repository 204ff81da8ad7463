//! `C`: close the incident, after a yes.
use super::{Command, Prepared, Seen, Submitted};
use crate::domain::{Incident, IncidentPatch, Phase};

pub fn ask(inc: &Incident) -> Submitted {
    Submitted::Ask {
        title: format!("Close {}?", inc.id),
        lines: vec![
            inc.title.clone(),
            format!("{} · {}", inc.severity, inc.phase.title()),
            "The server refuses while corrective actions are open without an exception.".into(),
        ],
        write: Prepared {
            command: Command::PatchIncident {
                id: inc.id.clone(),
                patch: IncidentPatch {
                    phase: Some(Phase::Closed),
                    ..Default::default()
                },
            },
            label: format!("close {}", inc.id),
            seen: Some(Seen::Incident(inc.clone())),
        },
    }
}
