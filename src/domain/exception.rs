use super::dates::check_time;
use super::{DomainError, limits, required_text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A recorded exception to policy: explicit risk acceptance with a time-bound remediation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RiskException {
    /// e.g. `EXC-2`
    pub id: String,
    pub incident_id: String,
    pub description: String,
    pub risk_accepted_by: String,
    pub remediation_due: DateTime<Utc>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

/// Body of `POST /incidents/{id}/exceptions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewException {
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub description: String,
    /// Who explicitly accepted the risk.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub risk_accepted_by: String,
    /// RFC 3339; must be in the future.
    pub remediation_due: DateTime<Utc>,
}

impl RiskException {
    pub fn create(
        req: &NewException,
        incident_id: &str,
        recorded_by: &str,
        now: DateTime<Utc>,
    ) -> Result<RiskException, DomainError> {
        let e = RiskException {
            id: String::new(),
            incident_id: incident_id.to_string(),
            description: required_text("description", &req.description, limits::SHORT_TEXT)?,
            risk_accepted_by: required_text(
                "risk_accepted_by",
                &req.risk_accepted_by,
                limits::NAME,
            )?,
            remediation_due: check_time("remediation_due", req.remediation_due)?,
            recorded_by: recorded_by.to_string(),
            created_at: now,
        };
        if e.remediation_due <= now {
            return Err(DomainError::invalid(
                "remediation_due",
                "remediation_due must be in the future",
            ));
        }
        Ok(e)
    }

    /// Whether this exception still covers open work.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.remediation_due > now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remediation_must_be_in_the_future() {
        let now = Utc::now();
        let req = NewException {
            description: "ship without the failover test".into(),
            risk_accepted_by: "CTO".into(),
            remediation_due: now - chrono::Duration::hours(1),
        };
        let err = RiskException::create(&req, "INC-1", "ana", now).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("remediation_due"));
        let req = NewException {
            remediation_due: now + chrono::Duration::days(7),
            ..req
        };
        assert!(
            RiskException::create(&req, "INC-1", "ana", now)
                .unwrap()
                .is_live(now)
        );
    }
}
