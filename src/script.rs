//! One-shot commands for shell scripts and runbooks: the same config and token rules as the
//! console. Exit codes: 0 success, 1 the server refused or could not be reached (message on
//! stderr), 2 bad usage.
use crate::client::ApiClient;
use crate::domain::{Audience, CorrectiveAction, Incident, Phase, Severity};
use crate::report;
use crate::sanitize::clean_line;
use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum IncidentsCmd {
    /// Open incidents (not closed), newest first.
    List {
        /// Only these phases, comma-separated (e.g. detection,triage; `closed` to see closed).
        #[arg(long)]
        phase: Option<String>,
        /// Only these severities, comma-separated (e.g. SEV1,SEV2).
        #[arg(long)]
        severity: Option<String>,
        /// One JSON array on stdout instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum IncidentCmd {
    /// One incident with its latest status update and open actions.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UpdateCmd {
    /// Post a status update. Customer updates need --impact, --status and --next.
    Post {
        id: String,
        #[arg(long, value_enum)]
        audience: AudienceArg,
        /// Impact scope: who and what is affected.
        #[arg(long)]
        impact: Option<String>,
        /// Current status.
        #[arg(long)]
        status: String,
        /// Next steps.
        #[arg(long)]
        next: Option<String>,
        /// Minutes until the next customer update is due (default: the severity's cadence).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1440))]
        next_update_in: Option<u32>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AudienceArg {
    Internal,
    Customer,
}

#[derive(Debug, Subcommand)]
pub enum ActionsCmd {
    /// Open and in-progress corrective actions across incidents, overdue first.
    List {
        #[arg(long)]
        overdue: bool,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Markdown,
    Json,
}

/// What a script should do: run against the server, or stop with a usage error.
pub enum Script {
    Incidents(IncidentsCmd),
    Incident(IncidentCmd),
    Update(UpdateCmd),
    Actions(ActionsCmd),
    Report { id: String, format: ReportFormat },
    Evidence(crate::review::cli::EvidenceArgs),
    Webhook(crate::webhooks::cli::WebhookCmd),
}

fn parse_list<T: std::str::FromStr<Err = String>>(
    flag: &str,
    raw: &Option<String>,
) -> Result<Vec<T>, String> {
    raw.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .map(|s| s.parse::<T>().map_err(|e| format!("--{flag}: {e}")))
        .collect()
}

/// A usage mistake found before any connection is made (exit code 2).
pub fn usage_error(script: &Script) -> Option<String> {
    if let Script::Evidence(args) = script {
        return args.usage_error();
    }
    if let Script::Incidents(IncidentsCmd::List {
        phase, severity, ..
    }) = script
    {
        return parse_list::<Phase>("phase", phase)
            .err()
            .or(parse_list::<Severity>("severity", severity).err());
    }
    None
}

/// Prints what a command produced, or why it failed, and gives its exit code.
pub fn report_outcome(result: Result<String>) -> ExitCode {
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sitrep: {}", clean_line(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}

/// Runs one command against the API.
pub async fn execute(client: &ApiClient, script: Script) -> Result<String> {
    match script {
        Script::Incidents(IncidentsCmd::List {
            phase,
            severity,
            json,
        }) => {
            let phases: Vec<Phase> = parse_list("phase", &phase).map_err(anyhow::Error::msg)?;
            let sevs: Vec<Severity> =
                parse_list("severity", &severity).map_err(anyhow::Error::msg)?;
            // The server filters and this follows its pages, so a list costs what it shows
            // whatever the history holds; the filters are applied here again in case a server
            // ignores one.
            let mut filters: Vec<(&str, String)> = Vec::new();
            if phases.is_empty() {
                filters.push(("open", "true".into()));
            } else {
                let names: Vec<&str> = phases.iter().map(|p| p.as_str()).collect();
                filters.push(("phase", names.join(",")));
            }
            if !sevs.is_empty() {
                let names: Vec<&str> = sevs.iter().map(|s| s.as_str()).collect();
                filters.push(("severity", names.join(",")));
            }
            let items: Vec<Incident> = client
                .incidents_where(&filters)
                .await?
                .into_iter()
                .filter(|i| {
                    if phases.is_empty() {
                        i.phase != Phase::Closed
                    } else {
                        phases.contains(&i.phase)
                    }
                })
                .filter(|i| sevs.is_empty() || sevs.contains(&i.severity))
                .collect();
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&items)?));
            }
            Ok(incident_table(&items, client.clock().now()))
        }
        Script::Incident(IncidentCmd::Show { id, json }) => {
            let inc = client.incident(&id).await?;
            let updates = client.updates(&id).await?;
            let actions = client.incident_actions(&id).await?;
            if json {
                let v =
                    serde_json::json!({"incident": inc, "updates": updates, "actions": actions});
                return Ok(format!("{}\n", serde_json::to_string_pretty(&v)?));
            }
            let mut out = format!(
                "{} {} [{}] {}\ncommander: {}\ncustomer impact: {}{}\nrecovery: {} ({})\n",
                inc.id,
                inc.severity,
                inc.phase.title(),
                inc.title,
                inc.commander.as_deref().unwrap_or("unassigned"),
                if inc.customer_impact { "yes" } else { "no" },
                if inc.update_overdue {
                    " — customer update OVERDUE"
                } else {
                    ""
                },
                inc.recovery_owner,
                inc.deployment,
            );
            if let Some(u) = updates.last() {
                out.push_str(&format!(
                    "last update ({}, {}): {}\n",
                    u.audience,
                    u.posted_at.format("%H:%M UTC"),
                    u.current_status
                ));
            }
            let open: Vec<&CorrectiveAction> =
                actions.iter().filter(|a| a.status.is_open()).collect();
            out.push_str(&format!("open actions: {}\n", open.len()));
            for a in open {
                out.push_str(&format!(
                    "  {} {} (owner {}, due {}{})\n",
                    a.id,
                    a.title,
                    a.owner,
                    a.due_date,
                    if a.overdue { ", OVERDUE" } else { "" }
                ));
            }
            Ok(out)
        }
        Script::Update(UpdateCmd::Post {
            id,
            audience,
            impact,
            status,
            next,
            next_update_in,
        }) => {
            let audience = match audience {
                AudienceArg::Internal => Audience::Internal,
                AudienceArg::Customer => Audience::Customer,
            };
            let mut body = serde_json::json!({
                "audience": audience,
                "impact_scope": impact.unwrap_or_default(),
                "current_status": status,
                "next_steps": next.unwrap_or_default(),
            });
            if let Some(m) = next_update_in {
                body["next_update_in_minutes"] = m.into();
            }
            let posted: serde_json::Value = client
                .post(&format!("/incidents/{}/updates", id), &body)
                .await?;
            Ok(format!(
                "{}\n",
                clean_line(posted["id"].as_str().unwrap_or("posted"))
            ))
        }
        Script::Actions(ActionsCmd::List {
            overdue,
            owner,
            json,
        }) => {
            let items: Vec<CorrectiveAction> = client
                .open_actions()
                .await?
                .into_iter()
                .filter(|a| !overdue || a.overdue)
                .filter(|a| {
                    owner
                        .as_ref()
                        .is_none_or(|o| a.owner.eq_ignore_ascii_case(o))
                })
                .collect();
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&items)?));
            }
            Ok(actions_table(&items))
        }
        Script::Evidence(args) => crate::review::cli::run(client, args).await,
        Script::Webhook(cmd) => crate::webhooks::cli::execute(client, cmd).await,
        Script::Report { id, format } => {
            let inc = client.incident(&id).await?;
            let r = report::build(
                inc,
                client.timeline(&id).await?,
                client.updates(&id).await?,
                client.incident_actions(&id).await?,
                client.exceptions(&id).await?,
                // Ages in the report are on the server's clock, like its timestamps.
                client.clock().now(),
            );
            Ok(match format {
                ReportFormat::Markdown => report::markdown(&r),
                ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&r)?),
            })
        }
    }
}

