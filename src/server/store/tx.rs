//! Write transactions with a connection state the store knows, not one it assumes.
//!
//! sqlx's own `Transaction` counts nesting depth in the driver. When SQLite rolls a
//! transaction back by itself (it may on `SQLITE_FULL`, `SQLITE_IOERR` or a failed COMMIT),
//! the explicit ROLLBACK that follows fails with "no transaction is active", the count stays
//! at one, and every later `begin()` becomes `SAVEPOINT` and every `commit()` a
//! `RELEASE SAVEPOINT` inside a transaction the connection then keeps open: the server
//! answered 201 for writes that were never committed, handed out the same ids again, and
//! replayed idempotency keys that existed only in that open transaction.
//!
//! So the store issues BEGIN, COMMIT and ROLLBACK itself, and a connection whose COMMIT or
//! ROLLBACK failed is closed instead of going back to the pool: the next write gets a fresh
//! connection in autocommit mode, whatever state SQLite or PostgreSQL left the old one in.
//!
//! A task cancelled while it awaits a statement (the webhook worker aborts the delivery
//! task of a removed subscription; a client that hangs up drops its request) drops its
//! pooled connection there and then, but the statement still runs: SQLite's worker thread
//! executes a BEGIN it has been sent, PostgreSQL one it has received. The connection then
//! went back to the pool inside a transaction nobody would end, and the next write's BEGIN
//! failed with "cannot start a transaction within a transaction" (a 500), or worse, an
//! autocommit write on it joined that transaction. So every writer connection is checked
//! as it comes back ([`clean_on_release`]), whichever path used it, and one still inside a
//! transaction is closed, which rolls that transaction back.
use super::{Backend, StoreError};
use futures_util::future::BoxFuture;
use sqlx::pool::{PoolConnection, PoolConnectionMetadata};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Row};
use std::ops::{Deref, DerefMut};

/// One write transaction on its own pooled connection. Dropped without `commit`, it rolls
/// back (in a background task; the connection returns to the pool only if that worked).
pub struct WriteTx {
    conn: Option<PoolConnection<Any>>,
    /// Milestones this transaction's changes reach; reported only once it commits.
    pub(super) reached: Vec<crate::domain::milestone::Reached>,
    /// Whether it appended to the event log: only then is the event pump woken at commit.
    pub(super) emitted: bool,
}

impl WriteTx {
    /// BEGIN IMMEDIATE on SQLite: the write lock is taken now, under the busy timeout, so a
    /// transaction never fails half-way because it could not upgrade a read lock.
    pub(super) async fn begin(pool: &AnyPool, backend: Backend) -> Result<WriteTx, StoreError> {
        let mut conn = pool.acquire().await?;
        let sql = match backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        if let Err(e) = conn.execute(sql).await {
            // A failed BEGIN leaves no transaction open; close anyway, the cost is small
            // and the next attempt starts from a known state.
            conn.close_on_drop();
            return Err(e.into());
        }
        Ok(WriteTx {
            conn: Some(conn),
            reached: Vec::new(),
            emitted: false,
        })
    }

    /// COMMIT. On failure, rolls back whatever may still be open and closes the connection.
    pub(super) async fn commit(mut self) -> Result<(), StoreError> {
        let mut conn = self.conn.take().expect("an open transaction");
        match conn.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(e) => {
                // Whether SQLite kept the transaction open or rolled it back, this leaves
                // nothing of it; the error of this ROLLBACK says nothing useful.
                let _ = conn.execute("ROLLBACK").await;
                conn.close_on_drop();
                Err(e.into())
            }
        }
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if conn.execute("ROLLBACK").await.is_err() {
                        conn.close_on_drop();
                    }
                });
            }
            // No runtime to roll back on: closing the connection rolls back.
            Err(_) => conn.close_on_drop(),
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        self.conn.as_deref().expect("an open transaction")
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_deref_mut().expect("an open transaction")
    }
}

/// The writer pools' `after_release` check: true (back to the pool) only for a connection
/// outside any transaction; one still inside one is closed, which rolls it back.
pub(super) fn clean_on_release(
    backend: Backend,
) -> impl for<'c> Fn(
    &'c mut AnyConnection,
    PoolConnectionMetadata,
) -> BoxFuture<'c, Result<bool, sqlx::Error>>
+ Send
+ Sync
+ 'static {
    move |conn, _| {
        Box::pin(async move {
            let clean = outside_transaction(conn, backend).await;
            if !clean {
                tracing::warn!(
                    "a database connection came back inside a transaction (its task was cancelled mid-statement); closed it, which rolls that transaction back"
                );
            }
            Ok(clean)
        })
    }
}

/// Whether `conn` is in autocommit mode. An error counts as "no": such a connection is
/// closed rather than trusted.
async fn outside_transaction(conn: &mut AnyConnection, backend: Backend) -> bool {
    match backend {
        // SQLite has no query for its autocommit flag, but ROLLBACK answers it: it fails
        // with "no transaction is active" exactly when none is, and otherwise ends the one
        // that was open.
        Backend::Sqlite => match conn.execute("ROLLBACK").await {
            Ok(_) => false,
            Err(e) => e.to_string().contains("no transaction is active"),
        },
        // The two are equal only in the first command of a transaction, so in this one
        // only when no transaction was open before it. Sent as a simple query: in the
        // extended protocol the statement time is taken again at Execute, after the
        // implicit transaction began at Bind.
        Backend::Postgres => {
            match conn
                .fetch_one("SELECT transaction_timestamp() = statement_timestamp()")
                .await
            {
                Ok(row) => row.try_get::<bool, _>(0).unwrap_or(false),
                Err(_) => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use sqlx::Executor;

    /// What a task cancelled mid-statement leaves behind: its connection dropped (back to
    /// the pool) after its BEGIN was sent. The next write must still get a connection
    /// outside any transaction: before, its BEGIN failed with "cannot start a transaction
    /// within a transaction" (a 500 for the user) or its change stayed uncommitted.
    #[tokio::test]
    async fn a_connection_dropped_inside_a_transaction_is_not_handed_out_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("t.db")).await.unwrap();
        for round in 0..3 {
            let mut conn = store.writer.acquire().await.unwrap();
            conn.execute("BEGIN IMMEDIATE").await.unwrap();
            drop(conn);
            if let Err(e) = store.probe().await {
                panic!("round {round}: the next write failed: {e}");
            }
            // An autocommit write on the writer pool is committed, not swallowed by the
            // abandoned transaction.
            let mut conn = store.writer.acquire().await.unwrap();
            conn.execute("BEGIN IMMEDIATE").await.unwrap();
            drop(conn);
            sqlx::query("INSERT INTO meta (key, value) VALUES ($1, 'x')")
                .bind(format!("k{round}"))
                .execute(&store.writer)
                .await
                .unwrap();
            let seen: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
                .bind(format!("k{round}"))
                .fetch_optional(&store.reader)
                .await
                .unwrap();
            assert_eq!(
                seen.as_deref(),
                Some("x"),
                "round {round}: write not committed"
            );
        }
    }
}
