//! `sitrep evidence`: fetches the incidents declared in a period with their timelines,
//! updates, actions and exceptions (through the API, paged and sanitized like every other
//! script), and writes the evidence.
use super::evidence::{self, AdminRecord, Administration, Evidence};
use super::figures::{self, Period, Record};
use super::targets::Targets;
use crate::client::ApiClient;
use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum EvidenceFormat {
    #[default]
    Markdown,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// First day of the period (UTC), e.g. 2026-07-01.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day of the period (UTC, included), e.g. 2026-09-30.
    #[arg(long)]
    pub to: NaiveDate,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: EvidenceFormat,
}

impl EvidenceArgs {
    pub fn usage_error(&self) -> Option<String> {
        let days = (self.to - self.from).num_days() + 1;
        if self.from > self.to {
            Some(format!("--from {} is after --to {}", self.from, self.to))
        } else if days > i64::from(super::MAX_PERIOD_DAYS) {
            Some(format!(
                "--from {} --to {} is {days} days; a period is at most {} days (export longer \
                 spans in parts)",
                self.from,
                self.to,
                super::MAX_PERIOD_DAYS
            ))
        } else {
            None
        }
    }
}

/// Everything recorded about the incidents declared in `period`.
pub async fn records(client: &ApiClient, period: Period) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    for incident in client.list_incidents().await? {
        if !period.contains(incident.created_at) {
            continue;
        }
        let id = incident.id.clone();
        out.push(Record {
            timeline: client.timeline(&id).await?,
            updates: client.updates(&id).await?,
            actions: none_if_unsupported(client.incident_actions(&id).await)?,
            exceptions: none_if_unsupported(client.exceptions(&id).await)?,
            incident,
        });
    }
    Ok(out)
}

/// A backend without corrective actions or exceptions (PagerDuty) has none to count.
fn none_if_unsupported<T>(r: Result<Vec<T>>) -> Result<Vec<T>> {
    match r {
        Err(e) if crate::client::ApiError::unsupported(&e).is_some() => Ok(Vec::new()),
        other => other,
    }
}

/// The trail's records made in `period`. A token that may not read the trail (it is a
/// commander's), or a backend without one, leaves a note in the export instead; any other
/// failure fails the export, as a failing incident read does.
pub async fn administration(client: &ApiClient, period: Period) -> Result<Administration> {
    match client.audit_trail::<AdminRecord>().await {
        Ok(all) => Ok(Administration::Included {
            records: all.into_iter().filter(|r| period.contains(r.at)).collect(),
        }),
        Err(e) => {
            let refused = e
                .chain()
                .find_map(|c| c.downcast_ref::<crate::client::ApiError>())
                .filter(|a| a.status == 403 || a.code == "unsupported");
            match refused {
                Some(a) if a.status == 403 => Ok(Administration::Unavailable {
                    reason: "the audit trail of administration needs a commander's token; this export was made with a token that may not read it".into(),
                }),
                Some(a) => Ok(Administration::Unavailable {
                    reason: format!("this server keeps no audit trail: {}", a.message),
                }),
                None => Err(e),
            }
        }
    }
}

pub async fn run(client: &ApiClient, args: EvidenceArgs) -> Result<String> {
    let period = Period {
        from: args.from,
        to: args.to,
    };
    let records = records(client, period).await?;
    // Overdue and pending are judged on the server's clock, like its timestamps.
    let now = client.clock().now();
    let e = Evidence {
        figures: figures::period(&records, period, &Targets::default(), now),
        administration: administration(client, period).await?,
    };
    Ok(match args.format {
        EvidenceFormat::Markdown => evidence::markdown(&e),
        EvidenceFormat::Json => evidence::json(&e)?,
        EvidenceFormat::Csv => evidence::csv(&e)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(from: &str, to: &str) -> EvidenceArgs {
        EvidenceArgs {
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            format: EvidenceFormat::Markdown,
        }
    }

    #[test]
    fn a_period_is_forward_and_at_most_five_years() {
        assert_eq!(args("2026-01-01", "2026-03-31").usage_error(), None);
        assert_eq!(args("2021-01-02", "2026-01-05").usage_error(), None);
        let backwards = args("2026-02-01", "2026-01-01").usage_error().unwrap();
        assert!(backwards.contains("after"), "{backwards}");
        let huge = args("0001-01-01", "9999-12-31").usage_error().unwrap();
        assert!(huge.contains("at most 1830 days"), "{huge}");
    }
}
