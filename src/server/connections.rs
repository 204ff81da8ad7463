//! The serving loop: accepts connections and serves HTTP/1.1 on each, with limits so that
//! connections that send nothing useful cannot take the API down.
//!
//! - **Idle and header timeout** (`idle_timeout`): a connection must deliver a complete
//!   request head within this long of opening, or of the end of its previous response
//!   (hyper's header-read timer starts whenever the connection is ready for a request). A
//!   silent connection, an idle keep-alive connection and a head trickled in byte by byte
//!   are all closed after it. A request's body has its own limit (`extract::BODY_TIMEOUT`,
//!   answered with 408), and a response in progress (an event stream) is never cut by it.
//! - **Write stall** (`write_timeout`): a connection whose client stops reading, so that
//!   not one byte of a pending response can be written for this long, is closed
//!   (`write_stall`). This drops a subscriber that does not read; it resumes later with
//!   Last-Event-ID.
//! - **Connection cap** (`max_connections`, scaled to the descriptor limit): when every
//!   slot is taken, the oldest connection with no request in flight is closed to make room;
//!   when every connection is busy (event streams count), a new one is answered `503` with
//!   a JSON reason and `Retry-After`, and closed.
//! - **Out of descriptors** (EMFILE): accepting pauses briefly and frees the oldest idle
//!   connection, instead of failing or spinning.
mod write_stall;

use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, watch};

/// Descriptors kept out of the connection cap: the database pools (SQLite opens the file,
/// its WAL and shared memory for each of nine connections), the listener, logs, the
/// runtime's own (epoll, eventfd, signals), and up to `REFUSING_AT_ONCE` connections being
/// refused.
pub const RESERVED_FDS: u64 = 64;
/// Requests in progress one token may have unless `serve --max-requests-per-token` says
/// otherwise: a script's parallel burst fits; a client sending bodies slowly on every
/// connection does not.
pub const DEFAULT_REQUESTS_PER_TOKEN: usize = 64;
/// The cap when the descriptor limit allows more.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// The smallest cap accepted (below that, the descriptor limit is too low to run).
const MIN_CONNECTIONS: usize = 8;
/// Bytes hyper may buffer per connection, each way: request heads up to this size, and at
/// most this much of a response (plus one event) queued in memory when the client reads
/// slowly. hyper's default is about 400 KiB.
const CONN_BUFFER: usize = 64 * 1024;
/// Refused connections lingering at once to deliver their 503 (see `refuse`); more are
/// closed with the 503 written but no linger.
const REFUSING_AT_ONCE: usize = 16;
/// How long a refused connection may take to read its 503.
const REFUSAL_LINGER: Duration = Duration::from_secs(1);
/// How long a shutdown waits for requests in flight before closing their connections.
const DRAIN: Duration = Duration::from_secs(10);

/// The connection limits of `sitrep serve` (see the module documentation).
#[derive(Debug, Clone)]
pub struct Limits {
    pub idle_timeout: Duration,
    pub write_timeout: Duration,
    /// None: as many as the descriptor limit allows, up to `DEFAULT_MAX_CONNECTIONS`.
    pub max_connections: Option<usize>,
    /// Event streams one token may hold open at once (see `events::gate`).
    pub streams_per_token: usize,
    /// Requests one token may have in progress at once (see `auth`); at most half the
    /// connection cap, so one token always leaves room for the others.
    pub requests_per_token: usize,
}

impl Limits {
    /// `requests_per_token`, held to half the connection cap this server will use.
    pub fn requests_per_token(&self) -> usize {
        let cap = connection_cap(self.max_connections, descriptor_limit());
        self.requests_per_token.min(cap / 2).max(1)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            idle_timeout: Duration::from_secs(15),
            write_timeout: Duration::from_secs(15),
            max_connections: None,
            streams_per_token: super::events::DEFAULT_STREAMS_PER_TOKEN,
            requests_per_token: DEFAULT_REQUESTS_PER_TOKEN,
        }
    }
}

/// The soft RLIMIT_NOFILE, after raising it to the hard limit (as Go's runtime does: the
/// soft limit is often 1024 for historical reasons only).
#[cfg(unix)]
pub fn descriptor_limit() -> Option<u64> {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        Some(lim.rlim_cur as u64)
    }
}

#[cfg(not(unix))]
pub fn descriptor_limit() -> Option<u64> {
    None
}

/// The connection cap: what was asked (or the default), but never more than the
/// descriptors left after `RESERVED_FDS`.
pub fn connection_cap(asked: Option<usize>, fd_limit: Option<u64>) -> usize {
    let fits = fd_limit.map_or(usize::MAX, |n| {
        usize::try_from(n.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX)
    });
    asked
        .unwrap_or(DEFAULT_MAX_CONNECTIONS)
        .min(fits)
        .max(MIN_CONNECTIONS)
}

struct Slot {
    /// Requests in flight on this connection (a response counts until its body is done).
    busy: Arc<AtomicUsize>,
    /// Notified to close the connection at once (it is idle, and its slot is needed).
    evict: Arc<Notify>,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Table {
    next_id: u64,
    slots: BTreeMap<u64, Slot>,
}

#[derive(Clone, Default)]
struct Conns(Arc<Mutex<Table>>);

impl Conns {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn len(&self) -> usize {
        self.lock().slots.len()
    }

    fn open(&self) -> (u64, Arc<AtomicUsize>, Arc<Notify>) {
        let mut t = self.lock();
        let id = t.next_id;
        t.next_id += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let evict = Arc::new(Notify::new());
        t.slots.insert(
            id,
            Slot {
                busy: busy.clone(),
                evict: evict.clone(),
            },
        );
        (id, busy, evict)
    }

