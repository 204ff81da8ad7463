//! The moments a review measures an incident by: when it was acknowledged (it left
//! Detection), when customers first heard of it, and when it recovered (it moved past
//! Containment and recovery). Each is reached once per incident, however often the
//! incident moves back and forth between phases afterwards.
use super::{Phase, Severity};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Milestone {
    /// The first move out of Detection (detection → triage, or further).
    Acknowledged,
    /// The first customer update posted.
    FirstCustomerUpdate,
    /// The first move past Containment and recovery (to Communication, follow-through or
    /// Closed).
    Recovered,
}

/// A milestone an incident reached, at which severity, how long after it was declared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reached {
    pub milestone: Milestone,
    pub severity: Severity,
    pub seconds: f64,
}

impl Reached {
    /// `declared` → `at`; never negative (a clock step back between two writes).
    pub fn new(
        milestone: Milestone,
        severity: Severity,
        declared: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Reached {
        let seconds = (at - declared).num_milliseconds().max(0) as f64 / 1000.0;
        Reached {
            milestone,
            severity,
            seconds,
        }
    }
}

/// What the timeline says an incident's phase moves already did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseHistory {
    /// It left Detection before.
    pub acknowledged: bool,
    /// It moved past Containment before.
    pub recovered: bool,
}

/// Whether a move from `from` to `to` can reach a milestone at all (so the history need
/// only be read for those moves).
pub fn may_reach(from: Phase, to: Phase) -> bool {
    from != to && (from == Phase::Detection || crosses_recovery(from, to))
}

fn crosses_recovery(from: Phase, to: Phase) -> bool {
    from <= Phase::Containment && to > Phase::Containment
}

/// The milestones a move from `from` to `to` reaches for the first time.
pub fn reached_by_move(from: Phase, to: Phase, before: PhaseHistory) -> Vec<Milestone> {
    let mut reached = Vec::new();
    if from == to {
        return reached;
    }
    if from == Phase::Detection && !before.acknowledged {
        reached.push(Milestone::Acknowledged);
    }
    if crosses_recovery(from, to) && !before.recovered {
        reached.push(Milestone::Recovered);
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;
    use Milestone::*;
    use Phase::*;

    #[test]
    fn the_first_move_out_of_detection_acknowledges() {
        let none = PhaseHistory::default();
        assert_eq!(reached_by_move(Detection, Triage, none), vec![Acknowledged]);
        // Straight to recovery (a false alarm closed at once): both, once.
        assert_eq!(
            reached_by_move(Detection, Closed, none),
            vec![Acknowledged, Recovered]
        );
        assert!(reached_by_move(Triage, Containment, none).is_empty());
    }

    #[test]
    fn moving_back_and_forth_reaches_nothing_twice() {
        let seen = PhaseHistory {
            acknowledged: true,
            recovered: true,
        };
        assert!(reached_by_move(Detection, Triage, seen).is_empty());
        assert!(reached_by_move(Containment, Communication, seen).is_empty());
        // A reopened incident closed again was already recovered.
        assert!(reached_by_move(Triage, Closed, seen).is_empty());
    }

    #[test]
    fn recovery_is_leaving_containment_and_recovery() {
        let acked = PhaseHistory {
            acknowledged: true,
            recovered: false,
        };
        assert_eq!(
            reached_by_move(Containment, Communication, acked),
            vec![Recovered]
        );
        assert_eq!(
            reached_by_move(Triage, FollowThrough, acked),
            vec![Recovered]
        );
        assert!(reached_by_move(Communication, Closed, acked).is_empty());
        assert!(!may_reach(Communication, Closed));
        assert!(may_reach(Detection, Triage));
        assert!(!may_reach(Triage, Containment));
    }

    #[test]
    fn elapsed_time_is_from_declaration_and_never_negative() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let r = Reached::new(
            Acknowledged,
            Severity::Sev1,
            t0,
            t0 + chrono::Duration::seconds(90),
        );
        assert_eq!(r.seconds, 90.0);
        let r = Reached::new(
            Acknowledged,
            Severity::Sev1,
            t0,
            t0 - chrono::Duration::seconds(5),
        );
        assert_eq!(r.seconds, 0.0);
    }
}