fn actions_table(items: &[CorrectiveAction]) -> String {
    use crate::sanitize::columns::pad;
    // Padded by terminal columns, like the incident table; an owner is never cut, since it
    // is what `--owner` is given back.
    let row = |id: &str, inc: &str, owner: &str, due: &str, status: &str, title: &str| {
        format!(
            "{} {} {} {} {} {title}\n",
            pad(id, 8),
            pad(inc, 8),
            pad(owner, 16),
            pad(due, 11),
            pad(status, 12)
        )
    };
    let mut out = row("ID", "INCIDENT", "OWNER", "DUE", "STATUS", "TITLE");
    for a in items {
        let status = if a.overdue {
            "OVERDUE".to_string()
        } else {
            a.status.to_string()
        };
        out.push_str(&row(
            &a.id,
            &a.incident_id,
            &a.owner,
            &a.due_date.to_string(),
            &status,
            &a.title,
        ));
    }
    out
}

fn incident_table(items: &[Incident], now: DateTime<Utc>) -> String {
    use crate::sanitize::columns::fit;
    // Padded by terminal columns, not characters, so names in wide scripts keep the
    // columns aligned; a commander's name longer than its column is cut with `…`.
    let row = |id: &str, sev: &str, phase: &str, commander: &str, age: &str, title: &str| {
        format!(
            "{} {} {} {} {:>6} {}\n",
            fit(id, 8),
            fit(sev, 5),
            fit(phase, 15),
            fit(commander, 18),
            age,
            title
        )
    };
    let mut out = row("ID", "SEV", "PHASE", "COMMANDER", "AGE", "TITLE");
    for i in items {
        let age = now - i.created_at;
        let age = if age.num_hours() >= 24 {
            format!("{}d", age.num_days())
        } else if age.num_minutes() >= 60 {
            format!("{}h", age.num_hours())
        } else {
            format!("{}m", age.num_minutes())
        };
        let mut title = i.title.clone();
        if i.update_overdue {
            title.push_str("  [customer update OVERDUE]");
        }
        out.push_str(&row(
            &i.id,
            &i.severity.to_string(),
            &i.phase.to_string(),
            i.commander.as_deref().unwrap_or("unassigned"),
            &age,
            &title,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Cadence, NewIncident};
    use crate::sanitize::columns::width;

    fn incident(id: &str, commander: &str, title: &str) -> Incident {
        let req = NewIncident {
            commander: Some(commander.into()),
            ..NewIncident::new(title, Severity::Sev2)
        };
        Incident::create(&req, id.into(), Utc::now(), &Cadence::default()).unwrap()
    }

    /// Rows line up in terminal columns whatever script a commander's name is written in;
    /// padding by `char` count put the titles of wide names two columns further right.
    #[test]
    fn the_incident_table_aligns_wide_names_by_columns() {
        let items = [
            incident("INC-1", "李小龙", "Checkout errors"),
            incident("INC-2", "ana", "Search slow"),
            incident("INC-3", "Maximiliana Oberhauser-Lindqvist", "Long name"),
        ];
        let table = incident_table(&items, Utc::now());
        let title_col = |line: &str, title: &str| width(&line[..line.find(title).unwrap()]);
        let lines: Vec<&str> = table.lines().collect();
        let at = title_col(lines[0], "TITLE");
        assert_eq!(title_col(lines[1], "Checkout errors"), at, "{table}");
        assert_eq!(title_col(lines[2], "Search slow"), at, "{table}");
        assert_eq!(title_col(lines[3], "Long name"), at, "{table}");
        assert!(lines[3].contains("Maximiliana Oberh…"), "{table}");
    }

    /// The corrective-actions table lines up the same way, and a long owner is printed
    /// whole (it is what `--owner` takes back).
    #[test]
    fn the_actions_table_aligns_wide_owners_by_columns() {
        use crate::domain::{ActionStatus, Priority};
        let action = |id: &str, owner: &str, title: &str| CorrectiveAction {
            id: id.into(),
            incident_id: "INC-1".into(),
            title: title.into(),
            owner: owner.into(),
            due_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            status: ActionStatus::Open,
            priority: Priority::Medium,
            overdue: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        };
        let table = actions_table(&[
            action("ACT-1", "李小龙", "Add a canary"),
            action("ACT-2", "ana", "Page the DBA"),
        ]);
        let title_col = |line: &str, title: &str| width(&line[..line.find(title).unwrap()]);
        let lines: Vec<&str> = table.lines().collect();
        let at = title_col(lines[0], "TITLE");
        assert_eq!(title_col(lines[1], "Add a canary"), at, "{table}");
        assert_eq!(title_col(lines[2], "Page the DBA"), at, "{table}");
        let long = actions_table(&[action("ACT-3", "Maximiliana Oberhauser-Lindqvist", "x")]);
        assert!(long.contains("Maximiliana Oberhauser-Lindqvist "), "{long}");
    }
}
