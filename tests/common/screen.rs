//! The console without a terminal: a state drawn on a `TestBackend` and read back as text,
//! the bytes a real terminal would receive for one frame, and keys pressed on a state.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use sitrep::console::intent::Msg;
use sitrep::console::wall::{self, WallOptions};
use sitrep::console::{Effect, State, update, view};
use std::sync::{Arc, Mutex};

/// The state drawn once on a `w`×`h` test terminal.
pub fn draw(state: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::render(state, f)).unwrap();
    t
}

/// Every cell's symbol, row by row, one line per row.
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The state drawn on a `w`×`h` test terminal, as text.
pub fn screen_at(state: &State, w: u16, h: u16) -> String {
    text(draw(state, w, h).backend().buffer())
}

/// Keys typed on the state: `\t` is Tab, `\n` Enter, `\x1b` Esc, `\x13` Ctrl+S, anything
/// else that character. Returns the effects `update` asked for, in order.
pub fn press(s: &mut State, keys: &str) -> Vec<Effect> {
    let mut effects = vec![];
    for c in keys.chars() {
        let ev = match c {
            '\t' => KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
            '\n' => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
            '\u{1b}' => KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            '\u{13}' => KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
            c => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        };
        effects.extend(update(s, Msg::Key(ev)));
    }
    effects
}

/// Collects what the backend writes.
#[derive(Clone, Default)]
pub struct Sink(pub Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bytes a terminal receives for one full frame of the console, or of the wall with
/// `wall_opts`, through the same colour-depth rewriting as `sitrep` itself.
pub fn frame_bytes(state: &State, w: u16, h: u16, wall_opts: Option<&WallOptions>) -> Vec<u8> {
    let sink = Sink::default();
    let backend = CrosstermBackend::new(sitrep::console::display::Out::new(
        sink.clone(),
        state.settings.theme.depth,
    ));
    let mut t = Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
    .unwrap();
    t.draw(|f| {
        let area = f.area();
        match wall_opts {
            Some(o) => wall::render(state, o, area, f.buffer_mut()),
            None => {
                view::render(state, f);
                sitrep::console::display::finish(
                    f.buffer_mut(),
                    state.settings.theme.ascii,
                    state.settings.theme.depth,
                );
            }
        }
    })
    .unwrap();
    drop(t);
    sink.0.lock().unwrap().clone()
}
