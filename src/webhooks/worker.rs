//! The delivery worker: one task per subscription, each reading the event log from its own
//! durable cursor, delivering in order and moving the cursor only after a 2xx, so a restart
//! (even kill -9) resends at most the event in flight (at-least-once). Receivers are
//! called from these tasks only, with timeouts and a cap on deliveries in flight: a slow
//! or dead receiver holds its own subscription back, never a write or the event stream.
use super::model::{Delivery, State, matches};
use super::sign::Secret;
use super::{Hooks, payload};
use crate::server::store::{LoggedEvent, WebhookTarget};
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};

/// How often the set of subscriptions is re-read when nothing else wakes the worker.
const RESCAN: Duration = Duration::from_secs(2);
/// A second signature, of the body alone (`sha256=<hex>`, as GitHub sends it), for
/// receivers that can only check that (adnanh/webhook's payload-hmac-sha256 rule). It
/// binds no id or time, so it does not stop a replay: prefer `webhook-signature`.
pub const BODY_SIGNATURE: &str = "x-sitrep-signature-256";

/// Events read from the log at a time.
const PAGE: i64 = 100;

/// Starts the worker; it ends when `shutdown` fires.
pub fn spawn(hooks: Arc<Hooks>, newest: watch::Receiver<i64>, shutdown: watch::Receiver<bool>) {
    tokio::spawn(supervise(hooks, newest, shutdown));
}

