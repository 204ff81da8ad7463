//! Input the API used to take that it should not have: titles nothing can see, dates that
//! do not sort, unbounded role maps, empty alert groups; and `GET /actions` and one
//! incident's lists, which sent every record in one answer.
use crate::common;

use chrono::{Duration, Utc};
use common::{TestServer, assert_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sitrep::client::{ApiClient, Token};
use sitrep::domain::{NewAction, NewIncident, Severity};
use sitrep::server::store::SeedOp;

/// Zero-width spaces, word joiners, a BOM, tag characters, an escape sequence: nothing a
/// terminal draws. Refused as a title (and as any other required text) with 422 naming it.
async fn invisible_titles_are_refused(t: TestServer) {
    let invisible = [
        "\u{200b}\u{200b}\u{200b}",
        "\u{2060}\u{feff}\u{200d}",
        "\u{e0049}\u{e004e}\u{e0043}",
        "\u{1b}[2J",
        " \u{00ad}\u{034f} ",
    ];
    for title in invisible {
        let got = t
            .call(
                Method::POST,
                "/incidents",
                Some(json!({"title": title, "severity": "SEV2"})),
            )
            .await;
        assert_error(&got, 422, "title");
    }
    t.create_incident(json!({"title": "Visible", "severity": "SEV2"}))
        .await;
    let got = t.patch("INC-1", json!({"title": "\u{200b}"})).await;
    assert_error(&got, 422, "title");
    let got = t
        .call(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "\u{2060}", "owner": "ana", "due_date": "2031-01-01"})),
        )
        .await;
    assert_error(&got, 422, "title");
    let got = t
        .call(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "Fix", "owner": "\u{200b}", "due_date": "2031-01-01"})),
        )
        .await;
    assert_error(&got, 422, "owner");
    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "nothing else stored"
    );
}

