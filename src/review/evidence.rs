//! The evidence an auditor asks for about one period, in three formats drawn from one
//! [`PeriodFigures`]: markdown for people, JSON and CSV for machines. Every number in them
//! is a field of the figures, so the three agree by construction.
use super::figures::{ActionTiming, IncidentFigures, Mean, PeriodFigures};
use crate::domain::Phase;
use crate::report::{cell, span};
use serde::Serialize;
use std::fmt::Write;

/// What `sitrep evidence` writes.
#[derive(Debug, Serialize)]
pub struct Evidence {
    #[serde(flatten)]
    pub figures: PeriodFigures,
    /// The administration audit trail's records of the period (token, role, webhook and
    /// configuration changes), or why the export could not include them.
    pub administration: Administration,
}

/// The administration records of the period, as far as the token may read them.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Administration {
    Included {
        records: Vec<AdminRecord>,
    },
    /// The trail could not be read with this token (it needs a commander's), or the
    /// backend has none: said in the export rather than failing the rest of it.
    Unavailable {
        reason: String,
    },
}

/// One entry of the trail, as `GET /api/v1/audit` gives it (sanitized on receipt).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AdminRecord {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

impl crate::sanitize::Sanitize for AdminRecord {
    fn sanitize(&mut self) {
        for s in [
            &mut self.actor,
            &mut self.action,
            &mut self.target,
            &mut self.detail,
        ] {
            *s = crate::sanitize::clean_line(s);
        }
    }
}

const PHASES: [Phase; 5] = [
    Phase::Detection,
    Phase::Triage,
    Phase::Containment,
    Phase::Communication,
    Phase::FollowThrough,
];

fn cadence(f: &IncidentFigures) -> String {
    match f.cadence_ok() {
        None => "—".into(),
        Some(ok) => format!(
            "{} ({} kept, {} missed)",
            if ok { "kept" } else { "missed" },
            f.cadence_kept,
            f.cadence_missed
        ),
    }
}

fn mean_cell(m: &Mean) -> String {
    match m.mean_secs {
        None => "—".into(),
        Some(s) => format!(
            "{} (n={}, {} within {})",
            span(Some(s)),
            m.count,
            m.within_target,
            m.target_secs.map_or("no target".into(), |t| span(Some(t)))
        ),
    }
}

