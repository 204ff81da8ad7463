//! The closed history beyond the recent window. A console loads what is live (open
//! incidents, those closed within `client::RECENT_CLOSED`); older closed incidents come a
//! page at a time from the server when the closed view or a filter asks, following the
//! list's cursor. This is where that paging stands, for the footer and for the next page.

/// How far the closed history has been paged, for one server-side text filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClosedHistory {
    /// The text the pages were asked for (`q=`); None: every closed incident.
    pub text: Option<String>,
    /// Whether a first page was asked for this text.
    pub started: bool,
    /// The cursor of the next older page; None once the server said there is no more.
    pub next: Option<String>,
    /// A page is on its way.
    pub loading: bool,
    /// Closed incidents fetched so far for this text.
    pub fetched: usize,
    /// The last page failed: why (the next scroll tries again).
    pub error: Option<String>,
}

impl ClosedHistory {
    /// Whether another older page exists and none is on its way.
    pub fn can_page(&self) -> bool {
        self.started && !self.loading && self.next.is_some()
    }

    /// The footer's note, e.g. `older closed: loading…` or `120 older closed loaded, more ↓`.
    pub fn status(&self) -> Option<String> {
        if !self.started {
            return None;
        }
        Some(if self.loading {
            format!("older closed: {} loaded, loading more…", self.fetched)
        } else if let Some(e) = &self.error {
            format!("older closed: failed ({e}); scroll to retry")
        } else if self.next.is_some() {
            format!("older closed: {} loaded, more older ↓", self.fetched)
        } else {
            format!("older closed: all {} loaded", self.fetched)
        })
    }
}
