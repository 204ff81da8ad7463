//! The incident detail pane's data: its tabs and what each has loaded. Its own module so
//! messages (`action::Msg`) can name a tab without depending on the whole `State`.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Timeline,
    Updates,
    Actions,
    Exceptions,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Timeline, Tab::Updates, Tab::Actions, Tab::Exceptions];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Timeline => "Timeline",
            Tab::Updates => "Status updates",
            Tab::Actions => "Corrective actions",
            Tab::Exceptions => "Exceptions",
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
            scroll: 0,
        }
    }
}
