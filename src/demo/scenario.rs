//! The demo scenario file (`assets/demo.toml`) and its translation into back-dated seed
//! operations.
use crate::domain::{
    Audience, Deployment, IncidentPatch, NewAction, NewException, NewIncident, NewStatusUpdate,
    Phase, Priority, Severity,
};
use crate::server::store::SeedOp;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const BUILTIN: &str = include_str!("../../assets/demo.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub incident: Vec<ScIncident>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScIncident {
    pub key: String,
    /// Minutes from the demo's start.
    pub at: i64,
    pub title: String,
    pub severity: Severity,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub customer_impact: bool,
    #[serde(default)]
    pub impact_scope: Option<String>,
    #[serde(default)]
    pub deployment: Option<Deployment>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub commander: Option<String>,
    /// The simulator leaves this incident's customer updates alone.
    #[serde(default)]
    pub quiet: bool,
    #[serde(default)]
    pub step: Vec<Step>,
}

impl ScIncident {
    /// The phase its last step leaves it in.
    pub fn final_phase(&self) -> Phase {
        self.step
            .iter()
            .filter_map(|s| s.phase)
            .next_back()
            .unwrap_or(Phase::Detection)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub at: i64,
    pub by: String,
    #[serde(default)]
    pub phase: Option<Phase>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub commander: Option<String>,
    #[serde(default)]
    pub roles: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub update: Option<ScUpdate>,
    #[serde(default)]
    pub action: Option<ScAction>,
    #[serde(default)]
    pub exception: Option<ScException>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScUpdate {
    pub audience: Audience,
    #[serde(default)]
    pub impact_scope: String,
    pub current_status: String,
    #[serde(default)]
    pub next_steps: String,
    /// Minutes until the next update is due (default: the severity's cadence).
    #[serde(default)]
    pub next_in: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScAction {
    pub title: String,
    pub owner: String,
    /// Days from today; negative means already overdue.
    pub due_in_days: i64,
    #[serde(default)]
    pub priority: Option<Priority>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScException {
    pub description: String,
    pub risk_accepted_by: String,
    pub remediate_in_days: i64,
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario> {
        let mut s: Scenario = toml::from_str(text).context("parsing the demo scenario")?;
        // Creation order decides the ids (INC-1 is the oldest), so sort by start time.
        s.incident.sort_by_key(|i| i.at);
        for i in &s.incident {
            if let Some(step) = i.step.iter().find(|st| st.at < i.at) {
                bail!(
                    "{}: step at {} is before the incident starts",
                    i.key,
                    step.at
                );
            }
        }
        Ok(s)
    }

    pub fn builtin() -> Scenario {
        Scenario::parse(BUILTIN).expect("the built-in demo scenario parses")
    }

    /// Indexes (in creation order) of incidents the simulator must leave alone.
    /// How many of the seeded incidents are open (not closed) once the scenario has run.
    pub fn open_count(&self) -> usize {
        self.incident
            .iter()
            .filter(|i| i.final_phase() != Phase::Closed)
            .count()
    }

    pub fn quiet(&self) -> Vec<usize> {
        (0..self.incident.len())
            .filter(|i| self.incident[*i].quiet)
            .collect()
    }

    /// Seed operations at absolute times, in time order.
    pub fn ops(&self, now: DateTime<Utc>) -> Vec<SeedOp> {
        let at = |m: i64| now + Duration::minutes(m);
        let mut timed: Vec<(i64, usize, SeedOp)> = Vec::new();
        let mut push = |t: i64, op: SeedOp| {
            let n = timed.len();
            timed.push((t, n, op));
        };
        for (idx, inc) in self.incident.iter().enumerate() {
            let mut req = NewIncident::new(inc.title.clone(), inc.severity);
            req.summary = inc.summary.clone();
            req.customer_impact = Some(inc.customer_impact);
            req.impact_scope = inc.impact_scope.clone();
            req.deployment = inc.deployment;
            req.source = inc.source.clone();
            req.commander = inc.commander.clone();
            push(
                inc.at,
                SeedOp::Create {
                    at: at(inc.at),
                    actor: inc.source.clone().unwrap_or_else(|| "alertmanager".into()),
                    req,
                },
            );
            for st in &inc.step {
                let actor = st.by.clone();
                if let Some(u) = &st.update {
                    push(
                        st.at,
                        SeedOp::Update {
                            at: at(st.at),
                            actor: actor.clone(),
                            incident: idx,
                            req: NewStatusUpdate {
                                audience: u.audience,
                                impact_scope: u.impact_scope.clone(),
                                current_status: u.current_status.clone(),
                                next_steps: u.next_steps.clone(),
                                next_update_in_minutes: u.next_in,
                            },
                        },
                    );
                }
                if let Some(a) = &st.action {
                    push(
                        st.at,
                        SeedOp::Action {
                            at: at(st.at),
                            actor: actor.clone(),
                            incident: idx,
                            req: NewAction {
                                title: a.title.clone(),
                                owner: a.owner.clone(),
                                due_date: (now + Duration::days(a.due_in_days)).date_naive(),
                                priority: a.priority,
                            },
                        },
                    );
                }
                if let Some(e) = &st.exception {
                    push(
                        st.at,
                        SeedOp::Exception {
                            at: at(st.at),
                            actor: actor.clone(),
                            incident: idx,
                            req: NewException {
                                description: e.description.clone(),
                                risk_accepted_by: e.risk_accepted_by.clone(),
                                remediation_due: now + Duration::days(e.remediate_in_days),
                            },
                        },
                    );
                }
                let patch = IncidentPatch {
                    severity: st.severity,
                    phase: st.phase,
                    reason: st.reason.clone(),
                    commander: st.commander.clone().map(Some),
                    roles: st.roles.as_ref().map(|r| {
                        r.iter()
                            .map(|(k, v)| (k.clone(), Some(v.clone())))
                            .collect()
                    }),
                    ..Default::default()
                };
                if !patch.is_empty() {
                    push(
                        st.at,
                        SeedOp::Patch {
                            at: at(st.at),
                            actor,
                            incident: idx,
                            patch,
                        },
                    );
                }
            }
        }
        // Stable by time: within one minute, file order (update before the phase move).
        timed.sort_by_key(|(t, n, _)| (*t, *n));
        timed.into_iter().map(|(_, _, op)| op).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn builtin_scenario_covers_every_phase_and_severity() {
        let s = Scenario::builtin();
        assert!(s.incident.len() >= 12);
        let sevs: HashSet<_> = s.incident.iter().map(|i| i.severity).collect();
        assert_eq!(sevs.len(), 4);
        let phases: HashSet<_> = s.incident.iter().map(ScIncident::final_phase).collect();
        assert_eq!(phases.len(), Phase::ALL.len(), "{phases:?}");
        assert!(
            s.incident
                .iter()
                .any(|i| i.deployment == Some(Deployment::SelfHosted))
        );
        assert!(s.incident.iter().any(|i| i.customer_impact));
        assert!(s.incident.iter().any(|i| !i.customer_impact));
        assert!(
            s.incident
                .iter()
                .flat_map(|i| &i.step)
                .any(|st| st.exception.is_some())
        );
        assert!(
            s.incident
                .iter()
                .flat_map(|i| &i.step)
                .any(|st| st.action.as_ref().is_some_and(|a| a.due_in_days < 0))
        );
        assert!(!s.quiet().is_empty());
    }
}
