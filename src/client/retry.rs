//! `Retry-After` (RFC 9110 §10.2.3): how long a busy server (429, 503) asks us to wait,
//! as delta-seconds or an HTTP date. Honoured by the event stream's reconnect, by GETs and by
//! the outbox.
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The longest wait we take from a server: a misconfigured proxy asking for a day must not
/// freeze the console for a day. Longer requests are waited for this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Parses a `Retry-After` value at `now`. Delta-seconds, or an HTTP date in any of the three
/// forms a recipient must accept (IMF-fixdate, RFC 850, asctime); a date in the past means
/// "now" (zero). Anything else is `None` (the caller's own backoff applies).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = super::clock::parse_http_date(v)?;
    let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_RETRY_AFTER))
}

/// For a 429 or 503: the server's `Retry-After`, if it gave a readable one.
pub(crate) fn busy(resp: &reqwest::Response) -> Option<Option<Duration>> {
    let s = resp.status().as_u16();
    (s == 429 || s == 503).then(|| {
        resp.headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            // A date is on the server's clock: compare it with the answer's own Date, so
            // a skewed local clock neither skips the wait nor stretches it to the cap.
            .and_then(|v| parse_retry_after(v, answered_at(resp)))
    })
}

/// When the server says it answered (its `Date` header), or the local time if it does not.
pub(crate) fn answered_at(resp: &reqwest::Response) -> DateTime<Utc> {
    resp.headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(super::clock::parse_http_date)
        .unwrap_or_else(Utc::now)
}

/// "5s", rounded up: what the console shows.
pub(crate) fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "1994-11-06T08:49:30Z".parse().unwrap()
    }

    #[test]
    fn delta_seconds() {
        assert_eq!(
            parse_retry_after("120", now()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now()), Some(Duration::ZERO));
        // Absurd values are capped, never overflow.
        assert_eq!(
            parse_retry_after("99999999999999999999999", now()),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn http_dates_in_all_three_forms() {
        let seven = Some(Duration::from_secs(7));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now()),
            seven
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now()),
            seven
        );
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now()), seven);
        // In the past: go now.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        // Far future: capped.
        assert_eq!(
            parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT", now()),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn garbage_is_ignored() {
        for v in [
            "",
            "soon",
            "-5",
            "1.5",
            "5s",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "0x10",
        ] {
            assert_eq!(parse_retry_after(v, now()), None, "{v:?}");
        }
    }

    #[test]
    fn waits_are_shown_rounded_up() {
        assert_eq!(secs(Duration::from_millis(1500)), "2s");
        assert_eq!(secs(Duration::from_secs(3)), "3s");
    }
}
