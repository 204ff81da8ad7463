//! The message log: every refusal, error and notice, newest first, wrapped so the whole
//! text can be read (the footer has room for one line).
use super::fmt::{put, when, wrap};
use crate::console::state::{Level, State};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Clear, Widget};

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

pub fn render(state: &State, scroll: usize, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    Clear.render(area, buf);
    let key = |a| {
        state
            .settings
            .keymap
            .key_for(crate::console::keymap::Mode::Messages, a)
            .map(|k| k.to_string())
            .unwrap_or_default()
    };
    let title = format!(
        " Messages, newest first ({} kept; {} to close, {}/{} to scroll) ",
        state.ui.log.len(),
        key(crate::console::intent::Intent::Messages),
        key(crate::console::intent::Intent::MoveDown),
        key(crate::console::intent::Intent::MoveUp),
    );
    Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(t.key)
        .render(area, buf);
    let inner = Rect::new(
        area.x + 2,
        area.y + 1,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let all = lines(state, inner.width as usize);
    if all.is_empty() {
        put(
            buf,
            inner.x,
            inner.y,
            "No messages yet.",
            inner.width,
            t.dim,
        );
        return;
    }
    let max_scroll = all.len().saturating_sub(inner.height as usize);
    let scroll = scroll.min(max_scroll);
    for (y, (style, text)) in (inner.y..inner.bottom()).zip(all.iter().skip(scroll)) {
        put(buf, inner.x, y, text, inner.width, *style);
    }
    if scroll + (inner.height as usize) < all.len() {
        let below = all.len() - scroll - inner.height as usize;
        let mark = format!(" ↓ {below} more lines ");
        let x = area
            .right()
            .saturating_sub(super::fmt::width(&mark) as u16 + 2);
        put(buf, x, area.bottom() - 1, &mark, area.width, t.dim);
    }
}
