//! Which write keys a role may use, so the console says so at once instead of letting a
//! responder fill in a form the server will refuse. These are the server's rules: a PATCH
//! needs what `IncidentPatch::required_role` says (severity, commander, roles, closing and
//! reopening are the commander's), an exception needs a commander, and status updates,
//! corrective actions and new incidents a responder (`src/server/routes`). The server still
//! decides; its refusals are shown as they come.
use super::action::Action;
use crate::domain::{Incident, Phase, Role};

/// The least role a write key needs, for every incident (None: not a write).
pub fn needed(action: Action) -> Option<Role> {
    match action {
        Action::TakeCommand
        | Action::SetSeverity
        | Action::AssignRoles
        | Action::CloseIncident
        | Action::AddException => Some(Role::Commander),
        Action::NextPhase
        | Action::PrevPhase
        | Action::PostUpdate
        | Action::AddAction
        | Action::EditAction
        | Action::CycleActionStatus
        | Action::NewIncident => Some(Role::Responder),
        _ => None,
    }
}

/// Why this role cannot use this key, or None. An unknown role (the server has not said
/// yet) is let through: the server decides.
pub fn refusal(role: Option<Role>, action: Action) -> Option<String> {
    let (role, need) = (role?, needed(action)?);
    (role < need).then(|| {
        format!(
            "{}: needs the {need} role; this token is a {role}'s",
            action.description().to_lowercase()
        )
    })
}

/// A phase move into or out of Closed is a commander's (`p` from follow-through, `P` on a
/// closed incident), whatever the key's own role.
pub fn phase_refusal(role: Option<Role>, inc: &Incident, to: Phase) -> Option<String> {
    let role = role?;
    let from = inc.phase;
    let need = crate::domain::IncidentPatch {
        phase: Some(to),
        ..Default::default()
    }
    .required_role(inc)
    .0;
    (role < need).then(|| {
        format!(
            "moving to {} from {} needs the {need} role; this token is a {role}'s",
            to.title(),
            from.title()
        )
    })
}

/// Whether the key is usable by this role (unknown role: yes).
pub fn allowed(role: Option<Role>, action: Action) -> bool {
    refusal(role, action).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IncidentPatch, Severity};

    /// The keys' table agrees with the domain's rule for the PATCHes they send.
    #[test]
    fn the_table_is_the_servers_rule() {
        let patch = |f: fn(&mut IncidentPatch)| {
            let mut p = IncidentPatch::default();
            f(&mut p);
            p.required_role(&crate::console::testdata::incident(
                "INC-1",
                Severity::Sev2,
                Phase::Triage,
            ))
            .0
        };
        assert_eq!(
            needed(Action::SetSeverity),
            Some(patch(|p| p.severity = Some(Severity::Sev1)))
        );
        assert_eq!(
            needed(Action::TakeCommand),
            Some(patch(|p| p.commander = Some(Some("x".into()))))
        );
        assert_eq!(
            needed(Action::AssignRoles),
            Some(patch(|p| p.roles = Some(Default::default())))
        );
        assert_eq!(
            needed(Action::CloseIncident),
            Some(patch(|p| p.phase = Some(Phase::Closed)))
        );
        assert_eq!(
            needed(Action::NextPhase),
            Some(patch(|p| p.phase = Some(Phase::Containment)))
        );
        for key in ["s", "a", "C", "x", "R"] {
            let action = crate::console::keymap::Keymap::default_keymap()
                .action(
                    crate::console::keymap::Mode::Board,
                    crate::console::keymap::Key::parse(key).unwrap(),
                )
                .unwrap();
            assert!(refusal(Some(Role::Responder), action).is_some(), "{key}");
            assert!(refusal(Some(Role::Commander), action).is_none(), "{key}");
        }
        assert!(
            phase_refusal(
                Some(Role::Responder),
                &crate::console::testdata::incident("INC-1", Severity::Sev2, Phase::FollowThrough),
                Phase::Closed
            )
            .is_some()
        );
        assert!(
            phase_refusal(
                Some(Role::Responder),
                &crate::console::testdata::incident("INC-1", Severity::Sev2, Phase::Triage),
                Phase::Containment
            )
            .is_none()
        );
    }
}
