//! `update` in, state and effects out.
use super::*;
use crate::console::intent::{DetailPart, Intent, Msg};
use crate::console::state::{Conn, Level, Notice, SortBy, Tab, View};
use crate::console::testdata::{self, clock};
use crate::domain::{ActionStatus, Phase, Severity, StatusUpdate};
use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(state: &mut State, c: KeyCode) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        key(state, KeyCode::Char(c));
    }
}

fn live(state: &mut State, event: LiveEvent) -> Vec<Effect> {
    update(
        state,
        Msg::Live(LiveMsg::Event {
            seq: 1,
            event,
            actor: None,
        }),
    )
}

fn column(state: &State, p: Phase) -> Vec<String> {
    state.data.columns[p as usize].ids().to_vec()
}

#[test]
fn a_live_event_moves_the_card_and_updates_the_counts_without_refetching() {
    let mut s = testdata::state();
    let mut inc = s.data.incidents["INC-102"].clone();
    assert!(column(&s, Phase::Detection).contains(&inc.id));
    let sev3_before = s.data.open_count(Severity::Sev3);
    inc.phase = Phase::Triage;
    inc.severity = Severity::Sev2;
    inc.version += 1;
    let effects = live(&mut s, LiveEvent::Incident(inc));
    assert!(effects.is_empty(), "no re-fetch per event: {effects:?}");
    assert!(!column(&s, Phase::Detection).contains(&"INC-102".to_string()));
    assert!(column(&s, Phase::Triage).contains(&"INC-102".to_string()));
    assert_eq!(s.data.open_count(Severity::Sev3), sev3_before - 1);
    assert!(s.ui.dirty);
}

#[test]
fn a_replayed_or_older_event_changes_nothing() {
    let mut s = testdata::state();
    let mut inc = s.data.incidents["INC-103"].clone();
    inc.title = "old news".into();
    s.ui.dirty = false;
    live(&mut s, LiveEvent::Incident(inc));
    assert_ne!(s.data.incidents["INC-103"].title, "old news");
    assert!(!s.ui.dirty, "a duplicate must not even redraw");
}

#[test]
fn cards_sort_by_severity_then_age() {
    let s = testdata::state();
    let triage = column(&s, Phase::Triage);
    // INC-103 SEV2, then SEV3 INC-112, then SEV4 INC-104.
    assert_eq!(triage, ["INC-103", "INC-112", "INC-104"]);
    let mut s = testdata::state();
    let mut older = testdata::incident("INC-200", Severity::Sev2, Phase::Triage);
    older.created_at = clock() - Duration::hours(5);
    live(&mut s, LiveEvent::Incident(older));
    assert_eq!(column(&s, Phase::Triage)[0], "INC-200", "older SEV2 first");
}

#[test]
fn first_connection_and_reset_list_everything_once() {
    let mut s = State::new(
        "t",
        crate::console::keymap::Keymap::default_keymap(),
        crate::console::theme::Theme::color(),
        clock(),
    );
    let e = update(&mut s, Msg::Live(LiveMsg::Connected { resync: true }));
    // Also: send any writes that waited, and learn who we are.
    assert_eq!(
        e,
        vec![Effect::RetryOutbox, Effect::WhoAmI, Effect::LoadAll]
    );
    assert_eq!(
        s.sync.conn,
        Conn::Connecting,
        "not LIVE before there is data"
    );
    // A reset while that load is in flight does not start a second one.
    assert!(update(&mut s, Msg::Live(LiveMsg::Reset)).is_empty());
    update(
        &mut s,
        Msg::Loaded {
            incidents: testdata::scenario(),
            actions: testdata::actions(),
        },
    );
    assert_eq!(s.data.incidents.len(), 12);
    assert_eq!(s.sync.conn, Conn::Live);
    assert_eq!(
        update(&mut s, Msg::Live(LiveMsg::Reset)),
        vec![Effect::LoadAll]
    );
    assert_ne!(
        s.sync.conn,
        Conn::Live,
        "missed events: not LIVE until re-listed"
    );
    // Resuming with Last-Event-ID needs no re-list.
    let mut s2 = testdata::state();
    let e = update(&mut s2, Msg::Live(LiveMsg::Connected { resync: false }));
    assert!(!e.contains(&Effect::LoadAll), "{e:?}");
}

