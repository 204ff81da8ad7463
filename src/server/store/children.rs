//! Status updates, corrective actions and risk exceptions: the records that hang off an
//! incident.
use super::incidents::{incident_in_tx, save_incident};
use super::log::{emit, record, record_entry};
use super::{
    Created, Idempotency, Listed, Principal, Slice, Store, StoreError, Tx, next_num, now, ts,
};
use crate::domain::Audience;
use crate::domain::milestone::{Milestone, Reached};
use crate::domain::{
    ActionPatch, ActionStatus, Cadence, Change, CorrectiveAction, Incident, NewAction,
    NewException, NewNote, NewStatusUpdate, RiskException, StatusUpdate, TimelineEntry,
};
use crate::protocol::EventKind;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

/// Filters and paging for `GET /actions`.
#[derive(Debug, Clone, Default)]
pub struct ActionQuery {
    pub statuses: Vec<ActionStatus>,
    pub overdue_only: bool,
    pub owner: Option<String>,
    pub limit: u32,
    /// Return actions after this one in the list's order (from the opaque cursor).
    pub after: Option<ActionKey>,
}

/// Where an action sits in `GET /actions`' order: overdue first (`group` 0), then the
/// rest (1), each by due date and then number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionKey {
    pub group: i64,
    pub due_date: String,
    pub num: i64,
}

/// One page of `(num, key, data)` rows of `table` for an incident: their sizes are read
/// first, so the page stops at `rows::PAGE_BYTES` of data as well as at `page.limit` rows;
/// with the key of its last row when more follow. `table` and `cols` are this module's
/// constants, never input.
pub(super) async fn page_rows(
    reader: &sqlx::AnyPool,
    table: &str,
    cols: &str,
    incident_id: &str,
    page: Slice,
) -> Result<(Vec<(i64, String, String)>, Option<i64>), StoreError> {
    let mut sizes: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT num, CAST(LENGTH(data) AS BIGINT) FROM {table} WHERE incident_id = $1 AND num > $2 ORDER BY num LIMIT $3"
    ))
    .bind(incident_id)
    .bind(page.after)
    .bind(page.fetch())
    .fetch_all(reader)
    .await?;
    let by_count = page.cut(&mut sizes, |r| r.0);
    let Some(last) = super::log::last_within(&sizes, super::rows::PAGE_BYTES) else {
        return Ok((Vec::new(), None));
    };
    let more_after = if Some(&last) == sizes.last().map(|r| &r.0) {
        by_count
    } else {
        Some(last)
    };
    let rows = sqlx::query_as(&format!(
        "SELECT {cols} FROM {table} WHERE incident_id = $1 AND num > $2 AND num <= $3 ORDER BY num"
    ))
    .bind(incident_id)
    .bind(page.after)
    .bind(last)
    .fetch_all(reader)
    .await?;
    Ok((rows, more_after))
}

/// One page of `(num, id, data)` rows, each read on its own.
fn parse_page<T>(
    what: &str,
    (rows, more_after): (Vec<(i64, String, String)>, Option<i64>),
    parse: impl Fn(&str) -> Result<T, StoreError>,
) -> Listed<T> {
    let mut listed = Listed {
        more_after,
        ..Listed::default()
    };
    for (_, id, data) in rows {
        listed.push(what, id, parse(&data));
    }
    listed
}

