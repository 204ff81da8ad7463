//! What a delivery's body is: the Standard Webhooks envelope around the event's record, or
//! a Slack incoming-webhook message (`text` + `blocks`) for the events a channel cares
//! about.
use crate::domain::{Audience, Incident, StatusUpdate, TimelineEntry};
use crate::server::store::LoggedEvent;
use serde_json::{Value, json};

/// `{"type": kind, "timestamp": when it happened, "data": the record}`: the envelope the
/// specification recommends; `data` is the entity as the event stream sends it.
pub fn standard(ev: &LoggedEvent) -> Result<Vec<u8>, serde_json::Error> {
    let data = serde_json::value::RawValue::from_string(ev.data.clone())?;
    serde_json::to_vec(&json!({
        "type": ev.kind,
        "timestamp": ev.at,
        "data": data,
    }))
}

/// Escapes text from users for Slack mrkdwn: `&`, `<` and `>` are its control characters
/// (links, mentions), so a title cannot ping a channel or disguise a link.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::sanitize::clean_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// One readable line for a chat channel, or None for an event a channel does not need.
/// `changes` are the timeline entries written with the event (what changed, and why).
pub fn slack_line(ev: &LoggedEvent, changes: &[TimelineEntry]) -> Option<String> {
    let data: Value = serde_json::from_str(&ev.data).ok()?;
    match ev.kind.as_str() {
        "incident.created" => {
            let inc: Incident = serde_json::from_value(data).ok()?;
            (inc.severity == crate::domain::Severity::Sev1).then(|| {
                format!(
                    ":rotating_light: New *SEV1* {}: {}",
                    escape(&inc.id),
                    escape(&inc.title)
                )
            })
        }
        "incident.updated" => {
            let inc: Incident = serde_json::from_value(data).ok()?;
            let mut parts = Vec::new();
            for c in changes {
                let reason = c
                    .reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                    .map(|r| format!(" — reason: {}", escape(r)))
                    .unwrap_or_default();
                match c.field.as_deref() {
                    Some("severity") => parts.push(format!(
                        "severity {} → *{}*{reason}",
                        escape(c.old.as_deref().unwrap_or("?")),
                        escape(c.new.as_deref().unwrap_or("?"))
                    )),
                    Some("phase") => parts.push(format!(
                        "phase {} → *{}*{reason}",
                        escape(c.old.as_deref().unwrap_or("?")),
                        escape(c.new.as_deref().unwrap_or("?"))
                    )),
                    _ => {}
                }
            }
            (!parts.is_empty()).then(|| {
                format!(
                    "{} {}: {}",
                    escape(&inc.id),
                    escape(&inc.title),
                    parts.join("; ")
                )
            })
        }
        "update.posted" => {
            let u: StatusUpdate = serde_json::from_value(data).ok()?;
            (u.audience == Audience::Customer).then(|| {
                format!(
                    ":mega: Customer update on {} — *Impact:* {} *Status:* {} *Next:* {}",
                    escape(&u.incident_id),
                    escape(&u.impact_scope),
                    escape(&u.current_status),
                    escape(&u.next_steps)
                )
            })
        }
        _ => None,
    }
}

/// A line about a customer update that is now overdue.
pub fn slack_overdue_line(inc: &Incident) -> String {
    format!(
        ":warning: Customer update *OVERDUE* on {} {}: {}",
        escape(&inc.id),
        inc.severity,
        escape(&inc.title)
    )
}

/// The Slack message for a line: `text` (for notifications) and one mrkdwn section, with
/// a link to the status page when one is configured.
pub fn slack_message(line: &str, status_page: Option<&str>) -> Vec<u8> {
    let mut text = line.to_string();
    if let Some(url) = status_page {
        // The URL is the operator's configuration, not user text; `|` and `>` would still
        // end the link early, so they are percent-encoded.
        let url = url.replace('|', "%7C").replace('>', "%3E");
        text.push_str(&format!(" (<{url}|status page>)"));
    }
    serde_json::to_vec(&json!({
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_mention_or_link() {
        assert_eq!(
            escape("<!channel> & <https://evil|click>"),
            "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;"
        );
    }

    #[test]
    fn a_customer_update_reads_as_one_line_with_its_three_parts() {
        let ev = LoggedEvent {
            seq: 1,
            at: "2026-01-01T00:00:00.000Z".into(),
            kind: "update.posted".into(),
            incident_id: "INC-1".into(),
            data: json!({"id": "UPD-1", "incident_id": "INC-1", "audience": "customer",
                "impact_scope": "EU <checkout>", "current_status": "Failing over",
                "next_steps": "Watch", "author": "cora", "posted_at": "2026-01-01T00:00:00Z",
                "next_update_due_at": null})
            .to_string(),
        };
        let line = slack_line(&ev, &[]).unwrap();
        assert_eq!(
            line,
            ":mega: Customer update on INC-1 — *Impact:* EU &lt;checkout&gt; *Status:* Failing over *Next:* Watch"
        );
        let msg: Value =
            serde_json::from_slice(&slack_message(&line, Some("https://status.example"))).unwrap();
        assert!(
            msg["text"]
                .as_str()
                .unwrap()
                .ends_with("(<https://status.example|status page>)")
        );
        assert_eq!(msg["blocks"][0]["text"]["type"], "mrkdwn");
    }
}
