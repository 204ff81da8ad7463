//! The server's time, as far as this machine can tell it. Every due date and timestamp the
//! API sends is on the server's clock, so a countdown computed against a local clock that is
//! 15 minutes slow says "on time" about an update the server already counts as overdue. The
//! client therefore measures the offset between the two clocks from the `Date` header of
//! every answer, and the console counts on `local time + offset`.
//!
//! A `Date` header has whole seconds and is stamped somewhere between the moment the request
//! left and the moment the answer arrived, so one answer says only that the offset lies in
//! `[date - received, date + 1 s - sent]`. The estimate is the intersection of those
//! intervals over successive answers (each one can only narrow it), and its midpoint: after a
//! few requests on a fast link it is within a few tens of milliseconds. When an answer does
//! not fit the intersection at all, one of the clocks was stepped (NTP, a suspended laptop,
//! an operator fixing the time): the estimate starts again from that answer.
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use std::sync::{Arc, Mutex};

/// A handle on one estimate, shared by every clone of the client that measured it.
#[derive(Debug, Clone, Default)]
pub struct ServerClock(Arc<Mutex<Option<Bounds>>>);

/// The range the offset (server minus local) is known to lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bounds {
    lo: Duration,
    hi: Duration,
}

impl ServerClock {
    /// Takes one answer into account: the local time just before the request was sent and
    /// just after the answer's headers arrived, and the answer's `Date` header (ignored when
    /// absent or unreadable).
    pub fn observe(&self, sent: DateTime<Utc>, received: DateTime<Utc>, date: Option<&str>) {
        if let Some(server) = date.and_then(parse_http_date) {
            self.observe_at(sent, received, server);
        }
    }

    /// [`ServerClock::observe`] with the server's stamp already read.
    pub fn observe_at(&self, sent: DateTime<Utc>, received: DateTime<Utc>, server: DateTime<Utc>) {
        if received < sent {
            // The local clock stepped back during the request: the sample means nothing.
            return;
        }
        let sample = Bounds {
            lo: server - received,
            hi: server + Duration::seconds(1) - sent,
        };
        let mut b = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *b = Some(match *b {
            Some(old) if old.lo.max(sample.lo) <= old.hi.min(sample.hi) => Bounds {
                lo: old.lo.max(sample.lo),
                hi: old.hi.min(sample.hi),
            },
            // First answer, or the clocks moved relative to each other: start again.
            _ => sample,
        });
    }

    /// Server time minus local time, once an answer has said; `None` before.
    pub fn offset(&self) -> Option<Duration> {
        let b = (*self.0.lock().unwrap_or_else(|p| p.into_inner()))?;
        Some(b.lo + (b.hi - b.lo) / 2)
    }

    /// The server's time now, as well as it is known (the local clock until an answer came).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset().unwrap_or_else(Duration::zero)
    }
}

/// An HTTP date (RFC 9110 §5.6.7) in any of the three forms a recipient must accept:
/// IMF-fixdate, RFC 850 and asctime.
pub fn parse_http_date(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    DateTime::parse_from_rfc2822(v)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn one_answer_bounds_the_offset_and_more_answers_narrow_it() {
        let c = ServerClock::default();
        assert_eq!(c.offset(), None);
        // The local clock is 15 minutes slow; the server stamps 12:15:00 (it is 12:15:00.4),
        // the round trip takes 200 ms.
        c.observe(
            t("2026-11-30T12:00:00.300Z"),
            t("2026-11-30T12:00:00.500Z"),
            Some("Mon, 30 Nov 2026 12:15:00 GMT"),
        );
        let first = c.offset().unwrap();
        assert!((first - Duration::minutes(15)).num_milliseconds().abs() <= 600);
        // Answers stamped just after and just before the server's second turned narrow the
        // range from both sides.
        c.observe(
            t("2026-11-30T12:00:02.950Z"),
            t("2026-11-30T12:00:03.050Z"),
            Some("Mon, 30 Nov 2026 12:15:03 GMT"),
        );
        c.observe(
            t("2026-11-30T12:00:04.900Z"),
            t("2026-11-30T12:00:05.000Z"),
            Some("Mon, 30 Nov 2026 12:15:04 GMT"),
        );
        let err = (c.offset().unwrap() - Duration::minutes(15)).num_milliseconds();
        assert!(err.abs() <= 50, "{err} ms");
    }

    #[test]
    fn a_stepped_clock_starts_the_estimate_again() {
        let c = ServerClock::default();
        c.observe_at(
            t("2026-11-30T12:00:00Z"),
            t("2026-11-30T12:00:00.100Z"),
            t("2026-11-30T12:15:00Z"),
        );
        // Someone fixed the local clock: now it agrees with the server.
        c.observe_at(
            t("2026-11-30T12:15:10Z"),
            t("2026-11-30T12:15:10.100Z"),
            t("2026-11-30T12:15:10Z"),
        );
        assert!(c.offset().unwrap().num_milliseconds().abs() < 1000);
        // A request during which the local clock went backwards teaches nothing.
        let before = c.offset();
        c.observe_at(
            t("2026-11-30T12:20:00Z"),
            t("2026-11-30T12:10:00Z"),
            t("2026-11-30T13:00:00Z"),
        );
        assert_eq!(c.offset(), before);
    }

    #[test]
    fn clones_share_one_estimate_and_bad_dates_are_ignored() {
        let c = ServerClock::default();
        let d = c.clone();
        c.observe(Utc::now(), Utc::now(), Some("yesterday"));
        c.observe(Utc::now(), Utc::now(), None);
        assert_eq!(d.offset(), None);
        let now = Utc::now();
        c.observe_at(now, now, now - Duration::hours(2));
        assert!(
            (d.offset().unwrap() + Duration::hours(2))
                .num_seconds()
                .abs()
                <= 1
        );
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        let want = Some(t("1994-11-06T08:49:37Z"));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), want);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), want);
        assert_eq!(parse_http_date("soon"), None);
    }
}
