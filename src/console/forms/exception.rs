//! `x`: record an exception: what is excepted, who accepted the risk, and by when it is
//! remediated (a date means the end of that day, UTC).
use super::{Command, Field, Form, FormKind, Prepared, Seen, Submitted, parse_date};
use crate::domain::{Incident, NewException};
use chrono::{DateTime, Utc};

pub fn open(inc: &Incident, now: DateTime<Utc>) -> Form {
    let due = (now.date_naive() + chrono::Days::new(14)).to_string();
    Form::new(
        FormKind::Exception,
        Some(inc),
        vec![
            Field::text("description", "What is excepted", "").required(),
            Field::text("risk_accepted_by", "Risk accepted by", "").required(),
            Field::text("remediation_due", "Remediation due", due)
                .required()
                .hint("YYYY-MM-DD"),
        ],
    )
}

/// A date means the end of that day (UTC); a full RFC 3339 time is taken as it is.
fn parse_due(s: &str) -> Option<DateTime<Utc>> {
    if let Some(d) = parse_date(s) {
        return d.and_hms_opt(23, 59, 59).map(|t| t.and_utc());
    }
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn submit(f: &Form, seen: &Incident, now: DateTime<Utc>) -> Result<Submitted, String> {
    let due = parse_due(f.get("remediation_due")).ok_or("remediation due: YYYY-MM-DD")?;
    if due <= now {
        return Err("remediation due must be in the future".into());
    }
    Ok(Submitted::Send(Prepared {
        command: Command::AddException {
            id: seen.id.clone(),
            exception: NewException {
                description: f.get("description").to_string(),
                risk_accepted_by: f.get("risk_accepted_by").to_string(),
                remediation_due: due,
            },
        },
        label: format!("exception on {}", seen.id),
        seen: Some(Seen::Incident(seen.clone())),
    }))
}