/// `+10000-01-01` was accepted and sorted before every real date. Dates now have
/// four-digit years from 2000; anything else is 422 naming the field.
async fn dates_outside_four_digit_years_are_refused(t: TestServer) {
    t.create_incident(json!({"title": "Dates", "severity": "SEV3"}))
        .await;
    for due in ["+10000-01-01", "1999-12-31", "-0001-01-01"] {
        let got = t
            .call(
                Method::POST,
                "/incidents/INC-1/actions",
                Some(json!({"title": "Fix", "owner": "ana", "due_date": due})),
            )
            .await;
        assert_error(&got, 422, "due_date");
    }
    let (s, a) = t
        .call(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "Fix", "owner": "ana", "due_date": "9999-12-31"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let got = t
        .call_as(
            &t.commander.clone(),
            Method::PATCH,
            &format!("/actions/{}", a["id"].as_str().unwrap()),
            Some(json!({"due_date": "+10000-01-01"})),
            Some(1),
        )
        .await;
    assert_error(&got, 422, "due_date");
    let got = t
        .call(
            Method::POST,
            "/incidents/INC-1/exceptions",
            Some(json!({"description": "ship it", "risk_accepted_by": "CTO", "remediation_due": "+10000-01-01T00:00:00Z"})),
        )
        .await;
    assert_error(&got, 422, "remediation_due");
}

/// One PATCH with thousands of roles wrote thousands of timeline entries. The map is capped
/// (count and key/value lengths), per request and in total; nothing is written on refusal.
async fn the_roles_map_is_capped(t: TestServer) {
    t.create_incident(json!({"title": "Roles", "severity": "SEV3"}))
        .await;
    let many: serde_json::Map<String, Value> =
        (0..8500).map(|i| (format!("r{i}"), json!("ana"))).collect();
    let got = t.patch("INC-1", json!({"roles": many})).await;
    assert_error(&got, 422, "roles");
    let got = t
        .patch("INC-1", json!({"roles": {"a".repeat(33): "ana"}}))
        .await;
    assert_error(&got, 422, "roles");
    let got = t
        .patch("INC-1", json!({"roles": {"scribe": "x".repeat(101)}}))
        .await;
    assert_error(&got, 422, "roles");
    // Sixteen fit; the seventeenth, in a later request, does not.
    let sixteen: serde_json::Map<String, Value> = (0..16)
        .map(|i| (format!("role_{i}"), json!("ana")))
        .collect();
    assert_eq!(t.patch("INC-1", json!({"roles": sixteen})).await.0, 200);
    let got = t.patch("INC-1", json!({"roles": {"one_more": "bo"}})).await;
    assert_error(&got, 422, "roles");
    let (_, tl) = t.call(Method::GET, "/incidents/INC-1/timeline", None).await;
    assert_eq!(tl["items"].as_array().unwrap().len(), 1 + 16, "{tl}");
}

/// An Alertmanager group with no alerts said nothing yet opened an incident.
async fn an_alert_group_with_no_alerts_opens_nothing(t: TestServer) {
    let got = t
        .call_as(
            &t.responder.clone(),
            Method::POST,
            "/ingest/alertmanager",
            Some(json!({"version": "4", "groupKey": "{}:{}", "status": "firing", "alerts": []})),
            None,
        )
        .await;
    assert_error(&got, 422, "alerts");
    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    assert_eq!(page["items"], json!([]));
}

/// A group marked firing whose only alert is resolved (hand-written, or delivered out of
/// order) is a resolved group, as Alertmanager defines it: it opens nothing. The same group
/// with a firing alert still opens an incident.
async fn a_firing_group_with_only_resolved_alerts_opens_nothing(t: TestServer) {
    let group = |alert_status: &str| {
        json!({"version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing",
            "alerts": [{"status": alert_status, "labels": {"alertname": "DiskFull", "severity": "critical"},
                "annotations": {}, "startsAt": "2026-11-29T05:00:00Z", "fingerprint": "f1"}]})
    };
    let (s, out) = t
        .call_as(
            &t.responder.clone(),
            Method::POST,
            "/ingest/alertmanager",
            Some(group("resolved")),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(out["created"], false, "{out}");
    assert!(out["incident_id"].is_null(), "{out}");
    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    assert_eq!(page["items"], json!([]));

    let (_, out) = t
        .call_as(
            &t.responder.clone(),
            Method::POST,
            "/ingest/alertmanager",
            Some(group("firing")),
            None,
        )
        .await;
    assert_eq!(out["created"], true, "{out}");
}

fn seeded_actions(n: usize) -> Vec<SeedOp> {
    let at = Utc::now() - Duration::days(1);
    let today = Utc::now().date_naive();
    let mut ops = vec![SeedOp::Create {
        at,
        actor: "cora".into(),
        req: NewIncident::new("Many actions", Severity::Sev3),
    }];
    for i in 0..n {
        // Every third is overdue; the rest are due over the coming weeks.
        let due = if i % 3 == 0 {
            today - Duration::days(1 + (i % 40) as i64)
        } else {
            today + Duration::days((i % 60) as i64)
        };
        ops.push(SeedOp::Action {
            at,
            actor: "cora".into(),
            incident: 0,
            req: NewAction {
                title: format!("Action {i}"),
                owner: if i % 2 == 0 { "Ana" } else { "bo" }.into(),
                due_date: due,
                priority: None,
            },
        });
    }
    ops
}

/// `GET /actions` pages like `/incidents` (limit 1-500, opaque cursor), keeps its order
/// (overdue first, then by due date), and the client follows the cursor, so the console and
/// `sitrep actions list` still see every open action.
async fn actions_are_paginated(t: TestServer) {
    const N: usize = 1205;
    let store = &t.server.as_ref().unwrap().store;
    store.seed(&seeded_actions(N)).await.unwrap();

    let (s, first) = t.call(Method::GET, "/actions?limit=7", None).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["items"].as_array().unwrap().len(), 7);
    assert!(first["next_cursor"].is_string(), "{first}");
    let (_, default) = t.call(Method::GET, "/actions", None).await;
    assert_eq!(default["items"].as_array().unwrap().len(), 50);
    for bad in ["limit=0", "limit=501", "limit=x"] {
        let got = t.call(Method::GET, &format!("/actions?{bad}"), None).await;
        assert_error(&got, 422, "limit");
    }
    for bad in ["n12", "t5"] {
        let got = t
            .call(Method::GET, &format!("/actions?cursor={bad}"), None)
            .await;
        assert_error(&got, 422, "cursor");
    }

    // Walk every page of a filtered list by hand: each action once, in order.
    let mut seen: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = String::from("/actions?owner=ana&limit=97");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, page) = t.call(Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected_ana = (0..N).filter(|i| i % 2 == 0).count();
    assert_eq!(seen.len(), expected_ana);
    let key = |a: &Value| {
        (
            !a["overdue"].as_bool().unwrap(),
            a["due_date"].as_str().unwrap().to_string(),
            a["id"].as_str().unwrap()[4..].parse::<i64>().unwrap(),
        )
    };
    let keys: Vec<_> = seen.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "in order, each once");
    assert!(seen.iter().all(|a| a["owner"] == "Ana"));

    let (_, overdue) = t
        .call(Method::GET, "/actions?overdue=true&limit=500", None)
        .await;
    let overdue = overdue["items"].as_array().unwrap();
    assert_eq!(overdue.len(), (0..N).filter(|i| i % 3 == 0).count());
    assert!(overdue.iter().all(|a| a["overdue"] == true));

    // The client follows the cursor past its 500-item pages.
    let client =
        ApiClient::new(&t.base.replace("/api/v1", ""), Token::new(t.viewer.clone())).unwrap();
    let all = client.open_actions().await.unwrap();
    assert_eq!(all.len(), N);
    let mut ids: Vec<&str> = all.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), N, "each action once");
    let first_not_overdue = all.iter().position(|a| !a.overdue).unwrap();
    assert!(
        all[first_not_overdue..].iter().all(|a| !a.overdue),
        "overdue first"
    );
}

