//! Everything the console knows, split by what it is: [`Data`] (what the server said, with
//! its indexes), [`SyncStatus`] (how current that is), [`Writes`] (writes on their way and
//! unsent drafts), [`Ui`] (what the person is doing with the screen) and [`Settings`] (what
//! the console was started with, and who it is). `update` changes it; views only read it.
//! The methods here are the ones that span parts: the indexes follow the UI's filter and
//! sort, and the selections follow their incidents through index changes.
mod data;
mod history;
mod log;
pub mod review;
mod settings;
mod sync;
mod ui;
mod writes;

pub use super::detail::{Detail, Loadable, Tab};
pub use data::{Data, Lens, SortBy, due, list_order};
pub use history::ClosedHistory;
pub use log::{LOG_CAPACITY, Level, LogEntry, MessageLog};
pub use settings::Settings;
pub use sync::{Conn, STALE_AFTER_SECS, SyncStatus};
pub use ui::{Input, InputKind, Notice, Sticky, Ui, View};
pub use writes::{Pending, Writes};

use super::filter::Filter;
use super::forms::{Form, Overlay};
use super::index::SortedIndex;
use super::keymap::Keymap;
use super::msg::Effect;
use super::theme::Theme;
use crate::domain::{CorrectiveAction, Incident, Phase};
use chrono::{DateTime, Utc};

pub struct State {
    pub data: Data,
    pub sync: SyncStatus,
    pub writes: Writes,
    pub ui: Ui,
    pub settings: Settings,
    pub history: ClosedHistory,
}

impl State {
    pub fn new(
        backend: impl Into<String>,
        keymap: Keymap,
        theme: Theme,
        now: DateTime<Utc>,
    ) -> Self {
        State {
            data: Data::default(),
            sync: SyncStatus::new(now),
            writes: Writes::default(),
            ui: Ui::default(),
            settings: Settings::new(backend.into(), keymap, theme),
            history: ClosedHistory::default(),
        }
    }

    /// Moves the clock to `now`; true when the screen shows something different. At minute
    /// resolution that is a new minute, a customer update falling due (the loudest thing on
    /// screen must not wait for the minute), or a reconnect that may turn STALE.
    pub fn tick(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.sync.now;
        self.sync.now = now;
        self.settings.seconds
            || now.timestamp().div_euclid(60) != before.timestamp().div_euclid(60)
            || matches!(self.sync.conn, Conn::Reconnecting { .. })
            || self.data.falls_due(before, now)
    }

    /// When time alone next changes what is on screen, i.e. the first moment [`State::tick`]
    /// would say so: the next whole second while seconds are shown or a reconnect counts,
    /// else the next whole minute or the second after the next update falls due. The
    /// console sleeps until then instead of waking every second.
    pub fn next_tick(&self) -> DateTime<Utc> {
        let now = self.sync.now;
        let second = now.timestamp() + 1;
        if self.settings.seconds || matches!(self.sync.conn, Conn::Reconnecting { .. }) {
            return at_second(second);
        }
        let minute = (now.timestamp().div_euclid(60) + 1) * 60;
        let due = self
            .data
            .next_due(now)
            .map_or(minute, |d| (d.timestamp() + 1).min(minute));
        at_second(due.max(second))
    }

    /// Dates the messages raised since the last call and names their incidents.
    pub fn stamp_messages(&mut self) {
        let incidents = &self.data.incidents;
        self.ui
            .log
            .stamp(self.sync.now, |w| incidents.contains_key(w));
    }

    /// Customer-impacting incidents whose next update is past due, now.
    pub fn overdue_updates(&self) -> usize {
        self.data.overdue_updates(self.sync.now)
    }

    /// Writes not yet confirmed by the server: sent and unanswered, or waiting in the outbox.
    pub fn pending_count(&self) -> usize {
        self.writes.pending.len().max(self.sync.outbox_waiting)
    }

    /// Replaces everything after a full (re-)list. An incident that a live event already
    /// moved past the listed version keeps the newer version.
    pub fn set_incidents(&mut self, list: Vec<Incident>) {
        self.data.merge_listed(list);
        self.rebuild();
    }

    /// Recomputes every index; for loads, filter and sort changes.
    pub fn rebuild(&mut self) {
        self.data.rebuild(self.ui.lens());
        self.fix_cursors();
        self.fix_actions_cursor();
        self.ui.dirty = true;
    }

    /// The list in a new order: the same incidents, so the selection stays on its incident.
    pub fn resort_list(&mut self) {
        self.data.resort_list(self.ui.lens());
        let _ = self.ui.list_cursor.fix(&self.data.list);
    }

