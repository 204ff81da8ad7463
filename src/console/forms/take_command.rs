//! `a`: take command. Taking it from a sitting commander names them and asks first.
use super::{Command, Prepared, Seen, Submitted};
use crate::domain::{Incident, IncidentPatch};

pub fn start(inc: &Incident, me: &str) -> Result<Submitted, String> {
    if inc.commander.as_deref() == Some(me) {
        return Err(format!("you already command {}", inc.id));
    }
    let write = Prepared {
        command: Command::PatchIncident {
            id: inc.id.clone(),
            patch: IncidentPatch {
                commander: Some(Some(me.to_string())),
                ..Default::default()
            },
        },
        label: format!("{} commander {me}", inc.id),
        seen: Some(Seen::Incident(inc.clone())),
    };
    Ok(match &inc.commander {
        Some(them) => Submitted::Ask {
            title: format!("Take command of {} from {them}?", inc.id),
            lines: vec![
                inc.title.clone(),
                format!("{} · {}", inc.severity, inc.phase.title()),
                format!("{them} commands {} now; you would replace them.", inc.id),
            ],
            write,
        },
        None => Submitted::Send(write),
    })
}
