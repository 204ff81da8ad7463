//! One incident: what is hit, who owns recovery, who leads, and tabs for its timeline,
//! status updates, corrective actions and exceptions (fetched when the detail opens).
use super::fmt::put;
use super::fmt::{Urgency, age_at, countdown_at, when, width, wrap_hanging};
use crate::console::intent::Intent;
use crate::console::keymap::Mode;
use crate::console::state::{Detail, Loadable, State, Tab, due};
use crate::domain::{Deployment, Incident, RecoveryOwner};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

pub fn render(state: &State, d: &Detail, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let (x0, w) = (area.x + 1, area.width.saturating_sub(2));
    let mut y = area.y;
    let Some(inc) = state.data.incidents.get(&d.id) else {
        put(
            buf,
            x0,
            y,
            &format!("{} is not on this server.", d.id),
            w,
            t.error,
        );
        return;
    };
    // Title row.
    let mut x = put(
        buf,
        x0,
        y,
        inc.severity.as_str(),
        w,
        t.severity(inc.severity),
    );
    x = put(buf, x + 1, y, &inc.id, x0 + w - x - 1, t.title);
    x = put(
        buf,
        x + 1,
        y,
        &format!("[{}]", inc.phase.title()),
        x0 + w - x - 1,
        t.column_title,
    );
    put(
        buf,
        x + 1,
        y,
        &inc.title,
        (x0 + w).saturating_sub(x + 1),
        t.title,
    );
    y += 1;

    let label_w = 17;
    let mut field = |y: &mut u16, label: &str, value: &str, style: Style| {
        put(buf, x0, *y, label, label_w, t.dim);
        put(buf, x0 + label_w, *y, value, w - label_w, style);
        *y += 1;
    };
    let impact = if inc.customer_impact { "yes" } else { "no" };
    field(&mut y, "Impact scope", or_dash(&inc.impact_scope), t.base);
    let (next, style) = match due(inc) {
        Some(dd) => {
            let (s, u) = countdown_at(state.sync.now, dd, state.settings.seconds);
            let style = match u {
                Urgency::Overdue => t.overdue,
                Urgency::Soon => t.due_soon,
                Urgency::Normal => t.base,
            };
            (format!("{impact}; next customer update {s}"), style)
        }
        None => (impact.to_string(), t.base),
    };
    field(&mut y, "Customer impact", &next, style);
    field(&mut y, "Deployment", &recovery(inc), t.base);
    let commander = inc.commander.as_deref().unwrap_or("unassigned");
    field(
        &mut y,
        "Commander",
        commander,
        if inc.commander.is_some() {
            t.base
        } else {
            t.due_soon
        },
    );
    let roles = if inc.roles.is_empty() {
        "—".to_string()
    } else {
        inc.roles
            .iter()
            .map(|(r, p)| format!("{}: {p}", r.replace('_', " ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    field(&mut y, "Roles", &roles, t.base);
    let started = format!(
        "{} UTC ({} ago), source {}",
        inc.created_at.format("%Y-%m-%d %H:%M"),
        age_at(state.sync.now, inc.created_at, state.settings.seconds),
        inc.source
    );
    field(&mut y, "Started", &started, t.base);
    let summary = inc.summary.lines().next().unwrap_or("");
    field(&mut y, "Summary", or_dash(summary), t.base);
    y += 1;

    // Tabs: their full titles when all fit, else the short ones (80 columns).
    let labels = |title: fn(Tab) -> &'static str| -> Vec<String> {
        Tab::ALL
            .iter()
            .map(|tab| format!(" {} ({}) ", title(*tab), count(d, *tab)))
            .collect()
    };
    let mut tabs = labels(Tab::title);
    if tabs.iter().map(|l| width(l) + 1).sum::<usize>() > w as usize {
        tabs = labels(Tab::short_title);
    }
    let mut x = x0;
    for (tab, label) in Tab::ALL.iter().zip(&tabs) {
        let style = if *tab == d.tab { t.selected } else { t.dim };
        x = put(buf, x, y, label, (x0 + w).saturating_sub(x), style) + 1;
    }
    y += 1;
    let body = Rect::new(x0, y, w, area.bottom().saturating_sub(y));
    let now = state.sync.now;
    match d.tab {
        Tab::Timeline => lines(state, &d.timeline, d.scroll, true, body, buf, |e| {
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
        }),
        Tab::Updates => lines(state, &d.updates, d.scroll, false, body, buf, |u| {
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
        }),
        Tab::Actions => lines(state, &d.actions, d.scroll, false, body, buf, |a| {
            // The top row is the one enter (edit) and space (status) act on.
            let target = match &d.actions {
                crate::console::state::Loadable::Ready(l) => {
                    l.get(d.scroll).is_some_and(|x| x.id == a.id)
                }
                _ => false,
            };
            let mark = if target && !state.settings.writes_disabled() {
                "› "
            } else {
                "  "
            };
            let overdue = if a.status.is_open() && a.due_date < state.sync.now.date_naive() {
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
        }),
        Tab::Links => {
            let links = d.links();
            if matches!(&links, Loadable::Ready(l) if l.is_empty()) {
                let why = "No links: no Alertmanager signal with a runbook, dashboard or \
                           source URL is attached to this incident.";
                for (y, row) in (body.y..body.bottom()).zip(super::fmt::wrap(why, w as usize)) {
                    put(buf, body.x, y, &row, body.width, t.dim);
                }
                return;
            }
            let body = match (
                &links,
                state.settings.keymap.key_for(Mode::Detail, Intent::Copy),
            ) {
                (Loadable::Ready(l), Some(key)) if !l.is_empty() && body.height > 2 => {
                    let down = state
                        .settings
                        .keymap
                        .key_for(Mode::Detail, Intent::MoveDown)
                        .map(|k| format!(", {k} the next"))
                        .unwrap_or_default();
                    put(
                        buf,
                        body.x,
                        body.y,
                        &format!(
                            "{key} copies the marked link{down}; from the incident's monitoring signals"
                        ),
                        body.width,
                        t.dim,
                    );
                    Rect {
                        y: body.y + 1,
                        height: body.height - 1,
                        ..body
                    }
                }
                _ => body,
            };
            lines(state, &links, d.scroll, false, body, buf, |l| {
                let marked = match &links {
                    Loadable::Ready(v) => v.get(d.scroll).is_some_and(|x| x.url == l.url),
                    _ => false,
                };
                let mark = if marked { "› " } else { "  " };
                let from = if l.alert.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", l.alert)
                };
                vec![format!("{mark}{}{from}", l.label), format!("    {}", l.url)]
            })
        }
        Tab::Exceptions => lines(state, &d.exceptions, d.scroll, false, body, buf, |e| {
            vec![
                format!("{}  {}", e.id, e.description),
                format!(
                    "  risk accepted by {}, remediate by {}, recorded by {}",
                    e.risk_accepted_by,
                    e.remediation_due.format("%Y-%m-%d"),
                    e.recorded_by
                ),
            ]
        }),
    }
}

/// Timestamps in timeline values read as times (with the date when not today); anything
/// else as it is.
fn value(now: chrono::DateTime<chrono::Utc>, v: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(v) {
        Ok(t) => format!("{} UTC", when(now, t.with_timezone(&chrono::Utc))),
        Err(_) => or_dash(v).to_string(),
    }
}

fn or_dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
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

fn count(d: &Detail, tab: Tab) -> String {
    fn n<T>(l: &Loadable<Vec<T>>) -> String {
        match l {
            Loadable::Loading => "…".into(),
            Loadable::Ready(v) => v.len().to_string(),
            Loadable::Failed(_) => "!".into(),
            Loadable::Unavailable(_) => "–".into(),
        }
    }
    match tab {
        Tab::Timeline => n(&d.timeline),
        Tab::Updates => n(&d.updates),
        Tab::Actions => n(&d.actions),
        Tab::Exceptions => n(&d.exceptions),
        Tab::Links => n(&d.links()),
    }
}

/// Draws a loadable list, one or more lines per item, from item `scroll` on (counted from
/// the newest when `newest_first`). Lines wrap, indented under their first; a last row
/// says how many items are below the fold.
#[allow(clippy::too_many_arguments)]
fn lines<T>(
    state: &State,
    l: &Loadable<Vec<T>>,
    scroll: usize,
    newest_first: bool,
    area: Rect,
    buf: &mut Buffer,
    render: impl Fn(&T) -> Vec<String>,
) {
    let t = &state.settings.theme;
    let items = match l {
        Loadable::Loading => {
            put(buf, area.x, area.y, "Loading…", area.width, t.dim);
            return;
        }
        Loadable::Unavailable(why) => {
            put(buf, area.x, area.y, why, area.width, t.dim);
            return;
        }
        Loadable::Failed(e) => {
            put(
                buf,
                area.x,
                area.y,
                &format!("Could not load: {e}"),
                area.width,
                t.error,
            );
            return;
        }
        Loadable::Ready(v) => v,
    };
    if items.is_empty() {
        put(buf, area.x, area.y, "None.", area.width, t.dim);
        return;
    }
    let order: Box<dyn Iterator<Item = &T>> = if newest_first {
        Box::new(items.iter().rev())
    } else {
        Box::new(items.iter())
    };
    let width = area.width as usize;
    let mut y = area.y;
    for (i, item) in order.enumerate().skip(scroll) {
        // Each item's rows, wrapped; continuation rows indent under the text.
        let mut rows = Vec::new();
        for line in render(item) {
            let indent = line.len() - line.trim_start().len();
            rows.extend(wrap_hanging(&line, width, indent + 2));
        }
        // Leave the last row for the marker unless this item is the last.
        let last = i + 1 == items.len();
        let room = area.bottom().saturating_sub(y) as usize;
        if rows.len() > room || (!last && rows.len() == room) {
            let below = items.len() - i;
            let mark = if newest_first {
                format!("↓ {below} older below (j to scroll)")
            } else {
                format!("↓ {below} more below (j to scroll)")
            };
            if y < area.bottom() {
                put(buf, area.x, area.bottom() - 1, &mark, area.width, t.dim);
            }
            return;
        }
        for (k, row) in rows.iter().enumerate() {
            let style = if i == scroll && k == 0 && scroll > 0 {
                t.title
            } else {
                t.base
            };
            put(buf, area.x, y, row, area.width, style);
            y += 1;
        }
    }
}
