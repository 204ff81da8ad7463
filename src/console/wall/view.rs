//! The wallboard: a pure function of `&State`, the wall's options and the clock. Which page
//! shows and where the layout sits (the burn-in shift) follow from `state.sync.now`, so a fixed
//! clock gives a fixed picture.
mod minutes;
mod tile;

use super::bigtext::{self, BigNumber};
use super::redact;
use crate::console::state::{Conn, State, due};
use crate::console::theme::Theme;
use crate::console::view::fmt::{self, fit_spans};
use crate::domain::{Incident, Severity};
use chrono::{DateTime, Utc};
pub use minutes::countdown;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Padding, Widget};
use tile::Tile;

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
    WallView::new(state, opts).render(area, buf);
}

/// The wall over the state: the time its timers count at, whether anything is known yet,
/// the tiles in order and the overdue customer updates, worked out once a frame.
pub struct WallView<'a> {
    state: &'a State,
    opts: &'a WallOptions,
    theme: &'a Theme,
    /// The clock, or the moment the data was last known current (see [`counting_at`]).
    now: DateTime<Utc>,
    /// Before the first load every count is unknown: a 0 would look calm.
    known: bool,
    tiles: Vec<&'a Incident>,
    overdue: Vec<&'a Incident>,
    most_overdue: Option<&'a Incident>,
    worst: Option<Severity>,
}

impl<'a> WallView<'a> {
    pub fn new(state: &'a State, opts: &'a WallOptions) -> Self {
        let now = counting_at(state);
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
        WallView {
            state,
            opts,
            theme: &state.settings.theme,
            now,
            known: state.sync.loaded,
            tiles: tiles(state),
            overdue,
            most_overdue,
            worst: worst_open(state),
        }
    }

