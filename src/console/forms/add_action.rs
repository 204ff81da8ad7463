//! `c`: add a corrective action (owner defaults to you, due in a week).
use super::{Command, Field, Form, FormKind, Prepared, Seen, Submitted, parse_date};
use crate::domain::{Incident, NewAction};
use chrono::{DateTime, Utc};

pub fn open(inc: &Incident, me: Option<&str>, now: DateTime<Utc>) -> Form {
    let due = (now.date_naive() + chrono::Days::new(7)).to_string();
    Form::new(
        FormKind::CorrectiveAction,
        Some(inc),
        vec![
            Field::text("title", "Title", "").required(),
            Field::text("owner", "Owner", me.unwrap_or_default()).required(),
            Field::text("due_date", "Due date", due)
                .required()
                .hint("YYYY-MM-DD"),
        ],
    )
}

pub fn submit(f: &Form, seen: &Incident) -> Result<Submitted, String> {
    let due_date = parse_date(f.get("due_date")).ok_or("due date: YYYY-MM-DD")?;
    Ok(Submitted::Send(Prepared {
        command: Command::AddAction {
            id: seen.id.clone(),
            action: NewAction {
                title: f.get("title").to_string(),
                owner: f.get("owner").to_string(),
                due_date,
                priority: None,
            },
        },
        label: format!("action on {}", seen.id),
        seen: Some(Seen::Incident(seen.clone())),
    }))
}
