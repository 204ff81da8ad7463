//! Rendering: widgets over `&State` drawn into a ratatui frame. Nothing here mutates state
//! or touches the network. [`Screen`] is the whole screen; each view is a widget in its own
//! module (see docs/console.md, "Screens are widgets").
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
mod too_small;
mod window;

use super::forms::Overlay;
use super::state::{State, View};
use actions::ActionsView;
use board::Board;
use footer::Footer;
use header::Header;
use help::Help;
use list::IncidentList;
use messages::MessageLog;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Widget;
use too_small::TooSmall;

pub use too_small::{MIN_HEIGHT, MIN_WIDTH};

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The whole console screen: the header, the current view (or an incident's detail), the
/// footer, and whichever overlays are open, in the order they stack.
pub struct Screen<'a>(pub &'a State);

impl Widget for Screen<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.0;
        if too_small(area) {
            TooSmall.render(area, buf);
            return;
        }
        let [head, body, foot] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(area);
        Header::new(state).render(head, buf);
        if let Some(d) = &state.ui.detail {
            detail::render(state, d, body, buf);
        } else {
            match state.ui.view {
                View::Board => Board::new(state).render(body, buf),
                View::List => IncidentList::new(state).render(body, buf),
                View::Actions => ActionsView::new(state).render(body, buf),
                View::Review => review::render(state, body, buf),
            }
        }
        Footer::new(state).render(foot, buf);
        if let Some(scroll) = state.ui.messages {
            MessageLog::new(state, scroll).render(body, buf);
        }
        if state.ui.help {
            Help::new(state).render(body, buf);
        }
        match &state.ui.overlay {
            Some(Overlay::Form(f)) => overlay::render_form(state, f, body, buf),
            Some(Overlay::Confirm(c)) => overlay::render_confirm(state, c, body, buf),
            None => {}
        }
    }
}

pub fn render(state: &State, frame: &mut Frame) {
    frame.render_widget(Screen(state), frame.area());
}

/// Renders into a buffer directly; benchmarks use this to time drawing alone.
pub fn render_buffer(state: &State, area: Rect, buf: &mut Buffer) {
    Screen(state).render(area, buf);
}
