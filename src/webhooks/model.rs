//! What a webhook subscription is, as stored and as the API shows it (never its secret).
use crate::protocol::EventKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How deliveries are shaped: the Standard Webhooks envelope, or a Slack incoming-webhook
/// message (which Mattermost and Rocket.Chat also accept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Standard,
    Slack,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Standard => "standard",
            Format::Slack => "slack",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "standard" => Some(Format::Standard),
            "slack" => Some(Format::Slack),
            _ => None,
        }
    }
}

/// `ok`, or `failing`: deliveries stopped after failing for longer than the give-up time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Ok,
    Failing,
}

/// A subscription as the API lists it. The secret is deliberately not a field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    /// `WH-<n>`.
    pub id: String,
    pub url: String,
    /// Event patterns, e.g. `["incident.*", "update.posted"]`.
    pub events: Vec<String>,
    pub format: Format,
    pub state: State,
    /// The last event-log id delivered (or skipped as not matching).
    pub cursor: i64,
    pub created_at: String,
    pub created_by: String,
    /// Since when the event at the cursor has been failing (absent when none is).
    pub failing_since: Option<String>,
    /// The last delivery failure, in a sentence (status or connection error).
    pub last_error: Option<String>,
    pub last_success_at: Option<String>,
}

/// The body of `POST /webhooks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to POST deliveries: http or https, not this server's own listener.
    pub url: String,
    /// Event patterns: an event kind (`update.posted`), a family (`incident.*`) or `*`.
    pub events: Vec<String>,
    #[serde(default)]
    pub format: Format,
    /// The signing secret, `whsec_` followed by base64 of 24-64 random bytes.
    pub secret: String,
}

/// One delivery attempt, for `sitrep webhook deliveries`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub event_id: i64,
    pub kind: String,
    /// 1 for the first attempt of this event.
    pub attempt: i64,
    pub at: String,
    /// The receiver's HTTP status; absent when there was no answer.
    pub status: Option<i64>,
    pub error: Option<String>,
    pub ms: i64,
}

/// Whether an event kind matches one pattern: exact, `family.*`, or `*`.
pub fn matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix(".*") {
        _ if pattern == "*" => true,
        Some(family) => kind
            .strip_prefix(family)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == kind,
    }
}

/// Checks patterns against the kinds this server emits, so a typo is refused rather
/// than silently never matching. Returns them trimmed and without duplicates.
pub fn valid_patterns(raw: &[String]) -> Result<Vec<String>, String> {
    let kinds: Vec<&str> = EventKind::ALL
        .iter()
        .filter(|k| **k != EventKind::Reset)
        .map(|k| k.as_str())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for p in raw.iter().flat_map(|p| p.split(',')).map(str::trim) {
        if p.is_empty() {
            return Err("an event pattern is empty".into());
        }
        if !kinds.iter().any(|k| matches(p, k)) {
            return Err(format!(
                "{p:?} matches no event; use one of {}, a family such as incident.*, or *",
                kinds.join(", ")
            ));
        }
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    if out.is_empty() {
        return Err("name at least one event pattern, e.g. incident.*,update.posted".into());
    }
    if out.len() > 20 {
        return Err("at most 20 event patterns".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exact_kinds_families_and_everything() {
        assert!(matches("incident.*", "incident.updated"));
        assert!(!matches("incident.*", "incidentx.updated"));
        assert!(matches("update.posted", "update.posted"));
        assert!(!matches("update.posted", "update.postedx"));
        assert!(matches("*", "action.created"));
    }

    #[test]
    fn a_pattern_that_matches_nothing_is_refused() {
        let ok = valid_patterns(&["incident.*,update.posted".into()]).unwrap();
        assert_eq!(ok, ["incident.*", "update.posted"]);
        assert!(valid_patterns(&["incidents.*".into()]).is_err());
        assert!(valid_patterns(&["update.post".into()]).is_err());
        assert!(valid_patterns(&[]).is_err());
        assert!(valid_patterns(&["reset".into()]).is_err());
    }
}
