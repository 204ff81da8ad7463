//! The outbox: every write from the console goes through one task that sends them in order.
//! A write is saved to a file in the data directory before it is sent and removed once the
//! server has answered, so writes made while the server is unreachable survive a restart and
//! are sent after reconnecting, each with the Idempotency-Key it was first given: exactly once.
use super::write::{Write, WriteError};
use super::{ApiClient, LiveEvent};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// How often queued writes are retried while the server is unreachable (and how long to wait
/// on a 429 or 503 that gives no Retry-After).
pub(crate) const RETRY: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub enum OutboxCmd {
    Send(Write),
    /// The server is back (the event stream reconnected): try now.
    Retry,
}

/// What the outbox tells the console.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboxReport {
    /// The server accepted the write; `entity` is its answer.
    Done {
        write: Write,
        entity: Option<LiveEvent>,
        pending: usize,
    },
    /// The server refused the write (it is dropped from the outbox).
    Failed {
        write: Write,
        error: WriteError,
        pending: usize,
    },
    /// Writes are waiting for the server.
    Waiting { pending: usize, error: String },
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    #[serde(default)]
    writes: Vec<Stored>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// The server the write is for; an outbox file can hold writes for several.
    base: String,
    #[serde(flatten)]
    write: Write,
}

/// The outbox file's writes for `base`, oldest first.
pub fn load(path: &Path, base: &str) -> Vec<Write> {
    read(path)
        .writes
        .into_iter()
        .filter(|s| s.base == base)
        .map(|s| s.write)
        .collect()
}

fn read(path: &Path) -> File {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::error!(error = %e, path = %path.display(), "unreadable outbox; starting a new one");
            let _ = std::fs::rename(path, path.with_extension("json.corrupt"));
            File::default()
        }),
        Err(_) => File::default(),
    }
}

/// Rewrites the file with `queue` as this server's writes (others' untouched), atomically.
fn save(path: &Path, base: &str, queue: &VecDeque<Write>) {
    let mut file = read(path);
    file.writes.retain(|s| s.base != base);
    file.writes.extend(queue.iter().map(|w| Stored {
        base: base.to_string(),
        write: w.clone(),
    }));
    if let Err(e) =
        write_private_atomic(path, &serde_json::to_vec_pretty(&file).unwrap_or_default())
    {
        tracing::error!(error = %format!("{e:#}"), "could not save the outbox");
    }
}

#[derive(Default)]
struct Chain {
    replaced: std::collections::HashSet<i64>,
    latest: i64,
}

