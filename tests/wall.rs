//! The wallboard (`sitrep wall`): snapshots at 80x24, 160x48 and 320x90 on the fixed test
//! scenario and clock; the frame's colour, page rotation and the burn-in shift; and the
//! jump-host outputs checked on the bytes a terminal would receive: no colour under
//! NO_COLOR, no box drawing with --ascii, no customer names with --redact.
use crate::common::screen::{frame_bytes, text};
use chrono::Duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use sitrep::console::State;
use sitrep::console::display::ColorDepth;
use sitrep::console::keymap::Keymap;
use sitrep::console::state::Conn;
use sitrep::console::testdata::{self, clock};
use sitrep::console::theme::Theme;
use sitrep::console::wall::{self, WallOptions};

fn wall_buf(state: &State, opts: &WallOptions, w: u16, h: u16) -> Buffer {
    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
    wall::render(state, opts, buf.area, &mut buf);
    buf
}

/// The bytes a terminal receives for one full frame of the wall (or the console).
fn bytes(state: &State, w: u16, h: u16, wall_opts: Option<&WallOptions>) -> String {
    String::from_utf8(frame_bytes(state, w, h, wall_opts)).unwrap()
}

fn state_with(theme: Theme) -> State {
    let mut s = testdata::state();
    s.settings.theme = theme;
    s
}

#[test]
fn snapshot_80x24() {
    let s = testdata::state();
    insta::assert_snapshot!(text(&wall_buf(&s, &WallOptions::default(), 80, 24)));
}

#[test]
fn snapshot_160x48() {
    let s = testdata::state();
    insta::assert_snapshot!(text(&wall_buf(&s, &WallOptions::default(), 160, 48)));
}

#[test]
fn snapshot_320x90() {
    let s = testdata::state();
    insta::assert_snapshot!(text(&wall_buf(&s, &WallOptions::default(), 320, 90)));
}

#[test]
fn the_frame_takes_the_colour_of_the_worst_open_severity() {
    let s = testdata::state();
    let buf = wall_buf(&s, &WallOptions::default(), 160, 48);
    assert_eq!(buf[(0, 0)].fg, Color::Red, "SEV1 open: a red frame");
    assert_eq!(buf[(0, 0)].symbol(), "┏");

    // Without any SEV1 the frame takes SEV2's colour.
    let mut s = State::new("t", Keymap::default_keymap(), Theme::color(), clock());
    let mut inc = testdata::incident(
        "INC-7",
        sitrep::domain::Severity::Sev2,
        sitrep::domain::Phase::Triage,
    );
    inc.title = "Only a SEV2".into();
    s.set_incidents(vec![inc]);
    s.sync.loaded = true;
    let buf = wall_buf(&s, &WallOptions::default(), 160, 48);
    assert_eq!(buf[(0, 0)].fg, Color::LightRed);
    assert!(text(&buf).contains("Only a SEV2"));
}

#[test]
fn the_most_overdue_update_stands_out_first() {
    let s = testdata::state();
    let tiles = wall::view::tiles(&s);
    let first = tiles.first().unwrap();
    assert!(first.update_overdue, "the first tile is the overdue one");
    let screen = text(&wall_buf(&s, &WallOptions::default(), 160, 48));
    assert!(screen.contains("MOST OVERDUE"), "{screen}");
    let banner = screen
        .lines()
        .find(|l| l.contains("customer update OVERDUE"))
        .unwrap();
    assert!(banner.contains(&first.id), "{banner}");
    // The banner is drawn in the overdue style (red), the loudest thing on screen.
    let buf = wall_buf(&s, &WallOptions::default(), 160, 48);
    let y = screen
        .lines()
        .position(|l| l.contains("customer update OVERDUE"))
        .unwrap() as u16;
    assert_eq!(buf[(10, y)].fg, Color::Red);
}

#[test]
fn pages_rotate_when_the_tiles_do_not_fit() {
    let mut s = testdata::state();
    let n = wall::view::tiles(&s).len();
    assert!(
        n > 4,
        "the scenario has more SEV1/SEV2 tiles ({n}) than fit at 80x24"
    );
    let first = text(&wall_buf(&s, &WallOptions::default(), 80, 24));
    assert!(first.contains("page 1/2"), "{first}");
    s.sync.now = clock() + Duration::seconds(wall::view::PAGE_SECS);
    let second = text(&wall_buf(&s, &WallOptions::default(), 80, 24));
    assert!(second.contains("page 2/2"), "{second}");
    let last_id = &wall::view::tiles(&s).last().unwrap().id;
    assert!(!first.contains(&format!(" {last_id} ")) || first.contains("OVERDUE"));
    assert!(second.contains(last_id.as_str()), "{second}");
    // At 160x48 everything fits on one page.
    let big = text(&wall_buf(&s, &WallOptions::default(), 160, 48));
    assert!(!big.contains("page "), "{big}");
}

