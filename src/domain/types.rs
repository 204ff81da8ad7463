use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use utoipa::ToSchema;

/// Generates `as_str`, `Display`, `FromStr` and `ALL` for a plain enum whose serde names
/// are the wire names, so the API, the database and the console spell values one way.
macro_rules! wire_enum {
    ($name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value {other:?}; expected one of: {}",
                        [$($wire),+].join(", ")
                    )),
                }
            }
        }
    };
}

/// SEV1 is the most severe. Ordering follows urgency: SEV1 < SEV2 sorts SEV1 first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub enum Severity {
    #[serde(rename = "SEV1")]
    Sev1,
    #[serde(rename = "SEV2")]
    Sev2,
    #[serde(rename = "SEV3")]
    Sev3,
    #[serde(rename = "SEV4")]
    Sev4,
}
wire_enum!(Severity { Sev1 => "SEV1", Sev2 => "SEV2", Sev3 => "SEV3", Sev4 => "SEV4" });

impl Severity {
    /// 1 for SEV1 … 4 for SEV4.
    pub fn level(self) -> u8 {
        self as u8 + 1
    }
}

/// Lifecycle phases, in the order an incident moves through them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Detection,
    Triage,
    Containment,
    Communication,
    FollowThrough,
    Closed,
}
wire_enum!(Phase {
    Detection => "detection",
    Triage => "triage",
    Containment => "containment",
    Communication => "communication",
    FollowThrough => "follow_through",
    Closed => "closed",
});

impl Phase {
    /// The name a person reads on the board.
    pub fn title(self) -> &'static str {
        match self {
            Phase::Detection => "Detection",
            Phase::Triage => "Triage",
            Phase::Containment => "Containment and recovery",
            Phase::Communication => "Communication",
            Phase::FollowThrough => "Post-incident follow-through",
            Phase::Closed => "Closed",
        }
    }

    pub fn next(self) -> Option<Phase> {
        Phase::ALL.get(self as usize + 1).copied()
    }

    pub fn previous(self) -> Option<Phase> {
        (self as usize).checked_sub(1).map(|i| Phase::ALL[i])
    }

    /// Whether the customer-impacting risk can still be live in this phase.
    pub fn is_active(self) -> bool {
        self < Phase::FollowThrough
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Internal,
    Customer,
}
wire_enum!(Audience { Internal => "internal", Customer => "customer" });

/// Where the affected system runs; it decides who owns runtime recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deployment {
    Hosted,
    SelfHosted,
}
wire_enum!(Deployment { Hosted => "hosted", SelfHosted => "self_hosted" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryOwner {
    Vendor,
    Customer,
}
wire_enum!(RecoveryOwner { Vendor => "vendor", Customer => "customer" });

impl Deployment {
    /// Hosted: the vendor owns infrastructure incidents and runtime recovery.
    /// Self-hosted: the customer does.
    pub fn recovery_owner(self) -> RecoveryOwner {
        match self {
            Deployment::Hosted => RecoveryOwner::Vendor,
            Deployment::SelfHosted => RecoveryOwner::Customer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    Cancelled,
}
wire_enum!(ActionStatus {
    Open => "open",
    InProgress => "in_progress",
    Done => "done",
    Cancelled => "cancelled",
});

impl ActionStatus {
    /// Open and in-progress actions still block closing an incident.
    pub fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    Medium,
    Low,
}
wire_enum!(Priority { High => "high", Medium => "medium", Low => "low" });

/// What a token may do. Ordered: each role can do everything the one before it can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Responder,
    Commander,
}
wire_enum!(Role { Viewer => "viewer", Responder => "responder", Commander => "commander" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_step_in_lifecycle_order() {
        assert_eq!(Phase::Detection.next(), Some(Phase::Triage));
        assert_eq!(Phase::FollowThrough.next(), Some(Phase::Closed));
        assert_eq!(Phase::Closed.next(), None);
        assert_eq!(Phase::Detection.previous(), None);
        assert_eq!(Phase::Communication.previous(), Some(Phase::Containment));
    }

    #[test]
    fn wire_names_round_trip() {
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), *s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for p in Phase::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert!("SEV5".parse::<Severity>().unwrap_err().contains("SEV1"));
    }

    #[test]
    fn hosted_means_vendor_recovers() {
        assert_eq!(Deployment::Hosted.recovery_owner(), RecoveryOwner::Vendor);
        assert_eq!(
            Deployment::SelfHosted.recovery_owner(),
            RecoveryOwner::Customer
        );
    }
}
