//! Several `sitrep serve` replicas on one PostgreSQL database.
use crate::common;

use common::{SseReader, TestServer, pg};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sitrep::server::Database;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// Two servers on one fresh database (None when PostgreSQL is unavailable). The second
/// shares the first's tokens, since they share the database.
async fn two_replicas() -> Option<(TestServer, TestServer)> {
    let url = pg::fresh_database().await?;
    let a = TestServer::start_db(Database::Postgres(url.clone()), |_| {}).await;
    let b = TestServer::replica_of(&a, Database::Postgres(url)).await;
    Some((a, b))
}

async fn subscribe(t: &TestServer, last: Option<i64>) -> SseReader {
    let mut r = t.req(Method::GET, "/events", Some(&t.viewer));
    if let Some(id) = last {
        r = r.header("Last-Event-ID", id.to_string());
    }
    SseReader::new(r.send().await.unwrap())
}

#[tokio::test]
async fn every_replica_streams_every_change_with_the_same_ids_in_order() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    let mut on_a = subscribe(&a, None).await;
    let mut on_b = subscribe(&b, None).await;
    let mut writes = Vec::new();
    for i in 0..30 {
        let t = if i % 2 == 0 { &a } else { &b };
        let (http, url, token) = (
            t.http.clone(),
            format!("{}/incidents", t.base),
            t.commander.clone(),
        );
        writes.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"title": format!("r{i}"), "severity": "SEV3"}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for w in writes {
        assert_eq!(w.await.unwrap(), StatusCode::CREATED);
    }
    for sub in [&mut on_a, &mut on_b] {
        let mut got = Vec::new();
        while got.len() < 30 {
            let ev = sub
                .next(WAIT)
                .await
                .expect("every change reaches every replica's subscribers");
            got.push((
                ev.id.unwrap(),
                serde_json::from_str::<Value>(&ev.data).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ));
        }
        let ids: Vec<i64> = got.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids,
            (1..=30).collect::<Vec<_>>(),
            "same ids, in order, no gaps"
        );
        let incidents: std::collections::BTreeSet<&str> =
            got.iter().map(|(_, inc)| inc.as_str()).collect();
        assert_eq!(incidents.len(), 30, "no duplicates");
        assert!(sub.next(Duration::from_millis(300)).await.is_none());
    }
}

#[tokio::test]
async fn resume_on_another_replica_misses_nothing() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    let mut on_a = subscribe(&a, None).await;
    a.create_incident(json!({"title": "one", "severity": "SEV2"}))
        .await;
    let first = on_a.next(WAIT).await.unwrap();
    drop(on_a); // the console's replica goes away
    b.create_incident(json!({"title": "two", "severity": "SEV2"}))
        .await;
    a.create_incident(json!({"title": "three", "severity": "SEV2"}))
        .await;
    let mut on_b = subscribe(&b, first.id).await;
    let titles: Vec<String> = [
        on_b.next(WAIT).await.unwrap(),
        on_b.next(WAIT).await.unwrap(),
    ]
    .iter()
    .map(|e| {
        serde_json::from_str::<Value>(&e.data).unwrap()["title"]
            .as_str()
            .unwrap()
            .to_string()
    })
    .collect();
    assert_eq!(titles, vec!["two", "three"]);
}

#[tokio::test]
async fn one_idempotency_key_sent_to_two_replicas_at_once_stores_one_row() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    a.create_incident(json!({"title": "Outage", "severity": "SEV1"}))
        .await;
    let body = json!({"audience": "internal", "current_status": "restarting the fleet"});
    let send = |t: &TestServer| {
        t.req(Method::POST, "/incidents/INC-1/updates", Some(&t.commander))
            .header("Idempotency-Key", "same-key")
            .json(&body)
            .send()
    };
    let (ra, rb) = tokio::join!(send(&a), send(&b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        (ra.status(), rb.status()),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(
        ra.text().await.unwrap(),
        rb.text().await.unwrap(),
        "both get the same answer"
    );
    let (_, list) = a.call(Method::GET, "/incidents/INC-1/updates", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn two_stale_patches_through_two_replicas_exactly_one_wins() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    a.create_incident(json!({"title": "Latency", "severity": "SEV3"}))
        .await;
    let (ca, cb) = (a.commander.clone(), b.commander.clone());
    let (ra, rb) = tokio::join!(
        a.call_as(
            &ca,
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"title": "from A"})),
            Some(1)
        ),
        b.call_as(
            &cb,
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"title": "from B"})),
            Some(1)
        ),
    );
    let mut statuses = vec![ra.0.as_u16(), rb.0.as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 412]);
    let winner = if ra.0 == StatusCode::OK {
        "from A"
    } else {
        "from B"
    };
    let (_, now) = b.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(
        (now["title"].as_str(), now["version"].as_i64()),
        (Some(winner), Some(2))
    );
}

#[tokio::test]
async fn a_token_revoked_through_one_replica_loses_its_stream_on_the_other() {
    let Some((a, b)) = two_replicas().await else {
        return;
    };
    let store_a = a.server.as_ref().unwrap().store.clone();
    let spy = store_a
        .create_token("spy", sitrep::domain::Role::Viewer)
        .await
        .unwrap();
    let mut on_b = SseReader::new(
        b.req(Method::GET, "/events", Some(&spy))
            .send()
            .await
            .unwrap(),
    );
    assert!(store_a.revoke_token("spy").await.unwrap());
    let (s, _) = a
        .call(
            Method::POST,
            "/incidents",
            Some(json!({"title": "Secret SEV1", "severity": "SEV1"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let rest = on_b
        .rest_until_end(Duration::from_secs(3))
        .await
        .expect("the other replica ends the stream within seconds");
    assert!(!rest.contains("Secret SEV1"), "{rest}");
    let again = b
        .req(Method::GET, "/events", Some(&spy))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}
