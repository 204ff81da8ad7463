//! Authorization that depends on the incident's state is decided on the row being changed,
//! inside the write transaction; the customer-update rule holds in any order of changes;
//! and the edges of authentication (scheme case, token names after revocation).
use crate::common;

use common::{TestServer, assert_error, json_of};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sitrep::domain::Role;

/// A responder races the commander's close with the version the close will produce, many
/// times over. Whoever wins the write lock, the responder never reopens a closed incident:
/// after each round the incident is closed and the responder's PATCHes got 403 or 412.
async fn a_responder_racing_a_close_never_reopens_it(t: TestServer) {
    const ROUNDS: usize = 30;
    const RACERS: usize = 3;
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..ROUNDS {
        let inc = t
            .create_incident(json!({"title": format!("Race {round}"), "severity": "SEV4"}))
            .await;
        let id = inc["id"].as_str().unwrap().to_string();
        let path = format!("/incidents/{id}");
        let v = inc["version"].as_i64().unwrap();
        let close = t.call_as(
            &t.commander,
            Method::PATCH,
            &path,
            Some(json!({"phase": "closed", "reason": "resolved"})),
            Some(v),
        );
        let reopen = (0..RACERS).map(|_| {
            t.call_as(
                &t.responder,
                Method::PATCH,
                &path,
                Some(json!({"phase": "triage", "reason": "still failing"})),
                Some(v + 1),
            )
        });
        let (closed, reopened) = tokio::join!(close, futures_util::future::join_all(reopen));
        assert_eq!(closed.0, StatusCode::OK, "round {round}: {}", closed.1);
        for r in &reopened {
            assert!(
                matches!(r.0.as_u16(), 403 | 412),
                "round {round}: the responder's reopen got {} {}",
                r.0,
                r.1
            );
            *answered.entry(r.0.as_u16()).or_default() += 1;
        }
        let (_, now) = t.call(Method::GET, &path, None).await;
        assert_eq!(now["phase"], "closed", "round {round}: {now}");
        let (_, tl) = t.call(Method::GET, &format!("{path}/timeline"), None).await;
        let reopens = tl["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "phase_changed" && e["old"] == "closed")
            .count();
        assert_eq!(reopens, 0, "round {round}: {tl}");
    }
    // Most reopen attempts arrive after the close and are refused for the role (403, naming
    // the field); the rest arrive first and find a version that does not exist yet (412).
    assert!(answered.get(&403).copied().unwrap_or(0) > 0, "{answered:?}");
}

/// The refusal names the field and says which role is needed.
async fn reopening_a_closed_incident_is_the_commanders_call(t: TestServer) {
    t.create_incident(json!({"title": "Closed", "severity": "SEV4"}))
        .await;
    assert_eq!(t.patch("INC-1", json!({"phase": "closed"})).await.0, 200);
    let got = t
        .call_as(
            &t.responder,
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"phase": "triage"})),
            Some(2),
        )
        .await;
    assert_error(&got, 403, "phase");
    assert_eq!(got.1["error"]["code"], "forbidden");
    assert!(
        got.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("commander"),
        "{}",
        got.1
    );
}