    /// Filters as you type: each keystroke re-indexes, which is a user-paced cost.
    pub fn set_filter(&mut self, text: &str) {
        self.ui.filter = Filter::parse(text);
        if self.ui.filter.mentions_phase(Phase::Closed) && !self.ui.show_closed {
            self.ui.show_closed = true;
        }
        self.rebuild();
        self.ui.actions_cursor = Default::default();
        self.fix_actions_cursor();
        self.ui.clamp_board_col();
    }

    /// Applies one incident's new state. Returns false for a stale or duplicate version
    /// (a replayed event), which changes nothing.
    pub fn upsert(&mut self, inc: Incident) -> bool {
        if !self.data.upsert(inc, self.ui.lens()) {
            return false;
        }
        self.fix_cursors();
        self.ui.dirty = true;
        true
    }

    /// Replaces an incident with a local version whatever its version number: an
    /// optimistic change or a rollback.
    pub fn set_local(&mut self, inc: Incident) {
        self.data.forget_version(&inc.id);
        self.upsert(inc);
    }

    /// Shows an action's new state locally, whatever its version: in the open list and in
    /// the open detail's actions tab.
    pub fn set_action_local(&mut self, a: CorrectiveAction) {
        if let Some(d) = self.ui.detail.as_mut().filter(|d| d.id == a.incident_id)
            && let Loadable::Ready(list) = &mut d.actions
            && let Some(x) = list.iter_mut().find(|x| x.id == a.id)
        {
            *x = a.clone();
        }
        self.data.set_action_local(a);
        self.fix_actions_cursor();
        self.ui.dirty = true;
    }

    /// The open form changed: keep it on screen and save its draft (the run loop writes
    /// drafts at most a few times a second).
    pub fn form_edited(&mut self, f: Form) -> Vec<Effect> {
        self.writes.drafts.insert(f.draft_key(), f.clone());
        self.ui.overlay = Some(Overlay::Form(f));
        self.ui.dirty = true;
        vec![Effect::DraftsChanged]
    }

    /// Keeps the selection on the selected incident after the indexes changed: on the
    /// board it follows the incident into its new column; when it has left the view
    /// (closed, filtered out) nothing is selected and the console says so.
    fn fix_cursors(&mut self) {
        let ui = &mut self.ui;
        let columns = &self.data.columns;
        let focused = ui.visible_phases().get(ui.board_col).copied();
        // The board's selection is the focused column's; read it before the cursors move.
        let board_sel = focused.and_then(|p| {
            let c = &ui.column_cursors[p as usize];
            c.id.clone().or_else(|| c.gone.clone())
        });
        let mut left = None;
        for (i, (cursor, index)) in ui.column_cursors.iter_mut().zip(columns).enumerate() {
            let l = cursor.fix(index);
            if focused.is_some_and(|p| p as usize == i) {
                left = l;
            }
        }
        if let (Some(id), Some(from)) = (board_sel, focused) {
            let now_in = self
                .data
                .incidents
                .get(&id)
                .map(|i| i.phase)
                .filter(|p| self.ui.visible_phases().contains(p))
                .filter(|p| columns[*p as usize].position(&id).is_some());
            match now_in {
                Some(to) if to != from => {
                    // Followed into its new column; the old column forgets it.
                    let ui = &mut self.ui;
                    let old = &mut ui.column_cursors[from as usize];
                    old.gone = None;
                    if old.id.is_none() {
                        old.clamp(&columns[from as usize]);
                    }
                    ui.column_cursors[to as usize].select(&id, &columns[to as usize]);
                    if let Some(col) = ui.visible_phases().iter().position(|p| *p == to) {
                        ui.board_col = col;
                    }
                }
                Some(_) => {}
                None => {
                    if self.ui.view == View::Board && left.is_some() {
                        let text = self.gone_notice(&id);
                        self.ui.info(text);
                    }
                }
            }
        }
        if let Some(left) = self.ui.list_cursor.fix(&self.data.list)
            && self.ui.view == View::List
        {
            let text = self.gone_notice(&left);
            self.ui.info(text);
        }
    }

    /// Selects `id` in the board or list (the actions view shows the board): false, and
    /// nothing moves, when the incident is not in the view.
    pub fn select_incident(&mut self, id: &str) -> bool {
        if self.ui.view == View::Actions {
            self.ui.view = View::Board;
        }
        let ui = &mut self.ui;
        match ui.view {
            View::List => ui.list_cursor.select(id, &self.data.list),
            _ => {
                let Some(phase) = self.data.incidents.get(id).map(|i| i.phase) else {
                    return false;
                };
                let Some(col) = ui.visible_phases().iter().position(|p| *p == phase) else {
                    return false;
                };
                if !ui.column_cursors[phase as usize].select(id, &self.data.columns[phase as usize])
                {
                    return false;
                }
                ui.board_col = col;
                true
            }
        }
    }

