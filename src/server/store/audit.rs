//! The audit trail of administration: who created or revoked a token, changed a role, a
//! webhook or the configuration, and when. Append-only: this module only inserts and reads,
//! and the table's triggers refuse UPDATE and DELETE from anything else.
use super::{Listed, Slice, Store, StoreError, Tx, now, ts};
use serde::Serialize;
use utoipa::ToSchema;

/// One administrative change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AdminEvent {
    /// Position in the trail (ascending; the paging key).
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: a token's name through the API, `local:<user>` from the command line.
    pub actor: String,
    /// What, e.g. `token.create`, `token.revoke`, `webhook.add`.
    pub action: String,
    /// What it was done to, e.g. the token's name.
    pub target: String,
    /// Particulars (a role, an expiry, a URL without credentials); never a secret.
    pub detail: String,
}

/// The longest text kept per field: the trail records administration, not payloads.
const FIELD_MAX: usize = 500;

fn clip(s: &str) -> String {
    let s = crate::sanitize::clean_line(s);
    match s.char_indices().nth(FIELD_MAX) {
        Some((i, _)) => s[..i].to_string(),
        None => s,
    }
}

/// Appends one entry inside the caller's transaction, so the change and its record commit
/// together or not at all.
pub(super) async fn record_in(
    tx: &mut Tx,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO admin_audit (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ts(now()))
    .bind(clip(actor))
    .bind(clip(action))
    .bind(clip(target))
    .bind(clip(detail))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records an administrative change (a webhook added or removed, a configuration
    /// changed) by `actor` on `target`. For changes made in a transaction of the store's
    /// own, `record_in` puts the record in that transaction instead.
    pub async fn record_admin(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        record_in(&mut tx, actor, action, target, detail).await?;
        self.commit(tx).await
    }

    /// A page of the trail, oldest first: the entries after `page.after` (a `seq`).
    pub async fn admin_events(&self, page: Slice) -> Result<Listed<AdminEvent>, StoreError> {
        type Row = (i64, String, String, String, String, String);
        let mut rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, at, actor, action, target, detail FROM admin_audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(page.after)
        .bind(page.fetch())
        .fetch_all(&self.reader)
        .await?;
        let more_after = page.cut(&mut rows, |r| r.0);
        Ok(Listed {
            items: rows
                .into_iter()
                .map(|(seq, at, actor, action, target, detail)| AdminEvent {
                    seq,
                    at,
                    actor,
                    action,
                    target,
                    detail,
                })
                .collect(),
            unreadable: Vec::new(),
            more_after,
        })
    }
}