#[test]
fn a_full_list_never_rolls_back_a_newer_live_version() {
    let mut s = testdata::state();
    let mut newer = s.data.incidents["INC-105"].clone();
    newer.version = 9;
    newer.phase = Phase::Communication;
    live(&mut s, LiveEvent::Incident(newer));
    update(
        &mut s,
        Msg::Loaded {
            incidents: testdata::scenario(),
            actions: vec![],
        },
    );
    assert_eq!(s.data.incidents["INC-105"].phase, Phase::Communication);
    assert!(column(&s, Phase::Communication).contains(&"INC-105".to_string()));
}

#[test]
fn disconnects_show_reconnecting_and_keep_the_first_time() {
    let mut s = testdata::state();
    let down = |e: &str| {
        Msg::Live(LiveMsg::Disconnected {
            error: e.into(),
            retry_in: std::time::Duration::from_secs(1),
        })
    };
    update(&mut s, down("refused"));
    update(&mut s, Msg::Tick(clock() + Duration::seconds(20)));
    update(&mut s, down("refused again"));
    match &s.sync.conn {
        Conn::Reconnecting { since, error } => {
            assert_eq!(*since, clock());
            assert_eq!(error, "refused again");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&s.ui.notice, Some(Notice { level: Level::Error, text: m, .. }) if m.contains("refused again") && m.contains("retrying in 1s")),
        "{:?}",
        s.ui.notice
    );
    update(&mut s, Msg::Live(LiveMsg::Alive));
    assert_eq!(s.sync.conn, Conn::Live);
    assert!(
        s.ui.notice.is_none(),
        "the reason goes once the stream is back"
    );
}

#[test]
fn a_reconnect_that_lost_history_is_not_live_until_the_relist_lands() {
    let mut s = testdata::state();
    update(
        &mut s,
        Msg::Live(LiveMsg::Disconnected {
            error: "refused".into(),
            retry_in: std::time::Duration::from_secs(1),
        }),
    );
    let e = update(&mut s, Msg::Live(LiveMsg::Connected { resync: true }));
    assert!(e.contains(&Effect::LoadAll), "{e:?}");
    assert_ne!(s.sync.conn, Conn::Live, "old data is not shown as LIVE");
    // Heartbeats do not make it live either; they retry a failed re-list.
    update(&mut s, Msg::LoadFailed("HTTP 502".into()));
    assert_eq!(
        update(&mut s, Msg::Live(LiveMsg::Alive)),
        vec![Effect::LoadAll]
    );
    assert_ne!(s.sync.conn, Conn::Live);
    update(
        &mut s,
        Msg::Loaded {
            incidents: testdata::scenario(),
            actions: vec![],
        },
    );
    assert_eq!(s.sync.conn, Conn::Live);
    assert_eq!(update(&mut s, Msg::Live(LiveMsg::Alive)), vec![]);
}

#[test]
fn stale_follows_the_servers_heartbeat_and_silence_is_stale_at_once() {
    let mut s = testdata::state();
    // The server's heartbeat is 2 s: silence of 4 s ends the stream.
    update(
        &mut s,
        Msg::Live(LiveMsg::SilenceLimit(std::time::Duration::from_secs(4))),
    );
    update(&mut s, Msg::Live(LiveMsg::Alive));
    let down = Msg::Live(LiveMsg::Disconnected {
        error: "connection reset".into(),
        retry_in: std::time::Duration::from_secs(1),
    });
    update(&mut s, Msg::Tick(clock() + Duration::seconds(1)));
    update(&mut s, down.clone());
    assert!(!s.sync.is_stale(), "a fresh drop reads RECONNECTING");
    update(&mut s, Msg::Tick(clock() + Duration::seconds(3)));
    assert!(!s.sync.is_stale());
    update(&mut s, Msg::Tick(clock() + Duration::seconds(4)));
    assert!(s.sync.is_stale(), "data 4 s old, the limit");
    // Back: live, not stale.
    update(&mut s, Msg::Live(LiveMsg::Alive));
    assert!(!s.sync.is_stale());
    assert_eq!(s.sync.conn, Conn::Live);
    // A stream that went silent is dropped only once the data is as old as the limit.
    update(&mut s, Msg::Tick(clock() + Duration::seconds(8)));
    update(&mut s, down);
    assert!(
        s.sync.is_stale(),
        "STALE the moment silence ends the stream"
    );
}

