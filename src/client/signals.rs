//! The monitoring signals attached to an incident (`GET /incidents/{id}/signals`), and the
//! links they carry: a runbook, a dashboard, the alert's source graph, the Alertmanager
//! that sent it. A commander reaches for these first, so the console lists them and copies
//! one with `y`.
//!
//! Every text is sanitized while the record is read (like the client's other types), and a
//! link is only ever an `http`/`https` URL as the `url` crate serializes it: ASCII, with an
//! international host in its punycode form, so a look-alike host shows as what it is.
use crate::domain::Signal;
use crate::sanitize::{Sanitize, clean_line, clean_text};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// One stored signal, as the server lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SignalRecord {
    pub received_at: DateTime<Utc>,
    pub signal: Signal,
}

impl Sanitize for SignalRecord {
    fn sanitize(&mut self) {
        let s = &mut self.signal;
        s.group_key = clean_line(&s.group_key);
        s.alert_names = s.alert_names.iter().map(|n| clean_line(n)).collect();
        s.firing = s.firing.iter().map(|f| clean_line(f)).collect();
        s.title = clean_line(&s.title);
        s.summary = clean_text(&s.summary);
        s.external_url = clean_line(&s.external_url);
        for a in &mut s.alerts {
            let clean = |m: &std::collections::BTreeMap<String, String>| {
                m.iter()
                    .map(|(k, v)| (clean_line(k), clean_line(v)))
                    .collect()
            };
            a.labels = clean(&a.labels);
            a.annotations = clean(&a.annotations);
            a.generator_url = clean_line(&a.generator_url);
            a.fingerprint = clean_line(&a.fingerprint);
            a.ends_at = a.ends_at.as_deref().map(clean_line);
        }
    }
}

/// A link found on an incident's signals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// What it is: `runbook`, `dashboard` (an annotation's name without `_url`), `source`
    /// (the alert's generatorURL), `alertmanager` (the notification's externalURL).
    pub label: String,
    /// The alert it came from (its `alertname`), or empty for the Alertmanager link.
    pub alert: String,
    /// An `http`/`https` URL, serialized by the `url` crate (ASCII only).
    pub url: String,
}

/// URLs longer than this are not offered: no runbook needs one, and a screenful of URL is
/// more likely a payload than a link.
pub const MAX_URL: usize = 2048;

/// `raw` as a link to offer, or `None` when it is not one `http`/`https` URL with a host.
pub fn web_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    // A value with spaces is prose that mentions a URL, not a link.
    if raw.is_empty() || raw.len() > MAX_URL || raw.chars().any(char::is_whitespace) {
        return None;
    }
    let url = reqwest::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    let s = url.as_str();
    (s.len() <= MAX_URL && s.is_ascii() && !s.chars().any(|c| c.is_ascii_control()))
        .then(|| s.to_string())
}

/// An annotation's name as a label: `runbook_url` → `runbook`, `dashboardURL` → `dashboard`.
fn label_of(key: &str) -> String {
    let k = key.trim();
    let lower = k.to_ascii_lowercase();
    let cut = ["_url", "-url", "url"]
        .iter()
        .find(|s| lower.len() > s.len() && lower.ends_with(*s))
        .map_or(k.len(), |s| k.len() - s.len());
    match &k[..cut] {
        "" => k.to_string(),
        // PagerDuty's name for the incident's own page.
        "html" | "html_" => "incident page".to_string(),
        label => label.to_string(),
    }
}

