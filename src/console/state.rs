//! Everything the console knows. `update` changes it; views only read it.
pub use super::detail::{Detail, Loadable, Tab};
use super::filter::Filter;
use super::forms::{Form, Overlay};
use super::index::{Cursor, Incidents, SortedIndex, board_order, by_id};
use super::keymap::{Keymap, Mode};
use super::theme::Theme;
use crate::client::Write;
use crate::domain::{Cadence, CorrectiveAction, Incident, Phase, Role, Severity};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Board,
    List,
    Actions,
}

/// The live connection, for the header (guarantee G1: never silently stale).
#[derive(Debug, Clone, PartialEq)]
pub enum Conn {
    Connecting,
    Live,
    Reconnecting { since: DateTime<Utc>, error: String },
}

/// Data not confirmed current for this long, while the stream is down, is STALE rather than
/// RECONNECTING: twice the server's heartbeat. This is the default heartbeat's (10 s); the
/// live subscription replaces it with what the server says (`LiveMsg::SilenceLimit`).
pub const STALE_AFTER_SECS: i64 = 20;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Command,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    /// The filter to restore if typing is cancelled.
    pub before: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

pub struct State {
    /// Which server, for the header: "embedded", "demo", or the URL.
    pub backend: String,
    pub read_only: bool,
    pub now: DateTime<Utc>,
    pub conn: Conn,
    /// When the data was last known to be current (a live event, heartbeat or full load).
    pub as_of: Option<DateTime<Utc>>,
    pub loaded: bool,
    pub loading: bool,
    pub incidents: Incidents,
    pub open_actions: HashMap<String, CorrectiveAction>,
    /// Set when the backend has no corrective actions at all: why (shown in the actions
    /// view instead of "No open corrective actions").
    pub actions_unavailable: Option<String>,
    pub view: View,
    pub detail: Option<Detail>,
    pub help: bool,
    pub help_scroll: usize,
    pub input: Option<Input>,
    pub filter: Filter,
    pub show_closed: bool,
    pub board_col: usize,
    pub columns: [SortedIndex; 6],
    pub column_cursors: [Cursor; 6],
    pub list: SortedIndex,
    pub list_cursor: Cursor,
    pub list_sort: SortBy,
    pub list_reverse: bool,
    /// The selected corrective action (by id) in the actions view.
    pub actions_cursor: Cursor,
    pub message: Option<(Level, String)>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// Rows per page in the last frame's list, for page up/down.
    pub page: usize,
    open_by_severity: [usize; 4],
    /// (due, id) of every incident that owes a customer update, for the overdue count.
    due: BTreeSet<(DateTime<Utc>, String)>,
    /// An open form or confirmation; it takes the keyboard.
    pub overlay: Option<Overlay>,
    /// Unsent forms by draft key, saved to the data directory on every change.
    pub drafts: BTreeMap<String, Form>,
    /// Who made the newest change to each incident or action we heard of live:
    /// id → (the version it made, the actor), for "changed by dana" in a conflict.
    pub changed_by: HashMap<String, (i64, String)>,
    /// Who we are: the token's name (or `name` from config.toml), for "take command".
    pub me: Option<String>,
    /// The token's role, once the server has said.
    pub role: Option<Role>,
    /// Minutes between customer updates per severity (the update form's default).
    pub cadence: Cadence,
    /// Writes sent and not yet answered, by key.
    pub pending: HashMap<String, Pending>,
    /// Writes waiting in the outbox (the server is unreachable), as last reported.
    pub outbox_waiting: usize,
    /// Clocks and countdowns to the second (`clock = "seconds"` in config.toml). Off by
    /// default: minute resolution means an idle console redraws once a minute, which is
    /// what keeps an SSH session under 2 KB per idle minute.
    pub seconds: bool,
    /// See [`STALE_AFTER_SECS`].
    pub stale_after: chrono::Duration,
    /// The stream is up but events may have been missed (first connection, lost history):
    /// not LIVE until the full re-list lands.
    pub resyncing: bool,
    /// Records the client had to skip, by where they came from (`lists`, `detail`,
    /// `events`); the header counts them so a commander knows the board is incomplete.
    pub unreadable: BTreeMap<String, Vec<crate::client::Unreadable>>,
    /// Server time minus this machine's, once measured; `now` already includes it, and the
    /// header says so when it is large.
    pub clock_offset: Option<chrono::Duration>,
}

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
    pub prepared: Option<super::forms::Prepared>,
}

