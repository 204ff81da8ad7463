//! Webhook subscriptions and their delivery cursors. Adding and removing one is a
//! commander's decision, checked against the token as it is inside the same transaction
//! as the write, so a token demoted or revoked a moment earlier cannot slip a change in.
use super::{Store, StoreError, Tx, audit, now, ts};
use crate::domain::{DomainError, Role};
use crate::webhooks::model::{Delivery, Format, State, Webhook};
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// Attempts kept per subscription for `webhook deliveries`.
const DELIVERIES_KEPT: i64 = 200;

/// What the delivery worker needs of a subscription, secret included. Never serialized.
#[derive(Clone)]
pub struct WebhookTarget {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub format: Format,
    pub secret: String,
    pub cursor: i64,
    pub state: State,
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("id", &self.id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// One event-log row with its time (RFC 3339, as stored).
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    pub seq: i64,
    pub at: String,
    pub kind: String,
    pub incident_id: String,
    pub data: String,
}

/// A new subscription, already validated (URL, patterns, secret) by `crate::webhooks`.
pub struct WebhookSpec<'a> {
    pub url: &'a str,
    pub events: &'a [String],
    pub format: Format,
    pub secret: &'a str,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);
const COLUMNS: &str = "id, url, events, format, secret, created_at, created_by, cursor, state, failing_since, last_error, last_success_at";

fn state_of(s: &str) -> State {
    if s == "failing" {
        State::Failing
    } else {
        State::Ok
    }
}

fn split_events(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn to_webhook(r: Row) -> Webhook {
    let (id, url, events, format, _secret, created_at, created_by, cursor, state, fs, le, ls) = r;
    Webhook {
        id,
        url,
        events: split_events(&events),
        format: Format::parse(&format).unwrap_or_default(),
        state: state_of(&state),
        cursor,
        created_at,
        created_by,
        failing_since: fs,
        last_error: le,
        last_success_at: ls,
    }
}

fn parse_ts(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// What the audit trail keeps of a receiver: scheme, host and port. Never the path or
/// query, which for chat webhooks is itself the credential.
fn receiver_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("?");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => "?".into(),
    }
}

/// The caller's role as it is now, inside `tx`: refused (403) unless commander.
async fn commander_in(tx: &mut Tx, token_hash: &str, what: &str) -> Result<String, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT name, role FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(token_hash)
    .bind(ts(now()))
    .fetch_optional(&mut **tx)
    .await?;
    let Some((name, role)) = row else {
        return Err(DomainError::forbidden(
            "Authorization",
            format!("{what} needs a live commander token; this one was revoked or has expired"),
        )
        .into());
    };
    let role: Role = role.parse().map_err(StoreError::Refused)?;
    if role < Role::Commander {
        return Err(DomainError::forbidden(
            "Authorization",
            format!("{what} needs the commander role; this token ({name}) is a {role}"),
        )
        .into());
    }
    Ok(name)
}

impl Store {
    /// Adds a subscription that starts after the newest event now in the log.
    pub async fn add_webhook(
        &self,
        token_hash: &str,
        spec: &WebhookSpec<'_>,
    ) -> Result<Webhook, StoreError> {
        let mut tx = self.begin().await?;
        let actor = commander_in(&mut tx, token_hash, "adding a webhook").await?;
        let num = next_webhook_num(&mut tx).await?;
        let id = format!("WH-{num}");
        let cursor: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO webhooks (num, id, url, events, format, secret, created_at, created_by, cursor, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ok')",
        )
        .bind(num)
        .bind(&id)
        .bind(spec.url)
        .bind(spec.events.join(","))
        .bind(spec.format.as_str())
        .bind(spec.secret)
        .bind(ts(now()))
        .bind(&actor)
        .bind(cursor)
        .execute(&mut *tx)
        .await?;
        let added = load(&mut tx, &id).await?;
        audit::record_in(&mut tx, &actor, "webhook.add", &id, &receiver_of(spec.url)).await?;
        self.commit(tx).await?;
        Ok(added)
    }

