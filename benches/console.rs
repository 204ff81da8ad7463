//! What a commander feels: how long a board frame takes to render, and how long one live
//! event takes to apply, with up to 10,000 incidents loaded.
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sitrep::client::LiveEvent;
use sitrep::console::keymap::Keymap;
use sitrep::console::testdata::{clock, many};
use sitrep::console::theme::Theme;
use sitrep::console::update::apply_event;
use sitrep::console::{State, view};
use sitrep::domain::{Incident, Phase};
use sitrep::sanitize::Sanitize;
use std::hint::black_box;

fn loaded(n: usize) -> State {
    let mut s = State::new("bench", Keymap::default_keymap(), Theme::color(), clock());
    s.set_incidents(many(n));
    s.sync.loaded = true;
    s
}

fn render(c: &mut Criterion) {
    let mut g = c.benchmark_group("board_render_200x50");
    let area = Rect::new(0, 0, 200, 50);
    for n in [100, 1_000, 10_000] {
        let state = loaded(n);
        let mut buf = Buffer::empty(area);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                buf.reset();
                view::render_buffer(black_box(&state), area, &mut buf);
            })
        });
    }
    g.finish();
    // A whole frame through ratatui: render plus diffing against the previous frame.
    let mut g = c.benchmark_group("board_frame_200x50");
    {
        let n = 10_000;
        let mut state = loaded(n);
        let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
        let mut k = 0i64;
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                // The clock moves each frame, as it does once a second on screen.
                k += 1;
                state.sync.now = clock() + chrono::Duration::seconds(k % 60);
                term.draw(|f| view::render(&state, f)).unwrap();
            })
        });
    }
    g.finish();
}

fn apply(c: &mut Criterion) {
    let mut state = loaded(10_000);
    let mut inc: Incident = state.data.incidents["INC-5001"].clone();
    let mut v = inc.version;
    let phases = [
        Phase::Detection,
        Phase::Triage,
        Phase::Containment,
        Phase::Communication,
    ];
    c.bench_function("apply_one_event_10000", |b| {
        b.iter(|| {
            v += 1;
            inc.version = v;
            inc.phase = phases[(v as usize) % phases.len()];
            black_box(apply_event(&mut state, LiveEvent::Incident(inc.clone())));
        })
    });
    // The same event arriving as JSON: decode and sanitize, then apply.
    let json = serde_json::to_string(&inc).unwrap();
    c.bench_function("decode_and_apply_one_event_10000", |b| {
        b.iter(|| {
            v += 1;
            let mut parsed: Incident = serde_json::from_str(black_box(&json)).unwrap();
            parsed.sanitize();
            parsed.version = v;
            parsed.phase = phases[(v as usize) % phases.len()];
            black_box(apply_event(&mut state, LiveEvent::Incident(parsed)));
        })
    });
}

criterion_group!(benches, render, apply);
criterion_main!(benches);
