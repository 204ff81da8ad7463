//! Pure mapping between PagerDuty's REST API v2 shapes and sitrep's domain. No HTTP here, so
//! every rule is a unit test.
//!
//! | PagerDuty | sitrep |
//! |---|---|
//! | `status` triggered / acknowledged / resolved | Detection / Triage / Post-incident follow-through |
//! | `priority` (the account's order from `GET /priorities`) | 1st → SEV1, 2nd → SEV2, 3rd → SEV3, the rest → SEV4 |
//! | no priority: `urgency` high / low | SEV2 / SEV4 |
//! | last acknowledger | commander |
//! | assignees | role `assignee` |
//! | `title`, `created_at` | title, started |
//! | service, `#number`, urgency, priority | summary |
use crate::domain::{
    Audience, Deployment, Incident, IncidentPatch, Phase, RecoveryOwner, Severity,
};
use crate::domain::{StatusUpdate, TimelineEntry};
use crate::sanitize::{clean_line, clean_text};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A reference to another PagerDuty object (`user_reference`, `service_reference`, …).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Reference {
    #[serde(default)]
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub summary: Option<String>,
}

impl Reference {
    fn label(&self) -> Option<String> {
        self.summary
            .as_deref()
            .map(clean_line)
            .filter(|s| !s.trim().is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Assignment {
    pub assignee: Reference,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Acknowledgement {
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    pub acknowledger: Reference,
}

/// A priority as an incident carries it, or as `GET /priorities` lists it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PdPriority {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

impl PdPriority {
    pub fn label(&self) -> String {
        clean_line(
            self.name
                .as_deref()
                .or(self.summary.as_deref())
                .unwrap_or(&self.id),
        )
    }
}

/// The fields of PagerDuty's `Incident` schema that sitrep reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PdIncident {
    pub id: String,
    #[serde(default)]
    pub incident_number: Option<u64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    pub status: String,
    #[serde(default)]
    pub urgency: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_status_change_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub service: Option<Reference>,
    #[serde(default)]
    pub priority: Option<PdPriority>,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    #[serde(default)]
    pub acknowledgements: Vec<Acknowledgement>,
}

/// The account's priorities, most severe first (the order `GET /priorities` returns).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Priorities(pub Vec<PdPriority>);

impl Priorities {
    /// The severity a priority stands for: its place in the account's order.
    pub fn severity_of(&self, id: &str) -> Option<Severity> {
        let i = self.0.iter().position(|p| p.id == id)?;
        Some(match i {
            0 => Severity::Sev1,
            1 => Severity::Sev2,
            2 => Severity::Sev3,
            _ => Severity::Sev4,
        })
    }

    /// The priority to set for a severity: SEV n is the n-th priority. SEV4 is the 4th
    /// (the most severe of "the rest", so a round trip lands on SEV4 again).
    pub fn for_severity(&self, s: Severity) -> Option<&PdPriority> {
        self.0.get(s as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn phase(status: &str) -> Phase {
    match status {
        "acknowledged" => Phase::Triage,
        "resolved" => Phase::FollowThrough,
        // "triggered", and any status PagerDuty adds later: it still needs someone.
        _ => Phase::Detection,
    }
}

/// Priority first (the account's own ranking); without one, urgency: high → SEV2 (it pages
/// someone now, but says nothing about customer impact, so it does not claim SEV1), low →
/// SEV4 (nobody is paged); neither → SEV3.
pub fn severity(inc: &PdIncident, priorities: &Priorities) -> Severity {
    if let Some(s) = inc
        .priority
        .as_ref()
        .and_then(|p| priorities.severity_of(&p.id))
    {
        return s;
    }
    match inc.urgency.as_deref() {
        Some("high") => Severity::Sev2,
        Some("low") => Severity::Sev4,
        _ => Severity::Sev3,
    }
}

/// The person in charge: whoever acknowledged last.
pub fn commander(inc: &PdIncident) -> Option<String> {
    let mut acks: Vec<&Acknowledgement> = inc.acknowledgements.iter().collect();
    acks.sort_by_key(|a| a.at);
    acks.last().and_then(|a| a.acknowledger.label())
}

/// The sitrep view of a PagerDuty incident. `version` comes from the caller (see
/// [`Versions`]); every string passes [`crate::sanitize`].
pub fn incident(inc: &PdIncident, priorities: &Priorities, version: i64) -> Incident {
    let title = inc
        .title
        .as_deref()
        .or(inc.summary.as_deref())
        .unwrap_or("(untitled PagerDuty incident)");
    let mut summary = Vec::new();
    if let Some(n) = inc.incident_number {
        summary.push(format!("PagerDuty #{n}"));
    }
    if let Some(s) = inc.service.as_ref().and_then(Reference::label) {
        summary.push(format!("service {s}"));
    }
    if let Some(u) = &inc.urgency {
        summary.push(format!("urgency {}", clean_line(u)));
    }
    if let Some(p) = &inc.priority {
        summary.push(format!("priority {}", p.label()));
    }
    let mut roles = BTreeMap::new();
    let assignees: Vec<String> = inc
        .assignments
        .iter()
        .filter_map(|a| a.assignee.label())
        .collect();
    if !assignees.is_empty() {
        roles.insert("assignee".to_string(), assignees.join(", "));
    }
    Incident {
        id: clean_line(&inc.id),
        title: clean_line(title),
        summary: clean_text(&summary.join(" · ")),
        severity: severity(inc, priorities),
        phase: phase(&inc.status),
        commander: commander(inc),
        roles,
        customer_impact: false,
        impact_scope: String::new(),
        deployment: Deployment::Hosted,
        recovery_owner: RecoveryOwner::Vendor,
        source: "pagerduty".into(),
        created_at: inc.created_at,
        updated_at: inc
            .updated_at
            .or(inc.last_status_change_at)
            .unwrap_or(inc.created_at),
        last_customer_update_at: None,
        next_update_due_at: None,
        update_overdue: false,
        version,
    }
}

/// Gives each incident a version that grows whenever what sitrep shows of it changes
/// (PagerDuty has no version numbers): the console keeps an event only if its version is
/// newer than the one it holds.
#[derive(Debug, Default)]
pub struct Versions {
    seen: std::collections::HashMap<String, (Incident, i64)>,
}

impl Versions {
    /// The mapped incident with its version, and whether it is new or changed. A change of
    /// `updated_at` alone (a note was added) is not a change: it would only turn the next
    /// edit based on the console's copy into a needless conflict.
    pub fn stamp(&mut self, mut inc: Incident) -> (Incident, bool) {
        inc.version = 0;
        let floor = inc.updated_at.timestamp_millis().max(1);
        match self.seen.get_mut(&inc.id) {
            Some((old, v))
                if Incident {
                    updated_at: inc.updated_at,
                    ..old.clone()
                } == inc =>
            {
                *old = inc.clone();
                inc.version = *v;
                (inc, false)
            }
            Some((old, v)) => {
                *v = (*v + 1).max(floor);
                *old = inc.clone();
                inc.version = *v;
                (inc, true)
            }
            None => {
                self.seen.insert(inc.id.clone(), (inc.clone(), floor));
                inc.version = floor;
                (inc, true)
            }
        }
    }

    pub fn current(&self, id: &str) -> Option<Incident> {
        self.seen.get(id).map(|(inc, v)| Incident {
            version: *v,
            ..inc.clone()
        })
    }
}

/// The fields of PagerDuty's `IncidentNote` that sitrep reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PdNote {
    pub id: String,
    #[serde(default)]
    pub user: Option<Reference>,
    #[serde(default)]
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// A note is an internal update: its text is the current status.
pub fn note_update(incident_id: &str, n: &PdNote) -> StatusUpdate {
    StatusUpdate {
        id: clean_line(&n.id),
        incident_id: clean_line(incident_id),
        audience: Audience::Internal,
        impact_scope: String::new(),
        current_status: clean_text(&n.content),
        next_steps: String::new(),
        author: n
            .user
            .as_ref()
            .and_then(Reference::label)
            .unwrap_or_else(|| "PagerDuty".into()),
        posted_at: n.created_at,
        next_update_due_at: None,
    }
}

/// The fields of PagerDuty's `StatusUpdate` that sitrep reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PdStatusUpdate {
    pub id: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub sender: Option<Reference>,
}

/// The text of an internal update, as a PagerDuty note: the status, then scope and next
/// steps when given.
pub fn note_content(impact_scope: &str, current_status: &str, next_steps: &str) -> String {
    let mut s = current_status.trim().to_string();
    if !impact_scope.trim().is_empty() {
        s.push_str(&format!("\nImpact: {}", impact_scope.trim()));
    }
    if !next_steps.trim().is_empty() {
        s.push_str(&format!("\nNext steps: {}", next_steps.trim()));
    }
    s
}

/// The message of a customer status update: the three things every customer update states.
pub fn status_message(
    impact_scope: &str,
    current_status: &str,
    next_steps: &str,
    next_update_in_minutes: Option<u32>,
) -> String {
    let mut s = format!(
        "Impact: {}\nCurrent status: {}\nNext steps: {}",
        impact_scope.trim(),
        current_status.trim(),
        next_steps.trim()
    );
    if let Some(m) = next_update_in_minutes {
        s.push_str(&format!("\nNext update in {m} minutes."));
    }
    s
}

/// The fields of PagerDuty's log entries (every `*_log_entry` type) that sitrep reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PdLogEntry {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub summary: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub agent: Option<Reference>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Log entries (as PagerDuty lists them, newest first) as a timeline, oldest first; entries
/// in the same second keep PagerDuty's order.
pub fn timeline(incident_id: &str, entries: &[PdLogEntry]) -> Vec<TimelineEntry> {
    let mut sorted: Vec<&PdLogEntry> = entries.iter().rev().collect();
    sorted.sort_by_key(|e| e.created_at);
    sorted
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let kind = e.kind.strip_suffix("_log_entry").unwrap_or(&e.kind);
            TimelineEntry {
                seq: i as i64 + 1,
                incident_id: clean_line(incident_id),
                at: e.created_at,
                actor: e
                    .agent
                    .as_ref()
                    .and_then(Reference::label)
                    .unwrap_or_else(|| "PagerDuty".into()),
                kind: clean_line(kind),
                field: None,
                old: None,
                new: None,
                reason: e.note.as_deref().map(clean_line).filter(|s| !s.is_empty()),
                note: e.summary.as_deref().map(clean_line),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pd(v: serde_json::Value) -> PdIncident {
        let mut base = json!({
            "id": "PT4KHLK", "type": "incident", "incident_number": 1234,
            "title": "The server is on fire.", "status": "triggered", "urgency": "high",
            "created_at": "2015-10-06T21:30:42Z", "updated_at": "2015-10-06T21:40:23Z",
            "service": {"id": "PIJ90N7", "type": "service_reference", "summary": "My Mail Service"},
            "assignments": [{"at": "2015-10-06T21:30:42Z", "assignee": {"id": "PXPGF42", "type": "user_reference", "summary": "Earline Greenholt"}}],
            "acknowledgements": []
        });
        for (k, val) in v.as_object().unwrap() {
            base[k] = val.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    fn prios() -> Priorities {
        Priorities(
            ["PSLWBL8", "P53ZZH5", "PGE9YCZ", "PVJPWYW", "P81SUUT"]
                .iter()
                .enumerate()
                .map(|(i, id)| PdPriority {
                    id: id.to_string(),
                    name: Some(format!("P{}", i + 1)),
                    summary: None,
                })
                .collect(),
        )
    }

    #[test]
    fn statuses_map_to_phases() {
        assert_eq!(phase("triggered"), Phase::Detection);
        assert_eq!(phase("acknowledged"), Phase::Triage);
        assert_eq!(phase("resolved"), Phase::FollowThrough);
        assert_eq!(phase("something_new"), Phase::Detection);
    }

    #[test]
    fn priority_order_decides_severity_and_urgency_is_the_fallback() {
        let p = prios();
        let with =
            |id: &str| pd(json!({"priority": {"id": id, "type": "priority", "summary": "x"}}));
        assert_eq!(severity(&with("PSLWBL8"), &p), Severity::Sev1);
        assert_eq!(severity(&with("P53ZZH5"), &p), Severity::Sev2);
        assert_eq!(severity(&with("PGE9YCZ"), &p), Severity::Sev3);
        assert_eq!(severity(&with("PVJPWYW"), &p), Severity::Sev4);
        assert_eq!(severity(&with("P81SUUT"), &p), Severity::Sev4);
        // A priority the account no longer lists falls back to urgency.
        assert_eq!(severity(&with("PGONE00"), &p), Severity::Sev2);
        assert_eq!(severity(&pd(json!({})), &p), Severity::Sev2);
        assert_eq!(severity(&pd(json!({"urgency": "low"})), &p), Severity::Sev4);
        assert_eq!(
            severity(&pd(json!({"urgency": null})), &Priorities::default()),
            Severity::Sev3
        );
        assert_eq!(p.for_severity(Severity::Sev1).unwrap().id, "PSLWBL8");
        assert_eq!(p.for_severity(Severity::Sev4).unwrap().id, "PVJPWYW");
        assert!(Priorities::default().for_severity(Severity::Sev1).is_none());
    }

    #[test]
    fn an_incident_maps_with_commander_assignees_and_summary() {
        let inc = pd(json!({
            "status": "acknowledged",
            "acknowledgements": [
                {"at": "2015-10-06T21:35:00Z", "acknowledger": {"id": "U1", "type": "user_reference", "summary": "Ana Lima"}},
                {"at": "2015-10-06T21:31:00Z", "acknowledger": {"id": "U2", "type": "user_reference", "summary": "Bo Chen"}}
            ],
            "priority": {"id": "P53ZZH5", "type": "priority", "summary": "P2", "name": "P2"}
        }));
        let m = incident(&inc, &prios(), 7);
        assert_eq!(m.id, "PT4KHLK");
        assert_eq!(m.title, "The server is on fire.");
        assert_eq!(m.phase, Phase::Triage);
        assert_eq!(m.severity, Severity::Sev2);
        assert_eq!(m.commander.as_deref(), Some("Ana Lima"));
        assert_eq!(m.roles["assignee"], "Earline Greenholt");
        assert_eq!(
            m.summary,
            "PagerDuty #1234 · service My Mail Service · urgency high · priority P2"
        );
        assert_eq!(m.source, "pagerduty");
        assert_eq!(m.created_at.to_rfc3339(), "2015-10-06T21:30:42+00:00");
        assert_eq!(m.version, 7);
        assert!(pd(json!({})).acknowledgements.is_empty());
        assert_eq!(incident(&pd(json!({})), &prios(), 1).commander, None);
    }

    #[test]
    fn text_from_pagerduty_is_sanitized() {
        let inc = pd(json!({
            "title": "evil\u{1b}]52;c;aGk=\u{7}title\u{202e}x",
            "service": {"id": "S", "type": "service_reference", "summary": "svc\u{1b}[2J"},
            "acknowledgements": [{"at": "2015-10-06T21:35:00Z", "acknowledger": {"id": "U", "type": "user_reference", "summary": "A\nB"}}]
        }));
        let m = incident(&inc, &prios(), 1);
        for s in [&m.title, &m.summary, m.commander.as_ref().unwrap()] {
            assert!(
                !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{s:?}"
            );
        }
    }

    #[test]
    fn versions_grow_only_when_what_sitrep_shows_changes() {
        let mut v = Versions::default();
        let p = prios();
        let (a, changed) = v.stamp(incident(&pd(json!({})), &p, 0));
        assert!(changed);
        let (b, changed) = v.stamp(incident(&pd(json!({})), &p, 0));
        assert!(!changed);
        assert_eq!(a.version, b.version);
        // A note moves PagerDuty's updated_at only: same version.
        let (b2, changed) = v.stamp(incident(
            &pd(json!({"updated_at": "2015-10-06T22:00:00Z"})),
            &p,
            0,
        ));
        assert!(!changed);
        assert_eq!(b2.version, b.version);
        let (c, changed) = v.stamp(incident(&pd(json!({"status": "acknowledged"})), &p, 0));
        assert!(changed);
        assert!(c.version > b.version);
        assert_eq!(v.current("PT4KHLK").unwrap().version, c.version);
    }

    #[test]
    fn notes_updates_and_log_entries() {
        let n: PdNote = serde_json::from_value(json!({
            "id": "PWL7QXS", "user": {"id": "PXPGF42", "type": "user_reference", "summary": "Earline Greenholt"},
            "channel": {"summary": "The PagerDuty website or APIs"},
            "content": "Firefighters are on the scene.", "created_at": "2013-03-06T15:28:51-05:00"
        }))
        .unwrap();
        let u = note_update("PT4KHLK", &n);
        assert_eq!(u.audience, Audience::Internal);
        assert_eq!(u.current_status, "Firefighters are on the scene.");
        assert_eq!(u.author, "Earline Greenholt");
        assert_eq!(u.posted_at.to_rfc3339(), "2013-03-06T20:28:51+00:00");
        assert_eq!(
            status_message("EU checkout", "failing over", "watch errors", Some(30)),
            "Impact: EU checkout\nCurrent status: failing over\nNext steps: watch errors\nNext update in 30 minutes."
        );
        assert_eq!(note_content("", "on it", ""), "on it");
        let entries: Vec<PdLogEntry> = serde_json::from_value(json!([
            {"id": "B", "type": "acknowledge_log_entry", "summary": "Acknowledged by Ana", "created_at": "2015-11-07T00:20:00Z",
             "agent": {"id": "U", "type": "user_reference", "summary": "Ana"}},
            {"id": "A", "type": "trigger_log_entry", "summary": "Triggered through the API", "created_at": "2015-11-07T00:14:20Z",
             "agent": {"id": "S", "type": "service_reference", "summary": "My Mail Service"}, "channel": {"type": "api"}}
        ]))
        .unwrap();
        let t = timeline("PT4KHLK", &entries);
        assert_eq!(t[0].kind, "trigger");
        assert_eq!(t[0].actor, "My Mail Service");
        assert_eq!(t[1].kind, "acknowledge");
        assert_eq!(t[1].seq, 2);
        assert_eq!(t[1].note.as_deref(), Some("Acknowledged by Ana"));
    }
}

/// A sitrep `PATCH /incidents/{id}` as PagerDuty calls: the fields of one
/// `PUT /incidents/{id}`, and a note carrying the reason (PagerDuty's PUT has no reason,
/// and sitrep's rule is that every severity change says why on the record).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PdPut {
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub note: Option<String>,
}

/// Why a change cannot be made in PagerDuty, naming the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub field: String,
    pub message: String,
}

fn refuse(field: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        field: field.into(),
        message: message.into(),
    }
}

/// Translates a checked patch. Phases: triage → acknowledged; follow-through or closed →
/// resolved; the rest have no PagerDuty state. Taking command acknowledges (as the `From`
/// user). Severity sets the priority in the account's order.
pub fn plan_patch(patch: &IncidentPatch, priorities: &Priorities) -> Result<PdPut, Refusal> {
    use serde_json::json;
    let mut put = PdPut::default();
    let reason = patch
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if patch.roles.is_some() {
        return Err(refuse(
            "roles",
            "PagerDuty incidents have no sitrep roles; assign responders in PagerDuty",
        ));
    }
    for (key, present) in [
        ("summary", patch.summary.is_some()),
        ("customer_impact", patch.customer_impact.is_some()),
        ("impact_scope", patch.impact_scope.is_some()),
    ] {
        if present {
            return Err(refuse(
                key,
                format!(
                    "PagerDuty incidents have no {key}; this change is not available with --backend pagerduty"
                ),
            ));
        }
    }
    if let Some(c) = &patch.commander {
        match c {
            Some(s) if !s.trim().is_empty() => {
                put.fields.insert("status".into(), json!("acknowledged"));
            }
            _ => {
                return Err(refuse(
                    "commander",
                    "PagerDuty cannot un-acknowledge an incident; reassign it in PagerDuty",
                ));
            }
        }
    }
    if let Some(phase) = patch.phase {
        match phase {
            Phase::Triage => {
                put.fields.insert("status".into(), json!("acknowledged"));
                if let Some(r) = &reason {
                    put.note = Some(format!("Phase → Triage: {r}"));
                }
            }
            Phase::FollowThrough | Phase::Closed => {
                put.fields.insert("status".into(), json!("resolved"));
                if let Some(r) = &reason {
                    put.fields.insert("resolution".into(), json!(r));
                }
            }
            other => {
                return Err(refuse(
                    "phase",
                    format!(
                        "PagerDuty has no {} state: its incidents are triggered, acknowledged or resolved (acknowledge with p from Detection, resolve with C)",
                        other.title()
                    ),
                ));
            }
        }
    }
    if let Some(sev) = patch.severity {
        let Some(reason) = &reason else {
            return Err(refuse("reason", "a severity change needs a reason"));
        };
        if priorities.is_empty() {
            return Err(refuse(
                "severity",
                "this PagerDuty account has no priorities, so severity cannot be set (it follows urgency)",
            ));
        }
        let Some(p) = priorities.for_severity(sev) else {
            return Err(refuse(
                "severity",
                format!(
                    "this PagerDuty account has only {} priorities; there is none for {sev}",
                    priorities.0.len()
                ),
            ));
        };
        put.fields.insert(
            "priority".into(),
            json!({ "id": p.id, "type": "priority_reference" }),
        );
        put.note = Some(format!(
            "Severity → {sev} (priority {}): {reason}",
            p.label()
        ));
    }
    if let Some(t) = &patch.title {
        // Length and blankness were checked by `IncidentPatch::validate`.
        put.fields.insert("title".into(), json!(t.trim()));
    }
    if put.fields.is_empty() {
        return Err(refuse("body", "the patch changes nothing"));
    }
    Ok(put)
}

#[cfg(test)]
mod patch_tests {
    use super::*;
    use serde_json::json;

    /// What the API does with a PATCH body before the backend sees it (the body read as
    /// `IncidentPatch`, then `IncidentPatch::validate`), then the plan.
    fn plan_body(body: &serde_json::Value, priorities: &Priorities) -> Result<PdPut, Refusal> {
        if !body.is_object() {
            return Err(refuse("body", "the body must be a JSON object"));
        }
        let patch: IncidentPatch = serde_path_to_error::deserialize(body.clone()).map_err(|e| {
            let path = e.path().to_string();
            let message = e.inner().to_string();
            // serde names an unknown field only in its message: "unknown field `x`".
            let field = if path == "." {
                message.split('`').nth(1).unwrap_or("body").to_string()
            } else {
                path
            };
            refuse(&field, format!("{field}: {message}"))
        })?;
        patch.validate().map_err(|e| Refusal {
            field: e.field.unwrap_or_else(|| "body".into()),
            message: e.message,
        })?;
        plan_patch(&patch, priorities)
    }

    fn prios() -> Priorities {
        Priorities(
            (1..=3)
                .map(|i| PdPriority {
                    id: format!("PRIO{i}"),
                    name: Some(format!("P{i}")),
                    summary: None,
                })
                .collect(),
        )
    }

    #[test]
    fn phases_and_command_become_statuses() {
        let p = plan_body(&json!({"phase": "triage"}), &prios()).unwrap();
        assert_eq!(p.fields["status"], "acknowledged");
        let p = plan_body(&json!({"commander": "ana"}), &prios()).unwrap();
        assert_eq!(p.fields["status"], "acknowledged");
        let p = plan_body(&json!({"phase": "closed", "reason": "fixed"}), &prios()).unwrap();
        assert_eq!(p.fields["status"], "resolved");
        assert_eq!(p.fields["resolution"], "fixed");
        let p = plan_body(&json!({"phase": "follow_through"}), &prios()).unwrap();
        assert_eq!(p.fields["status"], "resolved");
        for bad in ["containment", "communication", "detection"] {
            let e = plan_body(&json!({"phase": bad}), &prios()).unwrap_err();
            assert_eq!(e.field, "phase");
            assert!(e.message.contains("PagerDuty has no"), "{}", e.message);
        }
        assert_eq!(
            plan_body(&json!({"commander": null}), &prios())
                .unwrap_err()
                .field,
            "commander"
        );
    }

    #[test]
    fn severity_sets_the_priority_with_the_reason_as_a_note() {
        let p = plan_body(&json!({"severity": "SEV1", "reason": "EU down"}), &prios()).unwrap();
        assert_eq!(
            p.fields["priority"],
            json!({"id": "PRIO1", "type": "priority_reference"})
        );
        assert_eq!(
            p.note.as_deref(),
            Some("Severity → SEV1 (priority P1): EU down")
        );
        assert_eq!(
            plan_body(&json!({"severity": "SEV1"}), &prios())
                .unwrap_err()
                .field,
            "reason"
        );
        let e = plan_body(&json!({"severity": "SEV4", "reason": "x"}), &prios()).unwrap_err();
        assert_eq!(e.field, "severity");
        let e = plan_body(
            &json!({"severity": "SEV1", "reason": "x"}),
            &Priorities::default(),
        )
        .unwrap_err();
        assert_eq!(e.field, "severity");
        assert!(e.message.contains("no priorities"));
    }

    #[test]
    fn fields_pagerduty_lacks_are_named() {
        for (f, v) in [
            ("roles", json!({"scribe": "x"})),
            ("summary", json!("x")),
            ("customer_impact", json!(true)),
            ("impact_scope", json!("x")),
        ] {
            let e = plan_body(&json!({ f: v }), &prios()).unwrap_err();
            assert_eq!(e.field, f);
            assert!(e.message.contains("PagerDuty"), "{}", e.message);
        }
        // The API's own request type: a wrong type or an unknown field names the field.
        assert_eq!(
            plan_body(&json!({"customer_impact": "x"}), &prios())
                .unwrap_err()
                .field,
            "customer_impact"
        );
        assert_eq!(
            plan_body(&json!({"colour": "red"}), &prios())
                .unwrap_err()
                .field,
            "colour"
        );
        assert_eq!(plan_body(&json!({}), &prios()).unwrap_err().field, "body");
        let p = plan_body(&json!({"title": " New "}), &prios()).unwrap();
        assert_eq!(p.fields["title"], "New");
    }
}
