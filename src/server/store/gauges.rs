//! What `/metrics` reports about the data itself, read at scrape time in four aggregate
//! queries over indexed columns (and, for the update clock, the JSON of active incidents
//! only): nothing here loads the history, so a scrape costs the same on a store of ten
//! years as on one of ten days.
use super::{Backend, Store, StoreError, now, ts};
use crate::domain::{Phase, Severity};
use chrono::{DateTime, Utc};

/// Counts that hold across the whole store (so every replica on one database reports the
/// same figures).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreGauges {
    /// Incidents not closed, per severity and phase.
    pub open: Vec<(Severity, Phase, i64)>,
    /// Customer-impacting incidents in an active phase whose next customer update is past
    /// due, per severity (the board's `update_overdue`).
    pub updates_overdue: Vec<(Severity, i64)>,
    /// Corrective actions open or in progress after their due date (UTC).
    pub actions_overdue: i64,
    /// Exceptions whose remediation date has passed while their incident still has open
    /// corrective actions, unless a later exception on the incident is still in date.
    pub exceptions_past_remediation: i64,
}

impl Store {
    /// The store-wide gauges as of now.
    pub async fn gauges(&self) -> Result<StoreGauges, StoreError> {
        self.gauges_at(now()).await
    }

    pub async fn gauges_at(&self, at: DateTime<Utc>) -> Result<StoreGauges, StoreError> {
        let open: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT severity, phase, COUNT(*) FROM incidents WHERE phase <> 'closed' GROUP BY severity, phase",
        )
        .fetch_all(&self.reader)
        .await?;
        let open = open
            .into_iter()
            .filter_map(|(s, p, n)| Some((s.parse().ok()?, p.parse().ok()?, n)))
            .collect();

        // The rule of `Incident::refresh`: customer-impacting, in a phase where the risk is
        // live, and the promised update's time has passed. Times in the JSON are RFC 3339
        // of varying precision, so they are compared as times, not as text.
        let active = Phase::ALL
            .iter()
            .filter(|p| p.is_active())
            .map(|p| format!("'{}'", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let overdue_clock = match self.backend {
            Backend::Sqlite => {
                "json_extract(data, '$.customer_impact') = 1 \
                 AND julianday(json_extract(data, '$.next_update_due_at')) < julianday($1)"
            }
            Backend::Postgres => {
                "(data::jsonb ->> 'customer_impact') = 'true' \
                 AND (data::jsonb ->> 'next_update_due_at')::timestamptz < CAST($1 AS timestamptz)"
            }
        };
        let sql = format!(
            "SELECT severity, COUNT(*) FROM incidents WHERE phase IN ({active}) AND {overdue_clock} GROUP BY severity"
        );
        let overdue: Vec<(String, i64)> = sqlx::query_as(&sql)
            .bind(ts(at))
            .fetch_all(&self.reader)
            .await?;
        let updates_overdue = overdue
            .into_iter()
            .filter_map(|(s, n)| Some((s.parse().ok()?, n)))
            .collect();

        // `CorrectiveAction::refresh`: overdue from the day after the due date.
        let actions_overdue: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM actions WHERE status IN ('open', 'in_progress') AND due_date < $1",
        )
        .bind(at.date_naive().to_string())
        .fetch_one(&self.reader)
        .await?;

        let exceptions_past_remediation: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM exceptions e WHERE e.remediation_due < $1 \
             AND EXISTS (SELECT 1 FROM actions a WHERE a.incident_id = e.incident_id AND a.status IN ('open', 'in_progress')) \
             AND NOT EXISTS (SELECT 1 FROM exceptions l WHERE l.incident_id = e.incident_id AND l.remediation_due >= $1)",
        )
        .bind(ts(at))
        .fetch_one(&self.reader)
        .await?;

        Ok(StoreGauges {
            open,
            updates_overdue,
            actions_overdue,
            exceptions_past_remediation,
        })
    }
}