pub fn markdown(e: &Evidence) -> String {
    let f = &e.figures;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Incident evidence {} to {}\n\nGenerated {} from the incident timelines. Times are from declaration unless stated.\n",
        f.period.from,
        f.period.to,
        f.generated_at.format("%Y-%m-%d %H:%M UTC")
    );

    let _ = writeln!(out, "## Incidents\n");
    if f.incidents.is_empty() {
        let _ = writeln!(out, "None declared in the period.");
    } else {
        let _ = writeln!(
            out,
            "| id | severity | customer impact | deployment (recovery) | detection | triage | containment | communication | follow-through | to acknowledge | to recovery | first customer update | cadence |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        );
        for i in &f.incidents {
            let phases: Vec<String> = PHASES.iter().map(|p| span(i.phase_times.get(*p))).collect();
            let first = match i.to_first_update_secs {
                Some(s) => format!(
                    "{} ({})",
                    span(Some(s)),
                    if i.first_update_on_time == Some(true) {
                        "on time"
                    } else {
                        "late"
                    }
                ),
                None if i.first_update_on_time == Some(false) => "none (late)".into(),
                None => "—".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} ({}) | {} | {} | {} | {} | {} |",
                cell(&i.id),
                i.severity,
                if i.customer_impact { "yes" } else { "no" },
                i.deployment,
                i.recovery_owner,
                phases.join(" | "),
                span(i.to_acknowledge_secs),
                span(i.to_recovery_secs),
                first,
                cadence(i),
            );
        }
    }

    let _ = writeln!(out, "\n## Corrective actions\n");
    let actions: Vec<_> = f
        .incidents
        .iter()
        .flat_map(|i| i.actions.iter().map(move |a| (i, a)))
        .collect();
    if actions.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(
            out,
            "| incident | id | action | owner | due | finished | status |\n|---|---|---|---|---|---|---|"
        );
        for (i, a) in actions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&i.id),
                cell(&a.id),
                cell(&a.title),
                cell(&a.owner),
                a.due_date,
                a.finished_at
                    .map_or("—".into(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
                a.timing.as_str().replace('_', " ")
            );
        }
    }

    let _ = writeln!(out, "\n## Exceptions\n");
    let exceptions: Vec<_> = f
        .incidents
        .iter()
        .flat_map(|i| i.exceptions.iter().map(move |x| (i, x)))
        .collect();
    if exceptions.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(
            out,
            "| incident | id | exception | risk accepted by | remediation due | remediation |\n|---|---|---|---|---|---|"
        );
        for (i, x) in exceptions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&i.id),
                cell(&x.id),
                cell(&x.description),
                cell(&x.risk_accepted_by),
                x.remediation_due.format("%Y-%m-%d %H:%M UTC"),
                x.remediation.as_str()
            );
        }
    }

    let _ = writeln!(out, "\n## Per severity against targets\n");
    let _ = writeln!(
        out,
        "| severity | incidents | MTTA | MTTR | first customer update |\n|---|---|---|---|---|"
    );
    for s in &f.by_severity {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            s.severity,
            s.incidents,
            mean_cell(&s.acknowledge),
            mean_cell(&s.recovery),
            mean_cell(&s.first_update)
        );
    }

    let t = &f.totals;
    let _ = writeln!(
        out,
        "\n## Totals\n\n| figure | value | target |\n|---|---|---|"
    );
    let rows = [
        ("incidents", t.incidents.to_string(), "—"),
        ("customer-impacting", t.customer_impacting.to_string(), "—"),
        (
            "first customer update on time",
            format!(
                "{} of {}",
                t.first_update_on_time,
                t.first_update_on_time + t.first_update_late
            ),
            "all",
        ),
        (
            "customer-update deadlines kept",
            format!(
                "{} of {}",
                t.cadence_kept,
                t.cadence_kept + t.cadence_missed
            ),
            "all",
        ),
        (
            "incidents with every update on cadence",
            format!(
                "{} of {}",
                t.incidents_cadence_kept,
                t.incidents_cadence_kept + t.incidents_cadence_missed
            ),
            "all",
        ),
        (
            "corrective actions closed on time",
            format!(
                "{} of {}",
                t.actions_on_time,
                t.actions_on_time + t.actions_late
            ),
            "all",
        ),
        (
            "corrective actions overdue",
            t.actions_overdue.to_string(),
            "0",
        ),
        (
            "corrective actions open, not yet due",
            t.actions_open.to_string(),
            "—",
        ),
        (
            "corrective actions cancelled",
            t.actions_cancelled.to_string(),
            "—",
        ),
        (
            "exceptions remediated by their date",
            format!(
                "{} of {}",
                t.exceptions_met,
                t.exceptions_met + t.exceptions_missed
            ),
            "all",
        ),
        ("exceptions pending", t.exceptions_pending.to_string(), "—"),
    ];
    for (k, v, target) in rows {
        let _ = writeln!(out, "| {k} | {v} | {target} |");
    }
    let _ = writeln!(out, "\n## Administration\n");
    match &e.administration {
        Administration::Unavailable { reason } => {
            let _ = writeln!(out, "Not included: {}", cell(reason));
        }
        Administration::Included { records } if records.is_empty() => {
            let _ = writeln!(
                out,
                "No token, role, webhook or configuration change in the period."
            );
        }
        Administration::Included { records } => {
            let _ = writeln!(out, "| when | actor | action | target | detail |");
            let _ = writeln!(out, "|---|---|---|---|---|");
            for r in records {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    r.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    cell(&r.actor),
                    cell(&r.action),
                    cell(&r.target),
                    cell(&r.detail)
                );
            }
        }
    }
    out
}

pub fn json(e: &Evidence) -> serde_json::Result<String> {
    serde_json::to_string_pretty(e).map(|s| s + "\n")
}

/// Writes a row with every text cell that a spreadsheet would run as a formula (`=`, `+`,
/// `-`, `@`, tab or carriage return first, and not a number) prefixed with `'`: the file is
/// meant to be opened by an auditor, and incident titles and owners are anyone's text.
fn write_row<const N: usize>(
    w: &mut csv::Writer<Vec<u8>>,
    cells: [&str; N],
) -> Result<(), csv::Error> {
    w.write_record(cells.map(|c| formula_safe(c).into_owned()))
}