/// Every distinct link on `signals`, most useful first: runbooks, then the other annotated
/// links (dashboards, PagerDuty's `html_url`, …), then each alert's source, then the
/// Alertmanager. Within a kind, in the order the signals arrived; a URL is listed once.
pub fn links(signals: &[SignalRecord]) -> Vec<Link> {
    let mut found: Vec<(u8, Link)> = Vec::new();
    for rec in signals {
        for alert in &rec.signal.alerts {
            let name = alert.labels.get("alertname").cloned().unwrap_or_default();
            for (key, value) in &alert.annotations {
                if let Some(url) = web_url(value) {
                    let label = label_of(key);
                    let rank = if label.to_ascii_lowercase().contains("runbook") {
                        0
                    } else {
                        1
                    };
                    found.push((
                        rank,
                        Link {
                            label,
                            alert: name.clone(),
                            url,
                        },
                    ));
                }
            }
            if let Some(url) = web_url(&alert.generator_url) {
                found.push((
                    2,
                    Link {
                        label: "source".into(),
                        alert: name.clone(),
                        url,
                    },
                ));
            }
        }
        if let Some(url) = web_url(&rec.signal.external_url) {
            found.push((
                3,
                Link {
                    label: "alertmanager".into(),
                    alert: String::new(),
                    url,
                },
            ));
        }
    }
    // Stable: arrival order within a kind.
    found.sort_by_key(|(rank, _)| *rank);
    let mut seen = std::collections::HashSet::new();
    found
        .into_iter()
        .map(|(_, l)| l)
        .filter(|l| seen.insert(l.url.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(annotations: serde_json::Value, generator: &str) -> SignalRecord {
        let mut r: SignalRecord = serde_json::from_value(serde_json::json!({
            "received_at": "2026-11-29T09:00:00.000Z",
            "signal": {
                "group_key": "{}:{alertname=\"HighErrorRate\"}",
                "status": "firing",
                "alert_names": ["HighErrorRate"],
                "firing": ["f1"],
                "severity": "SEV1",
                "title": "HighErrorRate",
                "summary": "",
                "external_url": "http://alertmanager:9093",
                "alerts": [{
                    "status": "firing",
                    "labels": {"alertname": "HighErrorRate\u{1b}[31m"},
                    "annotations": annotations,
                    "startsAt": "2026-11-29T08:59:00Z",
                    "generatorURL": generator,
                    "fingerprint": "f1"
                }]
            }
        }))
        .unwrap();
        r.sanitize();
        r
    }

    #[test]
    fn links_are_runbooks_first_then_annotations_sources_and_alertmanager() {
        let r = record(
            serde_json::json!({
                "summary": "see https://not-a-link.example in prose",
                "dashboard": "https://grafana.example/d/abc",
                "runbook_url": "https://runbooks.example/checkout",
                "html_url": "https://acme.pagerduty.com/incidents/Q1",
            }),
            "http://prometheus:9090/graph?g0.expr=up",
        );
        let got: Vec<(String, String, String)> = links(&[r.clone(), r])
            .into_iter()
            .map(|l| (l.label, l.alert, l.url))
            .collect();
        let l = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            got,
            vec![
                l(
                    "runbook",
                    "HighErrorRate",
                    "https://runbooks.example/checkout"
                ),
                l(
                    "dashboard",
                    "HighErrorRate",
                    "https://grafana.example/d/abc"
                ),
                l(
                    "incident page",
                    "HighErrorRate",
                    "https://acme.pagerduty.com/incidents/Q1"
                ),
                l(
                    "source",
                    "HighErrorRate",
                    "http://prometheus:9090/graph?g0.expr=up"
                ),
                l("alertmanager", "", "http://alertmanager:9093/"),
            ]
        );
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_links() {
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://files.example/x",
            "data:text/html,<b>x</b>",
            "https://",
            "mailto:oncall@example.com",
            "runbooks/checkout",
            "https://a.example/x y",
            "",
        ] {
            assert_eq!(web_url(bad), None, "{bad:?}");
        }
        assert_eq!(
            web_url(&format!("https://a.example/{}", "x".repeat(MAX_URL))),
            None
        );
        // International hosts read as punycode: a look-alike cannot pass for the real one.
        assert_eq!(
            web_url("https://pаypal.example/login").as_deref(),
            Some("https://xn--pypal-4ve.example/login")
        );
        assert_eq!(
            web_url(" HTTPS://Runbooks.Example/a ").as_deref(),
            Some("https://runbooks.example/a")
        );
    }

    #[test]
    fn escape_sequences_never_survive_into_a_link_or_its_label() {
        let r = record(
            serde_json::json!({
                "runbook\u{1b}]52;c;eA==\u{7}_url": "https://runbooks.example/\u{1b}[2Jcheckout\u{202e}",
            }),
            "",
        );
        let l = links(&[r]);
        assert_eq!(l[0].label, "runbook");
        assert_eq!(l[0].alert, "HighErrorRate");
        assert!(l[0].url.starts_with("https://runbooks.example/"), "{l:?}");
        assert!(l[0].url.is_ascii() && !l[0].url.contains('\u{1b}'), "{l:?}");
        // No generatorURL: only the runbook and the Alertmanager.
        assert_eq!(l.len(), 2, "{l:?}");
    }
}
