//! What the detail screen reads, borrowed from the state once per frame; the screen
//! (`detail.rs`) and its tab bodies (`tabs.rs`) both draw from it.
use crate::client::Link;
use crate::console::state::{Detail, Loadable, State};
use crate::console::theme::Theme;
use crate::domain::Incident;

/// The detail screen over the state it reads: the incident (absent when it left the
/// server), the open tab's lists, and the links derived once for the tab and its count.
pub struct DetailView<'a> {
    pub(super) state: &'a State,
    pub(super) theme: &'a Theme,
    pub(super) detail: &'a Detail,
    pub(super) incident: Option<&'a Incident>,
    pub(super) links: Loadable<Vec<Link>>,
}

impl<'a> DetailView<'a> {
    pub fn new(state: &'a State, detail: &'a Detail) -> Self {
        DetailView {
            state,
            theme: &state.settings.theme,
            detail,
            incident: state.data.incidents.get(&detail.id),
            links: detail.links(),
        }
    }
}

/// An empty text as a dash, so a blank field reads as "not set", not as missing.
pub(super) fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}
