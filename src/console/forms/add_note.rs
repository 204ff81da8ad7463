//! `N`: a scribe's note on the incident's timeline, with an optional time it happened at
//! (`HH:MM` today, UTC like the header's clock, or an RFC 3339 time; never in the future).
//! The server appends it; a correction is another note.
use super::command::Command;
use super::form::{Field, Form, Prepared};
use super::write::{Context, NewForm, Opened, Refusal, Subject, Submitted, Target, WriteSpec};
use crate::domain::{NewNote, Role, limits};
use chrono::{DateTime, NaiveTime, Utc};

pub struct AddNote;

impl WriteSpec for AddNote {
    fn name(&self) -> &'static str {
        "add_note"
    }
    fn label(&self) -> &'static str {
        "note"
    }
    fn description(&self) -> &'static str {
        "Add a note to the timeline (optionally when it happened)"
    }
    fn subject(&self) -> Subject {
        Subject::Incident
    }
    /// `POST /incidents/{id}/notes` is a responder's (the server's route).
    fn role(&self) -> Role {
        Role::Responder
    }
    fn form_title(&self) -> &'static str {
        "Add a timeline note"
    }
    fn field_limit(&self, field: &str) -> Option<usize> {
        (field == "text").then_some(limits::LONG_TEXT)
    }
    fn open(&self, cx: &Context) -> Result<Opened, Refusal> {
        cx.target.incident().map_err(Refusal::Error)?;
        Ok(Opened::Form(NewForm::new(vec![
            Field::text("text", "Note", "").multiline().required(),
            Field::text("happened_at", "Happened at", "")
                .hint("HH:MM (UTC) today, or RFC 3339; empty: now"),
        ])))
    }
    fn submit(&self, f: &Form, target: Target, now: DateTime<Utc>) -> Result<Submitted, String> {
        let seen = target.incident()?;
        let happened_at = happened_at(f.get("happened_at"), now)?;
        let command = Command::AddNote {
            id: seen.id.clone(),
            note: NewNote {
                text: f.get("text").to_string(),
                happened_at,
            },
        };
        let label = format!("note on {}", seen.id);
        Ok(Submitted::Send(Prepared::on_incident(seen, command, label)))
    }
}

/// The "happened at" field: empty for now, `HH:MM` today (UTC), or an RFC 3339 time; not
/// after `now`.
pub fn happened_at(s: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let at = match NaiveTime::parse_from_str(s, "%H:%M") {
        Ok(t) => now.date_naive().and_time(t).and_utc(),
        Err(_) => DateTime::parse_from_rfc3339(s)
            .map_err(|_| "Happened at: HH:MM (UTC) today, or an RFC 3339 time".to_string())?
            .with_timezone(&Utc),
    };
    if at > now {
        return Err(format!(
            "Happened at: {} is in the future (now {} UTC)",
            at.format("%Y-%m-%d %H:%M"),
            now.format("%H:%M")
        ));
    }
    Ok(Some(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn happened_at_is_today_or_a_full_time_and_never_later_than_now() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
        assert_eq!(happened_at("", now), Ok(None));
        assert_eq!(
            happened_at("09:41", now),
            Ok(Some(Utc.with_ymd_and_hms(2026, 11, 29, 9, 41, 0).unwrap()))
        );
        assert_eq!(
            happened_at("2026-11-28T23:10:00+01:00", now),
            Ok(Some(Utc.with_ymd_and_hms(2026, 11, 28, 22, 10, 0).unwrap()))
        );
        assert!(happened_at("10:01", now).unwrap_err().contains("future"));
        assert!(happened_at("9h41", now).unwrap_err().contains("HH:MM"));
    }
}
