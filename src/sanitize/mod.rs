//! The one gate that untrusted text passes before it can reach a terminal (guarantee G4).
//!
//! Everything the console shows comes from an API that anyone with a token (or an alert
//! integration) can write to. A title containing `ESC ] 52 ; …` could rewrite the clipboard,
//! `ESC [ 2 J` could wipe the war-room screen, and a right-to-left override could make
//! `INC-12 rollback` read as something else. So the client passes every string through
//! [`clean_line`] or [`clean_text`] once, while deserializing into client state; views never
//! see raw API text. The rules are in [`text`]; this module applies them to the API's types.
pub mod columns;
pub mod text;

pub use text::{clean_line, clean_text, is_clean, shows_text};

/// Types whose text fields arrive from the API and must be cleaned before display.
pub trait Sanitize {
    fn sanitize(&mut self);
}

fn line(s: &mut String) {
    if !is_clean(s, false) {
        *s = clean_line(s);
    }
}

fn text(s: &mut String) {
    if !is_clean(s, true) {
        *s = clean_text(s);
    }
}

fn opt_line(s: &mut Option<String>) {
    if let Some(s) = s {
        line(s);
    }
}

impl Sanitize for crate::domain::Incident {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.title);
        text(&mut self.summary);
        opt_line(&mut self.commander);
        let roles = std::mem::take(&mut self.roles);
        self.roles = roles
            .into_iter()
            .map(|(k, v)| (clean_line(&k), clean_line(&v)))
            .collect();
        text(&mut self.impact_scope);
        line(&mut self.source);
    }
}

impl Sanitize for crate::domain::StatusUpdate {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.incident_id);
        text(&mut self.impact_scope);
        text(&mut self.current_status);
        text(&mut self.next_steps);
        line(&mut self.author);
    }
}

impl Sanitize for crate::domain::CorrectiveAction {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.incident_id);
        line(&mut self.title);
        line(&mut self.owner);
    }
}

impl Sanitize for crate::domain::RiskException {
    fn sanitize(&mut self) {
        line(&mut self.id);
        line(&mut self.incident_id);
        text(&mut self.description);
        line(&mut self.risk_accepted_by);
        line(&mut self.recorded_by);
    }
}

impl Sanitize for crate::domain::TimelineEntry {
    fn sanitize(&mut self) {
        line(&mut self.incident_id);
        line(&mut self.actor);
        line(&mut self.kind);
        opt_line(&mut self.field);
        opt_line(&mut self.old);
        opt_line(&mut self.new);
        opt_line(&mut self.reason);
        opt_line(&mut self.note);
    }
}

impl<T: Sanitize> Sanitize for Vec<T> {
    fn sanitize(&mut self) {
        self.iter_mut().for_each(Sanitize::sanitize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_fields_are_cleaned() {
        let json = serde_json::json!({
            "id": "INC-1\u{e0041}", "title": "evil\x1b[2J title", "summary": "line1\nline2\x1b]52;c;x\x07",
            "severity": "SEV1", "phase": "triage", "commander": "ana\u{202e}",
            "roles": {"comms_lead": "bo\x1b[31m"}, "customer_impact": true,
            "impact_scope": "EU", "deployment": "hosted", "recovery_owner": "vendor",
            "source": "pager", "created_at": "2026-11-29T09:00:00Z",
            "updated_at": "2026-11-29T09:00:00Z", "last_customer_update_at": null,
            "next_update_due_at": null, "update_overdue": false, "version": 1
        });
        let mut inc: crate::domain::Incident = serde_json::from_value(json).unwrap();
        inc.sanitize();
        assert_eq!(inc.id, "INC-1");
        assert_eq!(inc.title, "evil title");
        assert_eq!(inc.summary, "line1\nline2");
        assert_eq!(inc.commander.as_deref(), Some("ana[RLO]"));
        assert_eq!(inc.roles["comms_lead"], "bo");
    }
}
