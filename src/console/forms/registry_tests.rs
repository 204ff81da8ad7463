//! The registry is the one list of writes: every write in it must be reachable (a key in
//! the default keymap), explained (a line in help), and ask for the role the server will
//! ask for. A write added to `writes!` without its keymap line, or with a role rule that
//! disagrees with the server's, fails here.
use super::*;
use crate::console::intent::Intent;
use crate::console::keymap::{Keymap, Mode};
use crate::console::testdata;
use crate::domain::{Cadence, Incident, Phase, Role, Severity};
use std::collections::HashSet;

/// The role the server asks for this request on this incident: the domain's
/// `IncidentPatch::required_role` for an incident PATCH, and for the others what the route
/// requires (`src/server/routes`: `auth.require(..)`).
fn server_role(command: &Command, inc: &Incident) -> Role {
    match command {
        Command::PatchIncident { patch, .. } => patch.required_role(inc).0,
        Command::AddException { .. } => Role::Commander,
        Command::PostUpdate { .. }
        | Command::AddAction { .. }
        | Command::NewIncident(_)
        | Command::AddNote { .. }
        | Command::PatchAction { .. } => Role::Responder,
    }
}

/// Opens `write` on a Triage incident (or one of its actions) as a commander and, for a
/// form, changes every field the way a person would (a choice moved on, text typed; dates
/// and minutes keep their defaults), then submits: the typed command it sends.
fn command_of(write: WriteId, inc: &Incident) -> Command {
    let spec = write.spec();
    let action = testdata::actions()
        .into_iter()
        .next()
        .expect("the scenario has actions");
    let target = match spec.subject() {
        Subject::Nothing => Target::Nothing,
        Subject::Incident => Target::Incident(inc),
        Subject::Action => Target::Action(&action),
    };
    let seen = match target {
        Target::Nothing => None,
        Target::Incident(i) => Some(Seen::Incident(i.clone())),
        Target::Action(a) => Some(Seen::Action(a.clone())),
    };
    let now = testdata::clock();
    let cx = Context {
        target,
        me: Some("ana"),
        role: Some(Role::Commander),
        now,
        cadence: &Cadence::default(),
        last_scope: None,
    };
    let submitted = match spec.open(&cx) {
        Ok(Opened::Write(s)) => s,
        Ok(Opened::Form(new)) => {
            let mut form = Form::pinned(write, seen, new.fields, new.context);
            for field in &mut form.fields {
                if field.is_choice() {
                    field.cycle(1);
                } else if field.hint != "YYYY-MM-DD"
                    && !field.name.ends_with("minutes")
                    && !field.name.ends_with("_at")
                {
                    field.value.push('x');
                }
            }
            assert!(
                form.title().contains(spec.form_title()),
                "{write:?}: {}",
                form.title()
            );
            submit(&form, form.seen.as_ref(), now)
                .unwrap_or_else(|e| panic!("{write:?}: the filled-in form is refused: {e}"))
        }
        Err(e) => panic!("{write:?} does not open for a commander: {e:?}"),
    };
    submitted.prepared().command.clone()
}