/// A closed incident is the record of what happened. A responder cannot change it (403
/// naming the field), post to it or note on it (403 naming the phase); the commander can correct it. Nobody gives it an
/// open corrective action (409): closing needed every action finished or excepted, and
/// that stays true. Work on actions already open under an exception carries on.
async fn a_closed_incident_is_the_commanders_record(t: TestServer) {
    t.create_incident(json!({"title": "Expired certificate", "severity": "SEV3"}))
        .await;
    let (_, done) = t
        .call(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "Rotate certificates", "owner": "rex", "due_date": "2030-01-01"})),
        )
        .await;
    let (_, live) = t
        .call(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "Alert on expiry", "owner": "rex", "due_date": "2030-01-01"})),
        )
        .await;
    let (st, _) = t
        .call_as(
            &t.commander,
            Method::PATCH,
            &format!("/actions/{}", done["id"].as_str().unwrap()),
            Some(json!({"status": "done"})),
            Some(done["version"].as_i64().unwrap()),
        )
        .await;
    assert_eq!(st, 200);
    let (st, body) = t
        .call(
            Method::POST,
            "/incidents/INC-1/exceptions",
            Some(json!({"description": "alerting lands next quarter", "risk_accepted_by": "cora", "remediation_due": "2030-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(st, 201, "{body}");
    let (st, body) = t.patch("INC-1", json!({"phase": "closed"})).await;
    assert_eq!(st, 200, "{body}");
    let version = body["version"].as_i64().unwrap();

    let as_responder = |method: Method, path: String, body: serde_json::Value, v: Option<i64>| {
        let t = &t;
        async move { t.call_as(&t.responder, method, &path, Some(body), v).await }
    };
    let update = json!({"audience": "internal", "current_status": "still watching"});
    for (field, got) in [
        (
            "summary",
            as_responder(
                Method::PATCH,
                "/incidents/INC-1".into(),
                json!({"summary": "root cause: expired certificate"}),
                Some(version),
            )
            .await,
        ),
        (
            "phase",
            as_responder(
                Method::POST,
                "/incidents/INC-1/updates".into(),
                update.clone(),
                None,
            )
            .await,
        ),
        (
            "phase",
            as_responder(
                Method::POST,
                "/incidents/INC-1/notes".into(),
                json!({"text": "cert renewed by hand"}),
                None,
            )
            .await,
        ),
    ] {
        assert_error(&got, 403, field);
        let msg = got.1["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("INC-1") && msg.contains("commander"),
            "{field}: {msg}"
        );
    }
    let added = t
        .call(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "One more", "owner": "rex", "due_date": "2030-01-01"})),
        )
        .await;
    assert_error(&added, 409, "incident");
    assert_eq!(added.1["error"]["code"], "incident_closed");
    let reopened = t
        .call(
            Method::PATCH,
            &format!("/actions/{}", done["id"].as_str().unwrap()),
            Some(json!({"status": "open"})),
        )
        .await;
    assert_eq!(reopened.0, 428, "a PATCH without If-Match is refused first");
    let reopened = t
        .call_as(
            &t.commander,
            Method::PATCH,
            &format!("/actions/{}", done["id"].as_str().unwrap()),
            Some(json!({"status": "open"})),
            Some(done["version"].as_i64().unwrap() + 1),
        )
        .await;
    assert_error(&reopened, 409, "status");
    // The excepted action is still worked on and finished by a responder.
    let finished = as_responder(
        Method::PATCH,
        format!("/actions/{}", live["id"].as_str().unwrap()),
        json!({"status": "done"}),
        Some(live["version"].as_i64().unwrap()),
    )
    .await;
    assert_eq!(finished.0, 200, "{}", finished.1);
    // A finished action is part of the record: a responder renaming or cancelling it is
    // refused, whatever field it names; the commander may correct it.
    let done_path = format!("/actions/{}", done["id"].as_str().unwrap());
    let done_version = done["version"].as_i64().unwrap() + 1;
    for change in [
        json!({"title": "Rotated nothing"}),
        json!({"status": "cancelled"}),
        json!({"owner": "mallory"}),
    ] {
        let got = as_responder(
            Method::PATCH,
            done_path.clone(),
            change.clone(),
            Some(done_version),
        )
        .await;
        assert_error(&got, 403, "phase");
        assert!(
            got.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains("commander"),
            "{change}: {}",
            got.1
        );
    }
    let renamed = t
        .call_as(
            &t.commander,
            Method::PATCH,
            &done_path,
            Some(json!({"title": "Rotate certificates (all regions)"})),
            Some(done_version),
        )
        .await;
    assert_eq!(renamed.0, 200, "{}", renamed.1);
    // The commander corrects the record and may post to it.
    let fixed = t
        .call_as(
            &t.commander,
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"summary": "root cause: expired certificate"})),
            Some(version),
        )
        .await;
    assert_eq!(fixed.0, 200, "{}", fixed.1);
    let posted = t
        .call(Method::POST, "/incidents/INC-1/updates", Some(update))
        .await;
    assert_eq!(posted.0, 201, "{}", posted.1);
    let (_, actions) = t.call(Method::GET, "/incidents/INC-1/actions", None).await;
    assert_eq!(actions["items"].as_array().unwrap().len(), 2, "{actions}");
}

