//! `update(&mut State, Msg) -> Vec<Effect>`: the only place state changes. It never awaits;
//! anything that needs the network comes back as an [`Effect`] for a task to run.
use super::intent::{DetailPart, Intent, Msg, ReadScope};
use super::keymap::{Key, KeyName, Mode};
use super::state::LOG_CAPACITY;
use super::state::{Conn, Detail, Input, InputKind, Loadable, State, Sticky, Tab, View};
use super::triage;
use crate::client::{LiveEvent, LiveMsg};

pub use super::apply::apply_event;
pub use super::msg::Effect;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = route(state, msg);
    // Messages are raised where the clock is not at hand; the log dates them here.
    state.stamp_messages();
    effects
}

fn route(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(ev) => {
            let Some(key) = Key::from_event(&ev) else {
                return vec![];
            };
            dismiss_message(state);
            let mode = state.ui.mode();
            if mode == Mode::Form
                && let Some(effects) = super::editing::form_key(state, key)
            {
                return effects;
            }
            if let Some(action) = state.settings.keymap.action(mode, key) {
                return act(state, action);
            }
            if let (KeyName::Char(c), false, false) = (key.name, key.ctrl, key.alt) {
                match mode {
                    Mode::Input => type_char(state, c),
                    Mode::Form => return triage::form_char(state, c),
                    _ => {}
                }
            }
            vec![]
        }
        Msg::Intent(a) => act(state, a),
        Msg::Resize => {
            state.ui.dirty = true;
            vec![]
        }
        Msg::Tick(now) => {
            if state.tick(now) {
                state.ui.dirty = true;
            }
            vec![]
        }
        Msg::ClockOffset { now, offset } => {
            state.sync.clock_offset = Some(offset);
            state.tick(now);
            state.ui.dirty = true;
            vec![]
        }
        Msg::Paste(text) => {
            dismiss_message(state);
            super::paste::paste(state, &text)
        }
        Msg::Live(live) => {
            let review = review_changed(state, &live);
            let mut effects = on_live(state, live);
            effects.extend(review);
            effects
        }
        Msg::ReviewLoaded { days, figures } => on_review_loaded(state, days, figures),
        Msg::Outbox(report) => triage::on_outbox(state, report),
        Msg::WhoAmI(who) => triage::on_whoami(state, who),
        Msg::WebhooksFailing(ids) => {
            state.settings.webhooks_failing = ids
                .iter()
                .map(|id| crate::sanitize::clean_line(id))
                .collect();
            state.ui.dirty = true;
            vec![]
        }
        Msg::Unreadable { scope, records } => {
            if records.is_empty() {
                state.ui.dirty |= state.sync.unreadable.remove(&scope).is_some();
            } else {
                state.sync.unreadable.insert(scope, records);
                state.ui.dirty = true;
            }
            vec![]
        }
        Msg::Loaded { incidents, actions } => {
            // A full load shows the server's current records: what an event could not
            // deliver before is either here now or flagged by the load itself.
            state.sync.unreadable.remove(&ReadScope::Events);
            state.set_incidents(incidents);
            state.data.open_actions = actions
                .into_iter()
                .filter(|a| a.status.is_open())
                .map(|a| (a.id.clone(), a))
                .collect();
            state.fix_actions_cursor();
            state.sync.loaded = true;
            state.sync.loading = false;
            state.sync.whole_at = state.sync.load_asked.take().or(state.sync.whole_at);
            state.sync.as_of = Some(state.sync.now);
            if state.sync.resyncing {
                // The stream is up (a drop would have cleared this) and the data is whole.
                state.sync.resyncing = false;
                state.sync.conn = Conn::Live;
                clear_stream_error(state);
            }
            if matches!(&state.ui.notice, Some(n) if n.level == super::state::Level::Error) {
                state.ui.notice = None;
            }
            state.ui.clamp_board_col();
            vec![]
        }
        Msg::ClosedPage {
            text,
            incidents,
            next,
        } => super::closed::page(state, text, incidents, next),
        Msg::ClosedFailed { text, error } => {
            super::closed::failed(state, text, error);
            vec![]
        }
        Msg::LoadFailed(error) => {
            state.sync.loading = false;
            state.ui.sticky_error(
                Sticky::LoadFailed,
                format!("could not load incidents: {error}"),
            );
            vec![]
        }
        Msg::DetailLoaded { id, part } => {
            if let Some(d) = state.ui.detail.as_mut().filter(|d| d.id == id) {
                match part {
                    DetailPart::Updates(v) => d.updates = Loadable::Ready(v),
                    DetailPart::Actions(v) => d.actions = Loadable::Ready(v),
                    DetailPart::Exceptions(v) => d.exceptions = Loadable::Ready(v),
                    DetailPart::Timeline(v) => d.timeline = Loadable::Ready(v),
                    DetailPart::Signals(v) => d.signals = Loadable::Ready(v),
                }
                state.ui.dirty = true;
            }
            vec![]
        }
        Msg::DetailUnavailable { id, tab, message } => {
            if let Some(d) = state.ui.detail.as_mut().filter(|d| d.id == id) {
                match tab {
                    Tab::Updates => d.updates = Loadable::Unavailable(message),
                    Tab::Actions => d.actions = Loadable::Unavailable(message),
                    Tab::Exceptions => d.exceptions = Loadable::Unavailable(message),
                    Tab::Timeline => d.timeline = Loadable::Unavailable(message),
                    Tab::Links => d.signals = Loadable::Unavailable(message),
                }
                state.ui.dirty = true;
            }
            vec![]
        }
        Msg::ActionsUnavailable(message) => {
            state.data.actions_unavailable = Some(message);
            state.ui.dirty = true;
            vec![]
        }
        Msg::DetailFailed { id, tab, error } => {
            if let Some(d) = state.ui.detail.as_mut().filter(|d| d.id == id) {
                match tab {
                    Tab::Updates => d.updates = Loadable::Failed(error),
                    Tab::Actions => d.actions = Loadable::Failed(error),
                    Tab::Exceptions => d.exceptions = Loadable::Failed(error),
                    Tab::Timeline => d.timeline = Loadable::Failed(error),
                    Tab::Links => d.signals = Loadable::Failed(error),
                }
                state.ui.dirty = true;
            }
            vec![]
        }
    }
}

