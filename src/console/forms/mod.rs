//! Writes from the keyboard. A form is plain data (fields, focus) saved as a draft on every
//! keystroke; submitting it builds a typed [`Command`] from the domain's request types,
//! pinned to the incident and version the user saw when the form opened.
pub mod command;
mod form;

pub use command::Command;
pub use form::*;

pub mod action_status;
pub mod add_action;
pub mod close;
pub mod edit_action;
pub mod exception;
pub mod new_incident;
pub mod phase;
pub mod roles;
pub mod severity;
pub mod status_update;
pub mod take_command;

use crate::domain::Severity;
use chrono::{DateTime, NaiveDate, Utc};

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

/// Ctrl+S on a form: its typed write, or why not (shown in the form). `seen` is what the
/// form was pinned to when it opened.
pub fn submit(f: &Form, seen: Option<&Seen>, now: DateTime<Utc>) -> Result<Submitted, String> {
    if let Some(m) = f.missing() {
        return Err(format!("{} is required", m.label));
    }
    let incident = || match seen {
        Some(Seen::Incident(i)) => Ok(i),
        _ => Err("the incident is no longer on the board".to_string()),
    };
    let submitted = match f.kind {
        FormKind::NewIncident => new_incident::submit(f),
        FormKind::Severity => severity::submit(f, incident()?),
        FormKind::NextPhase | FormKind::PrevPhase => phase::submit(f, incident()?),
        FormKind::Roles => roles::submit(f, incident()?),
        FormKind::StatusUpdate => status_update::submit(f, incident()?),
        FormKind::CorrectiveAction => add_action::submit(f, incident()?),
        FormKind::Exception => exception::submit(f, incident()?, now),
        FormKind::EditAction => match seen {
            Some(Seen::Action(a)) => edit_action::submit(f, a),
            _ => Err("the action is no longer listed".into()),
        },
    }?;
    // The domain's own checks, the ones the server makes, before anything leaves.
    let (Submitted::Send(p) | Submitted::Ask { write: p, .. }) = &submitted;
    p.command.validate().map_err(|e| e.message)?;
    Ok(submitted)
}

fn sev_names() -> Vec<&'static str> {
    Severity::ALL.iter().map(|s| s.as_str()).collect()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}
