//! Keeps the demo board alive through the public HTTP API, as real integrations would: an
//! alerting bot (responder token) raises new alerts; an incident lead (commander token)
//! assigns, moves phases, posts customer updates before they fall due and works through
//! corrective actions. Incidents marked quiet are left alone so one update goes overdue,
//! and so is every incident the person at the console commands: the demo never changes
//! what the user took on. The board keeps about the size it started with (a new alert
//! only while fewer are open), and no alert is raised twice while its incident is open.
use crate::client::ApiClient;
use crate::domain::{ActionStatus, CorrectiveAction, Incident, Phase};
use anyhow::Result;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

const ALERTS: &[(&str, &str, bool, &str)] = &[
    ("CPU throttling on api-gateway pods", "SEV3", false, ""),
    (
        "Error budget burn on checkout: 10x",
        "SEV2",
        true,
        "Checkout, all regions",
    ),
    (
        "Queue depth rising on email-sender",
        "SEV3",
        true,
        "Transactional email",
    ),
    ("Replica lag 90 s on orders-db", "SEV2", false, ""),
    ("5xx spike on image resizer", "SEV3", true, "Product images"),
    (
        "Login failures for SAML tenants",
        "SEV2",
        true,
        "SAML SSO tenants",
    ),
    ("Certificate expiring on api.internal", "SEV4", false, ""),
    ("Kafka broker 3 offline", "SEV3", false, ""),
    (
        "Mobile app crash rate above 2%",
        "SEV2",
        true,
        "Android app 7.4",
    ),
    (
        "DNS resolution errors in ap-south",
        "SEV1",
        true,
        "All customers in ap-south",
    ),
    ("Billing export job failed twice", "SEV4", false, ""),
    (
        "Latency p95 above SLO on search",
        "SEV3",
        true,
        "Search API",
    ),
];

const LEADS: &[&str] = &[
    "Ana Lima",
    "Dana Reyes",
    "Cara Diaz",
    "Jo Park",
    "Eli Novak",
];

pub struct Simulator {
    /// Raises alerts (responder token, actor "alertmanager").
    pub alerts: ApiClient,
    /// Runs incidents (commander token).
    pub lead: ApiClient,
    /// Incident ids whose customer updates the simulator never posts.
    pub quiet: HashSet<String>,
    /// The console user's name: incidents they command are theirs, not the simulator's.
    pub me: String,
    /// New alerts are raised only while fewer incidents than this are open (the seeded
    /// board's size).
    pub open_target: usize,
}

impl Simulator {
    pub async fn run(self) {
        let mut rng = StdRng::seed_from_u64(chrono::Utc::now().timestamp_micros() as u64);
        // A first new alert soon after start, so a newcomer sees the board move.
        tokio::time::sleep(Duration::from_secs(4)).await;
        let mut round: u64 = 0;
        loop {
            if let Err(e) = self.round(&mut rng, round).await {
                tracing::warn!(error = %crate::sanitize::clean_line(&format!("{e:#}")), "demo simulator step failed");
            }
            round += 1;
            let secs = rng.random_range(6..12);
            tokio::time::sleep(Duration::from_secs(secs)).await;
        }
    }

    /// One step: keep the due customer updates, then raise an alert or move an incident.
    pub async fn round(&self, rng: &mut StdRng, round: u64) -> Result<()> {
        let incidents = self.lead.list_incidents().await?;
        let theirs: Vec<&Incident> = incidents.iter().filter(|i| self.runs(i)).collect();
        self.keep_promises(&theirs).await?;
        let open: Vec<&Incident> = incidents
            .iter()
            .filter(|i| i.phase != Phase::Closed)
            .collect();
        if open.len() < self.open_target && (round == 0 || rng.random_bool(0.3)) {
            return self.raise_alert(rng, &open).await;
        }
        let movable: Vec<&Incident> = theirs
            .into_iter()
            .filter(|i| i.phase != Phase::Closed)
            .collect();
        if let Some(inc) = movable.choose(rng) {
            if rng.random_bool(0.6) {
                self.advance(inc, rng).await?;
            } else {
                self.internal_note(inc).await?;
            }
        }
        Ok(())
    }

    /// Whether the simulator may act on this incident: not a quiet one, and not one the
    /// console's user commands.
    fn runs(&self, inc: &Incident) -> bool {
        !self.quiet.contains(&inc.id) && inc.commander.as_deref() != Some(self.me.as_str())
    }

