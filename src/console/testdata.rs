//! A fixed scenario and a fixed clock for unit tests, UI snapshots and benchmarks. Not used
//! by the running console.
use super::keymap::Keymap;
use super::state::{Conn, State};
use super::theme::Theme;
use crate::domain::{
    ActionStatus, CorrectiveAction, Deployment, Incident, Phase, Priority, RecoveryOwner, Severity,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;

/// 2026-11-29 10:00:00 UTC: every fixture time is relative to this.
pub fn clock() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap()
}

pub fn incident(id: &str, severity: Severity, phase: Phase) -> Incident {
    let t = clock() - Duration::minutes(30);
    Incident {
        id: id.into(),
        title: format!("Incident {id}"),
        summary: String::new(),
        severity,
        phase,
        commander: None,
        roles: BTreeMap::new(),
        customer_impact: false,
        impact_scope: String::new(),
        deployment: Deployment::Hosted,
        recovery_owner: RecoveryOwner::Vendor,
        source: "manual".into(),
        created_at: t,
        updated_at: t,
        last_customer_update_at: None,
        next_update_due_at: None,
        update_overdue: false,
        version: 1,
    }
}

#[allow(clippy::too_many_arguments)]
fn inc(
    n: u32,
    sev: Severity,
    phase: Phase,
    title: &str,
    commander: Option<&str>,
    started_min_ago: i64,
    due_in_secs: Option<i64>,
    scope: &str,
) -> Incident {
    let mut i = incident(&format!("INC-{n}"), sev, phase);
    i.title = title.into();
    i.commander = commander.map(str::to_string);
    i.created_at = clock() - Duration::minutes(started_min_ago);
    i.updated_at = i.created_at;
    i.impact_scope = scope.into();
    if let Some(s) = due_in_secs {
        i.customer_impact = true;
        i.next_update_due_at = Some(clock() + Duration::seconds(s));
        i.update_overdue = s < 0;
    }
    i
}

/// Twelve incidents across every phase and severity, with one overdue customer update, one
/// due within five minutes, and one unassigned SEV1.
pub fn scenario() -> Vec<Incident> {
    use Phase::*;
    use Severity::*;
    let mut v = vec![
        inc(
            101,
            Sev1,
            Detection,
            "Checkout returns 502 for all EU users",
            None,
            3,
            Some(1620),
            "EU checkout",
        ),
        inc(
            102,
            Sev3,
            Detection,
            "Disk 85% on metrics-db-2",
            None,
            12,
            None,
            "",
        ),
        inc(
            103,
            Sev2,
            Triage,
            "Login latency p99 above 4s",
            Some("Ana Lima"),
            25,
            Some(190),
            "All regions, web login",
        ),
        inc(
            104,
            Sev4,
            Triage,
            "Stale cache on status page",
            Some("Bo Chen"),
            50,
            None,
            "",
        ),
        inc(
            105,
            Sev1,
            Containment,
            "Payments API error rate 30%",
            Some("Cara Diaz"),
            41,
            Some(-190),
            "Card payments, all customers",
        ),
        inc(
            106,
            Sev2,
            Containment,
            "Search index lagging 20 min",
            Some("Dev Patel"),
            95,
            Some(2400),
            "Search results",
        ),
        inc(
            107,
            Sev3,
            Communication,
            "Webhook deliveries delayed",
            Some("Eli Novak"),
            130,
            Some(5400),
            "Webhook consumers",
        ),
        inc(
            108,
            Sev2,
            Communication,
            "Acme self-hosted cluster down",
            Some("Fay Ito"),
            200,
            Some(1500),
            "Acme Corp only",
        ),
        inc(
            109,
            Sev1,
            FollowThrough,
            "Data loss in EU object store",
            Some("Gus Roy"),
            3000,
            None,
            "EU tenants",
        ),
        inc(
            110,
            Sev3,
            FollowThrough,
            "Expired TLS cert on docs site",
            Some("Hana Ueda"),
            1500,
            None,
            "Docs",
        ),
        inc(
            111,
            Sev4,
            Closed,
            "Typo in invoice email",
            Some("Ivo Brand"),
            5000,
            None,
            "",
        ),
        inc(
            112,
            Sev3,
            Triage,
            "SSO provider intermittent 500s",
            Some("Jo Park"),
            8,
            Some(3000),
            "SSO customers",
        ),
    ];
    v[7].deployment = Deployment::SelfHosted;
    v[7].recovery_owner = RecoveryOwner::Customer;
    v[4].roles.insert("comms_lead".into(), "Kim Ortiz".into());
    v[4].roles.insert("scribe".into(), "Lee Wu".into());
    v[4].summary = "Card authorisations failing after the 09:15 deploy.".into();
    v
}

