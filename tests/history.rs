//! The incident list's server-side filters over a long history: what is open, what closed
//! recently, what changed since a point, and text; paged with the list's cursor, on both
//! stores. Bad filter values are refused by name.
use crate::common;

use chrono::{Duration as CDuration, Utc};
use common::{TestServer, assert_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sitrep::domain::{IncidentPatch, Phase};
use sitrep::server::store::SeedOp;

/// Seeds `old` incidents closed ten days ago, `recent` closed an hour ago and `open` open
/// ones (declared now), in that order; returns their ids in the same order.
pub async fn seed_history(
    t: &TestServer,
    old: usize,
    recent: usize,
    open: usize,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let store = &t.server.as_ref().unwrap().store;
    let mut made = Vec::new();
    for (count, age, close) in [
        (old, CDuration::days(10), true),
        (recent, CDuration::hours(1), true),
        (open, CDuration::zero(), false),
    ] {
        let at = Utc::now() - age;
        let mut ops = Vec::new();
        for i in 0..count {
            let title = if close {
                format!("Closed {i} of {} ago", age.num_hours())
            } else {
                format!("Open {i}")
            };
            ops.push(SeedOp::Create {
                at,
                actor: "seed".into(),
                req: serde_json::from_value(json!({"title": title, "severity": "SEV3"})).unwrap(),
            });
            if close {
                ops.push(SeedOp::Patch {
                    at,
                    actor: "seed".into(),
                    incident: i,
                    patch: IncidentPatch {
                        phase: Some(Phase::Closed),
                        ..Default::default()
                    },
                });
            }
        }
        made.push(store.seed(&ops).await.unwrap());
    }
    let open_ids = made.pop().unwrap();
    let recent_ids = made.pop().unwrap();
    (made.pop().unwrap(), recent_ids, open_ids)
}

/// Every page of `GET /incidents?<query>`, following `next_cursor`; the ids and the number
/// of pages.
pub async fn all_pages(t: &TestServer, query: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..1000 {
        let mut path = format!("/incidents?{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, v) = t.call(Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        ids.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (ids, pages),
        }
    }
    panic!("the list never ended");
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn enc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .replace('+', "%2B")
}

async fn filters_select_what_is_live_and_page_through_history(t: TestServer) {
    let (old, recent, open) = seed_history(&t, 5, 2, 3).await;
    let (got, _) = all_pages(&t, "open=true").await;
    assert_eq!(sorted(got), sorted(open.clone()));

    let day_ago = enc(Utc::now() - CDuration::hours(24));
    let (got, _) = all_pages(&t, &format!("closed_since={day_ago}")).await;
    assert_eq!(
        sorted(got),
        sorted(recent.clone()),
        "only the recently closed"
    );

    // The old history is still there, a page at a time, newest first.
    let (got, pages) = all_pages(&t, "open=false&limit=2").await;
    assert_eq!(pages, 4, "7 closed incidents in pages of 2");
    let mut closed: Vec<String> = old.iter().chain(&recent).cloned().collect();
    closed.reverse();
    assert_eq!(got, closed);

    // A delta: what changed in the last two hours (the recent closes and the open ones).
    let two_hours = enc(Utc::now() - CDuration::hours(2));
    let (got, _) = all_pages(&t, &format!("updated_since={two_hours}")).await;
    let mut want = recent.clone();
    want.extend(open.clone());
    assert_eq!(sorted(got), sorted(want));

    // Text, case-insensitive, taken literally (a `%` is not a wildcard), combined with phase.
    let (got, _) = all_pages(&t, "q=CLOSED%201%20of&open=false").await;
    assert_eq!(sorted(got), sorted(vec![old[1].clone(), recent[1].clone()]));
    let (got, _) = all_pages(&t, "q=%25").await;
    assert!(got.is_empty(), "{got:?}");
    let (got, _) = all_pages(&t, &format!("q={}", open[0].to_lowercase())).await;
    assert_eq!(got, vec![open[0].clone()]);
}

async fn a_change_moves_an_incident_into_the_delta(t: TestServer) {
    let (old, _, _) = seed_history(&t, 2, 0, 0).await;
    let since = Utc::now() - CDuration::seconds(1);
    let (got, _) = all_pages(&t, &format!("updated_since={}", enc(since))).await;
    assert!(got.is_empty(), "{got:?}");
    // A commander corrects an old closed incident's title: it is a change since then.
    let (s, v) = t.patch(&old[0], json!({"title": "Renamed"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (got, _) = all_pages(&t, &format!("updated_since={}", enc(since))).await;
    assert_eq!(got, vec![old[0].clone()]);
    let (got, _) = all_pages(&t, "q=renamed").await;
    assert_eq!(
        got,
        vec![old[0].clone()],
        "the search text follows the change"
    );
}

async fn bad_filter_values_are_refused_by_name(t: TestServer) {
    for (query, field) in [
        ("closed_since=yesterday", "closed_since"),
        ("updated_since=2026-13-01T00:00:00Z", "updated_since"),
        ("open=yes", "open"),
        ("q=", "q"),
        ("q=%20%20", "q"),
    ] {
        let got = t
            .call(Method::GET, &format!("/incidents?{query}"), None)
            .await;
        assert_error(&got, 400, field);
    }
    let long: String = "x".repeat(201);
    let got: (StatusCode, Value) = t
        .call(Method::GET, &format!("/incidents?q={long}"), None)
        .await;
    assert_error(&got, 400, "q");
}

crate::on_both_stores!(
    filters_select_what_is_live_and_page_through_history,
    a_change_moves_an_incident_into_the_delta,
    bad_filter_values_are_refused_by_name,
);