    /// Why an incident is not in the current view, in a few words.
    /// What the footer says when the selected incident leaves the view. With its detail
    /// still open, the write keys act on that detail (a closed incident can be corrected),
    /// so the notice says that rather than "nothing is selected".
    fn gone_notice(&self, id: &str) -> String {
        let why = self.why_gone(id);
        let by = match (self.data.changed_by.get(id), self.data.incidents.get(id)) {
            (Some((v, who)), Some(i)) if *v == i.version => format!(" by {who}"),
            _ => String::new(),
        };
        if self.ui.detail.as_ref().is_some_and(|d| d.id == id) {
            format!(
                "{id} {why}{by}: its detail stays open and the keys act on it; esc goes back, where nothing is selected"
            )
        } else {
            format!("{id} {why}{by}: nothing is selected")
        }
    }

    fn why_gone(&self, id: &str) -> &'static str {
        match self.data.incidents.get(id) {
            None => "is no longer listed",
            Some(i) if i.phase == Phase::Closed && !self.ui.show_closed => "was closed",
            Some(i) if !self.ui.filter.matches(i) => "is hidden by the filter",
            Some(_) => "left the view",
        }
    }

    /// The incident under the cursor in the current view.
    pub fn selected_id(&self) -> Option<&str> {
        match self.ui.view {
            View::Board => {
                let phase = *self.ui.visible_phases().get(self.ui.board_col)?;
                self.ui.column_cursors[phase as usize].id.as_deref()
            }
            View::List => self.ui.list_cursor.id.as_deref(),
            View::Actions => self
                .action_rows()
                .into_iter()
                .find(|a| self.ui.actions_cursor.id.as_deref() == Some(a.id.as_str()))
                .map(|a| a.incident_id.as_str()),
            View::Review => None,
        }
    }

    /// The corrective action under the cursor in the actions view.
    pub fn selected_action(&self) -> Option<&CorrectiveAction> {
        let id = self.ui.actions_cursor.id.as_deref()?;
        self.action_rows().into_iter().find(|a| a.id == id)
    }

    /// The actions view's rows as an index, for its cursor.
    pub fn action_index(&self) -> SortedIndex {
        SortedIndex::from_ids(self.action_rows().iter().map(|a| a.id.clone()).collect())
    }

    /// Keeps the actions view's selection on its action (nothing once it left the view).
    pub fn fix_actions_cursor(&mut self) {
        let index = self.action_index();
        self.ui.actions_cursor.fix(&index);
    }

    /// Open actions, filtered, overdue first, then by due date.
    pub fn action_rows(&self) -> Vec<&CorrectiveAction> {
        self.data
            .action_rows(&self.ui.filter, self.sync.now.date_naive())
    }
}

fn at_second(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tick_tests {
    use super::*;
    use crate::console::testdata;
    use crate::domain::Severity;
    use chrono::TimeZone;

    fn quiet(now: DateTime<Utc>) -> State {
        let mut s = testdata::state();
        s.set_incidents(vec![]);
        s.data.incidents.clear();
        s.rebuild();
        s.tick(now);
        s
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, h, m, s).unwrap()
    }

    #[test]
    fn a_quiet_board_wakes_when_the_header_clock_next_changes() {
        let mut s = quiet(at(10, 0, 7) + chrono::Duration::milliseconds(300));
        assert_eq!(s.next_tick(), at(10, 1, 0));
        // Every tick before then changes nothing on screen; the one at the minute does.
        assert!(!s.tick(at(10, 0, 59)));
        assert!(s.tick(s.next_tick()));
    }

    #[test]
    fn a_countdown_that_falls_due_wakes_the_console_the_second_after() {
        let now = at(10, 0, 7);
        let mut s = quiet(now);
        let mut inc = testdata::incident("INC-1", Severity::Sev1, Phase::Triage);
        inc.customer_impact = true;
        inc.next_update_due_at = Some(at(10, 0, 30) + chrono::Duration::milliseconds(500));
        s.set_incidents(vec![inc]);
        assert!(data::due(&s.data.incidents["INC-1"]).is_some());
        let next = s.next_tick();
        assert_eq!(next, at(10, 0, 31));
        assert!(!s.tick(at(10, 0, 30)), "not due yet");
        assert!(s.tick(next), "the update is overdue: the screen turns red");
    }

    #[test]
    fn seconds_and_reconnects_tick_every_second() {
        let now = at(10, 0, 7) + chrono::Duration::milliseconds(10);
        let mut s = quiet(now);
        s.settings.seconds = true;
        assert_eq!(s.next_tick(), at(10, 0, 8));
        s.settings.seconds = false;
        s.sync.conn = Conn::Reconnecting {
            since: now,
            error: "down".into(),
        };
        assert_eq!(s.next_tick(), at(10, 0, 8));
    }
}