fn action(
    n: u32,
    inc: &str,
    title: &str,
    owner: &str,
    due_days: i64,
    prio: Priority,
) -> CorrectiveAction {
    CorrectiveAction {
        id: format!("ACT-{n}"),
        incident_id: inc.into(),
        title: title.into(),
        owner: owner.into(),
        due_date: clock().date_naive() + Duration::days(due_days),
        status: if due_days > 5 {
            ActionStatus::InProgress
        } else {
            ActionStatus::Open
        },
        priority: prio,
        overdue: due_days < 0,
        created_at: clock() - Duration::days(3),
        updated_at: clock() - Duration::days(3),
        version: 1,
    }
}

pub fn actions() -> Vec<CorrectiveAction> {
    vec![
        action(
            1,
            "INC-109",
            "Enable versioning on EU buckets",
            "Gus Roy",
            -2,
            Priority::High,
        ),
        action(
            2,
            "INC-109",
            "Restore drill for object store",
            "Hana Ueda",
            7,
            Priority::Medium,
        ),
        action(
            3,
            "INC-110",
            "Automate cert renewal for docs",
            "Hana Ueda",
            -1,
            Priority::High,
        ),
        action(
            4,
            "INC-110",
            "Alert 14 days before cert expiry",
            "Ivo Brand",
            3,
            Priority::Low,
        ),
        action(
            5,
            "INC-105",
            "Canary for payments deploys",
            "Cara Diaz",
            10,
            Priority::High,
        ),
    ]
}

/// A loaded, live state on the fixed clock.
pub fn state() -> State {
    let mut s = State::new("demo", Keymap::default_keymap(), Theme::color(), clock());
    s.set_incidents(scenario());
    s.data.open_actions = actions().into_iter().map(|a| (a.id.clone(), a)).collect();
    s.sync.loaded = true;
    s.sync.conn = Conn::Live;
    s.sync.as_of = Some(clock());
    s
}

/// `n` synthetic incidents spread over phases and severities, for benchmarks.
pub fn many(n: usize) -> Vec<Incident> {
    (0..n)
        .map(|k| {
            let sev = Severity::ALL[k % 4];
            let phase = Phase::ALL[(k / 4) % 6];
            let mut i = incident(&format!("INC-{}", k + 1), sev, phase);
            i.title = format!("Synthetic incident number {k} with a reasonably long title");
            i.created_at = clock() - Duration::seconds((k as i64 * 37) % 86_400);
            i.commander = (k % 3 != 0).then(|| format!("Person {}", k % 50));
            if k % 5 == 0 {
                i.customer_impact = true;
                i.next_update_due_at = Some(clock() + Duration::seconds((k as i64 % 3600) - 600));
            }
            i
        })
        .collect()
}

/// The due date a fixture action would have, for assertions.
pub fn day(offset: i64) -> NaiveDate {
    clock().date_naive() + Duration::days(offset)
}

/// Two Alertmanager notifications on one incident, as `GET /incidents/{id}/signals` lists
/// them (sanitized like the client does): a runbook, a dashboard, a source graph and the
/// Alertmanager, with the second notification repeating the runbook.
pub fn signals() -> Vec<crate::client::SignalRecord> {
    use crate::sanitize::Sanitize;
    let record = |minutes_ago: i64, fingerprint: &str, annotations: serde_json::Value| {
        let mut r: crate::client::SignalRecord = serde_json::from_value(serde_json::json!({
            "received_at": clock() - Duration::minutes(minutes_ago),
            "signal": {
                "group_key": "{}:{alertname=\"PaymentsErrorRate\"}",
                "status": "firing",
                "alert_names": ["PaymentsErrorRate"],
                "firing": [fingerprint],
                "severity": "SEV1",
                "title": "PaymentsErrorRate: Payments API error rate 30%",
                "summary": "Payments API error rate 30%",
                "external_url": "http://alertmanager.internal:9093",
                "alerts": [{
                    "status": "firing",
                    "labels": {"alertname": "PaymentsErrorRate", "severity": "critical"},
                    "annotations": annotations,
                    "startsAt": clock() - Duration::minutes(minutes_ago + 1),
                    "generatorURL": "http://prometheus.internal:9090/graph?g0.expr=payments_errors",
                    "fingerprint": fingerprint
                }]
            }
        }))
        .expect("a signal record");
        r.sanitize();
        r
    };
    vec![
        record(
            41,
            "a1",
            serde_json::json!({
                "summary": "Payments API error rate 30%",
                "runbook_url": "https://runbooks.example.com/payments/error-rate",
            }),
        ),
        record(
            20,
            "b2",
            serde_json::json!({
                "runbook_url": "https://runbooks.example.com/payments/error-rate",
                "dashboard": "https://grafana.example.com/d/payments?orgId=1&from=now-6h",
            }),
        ),
    ]
}
