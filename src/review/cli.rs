//! `sitrep evidence`: fetches the incidents declared in a period with their timelines,
//! updates, actions and exceptions (through the API, paged and sanitized like every other
//! script), and writes the evidence.
use super::evidence::{self, Evidence};
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
        (self.from > self.to).then(|| format!("--from {} is after --to {}", self.from, self.to))
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
    };
    Ok(match args.format {
        EvidenceFormat::Markdown => evidence::markdown(&e),
        EvidenceFormat::Json => evidence::json(&e)?,
        EvidenceFormat::Csv => evidence::csv(&e)?,
    })
}