#[test]
fn the_layout_shifts_by_one_cell_every_few_minutes() {
    let mut s = testdata::state();
    let at = |s: &State| {
        let buf = wall_buf(s, &WallOptions::default(), 80, 24);
        let t = text(&buf);
        let y = t.lines().position(|l| l.contains('┏')).unwrap();
        let x = t
            .lines()
            .nth(y)
            .unwrap()
            .chars()
            .position(|c| c == '┏')
            .unwrap();
        (x, y)
    };
    assert_eq!(at(&s), (0, 0));
    s.sync.now = clock() + Duration::seconds(wall::view::SHIFT_SECS);
    assert_eq!(at(&s), (1, 0));
    s.sync.now = clock() + Duration::seconds(2 * wall::view::SHIFT_SECS);
    assert_eq!(at(&s), (1, 1));
    s.sync.now = clock() + Duration::seconds(wall::view::SHIFT_SECS - 1);
    assert_eq!(at(&s), (0, 0), "not before the shift is due");
}

#[test]
fn the_header_says_when_the_data_is_stale() {
    let mut s = testdata::state();
    s.sync.conn = Conn::Reconnecting {
        since: clock() - Duration::seconds(60),
        error: "connection refused".into(),
    };
    let screen = text(&wall_buf(&s, &WallOptions::default(), 80, 24));
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .contains("STALE as of 10:00:00"),
        "{screen}"
    );
}

fn has_colour_sgr(out: &str) -> Option<String> {
    // Any SGR that sets a foreground, background or underline colour: 30-37, 38;…, 39 is
    // reset (allowed), 40-47, 48;…, 58;…, 90-97, 100-107.
    let mut rest = out;
    while let Some(i) = rest.find("\x1b[") {
        let seq = &rest[i + 2..];
        let end = seq
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(seq.len());
        if seq[end..].starts_with('m') {
            for p in seq[..end].split(';') {
                if let Ok(n) = p.parse::<u32>()
                    && matches!(n, 30..=38 | 40..=48 | 58 | 90..=97 | 100..=107)
                {
                    return Some(seq[..=end].to_string());
                }
            }
        }
        rest = &seq[end..];
    }
    None
}

#[test]
fn no_color_output_has_no_colour_sequences() {
    let mono = Theme::build("dark", ColorDepth::Never, false).unwrap();
    let s = state_with(mono);
    for (w, h) in [(80, 24), (160, 48)] {
        let out = bytes(&s, w, h, Some(&WallOptions::default()));
        assert_eq!(has_colour_sgr(&out), None, "wall {w}x{h}");
        assert!(out.contains("SEV1"), "severity stays readable as text");
        let out = bytes(&s, w, h, None);
        assert_eq!(has_colour_sgr(&out), None, "console {w}x{h}");
    }
    // The check itself finds colour when there is some.
    let s = state_with(Theme::build("dark", ColorDepth::Ansi16, false).unwrap());
    assert!(has_colour_sgr(&bytes(&s, 80, 24, Some(&WallOptions::default()))).is_some());
}

#[test]
fn sixteen_colour_output_has_no_256_or_rgb_sequences() {
    for theme in ["dark", "light", "high-contrast"] {
        let s = state_with(Theme::build(theme, ColorDepth::Ansi16, false).unwrap());
        for out in [
            bytes(&s, 120, 40, None),
            bytes(&s, 160, 48, Some(&WallOptions::default())),
        ] {
            assert!(!out.contains("38;5;") && !out.contains("38;2;"), "{theme}");
            assert!(!out.contains("48;5;") && !out.contains("48;2;"), "{theme}");
        }
    }
    // The light theme's amber is an RGB colour at truecolor depth.
    let s = state_with(Theme::build("light", ColorDepth::TrueColor, false).unwrap());
    assert!(bytes(&s, 120, 40, None).contains("38;2;"));
}

#[test]
fn ascii_output_has_no_box_drawing_or_block_characters() {
    let s = state_with(Theme::build("dark", ColorDepth::Ansi16, true).unwrap());
    let is_box = |c: char| ('\u{2500}'..='\u{259F}').contains(&c);
    for (w, h) in [(80, 24), (160, 48), (320, 90)] {
        let out = bytes(&s, w, h, Some(&WallOptions::default()));
        assert!(!out.chars().any(is_box), "wall {w}x{h}");
        assert!(
            out.contains("+--") && out.contains("###"),
            "ASCII frame and digits"
        );
        let out = bytes(&s, w, h, None);
        let bad: Vec<char> = out.chars().filter(|c| is_box(*c)).collect();
        assert!(bad.is_empty(), "console {w}x{h}: {bad:?}");
    }
    // Without --ascii the same screens do use box drawing (the check can fail).
    let s = testdata::state();
    assert!(
        bytes(&s, 80, 24, Some(&WallOptions::default()))
            .chars()
            .any(is_box)
    );
}