    /// Removes a subscription and its delivery history; returns it as it was.
    pub async fn remove_webhook(&self, token_hash: &str, id: &str) -> Result<Webhook, StoreError> {
        let mut tx = self.begin().await?;
        let actor = commander_in(&mut tx, token_hash, "removing a webhook").await?;
        let gone = load(&mut tx, id).await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhook_overdue_sent WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record_in(
            &mut tx,
            &actor,
            "webhook.remove",
            id,
            &receiver_of(&gone.url),
        )
        .await?;
        self.commit(tx).await?;
        Ok(gone)
    }

    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let rows: Vec<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhooks ORDER BY num"))
                .fetch_all(&self.reader)
                .await?;
        Ok(rows.into_iter().map(to_webhook).collect())
    }

    /// The most recent delivery attempts of a subscription, newest first.
    pub async fn webhook_deliveries(
        &self,
        id: &str,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "webhook",
                id: id.to_string(),
            });
        }
        type D = (i64, String, i64, String, Option<i64>, Option<String>, i64);
        let rows: Vec<D> = sqlx::query_as(
            "SELECT event_seq, kind, attempt, at, status, error, ms FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(event_id, kind, attempt, at, status, error, ms)| Delivery {
                    event_id,
                    kind,
                    attempt,
                    at,
                    status,
                    error,
                    ms,
                },
            )
            .collect())
    }

    /// Every subscription with its secret, for the delivery worker.
    pub async fn webhook_targets(&self) -> Result<Vec<WebhookTarget>, StoreError> {
        let rows: Vec<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhooks ORDER BY num"))
                .fetch_all(&self.reader)
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| WebhookTarget {
                id: r.0,
                url: r.1,
                events: split_events(&r.2),
                format: Format::parse(&r.3).unwrap_or_default(),
                secret: r.4,
                cursor: r.7,
                state: state_of(&r.8),
                failing_since: r.9.as_deref().and_then(parse_ts),
            })
            .collect())
    }

    /// Moves a subscription's cursor forward past events it does not take (never back).
    /// False when the subscription is gone.
    pub async fn skip_webhook_to(&self, id: &str, cursor: i64) -> Result<bool, StoreError> {
        let res = sqlx::query(
            "UPDATE webhooks SET cursor = CASE WHEN cursor < $1 THEN $1 ELSE cursor END WHERE id = $2",
        )
        .bind(cursor)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(res.rows_affected() > 0)
    }

    /// Records a delivered event: its attempt in the history and the cursor moved past it,
    /// in one transaction (one disk sync). False when the subscription is gone.
    pub async fn webhook_delivered(
        &self,
        id: &str,
        attempt: &Delivery,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query("UPDATE webhooks SET cursor = CASE WHEN cursor < $1 THEN $1 ELSE cursor END, state = 'ok', failing_since = NULL, last_error = NULL, last_success_at = $3 WHERE id = $2")
            .bind(attempt.event_id)
            .bind(id)
            .bind(ts(now()));
        self.record_attempt(id, attempt, update).await
    }

    /// Records a failed attempt: its row in the history, the subscription's last error,
    /// since when the event at its cursor has failed, and whether it has given up.
    pub async fn webhook_failed(
        &self,
        id: &str,
        attempt: &Delivery,
        failing_since: chrono::DateTime<chrono::Utc>,
        gave_up: bool,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query(
            "UPDATE webhooks SET last_error = $1, failing_since = $2, state = $3 WHERE id = $4",
        )
        .bind(attempt.error.as_deref().unwrap_or("failed"))
        .bind(ts(failing_since))
        .bind(if gave_up { "failing" } else { "ok" })
        .bind(id);
        self.record_attempt(id, attempt, update).await
    }

    /// An attempt's outcome: `update` applied to the subscription and the attempt added to
    /// its history, committed together. False (and nothing written) when the subscription
    /// is gone.
    async fn record_attempt<'q>(
        &self,
        id: &str,
        attempt: &Delivery,
        update: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        if update.execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        insert_attempt(&mut tx, id, attempt).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    /// Events after `after`, oldest first, with the time each was written.
    pub async fn webhook_events(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, at, kind, incident_id, data FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, at, kind, incident_id, data)| LoggedEvent {
                seq,
                at,
                kind,
                incident_id,
                data,
            })
            .collect())
    }

    /// Active incidents whose customer update is overdue now, with their due time, that
    /// subscription `id` has not yet been told of.
    pub async fn overdue_unannounced(
        &self,
        id: &str,
    ) -> Result<Vec<(crate::domain::Incident, String)>, StoreError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT data FROM incidents WHERE phase <> 'closed' ORDER BY num")
                .fetch_all(&self.reader)
                .await?;
        let mut out = Vec::new();
        for (data,) in rows {
            let Ok(inc) = super::incidents::parse_incident(&data) else {
                continue;
            };
            let Some(due) = inc.next_update_due_at.filter(|_| inc.update_overdue) else {
                continue;
            };
            let due = ts(due);
            let told: Option<String> = sqlx::query_scalar(
                "SELECT due_at FROM webhook_overdue_sent WHERE webhook_id = $1 AND incident_id = $2 AND due_at = $3",
            )
            .bind(id)
            .bind(&inc.id)
            .bind(&due)
            .fetch_optional(&self.reader)
            .await?;
            if told.is_none() {
                out.push((inc, due));
            }
        }
        Ok(out)
    }

    /// Remembers that subscription `id` was told `incident_id` is overdue for `due_at`.
    pub async fn overdue_announced(
        &self,
        id: &str,
        incident_id: &str,
        due_at: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhook_overdue_sent (webhook_id, incident_id, due_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(incident_id)
        .bind(due_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The timeline entries written with an incident's event at `at` (the change and its
    /// reason), for chat messages that say what changed and why.
    pub async fn changes_at(
        &self,
        incident_id: &str,
        at: &str,
    ) -> Result<Vec<crate::domain::TimelineEntry>, StoreError> {
        type R = (
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<R> = sqlx::query_as(
            "SELECT seq, actor, kind, field, old, new, reason, note FROM timeline WHERE incident_id = $1 AND at = $2 ORDER BY seq",
        )
        .bind(incident_id)
        .bind(at)
        .fetch_all(&self.reader)
        .await?;
        let when = parse_ts(at).unwrap_or_else(now);
        Ok(rows
            .into_iter()
            .map(
                |(seq, actor, kind, field, old, new, reason, note)| crate::domain::TimelineEntry {
                    seq,
                    incident_id: incident_id.to_string(),
                    at: when,
                    actor,
                    kind,
                    field,
                    old,
                    new,
                    reason,
                    note,
                },
            )
            .collect())
    }
}

/// The number of a new subscription: one past every number ever handed out, removed ones
/// included, so `WH-n` names one subscription for good (in the audit trail, and for a
/// `webhook remove` typed from an old note). Kept in `meta`; a database from before the
/// counter starts it past the live subscriptions and every `WH-n` its audit trail names.
async fn next_webhook_num(tx: &mut Tx) -> Result<i64, StoreError> {
    let kept: Option<String> =
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'webhook_last_num'")
            .fetch_optional(&mut **tx)
            .await?;
    let mut last = match kept {
        Some(v) => v.parse::<i64>().unwrap_or(0),
        None => {
            let named: Vec<String> =
                sqlx::query_scalar("SELECT target FROM admin_audit WHERE action = 'webhook.add'")
                    .fetch_all(&mut **tx)
                    .await?;
            named
                .iter()
                .filter_map(|t| t.strip_prefix("WH-")?.parse::<i64>().ok())
                .max()
                .unwrap_or(0)
        }
    };
    let live: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(num), 0) FROM webhooks")
        .fetch_one(&mut **tx)
        .await?;
    last = last.max(live);
    let num = last + 1;
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('webhook_last_num', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(num.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(num)
}

async fn load(tx: &mut Tx, id: &str) -> Result<Webhook, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(to_webhook).ok_or_else(|| StoreError::NotFound {
        what: "webhook",
        id: id.to_string(),
    })
}

/// Appends one attempt to a subscription's history, keeping the newest few hundred.
async fn insert_attempt(tx: &mut Tx, id: &str, d: &Delivery) -> Result<(), StoreError> {
    sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event_seq, kind, attempt, at, status, error, ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(d.event_id)
        .bind(&d.kind)
        .bind(d.attempt)
        .bind(&d.at)
        .bind(d.status)
        .bind(&d.error)
        .bind(d.ms)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
            "DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND seq NOT IN (SELECT seq FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY seq DESC LIMIT $2)",
        )
        .bind(id)
        .bind(DELIVERIES_KEPT)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
