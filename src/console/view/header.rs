//! The two header rows: which backend, whether the data is live, open incidents per
//! severity, overdue customer updates, and the clock.
use super::fmt::{clock, hms};
use super::put;
use crate::console::state::{Conn, State};
use crate::domain::Severity;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    let t = &state.theme;
    let y = area.y;
    let right = area.right();
    buf.set_style(Rect { height: 1, ..area }, t.header);
    let mut x = put(
        buf,
        area.x,
        y,
        " sitrep ",
        area.width,
        t.header.patch(t.title),
    );
    x = put(
        buf,
        x,
        y,
        &format!("│ {} ", state.backend),
        right - x,
        t.header,
    );

    let as_of = state
        .as_of
        .map(|a| format!(" as of {} ", hms(a)))
        .unwrap_or_else(|| " no data yet ".into());
    let (label, style) = match &state.conn {
        Conn::Live => (" LIVE ".to_string(), t.live),
        Conn::Connecting => (" CONNECTING ".to_string(), t.reconnecting),
        Conn::Reconnecting { .. } if state.is_stale() => (format!(" STALE{as_of}"), t.stale),
        Conn::Reconnecting { .. } => (format!(" RECONNECTING{as_of}"), t.reconnecting),
    };
    x = put(buf, x, y, "│", right - x, t.header);
    x = put(buf, x, y, &label, right.saturating_sub(x), style);
    if state.writes_disabled() {
        x = put(
            buf,
            x + 1,
            y,
            " READ-ONLY ",
            right.saturating_sub(x + 1),
            t.reconnecting,
        );
    }
    // Records the client had to skip: short here, where it is seen at any width; row 2 says
    // which.
    if let (n @ 1.., _) = state.unreadable() {
        x = put(
            buf,
            x + 1,
            y,
            &format!(" {n} UNREADABLE "),
            right.saturating_sub(x + 1),
            t.reconnecting,
        );
    }
    let pending = state.pending_count();
    if pending > 0 {
        put(
            buf,
            x + 1,
            y,
            &format!(" {pending} pending "),
            right.saturating_sub(x + 1),
            t.reconnecting,
        );
    }
    let time = format!(" {} UTC ", clock(state.now, state.seconds));
    let cw = time.len() as u16;
    if area.width > cw {
        put(buf, right - cw, y, &time, cw, t.header.patch(t.title));
    }

    // Row 2: counts.
    let y = y + 1;
    let mut x = put(buf, area.x, y, " Open ", area.width, t.dim);
    for sev in Severity::ALL {
        let n = state.open_count(*sev);
        let style = if n > 0 { t.severity(*sev) } else { t.dim };
        x = put(buf, x, y, sev.as_str(), right - x, style);
        x = put(
            buf,
            x,
            y,
            &format!(" {n}  "),
            right - x,
            if n > 0 { t.base } else { t.dim },
        );
    }
    let overdue = state.overdue_updates();
    x = put(buf, x, y, "│ ", right - x, t.dim);
    if overdue > 0 {
        let s = format!(
            " {overdue} customer update{} OVERDUE ",
            if overdue == 1 { "" } else { "s" }
        );
        x = put(buf, x, y, &s, right - x, t.overdue);
    } else {
        x = put(buf, x, y, "customer updates on time", right - x, t.dim);
    }
    if !state.filter.is_empty() {
        x = put(buf, x, y, "  │ filter: ", right - x, t.dim);
        x = put(buf, x, y, &state.filter.raw, right - x, t.key);
    }
    // Records the client skipped: the board is incomplete, and the commander must know.
    if let (n @ 1.., Some(first)) = state.unreadable() {
        let s = format!(
            " {n} record{} could not be read ({first}) ",
            if n == 1 { "" } else { "s" }
        );
        x = put(buf, x + 1, y, "│", right.saturating_sub(x + 1), t.dim);
        put(buf, x, y, &s, right.saturating_sub(x), t.reconnecting);
    }
}