fn formula_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err();
    if risky {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// One figure a row (`record,id,incident,figure,value`), so a spreadsheet can pivot it and
/// every value is the JSON one. Durations are whole seconds; absent values are empty.
pub fn csv(e: &Evidence) -> Result<String, csv::Error> {
    let f = &e.figures;
    let mut w = csv::Writer::from_writer(Vec::new());
    write_row(&mut w, ["record", "id", "incident", "figure", "value"])?;
    let opt = |v: Option<i64>| v.map_or(String::new(), |v| v.to_string());
    let flag = |b: Option<bool>| b.map_or(String::new(), |b| b.to_string());
    for i in &f.incidents {
        let mut row = |figure: &str, value: String| {
            write_row(&mut w, ["incident", &i.id, &i.id, figure, &value])
        };
        row("title", i.title.clone())?;
        row("severity", i.severity.to_string())?;
        row("declared_at", i.declared_at.to_rfc3339())?;
        row("customer_impact", i.customer_impact.to_string())?;
        row("deployment", i.deployment.to_string())?;
        row("recovery_owner", i.recovery_owner.to_string())?;
        for p in PHASES {
            row(&format!("{p}_secs"), opt(i.phase_times.get(p)))?;
        }
        row("to_acknowledge_secs", opt(i.to_acknowledge_secs))?;
        row("to_recovery_secs", opt(i.to_recovery_secs))?;
        row("to_first_update_secs", opt(i.to_first_update_secs))?;
        row("first_update_on_time", flag(i.first_update_on_time))?;
        row("cadence_kept", i.cadence_kept.to_string())?;
        row("cadence_missed", i.cadence_missed.to_string())?;
        row("cadence_ok", flag(i.cadence_ok()))?;
        for a in &i.actions {
            let mut row = |figure: &str, value: String| {
                write_row(&mut w, ["action", &a.id, &i.id, figure, &value])
            };
            row("title", a.title.clone())?;
            row("owner", a.owner.clone())?;
            row("due_date", a.due_date.to_string())?;
            row(
                "finished_at",
                a.finished_at.map_or(String::new(), |t| t.to_rfc3339()),
            )?;
            row("timing", a.timing.as_str().into())?;
        }
        for x in &i.exceptions {
            let mut row = |figure: &str, value: String| {
                write_row(&mut w, ["exception", &x.id, &i.id, figure, &value])
            };
            row("description", x.description.clone())?;
            row("risk_accepted_by", x.risk_accepted_by.clone())?;
            row("remediation_due", x.remediation_due.to_rfc3339())?;
            row("remediation", x.remediation.as_str().into())?;
        }
    }
    for s in &f.by_severity {
        let sev = s.severity.to_string();
        let mut row =
            |figure: &str, value: String| write_row(&mut w, ["severity", &sev, "", figure, &value]);
        row("incidents", s.incidents.to_string())?;
        for (name, m) in [
            ("acknowledge", &s.acknowledge),
            ("recovery", &s.recovery),
            ("first_update", &s.first_update),
        ] {
            row(&format!("{name}_count"), m.count.to_string())?;
            row(&format!("{name}_mean_secs"), opt(m.mean_secs))?;
            row(&format!("{name}_target_secs"), opt(m.target_secs))?;
            row(
                &format!("{name}_within_target"),
                m.within_target.to_string(),
            )?;
        }
    }
    let totals =
        serde_json::to_value(&f.totals).map_err(|e| csv::Error::from(std::io::Error::other(e)))?;
    for (k, v) in totals.as_object().into_iter().flatten() {
        write_row(&mut w, ["total", "", "", k, &v.to_string()])?;
    }
    match &e.administration {
        Administration::Unavailable { reason } => {
            w.write_record(["admin", "", "", "unavailable", reason])?;
        }
        Administration::Included { records } => {
            for r in records {
                let seq = r.seq.to_string();
                let mut row =
                    |figure: &str, value: &str| w.write_record(["admin", &seq, "", figure, value]);
                row("at", &r.at.to_rfc3339())?;
                row("actor", &r.actor)?;
                row("action", &r.action)?;
                row("target", &r.target)?;
                row("detail", &r.detail)?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Counts of actions by timing, in the order the review draws them.
pub fn action_counts(f: &PeriodFigures) -> [(ActionTiming, u32); 4] {
    let t = &f.totals;
    [
        (ActionTiming::OnTime, t.actions_on_time),
        (ActionTiming::Late, t.actions_late),
        (ActionTiming::Overdue, t.actions_overdue),
        (ActionTiming::Open, t.actions_open),
    ]
}

#[cfg(test)]
mod hostile_text_tests {
    use super::formula_safe;
    use crate::report::cell;

    #[test]
    fn csv_cells_a_spreadsheet_would_run_are_text_and_numbers_stay_numbers() {
        for f in [
            "=cmd|' /C calc'!A0",
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(1)",
            "\t=1",
        ] {
            assert_eq!(formula_safe(f), format!("'{f}"), "{f}");
        }
        for ok in ["-42", "3600", "rex", "Rotate = later", ""] {
            assert_eq!(formula_safe(ok), ok);
        }
    }

    #[test]
    fn markdown_cells_carry_no_html_or_links() {
        let c = cell("<img src=x onerror=alert(1)> [click](javascript:alert(1)) | x\ny");
        assert!(!c.contains('<') && c.contains("\\[click\\]("), "{c}");
        assert!(c.contains("\\|") && !c.contains('\n'), "{c}");
    }
}
