//! The policy's targets a period is measured against. The customer-update cadence is the
//! domain's ([`Cadence`]); the policy names no number for acknowledging and recovering, so
//! sitrep states its own defaults here (and in docs/review.md).
use crate::domain::{Cadence, Severity};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Targets {
    /// The first customer update is due this long after customer impact starts, and each
    /// next one this long after the last (unless the update promised another time).
    pub cadence: Cadence,
    /// Detection → triage, minutes, SEV1 to SEV4.
    pub acknowledge_minutes: [u32; 4],
    /// Declaration → post-incident follow-through (risk resolved), minutes, SEV1 to SEV4.
    pub recovery_minutes: [u32; 4],
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            cadence: Cadence::default(),
            // 15 min, 30 min, 4 h, 1 day.
            acknowledge_minutes: [15, 30, 240, 1440],
            // 4 h, 8 h, 3 days, 10 days.
            recovery_minutes: [240, 480, 4320, 14400],
        }
    }
}

impl Targets {
    fn index(s: Severity) -> usize {
        usize::from(s.level() - 1)
    }

    pub fn acknowledge_secs(&self, s: Severity) -> Option<i64> {
        Some(i64::from(self.acknowledge_minutes[Self::index(s)]) * 60)
    }

    pub fn recovery_secs(&self, s: Severity) -> Option<i64> {
        Some(i64::from(self.recovery_minutes[Self::index(s)]) * 60)
    }

    pub fn first_update_secs(&self, s: Severity) -> Option<i64> {
        self.cadence.interval(s).map(|d| d.num_seconds())
    }
}
