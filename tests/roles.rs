//! Who may do what: every endpoint against no token, each role, and a revoked token.
use crate::common;

use chrono::{Duration, Utc};
use common::{TestServer, json_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sitrep::domain::Role;

struct Op {
    method: Method,
    path: &'static str,
    body: Option<Value>,
    /// The entity whose version goes in If-Match.
    versioned: Option<&'static str>,
    least: Role,
}

fn op(
    method: Method,
    path: &'static str,
    body: Option<Value>,
    versioned: Option<&'static str>,
    least: Role,
) -> Op {
    Op {
        method,
        path,
        body,
        versioned,
        least,
    }
}

async fn role_by_endpoint(t: TestServer) {
    t.create_incident(json!({"title": "Primary", "severity": "SEV2"}))
        .await;
    t.create_incident(json!({"title": "To close", "severity": "SEV4"}))
        .await;
    t.call(
        Method::POST,
        "/incidents/INC-1/actions",
        Some(json!({"title": "Fix", "owner": "ana", "due_date": "2031-01-01"})),
    )
    .await;
    let future = (Utc::now() + Duration::days(3)).to_rfc3339();
    let ops = vec![
        op(Method::GET, "/incidents", None, None, Role::Viewer),
        op(
            Method::POST,
            "/incidents",
            Some(json!({"title": "New", "severity": "SEV3"})),
            None,
            Role::Responder,
        ),
        op(Method::GET, "/incidents/INC-1", None, None, Role::Viewer),
        op(
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"summary": "more detail"})),
            Some("/incidents/INC-1"),
            Role::Responder,
        ),
        op(
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"phase": "triage"})),
            Some("/incidents/INC-1"),
            Role::Responder,
        ),
        op(
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"severity": "SEV1", "reason": "worse"})),
            Some("/incidents/INC-1"),
            Role::Commander,
        ),
        op(
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"commander": "cora"})),
            Some("/incidents/INC-1"),
            Role::Commander,
        ),
        op(
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"roles": {"scribe": "sam"}})),
            Some("/incidents/INC-1"),
            Role::Commander,
        ),
        op(
            Method::PATCH,
            "/incidents/INC-2",
            Some(json!({"phase": "closed"})),
            Some("/incidents/INC-2"),
            Role::Commander,
        ),
        op(
            Method::GET,
            "/incidents/INC-1/timeline",
            None,
            None,
            Role::Viewer,
        ),
        op(
            Method::GET,
            "/incidents/INC-1/updates",
            None,
            None,
            Role::Viewer,
        ),
        op(
            Method::POST,
            "/incidents/INC-1/updates",
            Some(json!({"audience": "internal", "current_status": "investigating"})),
            None,
            Role::Responder,
        ),
        op(
            Method::GET,
            "/incidents/INC-1/actions",
            None,
            None,
            Role::Viewer,
        ),
        op(
            Method::POST,
            "/incidents/INC-1/actions",
            Some(json!({"title": "Add alert", "owner": "bo", "due_date": "2031-02-01"})),
            None,
            Role::Responder,
        ),
        op(Method::GET, "/actions", None, None, Role::Viewer),
        op(Method::GET, "/actions/ACT-1", None, None, Role::Viewer),
        op(
            Method::PATCH,
            "/actions/ACT-1",
            Some(json!({"owner": "cy"})),
            Some("/actions/ACT-1"),
            Role::Responder,
        ),
        op(
            Method::GET,
            "/incidents/INC-1/exceptions",
            None,
            None,
            Role::Viewer,
        ),
        op(
            Method::POST,
            "/incidents/INC-1/exceptions",
            Some(
                json!({"description": "skip the load test", "risk_accepted_by": "VP Eng", "remediation_due": future}),
            ),
            None,
            Role::Commander,
        ),
    ];
    let tokens = [
        (Role::Viewer, t.viewer.clone()),
        (Role::Responder, t.responder.clone()),
        (Role::Commander, t.commander.clone()),
    ];
    for o in &ops {
        let anon = t.req(o.method.clone(), o.path, None).send().await.unwrap();
        assert_eq!(
            anon.status(),
            StatusCode::UNAUTHORIZED,
            "{} {} without a token",
            o.method,
            o.path
        );
        let bogus = t
            .req(o.method.clone(), o.path, Some("sitrep_not_a_real_token"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            bogus.status(),
            StatusCode::UNAUTHORIZED,
            "{} {} with an unknown token",
            o.method,
            o.path
        );
        for (role, token) in &tokens {
            let version = match o.versioned {
                Some(p) => t.call(Method::GET, p, None).await.1["version"].as_i64(),
                None => None,
            };
            let (status, body) = t
                .call_as(token, o.method.clone(), o.path, o.body.clone(), version)
                .await;
            if *role >= o.least {
                assert!(
                    status.is_success(),
                    "{} {} as {role}: {status} {body}",
                    o.method,
                    o.path
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {} as {role}: {body}",
                    o.method,
                    o.path
                );
                assert!(
                    body["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains(o.least.as_str()),
                    "{body}"
                );
            }
        }
    }
    // The event stream is for every role, and refuses strangers.
    for (_, token) in &tokens {
        let r = t
            .req(Method::GET, "/events", Some(token))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(
        t.req(Method::GET, "/events", None)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn responders_cannot_reopen_closed_incidents(t: TestServer) {
    t.create_incident(json!({"title": "Done", "severity": "SEV4"}))
        .await;
    assert_eq!(
        t.patch("INC-1", json!({"phase": "closed"})).await.0,
        StatusCode::OK
    );
    let r = t.responder.clone();
    let (s, body) = t
        .call_as(
            &r,
            Method::PATCH,
            "/incidents/INC-1",
            Some(json!({"phase": "triage"})),
            Some(2),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        t.patch(
            "INC-1",
            json!({"phase": "triage", "reason": "it came back"})
        )
        .await
        .0,
        StatusCode::OK
    );
}

async fn revoked_tokens_stop_working_and_errors_never_echo_tokens(t: TestServer) {
    let store = &t.server.as_ref().unwrap().store;
    let token = store.create_token("temp", Role::Responder).await.unwrap();
    let ok = t
        .req(Method::GET, "/incidents", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(store.revoke_token("temp").await.unwrap());
    let (s, body) = json_of(
        t.req(Method::GET, "/incidents", Some(&token))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        !body.to_string().contains(&token),
        "the error must not echo the token"
    );
    let listed = store.list_tokens().await.unwrap();
    assert!(!format!("{listed:?}").contains(&token));
    assert!(
        listed
            .iter()
            .any(|t| t.name == "temp" && t.revoked_at.is_some())
    );
}

on_both_stores!(
    role_by_endpoint,
    responders_cannot_reopen_closed_incidents,
    revoked_tokens_stop_working_and_errors_never_echo_tokens,
);
