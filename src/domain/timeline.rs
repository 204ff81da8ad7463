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

/// Body of `POST /incidents/{id}/notes`: a scribe's note on the timeline. Appended like
/// every other entry; a correction is a new note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub text: String,
    /// When what the note records happened, if not now (RFC 3339); never in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub happened_at: Option<DateTime<Utc>>,
}

impl NewNote {
    /// Checks the note on its own: the field named on refusal.
    pub fn validate(&self) -> Result<(), super::DomainError> {
        self.checked(None).map(|_| ())
    }

    /// The timeline change the note becomes at `now`: kind `note`, the text, and the time it
    /// happened (as the `happened_at` field's new value) when given.
    pub fn accept(&self, now: DateTime<Utc>) -> Result<Change, super::DomainError> {
        self.checked(Some(now))
    }

    fn checked(&self, now: Option<DateTime<Utc>>) -> Result<Change, super::DomainError> {
        let text = super::required_text("text", &self.text, super::limits::LONG_TEXT)?;
        if let (Some(at), Some(now)) = (self.happened_at, now)
            && at > now
        {
            return Err(super::DomainError::invalid(
                "happened_at",
                "happened_at must not be in the future",
            ));
        }
        let mut change = Change::note("note", text);
        if let Some(at) = self.happened_at {
            change.field = Some("happened_at".into());
            change.new = Some(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        Ok(change)
    }
}

#[cfg(test)]
mod note_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_note_needs_text_and_a_past_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
        let note = |text: &str, at: Option<DateTime<Utc>>| NewNote {
            text: text.into(),
            happened_at: at,
        };
        let c = note(" paged the DBA ", Some(now - chrono::Duration::minutes(5)))
            .accept(now)
            .unwrap();
        assert_eq!(
            (
                c.kind.as_str(),
                c.note.as_deref(),
                c.field.as_deref(),
                c.new.as_deref()
            ),
            (
                "note",
                Some("paged the DBA"),
                Some("happened_at"),
                Some("2026-11-29T09:55:00Z")
            )
        );
        let err = note("  ", None).accept(now).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("text"));
        let err = note("x", Some(now + chrono::Duration::minutes(1)))
            .accept(now)
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("happened_at"));
    }
}