    /// The outer frame: thick, in the colour of the worst open severity, with the
    /// backend, the connection and the clock in its titles.
    fn frame(&self) -> Block<'a> {
        let (state, t) = (self.state, self.theme);
        let frame_style = match self.worst {
            Some(s) => t.severity(s),
            None => t.live,
        };
        let conn = conn_label(state);
        let right_title = format!(" {} │ {} UTC ", conn.0, state.sync.now.format("%H:%M"));
        Block::new()
            .borders(Borders::ALL)
            .border_type(BorderType::Thick)
            .border_style(frame_style)
            .title(format!(" SITREP WALL │ {} ", state.settings.backend))
            .title(Line::from(right_title).right_aligned().style(conn.1))
    }

    /// Open counts per severity: a label row, then big digits (or "?" before any data).
    fn counts(&self, band: Rect, scale: u16, buf: &mut Buffer) {
        let t = self.theme;
        let slot_w = band.width / 4;
        for (i, sev) in Severity::ALL.iter().copied().enumerate() {
            let slot = Rect::new(
                band.x + slot_w * i as u16 + 1,
                band.y,
                slot_w.saturating_sub(1),
                band.height,
            );
            let [label, digits] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(slot);
            let n = self.state.data.open_count(sev);
            let style = if n > 0 { t.severity(sev) } else { t.dim };
            let text = format!("{sev} open");
            one(label, text, style.add_modifier(Modifier::BOLD), buf);
            if self.known {
                BigNumber { n, scale, style }.render(digits, buf);
            } else {
                one(digits, "? (no data)".into(), t.reconnecting, buf);
            }
        }
    }

    /// The loudest line: the most overdue customer update, or why there is none.
    fn loudest(&self, row: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let Some(inc) = self.most_overdue else {
            let (text, style) = if !self.known {
                ("No data yet: customer updates unknown", t.reconnecting)
            } else if self.worst.is_none() {
                ("No open incidents", t.title)
            } else {
                ("No customer update overdue", t.dim)
            };
            return one(indented(row), text.into(), style, buf);
        };
        let (late, _) = countdown(self.now, due(inc).unwrap_or(self.now));
        let more = if self.overdue.len() > 1 {
            format!("  (+{} more overdue)", self.overdue.len() - 1)
        } else {
            String::new()
        };
        let line = format!(
            " ⚠ {} {} customer update {late}: {}{more} ",
            inc.severity,
            inc.id,
            redact::text(&inc.title, self.opts.redact)
        );
        // The whole row in the overdue colour: a band that reads across a room.
        fit_spans([Span::styled(line, t.overdue)], row.width as usize)
            .style(t.overdue)
            .render(row, buf);
    }

    /// The tiles of the page showing at `state.sync.now`; returns how many pages there are.
    fn tiles(&self, area: Rect, buf: &mut Buffer) -> (usize, usize) {
        let cols = (area.width / TILE_W).max(1);
        let rows = area.height / TILE_H;
        let per_page = usize::from(cols * rows).max(1);
        let pages = self.tiles.len().div_ceil(per_page).max(1);
        let page = (self.state.sync.now.timestamp().div_euclid(PAGE_SECS) as usize) % pages;
        let tile_w = area.width / cols;
        if rows > 0 {
            let shown = self.tiles.iter().skip(page * per_page).take(per_page);
            for (k, inc) in shown.enumerate() {
                let k = k as u16;
                let r = Rect::new(
                    area.x + (k % cols) * tile_w,
                    area.y + (k / cols) * TILE_H,
                    tile_w.saturating_sub(1),
                    TILE_H,
                );
                Tile {
                    theme: self.theme,
                    incident: inc,
                    now: self.now,
                    redact: self.opts.redact,
                    stands_out: self.most_overdue.is_some_and(|m| m.id == inc.id),
                }
                .render(r, buf);
            }
        }
        (page, pages)
    }

    /// The foot: totals, staleness, the page and redaction, and the quit key on the right.
    fn foot(&self, row: Rect, (page, pages): (usize, usize), buf: &mut Buffer) {
        let (state, t) = (self.state, self.theme);
        let overdue = self.overdue.len();
        let mut foot = if self.known {
            format!(
                " {} active SEV1/SEV2 │ {} open │ {} update{} overdue ",
                self.tiles.len(),
                Severity::ALL
                    .iter()
                    .map(|s| state.data.open_count(*s))
                    .sum::<usize>(),
                overdue,
                if overdue == 1 { "" } else { "s" }
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
                fmt::hms(self.now)
            );
        }
        if pages > 1 {
            foot.push_str(&format!("│ page {}/{} ", page + 1, pages));
        }
        if self.opts.redact {
            foot.push_str("│ REDACTED ");
        }
        let foot_w = fmt::width(&foot);
        one(row, foot, t.dim, buf);
        let hint = " q quit ";
        if !self.opts.no_keys && row.width as usize > hint.len() + foot_w {
            // A styled span, not a styled line: the line's style would fill the whole row.
            Line::from(Span::styled(hint, t.dim))
                .right_aligned()
                .render(row, buf);
        }
    }
}

impl Widget for WallView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        if area.width < 40 || area.height < 12 {
            let text = "sitrep wall needs at least 40x12".to_string();
            return one(area, text, t.base, buf);
        }
        let (dx, dy) = shift(self.state.sync.now);
        let area = Rect::new(area.x + dx, area.y + dy, area.width - 1, area.height - 1);
        let block = self.frame();
        let inner = block.inner(area);
        block.render(area, buf);
        let scale = if inner.height >= 80 && inner.width >= 200 {
            3
        } else if inner.height >= 40 && inner.width >= 120 {
            2
        } else {
            1
        };
        let [band, loud, tiles_area, foot] = Layout::vertical([
            Constraint::Length(1 + bigtext::height(scale)),
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        self.counts(band, scale, buf);
        self.loudest(loud, buf);
        let pages = self.tiles(tiles_area, buf);
        if self.tiles.is_empty() && self.known {
            let text = "No active SEV1 or SEV2 incidents".to_string();
            one(indented(tiles_area), text, t.dim, buf);
        }
        self.foot(foot, pages, buf);
    }
}

/// One line of text in one style, cut with `…` to the row.
fn one(row: Rect, text: String, style: Style, buf: &mut Buffer) {
    fit_spans([Span::styled(text, style)], row.width as usize).render(row, buf);
}

/// `row` a column in from the frame, as the wall's plain messages sit.
fn indented(row: Rect) -> Rect {
    Block::new().padding(Padding::left(1)).inner(row)
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
