use super::log::{emit, record};
use super::{Created, Idempotency, Listed, Principal, Store, StoreError, Tx, next_num, now, ts};
use crate::domain::milestone::{self, PhaseHistory, Reached};
use crate::domain::{
    Cadence, Change, CloseContext, Incident, IncidentPatch, NewIncident, Phase, RiskException,
    Severity,
};
use crate::protocol::EventKind;
use chrono::{DateTime, Utc};

/// Filters and paging for `GET /incidents`. Every filter narrows (they combine with AND).
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    pub phases: Vec<Phase>,
    pub severities: Vec<Severity>,
    /// Some(true): every phase but Closed; Some(false): Closed only.
    pub open: Option<bool>,
    /// Closed incidents whose last change (the close, or a later correction) is at or after
    /// this; open incidents are left out.
    pub closed_since: Option<DateTime<Utc>>,
    /// Incidents changed at or after this, in any phase: a reconnecting client's delta.
    pub updated_since: Option<DateTime<Utc>>,
    /// Some(true): incidents with an open or in-progress corrective action (a closed one
    /// older than a console's recent window still owes those); Some(false): without.
    pub open_actions: Option<bool>,
    /// Lowercased words, each of which the id, title, commander or impact scope contains
    /// (as the console's `/` filter reads free text).
    pub text: Option<String>,
    pub limit: u32,
    /// Return incidents numbered below this (from the opaque cursor).
    pub before: Option<i64>,
}

/// What `q=` searches: the id, title, commander and impact scope, lowercased, one per line
/// (so a search cannot match across two of them). The console's `/` filter searches the
/// same fields.
pub fn search_text(inc: &Incident) -> String {
    [
        inc.id.as_str(),
        &inc.title,
        inc.commander.as_deref().unwrap_or(""),
        &inc.impact_scope,
    ]
    .join("\n")
    .to_lowercase()
}

impl IncidentQuery {
    /// Whether `inc` passes the filters (for a backend that filters in memory). Such a
    /// backend (PagerDuty) keeps no corrective actions: no incident has an open one.
    pub fn matches(&self, inc: &Incident) -> bool {
        (self.phases.is_empty() || self.phases.contains(&inc.phase))
            && (self.severities.is_empty() || self.severities.contains(&inc.severity))
            && self
                .open
                .is_none_or(|open| open == (inc.phase != Phase::Closed))
            && self
                .closed_since
                .is_none_or(|t| inc.phase == Phase::Closed && inc.updated_at >= t)
            && self.updated_since.is_none_or(|t| inc.updated_at >= t)
            && self.open_actions.is_none_or(|with| !with)
            && self.text.as_deref().is_none_or(|q| {
                let hay = search_text(inc);
                q.split_whitespace().all(|w| hay.contains(w))
            })
    }
}

/// `text` as a LIKE pattern that matches it literally anywhere (`\` escapes).
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

pub(super) fn parse_incident(data: &str) -> Result<Incident, StoreError> {
    let mut inc: Incident = serde_json::from_str(data)?;
    inc.refresh(now());
    Ok(inc)
}

async fn load_for_update(tx: &mut Tx, id: &str) -> Result<Incident, StoreError> {
    let data: Option<String> = sqlx::query_scalar("SELECT data FROM incidents WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match data {
        Some(d) => parse_incident(&d).map_err(|e| e.of_record("incident", id)),
        None => Err(StoreError::NotFound {
            what: "incident",
            id: id.to_string(),
        }),
    }
}