    fn close(&self, id: u64) {
        self.lock().slots.remove(&id);
    }

    /// Closes the oldest connection with no request in flight; false when all are busy.
    fn evict_idle(&self) -> bool {
        let mut t = self.lock();
        let idle = t
            .slots
            .iter()
            .find(|(_, s)| s.busy.load(Ordering::Acquire) == 0)
            .map(|(id, _)| *id);
        match idle.and_then(|id| t.slots.remove(&id)) {
            Some(slot) => {
                slot.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Counts a request in flight until dropped (with the response body).
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(n: &Arc<AtomicUsize>) -> Busy {
        n.fetch_add(1, Ordering::AcqRel);
        Busy(n.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The answer when every connection is busy: written straight to the socket (it fits in
/// its send buffer), then the socket is closed.
fn refusal(retry_after: Duration) -> Vec<u8> {
    let body = r#"{"error":{"code":"too_many_connections","message":"the server is at its connection limit; retry shortly"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: {}\r\nconnection: close\r\n\r\n{body}",
        body.len(),
        retry_after.as_secs().max(1)
    )
    .into_bytes()
}

/// Answers 503 and closes. Closing a socket with the client's request still unread makes
/// the kernel send a reset, which can overtake the 503; so the request is read and thrown
/// away first, for at most `REFUSAL_LINGER`, by at most `REFUSING_AT_ONCE` connections.
fn refuse(mut sock: tokio::net::TcpStream, refusing: &Arc<Semaphore>) {
    let answer = refusal(Duration::from_secs(5));
    let Ok(permit) = refusing.clone().try_acquire_owned() else {
        let _ = sock.try_write(&answer);
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(REFUSAL_LINGER, async {
            sock.write_all(&answer).await?;
            sock.shutdown().await?;
            let mut sink = [0u8; 4096];
            while sock.read(&mut sink).await? > 0 {}
            Ok::<_, std::io::Error>(())
        })
        .await;
    });
}

fn out_of_descriptors(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(
            e.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Serves `app` on `listener` until `shutdown` turns true, then waits up to `DRAIN` for
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let cap = connection_cap(limits.max_connections, descriptor_limit());
    tracing::info!(
        max_connections = cap,
        idle_timeout_secs = limits.idle_timeout.as_secs_f64(),
        write_timeout_secs = limits.write_timeout.as_secs_f64(),
        "connection limits"
    );
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .max_buf_size(CONN_BUFFER);
    let http = Arc::new(http);
    let conns = Conns::default();
    let graceful = GracefulShutdown::new();
    let refusing = Arc::new(Semaphore::new(REFUSING_AT_ONCE));
    let mut warned_at: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.wait_for(|s| *s) => break,
        };
        let (sock, _peer) = match accepted {
            Ok(a) => a,
            Err(e) if out_of_descriptors(&e) => {
                if warned_at.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    tracing::warn!(error = %e, open = conns.len(), "out of file descriptors; closing idle connections");
                    warned_at = Some(Instant::now());
                }
                conns.evict_idle();
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            // A connection reset before it was accepted, and the like: its own problem.
            Err(_) => continue,
        };
        if conns.len() >= cap && !conns.evict_idle() {
            refuse(sock, &refusing);
            if warned_at.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                tracing::warn!(
                    max_connections = cap,
                    "every connection is busy; refusing new ones with 503"
                );
                warned_at = Some(Instant::now());
            }
            continue;
        }
        let _ = sock.set_nodelay(true);
        let (id, busy, evict) = conns.open();
        let router = app.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let in_flight = Busy::enter(&busy);
            let svc = hyper_util::service::TowerToHyperService::new(router.clone());
            async move {
                let resp = hyper::service::Service::call(&svc, req).await?;
                Ok::<_, std::convert::Infallible>(resp.map(|body| {
                    axum::body::Body::new(body.map_frame(move |f| {
                        let _ = &in_flight;
                        f
                    }))
                }))
            }
        });
        let io = TokioIo::new(write_stall::StallLimit::new(sock, limits.write_timeout));
        let conn = graceful.watch(http.serve_connection(io, service));
        let conns = conns.clone();
        tokio::spawn(async move {
            tokio::select! {
                // Errors here are the client's (a reset, a timeout): nothing to report.
                _ = conn => {}
                _ = evict.notified() => {}
            }
            conns.close(id);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; closing them");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_descriptors_for_the_database_and_the_runtime() {
        assert_eq!(connection_cap(None, Some(1 << 20)), DEFAULT_MAX_CONNECTIONS);
        assert_eq!(
            connection_cap(None, Some(1024)),
            1024 - RESERVED_FDS as usize
        );
        assert_eq!(connection_cap(Some(100), Some(1024)), 100);
        assert_eq!(connection_cap(Some(5000), Some(1024)), 960);
        assert_eq!(connection_cap(None, Some(10)), MIN_CONNECTIONS);
        assert_eq!(connection_cap(Some(50), None), 50);
    }

    #[test]
    fn the_oldest_idle_connection_is_the_one_evicted() {
        let conns = Conns::default();
        let (a, busy_a, _) = conns.open();
        let (b, _, evict_b) = conns.open();
        let (_c, _, _) = conns.open();
        let _in_flight = Busy::enter(&busy_a);
        assert!(conns.evict_idle());
        assert!(
            !conns.lock().slots.contains_key(&b),
            "b: the oldest idle one"
        );
        assert!(conns.lock().slots.contains_key(&a), "a is busy");
        // The eviction is remembered even if the connection was not yet waiting for it.
        assert!(futures_util::FutureExt::now_or_never(evict_b.notified()).is_some());
        assert!(conns.evict_idle());
        assert!(!conns.evict_idle(), "only the busy one is left");
    }
}
