//! Which write keys a role may use, so the console says so at once instead of letting a
//! responder fill in a form the server will refuse. The rule is each write's own
//! ([`WriteSpec::role`](super::forms::WriteSpec::role)): the server's, from the domain's
//! `IncidentPatch::required_role` for a PATCH, or the route's for a POST. The server still
//! decides; its refusals are shown as they come.
use super::forms::WriteId;
use super::intent::Intent;
use crate::domain::Role;

/// The least role a key needs, for every incident (None: not a write).
pub fn needed(action: Intent) -> Option<Role> {
    match action {
        Intent::Write(w) => Some(w.spec().role()),
        _ => None,
    }
}

/// Why this role cannot use this write, or None. An unknown role (the server has not said
/// yet) is let through: the server decides.
pub fn refusal(role: Option<Role>, write: WriteId) -> Option<String> {
    let spec = write.spec();
    let (role, need) = (role?, spec.role());
    (role < need).then(|| {
        format!(
            "{}: needs the {need} role; this token is a {role}'s",
            spec.description().to_lowercase()
        )
    })
}

/// Whether the key is usable by this role (unknown role: yes).
pub fn allowed(role: Option<Role>, action: Intent) -> bool {
    match action {
        Intent::Write(w) => refusal(role, w).is_none(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::forms::phase;
    use crate::console::keymap::{Key, Keymap, Mode};
    use crate::console::testdata;
    use crate::domain::{IncidentPatch, Phase, Severity};

    fn write(name: &str) -> Intent {
        Intent::Write(WriteId::named(name).unwrap())
    }

    /// The keys' rules agree with the domain's rule for the PATCHes they send.
    #[test]
    fn the_table_is_the_servers_rule() {
        let patch = |f: fn(&mut IncidentPatch)| {
            let mut p = IncidentPatch::default();
            f(&mut p);
            p.required_role(&testdata::incident("INC-1", Severity::Sev2, Phase::Triage))
                .0
        };
        assert_eq!(
            needed(write("set_severity")),
            Some(patch(|p| p.severity = Some(Severity::Sev1)))
        );
        assert_eq!(
            needed(write("take_command")),
            Some(patch(|p| p.commander = Some(Some("x".into()))))
        );
        assert_eq!(
            needed(write("assign_roles")),
            Some(patch(|p| p.roles = Some(Default::default())))
        );
        assert_eq!(
            needed(write("close_incident")),
            Some(patch(|p| p.phase = Some(Phase::Closed)))
        );
        assert_eq!(
            needed(write("next_phase")),
            Some(patch(|p| p.phase = Some(Phase::Containment)))
        );
        for key in ["s", "a", "C", "x", "R"] {
            let Some(Intent::Write(w)) =
                Keymap::default_keymap().action(Mode::Board, Key::parse(key).unwrap())
            else {
                panic!("{key} is not a write");
            };
            assert!(refusal(Some(Role::Responder), w).is_some(), "{key}");
            assert!(refusal(Some(Role::Commander), w).is_none(), "{key}");
        }
        assert!(
            phase::refusal(
                Some(Role::Responder),
                &testdata::incident("INC-1", Severity::Sev2, Phase::FollowThrough),
                Phase::Closed
            )
            .is_some()
        );
        assert!(
            phase::refusal(
                Some(Role::Responder),
                &testdata::incident("INC-1", Severity::Sev2, Phase::Triage),
                Phase::Containment
            )
            .is_none()
        );
    }
}
