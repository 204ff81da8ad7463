//! A quarter of incidents with known timings (2026-07-01 … 2026-09-30, seen on 2026-10-01
//! 12:00 UTC): the fixture of the figures' unit tests, the review view's snapshots and the
//! check that the view and the evidence export agree.
use super::figures::{Period, Record};
use crate::domain::{
    ActionStatus, Audience, Cadence, CorrectiveAction, Deployment, Incident, NewIncident, Phase,
    Priority, RiskException, Severity, StatusUpdate, TimelineEntry,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
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
pub fn quarter() -> (Vec<Record>, Period, DateTime<Utc>) {
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
