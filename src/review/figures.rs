//! The figures a review meeting and an auditor look at, computed from what the API returns
//! for each incident (the incident, its timeline, status updates, corrective actions and
//! exceptions). Pure functions of that data and of `now`, so the same input always gives
//! the same numbers: the evidence export and the console's review view both call
//! [`period`], which is what makes them agree.
use super::targets::Targets;
use crate::domain::{
    ActionStatus, Audience, CorrectiveAction, Deployment, Incident, Phase, RecoveryOwner,
    RiskException, Severity, StatusUpdate, TimelineEntry,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

/// One incident and everything recorded about it, as the client receives it.
#[derive(Debug, Clone)]
pub struct Record {
    pub incident: Incident,
    pub timeline: Vec<TimelineEntry>,
    pub updates: Vec<StatusUpdate>,
    pub actions: Vec<CorrectiveAction>,
    pub exceptions: Vec<RiskException>,
}

/// A closed range of UTC days: incidents declared on `from` through `to` belong to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The last `days` days up to and including the day of `now`.
    pub fn last_days(days: u32, now: DateTime<Utc>) -> Period {
        let to = now.date_naive();
        Period {
            from: to - Duration::days(i64::from(days.max(1)) - 1),
            to,
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        (self.from..=self.to).contains(&t.date_naive())
    }

    /// Mondays of the ISO weeks the period touches, in order.
    pub fn weeks(&self) -> Vec<NaiveDate> {
        let mut week = monday(self.from);
        let mut out = Vec::new();
        while week <= self.to {
            out.push(week);
            week += Duration::days(7);
        }
        out
    }
}

fn monday(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// Seconds spent in each phase before the incident was closed (or until `now`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PhaseTimes {
    pub detection_secs: i64,
    pub triage_secs: i64,
    pub containment_secs: i64,
    pub communication_secs: i64,
    pub follow_through_secs: i64,
}

impl PhaseTimes {
    fn add(&mut self, phase: Phase, secs: i64) {
        let slot = match phase {
            Phase::Detection => &mut self.detection_secs,
            Phase::Triage => &mut self.triage_secs,
            Phase::Containment => &mut self.containment_secs,
            Phase::Communication => &mut self.communication_secs,
            Phase::FollowThrough => &mut self.follow_through_secs,
            Phase::Closed => return,
        };
        *slot += secs.max(0);
    }

    pub fn get(&self, phase: Phase) -> Option<i64> {
        Some(match phase {
            Phase::Detection => self.detection_secs,
            Phase::Triage => self.triage_secs,
            Phase::Containment => self.containment_secs,
            Phase::Communication => self.communication_secs,
            Phase::FollowThrough => self.follow_through_secs,
            Phase::Closed => return None,
        })
    }
}

/// Where a corrective action stands against its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionTiming {
    /// Done on or before its due date.
    OnTime,
    /// Done after its due date.
    Late,
    /// Still open and past its due date.
    Overdue,
    /// Still open, not yet due.
    Open,
    Cancelled,
}

impl ActionTiming {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionTiming::OnTime => "on_time",
            ActionTiming::Late => "late",
            ActionTiming::Overdue => "overdue",
            ActionTiming::Open => "open",
            ActionTiming::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionFigure {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    /// When the timeline shows it done or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    pub timing: ActionTiming,
}

/// Whether the work an exception covered was finished by its remediation date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Remediation {
    /// Every corrective action of the incident was done or cancelled by the date.
    Met,
    /// The date passed with an action still open.
    Missed,
    /// The date is still ahead and an action is still open.
    Pending,
}

