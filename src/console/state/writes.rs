//! Writes between the key and the server's answer: sent and unanswered ones (with what to
//! roll back to), and unsent form drafts (saved to the data directory).
use crate::client::Write;
use crate::console::forms::{Form, Prepared};
use crate::domain::{CorrectiveAction, Incident};
use std::collections::{BTreeMap, HashMap};

/// A write on its way: what to roll back to if it is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub write: Write,
    /// The incident as it was before the optimistic change.
    pub before: Option<Incident>,
    /// The action as it was before the optimistic change.
    pub action_before: Option<CorrectiveAction>,
    /// The draft this write came from, discarded once it lands.
    pub draft: Option<String>,
    /// The typed write and what it was based on, to re-apply after a 412.
    pub prepared: Option<Prepared>,
}

#[derive(Default)]
pub struct Writes {
    /// Writes sent and not yet answered, by key.
    pub pending: HashMap<String, Pending>,
    /// Unsent forms by draft key, saved to the data directory on every change.
    pub drafts: BTreeMap<String, Form>,
}

impl Writes {
    /// Whether a write about this incident is still waiting for its answer.
    pub fn is_pending(&self, id: &str) -> bool {
        self.pending
            .values()
            .any(|p| p.write.incident_id.as_deref() == Some(id))
    }

    /// Whether a write to this corrective action is still waiting for its answer.
    pub fn is_action_pending(&self, id: &str) -> bool {
        let path = format!("/actions/{id}");
        self.pending.values().any(|p| p.write.path == path)
    }
}
