//! The board: one column per phase, cards sorted by severity then age. Only the cards that
//! fit are drawn, so the cost of a frame does not grow with the number of incidents.
use super::fmt::{Urgency, age_at, countdown_at, fit_spans, late_by, truncate, width};
use super::window;
use crate::console::state::{State, due};
use crate::domain::{Incident, Phase};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Widget};

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

/// The board, borrowed from the state: its columns are the phases shown.
pub struct Board<'a> {
    state: &'a State,
}

impl<'a> Board<'a> {
    pub fn new(state: &'a State) -> Self {
        Board { state }
    }
}

impl Widget for Board<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let phases = self.state.ui.visible_phases();
        let n = phases.len() as u16;
        let col_w = area.width / n;
        for (i, phase) in phases.iter().enumerate() {
            let x = area.x + col_w * i as u16;
            // Equal widths, the last column taking the remainder: a layout solver would
            // spread it, and columns would shift by a cell as phases are hidden.
            let w = if i as u16 == n - 1 {
                area.right() - x
            } else {
                col_w
            };
            PhaseColumn {
                state: self.state,
                phase: *phase,
                focused: i == self.state.ui.board_col,
            }
            .render(Rect::new(x, area.y, w, area.height), buf);
        }
    }
}

/// One phase's column: its name and count over a rule, then the cards that fit.
struct PhaseColumn<'a> {
    state: &'a State,
    phase: Phase,
    focused: bool,
}

impl PhaseColumn<'_> {
    /// The name with its count: the full name if it fits, then the plain name, then a
    /// short one, then the short one cut. Before the first load nothing is known: an empty column would read as
    /// calm.
    fn title(&self, len: usize, room: usize) -> Line<'static> {
        let t = &self.state.settings.theme;
        let count = if self.state.sync.loaded {
            format!(" {len}")
        } else {
            " –".to_string()
        };
        let fits = |s: &str| width(s) + width(&count) <= room;
        let short = short_title(self.phase);
        // The count is what the column is for: when even the short name does not fit, the
        // name is cut, not the count.
        let name = [
            self.phase.title(),
            super::fmt::phase_plain(self.phase),
            short,
        ]
        .into_iter()
        .find(|s| fits(s))
        .map(str::to_string)
        .unwrap_or_else(|| super::fmt::truncate(short, room.saturating_sub(width(&count))));
        let name_style = if self.focused {
            t.focused_column
        } else {
            t.column_title
        };
        fit_spans(
            [Span::styled(name, name_style), Span::styled(count, t.dim)],
            room,
        )
    }
}

impl Widget for PhaseColumn<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let t = &state.settings.theme;
        let index = &state.data.columns[self.phase as usize];
        let cursor = &state.ui.column_cursors[self.phase as usize];
        // A rule on the right, a cell of padding on the left.
        let column = Block::new()
            .borders(Borders::RIGHT)
            .border_style(t.dim)
            .padding(Padding::left(1));
        let inner = column.inner(area);
        column.render(area, buf);
        let [title_row, below] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let room = inner.width as usize;
        self.title(index.len(), room).render(title_row, buf);

        let mut rule = Block::new().borders(Borders::TOP).border_style(t.dim);
        let cards = rule.inner(below);
        // The last card needs no gap after it, unless some are left out: then the gap row
        // (or the row after it) holds the "↓ N more" marker, never a card's text.
        let all_fit = ((cards.height + 1) / CARD).max(1) as usize;
        let fits = if index.len() > all_fit {
            (cards.height / CARD).max(1) as usize
        } else {
            all_fit
        };
        // The row scrolls into view even when its incident left (nothing highlighted then).
        let first = window::first_shown(cursor.row, fits);
        let highlighted = cursor.selected_row();
        if first > 0 {
            let above = truncate(&format!("↑ {first} more"), room);
            rule = rule.title(Span::styled(above, t.dim));
        }
        rule.render(below, buf);
        let shown = index.ids().iter().skip(first).take(fits);
        for (k, id) in shown.enumerate() {
            let Some(inc) = state.data.incidents.get(id) else {
                continue;
            };
            let y = cards.y + k as u16 * CARD;
            if y + 4 > cards.bottom() {
                break;
            }
            Card {
                state,
                inc,
                selected: self.focused && highlighted == Some(first + k),
            }
            .render(Rect::new(cards.x, y, cards.width, 4), buf);
        }
        let below_count = index.len().saturating_sub(first + fits);
        if below_count > 0 {
            let marker = truncate(&format!("↓ {below_count} more"), room);
            let last = Rect::new(inner.x, area.bottom() - 1, inner.width, 1);
            Span::styled(marker, t.dim).render(last, buf);
        }
    }
}

