//! A quarter of incidents with known timings, and every figure checked against them.
use super::figures::*;
use super::targets::Targets;
use crate::domain::{
    ActionStatus, Audience, Cadence, CorrectiveAction, Deployment, Incident, NewIncident, Phase,
    Priority, RiskException, Severity, StatusUpdate, TimelineEntry,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Builds one incident's record the way the server would have written it.
struct Build {
    r: Record,
    t0: DateTime<Utc>,
}

impl Build {
    fn new(id: &str, sev: Severity, t0: DateTime<Utc>, impact: bool, dep: Deployment) -> Build {
        let req = NewIncident {
            customer_impact: Some(impact),
            deployment: Some(dep),
            ..NewIncident::new(format!("{id} title"), sev)
        };
        let incident = Incident::create(&req, id.into(), t0, &Cadence::default()).unwrap();
        Build {
            r: Record {
                incident,
                timeline: Vec::new(),
                updates: Vec::new(),
                actions: Vec::new(),
                exceptions: Vec::new(),
            },
            t0,
        }
    }

    fn entry(&mut self, t: DateTime<Utc>, kind: &str, field: &str, old: &str, new: &str) {
        self.r.timeline.push(TimelineEntry {
            seq: self.r.timeline.len() as i64 + 1,
            incident_id: self.r.incident.id.clone(),
            at: t,
            actor: "cora".into(),
            kind: kind.into(),
            field: Some(field.into()),
            old: Some(old.into()),
            new: Some(new.into()),
            reason: None,
            note: None,
        });
    }

    /// Moves to `to` at `mins` minutes after declaration.
    fn phase(mut self, mins: i64, to: Phase) -> Self {
        let from = self.r.incident.phase;
        self.entry(
            self.t0 + Duration::minutes(mins),
            "phase_changed",
            "phase",
            from.as_str(),
            to.as_str(),
        );
        self.r.incident.phase = to;
        self
    }

    fn impact(mut self, mins: i64, on: bool) -> Self {
        self.entry(
            self.t0 + Duration::minutes(mins),
            "customer_impact_changed",
            "customer_impact",
            &(!on).to_string(),
            &on.to_string(),
        );
        self.r.incident.customer_impact = on;
        self
    }

    /// A customer update at `mins`, promising the next one `next` minutes later.
    fn update(mut self, mins: i64, next: i64) -> Self {
        let posted = self.t0 + Duration::minutes(mins);
        self.r.updates.push(StatusUpdate {
            id: format!("UPD-{}", self.r.updates.len() + 1),
            incident_id: self.r.incident.id.clone(),
            audience: Audience::Customer,
            impact_scope: "EU".into(),
            current_status: "working".into(),
            next_steps: "more".into(),
            author: "cora".into(),
            posted_at: posted,
            next_update_due_at: Some(posted + Duration::minutes(next)),
        });
        self
    }

    fn internal_update(mut self, mins: i64) -> Self {
        self.r.updates.push(StatusUpdate {
            id: format!("UPD-{}", self.r.updates.len() + 1),
            incident_id: self.r.incident.id.clone(),
            audience: Audience::Internal,
            impact_scope: String::new(),
            current_status: "digging".into(),
            next_steps: String::new(),
            author: "cora".into(),
            posted_at: self.t0 + Duration::minutes(mins),
            next_update_due_at: None,
        });
        self
    }

    /// An action created at declaration, due `due`, finished (`status`) at `done`.
    fn action(
        mut self,
        id: &str,
        owner: &str,
        due: NaiveDate,
        finished: Option<(ActionStatus, DateTime<Utc>)>,
    ) -> Self {
        let status = finished.map_or(ActionStatus::Open, |(s, _)| s);
        if let Some((s, t)) = finished {
            self.entry(t, "action_updated", "status", "open", s.as_str());
            self.r.timeline.last_mut().unwrap().note = Some(format!("{id}: fix"));
        }
        self.r.actions.push(CorrectiveAction {
            id: id.into(),
            incident_id: self.r.incident.id.clone(),
            title: format!("{id} fix"),
            owner: owner.into(),
            due_date: due,
            status,
            priority: Priority::High,
            overdue: false,
            created_at: self.t0,
            // Not the close time: figures must read the timeline.
            updated_at: self.t0 + Duration::days(300),
            version: 2,
        });
        self
    }

    fn exception(mut self, id: &str, by: &str, due: DateTime<Utc>) -> Self {
        self.r.exceptions.push(RiskException {
            id: id.into(),
            incident_id: self.r.incident.id.clone(),
            description: "ship without it".into(),
            risk_accepted_by: by.into(),
            remediation_due: due,
            recorded_by: "cora".into(),
            created_at: self.t0 + Duration::days(1),
        });
        self
    }

    fn done(mut self) -> Record {
        self.r.timeline.sort_by_key(|e| e.at);
        self.r
    }
}

/// The quarter 2026-07-01 … 2026-09-30, seen on 2026-10-01 12:00 UTC.
pub(crate) fn quarter() -> (Vec<Record>, Period, DateTime<Utc>) {
    use ActionStatus::{Cancelled, Done};
    use Deployment::{Hosted, SelfHosted};
    use Severity::*;
    let records = vec![
        // SEV1, customer-impacting from the start; one missed update deadline (due +80,
        // next came +100), recovered at +3h exactly on its last promise.
        Build::new("INC-1", Sev1, at(2026, 7, 1, 10, 0), true, Hosted)
            .phase(10, Phase::Triage)
            .phase(20, Phase::Containment)
            .phase(120, Phase::Communication)
            .phase(180, Phase::FollowThrough)
            .phase(5 * 24 * 60, Phase::Closed)
            .update(25, 30)
            .update(50, 30)
            .internal_update(60)
            .update(100, 30)
            .update(125, 30)
            .update(150, 30)
            .action(
                "ACT-1",
                "ops",
                day(2026, 7, 10),
                Some((Done, at(2026, 7, 9, 16, 0))),
            )
            .action(
                "ACT-2",
                "db",
                day(2026, 7, 15),
                Some((Done, at(2026, 7, 20, 9, 0))),
            )
            .done(),
        // SEV2 self-hosted, no customer impact; an overdue action under an exception whose
        // date has passed.
        Build::new("INC-2", Sev2, at(2026, 7, 8, 9, 0), false, SelfHosted)
            .phase(40, Phase::Triage)
            .phase(360, Phase::FollowThrough)
            .action("ACT-3", "ana", day(2026, 8, 1), None)
            .exception("EXC-1", "CTO", at(2026, 9, 1, 0, 0))
            .done(),
        // SEV1 that became customer-impacting an hour in; the first update was late.
        Build::new("INC-3", Sev1, at(2026, 8, 12, 14, 0), false, Hosted)
            .phase(5, Phase::Triage)
            .impact(60, true)
            .update(120, 30)
            .phase(140, Phase::FollowThrough)
            .action("ACT-4", "li", day(2026, 10, 10), None)
            .exception("EXC-2", "VP Eng", at(2026, 10, 15, 0, 0))
            .done(),
        // SEV2, impact turned off before the second promise came due.
        Build::new("INC-6", Sev2, at(2026, 9, 2, 8, 0), true, Hosted)
            .phase(20, Phase::Triage)
            .update(30, 120)
            .impact(100, false)
            .action(
                "ACT-5",
                "ops",
                day(2026, 9, 12),
                Some((Cancelled, at(2026, 9, 10, 9, 0))),
            )
            .action(
                "ACT-6",
                "ops",
                day(2026, 9, 18),
                Some((Done, at(2026, 9, 15, 9, 0))),
            )
            .exception("EXC-3", "CISO", at(2026, 9, 20, 0, 0))
            .done(),
        // Declared on the last day of the quarter; still in triage.
        Build::new("INC-4", Sev3, at(2026, 9, 30, 23, 0), false, Hosted)
            .phase(30, Phase::Triage)
            .done(),
        // Outside the quarter on both sides.
        Build::new("INC-0", Sev1, at(2026, 6, 30, 23, 59), true, Hosted).done(),
        Build::new("INC-9", Sev1, at(2026, 10, 1, 0, 0), true, Hosted).done(),
    ];
    let period = Period {
        from: day(2026, 7, 1),
        to: day(2026, 9, 30),
    };
    (records, period, at(2026, 10, 1, 12, 0))
}

fn figures() -> PeriodFigures {
    let (records, p, now) = quarter();
    period(&records, p, &Targets::default(), now)
}

fn one<'a>(f: &'a PeriodFigures, id: &str) -> &'a IncidentFigures {
    f.incidents.iter().find(|i| i.id == id).unwrap()
}

