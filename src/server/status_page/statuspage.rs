//! `/status/api/v2/*.json` in the shape of Atlassian Statuspage's public API (`page`,
//! `status`, `components`, `incidents` with `incident_updates`), so existing status widgets
//! and scrapers can read sitrep's page. sitrep has no components: the lists are empty.
use super::public::{PublicIncident, PublicUpdate, Snapshot};
use super::{PAGE_PATH, Page};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Incidents in `incidents.json` at most (Statuspage lists the newest 50).
const MAX_INCIDENTS: usize = 50;

pub fn summary(p: &Page, snap: &Snapshot) -> Value {
    json!({
        "page": page(p, snap),
        "status": status(snap),
        "components": [],
        "incidents": snap.open.iter().map(|i| incident(p, i)).collect::<Vec<_>>(),
        "scheduled_maintenances": [],
    })
}

pub fn status_only(p: &Page, snap: &Snapshot) -> Value {
    json!({
        "page": page(p, snap),
        "status": status(snap),
    })
}

pub fn incidents(p: &Page, snap: &Snapshot) -> Value {
    let list: Vec<Value> = snap
        .open
        .iter()
        .chain(&snap.resolved)
        .take(MAX_INCIDENTS)
        .map(|i| incident(p, i))
        .collect();
    json!({ "page": page(p, snap), "incidents": list })
}

fn page(p: &Page, snap: &Snapshot) -> Value {
    json!({
        "id": p.id,
        "name": p.title,
        "url": p.link(PAGE_PATH),
        "time_zone": "Etc/UTC",
        "updated_at": ts(snap.updated_at()),
    })
}

fn status(snap: &Snapshot) -> Value {
    let i = snap.indicator();
    json!({ "indicator": i.as_str(), "description": i.description() })
}

fn incident(p: &Page, inc: &PublicIncident) -> Value {
    json!({
        "id": inc.key,
        "name": inc.name(),
        "status": inc.state.as_str(),
        "impact": inc.impact.as_str(),
        "created_at": ts(inc.started_at()),
        "started_at": ts(inc.started_at()),
        "updated_at": ts(inc.updated_at()),
        "monitoring_at": Value::Null,
        "resolved_at": inc.resolved_at.map(ts),
        "shortlink": p.link(&format!("{PAGE_PATH}#incident-{}", inc.key)),
        "page_id": p.id,
        "incident_updates": inc.updates.iter().map(|u| update(inc, u)).collect::<Vec<_>>(),
        "components": [],
    })
}

fn update(inc: &PublicIncident, u: &PublicUpdate) -> Value {
    let posted = ts(u.posted_at);
    json!({
        "id": u.key,
        "status": u.state.as_str(),
        "body": format!(
            "Impact: {}\nCurrent status: {}\nNext steps: {}",
            u.impact_scope, u.current_status, u.next_steps
        ),
        "incident_id": inc.key,
        "created_at": posted,
        "updated_at": posted,
        "display_at": posted,
        "affected_components": [],
        "deliver_notifications": true,
        "custom_tweet": Value::Null,
        "tweet_id": Value::Null,
        // sitrep's own: the three statements apart, and when the next update is due.
        "impact_scope": u.impact_scope,
        "current_status": u.current_status,
        "next_steps": u.next_steps,
        "next_update_at": u.next_update_due_at.map(ts),
    })
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
