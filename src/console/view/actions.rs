//! Every open corrective action across incidents, overdue first. `/owner:NAME` filters.
use super::fmt::fit;
use super::fmt::put;
use crate::console::state::State;
use crate::domain::{CorrectiveAction, Priority};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let rows = state.action_rows();
    let today = state.sync.now.date_naive();
    let overdue = rows.iter().filter(|a| a.due_date < today).count();
    let title = if state.data.actions_unavailable.is_some() {
        "Corrective actions: not available from this backend".to_string()
    } else {
        format!(
            "Open corrective actions{}: {}   overdue: {}",
            if state.ui.filter.is_empty() {
                ""
            } else {
                " matching the filter"
            },
            rows.len(),
            overdue
        )
    };
    put(buf, area.x + 1, area.y, &title, area.width - 1, t.title);
    let widths: [u16; 6] = [12, 12, 15, 9, 7, area.width.saturating_sub(56).max(10)];
    let heads = ["DUE", "STATE", "OWNER", "INCIDENT", "PRIO", "ACTION"];
    let mut x = area.x + 1;
    for (h, w) in heads.iter().zip(widths) {
        put(buf, x, area.y + 1, h, w - 1, t.column_title);
        x += w;
    }
    let top = area.y + 2;
    let height = area.height.saturating_sub(2) as usize;
    let sel = state
        .ui
        .actions_cursor
        .row
        .min(rows.len().saturating_sub(1));
    let highlighted = state.ui.actions_cursor.selected_row();
    let offset = if sel >= height { sel + 1 - height } else { 0 };
    for (k, a) in rows.iter().skip(offset).take(height).enumerate() {
        let y = top + k as u16;
        let selected = highlighted == Some(offset + k);
        let base = if selected { t.selected } else { t.base };
        if selected {
            buf.set_style(Rect::new(area.x, y, area.width, 1), t.selected);
        }
        let is_overdue = a.due_date < today;
        let cells = row(a, is_overdue, state.writes.is_action_pending(&a.id));
        let mut x = area.x + 1;
        for (i, (text, w)) in cells.iter().zip(widths).enumerate() {
            let style = match i {
                0 | 1 if is_overdue => t.overdue,
                3 => t.title,
                _ => t.base,
            };
            put(
                buf,
                x,
                y,
                &fit(text, (w - 1) as usize),
                w - 1,
                style.patch(base),
            );
            x += w;
        }
    }
    if rows.is_empty() {
        let msg = if let Some(why) = &state.data.actions_unavailable {
            why.as_str()
        } else if state.ui.filter.is_empty() {
            "No open corrective actions."
        } else {
            "No open corrective actions match the filter."
        };
        put(buf, area.x + 1, top, msg, area.width - 1, t.dim);
    }
}

/// The status is always shown, so each step of `space` is visible on the row (with `…`
/// while the server has not confirmed it); overdue is the due date's colour and its `!`.
fn row(a: &CorrectiveAction, overdue: bool, pending: bool) -> [String; 6] {
    let state = format!(
        "{}{}",
        a.status.as_str().replace('_', " "),
        if pending { "…" } else { "" }
    );
    let due = format!("{}{}", a.due_date, if overdue { "!" } else { "" });
    let prio = match a.priority {
        Priority::High => "high",
        Priority::Medium => "medium",
        Priority::Low => "low",
    };
    [
        due,
        state,
        a.owner.clone(),
        a.incident_id.clone(),
        prio.to_string(),
        a.title.clone(),
    ]
}