/// The bypass that was found: as a responder, turn customer impact off, move the phase,
/// turn it back on (409, 200, 200, 200). Now turning impact off is refused for the
/// responder; and even the commander, who may turn it off (with a reason), cannot move the
/// incident out of the active phases without a customer update, because it was
/// customer-impacting.
async fn the_customer_update_rule_cannot_be_skipped_by_field_order(t: TestServer) {
    t.create_incident(
        json!({"title": "Checkout errors", "severity": "SEV2", "customer_impact": true}),
    )
    .await;
    let as_responder = |body: serde_json::Value, v: i64| {
        t.call_as(
            &t.responder,
            Method::PATCH,
            "/incidents/INC-1",
            Some(body),
            Some(v),
        )
    };
    let got = as_responder(json!({"phase": "follow_through"}), 1).await;
    assert_error(&got, 409, "phase");
    assert_eq!(got.1["error"]["code"], "customer_update_required");
    let got = as_responder(json!({"customer_impact": false}), 1).await;
    assert_error(&got, 403, "customer_impact");
    let got = as_responder(json!({"customer_impact": false, "reason": "not really"}), 1).await;
    assert_error(&got, 403, "customer_impact");

    // The commander may say customers are no longer affected, with a reason.
    let got = t.patch("INC-1", json!({"customer_impact": false})).await;
    assert_error(&got, 422, "reason");
    let got = t
        .patch(
            "INC-1",
            json!({"customer_impact": false, "reason": "only the internal admin was affected"}),
        )
        .await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    assert_eq!(got.1["update_overdue"], false);
    // ... but the incident was customer-impacting: it still owes customers an update
    // before it leaves the active phases, whoever moves it and in whatever order.
    let got = as_responder(json!({"phase": "follow_through"}), 2).await;
    assert_error(&got, 409, "phase");
    let got = t.patch("INC-1", json!({"phase": "closed"})).await;
    assert_error(&got, 409, "phase");
    let got = t
        .patch(
            "INC-1",
            json!({"phase": "follow_through", "customer_impact": true}),
        )
        .await;
    assert_error(&got, 409, "phase");

    // An incident that was never customer-impacting moves on; marking it customer-impacting
    // afterwards, before customers were told, is refused too.
    t.create_incident(json!({"title": "Internal only", "severity": "SEV3"}))
        .await;
    let got = t
        .call_as(
            &t.responder,
            Method::PATCH,
            "/incidents/INC-2",
            Some(json!({"phase": "follow_through"})),
            Some(1),
        )
        .await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    let got = t
        .call_as(
            &t.responder,
            Method::PATCH,
            "/incidents/INC-2",
            Some(json!({"customer_impact": true})),
            Some(2),
        )
        .await;
    assert_error(&got, 409, "customer_impact");

    // With a customer update posted, the incident moves on.
    t.customer_update("INC-1").await;
    let got = as_responder(json!({"phase": "follow_through"}), 3).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.1);
    let (_, tl) = t.call(Method::GET, "/incidents/INC-1/timeline", None).await;
    let off = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "customer_impact")
        .unwrap();
    assert_eq!(off["actor"], "cora");
    assert_eq!(off["reason"], "only the internal admin was affected");
}

/// RFC 9110: the auth scheme is case-insensitive.
async fn the_bearer_scheme_is_case_insensitive(t: TestServer) {
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let resp = t
            .http
            .get(format!("{}/whoami", t.base))
            .header("Authorization", format!("{scheme} {}", t.viewer))
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(resp).await;
        assert_eq!(status, StatusCode::OK, "{scheme}: {body}");
        assert_eq!(body["name"], "vic");
    }
    let resp = t
        .http
        .get(format!("{}/whoami", t.base))
        .header("Authorization", format!("Basic {}", t.viewer))
        .send()
        .await
        .unwrap();
    assert_error(&json_of(resp).await, 401, "Authorization");
}

/// A token's name is the actor everywhere (timelines, audit, lists): one that the terminal
/// sanitizer would change or mark (an escape, a direction override, a zero-width joiner)
/// would read differently in different places, so it is refused.
async fn token_names_read_the_same_everywhere(t: TestServer) {
    let store = &t.server.as_ref().unwrap().store;
    for name in [
        "ev\u{202e}lam",
        "a\u{1b}[31mb",
        "zero\u{200b}width",
        "bell\u{7}",
    ] {
        let err = store.create_token(name, Role::Viewer).await;
        assert!(err.is_err(), "{name:?} was accepted");
    }
    assert!(
        store
            .create_token("Zoë Ng (on call)", Role::Viewer)
            .await
            .is_ok()
    );
}

