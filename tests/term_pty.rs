//! The terminal in the worst cases, with the real binary in a pseudo-terminal: a panic in
//! the UI or in a background task, SIGINT, and the terminal going away (an SSH drop). Each
//! must leave the terminal restored (or, when it is gone, end the process quickly).
use std::time::{Duration, Instant};

use crate::common::pty;
use pty::{Console, spawn_env, spawn_program};

const LEAVE_ALT: &str = "\x1b[?1049l";
const ENTER_ALT: &str = "\x1b[?1049h";
const SHOW_CURSOR: &str = "\x1b[?25h";
const MOUSE_ON: &str = "\x1b[?1000h";
const MOUSE_OFF: &str = "\x1b[?1000l";

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A cursor move (`ESC [ row ; col H`): how ratatui draws a cell.
fn has_cursor_move(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        if !b[i..].starts_with(b"\x1b[") {
            return false;
        }
        let rest = &b[i + 2..];
        let n = rest
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b';')
            .count();
        n > 0 && rest[..n].contains(&b';') && rest.get(n) == Some(&b'H')
    })
}

/// After a crash: the UI was drawn, then mouse capture off, the main screen, the cursor
/// shown, and after that only text (the message), never another frame.
fn assert_restored_then_message(c: &mut Console, message: &[&str]) {
    c.drain();
    let raw = c.raw_text();
    let entered = raw.find(ENTER_ALT).expect("entered the alternate screen");
    let left = raw.rfind(LEAVE_ALT).expect("left the alternate screen");
    assert!(left > entered);
    assert!(
        has_cursor_move(&raw[entered..left]),
        "the UI drew before it ended"
    );
    let mouse_on = raw.rfind(MOUSE_ON).expect("--mouse turned capture on");
    let mouse_off = raw.rfind(MOUSE_OFF).expect("mouse capture turned off");
    assert!(mouse_on < mouse_off && mouse_off < left, "{raw:?}");
    let after = &raw[left..];
    assert!(after.contains(SHOW_CURSOR), "cursor shown: {after:?}");
    assert!(!after.contains(ENTER_ALT), "no way back: {after:?}");
    assert!(
        !has_cursor_move(after),
        "nothing drawn after the restore: {after:?}"
    );
    for m in message {
        assert!(
            after.contains(m),
            "message {m:?} after the restore: {after:?}"
        );
    }
    let parser = c.screen.parser.lock().unwrap();
    assert!(!parser.screen().alternate_screen());
    assert!(!parser.screen().hide_cursor());
}

#[test]
fn a_panic_in_the_ui_restores_the_terminal_and_says_so() {
    let dir = home();
    let mut c = spawn_env(dir.path(), &["--mouse"], &[("SITREP_TEST_PANIC", "ui")]);
    let status = c.wait_exit(Duration::from_secs(20));
    assert!(!status.success(), "{status:?}");
    assert_restored_then_message(
        &mut c,
        &[
            "the console crashed",
            "SITREP_TEST_PANIC=ui: a deliberate panic in the UI loop",
            "terminal has been restored",
        ],
    );
}

/// Raw mode is a setting of the terminal, not a byte in the output: ask the terminal itself.
/// The shell that ran sitrep runs `stty -a` on the same terminal after sitrep has crashed.
#[test]
fn after_a_panic_the_terminal_is_back_in_cooked_mode() {
    let dir = home();
    let mut c = spawn_program(
        dir.path(),
        "sh",
        &[
            "-c",
            "\"$0\" --mouse; echo STTY-BEGIN; stty -a; echo STTY-END",
            crate::common::bin::BIN,
        ],
        &[("SITREP_TEST_PANIC", "ui")],
    );
    c.wait_exit(Duration::from_secs(20));
    c.drain();
    let raw = c.raw_text();
    let stty = raw
        .rsplit_once("STTY-BEGIN")
        .and_then(|(_, rest)| rest.split_once("STTY-END"))
        .map(|(s, _)| s.to_string())
        .unwrap_or_else(|| panic!("no stty output: {raw:?}"));
    let flags: Vec<&str> = stty.split_whitespace().collect();
    // Raw mode clears these; cooked mode (what the shell had before sitrep) sets them.
    for flag in ["icanon", "echo", "isig", "icrnl"] {
        assert!(
            flags.contains(&flag),
            "{flag} should be on after the crash: {stty}"
        );
        assert!(!flags.contains(&format!("-{flag}").as_str()), "{stty}");
    }
}

