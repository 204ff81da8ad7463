//! The review view's state: the period asked for and the figures of it. The figures are
//! fetched and computed only while the view is shown (on opening it, on `:review`, and when
//! an incident changes while it is open), so a hidden review costs nothing.
use crate::review::PeriodFigures;
use std::sync::Arc;

pub const DEFAULT_DAYS: u32 = 90;
/// The longest period `:review` takes (five years).
pub const MAX_DAYS: u32 = crate::review::MAX_PERIOD_DAYS;

#[derive(Debug, Clone)]
pub struct Review {
    /// The period: the last this many days, today included.
    pub days: u32,
    pub figures: Option<Arc<PeriodFigures>>,
    pub loading: bool,
    /// Something changed while a load was running: load again when it lands.
    pub stale: bool,
    pub error: Option<String>,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            days: DEFAULT_DAYS,
            figures: None,
            loading: false,
            stale: false,
            error: None,
        }
    }
}

/// `90d`, `90`, `12w`: a period in days, or why not.
pub fn parse_days(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let (n, unit) = match s.strip_suffix(['d', 'w']) {
        Some(n) => (n, if s.ends_with('w') { 7 } else { 1 }),
        None => (s, 1),
    };
    match n.parse::<u32>() {
        Ok(n) if n >= 1 && n.saturating_mul(unit) <= MAX_DAYS => Ok(n * unit),
        _ => Err(format!(
            "review period {s:?}: give days or weeks, e.g. 90d or 12w (at most {MAX_DAYS}d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_days_or_weeks() {
        assert_eq!(parse_days("90d"), Ok(90));
        assert_eq!(parse_days("30"), Ok(30));
        assert_eq!(parse_days("12w"), Ok(84));
        for bad in ["0d", "x", "-3d", "99999d", ""] {
            assert!(parse_days(bad).is_err(), "{bad}");
        }
    }
}
