//! The incident domain: pure types and rules. No HTTP, SQL or terminal code lives here,
//! so the server, the stores and the console all agree on one definition of the rules.

mod action;
mod cadence;
mod error;
mod exception;
mod incident;
pub mod milestone;
mod signal;
mod timeline;
mod types;
mod update;

pub use action::{ActionPatch, CorrectiveAction, NewAction};
pub use cadence::Cadence;
pub use error::{DomainError, ErrorKind};
pub use exception::{NewException, RiskException};
pub use incident::{CloseContext, Incident, IncidentPatch, NewIncident, RolePatch};
pub use signal::{Alert, AlertStatus, AlertmanagerWebhook, SeverityMap, Signal};
pub use timeline::{Change, NewNote, TimelineEntry};
pub use types::{
    ActionStatus, Audience, Deployment, Phase, Priority, RecoveryOwner, Role, Severity,
};
pub use update::{NewStatusUpdate, StatusUpdate};

/// Trims a required text field and checks its length, naming the field on refusal. A value
/// that shows nothing of its own once the console's sanitizer has removed what a terminal
/// would not draw (zero-width, format, tag and bidi characters, escape sequences, marks
/// without a base, blank-looking letters) is as empty as a blank one: a card with an
/// invisible title cannot be told apart or picked out.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    if value.trim().is_empty() {
        return Err(DomainError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    let text = optional_text(field, value, max)?;
    if !crate::sanitize::shows_text(&text) {
        return Err(DomainError::invalid(
            field,
            format!("{field} must contain visible characters"),
        ));
    }
    Ok(text)
}

/// The dates the API accepts: four-digit years from 2000, so stored dates (kept as
/// `YYYY-MM-DD…` text) sort as they compare, and a typo such as `+10000-01-01` is refused
/// rather than filed after every real date.
pub mod dates {
    use super::DomainError;
    use chrono::{DateTime, Datelike, NaiveDate, Utc};

    pub const FIRST_YEAR: i32 = 2000;
    pub const LAST_YEAR: i32 = 9999;

    pub fn check_date(field: &str, d: NaiveDate) -> Result<NaiveDate, DomainError> {
        if (FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
            Ok(d)
        } else {
            Err(DomainError::invalid(
                field,
                format!("{field} must be a date from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"),
            ))
        }
    }

    pub fn check_time(field: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>, DomainError> {
        check_date(field, t.date_naive()).map(|_| t)
    }
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

/// A non-negative whole number up to `max`, written as `30` or `30.0` (JSON Schema's
/// "integer" admits both).
fn whole(n: &serde_json::Number, max: u64) -> Option<u64> {
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= max as f64)
                .map(|f| f as u64)
        })
        .filter(|w| *w <= max)
}

/// Optional minutes (fits u32).
pub(crate) fn whole_minutes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u32>, D::Error> {
    use serde::Deserialize;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    match whole(&n, u64::from(u32::MAX)) {
        Some(w) => Ok(Some(w as u32)),
        None => Err(serde::de::Error::custom(format!(
            "expected a whole number of minutes, got {n}"
        ))),
    }
}

/// A count that must fit a signed 64-bit integer (the OpenAPI `int64`).
pub(crate) fn whole_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::Deserialize;
    let n = serde_json::Number::deserialize(d)?;
    whole(&n, i64::MAX as u64).ok_or_else(|| {
        serde::de::Error::custom(format!("expected a whole number from 0 to 2^63-1, got {n}"))
    })
}

/// Length limits shared by every entry point (API, console forms, integrations).
pub mod limits {
    pub const TITLE: usize = 200;
    pub const NAME: usize = 100;
    pub const SHORT_TEXT: usize = 2_000;
    pub const LONG_TEXT: usize = 10_000;
    pub const REASON: usize = 1_000;
    /// Named roles on one incident (commander aside): each change is a timeline entry, so
    /// an unbounded map would let one request write thousands of them.
    pub const ROLES: usize = 16;
    /// A role's name (`comms_lead`).
    pub const ROLE_KEY: usize = 32;
}
