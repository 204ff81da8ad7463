//! The poller: lists PagerDuty's incidents on an interval, maps them, and turns what changed
//! into sitrep events (`incident.created`, `incident.updated`) for the backend's event log.
use super::api::{PdClient, PdError};
use super::backend::PdBackend;
use super::map::Priorities;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;

/// Resolved incidents stay on the board for this long after they were created (PagerDuty's
/// `since` filters on creation time).
pub const RESOLVED_WINDOW: chrono::Duration = chrono::Duration::hours(24);
/// Priorities change rarely: re-read them every this many polls.
const PRIORITIES_EVERY: u32 = 30;

/// What one poll saw.
#[derive(Debug, Clone, Default)]
pub struct PollReport {
    pub incidents: usize,
    pub changed: usize,
    /// PagerDuty had more incidents than offset pagination reaches (10,000 per query).
    pub truncated: bool,
}

/// Reads the account's priorities. An account without the priorities feature answers with
/// an error: then severity follows urgency.
pub async fn load_priorities(pd: &PdClient) -> Result<Priorities, PdError> {
    match pd.priorities().await {
        Ok(p) => Ok(Priorities(p)),
        Err(PdError::Status { status, message }) if (402..=404).contains(&status) => {
            tracing::info!(status, %message, "no PagerDuty priorities; severity follows urgency");
            Ok(Priorities::default())
        }
        Err(e) => Err(e),
    }
}

/// One poll: open incidents (all dates) and the last day's resolved ones.
pub async fn poll_once(
    shared: &PdBackend,
    refresh_priorities: bool,
) -> Result<PollReport, PdError> {
    // Polling is background work: it leaves a share of the rate budget to detail reads.
    let pd = &shared.pd().background();
    if refresh_priorities || !shared.has_priorities() {
        let p = load_priorities(pd).await?;
        shared.set_priorities(p);
    }
    let open = pd
        .list_incidents(&[
            ("statuses[]", "triggered".to_string()),
            ("statuses[]", "acknowledged".to_string()),
            ("date_range", "all".to_string()),
        ])
        .await?;
    let since = (Utc::now() - RESOLVED_WINDOW).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let resolved = pd
        .list_incidents(&[("statuses[]", "resolved".to_string()), ("since", since)])
        .await?;
    let truncated = open.truncated || resolved.truncated;
    if truncated {
        tracing::warn!(
            "PagerDuty lists more incidents than offset pagination reaches (10,000 per query); the board shows the first 10,000"
        );
    }
    let mut all = open.incidents;
    all.extend(resolved.incidents);
    let mut unreadable = open.unreadable;
    unreadable.extend(resolved.unreadable);
    let changed = shared.apply_listing(&all, unreadable, truncated);
    Ok(PollReport {
        incidents: all.len(),
        changed,
        truncated,
    })
}

/// After `failures` failed polls in a row (network, 5xx), wait twice as long each time,
/// up to two minutes (or the interval, if that is longer).
fn backoff(interval: Duration, failures: u32) -> Duration {
    let cap = interval.max(Duration::from_secs(120));
    interval.saturating_mul(1u32 << failures.min(16)).min(cap)
}

/// Polls every `interval` until the gateway shuts down. A failed poll marks the gateway
/// down (its event streams end, so consoles show they are reconnecting) until one
/// succeeds; failures that may pass (network, 5xx) are retried with a growing wait, while a
/// refusal that asking again cannot change (406, 401, 400 …) stops the poller: the console
/// shows PagerDuty's answer instead of a retry loop hammering it.
pub fn spawn(shared: Arc<PdBackend>, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut shutdown = shared.stopping();
        let mut n: u32 = 0;
        let mut failures: u32 = 0;
        loop {
            // A pause imposed by a 429 delays the next poll rather than failing it.
            let wait = backoff(interval, failures).max(shared.pd().limiter().wait_hint());
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
            n = n.wrapping_add(1);
            let result = tokio::select! {
                r = poll_once(&shared, n.is_multiple_of(PRIORITIES_EVERY)) => r,
                _ = shutdown.changed() => return,
            };
            match result {
                Ok(r) => {
                    tracing::debug!(
                        incidents = r.incidents,
                        changed = r.changed,
                        "PagerDuty poll"
                    );
                    failures = 0;
                    shared.set_health(None);
                }
                Err(PdError::RateLimited { retry_in }) => {
                    // Not down: only slowed. Keep the stream; the next poll waits.
                    tracing::warn!(
                        retry_in_s = retry_in.as_secs(),
                        "PagerDuty poll deferred by the rate limit"
                    );
                }
                Err(e) if e.is_permanent() => {
                    tracing::error!(error = %e, "PagerDuty refused the poll; polling stopped (not retried: asking again would get the same answer)");
                    shared.set_health(Some(&e));
                    return;
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, failures, "PagerDuty poll failed");
                    shared.set_health(Some(&e));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_polls_back_off_to_a_cap() {
        let s = Duration::from_secs;
        let waits: Vec<Duration> = (0..6).map(|f| backoff(s(10), f)).collect();
        assert_eq!(waits, [s(10), s(20), s(40), s(80), s(120), s(120)]);
        assert_eq!(backoff(s(300), 3), s(300));
        assert_eq!(backoff(s(10), 1000), s(120));
    }
}
