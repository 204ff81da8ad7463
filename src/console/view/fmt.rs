//! Text helpers shared by the views: durations, clocks, truncation to a display width.
use chrono::{DateTime, Utc};
use unicode_width::UnicodeWidthChar;

/// A phase's name for a narrow column: the policy's names are long.
pub fn phase_plain(p: crate::domain::Phase) -> &'static str {
    use crate::domain::Phase;
    match p {
        Phase::Containment => "Containment",
        Phase::FollowThrough => "Follow-through",
        p => p.title(),
    }
}

/// How urgent a customer-update countdown is; decides its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    /// Under five minutes left.
    Soon,
    Overdue,
}

/// Compact elapsed time: 45s, 12m, 3h05m, 2d04h.
pub fn age(now: DateTime<Utc>, since: DateTime<Utc>) -> String {
    age_at(now, since, true)
}

/// [`age`], with `<1m` for the first minute unless `seconds`.
pub fn age_at(now: DateTime<Utc>, since: DateTime<Utc>, seconds: bool) -> String {
    let s = (now - since).num_seconds().max(0);
    match s {
        0..60 if !seconds => "<1m".to_string(),
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn clock_span(secs: i64) -> String {
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    } else {
        format!("{:02}:{:02}", secs / 60, secs % 60)
    }
}

/// Whole seconds left until `due`, rounded up, or `Err` with whole seconds past it (rounded
/// down) once `due` is behind `now`. Overdue means exactly what the header counts
/// (`due < now`, to the nanosecond), so a card turns OVERDUE in the same frame as the header.
fn left_or_over(now: DateTime<Utc>, due: DateTime<Utc>) -> Result<i64, i64> {
    if due < now {
        Err((now - due).num_seconds())
    } else {
        let ms = (due - now).num_milliseconds();
        Ok((ms + 999) / 1000)
    }
}

/// The next-update countdown: `04:12`, `1h05m`, or `OVERDUE 03:10`.
pub fn countdown(now: DateTime<Utc>, due: DateTime<Utc>) -> (String, Urgency) {
    let left = match left_or_over(now, due) {
        Err(over) => return (format!("OVERDUE {}", clock_span(over)), Urgency::Overdue),
        Ok(left) => left,
    };
    if left < 300 {
        (clock_span(left), Urgency::Soon)
    } else {
        (clock_span(left), Urgency::Normal)
    }
}

/// The time left, at minute resolution: rounded up, so `1m` never means already due.
fn minutes_left(secs: i64) -> String {
    let m = (secs + 59) / 60;
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

/// The time past due, at minute resolution: rounded down, `<1m` in the first minute.
fn minutes_over(secs: i64) -> String {
    match secs {
        0..60 => "<1m".to_string(),
        60..3600 => format!("{}m", secs / 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

/// [`countdown`], or at minute resolution (`5m`, `1h05m`, `OVERDUE 3m`) unless `seconds`.
pub fn countdown_at(now: DateTime<Utc>, due: DateTime<Utc>, seconds: bool) -> (String, Urgency) {
    if seconds {
        return countdown(now, due);
    }
    let left = match left_or_over(now, due) {
        Err(over) => return (format!("OVERDUE {}", minutes_over(over)), Urgency::Overdue),
        Ok(left) => left,
    };
    if left < 300 {
        (minutes_left(left), Urgency::Soon)
    } else {
        (minutes_left(left), Urgency::Normal)
    }
}

/// How late an overdue update is (`3m`, `1h05m`, or `03:10` with `seconds`).
pub fn late_by(now: DateTime<Utc>, due: DateTime<Utc>, seconds: bool) -> String {
    let over = (now - due).num_seconds().max(0);
    if seconds {
        clock_span(over)
    } else {
        minutes_over(over)
    }
}

/// The header clock: `14:05:09`, or `14:05` unless `seconds`.
pub fn clock(t: DateTime<Utc>, seconds: bool) -> String {
    if seconds {
        hms(t)
    } else {
        t.format("%H:%M").to_string()
    }
}

/// When something happened, for a list of entries: `06:32` today (by `now`'s date, UTC),
/// `Nov 28 06:32` on another day, so a two-day timeline is not read as one.
pub fn when(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    if t.date_naive() == now.date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%b %d %H:%M").to_string()
    }
}

pub fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

pub use crate::sanitize::columns::{fit, truncate, width};

/// `s` broken into lines of at most `max` columns: at spaces where it can, inside a word
/// longer than a line where it must. Line breaks in `s` are kept.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for para in s.split('\n') {
        let mut line = String::new();
        let mut w = 0;
        for word in para.split(' ') {
            let ww = width(word);
            if w > 0 && w + 1 + ww <= max {
                line.push(' ');
                line.push_str(word);
                w += 1 + ww;
                continue;
            }
            if w > 0 {
                out.push(std::mem::take(&mut line));
                w = 0;
            }
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if w + cw > max {
                    out.push(std::mem::take(&mut line));
                    w = 0;
                }
                line.push(c);
                w += cw;
            }
        }
        out.push(line);
    }
    out
}

/// `line` wrapped to `width`: its first row keeps the line's own indentation, and its
/// continuation rows are indented by `pad` columns, so they read as part of the row above
/// (never as a new item, nor with a stray space of their own).
pub fn wrap_hanging(line: &str, width: usize, pad: usize) -> Vec<String> {
    let text = line.trim_start();
    let indent = line.len() - text.len();
    let first = wrap(text, width.saturating_sub(indent).max(1));
    let Some(head) = first.first() else {
        return vec![];
    };
    let mut out = vec![format!("{}{}", &line[..indent], head.trim_end())];
    if first.len() > 1 {
        // `wrap` keeps the text up to a break as it is, so the first row is a prefix.
        let rest = text.get(head.len()..).unwrap_or_default().trim_start();
        let pad = pad.min(width.saturating_sub(1));
        out.extend(
            wrap(rest, width.saturating_sub(pad).max(1))
                .into_iter()
                .map(|l| format!("{}{}", " ".repeat(pad), l.trim_end())),
        );
    }
    out
}

// Lane widgets-b (detail, forms, review, wall): lines for widgets built from spans.

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn ages_and_countdowns_read_naturally() {
        let now = Utc::now();
        assert_eq!(age(now, now - Duration::seconds(42)), "42s");
        assert_eq!(age(now, now - Duration::minutes(41)), "41m");
        assert_eq!(age(now, now - Duration::minutes(125)), "2h05m");
        assert_eq!(
            countdown(now, now + Duration::seconds(252)),
            ("04:12".into(), Urgency::Soon)
        );
        assert_eq!(
            countdown(now, now + Duration::minutes(20)).1,
            Urgency::Normal
        );
        assert_eq!(
            countdown(now, now - Duration::seconds(190)),
            ("OVERDUE 03:10".into(), Urgency::Overdue)
        );
    }

    #[test]
    fn minute_resolution_rounds_toward_the_safe_side() {
        let now = Utc::now();
        let c = |s: i64| countdown_at(now, now + Duration::seconds(s), false);
        // Time left rounds up: "1m" never shows for an update already due.
        assert_eq!(c(252), ("5m".into(), Urgency::Soon));
        assert_eq!(c(1), ("1m".into(), Urgency::Soon));
        assert_eq!(c(0), ("0m".into(), Urgency::Soon));
        assert_eq!(c(3600), ("1h00m".into(), Urgency::Normal));
        assert_eq!(c(3601), ("1h01m".into(), Urgency::Normal));
        // Time over rounds down.
        assert_eq!(c(-30), ("OVERDUE <1m".into(), Urgency::Overdue));
        assert_eq!(c(-190), ("OVERDUE 3m".into(), Urgency::Overdue));
        assert_eq!(c(-3900), ("OVERDUE 1h05m".into(), Urgency::Overdue));
        assert_eq!(age_at(now, now - Duration::seconds(42), false), "<1m");
        assert_eq!(age_at(now, now - Duration::seconds(42), true), "42s");
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 29, 14, 5, 9).unwrap();
        assert_eq!(clock(t, false), "14:05");
        assert_eq!(clock(t, true), "14:05:09");
        assert_eq!(when(t, t - Duration::hours(2)), "12:05");
        assert_eq!(when(t, t - Duration::hours(15)), "Nov 28 23:05");
    }

    #[test]
    fn truncation_respects_display_width() {
        assert_eq!(truncate("Checkout errors", 9), "Checkout…");
        assert_eq!(truncate("東京東京", 5), "東京…");
        assert_eq!(fit("ab", 4), "ab  ");
    }

    #[test]
    fn wrapping_keeps_every_character() {
        assert_eq!(
            wrap("refused: INC-27 is customer-impacting", 12),
            ["refused:", "INC-27 is", "customer-imp", "acting"]
        );
        assert_eq!(wrap("a\nb c", 10), ["a", "b c"]);
        assert_eq!(wrap("東京東京", 5), ["東京", "東京"]);
    }

    #[test]
    fn hanging_rows_keep_the_indent_and_never_start_with_the_break_space() {
        assert_eq!(
            wrap_hanging("  Status: rollback started everywhere", 20, 4),
            ["  Status: rollback", "    started", "    everywhere"]
        );
        assert_eq!(wrap_hanging("  short", 20, 4), ["  short"]);
        // A row that breaks exactly at the width: the space goes, it does not lead.
        assert_eq!(wrap_hanging("abcd efgh", 4, 0), ["abcd", "efgh"]);
    }
}

