//! Status updates, corrective actions and risk exceptions: the records that hang off an
//! incident.
use super::incidents::{incident_in_tx, save_incident};
use super::log::{emit, record};
use super::{Created, Idempotency, Store, StoreError, Tx, next_num, now, ts};
use crate::domain::{
    ActionPatch, ActionStatus, Cadence, Change, CorrectiveAction, NewAction, NewException,
    NewStatusUpdate, RiskException, StatusUpdate,
};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

/// Filters for `GET /actions`.
#[derive(Debug, Clone, Default)]
pub struct ActionQuery {
    pub statuses: Vec<ActionStatus>,
    pub overdue_only: bool,
    pub owner: Option<String>,
}

fn parse_all<T: DeserializeOwned>(rows: Vec<String>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
}

fn parse_action(data: &str) -> Result<CorrectiveAction, StoreError> {
    let mut a: CorrectiveAction = serde_json::from_str(data)?;
    a.refresh(now());
    Ok(a)
}

async fn insert_action(tx: &mut Tx, num: i64, a: &CorrectiveAction) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO actions (num, id, incident_id, status, owner, due_date, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(num)
    .bind(&a.id)
    .bind(&a.incident_id)
    .bind(a.status.as_str())
    .bind(&a.owner)
    .bind(a.due_date.to_string())
    .bind(a.version)
    .bind(serde_json::to_string(a)?)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn update_action(tx: &mut Tx, a: &CorrectiveAction) -> Result<(), StoreError> {
    sqlx::query("UPDATE actions SET status = $1, owner = $2, due_date = $3, version = $4, data = $5 WHERE id = $6")
        .bind(a.status.as_str())
        .bind(&a.owner)
        .bind(a.due_date.to_string())
        .bind(a.version)
        .bind(serde_json::to_string(a)?)
        .bind(&a.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    pub async fn updates(&self, incident_id: &str) -> Result<Vec<StatusUpdate>, StoreError> {
        self.require_incident(incident_id).await?;
        let rows = sqlx::query_scalar(
            "SELECT data FROM status_updates WHERE incident_id = $1 ORDER BY num",
        )
        .bind(incident_id)
        .fetch_all(&self.reader)
        .await?;
        parse_all(rows)
    }

    pub async fn post_update(
        &self,
        actor: &str,
        incident_id: &str,
        req: &NewStatusUpdate,
        idem: Option<&Idempotency>,
    ) -> Result<Created<StatusUpdate>, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let update = insert_update(&mut tx, actor, incident_id, req, &self.cadence, now()).await?;
        self.finish(tx, actor, idem, update).await
    }

    pub async fn incident_actions(
        &self,
        incident_id: &str,
    ) -> Result<Vec<CorrectiveAction>, StoreError> {
        self.require_incident(incident_id).await?;
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT data FROM actions WHERE incident_id = $1 ORDER BY num")
                .bind(incident_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(|d| parse_action(d)).collect()
    }

    /// Actions across all incidents: overdue first, then by due date.
    pub async fn actions(&self, q: &ActionQuery) -> Result<Vec<CorrectiveAction>, StoreError> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT data FROM actions ORDER BY due_date, num")
                .fetch_all(&self.reader)
                .await?;
        let mut items = Vec::new();
        for d in rows {
            let a = parse_action(&d)?;
            let keep = (q.statuses.is_empty() || q.statuses.contains(&a.status))
                && (!q.overdue_only || a.overdue)
                && q.owner
                    .as_ref()
                    .is_none_or(|o| a.owner.eq_ignore_ascii_case(o));
            if keep {
                items.push(a);
            }
        }
        items.sort_by_key(|a| !a.overdue);
        Ok(items)
    }

    pub async fn action(&self, id: &str) -> Result<CorrectiveAction, StoreError> {
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM actions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        match data {
            Some(d) => parse_action(&d),
            None => Err(StoreError::NotFound {
                what: "action",
                id: id.into(),
            }),
        }
    }

    pub async fn create_action(
        &self,
        actor: &str,
        incident_id: &str,
        req: &NewAction,
        idem: Option<&Idempotency>,
    ) -> Result<Created<CorrectiveAction>, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let action = new_action(&mut tx, actor, incident_id, req, now()).await?;
        self.finish(tx, actor, idem, action).await
    }

    pub async fn patch_action(
        &self,
        actor: &str,
        id: &str,
        if_match: i64,
        patch: &ActionPatch,
    ) -> Result<CorrectiveAction, StoreError> {
        let mut tx = self.begin().await?;
        let at = now();
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM actions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let current = match data {
            Some(d) => parse_action(&d)?,
            None => {
                return Err(StoreError::NotFound {
                    what: "action",
                    id: id.into(),
                });
            }
        };
        if current.version != if_match {
            return Err(StoreError::Stale {
                what: "action",
                version: current.version,
                current: serde_json::to_value(&current)?,
            });
        }
        let (next, changes) = current.apply(patch, at)?;
        if changes.is_empty() {
            return Ok(next);
        }
        update_action(&mut tx, &next).await?;
        record(&mut tx, &next.incident_id, actor, at, &changes).await?;
        emit(
            &mut tx,
            "action.updated",
            &next.incident_id,
            actor,
            at,
            &next,
        )
        .await?;
        self.commit(tx).await?;
        Ok(next)
    }

    pub async fn exceptions(&self, incident_id: &str) -> Result<Vec<RiskException>, StoreError> {
        self.require_incident(incident_id).await?;
        let rows =
            sqlx::query_scalar("SELECT data FROM exceptions WHERE incident_id = $1 ORDER BY num")
                .bind(incident_id)
                .fetch_all(&self.reader)
                .await?;
        parse_all(rows)
    }

    pub async fn create_exception(
        &self,
        actor: &str,
        incident_id: &str,
        req: &NewException,
        idem: Option<&Idempotency>,
    ) -> Result<Created<RiskException>, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let exc = new_exception(&mut tx, actor, incident_id, req, now()).await?;
        self.finish(tx, actor, idem, exc).await
    }
}