    /// Posts a customer update for every incident whose next one falls due within two
    /// minutes.
    async fn keep_promises(&self, incidents: &[&Incident]) -> Result<()> {
        let soon = chrono::Utc::now() + chrono::Duration::minutes(2);
        for inc in incidents {
            let due = inc
                .next_update_due_at
                .filter(|_| inc.customer_impact && inc.phase.is_active());
            if due.is_some_and(|d| d < soon) {
                self.customer_update(inc, "Mitigation holding; monitoring closely")
                    .await?;
            }
        }
        Ok(())
    }

    async fn customer_update(&self, inc: &Incident, status: &str) -> Result<()> {
        let scope = if inc.impact_scope.is_empty() {
            "Customers using the affected service"
        } else {
            &inc.impact_scope
        };
        let _: serde_json::Value = self
            .lead
            .post(
                &format!("/incidents/{}/updates", inc.id),
                &json!({
                    "audience": "customer",
                    "impact_scope": scope,
                    "current_status": status,
                    "next_steps": "Next update on the usual cadence",
                }),
            )
            .await?;
        Ok(())
    }

    async fn internal_note(&self, inc: &Incident) -> Result<()> {
        let _: serde_json::Value = self
            .lead
            .post(
                &format!("/incidents/{}/updates", inc.id),
                &json!({
                    "audience": "internal",
                    "current_status": format!("Still working {}: dashboards attached in channel", inc.id),
                }),
            )
            .await?;
        Ok(())
    }

    /// Raises one of the alerts that has no open incident (none when all have).
    async fn raise_alert(&self, rng: &mut StdRng, open: &[&Incident]) -> Result<()> {
        let fresh: Vec<_> = ALERTS
            .iter()
            .filter(|(title, ..)| !open.iter().any(|i| i.title == *title))
            .collect();
        let Some(&&(title, sev, customer, scope)) = fresh.choose(rng) else {
            return Ok(());
        };
        let _: serde_json::Value = self
            .alerts
            .post(
                "/incidents",
                &json!({
                    "title": title,
                    "severity": sev,
                    "customer_impact": customer,
                    "impact_scope": scope,
                    "source": "alertmanager",
                    "deployment": if rng.random_bool(0.8) { "hosted" } else { "self_hosted" },
                }),
            )
            .await?;
        Ok(())
    }

    /// Moves an incident one phase on, doing first whatever the rules require.
    async fn advance(&self, inc: &Incident, rng: &mut StdRng) -> Result<()> {
        let Some(next) = inc.phase.next() else {
            return Ok(());
        };
        let path = format!("/incidents/{}", inc.id);
        let mut body = json!({ "phase": next, "reason": reason(next) });
        if inc.commander.is_none() {
            body["commander"] = json!(LEADS.choose(rng).copied().unwrap_or("Ana Lima"));
        }
        match next {
            Phase::FollowThrough if inc.customer_impact => {
                self.customer_update(inc, "Resolved; the customer-impacting risk is over")
                    .await?;
            }
            Phase::Closed => {
                let actions: Vec<CorrectiveAction> = self.lead.incident_actions(&inc.id).await?;
                if let Some(open) = actions.iter().find(|a| a.status.is_open()) {
                    // Finish one action per round; close once none are left.
                    let _: serde_json::Value = self
                        .lead
                        .patch(
                            &format!("/actions/{}", open.id),
                            open.version,
                            &json!({ "status": ActionStatus::Done }),
                        )
                        .await?;
                    return Ok(());
                }
            }
            _ => {}
        }
        // The update above bumped the version: read it again.
        let current = self.lead.incident(&inc.id).await?;
        let _: serde_json::Value = self.lead.patch(&path, current.version, &body).await?;
        if next == Phase::FollowThrough {
            let due = (chrono::Utc::now() + chrono::Duration::days(rng.random_range(-1..10)))
                .date_naive();
            let _: serde_json::Value = self
                .lead
                .post(
                    &format!("/incidents/{}/actions", inc.id),
                    &json!({
                        "title": format!("Add an alert that catches {} earlier", inc.title.to_lowercase()),
                        "owner": current.commander.as_deref().unwrap_or("Ana Lima"),
                        "due_date": due,
                        "priority": "medium",
                    }),
                )
                .await?;
        }
        Ok(())
    }
}

fn reason(p: Phase) -> &'static str {
    match p {
        Phase::Triage => "Acknowledged; assessing impact",
        Phase::Containment => "Cause identified; mitigating",
        Phase::Communication => "Mitigated; confirming with customers",
        Phase::FollowThrough => "Risk resolved; tracking corrective actions",
        Phase::Closed => "All corrective actions done",
        Phase::Detection => "Reopened",
    }
}
