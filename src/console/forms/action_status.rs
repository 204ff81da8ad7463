//! `space` on a corrective action: open → in progress at once; in progress → done after a
//! yes, naming the action, its owner and incident (a done action leaves the open list);
//! done or cancelled → open again.
use super::form::Prepared;
use super::write::{Context, Opened, Refusal, Subject, Submitted, WriteSpec};
use crate::domain::{ActionPatch, ActionStatus, CorrectiveAction, Role};

pub struct CycleActionStatus;

impl WriteSpec for CycleActionStatus {
    fn name(&self) -> &'static str {
        "cycle_action_status"
    }
    fn label(&self) -> &'static str {
        "status"
    }
    fn description(&self) -> &'static str {
        "Action status: open, in progress, done"
    }
    fn hint(&self) -> bool {
        true
    }
    fn subject(&self) -> Subject {
        Subject::Action
    }
    /// `PATCH /actions/{id}` is a responder's (the server's route).
    fn role(&self) -> Role {
        Role::Responder
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        let a = cx.target.action().map_err(Refusal::Error)?;
        Ok(Opened::Write(start(a)))
    }
}

pub fn start(a: &CorrectiveAction) -> Submitted {
    let next = match a.status {
        ActionStatus::Open => ActionStatus::InProgress,
        ActionStatus::InProgress => ActionStatus::Done,
        ActionStatus::Done | ActionStatus::Cancelled => ActionStatus::Open,
    };
    let patch = ActionPatch {
        status: Some(next),
        ..Default::default()
    };
    let label = format!("{} {} on {}", a.id, next.as_str(), a.incident_id);
    let write = Prepared::patch_action(a, patch, label);
    if next != ActionStatus::Done {
        return Submitted::Send(write);
    }
    Submitted::Ask {
        title: format!("Mark {} done?", a.id),
        lines: vec![
            a.title.clone(),
            format!("Owner {} · due {} · {}", a.owner, a.due_date, a.incident_id),
            "A done action leaves the open corrective actions list.".into(),
        ],
        write,
    }
}
