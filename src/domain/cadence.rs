use super::Severity;
use chrono::Duration;
use serde::{Deserialize, Serialize};

/// How often customer updates are due, per severity. `None` means no cadence (SEV4 default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cadence {
    pub sev1_minutes: Option<u32>,
    pub sev2_minutes: Option<u32>,
    pub sev3_minutes: Option<u32>,
    pub sev4_minutes: Option<u32>,
}

impl Default for Cadence {
    fn default() -> Self {
        Self {
            sev1_minutes: Some(30),
            sev2_minutes: Some(60),
            sev3_minutes: Some(240),
            sev4_minutes: None,
        }
    }
}

impl Cadence {
    pub fn minutes(&self, severity: Severity) -> Option<u32> {
        match severity {
            Severity::Sev1 => self.sev1_minutes,
            Severity::Sev2 => self.sev2_minutes,
            Severity::Sev3 => self.sev3_minutes,
            Severity::Sev4 => self.sev4_minutes,
        }
    }

    pub fn interval(&self, severity: Severity) -> Option<Duration> {
        self.minutes(severity)
            .map(|m| Duration::minutes(i64::from(m)))
    }
}