#[test]
fn keys_move_between_columns_and_enter_opens_the_detail() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char('l'));
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.selected_id(), Some("INC-112"));
    let e = key(&mut s, KeyCode::Enter);
    assert_eq!(e, vec![Effect::FetchDetail("INC-112".into())]);
    let d = s.ui.detail.as_ref().unwrap();
    assert_eq!((d.id.as_str(), d.tab), ("INC-112", Tab::Timeline));
    // A slow answer for an incident no longer open is ignored.
    update(
        &mut s,
        Msg::DetailLoaded {
            id: "INC-999".into(),
            part: DetailPart::Updates(vec![]),
        },
    );
    assert_eq!(s.ui.detail.as_ref().unwrap().updates, Loadable::Loading);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.ui.detail.as_ref().unwrap().tab, Tab::Updates);
    key(&mut s, KeyCode::Esc);
    assert!(s.ui.detail.is_none());
    assert_eq!(s.ui.view, View::Board);
}

#[test]
fn selection_follows_the_incident_when_a_card_lands_above_it() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char('l'));
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.selected_id(), Some("INC-112"));
    let mut sev1 = testdata::incident("INC-300", Severity::Sev1, Phase::Triage);
    sev1.version = 1;
    live(&mut s, LiveEvent::Incident(sev1));
    assert_eq!(column(&s, Phase::Triage)[0], "INC-300");
    assert_eq!(s.selected_id(), Some("INC-112"));
}

#[test]
fn filter_as_you_type_and_cancel_restores() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "sev:1");
    assert_eq!(s.ui.mode(), crate::console::keymap::Mode::Input);
    let shown: usize = Phase::ALL[..5].iter().map(|p| column(&s, *p).len()).sum();
    assert_eq!(shown, 3, "three open SEV1s");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.ui.filter.raw, "sev:1");
    // q typed into a filter is text, not quit.
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, " q");
    assert!(!s.ui.quit);
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.ui.filter.raw, "sev:1");
    // Esc on the board clears the filter.
    key(&mut s, KeyCode::Esc);
    assert!(s.ui.filter.is_empty());
    assert_eq!(column(&s, Phase::Triage).len(), 3);
}

#[test]
fn owner_filter_narrows_the_actions_view() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char('3'));
    assert_eq!(s.ui.view, View::Actions);
    let rows: Vec<_> = s.action_rows().iter().map(|a| a.id.clone()).collect();
    // Overdue first (ACT-1 two days late, ACT-3 one day late), then by due date.
    assert_eq!(rows, ["ACT-1", "ACT-3", "ACT-4", "ACT-2", "ACT-5"]);
    key(&mut s, KeyCode::Char('/'));
    typed(&mut s, "owner:hana");
    key(&mut s, KeyCode::Enter);
    let rows: Vec<_> = s.action_rows().iter().map(|a| a.id.clone()).collect();
    assert_eq!(rows, ["ACT-3", "ACT-2"]);
    // o opens the action's incident on its actions tab (enter edits the action).
    let e = key(&mut s, KeyCode::Char('o'));
    assert_eq!(e, vec![Effect::FetchDetail("INC-110".into())]);
    assert_eq!(s.ui.detail.as_ref().unwrap().tab, Tab::Actions);
}

#[test]
fn finished_actions_leave_the_open_actions_view() {
    let mut s = testdata::state();
    let mut a = testdata::actions().remove(0);
    a.status = ActionStatus::Done;
    a.version = 2;
    live(&mut s, LiveEvent::Action(a));
    assert!(!s.data.open_actions.contains_key("ACT-1"));
}

#[test]
fn commands_switch_views_and_unknown_ones_say_so() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "list");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.ui.view, View::List);
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "closed");
    key(&mut s, KeyCode::Enter);
    assert!(s.ui.show_closed);
    assert!(s.data.list.ids().contains(&"INC-111".to_string()));
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "frobnicate");
    key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&s.ui.notice, Some(Notice { level: Level::Error, text: m, .. }) if m.contains(":frobnicate"))
    );
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "quit");
    key(&mut s, KeyCode::Enter);
    assert!(s.ui.quit);
}

