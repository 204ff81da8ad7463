//! Scribe notes: `POST /incidents/{id}/notes` appends a `note` entry to the timeline (with
//! the time it happened, if given), is a responder's, names the field it refuses, honours
//! the Idempotency-Key, and reaches live subscribers as `timeline.appended`.
use crate::common;

use common::{SseReader, TestServer, assert_error};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn notes_land_on_the_timeline(t: TestServer) {
    let inc = t
        .create_incident(json!({"title": "Edge 502s", "severity": "SEV2"}))
        .await;
    let id = inc["id"].as_str().unwrap();
    let path = format!("/incidents/{id}/notes");
    let mut live = SseReader::new(
        t.req(Method::GET, "/events", Some(&t.viewer))
            .send()
            .await
            .unwrap(),
    );
    // A responder's note, with the time it happened.
    let (s, entry) = t
        .call_as(
            &t.responder.clone(),
            Method::POST,
            &path,
            Some(json!({"text": "DBA paged\nfailover started", "happened_at": "2026-01-02T03:04:05Z"})),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["kind"], "note");
    assert_eq!(entry["note"], "DBA paged\nfailover started");
    assert_eq!(entry["field"], "happened_at");
    assert_eq!(entry["new"], "2026-01-02T03:04:05Z");
    assert!(entry["actor"].as_str().is_some_and(|a| !a.is_empty()));
    let (_, tl) = t
        .call(Method::GET, &format!("/incidents/{id}/timeline"), None)
        .await;
    let items = tl["items"].as_array().expect("a page of entries");
    assert_eq!(items.last(), Some(&entry), "{tl}");
    // Other consoles hear of it.
    let mut seen = vec![];
    while let Some(ev) = live.next(Duration::from_secs(5)).await {
        if ev.event == "timeline.appended" {
            // Read as clients read it: a duplicated key (two `actor`s) made it unreadable.
            let typed: Result<sitrep::domain::TimelineEntry, _> = serde_json::from_str(&ev.data);
            assert!(typed.is_ok(), "{:?}: {}", typed.err(), ev.data);
            let mut data: Value = serde_json::from_str(&ev.data).unwrap();
            data.as_object_mut().unwrap().remove("actor");
            data["actor"] = entry["actor"].clone();
            assert_eq!(data, entry);
            break;
        }
        seen.push(ev.event);
        assert!(seen.len() < 10, "no timeline.appended in {seen:?}");
    }
    // Without a time: just the text.
    let (s, entry) = t
        .call(Method::POST, &path, Some(json!({"text": "rolled back"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{entry}");
    assert_eq!(
        (&entry["field"], &entry["new"]),
        (&Value::Null, &Value::Null)
    );
}

async fn bad_notes_are_refused_by_field_and_viewers_cannot_add_them(t: TestServer) {
    let inc = t
        .create_incident(json!({"title": "Edge 502s", "severity": "SEV2"}))
        .await;
    let id = inc["id"].as_str().unwrap();
    let path = format!("/incidents/{id}/notes");
    assert_error(
        &t.call(Method::POST, &path, Some(json!({"text": "  "})))
            .await,
        422,
        "text",
    );
    assert_error(
        &t.call(
            Method::POST,
            &path,
            Some(json!({"text": "x".repeat(10_001)})),
        )
        .await,
        422,
        "text",
    );
    assert_error(
        &t.call(
            Method::POST,
            &path,
            Some(json!({"text": "later", "happened_at": "2999-01-01T00:00:00Z"})),
        )
        .await,
        422,
        "happened_at",
    );
    assert_error(
        &t.call(
            Method::POST,
            &path,
            Some(json!({"text": "x", "happened_at": "yesterday"})),
        )
        .await,
        422,
        "happened_at",
    );
    let viewer = t.viewer.clone();
    let (s, body) = t
        .call_as(
            &viewer,
            Method::POST,
            &path,
            Some(json!({"text": "x"})),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _) = t
        .call(
            Method::POST,
            "/incidents/INC-999/notes",
            Some(json!({"text": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nothing of the refused notes reached the timeline.
    let (_, tl) = t
        .call(Method::GET, &format!("/incidents/{id}/timeline"), None)
        .await;
    assert!(
        tl["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] != "note"),
        "{tl}"
    );
}

async fn a_replayed_note_is_stored_once(t: TestServer) {
    let inc = t
        .create_incident(json!({"title": "Edge 502s", "severity": "SEV2"}))
        .await;
    let id = inc["id"].as_str().unwrap();
    let path = format!("/incidents/{id}/notes");
    let send = |body: Value| {
        t.req(Method::POST, &path, Some(&t.commander))
            .header("Idempotency-Key", "note-1")
            .json(&body)
            .send()
    };
    let first = common::json_of(send(json!({"text": "DBA paged"})).await.unwrap()).await;
    let again = common::json_of(send(json!({"text": "DBA paged"})).await.unwrap()).await;
    assert_eq!(first.0, StatusCode::CREATED, "{}", first.1);
    assert_eq!(again, first, "the replay is the stored answer");
    let other = common::json_of(send(json!({"text": "other"})).await.unwrap()).await;
    assert_eq!(other.0.as_u16(), 422, "{}", other.1);
    let (_, tl) = t
        .call(Method::GET, &format!("/incidents/{id}/timeline"), None)
        .await;
    let notes = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .count();
    assert_eq!(notes, 1, "{tl}");
}

on_both_stores!(
    notes_land_on_the_timeline,
    bad_notes_are_refused_by_field_and_viewers_cannot_add_them,
    a_replayed_note_is_stored_once,
);
