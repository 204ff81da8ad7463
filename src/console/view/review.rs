//! The review view: what a review meeting looks at, as charts. Drawn from the figures the
//! review state holds (computed once per load by `crate::review::figures`, the same
//! figures `sitrep evidence` writes), so drawing only lays them out.
use super::fmt::fit_spans;
use crate::console::state::State;
use crate::console::state::review::Review;
use crate::console::theme::Theme;
use crate::domain::Severity;
use crate::review::PeriodFigures;
use crate::review::figures::Mean;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Padding, Paragraph, Sparkline, Widget,
};

/// Bars in ASCII mode: heights told apart by the glyph (the frame's ASCII pass would turn
/// every partial block into `#`).
const ASCII_BARS: symbols::bar::Set = symbols::bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "=",
    five_eighths: "=",
    half: "-",
    three_eighths: "-",
    one_quarter: ".",
    one_eighth: ".",
    empty: " ",
};

fn bars(t: &Theme) -> symbols::bar::Set<'static> {
    if t.ascii {
        ASCII_BARS
    } else {
        symbols::bar::NINE_LEVELS
    }
}

/// A duration in at most four columns: 45s, 12m, 3h05, 2d4h.
pub fn short(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86400 {
        format!("{}h{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d{}h", s / 86400, (s % 86400) / 3600)
    }
}

fn panel<'a>(title: &'a str, t: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.dim)
        .title(Line::styled(title, t.column_title))
}

pub fn render(state: &State, area: Rect, buf: &mut Buffer) {
    ReviewView::new(state).render(area, buf);
}

/// The review screen over the review state: its period, its figures once loaded, and
/// whether a load is running or failed.
pub struct ReviewView<'a> {
    theme: &'a Theme,
    review: &'a Review,
}

impl<'a> ReviewView<'a> {
    pub fn new(state: &'a State) -> Self {
        ReviewView {
            theme: &state.settings.theme,
            review: &state.ui.review,
        }
    }

    /// The heading: the period and its totals, or what is keeping them.
    fn heading(&self) -> String {
        let r = self.review;
        let Some(f) = r.figures.as_deref() else {
            return match &r.error {
                Some(e) => format!("Review: could not load the last {}d: {e}", r.days),
                None => format!("Review: loading the last {} days…", r.days),
            };
        };
        let tot = &f.totals;
        let mut title = format!(
            "Review {} to {} ({}d): {} incidents, {} customer-impacting",
            f.period.from, f.period.to, r.days, tot.incidents, tot.customer_impacting
        );
        if r.loading {
            title.push_str("  (updating)");
        } else if let Some(e) = &r.error {
            title.push_str(&format!("  (update failed: {e})"));
        }
        title
    }
}

impl Widget for ReviewView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let [heading, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let heading = Block::new().padding(Padding::left(1)).inner(heading);
        fit_spans(
            [Span::styled(self.heading(), t.title)],
            heading.width as usize,
        )
        .render(heading, buf);
        let Some(f) = self.review.figures.as_deref() else {
            return;
        };
        let tot = &f.totals;
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Min(4),
        ])
        .areas(body);
        let thirds = |a: Rect| {
            Layout::horizontal([
                Constraint::Percentage(36),
                Constraint::Percentage(32),
                Constraint::Percentage(32),
            ])
            .split(a)
        };
        let row = thirds(top);
        weeks(f, t, row[0], buf);
        means(
            "MTTA vs target",
            f.by_severity.iter().map(|s| (s.severity, s.acknowledge)),
            t,
            row[1],
            buf,
        );
        means(
            "MTTR vs target",
            f.by_severity.iter().map(|s| (s.severity, s.recovery)),
            t,
            row[2],
            buf,
        );
        let row = thirds(middle);
        means(
            "1st cust. update/policy",
            f.by_severity.iter().map(|s| (s.severity, s.first_update)),
            t,
            row[0],
            buf,
        );
        counts(
            "Update cadence",
            &[
                ("kept", tot.cadence_kept, t.live),
                ("missed", tot.cadence_missed, t.overdue),
            ],
            t,
            row[1],
            buf,
        );
        counts(
            "Corrective actions",
            &[
                ("on time", tot.actions_on_time, t.live),
                ("late", tot.actions_late, t.due_soon),
                ("overdue", tot.actions_overdue, t.overdue),
                ("open", tot.actions_open, t.base),
            ],
            t,
            row[2],
            buf,
        );
        exceptions(f, t, bottom, buf);
    }
}

