//! What the corrective-action forms share (adding one with `c`, editing one with `enter`):
//! the fields an action is described by, and its due date read back.
use super::form::{Field, Form, date_field, parse_date};
use chrono::NaiveDate;

/// Title, owner and due date, each required.
pub(super) fn fields(title: &str, owner: &str, due: &str) -> Vec<Field> {
    vec![
        Field::text("title", "Title", title).required(),
        Field::text("owner", "Owner", owner).required(),
        date_field("due_date", "Due date", due),
    ]
}

/// The due date as typed, or what it must look like.
pub(super) fn due_date(f: &Form) -> Result<NaiveDate, String> {
    parse_date(f.get("due_date")).ok_or_else(|| "due date: YYYY-MM-DD".into())
}
