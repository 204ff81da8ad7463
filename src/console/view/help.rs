//! The help overlay, generated from the keymap: it cannot drift from the real bindings.
use crate::console::keymap::Mode;
use crate::console::state::State;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Widget};

/// Where a binding's description starts: two spaces, the keys padded to 16, a space.
const DESCRIPTION_AT: usize = 19;

/// The help text as (is_heading, text) lines.
pub fn help_lines(state: &State) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    // The bindings that apply right now come first.
    let current = match state.ui.mode() {
        Mode::Help => {
            if state.ui.detail.is_some() {
                Mode::Detail
            } else {
                match state.ui.view {
                    crate::console::state::View::Board => Mode::Board,
                    crate::console::state::View::List => Mode::List,
                    crate::console::state::View::Actions => Mode::Actions,
                    crate::console::state::View::Review => Mode::Review,
                }
            }
        }
        m => m,
    };
    let order = std::iter::once(current).chain(Mode::ALL.into_iter().filter(|m| *m != current));
    let ro = state.settings.writes_disabled();
    for mode in order {
        if ro && matches!(mode, Mode::Form | Mode::Confirm) {
            continue;
        }
        // Read-only: write keys are neither shown nor active.
        let bindings: Vec<_> = state
            .settings
            .keymap
            .bindings(mode)
            .filter(|(a, _)| !(ro && a.is_write()))
            .collect();
        if bindings.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push((false, String::new()));
        }
        out.push((true, mode.title().to_string()));
        for (action, keys) in bindings {
            let keys = keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            let unavailable = match (state.settings.role, crate::console::roles::needed(action)) {
                (Some(role), Some(need)) if role < need => {
                    format!("  (unavailable: needs {need}, you are {role})")
                }
                _ => String::new(),
            };
            out.push((
                false,
                format!("  {keys:<16} {}{unavailable}", mode.describe(action)),
            ));
        }
        if mode == Mode::Form {
            // A text field's editing keys are fixed, like a shell's (console/editing.rs).
            out.push((false, String::new()));
            out.push((true, "In a text field".to_string()));
            for (keys, what) in crate::console::editing::HELP {
                out.push((false, format!("  {keys:<16} {what}")));
            }
        }
    }
    out
}

/// The help window, borrowed from the state: the keymap's bindings, scrolled.
pub struct Help<'a> {
    state: &'a State,
}

impl<'a> Help<'a> {
    pub fn new(state: &'a State) -> Self {
        Help { state }
    }
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.state.settings.theme;
        let w = area.width.min(72);
        let popup = Rect::new(area.x + (area.width - w) / 2, area.y, w, area.height);
        Clear.render(popup, buf);
        let block = Block::bordered()
            .title(" Keys (? or esc to close, j/k to scroll) ")
            .border_style(t.key)
            .padding(Padding::horizontal(1));
        let inner = block.inner(popup);
        // A description longer than the row wraps under itself, past the keys column:
        // wrapped here, as the paragraph's wrap cannot hang an indent.
        let lines: Vec<Line> = help_lines(self.state)
            .into_iter()
            .flat_map(|(heading, text)| {
                let style = if heading { t.column_title } else { t.base };
                super::fmt::wrap_hanging(&text, inner.width as usize, DESCRIPTION_AT)
                    .into_iter()
                    .map(move |row| Line::from(Span::styled(row, style)))
            })
            .collect();
        let max_scroll = lines.len().saturating_sub(inner.height as usize);
        let scroll = self.state.ui.help_scroll.min(max_scroll);
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll.min(u16::MAX as usize) as u16, 0))
            .render(popup, buf);
    }
}