#[test]
fn list_sorts_by_the_chosen_column() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char('2'));
    assert_eq!(s.ui.list_sort, SortBy::Severity);
    assert_eq!(
        s.data.incidents[s.data.list.get(0).unwrap()].severity,
        Severity::Sev1
    );
    // severity → phase → age → commander → next update
    for _ in 0..4 {
        key(&mut s, KeyCode::Char('o'));
    }
    assert_eq!(s.ui.list_sort, SortBy::NextUpdate);
    assert_eq!(s.data.list.get(0), Some("INC-105"), "the overdue one first");
    key(&mut s, KeyCode::Char('r'));
    assert_ne!(s.data.list.get(0), Some("INC-105"));
}

#[test]
fn the_overdue_count_follows_the_clock() {
    let mut s = testdata::state();
    assert_eq!(s.overdue_updates(), 1);
    // INC-103's update is due in 190 s.
    update(&mut s, Msg::Tick(clock() + Duration::seconds(200)));
    assert_eq!(s.overdue_updates(), 2);
}

#[test]
fn help_closes_with_q_and_only_quits_outside_it() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char('?'));
    assert!(s.ui.help);
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.ui.help && !s.ui.quit);
    key(&mut s, KeyCode::Char('q'));
    assert!(s.ui.quit);
}

