//! Whole-screen snapshots of the console on a fixed scenario and a fixed clock, at the
//! smallest supported size (80x24) and a comfortable one (120x40), plus checks on the cells
//! where colour carries meaning.
use crate::common::screen::{draw, text};
use chrono::Duration;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use sitrep::client::{LiveEvent, LiveMsg};
use sitrep::console::intent::{DetailPart, Intent, Msg};
use sitrep::console::state::{Detail, Tab, View};
use sitrep::console::testdata::{self, clock};
use sitrep::console::theme::Theme;
use sitrep::console::{RunOptions, State, run, update};
use sitrep::domain::{Audience, Phase, RiskException, Severity, StatusUpdate, TimelineEntry};

/// Finds the first cell where `needle` starts on screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let lines: Vec<Vec<String>> = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    for (y, row) in lines.iter().enumerate() {
        let joined: String = row.concat();
        if let Some(byte) = joined.find(needle) {
            // Column = number of cells before the byte offset.
            let mut acc = 0;
            for (x, cell) in row.iter().enumerate() {
                if acc == byte {
                    return Some((x as u16, y as u16));
                }
                acc += cell.len();
            }
        }
    }
    None
}

fn detail_state(tab: Tab) -> State {
    let mut s = testdata::state();
    s.ui.detail = Some(Detail::new("INC-105", tab));
    let at = |m: i64| clock() - Duration::minutes(m);
    let entry = |seq,
                 m,
                 actor: &str,
                 kind: &str,
                 f: Option<(&str, &str, &str)>,
                 reason: Option<&str>,
                 note: Option<&str>| TimelineEntry {
        seq,
        incident_id: "INC-105".into(),
        at: at(m),
        actor: actor.into(),
        kind: kind.into(),
        field: f.map(|x| x.0.to_string()),
        old: f.map(|x| x.1.to_string()),
        new: f.map(|x| x.2.to_string()),
        reason: reason.map(str::to_string),
        note: note.map(str::to_string),
    };
    let timeline = vec![
        entry(
            1,
            41,
            "datadog",
            "created",
            None,
            None,
            Some("declared SEV1 INC-105: Payments API error rate 30%"),
        ),
        entry(
            2,
            39,
            "Cara Diaz",
            "commander_changed",
            Some(("commander", "", "Cara Diaz")),
            None,
            None,
        ),
        entry(
            3,
            37,
            "Cara Diaz",
            "phase_changed",
            Some(("phase", "detection", "triage")),
            Some("Confirmed by synthetic checks"),
            None,
        ),
        entry(
            4,
            30,
            "Cara Diaz",
            "phase_changed",
            Some(("phase", "triage", "containment")),
            Some("Rolling back the 09:15 deploy"),
            None,
        ),
        entry(
            5,
            28,
            "Kim Ortiz",
            "update_posted",
            None,
            None,
            Some("customer update UPD-3: Rollback started"),
        ),
    ];
    let updates = vec![StatusUpdate {
        id: "UPD-3".into(),
        incident_id: "INC-105".into(),
        audience: Audience::Customer,
        impact_scope: "Card payments, all customers".into(),
        current_status: "Rollback started; error rate falling".into(),
        next_steps: "Finish the rollback and confirm with the card network".into(),
        author: "Kim Ortiz".into(),
        posted_at: at(28),
        next_update_due_at: Some(clock() - Duration::seconds(190)),
    }];
    let exceptions = vec![RiskException {
        id: "EXC-1".into(),
        incident_id: "INC-105".into(),
        description: "Keep the old gateway build until the canary ships".into(),
        risk_accepted_by: "Maya Singh (CTO)".into(),
        remediation_due: clock() + Duration::days(14),
        recorded_by: "Cara Diaz".into(),
        created_at: at(10),
    }];
    let actions = testdata::actions()
        .into_iter()
        .filter(|a| a.incident_id == "INC-105")
        .collect();
    for part in [
        DetailPart::Timeline(timeline),
        DetailPart::Updates(updates),
        DetailPart::Actions(actions),
        DetailPart::Exceptions(exceptions),
        DetailPart::Signals(testdata::signals()),
    ] {
        update(
            &mut s,
            Msg::DetailLoaded {
                id: "INC-105".into(),
                part,
            },
        );
    }
    s
}

fn with_view(v: View) -> State {
    let mut s = testdata::state();
    s.ui.view = v;
    s
}

macro_rules! snap {
    ($name:ident, $state:expr) => {
        #[test]
        fn $name() {
            for (w, h) in [(80, 24), (120, 40)] {
                let t = draw(&$state, w, h);
                insta::assert_snapshot!(
                    format!("{}_{w}x{h}", stringify!($name)),
                    text(t.backend().buffer())
                );
            }
        }
    };
}

