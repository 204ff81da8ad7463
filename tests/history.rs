//! The incident list's server-side filters over a long history: what is open, what closed
//! recently, what changed since a point, and text; paged with the list's cursor, on both
//! stores. Bad filter values are refused by name.
use crate::common;

use chrono::{Duration as CDuration, Utc};
use common::{TestServer, assert_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sitrep::domain::{IncidentPatch, Phase};
use sitrep::server::store::SeedOp;

/// Seeds `old` incidents closed ten days ago, `recent` closed an hour ago and `open` open
/// ones (declared now), in that order; returns their ids in the same order.
pub async fn seed_history(
    t: &TestServer,
    old: usize,
    recent: usize,
    open: usize,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let store = &t.server.as_ref().unwrap().store;
    let mut made = Vec::new();
    for (count, age, close) in [
        (old, CDuration::days(10), true),
        (recent, CDuration::hours(1), true),
        (open, CDuration::zero(), false),
    ] {
        let at = Utc::now() - age;
        let mut ops = Vec::new();
        for i in 0..count {
            let title = if close {
                format!("Closed {i} of {} ago", age.num_hours())
            } else {
                format!("Open {i}")
            };
            ops.push(SeedOp::Create {
                at,
                actor: "seed".into(),
                req: serde_json::from_value(json!({"title": title, "severity": "SEV3"})).unwrap(),
            });
            if close {
                ops.push(SeedOp::Patch {
                    at,
                    actor: "seed".into(),
                    incident: i,
                    patch: IncidentPatch {
                        phase: Some(Phase::Closed),
                        ..Default::default()
                    },
                });
            }
        }
        made.push(store.seed(&ops).await.unwrap());
    }
    let open_ids = made.pop().unwrap();
    let recent_ids = made.pop().unwrap();
    (made.pop().unwrap(), recent_ids, open_ids)
}

/// Every page of `GET /incidents?<query>`, following `next_cursor`; the ids and the number
/// of pages.
pub async fn all_pages(t: &TestServer, query: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..1000 {
        let mut path = format!("/incidents?{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, v) = t.call(Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        ids.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (ids, pages),
        }
    }
    panic!("the list never ended");
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn enc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .replace('+', "%2B")
}

async fn filters_select_what_is_live_and_page_through_history(t: TestServer) {
    let (old, recent, open) = seed_history(&t, 5, 2, 3).await;
    let (got, _) = all_pages(&t, "open=true").await;
    assert_eq!(sorted(got), sorted(open.clone()));

    let day_ago = enc(Utc::now() - CDuration::hours(24));
    let (got, _) = all_pages(&t, &format!("closed_since={day_ago}")).await;
    assert_eq!(
        sorted(got),
        sorted(recent.clone()),
        "only the recently closed"
    );

    // The old history is still there, a page at a time, newest first.
    let (got, pages) = all_pages(&t, "open=false&limit=2").await;
    assert_eq!(pages, 4, "7 closed incidents in pages of 2");
    let mut closed: Vec<String> = old.iter().chain(&recent).cloned().collect();
    closed.reverse();
    assert_eq!(got, closed);

    // A delta: what changed in the last two hours (the recent closes and the open ones).
    let two_hours = enc(Utc::now() - CDuration::hours(2));
    let (got, _) = all_pages(&t, &format!("updated_since={two_hours}")).await;
    let mut want = recent.clone();
    want.extend(open.clone());
    assert_eq!(sorted(got), sorted(want));

    // Text, case-insensitive, taken literally (a `%` is not a wildcard), combined with phase.
    // Words, each found somewhere: "of 240" tells the old closes from the recent ones.
    let (got, _) = all_pages(&t, "q=CLOSED%20of%20%20240&open=false").await;
    assert_eq!(sorted(got), sorted(old.clone()));
    let (got, _) = all_pages(&t, "q=%25").await;
    assert!(got.is_empty(), "{got:?}");
    let (got, _) = all_pages(&t, &format!("q={}", open[0].to_lowercase())).await;
    assert_eq!(got, vec![open[0].clone()]);
}

async fn a_change_moves_an_incident_into_the_delta(t: TestServer) {
    let (old, _, _) = seed_history(&t, 2, 0, 0).await;
    let since = Utc::now() - CDuration::seconds(1);
    let (got, _) = all_pages(&t, &format!("updated_since={}", enc(since))).await;
    assert!(got.is_empty(), "{got:?}");
    // A commander corrects an old closed incident's title: it is a change since then.
    let (s, v) = t.patch(&old[0], json!({"title": "Renamed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (got, _) = all_pages(&t, &format!("updated_since={}", enc(since))).await;
    assert_eq!(got, vec![old[0].clone()]);
    let (got, _) = all_pages(&t, "q=renamed").await;
    assert_eq!(
        got,
        vec![old[0].clone()],
        "the search text follows the change"
    );
}

async fn bad_filter_values_are_refused_by_name(t: TestServer) {
    for (query, field) in [
        ("closed_since=yesterday", "closed_since"),
        ("updated_since=2026-13-01T00:00:00Z", "updated_since"),
        ("open=yes", "open"),
        ("q=", "q"),
        ("q=%20%20", "q"),
    ] {
        let got = t
            .call(Method::GET, &format!("/incidents?{query}"), None)
            .await;
        assert_error(&got, 400, field);
    }
    let long: String = "x".repeat(201);
    let got: (StatusCode, Value) = t
        .call(Method::GET, &format!("/incidents?q={long}"), None)
        .await;
    assert_error(&got, 400, "q");
}

/// Seeds an incident closed three days ago that still owes an open corrective action
/// (closed under an exception), and `others` closed the same day without one; returns the
/// owing incident's id.
async fn seed_owing(t: &TestServer, others: usize) -> String {
    use sitrep::domain::NewException;
    let store = &t.server.as_ref().unwrap().store;
    let at = Utc::now() - CDuration::days(3);
    let mut ops = vec![
        SeedOp::Create {
            at,
            actor: "seed".into(),
            req: serde_json::from_value(json!({"title": "Ledger drift", "severity": "SEV2"}))
                .unwrap(),
        },
        SeedOp::Action {
            at,
            actor: "seed".into(),
            incident: 0,
            req: serde_json::from_value(
                json!({"title": "Alert on ledger drift", "owner": "bo", "due_date": "2031-01-01"}),
            )
            .unwrap(),
        },
        SeedOp::Exception {
            at,
            actor: "seed".into(),
            incident: 0,
            req: NewException {
                description: "close before the alert exists".into(),
                risk_accepted_by: "CTO".into(),
                remediation_due: Utc::now() + CDuration::days(30),
            },
        },
    ];
    for i in 0..=others {
        if i > 0 {
            ops.push(SeedOp::Create {
                at,
                actor: "seed".into(),
                req: serde_json::from_value(
                    json!({"title": format!("Quiet {i}"), "severity": "SEV4"}),
                )
                .unwrap(),
            });
        }
        ops.push(SeedOp::Patch {
            at,
            actor: "seed".into(),
            incident: i,
            patch: IncidentPatch {
                phase: Some(Phase::Closed),
                ..Default::default()
            },
        });
    }
    store.seed(&ops).await.unwrap().remove(0)
}

async fn open_actions_filter_finds_old_closed_incidents_that_owe_actions(t: TestServer) {
    let owing = seed_owing(&t, 3).await;
    let (_, _, open) = seed_history(&t, 0, 0, 1).await;
    let (got, _) = all_pages(&t, "open=false&open_actions=true").await;
    assert_eq!(got, vec![owing.clone()]);
    let (got, _) = all_pages(&t, "open_actions=false&open=false").await;
    assert_eq!(got.len(), 3, "the closed ones without: {got:?}");
    assert!(!got.contains(&owing));
    let (got, _) = all_pages(&t, "open_actions=true").await;
    assert_eq!(got, vec![owing.clone()], "the open one owes nothing");
    assert!(!got.contains(&open[0]));
    let got = t.call(Method::GET, "/incidents?open_actions=1", None).await;
    assert_error(&got, 400, "open_actions");
}

crate::on_both_stores!(
    filters_select_what_is_live_and_page_through_history,
    a_change_moves_an_incident_into_the_delta,
    bad_filter_values_are_refused_by_name,
    open_actions_filter_finds_old_closed_incidents_that_owe_actions,
    a_console_names_and_opens_the_incident_of_an_old_open_action,
);

// --- the console over a long history, through its real effects against a real server ---

use sitrep::client::{ApiClient, LiveMsg, Token};
use sitrep::console::effects::EffectRunner;
use sitrep::console::intent::{Intent, Msg};
use sitrep::console::keymap::Keymap;
use sitrep::console::theme::Theme;
use sitrep::console::{Effect, State, update};
use std::collections::BTreeMap;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

struct Console {
    state: State,
    runner: EffectRunner,
    rx: UnboundedReceiver<Msg>,
    /// The incidents each list load delivered (the full load, then any delta), in order.
    loads: Vec<usize>,
}

impl Console {
    fn new(t: &TestServer) -> Console {
        let client = ApiClient::new(&t.base, Token::new(&t.commander)).unwrap();
        let (tx, rx) = unbounded_channel();
        Console {
            state: State::new("test", Keymap::default_keymap(), Theme::color(), Utc::now()),
            runner: EffectRunner::new(client, tx, None, None),
            rx,
            loads: Vec::new(),
        }
    }

    /// Runs the network effects among `effects` and feeds their answers to `update`, and the
    /// effects those ask for, until none is left.
    async fn settle(&mut self, effects: Vec<Effect>) {
        let mut waiting = 0;
        let mut queue = effects;
        for _ in 0..10_000 {
            for e in queue.drain(..) {
                if matches!(
                    e,
                    Effect::LoadAll | Effect::LoadChanges { .. } | Effect::LoadClosed { .. }
                ) {
                    waiting += 1;
                    self.runner.run(e);
                }
            }
            if waiting == 0 {
                return;
            }
            let msg = tokio::time::timeout(std::time::Duration::from_secs(20), self.rx.recv())
                .await
                .expect("an answer")
                .unwrap();
            match &msg {
                Msg::Loaded { incidents, .. } => {
                    self.loads.push(incidents.len());
                    waiting -= 1;
                }
                Msg::LoadFailed(e) => panic!("load failed: {e}"),
                Msg::ClosedFailed { error, .. } => panic!("closed page failed: {error}"),
                Msg::ClosedPage { .. } => waiting -= 1,
                _ => {}
            }
            queue = update(&mut self.state, msg);
        }
        panic!("the console never settled");
    }

    async fn start(&mut self) {
        let e = update(
            &mut self.state,
            Msg::Live(LiveMsg::Connected { resync: true }),
        );
        self.settle(e).await;
    }

    async fn act(&mut self, a: Intent) {
        let e = update(&mut self.state, Msg::Intent(a));
        self.settle(e).await;
    }

    /// The board as data: every incident the console holds, with its version and phase.
    fn board(&self) -> BTreeMap<String, (i64, String)> {
        self.state
            .data
            .incidents
            .values()
            .map(|i| (i.id.clone(), (i.version, i.phase.as_str().to_string())))
            .collect()
    }
}

#[tokio::test]
async fn a_console_on_a_long_history_loads_what_is_live_and_pages_the_closed_view() {
    let t = TestServer::start().await;
    let (old, recent, open) = seed_history(&t, 2000, 2, 3).await;
    let mut c = Console::new(&t);
    c.start().await;
    assert_eq!(
        c.loads,
        vec![5],
        "start-up fetches the open and recently closed only"
    );
    let mut live: Vec<String> = open.iter().chain(&recent).cloned().collect();
    live.sort();
    assert_eq!(c.board().into_keys().collect::<Vec<_>>(), live);

    // `z` in the list: the newest closed page arrives, and the footer says more are older.
    c.act(Intent::ViewList).await;
    c.act(Intent::ToggleClosed).await;
    assert_eq!(
        c.state.data.incidents.len(),
        3 + 100,
        "one page of 100 closed"
    );
    let screen = common::screen::screen_at(&c.state, 80, 24);
    assert!(
        screen.contains("older closed: 100 loaded, more older"),
        "{screen}"
    );
    // Scrolling to the end fetches the next older pages, until the whole history is there.
    for _ in 0..40 {
        if c.state.history.next.is_none() {
            break;
        }
        c.act(Intent::Bottom).await;
    }
    assert_eq!(c.state.data.incidents.len(), 2005);
    assert!(c.state.data.incidents.contains_key(&old[0]));
    let screen = common::screen::screen_at(&c.state, 80, 24);
    assert!(screen.contains("older closed: all 2002 loaded"), "{screen}");

    // A filter, once entered, asks the server for the closed incidents containing its text.
    let mut fresh = Console::new(&t);
    fresh.start().await;
    fresh.act(Intent::ToggleClosed).await;
    fresh.act(Intent::Filter).await;
    for ch in "Closed 1999".chars() {
        let e = update(
            &mut fresh.state,
            Msg::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(ch),
                crossterm::event::KeyModifiers::NONE,
            )),
        );
        fresh.settle(e).await;
    }
    fresh.act(Intent::Submit).await;
    assert!(
        fresh.state.data.incidents.contains_key(&old[1999]),
        "the old incident matching the filter was fetched"
    );
    // The server sent only the closed incidents containing both words (that title, and
    // INC-1999), not the history.
    assert_eq!(fresh.state.history.text.as_deref(), Some("closed 1999"));
    assert_eq!(fresh.state.history.fetched, 2);
}

#[tokio::test]
async fn a_reconnect_after_missed_events_fetches_what_changed_and_matches_a_full_reload() {
    let t = TestServer::start().await;
    let (_, _, open) = seed_history(&t, 300, 0, 3).await;
    let mut c = Console::new(&t);
    c.start().await;
    assert_eq!(c.loads, vec![3]);

    // While the console is away, three things change.
    let (s, _) = t
        .patch(&open[0], json!({"title": "Renamed while away"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = t.patch(&open[1], json!({"phase": "closed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    t.create_incident(json!({"title": "Declared while away", "severity": "SEV2"}))
        .await;

    // The server says the events were pruned (same database): the console catches up.
    let e = update(&mut c.state, Msg::Live(LiveMsg::Missed));
    assert!(
        e.iter().any(|e| matches!(e, Effect::LoadChanges { .. })),
        "{e:?}"
    );
    c.settle(e).await;
    // The three changed, and the one untouched incident changed within the delta's
    // two-minute margin (seeded just before): not the 300 closed ones.
    assert_eq!(c.loads, vec![3, 4], "the delta carries what changed only");

    let mut reloaded = Console::new(&t);
    reloaded.start().await;
    assert_eq!(
        c.board(),
        reloaded.board(),
        "the same board as a full reload"
    );

    // A reset that is not only pruning (another database, a restored backup) re-lists.
    let e = update(&mut c.state, Msg::Live(LiveMsg::Reset));
    assert!(e.contains(&Effect::LoadAll), "{e:?}");
}

/// An incident closed days ago under an exception still owes its open action: the actions
/// view lists the action, and opening it shows that incident, not "not on this server".
async fn a_console_names_and_opens_the_incident_of_an_old_open_action(t: TestServer) {
    let owing = seed_owing(&t, 20).await;
    let mut c = Console::new(&t);
    c.start().await;
    assert_eq!(
        c.loads,
        vec![1],
        "the owing incident, not the quiet history"
    );
    assert!(c.board().contains_key(&owing));

    c.act(Intent::ViewActions).await;
    let screen = common::screen::screen_at(&c.state, 120, 30);
    assert!(screen.contains("Alert on ledger drift"), "{screen}");
    assert!(screen.contains(&owing), "{screen}");
    assert_eq!(c.state.selected_id(), Some(owing.as_str()));
    c.act(Intent::Open).await;
    let screen = common::screen::screen_at(&c.state, 120, 30);
    assert!(screen.contains("Ledger drift"), "{screen}");
    assert!(!screen.contains("not on this server"), "{screen}");
}

// --- scripts over a history longer than one page ---

#[tokio::test]
async fn scripts_and_the_report_page_through_a_long_history() {
    use sitrep::script::{IncidentsCmd, ReportFormat, Script, execute};
    let t = TestServer::start().await;
    // The client asks for 500 a page: 1,100 closed incidents are three pages.
    let (old, recent, open) = seed_history(&t, 1100, 1, 2).await;
    let client = ApiClient::new(&t.base, Token::new(&t.viewer)).unwrap();
    let list = |phase: Option<&str>| {
        Script::Incidents(IncidentsCmd::List {
            phase: phase.map(str::to_string),
            severity: None,
            json: true,
        })
    };
    let closed: Vec<Value> =
        serde_json::from_str(&execute(&client, list(Some("closed"))).await.unwrap()).unwrap();
    assert_eq!(closed.len(), 1101, "every closed incident, across pages");
    assert!(closed.iter().any(|i| i["id"] == old[0].as_str()));
    assert!(closed.iter().any(|i| i["id"] == recent[0].as_str()));
    let live: Vec<Value> =
        serde_json::from_str(&execute(&client, list(None)).await.unwrap()).unwrap();
    let mut ids: Vec<String> = live
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, sorted(open), "by default, the open ones");
    // The report of the oldest incident in the history.
    let report = execute(
        &client,
        Script::Report {
            id: old[0].clone(),
            format: ReportFormat::Markdown,
        },
    )
    .await
    .unwrap();
    assert!(report.contains(&old[0]), "{report}");
}

// --- a reconnect before the console saw any event ---

async fn next_live(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<LiveMsg>,
    what: &str,
    pred: impl Fn(&LiveMsg) -> bool,
) -> LiveMsg {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("subscription ended");
        if pred(&msg) {
            return msg;
        }
    }
}

/// A console on an empty database has seen no event when the server restarts; what is
/// declared meanwhile still reaches it, by resuming from the position the server gave at
/// connect, without re-listing everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_before_any_event_resumes_instead_of_reloading() {
    use sitrep::client::{LiveEvent, subscribe};
    use sitrep::domain::Role;
    use sitrep::server::{self, ServerConfig};
    sitrep::client::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("quiet.db");
    let first = server::start(ServerConfig::sqlite(&db, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let addr = first.addr;
    let token = Token::new(
        first
            .store
            .create_token("ana", Role::Commander)
            .await
            .unwrap(),
    );
    let api = ApiClient::new(&format!("http://{addr}"), token).unwrap();
    let (tx, mut rx) = unbounded_channel();
    let sub = tokio::spawn(subscribe(api.clone(), move |m| tx.send(m).is_ok()));
    let connected = next_live(&mut rx, "connect", |m| {
        matches!(m, LiveMsg::Connected { .. })
    })
    .await;
    assert_eq!(connected, LiveMsg::Connected { resync: true });
    // A moment for the stream's opening (its position) to arrive; no event comes.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    first.shutdown().await;
    next_live(&mut rx, "disconnect", |m| {
        matches!(m, LiveMsg::Disconnected { .. })
    })
    .await;
    let second = server::start(ServerConfig::sqlite(&db, addr))
        .await
        .unwrap();
    let body = json!({"title": "Declared while away", "severity": "SEV2"});
    let _: Value = api.post("/incidents", &body).await.unwrap();
    let back = next_live(&mut rx, "reconnect", |m| {
        matches!(
            m,
            LiveMsg::Connected { .. } | LiveMsg::Reset | LiveMsg::Missed
        )
    })
    .await;
    assert_eq!(
        back,
        LiveMsg::Connected { resync: false },
        "no full re-list after a drop before any event"
    );
    let got = next_live(&mut rx, "the missed declaration", |m| {
        matches!(m, LiveMsg::Event { .. })
    })
    .await;
    let LiveMsg::Event {
        event: LiveEvent::Incident(inc),
        ..
    } = got
    else {
        panic!("{got:?}")
    };
    assert_eq!(inc.title, "Declared while away");
    sub.abort();
    second.shutdown().await;
}

/// The server no longer holds the events a console on an empty database missed: it asks
/// for what changed since its load, not for everything.
#[tokio::test]
async fn missed_events_on_an_empty_board_fetch_changes_since_the_load() {
    let t = TestServer::start().await;
    let mut c = Console::new(&t);
    c.start().await;
    assert_eq!(c.loads, vec![0]);
    // Old history the delta must not bring, then a declaration while the console is away.
    seed_history(&t, 50, 0, 0).await;
    let made = t
        .create_incident(json!({"title": "Declared while away", "severity": "SEV2"}))
        .await;
    let e = update(&mut c.state, Msg::Live(LiveMsg::Missed));
    assert!(
        e.iter().any(|e| matches!(e, Effect::LoadChanges { .. })),
        "{e:?}"
    );
    c.settle(e).await;
    assert_eq!(c.loads, vec![0, 1], "only what changed since the load");
    assert!(c.board().contains_key(made["id"].as_str().unwrap()));
}