// Widgets lane A (list, board, header, footer, messages, help): building lines of spans.

/// `spans` as one line of at most `max` columns: the first span that does not fit is cut
/// with a visible `…` (as [`truncate`] cuts one string) and nothing after it is kept, so a
/// cut line never reads as complete.
pub fn fit_spans<'a>(
    spans: impl IntoIterator<Item = ratatui::text::Span<'a>>,
    max: usize,
) -> ratatui::text::Line<'a> {
    let mut room = max;
    let mut out = Vec::new();
    for span in spans {
        if room == 0 {
            break;
        }
        let w = width(&span.content);
        if w <= room {
            room -= w;
            out.push(span);
        } else {
            out.push(ratatui::text::Span::styled(
                truncate(&span.content, room),
                span.style,
            ));
            break;
        }
    }
    ratatui::text::Line::from(out)
}

#[cfg(test)]
mod span_tests {
    use super::fit_spans;
    use ratatui::text::Span;

    #[test]
    fn a_line_too_long_is_cut_once_with_a_mark_and_nothing_after_it() {
        let line = |max| {
            fit_spans(
                [Span::raw("SEV1 "), Span::raw("INC-105"), Span::raw("!")],
                max,
            )
            .to_string()
        };
        assert_eq!(line(20), "SEV1 INC-105!");
        assert_eq!(line(13), "SEV1 INC-105!");
        assert_eq!(line(9), "SEV1 INC…");
        assert_eq!(line(0), "");
    }
}