/// One incident on the board, 4 rows: severity and id with the age on the right; the
/// title over two rows; the commander with the customer-update countdown on the right.
struct Card<'a> {
    state: &'a State,
    inc: &'a Incident,
    selected: bool,
}

impl Widget for Card<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (state, inc) = (self.state, self.inc);
        let t = &state.settings.theme;
        let w = area.width;
        let sel = if self.selected {
            t.selected
        } else {
            Style::default()
        };
        Block::new().style(sel).render(area, buf);
        let [head, title1, title2, foot] = Layout::vertical([Constraint::Length(1); 4]).areas(area);
        // Row 1: severity in words (never colour alone), the id, and how long it has run.
        let id_line = fit_spans(
            [
                Span::styled(inc.severity.as_str(), t.severity(inc.severity).patch(sel)),
                Span::raw(" "),
                Span::styled(inc.id.as_str(), t.title.patch(sel)),
            ],
            w as usize,
        );
        let id_end = id_line.width() as u16;
        id_line.render(head, buf);
        // A change sent and not yet confirmed says so where the age usually is.
        let pending = state.writes.is_pending(&inc.id);
        let started = if pending {
            "pending".to_string()
        } else {
            age_at(state.sync.now, inc.created_at, state.settings.seconds)
        };
        let aw = width(&started) as u16;
        // Rows 2-3: the title, wrapped. On a narrow card the age moves to the end of row 3.
        let age_row = if id_end + 1 + aw <= w { head } else { title2 };
        let last_w = if age_row == head {
            w
        } else {
            w.saturating_sub(aw + 1)
        };
        let (l1, l2) = wrap2(&inc.title, w as usize, last_w as usize);
        Span::styled(l1, sel).render(title1, buf);
        Span::styled(l2, sel).render(
            Rect {
                width: last_w,
                ..title2
            },
            buf,
        );
        if aw <= w {
            let style = if pending { t.due_soon } else { t.dim };
            Line::from(Span::styled(started, style.patch(sel)))
                .right_aligned()
                .render(age_row, buf);
        }
        // Row 4: the countdown first (it must never be cut), then who leads in what is left.
        let mut room = w;
        if let Some(d) = due(inc) {
            let (text, urgency) = countdown_at(state.sync.now, d, state.settings.seconds);
            let style = match urgency {
                Urgency::Overdue => t.overdue,
                Urgency::Soon => t.due_soon,
                Urgency::Normal => t.base,
            };
            // Longest form that fits beside a short name. Overdue keeps its minutes (how
            // late is the point) even if the name shrinks to a letter; the word OVERDUE
            // survives.
            let (forms, fits) = match urgency {
                Urgency::Overdue => {
                    let late = late_by(state.sync.now, d, state.settings.seconds);
                    (
                        vec![text, format!("LATE {late}"), "OVERDUE".to_string()],
                        w.saturating_sub(3),
                    )
                }
                _ => (vec![format!("upd {text}"), text], w.saturating_sub(6)),
            };
            if let Some(text) = forms.into_iter().find(|f| width(f) as u16 <= fits) {
                room = w - width(&text) as u16 - 1;
                Line::from(Span::styled(text, style.patch(sel)))
                    .right_aligned()
                    .render(foot, buf);
            }
        }
        let (who, style) = match &inc.commander {
            Some(c) => (c.as_str(), sel),
            None => ("unassigned", t.due_soon.patch(sel)),
        };
        Span::styled(truncate(who, room as usize), style).render(foot, buf);
    }
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