#[test]
fn live_children_land_in_the_open_detail_and_refresh_its_timeline() {
    let mut s = testdata::state();
    s.ui.detail = Some(Detail::new("INC-105", Tab::Updates));
    update(
        &mut s,
        Msg::DetailLoaded {
            id: "INC-105".into(),
            part: DetailPart::Updates(vec![]),
        },
    );
    let u = StatusUpdate {
        id: "UPD-9".into(),
        incident_id: "INC-105".into(),
        audience: crate::domain::Audience::Customer,
        impact_scope: "all".into(),
        current_status: "better".into(),
        next_steps: "watch".into(),
        author: "ana".into(),
        posted_at: clock(),
        next_update_due_at: None,
    };
    let e = live(&mut s, LiveEvent::UpdatePosted(u.clone()));
    assert_eq!(e, vec![Effect::FetchTimeline("INC-105".into())]);
    live(&mut s, LiveEvent::UpdatePosted(u));
    match &s.ui.detail.as_ref().unwrap().updates {
        Loadable::Ready(v) => assert_eq!(v.len(), 1, "no duplicate on replay"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn quit_action_and_unbound_keys() {
    let mut s = testdata::state();
    s.ui.dirty = false;
    key(&mut s, KeyCode::Char('$'));
    assert!(!s.ui.dirty, "an unbound key redraws nothing");
    update(&mut s, Msg::Intent(Intent::Quit));
    assert!(s.ui.quit);
}

#[test]
fn a_key_dismisses_a_passing_message_but_not_a_lost_stream() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Char('2'));
    key(&mut s, KeyCode::Char('o'));
    assert!(s.ui.notice.is_some());
    key(&mut s, KeyCode::Char('j'));
    assert!(s.ui.notice.is_none());
    update(
        &mut s,
        Msg::Live(LiveMsg::Disconnected {
            error: "HTTP 401 Unauthorized".into(),
            retry_in: std::time::Duration::from_secs(4),
        }),
    );
    key(&mut s, KeyCode::Char('j'));
    assert!(matches!(&s.ui.notice, Some(Notice { text: m, .. }) if m.contains("401")));
}

#[test]
fn an_idle_console_redraws_once_a_minute_and_when_an_update_falls_due() {
    let mut s = testdata::state();
    s.sync.conn = Conn::Live;
    let at = |secs: i64| Msg::Tick(clock() + Duration::seconds(secs));
    let redraws = |s: &mut State, secs: i64| {
        s.ui.dirty = false;
        update(s, at(secs));
        s.ui.dirty
    };
    // 10:00:00 → 10:00:59: nothing on screen changes at minute resolution.
    assert!(!redraws(&mut s, 1));
    assert!(!redraws(&mut s, 59));
    assert!(redraws(&mut s, 60), "a new minute");
    assert!(redraws(&mut s, 185), "10:03:05, a new minute");
    assert!(!redraws(&mut s, 189));
    // INC-103's customer update falls due at 10:03:10: the OVERDUE count cannot wait.
    assert_eq!(s.overdue_updates(), 1);
    assert!(redraws(&mut s, 191), "an update fell due");
    assert_eq!(s.overdue_updates(), 2);
    assert!(!redraws(&mut s, 200));

    // `clock = "seconds"` redraws every second, as does a dropped stream (STALE may be due).
    s.settings.seconds = true;
    assert!(redraws(&mut s, 201));
    s.settings.seconds = false;
    s.sync.conn = Conn::Reconnecting {
        since: clock(),
        error: "refused".into(),
    };
    assert!(redraws(&mut s, 202));
}

/// Renders the whole screen at 120x40 as text.
fn screen_text(s: &State) -> String {
    let area = ratatui::layout::Rect::new(0, 0, 120, 40);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    crate::console::view::render_buffer(s, area, &mut buf);
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_pane_the_backend_lacks_shows_its_reason_not_a_failure() {
    let mut s = testdata::state();
    key(&mut s, KeyCode::Enter);
    let id = s.ui.detail.as_ref().unwrap().id.clone();
    let why = "PagerDuty has no corrective actions; this is not available with --backend pagerduty";
    update(
        &mut s,
        Msg::DetailUnavailable {
            id: id.clone(),
            tab: Tab::Actions,
            message: why.into(),
        },
    );
    assert_eq!(
        s.ui.detail.as_ref().unwrap().actions,
        Loadable::Unavailable(why.into())
    );
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.ui.detail.as_ref().unwrap().tab, Tab::Actions);
    let text = screen_text(&s);
    assert!(text.contains(why), "{text}");
    assert!(!text.contains("Could not load"), "{text}");
    assert!(text.contains("Corrective actions (–)"), "{text}");
}

#[test]
fn the_actions_view_says_why_it_is_empty_when_the_backend_has_none() {
    let mut s = testdata::state();
    s.data.open_actions.clear();
    let why = "PagerDuty has no corrective actions; this is not available with --backend pagerduty";
    update(&mut s, Msg::ActionsUnavailable(why.into()));
    key(&mut s, KeyCode::Char('3'));
    assert_eq!(s.ui.view, View::Actions);
    let text = screen_text(&s);
    assert!(text.contains(why), "{text}");
    assert!(!text.contains("No open corrective actions."), "{text}");
}

#[test]
fn every_message_is_kept_in_the_log_bounded_and_dated_and_m_opens_it() {
    let mut s = testdata::state();
    s.ui.notice = None;
    let long = format!(
        "refused: INC-105 → Post-incident follow-through: INC-105 is customer-impacting: {}",
        "post a customer update first ".repeat(5)
    );
    s.ui.error(long.clone());
    update(&mut s, Msg::Tick(clock() + Duration::minutes(1)));
    // A key dismisses the footer's copy; the log keeps it, with time and incident.
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.ui.notice, None);
    let e = s.ui.log.newest_first().next().expect("logged");
    assert_eq!(e.text, long);
    assert_eq!(e.level, Level::Error);
    assert_eq!(e.incident.as_deref(), Some("INC-105"));
    assert_eq!(
        e.at,
        Some(clock() + Duration::minutes(1)),
        "dated by the first update after it was raised"
    );
    // Bounded: the oldest go first.
    for i in 0..crate::console::state::LOG_CAPACITY {
        s.ui.info(format!("notice {i}"));
    }
    update(&mut s, Msg::Resize);
    assert_eq!(s.ui.log.len(), crate::console::state::LOG_CAPACITY);
    assert!(s.ui.log.newest_first().all(|e| e.text != long));
    // `m` opens the log view and closes it again; esc closes it too.
    key(&mut s, KeyCode::Char('m'));
    assert_eq!(s.ui.messages, Some(0));
    assert_eq!(s.ui.mode(), crate::console::keymap::Mode::Messages);
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.ui.messages, Some(1));
    key(&mut s, KeyCode::Char('m'));
    assert_eq!(s.ui.messages, None);
    key(&mut s, KeyCode::Char('m'));
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.ui.messages, None);
}

