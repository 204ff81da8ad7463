//! Signals from monitoring: Prometheus Alertmanager's webhook (payload version 4), mapped to
//! what sitrep needs to open or annotate an incident. Pure: no HTTP or storage here.
use super::{DomainError, NewIncident, Severity, limits};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Alertmanager's webhook body. Unknown fields are ignored: Alertmanager may add some.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerWebhook {
    /// `4` for current Alertmanager releases.
    #[schema(pattern = "^4$")]
    pub version: String,
    /// Identifies the alert group; repeated notifications for a group share it.
    #[schema(min_length = 1, pattern = r"\S")]
    pub group_key: String,
    #[serde(default, deserialize_with = "super::whole_count")]
    #[schema(value_type = i64, minimum = 0)]
    pub truncated_alerts: u64,
    pub status: AlertStatus,
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
    #[schema(min_items = 1)]
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: AlertStatus,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    /// `0001-01-01T00:00:00Z` while firing. Kept as sent: sitrep does not read it, so an
    /// odd value must not cost the whole notification.
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
}

/// How the `severity` label maps to SEV levels; `default` covers a missing or unknown label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityMap {
    pub by_label: BTreeMap<String, Severity>,
    pub default: Severity,
}

impl Default for SeverityMap {
    fn default() -> Self {
        let by_label = [
            ("critical", Severity::Sev1),
            ("warning", Severity::Sev3),
            ("info", Severity::Sev4),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self {
            by_label,
            default: Severity::Sev3,
        }
    }
}

impl SeverityMap {
    /// Parses `critical=SEV1,warning=SEV3,info=SEV4,*=SEV3` (`*` sets the default).
    pub fn parse(spec: &str) -> Result<SeverityMap, String> {
        let mut map = SeverityMap {
            by_label: BTreeMap::new(),
            default: Severity::Sev3,
        };
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (label, sev) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not label=SEVn"))?;
            let sev: Severity = sev.trim().to_ascii_uppercase().parse()?;
            match label.trim() {
                "*" => map.default = sev,
                l => {
                    map.by_label.insert(l.to_ascii_lowercase(), sev);
                }
            }
        }
        Ok(map)
    }

    pub fn severity(&self, label: Option<&str>) -> Severity {
        label
            .and_then(|l| self.by_label.get(&l.to_ascii_lowercase()).copied())
            .unwrap_or(self.default)
    }
}