fn parse_json<T: DeserializeOwned>(data: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(StoreError::from)
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
    pub async fn updates(
        &self,
        incident_id: &str,
        page: Slice,
    ) -> Result<Listed<StatusUpdate>, StoreError> {
        self.require_incident(incident_id).await?;
        let rows = page_rows(
            &self.reader,
            "status_updates",
            "num, id, data",
            incident_id,
            page,
        )
        .await?;
        Ok(parse_page("status update", rows, parse_json))
    }

    /// Posts a status update by `who`; on a closed incident only a commander may, decided
    /// on the row under the write lock (a close can land between a read and this write).
    pub async fn post_update(
        &self,
        who: &Principal,
        incident_id: &str,
        req: &NewStatusUpdate,
        idem: Option<&Idempotency>,
    ) -> Result<Created<StatusUpdate>, StoreError> {
        let actor = who.name.as_str();
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let inc = incident_in_tx(&mut tx, incident_id).await?;
        inc.authorize_addition(actor, who.role, "posting a status update")?;
        let update = insert_update(&mut tx, actor, inc, req, &self.cadence, now()).await?;
        self.finish(tx, actor, idem, update).await
    }

    /// A scribe's note: a new timeline entry (kind `note`), and a `timeline.appended` event
    /// so every console with the incident open shows it.
    pub async fn add_note(
        &self,
        who: &Principal,
        incident_id: &str,
        req: &NewNote,
        idem: Option<&Idempotency>,
    ) -> Result<Created<TimelineEntry>, StoreError> {
        let actor = who.name.as_str();
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let at = now();
        let change = req.accept(at)?;
        incident_in_tx(&mut tx, incident_id)
            .await?
            .authorize_addition(actor, who.role, "adding a note")?;
        let entry = record_entry(&mut tx, incident_id, actor, at, &change).await?;
        emit(
            &mut tx,
            EventKind::TimelineAppended,
            incident_id,
            actor,
            at,
            &entry,
        )
        .await?;
        self.finish(tx, actor, idem, entry).await
    }

    pub async fn incident_actions(
        &self,
        incident_id: &str,
        page: Slice,
    ) -> Result<Listed<CorrectiveAction>, StoreError> {
        self.require_incident(incident_id).await?;
        let rows = page_rows(&self.reader, "actions", "num, id, data", incident_id, page).await?;
        Ok(parse_page("action", rows, parse_action))
    }

    /// A page of actions across all incidents: overdue first, then by due date, and the key
    /// of the last one when more follow. Filtered and paged in SQL, so a page costs the
    /// same however many actions exist. An action is overdue while open or in progress
    /// after its due date (UTC); due dates are stored as `YYYY-MM-DD`, which sort as text.
    pub async fn actions(
        &self,
        q: &ActionQuery,
    ) -> Result<(Listed<CorrectiveAction>, Option<ActionKey>), StoreError> {
        let today = now().date_naive().to_string();
        let mut sql = String::from(
            "SELECT grp, due_date, num, data FROM (SELECT CAST(CASE WHEN status IN ('open', 'in_progress') AND due_date < $1 THEN 0 ELSE 1 END AS BIGINT) AS grp, due_date, num, status, owner, data FROM actions) a WHERE 1 = 1",
        );
        let mut args: Vec<String> = vec![today];
        let arg = |v: String, args: &mut Vec<String>| {
            args.push(v);
            format!("${}", args.len())
        };
        if !q.statuses.is_empty() {
            let marks: Vec<String> = q
                .statuses
                .iter()
                .map(|st| arg(st.as_str().to_string(), &mut args))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", marks.join(", ")));
        }
        if q.overdue_only {
            sql.push_str(" AND grp = 0");
        }
        if let Some(o) = &q.owner {
            let m = arg(o.to_ascii_lowercase(), &mut args);
            sql.push_str(&format!(" AND LOWER(owner) = {m}"));
        }
        let mut ints: Vec<i64> = Vec::new();
        if let Some(k) = &q.after {
            let due = arg(k.due_date.clone(), &mut args);
            let (g, n) = (args.len() + 1, args.len() + 2);
            ints.extend([k.group, k.num]);
            sql.push_str(&format!(
                " AND (grp > ${g} OR (grp = ${g} AND (due_date > {due} OR (due_date = {due} AND num > ${n}))))"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY grp, due_date, num LIMIT ${}",
            args.len() + ints.len() + 1
        ));
        let mut query = sqlx::query_as::<_, (i64, String, i64, String)>(&sql);
        for a in &args {
            query = query.bind(a);
        }
        for i in &ints {
            query = query.bind(i);
        }
        let rows = query
            .bind(i64::from(q.limit) + 1)
            .fetch_all(&self.reader)
            .await?;
        let more = rows.len() > q.limit as usize;
        let mut listed = Listed::default();
        let mut last = None;
        for (group, due_date, num, data) in rows.into_iter().take(q.limit as usize) {
            listed.push("action", format!("ACT-{num}"), parse_action(&data));
            last = Some(ActionKey {
                group,
                due_date,
                num,
            });
        }
        Ok((listed, if more { last } else { None }))
    }

    pub async fn action(&self, id: &str) -> Result<CorrectiveAction, StoreError> {
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM actions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        match data {
            Some(d) => parse_action(&d).map_err(|e| e.of_record("action", id)),
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
        who: &Principal,
        id: &str,
        if_match: i64,
        patch: &ActionPatch,
        idem: Option<&Idempotency>,
    ) -> Result<Created<CorrectiveAction>, StoreError> {
        let actor = who.name.as_str();
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let at = now();
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM actions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let current = match data {
            Some(d) => parse_action(&d).map_err(|e| e.of_record("action", id))?,
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
        if !current.status.is_open() {
            let inc = incident_in_tx(&mut tx, &current.incident_id).await?;
            if patch.status.is_some_and(ActionStatus::is_open) {
                inc.refuse_open_action_if_closed("status", &format!("reopening {}", current.id))?;
            }
            // A finished or cancelled action of a closed incident is part of its record;
            // open ones (left under an exception) are still worked on by responders.
            inc.authorize_addition(actor, who.role, &format!("changing {}", current.id))?;
        }
        let (next, changes) = current.apply(patch, at)?;
        if !changes.is_empty() {
            update_action(&mut tx, &next).await?;
            record(&mut tx, &next.incident_id, actor, at, &changes).await?;
            emit(
                &mut tx,
                EventKind::ActionUpdated,
                &next.incident_id,
                actor,
                at,
                &next,
            )
            .await?;
        }
        self.finish_with(tx, actor, idem, 200, next).await
    }

    pub async fn exceptions(
        &self,
        incident_id: &str,
        page: Slice,
    ) -> Result<Listed<RiskException>, StoreError> {
        self.require_incident(incident_id).await?;
        let rows = page_rows(
            &self.reader,
            "exceptions",
            "num, id, data",
            incident_id,
            page,
        )
        .await?;
        Ok(parse_page("exception", rows, parse_json))
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
    incident_in_tx(tx, incident_id)
        .await?
        .refuse_open_action_if_closed("incident", "adding a corrective action")?;
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
    emit(
        tx,
        EventKind::ActionCreated,
        incident_id,
        actor,
        at,
        &action,
    )
    .await?;
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
    emit(
        tx,
        EventKind::ExceptionCreated,
        incident_id,
        actor,
        at,
        &exc,
    )
    .await?;
    Ok(exc)
}

/// Posts a status update at `at`; a customer update also moves the incident's clock.
pub(super) async fn insert_update(
    tx: &mut Tx,
    actor: &str,
    inc: Incident,
    req: &NewStatusUpdate,
    cadence: &Cadence,
    at: DateTime<Utc>,
) -> Result<StatusUpdate, StoreError> {
    let incident_id = inc.id.as_str();
    let (mut update, next) = req.accept(&inc, actor, at, cadence)?;
    if update.audience == Audience::Customer {
        let earlier: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM status_updates WHERE incident_id = $1 AND audience = 'customer'",
        )
        .bind(incident_id)
        .fetch_one(&mut **tx)
        .await?;
        if earlier == 0 {
            tx.reached.push(Reached::new(
                Milestone::FirstCustomerUpdate,
                inc.severity,
                inc.created_at,
                at,
            ));
        }
    }
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
    emit(tx, EventKind::UpdatePosted, incident_id, actor, at, &update).await?;
    // A customer update moves the incident's clock; subscribers get its new state too.
    if let Some(next) = next {
        save_incident(tx, &next).await?;
        emit(
            tx,
            EventKind::IncidentUpdated,
            incident_id,
            actor,
            at,
            &next,
        )
        .await?;
    }
    Ok(update)
}
