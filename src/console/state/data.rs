//! What the server said: incidents and open corrective actions, with the indexes kept up to
//! date one change at a time (board columns, the list, counts and the due-update set).
use crate::console::filter::Filter;
use crate::console::index::{Incidents, SortedIndex, board_order, by_id};
use crate::domain::{CorrectiveAction, Incident, Phase, Priority, Severity};
use chrono::{DateTime, NaiveDate, Utc};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Severity,
    Phase,
    Age,
    Commander,
    NextUpdate,
}

impl SortBy {
    pub const ALL: [SortBy; 5] = [
        SortBy::Severity,
        SortBy::Phase,
        SortBy::Age,
        SortBy::Commander,
        SortBy::NextUpdate,
    ];

    pub fn next(self) -> SortBy {
        let i = SortBy::ALL.iter().position(|s| *s == self).unwrap_or(0);
        SortBy::ALL[(i + 1) % SortBy::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            SortBy::Severity => "severity",
            SortBy::Phase => "phase",
            SortBy::Age => "age",
            SortBy::Commander => "commander",
            SortBy::NextUpdate => "next update",
        }
    }
}

/// The list view's order for a sort column; ties fall back to the board's order, then id.
pub fn list_order(sort: SortBy, reverse: bool) -> impl Fn(&Incident, &Incident) -> Ordering {
    move |a, b| {
        let primary = match sort {
            SortBy::Severity => a.severity.cmp(&b.severity),
            SortBy::Phase => a.phase.cmp(&b.phase),
            // Oldest (largest age) first.
            SortBy::Age => a.created_at.cmp(&b.created_at),
            // Unassigned first: that is what a commander must fix.
            SortBy::Commander => a.commander.cmp(&b.commander),
            // Soonest due first; incidents that owe no update last.
            SortBy::NextUpdate => match (due(a), due(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
        };
        let primary = if reverse { primary.reverse() } else { primary };
        primary
            .then_with(|| board_order(a, b))
            .then_with(|| by_id(a, b))
    }
}

/// When the incident's next customer update is due, if it owes one.
pub fn due(inc: &Incident) -> Option<DateTime<Utc>> {
    if inc.customer_impact && inc.phase.is_active() {
        inc.next_update_due_at
    } else {
        None
    }
}

/// What the indexes show: the person's filter, whether Closed is shown, the list's sort.
/// The choices are the UI's; the indexes are built from them.
#[derive(Debug, Clone, Copy)]
pub struct Lens<'a> {
    pub filter: &'a Filter,
    pub show_closed: bool,
    pub sort: SortBy,
    pub reverse: bool,
}

impl Lens<'_> {
    /// Whether the list (and the actions view's incident filter) shows this incident.
    pub fn in_list(&self, inc: &Incident) -> bool {
        (self.show_closed || inc.phase != Phase::Closed) && self.filter.matches(inc)
    }
}

#[derive(Default)]
pub struct Data {
    pub incidents: Incidents,
    pub open_actions: HashMap<String, CorrectiveAction>,
    /// Set when the backend has no corrective actions at all: why (shown in the actions
    /// view instead of "No open corrective actions").
    pub actions_unavailable: Option<String>,
    /// One sorted index per phase (the board's columns), filtered.
    pub columns: [SortedIndex; 6],
    /// The list view's rows, filtered and sorted.
    pub list: SortedIndex,
    /// Who made the newest change to each incident or action we heard of live:
    /// id → (the version it made, the actor), for "changed by dana" in a conflict.
    pub changed_by: HashMap<String, (i64, String)>,
    open_by_severity: [usize; 4],
    /// (due, id) of every incident that owes a customer update, for the overdue count.
    due: BTreeSet<(DateTime<Utc>, String)>,
}

impl Data {
    pub fn open_count(&self, sev: Severity) -> usize {
        self.open_by_severity[sev as usize]
    }

    /// Customer-impacting incidents whose next update is past due at `now`.
    pub fn overdue_updates(&self, now: DateTime<Utc>) -> usize {
        self.due.range(..(now, String::new())).count()
    }

    /// The incidents whose customer update is past due at `now`, most overdue first, with
    /// when it was due.
    pub fn overdue(&self, now: DateTime<Utc>) -> impl Iterator<Item = (DateTime<Utc>, &str)> {
        self.due
            .range(..(now, String::new()))
            .map(|(d, id)| (*d, id.as_str()))
    }

    /// Whether an update falls due in `(before, now)`: something on screen turns red.
    pub fn falls_due(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        before < now
            && self
                .due
                .range((before, String::new())..(now, String::new()))
                .next()
                .is_some()
    }

