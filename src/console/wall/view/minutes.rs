//! The wall's clock arithmetic: ages and countdowns at minute resolution, so every timer on
//! the wall changes together on the minute.
use crate::console::view::fmt::{self, Urgency};
use chrono::{DateTime, Utc};

/// `t` without its seconds. The wall's minute-resolution timers count between whole
/// minutes, so they all change together on the minute: one redraw a minute when idle.
fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t - chrono::Duration::seconds(t.timestamp().rem_euclid(60))
}

/// Elapsed time at minute resolution, changing on the minute.
pub(super) fn since(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
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