#[test]
fn the_period_holds_the_incidents_declared_in_it_oldest_first() {
    let f = figures();
    let ids: Vec<&str> = f.incidents.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["INC-1", "INC-2", "INC-3", "INC-6", "INC-4"]);
}

#[test]
fn phase_times_acknowledge_and_recovery_come_from_the_timeline() {
    let f = figures();
    let a = one(&f, "INC-1");
    assert_eq!(
        a.phase_times,
        PhaseTimes {
            detection_secs: 600,
            triage_secs: 600,
            containment_secs: 6000,
            communication_secs: 3600,
            follow_through_secs: 5 * 86400 - 10800,
        }
    );
    assert_eq!(a.to_acknowledge_secs, Some(600));
    assert_eq!(a.to_recovery_secs, Some(10800));
    let b = one(&f, "INC-2");
    assert_eq!(
        (b.to_acknowledge_secs, b.to_recovery_secs),
        (Some(2400), Some(21600))
    );
    assert_eq!(b.recovery_owner, crate::domain::RecoveryOwner::Customer);
    // Still in follow-through: counted up to now (2026-10-01 12:00).
    let since = at(2026, 7, 8, 15, 0);
    assert_eq!(
        b.phase_times.follow_through_secs,
        (at(2026, 10, 1, 12, 0) - since).num_seconds()
    );
    let d = one(&f, "INC-4");
    assert_eq!(
        (d.to_acknowledge_secs, d.to_recovery_secs),
        (Some(1800), None)
    );
    // Triage from 23:30 to 12:00 the next day.
    assert_eq!(d.phase_times.triage_secs, 12 * 3600 + 1800);
}

