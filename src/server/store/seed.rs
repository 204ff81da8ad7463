//! Back-dated seeding for `sitrep demo`: the same domain rules, rows, timeline entries and
//! events as the API writes, but at times the caller chooses, so a demo board opens on
//! incidents that started forty minutes ago with updates posted since. One transaction.
use super::incidents::{incident_in_tx, save_incident};
use super::log::{emit, record};
use super::{Store, StoreError, Tx, next_num, ts};
use crate::domain::{
    Change, CloseContext, CorrectiveAction, Incident, IncidentPatch, NewAction, NewException,
    NewIncident, NewStatusUpdate, RiskException,
};
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
    /// order. Any refusal by the domain rules aborts the whole seed.
    pub async fn seed(&self, ops: &[SeedOp]) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin().await?;
        let mut ids: Vec<String> = Vec::new();
        let id_of = |ids: &[String], i: usize| {
            ids.get(i).cloned().ok_or_else(|| StoreError::NotFound {
                what: "seeded incident",
                id: i.to_string(),
            })
        };
        for op in ops {
            match op {
                SeedOp::Create { at, actor, req } => {
                    ids.push(self.seed_create(&mut tx, *at, actor, req).await?);
                }
                SeedOp::Patch {
                    at,
                    actor,
                    incident,
                    patch,
                } => {
                    let id = id_of(&ids, *incident)?;
                    self.seed_patch(&mut tx, *at, actor, &id, patch).await?;
                }
                SeedOp::Update {
                    at,
                    actor,
                    incident,
                    req,
                } => {
                    let id = id_of(&ids, *incident)?;
                    self.seed_update(&mut tx, *at, actor, &id, req).await?;
                }
                SeedOp::Action {
                    at,
                    actor,
                    incident,
                    req,
                } => {
                    let id = id_of(&ids, *incident)?;
                    seed_action(&mut tx, *at, actor, &id, req).await?;
                }
                SeedOp::Exception {
                    at,
                    actor,
                    incident,
                    req,
                } => {
                    let id = id_of(&ids, *incident)?;
                    seed_exception(&mut tx, *at, actor, &id, req).await?;
                }
            }
        }
        self.commit(tx).await?;
        Ok(ids)
    }

    async fn seed_create(
        &self,
        tx: &mut Tx,
        at: DateTime<Utc>,
        actor: &str,
        req: &NewIncident,
    ) -> Result<String, StoreError> {
        let num = next_num(tx, "incidents").await?;
        let inc = Incident::create(req, format!("INC-{num}"), at, &self.cadence)?;
        sqlx::query(
            "INSERT INTO incidents (num, id, phase, severity, version, created_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(num)
        .bind(&inc.id)
        .bind(inc.phase.as_str())
        .bind(inc.severity.as_str())
        .bind(inc.version)
        .bind(ts(inc.created_at))
        .bind(serde_json::to_string(&inc)?)
        .execute(&mut **tx)
        .await?;
        let mut created = Change::note(
            "created",
            format!("declared {} {}: {}", inc.severity, inc.id, inc.title),
        );
        created.field = Some("severity".into());
        created.new = Some(inc.severity.as_str().into());
        record(tx, &inc.id, actor, at, &[created]).await?;
        emit(tx, "incident.created", &inc.id, at, &inc).await?;
        Ok(inc.id)
    }

    async fn seed_patch(
        &self,
        tx: &mut Tx,
        at: DateTime<Utc>,
        actor: &str,
        id: &str,
        patch: &IncidentPatch,
    ) -> Result<(), StoreError> {
        let current = incident_in_tx(tx, id).await?;
        let ctx = close_context(tx, id, at).await?;
        let (next, changes) = current.apply(patch, ctx, at, &self.cadence)?;
        if changes.is_empty() {
            return Ok(());
        }
        save_incident(tx, &next).await?;
        record(tx, id, actor, at, &changes).await?;
        emit(tx, "incident.updated", id, at, &next).await
    }

    async fn seed_update(
        &self,
        tx: &mut Tx,
        at: DateTime<Utc>,
        actor: &str,
        id: &str,
        req: &NewStatusUpdate,
    ) -> Result<(), StoreError> {
        let inc = incident_in_tx(tx, id).await?;
        let (mut update, next) = req.accept(&inc, actor, at, &self.cadence)?;
        let num = next_num(tx, "status_updates").await?;
        update.id = format!("UPD-{num}");
        sqlx::query("INSERT INTO status_updates (num, id, incident_id, audience, data) VALUES ($1, $2, $3, $4, $5)")
            .bind(num)
            .bind(&update.id)
            .bind(id)
            .bind(update.audience.as_str())
            .bind(serde_json::to_string(&update)?)
            .execute(&mut **tx)
            .await?;
        let mut change = Change::note(
            "update_posted",
            format!(
                "{} update {}: {}",
                update.audience, update.id, update.current_status
            ),
        );
        if let Some(due) = update.next_update_due_at {
            change.field = Some("next_update_due_at".into());
            change.old = inc.next_update_due_at.map(ts);
            change.new = Some(ts(due));
        }
        record(tx, id, actor, at, &[change]).await?;
        emit(tx, "update.posted", id, at, &update).await?;
        if let Some(next) = next {
            save_incident(tx, &next).await?;
            emit(tx, "incident.updated", id, at, &next).await?;
        }
        Ok(())
    }
}

