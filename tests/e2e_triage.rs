//! End to end: a whole triage from the keyboard of the real binary in a pseudo-terminal,
//! checked through the API; and the outbox holding a status update while the server is down.
use crate::common::pty;

use pty::spawn;
use sitrep::client::{ApiClient, Token, install_crypto_provider};
use sitrep::domain::{Audience, Phase, Role, Severity};
use sitrep::server::{self, RunningServer, ServerConfig};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

const CTRL_S: &str = "\x13";

/// Polls `check` until it returns Some, or fails after `secs` with `what`.
async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn start(db: &Path, addr: SocketAddr) -> RunningServer {
    server::start(ServerConfig::sqlite(db, addr)).await.unwrap()
}

struct Setup {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    running: RunningServer,
    api: ApiClient,
    base: String,
    token_file: std::path::PathBuf,
    id: String,
}

/// A server with a commander token "ana" and one SEV2 customer-impacting incident.
async fn setup() -> Setup {
    install_crypto_provider();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let running = start(&dir.join("t.db"), "127.0.0.1:0".parse().unwrap()).await;
    let base = format!("http://{}", running.addr);
    let token = Token::new(
        running
            .store
            .create_token("ana", Role::Commander)
            .await
            .unwrap(),
    );
    let token_file = dir.join("token");
    token.write_private(&token_file).unwrap();
    let api = ApiClient::new(&base, token).unwrap();
    let created: serde_json::Value = api
        .post(
            "/incidents",
            &serde_json::json!({
                "title": "Checkout errors",
                "severity": "SEV2",
                "customer_impact": true,
                "impact_scope": "EU card payments",
            }),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    std::fs::create_dir_all(dir.join("home")).unwrap();
    Setup {
        _dir: tmp,
        dir,
        running,
        api,
        base,
        token_file,
        id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_triage_from_the_keyboard() {
    let t = setup().await;
    let (api, id) = (&t.api, t.id.clone());
    let mut c = spawn(
        &t.dir.join("home"),
        &[
            "--api",
            &t.base,
            "--token-file",
            t.token_file.to_str().unwrap(),
        ],
    );
    c.screen
        .wait_for("Checkout errors", Duration::from_secs(15));
    c.screen.wait_for("LIVE", Duration::from_secs(5));
    // Open the incident: every write key acts on it from here.
    c.keys("\r");
    c.screen.wait_for("Impact scope", Duration::from_secs(5));

    // Take command.
    c.keys("a");
    eventually("commander ana", 10, || async {
        (api.incident(&id).await.ok()?.commander.as_deref() == Some("ana")).then_some(())
    })
    .await;

    // SEV2 → SEV1 with a reason.
    c.keys("s");
    c.screen.wait_for("Set severity", Duration::from_secs(5));
    c.keys(&format!("1\tall EU card payments failing{CTRL_S}"));
    eventually("SEV1", 10, || async {
        (api.incident(&id).await.ok()?.severity == Severity::Sev1).then_some(())
    })
    .await;

    // Through triage and containment to communication.
    for phase in [Phase::Triage, Phase::Containment, Phase::Communication] {
        c.keys("p");
        c.screen
            .wait_for("Move to the next phase", Duration::from_secs(5));
        c.keys(&format!("moving on{CTRL_S}"));
        eventually(phase.as_str(), 10, || async {
            (api.incident(&id).await.ok()?.phase == phase).then_some(())
        })
        .await;
    }

    // Follow-through needs a customer update first: the server's reason is shown plainly.
    c.keys(&format!("p{CTRL_S}"));
    c.screen.wait_for("refused", Duration::from_secs(10));
    assert!(
        c.screen.contents().contains("customer update"),
        "{}",
        c.screen.contents()
    );
    assert_eq!(api.incident(&id).await.unwrap().phase, Phase::Communication);

    // A customer update; impact scope is pre-filled from the incident.
    c.keys("u");
    c.screen
        .wait_for("Post a status update", Duration::from_secs(5));
    c.screen
        .wait_for("EU card payments", Duration::from_secs(5));
    c.keys(&format!(
        "\t\tPayments restored for 90% of EU cards\tRolling back the gateway deploy{CTRL_S}"
    ));
    let updates = eventually("a customer update", 10, || async {
        let u = api.updates(&id).await.ok()?;
        (!u.is_empty()).then_some(u)
    })
    .await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].audience, Audience::Customer);
    assert_eq!(updates[0].impact_scope, "EU card payments");
    assert_eq!(updates[0].next_steps, "Rolling back the gateway deploy");
    assert!(
        updates[0].next_update_due_at.is_some(),
        "next update defaults to the SEV1 cadence"
    );

    // A corrective action (owner defaults to me, due date to a week out).
    c.keys("c");
    c.screen
        .wait_for("Add a corrective action", Duration::from_secs(5));
    c.keys(&format!("Canary stage for gateway deploys{CTRL_S}"));
    let actions = eventually("a corrective action", 10, || async {
        let a = api.incident_actions(&id).await.ok()?;
        (!a.is_empty()).then_some(a)
    })
    .await;
    assert_eq!(actions[0].title, "Canary stage for gateway deploys");
    assert_eq!(actions[0].owner, "ana");

    // An exception, so the incident can close with the action still open.
    c.keys("x");
    c.screen
        .wait_for("Record an exception", Duration::from_secs(5));
    c.keys(&format!(
        "Close with the canary still open\tVP Engineering{CTRL_S}"
    ));
    let exceptions = eventually("an exception", 10, || async {
        let e = api.exceptions(&id).await.ok()?;
        (!e.is_empty()).then_some(e)
    })
    .await;
    assert_eq!(exceptions[0].risk_accepted_by, "VP Engineering");

    // Follow-through, then close after the confirmation.
    c.keys(&format!("p{CTRL_S}"));
    eventually("follow-through", 10, || async {
        (api.incident(&id).await.ok()?.phase == Phase::FollowThrough).then_some(())
    })
    .await;
    c.keys("C");
    c.screen
        .wait_for(&format!("Close {id}?"), Duration::from_secs(5));
    c.keys("y");
    eventually("closed", 10, || async {
        (api.incident(&id).await.ok()?.phase == Phase::Closed).then_some(())
    })
    .await;

    // The final state and the timeline, as an auditor reads them.
    let inc = api.incident(&id).await.unwrap();
    assert_eq!(inc.commander.as_deref(), Some("ana"));
    assert_eq!(inc.severity, Severity::Sev1);
    let timeline = api.timeline(&id).await.unwrap();
    let has = |field: &str, new: &str| {
        timeline
            .iter()
            .any(|e| e.field.as_deref() == Some(field) && e.new.as_deref() == Some(new))
    };
    let sev = timeline
        .iter()
        .find(|e| e.field.as_deref() == Some("severity") && e.new.as_deref() == Some("SEV1"))
        .expect("a severity entry");
    assert_eq!(sev.old.as_deref(), Some("SEV2"));
    assert_eq!(sev.new.as_deref(), Some("SEV1"));
    assert_eq!(sev.reason.as_deref(), Some("all EU card payments failing"));
    assert_eq!(sev.actor, "ana");
    assert!(has("commander", "ana"), "{timeline:#?}");
    for p in [
        "triage",
        "containment",
        "communication",
        "follow_through",
        "closed",
    ] {
        assert!(
            has("phase", p),
            "no phase {p} on the timeline: {timeline:#?}"
        );
    }
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    for k in ["update_posted", "action_created", "exception_created"] {
        assert!(kinds.contains(&k), "no {k} entry: {kinds:?}");
    }
    // Every write was confirmed: nothing pending in the header.
    let mut settled = false;
    for _ in 0..50 {
        if !c.screen.contents().contains(" pending ") {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(settled, "{}", c.screen.contents());
    c.keys("q");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
    t.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_posted_while_the_server_is_down_is_stored_exactly_once() {
    let t = setup().await;
    let id = t.id.clone();
    let addr = t.running.addr;
    let home = t.dir.join("home");
    let mut c = spawn(
        &home,
        &[
            "--api",
            &t.base,
            "--token-file",
            t.token_file.to_str().unwrap(),
        ],
    );
    c.screen
        .wait_for("Checkout errors", Duration::from_secs(15));
    c.keys("\r");
    c.screen.wait_for("Impact scope", Duration::from_secs(5));

    // The server goes away.
    t.running.shutdown().await;
    c.screen.wait_for("RECONNECTING", Duration::from_secs(15));

    // The commander posts anyway.
    c.keys("u");
    c.screen
        .wait_for("Post a status update", Duration::from_secs(5));
    c.keys(&format!(
        "\t\tStill investigating\tChecking the gateway{CTRL_S}"
    ));
    c.screen.wait_for("1 pending", Duration::from_secs(10));
    c.screen
        .wait_for("waiting for the server", Duration::from_secs(10));
    // It is on disk, with its Idempotency-Key, before anything was sent.
    let outbox = home.join("data/sitrep/outbox.json");
    let saved = std::fs::read_to_string(&outbox).unwrap();
    assert!(saved.contains("Still investigating"), "{saved}");
    let v: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let key = v["writes"][0]["key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 32);

    // The server comes back on the same address: the update is sent, once.
    let running = start(&t.dir.join("t.db"), addr).await;
    let updates = eventually("the queued update", 20, || async {
        let u = t.api.updates(&id).await.ok()?;
        (!u.is_empty()).then_some(u)
    })
    .await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].current_status, "Still investigating");
    // The outbox empties and the header stops counting.
    let mut empty = false;
    for _ in 0..50 {
        let s = std::fs::read_to_string(&outbox).unwrap_or_default();
        if !s.contains("Still investigating") && !c.screen.contents().contains("1 pending") {
            empty = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(empty, "outbox not emptied:\n{}", c.screen.contents());
    // Sending the same write again (as after an answer lost on the way back) stores nothing new.
    let w: sitrep::client::Write = serde_json::from_value(v["writes"][0].clone()).unwrap();
    t.api.write(&w).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(t.api.updates(&id).await.unwrap().len(), 1, "exactly once");

    c.keys("q");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_typed_update_survives_a_killed_console() {
    let t = setup().await;
    let home = t.dir.join("home");
    let args = [
        "--api",
        &t.base,
        "--token-file",
        t.token_file.to_str().unwrap(),
    ];
    let mut c = spawn(&home, &args);
    c.screen
        .wait_for("Checkout errors", Duration::from_secs(15));
    c.keys("\r");
    c.screen.wait_for("Impact scope", Duration::from_secs(5));
    c.keys("u");
    c.screen
        .wait_for("Post a status update", Duration::from_secs(5));
    c.keys("\t\tGateway rolled back in eu-west");
    c.screen
        .wait_for("Gateway rolled back in eu-west", Duration::from_secs(5));
    // The drafts file is written as you type.
    let drafts = home.join("data/sitrep/drafts.json");
    let mut saved = false;
    for _ in 0..50 {
        if std::fs::read_to_string(&drafts)
            .unwrap_or_default()
            .contains("Gateway rolled back in eu-west")
        {
            saved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved, "draft not on disk");
    // An SSH drop or a crash: the process dies without a chance to clean up.
    c.child.kill().unwrap();
    let _ = c.wait_exit(Duration::from_secs(10));

    let mut c = spawn(&home, &args);
    c.screen
        .wait_for("unsent drafts kept", Duration::from_secs(15));
    c.screen
        .wait_for("Checkout errors", Duration::from_secs(10));
    c.keys("\r");
    c.screen.wait_for("Impact scope", Duration::from_secs(5));
    c.keys("u");
    c.screen
        .wait_for("Post a status update", Duration::from_secs(5));
    c.screen
        .wait_for("Gateway rolled back in eu-west", Duration::from_secs(5));
    c.keys(&format!("\tChecking error rates{CTRL_S}"));
    let updates = eventually("the restored draft, sent", 10, || async {
        let u = t.api.updates(&t.id).await.ok()?;
        (!u.is_empty()).then_some(u)
    })
    .await;
    assert_eq!(updates[0].current_status, "Gateway rolled back in eu-west");
    assert_eq!(updates[0].next_steps, "Checking error rates");
    c.keys("q");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
    t.running.shutdown().await;
}

/// A colleague changes the incident through the API while the severity form is open. Ctrl+S
/// sends nothing: the console shows their change and who made it; the API keeps their value
/// until the user re-applies, and the timeline holds exactly the writes that were confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_colleagues_change_while_a_form_is_open_is_shown_not_overwritten() {
    let t = setup().await;
    let (api, id) = (&t.api, t.id.clone());
    let dana = ApiClient::new(
        &t.base,
        Token::new(
            t.running
                .store
                .create_token("dana", Role::Commander)
                .await
                .unwrap(),
        ),
    )
    .unwrap();
    let mut c = spawn(
        &t.dir.join("home"),
        &[
            "--api",
            &t.base,
            "--token-file",
            t.token_file.to_str().unwrap(),
        ],
    );
    c.screen
        .wait_for("Checkout errors", Duration::from_secs(15));
    c.screen.wait_for("LIVE", Duration::from_secs(5));
    c.keys("\r");
    c.screen.wait_for("Impact scope", Duration::from_secs(5));

    // Ana opens the severity form on SEV2 (version 1) and types SEV1 with a reason.
    c.keys("s");
    c.screen
        .wait_for(&format!("Set severity · {id}"), Duration::from_secs(5));
    c.keys("1\tall EU card payments failing");
    c.screen
        .wait_for("all EU card payments failing", Duration::from_secs(5));

    // Meanwhile Dana sets SEV3, with the right If-Match, and the console hears of it.
    let _: serde_json::Value = dana
        .patch(
            &format!("/incidents/{id}"),
            1,
            &serde_json::json!({"severity": "SEV3", "reason": "only one region"}),
        )
        .await
        .unwrap();
    // (The severity choices are on screen already, so there is nothing unique to wait for;
    // the live event arrives in milliseconds on loopback. Were it late, the server's 412
    // would open the same dialog.)
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Ctrl+S: nothing is sent; the conflict says what changed and by whom.
    c.keys(CTRL_S);
    c.screen
        .wait_for(&format!("Conflict on {id}"), Duration::from_secs(5));
    let screen = c.screen.contents();
    assert!(screen.contains("severity: SEV2 → SEV3"), "{screen}");
    assert!(screen.contains("by dana"), "{screen}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let inc = api.incident(&id).await.unwrap();
    assert_eq!(inc.severity, Severity::Sev3, "Dana's value stands");
    assert_eq!(inc.version, 2);

    // Re-apply: sent on Dana's version, and it lands.
    c.keys("y");
    eventually("SEV1 on version 2", 10, || async {
        (api.incident(&id).await.ok()?.severity == Severity::Sev1).then_some(())
    })
    .await;
    let timeline = api.timeline(&id).await.unwrap();
    let severity: Vec<(String, String, String)> = timeline
        .iter()
        .filter(|e| e.kind == "severity_changed")
        .map(|e| {
            (
                e.actor.clone(),
                e.old.clone().unwrap_or_default(),
                e.new.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        severity,
        [
            ("dana".to_string(), "SEV2".to_string(), "SEV3".to_string()),
            ("ana".to_string(), "SEV3".to_string(), "SEV1".to_string()),
        ],
        "exactly the writes that were confirmed"
    );
    c.keys("q");
    assert!(c.wait_exit(Duration::from_secs(10)).success());
    t.running.shutdown().await;
}
