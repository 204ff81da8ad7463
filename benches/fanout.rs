//! Write throughput and event fan-out, on SQLite or PostgreSQL with one or more replicas.
//!
//!   cargo bench --bench fanout -- --backend postgres --replicas 2 --subscribers 200 --rate 50 --seconds 60
//!
//! Everything runs on loopback in this process: the servers, the subscribers and the
//! writer, so the figures are for the whole system on this machine. Each subscriber must
//! receive every event exactly once and in order, or the run fails (exit 1). Latency is
//! from just before the POST is sent to the moment a subscriber has parsed the event.
#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use serde_json::json;
use sitrep::domain::Role;
use sitrep::server::{self, Database, RunningServer, ServerConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Args {
    backend: String,
    replicas: usize,
    subscribers: usize,
    rate: u64,
    seconds: u64,
    throughput_seconds: u64,
}

fn parse_args() -> Args {
    let mut a = Args {
        backend: "sqlite".into(),
        replicas: 1,
        subscribers: 200,
        rate: 50,
        seconds: 60,
        throughput_seconds: 10,
    };
    let argv: Vec<String> = std::env::args()
        .skip(1)
        .filter(|s| s != "--bench")
        .collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| panic!("{flag} needs a value"))
                .clone()
        };
        match flag.as_str() {
            "--backend" => a.backend = val(),
            "--replicas" => a.replicas = val().parse().expect("--replicas N"),
            "--subscribers" => a.subscribers = val().parse().expect("--subscribers N"),
            "--rate" => a.rate = val().parse().expect("--rate W (writes per second)"),
            "--seconds" => a.seconds = val().parse().expect("--seconds T"),
            "--throughput-seconds" => {
                a.throughput_seconds = val().parse().expect("--throughput-seconds T")
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

async fn start_servers(a: &Args) -> (Vec<RunningServer>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = match a.backend.as_str() {
        "sqlite" => {
            assert_eq!(a.replicas, 1, "SQLite serves one replica");
            Database::Sqlite(dir.path().join("bench.db"))
        }
        "postgres" => Database::Postgres(
            pg::fresh_database()
                .await
                .expect("PostgreSQL (initdb) is needed for --backend postgres"),
        ),
        other => panic!("unknown backend {other}"),
    };
    let mut servers = Vec::new();
    for _ in 0..a.replicas {
        let mut cfg = ServerConfig::new(db.clone(), "127.0.0.1:0".parse().unwrap());
        // Every subscriber and writer shares the bench's one token: lift the per-token
        // caps that protect a real server from one leaked token.
        cfg.limits.streams_per_token = a.subscribers + 16;
        cfg.limits.requests_per_token = a.subscribers + 64;
        servers.push(server::start(cfg).await.unwrap());
    }
    let token = servers[0]
        .store
        .create_token("bench", Role::Commander)
        .await
        .unwrap();
    (servers, token, dir)
}

async fn post(http: &reqwest::Client, base: &str, token: &str, i: u64) -> bool {
    let body = json!({"title": format!("bench {i}"), "severity": "SEV4", "summary": now_micros().to_string()});
    matches!(http.post(format!("{base}/incidents")).bearer_auth(token).json(&body).send().await, Ok(r) if r.status().is_success())
}

/// Closed loop: `writers` concurrent clients post as fast as they can.
async fn throughput(bases: &[String], token: &str, seconds: u64) -> f64 {
    let http = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..16 {
        let (http, base, token, done) = (
            http.clone(),
            bases[w % bases.len()].clone(),
            token.to_string(),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while Instant::now() < stop {
                if post(&http, &base, &token, i).await {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / seconds as f64
}

struct SubResult {
    latencies: Vec<u64>,
    in_order: bool,
}

/// Reads the stream until `expected` events arrived (or `deadline`), checking the ids run
/// on without gaps or repeats.
async fn subscribe(
    http: reqwest::Client,
    base: String,
    token: String,
    start_after: i64,
    expected: Arc<AtomicU64>,
    ready: Arc<AtomicU64>,
    finished: Arc<AtomicBool>,
) -> SubResult {
    let mut resp = http
        .get(format!("{base}/events"))
        .bearer_auth(&token)
        .header("Last-Event-ID", start_after.to_string())
        .send()
        .await
        .unwrap();
    ready.fetch_add(1, Ordering::Relaxed);
    let mut buf = String::new();
    let mut last = start_after;
    let mut res = SubResult {
        latencies: Vec::new(),
        in_order: true,
    };
    loop {
        let want = expected.load(Ordering::Relaxed);
        if finished.load(Ordering::Relaxed) && res.latencies.len() as u64 >= want {
            return res;
        }
        let chunk = match tokio::time::timeout(Duration::from_millis(500), resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            Ok(_) => return res,
            Err(_) => continue,
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let (mut id, mut data) = (None, None);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = v.parse::<i64>().ok();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(v.to_string());
                }
            }
            let (Some(id), Some(data)) = (id, data) else {
                continue;
            };
            let at = now_micros();
            res.in_order &= id == last + 1;
            last = id;
            let v: serde_json::Value = serde_json::from_str(&data).unwrap();
            if let Some(sent) = v["summary"].as_str().and_then(|s| s.parse::<u64>().ok()) {
                res.latencies.push(at.saturating_sub(sent));
            }
        }
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    // reqwest is built with rustls on ring (no default provider): install it.
    sitrep::client::install_crypto_provider();
    let a = parse_args();
    let (servers, token, _dir) = start_servers(&a).await;
    let bases: Vec<String> = servers
        .iter()
        .map(|s| format!("http://{}/api/v1", s.addr))
        .collect();

    let writes_per_sec = throughput(&bases, &token, a.throughput_seconds).await;
    let start_after = servers[0]
        .store
        .event_bounds()
        .await
        .unwrap()
        .map_or(0, |(_, max)| max);

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(a.subscribers + 32)
        .build()
        .unwrap();
    let expected = Arc::new(AtomicU64::new(u64::MAX));
    let ready = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let mut subs = Vec::new();
    for i in 0..a.subscribers {
        subs.push(tokio::spawn(subscribe(
            http.clone(),
            bases[i % bases.len()].clone(),
            token.clone(),
            start_after,
            expected.clone(),
            ready.clone(),
            finished.clone(),
        )));
    }
    while ready.load(Ordering::Relaxed) < a.subscribers as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Open loop: one write every 1/rate seconds, whatever the server's pace.
    let total = a.rate * a.seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / a.rate.max(1)));
    let mut writes = Vec::new();
    for i in 0..total {
        tick.tick().await;
        let (http, base, token) = (
            http.clone(),
            bases[i as usize % bases.len()].clone(),
            token.clone(),
        );
        writes.push(tokio::spawn(
            async move { post(&http, &base, &token, i).await },
        ));
    }
    let mut ok = 0u64;
    for w in writes {
        ok += u64::from(w.await.unwrap());
    }
    expected.store(ok, Ordering::Relaxed);
    finished.store(true, Ordering::Relaxed);

    let mut all = Vec::new();
    let mut complete = 0;
    let mut ordered = 0;
    for s in subs {
        let r = tokio::time::timeout(Duration::from_secs(60), s)
            .await
            .expect("subscribers finish")
            .unwrap();
        complete += usize::from(r.latencies.len() as u64 == ok);
        ordered += usize::from(r.in_order);
        all.extend(r.latencies);
    }
    all.sort_unstable();
    println!(
        "| {} | {} | {:.0} | {} | {}/{} | {} of {} | {} of {} | {:.1} | {:.1} | {:.1} |",
        a.backend,
        a.replicas,
        writes_per_sec,
        a.subscribers,
        ok,
        total,
        complete,
        a.subscribers,
        ordered,
        a.subscribers,
        pct(&all, 0.5),
        pct(&all, 0.99),
        pct(&all, 1.0),
    );
    for s in servers {
        s.shutdown().await;
    }
    if complete != a.subscribers || ordered != a.subscribers || ok != total {
        eprintln!("FAILED: every subscriber must receive every event exactly once, in order");
        std::process::exit(1);
    }
}