pub(super) async fn save_incident(tx: &mut Tx, inc: &Incident) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE incidents SET phase = $1, severity = $2, version = $3, data = $4, updated_at = $5, search = $6 WHERE id = $7",
    )
    .bind(inc.phase.as_str())
    .bind(inc.severity.as_str())
    .bind(inc.version)
    .bind(serde_json::to_string(inc)?)
    .bind(ts(inc.updated_at))
    .bind(search_text(inc))
    .bind(&inc.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Loads an incident inside a write transaction, refusing with 404 when it is missing.
pub(super) async fn incident_in_tx(tx: &mut Tx, id: &str) -> Result<Incident, StoreError> {
    load_for_update(tx, id).await
}

/// The facts the phase rules consult (customer updates, open actions, live exceptions), as
/// of `at`.
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
    // Any recorded change of the flag means it was on at some time (it is a boolean, and
    // only real changes are recorded).
    let impact_changes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM timeline WHERE incident_id = $1 AND field = 'customer_impact'",
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
        was_customer_impacting: impact_changes > 0,
        open_actions: u32::try_from(open_actions).unwrap_or(u32::MAX),
        has_live_exception,
    })
}

/// The list query for `q` and its text arguments; the page's `before` and `limit` are the
/// last two placeholders. Placeholders are numbered by hand: both backends take `$N`.
fn list_sql(q: &IncidentQuery) -> (String, Vec<String>) {
    let mut sql = String::from("SELECT num, id, data FROM incidents WHERE 1 = 1");
    let mut args: Vec<String> = Vec::new();
    // When a time or the incidents owing an action pick out few rows, an expression in
    // place of the bare column (`+num`, `phase || ''`: PostgreSQL has no `+` for text)
    // keeps SQLite from walking the (phase, num) index in num order instead, testing every
    // incident of the history against the filter.
    let selective =
        q.closed_since.is_some() || q.updated_since.is_some() || q.open_actions == Some(true);
    let (phase, num) = if selective {
        ("phase || ''", "+num")
    } else {
        ("phase", "num")
    };
    let mut in_list = |column: &str, values: Vec<&str>, sql: &mut String| {
        if values.is_empty() {
            return;
        }
        let marks: Vec<String> = values
            .iter()
            .map(|v| {
                args.push((*v).to_string());
                format!("${}", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
    };
    in_list(
        phase,
        q.phases.iter().map(|p| p.as_str()).collect(),
        &mut sql,
    );
    in_list(
        "severity",
        q.severities.iter().map(|s| s.as_str()).collect(),
        &mut sql,
    );
    // Open as the list of open phases, not `phase <> closed`: an inequality uses no index,
    // and both databases then walked every closed incident of the history.
    if q.open == Some(true) {
        let open = Phase::ALL.iter().filter(|p| **p != Phase::Closed);
        in_list(phase, open.map(|p| p.as_str()).collect(), &mut sql);
    }
    let closed = Phase::Closed.as_str().to_string();
    let mut bind = |value: String, sql: &mut String, cond: &str| {
        args.push(value);
        sql.push_str(&cond.replace('?', &format!("${}", args.len())));
    };
    if q.open == Some(false) {
        bind(closed.clone(), &mut sql, &format!(" AND {phase} = ?"));
    }
    if let Some(t) = q.closed_since {
        // Not `+phase`: (phase, updated_at) is the index that finds the recent closes.
        bind(closed, &mut sql, " AND phase = ?");
        bind(ts(t), &mut sql, " AND updated_at >= ?");
    }
    if let Some(t) = q.updated_since {
        bind(ts(t), &mut sql, " AND updated_at >= ?");
    }
    if let Some(with) = q.open_actions {
        // Read through the actions' status index: the open actions are few, the history is
        // not.
        sql.push_str(&format!(
            " AND id {}IN (SELECT incident_id FROM actions WHERE status IN ('open', 'in_progress'))",
            if with { "" } else { "NOT " }
        ));
    }
    for word in q.text.iter().flat_map(|t| t.split_whitespace()) {
        bind(
            like_pattern(word),
            &mut sql,
            " AND search LIKE ? ESCAPE '\\'",
        );
    }
    let n = args.len();
    sql.push_str(&format!(
        " AND {num} < ${} ORDER BY {num} DESC LIMIT ${}",
        n + 1,
        n + 2
    ));
    (sql, args)
}

impl Store {
    pub async fn list_incidents(
        &self,
        q: &IncidentQuery,
    ) -> Result<(Listed<Incident>, Option<i64>), StoreError> {
        let (sql, args) = list_sql(q);
        let mut query = sqlx::query_as::<_, (i64, String, String)>(&sql);
        for a in &args {
            query = query.bind(a);
        }
        let rows: Vec<(i64, String, String)> = query
            .bind(q.before.unwrap_or(i64::MAX))
            .bind(i64::from(q.limit) + 1)
            .fetch_all(&self.reader)
            .await?;
        let more = rows.len() > q.limit as usize;
        let mut listed = Listed::default();
        let mut last = None;
        for (num, id, data) in rows.into_iter().take(q.limit as usize) {
            listed.push("incident", id, parse_incident(&data));
            last = Some(num);
        }
        Ok((listed, if more { last } else { None }))
    }

    pub async fn incident(&self, id: &str) -> Result<Incident, StoreError> {
        let data: Option<String> = sqlx::query_scalar("SELECT data FROM incidents WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        match data {
            Some(d) => parse_incident(&d).map_err(|e| e.of_record("incident", id)),
            None => Err(StoreError::NotFound {
                what: "incident",
                id: id.to_string(),
            }),
        }
    }

    pub(super) async fn require_incident(&self, id: &str) -> Result<(), StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT num FROM incidents WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        found.map(|_| ()).ok_or_else(|| StoreError::NotFound {
            what: "incident",
            id: id.to_string(),
        })
    }

    pub async fn create_incident(
        &self,
        actor: &str,
        req: &NewIncident,
        idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let inc = insert_incident(&mut tx, actor, req, &self.cadence, now()).await?;
        self.finish(tx, actor, idem, inc).await
    }

    /// Applies a PATCH by `who` based on version `if_match`. Returns the incident as it now
    /// is; a patch that changes nothing returns it unchanged and records nothing. Whether
    /// `who` may make the change is decided here, on the row as it is under the write lock:
    /// a decision made on an earlier read could be overtaken by a change (a close) that
    /// commits in between and produces the very version the caller sends.
    pub async fn patch_incident(
        &self,
        who: &Principal,
        id: &str,
        if_match: i64,
        patch: &IncidentPatch,
        idem: Option<&Idempotency>,
    ) -> Result<Created<Incident>, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, &who.name, idem).await? {
            return Ok(r);
        }
        let at = now();
        let current = load_for_update(&mut tx, id).await?;
        if current.version != if_match {
            return Err(StoreError::Stale {
                what: "incident",
                version: current.version,
                current: serde_json::to_value(&current)?,
            });
        }
        patch.authorize(&current, &who.name, who.role)?;
        let next = write_patch(&mut tx, &who.name, current, patch, &self.cadence, at).await?;
        self.finish_with(tx, &who.name, idem, 200, next).await
    }
}

