//! One incident: what is hit, who owns recovery, who leads, and tabs for its timeline,
//! status updates, corrective actions and exceptions (fetched when the detail opens).
mod entries;
mod model;
mod tabs;

use super::fmt::{Urgency, age_at, countdown_at, fit_spans, width};
use crate::console::state::{Detail, Loadable, State, Tab, due};
use crate::domain::{Deployment, Incident, RecoveryOwner};
pub use model::DetailView;
use model::or_dash;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Tabs, Widget};

/// Columns of the field labels ("Customer impact" and a gap).
const LABEL_W: usize = 17;

pub fn render(state: &State, d: &Detail, area: Rect, buf: &mut Buffer) {
    DetailView::new(state, d).render(area, buf);
}

impl<'a> DetailView<'a> {
    fn title(&self, inc: &'a Incident, width: usize) -> Line<'a> {
        let t = self.theme;
        fit_spans(
            [
                Span::styled(inc.severity.as_str(), t.severity(inc.severity)),
                Span::raw(" "),
                Span::styled(inc.id.as_str(), t.title),
                Span::raw(" "),
                Span::styled(format!("[{}]", inc.phase.title()), t.column_title),
                Span::raw(" "),
                Span::styled(inc.title.as_str(), t.title),
            ],
            width,
        )
    }

    fn fields(&self, inc: &'a Incident, cols: usize) -> Vec<Line<'a>> {
        let t = self.theme;
        let now = self.state.sync.now;
        let seconds = self.state.settings.seconds;
        let field = |label: &'static str, value: String, style: Style| {
            fit_spans(
                [
                    Span::styled(label, t.dim),
                    Span::raw(" ".repeat(LABEL_W.saturating_sub(width(label)))),
                    Span::styled(value, style),
                ],
                cols,
            )
        };
        let impact = if inc.customer_impact { "yes" } else { "no" };
        let (next, next_style) = match due(inc) {
            Some(dd) => {
                let (s, u) = countdown_at(now, dd, seconds);
                let style = match u {
                    Urgency::Overdue => t.overdue,
                    Urgency::Soon => t.due_soon,
                    Urgency::Normal => t.base,
                };
                (format!("{impact}; next customer update {s}"), style)
            }
            None => (impact.to_string(), t.base),
        };
        let (commander, commander_style) = match &inc.commander {
            Some(c) => (c.clone(), t.base),
            None => ("unassigned".to_string(), t.due_soon),
        };
        let roles = if inc.roles.is_empty() {
            "—".to_string()
        } else {
            inc.roles
                .iter()
                .map(|(r, p)| format!("{}: {p}", r.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let started = format!(
            "{} UTC ({} ago), source {}",
            inc.created_at.format("%Y-%m-%d %H:%M"),
            age_at(now, inc.created_at, seconds),
            inc.source
        );
        let summary = inc.summary.lines().next().unwrap_or("");
        vec![
            field("Impact scope", or_dash(&inc.impact_scope).into(), t.base),
            field("Customer impact", next, next_style),
            field("Deployment", recovery(inc), t.base),
            field("Commander", commander, commander_style),
            field("Roles", roles, t.base),
            field("Started", started, t.base),
            field("Summary", or_dash(summary).into(), t.base),
        ]
    }

    /// The tab bar: the full titles when all fit, else the short ones (80 columns).
    fn tabs(&self, cols: usize) -> Tabs<'a> {
        let t = self.theme;
        let d = self.detail;
        let titled = |title: fn(Tab) -> &'static str| -> Vec<String> {
            Tab::ALL
                .iter()
                .map(|tab| format!(" {} ({}) ", title(*tab), self.count(*tab)))
                .collect()
        };
        let mut labels = titled(Tab::title);
        if labels.iter().map(|l| width(l) + 1).sum::<usize>() > cols {
            labels = titled(Tab::short_title);
        }
        let titles = Tab::ALL.iter().zip(labels).map(|(tab, label)| {
            // The selected tab takes its style from the highlight alone.
            if *tab == d.tab {
                Line::raw(label)
            } else {
                Line::styled(label, t.dim)
            }
        });
        Tabs::new(titles)
            .select(Tab::ALL.iter().position(|tab| *tab == d.tab))
            .highlight_style(t.selected)
            .padding("", "")
            .divider(" ")
    }

    fn count(&self, tab: Tab) -> String {
        fn n<T>(l: &Loadable<Vec<T>>) -> String {
            match l {
                Loadable::Loading => "…".into(),
                Loadable::Ready(v) => v.len().to_string(),
                Loadable::Failed(_) => "!".into(),
                Loadable::Unavailable(_) => "–".into(),
            }
        }
        let d = self.detail;
        match tab {
            Tab::Timeline => n(&d.timeline),
            Tab::Updates => n(&d.updates),
            Tab::Actions => n(&d.actions),
            Tab::Exceptions => n(&d.exceptions),
            Tab::Links => n(&self.links),
        }
    }
}

impl Widget for DetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = Block::new().padding(Padding::horizontal(1)).inner(area);
        let w = area.width as usize;
        let Some(inc) = self.incident else {
            let gone = format!("{} is not on this server.", self.detail.id);
            return fit_spans([Span::styled(gone, self.theme.error)], w).render(area, buf);
        };
        let [title, fields, _, tab_bar, body] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(7),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        self.title(inc, w).render(title, buf);
        Paragraph::new(self.fields(inc, w)).render(fields, buf);
        self.tabs(w).render(tab_bar, buf);
        tabs::body(&self, body, buf);
    }
}

/// The hosted/self-hosted boundary, spelled out.
fn recovery(inc: &Incident) -> String {
    let dep = match inc.deployment {
        Deployment::Hosted => "hosted",
        Deployment::SelfHosted => "self-hosted",
    };
    let owner = match inc.recovery_owner {
        RecoveryOwner::Vendor => "vendor (us)",
        RecoveryOwner::Customer => "the customer",
    };
    format!("{dep}; recovery owned by {owner}")
}
