//! Connections that send nothing useful, clients that stop reading, and the real
//! `sitrep serve` under a low descriptor limit: the API stays up and memory stays bounded.
use crate::common;

use common::bin::{cli_token, free_port};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
    token: String,
    /// A second token, for what another client sees.
    viewer: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sitrep serve` on a fresh database with a commander token, its open-file limit set to
/// `nofile` (soft and hard, so it cannot raise it), and these extra flags.
async fn serve(nofile: Option<u64>, flags: &[&str]) -> Server {
    sitrep::client::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    let token = cli_token(None, db, "commander", "ic");
    let viewer = cli_token(None, db, "viewer", "wall");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = common::bin::command(None, &["serve", "--db", db, "--listen", &listen]);
    cmd.args(flags).stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(n) = nofile {
        // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: n as libc::rlim_t,
                    rlim_max: n as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let child = cmd.spawn().unwrap();
    let s = Server {
        child,
        port,
        _dir: dir,
        token,
        viewer,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while health(&s, Duration::from_secs(1)).await != Some(200) {
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s
}

fn api(s: &Server, path: &str) -> String {
    format!("http://127.0.0.1:{}/api/v1{path}", s.port)
}

/// GET /health on a fresh connection; the status, or None if no answer within `wait`.
async fn health(s: &Server, wait: Duration) -> Option<u16> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    match tokio::time::timeout(wait, client.get(api(s, "/health")).send()).await {
        Ok(Ok(r)) => Some(r.status().as_u16()),
        _ => None,
    }
}

/// True once the server has closed the connection (EOF or reset) within `wait`.
async fn closed_within(sock: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, sock.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

fn rss_kib(s: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", s.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

fn stderr_lines(s: &mut Server) -> Vec<String> {
    let _ = s.child.kill();
    let _ = s.child.wait();
    let err = s.child.stderr.take().unwrap();
    BufReader::new(err).lines().map_while(Result::ok).collect()
}

#[tokio::test]
async fn idle_and_trickling_connections_cannot_starve_the_api_at_128_descriptors() {
    let mut s = serve(Some(128), &["--idle-timeout-secs", "3"]).await;
    let mut silent = Vec::new();
    let mut trickling = Vec::new();
    for i in 0..140 {
        let sock = TcpStream::connect(("127.0.0.1", s.port)).await.unwrap();
        if i % 2 == 0 {
            silent.push(sock);
        } else {
            trickling.push(sock);
        }
    }
    // The trickling half sends a request head one byte every 200 ms, never finishing it.
    let trickle = tokio::spawn(async move {
        let head = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let mut closed = vec![false; trickling.len()];
        for &b in head.iter() {
            for (k, sock) in trickling.iter_mut().enumerate() {
                if !closed[k] && sock.write_all(&[b]).await.is_err() {
                    closed[k] = true;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (trickling, closed)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        assert_eq!(
            health(&s, Duration::from_secs(5)).await,
            Some(200),
            "/health must answer while 140 idle connections are open"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every silent connection is closed: evicted to make room, or after the 3 s timeout.
    for sock in &mut silent {
        assert!(
            closed_within(sock, Duration::from_secs(8)).await,
            "a silent connection outlived the idle timeout"
        );
    }
    let (mut trickling, closed) = trickle.await.unwrap();
    for (k, sock) in trickling.iter_mut().enumerate() {
        assert!(
            closed[k] || closed_within(sock, Duration::from_secs(2)).await,
            "a trickling connection outlived the header timeout"
        );
    }
    assert_eq!(health(&s, Duration::from_secs(5)).await, Some(200));
    let log = stderr_lines(&mut s);
    assert!(
        !log.iter().any(|l| l.contains("ERROR")),
        "{}",
        log.join("\n")
    );
}

/// Opens `/events` on a raw socket (so that it can stay unread) after `last_id`.
async fn raw_stream(s: &Server, last_id: Option<u64>) -> TcpStream {
    let mut sock = TcpStream::connect(("127.0.0.1", s.port)).await.unwrap();
    let resume = last_id.map_or(String::new(), |id| format!("Last-Event-ID: {id}\r\n"));
    let head = format!(
        "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n{resume}\r\n",
        s.token
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock
}

#[tokio::test]
async fn when_every_connection_is_busy_a_new_one_is_refused_with_503_and_streams_outlive_the_idle_timeout()
 {
    let s = serve(
        None,
        &[
            "--max-connections",
            "8",
            "--idle-timeout-secs",
            "1",
            "--heartbeat-secs",
            "5",
        ],
    )
    .await;
    let mut streams = Vec::new();
    for _ in 0..8 {
        let mut sock = raw_stream(&s, None).await;
        let mut buf = [0u8; 1024];
        let n = sock.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        streams.push(sock);
    }
    // A client that sends its request at once still reads the 503 (no reset overtakes it).
    let mut extra = TcpStream::connect(("127.0.0.1", s.port)).await.unwrap();
    extra
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    tokio::time::timeout(Duration::from_secs(5), extra.read_to_string(&mut reply))
        .await
        .expect("refused at once")
        .unwrap();
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(reply.contains("too_many_connections"), "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("retry-after:"),
        "{reply}"
    );
    // Three idle timeouts later the streams are still open and still deliver.
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(streams.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::new();
    let r = client
        .post(api(&s, "/incidents"))
        .bearer_auth(&s.token)
        .json(&json!({"title": "after the idle timeout", "severity": "SEV3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    drop(client);
    for sock in &mut streams {
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(5);
        while !text.contains("after the idle timeout") {
            let n = tokio::time::timeout_at(deadline, sock.read(&mut buf))
                .await
                .expect("the event arrives on every open stream")
                .unwrap();
            assert!(n > 0, "a stream was closed: {text}");
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
}

#[tokio::test]
async fn subscribers_that_never_read_hold_bounded_memory_whatever_the_event_size() {
    let s = serve(
        None,
        &["--write-timeout-secs", "4", "--max-streams-per-token", "64"],
    )
    .await;
    let client = reqwest::Client::new();
    let r = client
        .post(api(&s, "/incidents"))
        .bearer_auth(&s.token)
        .json(&json!({"title": "Big updates", "severity": "SEV2", "customer_impact": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    // About 42 KB per update.posted event: three fields of 7,000 two-byte characters.
    let big = "é".repeat(7000);
    const UPDATES: usize = 300;
    for _ in 0..UPDATES {
        let r = client
            .post(api(&s, "/incidents/INC-1/updates"))
            .bearer_auth(&s.token)
            .json(&json!({"audience": "customer", "impact_scope": big, "current_status": big, "next_steps": big}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
    }
    // A reading client gets every event in order (this also warms the database caches).
    let events = read_all(&s, 1 + 2 * UPDATES).await;
    assert_eq!(events.len(), 1 + 2 * UPDATES);
    assert!(
        events.windows(2).all(|w| w[0] < w[1]),
        "in order, once each"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(&s);

    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(raw_stream(&s, Some(0)).await);
    }
    let mut peak = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(rss_kib(&s));
    }
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!("RSS: {before} KiB before, {peak} KiB at most with 40 idle subscribers");
    // Each never-reading subscriber holds at most one replay page (64 KiB) and what its
    // connection buffers (64 KiB plus one event), about 0.2 MiB; 40 of them about 8 MiB
    // (measured: 10-11 MiB). 24 MiB leaves room for allocator slack. Before the bound, one
    // subscriber held a 500-event batch (20 MiB here), 40 of them several hundred MiB.
    assert!(
        growth_mib < 24,
        "40 idle subscribers grew RSS by {growth_mib} MiB ({before} KiB before)"
    );
    // While they sit there, a reading client still gets everything, in order.
    let events = read_all(&s, 1 + 2 * UPDATES).await;
    assert_eq!(events.len(), 1 + 2 * UPDATES);
    assert!(events.windows(2).all(|w| w[0] < w[1]));
    // A subscriber that does not read is dropped after the write timeout (4 s here): wait
    // without reading, then find each closed behind what its socket had buffered.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for sock in &mut idle {
        assert!(
            closed_within(sock, Duration::from_secs(5)).await,
            "a never-reading subscriber was kept"
        );
    }
    drop(idle);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(&s);
    eprintln!("RSS: {before} KiB before, {peak} KiB with 40 idle subscribers, {after} KiB after");
    assert!(
        after.saturating_sub(before) / 1024 < 16,
        "memory was kept after the subscribers left: {before} KiB before, {after} KiB after"
    );
}

/// Reads what a fresh connection answers first (the status line and headers).
async fn answer_head(sock: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let mut got = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !got.contains("\r\n\r\n") {
        match tokio::time::timeout_at(deadline, sock.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.push_str(&String::from_utf8_lossy(&buf[..n])),
            _ => break,
        }
    }
    got
}

/// One leaked viewer token used to be able to hold every connection the server has with
/// event streams that read (and so never time out). Over its cap a token's new stream is
/// refused with 429 naming the token and a Retry-After; other tokens still stream, and a
/// closed stream frees its place.
#[tokio::test]
async fn one_token_cannot_hold_more_than_its_share_of_event_streams() {
    let s = serve(None, &["--max-streams-per-token", "3"]).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut sock = raw_stream(&s, None).await;
        let head = answer_head(&mut sock).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        open.push(sock);
    }
    let client = reqwest::Client::new();
    let refused = client
        .get(api(&s, "/events"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string()),
        Some("5".into())
    );
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_streams", "{body}");
    assert_eq!(body["error"]["field"], "Authorization", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("3 event streams"),
        "{body}"
    );

    // Another token is not affected.
    let wall = client
        .get(api(&s, "/events"))
        .bearer_auth(&s.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(wall.status().as_u16(), 200);

    // Closing one of the three frees a place at once.
    drop(open.pop());
    assert!(
        ok_within(&s, "/events", Duration::from_secs(5)).await,
        "a closed stream kept its place"
    );
}

/// Sends a request head for `method path` with a body announced but not sent, on a new
/// connection: the shape of a client trickling a body to hold the connection.
async fn slow_body(s: &Server, token: &str, method: &str, path: &str) -> TcpStream {
    let mut sock = TcpStream::connect(("127.0.0.1", s.port)).await.unwrap();
    let head = format!(
        "{method} /api/v1{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock
}

/// One token trickling request bodies used to hold every connection slot (each request
/// in flight, so never evicted) and the commander's reads got 503. A viewer's write is now
/// refused before its body is read, and a token's requests in progress are capped (429),
/// so other tokens keep working.
#[tokio::test]
async fn one_token_cannot_hold_connections_with_slow_bodies() {
    let s = serve(None, &["--max-requests-per-token", "3"]).await;
    // A viewer's write: 403 at once, without waiting for the body.
    let mut sock = slow_body(&s, &s.viewer, "PATCH", "/incidents/INC-1").await;
    let head = tokio::time::timeout(Duration::from_secs(2), answer_head(&mut sock))
        .await
        .expect("a viewer's write is answered before its body arrives");
    assert!(head.starts_with("HTTP/1.1 403"), "{head}");

    // The commander's token with three bodies in progress: the fourth request waits for
    // nothing, it is told to retry.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(slow_body(&s, &s.token, "POST", "/incidents").await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = reqwest::Client::new();
    let refused = client
        .get(api(&s, "/incidents"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
    // Another token is served meanwhile.
    let other = client
        .get(api(&s, "/incidents"))
        .bearer_auth(&s.viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 200);
    // Their places come back when the slow requests go.
    drop(held);
    assert!(
        ok_within(&s, "/incidents", Duration::from_secs(5)).await,
        "closed requests kept their places"
    );
}

/// True once GET `path` with the server's commander token answers 200 within `wait`
/// (asked every 100 ms): a place given back by a stream or request that ended.
async fn ok_within(s: &Server, path: &str, wait: Duration) -> bool {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + wait;
    loop {
        let status = client
            .get(api(s, path))
            .bearer_auth(&s.token)
            .send()
            .await
            .map(|r| r.status().as_u16());
        if matches!(status, Ok(200)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads `/events` from the start until `n` events arrived; returns their ids.
async fn read_all(s: &Server, n: usize) -> Vec<u64> {
    let client = reqwest::Client::new();
    let mut resp = client
        .get(api(s, "/events"))
        .bearer_auth(&s.token)
        .header("Last-Event-ID", "0")
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    let mut buf = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids.len() < n {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("every event within 30 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if let Some(id) = frame.lines().find_map(|l| l.strip_prefix("id:")) {
                ids.push(id.trim().parse().unwrap());
            }
        }
    }
    ids
}
