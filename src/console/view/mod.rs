//! Rendering: pure functions of `&State` into a ratatui frame. Nothing here mutates state
//! or touches the network.
mod actions;
mod board;
mod detail;
pub mod fmt;
mod footer;
mod header;
mod help;
pub use help::help_lines;
mod list;
mod messages;
mod overlay;
pub mod review;
mod window;

use super::state::{State, View};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    render_buffer(state, area, buf);
}

/// Renders into a buffer directly; benchmarks use this to time drawing alone.
pub fn render_buffer(state: &State, area: Rect, buf: &mut Buffer) {
    if too_small(area) {
        render_too_small(area, buf);
        return;
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(state, head, buf);
    if let Some(d) = &state.ui.detail {
        detail::render(state, d, body, buf);
    } else {
        match state.ui.view {
            View::Board => board::render(state, body, buf),
            View::List => list::render(state, body, buf),
            View::Actions => actions::render(state, body, buf),
            View::Review => review::render(state, body, buf),
        }
    }
    footer::render(state, foot, buf);
    if let Some(scroll) = state.ui.messages {
        messages::render(state, scroll, body, buf);
    }
    if state.ui.help {
        help::render(state, body, buf);
    }
    match &state.ui.overlay {
        Some(crate::console::forms::Overlay::Form(f)) => overlay::render_form(state, f, body, buf),
        Some(crate::console::forms::Overlay::Confirm(c)) => {
            overlay::render_confirm(state, c, body, buf)
        }
        None => {}
    }
}

fn render_too_small(area: Rect, buf: &mut Buffer) {
    let lines = [
        "Terminal too small".to_string(),
        format!(
            "{}x{} here; sitrep needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
            area.width, area.height
        ),
        "Enlarge the window or reduce the font size.".to_string(),
    ];
    let top = area.y + area.height.saturating_sub(lines.len() as u16) / 2;
    for (i, l) in lines.iter().enumerate() {
        let y = top + i as u16;
        if y >= area.bottom() {
            break;
        }
        let w = fmt::width(l) as u16;
        let x = area.x + area.width.saturating_sub(w) / 2;
        buf.set_stringn(x, y, l, area.width as usize, Style::default());
    }
}
