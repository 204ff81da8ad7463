use super::dates::check_date;
use super::{ActionStatus, Change, DomainError, Priority, limits, required_text};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A corrective action that follows an incident, tracked until done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CorrectiveAction {
    /// e.g. `ACT-12`
    pub id: String,
    pub incident_id: String,
    pub title: String,
    pub owner: String,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    pub priority: Priority,
    /// Open or in progress and past its due date.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// Body of `POST /incidents/{id}/actions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub owner: String,
    /// `YYYY-MM-DD`
    pub due_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
}

/// Body of `PATCH /actions/{id}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ActionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
}

impl ActionPatch {
    /// Checks the fields on their own, before any state is looked at.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.title.is_none()
            && self.owner.is_none()
            && self.due_date.is_none()
            && self.status.is_none()
            && self.priority.is_none()
        {
            return Err(DomainError::invalid("body", "the patch changes nothing"));
        }
        if let Some(t) = &self.title {
            required_text("title", t, limits::TITLE)?;
        }
        if let Some(o) = &self.owner {
            required_text("owner", o, limits::NAME)?;
        }
        if let Some(d) = self.due_date {
            check_date("due_date", d)?;
        }
        Ok(())
    }
}

impl CorrectiveAction {
    pub fn create(
        req: &NewAction,
        incident_id: &str,
        now: DateTime<Utc>,
    ) -> Result<CorrectiveAction, DomainError> {
        let mut a = CorrectiveAction {
            id: String::new(),
            incident_id: incident_id.to_string(),
            title: required_text("title", &req.title, limits::TITLE)?,
            owner: required_text("owner", &req.owner, limits::NAME)?,
            due_date: check_date("due_date", req.due_date)?,
            status: ActionStatus::Open,
            priority: req.priority.unwrap_or(Priority::Medium),
            overdue: false,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        a.refresh(now);
        Ok(a)
    }

    /// An action is overdue from the day after its due date (UTC).
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        self.overdue = self.status.is_open() && self.due_date < now.date_naive();
    }

    pub fn apply(
        &self,
        patch: &ActionPatch,
        now: DateTime<Utc>,
    ) -> Result<(CorrectiveAction, Vec<Change>), DomainError> {
        patch.validate()?;
        let mut next = self.clone();
        let mut changes = Vec::new();
        let mut record = |field: &str, old: String, new: String| {
            if old != new {
                let mut c = Change::field("action_updated", field, &old, &new, None);
                c.note = Some(format!("{}: {}", self.id, self.title));
                changes.push(c);
            }
        };
        if let Some(title) = &patch.title {
            next.title = required_text("title", title, limits::TITLE)?;
            record("title", self.title.clone(), next.title.clone());
        }
        if let Some(owner) = &patch.owner {
            next.owner = required_text("owner", owner, limits::NAME)?;
            record("owner", self.owner.clone(), next.owner.clone());
        }
        if let Some(due) = patch.due_date {
            next.due_date = due;
            record("due_date", self.due_date.to_string(), due.to_string());
        }
        if let Some(status) = patch.status {
            next.status = status;
            record("status", self.status.to_string(), status.to_string());
        }
        if let Some(priority) = patch.priority {
            next.priority = priority;
            record("priority", self.priority.to_string(), priority.to_string());
        }
        if !changes.is_empty() {
            next.version += 1;
            next.updated_at = now;
        }
        next.refresh(now);
        Ok((next, changes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn overdue_after_due_date_until_done() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap();
        let req = NewAction {
            title: "Add disk alert".into(),
            owner: "ops".into(),
            due_date: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            priority: None,
        };
        let a = CorrectiveAction::create(&req, "INC-1", now).unwrap();
        assert!(a.overdue);
        let patch = ActionPatch {
            status: Some(ActionStatus::Done),
            ..Default::default()
        };
        let (done, changes) = a.apply(&patch, now).unwrap();
        assert!(!done.overdue);
        assert_eq!(done.version, 2);
        assert_eq!(changes[0].new.as_deref(), Some("done"));
    }

    #[test]
    fn due_dates_have_four_digit_years() {
        let now = Utc::now();
        for (y, ok) in [(1999, false), (2000, true), (9999, true), (10000, false)] {
            let req = NewAction {
                title: "x".into(),
                owner: "ops".into(),
                due_date: NaiveDate::from_ymd_opt(y, 1, 1).unwrap(),
                priority: None,
            };
            let got = CorrectiveAction::create(&req, "INC-1", now);
            assert_eq!(got.is_ok(), ok, "{y}");
            if let Err(e) = got {
                assert_eq!(e.field.as_deref(), Some("due_date"));
            }
            let patch = ActionPatch {
                due_date: Some(req.due_date),
                ..Default::default()
            };
            assert_eq!(patch.validate().is_ok(), ok, "{y}");
        }
    }

    #[test]
    fn owner_is_required() {
        let req = NewAction {
            title: "x".into(),
            owner: "".into(),
            due_date: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            priority: None,
        };
        let err = CorrectiveAction::create(&req, "INC-1", Utc::now()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("owner"));
    }
}
