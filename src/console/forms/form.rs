//! Forms and confirmations for writes: a form is a list of fields (text or a choice), a
//! focus, and what to do with it. Forms are plain data with serde, so a draft can be saved
//! on every keystroke and offered back after a crash.
use super::command::Command;
use super::text::{Edit, Editor};
use crate::domain::{ActionPatch, CorrectiveAction, Incident, IncidentPatch};
use serde::{Deserialize, Serialize};

/// A registered write, by its place in the registry (`forms/mod.rs`), which is the order
/// help and the footer list writes in. Its name, the one a keymap binds, is
/// `spec().name()`; serialized, it is that name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WriteId(pub(super) u8);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The API's name for it (`impact_scope`), or a form-local name.
    pub name: String,
    pub label: String,
    pub value: String,
    /// A choice field cycles through these; a text field has none.
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub required: bool,
    /// A short hint shown when the field is empty ("YYYY-MM-DD").
    #[serde(default)]
    pub hint: String,
    /// Long free text: Enter starts a new line and the text wraps so all of it shows. A
    /// property of the form, not of the draft: a restored draft takes it from the form.
    #[serde(skip)]
    pub multiline: bool,
    /// The cursor and undo history of a text field; `value` is the text.
    #[serde(skip)]
    pub editor: Option<Editor>,
}

impl Field {
    pub fn text(name: &str, label: &str, value: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            label: label.into(),
            value: value.into(),
            choices: vec![],
            required: false,
            hint: String::new(),
            multiline: false,
            editor: None,
        }
    }

    /// Long free text (see `multiline`).
    pub fn multiline(mut self) -> Field {
        self.multiline = true;
        self
    }

    /// The text field's editor, in step with its value.
    pub fn editor(&mut self) -> &mut Editor {
        Editor::synced(&mut self.editor, &self.value, self.multiline)
    }

    /// An editing key in a text field; true when the text or the cursor changed.
    pub fn edit(&mut self, e: Edit) -> bool {
        if self.is_choice() || (!self.multiline && matches!(e, Edit::Newline)) {
            return false;
        }
        let changed = self.editor().apply(e);
        self.value = self.editor.as_ref().map(Editor::text).unwrap_or_default();
        changed
    }

    /// Inserts as much of `text` at the cursor as fits in `max` characters (line breaks
    /// count as one); returns how many characters did not fit. `text` is already clean,
    /// and one line unless the field is multi-line.
    pub fn insert(&mut self, text: &str, max: usize) -> usize {
        let room = max.saturating_sub(self.value.chars().count());
        let end = text
            .char_indices()
            .nth(room)
            .map_or(text.len(), |(at, _)| at);
        if end > 0 {
            let editor = self.editor();
            editor.insert(&text[..end]);
            self.value = editor.text();
        }
        text[end..].chars().count()
    }

    pub fn choice(name: &str, label: &str, choices: &[&str], value: &str) -> Field {
        Field {
            choices: choices.iter().map(|c| c.to_string()).collect(),
            ..Field::text(name, label, value)
        }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: &str) -> Field {
        self.hint = hint.into();
        self
    }

    pub fn is_choice(&self) -> bool {
        !self.choices.is_empty()
    }

    /// Moves a choice field by `delta` (wrapping).
    pub fn cycle(&mut self, delta: isize) {
        if self.choices.is_empty() {
            return;
        }
        let n = self.choices.len() as isize;
        let i = self
            .choices
            .iter()
            .position(|c| *c == self.value)
            .unwrap_or(0) as isize;
        self.value = self.choices[(i + delta).rem_euclid(n) as usize].clone();
    }

    /// A typed character: text for a text field; for a choice, space cycles and any other
    /// character picks the first choice containing it (`1` picks SEV1, `c` customer).
    pub fn type_char(&mut self, c: char) {
        if !self.is_choice() {
            self.insert(c.encode_utf8(&mut [0; 4]), usize::MAX);
            return;
        }
        if c == ' ' {
            self.cycle(1);
            return;
        }
        let lc = c.to_ascii_lowercase();
        if let Some(choice) = self
            .choices
            .iter()
            .find(|ch| ch.to_ascii_lowercase().starts_with(lc))
            .or_else(|| {
                self.choices
                    .iter()
                    .find(|ch| ch.to_ascii_lowercase().contains(lc))
            })
        {
            self.value = choice.clone();
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// Which write it is; saved under the write's draft name.
    #[serde(
        serialize_with = "WriteId::serialize_draft",
        deserialize_with = "WriteId::deserialize_draft"
    )]
    pub kind: WriteId,
    /// The incident it is about (none for a new incident).
    #[serde(default)]
    pub incident_id: Option<String>,
    /// The corrective action it edits.
    #[serde(default)]
    pub action_id: Option<String>,
    /// A line under the title: "INC-4 Checkout errors · Triage → Containment".
    #[serde(default)]
    pub context: String,
    pub fields: Vec<Field>,
    #[serde(default)]
    pub focus: usize,
    /// Why the last send was refused before it left (a required field), or by the server.
    #[serde(skip)]
    pub error: Option<String>,
    /// What the user saw when the form opened (a restored draft is pinned when it reopens):
    /// the write is based on this version, and is not sent over a change made since.
    #[serde(skip)]
    pub seen: Option<Seen>,
}