/// How many unreadable live events are kept flagged.
const MAX_FLAGGED: usize = 20;

fn load_all(state: &mut State) -> Vec<Effect> {
    if state.sync.loading {
        return vec![];
    }
    state.sync.loading = true;
    state.sync.load_asked = Some(state.sync.now);
    vec![Effect::LoadAll]
}

/// A change's time may trail its commit a little (and replicas' clocks differ): a delta
/// asks from this much before the newest change the console holds.
const DELTA_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// Where a delta starts: a little before the newest change the console holds or the time
/// its last load was asked for, whichever is later (a console on a quiet or empty database
/// holds no change to date it by); None before any load landed (then only a full load will
/// do).
fn catch_up_from(state: &State) -> Option<chrono::DateTime<chrono::Utc>> {
    if !state.sync.loaded {
        return None;
    }
    let newest = state.data.incidents.values().map(|i| i.updated_at).max();
    [newest, state.sync.whole_at]
        .into_iter()
        .flatten()
        .max()
        .map(|t| t - DELTA_MARGIN)
}

fn on_live(state: &mut State, live: LiveMsg) -> Vec<Effect> {
    match live {
        LiveMsg::Connected { resync } => {
            clear_stream_error(state);
            // G1: after a gap the screen may miss changes, so it is not LIVE until the
            // re-list has landed; resuming by event id misses nothing, so it is LIVE now.
            let relist = resync || !state.sync.loaded;
            if relist {
                state.sync.resyncing = true;
            } else {
                state.sync.conn = Conn::Live;
                state.sync.as_of = Some(state.sync.now);
            }
            state.ui.dirty = true;
            // The server is reachable again: send what waited.
            let mut effects = vec![Effect::RetryOutbox];
            if state.settings.role.is_none() {
                effects.push(Effect::WhoAmI);
            }
            if relist {
                effects.extend(load_all(state));
            }
            effects
        }
        LiveMsg::Alive if state.sync.resyncing => {
            // The re-list failed: try again on each heartbeat until it lands.
            load_all(state)
        }
        LiveMsg::Alive => {
            // A heartbeat changes nothing visible unless it ends a reconnect.
            state.sync.as_of = Some(state.sync.now);
            if state.sync.conn != Conn::Live {
                clear_stream_error(state);
                state.sync.conn = Conn::Live;
                state.ui.dirty = true;
            }
            vec![]
        }
        LiveMsg::Reset | LiveMsg::Missed => {
            // Events were lost: what is shown is not live until the re-list lands.
            let delta = if live == LiveMsg::Missed {
                catch_up_from(state)
            } else {
                None
            };
            if !state.sync.resyncing {
                state.sync.resyncing = true;
                state.sync.conn = Conn::Reconnecting {
                    since: state.sync.now,
                    error: "re-listing after a gap in the event log".into(),
                };
                state.ui.dirty = true;
            }
            match delta {
                Some(since) if !state.sync.loading => {
                    state.sync.loading = true;
                    state.sync.load_asked = Some(state.sync.now);
                    vec![Effect::LoadChanges { since }]
                }
                _ => load_all(state),
            }
        }
        LiveMsg::SilenceLimit(limit) => {
            if let Ok(d) = chrono::Duration::from_std(limit) {
                state.sync.stale_after = d;
            }
            vec![]
        }
        LiveMsg::Unreadable(u) => {
            state.sync.as_of = Some(state.sync.now);
            let flagged = state.sync.unreadable.entry(ReadScope::Events).or_default();
            if !flagged.contains(&u) {
                // Bounded: the header shows a count and the first one.
                if flagged.len() >= MAX_FLAGGED {
                    flagged.remove(0);
                }
                flagged.push(u);
            }
            state.ui.dirty = true;
            vec![]
        }
        LiveMsg::Disconnected { error, retry_in } => {
            state.sync.resyncing = false;
            // Say why, not only that: a revoked token and a down server need different fixes.
            state.ui.sticky_error(
                Sticky::StreamLost,
                format!(
                    "live updates lost: {error}; retrying in {}s",
                    retry_in.as_secs_f32().ceil()
                ),
            );
            state.sync.conn = match &state.sync.conn {
                Conn::Reconnecting { since, .. } => Conn::Reconnecting {
                    since: *since,
                    error,
                },
                _ => Conn::Reconnecting {
                    since: state.sync.now,
                    error,
                },
            };
            state.ui.dirty = true;
            // Without the stream we can still show a snapshot, marked stale.
            if !state.sync.loaded {
                return load_all(state);
            }
            vec![]
        }
        LiveMsg::Event { event, actor, .. } => {
            if let Some(actor) = actor {
                let by = match &event {
                    LiveEvent::Incident(i) => Some((i.id.clone(), i.version)),
                    LiveEvent::Action(a) => Some((a.id.clone(), a.version)),
                    _ => None,
                };
                if let Some((id, version)) = by {
                    state.data.changed_by.insert(id, (version, actor));
                }
            }
            if !state.sync.resyncing {
                state.sync.as_of = Some(state.sync.now);
            }
            apply_event(state, event)
        }
    }
}