/// Incidents per week, one sparkline per severity, with the period's count.
fn weeks(f: &PeriodFigures, t: &Theme, area: Rect, buf: &mut Buffer) {
    let block = panel("Incidents per week", t);
    let inner = block.inner(area);
    block.render(area, buf);
    let spark_w = inner.width.saturating_sub(10) as usize;
    // The most recent weeks that fit.
    let shown = &f.weeks[f.weeks.len().saturating_sub(spark_w)..];
    let max = shown
        .iter()
        .flat_map(|w| w.by_severity)
        .max()
        .unwrap_or(0)
        .max(1);
    for (i, sev) in Severity::ALL.iter().enumerate().take(inner.height as usize) {
        let row = Rect {
            y: inner.y + i as u16,
            height: 1,
            ..inner
        };
        let [label, spark, total] = Layout::horizontal([
            Constraint::Length(5),
            Constraint::Length(spark_w as u16),
            Constraint::Length(5),
        ])
        .areas(row);
        fit_spans([Span::styled(sev.as_str(), t.severity(*sev))], 5).render(label, buf);
        let data: Vec<u64> = shown.iter().map(|w| u64::from(w.by_severity[i])).collect();
        Sparkline::default()
            .data(&data)
            .max(u64::from(max))
            .bar_set(bars(t))
            .style(t.severity(*sev))
            .render(spark, buf);
        let n: u32 = f.weeks.iter().map(|w| w.by_severity[i]).sum();
        fit_spans([Span::styled(format!("{n:>4}"), t.base)], 5).render(total, buf);
    }
}

/// The mean as a percentage of its target, capped at twice it: each severity's bar is
/// scaled to its own target (half the width), so a SEV1 minute and a SEV4 day compare.
fn of_target(m: &Mean) -> u64 {
    match (m.mean_secs, m.target_secs) {
        (Some(v), Some(t)) if t > 0 => (v.max(0) * 100 / t).min(200) as u64,
        _ => 0,
    }
}

/// Mean per severity as a horizontal bar against the target: `12m/15m`, with `!` when the
/// mean misses it (so the miss reads without colour).
fn means(
    title: &str,
    rows: impl Iterator<Item = (Severity, Mean)>,
    t: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let rows: Vec<(Severity, Mean)> = rows.collect();
    let bars_: Vec<Bar> = rows
        .iter()
        .map(|(sev, m)| {
            let target = m.target_secs.map_or("-".into(), short);
            let (text, style) = match m.mean_secs {
                None => ("-".to_string(), t.dim),
                Some(v) if m.target_secs.is_some_and(|tg| v > tg) => {
                    (format!("{}/{target}!", short(v)), t.overdue)
                }
                Some(v) => (format!("{}/{target}", short(v)), t.live),
            };
            // The figure goes in the label: a value drawn over a short bar would hide it.
            Bar::with_label(format!("S{} {text:<11}", sev.level()), of_target(m))
                .text_value(String::new())
                .style(style)
        })
        .collect();
    BarChart::default()
        .block(panel(title, t))
        .direction(Direction::Horizontal)
        .data(BarGroup::new(bars_))
        .bar_width(1)
        .bar_gap(0)
        .max(200)
        .bar_set(bars(t))
        .label_style(t.base)
        .render(area, buf);
}

/// Counts as horizontal bars, labelled, the count written after the label.
fn counts(title: &str, rows: &[(&str, u32, Style)], t: &Theme, area: Rect, buf: &mut Buffer) {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bars_: Vec<Bar> = rows
        .iter()
        .map(|(label, n, style)| {
            Bar::with_label(format!("{label} {n}"), u64::from(*n))
                .text_value(String::new())
                .style(*style)
        })
        .collect();
    BarChart::default()
        .block(panel(title, t))
        .direction(Direction::Horizontal)
        .data(BarGroup::new(bars_))
        .bar_width(1)
        .bar_gap(0)
        .max(u64::from(max))
        .bar_set(bars(t))
        .label_style(t.base)
        .render(area, buf);
}

/// Open exceptions by remediation date: a bar per week ahead, and the soonest named.
fn exceptions(f: &PeriodFigures, t: &Theme, area: Rect, buf: &mut Buffer) {
    let [chart, list] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let today = f.generated_at.date_naive();
    let week_of = |d: chrono::NaiveDate| ((d - today).num_days().max(0) / 7) as usize;
    let n = 8usize;
    let mut per_week = vec![0u64; n];
    for e in &f.open_exceptions {
        per_week[week_of(e.remediation_due.date_naive()).min(n - 1)] += 1;
    }
    let bars_: Vec<Bar> = per_week
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let label = if i == n - 1 {
                format!("{i}+")
            } else {
                format!("{i}")
            };
            Bar::with_label(label, *c)
                .style(t.due_soon)
                .value_style(t.base)
        })
        .collect();
    BarChart::default()
        .block(panel("Open exceptions: weeks to remediation", t))
        .data(BarGroup::new(bars_))
        .bar_width(3)
        .bar_gap(1)
        .bar_set(bars(t))
        .label_style(t.base)
        .render(chart, buf);
    let block = panel("Soonest remediation", t);
    let inner = block.inner(list);
    block.render(list, buf);
    let soonest: Vec<Line> = if f.open_exceptions.is_empty() {
        vec![Line::styled("no open exceptions", t.dim)]
    } else {
        f.open_exceptions
            .iter()
            .take(inner.height as usize)
            .map(|e| {
                let line = format!(
                    "{} {} {} by {}",
                    e.remediation_due.format("%Y-%m-%d"),
                    e.id,
                    e.incident_id,
                    e.risk_accepted_by
                );
                fit_spans([Span::styled(line, t.base)], inner.width as usize)
            })
            .collect()
    };
    Paragraph::new(soonest).render(inner, buf);
}
