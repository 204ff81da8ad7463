//! The incident API over real HTTP against a real SQLite database.
use crate::common;

use chrono::{Duration as CDuration, Utc};
use common::{TestServer, assert_error, json_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn health_and_openapi_need_no_token(t: TestServer) {
    let (s, v) = json_of(t.req(Method::GET, "/health", None).send().await.unwrap()).await;
    assert_eq!(
        (s, v),
        (StatusCode::OK, json!({"status": "ok", "writes": "ok"}))
    );
    let (s, doc) = json_of(
        t.req(Method::GET, "/openapi.json", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/incidents/{id}"]["patch"].is_object());
}

#[test]
fn checked_in_openapi_matches_the_code() {
    let generated = sitrep::server::openapi::document();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/openapi.json"))
            .unwrap();
    assert!(
        generated.trim() == checked_in.trim(),
        "assets/openapi.json is out of date: run `cargo run --release -- openapi > assets/openapi.json`"
    );
}

async fn create_get_and_list_newest_first_with_cursor(t: TestServer) {
    let inc = t
        .create_incident(json!({"title": "Checkout errors", "severity": "SEV2", "customer_impact": true,
            "impact_scope": "EU shoppers", "deployment": "self_hosted", "source": "pager", "summary": "5xx on /pay"}))
        .await;
    assert_eq!(inc["id"], "INC-1");
    assert_eq!(inc["phase"], "detection");
    assert_eq!(inc["recovery_owner"], "customer");
    assert_eq!(inc["commander"], Value::Null);
    assert_eq!(inc["version"], 1);
    assert!(
        inc["next_update_due_at"].is_string(),
        "customer impact owes a first update"
    );
    for i in 2..=7 {
        t.create_incident(json!({"title": format!("Incident {i}"), "severity": if i % 2 == 0 { "SEV3" } else { "SEV1" }}))
            .await;
    }
    let resp = t
        .req(Method::GET, "/incidents/INC-1", Some(&t.viewer))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let (_, got) = json_of(resp).await;
    assert_eq!(got["title"], "Checkout errors");

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/incidents?limit=3&cursor={c}"),
            None => "/incidents?limit=3".to_string(),
        };
        let (s, page) = t.call(Method::GET, &path, None).await;
        assert_eq!(s, StatusCode::OK);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = (1..=7).rev().map(|i| format!("INC-{i}")).collect();
    assert_eq!(seen, expected);

    let (_, page) = t
        .call(Method::GET, "/incidents?severity=SEV1,SEV2", None)
        .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["INC-7", "INC-5", "INC-3", "INC-1"]);
    let (_, page) = t.call(Method::GET, "/incidents?phase=triage", None).await;
    assert!(page["items"].as_array().unwrap().is_empty());
}

async fn bad_queries_name_the_parameter(t: TestServer) {
    let cases = [
        ("/incidents?severity=SEV9", "severity"),
        ("/incidents?phase=resolved", "phase"),
        ("/incidents?limit=0", "limit"),
        ("/incidents?limit=abc", "limit"),
        ("/incidents?cursor=zzz", "cursor"),
        ("/actions?overdue=maybe", "overdue"),
        ("/actions?status=finished", "status"),
    ];
    let get = |(path, field)| (Method::GET, path, None, 422, field);
    t.assert_refused(cases.into_iter().map(get).collect()).await;
}

async fn bad_bodies_are_refused_clearly_and_write_nothing(t: TestServer) {
    let malformed = t
        .req(Method::POST, "/incidents", Some(&t.commander))
        .header("content-type", "application/json")
        .body("{\"title\": \"x\"")
        .send()
        .await
        .unwrap();
    let (s, v) = json_of(malformed).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], "malformed_json");

    let post = |body, field| (Method::POST, "/incidents", Some(body), 422, field);
    t.assert_refused(vec![
        post(json!({"title": "x", "severity": "SEV9"}), "severity"),
        post(json!({"severity": "SEV1"}), "title"),
        post(json!({"title": "  ", "severity": "SEV1"}), "title"),
        post(
            json!({"title": "x", "severity": "SEV1", "customer_impact": "yes"}),
            "customer_impact",
        ),
        post(
            json!({"title": "x", "severity": "SEV1", "colour": 1}),
            "colour",
        ),
        post(json!(["not", "an", "object"]), "body"),
    ])
    .await;

    let huge = json!({"title": "x", "severity": "SEV1", "summary": "a".repeat(1024 * 1024 + 10)});
    let (s, v) = t.call(Method::POST, "/incidents", Some(huge)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["error"]["code"], "body_too_large");

    let form = t
        .req(Method::POST, "/incidents", Some(&t.commander))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert_error(&json_of(form).await, 415, "Content-Type");

    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    assert!(
        page["items"].as_array().unwrap().is_empty(),
        "refused requests wrote nothing"
    );

    let update = json!({"audience": "internal", "current_status": "x"});
    t.assert_refused(vec![
        (Method::GET, "/incidents/INC-99", None, 404, "id"),
        (Method::GET, "/incidents/INC-99/timeline", None, 404, "id"),
        (
            Method::POST,
            "/incidents/INC-99/updates",
            Some(update),
            404,
            "id",
        ),
    ])
    .await;
    let (s, v) = t.call(Method::GET, "/nope", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
}