/// A key press dismisses passing messages (the log keeps them); the state of the connection
/// and of the last load stay until they change.
fn dismiss_message(state: &mut State) {
    state.ui.dismiss();
}

fn clear_stream_error(state: &mut State) {
    state.ui.clear_sticky(Sticky::StreamLost);
}

/// Sends `text` to the clipboard and says so: that it was sent, not that it arrived (OSC 52
/// has no answer), and under tmux what tmux needs to pass it on.
fn copied(state: &mut State, what: &str, text: String) -> Vec<Effect> {
    let how = if state.settings.tmux {
        "; tmux passes it on only with `set -g set-clipboard on` (or allow-passthrough)"
    } else {
        ""
    };
    state.ui.info(format!(
        "sent {what} to the terminal's clipboard (OSC 52){how}"
    ));
    vec![Effect::Clipboard(text)]
}

fn act(state: &mut State, action: Intent) -> Vec<Effect> {
    state.ui.dirty = true;
    let mode = state.ui.mode();
    if matches!(mode, Mode::Form | Mode::Confirm) && action != Intent::Quit {
        return triage::in_overlay(state, action);
    }
    if let Intent::Write(write) = action {
        return triage::start(state, write);
    }
    match action {
        Intent::Quit => state.ui.quit = true,
        // The open detail's marked link on its Links tab, else the selected (or open)
        // incident.
        Intent::Copy | Intent::CopyBrief => {
            if action == Intent::Copy
                && let Some(link) = state.ui.detail.as_ref().and_then(|d| d.marked_link())
            {
                let what = format!("{} link {}", link.label, link.url);
                return copied(state, &what, link.url);
            }
            let id = match &state.ui.detail {
                Some(d) => Some(d.id.clone()),
                None => state.selected_id().map(str::to_string),
            };
            let text = id.as_deref().and_then(|id| {
                if action == Intent::Copy {
                    super::clipboard::id_and_title(state, id)
                } else {
                    super::clipboard::brief(state, id)
                }
            });
            return match (id, text) {
                (Some(id), Some(text)) => {
                    let what = if action == Intent::Copy {
                        "id and title"
                    } else {
                        "handover brief"
                    };
                    copied(state, &format!("{id} {what}"), text)
                }
                _ => {
                    state.ui.info("nothing selected to copy");
                    vec![]
                }
            };
        }
        Intent::Help => {
            state.ui.help = !state.ui.help;
            state.ui.help_scroll = 0;
        }
        Intent::Messages => {
            state.ui.messages = match state.ui.messages {
                Some(_) => None,
                None => Some(0),
            };
        }
        Intent::MostOverdue => most_overdue(state),
        Intent::ViewBoard => show(state, View::Board),
        Intent::ViewList => show(state, View::List),
        Intent::ViewActions => show(state, View::Actions),
        Intent::ViewReview => return show_review(state, None),
        Intent::ToggleClosed => {
            state.ui.show_closed = !state.ui.show_closed;
            state.rebuild();
            state.ui.clamp_board_col();
            state.ui.info(if state.ui.show_closed {
                "showing closed incidents"
            } else {
                "hiding closed incidents"
            });
            return super::closed::shown(state);
        }
        Intent::Filter => {
            state.ui.input = Some(Input {
                kind: InputKind::Filter,
                text: state.ui.filter.raw.clone(),
                before: state.ui.filter.raw.clone(),
            });
        }
        Intent::Command => {
            state.ui.input = Some(Input {
                kind: InputKind::Command,
                text: String::new(),
                before: state.ui.filter.raw.clone(),
            });
        }
        Intent::Submit => {
            if let Some(input) = state.ui.input.take() {
                return match input.kind {
                    InputKind::Command => command(state, input.text.trim()),
                    // The filter is typed live over what is loaded; the server is asked for
                    // older closed incidents matching it once it is entered.
                    InputKind::Filter => super::closed::shown(state),
                };
            }
        }
        Intent::Cancel => {
            if let Some(input) = state.ui.input.take()
                && input.kind == InputKind::Filter
            {
                state.set_filter(&input.before);
            }
        }
        Intent::DeleteChar => {
            if let Some(input) = state.ui.input.as_mut() {
                input.text.pop();
                if input.kind == InputKind::Filter {
                    let text = input.text.clone();
                    state.set_filter(&text);
                }
            }
        }
        Intent::Back => {
            if state.ui.messages.is_some() {
                state.ui.messages = None;
            } else if state.ui.help {
                state.ui.help = false;
            } else if state.ui.detail.is_some() {
                state.ui.detail = None;
            } else if state.ui.view == View::Review {
                show(state, View::Board);
            } else if !state.ui.filter.is_empty() {
                state.set_filter("");
            }
        }
        Intent::MoveDown => {
            step(state, mode, 1);
            return super::closed::near_end(state);
        }
        Intent::MoveUp => step(state, mode, -1),
        Intent::PageDown => {
            step(state, mode, state.ui.page.max(1) as isize);
            return super::closed::near_end(state);
        }
        Intent::PageUp => step(state, mode, -(state.ui.page.max(1) as isize)),
        Intent::Top => step(state, mode, isize::MIN / 2),
        Intent::Bottom => {
            step(state, mode, isize::MAX / 2);
            return super::closed::near_end(state);
        }
        Intent::MoveLeft => side(state, mode, -1),
        Intent::MoveRight => side(state, mode, 1),
        Intent::NextTab => side(state, Mode::Detail, 1),
        Intent::PrevTab => side(state, Mode::Detail, -1),
        Intent::Open => return open(state),
        // Writes are handled above; form keys only mean something in a form.
        Intent::Write(_)
        | Intent::NextField
        | Intent::PrevField
        | Intent::ChoiceNext
        | Intent::ChoicePrev
        | Intent::Send
        | Intent::Confirm => {}
        Intent::SortNext | Intent::SortReverse => {
            if action == Intent::SortNext {
                state.ui.list_sort = state.ui.list_sort.next();
            } else {
                state.ui.list_reverse = !state.ui.list_reverse;
            }
            state.resort_list();
            state.ui.info(format!(
                "sorted by {}{}",
                state.ui.list_sort.title(),
                if state.ui.list_reverse {
                    ", reversed"
                } else {
                    ""
                }
            ));
        }
    }
    vec![]
}

