//! A queued write is sent only under the token it was queued under. Another token starting
//! the console in the same data directory holds it (and says whose it is) instead of
//! putting its own name on someone else's words.
use crate::common::TestServer;
use serde_json::{Value, json};
use sitrep::client::outbox::{self, Held, OutboxCmd, OutboxReport};
use sitrep::client::{ApiClient, Method, Token, Write};
use sitrep::domain::Role;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

async fn next(rx: &mut mpsc::UnboundedReceiver<OutboxReport>) -> OutboxReport {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("the outbox reported nothing for 15 s")
        .expect("the outbox stopped")
}

/// Queues a note as `token` (named `name`) while the server is unreachable, and leaves it
/// in the outbox file as a console that quit would: for `base`.
async fn queue_while_down(file: &Path, base: &str, token: &str, name: &str, note: &str) {
    let dead = format!("http://127.0.0.1:{}", crate::common::bin::free_port());
    let client = ApiClient::new(&dead, Token::new(token)).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ob = outbox::spawn(client, Some(file.to_path_buf()), move |r| {
        tx.send(r).is_ok()
    });
    ob.send(OutboxCmd::Me(name.into())).unwrap();
    let w = Write::new(
        Method::Post,
        "/incidents/INC-1/notes",
        json!({ "text": note }),
        "note on INC-1",
    )
    .incident("INC-1");
    ob.send(OutboxCmd::Send(w)).unwrap();
    assert!(matches!(next(&mut rx).await, OutboxReport::Waiting { .. }));
    drop(ob);
    // The server the write was meant for is the real one, reachable now.
    let text = std::fs::read_to_string(file).unwrap().replace(&dead, base);
    std::fs::write(file, text).unwrap();
}

async fn notes(t: &TestServer) -> Vec<(String, String)> {
    let (_, tl) = t
        .call(reqwest::Method::GET, "/incidents/INC-1/timeline", None)
        .await;
    tl["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_string(),
                e["note"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_queued_by_one_commander_is_never_sent_as_another() {
    let t = TestServer::start().await;
    t.create_incident(json!({"title": "Checkout errors", "severity": "SEV2"}))
        .await;
    let server = t.server.as_ref().unwrap();
    let base = format!("http://{}", server.addr);
    let cmd2 = server
        .store
        .create_token("cmd2", Role::Commander)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("outbox.json");
    queue_while_down(&file, &base, &t.commander, "cora", "typed by cora").await;
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["writes"][0]["by"]["name"], "cora", "{saved}");
    assert!(
        !saved.to_string().contains(&t.commander),
        "the token itself is on disk"
    );

    // cmd2 starts a console in the same data directory: cora's note is held, and said so.
    let as_cmd2 = ApiClient::new(&base, Token::new(cmd2.clone())).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ob = outbox::spawn(as_cmd2, Some(file.clone()), move |r| tx.send(r).is_ok());
    assert_eq!(
        next(&mut rx).await,
        OutboxReport::Held {
            writes: vec![Held {
                label: "note on INC-1".into(),
                by: Some("cora".into()),
            }]
        }
    );
    ob.send(OutboxCmd::Retry).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(notes(&t).await, vec![], "sent under cmd2's name");
    drop(ob);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("typed by cora")
    );

    // cora's own token sends it, once, in her name.
    let as_cora = ApiClient::new(&base, Token::new(t.commander.clone())).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _ob = outbox::spawn(as_cora, Some(file.clone()), move |r| tx.send(r).is_ok());
    let sent = next(&mut rx).await;
    assert!(
        matches!(sent, OutboxReport::Done { pending: 0, .. }),
        "cora's write was not sent under her token: {sent:?}"
    );
    assert_eq!(
        notes(&t).await,
        vec![("cora".to_string(), "typed by cora".to_string())]
    );
}

/// A viewer's console used to send the commander's write, see it refused, and drop it: the
/// commander never knew. Now it is held, and only `:discard-held` (the person's choice)
/// removes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_write_leaves_the_outbox_only_when_discarded() {
    let t = TestServer::start().await;
    t.create_incident(json!({"title": "Checkout errors", "severity": "SEV2"}))
        .await;
    let base = format!("http://{}", t.server.as_ref().unwrap().addr);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("outbox.json");
    queue_while_down(&file, &base, &t.commander, "cora", "typed by cora").await;

    let as_vic = ApiClient::new(&base, Token::new(t.viewer.clone())).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ob = outbox::spawn(as_vic, Some(file.clone()), move |r| tx.send(r).is_ok());
    assert!(matches!(next(&mut rx).await, OutboxReport::Held { .. }));
    ob.send(OutboxCmd::DiscardHeld).unwrap();
    let OutboxReport::Discarded { writes } = next(&mut rx).await else {
        panic!("expected the discard to be reported");
    };
    assert_eq!(writes.len(), 1);
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains("typed by cora")
    );
    assert_eq!(notes(&t).await, vec![]);
}