/// What one notification says, reduced to what the incident needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Signal {
    pub group_key: String,
    pub status: AlertStatus,
    /// Distinct alert names in the notification, sorted.
    pub alert_names: Vec<String>,
    /// Fingerprints of the alerts still firing, sorted: a repeat notification has the same.
    pub firing: Vec<String>,
    pub severity: Severity,
    pub title: String,
    pub summary: String,
    pub external_url: String,
    /// The alerts as Alertmanager sent them: labels and annotations are kept.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Alert>,
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl AlertmanagerWebhook {
    pub fn to_signal(&self, map: &SeverityMap) -> Result<Signal, DomainError> {
        if self.version != "4" {
            return Err(DomainError::invalid(
                "version",
                format!(
                    "webhook payload version {:?} is not supported; Alertmanager sends \"4\"",
                    self.version
                ),
            ));
        }
        if self.group_key.trim().is_empty() {
            return Err(DomainError::invalid(
                "groupKey",
                "groupKey must not be empty",
            ));
        }
        // Alertmanager never sends an empty group; one that arrives says nothing about what
        // is wrong and must not open an incident titled after nothing.
        if self.alerts.is_empty() {
            return Err(DomainError::invalid(
                "alerts",
                "the notification has no alerts; nothing to open or attach",
            ));
        }
        for (i, a) in self.alerts.iter().enumerate() {
            super::dates::check_time(&format!("alerts[{i}].startsAt"), a.starts_at)?;
        }
        let mut alert_names: Vec<String> = self
            .alerts
            .iter()
            .filter_map(|a| a.labels.get("alertname").cloned())
            .chain(self.common_labels.get("alertname").cloned())
            .collect();
        alert_names.sort();
        alert_names.dedup();
        let mut firing: Vec<String> = self
            .alerts
            .iter()
            .filter(|a| a.status == AlertStatus::Firing)
            .map(|a| a.fingerprint.clone())
            .collect();
        firing.sort();
        // The most severe firing alert decides; with none firing, the common label does.
        let severity = self
            .alerts
            .iter()
            .filter(|a| a.status == AlertStatus::Firing)
            .map(|a| map.severity(a.labels.get("severity").map(String::as_str)))
            .min()
            .unwrap_or_else(|| {
                map.severity(self.common_labels.get("severity").map(String::as_str))
            });
        let first = self.alerts.first();
        let annotation = |key: &str| {
            self.common_annotations
                .get(key)
                .or_else(|| first.and_then(|a| a.annotations.get(key)))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let name = match alert_names.as_slice() {
            [] => "Alert".to_string(),
            [one] => one.clone(),
            [one, rest @ ..] => format!("{one} +{} more", rest.len()),
        };
        let title = match annotation("summary") {
            Some(s) => format!("{name}: {s}"),
            None => name,
        };
        let summary = [annotation("summary"), annotation("description")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n\n");
        // Alertmanager defines a group as firing while any of its alerts fires; a payload
        // that says "firing" with every alert resolved (hand-written, or replayed out of
        // order) must not open an incident about alerts that have stopped.
        let status = if firing.is_empty() {
            AlertStatus::Resolved
        } else {
            AlertStatus::Firing
        };
        Ok(Signal {
            group_key: self.group_key.clone(),
            status,
            alert_names,
            firing,
            severity,
            title: cut(&title, limits::TITLE),
            summary: cut(&summary, limits::LONG_TEXT),
            external_url: self.external_url.clone(),
            alerts: self.alerts.clone(),
        })
    }
}

impl Signal {
    /// The incident a firing group opens: in Detection, source `alertmanager`.
    pub fn new_incident(&self) -> NewIncident {
        NewIncident {
            summary: Some(self.summary.clone()),
            source: Some("alertmanager".into()),
            ..NewIncident::new(self.title.clone(), self.severity)
        }
    }

    /// One line for the timeline.
    pub fn describe(&self) -> String {
        let state = match self.status {
            AlertStatus::Firing => format!(
                "firing ({} alert{})",
                self.firing.len(),
                if self.firing.len() == 1 { "" } else { "s" }
            ),
            AlertStatus::Resolved => "resolved".to_string(),
        };
        format!("Alertmanager {state}: {}", self.alert_names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(status: &str, severity: &str) -> AlertmanagerWebhook {
        serde_json::from_value(serde_json::json!({
            "version": "4",
            "groupKey": "{}:{alertname=\"HighErrorRate\"}",
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "sitrep",
            "groupLabels": {"alertname": "HighErrorRate"},
            "commonLabels": {"alertname": "HighErrorRate", "service": "checkout"},
            "commonAnnotations": {"summary": "Checkout 5xx above 5%", "description": "p95 error ratio 7.2% for 10m"},
            "externalURL": "http://alertmanager:9093",
            "alerts": [{
                "status": status,
                "labels": {"alertname": "HighErrorRate", "severity": severity, "instance": "web-1"},
                "annotations": {"summary": "Checkout 5xx above 5%"},
                "startsAt": "2026-11-29T05:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "a1b2c3"
            }]
        }))
        .unwrap()
    }

    #[test]
    fn maps_severity_title_and_summary() {
        let s = payload("firing", "critical")
            .to_signal(&SeverityMap::default())
            .unwrap();
        assert_eq!(s.severity, Severity::Sev1);
        assert_eq!(s.title, "HighErrorRate: Checkout 5xx above 5%");
        assert_eq!(
            s.summary,
            "Checkout 5xx above 5%\n\np95 error ratio 7.2% for 10m"
        );
        assert_eq!(s.firing, vec!["a1b2c3"]);
        assert_eq!(
            payload("firing", "warning")
                .to_signal(&SeverityMap::default())
                .unwrap()
                .severity,
            Severity::Sev3
        );
        assert_eq!(
            payload("firing", "page-me")
                .to_signal(&SeverityMap::default())
                .unwrap()
                .severity,
            Severity::Sev3
        );
    }

    #[test]
    fn severity_map_is_configurable() {
        let map = SeverityMap::parse("critical=SEV2, warning=sev4, *=SEV4").unwrap();
        assert_eq!(
            payload("firing", "critical")
                .to_signal(&map)
                .unwrap()
                .severity,
            Severity::Sev2
        );
        assert_eq!(
            payload("firing", "other").to_signal(&map).unwrap().severity,
            Severity::Sev4
        );
        assert!(SeverityMap::parse("critical").is_err());
        assert!(SeverityMap::parse("critical=SEV9").is_err());
    }

    #[test]
    fn refuses_other_payload_versions() {
        let mut p = payload("firing", "critical");
        p.version = "3".into();
        assert_eq!(
            p.to_signal(&SeverityMap::default())
                .unwrap_err()
                .field
                .as_deref(),
            Some("version")
        );
    }
}
