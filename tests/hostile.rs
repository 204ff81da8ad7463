//! Hostile text, end to end: a fake API serves incidents, updates, actions, exceptions,
//! timeline entries and live events whose every text field tries to act on the terminal
//! (OSC 52 clipboard writes, OSC 0 titles, screen clears, BEL, 8-bit C1 controls, DCS, bidi
//! overrides, zero-width and tag characters, combining floods, huge lines, tabs, newlines),
//! plus one malformed record per list and per stream. The real client reads them (JSON over
//! HTTP and SSE, deserialized and sanitized as in production), the console's `update`
//! builds its state from them, and every view is drawn through a crossterm backend into a
//! byte buffer: the bytes a terminal would receive hold nothing but the renderer's own CSI
//! sequences and inert text.
use crate::common::screen::{frame_bytes, press};
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Duration;
use ratatui::Terminal;
use sitrep::client::{ApiClient, LiveEvent, LiveMsg, Token, Unreadable, subscribe};
use sitrep::console::intent::{DetailPart, Msg};
use sitrep::console::keymap::Keymap;
use sitrep::console::state::{Detail, Tab, View};
use sitrep::console::testdata::{self, clock};
use sitrep::console::theme::Theme;
use sitrep::console::wall::WallOptions;
use sitrep::console::{State, update, view};
use sitrep::domain::{
    Audience, CorrectiveAction, Incident, Phase, RiskException, Severity, StatusUpdate,
    TimelineEntry,
};
use std::sync::{Arc, Mutex};

use crate::common::hostile_text::{OSC52, TAGS, ZERO_WIDTH, evil, evil_body};

fn hostile_incident(id: &str, phase: Phase) -> Incident {
    let mut i = testdata::incident(id, Severity::Sev1, phase);
    i.id = format!("{id}{TAGS}\u{200b}");
    i.title = evil("title");
    i.summary = evil_body("summary");
    i.commander = Some(evil("commander"));
    i.roles = [
        ("comms_lead".to_string(), evil("comms")),
        (format!("scribe{OSC52}"), evil("scribe")),
    ]
    .into_iter()
    .collect();
    i.impact_scope = evil_body("scope");
    i.source = evil("source");
    i.customer_impact = true;
    i.next_update_due_at = Some(clock() - Duration::minutes(3));
    i.update_overdue = true;
    i
}

fn hostile_action(n: u32, incident: &str) -> CorrectiveAction {
    let mut a = testdata::actions().remove(0);
    a.id = format!("ACT-{n}{TAGS}");
    a.incident_id = incident.to_string();
    a.title = evil("action");
    a.owner = evil("owner");
    a
}

fn hostile_update(incident: &str) -> StatusUpdate {
    StatusUpdate {
        id: format!("UPD-1{ZERO_WIDTH}"),
        incident_id: incident.to_string(),
        audience: Audience::Customer,
        impact_scope: evil_body("upd-scope"),
        current_status: evil_body("status"),
        next_steps: evil_body("next"),
        author: evil("author"),
        posted_at: clock() - Duration::minutes(20),
        next_update_due_at: Some(clock() + Duration::minutes(10)),
    }
}

fn hostile_exception(incident: &str) -> RiskException {
    RiskException {
        id: "EXC-1".into(),
        incident_id: incident.to_string(),
        description: evil_body("exception"),
        risk_accepted_by: evil("accepted-by"),
        remediation_due: clock() + Duration::days(14),
        recorded_by: evil("recorded-by"),
        created_at: clock() - Duration::minutes(10),
    }
}

fn hostile_timeline(incident: &str) -> Vec<TimelineEntry> {
    (1..=4)
        .map(|seq| TimelineEntry {
            seq,
            incident_id: incident.to_string(),
            at: clock() - Duration::minutes(40 - seq),
            actor: evil("actor"),
            kind: if seq == 1 {
                "created".into()
            } else {
                evil("kind")
            },
            field: Some(evil("field")),
            old: Some(evil("old")),
            new: Some(evil("new")),
            reason: Some(evil_body("reason")),
            note: Some(evil_body("note")),
        })
        .collect()
}

