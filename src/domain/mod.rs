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
    if value.trim().is_empty() {
        return Err(DomainError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    optional_text(field, value, max)
}

/// Trims an optional text field and checks its length. NUL is refused: no store can keep
/// it (PostgreSQL text cannot) and no person typed it.
pub(crate) fn optional_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    // Counted before trimming, as the OpenAPI document's maxLength counts.
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("{field} is longer than {max} characters"),
        ));
    }
    let v = value.trim();
    if v.contains('\0') {
        return Err(DomainError::invalid(
            field,
            format!("{field} must not contain NUL characters"),
        ));
    }
    Ok(v.to_string())
}

/// Reads a whole number that JSON may write as `30` or `30.0` (JSON Schema's "integer"
/// admits both).
pub(crate) fn whole_minutes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u32>, D::Error> {
    use serde::Deserialize;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u64)
    });
    match whole.and_then(|w| u32::try_from(w).ok()) {
        Some(w) => Ok(Some(w)),
        None => Err(serde::de::Error::custom(format!(
            "expected a whole number of minutes, got {n}"
        ))),
    }
}

/// Length limits shared by every entry point (API, console forms, integrations).
pub mod limits {
    pub const TITLE: usize = 200;
    pub const NAME: usize = 100;
    pub const SHORT_TEXT: usize = 2_000;
    pub const LONG_TEXT: usize = 10_000;
    pub const REASON: usize = 1_000;
}
