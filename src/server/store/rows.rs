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
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            items: Vec::new(),
            unreadable: Vec::new(),
        }
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
