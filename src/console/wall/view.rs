//! The wallboard: a pure function of `&State`, the wall's options and the clock. Which page
//! shows and where the layout sits (the burn-in shift) follow from `state.sync.now`, so a fixed
//! clock gives a fixed picture.
use super::bigtext;
use super::redact;
use crate::console::state::{Conn, State, due};
use crate::console::view::fmt::put;
use crate::console::view::fmt::{self, Urgency};
use crate::domain::{Incident, Phase, Severity};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders, Widget};

/// The wall's own flags (`sitrep wall`, `sitrep demo --wall`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WallOptions {
    /// Mask customer names and free text (titles, impact scope; names become initials)
    /// for screens in shared spaces. Ids, severities, phases, roles and timers stay.
    #[arg(long)]
    pub redact: bool,
    /// Ignore every key, even quit (for kiosks run under a supervisor; stop it with
    /// SIGTERM or SIGHUP).
    #[arg(long)]
    pub no_keys: bool,
}

/// Each page of tiles shows this long before the next.
pub const PAGE_SECS: i64 = 15;
/// The whole layout moves by one cell this often, in a square, against burn-in. Each move
/// repaints the whole screen (about 12 KB at 200x50), so not more often than this.
pub const SHIFT_SECS: i64 = 600;
const SHIFTS: [(u16, u16); 4] = [(0, 0), (1, 0), (1, 1), (0, 1)];

const TILE_W: u16 = 38;
const TILE_H: u16 = 6;

/// Where the layout sits at `now`: (dx, dy), each 0 or 1.
pub fn shift(now: DateTime<Utc>) -> (u16, u16) {
    SHIFTS[(now.timestamp().div_euclid(SHIFT_SECS) % 4) as usize]
}

/// Active SEV1/SEV2 incidents, the most overdue customer update first, then by severity,
/// the next update due soonest, and the longest running.
pub fn tiles(state: &State) -> Vec<&Incident> {
    let mut v: Vec<&Incident> = state
        .data
        .incidents
        .values()
        .filter(|i| i.phase.is_active() && i.severity <= Severity::Sev2)
        .collect();
    let now = state.sync.now;
    v.sort_by(|a, b| {
        let late = |i: &Incident| due(i).filter(|d| *d < now);
        match (late(a), late(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a
                .severity
                .cmp(&b.severity)
                .then_with(|| match (due(a), due(b)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }),
        }
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
    });
    v
}

fn worst_open(state: &State) -> Option<Severity> {
    Severity::ALL
        .iter()
        .copied()
        .find(|s| state.data.open_count(*s) > 0)
}

/// `t` without its seconds. The wall's minute-resolution timers count between whole
/// minutes, so they all change together on the minute: one redraw a minute when idle.
fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t - chrono::Duration::seconds(t.timestamp().rem_euclid(60))
}

/// Elapsed time at minute resolution, changing on the minute.
fn since(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    fmt::age(minute(now), t)
}

/// The wall's countdown, at minute resolution and changing only on the minute (`next in
/// 27m`, amber `next in 3m` under five minutes, red `OVERDUE 4m`): the colour carries the
/// urgency across a room, and an idle wall redraws once a minute (fewer bytes over SSH, a
/// calmer screen). The console keeps its seconds.
pub fn countdown(now: DateTime<Utc>, due: DateTime<Utc>) -> (String, Urgency) {
    let (_, urgency) = fmt::countdown(now, due);
    match urgency {
        Urgency::Normal | Urgency::Soon => {
            let left = due - minute(now);
            (format!("next in {}", fmt::age(now, now - left)), urgency)
        }
        Urgency::Overdue => (format!("OVERDUE {}", since(now, due)), urgency),
    }
}

/// The time the wall's countdowns and ages are drawn at: the clock, or once the data is
/// STALE, the moment it was last known to be current. A countdown that keeps running over
/// data nobody confirms would claim updates are on time that may have been posted, or missed.
fn counting_at(state: &State) -> DateTime<Utc> {
    if state.sync.is_stale() {
        state.sync.as_of.unwrap_or(state.sync.now)
    } else {
        state.sync.now
    }
}