/// Applies `patch` to `current` at `at` under the domain rules: the new row, its timeline
/// entries and its event. A patch that changes nothing writes nothing.
pub(super) async fn write_patch(
    tx: &mut Tx,
    actor: &str,
    current: Incident,
    patch: &IncidentPatch,
    cadence: &Cadence,
    at: DateTime<Utc>,
) -> Result<Incident, StoreError> {
    let id = current.id.clone();
    let ctx = close_context(tx, &id, at).await?;
    let (next, changes) = current.apply(patch, ctx, at, cadence)?;
    if changes.is_empty() {
        return Ok(next);
    }
    if milestone::may_reach(current.phase, next.phase) {
        // Read before this move is recorded: the history is of the moves before it.
        let before = phase_history(tx, &id).await?;
        for m in milestone::reached_by_move(current.phase, next.phase, before) {
            tx.reached
                .push(Reached::new(m, next.severity, current.created_at, at));
        }
    }
    save_incident(tx, &next).await?;
    record(tx, &id, actor, at, &changes).await?;
    emit(tx, EventKind::IncidentUpdated, &id, actor, at, &next).await?;
    Ok(next)
}

/// Whether the incident left Detection, and moved past Containment, before now.
async fn phase_history(tx: &mut Tx, id: &str) -> Result<PhaseHistory, StoreError> {
    let (acknowledged, recovered): (i64, i64) = sqlx::query_as(
        "SELECT \
           COALESCE(SUM(CASE WHEN old = 'detection' THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN new IN ('communication', 'follow_through', 'closed') THEN 1 ELSE 0 END), 0) \
         FROM timeline WHERE incident_id = $1 AND field = 'phase'",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(PhaseHistory {
        acknowledged: acknowledged > 0,
        recovered: recovered > 0,
    })
}

pub(super) async fn insert_incident(
    tx: &mut Tx,
    actor: &str,
    req: &NewIncident,
    cadence: &Cadence,
    at: DateTime<Utc>,
) -> Result<Incident, StoreError> {
    let num = next_num(tx, "incidents").await?;
    let inc = Incident::create(req, format!("INC-{num}"), at, cadence)?;
    sqlx::query(
        "INSERT INTO incidents (num, id, phase, severity, version, created_at, data, updated_at, search) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(num)
    .bind(&inc.id)
    .bind(inc.phase.as_str())
    .bind(inc.severity.as_str())
    .bind(inc.version)
    .bind(ts(inc.created_at))
    .bind(serde_json::to_string(&inc)?)
    .bind(ts(inc.updated_at))
    .bind(search_text(&inc))
    .execute(&mut **tx)
    .await?;
    let mut created = Change::note(
        "created",
        format!("declared {} {}: {}", inc.severity, inc.id, inc.title),
    );
    created.field = Some("severity".into());
    created.new = Some(inc.severity.as_str().into());
    record(tx, &inc.id, actor, at, &[created]).await?;
    emit(tx, EventKind::IncidentCreated, &inc.id, actor, at, &inc).await?;
    Ok(inc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan for each list a console asks for at start-up and on reconnect. With the
    /// whole history in `incidents`, a plan that walks the table or the primary key reads
    /// every closed incident to find the few live ones.
    #[tokio::test]
    async fn live_lists_are_found_through_an_index_not_by_walking_the_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("plan.db"))
            .await
            .unwrap();
        let day = Utc::now() - chrono::Duration::hours(24);
        let lists = [
            (
                "closed, owing an action",
                IncidentQuery {
                    open: Some(false),
                    open_actions: Some(true),
                    ..Default::default()
                },
            ),
            (
                "open",
                IncidentQuery {
                    open: Some(true),
                    ..Default::default()
                },
            ),
            (
                "recently closed",
                IncidentQuery {
                    closed_since: Some(day),
                    ..Default::default()
                },
            ),
            (
                "changed since",
                IncidentQuery {
                    updated_since: Some(day),
                    ..Default::default()
                },
            ),
            (
                "closed history",
                IncidentQuery {
                    open: Some(false),
                    ..Default::default()
                },
            ),
        ];
        for (name, q) in lists {
            let (sql, args) = list_sql(&IncidentQuery { limit: 500, ..q });
            let plan = store.query_plan(&sql, &args, &[i64::MAX, 501]).await;
            let walks = plan
                .iter()
                .any(|p| p.starts_with("SCAN") || p.contains("INTEGER PRIMARY KEY"));
            assert!(!walks, "{name}: {plan:?}");
            let index = match name {
                "recently closed" => "incidents_phase_updated",
                "closed, owing an action" => "sqlite_autoindex_incidents_1 (id=?)",
                "changed since" => "incidents_updated",
                _ => "incidents_phase ",
            };
            assert!(plan.iter().any(|p| p.contains(index)), "{name}: {plan:?}");
        }
    }
}