#[test]
fn first_update_and_cadence_deadlines() {
    let f = figures();
    let a = one(&f, "INC-1");
    // +25 (due +30), +50 (due +55), +100 (due +80: missed), +125, +150, resolved +180.
    assert_eq!(a.to_first_update_secs, Some(1500));
    assert_eq!(a.first_update_on_time, Some(true));
    assert_eq!((a.cadence_kept, a.cadence_missed), (5, 1));
    assert_eq!(a.cadence_ok(), Some(false));
    // Impact from +60, first update +120: an hour, against a 30-minute cadence.
    let c = one(&f, "INC-3");
    assert!(c.customer_impact);
    assert_eq!(c.to_first_update_secs, Some(3600));
    assert_eq!(c.first_update_on_time, Some(false));
    assert_eq!((c.cadence_kept, c.cadence_missed), (1, 1));
    // Impact turned off at +100 stops the clock before the +150 promise.
    let g = one(&f, "INC-6");
    assert_eq!(
        (g.to_first_update_secs, g.first_update_on_time),
        (Some(1800), Some(true))
    );
    assert_eq!(
        (g.cadence_kept, g.cadence_missed, g.cadence_ok()),
        (2, 0, Some(true))
    );
    let b = one(&f, "INC-2");
    assert_eq!(
        (b.customer_impact, b.to_first_update_secs, b.cadence_ok()),
        (false, None, None)
    );
}

#[test]
fn actions_are_on_time_late_overdue_or_open_by_their_close_on_the_timeline() {
    let f = figures();
    let timing = |inc: &str| -> Vec<(String, String, ActionTiming)> {
        one(&f, inc)
            .actions
            .iter()
            .map(|a| (a.id.clone(), a.owner.clone(), a.timing))
            .collect()
    };
    let s = |a: &str, o: &str, t| (a.to_string(), o.to_string(), t);
    assert_eq!(
        timing("INC-1"),
        [
            s("ACT-1", "ops", ActionTiming::OnTime),
            s("ACT-2", "db", ActionTiming::Late)
        ]
    );
    assert_eq!(timing("INC-2"), [s("ACT-3", "ana", ActionTiming::Overdue)]);
    assert_eq!(timing("INC-3"), [s("ACT-4", "li", ActionTiming::Open)]);
    assert_eq!(
        timing("INC-6"),
        [
            s("ACT-5", "ops", ActionTiming::Cancelled),
            s("ACT-6", "ops", ActionTiming::OnTime)
        ]
    );
    assert_eq!(
        one(&f, "INC-1").actions[0].finished_at,
        Some(at(2026, 7, 9, 16, 0))
    );
}