async fn patch_needs_if_match_and_refuses_stale_versions(t: TestServer) {
    t.create_incident(json!({"title": "DB failover", "severity": "SEV2"}))
        .await;
    let c = t.commander.clone();
    let no_version = t
        .call_as(
            &c,
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"title": "DB failover (EU)"})),
            None,
        )
        .await;
    assert_error(&no_version, 428, "If-Match");

    let resp = t
        .req(Method::PATCH, "/incidents/INC-1", Some(&c))
        .header("If-Match", "\"1\"")
        .json(&json!({"title": "DB failover (EU)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let (s, v) = json_of(resp).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["version"], 2);

    // Someone else based their edit on version 1: refused, and shown the current state.
    let stale = t
        .call_as(
            &c,
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"summary": "mine"})),
            Some(1),
        )
        .await;
    assert_error(&stale, 412, "If-Match");
    assert_eq!(stale.1["current"]["title"], "DB failover (EU)");
    assert_eq!(stale.1["current"]["version"], 2);
    let (_, now) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(now["summary"], "", "the stale edit did not land");
}

async fn severity_change_needs_a_reason_and_lands_on_the_timeline(t: TestServer) {
    t.create_incident(json!({"title": "Login failures", "severity": "SEV2"}))
        .await;
    assert_error(
        &t.patch("INC-1", json!({"severity": "SEV1"})).await,
        422,
        "reason",
    );
    assert_error(
        &t.patch("INC-1", json!({"severity": "SEV1", "reason": "   "}))
            .await,
        422,
        "reason",
    );
    let (s, v) = t
        .patch(
            "INC-1",
            json!({"severity": "SEV1", "reason": "all regions affected"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["severity"], "SEV1");
    let (s, v) = t
        .patch("INC-1", json!({"phase": "triage", "reason": "paged", "commander": "cora", "roles": {"comms_lead": "lee", "scribe": "sam"}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["roles"], json!({"comms_lead": "lee", "scribe": "sam"}));

    let (_, tl) = t.call(Method::GET, "/incidents/INC-1/timeline", None).await;
    let items = tl["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec![
            "created",
            "severity_changed",
            "commander_changed",
            "role_assigned",
            "role_assigned",
            "phase_changed"
        ]
    );
    let sev = &items[1];
    assert_eq!(
        (sev["old"].as_str(), sev["new"].as_str()),
        (Some("SEV2"), Some("SEV1"))
    );
    assert_eq!(sev["reason"], "all regions affected");
    assert_eq!(sev["actor"], "cora");
    assert_eq!(items[5]["reason"], "paged");
    let seqs: Vec<i64> = items.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "oldest first");
}

async fn customer_updates_state_scope_status_and_next_steps_and_restart_the_clock(t: TestServer) {
    t.create_incident(
        json!({"title": "Payments down", "severity": "SEV1", "customer_impact": true}),
    )
    .await;
    let path = "/incidents/INC-1/updates";
    for missing in ["impact_scope", "current_status", "next_steps"] {
        let mut body = json!({"audience": "customer", "impact_scope": "All EU card payments", "current_status": "Mitigating", "next_steps": "Failover"});
        body[missing] = json!("");
        assert_error(&t.call(Method::POST, path, Some(body)).await, 422, missing);
    }
    let internal = t
        .call(
            Method::POST,
            path,
            Some(json!({"audience": "internal", "current_status": "Looking at the DB"})),
        )
        .await;
    assert_eq!(internal.0, StatusCode::CREATED, "{}", internal.1);
    let (_, inc) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(
        inc["last_customer_update_at"],
        Value::Null,
        "an internal update is not a customer update"
    );

    let before = Utc::now();
    let (s, upd) = t
        .call(Method::POST, path, Some(json!({"audience": "customer", "impact_scope": "All EU card payments",
            "current_status": "Mitigating", "next_steps": "Failover to the standby", "next_update_in_minutes": 15})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{upd}");
    let (_, inc) = t.call(Method::GET, "/incidents/INC-1", None).await;
    assert_eq!(inc["last_customer_update_at"], upd["posted_at"]);
    let due: chrono::DateTime<Utc> = inc["next_update_due_at"].as_str().unwrap().parse().unwrap();
    assert!(
        due >= before + CDuration::minutes(15) - CDuration::seconds(1)
            && due <= Utc::now() + CDuration::minutes(15)
    );
    assert_eq!(inc["impact_scope"], "All EU card payments");
    assert_eq!(inc["update_overdue"], false);

    // Without an interval the severity's cadence applies (SEV1: 30 minutes).
    let upd = t.customer_update("INC-1").await;
    let posted: chrono::DateTime<Utc> = upd["posted_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<Utc> = upd["next_update_due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due - posted, CDuration::minutes(30));
    assert_error(
        &t.call(Method::POST, path, Some(json!({"audience": "customer", "impact_scope": "a", "current_status": "b", "next_steps": "c", "next_update_in_minutes": 0}))).await,
        422,
        "next_update_in_minutes",
    );
    let (_, list) = t.call(Method::GET, path, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(list["items"][0]["audience"], "internal");
}

async fn customer_impacting_incident_cannot_leave_communication_without_a_customer_update(
    t: TestServer,
) {
    t.create_incident(
        json!({"title": "Search degraded", "severity": "SEV3", "customer_impact": true}),
    )
    .await;
    for phase in ["triage", "containment", "communication"] {
        assert_eq!(
            t.patch("INC-1", json!({"phase": phase})).await.0,
            StatusCode::OK
        );
    }
    let refused = t.patch("INC-1", json!({"phase": "follow_through"})).await;
    assert_error(&refused, 409, "phase");
    assert_eq!(refused.1["error"]["code"], "customer_update_required");
    assert_error(
        &t.patch("INC-1", json!({"phase": "closed"})).await,
        409,
        "phase",
    );
    t.customer_update("INC-1").await;
    assert_eq!(
        t.patch("INC-1", json!({"phase": "follow_through"})).await.0,
        StatusCode::OK
    );
}

async fn closing_with_open_actions_needs_a_live_exception(t: TestServer) {
    t.create_incident(json!({"title": "Disk full", "severity": "SEV3"}))
        .await;
    let (s, act) = t
        .call(Method::POST, "/incidents/INC-1/actions", Some(json!({"title": "Alert at 80% disk", "owner": "ops", "due_date": "2030-01-31", "priority": "high"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{act}");
    assert_eq!(
        (
            act["id"].as_str(),
            act["status"].as_str(),
            act["overdue"].as_bool()
        ),
        (Some("ACT-1"), Some("open"), Some(false))
    );
    let refused = t.patch("INC-1", json!({"phase": "closed"})).await;
    assert_error(&refused, 409, "phase");
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 open corrective action")
    );

    let past = (Utc::now() - CDuration::hours(1)).to_rfc3339();
    let future = (Utc::now() + CDuration::days(14)).to_rfc3339();
    let exc_path = "/incidents/INC-1/exceptions";
    let exception = |accepted_by: &str, due: &str, field| {
        let body = json!({"description": "close now", "risk_accepted_by": accepted_by, "remediation_due": due});
        (Method::POST, exc_path, Some(body), 422, field)
    };
    t.assert_refused(vec![
        exception("CTO", &past, "remediation_due"),
        exception("", &future, "risk_accepted_by"),
        exception("CTO", "next week", "remediation_due"),
    ])
    .await;
    let (s, exc) = t
        .call(Method::POST, exc_path, Some(json!({"description": "Close before the alert ships", "risk_accepted_by": "Dana (CTO)", "remediation_due": future})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{exc}");
    assert_eq!(exc["recorded_by"], "cora");
    let (s, v) = t
        .patch(
            "INC-1",
            json!({"phase": "closed", "reason": "risk accepted"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["phase"], "closed");
    let (_, list) = t.call(Method::GET, exc_path, None).await;
    assert_eq!(list["items"][0]["risk_accepted_by"], "Dana (CTO)");
}

async fn closing_after_actions_are_done(t: TestServer) {
    t.create_incident(json!({"title": "Cert expiry", "severity": "SEV4"}))
        .await;
    t.call(
        Method::POST,
        "/incidents/INC-1/actions",
        Some(json!({"title": "Automate renewals", "owner": "sre", "due_date": "2030-01-01"})),
    )
    .await;
    let r = t.responder.clone();
    let done = t
        .call_as(
            &r,
            Method::PATCH,
            "/actions/ACT-1",
            Some(json!({"status": "done"})),
            Some(1),
        )
        .await;
    assert_eq!(done.0, StatusCode::OK, "{}", done.1);
    assert_eq!(done.1["version"], 2);
    assert_eq!(
        t.patch("INC-1", json!({"phase": "closed"})).await.0,
        StatusCode::OK
    );
}

async fn corrective_actions_across_incidents_overdue_first(t: TestServer) {
    t.create_incident(json!({"title": "A", "severity": "SEV2"}))
        .await;
    t.create_incident(json!({"title": "B", "severity": "SEV3"}))
        .await;
    let yesterday = (Utc::now() - CDuration::days(1)).date_naive().to_string();
    let add = |inc: &'static str, title: &'static str, owner: &'static str, due: String| {
        let t = &t;
        async move {
            let (s, v) = t
                .call(
                    Method::POST,
                    &format!("/incidents/{inc}/actions"),
                    Some(json!({"title": title, "owner": owner, "due_date": due})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            v
        }
    };
    add("INC-1", "Runbook for failover", "ana", "2031-05-01".into()).await;
    let late = add("INC-2", "Fix retry storm", "bo", yesterday).await;
    assert_eq!(late["overdue"], true);
    add("INC-2", "Load test", "ana", "2030-02-01".into()).await;

    let (_, all) = t.call(Method::GET, "/actions", None).await;
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec!["ACT-2", "ACT-3", "ACT-1"],
        "overdue first, then by due date"
    );
    let (_, overdue) = t.call(Method::GET, "/actions?overdue=true", None).await;
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    let (_, mine) = t.call(Method::GET, "/actions?owner=ANA", None).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);

    t.assert_patch_refused(vec![
        (
            "/actions/ACT-2",
            json!({"status": "finished"}),
            Some(1),
            422,
            "status",
        ),
        (
            "/actions/ACT-2",
            json!({"status": "done"}),
            None,
            428,
            "If-Match",
        ),
        (
            "/actions/ACT-9",
            json!({"status": "done"}),
            Some(1),
            404,
            "id",
        ),
        (
            "/actions/ACT-2",
            json!({"due_date": "31/12/2030"}),
            Some(1),
            422,
            "due_date",
        ),
    ])
    .await;
    let c = t.commander.clone();
    let moved = t
        .call_as(
            &c,
            Method::PATCH,
            "/actions/ACT-2",
            Some(json!({"status": "in_progress", "owner": "cy"})),
            Some(1),
        )
        .await;
    assert_eq!(moved.0, StatusCode::OK);
    assert_error(
        &t.call_as(
            &c,
            Method::PATCH,
            "/actions/ACT-2",
            Some(json!({"owner": "dee"})),
            Some(1),
        )
        .await,
        412,
        "If-Match",
    );
    let (_, open) = t.call(Method::GET, "/actions?status=open", None).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 2);
    let (_, tl) = t.call(Method::GET, "/incidents/INC-2/timeline", None).await;
    let items = tl["items"].as_array().unwrap();
    let mut last_two: Vec<(&str, &str, &str)> = items[items.len() - 2..]
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["field"].as_str().unwrap(),
                e["new"].as_str().unwrap(),
            )
        })
        .collect();
    last_two.sort();
    assert_eq!(
        last_two,
        vec![
            ("action_updated", "owner", "cy"),
            ("action_updated", "status", "in_progress")
        ]
    );
}

async fn idempotent_replay_returns_the_original_and_creates_nothing(t: TestServer) {
    let post = |key: &'static str, body: Value| {
        t.req(Method::POST, "/incidents", Some(&t.commander))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = json!({"title": "Queue backlog", "severity": "SEV3"});
    let first = post("k-1", body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = first.text().await.unwrap();
    let again = post("k-1", body.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first);
    let other = json_of(
        post(
            "k-1",
            json!({"title": "Something else", "severity": "SEV3"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_error(&other, 422, "Idempotency-Key");
    let (_, page) = t.call(Method::GET, "/incidents", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // Updates too: the same key twice stores one update.
    for _ in 0..2 {
        let r = t
            .req(Method::POST, "/incidents/INC-1/updates", Some(&t.commander))
            .header("Idempotency-Key", "upd-1")
            .json(&json!({"audience": "internal", "current_status": "draining"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let (_, ups) = t.call(Method::GET, "/incidents/INC-1/updates", None).await;
    assert_eq!(ups["items"].as_array().unwrap().len(), 1);
    // Keys are per token: another caller's identical key is its own.
    let r = t
        .req(Method::POST, "/incidents/INC-1/updates", Some(&t.responder))
        .header("Idempotency-Key", "upd-1")
        .json(&json!({"audience": "internal", "current_status": "draining"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().get("idempotent-replayed").is_none());
}

async fn timeline_cannot_be_changed_through_the_api(t: TestServer) {
    t.create_incident(json!({"title": "x", "severity": "SEV4"}))
        .await;
    for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let (s, _) = t
            .call(m.clone(), "/incidents/INC-1/timeline", Some(json!({})))
            .await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{m}");
    }
    let (_, tl) = t.call(Method::GET, "/incidents/INC-1/timeline", None).await;
    assert_eq!(tl["items"].as_array().unwrap().len(), 1);
}

/// Cases schemathesis found: each once answered wrongly.
async fn edge_cases_from_fuzzing(t: TestServer) {
    t.create_incident(json!({"title": "Fuzzed", "severity": "SEV3"}))
        .await;
    // NUL cannot be stored (PostgreSQL text refuses it): a 422, never a 500. Length limits
    // count the text as sent.
    let padded = format!("\r{}", "x".repeat(200));
    let post = |title| {
        (
            Method::POST,
            "/incidents",
            Some(json!({"title": title, "severity": "SEV3"})),
            422,
            "title",
        )
    };
    t.assert_refused(vec![post("a\u{0}b".to_string()), post(padded)])
        .await;
    // JSON Schema's "integer" admits 30.0.
    let (s, v) = t
        .call(Method::POST, "/incidents/INC-1/updates", Some(json!({"audience": "internal", "current_status": "x", "next_update_in_minutes": 30.0})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A filter names at least one value; an empty one is a mistake, not "no filter".
    let empty = [
        ("/incidents?phase=", "phase"),
        ("/actions?status=open,,done", "status"),
        ("/actions?overdue=", "overdue"),
        ("/incidents?limit=", "limit"),
    ];
    let get = |(path, field)| (Method::GET, path, None, 422, field);
    t.assert_refused(empty.into_iter().map(get).collect()).await;
    assert_eq!(
        t.call(Method::GET, "/incidents?cursor=n0", None).await.0,
        StatusCode::OK
    );
    // A malformed patch is refused for what it is, even on a stale version.
    t.assert_patch_refused(vec![
        (
            "/incidents/INC-1",
            json!({"title": "\u{c}"}),
            Some(99),
            422,
            "title",
        ),
        ("/incidents/INC-1", json!({}), Some(1), 422, "body"),
    ])
    .await;
}

async fn whoami_names_the_token_and_its_role(t: TestServer) {
    for (token, name, role) in [
        (t.commander.clone(), "cora", "commander"),
        (t.responder.clone(), "rex", "responder"),
        (t.viewer.clone(), "vic", "viewer"),
    ] {
        let got = t.call_as(&token, Method::GET, "/whoami", None, None).await;
        assert_eq!(got, (StatusCode::OK, json!({"name": name, "role": role})));
    }
    let (s, _) = json_of(t.req(Method::GET, "/whoami", None).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

on_both_stores!(
    whoami_names_the_token_and_its_role,
    edge_cases_from_fuzzing,
    health_and_openapi_need_no_token,
    create_get_and_list_newest_first_with_cursor,
    bad_queries_name_the_parameter,
    bad_bodies_are_refused_clearly_and_write_nothing,
    patch_needs_if_match_and_refuses_stale_versions,
    severity_change_needs_a_reason_and_lands_on_the_timeline,
    customer_updates_state_scope_status_and_next_steps_and_restart_the_clock,
    customer_impacting_incident_cannot_leave_communication_without_a_customer_update,
    closing_with_open_actions_needs_a_live_exception,
    closing_after_actions_are_done,
    corrective_actions_across_incidents_overdue_first,
    idempotent_replay_returns_the_original_and_creates_nothing,
    timeline_cannot_be_changed_through_the_api,
);