/// Creates a corrective action at `at`: the row, its timeline entry and its event.
pub(super) async fn new_action(
    tx: &mut Tx,
    actor: &str,
    incident_id: &str,
    req: &NewAction,
    at: DateTime<Utc>,
) -> Result<CorrectiveAction, StoreError> {
    incident_in_tx(tx, incident_id).await?;
    let mut action = CorrectiveAction::create(req, incident_id, at)?;
    let num = next_num(tx, "actions").await?;
    action.id = format!("ACT-{num}");
    insert_action(tx, num, &action).await?;
    let change = Change::note(
        "action_created",
        format!(
            "{}: {} (owner {}, due {})",
            action.id, action.title, action.owner, action.due_date
        ),
    );
    record(tx, incident_id, actor, at, &[change]).await?;
    emit(tx, "action.created", incident_id, actor, at, &action).await?;
    Ok(action)
}

/// Records a risk exception at `at`: the row, its timeline entry and its event.
pub(super) async fn new_exception(
    tx: &mut Tx,
    actor: &str,
    incident_id: &str,
    req: &NewException,
    at: DateTime<Utc>,
) -> Result<RiskException, StoreError> {
    incident_in_tx(tx, incident_id).await?;
    let mut exc = RiskException::create(req, incident_id, actor, at)?;
    let num = next_num(tx, "exceptions").await?;
    exc.id = format!("EXC-{num}");
    sqlx::query("INSERT INTO exceptions (num, id, incident_id, remediation_due, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(num)
        .bind(&exc.id)
        .bind(incident_id)
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
    record(tx, incident_id, actor, at, &[change]).await?;
    emit(tx, "exception.created", incident_id, actor, at, &exc).await?;
    Ok(exc)
}

/// Posts a status update at `at`; a customer update also moves the incident's clock.
pub(super) async fn insert_update(
    tx: &mut Tx,
    actor: &str,
    incident_id: &str,
    req: &NewStatusUpdate,
    cadence: &Cadence,
    at: DateTime<Utc>,
) -> Result<StatusUpdate, StoreError> {
    let inc = incident_in_tx(tx, incident_id).await?;
    let (mut update, next) = req.accept(&inc, actor, at, cadence)?;
    let num = next_num(tx, "status_updates").await?;
    update.id = format!("UPD-{num}");
    sqlx::query("INSERT INTO status_updates (num, id, incident_id, audience, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(num)
        .bind(&update.id)
        .bind(incident_id)
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
    record(tx, incident_id, actor, at, &[change]).await?;
    emit(tx, "update.posted", incident_id, actor, at, &update).await?;
    // A customer update moves the incident's clock; subscribers get its new state too.
    if let Some(next) = next {
        save_incident(tx, &next).await?;
        emit(tx, "incident.updated", incident_id, actor, at, &next).await?;
    }
    Ok(update)
}