/// One incident's lists (actions, timeline, updates, exceptions, signals) page the same
/// way, oldest first: an incident with 1,205 actions used to come back in one answer.
async fn one_incidents_lists_are_paginated(t: TestServer) {
    const N: usize = 1205;
    let store = &t.server.as_ref().unwrap().store;
    store.seed(&seeded_actions(N)).await.unwrap();
    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    let id = page["items"][0]["id"].as_str().unwrap().to_string();

    let base = format!("/incidents/{id}/actions");
    let (s, default) = t.call(Method::GET, &base, None).await;
    assert_eq!(s, StatusCode::OK, "{default}");
    assert_eq!(default["items"].as_array().unwrap().len(), 500);
    assert!(default["next_cursor"].is_string(), "{default}");
    for bad in ["limit=0", "limit=501", "limit=x"] {
        let got = t.call(Method::GET, &format!("{base}?{bad}"), None).await;
        assert_error(&got, 422, "limit");
    }
    // A cursor of another list's shape is refused, not read as a position.
    for bad in ["a0.2026-01-01.1", "nzz", "7", "n4", "a01", "a+1"] {
        let got = t
            .call(Method::GET, &format!("{base}?cursor={bad}"), None)
            .await;
        assert_error(&got, 422, "cursor");
    }

    // By hand: each action once, oldest first; the last page says so with a null cursor.
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut last_page = Value::Null;
    for _ in 0..200 {
        let mut path = format!("{base}?limit=97");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, page) = t.call(Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 97);
        seen.extend(
            items
                .iter()
                .map(|a| a["id"].as_str().unwrap()[4..].parse::<i64>().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                last_page = page;
                break;
            }
        }
    }
    assert!(last_page["next_cursor"].is_null(), "{last_page}");
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen, sorted, "oldest first, each once");
    assert_eq!(seen.len(), N);

    // The client (console detail, `sitrep report`) follows the cursor to the end.
    let client =
        ApiClient::new(&t.base.replace("/api/v1", ""), Token::new(t.viewer.clone())).unwrap();
    assert_eq!(client.incident_actions(&id).await.unwrap().len(), N);
    let timeline = client.timeline(&id).await.unwrap();
    assert!(timeline.len() > N, "every entry: {}", timeline.len());
    assert!(timeline.windows(2).all(|w| w[0].seq < w[1].seq));
    let (_, tl) = t
        .call(Method::GET, &format!("/incidents/{id}/timeline"), None)
        .await;
    assert_eq!(tl["items"].as_array().unwrap().len(), 500);
    for list in ["updates", "exceptions", "signals"] {
        let (s, page) = t
            .call(
                Method::GET,
                &format!("/incidents/{id}/{list}?limit=1"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{list}: {page}");
        assert!(page["next_cursor"].is_null(), "{list}: {page}");
        let got = t
            .call(
                Method::GET,
                &format!("/incidents/{id}/{list}?limit=0"),
                None,
            )
            .await;
        assert_error(&got, 422, "limit");
    }
}

/// An alert group of nearly a megabyte, three times changed: a page of an incident's
/// signals stops at its byte budget (2 MiB) whatever `limit` says, so a page of 500 such
/// groups is never built whole in memory (it was: 70 MB per answer, 1 GB of RSS).
async fn a_page_of_big_signals_stops_at_its_byte_budget(t: TestServer) {
    let group = |round: usize| {
        let alerts: Vec<Value> = (0..2000)
            .map(|i| {
                json!({"status": "firing", "startsAt": "2026-11-29T05:00:00Z",
                    "fingerprint": format!("r{round}-{i}"),
                    "labels": {"alertname": "NodeDown", "severity": "critical",
                        "instance": format!("node-{i}.{}", "x".repeat(250))},
                    "annotations": {}})
            })
            .collect();
        json!({"version": "4", "groupKey": "{}:{alertname=\"NodeDown\"}", "status": "firing", "alerts": alerts})
    };
    let mut incident = String::new();
    for round in 0..3 {
        let (s, out) = t
            .call_as(
                &t.responder.clone(),
                Method::POST,
                "/ingest/alertmanager",
                Some(group(round)),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{out}");
        incident = out["incident_id"].as_str().unwrap().to_string();
    }
    let path = format!("/incidents/{incident}/signals");
    let (s, first) = t.call(Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::OK);
    let n = first["items"].as_array().unwrap().len();
    assert!((1..3).contains(&n), "{n} signals of ~0.8 MB in one page");
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more follow")
        .to_string();
    let (_, rest) = t
        .call(Method::GET, &format!("{path}?cursor={cursor}"), None)
        .await;
    assert_eq!(
        n + rest["items"].as_array().unwrap().len(),
        3,
        "{}",
        rest["next_cursor"]
    );
    assert!(rest["next_cursor"].is_null());
}

on_both_stores!(
    a_page_of_big_signals_stops_at_its_byte_budget,
    one_incidents_lists_are_paginated,
    invisible_titles_are_refused,
    dates_outside_four_digit_years_are_refused,
    the_roles_map_is_capped,
    an_alert_group_with_no_alerts_opens_nothing,
    a_firing_group_with_only_resolved_alerts_opens_nothing,
    actions_are_paginated,
);
