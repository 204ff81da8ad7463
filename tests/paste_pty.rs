//! Large pastes through a pseudo-terminal, with the real binary: a bracketed paste of 100 KB
//! and the same text typed as raw keys (a terminal without bracketed paste). Either way the
//! keys pressed after it are handled at once, the field keeps what the server would accept,
//! and the drafts file is written a few times, not once per character.
use std::time::{Duration, Instant};

use crate::common::pty;
use pty::{Console, spawn_env};

const PASTE: usize = 100 * 1024;

/// Bytes the process has written so far (`wchar` in /proc/PID/io): the terminal, the log,
/// the database and every drafts save.
fn written(c: &Console) -> u64 {
    let pid = c.child.process_id().expect("pid");
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("/proc/PID/io");
    io.lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("wchar")
}

/// The new-incident draft's title, once the drafts file has one of `len` characters.
fn draft_title(home: &std::path::Path, len: usize) -> String {
    let path = home.join("data/sitrep/drafts.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let title = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| {
                // One server's drafts: this console's.
                v["servers"].as_object()?.values().next()?["new_incident:new"]["fields"]
                    .as_array()?
                    .iter()
                    .find(|f| f["name"] == "title")?["value"]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_default();
        if title.chars().count() == len || Instant::now() > deadline {
            return title;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Opens the new-incident form on a fresh console.
fn new_incident_form(home: &std::path::Path) -> Console {
    let mut c = spawn_env(home, &[], &[]);
    c.screen.wait_for("LIVE", Duration::from_secs(30));
    c.keys("n");
    c.screen
        .wait_for("Declare a new incident", Duration::from_secs(10));
    c
}

/// Esc closes the form (keeping the draft), then q quits: both must be handled promptly
/// after the paste, not when some later key arrives.
fn esc_then_quit(mut c: Console) {
    c.keys("\x1b");
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.screen.contents().contains("Declare a new incident") {
        assert!(
            Instant::now() < deadline,
            "Esc after the paste was not handled:\n{}",
            c.screen.contents()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    c.keys("q");
    assert!(
        c.exited_within(Duration::from_secs(10)),
        "q after the paste was not handled:\n{}",
        c.screen.contents()
    );
}

#[test]
fn a_100_kb_bracketed_paste_is_one_edit_cut_to_the_limit_and_keys_after_it_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = new_incident_form(dir.path());
    let before = written(&c);
    // Lines, tabs and a `q`: as keys these would move between fields and quit.
    let line = "Checkout\terrors after deploy q\r\n";
    let mut body = line.repeat(PASTE / line.len() + 1);
    body.truncate(PASTE);
    c.keys(&format!("\x1b[200~{body}\x1b[201~"));
    c.screen.wait_for("Paste cut", Duration::from_secs(10));
    assert!(c.screen.contents().contains("holds 200 characters"));
    let title = draft_title(dir.path(), 200);
    assert_eq!(title.chars().count(), 200, "{title:?}");
    assert!(
        title.starts_with("Checkout errors after deploy q Checkout errors"),
        "line breaks and tabs become spaces: {title:?}"
    );
    let wrote = written(&c) - before;
    eprintln!("bracketed paste of {PASTE} bytes: the process wrote {wrote} bytes");
    assert!(wrote < 1024 * 1024, "wrote {wrote} bytes for one paste");
    esc_then_quit(c);
}

#[test]
fn a_100_kb_paste_as_raw_keys_never_stalls_and_saves_drafts_a_few_times() {
    // A terminal without bracketed paste sends the text as keys: 100 KB arrive at once, far
    // more than one read of the terminal.
    let dir = tempfile::tempdir().unwrap();
    let mut c = new_incident_form(dir.path());
    let before = written(&c);
    let text: String = (0..PASTE)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    // Written from another thread: a console that stops reading would block the write
    // forever, and the test must fail instead.
    let mut writer = std::mem::replace(&mut c.writer, Box::new(std::io::sink()));
    let keys = text.clone();
    let typing = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(keys.as_bytes()).unwrap();
        writer.flush().unwrap();
        writer
    });
    c.screen.wait_for("Title is full", Duration::from_secs(20));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !typing.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the console stopped reading the paste:\n{}",
            c.screen.contents()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    c.writer = typing.join().unwrap();
    let title = draft_title(dir.path(), 200);
    assert_eq!(title, text[..200]);
    let wrote = written(&c) - before;
    eprintln!("raw-key paste of {PASTE} bytes: the process wrote {wrote} bytes");
    // Saving per keystroke wrote over 400 MB here.
    assert!(wrote < 2 * 1024 * 1024, "wrote {wrote} bytes for one paste");
    esc_then_quit(c);
}
