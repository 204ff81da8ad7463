//! Writes from the keyboard, one file each. A write is described once, by a
//! [`WriteSpec`]: its name (what a keymap binds), the role it needs, what it acts on, how
//! it opens (a form, a question, or a write at once) and how its form submits to a typed
//! [`Command`] built from the domain's request types. The registry below lists every write
//! once; the role check, help, footer hints, opening and Ctrl+S all go through it, pinned
//! to the incident (or action) and version the user saw.
//!
//! Adding a write: a file here implementing `WriteSpec`, one line in `writes!` below, one
//! line in `assets/keymap.toml` (see docs/console.md, "Adding a write").
pub mod command;
mod corrective;
mod form;
pub mod phase;
pub mod text;
mod write;

pub use command::Command;
pub use form::*;
pub use write::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Declares each write's module and lists its spec in the registry, in one line per write.
macro_rules! writes {
    ($($module:ident :: $spec:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// Every write, in the order help and the footer list them.
        static REGISTRY: &[&dyn WriteSpec] = &[$(&$module::$spec),*];
    };
}

writes! {
    edit_action::EditAction,
    action_status::CycleActionStatus,
    take_command::TakeCommand,
    severity::SetSeverity,
    next_phase::NextPhase,
    prev_phase::PrevPhase,
    close::CloseIncident,
    roles::AssignRoles,
    status_update::PostUpdate,
    add_action::AddAction,
    add_exception::AddException,
    new_incident::NewIncident,
    edit_incident::EditIncident,
    add_note::AddNote,
}

impl WriteId {
    /// Every registered write, in registry order.
    pub fn all() -> impl Iterator<Item = WriteId> {
        (0..REGISTRY.len()).map(|i| WriteId(i as u8))
    }

    /// The write a keymap calls `name`.
    pub fn named(name: &str) -> Option<WriteId> {
        WriteId::all().find(|w| w.spec().name() == name)
    }

    pub fn spec(self) -> &'static dyn WriteSpec {
        REGISTRY[self.0 as usize]
    }

    /// A form's kind as its draft is saved: the write's draft name.
    pub fn serialize_draft<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.spec().draft_name())
    }

    pub fn deserialize_draft<'de, D: Deserializer<'de>>(d: D) -> Result<WriteId, D::Error> {
        let name = String::deserialize(d)?;
        WriteId::all()
            .find(|w| w.spec().draft_name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown form {name:?}")))
    }
}

impl fmt::Debug for WriteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec().name())
    }
}

/// In a keymap, a write is its name.
impl Serialize for WriteId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.spec().name())
    }
}

impl<'de> Deserialize<'de> for WriteId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WriteId, D::Error> {
        let name = String::deserialize(d)?;
        WriteId::named(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown action {name:?}")))
    }
}

/// Ctrl+S on a form: its typed write, or why not (shown in the form). `seen` is what the
/// form was pinned to when it opened. The domain's own checks, the ones the server makes,
/// run before anything leaves.
pub fn submit(f: &Form, seen: Option<&Seen>, now: DateTime<Utc>) -> Result<Submitted, String> {
    if let Some(m) = f.missing() {
        return Err(format!("{} is required", m.label));
    }
    let spec = f.kind.spec();
    let target = match (spec.subject(), seen) {
        (Subject::Nothing, _) => Target::Nothing,
        (Subject::Incident, Some(Seen::Incident(i))) => Target::Incident(i),
        (Subject::Incident, _) => return Err("the incident is no longer on the board".into()),
        (Subject::Action, Some(Seen::Action(a))) => Target::Action(a),
        (Subject::Action, _) => return Err("the action is no longer listed".into()),
    };
    let submitted = spec.submit(f, target, now)?;
    submitted
        .prepared()
        .command
        .validate()
        .map_err(|e| in_form_words(f, e))?;
    Ok(submitted)
}

/// A refusal in the form's own words: the field's label where the domain names it as the
/// API does (`next_update_in_minutes` reads "Next update in (min)").
fn in_form_words(f: &Form, e: crate::domain::DomainError) -> String {
    let field = e
        .field
        .as_deref()
        .and_then(|name| f.fields.iter().find(|x| x.name == name));
    match field {
        Some(x) => e.message.replace(x.name.as_str(), x.label.as_str()),
        None => e.message,
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
