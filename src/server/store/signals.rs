//! Monitoring signals: a firing group opens an incident or attaches to the open one it
//! opened before; a resolved notification is noted on the timeline and closes nothing.
use super::incidents::insert_incident;
use super::log::{emit, record_entry};
use super::{Created, Idempotency, Listed, Slice, Store, StoreError, Tx, next_num, now, ts};
use crate::domain::{AlertStatus, Change, Signal};
use crate::protocol::EventKind;
use serde::Serialize;
use utoipa::ToSchema;

/// What an ingested notification did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IngestOutcome {
    /// The incident the signal belongs to; null for a resolved group with no open incident.
    pub incident_id: Option<String>,
    /// Whether this notification opened the incident.
    pub created: bool,
    /// Whether it was recorded (a repeat that changes nothing is not).
    pub recorded: bool,
}

/// A stored signal, as `GET /incidents/{id}/signals` returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignalRecord {
    pub received_at: String,
    pub signal: Signal,
}

impl Store {
    pub async fn ingest_signal(
        &self,
        actor: &str,
        signal: &Signal,
        idem: Option<&Idempotency>,
    ) -> Result<Created<IngestOutcome>, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(r) = Self::replayed(&mut tx, actor, idem).await? {
            return Ok(r);
        }
        let at = now();
        let open: Option<(String, String)> = sqlx::query_as(
            "SELECT s.incident_id, s.data FROM signals s JOIN incidents i ON i.id = s.incident_id \
             WHERE s.group_key = $1 AND i.phase <> 'closed' ORDER BY s.num DESC LIMIT 1",
        )
        .bind(&signal.group_key)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match (open, signal.status) {
            (None, AlertStatus::Firing) => {
                let inc =
                    insert_incident(&mut tx, actor, &signal.new_incident(), &self.cadence, now())
                        .await?;
                note_signal(&mut tx, &inc.id, actor, at, "signal", signal).await?;
                insert_signal(&mut tx, signal, Some(&inc.id)).await?;
                IngestOutcome {
                    incident_id: Some(inc.id),
                    created: true,
                    recorded: true,
                }
            }
            (None, AlertStatus::Resolved) => {
                insert_signal(&mut tx, signal, None).await?;
                IngestOutcome {
                    incident_id: None,
                    created: false,
                    recorded: true,
                }
            }
            (Some((id, last)), _) => {
                let last: Signal = serde_json::from_str(&last)?;
                // Alertmanager repeats a group's notification on every repeat_interval: only
                // a change of state or of the firing set is news worth a timeline line.
                let changed = last.status != signal.status || last.firing != signal.firing;
                if changed {
                    let kind = match signal.status {
                        AlertStatus::Firing => "signal",
                        AlertStatus::Resolved => "signal_resolved",
                    };
                    note_signal(&mut tx, &id, actor, at, kind, signal).await?;
                    insert_signal(&mut tx, signal, Some(&id)).await?;
                }
                IngestOutcome {
                    incident_id: Some(id),
                    created: false,
                    recorded: changed,
                }
            }
        };
        self.finish_with(tx, actor, idem, 200, outcome).await
    }

    pub async fn signals(
        &self,
        incident_id: &str,
        page: Slice,
    ) -> Result<Listed<SignalRecord>, StoreError> {
        self.require_incident(incident_id).await?;
        let (rows, more_after) = super::children::page_rows(
            &self.reader,
            "signals",
            "num, received_at, data",
            incident_id,
            page,
        )
        .await?;
        let mut listed = Listed {
            more_after,
            ..Listed::default()
        };
        for (num, received_at, data) in rows {
            let signal = serde_json::from_str(&data).map_err(StoreError::from);
            listed.push(
                "signal",
                format!("signal {num}"),
                signal.map(|signal| SignalRecord {
                    received_at,
                    signal,
                }),
            );
        }
        Ok(listed)
    }
}

/// Notes a stored signal on the incident's timeline and tells every console: the
/// `timeline.appended` event is how an open detail learns a signal (and its links) arrived.
async fn note_signal(
    tx: &mut Tx,
    incident_id: &str,
    actor: &str,
    at: chrono::DateTime<chrono::Utc>,
    kind: &str,
    signal: &Signal,
) -> Result<(), StoreError> {
    let entry = record_entry(
        tx,
        incident_id,
        actor,
        at,
        &Change::note(kind, signal.describe()),
    )
    .await?;
    emit(
        tx,
        EventKind::TimelineAppended,
        incident_id,
        actor,
        at,
        &entry,
    )
    .await
}

async fn insert_signal(
    tx: &mut Tx,
    signal: &Signal,
    incident_id: Option<&str>,
) -> Result<(), StoreError> {
    let num = next_num(tx, "signals").await?;
    sqlx::query("INSERT INTO signals (num, group_key, incident_id, status, received_at, data) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(num)
        .bind(&signal.group_key)
        .bind(incident_id)
        .bind(match signal.status {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        })
        .bind(ts(now()))
        .bind(serde_json::to_string(signal)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