/// A list body as the API sends it, with one record of the wrong shape at `bad` and a
/// lone surrogate escape in the first record's title.
fn list_body(items: Vec<serde_json::Value>, bad: usize, bad_record: serde_json::Value) -> String {
    let mut items = items;
    items.insert(bad, bad_record);
    let body = serde_json::json!({ "items": items, "next_cursor": null }).to_string();
    // A string serde_json would never write: only a byte-level edit makes it.
    body.replacen("\"title\":\"title", "\"title\":\"title\\ud800", 1)
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

fn raw(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// The fake API: every answer is hostile, every list has one malformed record.
async fn fake_api() -> String {
    let incidents = vec![
        json(&hostile_incident("INC-1", Phase::Triage)),
        json(&hostile_incident("INC-2", Phase::Detection)),
    ];
    let incidents_body = list_body(
        incidents,
        1,
        serde_json::json!({"id": "INC-BAD", "title": "wrong type", "severity": 7}),
    );
    let actions_body = list_body(
        vec![
            json(&hostile_action(1, "INC-1")),
            json(&hostile_action(2, "INC-2")),
        ],
        0,
        serde_json::json!({"id": "ACT-BAD", "title": ["not", "a", "string"]}),
    );
    let updates = serde_json::json!({"items": [json(&hostile_update("INC-1")), {"id": 5}]});
    let exceptions = serde_json::json!({"items": [json(&hostile_exception("INC-1"))]});
    let timeline = serde_json::json!({"items": hostile_timeline("INC-1").iter().map(json).collect::<Vec<_>>()});
    let mut changed = hostile_incident("INC-3", Phase::Containment);
    changed.title = format!("live {}", evil("event"));
    let events = format!(
        "id: 1\nevent: incident.updated\ndata: {}\n\n\
         id: 2\nevent: action.updated\ndata: {{\"id\":\"ACT-EVIL\\u001b]52;c;eA==\\u0007\",\"title\":false}}\n\n\
         id: 3\nevent: update.posted\ndata: {{\"id\":\"UPD-9\",\"incident_id\":\"INC-1\",\"title\\ud800\":1}}\n\n\
         id: 4\nevent: action.updated\ndata: {}\n\n",
        json(&changed),
        json(&hostile_action(3, "INC-3")),
    );
    let app = Router::new()
        .route(
            "/api/v1/incidents",
            get(move || {
                let b = incidents_body.clone();
                async move { raw(b) }
            }),
        )
        .route(
            "/api/v1/actions",
            get(move || {
                let b = actions_body.clone();
                async move { raw(b) }
            }),
        )
        .route(
            "/api/v1/incidents/{id}/updates",
            get(move || {
                let b = updates.to_string();
                async move { raw(b) }
            }),
        )
        .route(
            "/api/v1/incidents/{id}/actions",
            get(|| async {
                raw(serde_json::json!({"items": [json(&hostile_action(1, "INC-1"))]}).to_string())
            }),
        )
        .route(
            "/api/v1/incidents/{id}/exceptions",
            get(move || {
                let b = exceptions.to_string();
                async move { raw(b) }
            }),
        )
        .route(
            "/api/v1/incidents/{id}/timeline",
            get(move || {
                let b = timeline.to_string();
                async move { raw(b) }
            }),
        )
        .route(
            "/api/v1/events",
            get(move || {
                let b = events.clone();
                async move { ([(header::CONTENT_TYPE, "text/event-stream")], b) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// What the client reads from the fake API, as the console's effects would.
struct Fetched {
    incidents: Vec<Incident>,
    actions: Vec<CorrectiveAction>,
    skipped_lists: Vec<Unreadable>,
    parts: Vec<DetailPart>,
    skipped_detail: Vec<Unreadable>,
    live: Vec<LiveMsg>,
}

async fn fetch() -> Fetched {
    let base = fake_api().await;
    let client = ApiClient::new(&base, Token::new("t")).unwrap();
    let (lists, skipped) = client.collecting();
    let incidents = lists.list_incidents().await.unwrap();
    let actions = lists.open_actions().await.unwrap();
    let skipped_lists = skipped.take();
    let (detail, skipped) = client.collecting();
    let parts = vec![
        DetailPart::Timeline(detail.timeline("INC-1").await.unwrap()),
        DetailPart::Updates(detail.updates("INC-1").await.unwrap()),
        DetailPart::Actions(detail.incident_actions("INC-1").await.unwrap()),
        DetailPart::Exceptions(detail.exceptions("INC-1").await.unwrap()),
    ];
    let skipped_detail = skipped.take();
    let live = Arc::new(Mutex::new(Vec::new()));
    let sink = live.clone();
    let sub = subscribe(client, move |m| {
        let mut v = sink.lock().unwrap();
        let done = matches!(m, LiveMsg::Event { seq: 4, .. });
        v.push(m);
        !done
    });
    tokio::time::timeout(std::time::Duration::from_secs(10), sub)
        .await
        .expect("the stream delivered event 4");
    let live = std::mem::take(&mut *live.lock().unwrap());
    Fetched {
        incidents,
        actions,
        skipped_lists,
        parts,
        skipped_detail,
        live,
    }
}

/// The console's state after the load, the live events and the detail parts.
fn hostile_state(f: &Fetched) -> State {
    let mut s = State::new("demo", Keymap::default_keymap(), Theme::color(), clock());
    s.settings.me = Some("cora".into());
    update(&mut s, Msg::Live(LiveMsg::Connected { resync: true }));
    update(
        &mut s,
        Msg::Unreadable {
            scope: sitrep::console::intent::ReadScope::Lists,
            records: f.skipped_lists.clone(),
        },
    );
    update(
        &mut s,
        Msg::Loaded {
            incidents: f.incidents.clone(),
            actions: f.actions.clone(),
        },
    );
    for m in &f.live {
        update(&mut s, Msg::Live(m.clone()));
    }
    s
}

/// The terminal-safety assertions on one frame's bytes. Returns the frame as text (escape
/// sequences included) for further checks.
fn assert_inert(name: &str, bytes: &[u8]) -> String {
    let s = String::from_utf8(bytes.to_vec())
        .unwrap_or_else(|e| panic!("{name}: the frame is not UTF-8: {e}"));
    for (what, needle) in [
        ("OSC", "\x1b]"),
        ("DCS", "\x1bP"),
        ("SOS", "\x1bX"),
        ("PM", "\x1b^"),
        ("APC", "\x1b_"),
        ("ST", "\x1b\\"),
    ] {
        assert!(!s.contains(needle), "{name}: {what} reached the terminal");
    }
    for c in s.chars() {
        let u = c as u32;
        assert!(
            c == '\x1b' || u >= 0x20,
            "{name}: C0 control {u:#04x} reached the terminal"
        );
        assert!(
            !(0x7f..=0x9f).contains(&u),
            "{name}: DEL/C1 control {u:#04x} reached the terminal"
        );
        assert!(
            !matches!(u, 0x202a..=0x202e | 0x2066..=0x2069 | 0x200e | 0x200f | 0x061c),
            "{name}: bidi control {u:#06x} reached the terminal"
        );
        assert!(
            !matches!(u, 0x200b..=0x200d | 0x2060..=0x2064 | 0xfeff | 0xfe00..=0xfe0f),
            "{name}: zero-width character {u:#06x} reached the terminal"
        );
        assert!(
            !(0xe0000..=0xe0fff).contains(&u),
            "{name}: tag character {u:#x} reached the terminal"
        );
    }
    // Every ESC starts a CSI sequence of the kind the renderer writes: cursor moves, SGR
    // colours and attributes, cursor show/hide. Nothing the text could have carried.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != 0x1b {
            i += 1;
            continue;
        }
        assert_eq!(b.get(i + 1), Some(&b'['), "{name}: ESC not followed by [");
        let mut j = i + 2;
        while j < b.len() && (b[j].is_ascii_digit() || matches!(b[j], b';' | b':' | b'?')) {
            j += 1;
        }
        let seq = String::from_utf8_lossy(&b[i + 1..(j + 1).min(b.len())]).to_string();
        let fin = b.get(j).copied().unwrap_or(0);
        assert!(
            matches!(
                fin,
                b'm' | b'H' | b'J' | b'K' | b'h' | b'l' | b'G' | b'A' | b'B' | b'C' | b'D'
            ),
            "{name}: unexpected escape sequence ESC {seq}"
        );
        assert!(
            !(fin == b'J' || fin == b'K') || !seq.contains('2'),
            "{name}: a clear ({seq}) that the renderer does not send"
        );
        i = j + 1;
    }
    // The payloads of the removed sequences are gone too, not shown as text.
    for payload in [
        "52;c;",
        "ZXZpbA",
        "owned-title",
        "evil.example",
        "c1-title",
        "+q544e",
    ] {
        assert!(
            !s.contains(payload),
            "{name}: {payload:?} reached the terminal"
        );
    }
    s
}

/// Every view of the console, and the wall, each drawn into bytes.
fn every_view(f: &Fetched) -> Vec<(String, State, Option<WallOptions>)> {
    let base = || hostile_state(f);
    let mut views: Vec<(String, State, Option<WallOptions>)> = Vec::new();
    let mut add = |name: &str, s: State| views.push((name.to_string(), s, None));
    add("board", base());
    let mut s = base();
    s.ui.view = View::List;
    add("list", s);
    let mut s = base();
    s.ui.view = View::Actions;
    add("actions", s);
    let mut s = base();
    s.ui.help = true;
    add("help", s);
    for tab in Tab::ALL {
        let mut s = base();
        s.ui.detail = Some(Detail::new("INC-1", tab));
        for part in f.parts.clone() {
            update(
                &mut s,
                Msg::DetailLoaded {
                    id: "INC-1".into(),
                    part,
                },
            );
        }
        add(&format!("detail {tab:?}"), s);
    }
    // Every form and confirmation, opened on the hostile incident by the keys a commander
    // presses (they prefill from its fields).
    for (name, keys) in [
        ("severity form", "s"),
        ("next phase form", "p"),
        ("status update form", "u"),
        ("status update form, next field", "u\t\t"),
        ("corrective action form", "c"),
        ("exception form", "x"),
        ("roles form", "R"),
        ("new incident form", "n"),
        ("close confirmation", "C"),
        ("edit action form", "3\n"),
        ("filter", "/evil"),
    ] {
        let mut s = base();
        press(&mut s, keys);
        add(name, s);
    }
    views.push(("wall".into(), base(), Some(WallOptions::default())));
    views.push((
        "wall redacted".into(),
        base(),
        Some(WallOptions {
            redact: true,
            ..WallOptions::default()
        }),
    ));
    views
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_from_the_api_never_reaches_the_terminal() {
    let f = fetch().await;
    let state = hostile_state(&f);
    // The hostile records made it to the screen (so the test is not vacuous).
    assert_eq!(
        state.data.incidents.len(),
        3,
        "INC-1, INC-2 and the live INC-3"
    );
    let mut checked = 0;
    for (name, s, wall_opts) in every_view(&f) {
        for (w, h) in [(80, 24), (160, 48), (240, 70)] {
            let bytes = frame_bytes(&s, w, h, wall_opts.as_ref());
            let text = assert_inert(&format!("{name} at {w}x{h}"), &bytes);
            checked += 1;
            if name == "board" && w == 160 {
                // The visible part of a hostile title is there, its markers too.
                assert!(text.contains("title"), "{text}");
                assert!(text.contains("[RLO]"), "{text}");
                assert!(text.contains("UNREADABLE"), "{text}");
            }
        }
    }
    assert!(checked >= 60);
}

#[tokio::test]
async fn one_malformed_record_is_flagged_and_the_rest_are_shown() {
    let f = fetch().await;
    // Lists: the wrong-typed record is skipped and named; the others arrive, the one with a
    // lone surrogate escape included (as U+FFFD, and flagged: its text is not as sent).
    let ids: Vec<&str> = f.incidents.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["INC-1", "INC-2"]);
    assert!(
        f.incidents[0].title.starts_with("title\u{fffd}"),
        "{:?}",
        f.incidents[0].title
    );
    assert_eq!(f.actions.len(), 2);
    let flagged: Vec<(&str, &str)> = f
        .skipped_lists
        .iter()
        .map(|u| (u.source.as_str(), u.record.as_str()))
        .collect();
    assert_eq!(
        flagged,
        [
            ("GET /incidents", "INC-1"),
            ("GET /incidents", "INC-BAD"),
            ("GET /actions?status=open,in_progress", "ACT-BAD")
        ]
    );
    assert!(
        f.skipped_lists[0].error.contains("lone UTF-16 surrogate"),
        "{}",
        f.skipped_lists[0]
    );
    assert!(
        f.skipped_lists[1].error.starts_with("severity: "),
        "{}",
        f.skipped_lists[1]
    );
    assert_eq!(f.skipped_detail.len(), 1, "{:?}", f.skipped_detail);
    assert_eq!(f.skipped_detail[0].record, "item 2");
    // The stream: two unreadable events are flagged, their neighbours delivered.
    let events: Vec<u64> = f
        .live
        .iter()
        .filter_map(|m| match m {
            LiveMsg::Event { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(events, [1, 4]);
    let bad: Vec<&Unreadable> = f
        .live
        .iter()
        .filter_map(|m| match m {
            LiveMsg::Unreadable(u) => Some(u),
            _ => None,
        })
        .collect();
    assert_eq!(bad.len(), 2, "{:?}", f.live);
    assert_eq!(
        bad[0].record, "ACT-EVIL",
        "the id is cleaned before it is shown"
    );
    assert!(
        bad[0].error.starts_with("title: invalid type"),
        "{}",
        bad[0]
    );
    assert!(
        !f.live
            .iter()
            .any(|m| matches!(m, LiveMsg::Disconnected { .. })),
        "a bad event must not end the stream"
    );
    let event3 = f.live.iter().find_map(|m| match m {
        LiveMsg::Event {
            event: LiveEvent::Incident(i),
            ..
        } => Some(i),
        _ => None,
    });
    assert_eq!(event3.map(|i| i.id.as_str()), Some("INC-3"));

    // The console says so, above the board, at the smallest size: a count in the first
    // header row and the first record with its reason in the second.
    let state = hostile_state(&f);
    let mut t = Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    t.draw(|fr| view::render(&state, fr)).unwrap();
    let buf = t.backend().buffer();
    let row = |y: u16| -> String { (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect() };
    assert!(row(0).contains("5 UNREADABLE"), "{}", row(0));
    let wide = frame_bytes(&state, 240, 40, None);
    let wide = String::from_utf8(wide).unwrap();
    assert!(
        wide.contains("5 records could not be read (ACT-EVIL: title: invalid type"),
        "{wide}"
    );
    // The board is still there.
    assert!(row(2).contains("Detection 1"), "{}", row(2));
    // A full load that reads everything clears the lists' flag; the events' flags go with it.
    let mut s = hostile_state(&f);
    update(
        &mut s,
        Msg::Unreadable {
            scope: sitrep::console::intent::ReadScope::Lists,
            records: vec![],
        },
    );
    update(
        &mut s,
        Msg::Loaded {
            incidents: f.incidents.clone(),
            actions: f.actions.clone(),
        },
    );
    assert_eq!(s.sync.unreadable().0, 0);
}
