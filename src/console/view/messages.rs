//! The message log: every refusal, error and notice, newest first, wrapped so the whole
//! text can be read (the footer has room for one line).
use super::fmt::{truncate, when, width, wrap};
use crate::console::state::{Level, State};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Widget};

/// The log as styled lines `width` columns wide: a heading per message (time, level,
/// incident), then its text wrapped and indented.
fn lines(state: &State, width: usize) -> Vec<(Style, String)> {
    let t = &state.settings.theme;
    let now = state.sync.now;
    let mut out = Vec::new();
    for e in state.ui.log.newest_first() {
        let (level, style) = match e.level {
            Level::Error => ("error", t.error),
            Level::Info => ("notice", t.base),
        };
        let at = when(now, e.at.unwrap_or(now));
        let inc = e.incident.as_deref().unwrap_or("");
        out.push((
            style,
            format!("{at}  {level:<6}  {inc}").trim_end().to_string(),
        ));
        for l in wrap(&e.text, width.saturating_sub(2)) {
            out.push((t.base, format!("  {l}")));
        }
    }
    out
}

/// The log window over the body, borrowed from the state, scrolled `scroll` lines down.
pub struct MessageLog<'a> {
    state: &'a State,
    scroll: usize,
}

impl<'a> MessageLog<'a> {
    pub fn new(state: &'a State, scroll: usize) -> Self {
        MessageLog { state, scroll }
    }

    fn title(&self) -> String {
        let state = self.state;
        let key = |a| {
            state
                .settings
                .keymap
                .key_for(crate::console::keymap::Mode::Messages, a)
                .map(|k| k.to_string())
                .unwrap_or_default()
        };
        format!(
            " Messages, newest first ({} kept; {} to close, {}/{} to scroll) ",
            state.ui.log.len(),
            key(crate::console::intent::Intent::Messages),
            key(crate::console::intent::Intent::MoveDown),
            key(crate::console::intent::Intent::MoveUp),
        )
    }
}

impl Widget for MessageLog<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.state.settings.theme;
        Clear.render(area, buf);
        let block = Block::bordered()
            .title(self.title())
            .border_style(t.key)
            .padding(Padding::horizontal(1));
        let inner = block.inner(area);
        // Wrapped here rather than by the paragraph: a message's text hangs under its
        // heading, indented, which the paragraph's wrap cannot do.
        let all = lines(self.state, inner.width as usize);
        if all.is_empty() {
            Paragraph::new(Span::styled("No messages yet.", t.dim))
                .block(block)
                .render(area, buf);
            return;
        }
        let rows = inner.height as usize;
        let scroll = self.scroll.min(all.len().saturating_sub(rows));
        let below = all.len().saturating_sub(scroll + rows);
        let text: Vec<Line> = all
            .into_iter()
            .skip(scroll)
            .take(rows)
            .map(|(style, l)| Line::from(Span::styled(truncate(&l, inner.width as usize), style)))
            .collect();
        Paragraph::new(text).block(block).render(area, buf);
        if below > 0 {
            // On the bottom border, two cells in from the corner.
            let mark = format!(" ↓ {below} more lines ");
            let mw = width(&mark) as u16;
            let at = Rect::new(
                area.right().saturating_sub(mw + 2),
                area.bottom() - 1,
                mw.min(area.width),
                1,
            );
            Span::styled(mark, t.dim).render(at, buf);
        }
    }
}
