//! Lists read each stored row on its own. A row that no longer reads as its type (edited
//! by hand, written by a buggy or newer version) is left out of the list and named beside
//! it, so one bad record cannot take the whole board away from every client.
use super::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// A stored record left out of a list because it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct UnreadableRow {
    /// The record's id (or sequence number).
    pub id: String,
    /// What was wrong with it.
    pub error: String,
}

/// The readable records of a list, and the ones left out.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub unreadable: Vec<UnreadableRow>,
    /// The key of the page's last row when more rows follow it (a paged list only).
    pub more_after: Option<i64>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            items: Vec::new(),
            unreadable: Vec::new(),
            more_after: None,
        }
    }
}

/// A page of one incident's records (its updates, actions, exceptions, timeline or
/// signals), in the order they were written: the rows after key `after`, at most `limit`,
/// and at most `PAGE_BYTES` of stored data (never less than one row). Paged in SQL, so an
/// incident with a hundred thousand alerts, or with alert groups of a megabyte each, costs
/// a bounded page per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub after: i64,
    pub limit: u32,
}

/// The most stored data one page of an incident's records carries (one larger record is
/// sent alone): a page of 500 one-megabyte alert groups used to be built whole in memory.
pub const PAGE_BYTES: usize = 2 * 1024 * 1024;

impl Slice {
    /// Rows to ask the database for: one more than the page, to learn whether more follow.
    pub(super) fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Cuts rows fetched with `fetch()` to the page; the key of its last row when more
    /// follow.
    pub(super) fn cut<R>(&self, rows: &mut Vec<R>, key: impl Fn(&R) -> i64) -> Option<i64> {
        let limit = self.limit as usize;
        if rows.len() <= limit {
            return None;
        }
        rows.truncate(limit);
        rows.last().map(key)
    }
}

impl<T> Listed<T> {
    /// Adds one row: its value, or (logged) why it was left out.
    pub(super) fn push(&mut self, what: &str, id: impl Into<String>, row: Result<T, StoreError>) {
        match row {
            Ok(v) => self.items.push(v),
            Err(e) => {
                let id = id.into();
                let error = crate::sanitize::clean_line(&e.to_string());
                tracing::error!(what, id = %crate::sanitize::clean_line(&id), %error, "a stored record could not be read; left out of the list");
                self.unreadable.push(UnreadableRow {
                    id: crate::sanitize::clean_line(&id),
                    error,
                });
            }
        }
    }
}