/// Selects the incident whose customer update has been due longest, and says which.
fn most_overdue(state: &mut State) {
    let now = state.sync.now;
    let Some((due, id)) = state
        .data
        .overdue(now)
        .next()
        .map(|(d, id)| (d, id.to_string()))
    else {
        state.ui.info("no customer update is overdue");
        return;
    };
    state.ui.detail = None;
    state.ui.help = false;
    state.ui.messages = None;
    let late = super::view::fmt::countdown_at(now, due, false).0;
    if state.select_incident(&id) {
        state.ui.info(format!("{id}: customer update {late}"));
    } else {
        let why = if state.ui.filter.is_empty() {
            "is not on this view"
        } else {
            "is hidden by the filter (esc clears it)"
        };
        state
            .ui
            .error(format!("{id}: customer update {late}; it {why}"));
    }
}

/// Opens the review (for `days`, or the period shown last) and loads its figures.
fn show_review(state: &mut State, days: Option<u32>) -> Vec<Effect> {
    show(state, View::Review);
    let r = &mut state.ui.review;
    if let Some(d) = days
        && d != r.days
    {
        r.days = d;
        r.figures = None;
    }
    load_review(state)
}

fn load_review(state: &mut State) -> Vec<Effect> {
    let r = &mut state.ui.review;
    if r.loading {
        r.stale = true;
        return vec![];
    }
    r.loading = true;
    r.stale = false;
    state.ui.dirty = true;
    vec![Effect::LoadReview { days: r.days }]
}