snap!(board, testdata::state());
snap!(list, with_view(View::List));
snap!(actions_view, with_view(View::Actions));
snap!(detail_timeline, detail_state(Tab::Timeline));
snap!(detail_updates, detail_state(Tab::Updates));
snap!(detail_links, detail_state(Tab::Links));
/// A refusal longer than any footer: the footer shows its start and the key to read it all.
fn long_refusal() -> State {
    let mut s = testdata::state();
    update(&mut s, Msg::Tick(clock()));
    s.ui.error(
        "refused: INC-105 → Post-incident follow-through: INC-105 is customer-impacting: \
         post a customer update that states the impact scope, current status and next \
         steps first (the last one is 28 minutes old), or record an exception",
    );
    update(&mut s, Msg::Resize);
    s
}
snap!(long_refusal_footer, long_refusal());
snap!(long_refusal_log, {
    let mut s = long_refusal();
    update(&mut s, Msg::Intent(Intent::Messages));
    s
});
snap!(message_log, {
    let mut s = testdata::state();
    s.ui.info("sorted by age");
    update(&mut s, Msg::Tick(clock() - Duration::days(1)));
    s.ui.error("live updates lost: HTTP 401 Unauthorized: token revoked; retrying in 4s");
    update(&mut s, Msg::Tick(clock()));
    s.ui.info("INC-103 was closed: nothing is selected");
    update(&mut s, Msg::Resize);
    update(&mut s, Msg::Intent(Intent::Messages));
    s
});
snap!(header_no_data, {
    // The server was never reached: nothing is known, and nothing may look calm.
    State::new(
        "demo",
        sitrep::console::keymap::Keymap::default_keymap(),
        Theme::color(),
        clock(),
    )
});
snap!(detail_two_day_timeline, {
    let mut s = detail_state(Tab::Timeline);
    // The incident began yesterday evening: older entries carry their date.
    let at = |m: i64| clock() - Duration::minutes(m);
    let e = |seq, m, kind: &str, f: Option<(&str, &str, &str)>, note: Option<&str>| TimelineEntry {
        seq,
        incident_id: "INC-105".into(),
        at: at(m),
        actor: "Cara Diaz".into(),
        kind: kind.into(),
        field: f.map(|x| x.0.to_string()),
        old: f.map(|x| x.1.to_string()),
        new: f.map(|x| x.2.to_string()),
        reason: None,
        note: note.map(str::to_string),
    };
    // A scribe's note written now about something that happened at 09:41.
    let note = TimelineEntry {
        field: Some("happened_at".into()),
        old: None,
        new: Some("2026-11-29T09:41:00Z".into()),
        ..e(
            5,
            2,
            "note",
            None,
            Some("Card network confirmed the declines stopped"),
        )
    };
    let timeline = vec![
        e(
            1,
            26 * 60 + 28,
            "created",
            None,
            Some("declared SEV1 INC-105: Payments API error rate 30%"),
        ),
        e(
            2,
            16 * 60,
            "phase_changed",
            Some(("phase", "detection", "triage")),
            None,
        ),
        e(
            3,
            150,
            "action_updated",
            Some(("status", "open", "in_progress")),
            Some("ACT-1: Add a canary stage for the payments gateway"),
        ),
        e(
            4,
            28,
            "update_posted",
            None,
            Some(
                "customer update UPD-3: Rollback started; error rate falling from 30% to 4% \
                 across card payments in every region; next update within 30 minutes",
            ),
        ),
        note,
    ];
    update(
        &mut s,
        Msg::DetailLoaded {
            id: "INC-105".into(),
            part: DetailPart::Timeline(timeline),
        },
    );
    s
});
snap!(board_full_column, {
    // Seven SEV2s in Detection: more than fit at 80x24.
    let mut s = testdata::state();
    let mut all: Vec<_> = s.data.incidents.values().cloned().collect();
    for i in 0..7 {
        let mut inc = testdata::incident(
            &format!("INC-{}", 300 + i),
            Severity::Sev2,
            Phase::Detection,
        );
        inc.title = format!("Queue {i} backlog growing in every region");
        inc.created_at = clock() - Duration::minutes(60 - i);
        all.push(inc);
    }
    s.set_incidents(all);
    // The fifth card down: the column scrolls to it, with a marker above and below.
    for _ in 0..4 {
        update(&mut s, Msg::Intent(Intent::MoveDown));
    }
    s
});

