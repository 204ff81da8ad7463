//! The list view: every incident in one table, sortable by severity, phase, age, commander
//! or next update. Only the visible window of rows is built.
use super::fmt::{Urgency, age_at, countdown_at, truncate};
use super::window;
use crate::console::index::{Cursor, Incidents, SortedIndex};
use crate::console::state::{SortBy, State, due};
use crate::console::theme::Theme;
use crate::domain::Incident;
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, HighlightSpacing, Row, StatefulWidget, Table, Widget};

struct Col {
    title: &'static str,
    /// Columns including the gap after it; 0 for the title, which takes what is left.
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

/// What the list shows, borrowed from the state.
pub struct IncidentList<'a> {
    theme: &'a Theme,
    list: &'a SortedIndex,
    incidents: &'a Incidents,
    cursor: &'a Cursor,
    sort: SortBy,
    reverse: bool,
    now: DateTime<Utc>,
    seconds: bool,
    loaded: bool,
}

impl<'a> IncidentList<'a> {
    pub fn new(state: &'a State) -> Self {
        IncidentList {
            theme: &state.settings.theme,
            list: &state.data.list,
            incidents: &state.data.incidents,
            cursor: &state.ui.list_cursor,
            sort: state.ui.list_sort,
            reverse: state.ui.list_reverse,
            now: state.sync.now,
            seconds: state.settings.seconds,
            loaded: state.sync.loaded,
        }
    }

    fn header(&self) -> Row<'static> {
        let t = self.theme;
        let titles = COLS.iter().map(|c| {
            let mark = match c.sort {
                Some(s) if s == self.sort && self.reverse => "▼",
                Some(s) if s == self.sort => "▲",
                _ => "",
            };
            Cell::from(format!("{}{mark}", c.title))
        });
        Row::new(titles).style(t.column_title)
    }

    fn row(&self, inc: &Incident, widths: &[u16]) -> Row<'static> {
        let t = self.theme;
        let (next, next_style) = match due(inc) {
            Some(d) => {
                let (s, u) = countdown_at(self.now, d, self.seconds);
                let style = match u {
                    Urgency::Overdue => t.overdue,
                    Urgency::Soon => t.due_soon,
                    Urgency::Normal => t.base,
                };
                (s, style)
            }
            None => ("—".to_string(), t.base),
        };
        let (commander, commander_style) = match &inc.commander {
            Some(c) => (c.as_str(), t.base),
            None => ("unassigned", t.due_soon),
        };
        let cells: [(&str, Style); 7] = [
            (&inc.id, t.title),
            (inc.severity.as_str(), t.severity(inc.severity)),
            (super::fmt::phase_plain(inc.phase), t.base),
            (&inc.title, t.base),
            (commander, commander_style),
            (&age_at(self.now, inc.created_at, self.seconds), t.dim),
            (&next, next_style),
        ];
        // Cut with a visible `…`: a table cell would cut silently.
        Row::new(cells.iter().zip(widths).map(|((text, style), w)| {
            Cell::from(truncate(text, *w as usize)).style(style.patch(t.base))
        }))
    }
}

impl Widget for IncidentList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let fixed: u16 = COLS.iter().map(|c| c.width).sum();
        let title_w = area.width.saturating_sub(fixed + 1).max(8);
        // Each column's text width; the gap after it is the table's column spacing.
        let widths: Vec<u16> = COLS
            .iter()
            .map(|c| if c.width == 0 { title_w } else { c.width } - 1)
            .collect();
        let [_, rows_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let rows = rows_area.height as usize;
        let first = window::first_shown(self.cursor.row, rows);
        let shown = self.list.ids().iter().skip(first).take(rows).map(|id| {
            // A row whose incident is gone stays blank rather than pulling the rest up.
            self.incidents
                .get(id)
                .map_or_else(Row::default, |inc| self.row(inc, &widths))
        });
        // The highlight column is one blank cell: it indents the table by one, as the
        // board's cards are, and the selection's reverse video covers it too.
        let table = Table::new(shown, widths.iter().map(|w| Constraint::Length(*w)))
            .header(self.header())
            .column_spacing(1)
            .highlight_symbol(" ")
            .highlight_spacing(HighlightSpacing::Always)
            .row_highlight_style(t.selected);
        let mut state = window::table_state(self.cursor.selected_row(), first, rows);
        StatefulWidget::render(table, area, buf, &mut state);
        if self.list.is_empty() {
            let msg = if self.loaded {
                "No incidents match."
            } else {
                "Loading incidents…"
            };
            let [_, text] =
                Layout::horizontal([Constraint::Length(1), Constraint::Min(0)]).areas(rows_area);
            Span::styled(msg, t.dim).render(text, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::console::intent::{Intent, Msg};
    use crate::console::state::View;
    use crate::console::testdata;
    use crate::console::update::update;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Modifier;

    #[test]
    fn at_the_end_of_ten_thousand_the_last_row_is_shown_highlighted() {
        let mut s = testdata::state();
        s.set_incidents(testdata::many(10_000));
        s.ui.view = View::List;
        update(&mut s, Msg::Intent(Intent::Bottom));
        let last = s.selected_id().expect("a selection").to_string();
        let area = Rect::new(0, 0, 120, 40);
        let mut buf = Buffer::empty(area);
        super::super::render_buffer(&s, area, &mut buf);
        let row = |y: u16| (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>();
        // The body's last row (above the footer) holds the selection, in reverse video.
        let y = 38;
        assert!(row(y).contains(&format!(" {last} ")), "{}", row(y));
        assert!(buf[(1, y)].modifier.contains(Modifier::REVERSED));
        assert!(!buf[(1, y - 1)].modifier.contains(Modifier::REVERSED));
        assert!(row(2).contains("ID") && row(2).contains("NEXT UPDATE"));
    }
}