#[test]
fn a_lost_stream_stays_in_the_footer_until_it_is_back() {
    let mut s = testdata::state();
    update(
        &mut s,
        Msg::Live(LiveMsg::Disconnected {
            error: "connection refused".into(),
            retry_in: std::time::Duration::from_secs(4),
        }),
    );
    key(&mut s, KeyCode::Char('j'));
    assert!(
        s.ui.notice.is_some(),
        "a key does not dismiss the connection's state"
    );
    // A passing notice replaces it; the stream coming back does not remove the notice.
    s.ui.info("sorted by age");
    update(&mut s, Msg::Live(LiveMsg::Alive));
    assert_eq!(
        s.ui.notice.as_ref().map(|m| m.text.as_str()),
        Some("sorted by age")
    );
    update(
        &mut s,
        Msg::Live(LiveMsg::Disconnected {
            error: "connection refused".into(),
            retry_in: std::time::Duration::from_secs(4),
        }),
    );
    update(&mut s, Msg::Live(LiveMsg::Alive));
    assert_eq!(s.ui.notice, None, "cleared when the stream is back");
}

#[test]
fn bang_selects_the_most_overdue_incident_wherever_it_is() {
    let mut s = testdata::state();
    // A second overdue incident, later than INC-105's: the older due date wins.
    let mut inc = s.data.incidents["INC-108"].clone();
    inc.customer_impact = true;
    inc.next_update_due_at = Some(clock() - Duration::minutes(12));
    inc.version += 1;
    live(&mut s, LiveEvent::Incident(inc));
    s.ui.view = View::Actions;
    key(&mut s, KeyCode::Char('!'));
    assert_eq!(s.ui.view, View::Board);
    assert_eq!(s.selected_id(), Some("INC-108"));
    assert!(
        s.ui.notice.as_ref().unwrap().text.contains("INC-108"),
        "{:?}",
        s.ui.notice
    );
    // From the list too.
    key(&mut s, KeyCode::Char('2'));
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char('!'));
    assert_eq!(s.selected_id(), Some("INC-108"));
    // Hidden by a filter: it says so and the selection stays.
    s.set_filter("sev:4");
    let before = s.selected_id().map(str::to_string);
    key(&mut s, KeyCode::Char('!'));
    assert_eq!(s.selected_id().map(str::to_string), before);
    assert!(s.ui.notice.as_ref().unwrap().text.contains("filter"));
}

#[test]
fn copying_says_what_was_sent_and_what_tmux_needs() {
    let mut s = testdata::state();
    let effects = key(&mut s, KeyCode::Char('y'));
    assert!(matches!(effects.as_slice(), [Effect::Clipboard(_)]));
    let said = s.ui.notice.clone().unwrap().text;
    assert!(said.contains("sent") && said.contains("OSC 52"), "{said}");
    assert!(!said.contains("copied"), "OSC 52 has no answer: {said}");
    assert!(!said.contains("tmux"), "{said}");
    s.settings.tmux = true;
    key(&mut s, KeyCode::Char('y'));
    let said = s.ui.notice.clone().unwrap().text;
    assert!(said.contains("set-clipboard on"), "{said}");
}

#[test]
fn help_says_what_esc_does_in_a_form() {
    use crate::console::keymap::Mode;
    let lines = crate::console::view::help_lines(&testdata::state());
    let form = lines
        .iter()
        .skip_while(|(h, t)| !(*h && t == Mode::Form.title()))
        .take_while(|(h, t)| !*h || t == Mode::Form.title())
        .find(|(_, t)| t.trim_start().starts_with("esc"))
        .map(|(_, t)| t.clone())
        .expect("esc in the form's help");
    assert!(form.contains("Close the form; the draft is kept"), "{form}");
}

/// A timeline entry for `id`, as a live event brings it.
fn entry(id: &str, kind: &str) -> crate::domain::TimelineEntry {
    crate::domain::TimelineEntry {
        seq: 99,
        incident_id: id.into(),
        at: clock(),
        actor: "alertmanager".into(),
        kind: kind.into(),
        field: None,
        old: None,
        new: None,
        reason: None,
        note: Some("Alertmanager firing (2 alerts): PaymentsErrorRate".into()),
    }
}

