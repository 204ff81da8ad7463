//! Every open corrective action across incidents, overdue first. `/owner:NAME` filters.
use super::fmt::truncate;
use super::window;
use crate::console::index::Cursor;
use crate::console::state::{State, Writes};
use crate::console::theme::Theme;
use crate::domain::{CorrectiveAction, Priority};
use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, HighlightSpacing, Row, StatefulWidget, Table, Widget};

const HEADS: [&str; 6] = ["DUE", "STATE", "OWNER", "INCIDENT", "PRIO", "ACTION"];

/// What the actions view shows, borrowed from the state: the matching rows in order.
pub struct ActionsView<'a> {
    theme: &'a Theme,
    rows: Vec<&'a CorrectiveAction>,
    today: NaiveDate,
    cursor: &'a Cursor,
    writes: &'a Writes,
    unavailable: Option<&'a str>,
    filtered: bool,
}

impl<'a> ActionsView<'a> {
    pub fn new(state: &'a State) -> Self {
        ActionsView {
            theme: &state.settings.theme,
            rows: state.action_rows(),
            today: state.sync.now.date_naive(),
            cursor: &state.ui.actions_cursor,
            writes: &state.writes,
            unavailable: state.data.actions_unavailable.as_deref(),
            filtered: !state.ui.filter.is_empty(),
        }
    }

    fn title(&self) -> String {
        if self.unavailable.is_some() {
            return "Corrective actions: not available from this backend".to_string();
        }
        let overdue = self.rows.iter().filter(|a| a.due_date < self.today).count();
        format!(
            "Open corrective actions{}: {}   overdue: {overdue}",
            if self.filtered {
                " matching the filter"
            } else {
                ""
            },
            self.rows.len(),
        )
    }

    fn row(&self, a: &CorrectiveAction, widths: &[u16]) -> Row<'static> {
        let t = self.theme;
        let is_overdue = a.due_date < self.today;
        let cells = texts(a, is_overdue, self.writes.is_action_pending(&a.id));
        Row::new(cells.iter().zip(widths).enumerate().map(|(i, (text, w))| {
            let style = match i {
                0 | 1 if is_overdue => t.overdue,
                3 => t.title,
                _ => t.base,
            };
            Cell::from(truncate(text, *w as usize)).style(style.patch(t.base))
        }))
    }
}

impl Widget for ActionsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let [title_row, table_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let [_, title_row] =
            Layout::horizontal([Constraint::Length(1), Constraint::Min(0)]).areas(title_row);
        Span::styled(truncate(&self.title(), title_row.width as usize), t.title)
            .render(title_row, buf);
        // Each column's text width; the gap after it is the table's column spacing.
        let widths: [u16; 6] = [11, 11, 14, 8, 6, area.width.saturating_sub(56).max(10) - 1];
        let height = table_area.height.saturating_sub(1) as usize;
        let sel = self.cursor.row.min(self.rows.len().saturating_sub(1));
        let first = window::first_shown(sel, height);
        let shown = self
            .rows
            .iter()
            .skip(first)
            .take(height)
            .map(|a| self.row(a, &widths));
        // One blank highlight column indents the table, as in the list.
        let table = Table::new(shown, widths.map(Constraint::Length))
            .header(Row::new(HEADS).style(t.column_title))
            .column_spacing(1)
            .highlight_symbol(" ")
            .highlight_spacing(HighlightSpacing::Always)
            .row_highlight_style(t.selected);
        let mut state = window::table_state(self.cursor.selected_row(), first, height);
        StatefulWidget::render(table, table_area, buf, &mut state);
        if self.rows.is_empty() {
            let msg = if let Some(why) = self.unavailable {
                why
            } else if self.filtered {
                "No open corrective actions match the filter."
            } else {
                "No open corrective actions."
            };
            let [_, below] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(table_area);
            let [_, text] =
                Layout::horizontal([Constraint::Length(1), Constraint::Min(0)]).areas(below);
            Span::styled(truncate(msg, text.width as usize), t.dim).render(text, buf);
        }
    }
}

/// The status is always shown, so each step of `space` is visible on the row (with `…`
/// while the server has not confirmed it); overdue is the due date's colour and its `!`.
fn texts(a: &CorrectiveAction, overdue: bool, pending: bool) -> [String; 6] {
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
