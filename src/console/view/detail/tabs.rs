//! What each detail tab shows: its entries as text rows, drawn by [`Entries`].
use super::entries::Entries;
use super::model::{DetailView, or_dash};
use crate::console::intent::Intent;
use crate::console::keymap::Mode;
use crate::console::state::Loadable;
use crate::console::state::Tab;
use crate::console::view::fmt::{fit_spans, when};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Draws the open tab's body into `area`.
pub fn body(v: &DetailView, area: Rect, buf: &mut Buffer) {
    let d = v.detail;
    let state = v.state;
    let t = v.theme;
    let now = state.sync.now;
    let (theme, scroll) = (t, d.scroll);
    match d.tab {
        Tab::Timeline => Entries {
            theme,
            items: &d.timeline,
            scroll,
            newest_first: true,
            rows: |e: &crate::domain::TimelineEntry| {
                // A note says which record changed ("customer update UPD-7", "ACT-1: …"); a
                // field change says from what to what. An action's change has both.
                let change = match (&e.field, &e.old, &e.new) {
                    (Some(f), Some(o), Some(n)) => Some(format!(
                        "{}: {} → {}",
                        f.replace('_', " "),
                        value(now, o),
                        value(now, n)
                    )),
                    // A scribe's note about something earlier: when it happened.
                    (Some(f), None, Some(n)) if f == "happened_at" => {
                        Some(format!("happened at {}", value(now, n)))
                    }
                    (Some(f), None, Some(n)) => {
                        Some(format!("{}: {}", f.replace('_', " "), value(now, n)))
                    }
                    _ => None,
                };
                let what = match (&e.note, change) {
                    (Some(n), Some(c)) => format!("{n} — {c}"),
                    (Some(n), None) => n.clone(),
                    (None, Some(c)) => c,
                    (None, None) => e.kind.replace('_', " "),
                };
                let mut s = format!("{}  {:<12} {what}", when(now, e.at), e.actor);
                if let Some(r) = &e.reason {
                    s.push_str(&format!("  (reason: {r})"));
                }
                vec![s]
            },
        }
        .render(area, buf),
        Tab::Updates => Entries {
            theme,
            items: &d.updates,
            scroll,
            newest_first: false,
            rows: |u: &crate::domain::StatusUpdate| {
                let due = u
                    .next_update_due_at
                    .map(|t| format!(", next due {} UTC", when(now, t)))
                    .unwrap_or_default();
                vec![
                    format!(
                        "{} UTC  {} update by {}{due}",
                        when(now, u.posted_at),
                        u.audience,
                        u.author
                    ),
                    format!("  Impact: {}", or_dash(&u.impact_scope)),
                    format!("  Status: {}", u.current_status),
                    format!("  Next:   {}", or_dash(&u.next_steps)),
                ]
            },
        }
        .render(area, buf),
        Tab::Actions => {
            // The top row is the one enter (edit) and space (status) act on.
            let target = match &d.actions {
                Loadable::Ready(l) => l.get(d.scroll).map(|a| a.id.as_str()),
                _ => None,
            };
            let marks = !state.settings.writes_disabled();
            Entries {
                theme,
                items: &d.actions,
                scroll,
                newest_first: false,
                rows: |a: &crate::domain::CorrectiveAction| {
                    let mark = if marks && target == Some(a.id.as_str()) {
                        "› "
                    } else {
                        "  "
                    };
                    let overdue = if a.status.is_open() && a.due_date < now.date_naive() {
                        "OVERDUE "
                    } else {
                        ""
                    };
                    vec![format!(
                        "{mark}{}  {overdue}{:<11} due {}  {}  — {}",
                        a.id,
                        a.status.as_str().replace('_', " "),
                        a.due_date,
                        a.owner,
                        a.title
                    )]
                },
            }
            .render(area, buf)
        }
        Tab::Links => links(v, area, buf),
        Tab::Exceptions => Entries {
            theme,
            items: &d.exceptions,
            scroll,
            newest_first: false,
            rows: |e: &crate::domain::RiskException| {
                vec![
                    format!("{}  {}", e.id, e.description),
                    format!(
                        "  risk accepted by {}, remediate by {}, recorded by {}",
                        e.risk_accepted_by,
                        e.remediation_due.format("%Y-%m-%d"),
                        e.recorded_by
                    ),
                ]
            },
        }
        .render(area, buf),
    }
}

/// The links on the incident's monitoring signals, the marked one (which the copy key
/// copies) first, under a line saying which keys copy and move.
fn links(v: &DetailView, area: Rect, buf: &mut Buffer) {
    let (d, t, keymap) = (v.detail, v.theme, &v.state.settings.keymap);
    if matches!(&v.links, Loadable::Ready(l) if l.is_empty()) {
        let why = "No links: no Alertmanager signal with a runbook, dashboard or source URL \
                   is attached to this incident.";
        // Styled as a span, not as the paragraph: the rows below it stay unstyled.
        return Paragraph::new(Span::styled(why, t.dim))
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
    let area = match (&v.links, keymap.key_for(Mode::Detail, Intent::Copy)) {
        (Loadable::Ready(l), Some(key)) if !l.is_empty() && area.height > 2 => {
            let down = keymap
                .key_for(Mode::Detail, Intent::MoveDown)
                .map(|k| format!(", {k} the next"))
                .unwrap_or_default();
            let hint = format!(
                "{key} copies the marked link{down}; from the incident's monitoring signals"
            );
            fit_spans([Span::styled(hint, t.dim)], area.width as usize).render(area, buf);
            Rect {
                y: area.y + 1,
                height: area.height - 1,
                ..area
            }
        }
        _ => area,
    };
    let marked = match &v.links {
        Loadable::Ready(l) => l.get(d.scroll).map(|l| l.url.as_str()),
        _ => None,
    };
    Entries {
        theme: t,
        items: &v.links,
        scroll: d.scroll,
        newest_first: false,
        rows: |l: &crate::client::Link| {
            let mark = if marked == Some(l.url.as_str()) {
                "› "
            } else {
                "  "
            };
            let from = if l.alert.is_empty() {
                String::new()
            } else {
                format!("  ({})", l.alert)
            };
            vec![format!("{mark}{}{from}", l.label), format!("    {}", l.url)]
        },
    }
    .render(area, buf)
}

/// Timestamps in timeline values read as times (with the date when not today); anything
/// else as it is.
fn value(now: DateTime<Utc>, v: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(v) {
        Ok(t) => format!("{} UTC", when(now, t.with_timezone(&Utc))),
        Err(_) => or_dash(v).to_string(),
    }
}