#[test]
fn the_links_tab_lists_signal_links_and_y_copies_the_marked_one() {
    let mut s = testdata::state();
    let id = s.selected_id().unwrap().to_string();
    assert_eq!(
        key(&mut s, KeyCode::Enter),
        vec![Effect::FetchDetail(id.clone())]
    );
    update(
        &mut s,
        Msg::DetailLoaded {
            id: id.clone(),
            part: DetailPart::Signals(testdata::signals()),
        },
    );
    // The Links tab is one step left of the timeline.
    key(&mut s, KeyCode::Char('h'));
    assert_eq!(s.ui.detail.as_ref().unwrap().tab, Tab::Links);
    let copy = |s: &mut State| {
        let fx = key(s, KeyCode::Char('y'));
        let [Effect::Clipboard(text)] = fx.as_slice() else {
            panic!("{fx:?}")
        };
        (text.clone(), s.ui.notice.clone().unwrap().text)
    };
    // Runbook first; the repeated runbook of the second signal is not listed twice.
    let (text, said) = copy(&mut s);
    assert_eq!(text, "https://runbooks.example.com/payments/error-rate");
    assert!(
        said.starts_with("sent runbook link https://runbooks.example.com/"),
        "{said}"
    );
    assert!(!said.contains("tmux"), "{said}");
    key(&mut s, KeyCode::Char('j'));
    let (text, _) = copy(&mut s);
    assert_eq!(
        text,
        "https://grafana.example.com/d/payments?orgId=1&from=now-6h"
    );
    key(&mut s, KeyCode::Char('j'));
    let (text, said) = copy(&mut s);
    assert_eq!(
        text,
        "http://prometheus.internal:9090/graph?g0.expr=payments_errors"
    );
    assert!(said.starts_with("sent source link "), "{said}");
    // The last link stays marked however far one scrolls.
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('j'));
    let (text, _) = copy(&mut s);
    assert_eq!(text, "http://alertmanager.internal:9093/");
    assert_eq!(tab_len(s.ui.detail.as_ref().unwrap()), 4);
    // Under tmux the message says what tmux needs, not that the link arrived.
    s.settings.tmux = true;
    let (_, said) = copy(&mut s);
    assert!(said.contains("set-clipboard on"), "{said}");
    // On any other tab, y copies the incident as before.
    key(&mut s, KeyCode::Char('l'));
    assert_eq!(s.ui.detail.as_ref().unwrap().tab, Tab::Timeline);
    let (text, _) = copy(&mut s);
    assert!(text.starts_with(&format!("{id} ")), "{text}");

    // A signal noted live re-reads the signals with the timeline; other entries only the
    // timeline; another incident's nothing.
    assert_eq!(
        live(&mut s, LiveEvent::Timeline(entry(&id, "signal"))),
        vec![
            Effect::FetchTimeline(id.clone()),
            Effect::FetchSignals(id.clone())
        ]
    );
    assert_eq!(
        live(&mut s, LiveEvent::Timeline(entry(&id, "signal_resolved"))).len(),
        2
    );
    assert_eq!(
        live(&mut s, LiveEvent::Timeline(entry(&id, "note"))),
        vec![Effect::FetchTimeline(id.clone())]
    );
    assert!(live(&mut s, LiveEvent::Timeline(entry("INC-999", "signal"))).is_empty());
}

#[test]
fn a_backend_without_signals_says_so_and_y_still_copies_the_incident() {
    let mut s = testdata::state();
    let id = s.selected_id().unwrap().to_string();
    key(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Msg::DetailUnavailable {
            id: id.clone(),
            tab: Tab::Links,
            message: "monitoring signals (see the incident's alerts in PagerDuty)".into(),
        },
    );
    key(&mut s, KeyCode::Char('h'));
    let d = s.ui.detail.as_ref().unwrap();
    assert_eq!(d.tab, Tab::Links);
    assert!(matches!(d.signals, Loadable::Unavailable(_)));
    assert_eq!(tab_len(d), 0);
    let fx = key(&mut s, KeyCode::Char('y'));
    let [Effect::Clipboard(text)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert!(text.starts_with(&format!("{id} ")), "{text}");
}