#[test]
fn every_write_has_a_key_a_help_line_and_the_servers_role() {
    let keymap = Keymap::default_keymap();
    let mut state = testdata::state();
    state.settings.role = Some(Role::Commander);
    let help: Vec<String> = crate::console::view::help_lines(&state)
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    let inc = testdata::incident("INC-1", Severity::Sev2, Phase::Triage);
    let (mut names, mut drafts) = (HashSet::new(), HashSet::new());
    assert!(WriteId::all().count() >= 12);
    for write in WriteId::all() {
        let spec = write.spec();
        assert!(names.insert(spec.name()), "{} twice", spec.name());
        assert!(
            drafts.insert(spec.draft_name()),
            "{} twice",
            spec.draft_name()
        );
        // The keymap binds it by its name, and reads the name back.
        let action = Intent::Write(write);
        let bound: Vec<_> = Mode::ALL
            .into_iter()
            .flat_map(|m| keymap.bindings(m).filter(|(a, _)| *a == action))
            .collect();
        assert!(
            !bound.is_empty(),
            "{}: no key in assets/keymap.toml",
            spec.name()
        );
        let file = format!("[board]\n{} = [\"F\"]\n", spec.name());
        let read = Keymap::from_toml(&file).expect("the name is a keymap name");
        assert_eq!(
            read.action(
                Mode::Board,
                crate::console::keymap::Key::parse("F").unwrap()
            ),
            Some(action)
        );
        // Help names it with its key.
        let key = bound[0].1[0].to_string();
        assert!(
            help.iter()
                .any(|l| l.contains(spec.description()) && l.contains(&key)),
            "{}: not in help as `{key} {}`",
            spec.name(),
            spec.description()
        );
        // The role the key asks for is the one the server asks for the request it sends.
        let command = command_of(write, &inc);
        assert_eq!(
            spec.role(),
            server_role(&command, &inc),
            "{}: the key's role is not the server's for {command:?}",
            spec.name()
        );
    }
}

#[test]
fn drafts_keep_the_names_they_were_saved_under() {
    let inc = testdata::incident("INC-7", Severity::Sev2, Phase::Triage);
    for (name, draft) in [
        ("post_update", "status_update"),
        ("add_action", "corrective_action"),
        ("add_exception", "exception"),
        ("set_severity", "severity"),
        ("assign_roles", "roles"),
        ("next_phase", "next_phase"),
        ("new_incident", "new_incident"),
    ] {
        let write = WriteId::named(name).unwrap();
        let form = Form::pinned(write, Some(Seen::Incident(inc.clone())), vec![], None);
        assert_eq!(form.draft_key(), format!("{draft}:INC-7"));
        let json = serde_json::to_value(&form).unwrap();
        assert_eq!(json["kind"], draft);
        let back: Form = serde_json::from_value(json).unwrap();
        assert_eq!(back.kind, write);
    }
}

/// A write's file that is not in `writes!` is not even compiled: nothing would say so.
/// Every file here that implements `WriteSpec` must be registered under its name.
#[test]
fn every_write_file_is_registered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/console/forms");
    let mut found = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if path.to_string_lossy().ends_with("_tests.rs") || !text.contains("impl WriteSpec for") {
            continue;
        }
        let after = text
            .split("fn name(&self) -> &'static str {")
            .nth(1)
            .unwrap_or_else(|| panic!("{}: a WriteSpec without fn name", path.display()));
        let name = after.split('"').nth(1).unwrap();
        assert!(
            WriteId::named(name).is_some(),
            "{} implements the write {name:?} but is not listed in writes! (forms/mod.rs)",
            path.display()
        );
        found += 1;
    }
    assert_eq!(found, WriteId::all().count());
}

#[test]
fn a_refusal_names_the_field_by_its_label_not_its_api_name() {
    let inc = testdata::incident("INC-7", Severity::Sev1, Phase::Containment);
    let write = WriteId::named("post_update").unwrap();
    let seen = Some(Seen::Incident(inc.clone()));
    let cx = Context {
        target: Target::Incident(&inc),
        me: Some("ana"),
        role: Some(Role::Commander),
        now: testdata::clock(),
        cadence: &Cadence::default(),
        last_scope: None,
    };
    let Ok(Opened::Form(new)) = write.spec().open(&cx) else {
        panic!("the update form opens");
    };
    let mut form = Form::pinned(write, seen, new.fields, new.context);
    for field in &mut form.fields {
        match field.name.as_str() {
            "next_update_in_minutes" => field.value = "0".into(),
            n if !field.is_choice() && n != "audience" => field.value = "x".into(),
            _ => {}
        }
    }
    let Err(said) = submit(&form, form.seen.as_ref(), testdata::clock()) else {
        panic!("0 minutes is refused");
    };
    assert!(
        said.starts_with("Next update in (min) must be between 1 and"),
        "{said}"
    );
    assert!(!said.contains("next_update_in_minutes"), "{said}");
}
