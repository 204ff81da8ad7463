//! The board: one column per phase, cards sorted by severity then age. Only the cards that
//! fit are drawn, so the cost of a frame does not grow with the number of incidents.
use super::fmt::{Urgency, age, countdown};
use super::put;
use crate::console::state::{State, due};
use crate::domain::{Incident, Phase};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Four text rows and a gap.
const CARD: u16 = 5;

/// Short column names for narrow terminals.
fn short_title(p: Phase) -> &'static str {
    match p {
        Phase::Detection => "Detection",
        Phase::Triage => "Triage",
        Phase::Containment => "Containment",
        Phase::Communication => "Communication",
        Phase::FollowThrough => "Follow-through",
        Phase::Closed => "Closed",
    }
}

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    let phases = state.visible_phases();
    let n = phases.len() as u16;
    let col_w = area.width / n;
    for (i, phase) in phases.iter().enumerate() {
        let x = area.x + col_w * i as u16;
        // The last column takes the remainder.
        let w = if i as u16 == n - 1 {
            area.right() - x
        } else {
            col_w
        };
        let focused = i == state.board_col;
        column(state, *phase, focused, Rect::new(x, area.y, w, area.height), buf);
    }
}

fn column(state: &State, phase: Phase, focused: bool, area: Rect, buf: &mut Buffer) {
    let t = &state.theme;
    let index = &state.columns[phase as usize];
    let cursor = &state.column_cursors[phase as usize];
    // One column of padding on the right, with a rule.
    let inner_w = area.width.saturating_sub(2);
    let sep_x = area.right() - 1;
    for y in area.y..area.bottom() {
        buf.set_stringn(sep_x, y, "│", 1, t.dim);
    }
    let count = format!(" {}", index.len());
    let long = phase.title();
    let title = if super::fmt::width(long) + count.len() <= inner_w as usize {
        long
    } else {
        short_title(phase)
    };
    let title_style = if focused {
        t.focused_column
    } else {
        t.column_title
    };
    let x = put(buf, area.x + 1, area.y, title, inner_w, title_style);
    put(buf, x, area.y, &count, area.x + 1 + inner_w - x, t.dim);
    let rule: String = "─".repeat(inner_w as usize);
    buf.set_stringn(area.x + 1, area.y + 1, &rule, inner_w as usize, t.dim);

    let top = area.y + 2;
    let height = area.bottom().saturating_sub(top);
    // The last card needs no gap after it.
    let fits = ((height + 1) / CARD).max(1) as usize;
    let selected = cursor.row;
    let offset = if selected >= fits { selected + 1 - fits } else { 0 };
    let shown = index.ids().iter().skip(offset).take(fits);
    for (k, id) in shown.enumerate() {
        let Some(inc) = state.incidents.get(id) else {
            continue;
        };
        let y = top + k as u16 * CARD;
        if y + 4 > area.bottom() {
            break;
        }
        let is_sel = focused && offset + k == selected;
        card(state, inc, Rect::new(area.x + 1, y, inner_w, 4), is_sel, buf);
    }
    let below = index.len().saturating_sub(offset + fits);
    if below > 0 {
        let y = area.bottom() - 1;
        put(buf, area.x + 1, y, &format!("↓ {below} more"), inner_w, t.dim);
    }
    if offset > 0 {
        put(buf, area.x + 1, area.y + 1, &format!("↑ {offset} more"), inner_w, t.dim);
    }
}

fn card(state: &State, inc: &Incident, area: Rect, selected: bool, buf: &mut Buffer) {
    let t = &state.theme;
    let w = area.width;
    let (x, y) = (area.x, area.y);
    let base = if selected { t.selected } else { Style::default() };
    if selected {
        buf.set_style(area, t.selected);
    }
    // Row 1: severity in words (never colour alone), then the id.
    let nx = put(buf, x, y, inc.severity.as_str(), w, t.severity(inc.severity).patch(base));
    put(buf, nx + 1, y, &inc.id, (x + w).saturating_sub(nx + 1), t.title.patch(base));
    // Row 2: title.
    put(buf, x, y + 1, &inc.title, w, base);
    // Row 3: who leads.
    match &inc.commander {
        Some(c) => put(buf, x, y + 2, c, w, base),
        None => put(buf, x, y + 2, "unassigned", w, t.due_soon.patch(base)),
    };
    // Row 4: time since start, and the customer-update countdown when one is owed.
    let started = age(state.now, inc.created_at);
    let ax = put(buf, x, y + 3, &started, w, t.dim.patch(base));
    if let Some(d) = due(inc) {
        let (text, urgency) = countdown(state.now, d);
        let style = match urgency {
            Urgency::Overdue => t.overdue,
            Urgency::Soon => t.due_soon,
            Urgency::Normal => t.base,
        };
        // Longest form that fits: the word OVERDUE always survives narrowing.
        let forms = match urgency {
            Urgency::Overdue => vec![text, "OVERDUE".to_string(), "LATE".to_string()],
            _ => vec![format!("upd {text}"), text],
        };
        let room = (x + w).saturating_sub(ax + 1);
        let sel = if selected { t.selected } else { Style::default() };
        if let Some(text) = forms.iter().find(|f| super::fmt::width(f) as u16 <= room) {
            let tw = super::fmt::width(text) as u16;
            put(buf, x + w - tw, y + 3, text, tw, style.patch(sel));
        }
    }
}
