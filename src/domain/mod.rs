//! The incident domain: pure types and rules. No HTTP, SQL or terminal code lives here,
//! so the server, the stores and the console all agree on one definition of the rules.

mod action;
mod cadence;
mod error;
mod exception;
mod incident;
mod timeline;
mod types;
mod update;

pub use action::{ActionPatch, CorrectiveAction, NewAction};
pub use cadence::Cadence;
pub use error::{DomainError, ErrorKind};
pub use exception::{NewException, RiskException};
pub use incident::{CloseContext, Incident, IncidentPatch, NewIncident, RolePatch};
pub use timeline::{Change, TimelineEntry};
pub use types::{
    ActionStatus, Audience, Deployment, Phase, Priority, RecoveryOwner, Role, Severity,
};
pub use update::{NewStatusUpdate, StatusUpdate};

/// Trims a required text field and checks its length, naming the field on refusal.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    optional_text(field, v, max)
}

/// Trims an optional text field and checks its length.
pub(crate) fn optional_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok(v.to_string())
}

/// Length limits shared by every entry point (API, console forms, integrations).
pub mod limits {
    pub const TITLE: usize = 200;
    pub const NAME: usize = 100;
    pub const SHORT_TEXT: usize = 2_000;
    pub const LONG_TEXT: usize = 10_000;
    pub const REASON: usize = 1_000;
}
