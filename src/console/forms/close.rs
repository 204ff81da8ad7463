//! `C`: close the incident, after a yes. (`p` from follow-through asks the same.)
use super::form::Prepared;
use super::write::{Context, Opened, Refusal, Subject, Submitted, WriteSpec};
use crate::domain::{Incident, IncidentPatch, Phase, Role};

pub struct CloseIncident;

impl WriteSpec for CloseIncident {
    fn name(&self) -> &'static str {
        "close_incident"
    }
    fn label(&self) -> &'static str {
        "close"
    }
    fn description(&self) -> &'static str {
        "Close the incident (asks first)"
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    fn role(&self) -> Role {
        patch().least_role().0
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let inc = cx.target.incident().map_err(Refusal::Error)?;
        Ok(Opened::Write(ask(inc)))
    }
}

fn patch() -> IncidentPatch {
    IncidentPatch {
        phase: Some(Phase::Closed),
        ..Default::default()
    }
}

pub fn ask(inc: &Incident) -> Submitted {
    Submitted::Ask {
        title: format!("Close {}?", inc.id),
        lines: vec![
            inc.title.clone(),
            format!("{} · {}", inc.severity, inc.phase.title()),
            "The server refuses while corrective actions are open without an exception.".into(),
        ],
        write: Prepared::patch_incident(inc, patch(), format!("close {}", inc.id)),
    }
}
