//! Alertmanager's webhook (payload version 4), sent the way Alertmanager sends it.
use crate::common;

use common::{TestServer, assert_error, json_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A notification as Alertmanager's webhook receiver posts it.
fn notification(status: &str, alerts: &[(&str, &str, &str)]) -> Value {
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|(name, severity, fingerprint)| {
            json!({
                "status": status,
                "labels": {"alertname": name, "severity": severity, "instance": "web-1:9100", "job": "checkout"},
                "annotations": {"summary": format!("{name} on checkout"), "description": "Error ratio 7.2% over 10m", "runbook_url": "https://runbooks/checkout"},
                "startsAt": "2026-11-29T05:00:00.000Z",
                "endsAt": if status == "resolved" { "2026-11-29T05:20:00.000Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus:9090/graph?g0.expr=rate%28http_errors%5B5m%5D%29",
                "fingerprint": fingerprint
            })
        })
        .collect();
    json!({
        "version": "4",
        "groupKey": "{}/{job=\"checkout\"}:{alertname=\"HighErrorRate\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "sitrep",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "job": "checkout"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts
    })
}

async fn send(t: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    t.call_as(
        token,
        Method::POST,
        "/ingest/alertmanager",
        Some(body),
        None,
    )
    .await
}

async fn firing_group_opens_one_incident_and_repeats_attach(t: TestServer) {
    let r = t.responder.clone();
    let (s, out) = send(
        &t,
        &r,
        notification("firing", &[("HighErrorRate", "critical", "f1")]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(
        out,
        json!({"incident_id": "INC-1", "created": true, "recorded": true})
    );
    let (_, inc) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(inc["phase"], "detection");
    assert_eq!(inc["source"], "alertmanager");
    assert_eq!(inc["severity"], "SEV1");
    assert_eq!(inc["title"], "HighErrorRate: HighErrorRate on checkout");
    assert!(
        inc["summary"]
            .as_str()
            .unwrap()
            .contains("Error ratio 7.2%")
    );

    // Alertmanager repeats the same notification on every repeat_interval: same incident,
    // nothing new on the timeline.
    let (_, out) = send(
        &t,
        &r,
        notification("firing", &[("HighErrorRate", "critical", "f1")]),
    )
    .await;
    assert_eq!(
        out,
        json!({"incident_id": "INC-1", "created": false, "recorded": false})
    );
    // A second alert joins the group: noted on the same incident.
    let (_, out) = send(
        &t,
        &r,
        notification(
            "firing",
            &[
                ("HighErrorRate", "critical", "f1"),
                ("HighErrorRate", "warning", "f2"),
            ],
        ),
    )
    .await;
    assert_eq!(
        out,
        json!({"incident_id": "INC-1", "created": false, "recorded": true})
    );
    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "one incident per group"
    );

    // Resolved: a timeline entry, and the incident stays where the commander put it.
    let (_, out) = send(
        &t,
        &r,
        notification(
            "resolved",
            &[
                ("HighErrorRate", "critical", "f1"),
                ("HighErrorRate", "warning", "f2"),
            ],
        ),
    )
    .await;
    assert_eq!(out["recorded"], true);
    let (_, inc) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(inc["phase"], "detection");
    let (_, tl) = t.call(Method::GET, "/incidents/INC-1/timeline", None).await;
    let kinds: Vec<&str> = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["created", "signal", "signal", "signal_resolved"]
    );
    assert_eq!(tl["items"][0]["actor"], "rex");

    // Alert names, labels and annotations are kept.
    let (_, signals) = t.call(Method::GET, "/incidents/INC-1/signals", None).await;
    let items = signals["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let alert = &items[0]["signal"]["alerts"][0];
    assert_eq!(alert["labels"]["instance"], "web-1:9100");
    assert_eq!(
        alert["annotations"]["runbook_url"],
        "https://runbooks/checkout"
    );
    assert_eq!(items[1]["signal"]["firing"], json!(["f1", "f2"]));
}

async fn a_closed_incident_is_not_reopened_by_its_group(t: TestServer) {
    let r = t.responder.clone();
    send(
        &t,
        &r,
        notification("firing", &[("DiskFull", "warning", "d1")]),
    )
    .await;
    let (_, inc) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(inc["severity"], "SEV3");
    assert_eq!(
        t.patch("INC-1", json!({"phase": "closed"})).await.0,
        StatusCode::OK
    );
    let (_, out) = send(
        &t,
        &r,
        notification("firing", &[("DiskFull", "warning", "d1")]),
    )
    .await;
    assert_eq!(
        out,
        json!({"incident_id": "INC-2", "created": true, "recorded": true})
    );
    // A resolved notice for a group with nothing open opens nothing.
    let mut resolved = notification("resolved", &[("Other", "info", "o1")]);
    resolved["groupKey"] = json!("{}:{alertname=\"Other\"}");
    let (_, out) = send(&t, &r, resolved).await;
    assert_eq!(
        out,
        json!({"incident_id": null, "created": false, "recorded": true})
    );
}

async fn ingest_needs_a_responder_and_a_real_payload(t: TestServer) {
    let body = notification("firing", &[("X", "critical", "x1")]);
    let anon = t
        .req(Method::POST, "/ingest/alertmanager", None)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let v = t.viewer.clone();
    assert_eq!(send(&t, &v, body.clone()).await.0, StatusCode::FORBIDDEN);
    let r = t.responder.clone();
    let mut old = body.clone();
    old["version"] = json!("3");
    assert_error(&send(&t, &r, old).await, 422, "version");
    let mut bad = body.clone();
    bad["alerts"][0]["startsAt"] = json!("yesterday");
    assert_error(&send(&t, &r, bad).await, 422, "alerts[0].startsAt");
    let mut no_key = body;
    no_key.as_object_mut().unwrap().remove("groupKey");
    assert_error(&send(&t, &r, no_key).await, 422, "groupKey");
    let (_, page) = json_of(
        t.req(Method::GET, "/incidents", Some(&t.viewer))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page["items"].as_array().unwrap().is_empty());
}

on_both_stores!(
    firing_group_opens_one_incident_and_repeats_attach,
    a_closed_incident_is_not_reopened_by_its_group,
    ingest_needs_a_responder_and_a_real_payload,
);

#[tokio::test]
async fn the_severity_map_is_configurable() {
    let t = TestServer::start_with(|cfg| {
        cfg.alert_severity = sitrep::domain::SeverityMap::parse("critical=SEV2,*=SEV4").unwrap()
    })
    .await;
    let r = t.responder.clone();
    send(
        &t,
        &r,
        notification("firing", &[("HighErrorRate", "critical", "f1")]),
    )
    .await;
    let (_, inc) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(inc["severity"], "SEV2");
}
