//! The review view at 80x24, in colour, ASCII and NO_COLOR; that it agrees with the evidence
//! export on one period; and that it costs nothing while hidden.
use crate::common::screen::{draw, text};
use ratatui::style::Color;
use sitrep::client::{LiveEvent, LiveMsg};
use sitrep::console::display::{ColorDepth, finish};
use sitrep::console::intent::{Intent, Msg};
use sitrep::console::state::View;
use sitrep::console::testdata;
use sitrep::console::theme::Theme;
use sitrep::console::{State, update};
use sitrep::review::evidence::{self, Evidence};
use sitrep::review::figures::{self, Period};
use sitrep::review::sample::{at, day, quarter};
use sitrep::review::{PeriodFigures, Targets};
use std::sync::Arc;

/// The sample quarter as the review shows it for `:review 92d` on its last evening.
fn shown() -> (State, PeriodFigures) {
    let (records, _, _) = quarter();
    let now = at(2026, 9, 30, 23, 45);
    let f = figures::last_days(&records, 92, &Targets::default(), now);
    let mut s = testdata::state();
    s.ui.view = View::Review;
    s.ui.review.days = 92;
    s.ui.review.figures = Some(Arc::new(f.clone()));
    (s, f)
}

fn screen(s: &State, ascii: bool, depth: ColorDepth) -> (String, Vec<(Color, Color)>) {
    let mut t = draw(s, 80, 24);
    let buf = t.backend_mut().buffer().clone();
    let mut buf = buf;
    finish(&mut buf, ascii, depth);
    let colours = buf.content().iter().map(|c| (c.fg, c.bg)).collect();
    (text(&buf), colours)
}

#[test]
fn review_80x24() {
    let (s, _) = shown();
    insta::assert_snapshot!("review_80x24", screen(&s, false, ColorDepth::TrueColor).0);
}

#[test]
fn review_80x24_ascii_no_color() {
    let (mut s, _) = shown();
    s.settings.theme = Theme::mono();
    let (text, colours) = screen(&s, true, ColorDepth::Never);
    assert!(text.is_ascii(), "{text}");
    for c in colours {
        assert_eq!(c, (Color::Reset, Color::Reset));
    }
    insta::assert_snapshot!("review_80x24_ascii_no_color", text);
}

/// What the view draws for the period is what `sitrep evidence` writes for it.
#[test]
fn the_review_and_the_evidence_agree_on_one_period() {
    let (records, _, _) = quarter();
    let now = at(2026, 9, 30, 23, 45);
    let (s, shown) = shown();
    let period = Period {
        from: day(2026, 7, 1),
        to: day(2026, 9, 30),
    };
    assert_eq!(shown.period, period);
    let exported = figures::period(&records, period, &Targets::default(), now);
    assert_eq!(shown, exported);
    let json: serde_json::Value = serde_json::from_str(
        &evidence::json(&Evidence {
            figures: exported,
            administration: evidence::Administration::Included { records: vec![] },
        })
        .unwrap(),
    )
    .unwrap();
    let (screen, _) = screen(&s, false, ColorDepth::TrueColor);
    let short = sitrep::console::view::review::short;
    let sev1 = &json["by_severity"][0];
    for (what, m) in [("MTTA", &sev1["acknowledge"]), ("MTTR", &sev1["recovery"])] {
        let cell = format!(
            "S1 {}/{}",
            short(m["mean_secs"].as_i64().unwrap()),
            short(m["target_secs"].as_i64().unwrap())
        );
        assert!(screen.contains(&cell), "{what}: {cell} not on\n{screen}");
    }
    let t = &json["totals"];
    for needle in [
        format!("{} incidents", t["incidents"]),
        format!("kept {}", t["cadence_kept"]),
        format!("missed {}", t["cadence_missed"]),
        format!("on time {}", t["actions_on_time"]),
        format!("overdue {}", t["actions_overdue"]),
    ] {
        assert!(screen.contains(&needle), "{needle} not on\n{screen}");
    }
}

fn event(s: &mut State) -> Vec<sitrep::console::update::Effect> {
    let inc = testdata::incident(
        "INC-900",
        sitrep::domain::Severity::Sev2,
        sitrep::domain::Phase::Triage,
    );
    update(
        s,
        Msg::Live(LiveMsg::Event {
            seq: 9,
            event: LiveEvent::Incident(inc),
            actor: None,
        }),
    )
}

fn loads(effects: &[sitrep::console::update::Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, sitrep::console::update::Effect::LoadReview { .. }))
        .count()
}

/// Hidden, the review loads nothing however much changes; shown, a change reloads it, and
/// changes during a load are folded into one more load.
#[test]
fn the_review_costs_nothing_while_hidden() {
    let mut s = testdata::state();
    for _ in 0..5 {
        assert_eq!(loads(&event(&mut s)), 0);
    }
    assert_eq!(loads(&update(&mut s, Msg::Intent(Intent::ViewReview))), 1);
    assert_eq!(s.ui.view, View::Review);
    // A load is running: changes mark it stale, nothing more.
    assert_eq!(loads(&event(&mut s)), 0);
    assert_eq!(loads(&event(&mut s)), 0);
    let (records, _, now) = quarter();
    let f = figures::last_days(&records, 90, &Targets::default(), now);
    let again = update(
        &mut s,
        Msg::ReviewLoaded {
            days: 90,
            figures: Ok(f),
        },
    );
    assert_eq!(loads(&again), 1, "one more load for the changes it missed");
    // Back on the board: hidden again.
    update(
        &mut s,
        Msg::ReviewLoaded {
            days: 90,
            figures: Err("x".into()),
        },
    );
    update(&mut s, Msg::Intent(Intent::ViewBoard));
    assert_eq!(loads(&event(&mut s)), 0);
}

#[test]
fn review_takes_a_period() {
    let mut s = testdata::state();
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    for c in ":review 30d".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    let effects = update(&mut s, key(KeyCode::Enter));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, sitrep::console::update::Effect::LoadReview { days: 30 })),
        "{effects:?}"
    );
    assert_eq!(s.ui.view, View::Review);
}
