//! `prev_phase`: move the incident to the previous phase (see `phase.rs`).
use super::form::Form;
use super::phase;
use super::write::{Context, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::Role;
use chrono::{DateTime, Utc};

pub struct PrevPhase;

impl WriteSpec for PrevPhase {
    fn name(&self) -> &'static str {
        "prev_phase"
    }
    fn label(&self) -> &'static str {
        "prev phase"
    }
    fn description(&self) -> &'static str {
        "Move back to the previous phase"
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    fn role(&self) -> Role {
        phase::least_role()
    }
    fn form_title(&self) -> &'static str {
        "Move back a phase"
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        phase::open(cx, false)
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        phase::submit(f, target, false)
    }
}
