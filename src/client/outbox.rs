//! The outbox: every write from the console goes through one task that sends them in order.
//! A write is saved to a file in the data directory before it is sent and removed once the
//! server has answered, so writes made while the server is unreachable survive a restart and
//! are sent after reconnecting, each with the Idempotency-Key it was first given: exactly once.
//!
//! Each saved write records the server it is for and the token it was queued under (a
//! one-way fingerprint, and the token's name once the server has said it). A console started
//! with another token does not send them as itself: they are held, the person is told whose
//! they are, and they stay in the file until their own token sends them or `:discard-held`
//! drops them.
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
    /// The token's name, as the server reported it: recorded with every queued write.
    Me(String),
    /// Drop the writes held because another token queued them (this server's only).
    DiscardHeld,
}

/// A write in the outbox file that another token queued: not sent by this console.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub label: String,
    /// The name of the token that queued it, if the server had said it by then.
    pub by: Option<String>,
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
    /// Writes queued under another token, kept in the file and not sent.
    Held { writes: Vec<Held> },
    /// `:discard-held` dropped these.
    Discarded { writes: Vec<Held> },
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
    /// Who queued it. Missing in files from before this was recorded: such a write is held
    /// like another token's, since nobody can say whose it is.
    #[serde(default)]
    by: Option<QueuedBy>,
    #[serde(flatten)]
    write: Write,
}

/// The token a write was queued under. Never the token itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QueuedBy {
    /// [`crate::client::Token::fingerprint`].
    token: String,
    /// The token's name from the server (whoami), once known.
    #[serde(default)]
    name: Option<String>,
}

impl Stored {
    fn queued_by(&self, base: &str, token: &str) -> bool {
        self.base == base && self.by.as_ref().is_some_and(|b| b.token == token)
    }

    fn held(&self) -> Held {
        Held {
            label: self.write.label.clone(),
            by: self.by.as_ref().and_then(|b| b.name.clone()),
        }
    }
}

/// The outbox file's writes for `base` queued under the token with this fingerprint,
/// oldest first.
pub fn load(path: &Path, base: &str, token: &str) -> Vec<Write> {
    read(path)
        .writes
        .into_iter()
        .filter(|s| s.queued_by(base, token))
        .map(|s| s.write)
        .collect()
}

/// The outbox file's writes for `base` that another token (or an unrecorded one) queued.
fn held(path: &Path, base: &str, token: &str) -> Vec<Held> {
    read(path)
        .writes
        .iter()
        .filter(|s| s.base == base && !s.queued_by(base, token))
        .map(Stored::held)
        .collect()
}

/// Removes the writes `held` lists from the file; returns them.
fn discard_held(path: &Path, base: &str, token: &str) -> Vec<Held> {
    let mut file = read(path);
    let (gone, kept): (Vec<Stored>, Vec<Stored>) = file
        .writes
        .into_iter()
        .partition(|s| s.base == base && !s.queued_by(base, token));
    file.writes = kept;
    store(path, &file);
    gone.iter().map(Stored::held).collect()
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

/// Rewrites the file with `queue` as this token's writes for this server (other servers'
/// and other tokens' untouched), atomically.
fn save(path: &Path, base: &str, me: &QueuedBy, queue: &VecDeque<Write>) {
    let mut file = read(path);
    file.writes.retain(|s| !s.queued_by(base, &me.token));
    file.writes.extend(queue.iter().map(|w| Stored {
        base: base.to_string(),
        by: Some(me.clone()),
        write: w.clone(),
    }));
    store(path, &file);
}

fn store(path: &Path, file: &File) {
    if let Err(e) = write_private_atomic(path, &serde_json::to_vec_pretty(file).unwrap_or_default())
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
    let mut me = QueuedBy {
        token: client.token_fingerprint(),
        name: None,
    };
    let mut queue: VecDeque<Write> = path
        .as_deref()
        .map(|p| load(p, &base, &me.token).into())
        .unwrap_or_default();
    let held_at_start = path
        .as_deref()
        .map(|p| held(p, &base, &me.token))
        .unwrap_or_default();
    tokio::spawn(async move {
        if !held_at_start.is_empty()
            && !report(OutboxReport::Held {
                writes: held_at_start,
            })
        {
            return;
        }
        // A command that is not "try now": new writes join the queue, on disk at once.
        let take = |cmd: OutboxCmd,
                    queue: &mut VecDeque<Write>,
                    me: &mut QueuedBy,
                    report: &mut F|
         -> bool {
            match cmd {
                OutboxCmd::Retry => true,
                OutboxCmd::Send(w) => {
                    queue.push_back(w);
                    if let Some(p) = &path {
                        save(p, &base, me, queue);
                    }
                    true
                }
                OutboxCmd::Me(name) => {
                    if me.name.as_deref() != Some(&name) {
                        me.name = Some(name);
                        if let Some(p) = &path
                            && !queue.is_empty()
                        {
                            save(p, &base, me, queue);
                        }
                    }
                    true
                }
                OutboxCmd::DiscardHeld => {
                    let writes = path
                        .as_deref()
                        .map(|p| discard_held(p, &base, &me.token))
                        .unwrap_or_default();
                    report(OutboxReport::Discarded { writes })
                }
            }
        };
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
                        Some(c) => if !take(c, &mut queue, &mut me, &mut report) {
                            return;
                        },
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
                        Err(busy @ WriteError::Busy { .. }) => {
                            waiting = true;
                            if let WriteError::Busy { retry_after, .. } = &busy {
                                not_before = Some(tokio::time::Instant::now() + *retry_after);
                            }
                            tracing::warn!(error = %busy.message(), "outbox: server busy");
                            OutboxReport::Waiting {
                                pending: queue.len(),
                                error: busy.message(),
                            }
                        }
                        Ok(entity) => {
                            queue.pop_front();
                            if let Some(p) = &path {
                                save(p, &base, &me, &queue);
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
                                save(p, &base, &me, &queue);
                            }
                            // Also in console.log: the footer line can be overwritten.
                            tracing::warn!(write = %w.label, error = %error.message(), "outbox: refused by the server; dropped");
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
            // While waiting, a new write joins the queue without a new attempt jumping
            // ahead of the timer; order is kept either way.
            match cmd {
                None => return,
                Some(c) => {
                    if !take(c, &mut queue, &mut me, &mut report) {
                        return;
                    }
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