pub fn render(state: &State, opts: &WallOptions, area: Rect, buf: &mut Buffer) {
    let t = &state.settings.theme;
    let now = counting_at(state);
    // Before the first load every count is unknown: a 0 would look calm.
    let known = state.sync.loaded;
    if area.width < 40 || area.height < 12 {
        put(
            buf,
            area.x,
            area.y,
            "sitrep wall needs at least 40x12",
            area.width,
            t.base,
        );
        return;
    }
    let (dx, dy) = shift(state.sync.now);
    let area = Rect::new(area.x + dx, area.y + dy, area.width - 1, area.height - 1);
    let worst = worst_open(state);
    let frame_style = match worst {
        Some(s) => t.severity(s),
        None => t.live,
    };
    let conn = conn_label(state);
    let right_title = format!(" {} │ {} UTC ", conn.0, state.sync.now.format("%H:%M"));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(frame_style)
        .title(format!(" SITREP WALL │ {} ", state.settings.backend))
        .title(
            ratatui::text::Line::from(right_title)
                .right_aligned()
                .style(conn.1),
        );
    let inner = block.inner(area);
    block.render(area, buf);

    // Counts band: label row, then big digits.
    let scale = if inner.height >= 80 && inner.width >= 200 {
        3
    } else if inner.height >= 40 && inner.width >= 120 {
        2
    } else {
        1
    };
    let band_h = 1 + bigtext::height(scale);
    let slot_w = inner.width / 4;
    for (i, sev) in Severity::ALL.iter().copied().enumerate() {
        let x = inner.x + slot_w * i as u16 + 1;
        let n = state.data.open_count(sev);
        let style = if n > 0 { t.severity(sev) } else { t.dim };
        put(
            buf,
            x,
            inner.y,
            &format!("{sev} open"),
            slot_w - 1,
            style.add_modifier(Modifier::BOLD),
        );
        let slot = Rect::new(x, inner.y + 1, slot_w.saturating_sub(1), band_h - 1);
        if known {
            bigtext::draw(buf, slot, x, inner.y + 1, n, scale, style);
        } else {
            put(
                buf,
                x,
                inner.y + 1,
                "? (no data)",
                slot.width,
                t.reconnecting,
            );
        }
    }
    let mut y = inner.y + band_h;

    // The loudest line: the most overdue customer update.
    let list = tiles(state);
    let overdue: Vec<&Incident> = state
        .data
        .incidents
        .values()
        .filter(|i| due(i).is_some_and(|d| d < now))
        .collect();
    let most_overdue = overdue
        .iter()
        .min_by_key(|i| (due(i), i.id.clone()))
        .copied();
    if let Some(inc) = most_overdue {
        let (late, _) = countdown(now, due(inc).unwrap_or(now));
        let more = if overdue.len() > 1 {
            format!("  (+{} more overdue)", overdue.len() - 1)
        } else {
            String::new()
        };
        let line = format!(
            " ⚠ {} {} customer update {late}: {}{more} ",
            inc.severity,
            inc.id,
            redact::text(&inc.title, opts.redact)
        );
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), t.overdue);
        put(buf, inner.x, y, &line, inner.width, t.overdue);
    } else if !known {
        put(
            buf,
            inner.x + 1,
            y,
            "No data yet: customer updates unknown",
            inner.width,
            t.reconnecting,
        );
    } else if worst.is_none() {
        put(
            buf,
            inner.x + 1,
            y,
            "No open incidents",
            inner.width,
            t.title,
        );
    } else {
        put(
            buf,
            inner.x + 1,
            y,
            "No customer update overdue",
            inner.width,
            t.dim,
        );
    }
    y += 1;

    // Tiles, in pages.
    let foot_y = inner.bottom().saturating_sub(1);
    let tiles_area = Rect::new(inner.x, y, inner.width, foot_y.saturating_sub(y));
    let cols = (tiles_area.width / TILE_W).max(1);
    let rows = tiles_area.height / TILE_H;
    let per_page = usize::from(cols * rows).max(1);
    let pages = list.len().div_ceil(per_page).max(1);
    let page = (state.sync.now.timestamp().div_euclid(PAGE_SECS) as usize) % pages;
    let tile_w = tiles_area.width / cols;
    if rows > 0 {
        for (k, inc) in list.iter().skip(page * per_page).take(per_page).enumerate() {
            let k = k as u16;
            let r = Rect::new(
                tiles_area.x + (k % cols) * tile_w,
                tiles_area.y + (k / cols) * TILE_H,
                tile_w.saturating_sub(1),
                TILE_H,
            );
            let stands_out = most_overdue.is_some_and(|m| m.id == inc.id);
            tile(state, opts, now, inc, r, stands_out, buf);
        }
    }
    if list.is_empty() && state.sync.loaded {
        put(
            buf,
            inner.x + 1,
            y,
            "No active SEV1 or SEV2 incidents",
            inner.width,
            t.dim,
        );
    }
    let mut foot = if known {
        format!(
            " {} active SEV1/SEV2 │ {} open │ {} update{} overdue ",
            list.len(),
            Severity::ALL
                .iter()
                .map(|s| state.data.open_count(*s))
                .sum::<usize>(),
            overdue.len(),
            if overdue.len() == 1 { "" } else { "s" }
        )
    } else {
        " no data yet: counts unknown ".to_string()
    };
    if let Conn::Reconnecting { since, .. } = &state.sync.conn
        && state.sync.is_stale()
    {
        foot = format!(
            " STALE since {}: countdowns stopped at {} │{foot}",
            fmt::hms(*since),
            fmt::hms(now)
        );
    }
    if pages > 1 {
        foot.push_str(&format!("│ page {}/{} ", page + 1, pages));
    }
    if opts.redact {
        foot.push_str("│ REDACTED ");
    }
    put(buf, inner.x, foot_y, &foot, inner.width, t.dim);
    if !opts.no_keys {
        let hint = " q quit ";
        let w = hint.len() as u16;
        if inner.width > w + fmt::width(&foot) as u16 {
            put(buf, inner.right() - w, foot_y, hint, w, t.dim);
        }
    }
}

