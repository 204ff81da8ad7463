//! What a write is, once: [`WriteSpec`]. Each write lives in its own file in this folder
//! and is listed once in the registry (`forms/mod.rs`); the role check, help and footer,
//! opening (a form, a question, or a write at once, pinned to what the user saw) and Ctrl+S
//! are all driven from here, so no other code names a particular write.
use super::form::{Field, Form, Prepared};
use crate::domain::{Cadence, CorrectiveAction, Incident, Role};
use chrono::{DateTime, Utc};

/// What a write acts on, which decides what must be selected before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Nothing selected is needed (a new incident).
    Nothing,
    /// The selected incident (or the open detail's).
    Incident,
    /// The selected corrective action (actions view, or the detail's actions tab).
    Action,
}

/// What a write starts on: the selection, as it is on screen now.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Nothing,
    Incident(&'a Incident),
    Action(&'a CorrectiveAction),
}

/// What a write key says when nothing of what it acts on is selected.
pub const NO_INCIDENT: &str =
    "nothing selected: select an incident first (j/k, or enter to open one)";
pub const NO_ACTION: &str = "nothing selected: select a corrective action first (actions view, or the detail's actions tab)";

impl<'a> Target<'a> {
    /// The incident it is about, or why there is none.
    pub fn incident(self) -> Result<&'a Incident, String> {
        match self {
            Target::Incident(i) => Ok(i),
            _ => Err(NO_INCIDENT.into()),
        }
    }

    /// The corrective action it is about, or why there is none.
    pub fn action(self) -> Result<&'a CorrectiveAction, String> {
        match self {
            Target::Action(a) => Ok(a),
            _ => Err(NO_ACTION.into()),
        }
    }
}

/// What else a write may need to open: who is asking, the clock and the defaults.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub target: Target<'a>,
    pub me: Option<&'a str>,
    pub role: Option<Role>,
    pub now: DateTime<Utc>,
    pub cadence: &'a Cadence,
    /// The impact scope of the incident's last status update, when it is loaded.
    pub last_scope: Option<&'a str>,
}

/// The fields of a form a write opens, and the line under its title when the default
/// (the incident or action it is about) is not enough.
#[derive(Debug, Clone, PartialEq)]
pub struct NewForm {
    pub fields: Vec<Field>,
    pub context: Option<String>,
}

impl NewForm {
    pub fn new(fields: Vec<Field>) -> NewForm {
        NewForm {
            fields,
            context: None,
        }
    }

    pub fn context(mut self, context: String) -> NewForm {
        self.context = Some(context);
        self
    }
}

/// What pressing a write's key comes to. Made once per key press and moved at once, so
/// the larger variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// A form to fill in; Ctrl+S calls [`WriteSpec::submit`].
    Form(NewForm),
    /// A write with no form: sent at once, or after a question.
    Write(Submitted),
}

/// Why a write does not start, shown in the footer.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Something is wrong (the server would refuse, a prerequisite is missing).
    Error(String),
    /// Nothing to do (you already command it).
    Notice(String),
}

/// What submitting a form (or a key that writes at once) comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// Send it now.
    Send(Prepared),
    /// Ask first: a question with a title and a few lines, then send on yes.
    Ask {
        title: String,
        lines: Vec<String>,
        write: Prepared,
    },
}

impl Submitted {
    pub fn prepared(&self) -> &Prepared {
        let (Submitted::Send(p) | Submitted::Ask { write: p, .. }) = self;
        p
    }
}

/// One write, described once.
pub trait WriteSpec: std::marker::Sync {
    /// The name a keymap binds it by (`set_severity`).
    fn name(&self) -> &'static str;
    /// A few words for footer hints.
    fn label(&self) -> &'static str;
    /// One line for the help overlay.
    fn description(&self) -> &'static str;
    /// Whether the footer offers it as a hint.
    fn hint(&self) -> bool {
        false
    }
    /// What it acts on.
    fn subject(&self) -> Subject;
    /// The least role it needs on any incident, the server's rule for the request it
    /// sends (`IncidentPatch::required_role`, or the route's). A key the role cannot use
    /// says so at once, and help and the footer mark it.
    fn role(&self) -> Role;
    /// The key was pressed on `cx.target` (of this write's subject): open a form, ask, or
    /// write at once — or say why not.
    fn open(&self, cx: &Context) -> Result<Opened, Refusal>;
    /// For a write with a form: the form's title, and its draft's name (drafts saved by
    /// earlier versions keep theirs).
    fn form_title(&self) -> &'static str {
        self.description()
    }
    fn draft_name(&self) -> &'static str {
        self.name()
    }
    /// Ctrl+S on its form, pinned to `target` as the user saw it when the form opened:
    /// the typed write, or why not (shown in the form).
    fn submit(
        &self,
        _form: &Form,
        _target: Target,
        _now: DateTime<Utc>,
    ) -> Result<Submitted, String> {
        Err("this write has no form".into())
    }
    /// Whether `field` must be filled in before the form is sent, as the form stands now
    /// (a status update's impact scope and next steps only for customers). Help marks it
    /// with `*`; Ctrl+S names the first one left empty.
    fn required(&self, _form: &Form, field: &Field) -> bool {
        field.required
    }
    /// The server's length limit for one of its fields, when it differs from what the
    /// field's name means elsewhere.
    fn field_limit(&self, _field: &str) -> Option<usize> {
        None
    }
}
