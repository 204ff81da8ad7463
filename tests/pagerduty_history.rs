//! What the console and scripts get from `--backend pagerduty` for the list filters that
//! keep a console's cost to what is live. The gateway holds what its poller lists (every
//! open PagerDuty incident, and those resolved in the last day) and filters that; PagerDuty
//! has no closed phase (resolved is post-incident follow-through) and no corrective actions.
use crate::pagerduty;

use chrono::{Duration as CDuration, Utc};
use sitrep::client::RECENT_CLOSED;
use sitrep::domain::Phase;

fn ids(list: &[sitrep::domain::Incident]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|i| i.id.clone()).collect();
    v.sort();
    v
}

fn at(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn the_gateway_answers_the_live_filters_from_what_it_holds() {
    let fake = pagerduty::account().await;
    let (gw, api) = pagerduty::gateway(&fake).await;
    let held = ["PACK001", "PLOW001", "PRES001", "PT4KHLK"];

    // open=true: every held incident (resolved is follow-through, not closed).
    let open = api
        .incidents_where(&[("open", "true".into())])
        .await
        .unwrap();
    assert_eq!(ids(&open), held);
    assert!(open.iter().all(|i| i.phase != Phase::Closed));

    // What the console loads at start-up: the same four, nothing twice, and the load does
    // not fail on the filters PagerDuty has nothing for.
    let live = api
        .live_incidents(Utc::now() - RECENT_CLOSED)
        .await
        .unwrap();
    assert_eq!(ids(&live), held);

    // Closed (open=false, closed_since) and owing corrective actions: PagerDuty has none,
    // so the closed view says "all 0 loaded" rather than failing.
    for filter in [
        ("open", "false".to_string()),
        ("closed_since", at(Utc::now() - CDuration::days(30))),
        ("open_actions", "true".to_string()),
    ] {
        let got = api
            .incidents_where(std::slice::from_ref(&filter))
            .await
            .unwrap();
        assert!(got.is_empty(), "{filter:?}: {got:?}");
    }
    let (page, next) = api.closed_page(None, None).await.unwrap();
    assert!(page.is_empty() && next.is_none());

    // updated_since: the reconnect delta; nothing changed in the future, all since a day.
    let later = api
        .changed_incidents(Utc::now() + CDuration::hours(1))
        .await
        .unwrap();
    assert!(later.is_empty(), "{later:?}");
    let day = api
        .changed_incidents(Utc::now() - CDuration::days(1))
        .await
        .unwrap();
    assert_eq!(ids(&day), held);

    // q: words in the title or id, case-insensitive, as the `/` filter reads them.
    let got = api
        .incidents_where(&[("q", "CHECKOUT 502".into())])
        .await
        .unwrap();
    assert_eq!(ids(&got), ["PT4KHLK"]);
    let got = api
        .incidents_where(&[("q", "pres001".into())])
        .await
        .unwrap();
    assert_eq!(ids(&got), ["PRES001"]);
    // Resolved three days ago: beyond what the gateway holds, so no filter finds it.
    let got = api
        .incidents_where(&[("q", "old resolved".into())])
        .await
        .unwrap();
    assert!(got.is_empty(), "{got:?}");

    // A bad value is refused by name, as `sitrep serve` does.
    let e = api
        .incidents_where(&[("open_actions", "yes".into())])
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("open_actions"), "{e:#}");
    gw.shutdown().await;
}