fn conn_label(state: &State) -> (String, Style) {
    let t = &state.settings.theme;
    let as_of = state
        .sync
        .as_of
        .map(|a| format!(" as of {}", fmt::hms(a)))
        .unwrap_or_default();
    match &state.sync.conn {
        Conn::Live => ("LIVE".into(), t.live),
        Conn::Connecting => ("CONNECTING".into(), t.reconnecting),
        Conn::Reconnecting { .. } if state.sync.is_stale() => (format!("STALE{as_of}"), t.stale),
        Conn::Reconnecting { .. } => (format!("RECONNECTING{as_of}"), t.reconnecting),
    }
}

#[allow(clippy::too_many_arguments)]
fn tile(
    state: &State,
    opts: &WallOptions,
    now: DateTime<Utc>,
    inc: &Incident,
    r: Rect,
    stands_out: bool,
    buf: &mut Buffer,
) {
    let t = &state.settings.theme;
    let sev = t.severity(inc.severity);
    let mut block = Block::new()
        .borders(Borders::ALL)
        .border_style(if stands_out { t.overdue } else { sev });
    if stands_out {
        block = block
            .border_type(BorderType::Double)
            .title(ratatui::text::Line::from(" MOST OVERDUE ").style(t.overdue));
    }
    let inner = block.inner(r);
    block.render(r, buf);
    let w = inner.width;
    let (x, mut y) = (inner.x + 1, inner.y);
    let w1 = w.saturating_sub(2);
    // Row 1: severity, id, phase; age on the right.
    let age = format!("up {}", since(now, inc.created_at));
    let mut cx = put(
        buf,
        x,
        y,
        &inc.severity.to_string(),
        w1,
        sev.add_modifier(Modifier::BOLD),
    );
    cx = put(
        buf,
        cx + 1,
        y,
        &inc.id,
        (x + w1).saturating_sub(cx + 1),
        t.title,
    );
    put(
        buf,
        cx + 1,
        y,
        fmt::phase_plain(inc.phase),
        (x + w1).saturating_sub(cx + 1 + age.len() as u16 + 1),
        t.base,
    );
    put(
        buf,
        x + w1 - age.len() as u16,
        y,
        &age,
        age.len() as u16,
        t.base,
    );
    y += 1;
    // Row 2: title.
    put(
        buf,
        x,
        y,
        &redact::text(&inc.title, opts.redact),
        w1,
        t.title,
    );
    y += 1;
    // Row 3: commander.
    match &inc.commander {
        Some(c) => put(
            buf,
            x,
            y,
            &format!("IC {}", redact::person(c, opts.redact)),
            w1,
            t.base,
        ),
        None => put(buf, x, y, "IC unassigned", w1, t.due_soon),
    };
    y += 1;
    // Row 4: customer updates.
    if inc.customer_impact && inc.phase < Phase::FollowThrough {
        let last = match inc.last_customer_update_at {
            Some(at) => format!("upd {} ago", since(now, at)),
            None => "no upd yet".into(),
        };
        let cx = put(buf, x, y, &last, w1, t.base);
        if let Some(d) = due(inc) {
            let (text, urgency) = countdown(now, d);
            let style = match urgency {
                Urgency::Normal => t.base,
                Urgency::Soon => t.due_soon,
                Urgency::Overdue => t.overdue,
            };
            let tw = fmt::width(&text) as u16;
            if x + w1 >= cx + 1 + tw {
                put(buf, x + w1 - tw, y, &text, tw, style);
            }
        }
    } else {
        put(buf, x, y, "no customer updates owed", w1, t.dim);
    }
}
