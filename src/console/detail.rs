//! The incident detail pane's data: its tabs and what each has loaded. Its own module so
//! messages (`action::Msg`) can name a tab without depending on the whole `State`.
use crate::client::{Link, SignalRecord};
use crate::domain::{CorrectiveAction, RiskException, StatusUpdate, TimelineEntry};

#[derive(Debug, Clone, PartialEq)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(String),
    /// The backend has nothing of this kind (e.g. PagerDuty has no corrective actions):
    /// its explanation, shown instead of a list.
    Unavailable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tab {
    Timeline,
    Updates,
    Actions,
    Exceptions,
    /// The links on the incident's monitoring signals (runbooks, dashboards, sources).
    Links,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Timeline,
        Tab::Updates,
        Tab::Actions,
        Tab::Exceptions,
        Tab::Links,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Timeline => "Timeline",
            Tab::Updates => "Status updates",
            Tab::Actions => "Corrective actions",
            Tab::Exceptions => "Exceptions",
            Tab::Links => "Links",
        }
    }

    /// The title where the full ones do not all fit (80 columns).
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Updates => "Updates",
            Tab::Actions => "Actions",
            t => t.title(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub id: String,
    pub tab: Tab,
    pub updates: Loadable<Vec<StatusUpdate>>,
    pub actions: Loadable<Vec<CorrectiveAction>>,
    pub exceptions: Loadable<Vec<RiskException>>,
    pub timeline: Loadable<Vec<TimelineEntry>>,
    /// The incident's monitoring signals, oldest first; the Links tab shows their links.
    pub signals: Loadable<Vec<SignalRecord>>,
    /// First row shown in the tab's list.
    pub scroll: usize,
}

impl Detail {
    pub fn new(id: &str, tab: Tab) -> Self {
        Detail {
            id: id.to_string(),
            tab,
            updates: Loadable::Loading,
            actions: Loadable::Loading,
            exceptions: Loadable::Loading,
            timeline: Loadable::Loading,
            signals: Loadable::Loading,
            scroll: 0,
        }
    }

    /// The links on the signals, most useful first (see [`crate::client::links`]).
    pub fn links(&self) -> Loadable<Vec<Link>> {
        match &self.signals {
            Loadable::Ready(v) => Loadable::Ready(crate::client::links(v)),
            Loadable::Loading => Loadable::Loading,
            Loadable::Failed(e) => Loadable::Failed(e.clone()),
            Loadable::Unavailable(e) => Loadable::Unavailable(e.clone()),
        }
    }

    /// The link the Links tab marks (its top row), which `y` copies.
    pub fn marked_link(&self) -> Option<Link> {
        match self.links() {
            Loadable::Ready(mut v) if self.tab == Tab::Links && self.scroll < v.len() => {
                Some(v.swap_remove(self.scroll))
            }
            _ => None,
        }
    }
}
