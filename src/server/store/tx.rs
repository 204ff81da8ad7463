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
use super::{Backend, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};
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
