//! One incident on the wall: severity, id, phase and age; its title; its commander; and
//! where its customer updates stand, with the countdown in its urgency's colour.
use super::minutes::{countdown, since};
use crate::console::state::due;
use crate::console::theme::Theme;
use crate::console::view::fmt::{self, Urgency, fit_spans};
use crate::console::wall::redact;
use crate::domain::{Incident, Phase};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Padding, Widget};

pub struct Tile<'a> {
    pub theme: &'a Theme,
    pub incident: &'a Incident,
    /// What the timers count from (the clock, or when the data was last current).
    pub now: DateTime<Utc>,
    pub redact: bool,
    /// The most overdue customer update on the wall: a double frame that says so.
    pub stands_out: bool,
}

impl Widget for Tile<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (t, inc, now) = (self.theme, self.incident, self.now);
        let sev = t.severity(inc.severity);
        let mut block = Block::new()
            .borders(Borders::ALL)
            .border_style(if self.stands_out { t.overdue } else { sev })
            .padding(Padding::horizontal(1));
        if self.stands_out {
            block = block
                .border_type(BorderType::Double)
                .title(Line::from(" MOST OVERDUE ").style(t.overdue));
        }
        let inner = block.inner(area);
        block.render(area, buf);
        let [head, title, commander, updates] =
            Layout::vertical([Constraint::Length(1); 4]).areas(Rect {
                height: inner.height.min(4),
                ..inner
            });
        let cols = inner.width as usize;
        let right = |text: String, style, row: Rect, buf: &mut Buffer| {
            Line::from(Span::styled(text, style))
                .right_aligned()
                .render(row, buf)
        };

        // Severity, id and phase; the age on the right, never overwritten.
        let age = format!("up {}", since(now, inc.created_at));
        let left = cols.saturating_sub(fmt::width(&age) + 1);
        fit_spans(
            [
                Span::styled(inc.severity.to_string(), sev.add_modifier(Modifier::BOLD)),
                Span::raw(" "),
                Span::styled(inc.id.as_str(), t.title),
                Span::raw(" "),
                Span::styled(fmt::phase_plain(inc.phase), t.base),
            ],
            left,
        )
        .render(head, buf);
        right(age, t.base, head, buf);

        let name = redact::text(&inc.title, self.redact);
        fit_spans([Span::styled(name, t.title)], cols).render(title, buf);

        let (ic, style) = match &inc.commander {
            Some(c) => (format!("IC {}", redact::person(c, self.redact)), t.base),
            None => ("IC unassigned".to_string(), t.due_soon),
        };
        fit_spans([Span::styled(ic, style)], cols).render(commander, buf);

        if !(inc.customer_impact && inc.phase < Phase::FollowThrough) {
            let none = Span::styled("no customer updates owed", t.dim);
            return fit_spans([none], cols).render(updates, buf);
        }
        let last = match inc.last_customer_update_at {
            Some(at) => format!("upd {} ago", since(now, at)),
            None => "no upd yet".into(),
        };
        let last = fit_spans([Span::styled(last, t.base)], cols);
        let last_w = last.width();
        last.render(updates, buf);
        if let Some(d) = due(inc) {
            let (text, urgency) = countdown(now, d);
            let style = match urgency {
                Urgency::Normal => t.base,
                Urgency::Soon => t.due_soon,
                Urgency::Overdue => t.overdue,
            };
            // Only beside the last update, a space between, never over it.
            if cols > last_w + fmt::width(&text) {
                right(text, style, updates, buf);
            }
        }
    }
}