snap!(help, {
    let mut s = testdata::state();
    s.ui.help = true;
    s
});

/// At 80 columns with the closed column shown, six columns of 13: every heading still
/// shows its count, the name is what gets cut.
#[test]
fn at_80_columns_every_board_heading_keeps_its_count() {
    let mut s = testdata::state();
    s.ui.show_closed = true;
    let screen = text(draw(&s, 80, 24).backend().buffer());
    let heading = screen.lines().nth(2).unwrap();
    for count in [
        "Detection 2",
        "Triage 3",
        "Containm… 2",
        "Comms 2",
        "Closed 1",
    ] {
        assert!(
            heading.contains(count),
            "missing {count:?}: {heading}\n{screen}"
        );
    }
}

#[test]
fn board_shows_what_a_commander_needs_on_each_card() {
    let t = draw(&testdata::state(), 120, 40);
    let screen = text(t.backend().buffer());
    for needle in [
        "LIVE",
        "10:00 UTC",
        "SEV1 3",
        "INC-105 customer update OVERDUE 3m",
        "Detection 2",
        "Triage 3",
        "Containment 2",
        "Follow-through 2",
        "SEV1 INC-101",
        "Checkout returns 502",
        "EU users",
        "unassigned",
        "Ana Lima",
        "OVERDUE 3m",
        "upd 4m",
        "41m",
    ] {
        assert!(screen.contains(needle), "missing {needle:?}:\n{screen}");
    }
    assert!(
        !screen.contains("INC-111"),
        "closed incidents are hidden by default"
    );
    // Wide enough, columns carry the phases' full names.
    let screen = text(draw(&testdata::state(), 160, 40).backend().buffer());
    assert!(screen.contains("Containment and recovery 2"), "{screen}");
    assert!(
        screen.contains("Post-incident follow-through 2"),
        "{screen}"
    );
}

#[test]
fn overdue_is_red_due_soon_is_amber_and_severity_is_spelled_out() {
    let t = draw(&testdata::state(), 120, 40);
    let buf = t.backend().buffer();
    let (x, y) = find(buf, "OVERDUE 3m").expect("overdue countdown on the board");
    assert_eq!(buf[(x, y)].fg, Color::Red);
    // 3 min 10 s left reads "4m": rounded up, so it never claims more time than there is.
    let (x, y) = find(buf, "upd 4m").expect("due-soon countdown");
    assert_eq!(buf[(x + 4, y)].fg, Color::Yellow);
    let (x, y) = find(buf, "upd 27m").expect("a countdown with time to spare");
    assert_eq!(buf[(x + 4, y)].fg, Color::Reset);
    let (x, y) = find(buf, "INC-105 customer update OVERDUE 3m").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
}

#[test]
fn no_color_keeps_every_cell_colourless_but_the_words_stay() {
    let mut s = testdata::state();
    s.settings.theme = Theme::mono();
    let t = draw(&s, 120, 40);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    let screen = text(buf);
    assert!(screen.contains("OVERDUE 3m") && screen.contains("SEV1 INC-105"));
}

#[test]
fn clock_seconds_shows_the_clock_and_countdowns_to_the_second() {
    let mut s = testdata::state();
    s.settings.seconds = true;
    let screen = text(draw(&s, 120, 40).backend().buffer());
    for needle in ["10:00:00 UTC", "OVERDUE 03:10", "upd 03:10", "upd 27:00"] {
        assert!(screen.contains(needle), "missing {needle:?}:\n{screen}");
    }
    let screen = text(draw(&testdata::state(), 120, 40).backend().buffer());
    assert!(
        screen.contains("10:00 UTC") && !screen.contains("10:00:00"),
        "{screen}"
    );
}

#[test]
fn below_80x24_says_the_terminal_is_too_small() {
    let t = draw(&testdata::state(), 79, 24);
    let screen = text(t.backend().buffer());
    assert!(screen.contains("Terminal too small"), "{screen}");
    assert!(screen.contains("79x24"));
    assert!(!screen.contains("INC-101"));
}

#[test]
fn a_dropped_stream_reads_reconnecting_then_stale_with_the_data_age() {
    let mut s = testdata::state();
    update(
        &mut s,
        Msg::Live(LiveMsg::Disconnected {
            error: "connection refused".into(),
            retry_in: std::time::Duration::from_secs(2),
        }),
    );
    let screen = text(draw(&s, 120, 40).backend().buffer());
    assert!(screen.contains("RECONNECTING as of 10:00:00"), "{screen}");
    // Twice the default heartbeat (10 s) without the stream: STALE.
    update(&mut s, Msg::Tick(clock() + Duration::seconds(19)));
    let screen = text(draw(&s, 120, 40).backend().buffer());
    assert!(screen.contains("RECONNECTING as of 10:00:00"), "{screen}");
    update(&mut s, Msg::Tick(clock() + Duration::seconds(20)));
    let screen = text(draw(&s, 120, 40).backend().buffer());
    assert!(screen.contains("STALE as of 10:00:00"), "{screen}");
    assert!(!screen.contains("LIVE"));
}