/// An incident or its records changed while the review is shown: its figures may have too.
/// A hidden review loads nothing; it loads afresh when it is next shown.
fn review_changed(state: &mut State, live: &LiveMsg) -> Vec<Effect> {
    let shown = state.ui.view == View::Review && state.ui.detail.is_none();
    if shown && matches!(live, LiveMsg::Event { .. }) {
        load_review(state)
    } else {
        vec![]
    }
}

fn on_review_loaded(
    state: &mut State,
    days: u32,
    figures: Result<crate::review::PeriodFigures, String>,
) -> Vec<Effect> {
    let r = &mut state.ui.review;
    r.loading = false;
    if days == r.days {
        match figures {
            Ok(f) => {
                r.figures = Some(std::sync::Arc::new(f));
                r.error = None;
            }
            Err(e) => r.error = Some(e),
        }
        state.ui.dirty = true;
    }
    if (r.stale || days != r.days) && state.ui.view == View::Review {
        return load_review(state);
    }
    vec![]
}

fn show(state: &mut State, view: View) {
    state.ui.view = view;
    if view == View::Actions {
        state.fix_actions_cursor();
    }
    state.ui.detail = None;
    state.ui.help = false;
    state.ui.messages = None;
}

fn type_char(state: &mut State, c: char) {
    if let Some(input) = state.ui.input.as_mut() {
        input.text.push(c);
        if input.kind == InputKind::Filter {
            let text = input.text.clone();
            state.set_filter(&text);
        }
        state.ui.dirty = true;
    }
}

