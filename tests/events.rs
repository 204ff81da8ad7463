//! The live event stream: live delivery, resumption with Last-Event-ID, reset, heartbeats.
use crate::common;

use common::{SseReader, TestServer};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

async fn subscribe(t: &TestServer, last_id: Option<i64>) -> SseReader {
    let mut r = t.req(Method::GET, "/events", Some(&t.viewer));
    if let Some(id) = last_id {
        r = r.header("Last-Event-ID", id.to_string());
    }
    SseReader::new(r.send().await.unwrap())
}

async fn changes_arrive_live_with_increasing_ids_and_full_state(t: TestServer) {
    let mut sub = subscribe(&t, None).await;
    let inc = t
        .create_incident(json!({"title": "Edge 502s", "severity": "SEV2", "customer_impact": true}))
        .await;
    let ev = sub.next(WAIT).await.expect("incident.created arrives");
    assert_eq!(ev.event, "incident.created");
    let mut data: Value = serde_json::from_str(&ev.data).unwrap();
    // Who made the change, so a console can say "changed by cora" in a conflict.
    assert_eq!(data["actor"], "cora");
    data.as_object_mut().unwrap().remove("actor");
    assert_eq!(data, inc, "the event carries the entity's full state");

    t.customer_update("INC-1").await;
    let posted = sub.next(WAIT).await.unwrap();
    assert_eq!(posted.event, "update.posted");
    assert_eq!(
        serde_json::from_str::<Value>(&posted.data).unwrap()["incident_id"],
        "INC-1"
    );
    let updated = sub.next(WAIT).await.unwrap();
    assert_eq!(updated.event, "incident.updated");
    assert!(
        serde_json::from_str::<Value>(&updated.data).unwrap()["last_customer_update_at"]
            .is_string()
    );

    t.call(
        Method::POST,
        "/incidents/INC-1/actions",
        Some(json!({"title": "t", "owner": "o", "due_date": "2031-01-01"})),
    )
    .await;
    let created = sub.next(WAIT).await.unwrap();
    assert_eq!(created.event, "action.created");
    let c = t.commander.clone();
    t.call_as(
        &c,
        Method::PATCH,
        "/actions/ACT-1",
        Some(json!({"status": "done"})),
        Some(1),
    )
    .await;
    assert_eq!(sub.next(WAIT).await.unwrap().event, "action.updated");
    let due = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    t.call(
        Method::POST,
        "/incidents/INC-1/exceptions",
        Some(json!({"description": "d", "risk_accepted_by": "r", "remediation_due": due})),
    )
    .await;
    let exc = sub.next(WAIT).await.unwrap();
    assert_eq!(exc.event, "exception.created");
    assert_eq!(exc.id, Some(6));
    assert_eq!(
        [ev.id, posted.id, updated.id, created.id],
        [Some(1), Some(2), Some(3), Some(4)],
        "ids are the event log's sequence numbers"
    );
}

async fn reconnecting_with_last_event_id_replays_exactly_what_was_missed(t: TestServer) {
    let mut sub = subscribe(&t, None).await;
    t.create_incident(json!({"title": "One", "severity": "SEV3"}))
        .await;
    t.create_incident(json!({"title": "Two", "severity": "SEV3"}))
        .await;
    let first = sub.next(WAIT).await.unwrap();
    let second = sub.next(WAIT).await.unwrap();
    assert_eq!((first.id, second.id), (Some(1), Some(2)));
    drop(sub); // the console loses its connection

    t.create_incident(json!({"title": "Three", "severity": "SEV1"}))
        .await;
    t.patch("INC-1", json!({"phase": "triage"})).await;
    t.patch("INC-3", json!({"severity": "SEV2", "reason": "contained"}))
        .await;

    // Resume with the header…
    let mut resumed = subscribe(&t, second.id).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let ev = resumed.next(WAIT).await.expect("a missed event");
        got.push((
            ev.id.unwrap(),
            ev.event,
            serde_json::from_str::<Value>(&ev.data).unwrap()["id"].clone(),
        ));
    }
    assert_eq!(
        got,
        vec![
            (3, "incident.created".to_string(), json!("INC-3")),
            (4, "incident.updated".to_string(), json!("INC-1")),
            (5, "incident.updated".to_string(), json!("INC-3")),
        ]
    );
    assert!(
        resumed.next(Duration::from_millis(300)).await.is_none(),
        "nothing more, no duplicates"
    );
    // …then live events follow on the same stream.
    t.create_incident(json!({"title": "Four", "severity": "SEV4"}))
        .await;
    assert_eq!(resumed.next(WAIT).await.unwrap().id, Some(6));

    // The query parameter works the same way.
    let r = t
        .req(Method::GET, "/events?last_event_id=4", Some(&t.viewer))
        .send()
        .await
        .unwrap();
    let mut by_query = SseReader::new(r);
    assert_eq!(by_query.next(WAIT).await.unwrap().id, Some(5));
    assert_eq!(by_query.next(WAIT).await.unwrap().id, Some(6));
}