async fn seed_action(
    tx: &mut Tx,
    at: DateTime<Utc>,
    actor: &str,
    id: &str,
    req: &NewAction,
) -> Result<(), StoreError> {
    let mut action = CorrectiveAction::create(req, id, at)?;
    let num = next_num(tx, "actions").await?;
    action.id = format!("ACT-{num}");
    sqlx::query(
        "INSERT INTO actions (num, id, incident_id, status, owner, due_date, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(num)
    .bind(&action.id)
    .bind(id)
    .bind(action.status.as_str())
    .bind(&action.owner)
    .bind(action.due_date.to_string())
    .bind(action.version)
    .bind(serde_json::to_string(&action)?)
    .execute(&mut **tx)
    .await?;
    let change = Change::note(
        "action_created",
        format!(
            "{}: {} (owner {}, due {})",
            action.id, action.title, action.owner, action.due_date
        ),
    );
    record(tx, id, actor, at, &[change]).await?;
    emit(tx, "action.created", id, at, &action).await
}

async fn seed_exception(
    tx: &mut Tx,
    at: DateTime<Utc>,
    actor: &str,
    id: &str,
    req: &NewException,
) -> Result<(), StoreError> {
    let mut exc = RiskException::create(req, id, actor, at)?;
    let num = next_num(tx, "exceptions").await?;
    exc.id = format!("EXC-{num}");
    sqlx::query("INSERT INTO exceptions (num, id, incident_id, remediation_due, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(num)
        .bind(&exc.id)
        .bind(id)
        .bind(ts(exc.remediation_due))
        .bind(serde_json::to_string(&exc)?)
        .execute(&mut **tx)
        .await?;
    let mut change = Change::note(
        "exception_created",
        format!(
            "{}: {} (risk accepted by {})",
            exc.id, exc.description, exc.risk_accepted_by
        ),
    );
    change.field = Some("remediation_due".into());
    change.new = Some(ts(exc.remediation_due));
    record(tx, id, actor, at, &[change]).await?;
    emit(tx, "exception.created", id, at, &exc).await
}

/// The same facts the API's phase rules consult, as of `at`.
async fn close_context(
    tx: &mut Tx,
    id: &str,
    at: DateTime<Utc>,
) -> Result<CloseContext, StoreError> {
    let customer_updates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM status_updates WHERE incident_id = $1 AND audience = 'customer'",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let open_actions: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM actions WHERE incident_id = $1 AND status IN ('open', 'in_progress')",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let exceptions: Vec<String> =
        sqlx::query_scalar("SELECT data FROM exceptions WHERE incident_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let mut has_live_exception = false;
    for data in exceptions {
        let e: RiskException = serde_json::from_str(&data)?;
        has_live_exception |= e.is_live(at);
    }
    Ok(CloseContext {
        has_customer_update: customer_updates > 0,
        open_actions: u32::try_from(open_actions).unwrap_or(u32::MAX),
        has_live_exception,
    })
}
