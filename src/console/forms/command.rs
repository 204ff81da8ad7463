//! A write as a typed command: the domain's own request types (`IncidentPatch`,
//! `NewStatusUpdate`, …), so the body the console sends, the rules it checks before sending,
//! and the optimistic card it shows are the server's definitions, not a second copy in JSON.
use crate::client::{Method, Write};
use crate::domain::{
    ActionPatch, Cadence, CloseContext, CorrectiveAction, DomainError, Incident, IncidentPatch,
    NewAction, NewException, NewIncident, NewNote, NewStatusUpdate,
};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `PATCH /incidents/{id}`: severity, phase, commander, roles.
    PatchIncident { id: String, patch: IncidentPatch },
    /// `POST /incidents/{id}/updates`.
    PostUpdate { id: String, update: NewStatusUpdate },
    /// `POST /incidents/{id}/actions`.
    AddAction { id: String, action: NewAction },
    /// `POST /incidents/{id}/exceptions`.
    AddException { id: String, exception: NewException },
    /// `POST /incidents`.
    NewIncident(NewIncident),
    /// `POST /incidents/{id}/notes`.
    AddNote { id: String, note: NewNote },
    /// `PATCH /actions/{id}`.
    PatchAction {
        id: String,
        incident_id: String,
        patch: ActionPatch,
    },
}

impl Command {
    /// The incident it is about (none for a new incident).
    pub fn incident_id(&self) -> Option<&str> {
        match self {
            Command::PatchIncident { id, .. }
            | Command::PostUpdate { id, .. }
            | Command::AddAction { id, .. }
            | Command::AddException { id, .. }
            | Command::AddNote { id, .. } => Some(id),
            Command::PatchAction { incident_id, .. } => Some(incident_id),
            Command::NewIncident(_) => None,
        }
    }

    /// The domain's checks on the request alone, before anything is sent: the same calls
    /// the server makes.
    pub fn validate(&self) -> Result<(), DomainError> {
        match self {
            Command::PatchIncident { patch, .. } => patch.validate(),
            Command::PostUpdate { update, .. } => update.validate(),
            Command::PatchAction { patch, .. } => patch.validate(),
            Command::AddNote { note, .. } => note.validate(),
            Command::AddAction { .. } | Command::AddException { .. } | Command::NewIncident(_) => {
                Ok(())
            }
        }
    }

    /// The write the outbox sends: this command's body, serialized from the typed request.
    /// `version` is the If-Match of a PATCH: the version the user saw.
    pub fn to_write(&self, version: Option<i64>, label: impl Into<String>) -> Write {
        fn body<T: serde::Serialize>(t: &T) -> serde_json::Value {
            serde_json::to_value(t).expect("request types serialize")
        }
        let (method, path, body) = match self {
            Command::PatchIncident { id, patch } => {
                (Method::Patch, format!("/incidents/{id}"), body(patch))
            }
            Command::PostUpdate { id, update } => (
                Method::Post,
                format!("/incidents/{id}/updates"),
                body(update),
            ),
            Command::AddAction { id, action } => (
                Method::Post,
                format!("/incidents/{id}/actions"),
                body(action),
            ),
            Command::AddException { id, exception } => (
                Method::Post,
                format!("/incidents/{id}/exceptions"),
                body(exception),
            ),
            Command::NewIncident(req) => (Method::Post, "/incidents".to_string(), body(req)),
            Command::AddNote { id, note } => {
                (Method::Post, format!("/incidents/{id}/notes"), body(note))
            }
            Command::PatchAction { id, patch, .. } => {
                (Method::Patch, format!("/actions/{id}"), body(patch))
            }
        };
        let mut w = Write::new(method, path, body, label);
        if method == Method::Patch
            && let Some(v) = version
        {
            w = w.if_match(v);
        }
        if let Some(id) = self.incident_id() {
            w = w.incident(id);
        }
        w
    }

    /// The incident as this command leaves it, shown at once while the write is on its way:
    /// the domain's own `Incident::apply` on the typed patch. The rules that need the
    /// server's knowledge (open actions, customer updates) are the server's to enforce, so
    /// they are assumed met here; a refusal rolls the card back. The version stays the one
    /// the change is based on until the server answers.
    pub fn optimistic(
        &self,
        inc: &Incident,
        now: DateTime<Utc>,
        cadence: &Cadence,
    ) -> Option<Incident> {
        let Command::PatchIncident { patch, .. } = self else {
            return None;
        };
        let ctx = CloseContext {
            has_customer_update: true,
            open_actions: 0,
            has_live_exception: true,
            was_customer_impacting: false,
        };
        let (mut next, _) = inc.apply(patch, ctx, now, cadence).ok()?;
        next.version = inc.version;
        Some(next)
    }

    /// The corrective action as this command leaves it, for the row at once.
    pub fn optimistic_action(
        &self,
        a: &CorrectiveAction,
        now: DateTime<Utc>,
    ) -> Option<CorrectiveAction> {
        let Command::PatchAction { patch, .. } = self else {
            return None;
        };
        let (mut next, _) = a.apply(patch, now).ok()?;
        next.version = a.version;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Phase, Severity};
    use serde_json::json;

    #[test]
    fn the_body_is_the_typed_request_and_the_card_is_the_domains_apply() {
        let inc = crate::console::testdata::incident("INC-7", Severity::Sev3, Phase::Triage);
        let cmd = Command::PatchIncident {
            id: "INC-7".into(),
            patch: IncidentPatch {
                severity: Some(Severity::Sev1),
                reason: Some("EU down".into()),
                commander: Some(None),
                ..Default::default()
            },
        };
        let w = cmd.to_write(Some(4), "INC-7 SEV3 → SEV1");
        assert_eq!(
            w.body,
            json!({"severity": "SEV1", "reason": "EU down", "commander": null})
        );
        assert_eq!(
            (w.if_match, w.incident_id.as_deref()),
            (Some(4), Some("INC-7"))
        );
        // What the server would parse is what was built.
        let back: IncidentPatch = serde_json::from_value(w.body).unwrap();
        assert_eq!(
            Command::PatchIncident {
                id: "INC-7".into(),
                patch: back
            },
            cmd
        );
        let after = cmd
            .optimistic(&inc, inc.created_at, &Cadence::default())
            .unwrap();
        assert_eq!(after.severity, Severity::Sev1);
        assert_eq!(
            after.version, inc.version,
            "based-on version until answered"
        );
    }

    #[test]
    fn a_post_carries_no_if_match_and_minutes_follow_the_domains_rule() {
        let cmd = Command::PostUpdate {
            id: "INC-7".into(),
            update: NewStatusUpdate {
                audience: crate::domain::Audience::Internal,
                impact_scope: String::new(),
                current_status: "rolling back".into(),
                next_steps: String::new(),
                next_update_in_minutes: Some(NewStatusUpdate::MAX_MINUTES + 1),
            },
        };
        let err = cmd.validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("next_update_in_minutes"));
        assert_eq!(cmd.to_write(Some(3), "x").if_match, None);
    }
}