fn command(state: &mut State, cmd: &str) -> Vec<Effect> {
    match cmd.trim_start_matches(':') {
        "" => {}
        "board" | "b" | "1" => show(state, View::Board),
        "list" | "l" | "2" => show(state, View::List),
        "actions" | "a" | "3" => show(state, View::Actions),
        "review" | "r" | "4" => return show_review(state, None),
        c if c.starts_with("review ") => {
            match super::state::review::parse_days(&c["review ".len()..]) {
                Ok(days) => return show_review(state, Some(days)),
                Err(e) => state.ui.error(e),
            }
        }
        "closed" => return act(state, Intent::ToggleClosed),
        "discard-held" => return vec![Effect::DiscardHeldWrites],
        "help" | "h" => state.ui.help = true,
        "quit" | "q" | "q!" => state.ui.quit = true,
        other => state.ui.error(format!(
            "unknown command :{other} (try :board, :list, :actions, :review 90d, :closed, :quit)"
        )),
    }
    vec![]
}

fn clamp_add(row: usize, delta: isize, len: usize) -> usize {
    let max = len.saturating_sub(1) as isize;
    (row as isize).saturating_add(delta).clamp(0, max.max(0)) as usize
}

fn step(state: &mut State, mode: Mode, delta: isize) {
    match mode {
        Mode::Board => {
            let Some(phase) = state.ui.visible_phases().get(state.ui.board_col).copied() else {
                return;
            };
            let i = phase as usize;
            let row = clamp_add(
                state.ui.column_cursors[i].row,
                delta,
                state.data.columns[i].len(),
            );
            state.ui.column_cursors[i].set(row, &state.data.columns[i]);
        }
        Mode::List => {
            let row = clamp_add(state.ui.list_cursor.row, delta, state.data.list.len());
            state.ui.list_cursor.set(row, &state.data.list);
        }
        Mode::Actions => {
            let index = state.action_index();
            let row = clamp_add(state.ui.actions_cursor.row, delta, index.len());
            state.ui.actions_cursor.set(row, &index);
        }
        Mode::Detail => {
            if let Some(d) = state.ui.detail.as_mut() {
                let len = tab_len(d);
                d.scroll = clamp_add(d.scroll, delta, len);
            }
        }
        Mode::Help => state.ui.help_scroll = clamp_add(state.ui.help_scroll, delta, 200),
        Mode::Messages => {
            // In lines of the wrapped log; the view clamps to what it has.
            let at = state.ui.messages.unwrap_or(0);
            state.ui.messages = Some(clamp_add(at, delta, 20 * LOG_CAPACITY));
        }
        Mode::Global | Mode::Review | Mode::Input | Mode::Form | Mode::Confirm => {}
    }
}

pub fn tab_len(d: &Detail) -> usize {
    fn len<T>(l: &Loadable<Vec<T>>) -> usize {
        match l {
            Loadable::Ready(v) => v.len(),
            _ => 0,
        }
    }
    match d.tab {
        Tab::Timeline => len(&d.timeline),
        Tab::Updates => len(&d.updates),
        Tab::Actions => len(&d.actions),
        Tab::Exceptions => len(&d.exceptions),
        Tab::Links => len(&d.links()),
    }
}

fn side(state: &mut State, mode: Mode, delta: isize) {
    match mode {
        Mode::Board => {
            let n = state.ui.visible_phases().len();
            state.ui.board_col = clamp_add(state.ui.board_col, delta, n);
            // Moving to a column selects its card at the remembered row.
            if let Some(p) = state.ui.visible_phases().get(state.ui.board_col).copied() {
                let i = p as usize;
                if state.ui.column_cursors[i].id.is_none() {
                    let row = state.ui.column_cursors[i].row;
                    state.ui.column_cursors[i].set(row, &state.data.columns[i]);
                }
            }
        }
        Mode::Detail => {
            if let Some(d) = state.ui.detail.as_mut() {
                let i = Tab::ALL.iter().position(|t| *t == d.tab).unwrap_or(0) as isize;
                let n = Tab::ALL.len() as isize;
                d.tab = Tab::ALL[(i + delta).rem_euclid(n) as usize];
                d.scroll = 0;
            }
        }
        _ => {}
    }
}

fn open(state: &mut State) -> Vec<Effect> {
    if state.ui.detail.is_some() {
        return vec![];
    }
    let tab = if state.ui.view == View::Actions {
        Tab::Actions
    } else {
        Tab::Timeline
    };
    let Some(id) = state.selected_id().map(str::to_string) else {
        return vec![];
    };
    state.ui.detail = Some(Detail::new(&id, tab));
    vec![Effect::FetchDetail(id)]
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
