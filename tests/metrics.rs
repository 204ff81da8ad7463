//! `/metrics`: who may read it, what the gauges count (on both stores), the milestone
//! histograms a write observes once per incident, write latency and subscribers.
use crate::common;

use chrono::{Duration, Utc};
use common::{SseReader, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sitrep::domain::{IncidentPatch, NewException, NewIncident, Phase, Severity};
use sitrep::server::store::SeedOp;

/// The API's origin (`/metrics` is not under /api/v1).
fn origin(t: &TestServer) -> String {
    t.base.trim_end_matches("/api/v1").to_string()
}

async fn scrape(t: &TestServer) -> String {
    let resp = t
        .http
        .get(format!("{}/metrics", origin(t)))
        .bearer_auth(&t.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

/// The value of one series, written exactly as the exposition writes it; None when absent.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

#[tokio::test]
async fn metrics_need_a_token_of_any_role_on_the_api_listener() {
    let t = TestServer::start().await;
    let url = format!("{}/metrics", origin(&t));
    let none = t.http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let bad = t
        .http
        .get(&url)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let body = bad.text().await.unwrap();
    assert!(!body.contains("sitrep_"), "{body}");
    let ok = t
        .http
        .get(&url)
        .bearer_auth(&t.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(
        ok.text()
            .await
            .unwrap()
            .contains("# TYPE sitrep_open_incidents gauge")
    );
}

#[tokio::test]
async fn metrics_listen_serves_metrics_alone_without_a_token() {
    let t =
        TestServer::start_with(|c| c.metrics.listen = Some("127.0.0.1:0".parse().unwrap())).await;
    t.create_incident(json!({"title": "Checkout down", "severity": "SEV1"}))
        .await;
    let at = t
        .server
        .as_ref()
        .unwrap()
        .metrics_addr()
        .expect("a metrics address");
    let open = t
        .http
        .get(format!("http://{at}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    let text = open.text().await.unwrap();
    assert_eq!(
        value(
            &text,
            r#"sitrep_open_incidents{severity="SEV1",phase="detection"}"#
        ),
        Some(1.0)
    );
    // Only /metrics: the API is not reachable without a token through the back door.
    let api = t
        .http
        .get(format!("http://{at}/api/v1/incidents"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    // And the API's listener still wants a token.
    let main = t
        .http
        .get(format!("{}/metrics", origin(&t)))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_metrics_listen_no_second_address_is_bound() {
    let t = TestServer::start().await;
    assert_eq!(t.server.as_ref().unwrap().metrics_addr(), None);
}

/// Open incidents by severity and phase, overdue customer updates, overdue corrective
/// actions and exceptions past their remediation date, counted the way the board does.
async fn gauges_count_what_the_board_shows(t: TestServer) {
    for title in ["Checkout down", "Login down"] {
        t.create_incident(json!({"title": title, "severity": "SEV1"}))
            .await;
    }
    t.create_incident(json!({"title": "Slow search", "severity": "SEV3"}))
        .await;
    let (s, _) = t.patch("INC-3", json!({"phase": "triage"})).await;
    assert_eq!(s, StatusCode::OK);
    // Yesterday's corrective action is overdue; next year's is not; a done one is not.
    let yesterday = (Utc::now() - Duration::days(1)).date_naive().to_string();
    for due in [yesterday.as_str(), "2031-01-01", yesterday.as_str()] {
        let (s, v) = t
            .call(
                Method::POST,
                "/incidents/INC-1/actions",
                Some(json!({"title": "Add a canary", "owner": "ana", "due_date": due})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let c = t.commander.clone();
    let (s, _) = t
        .call_as(
            &c,
            Method::PATCH,
            "/actions/ACT-3",
            Some(json!({"status": "done"})),
            Some(1),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Back-dated: a customer-impacting SEV2 declared two hours ago owes an update since an
    // hour ago; an exception recorded ten days ago was due five days ago, its action open.
    let store = &t.server.as_ref().unwrap().store;
    let now = Utc::now();
    let impacting = NewIncident {
        customer_impact: Some(true),
        ..NewIncident::new("EU payments failing", Severity::Sev2)
    };
    store
        .seed(&[
            SeedOp::Create {
                at: now - Duration::hours(2),
                actor: "cora".into(),
                req: impacting,
            },
            SeedOp::Create {
                at: now - Duration::days(10),
                actor: "cora".into(),
                req: NewIncident::new("Disk filled", Severity::Sev4),
            },
            SeedOp::Action {
                at: now - Duration::days(10),
                actor: "cora".into(),
                incident: 1,
                req: serde_json::from_value(
                    json!({"title": "Alert on disk", "owner": "bo", "due_date": "2031-01-01"}),
                )
                .unwrap(),
            },
            SeedOp::Exception {
                at: now - Duration::days(10),
                actor: "cora".into(),
                incident: 1,
                req: NewException {
                    description: "close before the alert exists".into(),
                    risk_accepted_by: "CTO".into(),
                    remediation_due: now - Duration::days(5),
                },
            },
            SeedOp::Patch {
                at: now - Duration::days(10),
                actor: "cora".into(),
                incident: 1,
                patch: IncidentPatch {
                    phase: Some(Phase::Closed),
                    ..Default::default()
                },
            },
        ])
        .await
        .unwrap();

    let text = scrape(&t).await;
    let open = |sev: &str, phase: &str| {
        value(
            &text,
            &format!(r#"sitrep_open_incidents{{severity="{sev}",phase="{phase}"}}"#),
        )
    };
    assert_eq!(open("SEV1", "detection"), Some(2.0), "{text}");
    assert_eq!(open("SEV3", "triage"), Some(1.0));
    assert_eq!(
        open("SEV3", "detection"),
        Some(0.0),
        "zeros are exported, not gaps"
    );
    assert_eq!(open("SEV2", "detection"), Some(1.0));
    // The closed incident is not open.
    assert_eq!(open("SEV4", "detection"), Some(0.0));
    assert!(!text.contains(r#"phase="closed""#), "{text}");

    // The same rule as the API's `update_overdue`.
    let (_, list) = t.call(Method::GET, "/incidents", None).await;
    let flagged = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["update_overdue"] == true)
        .count();
    assert_eq!(flagged, 1, "{list}");
    let overdue = |sev: &str| {
        value(
            &text,
            &format!(r#"sitrep_customer_updates_overdue{{severity="{sev}"}}"#),
        )
    };
    assert_eq!(overdue("SEV2"), Some(1.0), "{text}");
    assert_eq!(overdue("SEV1"), Some(0.0));
    assert_eq!(value(&text, "sitrep_corrective_actions_overdue"), Some(1.0));
    assert_eq!(
        value(&text, "sitrep_exceptions_past_remediation"),
        Some(1.0)
    );
    assert_eq!(value(&text, "sitrep_store_up"), Some(1.0));

    // A customer update stops the clock; finishing the action ends the exception's debt.
    t.customer_update("INC-4").await;
    let (s, v) = t
        .call_as(
            &c,
            Method::PATCH,
            "/actions/ACT-4",
            Some(json!({"status": "done"})),
            Some(1),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = scrape(&t).await;
    assert_eq!(
        value(&text, r#"sitrep_customer_updates_overdue{severity="SEV2"}"#),
        Some(0.0)
    );
    assert_eq!(
        value(&text, "sitrep_exceptions_past_remediation"),
        Some(0.0)
    );
}

/// Each milestone is observed once per incident, at the severity it has then, however
/// often the incident moves back and forth.
async fn milestones_are_observed_once_per_incident(t: TestServer) {
    t.create_incident(
        json!({"title": "Checkout down", "severity": "SEV1", "customer_impact": true}),
    )
    .await;
    for phase in ["triage", "detection", "triage", "containment"] {
        let (s, v) = t.patch("INC-1", json!({"phase": phase})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    t.customer_update("INC-1").await;
    t.customer_update("INC-1").await;
    for phase in ["communication", "containment", "follow_through"] {
        let (s, v) = t.patch("INC-1", json!({"phase": phase})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let text = scrape(&t).await;
    for name in [
        "sitrep_time_to_acknowledge_seconds",
        "sitrep_time_to_first_customer_update_seconds",
        "sitrep_time_to_recovery_seconds",
    ] {
        assert_eq!(
            value(&text, &format!(r#"{name}_count{{severity="SEV1"}}"#)),
            Some(1.0),
            "{name}: {text}"
        );
        // Seconds, not minutes: all of it happened within the test.
        assert_eq!(
            value(
                &text,
                &format!(r#"{name}_bucket{{severity="SEV1",le="30"}}"#)
            ),
            Some(1.0),
            "{name}"
        );
    }

    // Back-dated writes observe the time the timeline says: acknowledged after 7 minutes.
    let store = &t.server.as_ref().unwrap().store;
    let now = Utc::now();
    store
        .seed(&[
            SeedOp::Create {
                at: now - Duration::minutes(10),
                actor: "cora".into(),
                req: NewIncident::new("Queue backlog", Severity::Sev3),
            },
            SeedOp::Patch {
                at: now - Duration::minutes(3),
                actor: "cora".into(),
                incident: 0,
                patch: IncidentPatch {
                    phase: Some(Phase::Triage),
                    ..Default::default()
                },
            },
        ])
        .await
        .unwrap();
    let text = scrape(&t).await;
    let ack = |le: &str| {
        value(
            &text,
            &format!(r#"sitrep_time_to_acknowledge_seconds_bucket{{severity="SEV3",le="{le}"}}"#),
        )
    };
    assert_eq!(ack("300"), Some(0.0), "{text}");
    assert_eq!(ack("600"), Some(1.0));
    assert_eq!(
        value(
            &text,
            r#"sitrep_time_to_acknowledge_seconds_sum{severity="SEV3"}"#
        ),
        Some(420.0)
    );
}

on_both_stores!(
    gauges_count_what_the_board_shows,
    milestones_are_observed_once_per_incident
);

#[tokio::test]
async fn writes_are_timed_by_route_and_streams_counted() {
    let t = TestServer::start().await;
    t.create_incident(json!({"title": "Checkout down", "severity": "SEV1"}))
        .await;
    // Refused: a viewer may not write. Timed too, as a 4xx.
    let v = t.viewer.clone();
    let (s, _) = t
        .call_as(
            &v,
            Method::POST,
            "/incidents",
            Some(json!({"title": "x", "severity": "SEV1"})),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let sub = SseReader::new(
        t.req(Method::GET, "/events", Some(&t.viewer))
            .send()
            .await
            .unwrap(),
    );
    let text = scrape(&t).await;
    let count = |status: &str| {
        value(
            &text,
            &format!(
                r#"sitrep_write_duration_seconds_count{{method="POST",route="/api/v1/incidents",status="{status}"}}"#
            ),
        )
    };
    assert_eq!(count("2xx"), Some(1.0), "{text}");
    assert_eq!(count("4xx"), Some(1.0), "{text}");
    // Reads are not writes.
    assert!(!text.contains(r#"method="GET""#), "{text}");
    assert_eq!(value(&text, "sitrep_event_stream_subscribers"), Some(1.0));
    drop(sub);
    let mut n = None;
    for _ in 0..50 {
        n = value(&scrape(&t).await, "sitrep_event_stream_subscribers");
        if n == Some(0.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(n, Some(0.0), "a closed stream is no longer counted");
}

/// The method is the client's text: made-up methods, of any length and number, must not
/// become series (an unauthenticated caller could otherwise grow every scrape and the
/// server's memory without bound).
#[tokio::test]
async fn made_up_methods_do_not_become_series() {
    let t = TestServer::start().await;
    for n in 0..50 {
        let method = Method::from_bytes(format!("X{n:04}{}", "Q".repeat(2000)).as_bytes()).unwrap();
        let _ = t.req(method, "/incidents", None).send().await.unwrap();
    }
    let text = scrape(&t).await;
    assert!(!text.contains("QQQQ"), "a made-up method became a label");
    assert!(text.len() < 64 * 1024, "{} bytes", text.len());
}

#[tokio::test]
async fn docs_metrics_md_names_every_metric_exported() {
    let t = TestServer::start().await;
    // Every family has a sample: a write, each milestone, an open stream.
    t.create_incident(json!({"title": "Checkout down", "severity": "SEV1"}))
        .await;
    t.patch("INC-1", json!({"phase": "triage"})).await;
    t.customer_update("INC-1").await;
    t.patch("INC-1", json!({"phase": "communication"})).await;
    let _sub = SseReader::new(
        t.req(Method::GET, "/events", Some(&t.viewer))
            .send()
            .await
            .unwrap(),
    );
    let text = scrape(&t).await;
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next())
        .collect();
    assert_eq!(names.len(), 12, "{text}");
    for name in names {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "docs/metrics.md does not list {name}"
        );
    }
}

/// Two replicas on one PostgreSQL: both report the same store gauges (read from the
/// database), and a milestone only on the replica whose write reached it, so summing the
/// histograms over replicas counts each incident once.
#[tokio::test]
async fn replicas_share_store_gauges_and_split_milestones() {
    let Some(url) = common::pg::fresh_database().await else {
        return;
    };
    let a = TestServer::start_db(sitrep::server::Database::Postgres(url.clone()), |_| {}).await;
    let b = TestServer::replica_of(&a, sitrep::server::Database::Postgres(url)).await;
    a.create_incident(json!({"title": "Checkout down", "severity": "SEV1"}))
        .await;
    let (s, _) = a.patch("INC-1", json!({"phase": "triage"})).await;
    assert_eq!(s, StatusCode::OK);
    let open = r#"sitrep_open_incidents{severity="SEV1",phase="triage"}"#;
    let acked = r#"sitrep_time_to_acknowledge_seconds_count{severity="SEV1"}"#;
    let (ta, tb) = (scrape(&a).await, scrape(&b).await);
    assert_eq!(value(&ta, open), Some(1.0));
    assert_eq!(value(&tb, open), Some(1.0), "{tb}");
    assert_eq!(value(&ta, acked), Some(1.0));
    assert_eq!(value(&tb, acked), None, "{tb}");
}

/// A receiver that answers 500: each failed attempt counts, and once past the give-up time
/// the subscription shows as failing.
#[tokio::test]
async fn webhook_failures_and_failing_subscriptions_are_exported() {
    use base64::Engine;
    let t = TestServer::start_with(|c| {
        c.webhooks.retry_base = std::time::Duration::from_millis(50);
        c.webhooks.retry_max = std::time::Duration::from_millis(100);
        c.webhooks.give_up_after = std::time::Duration::from_millis(500);
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let failing = axum::Router::new().fallback(|| async { StatusCode::INTERNAL_SERVER_ERROR });
    let receiver = tokio::spawn(async move { axum::serve(listener, failing).await });
    let text = scrape(&t).await;
    assert_eq!(
        value(&text, "sitrep_webhook_delivery_failures_total"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(value(&text, "sitrep_webhooks_failing"), Some(0.0), "{text}");

    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode("metrics-test-key-0123456789abcdef")
    );
    let (s, v) = t
        .call(
            Method::POST,
            "/webhooks",
            Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["*"], "secret": secret})),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{v}");
    t.create_incident(json!({"title": "Queue stuck", "severity": "SEV3"}))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let text = scrape(&t).await;
        let failures = value(&text, "sitrep_webhook_delivery_failures_total").unwrap();
        if failures >= 2.0 && value(&text, "sitrep_webhooks_failing") == Some(1.0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    receiver.abort();
}
