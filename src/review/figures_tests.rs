//! Every figure of the sample quarter checked against its known timings.
use super::figures::*;
use super::sample::{at, day, quarter};
use super::targets::Targets;
use crate::domain::Severity;
use chrono::NaiveDate;

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
