//! The console's live subscription against a real server that goes away and comes back:
//! it says so, reconnects by itself, and resumes from the last event it saw.
use sitrep::client::{ApiClient, LiveEvent, LiveMsg, Token, install_crypto_provider, subscribe};
use sitrep::domain::Role;
use sitrep::server::{self, ServerConfig};
use std::time::Duration;
use tokio::sync::mpsc;

async fn next_where(
    rx: &mut mpsc::UnboundedReceiver<LiveMsg>,
    what: &str,
    pred: impl Fn(&LiveMsg) -> bool,
) -> LiveMsg {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("subscription ended");
        if pred(&msg) {
            return msg;
        }
    }
}

fn created(msg: &LiveMsg) -> Option<String> {
    match msg {
        LiveMsg::Event {
            event: LiveEvent::Incident(i),
            ..
        } => Some(i.title.clone()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_is_reconnected_and_missed_events_are_replayed() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let first = server::start(ServerConfig::sqlite(&db, "127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let addr = first.addr;
    let token = Token::new(
        first
            .store
            .create_token("ana", Role::Commander)
            .await
            .unwrap(),
    );
    let api = ApiClient::new(&format!("http://{addr}"), token).unwrap();

    let (tx, mut rx) = mpsc::unbounded_channel();
    let sub = tokio::spawn(subscribe(api.clone(), move |m| tx.send(m).is_ok()));
    let first_connect = next_where(&mut rx, "connect", |m| {
        matches!(m, LiveMsg::Connected { .. })
    })
    .await;
    assert_eq!(first_connect, LiveMsg::Connected { resync: true });

    let body = |t: &str| serde_json::json!({ "title": t, "severity": "SEV3" });
    let _: serde_json::Value = api.post("/incidents", &body("before")).await.unwrap();
    next_where(&mut rx, "first event", |m| {
        created(m).as_deref() == Some("before")
    })
    .await;

    first.shutdown().await;
    let down = next_where(&mut rx, "disconnect", |m| {
        matches!(m, LiveMsg::Disconnected { .. })
    })
    .await;
    let LiveMsg::Disconnected { retry_in, .. } = down else {
        unreachable!()
    };
    // The server's `retry: 2000` is the first wait, plus up to half again as jitter.
    assert!(
        retry_in >= Duration::from_secs(2) && retry_in <= Duration::from_secs(3),
        "first retry is what the server asked: {retry_in:?}"
    );

    // Same database, same address; a change lands before the console is back.
    let second = server::start(ServerConfig::sqlite(&db, addr))
        .await
        .unwrap();
    let _: serde_json::Value = api.post("/incidents", &body("while away")).await.unwrap();
    let back = next_where(&mut rx, "reconnect", |m| {
        matches!(m, LiveMsg::Connected { .. })
    })
    .await;
    assert_eq!(
        back,
        LiveMsg::Connected { resync: false },
        "resuming from Last-Event-ID needs no full re-list"
    );
    let replayed = next_where(&mut rx, "replayed event", |m| created(m).is_some()).await;
    assert_eq!(
        created(&replayed).as_deref(),
        Some("while away"),
        "nothing missed, nothing repeated"
    );
    sub.abort();
    second.shutdown().await;
}

/// The database is put back from a copy, with its `.lock` sidecar, while the console is
/// away: the ids it holds now name other events. The console names the run its last id came
/// from, the server does not know that run, and the console is told to re-list instead of
/// resuming into the wrong events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_resuming_into_a_database_put_back_from_a_copy_is_told_to_relist() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let lock = dir.path().join("live.db.lock");
    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    let cfg = |addr| ServerConfig::sqlite(&db, addr);
    let first = server::start(cfg("127.0.0.1:0".parse().unwrap()))
        .await
        .unwrap();
    let addr = first.addr;
    let token = Token::new(
        first
            .store
            .create_token("ana", Role::Commander)
            .await
            .unwrap(),
    );
    first.shutdown().await;
    std::fs::copy(&db, saved.join("db")).unwrap();
    std::fs::copy(&lock, saved.join("lock")).unwrap();

    let second = server::start(cfg(addr)).await.unwrap();
    let api = ApiClient::new(&format!("http://{addr}"), token).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sub = tokio::spawn(subscribe(api.clone(), move |m| tx.send(m).is_ok()));
    next_where(&mut rx, "connect", |m| {
        matches!(m, LiveMsg::Connected { .. })
    })
    .await;
    let body = |t: &str| serde_json::json!({ "title": t, "severity": "SEV3" });
    let _: serde_json::Value = api.post("/incidents", &body("lost")).await.unwrap();
    next_where(&mut rx, "event", |m| created(m).as_deref() == Some("lost")).await;
    second.shutdown().await;
    next_where(&mut rx, "disconnect", |m| {
        matches!(m, LiveMsg::Disconnected { .. })
    })
    .await;

    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::copy(saved.join("db"), &db).unwrap();
    std::fs::copy(saved.join("lock"), &lock).unwrap();
    let third = server::start(cfg(addr)).await.unwrap();
    // Before the console is back: the log hands out the ids it saw again.
    for t in ["after copy 0", "after copy 1"] {
        let _: serde_json::Value = api.post("/incidents", &body(t)).await.unwrap();
    }
    let after = next_where(&mut rx, "reset or event", |m| {
        matches!(m, LiveMsg::Reset) || created(m).is_some()
    })
    .await;
    assert_eq!(
        after,
        LiveMsg::Reset,
        "re-list, not resume into other events"
    );
    sub.abort();
    third.shutdown().await;
}