async fn supervise(
    hooks: Arc<Hooks>,
    newest: watch::Receiver<i64>,
    mut shutdown: watch::Receiver<bool>,
) {
    crate::client::install_crypto_provider();
    let http = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(hooks.config.timeout)
        // A redirect could lead anywhere, this server included: a 3xx is an answer, not
        // a detour.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("sitrep-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook deliveries cannot start: no HTTP client");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(hooks.config.concurrency.max(1)));
    let mut running: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
    loop {
        match hooks.store.webhook_targets().await {
            Ok(targets) => {
                let failing = targets.iter().filter(|t| t.state == State::Failing).count();
                hooks
                    .failing
                    .set(i64::try_from(failing).unwrap_or(i64::MAX));
                running.retain(|id, task| {
                    let keep = !task.is_finished() && targets.iter().any(|t| &t.id == id);
                    if !keep {
                        task.abort();
                    }
                    keep
                });
                for t in targets {
                    if t.state == State::Ok && !running.contains_key(&t.id) {
                        let sub = Subscription {
                            hooks: hooks.clone(),
                            http: http.clone(),
                            slots: slots.clone(),
                            newest: newest.clone(),
                            shutdown: shutdown.clone(),
                        };
                        running.insert(t.id.clone(), tokio::spawn(sub.run(t)));
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read webhook subscriptions"),
        }
        tokio::select! {
            _ = tokio::time::sleep(RESCAN) => {}
            _ = hooks.changed.notified() => {}
            _ = shutdown.changed() => break,
        }
    }
    for (_, task) in running {
        task.abort();
    }
}

struct Subscription {
    hooks: Arc<Hooks>,
    http: reqwest::Client,
    slots: Arc<Semaphore>,
    newest: watch::Receiver<i64>,
    shutdown: watch::Receiver<bool>,
}

/// How one event's delivery ended.
enum Outcome {
    Delivered,
    /// Failing for longer than the give-up time: the subscription is marked failing.
    GaveUp,
    /// Removed, or the server is stopping.
    Stop,
}

impl Subscription {
    async fn run(mut self, t: WebhookTarget) {
        let secret = match Secret::parse(&t.secret) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(id = %t.id, error = %e, "webhook secret unreadable; not delivering");
                return;
            }
        };
        let mut cursor = t.cursor;
        let mut failing_since = t.failing_since;
        // Chat subscriptions that take incident changes also hear of overdue customer
        // updates, which no write announces: time makes them overdue.
        let overdue = t.format == super::model::Format::Slack
            && t.events.iter().any(|p| matches(p, "incident.updated"));
        let mut overdue_checked: Option<Instant> = None;
        loop {
            if *self.shutdown.borrow() {
                return;
            }
            if overdue
                && overdue_checked.is_none_or(|at| at.elapsed() >= self.hooks.config.overdue_every)
            {
                overdue_checked = Some(Instant::now());
                if !self
                    .announce_overdue(&t, &secret, cursor, &mut failing_since)
                    .await
                {
                    return;
                }
            }
            let page = match self.hooks.store.webhook_events(cursor, PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(id = %t.id, error = %e, "cannot read the event log for a webhook");
                    if !self.pause(Duration::from_secs(1)).await {
                        return;
                    }
                    continue;
                }
            };
            let Some(last) = page.last().map(|e| e.seq) else {
                // Caught up: wait for the next event (or a rescan, for a removal).
                let nap = if overdue {
                    RESCAN.min(self.hooks.config.overdue_every)
                } else {
                    RESCAN
                };
                tokio::select! {
                    _ = self.newest.changed() => {}
                    _ = tokio::time::sleep(nap) => {}
                    _ = self.shutdown.changed() => return,
                }
                continue;
            };
            for ev in &page {
                let Some(body) = self.body(&t, ev).await else {
                    continue;
                };
                let msg_id = format!("evt_{}", ev.seq);
                match self
                    .deliver(&t, &secret, ev, &msg_id, &body, &mut failing_since)
                    .await
                {
                    Outcome::Delivered => cursor = ev.seq,
                    Outcome::GaveUp | Outcome::Stop => return,
                }
            }
            // Events after the last delivered one that this subscription skips.
            if last > cursor {
                match self.hooks.store.skip_webhook_to(&t.id, last).await {
                    Ok(true) => cursor = last,
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(id = %t.id, error = %e, "cannot move a webhook's cursor");
                        if !self.pause(Duration::from_secs(1)).await {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Tells a chat subscription of each customer update that is now overdue, once per
    /// due time. False when the subscription stops.
    async fn announce_overdue(
        &mut self,
        t: &WebhookTarget,
        secret: &Secret,
        cursor: i64,
        failing_since: &mut Option<chrono::DateTime<chrono::Utc>>,
    ) -> bool {
        let due = match self.hooks.store.overdue_unannounced(&t.id).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(id = %t.id, error = %e, "cannot look for overdue customer updates");
                return true;
            }
        };
        for (inc, due_at) in due {
            let body = payload::slack_message(
                &payload::slack_overdue_line(&inc),
                self.hooks.config.public_url.as_deref(),
            );
            // Not an event-log row: it rides at the current cursor, which stays put.
            let ev = LoggedEvent {
                seq: cursor,
                at: due_at.clone(),
                kind: "incident.overdue".into(),
                incident_id: inc.id.clone(),
                data: String::new(),
            };
            let msg_id = format!("overdue_{}_{}", inc.id, due_at);
            match self
                .deliver(t, secret, &ev, &msg_id, &body, failing_since)
                .await
            {
                Outcome::Delivered => {
                    if let Err(e) = self
                        .hooks
                        .store
                        .overdue_announced(&t.id, &inc.id, &due_at)
                        .await
                    {
                        tracing::warn!(id = %t.id, error = %e, "cannot record an overdue notice");
                    }
                }
                Outcome::GaveUp | Outcome::Stop => return false,
            }
        }
        true
    }

    /// The body for this subscription, or None when it does not take this event.
    async fn body(&self, t: &WebhookTarget, ev: &LoggedEvent) -> Option<Vec<u8>> {
        if !t.events.iter().any(|p| matches(p, &ev.kind)) {
            return None;
        }
        match t.format {
            super::model::Format::Standard => payload::standard(ev).ok(),
            super::model::Format::Slack => {
                let changes = if ev.kind == "incident.updated" {
                    self.hooks
                        .store
                        .changes_at(&ev.incident_id, &ev.at)
                        .await
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                let line = payload::slack_line(ev, &changes)?;
                Some(payload::slack_message(
                    &line,
                    self.hooks.config.public_url.as_deref(),
                ))
            }
        }
    }

    /// Sends one event until it is accepted, the subscription gives up, or it stops.
    async fn deliver(
        &mut self,
        t: &WebhookTarget,
        secret: &Secret,
        ev: &LoggedEvent,
        msg_id: &str,
        body: &[u8],
        failing_since: &mut Option<chrono::DateTime<chrono::Utc>>,
    ) -> Outcome {
        let mut attempt: i64 = 1;
        loop {
            let started = Instant::now();
            let at = crate::server::store::now();
            let result = self.send(t, secret, msg_id, body).await;
            let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            let record = |status: Option<i64>, error: Option<String>| Delivery {
                event_id: ev.seq,
                kind: ev.kind.clone(),
                attempt,
                at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                status,
                error,
                ms,
            };
            let wait_asked = match result {
                Ok(Answer { status, .. }) if (200..300).contains(&status) => {
                    let done = record(Some(status.into()), None);
                    return match self.hooks.store.webhook_delivered(&t.id, &done).await {
                        Ok(true) => {
                            *failing_since = None;
                            Outcome::Delivered
                        }
                        Ok(false) => Outcome::Stop,
                        // The receiver has it; the cursor did not move, so it is sent
                        // again later: at-least-once.
                        Err(e) => {
                            tracing::warn!(id = %t.id, error = %e, "cannot move a webhook's cursor");
                            Outcome::Stop
                        }
                    };
                }
                Ok(Answer {
                    status,
                    retry_after,
                }) => {
                    let error = format!("the receiver answered HTTP {status}");
                    (record(Some(status.into()), Some(error)), retry_after)
                }
                Err(error) => (record(None, Some(error)), None),
            };
            let (failed, retry_after) = wait_asked;
            self.hooks.delivery_failures.inc();
            let since = *failing_since.get_or_insert(at);
            let gave_up =
                (at - since).to_std().unwrap_or_default() >= self.hooks.config.give_up_after;
            match self
                .hooks
                .store
                .webhook_failed(&t.id, &failed, since, gave_up)
                .await
            {
                Ok(false) => return Outcome::Stop,
                Ok(true) => {}
                Err(e) => tracing::warn!(id = %t.id, error = %e, "cannot record a webhook failure"),
            }
            if gave_up {
                tracing::warn!(id = %t.id, host = %super::host_of(&t.url), "webhook failing: deliveries stopped");
                return Outcome::GaveUp;
            }
            let wait = backoff(&self.hooks.config, attempt).max(retry_after.unwrap_or_default());
            if !self.pause(wait).await {
                return Outcome::Stop;
            }
            attempt += 1;
        }
    }

    /// One POST, signed at the moment it is sent (receivers check the timestamp's age).
    async fn send(
        &self,
        t: &WebhookTarget,
        secret: &Secret,
        msg_id: &str,
        body: &[u8],
    ) -> Result<Answer, String> {
        let url = super::target::parse(&t.url)?;
        // Checked again at each attempt: a name can come to resolve to this server later.
        self.hooks.check_target(&url).await?;
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| "the server is stopping".to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let resp = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", secret.sign(msg_id, timestamp, body))
            .header(BODY_SIGNATURE, secret.sign_body(body))
            .body(body.to_vec())
            .send()
            .await
            .map_err(describe)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::client::parse_retry_after(v, chrono::Utc::now()));
        Ok(Answer {
            status,
            retry_after,
        })
    }

    /// Sleeps, or returns false when the server is stopping.
    async fn pause(&mut self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.shutdown.changed() => false,
        }
    }
}

struct Answer {
    status: u16,
    retry_after: Option<Duration>,
}

/// The wait before attempt `attempt + 1`: the base doubled per attempt, capped, with
/// jitter (between half and all of it), so receivers coming back are not hit by every
/// sender at once.
pub fn backoff(cfg: &super::WebhookConfig, attempt: i64) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(30);
    let full = cfg
        .retry_base
        .saturating_mul(1u32 << exp)
        .min(cfg.retry_max);
    let jitter = rand::rng().random_range(0.5..=1.0);
    full.mul_f64(jitter)
}

/// A connection error in a sentence, without the URL (its path may be a credential).
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "the receiver did not answer in time".into()
    } else if e.is_connect() {
        "could not connect to the receiver".into()
    } else {
        format!("delivery failed: {}", e.without_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let cfg = super::super::WebhookConfig::default();
        for attempt in 1..=12 {
            let full = Duration::from_secs(1 << (attempt - 1)).min(cfg.retry_max);
            let d = backoff(&cfg, attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert!(backoff(&cfg, 1000) <= cfg.retry_max);
    }
}