impl State {
    pub fn new(
        backend: impl Into<String>,
        keymap: Keymap,
        theme: Theme,
        now: DateTime<Utc>,
    ) -> Self {
        State {
            backend: backend.into(),
            read_only: false,
            now,
            conn: Conn::Connecting,
            as_of: None,
            loaded: false,
            loading: false,
            incidents: HashMap::new(),
            open_actions: HashMap::new(),
            actions_unavailable: None,
            view: View::Board,
            detail: None,
            help: false,
            help_scroll: 0,
            input: None,
            filter: Filter::default(),
            show_closed: false,
            board_col: 0,
            columns: Default::default(),
            column_cursors: Default::default(),
            list: SortedIndex::default(),
            list_cursor: Cursor::default(),
            list_sort: SortBy::Severity,
            list_reverse: false,
            actions_cursor: Cursor::default(),
            message: None,
            keymap,
            theme,
            quit: false,
            dirty: true,
            page: 10,
            open_by_severity: [0; 4],
            due: BTreeSet::new(),
            overlay: None,
            drafts: BTreeMap::new(),
            changed_by: HashMap::new(),
            me: None,
            role: None,
            cadence: Cadence::default(),
            pending: HashMap::new(),
            outbox_waiting: 0,
            seconds: false,
            stale_after: chrono::Duration::seconds(STALE_AFTER_SECS),
            resyncing: false,
            unreadable: BTreeMap::new(),
            clock_offset: None,
        }
    }

    /// The stream is down, and it has been down, or the data has gone unconfirmed, for at
    /// least the silence limit (guarantee G1: the header says STALE, with the time of the
    /// data). A stream ended by silence is therefore STALE at once.
    pub fn is_stale(&self) -> bool {
        match &self.conn {
            Conn::Live | Conn::Connecting => false,
            Conn::Reconnecting { since, .. } => {
                let oldest = self.as_of.map_or(*since, |a| a.min(*since));
                self.now - oldest >= self.stale_after
            }
        }
    }

    /// Moves the clock to `now`; true when the screen shows something different. At minute
    /// resolution that is a new minute, a customer update falling due (the loudest thing on
    /// screen must not wait for the minute), or a reconnect that may turn STALE.
    pub fn tick(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.now;
        self.now = now;
        self.seconds
            || now.timestamp().div_euclid(60) != before.timestamp().div_euclid(60)
            || matches!(self.conn, Conn::Reconnecting { .. })
            || (before < now
                && self
                    .due
                    .range((before, String::new())..(now, String::new()))
                    .next()
                    .is_some())
    }

    /// How many records were skipped as unreadable, and the first of them.
    pub fn unreadable(&self) -> (usize, Option<&crate::client::Unreadable>) {
        let n = self.unreadable.values().map(Vec::len).sum();
        (n, self.unreadable.values().flatten().next())
    }

    /// Which bindings apply right now.
    pub fn mode(&self) -> Mode {
        if let Some(o) = &self.overlay {
            match o {
                Overlay::Form(_) => Mode::Form,
                Overlay::Confirm(_) => Mode::Confirm,
            }
        } else if self.input.is_some() {
            Mode::Input
        } else if self.help {
            Mode::Help
        } else if self.detail.is_some() {
            Mode::Detail
        } else {
            match self.view {
                View::Board => Mode::Board,
                View::List => Mode::List,
                View::Actions => Mode::Actions,
            }
        }
    }

    /// Keeps the focused column among the visible ones (Closed may have been hidden).
    pub fn clamp_board_col(&mut self) {
        self.board_col = self.board_col.min(self.visible_phases().len() - 1);
    }

