//! Back-dated seeding for `sitrep demo`: the same domain rules, rows, timeline entries and
//! events as the API writes, but at times the caller chooses, so a demo board opens on
//! incidents that started forty minutes ago with updates posted since. One transaction.
use super::children::{insert_update, new_action, new_exception};
use super::incidents::{incident_in_tx, insert_incident, write_patch};
use super::{Store, StoreError};
use crate::domain::{IncidentPatch, NewAction, NewException, NewIncident, NewStatusUpdate};
use chrono::{DateTime, Utc};

/// One write, at a given time, by a named actor. `incident` is the index of an earlier
/// `Create` in the same seed (creation order).
#[derive(Debug, Clone)]
pub enum SeedOp {
    Create {
        at: DateTime<Utc>,
        actor: String,
        req: NewIncident,
    },
    Patch {
        at: DateTime<Utc>,
        actor: String,
        incident: usize,
        patch: IncidentPatch,
    },
    Update {
        at: DateTime<Utc>,
        actor: String,
        incident: usize,
        req: NewStatusUpdate,
    },
    Action {
        at: DateTime<Utc>,
        actor: String,
        incident: usize,
        req: NewAction,
    },
    Exception {
        at: DateTime<Utc>,
        actor: String,
        incident: usize,
        req: NewException,
    },
}

impl Store {
    /// Applies `ops` in order and returns the ids of the created incidents, in creation
    /// order. Any refusal by the domain rules aborts the whole seed. Each op goes through
    /// the same functions as the API's writes, only at the time the op names.
    pub async fn seed(&self, ops: &[SeedOp]) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin().await?;
        let mut ids: Vec<String> = Vec::new();
        let id_of = |ids: &[String], i: usize| {
            ids.get(i).cloned().ok_or_else(|| StoreError::NotFound {
                what: "seeded incident",
                id: i.to_string(),
            })
        };
        let cadence = &self.cadence;
        for op in ops {
            match op {
                SeedOp::Create { at, actor, req } => {
                    let inc = insert_incident(&mut tx, actor, req, cadence, *at).await?;
                    ids.push(inc.id);
                }
                SeedOp::Patch {
                    at,
                    actor,
                    incident,
                    patch,
                } => {
                    let current = incident_in_tx(&mut tx, &id_of(&ids, *incident)?).await?;
                    write_patch(&mut tx, actor, current, patch, cadence, *at).await?;
                }
                SeedOp::Update {
                    at,
                    actor,
                    incident,
                    req,
                } => {
                    let inc = incident_in_tx(&mut tx, &id_of(&ids, *incident)?).await?;
                    insert_update(&mut tx, actor, inc, req, cadence, *at).await?;
                }
                SeedOp::Action {
                    at,
                    actor,
                    incident,
                    req,
                } => {
                    new_action(&mut tx, actor, &id_of(&ids, *incident)?, req, *at).await?;
                }
                SeedOp::Exception {
                    at,
                    actor,
                    incident,
                    req,
                } => {
                    new_exception(&mut tx, actor, &id_of(&ids, *incident)?, req, *at).await?;
                }
            }
        }
        self.commit(tx).await?;
        Ok(ids)
    }
}
