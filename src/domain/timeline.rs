use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One change to record on an incident's timeline: what changed, from what to what, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub reason: Option<String>,
    /// A one-line description for entries that are not a field change (an update posted…).
    pub note: Option<String>,
}

impl Change {
    pub fn field(kind: &str, field: &str, old: &str, new: &str, reason: Option<String>) -> Self {
        Self {
            kind: kind.into(),
            field: Some(field.into()),
            old: Some(old.into()),
            new: Some(new.into()),
            reason,
            note: None,
        }
    }

    pub fn note(kind: &str, note: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            field: None,
            old: None,
            new: None,
            reason: None,
            note: Some(note.into()),
        }
    }
}

/// An append-only timeline entry: the evidence of who changed what, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub seq: i64,
    pub incident_id: String,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// e.g. `created`, `severity_changed`, `phase_changed`, `update_posted`.
    pub kind: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
}
