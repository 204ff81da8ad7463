//! The board: one column per phase, cards sorted by severity then age. Only the cards that
//! fit are drawn, so the cost of a frame does not grow with the number of incidents.
use super::fmt::put;
use super::fmt::{Urgency, age_at, countdown_at, late_by, width};
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
        Phase::Communication => "Comms",
        Phase::FollowThrough => "Follow-up",
        Phase::Closed => "Closed",
    }
}

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    let phases = state.ui.visible_phases();
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
        let focused = i == state.ui.board_col;
        column(
            state,
            *phase,
            focused,
            Rect::new(x, area.y, w, area.height),
            buf,
        );
    }
}

fn column(state: &State, phase: Phase, focused: bool, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let index = &state.data.columns[phase as usize];
    let cursor = &state.ui.column_cursors[phase as usize];
    // One column of padding on the right, with a rule.
    let inner_w = area.width.saturating_sub(2);
    let sep_x = area.right() - 1;
    for y in area.y..area.bottom() {
        buf.set_stringn(sep_x, y, "│", 1, t.dim);
    }
    // Before the first load nothing is known: an empty column would read as calm.
    let count = if state.sync.loaded {
        format!(" {}", index.len())
    } else {
        " –".to_string()
    };
    let long = phase.title();
    // The full name if it fits with its count, then the plain name, then a short one.
    let fits = |s: &str| width(s) + width(&count) <= inner_w as usize;
    let plain = super::fmt::phase_plain(phase);
    let title = [long, plain, short_title(phase)]
        .into_iter()
        .find(|s| fits(s))
        .unwrap_or(short_title(phase));
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
    // The last card needs no gap after it, unless some are left out: then the gap row
    // (or the row after it) holds the "↓ N more" marker, never a card's text.
    let all_fit = ((height + 1) / CARD).max(1) as usize;
    let fits = if index.len() > all_fit {
        (height / CARD).max(1) as usize
    } else {
        all_fit
    };
    // The row scrolls into view even when its incident left (nothing highlighted then).
    let selected = cursor.row;
    let highlighted = cursor.selected_row();
    let offset = if selected >= fits {
        selected + 1 - fits
    } else {
        0
    };
    let shown = index.ids().iter().skip(offset).take(fits);
    for (k, id) in shown.enumerate() {
        let Some(inc) = state.data.incidents.get(id) else {
            continue;
        };
        let y = top + k as u16 * CARD;
        if y + 4 > area.bottom() {
            break;
        }
        let is_sel = focused && highlighted == Some(offset + k);
        card(
            state,
            inc,
            Rect::new(area.x + 1, y, inner_w, 4),
            is_sel,
            buf,
        );
    }
    let below = index.len().saturating_sub(offset + fits);
    if below > 0 {
        let y = area.bottom() - 1;
        put(
            buf,
            area.x + 1,
            y,
            &format!("↓ {below} more"),
            inner_w,
            t.dim,
        );
    }
    if offset > 0 {
        put(
            buf,
            area.x + 1,
            area.y + 1,
            &format!("↑ {offset} more"),
            inner_w,
            t.dim,
        );
    }
}

/// Card layout (4 rows): severity and id with the age on the right; the title over two
/// rows; the commander with the customer-update countdown on the right.
fn card(state: &State, inc: &Incident, area: Rect, selected: bool, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let w = area.width;
    let (x, y) = (area.x, area.y);
    let sel = if selected {
        t.selected
    } else {
        Style::default()
    };
    if selected {
        buf.set_style(area, t.selected);
    }
    // Row 1: severity in words (never colour alone), the id, and how long it has run.
    let nx = put(
        buf,
        x,
        y,
        inc.severity.as_str(),
        w,
        t.severity(inc.severity).patch(sel),
    );
    let nx = put(
        buf,
        nx + 1,
        y,
        &inc.id,
        (x + w).saturating_sub(nx + 1),
        t.title.patch(sel),
    );
    // A change sent and not yet confirmed says so where the age usually is.
    let started = if state.writes.is_pending(&inc.id) {
        "pending".to_string()
    } else {
        age_at(state.sync.now, inc.created_at, state.settings.seconds)
    };
    let aw = width(&started) as u16;
    // Rows 2-3: the title, wrapped. On a narrow card the age moves to the end of row 3.
    let age_row = if nx + 1 + aw <= x + w { y } else { y + 2 };
    let last_w = if age_row == y {
        w
    } else {
        w.saturating_sub(aw + 1)
    };
    let (l1, l2) = wrap2(&inc.title, w as usize, last_w as usize);
    put(buf, x, y + 1, &l1, w, sel);
    put(buf, x, y + 2, &l2, last_w, sel);
    if aw <= w {
        let style = if state.writes.is_pending(&inc.id) {
            t.due_soon
        } else {
            t.dim
        };
        put(buf, x + w - aw, age_row, &started, aw, style.patch(sel));
    }
    // Row 4: the countdown first (it must never be cut), then who leads in what is left.
    let mut right = x + w;
    if let Some(d) = due(inc) {
        let (text, urgency) = countdown_at(state.sync.now, d, state.settings.seconds);
        let style = match urgency {
            Urgency::Overdue => t.overdue,
            Urgency::Soon => t.due_soon,
            Urgency::Normal => t.base,
        };
        // Longest form that fits beside a short name. Overdue keeps its minutes (how late
        // is the point) even if the name shrinks to a letter; the word OVERDUE survives.
        let (forms, room) = match urgency {
            Urgency::Overdue => {
                let late = late_by(state.sync.now, d, state.settings.seconds);
                (
                    vec![text, format!("LATE {late}"), "OVERDUE".to_string()],
                    w.saturating_sub(3),
                )
            }
            _ => (vec![format!("upd {text}"), text], w.saturating_sub(6)),
        };
        if let Some(text) = forms.iter().find(|f| width(f) as u16 <= room) {
            let tw = width(text) as u16;
            put(buf, x + w - tw, y + 3, text, tw, style.patch(sel));
            right = x + w - tw - 1;
        }
    }
    let room = right.saturating_sub(x);
    match &inc.commander {
        Some(c) => put(buf, x, y + 3, c, room, sel),
        None => put(buf, x, y + 3, "unassigned", room, t.due_soon.patch(sel)),
    };
}

/// Greedy word wrap into a line of `w` and one of `w2` columns; the second ends in `…` if
/// text remains.
fn wrap2(text: &str, w: usize, w2: usize) -> (String, String) {
    if width(text) <= w {
        return (text.to_string(), String::new());
    }
    let mut first = String::new();
    let mut rest = text;
    for (i, word) in text.split(' ').enumerate() {
        let candidate = if i == 0 {
            word.to_string()
        } else {
            format!("{first} {word}")
        };
        if width(&candidate) > w {
            break;
        }
        first = candidate;
        rest = text[first.len()..].trim_start();
    }
    if first.is_empty() {
        // One word longer than the card: cut it.
        let cut = super::fmt::truncate(text, w + 1);
        let head: String = cut
            .chars()
            .take(cut.chars().count().saturating_sub(1))
            .collect();
        let rest = text[head.len()..].to_string();
        return (head, super::fmt::truncate(&rest, w2));
    }
    (first, super::fmt::truncate(rest, w2))
}