/// Free text from the demo scenario that a redacted wall must not show.
fn scenario_secrets() -> Vec<String> {
    let doc: toml::Table = toml::from_str(include_str!("../assets/demo.toml")).unwrap();
    let mut out = vec!["Acme".to_string()];
    let mut names = |v: &toml::Value| {
        if let Some(s) = v.as_str() {
            out.push(s.to_string());
        }
    };
    for inc in doc["incident"].as_array().unwrap() {
        let inc = inc.as_table().unwrap();
        for k in ["title", "summary", "impact_scope", "commander"] {
            if let Some(v) = inc.get(k) {
                names(v);
            }
        }
        for step in inc
            .get("step")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            let step = step.as_table().unwrap();
            if let Some(v) = step.get("commander") {
                names(v);
            }
            if let Some(r) = step.get("roles").and_then(|r| r.as_table()) {
                r.values().for_each(&mut names);
            }
        }
    }
    out.retain(|s| s.len() >= 4);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn redact_hides_the_demo_scenarios_customer_names_and_free_text() {
    let demo = sitrep::demo::Demo::start().await.unwrap();
    let incidents = demo.console.list_incidents().await.unwrap();
    demo.stop().await;
    let mut s = State::new(
        "demo",
        Keymap::default_keymap(),
        Theme::color(),
        chrono::Utc::now(),
    );
    s.set_incidents(incidents);
    s.sync.loaded = true;
    let secrets = scenario_secrets();
    assert!(secrets.len() > 20, "{secrets:?}");
    // A secret shows truncated on a tile, so look for its first word of 4+ letters too.
    let probes: Vec<String> = secrets
        .iter()
        .flat_map(|s| {
            let first: String = s.chars().take(10).collect();
            [s.clone(), first]
        })
        .collect();
    let redact = WallOptions {
        redact: true,
        no_keys: false,
    };
    let plain = WallOptions::default();
    let mut shown_plain = 0;
    let start = s.sync.now;
    for page in 0..4 {
        s.sync.now = start + Duration::seconds(page * wall::view::PAGE_SECS);
        for (w, h) in [(80, 24), (160, 48), (320, 90)] {
            let out = bytes(&s, w, h, Some(&redact));
            for p in &probes {
                assert!(
                    !out.contains(p.as_str()),
                    "{p:?} shown at {w}x{h} with --redact"
                );
            }
            assert!(
                out.contains("INC-") && out.contains("SEV1"),
                "ids and severities stay"
            );
            let out = bytes(&s, w, h, Some(&plain));
            shown_plain += probes.iter().filter(|p| out.contains(p.as_str())).count();
        }
    }
    assert!(
        shown_plain > 0,
        "without --redact the same screens show the names"
    );
}

#[test]
fn an_idle_wall_changes_only_on_the_minute_and_colour_carries_urgency() {
    let mut s = testdata::state();
    let at = |s: &State| wall_buf(s, &WallOptions::default(), 160, 48);
    let first = at(&s);
    for sec in [1, 10, 30, 59] {
        s.sync.now = clock() + Duration::seconds(sec);
        assert!(
            at(&s) == first,
            "the picture changed {sec} s into the minute"
        );
    }
    s.sync.now = clock() + Duration::seconds(60);
    assert!(at(&s) != first, "timers move on the minute");
    // Under five minutes the countdown is amber, overdue red: colour, not seconds, says it.
    s.sync.now = clock();
    let buf = at(&s);
    let screen = text(&buf);
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("next in 3m"))
        .unwrap();
    let x = line.chars().take_while(|_| true).collect::<Vec<_>>();
    let col = x
        .windows(10)
        .position(|w| w.iter().collect::<String>() == "next in 3m")
        .unwrap();
    assert_eq!(buf[(col as u16, y as u16)].fg, Color::Yellow);
}

#[test]
fn a_stale_wall_stops_its_countdowns_and_says_since_when() {
    let mut s = testdata::state();
    let live = text(&wall_buf(&s, &WallOptions::default(), 160, 48));
    assert!(!live.contains("STALE"), "{live}");
    // The stream dropped at 10:00:30 and nothing has been confirmed since 10:00:00; ten
    // minutes later the tiles still count from 10:00:00, and the footer says so.
    s.sync.conn = Conn::Reconnecting {
        since: clock() + Duration::seconds(30),
        error: "connection refused".into(),
    };
    s.sync.now = clock() + Duration::minutes(10);
    let stale = text(&wall_buf(&s, &WallOptions::default(), 160, 48));
    assert!(
        stale.contains("STALE since 10:00:30: countdowns stopped at 10:00:00"),
        "{stale}"
    );
    // The loudest line still says how late INC-105's update was when last known, not
    // ten minutes more: nobody knows whether it has been posted since.
    assert!(
        live.contains("INC-105 customer update OVERDUE 3m"),
        "{live}"
    );
    assert!(
        stale.contains("INC-105 customer update OVERDUE 3m"),
        "{stale}"
    );
    assert!(!stale.contains("OVERDUE 13m"), "{stale}");
}

#[test]
fn with_no_data_the_wall_claims_nothing() {
    // A console that has not reached its server yet.
    let s = State::new("demo", Keymap::default_keymap(), Theme::color(), clock());
    let screen = text(&wall_buf(&s, &WallOptions::default(), 80, 24));
    assert!(screen.contains("customer updates unknown"), "{screen}");
    assert!(screen.contains("counts unknown"), "{screen}");
    assert!(!screen.contains("No customer update overdue"), "{screen}");
    assert!(!screen.contains("0 updates overdue"), "{screen}");
}
