//! The two append-only logs: the timeline (evidence, per incident) and the event log
//! (what live subscribers replay from).
use super::{Listed, Slice, Store, StoreError, Tx, ts};
use crate::domain::{Change, TimelineEntry};
use crate::protocol::EventKind;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One row of the event log, as the event stream sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub seq: i64,
    pub kind: String,
    pub incident_id: String,
    /// The entity's full new state as one line of JSON.
    pub data: String,
}

pub(super) async fn record(
    tx: &mut Tx,
    incident_id: &str,
    actor: &str,
    at: DateTime<Utc>,
    changes: &[Change],
) -> Result<(), StoreError> {
    for c in changes {
        record_entry(tx, incident_id, actor, at, c).await?;
    }
    Ok(())
}

/// Appends one entry and returns it as the timeline lists it (with its sequence number).
pub(super) async fn record_entry(
    tx: &mut Tx,
    incident_id: &str,
    actor: &str,
    at: DateTime<Utc>,
    c: &Change,
) -> Result<TimelineEntry, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO timeline (incident_id, at, actor, kind, field, old, new, reason, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
    )
    .bind(incident_id)
    .bind(ts(at))
    .bind(actor)
    .bind(&c.kind)
    .bind(&c.field)
    .bind(&c.old)
    .bind(&c.new)
    .bind(&c.reason)
    .bind(&c.note)
    .fetch_one(&mut **tx)
    .await?;
    Ok(TimelineEntry {
        seq,
        incident_id: incident_id.to_string(),
        at,
        actor: actor.to_string(),
        kind: c.kind.clone(),
        field: c.field.clone(),
        old: c.old.clone(),
        new: c.new.clone(),
        reason: c.reason.clone(),
        note: c.note.clone(),
    })
}

/// An event's record: the entity's fields, plus who made the change, so a console can say
/// "changed by dana" when a colleague's change arrives while a form is open. An entity that
/// names its actor itself (a timeline entry) keeps its own: a second `actor` key would make
/// the record unreadable to every client.
fn with_actor(entity: &impl Serialize, actor: &str) -> Result<String, serde_json::Error> {
    let mut v = serde_json::to_value(entity)?;
    if let Some(fields) = v.as_object_mut() {
        fields
            .entry("actor")
            .or_insert_with(|| serde_json::Value::String(actor.to_string()));
    }
    serde_json::to_string(&v)
}

pub(super) async fn emit(
    tx: &mut Tx,
    kind: EventKind,
    incident_id: &str,
    actor: &str,
    at: DateTime<Utc>,
    entity: &impl Serialize,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO events (at, kind, incident_id, data) VALUES ($1, $2, $3, $4)")
        .bind(ts(at))
        .bind(kind.as_str())
        .bind(incident_id)
        .bind(with_actor(entity, actor)?)
        .execute(&mut **tx)
        .await?;
    tx.emitted = true;
    Ok(())
}

type TimelineRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// The incident's timeline, oldest first.
    pub async fn timeline(
        &self,
        incident_id: &str,
        page: Slice,
    ) -> Result<Listed<TimelineEntry>, StoreError> {
        self.require_incident(incident_id).await?;
        let mut rows: Vec<TimelineRow> = sqlx::query_as(
            "SELECT seq, incident_id, at, actor, kind, field, old, new, reason, note FROM timeline WHERE incident_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(incident_id)
        .bind(page.after)
        .bind(page.fetch())
        .fetch_all(&self.reader)
        .await?;
        let mut listed = Listed {
            more_after: page.cut(&mut rows, |r| r.0),
            ..Listed::default()
        };
        for (seq, incident_id, at, actor, kind, field, old, new, reason, note) in rows {
            let entry = (|| {
                let at = DateTime::parse_from_rfc3339(&at)
                    .map_err(|e| StoreError::Refused(format!("bad timestamp in timeline: {e}")))?
                    .with_timezone(&Utc);
                Ok(TimelineEntry {
                    seq,
                    incident_id,
                    at,
                    actor,
                    kind,
                    field,
                    old,
                    new,
                    reason,
                    note,
                })
            })();
            listed.push("timeline entry", format!("timeline {seq}"), entry);
        }
        Ok(listed)
    }

    /// Events after `after`, oldest first: at most `max_rows`, and no more than `max_bytes`
    /// of event data unless the first event alone is larger. The sizes are read first, so
    /// a page of large events never holds more than the budget in memory, whatever the
    /// size of one event times the row limit.
    pub async fn events_page(
        &self,
        after: i64,
        max_rows: i64,
        max_bytes: usize,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let sizes: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT seq, CAST(LENGTH(data) AS BIGINT) FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(max_rows)
        .fetch_all(&self.reader)
        .await?;
        let Some(last) = last_within(&sizes, max_bytes) else {
            return Ok(Vec::new());
        };
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT seq, kind, incident_id, data FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq",
        )
        .bind(after)
        .bind(last)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, kind, incident_id, data)| EventRecord {
                seq,
                kind,
                incident_id,
                data,
            })
            .collect())
    }

    /// The oldest and newest sequence numbers the event log still holds (None when empty).
    pub async fn event_bounds(&self) -> Result<Option<(i64, i64)>, StoreError> {
        let (min, max): (Option<i64>, Option<i64>) =
            sqlx::query_as(BOUNDS_SQL).fetch_one(&self.reader).await?;
        Ok(min.zip(max))
    }

    /// Drops every event with a sequence number below `seq` (keeps the log's tail). Used by
    /// retention and by tests of the `reset` path.
    pub async fn prune_events_below(&self, seq: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM events WHERE seq < $1 AND seq < (SELECT MAX(seq) FROM events)")
            .bind(seq)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

/// The last sequence number of `sizes` (seq, length of data) that keeps the running total
/// within `max_bytes`; the first one always fits, so a page always moves forward. LENGTH
/// counts characters, at most four bytes each: the budget is approximate, the bound is not.
pub(super) fn last_within(sizes: &[(i64, i64)], max_bytes: usize) -> Option<i64> {
    let mut total = 0usize;
    let mut last = None;
    for &(seq, len) in sizes {
        total = total.saturating_add(usize::try_from(len).unwrap_or(0));
        if last.is_some() && total > max_bytes {
            break;
        }
        last = Some(seq);
    }
    last
}

/// The oldest and newest event ids. Two subqueries: SQLite answers a lone MIN or MAX from
/// the key's ends, but both in one SELECT walk the whole log (0.12 s at 200,000 events,
/// paid by every console that connects).
const BOUNDS_SQL: &str = "SELECT (SELECT MIN(seq) FROM events), (SELECT MAX(seq) FROM events)";

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_log_bounds_are_read_from_the_key_not_by_walking_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::Store::open_sqlite(&dir.path().join("plan.db"))
            .await
            .unwrap();
        let plan = store.query_plan(super::BOUNDS_SQL, &[], &[]).await;
        assert!(
            !plan.iter().any(|p| p.starts_with("SCAN events")),
            "{plan:?}"
        );
    }

    #[test]
    fn a_page_stops_at_the_byte_budget_but_always_moves_forward() {
        let sizes = [(3, 40_000), (4, 40_000), (7, 40_000), (9, 10)];
        assert_eq!(super::last_within(&sizes, 100_000), Some(4));
        assert_eq!(
            super::last_within(&sizes, 1),
            Some(3),
            "one oversized event alone"
        );
        assert_eq!(super::last_within(&sizes, 1 << 30), Some(9));
        assert_eq!(super::last_within(&[], 10), None);
    }

    #[test]
    fn an_event_record_has_one_actor_whoever_names_it() {
        #[derive(serde::Serialize)]
        struct Entry {
            id: u8,
            actor: &'static str,
        }
        #[derive(serde::Serialize)]
        struct Plain {
            id: u8,
        }
        let v: serde_json::Value = serde_json::from_str(
            &super::with_actor(
                &Entry {
                    id: 1,
                    actor: "ana",
                },
                "ana",
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(v, serde_json::json!({"id": 1, "actor": "ana"}));
        let v: serde_json::Value =
            serde_json::from_str(&super::with_actor(&Plain { id: 2 }, "bo").unwrap()).unwrap();
        assert_eq!(v, serde_json::json!({"id": 2, "actor": "bo"}));
    }
}