/// Starts the outbox task. `path` None keeps the queue in memory only (tests).
pub fn spawn<F>(
    client: ApiClient,
    path: Option<PathBuf>,
    mut report: F,
) -> UnboundedSender<OutboxCmd>
where
    F: FnMut(OutboxReport) -> bool + Send + 'static,
{
    let (tx, mut rx) = unbounded_channel::<OutboxCmd>();
    let base = client.base().to_string();
    let mut queue: VecDeque<Write> = path
        .as_deref()
        .map(|p| load(p, &base).into())
        .unwrap_or_default();
    tokio::spawn(async move {
        // Per path: the versions our own writes replaced, and the version the last one
        // made. A second edit of the same incident made before the first was answered is
        // based on a version we replaced ourselves: send it on ours, not as a conflict with
        // ourselves. Someone else's change in between still makes it a 412.
        let mut chain: HashMap<String, Chain> = HashMap::new();
        let mut waiting = false;
        // A busy server's Retry-After: nothing is sent before this, whatever asks.
        let mut not_before: Option<tokio::time::Instant> = None;
        loop {
            if let Some(t) = not_before
                && !queue.is_empty()
                && tokio::time::Instant::now() < t
            {
                // Keep taking new writes (they join the queue) while the wait runs out.
                tokio::select! {
                    c = rx.recv() => match c {
                        None => return,
                        Some(OutboxCmd::Retry) => {}
                        Some(OutboxCmd::Send(w)) => {
                            queue.push_back(w);
                            if let Some(p) = &path {
                                save(p, &base, &queue);
                            }
                        }
                    },
                    _ = tokio::time::sleep_until(t) => {}
                }
                continue;
            }
            not_before = None;
            if !queue.is_empty() {
                waiting = false;
                while let Some(w) = queue.front().cloned() {
                    let mut send = w.clone();
                    if let (Some(v), Some(c)) = (send.if_match, chain.get(&send.path))
                        && c.replaced.contains(&v)
                    {
                        send.if_match = Some(c.latest);
                    }
                    let result = client.write(&send).await;
                    let msg = match result {
                        Err(WriteError::Unreachable(error)) => {
                            waiting = true;
                            OutboxReport::Waiting {
                                pending: queue.len(),
                                error,
                            }
                        }
                        Err(busy @ WriteError::Busy { retry_after, .. }) => {
                            waiting = true;
                            not_before = Some(tokio::time::Instant::now() + retry_after);
                            tracing::warn!(error = %busy.message(), "outbox: server busy");
                            OutboxReport::Waiting {
                                pending: queue.len(),
                                error: busy.message(),
                            }
                        }
                        Ok(entity) => {
                            queue.pop_front();
                            if let Some(p) = &path {
                                save(p, &base, &queue);
                            }
                            let version = match &entity {
                                Some(LiveEvent::Incident(i)) => Some(i.version),
                                Some(LiveEvent::Action(a)) => Some(a.version),
                                _ => None,
                            };
                            if let (Some(sent), Some(n)) = (send.if_match, version) {
                                let c = chain.entry(send.path.clone()).or_default();
                                c.replaced.insert(sent);
                                c.replaced.extend(w.if_match);
                                c.latest = n;
                            }
                            OutboxReport::Done {
                                write: w,
                                entity,
                                pending: queue.len(),
                            }
                        }
                        Err(error) => {
                            queue.pop_front();
                            if let Some(p) = &path {
                                save(p, &base, &queue);
                            }
                            OutboxReport::Failed {
                                write: w,
                                error,
                                pending: queue.len(),
                            }
                        }
                    };
                    if !report(msg) {
                        return;
                    }
                    if waiting {
                        break;
                    }
                }
            }
            let cmd = if waiting {
                let retry_at = not_before.unwrap_or_else(|| tokio::time::Instant::now() + RETRY);
                tokio::select! {
                    c = rx.recv() => c,
                    _ = tokio::time::sleep_until(retry_at) => Some(OutboxCmd::Retry),
                }
            } else {
                rx.recv().await
            };
            match cmd {
                None => return,
                Some(OutboxCmd::Retry) => {}
                Some(OutboxCmd::Send(w)) => {
                    queue.push_back(w);
                    if let Some(p) = &path {
                        save(p, &base, &queue);
                    }
                    // While waiting, a new write joins the queue without a new attempt
                    // jumping ahead of the timer; order is kept either way.
                }
            }
        }
    });
    tx
}

/// Replaces `path` with `bytes` so that a reader (or a crash, or a power cut) sees either
/// the old file or the new one, never a mix: written to a uniquely named 0600 file in the
/// same directory (so two consoles sharing a data directory cannot collide on it), synced,
/// renamed over `path`, and the directory synced so the rename itself is durable.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".sitrep-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_private_atomic;

    /// Two consoles sharing a data directory write the same file at once. With one fixed
    /// temporary name they truncated and renamed each other's half-written file; a reader
    /// must only ever see one writer's whole content, and the file stays private.
    #[test]
    fn concurrent_writers_never_leave_a_mix_and_the_file_stays_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drafts.json");
        let contents: Vec<Vec<u8>> = (0..4u8).map(|w| vec![b'a' + w; 64 * 1024]).collect();
        std::thread::scope(|s| {
            for c in &contents {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..50 {
                        write_private_atomic(path, c).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..500 {
                    if let Ok(got) = std::fs::read(&path) {
                        assert!(contents.contains(&got), "a mixed or partial file was seen");
                    }
                }
            });
        });
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "temporaries left behind: {left:?}");
    }
}
