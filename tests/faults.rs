//! Faults between the console and the server: the server killed and restarted, an answer
//! lost on the way back, a busy server. What the console shows must stay true (G1), and a
//! write must land exactly once (G2).
use crate::common;

use common::bin::{cli_token, free_port, wait_healthy};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use sitrep::client::outbox::{self, OutboxCmd, OutboxReport};
use sitrep::client::{
    ApiClient, LiveMsg, Method, Token, Write, install_crypto_provider, subscribe,
};
use sitrep::console::effects::EffectRunner;
use sitrep::console::keymap::Keymap;
use sitrep::console::theme::Theme;
use sitrep::console::{Effect, Msg, State, update, view};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// `sitrep serve` on `port`, with a 2 s heartbeat so silence shows within seconds.
fn spawn_server(db: &str, port: u16) -> Child {
    common::bin::spawn_serve(db, port, &["--heartbeat-secs", "2"], Stdio::null())
}

/// The console without a terminal: the same State, update, effects and live subscription
/// as `sitrep`, with the header read off a TestBackend.
struct Headless {
    state: State,
    rx: mpsc::UnboundedReceiver<Msg>,
    runner: EffectRunner,
    _live: tokio::task::JoinHandle<()>,
}

impl Headless {
    fn start(client: ApiClient, outbox: std::path::PathBuf) -> Headless {
        let (tx, rx) = mpsc::unbounded_channel();
        let live_tx = tx.clone();
        let live = tokio::spawn(subscribe(client.clone(), move |m| {
            live_tx.send(Msg::Live(m)).is_ok()
        }));
        let runner = EffectRunner::new(client, tx, Some(outbox), None);
        let state = State::new(
            "faults",
            Keymap::default_keymap(),
            Theme::color(),
            chrono::Utc::now(),
        );
        Headless {
            state,
            rx,
            runner,
            _live: live,
        }
    }

    fn header(&self) -> String {
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| view::render(&self.state, f)).unwrap();
        let buf = t.backend().buffer();
        (0..buf.area.width).map(|x| buf[(x, 0)].symbol()).collect()
    }

    /// Runs the console (messages and a clock) until `done`, checking `invariant` on every
    /// step. Returns how long it took.
    async fn run_until(
        &mut self,
        what: &str,
        secs: u64,
        mut invariant: impl FnMut(&Headless),
        done: impl Fn(&Headless) -> bool,
    ) -> Duration {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(secs);
        loop {
            invariant(self);
            if done(self) {
                return start.elapsed();
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; header: {}",
                self.header()
            );
            let msg = tokio::time::timeout(Duration::from_millis(100), self.rx.recv())
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| Msg::Tick(chrono::Utc::now()));
            for e in update(&mut self.state, msg) {
                self.runner.run(e);
            }
            // The clock, as the real loop's 1 Hz tick would move it.
            self.state.sync.now = chrono::Utc::now();
        }
    }
}

async fn token(db: &str) -> String {
    cli_token(None, db, "commander", "ic")
}