#[test]
fn untrusted_text_cannot_reach_the_terminal() {
    let json = serde_json::json!({
        "id": "INC-666", "title": "pwn\u{1b}]52;c;ZXZpbA==\u{7}ed \u{1b}[2Jtitle\u{202e}gnp.exe",
        "summary": "", "severity": "SEV1", "phase": "detection", "commander": "eve\u{1b}[31m",
        "roles": {}, "customer_impact": false, "impact_scope": "", "deployment": "hosted",
        "recovery_owner": "vendor", "source": "x", "created_at": "2026-11-29T09:59:00Z",
        "updated_at": "2026-11-29T09:59:00Z", "last_customer_update_at": null,
        "next_update_due_at": null, "update_overdue": false, "version": 1
    });
    let mut inc: sitrep::domain::Incident = serde_json::from_value(json).unwrap();
    use sitrep::sanitize::Sanitize;
    inc.sanitize();
    let mut s = testdata::state();
    s.ui.view = View::List;
    update(
        &mut s,
        Msg::Live(LiveMsg::Event {
            seq: 1,
            event: LiveEvent::Incident(inc),
            actor: None,
        }),
    );
    let t = draw(&s, 120, 40);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert!(
            !cell
                .symbol()
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{cell:?}"
        );
    }
    let screen = text(buf);
    assert!(screen.contains("pwned title[RLO]gnp"), "{screen}");
}

/// The whole app through `run` on a TestBackend: messages in, screen out.
#[tokio::test]
async fn run_loop_applies_messages_and_redraws() {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut state = State::new(
        "test",
        sitrep::console::keymap::Keymap::default_keymap(),
        Theme::color(),
        clock(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(Msg::Live(LiveMsg::Connected { resync: true }))
        .unwrap();
    tx.send(Msg::Loaded {
        incidents: testdata::scenario(),
        actions: testdata::actions(),
    })
    .unwrap();
    let mut fresh = testdata::incident("INC-777", Severity::Sev1, Phase::Detection);
    fresh.title = "Brand new alert".into();
    tx.send(Msg::Live(LiveMsg::Event {
        seq: 2,
        event: LiveEvent::Incident(fresh),
        actor: None,
    }))
    .unwrap();
    tx.send(Msg::Intent(Intent::Quit)).unwrap();
    let mut effects = Vec::new();
    run(
        &mut terminal,
        &mut state,
        &mut rx,
        |e| effects.push(e),
        RunOptions {
            clock: false,
            time: Default::default(),
        },
    )
    .await
    .unwrap();
    // Connecting lists everything once, sends any writes that waited, and asks who we are.
    assert_eq!(
        effects,
        vec![
            sitrep::console::Effect::RetryOutbox,
            sitrep::console::Effect::WhoAmI,
            sitrep::console::Effect::LoadAll
        ]
    );
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("SEV1 INC-777"), "{screen}");
    assert!(screen.contains("Brand new alert"));
    assert!(screen.contains("Detection 3"));
}

#[test]
fn a_full_column_keeps_its_marker_off_the_cards_and_the_selection_on_screen() {
    let mut s = testdata::state();
    let mut all: Vec<_> = s.data.incidents.values().cloned().collect();
    for i in 0..7 {
        let mut inc = testdata::incident(
            &format!("INC-{}", 300 + i),
            Severity::Sev2,
            Phase::Detection,
        );
        inc.created_at = clock() - Duration::minutes(60 - i);
        all.push(inc);
    }
    s.set_incidents(all);
    for _ in 0..4 {
        update(&mut s, Msg::Intent(Intent::MoveDown));
    }
    let selected = s.selected_id().unwrap().to_string();
    let screen = text(draw(&s, 80, 24).backend().buffer());
    assert!(screen.contains(&format!("SEV2 {selected}")), "{screen}");
    // The marker has a row of its own: nothing else in its column on that row.
    let row = screen
        .lines()
        .find(|l| l.contains("more") && l.contains('↓'))
        .expect("a marker below");
    let cell = row.split('│').next().unwrap();
    assert!(
        cell.trim().starts_with('↓') && cell.trim().ends_with("more"),
        "{row}"
    );
}