impl Remediation {
    pub fn as_str(self) -> &'static str {
        match self {
            Remediation::Met => "met",
            Remediation::Missed => "missed",
            Remediation::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionFigure {
    pub id: String,
    pub description: String,
    pub risk_accepted_by: String,
    pub remediation_due: DateTime<Utc>,
    pub remediation: Remediation,
}

/// The figures of one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentFigures {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub phase: Phase,
    pub declared_at: DateTime<Utc>,
    /// Customer impact now or at any time on the timeline.
    pub customer_impact: bool,
    pub deployment: Deployment,
    pub recovery_owner: RecoveryOwner,
    pub phase_times: PhaseTimes,
    /// Declaration to the first move out of Detection.
    pub to_acknowledge_secs: Option<i64>,
    /// Declaration to reaching post-incident follow-through (the risk is resolved).
    pub to_recovery_secs: Option<i64>,
    /// Customer impact starting to the first customer update.
    pub to_first_update_secs: Option<i64>,
    /// The first customer update came within the severity's cadence.
    pub first_update_on_time: Option<bool>,
    /// Customer-update deadlines met and missed (the first one and each update's promise).
    pub cadence_kept: u32,
    pub cadence_missed: u32,
    pub actions: Vec<ActionFigure>,
    pub exceptions: Vec<ExceptionFigure>,
}

impl IncidentFigures {
    /// Every customer update came on its cadence (None: no customer update was owed).
    pub fn cadence_ok(&self) -> Option<bool> {
        (self.cadence_kept + self.cadence_missed > 0).then_some(self.cadence_missed == 0)
    }
}

/// When the timeline first shows the incident at `phase` or past it.
fn reached(r: &Record, phase: Phase) -> Option<DateTime<Utc>> {
    r.timeline
        .iter()
        .filter(|e| e.kind == "phase_changed")
        .find(|e| parse_phase(e.new.as_deref()).is_some_and(|p| p >= phase))
        .map(|e| e.at)
}

fn parse_phase(s: Option<&str>) -> Option<Phase> {
    s.and_then(|p| p.parse().ok())
}

fn phase_times(r: &Record, now: DateTime<Utc>) -> PhaseTimes {
    let mut times = PhaseTimes::default();
    let mut phase = Phase::Detection;
    let mut since = r.incident.created_at;
    for e in r.timeline.iter().filter(|e| e.kind == "phase_changed") {
        let Some(next) = parse_phase(e.new.as_deref()) else {
            continue;
        };
        times.add(phase, (e.at - since).num_seconds());
        phase = next;
        since = e.at;
    }
    times.add(phase, (now - since).num_seconds());
    times
}

/// When customer impact began (declaration or the first change turning it on), and whether
/// the incident was ever customer-impacting.
fn impact_start(r: &Record) -> Option<DateTime<Utc>> {
    let changes: Vec<&TimelineEntry> = r
        .timeline
        .iter()
        .filter(|e| e.kind == "customer_impact_changed")
        .collect();
    match changes.first() {
        // The first change says what it was at declaration.
        Some(first) if first.old.as_deref() == Some("true") => Some(r.incident.created_at),
        Some(_) => changes
            .iter()
            .find(|e| e.new.as_deref() == Some("true"))
            .map(|e| e.at),
        None => r.incident.customer_impact.then_some(r.incident.created_at),
    }
}

/// When the customer-update clock stopped: the risk resolved (follow-through reached) or
/// customer impact turned off after its last start.
fn impact_end(r: &Record) -> Option<DateTime<Utc>> {
    let resolved = reached(r, Phase::FollowThrough);
    let off = r
        .timeline
        .iter()
        .rev()
        .find(|e| e.kind == "customer_impact_changed")
        .filter(|e| e.new.as_deref() == Some("false"))
        .map(|e| e.at);
    match (resolved, off) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// When an action was done or cancelled, from its own timeline entries.
fn finished_at(r: &Record, a: &CorrectiveAction) -> Option<DateTime<Utc>> {
    if a.status.is_open() {
        return None;
    }
    let prefix = format!("{}:", a.id);
    r.timeline
        .iter()
        .rev()
        .find(|e| {
            e.kind == "action_updated"
                && e.field.as_deref() == Some("status")
                && e.note.as_deref().is_some_and(|n| n.starts_with(&prefix))
        })
        .map(|e| e.at)
        // A backend that records no timeline for actions: the last change is the close.
        .or(Some(a.updated_at))
}

fn action_figure(r: &Record, a: &CorrectiveAction, now: DateTime<Utc>) -> ActionFigure {
    let finished = finished_at(r, a);
    let timing = match (a.status, finished) {
        (ActionStatus::Cancelled, _) => ActionTiming::Cancelled,
        (ActionStatus::Done, Some(t)) if t.date_naive() <= a.due_date => ActionTiming::OnTime,
        (ActionStatus::Done, _) => ActionTiming::Late,
        _ if now.date_naive() > a.due_date => ActionTiming::Overdue,
        _ => ActionTiming::Open,
    };
    ActionFigure {
        id: a.id.clone(),
        title: a.title.clone(),
        owner: a.owner.clone(),
        due_date: a.due_date,
        status: a.status,
        finished_at: finished,
        timing,
    }
}

fn exception_figure(
    e: &RiskException,
    actions: &[ActionFigure],
    created: &[(String, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> ExceptionFigure {
    let due = e.remediation_due;
    let open_at_due = actions.iter().any(|a| {
        let existed = created
            .iter()
            .find(|(id, _)| *id == a.id)
            .is_some_and(|(_, at)| *at <= due);
        existed && a.finished_at.is_none_or(|t| t > due)
    });
    let remediation = if !open_at_due {
        Remediation::Met
    } else if due <= now {
        Remediation::Missed
    } else {
        Remediation::Pending
    };
    ExceptionFigure {
        id: e.id.clone(),
        description: e.description.clone(),
        risk_accepted_by: e.risk_accepted_by.clone(),
        remediation_due: due,
        remediation,
    }
}

/// The figures of one incident as of `now`.
pub fn incident(r: &Record, targets: &Targets, now: DateTime<Utc>) -> IncidentFigures {
    let i = &r.incident;
    let start = i.created_at;
    let secs = |t: Option<DateTime<Utc>>, from: DateTime<Utc>| t.map(|t| (t - from).num_seconds());
    let impact = impact_start(r);
    let mut customer_updates: Vec<&StatusUpdate> = r
        .updates
        .iter()
        .filter(|u| u.audience == Audience::Customer)
        .collect();
    customer_updates.sort_by_key(|u| u.posted_at);
    let first_update = customer_updates.first().map(|u| u.posted_at);
    let first_due = impact.and_then(|s| targets.cadence.interval(i.severity).map(|d| s + d));

    // Each deadline is kept when the next customer update came by it, or the clock stopped
    // (risk resolved, impact off) by it; missed when neither happened by it (and it passed).
    let (mut kept, mut missed) = (0, 0);
    if impact.is_some() {
        let stop = impact_end(r);
        let mut deadlines: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
        if let Some(due) = first_due {
            deadlines.push((due, first_update));
        }
        for (n, u) in customer_updates.iter().enumerate() {
            if let Some(due) = u.next_update_due_at {
                deadlines.push((due, customer_updates.get(n + 1).map(|u| u.posted_at)));
            }
        }
        for (due, next) in deadlines {
            let met_by = match (next, stop) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match met_by {
                Some(t) if t <= due => kept += 1,
                _ if due < now => missed += 1,
                // Not due yet and not yet met: neither.
                _ => {}
            }
        }
    }

    let actions: Vec<ActionFigure> = r.actions.iter().map(|a| action_figure(r, a, now)).collect();
    let created: Vec<(String, DateTime<Utc>)> = r
        .actions
        .iter()
        .map(|a| (a.id.clone(), a.created_at))
        .collect();
    let exceptions = r
        .exceptions
        .iter()
        .map(|e| exception_figure(e, &actions, &created, now))
        .collect();

    IncidentFigures {
        id: i.id.clone(),
        title: i.title.clone(),
        severity: i.severity,
        phase: i.phase,
        declared_at: start,
        customer_impact: impact.is_some(),
        deployment: i.deployment,
        recovery_owner: i.recovery_owner,
        phase_times: phase_times(r, now),
        to_acknowledge_secs: secs(reached(r, Phase::Triage), start),
        to_recovery_secs: secs(reached(r, Phase::FollowThrough), start),
        to_first_update_secs: impact.and_then(|s| secs(first_update, s)),
        first_update_on_time: first_due.and_then(|due| match first_update {
            Some(t) => Some(t <= due),
            None if due < now => Some(false),
            None => None,
        }),
        cadence_kept: kept,
        cadence_missed: missed,
        actions,
        exceptions,
    }
}

/// Mean (whole seconds) and count of a figure over the incidents that have it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Mean {
    pub count: u32,
    pub mean_secs: Option<i64>,
    pub target_secs: Option<i64>,
    /// Incidents whose own value met the target.
    pub within_target: u32,
}

fn mean(values: impl Iterator<Item = i64>, target: Option<i64>) -> Mean {
    let v: Vec<i64> = values.collect();
    Mean {
        count: v.len() as u32,
        mean_secs: (!v.is_empty()).then(|| v.iter().sum::<i64>() / v.len() as i64),
        target_secs: target,
        within_target: target.map_or(0, |t| v.iter().filter(|s| **s <= t).count() as u32),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityFigures {
    pub severity: Severity,
    pub incidents: u32,
    pub acknowledge: Mean,
    pub recovery: Mean,
    pub first_update: Mean,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekCount {
    /// The Monday the ISO week starts on.
    pub week: NaiveDate,
    /// Incidents declared that week, SEV1 to SEV4.
    pub by_severity: [u32; 4],
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub incidents: u32,
    pub customer_impacting: u32,
    pub first_update_on_time: u32,
    pub first_update_late: u32,
    pub cadence_kept: u32,
    pub cadence_missed: u32,
    /// Incidents whose every customer-update deadline was met.
    pub incidents_cadence_kept: u32,
    pub incidents_cadence_missed: u32,
    pub actions_on_time: u32,
    pub actions_late: u32,
    pub actions_overdue: u32,
    pub actions_open: u32,
    pub actions_cancelled: u32,
    pub exceptions_met: u32,
    pub exceptions_missed: u32,
    pub exceptions_pending: u32,
}

/// An exception still waiting on its remediation date, for the review's chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenException {
    pub id: String,
    pub incident_id: String,
    pub risk_accepted_by: String,
    pub remediation_due: DateTime<Utc>,
}

/// Everything the review and the evidence say about one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodFigures {
    pub period: Period,
    pub generated_at: DateTime<Utc>,
    pub targets: Targets,
    pub incidents: Vec<IncidentFigures>,
    pub weeks: Vec<WeekCount>,
    pub by_severity: Vec<SeverityFigures>,
    pub totals: Totals,
    /// Pending exceptions, soonest remediation date first.
    pub open_exceptions: Vec<OpenException>,
}

/// The figures of the incidents declared in `period`, oldest first, as of `now`.
pub fn period(
    records: &[Record],
    period: Period,
    targets: &Targets,
    now: DateTime<Utc>,
) -> PeriodFigures {
    let mut incidents: Vec<IncidentFigures> = records
        .iter()
        .filter(|r| period.contains(r.incident.created_at))
        .map(|r| incident(r, targets, now))
        .collect();
    incidents.sort_by(|a, b| (a.declared_at, &a.id).cmp(&(b.declared_at, &b.id)));

    let weeks = period
        .weeks()
        .into_iter()
        .map(|week| {
            let mut by_severity = [0; 4];
            for f in incidents
                .iter()
                .filter(|f| monday(f.declared_at.date_naive()) == week)
            {
                by_severity[usize::from(f.severity.level() - 1)] += 1;
            }
            WeekCount { week, by_severity }
        })
        .collect();

    let by_severity = Severity::ALL
        .iter()
        .map(|&s| {
            let of = || incidents.iter().filter(move |f| f.severity == s);
            SeverityFigures {
                severity: s,
                incidents: of().count() as u32,
                acknowledge: mean(
                    of().filter_map(|f| f.to_acknowledge_secs),
                    targets.acknowledge_secs(s),
                ),
                recovery: mean(
                    of().filter_map(|f| f.to_recovery_secs),
                    targets.recovery_secs(s),
                ),
                first_update: mean(
                    of().filter_map(|f| f.to_first_update_secs),
                    targets.cadence.interval(s).map(|d| d.num_seconds()),
                ),
            }
        })
        .collect();

    let mut t = Totals {
        incidents: incidents.len() as u32,
        ..Totals::default()
    };
    let mut open_exceptions = Vec::new();
    for f in &incidents {
        t.customer_impacting += u32::from(f.customer_impact);
        match f.first_update_on_time {
            Some(true) => t.first_update_on_time += 1,
            Some(false) => t.first_update_late += 1,
            None => {}
        }
        t.cadence_kept += f.cadence_kept;
        t.cadence_missed += f.cadence_missed;
        match f.cadence_ok() {
            Some(true) => t.incidents_cadence_kept += 1,
            Some(false) => t.incidents_cadence_missed += 1,
            None => {}
        }
        for a in &f.actions {
            *match a.timing {
                ActionTiming::OnTime => &mut t.actions_on_time,
                ActionTiming::Late => &mut t.actions_late,
                ActionTiming::Overdue => &mut t.actions_overdue,
                ActionTiming::Open => &mut t.actions_open,
                ActionTiming::Cancelled => &mut t.actions_cancelled,
            } += 1;
        }
        for e in &f.exceptions {
            *match e.remediation {
                Remediation::Met => &mut t.exceptions_met,
                Remediation::Missed => &mut t.exceptions_missed,
                Remediation::Pending => &mut t.exceptions_pending,
            } += 1;
            if e.remediation == Remediation::Pending {
                open_exceptions.push(OpenException {
                    id: e.id.clone(),
                    incident_id: f.id.clone(),
                    risk_accepted_by: e.risk_accepted_by.clone(),
                    remediation_due: e.remediation_due,
                });
            }
        }
    }
    open_exceptions.sort_by(|a, b| (a.remediation_due, &a.id).cmp(&(b.remediation_due, &b.id)));

    PeriodFigures {
        period,
        generated_at: now,
        targets: targets.clone(),
        incidents,
        weeks,
        by_severity,
        totals: t,
        open_exceptions,
    }
}

/// The figures of the last `days` days as of `now`: what the console's review shows for
/// `:review Nd`, the same as `sitrep evidence` for that period.
pub fn last_days(
    records: &[Record],
    days: u32,
    targets: &Targets,
    now: DateTime<Utc>,
) -> PeriodFigures {
    period(records, Period::last_days(days, now), targets, now)
}