/// (id, version, title, phase) of every incident, sorted: what "the same state" means.
fn summary<'a>(incidents: impl Iterator<Item = &'a sitrep::domain::Incident>) -> Vec<String> {
    let mut v: Vec<String> = incidents
        .map(|i| format!("{} v{} {} {:?}", i.id, i.version, i.title, i.phase))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_and_restarted_never_shows_old_data_as_live_and_a_write_lands_once() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let db = db.to_str().unwrap();
    let token = token(db).await;
    let port = free_port();
    let mut server = spawn_server(db, port);
    wait_healthy(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let api = ApiClient::new(&base, Token::new(token.clone())).unwrap();
    let _: Value = api
        .post(
            "/incidents",
            &json!({"title": "Before the crash", "severity": "SEV2"}),
        )
        .await
        .unwrap();

    let mut c = Headless::start(api.clone(), dir.path().join("outbox.json"));
    c.run_until(
        "LIVE with the data",
        15,
        |_| {},
        |c| c.header().contains("LIVE") && c.state.data.incidents.len() == 1,
    )
    .await;
    // The server's 2 s heartbeat came with the stream: 4 s of silence is the limit.
    assert_eq!(c.state.sync.stale_after, chrono::Duration::seconds(4));

    // kill -9: no goodbye.
    server.kill().unwrap();
    server.wait().unwrap();
    let killed = Instant::now();
    let not_live = |c: &Headless| {
        let h = c.header();
        assert!(!h.contains("LIVE"), "old data shown as LIVE: {h}");
    };
    let noticed = c
        .run_until(
            "RECONNECTING",
            10,
            |_| {},
            |c| {
                let h = c.header();
                h.contains("RECONNECTING") || h.contains("STALE")
            },
        )
        .await;
    eprintln!("RECONNECTING shown {noticed:?} after kill -9");
    assert!(noticed < Duration::from_secs(5), "{noticed:?}");

    // A write during the outage waits in the outbox, on disk.
    let w = Write::new(
        Method::Post,
        "/incidents",
        json!({"title": "Declared during the outage", "severity": "SEV1"}),
        "declare",
    );
    c.runner.run(Effect::Write(w.clone()));
    c.run_until("the outbox to hold it", 10, not_live, |c| {
        c.state.sync.outbox_waiting == 1
    })
    .await;
    let saved = std::fs::read_to_string(dir.path().join("outbox.json")).unwrap();
    assert!(saved.contains(&w.key), "{saved}");

    // Silence: STALE once the data is older than twice the heartbeat.
    c.run_until("STALE", 10, not_live, |c| {
        c.header().contains("STALE as of")
    })
    .await;
    eprintln!("STALE shown {:?} after kill -9", killed.elapsed());
    assert!(c.header().contains("1 pending") || c.state.sync.outbox_waiting == 1);

    // Back on the same port and database.
    let mut server = spawn_server(db, port);
    let back = c
        .run_until(
            "LIVE again",
            30,
            |_| {},
            |c| c.header().contains("LIVE") && c.state.sync.outbox_waiting == 0,
        )
        .await;
    eprintln!("LIVE again {back:?} after the restart began");
    let mut server_incidents = api.list_incidents().await.unwrap();
    c.run_until(
        "the console to equal the server",
        10,
        |_| {},
        |c| summary(c.state.data.incidents.values()) == summary(server_incidents.iter()),
    )
    .await;
    let declared = server_incidents
        .iter()
        .filter(|i| i.title == "Declared during the outage")
        .count();
    assert_eq!(declared, 1, "stored exactly once");
    // And sending it once more (an answer lost after all) stores nothing new.
    api.write(&w).await.unwrap();
    server_incidents = api.list_incidents().await.unwrap();
    assert_eq!(server_incidents.len(), 2);
    server.kill().unwrap();
    let _ = server.wait();
}

/// A proxy that forwards everything, except that it swallows the answer to the first POST
/// and drops the connection: the server has committed, the client never hears.
async fn lossy_proxy(upstream: std::net::SocketAddr) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let posts = Arc::new(Mutex::new(Vec::<String>::new()));
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = posts.clone();
    tokio::spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            let (seen, dropped) = (seen.clone(), dropped.clone());
            tokio::spawn(async move {
                let server = TcpStream::connect(upstream).await.unwrap();
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let swallow = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let s2 = swallow.clone();
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let text = String::from_utf8_lossy(&buf[..n]).to_string();
                        if text.starts_with("POST ") {
                            seen.lock().unwrap().push(text.clone());
                            if !dropped.swap(true, std::sync::atomic::Ordering::SeqCst) {
                                s2.store(true, std::sync::atomic::Ordering::SeqCst);
                            }
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
                let mut buf = vec![0u8; 65536];
                loop {
                    let n = match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if swallow.load(std::sync::atomic::Ordering::SeqCst) {
                        // The server answered (so it committed); the client gets nothing.
                        break;
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    (format!("http://{addr}"), posts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_whose_answer_is_lost_is_retried_with_its_key_and_stored_once() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let running = sitrep::server::start(sitrep::server::ServerConfig::sqlite(
        dir.path().join("p.db"),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let token = Token::new(
        running
            .store
            .create_token("ic", sitrep::domain::Role::Commander)
            .await
            .unwrap(),
    );
    let direct = ApiClient::new(&format!("http://{}", running.addr), token.clone()).unwrap();
    let (proxy, posts) = lossy_proxy(running.addr).await;
    let via_proxy = ApiClient::new(&proxy, token).unwrap();

    let (tx, mut rx) = mpsc::unbounded_channel();
    let ob = outbox::spawn(via_proxy, None, move |r| tx.send(r).is_ok());
    let w = Write::new(
        Method::Post,
        "/incidents",
        json!({"title": "Answer lost on the way back", "severity": "SEV2"}),
        "declare",
    );
    ob.send(OutboxCmd::Send(w.clone())).unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&first, OutboxReport::Waiting { pending: 1, .. }),
        "{first:?}"
    );
    let done = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&done, OutboxReport::Done { pending: 0, .. }),
        "{done:?}"
    );
    let posts = posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 2, "sent twice");
    let key_line = |p: &str| {
        p.lines()
            .find(|l| l.to_ascii_lowercase().starts_with("idempotency-key:"))
            .map(|l| l.split_once(':').unwrap().1.trim().to_string())
    };
    assert_eq!(key_line(&posts[0]).as_deref(), Some(w.key.as_str()));
    assert_eq!(key_line(&posts[1]).as_deref(), Some(w.key.as_str()));
    let stored = direct.list_incidents().await.unwrap();
    assert_eq!(
        stored
            .iter()
            .filter(|i| i.title == "Answer lost on the way back")
            .count(),
        1,
        "one row: {stored:?}"
    );
    running.shutdown().await;
}

/// A scripted HTTP server: `answer(n, request line)` gives the n-th request's whole
/// response. Records when each request arrived and its head.
async fn scripted(
    answer: impl Fn(usize, &str) -> String + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<(Instant, String)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let (seen, answer) = (seen.clone(), answer.clone());
            tokio::spawn(async move {
                loop {
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match sock.read(&mut b).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => head.push(b[0]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    let mut body = vec![0u8; len];
                    if sock.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let n = {
                        let mut l = seen.lock().unwrap();
                        l.push((Instant::now(), head.clone()));
                        l.len() - 1
                    };
                    let first = head.lines().next().unwrap_or("").to_string();
                    let resp = answer(n, &first);
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (base, log)
}

fn reply(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_busy_server_is_waited_for_as_long_as_it_asks() {
    install_crypto_provider();
    // GET: 503 with Retry-After in seconds, then the answer.
    let (base, log) = scripted(|n, _| match n {
        0 => reply("503 Service Unavailable", "retry-after: 1\r\n", ""),
        _ => reply("200 OK", "", r#"{"items":[],"next_cursor":null}"#),
    })
    .await;
    let c = ApiClient::new(&base, Token::new("t")).unwrap();
    let start = Instant::now();
    assert!(c.list_incidents().await.unwrap().is_empty());
    assert!(start.elapsed() >= Duration::from_secs(1));
    let l = log.lock().unwrap().clone();
    assert_eq!(l.len(), 2);
    assert!(l[1].0 - l[0].0 >= Duration::from_secs(1));

    // GET: 429 with an HTTP date two seconds ahead.
    let (base, log) = scripted(|n, _| match n {
        0 => {
            let at = chrono::Utc::now() + chrono::Duration::seconds(2);
            let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            reply(
                "429 Too Many Requests",
                &format!("retry-after: {date}\r\n"),
                "",
            )
        }
        _ => reply("200 OK", "", r#"{"items":[],"next_cursor":null}"#),
    })
    .await;
    let c = ApiClient::new(&base, Token::new("t")).unwrap();
    c.list_incidents().await.unwrap();
    let l = log.lock().unwrap().clone();
    // The date has whole seconds: at least one full second, usually nearly two.
    assert!(
        l[1].0 - l[0].0 >= Duration::from_secs(1),
        "{:?}",
        l[1].0 - l[0].0
    );

    // GET: asked to wait longer than a console should sit on a request: a clear error.
    let (base, _) =
        scripted(|_, _| reply("503 Service Unavailable", "retry-after: 120\r\n", "")).await;
    let c = ApiClient::new(&base, Token::new("t")).unwrap();
    let start = Instant::now();
    let err = format!("{:#}", c.list_incidents().await.unwrap_err());
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(
        err.contains("server busy") && err.contains("try again in 120s"),
        "{err}"
    );
}

#[tokio::test]
async fn the_outbox_waits_out_retry_after_even_when_told_to_retry() {
    install_crypto_provider();
    let (base, log) = scripted(|n, _| match n {
        0 => reply("429 Too Many Requests", "retry-after: 2\r\n", ""),
        _ => reply("201 Created", "", "{}"),
    })
    .await;
    let c = ApiClient::new(&base, Token::new("t")).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let ob = outbox::spawn(c, None, move |r| tx.send(r).is_ok());
    let w = Write::new(
        Method::Post,
        "/incidents",
        json!({"title": "x", "severity": "SEV3"}),
        "declare",
    );
    ob.send(OutboxCmd::Send(w.clone())).unwrap();
    let waiting = rx.recv().await.unwrap();
    match &waiting {
        OutboxReport::Waiting { pending: 1, error } => {
            assert!(
                error.contains("server busy (HTTP 429") && error.contains("retrying in 2s"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The stream reconnecting asks for an immediate retry: the server's wait still holds.
    ob.send(OutboxCmd::Retry).unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(done, OutboxReport::Done { pending: 0, .. }),
        "{done:?}"
    );
    let l = log.lock().unwrap().clone();
    assert_eq!(l.len(), 2);
    let gap = l[1].0 - l[0].0;
    assert!(gap >= Duration::from_secs(2), "resent after {gap:?}");
    assert!(l[1].1.contains(&w.key), "same Idempotency-Key");
}

#[tokio::test]
async fn the_event_stream_reconnects_no_sooner_than_retry_after() {
    install_crypto_provider();
    let (base, log) = scripted(|n, _| match n {
        0 => reply("503 Service Unavailable", "retry-after: 2\r\n", ""),
        _ => reply(
            "401 Unauthorized",
            "",
            r#"{"error":{"code":"unauthorized","message":"no"}}"#,
        ),
    })
    .await;
    let c = ApiClient::new(&base, Token::new("t")).unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sub = tokio::spawn(subscribe(c, move |m| tx.send(m).is_ok()));
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    match first {
        LiveMsg::Disconnected { error, retry_in } => {
            assert!(error.contains("server busy"), "{error}");
            assert!(retry_in >= Duration::from_secs(2), "{retry_in:?}");
        }
        other => panic!("{other:?}"),
    }
    // The next attempt arrives, and not early.
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let l = log.lock().unwrap().clone();
    assert!(l.len() >= 2);
    assert!(
        l[1].0 - l[0].0 >= Duration::from_secs(2),
        "{:?}",
        l[1].0 - l[0].0
    );
    sub.abort();
}

#[test]
fn server_and_client_agree_on_the_heartbeat_header() {
    assert_eq!(
        sitrep::server::events::HEARTBEAT_HEADER,
        sitrep::client::HEARTBEAT_HEADER
    );
}