    /// Phases with a board column: Closed only when asked for.
    pub fn visible_phases(&self) -> &'static [Phase] {
        if self.show_closed {
            Phase::ALL
        } else {
            &Phase::ALL[..5]
        }
    }

    pub fn open_count(&self, sev: Severity) -> usize {
        self.open_by_severity[sev as usize]
    }

    /// Customer-impacting incidents whose next update is past due, at `self.now`.
    pub fn overdue_updates(&self) -> usize {
        self.due.range(..(self.now, String::new())).count()
    }

    fn shown_in_list(&self, inc: &Incident) -> bool {
        (self.show_closed || inc.phase != Phase::Closed) && self.filter.matches(inc)
    }

    /// Replaces everything after a full (re-)list. An incident that a live event already
    /// moved past the listed version keeps the newer version.
    pub fn set_incidents(&mut self, list: Vec<Incident>) {
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
        self.rebuild();
    }

    /// Recomputes every index; for loads, filter and sort changes.
    pub fn rebuild(&mut self) {
        let filter = &self.filter;
        for (i, phase) in Phase::ALL.iter().enumerate() {
            self.columns[i] = SortedIndex::build(
                self.incidents
                    .values()
                    .filter(|inc| inc.phase == *phase && filter.matches(inc)),
                board_order,
            );
        }
        let show_closed = self.show_closed;
        self.list = SortedIndex::build(
            self.incidents
                .values()
                .filter(|inc| (show_closed || inc.phase != Phase::Closed) && filter.matches(inc)),
            list_order(self.list_sort, self.list_reverse),
        );
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
        self.fix_cursors();
        self.fix_actions_cursor();
        self.dirty = true;
    }

    /// Keeps the selection on the selected incident after the indexes changed: on the
    /// board it follows the incident into its new column; when it has left the view
    /// (closed, filtered out) nothing is selected and the console says so.
    fn fix_cursors(&mut self) {
        let focused = self.visible_phases().get(self.board_col).copied();
        // The board's selection is the focused column's; read it before the cursors move.
        let board_sel = focused.and_then(|p| {
            let c = &self.column_cursors[p as usize];
            c.id.clone().or_else(|| c.gone.clone())
        });
        let mut left = None;
        for (i, (cursor, index)) in self
            .column_cursors
            .iter_mut()
            .zip(&self.columns)
            .enumerate()
        {
            let l = cursor.fix(index);
            if focused.is_some_and(|p| p as usize == i) {
                left = l;
            }
        }
        if let (Some(id), Some(from)) = (board_sel, focused) {
            let now_in = self
                .incidents
                .get(&id)
                .map(|i| i.phase)
                .filter(|p| self.visible_phases().contains(p))
                .filter(|p| self.columns[*p as usize].position(&id).is_some());
            match now_in {
                Some(to) if to != from => {
                    // Followed into its new column; the old column forgets it.
                    let old = &mut self.column_cursors[from as usize];
                    old.gone = None;
                    if old.id.is_none() {
                        old.clamp(&self.columns[from as usize]);
                    }
                    self.column_cursors[to as usize].select(&id, &self.columns[to as usize]);
                    if let Some(col) = self.visible_phases().iter().position(|p| *p == to) {
                        self.board_col = col;
                    }
                }
                Some(_) => {}
                None => {
                    if self.view == View::Board && left.is_some() {
                        let why = self.why_gone(&id);
                        self.info(format!("{id} {why}: nothing is selected"));
                    }
                }
            }
        }
        if let Some(left) = self.list_cursor.fix(&self.list)
            && self.view == View::List
        {
            let why = self.why_gone(&left);
            self.info(format!("{left} {why}: nothing is selected"));
        }
    }

    /// Why an incident is not in the current view, in a few words.
    fn why_gone(&self, id: &str) -> &'static str {
        match self.incidents.get(id) {
            None => "is no longer listed",
            Some(i) if i.phase == Phase::Closed && !self.show_closed => "was closed",
            Some(i) if !self.filter.matches(i) => "is hidden by the filter",
            Some(_) => "left the view",
        }
    }

    /// Applies one incident's new state. Returns false for a stale or duplicate version
    /// (a replayed event), which changes nothing.
    pub fn upsert(&mut self, inc: Incident) -> bool {
        let list_cmp = list_order(self.list_sort, self.list_reverse);
        if let Some(old) = self.incidents.get(&inc.id) {
            if old.version >= inc.version {
                return false;
            }
            let old = old.clone();
            let col = old.phase as usize;
            if self.filter.matches(&old) {
                self.columns[col].remove(&old, &self.incidents, board_order);
            }
            if self.shown_in_list(&old) {
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
        let matches = self.filter.matches(&inc);
        let in_list = self.shown_in_list(&inc);
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
        self.fix_cursors();
        self.dirty = true;
        true
    }

    /// The incident under the cursor in the current view.
    pub fn selected_id(&self) -> Option<&str> {
        match self.view {
            View::Board => {
                let phase = *self.visible_phases().get(self.board_col)?;
                self.column_cursors[phase as usize].id.as_deref()
            }
            View::List => self.list_cursor.id.as_deref(),
            View::Actions => self
                .action_rows()
                .into_iter()
                .find(|a| self.actions_cursor.id.as_deref() == Some(a.id.as_str()))
                .map(|a| a.incident_id.as_str()),
        }
    }

    /// The actions view's rows as an index, for its cursor.
    pub fn action_index(&self) -> SortedIndex {
        SortedIndex::from_ids(self.action_rows().iter().map(|a| a.id.clone()).collect())
    }

    /// Keeps the actions view's selection on its action (nothing once it left the view).
    pub fn fix_actions_cursor(&mut self) {
        let index = self.action_index();
        self.actions_cursor.fix(&index);
    }

    /// Open actions, filtered, overdue first, then by due date.
    pub fn action_rows(&self) -> Vec<&CorrectiveAction> {
        let today = self.now.date_naive();
        let mut rows: Vec<&CorrectiveAction> = self
            .open_actions
            .values()
            .filter(|a| {
                self.filter
                    .matches_action(a, self.incidents.get(&a.incident_id))
            })
            .collect();
        rows.sort_by(|a, b| {
            let ao = a.due_date < today;
            let bo = b.due_date < today;
            bo.cmp(&ao)
                .then(a.due_date.cmp(&b.due_date))
                .then(a.priority_rank().cmp(&b.priority_rank()))
                .then_with(|| a.id.cmp(&b.id))
        });
        rows
    }

    /// Whether anything on screen counts seconds (the clock, countdowns), so the 1 Hz
    /// tick is worth running.
    pub fn needs_tick(&self) -> bool {
        !self.quit
    }

    /// Read-only by flag, profile, or because the token is a viewer's.
    pub fn writes_disabled(&self) -> bool {
        self.read_only || self.role == Some(Role::Viewer)
    }

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

    /// Writes not yet confirmed by the server: sent and unanswered, or waiting in the outbox.
    pub fn pending_count(&self) -> usize {
        self.pending.len().max(self.outbox_waiting)
    }

    /// Replaces an incident with a local version whatever its version number: an
    /// optimistic change or a rollback.
    pub fn set_local(&mut self, inc: Incident) {
        if let Some(old) = self.incidents.get_mut(&inc.id) {
            // Let `upsert` do the index bookkeeping: make the stored copy look older. The
            // indexes order by severity, age and id, never by version.
            old.version = i64::MIN;
        }
        self.upsert(inc);
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Info, text.into()));
        self.dirty = true;
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some((Level::Error, text.into()));
        self.dirty = true;
    }
}

/// Sort helper: high before medium before low.
trait PriorityRank {
    fn priority_rank(&self) -> u8;
}

impl PriorityRank for CorrectiveAction {
    fn priority_rank(&self) -> u8 {
        match self.priority {
            crate::domain::Priority::High => 0,
            crate::domain::Priority::Medium => 1,
            crate::domain::Priority::Low => 2,
        }
    }
}