    /// The first update due at or after `now`.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.due
            .range((now, String::new())..)
            .next()
            .map(|(d, _)| *d)
    }

    /// Merges a full (re-)list: an incident that a live event already moved past the
    /// listed version keeps the newer version. The caller rebuilds the indexes.
    pub fn merge_listed(&mut self, list: Vec<Incident>) {
        let mut map: Incidents = HashMap::with_capacity(list.len());
        for inc in list {
            map.insert(inc.id.clone(), inc);
        }
        for (id, inc) in self.incidents.drain() {
            if map.get(&id).is_none_or(|m| m.version < inc.version) {
                map.insert(id, inc);
            }
        }
        self.incidents = map;
    }

    /// Recomputes every index from scratch; for loads, filter and sort changes.
    pub fn rebuild(&mut self, lens: Lens) {
        for (i, phase) in Phase::ALL.iter().enumerate() {
            self.columns[i] = SortedIndex::build(
                self.incidents
                    .values()
                    .filter(|inc| inc.phase == *phase && lens.filter.matches(inc)),
                board_order,
            );
        }
        self.resort_list(lens);
        self.open_by_severity = [0; 4];
        self.due.clear();
        for inc in self.incidents.values() {
            if inc.phase != Phase::Closed {
                self.open_by_severity[inc.severity as usize] += 1;
            }
            if let Some(d) = due(inc) {
                self.due.insert((d, inc.id.clone()));
            }
        }
    }

    /// Rebuilds the list view's index alone (a new sort order).
    pub fn resort_list(&mut self, lens: Lens) {
        self.list = SortedIndex::build(
            self.incidents.values().filter(|inc| lens.in_list(inc)),
            list_order(lens.sort, lens.reverse),
        );
    }

    /// Applies one incident's new state to the map and every index. Returns false for a
    /// stale or duplicate version (a replayed event), which changes nothing.
    pub fn upsert(&mut self, inc: Incident, lens: Lens) -> bool {
        let list_cmp = list_order(lens.sort, lens.reverse);
        if let Some(old) = self.incidents.get(&inc.id) {
            if old.version >= inc.version {
                return false;
            }
            let old = old.clone();
            let col = old.phase as usize;
            if lens.filter.matches(&old) {
                self.columns[col].remove(&old, &self.incidents, board_order);
            }
            if lens.in_list(&old) {
                self.list.remove(&old, &self.incidents, &list_cmp);
            }
            if old.phase != Phase::Closed {
                self.open_by_severity[old.severity as usize] -= 1;
            }
            if let Some(d) = due(&old) {
                self.due.remove(&(d, old.id.clone()));
            }
        }
        let col = inc.phase as usize;
        let matches = lens.filter.matches(&inc);
        let in_list = lens.in_list(&inc);
        if inc.phase != Phase::Closed {
            self.open_by_severity[inc.severity as usize] += 1;
        }
        if let Some(d) = due(&inc) {
            self.due.insert((d, inc.id.clone()));
        }
        let id = inc.id.clone();
        self.incidents.insert(id.clone(), inc);
        let inc = &self.incidents[&id];
        if matches {
            self.columns[col].insert(inc, &self.incidents, board_order);
        }
        if in_list {
            self.list.insert(inc, &self.incidents, &list_cmp);
        }
        true
    }

    /// Makes the stored copy of an incident look older than any version, so the next
    /// `upsert` replaces it whatever its version: an optimistic change or a rollback. The
    /// indexes order by severity, age and id, never by version, so they stay valid.
    pub fn forget_version(&mut self, id: &str) {
        if let Some(old) = self.incidents.get_mut(id) {
            old.version = i64::MIN;
        }
    }

    /// Open actions the filter shows, overdue (at `today`) first, then by due date.
    pub fn action_rows(&self, filter: &Filter, today: NaiveDate) -> Vec<&CorrectiveAction> {
        let mut rows: Vec<&CorrectiveAction> = self
            .open_actions
            .values()
            .filter(|a| filter.matches_action(a, self.incidents.get(&a.incident_id)))
            .collect();
        rows.sort_by(|a, b| {
            let ao = a.due_date < today;
            let bo = b.due_date < today;
            bo.cmp(&ao)
                .then(a.due_date.cmp(&b.due_date))
                .then(priority_rank(a).cmp(&priority_rank(b)))
                .then_with(|| a.id.cmp(&b.id))
        });
        rows
    }

    /// Shows an action's new state locally (open list only), whatever its version.
    pub fn set_action_local(&mut self, a: CorrectiveAction) {
        if a.status.is_open() {
            self.open_actions.insert(a.id.clone(), a);
        } else {
            self.open_actions.remove(&a.id);
        }
    }
}

/// Sort helper: high before medium before low.
fn priority_rank(a: &CorrectiveAction) -> u8 {
    match a.priority {
        Priority::High => 0,
        Priority::Medium => 1,
        Priority::Low => 2,
    }
}