/// A revoked token's name can be given to a new token; a live one's cannot, and the hint
/// says how to free it.
async fn a_revoked_tokens_name_can_be_reused(t: TestServer) {
    let store = &t.server.as_ref().unwrap().store;
    let err = store
        .create_token("rex", Role::Responder)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("revoke it first") && err.contains("sitrep token revoke rex"),
        "{err}"
    );
    assert!(store.revoke_token("rex").await.unwrap());
    let fresh = store.create_token("rex", Role::Commander).await.unwrap();
    let whoami = |token: String| {
        let req = t.req(Method::GET, "/whoami", Some(&token));
        async move { json_of(req.send().await.unwrap()).await }
    };
    let (status, me) = whoami(fresh).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "commander");
    assert_eq!(
        whoami(t.responder.clone()).await.0,
        401,
        "the old one stays revoked"
    );
    let listed: Vec<_> = store
        .list_tokens()
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.name == "rex")
        .map(|i| i.revoked_at.is_some())
        .collect();
    assert_eq!(
        listed,
        vec![true, false],
        "both are listed, the old one revoked"
    );
    // Revoked twice over: still one live token per name.
    assert!(store.revoke_token("rex").await.unwrap());
    store.create_token("rex", Role::Viewer).await.unwrap();
    assert!(store.create_token("rex", Role::Viewer).await.is_err());
}

/// Sends a write's head and the start of its body, lets the server authenticate it, runs
/// `meanwhile`, then sends the rest; the status line and body of the answer.
async fn slow_write(
    t: &TestServer,
    token: &str,
    path: &str,
    body: serde_json::Value,
    meanwhile: impl std::future::Future<Output = ()>,
) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = t
        .base
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1");
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.to_string();
    let head = format!(
        "POST /api/v1{path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&body.as_bytes()[..5]).await.unwrap();
    // The token is checked when the head arrives; the body is still coming.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    meanwhile.await;
    sock.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut answer = String::new();
    sock.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let json = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // A chunked answer: the JSON object is between the chunk sizes.
    let json = json
        .find('{')
        .map(|i| &json[i..=json.rfind('}').unwrap()])
        .unwrap_or("null");
    (status, serde_json::from_str(json).unwrap())
}

/// A token revoked while its request's body is still arriving writes nothing: the write's
/// transaction checks the token again under the write lock, whatever the route.
async fn a_token_revoked_mid_request_writes_nothing(t: TestServer) {
    let store = t.server.as_ref().unwrap().store.clone();
    t.create_incident(json!({"title": "Queue backlog", "severity": "SEV3"}))
        .await;
    let revoke = |name: &'static str| {
        let store = store.clone();
        async move { assert!(store.revoke_token(name).await.unwrap()) }
    };
    let declared = slow_write(
        &t,
        &t.commander,
        "/incidents",
        json!({"title": "Declared by a leaked token", "severity": "SEV1"}),
        revoke("cora"),
    )
    .await;
    assert_eq!(declared.0, 401, "{}", declared.1);
    assert_eq!(
        declared.1["error"]["field"], "Authorization",
        "{}",
        declared.1
    );
    let noted = slow_write(
        &t,
        &t.responder,
        "/incidents/INC-1/notes",
        json!({"text": "written by a leaked token"}),
        revoke("rex"),
    )
    .await;
    assert_eq!(noted.0, 401, "{}", noted.1);

    let (_, page) = t
        .call_as(&t.viewer, Method::GET, "/incidents", None, None)
        .await;
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Queue backlog"], "nothing was declared");
    let (_, tl) = t
        .call_as(
            &t.viewer,
            Method::GET,
            "/incidents/INC-1/timeline",
            None,
            None,
        )
        .await;
    let notes = tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .count();
    assert_eq!(notes, 0, "nothing was noted: {tl}");
}

on_both_stores!(
    a_responder_racing_a_close_never_reopens_it,
    a_token_revoked_mid_request_writes_nothing,
    reopening_a_closed_incident_is_the_commanders_call,
    a_closed_incident_is_the_commanders_record,
    the_customer_update_rule_cannot_be_skipped_by_field_order,
    the_bearer_scheme_is_case_insensitive,
    a_revoked_tokens_name_can_be_reused,
    token_names_read_the_same_everywhere,
);