impl Form {
    /// A form for the write `kind` about what the user sees now (`seen`; nothing for a new
    /// incident), pinned to it: the write is based on that version. `context` is the line
    /// under the title, by default the incident or action it is about.
    pub fn pinned(
        kind: WriteId,
        seen: Option<Seen>,
        fields: Vec<Field>,
        context: Option<String>,
    ) -> Form {
        let (incident_id, action_id, about) = match &seen {
            None => (None, None, String::new()),
            Some(Seen::Incident(i)) => (
                Some(i.id.clone()),
                None,
                format!("{} {} · {}", i.id, i.title, i.severity),
            ),
            Some(Seen::Action(a)) => (
                Some(a.incident_id.clone()),
                Some(a.id.clone()),
                format!("{} {} · {}", a.id, a.title, a.incident_id),
            ),
        };
        Form {
            kind,
            incident_id,
            action_id,
            context: context.unwrap_or(about),
            fields,
            focus: 0,
            error: None,
            seen,
        }
    }

    /// The title bar: what it does and to which incident or action, so a form never
    /// leaves the reader guessing what it will change.
    pub fn title(&self) -> String {
        match self.action_id.as_deref().or(self.incident_id.as_deref()) {
            Some(subject) => format!("{} · {subject}", self.kind.spec().form_title()),
            None => self.kind.spec().form_title().to_string(),
        }
    }

    /// The key its draft is saved under: one draft per form and subject.
    pub fn draft_key(&self) -> String {
        let kind = self.kind.spec().draft_name();
        let subject = self
            .action_id
            .as_deref()
            .or(self.incident_id.as_deref())
            .unwrap_or("new");
        format!("{kind}:{subject}")
    }

    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.trim())
            .unwrap_or("")
    }

    pub fn focused(&mut self) -> Option<&mut Field> {
        self.fields.get_mut(self.focus)
    }

    pub fn move_focus(&mut self, delta: isize) {
        let n = self.fields.len().max(1) as isize;
        self.focus = (self.focus as isize + delta).rem_euclid(n) as usize;
    }

    /// Whether `field` must be filled in, as the form stands now.
    pub fn requires(&self, field: &Field) -> bool {
        self.kind.spec().required(self, field)
    }

    /// The first required field left empty, named for the message.
    pub fn missing(&self) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| self.requires(f) && f.value.trim().is_empty())
    }
}

/// What a write was based on: the incident or corrective action as the user saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Incident(Incident),
    Action(CorrectiveAction),
}

impl Seen {
    pub fn version(&self) -> i64 {
        match self {
            Seen::Incident(i) => i.version,
            Seen::Action(a) => a.version,
        }
    }
}

/// A write ready to go: the typed command, what it is called in messages, and what the
/// user saw when it started (none for a new incident).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub command: Command,
    pub label: String,
    pub seen: Option<Seen>,
}

impl Prepared {
    /// A write about `seen`, the incident as the user saw it (its version is the one the
    /// write is pinned to).
    pub fn on_incident(seen: &Incident, command: Command, label: String) -> Prepared {
        Prepared {
            command,
            label,
            seen: Some(Seen::Incident(seen.clone())),
        }
    }

    /// A change of the incident the user saw: only the fields `patch` names.
    pub fn patch_incident(seen: &Incident, patch: IncidentPatch, label: String) -> Prepared {
        let command = Command::PatchIncident {
            id: seen.id.clone(),
            patch,
        };
        Self::on_incident(seen, command, label)
    }

    /// A change of the corrective action the user saw: only the fields `patch` names.
    pub fn patch_action(seen: &CorrectiveAction, patch: ActionPatch, label: String) -> Prepared {
        Prepared {
            command: Command::PatchAction {
                id: seen.id.clone(),
                incident_id: seen.incident_id.clone(),
                patch,
            },
            label,
            seen: Some(Seen::Action(seen.clone())),
        }
    }
}

/// A question before a write: one that is hard to undo (closing, a downgrade), that takes
/// something from someone (command, an action marked done), or that re-applies a change
/// over someone else's (a conflict).
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    /// What "yes" sends.
    pub write: Prepared,
    /// A draft to discard once the write lands.
    pub draft: Option<String>,
    /// The words for yes and no ("re-apply yours", "discard yours" in a conflict).
    pub yes: &'static str,
    pub no: &'static str,
    /// A conflict: "no" discards the change (and its draft) rather than only cancelling.
    pub conflict: bool,
}

/// At most one is open at a time.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Form(Form),
    Confirm(Confirm),
}

/// The severities as a choice field's choices.
pub(super) fn sev_names() -> Vec<&'static str> {
    crate::domain::Severity::ALL
        .iter()
        .map(|s| s.as_str())
        .collect()
}

/// A required date field (`YYYY-MM-DD`).
pub(super) fn date_field(name: &str, label: &str, value: impl Into<String>) -> Field {
    Field::text(name, label, value)
        .required()
        .hint("YYYY-MM-DD")
}

/// A date field's value (`YYYY-MM-DD`).
pub(super) fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}
