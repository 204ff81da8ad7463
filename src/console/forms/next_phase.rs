//! `next_phase`: move the incident to the next phase (see `phase.rs`).
use super::form::Form;
use super::phase;
use super::write::{Context, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::Role;
use chrono::{DateTime, Utc};

pub struct NextPhase;

impl WriteSpec for NextPhase {
    fn name(&self) -> &'static str {
        "next_phase"
    }
    fn label(&self) -> &'static str {
        "next phase"
    }
    fn description(&self) -> &'static str {
        "Move to the next phase (optional reason)"
    }
    fn hint(&self) -> bool {
        true
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    fn role(&self) -> Role {
        phase::least_role()
    }
    fn form_title(&self) -> &'static str {
        "Move to the next phase"
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        phase::open(cx, true)
    }
    fn submit(&self, f: &Form, target: Target, _: DateTime<Utc>) -> Result<Submitted, String> {
        phase::submit(f, target, true)
    }
}