#[test]
fn exceptions_name_who_accepted_and_whether_remediation_met_its_date() {
    let f = figures();
    let e = |inc: &str| {
        let x = &one(&f, inc).exceptions[0];
        (x.risk_accepted_by.clone(), x.remediation)
    };
    assert_eq!(e("INC-2"), ("CTO".into(), Remediation::Missed));
    assert_eq!(e("INC-3"), ("VP Eng".into(), Remediation::Pending));
    assert_eq!(e("INC-6"), ("CISO".into(), Remediation::Met));
    let open: Vec<&str> = f.open_exceptions.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(open, ["EXC-2"]);
}

#[test]
fn incidents_per_week_by_severity() {
    let f = figures();
    // 2026-07-01 is a Wednesday: weeks start Monday 2026-06-29, end with 2026-09-28.
    assert_eq!(f.weeks.len(), 14);
    assert_eq!(f.weeks[0].week, day(2026, 6, 29));
    assert_eq!(f.weeks[13].week, day(2026, 9, 28));
    let nonzero: Vec<(NaiveDate, [u32; 4])> = f
        .weeks
        .iter()
        .filter(|w| w.by_severity.iter().any(|n| *n > 0))
        .map(|w| (w.week, w.by_severity))
        .collect();
    assert_eq!(
        nonzero,
        [
            (day(2026, 6, 29), [1, 0, 0, 0]),
            (day(2026, 7, 6), [0, 1, 0, 0]),
            (day(2026, 8, 10), [1, 0, 0, 0]),
            (day(2026, 8, 31), [0, 1, 0, 0]),
            (day(2026, 9, 28), [0, 0, 1, 0]),
        ]
    );
}

#[test]
fn mtta_mttr_and_first_update_per_severity_against_targets() {
    let f = figures();
    let sev = |s: Severity| f.by_severity.iter().find(|x| x.severity == s).unwrap();
    let m = |count, mean: Option<i64>, target: Option<i64>, within| Mean {
        count,
        mean_secs: mean,
        target_secs: target,
        within_target: within,
    };
    let s1 = sev(Severity::Sev1);
    assert_eq!(s1.incidents, 2);
    assert_eq!(s1.acknowledge, m(2, Some(450), Some(900), 2));
    assert_eq!(s1.recovery, m(2, Some(9600), Some(14400), 2));
    assert_eq!(s1.first_update, m(2, Some(2550), Some(1800), 1));
    let s2 = sev(Severity::Sev2);
    assert_eq!(s2.acknowledge, m(2, Some(1800), Some(1800), 1));
    assert_eq!(s2.recovery, m(1, Some(21600), Some(28800), 1));
    assert_eq!(s2.first_update, m(1, Some(1800), Some(3600), 1));
    let s3 = sev(Severity::Sev3);
    assert_eq!(s3.acknowledge, m(1, Some(1800), Some(14400), 1));
    assert_eq!(s3.recovery, m(0, None, Some(259200), 0));
    assert_eq!(sev(Severity::Sev4).incidents, 0);
}

#[test]
fn totals_of_the_quarter() {
    assert_eq!(
        figures().totals,
        Totals {
            incidents: 5,
            customer_impacting: 3,
            first_update_on_time: 2,
            first_update_late: 1,
            cadence_kept: 8,
            cadence_missed: 2,
            incidents_cadence_kept: 1,
            incidents_cadence_missed: 2,
            actions_on_time: 2,
            actions_late: 1,
            actions_overdue: 1,
            actions_open: 1,
            actions_cancelled: 1,
            exceptions_met: 1,
            exceptions_missed: 1,
            exceptions_pending: 1,
        }
    );
}

#[test]
fn the_last_days_end_today() {
    let p = Period::last_days(90, at(2026, 9, 30, 18, 0));
    assert_eq!((p.from, p.to), (day(2026, 7, 3), day(2026, 9, 30)));
}
