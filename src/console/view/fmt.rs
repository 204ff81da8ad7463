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
    let s = (now - since).num_seconds().max(0);
    match s {
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

/// The next-update countdown: `04:12`, `1h05m`, or `OVERDUE 03:10`.
pub fn countdown(now: DateTime<Utc>, due: DateTime<Utc>) -> (String, Urgency) {
    let left = (due - now).num_seconds();
    if left < 0 {
        (format!("OVERDUE {}", clock_span(-left)), Urgency::Overdue)
    } else if left < 300 {
        (clock_span(left), Urgency::Soon)
    } else {
        (clock_span(left), Urgency::Normal)
    }
}

pub fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `s` to at most `max` columns, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// `s` padded with spaces (or truncated) to exactly `w` columns.
pub fn fit(s: &str, w: usize) -> String {
    let mut t = truncate(s, w);
    let tw = width(&t);
    t.extend(std::iter::repeat_n(' ', w.saturating_sub(tw)));
    t
}

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
    fn truncation_respects_display_width() {
        assert_eq!(truncate("Checkout errors", 9), "Checkout…");
        assert_eq!(truncate("東京東京", 5), "東京…");
        assert_eq!(fit("ab", 4), "ab  ");
    }
}