async fn many_changes_in_a_burst_arrive_in_order_once(t: TestServer) {
    let mut sub = subscribe(&t, None).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = t.http.clone();
        let url = format!("{}/incidents", t.base);
        let token = t.commander.clone();
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"title": format!("burst {i}"), "severity": "SEV4"}))
                .send()
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().status(), reqwest::StatusCode::CREATED);
    }
    let mut ids = Vec::new();
    while ids.len() < 40 {
        ids.push(
            sub.next(WAIT)
                .await
                .expect("every event arrives")
                .id
                .unwrap(),
        );
    }
    assert_eq!(ids, (1..=40).collect::<Vec<i64>>());
    assert!(sub.next(Duration::from_millis(300)).await.is_none());
}

async fn an_id_the_log_no_longer_keeps_gets_a_reset(t: TestServer) {
    for i in 0..5 {
        t.create_incident(json!({"title": format!("n{i}"), "severity": "SEV4"}))
            .await;
    }
    t.server
        .as_ref()
        .unwrap()
        .store
        .prune_events_below(4)
        .await
        .unwrap();
    let mut sub = subscribe(&t, Some(1)).await;
    let reset = sub.next(WAIT).await.unwrap();
    assert_eq!(reset.event, "reset");
    assert_eq!(
        reset.id,
        Some(5),
        "continue from the newest id after re-listing"
    );
    // Only pruned: what changed since the client's newest record is enough.
    assert!(
        reset.data.contains(r#""relist":"changes""#),
        "{}",
        reset.data
    );
    // An id from a different (newer) database also resets, and needs everything again.
    let mut sub = subscribe(&t, Some(999)).await;
    let reset = sub.next(WAIT).await.unwrap();
    assert_eq!(reset.event, "reset");
    assert!(reset.data.contains(r#""relist":"all""#), "{}", reset.data);
    // An id still in the log resumes normally.
    let mut sub = subscribe(&t, Some(3)).await;
    let ev = sub.next(WAIT).await.unwrap();
    assert_eq!((ev.event.as_str(), ev.id), ("incident.created", Some(4)));
}

#[tokio::test]
async fn idle_streams_get_heartbeats_and_bad_ids_are_refused() {
    let t = TestServer::start_with(|cfg| cfg.heartbeat = Duration::from_millis(300)).await;
    let mut resp = t
        .req(Method::GET, "/events", Some(&t.viewer))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !text.contains(": heartbeat") {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("a heartbeat within 5 s")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("retry: 2000"), "{text}");
    let bad = t
        .req(Method::GET, "/events", Some(&t.viewer))
        .header("Last-Event-ID", "abc")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
}

/// A viewer's open stream, its token revoked (as `sitrep token revoke` does, straight in
/// the database), then a SEV1 created: the stream ends within about a second and never
/// carries the SEV1; reconnecting gets 401.
async fn a_revoked_tokens_stream_ends_and_never_sees_what_follows(t: TestServer) {
    let store = t.server.as_ref().unwrap().store.clone();
    let spy = store
        .create_token("spy", sitrep::domain::Role::Viewer)
        .await
        .unwrap();
    let mut sub = SseReader::new(
        t.req(Method::GET, "/events", Some(&spy))
            .send()
            .await
            .unwrap(),
    );
    t.create_incident(json!({"title": "Before the revocation", "severity": "SEV3"}))
        .await;
    assert_eq!(sub.next(WAIT).await.unwrap().event, "incident.created");
    assert!(store.revoke_token("spy").await.unwrap());
    t.create_incident(json!({"title": "Secret SEV1", "severity": "SEV1"}))
        .await;
    let rest = sub
        .rest_until_end(Duration::from_secs(3))
        .await
        .expect("the stream of a revoked token ends within seconds");
    assert!(!rest.contains("Secret SEV1"), "{rest}");
    let again = t
        .req(Method::GET, "/events", Some(&spy))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::UNAUTHORIZED);
    // An idle stream (no event to deliver) ends as well.
    let other = store
        .create_token("spy2", sitrep::domain::Role::Viewer)
        .await
        .unwrap();
    let mut idle = SseReader::new(
        t.req(Method::GET, "/events", Some(&other))
            .send()
            .await
            .unwrap(),
    );
    assert!(store.revoke_token("spy2").await.unwrap());
    assert!(idle.rest_until_end(Duration::from_secs(3)).await.is_some());
    // Other tokens' streams go on.
    let mut viewer = subscribe(&t, None).await;
    t.create_incident(json!({"title": "Still live", "severity": "SEV3"}))
        .await;
    assert_eq!(viewer.next(WAIT).await.unwrap().event, "incident.created");
}

/// A token created with an expiry works until then; at its expiry its open stream ends
/// within the gate's sweep (about a second), and every request is refused with 401.
async fn an_expired_tokens_stream_ends_and_it_is_refused(t: TestServer) {
    let store = t.server.as_ref().unwrap().store.clone();
    let expires = chrono::Utc::now() + chrono::Duration::milliseconds(2500);
    let short = store
        .create_token_until("contractor", sitrep::domain::Role::Viewer, Some(expires))
        .await
        .unwrap();
    let (s, me) = t.call_as(&short, Method::GET, "/whoami", None, None).await;
    assert_eq!(s, reqwest::StatusCode::OK, "{me}");
    let mut sub = SseReader::new(
        t.req(Method::GET, "/events", Some(&short))
            .send()
            .await
            .unwrap(),
    );
    t.create_incident(json!({"title": "Before expiry", "severity": "SEV3"}))
        .await;
    assert_eq!(sub.next(WAIT).await.unwrap().event, "incident.created");
    let wait = (expires - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    t.create_incident(json!({"title": "After expiry", "severity": "SEV1"}))
        .await;
    let rest = sub
        .rest_until_end(Duration::from_secs(3))
        .await
        .expect("the stream of an expired token ends within seconds of its expiry");
    assert!(!rest.contains("After expiry"), "{rest}");
    let (s, body) = t.call_as(&short, Method::GET, "/whoami", None, None).await;
    assert_eq!(s, reqwest::StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    // An expiry in the past is refused at creation.
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    assert!(
        store
            .create_token_until("late", sitrep::domain::Role::Viewer, Some(past))
            .await
            .is_err()
    );
    let listed = store.list_tokens().await.unwrap();
    let c = listed.iter().find(|t| t.name == "contractor").unwrap();
    assert!(c.state(chrono::Utc::now()).starts_with("expired "), "{c:?}");
}

on_both_stores!(
    an_expired_tokens_stream_ends_and_it_is_refused,
    a_revoked_tokens_stream_ends_and_never_sees_what_follows,
    changes_arrive_live_with_increasing_ids_and_full_state,
    reconnecting_with_last_event_id_replays_exactly_what_was_missed,
    many_changes_in_a_burst_arrive_in_order_once,
    an_id_the_log_no_longer_keeps_gets_a_reset,
);
