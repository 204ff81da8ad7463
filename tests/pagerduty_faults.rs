//! What an outside check of the PagerDuty backend found (pointed at a mock server serving
//! PagerDuty's official OpenAPI document), reproduced against the local fake: a permanent
//! refusal shown as "server busy" and retried forever, one unreadable record failing the
//! whole poll, and a list whose `more` never turns false paging to offset 10,000 and
//! starving the detail pane of the rate budget.
use crate::pagerduty::{account, fast, gateway, pd, subscribe, wait_for};
use crate::pagerduty_fake;

use chrono::{Duration as CDuration, Utc};
use pagerduty_fake::incident;
use sitrep::client::LiveMsg;
use sitrep::pagerduty::api::Limiter;
use sitrep::pagerduty::{Gateway, PdError};
use std::time::{Duration, Instant};

/// PagerDuty's message, with an escape sequence and a bidi override in it.
const HOSTILE_406: &str =
    "Not Acceptable \u{1b}[2J\u{202e}: the Accept header names no version we serve";

#[tokio::test]
async fn a_permanent_refusal_is_shown_as_itself_and_not_retried() {
    let fake = account().await;
    let (gw, api) = gateway(&fake).await;
    let mut live = subscribe(&api);
    wait_for(&mut live, |m| matches!(m, LiveMsg::Connected { .. })).await;
    fake.state.lock().unwrap().refuse = Some((406, HOSTILE_406.into()));
    // The console's stream ends, and reconnecting is refused with what PagerDuty said:
    // its status and its own message (sanitized), not "server busy".
    let msg = wait_for(
        &mut live,
        |m| matches!(m, LiveMsg::Disconnected { error, .. } if error.contains("406")),
    )
    .await;
    let LiveMsg::Disconnected { error, .. } = msg else {
        unreachable!()
    };
    assert!(
        error.contains("PagerDuty answered 406 Not Acceptable: Not Acceptable"),
        "{error}"
    );
    assert!(
        error.contains("the Accept header names no version we serve"),
        "{error}"
    );
    assert!(!error.contains("busy"), "{error}");
    assert!(
        !error.contains('\u{1b}') && !error.contains('\u{202e}'),
        "{error:?}"
    );
    // Reads of the board say so too, as a 502 naming the refusal, without Retry-After.
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/events", gw.base()))
        .bearer_auth(gw.token().expose())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    assert!(resp.headers().get("retry-after").is_none());
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "pagerduty_refused");
    // And PagerDuty is not asked again: at a 300 ms poll, 2 s would be six more polls.
    let before = fake.requests().len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        fake.requests().len(),
        before,
        "the refused poll was retried"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn a_refusal_at_start_names_pagerdutys_answer() {
    let fake = account().await;
    fake.state.lock().unwrap().refuse = Some((406, HOSTILE_406.into()));
    let err = Gateway::start(pd(&fake), fast())
        .await
        .err()
        .expect("refused");
    let text = format!("{err:#}");
    assert!(text.contains("406 Not Acceptable"), "{text}");
    assert!(text.contains("names no version we serve"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
    // One request (the first poll's first), not a loop.
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_failing_server_is_retried_with_a_growing_wait() {
    let fake = account().await;
    let (gw, _api) = gateway(&fake).await;
    fake.state.lock().unwrap().down = true;
    let start = fake.requests().len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // At a 300 ms poll without backoff this would be about ten polls (two requests
    // each); doubling from 300 ms, at most four fit in 3 s.
    let polls = fake.requests()[start..]
        .iter()
        .filter(|r| r.path == "/incidents" && r.q("statuses[]") != ["resolved"])
        .count();
    assert!((1..=4).contains(&polls), "{polls} polls while down");
    fake.state.lock().unwrap().down = false;
    gw.shutdown().await;
}

#[tokio::test]
async fn one_unreadable_record_is_left_out_and_named_not_the_whole_poll() {
    let fake = account().await;
    let mut bad = incident(
        "PNEG001",
        7,
        "Negative number",
        "triggered",
        "high",
        Utc::now() - CDuration::minutes(5),
    );
    bad["incident_number"] = serde_json::json!(-3);
    fake.add(bad);
    let (gw, api) = gateway(&fake).await;
    let (api, skipped) = api.collecting();
    let list = api.list_incidents().await.unwrap();
    let ids: Vec<&str> = list.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(list.len(), 4, "{ids:?}");
    assert!(!ids.contains(&"PNEG001"));
    let skipped = skipped.take();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].record, "PNEG001");
    assert!(skipped[0].error.contains("-3"), "{}", skipped[0].error);
    // The gateway is up (the poll succeeded), not down over one record.
    let health = reqwest::get(format!("{}/api/v1/health", gw.base()))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn endless_more_stops_at_the_first_page_that_brings_nothing_new() {
    let fake = account().await;
    fake.state.lock().unwrap().endless = true;
    let listing = pd(&fake)
        .list_incidents(&[
            ("statuses[]", "triggered".into()),
            ("statuses[]", "acknowledged".into()),
            ("date_range", "all".into()),
        ])
        .await
        .unwrap();
    assert_eq!(listing.incidents.len(), 3);
    // The first page, and the repeat that shows nothing new follows: not 100 pages.
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn detail_reads_go_ahead_of_polling_in_the_rate_budget() {
    let fake = account().await;
    // A budget of 20 a minute: the poller may use 18 of them.
    let client = pd(&fake).with_limiter(Limiter::new(20, Duration::from_secs(60)));
    let poller = client
        .background()
        .with_max_wait(Duration::from_millis(200));
    let mut polled = 0;
    loop {
        match poller.incident("PT4KHLK").await {
            Ok(_) => polled += 1,
            Err(PdError::RateLimited { .. }) => break,
            Err(e) => panic!("{e}"),
        }
        assert!(polled <= 20, "background requests took the whole budget");
    }
    assert_eq!(polled, 18);
    // A detail read still goes through at once.
    let started = Instant::now();
    client.incident("PACK001").await.unwrap();
    client.log_entries("PACK001").await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}
