//! The post-incident report: facts, severity and phase history with reasons and actors,
//! every status update, corrective actions, exceptions with their risk acceptance, and the
//! durations a review asks for. Pure: built from data the API returned (already sanitized).
use crate::domain::{
    CorrectiveAction, Incident, Phase, RiskException, StatusUpdate, TimelineEntry,
};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Serialize)]
pub struct Report {
    pub incident: Incident,
    pub durations: Durations,
    pub severity_history: Vec<TimelineEntry>,
    pub phase_history: Vec<TimelineEntry>,
    pub updates: Vec<StatusUpdate>,
    pub actions: Vec<CorrectiveAction>,
    pub exceptions: Vec<RiskException>,
    pub timeline: Vec<TimelineEntry>,
    pub generated_at: DateTime<Utc>,
}

/// Seconds from declaration to the first time the incident reached each milestone (or
/// anything past it); null when it has not yet.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Durations {
    pub to_triage_secs: Option<i64>,
    pub to_containment_secs: Option<i64>,
    /// Reaching follow-through (the customer-impacting risk is resolved) or closed.
    pub to_resolution_secs: Option<i64>,
}

fn reached(timeline: &[TimelineEntry], start: DateTime<Utc>, phase: Phase) -> Option<i64> {
    timeline
        .iter()
        .filter(|e| e.kind == "phase_changed")
        .find(|e| {
            e.new
                .as_deref()
                .and_then(|p| p.parse::<Phase>().ok())
                .is_some_and(|p| p >= phase)
        })
        .map(|e| (e.at - start).num_seconds())
}

pub fn build(
    incident: Incident,
    timeline: Vec<TimelineEntry>,
    updates: Vec<StatusUpdate>,
    actions: Vec<CorrectiveAction>,
    exceptions: Vec<RiskException>,
    now: DateTime<Utc>,
) -> Report {
    let start = incident.created_at;
    let durations = Durations {
        to_triage_secs: reached(&timeline, start, Phase::Triage),
        to_containment_secs: reached(&timeline, start, Phase::Containment),
        to_resolution_secs: reached(&timeline, start, Phase::FollowThrough),
    };
    let of_kind = |kinds: &[&str]| -> Vec<TimelineEntry> {
        timeline
            .iter()
            .filter(|e| kinds.contains(&e.kind.as_str()))
            .cloned()
            .collect()
    };
    Report {
        severity_history: of_kind(&["created", "severity_changed"]),
        phase_history: of_kind(&["phase_changed"]),
        incident,
        durations,
        updates,
        actions,
        exceptions,
        timeline,
        generated_at: now,
    }
}