#[test]
fn a_panic_in_a_background_task_ends_the_ui_then_restores_and_says_so() {
    let dir = home();
    let mut c = spawn_env(dir.path(), &["--mouse"], &[("SITREP_TEST_PANIC", "task")]);
    // Before the fix the UI went on drawing over a message it could not show.
    let status = c.wait_exit(Duration::from_secs(20));
    assert!(!status.success(), "{status:?}");
    assert_restored_then_message(
        &mut c,
        &[
            "background task failed",
            "SITREP_TEST_PANIC=task: a deliberate panic in a background task",
        ],
    );
}

#[test]
fn sigint_quits_cleanly_and_keeps_the_draft() {
    let dir = home();
    let mut c = spawn_env(dir.path(), &[], &[]);
    c.screen.wait_for("LIVE", Duration::from_secs(20));
    c.keys("n");
    c.screen
        .wait_for("Declare a new incident", Duration::from_secs(5));
    c.keys("Half-typed title");
    c.screen
        .wait_for("Half-typed title", Duration::from_secs(5));
    let pid = c.child.process_id().unwrap();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = c.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "a clean quit: {status:?}");
    c.drain();
    assert!(
        !c.screen.parser.lock().unwrap().screen().alternate_screen(),
        "terminal restored"
    );
    let drafts =
        std::fs::read_to_string(dir.path().join("data/sitrep/drafts.json")).expect("drafts");
    assert!(drafts.contains("Half-typed title"), "{drafts}");
}

/// Hangs up the terminal once the console is live and returns how long the process took
/// to end, with the console's log.
fn exit_after_hang_up(mut c: Console, dir: &std::path::Path) -> (Duration, String) {
    c.screen.wait_for("LIVE", Duration::from_secs(20));
    let hung_up = c.hang_up();
    let deadline = hung_up + Duration::from_secs(5);
    let took = loop {
        if c.child.try_wait().unwrap().is_some() {
            break hung_up.elapsed();
        }
        if Instant::now() > deadline {
            let _ = c.child.kill();
            panic!("still running 5 s after the terminal went away");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let log = std::fs::read_to_string(dir.join("data/sitrep/console.log")).unwrap_or_default();
    // Nothing may try to print to the terminal that is gone: the print would panic ("failed
    // printing to stderr") and the panic would land here.
    assert!(!log.contains("panic"), "{log}");
    (took, log)
}

#[test]
fn a_hung_up_terminal_ends_the_session_leader() {
    // `sitrep` is the session leader, as with `ssh host sitrep`: the kernel sends SIGHUP.
    let dir = home();
    let c = spawn_env(dir.path(), &[], &[]);
    let (took, log) = exit_after_hang_up(c, dir.path());
    eprintln!("session leader: exited {took:?} after the hang-up");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(log.contains("the terminal went away"), "{log}");
}

#[test]
fn a_hung_up_terminal_ends_the_console_under_a_shell_that_keeps_sighup() {
    // Under a login shell that does not pass SIGHUP on, only the terminal itself says it
    // is gone (reads give EOF/EIO; crossterm spins on that instead of reporting it).
    let dir = home();
    let c = spawn_program(
        dir.path(),
        "sh",
        &[
            "-c",
            "trap '' HUP; \"$0\" \"$@\"; echo done",
            crate::common::bin::BIN,
        ],
        &[],
    );
    let (took, log) = exit_after_hang_up(c, dir.path());
    eprintln!("under a shell: exited {took:?} after the hang-up");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(log.contains("hung up"), "the watchdog saw it: {log}");
}
