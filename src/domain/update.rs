use super::{Audience, DomainError, Incident, limits, optional_text, required_text};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A status update, internal or to customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusUpdate {
    /// e.g. `UPD-7`
    pub id: String,
    pub incident_id: String,
    pub audience: Audience,
    pub impact_scope: String,
    pub current_status: String,
    pub next_steps: String,
    pub author: String,
    pub posted_at: DateTime<Utc>,
    /// For a customer update: when the next one is due (none for a cadence-free severity).
    pub next_update_due_at: Option<DateTime<Utc>>,
}

/// Body of `POST /incidents/{id}/updates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStatusUpdate {
    pub audience: Audience,
    /// Required (non-blank) for customer updates.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub impact_scope: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    pub current_status: String,
    /// Required (non-blank) for customer updates.
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub next_steps: String,
    /// Overrides the severity's cadence for the next customer update (1-1440).
    #[serde(
        default,
        deserialize_with = "super::whole_minutes",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(minimum = 1, maximum = 1440)]
    pub next_update_in_minutes: Option<u32>,
}

impl NewStatusUpdate {
    /// The most minutes a next update may be promised in (a day).
    pub const MAX_MINUTES: u32 = 1440;

    /// Checks the update on its own, before any incident is looked at: the three
    /// statements a customer update must make, lengths, and 1 to 1440 minutes. The console's
    /// form, the server and the PagerDuty gateway all call this.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.checked().map(|_| ())
    }

    /// The trimmed impact scope, current status and next steps, or the first refusal.
    fn checked(&self) -> Result<(String, String, String), DomainError> {
        let customer = self.audience == Audience::Customer;
        let text = |field: &str, v: &str| {
            if customer {
                required_text(field, v, limits::LONG_TEXT)
            } else {
                optional_text(field, v, limits::LONG_TEXT)
            }
        };
        let impact_scope = text("impact_scope", &self.impact_scope)?;
        let current_status =
            required_text("current_status", &self.current_status, limits::LONG_TEXT)?;
        let next_steps = text("next_steps", &self.next_steps)?;
        if let Some(m) = self.next_update_in_minutes
            && !(1..=Self::MAX_MINUTES).contains(&m)
        {
            return Err(DomainError::invalid(
                "next_update_in_minutes",
                format!(
                    "next_update_in_minutes must be between 1 and {}",
                    Self::MAX_MINUTES
                ),
            ));
        }
        Ok((impact_scope, current_status, next_steps))
    }

    /// Validates the update against the incident and returns the update (without an id) and
    /// the incident as it becomes. A customer update must state impact scope, current status
    /// and next steps; it restarts the cadence clock.
    pub fn accept(
        &self,
        inc: &Incident,
        author: &str,
        now: DateTime<Utc>,
        cadence: &super::Cadence,
    ) -> Result<(StatusUpdate, Option<Incident>), DomainError> {
        let customer = self.audience == Audience::Customer;
        let (impact_scope, current_status, next_steps) = self.checked()?;
        let mut update = StatusUpdate {
            id: String::new(),
            incident_id: inc.id.clone(),
            audience: self.audience,
            impact_scope,
            current_status,
            next_steps,
            author: author.to_string(),
            posted_at: now,
            next_update_due_at: None,
        };
        if !customer {
            return Ok((update, None));
        }
        let due = match self.next_update_in_minutes {
            Some(m) => Some(now + Duration::minutes(i64::from(m))),
            None => cadence.interval(inc.severity).map(|d| now + d),
        };
        update.next_update_due_at = due;
        let mut next = inc.clone();
        next.last_customer_update_at = Some(now);
        next.next_update_due_at = due;
        if !update.impact_scope.is_empty() {
            next.impact_scope = update.impact_scope.clone();
        }
        next.updated_at = now;
        next.version += 1;
        next.refresh(now);
        Ok((update, Some(next)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Cadence, NewIncident, Severity};

    fn inc() -> Incident {
        let req = NewIncident {
            customer_impact: Some(true),
            ..NewIncident::new("API latency", Severity::Sev1)
        };
        Incident::create(&req, "INC-3".into(), Utc::now(), &Cadence::default()).unwrap()
    }

    fn upd(audience: Audience) -> NewStatusUpdate {
        NewStatusUpdate {
            audience,
            impact_scope: "EU customers".into(),
            current_status: "mitigating".into(),
            next_steps: "failover".into(),
            next_update_in_minutes: None,
        }
    }

    #[test]
    fn customer_update_needs_all_three_statements() {
        let mut u = upd(Audience::Customer);
        u.next_steps = " ".into();
        let err = u
            .accept(&inc(), "ana", Utc::now(), &Cadence::default())
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("next_steps"));
    }

    #[test]
    fn customer_update_restarts_the_clock_from_the_cadence() {
        let now = Utc::now();
        let (u, next) = upd(Audience::Customer)
            .accept(&inc(), "ana", now, &Cadence::default())
            .unwrap();
        let next = next.unwrap();
        assert_eq!(next.next_update_due_at, Some(now + Duration::minutes(30)));
        assert_eq!(next.last_customer_update_at, Some(now));
        assert_eq!(u.next_update_due_at, next.next_update_due_at);
        assert_eq!(next.impact_scope, "EU customers");
    }

    #[test]
    fn explicit_interval_wins_and_is_bounded() {
        let now = Utc::now();
        let mut u = upd(Audience::Customer);
        u.next_update_in_minutes = Some(10);
        let (_, next) = u.accept(&inc(), "ana", now, &Cadence::default()).unwrap();
        assert_eq!(
            next.unwrap().next_update_due_at,
            Some(now + Duration::minutes(10))
        );
        u.next_update_in_minutes = Some(0);
        assert!(u.accept(&inc(), "ana", now, &Cadence::default()).is_err());
    }

    #[test]
    fn internal_update_leaves_the_incident_alone() {
        let mut u = upd(Audience::Internal);
        u.next_steps.clear();
        let (_, next) = u
            .accept(&inc(), "ana", Utc::now(), &Cadence::default())
            .unwrap();
        assert!(next.is_none());
    }
}
