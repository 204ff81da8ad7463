//! The audit trail of administration: token creation and revocation recorded with actor
//! and time, readable by commanders only (API) and locally (`sitrep audit`), and
//! append-only in the database itself.
use crate::common;
use common::bin::{cli_token, run, stderr};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sitrep::domain::Role;

async fn check_trail(t: common::TestServer) {
    let store = &t.server.as_ref().unwrap().store;
    store
        .create_token_by("cora", "ci-bot", Role::Responder, None)
        .await
        .unwrap();
    assert!(store.revoke_token_by("cora", "ci-bot").await.unwrap());
    // Nothing to revoke: nothing recorded.
    assert!(!store.revoke_token_by("cora", "ci-bot").await.unwrap());

    let (status, body) = t.call(Method::GET, "/audit", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    let mine: Vec<&Value> = items.iter().filter(|e| e["target"] == "ci-bot").collect();
    assert_eq!(mine.len(), 2, "{body}");
    assert_eq!(mine[0]["action"], "token.create");
    assert_eq!(mine[0]["actor"], "cora");
    assert_eq!(mine[0]["detail"], "role=responder");
    assert_eq!(mine[1]["action"], "token.revoke");
    assert!(mine[0]["seq"].as_i64() < mine[1]["seq"].as_i64());
    for e in &mine {
        let at = e["at"].as_str().unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        let age = chrono::Utc::now() - at.with_timezone(&chrono::Utc);
        assert!(age < chrono::Duration::minutes(5), "{at}");
    }
    // The test server's own three tokens were recorded too, before these.
    assert!(items.len() >= 5, "{body}");

    // Paging: one at a time reaches the same entries.
    let (_, first) = t.call(Method::GET, "/audit?limit=1", None).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = t
        .call(
            Method::GET,
            &format!("/audit?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(second["items"][0], items[1]);
    let (status, bad) = t.call(Method::GET, "/audit?cursor=n1", None).await;
    common::assert_error(&(status, bad), 422, "cursor");

    for token in [&t.responder, &t.viewer] {
        let (status, body) = t.call_as(token, Method::GET, "/audit", None, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let anonymous = t.req(Method::GET, "/audit", None).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // On PostgreSQL the database itself refuses changes to the trail (SQLite: below).
    if let Some(url) = store.postgres_url() {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        for sql in [
            "UPDATE admin_audit SET actor = 'someone else'",
            "DELETE FROM admin_audit",
            "TRUNCATE admin_audit",
        ] {
            let err = sqlx::query(sql).execute(&mut c).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
    }
}

/// Adding and removing a webhook is recorded with actor and time, in the same transaction
/// as the change; the record keeps the receiver's scheme and host, never the secret nor the
/// path (for a chat webhook the path is the credential).
async fn webhook_changes_are_in_the_trail_without_secret_or_path(t: common::TestServer) {
    use base64::Engine;
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode("audit-test-key-0123456789abcdefg")
    );
    let port = common::bin::free_port();
    let path = "services/T000/B000/XXXXsecretpathXXXX";
    let url = format!("http://127.0.0.1:{port}/{path}");
    let (status, added) = t
        .call(
            Method::POST,
            "/webhooks",
            Some(serde_json::json!({"url": url, "events": ["*"], "secret": secret})),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{added}");
    let id = added["id"].as_str().unwrap().to_string();
    let (status, gone) = t
        .call(Method::DELETE, &format!("/webhooks/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{gone}");

    let (status, body) = t.call(Method::GET, "/audit", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = body.to_string();
    assert!(!text.contains("XXXXsecretpathXXXX"), "{text}");
    assert!(!text.contains(&secret[6..]), "{text}");
    let mine: Vec<&Value> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == id.as_str())
        .collect();
    assert_eq!(mine.len(), 2, "{body}");
    assert_eq!(mine[0]["action"], "webhook.add");
    assert_eq!(mine[1]["action"], "webhook.remove");
    for e in &mine {
        assert_eq!(e["actor"], "cora", "{e}");
        assert_eq!(e["detail"], format!("http://127.0.0.1:{port}"), "{e}");
        let at = chrono::DateTime::parse_from_rfc3339(e["at"].as_str().unwrap()).unwrap();
        let age = chrono::Utc::now() - at.with_timezone(&chrono::Utc);
        assert!(age < chrono::Duration::minutes(5), "{at}");
    }
}

on_both_stores!(
    check_trail,
    webhook_changes_are_in_the_trail_without_secret_or_path
);

#[tokio::test]
async fn the_trail_refuses_updates_and_deletes_in_the_database() {
    let t = common::TestServer::start().await;
    let db = t.dir.path().join("t.db");
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    for sql in [
        "UPDATE admin_audit SET actor = 'someone else'",
        "DELETE FROM admin_audit",
    ] {
        let err = sqlx::query(sql).execute(&mut c).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM admin_audit")
        .fetch_one(&mut c)
        .await
        .unwrap();
    assert!(n >= 3);
}

#[test]
fn sitrep_audit_shows_cli_token_changes_with_actor_and_time_sanitized() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sitrep.db");
    let db_s = db.to_str().unwrap();
    cli_token(None, db_s, "commander", "ops");
    // A token name that would read differently in the terminal is refused outright.
    let refused = run(
        None,
        &[
            "token",
            "create",
            "--role",
            "viewer",
            "--name",
            "evil\u{202e}name",
            "--db",
            db_s,
        ],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("direction overrides"),
        "{}",
        stderr(&refused)
    );
    cli_token(None, db_s, "viewer", "viewer");
    // The local actor comes from the environment: text that would act on the terminal.
    let out = common::bin::command(None, &["token", "revoke", "ops", "--db", db_s])
        .env("USER", "mallory\u{202e}\u{1b}[2J")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let out = run(None, &["audit", "--json", "--db", db_s]);
    assert!(out.status.success(), "{}", stderr(&out));
    let entries: Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = entries.as_array().unwrap();
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(actions[0], ("token.create", "ops"));
    assert_eq!(actions[2], ("token.revoke", "ops"));
    assert!(entries[0]["actor"].as_str().unwrap().starts_with("local:"));
    assert_eq!(entries[0]["detail"], "role=commander");

    let out = run(None, &["audit", "--db", db_s]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("token.revoke"), "{table}");
    assert!(
        !table.contains('\u{202e}') && !table.contains('\u{1b}'),
        "{table:?}"
    );
}
