//! `a`: take command. Taking it from a sitting commander names them and asks first.
use super::form::Prepared;
use super::write::{Context, Opened, Refusal, Subject, Submitted, WriteSpec};
use crate::domain::{Incident, IncidentPatch, Role};

pub struct TakeCommand;

impl WriteSpec for TakeCommand {
    fn name(&self) -> &'static str {
        "take_command"
    }
    fn label(&self) -> &'static str {
        "take command"
    }
    fn description(&self) -> &'static str {
        "Take command of the incident (you become commander)"
    }
    fn hint(&self) -> bool {
        true
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    fn role(&self) -> Role {
        patch(String::new()).least_role().0
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let inc = cx.target.incident().map_err(Refusal::Error)?;
        let Some(me) = cx.me else {
            return Err(Refusal::Error(
                "your name is not known yet: set name in config.toml or wait for the server"
                    .into(),
            ));
        };
        start(inc, me).map(Opened::Write).map_err(Refusal::Notice)
    }
}

fn patch(me: String) -> IncidentPatch {
    IncidentPatch {
        commander: Some(Some(me)),
        ..Default::default()
    }
}

pub fn start(inc: &Incident, me: &str) -> Result<Submitted, String> {
    if inc.commander.as_deref() == Some(me) {
        return Err(format!("you already command {}", inc.id));
    }
    let label = format!("{} commander {me}", inc.id);
    let write = Prepared::patch_incident(inc, patch(me.to_string()), label);
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
