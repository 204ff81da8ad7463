//! The list view: every incident in one table, sortable by severity, phase, age, commander
//! or next update. Only the visible window of rows is built.
use super::fmt::put;
use super::fmt::{Urgency, age_at, countdown_at, fit};
use crate::console::state::{SortBy, State, due};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

struct Col {
    title: &'static str,
    width: u16,
    sort: Option<SortBy>,
}

const COLS: [Col; 7] = [
    Col {
        title: "ID",
        width: 9,
        sort: None,
    },
    Col {
        title: "SEV",
        width: 5,
        sort: Some(SortBy::Severity),
    },
    Col {
        title: "PHASE",
        width: 15,
        sort: Some(SortBy::Phase),
    },
    Col {
        title: "TITLE",
        width: 0,
        sort: None,
    },
    Col {
        title: "COMMANDER",
        width: 14,
        sort: Some(SortBy::Commander),
    },
    Col {
        title: "AGE",
        width: 7,
        sort: Some(SortBy::Age),
    },
    Col {
        title: "NEXT UPDATE",
        width: 14,
        sort: Some(SortBy::NextUpdate),
    },
];

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let fixed: u16 = COLS.iter().map(|c| c.width).sum();
    let title_w = area.width.saturating_sub(fixed + 1).max(8);
    let widths: Vec<u16> = COLS
        .iter()
        .map(|c| if c.width == 0 { title_w } else { c.width })
        .collect();
    let mut x = area.x + 1;
    for (c, w) in COLS.iter().zip(&widths) {
        let mark = match c.sort {
            Some(s) if s == state.ui.list_sort => {
                if state.ui.list_reverse {
                    "▼"
                } else {
                    "▲"
                }
            }
            _ => "",
        };
        put(
            buf,
            x,
            area.y,
            &format!("{}{}", c.title, mark),
            w.saturating_sub(1),
            t.column_title,
        );
        x += w;
    }
    let top = area.y + 1;
    let rows = area.height.saturating_sub(1) as usize;
    let sel = state.ui.list_cursor.row;
    let offset = if sel >= rows { sel + 1 - rows } else { 0 };
    for (k, id) in state
        .data
        .list
        .ids()
        .iter()
        .skip(offset)
        .take(rows)
        .enumerate()
    {
        let Some(inc) = state.data.incidents.get(id) else {
            continue;
        };
        let y = top + k as u16;
        let selected = state.ui.list_cursor.selected_row() == Some(offset + k);
        let base = if selected { t.selected } else { t.base };
        if selected {
            buf.set_style(Rect::new(area.x, y, area.width, 1), t.selected);
        }
        let (next, urgency) = match due(inc) {
            Some(d) => {
                let (s, u) = countdown_at(state.sync.now, d, state.settings.seconds);
                (s, Some(u))
            }
            None => ("—".to_string(), None),
        };
        let next_style = match urgency {
            Some(Urgency::Overdue) => t.overdue,
            Some(Urgency::Soon) => t.due_soon,
            _ => t.base,
        };
        let cells = [
            (inc.id.clone(), t.title),
            (inc.severity.as_str().to_string(), t.severity(inc.severity)),
            (super::fmt::phase_plain(inc.phase).to_string(), t.base),
            (inc.title.clone(), t.base),
            (
                inc.commander.clone().unwrap_or_else(|| "unassigned".into()),
                if inc.commander.is_some() {
                    t.base
                } else {
                    t.due_soon
                },
            ),
            (
                age_at(state.sync.now, inc.created_at, state.settings.seconds),
                t.dim,
            ),
            (next, next_style),
        ];
        let mut x = area.x + 1;
        for ((text, style), w) in cells.iter().zip(&widths) {
            let cw = w.saturating_sub(1);
            put(buf, x, y, &fit(text, cw as usize), cw, style.patch(base));
            x += w;
        }
    }
    if state.data.list.is_empty() {
        let msg = if state.sync.loaded {
            "No incidents match."
        } else {
            "Loading incidents…"
        };
        put(buf, area.x + 1, top, msg, area.width - 1, t.dim);
    }
}