pub(crate) fn span(secs: Option<i64>) -> String {
    let Some(s) = secs else {
        return "not reached".into();
    };
    let d = Duration::seconds(s);
    if d.num_days() > 0 {
        format!(
            "{}d {}h {}m",
            d.num_days(),
            d.num_hours() % 24,
            d.num_minutes() % 60
        )
    } else if d.num_hours() > 0 {
        format!("{}h {}m", d.num_hours(), d.num_minutes() % 60)
    } else {
        format!("{}m {}s", d.num_minutes(), s % 60)
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Table cells cannot hold a pipe or a line break; and anyone's text must stay text where
/// the markdown is rendered: no raw HTML, no link (a `javascript:` one included).
pub(crate) fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

pub fn markdown(r: &Report) -> String {
    let i = &r.incident;
    let mut out = String::new();
    let _ = writeln!(out, "# {} — {}\n", i.id, i.title);
    let _ = writeln!(
        out,
        "Post-incident report, generated {}.\n",
        when(r.generated_at)
    );
    let _ = writeln!(out, "## Facts\n");
    let roles = if i.roles.is_empty() {
        "—".to_string()
    } else {
        i.roles
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let facts = [
        ("Severity", i.severity.to_string()),
        ("Phase", i.phase.title().to_string()),
        (
            "Commander",
            i.commander.clone().unwrap_or_else(|| "unassigned".into()),
        ),
        ("Roles", roles),
        (
            "Customer impact",
            if i.customer_impact {
                "yes".into()
            } else {
                "no".into()
            },
        ),
        (
            "Impact scope",
            if i.impact_scope.is_empty() {
                "—".into()
            } else {
                i.impact_scope.clone()
            },
        ),
        (
            "Deployment",
            format!("{} (recovery owned by {})", i.deployment, i.recovery_owner),
        ),
        ("Source", i.source.clone()),
        ("Declared", when(i.created_at)),
        (
            "Last customer update",
            i.last_customer_update_at.map_or("none".into(), when),
        ),
    ];
    let _ = writeln!(out, "| | |\n|---|---|");
    for (k, v) in facts {
        let _ = writeln!(out, "| {k} | {} |", cell(&v));
    }
    if !i.summary.is_empty() {
        let _ = writeln!(out, "\n{}", i.summary);
    }
    let _ = writeln!(out, "\n## Durations\n");
    let _ = writeln!(out, "| from declaration to | |\n|---|---|");
    let _ = writeln!(out, "| triage | {} |", span(r.durations.to_triage_secs));
    let _ = writeln!(
        out,
        "| containment and recovery | {} |",
        span(r.durations.to_containment_secs)
    );
    let _ = writeln!(
        out,
        "| resolution (follow-through) | {} |",
        span(r.durations.to_resolution_secs)
    );

    for (title, entries) in [
        ("Severity history", &r.severity_history),
        ("Phase history", &r.phase_history),
    ] {
        let _ = writeln!(out, "\n## {title}\n");
        if entries.is_empty() {
            let _ = writeln!(out, "No changes.");
            continue;
        }
        let _ = writeln!(out, "| when | who | change | reason |\n|---|---|---|---|");
        for e in entries.iter() {
            let change = match (&e.old, &e.new) {
                (Some(o), Some(n)) => format!("{o} → {n}"),
                (None, Some(n)) => format!("declared {n}"),
                _ => e.note.clone().unwrap_or_default(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                when(e.at),
                cell(&e.actor),
                cell(&change),
                cell(e.reason.as_deref().unwrap_or("—"))
            );
        }
    }

    let _ = writeln!(out, "\n## Status updates\n");
    if r.updates.is_empty() {
        let _ = writeln!(out, "None posted.");
    }
    for u in &r.updates {
        let _ = writeln!(
            out,
            "### {} — {} update by {}\n",
            when(u.posted_at),
            u.audience,
            u.author
        );
        if !u.impact_scope.is_empty() {
            let _ = writeln!(out, "- **Impact scope:** {}", u.impact_scope);
        }
        let _ = writeln!(out, "- **Current status:** {}", u.current_status);
        if !u.next_steps.is_empty() {
            let _ = writeln!(out, "- **Next steps:** {}", u.next_steps);
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Corrective actions\n");
    if r.actions.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(
            out,
            "| id | action | owner | due | status |\n|---|---|---|---|---|"
        );
        for a in &r.actions {
            let status = if a.overdue {
                format!("{} (overdue)", a.status)
            } else {
                a.status.to_string()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                a.id,
                cell(&a.title),
                cell(&a.owner),
                a.due_date,
                status
            );
        }
    }

    let _ = writeln!(out, "\n## Exceptions\n");
    if r.exceptions.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(
            out,
            "| id | exception | risk accepted by | remediation due | recorded by |\n|---|---|---|---|---|"
        );
        for e in &r.exceptions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                e.id,
                cell(&e.description),
                cell(&e.risk_accepted_by),
                when(e.remediation_due),
                cell(&e.recorded_by)
            );
        }
    }

    let _ = writeln!(out, "\n## Timeline\n");
    for e in &r.timeline {
        // A corrective action's change carries both a note naming the action and the
        // field's old and new values: the reader needs both.
        let what = match (&e.field, &e.old, &e.new, &e.note) {
            (Some(f), Some(o), Some(n), note) => {
                let change = format!("{f}: {} → {n}", if o.is_empty() { "—" } else { o });
                match note {
                    Some(note) => format!("{note} — {change}"),
                    None => change,
                }
            }
            (_, _, _, Some(note)) => note.clone(),
            _ => e.kind.clone(),
        };
        let reason = e
            .reason
            .as_deref()
            .map(|r| format!(" (reason: {r})"))
            .unwrap_or_default();
        let _ = writeln!(out, "- {} — {}: {}{}", when(e.at), e.actor, what, reason);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Cadence, NewIncident, Severity};
    use chrono::TimeZone;

    fn entry(
        seq: i64,
        mins: i64,
        kind: &str,
        old: &str,
        new: &str,
        reason: Option<&str>,
    ) -> TimelineEntry {
        TimelineEntry {
            seq,
            incident_id: "INC-1".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap() + Duration::minutes(mins),
            actor: "cora".into(),
            kind: kind.into(),
            field: Some("phase".into()),
            old: Some(old.into()),
            new: Some(new.into()),
            reason: reason.map(str::to_string),
            note: None,
        }
    }

    #[test]
    fn durations_count_from_declaration_to_the_first_arrival() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let inc = Incident::create(
            &NewIncident::new("DB down | EU", Severity::Sev1),
            "INC-1".into(),
            t0,
            &Cadence::default(),
        )
        .unwrap();
        let timeline = vec![
            entry(1, 4, "phase_changed", "detection", "triage", None),
            entry(
                2,
                9,
                "severity_changed",
                "SEV2",
                "SEV1",
                Some("all regions"),
            ),
            // Skipping straight past containment still counts as reaching it.
            entry(3, 30, "phase_changed", "triage", "communication", None),
            entry(
                4,
                95,
                "phase_changed",
                "communication",
                "follow_through",
                Some("fixed"),
            ),
        ];
        let r = build(inc, timeline, vec![], vec![], vec![], t0);
        assert_eq!(
            r.durations,
            Durations {
                to_triage_secs: Some(240),
                to_containment_secs: Some(1800),
                to_resolution_secs: Some(5700)
            }
        );
        let md = markdown(&r);
        assert!(md.starts_with("# INC-1 — DB down | EU"));
        assert!(md.contains("| resolution (follow-through) | 1h 35m |"));
        assert!(md.contains("| SEV2 → SEV1 | all regions |"));
        assert!(md.contains("None posted."));
    }

    #[test]
    fn an_action_status_change_reads_old_to_new() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let inc = Incident::create(
            &NewIncident::new("DB down", Severity::Sev2),
            "INC-1".into(),
            t0,
            &Cadence::default(),
        )
        .unwrap();
        let mut e = entry(1, 5, "action_updated", "open", "in_progress", None);
        e.field = Some("status".into());
        e.note = Some("ACT-1: Add replica lag alert".into());
        let md = markdown(&build(inc, vec![e], vec![], vec![], vec![], t0));
        assert!(
            md.contains("ACT-1: Add replica lag alert — status: open → in_progress"),
            "{md}"
        );
    }
}
