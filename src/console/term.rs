//! The real terminal: raw mode and the alternate screen on the way in, restored on every way
//! out (normal quit, error, panic in the UI or in any task, SIGTERM, SIGHUP, SIGINT). Terminal
//! input becomes `Msg`s on the same channel as network results.
//!
//! Two rules keep the screen honest when something goes wrong:
//! - The terminal is restored by the thread that draws (the main thread), or by the panic
//!   hook when the main thread itself panics. A panic on any other thread (a tokio task, the
//!   drafts saver) never restores under a UI that is still drawing: the hook records it and
//!   asks the UI to stop; the UI then restores, and `launch` prints the message and exits
//!   non-zero. So the terminal is never in both states at once.
//! - A terminal that goes away (an SSH drop: the pty is hung up) ends the process. crossterm
//!   0.29 does not report this: its reader retries a hung-up tty forever at 100% CPU instead
//!   of returning an error (crossterm-rs/crossterm#793). So a watchdog thread waits in
//!   `poll(2)` for POLLHUP on the terminal, and SIGHUP and an input error count as the
//!   terminal going away too.
//!
//! Input is read by a thread of its own, one blocking `event::read` after another, and every
//! event goes on the channel at once: the UI drains everything queued before it draws, so
//! input never waits behind the screen. crossterm is built with `use-dev-tty`, which waits
//! for input with a level-triggered `poll(2)`: its default reader registers the terminal
//! with mio, which is edge-triggered, reads 1 KiB, and returns as soon as that yields an
//! event, so the rest of a large paste stayed in the kernel until the next key press made a
//! new edge (crossterm-rs/crossterm#1057). Bracketed paste is on, so a paste arrives as one
//! `Event::Paste` rather than as thousands of keys (one of which could be `q`).
use super::intent::{Intent, Msg};
use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use crossterm::{cursor, event, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::UnboundedSender;

/// The terminal; `display::Out` rewrites colour codes for 16-colour terminals, where an RGB
/// or 256-colour code would show as the wrong colour or as garbage.
pub type Term = Terminal<CrosstermBackend<super::display::Out<Stdout>>>;

static MOUSE: AtomicBool = AtomicBool::new(false);
/// The terminal is in raw mode on the alternate screen (restore has something to undo).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The controlling terminal went away (hung up, or input failed).
static GONE: AtomicBool = AtomicBool::new(false);
/// Where a panic off the main thread asks the UI to stop, while a UI runs.
static UI: Mutex<Option<UnboundedSender<Msg>>> = Mutex::new(None);
/// The first panic off the main thread while a UI ran: what and where.
static TASK_PANIC: Mutex<Option<String>> = Mutex::new(None);

pub fn enter(mouse: bool, depth: super::display::ColorDepth) -> anyhow::Result<Term> {
    install_panic_hook();
    ACTIVE.store(true, Ordering::SeqCst);
    let term = setup(mouse, depth);
    if term.is_err() {
        restore();
    }
    term
}

fn setup(mouse: bool, depth: super::display::ColorDepth) -> anyhow::Result<Term> {
    terminal::enable_raw_mode()?;
    let mut out = stdout();
    // Clear with a plain escape: ratatui's clear() asks the terminal for the cursor
    // position first, which a slow or minimal terminal may never answer.
    execute!(
        out,
        terminal::EnterAlternateScreen,
        cursor::Hide,
        terminal::Clear(terminal::ClearType::All),
        event::EnableBracketedPaste
    )?;
    if mouse {
        MOUSE.store(true, Ordering::SeqCst);
        execute!(out, event::EnableMouseCapture)?;
    }
    Ok(Terminal::new(CrosstermBackend::new(
        super::display::Out::new(out, depth),
    ))?)
}

/// Puts the terminal back as we found it: mouse capture off (if it was on), bracketed paste
/// off, the main screen, the cursor, cooked mode. Safe to call more than once; the second
/// call does nothing. Every way out (quit, error, panic, signal, lost terminal) comes here.
pub fn restore() {
    *UI.lock().unwrap_or_else(|e| e.into_inner()) = None;
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, event::DisableMouseCapture);
    }
    let _ = execute!(
        out,
        event::DisableBracketedPaste,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
}

/// Lets go of the terminal after [`restore`]. ratatui's `Terminal` shows the cursor again
/// when dropped and, if that write fails (the terminal is gone: an SSH drop), reports it with
/// `eprintln!`, which panics when stderr is that same dead terminal. `restore` has already
/// shown the cursor, so the `Terminal` is flushed and then forgotten instead of dropped.
pub fn release(mut term: Term) {
    use std::io::Write;
    let _ = term.backend_mut().flush();
    std::mem::forget(term);
}

/// Whether the controlling terminal went away while the UI ran.
pub fn gone() -> bool {
    GONE.load(Ordering::SeqCst)
}

/// The panic a background task or thread had while the UI ran, if any ("message at
/// file:line"). Taken once.
pub fn take_task_panic() -> Option<String> {
    TASK_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// "message at file:line" for a panic.
fn describe(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    match info.location() {
        Some(l) => format!("{msg} at {}:{}", l.file(), l.line()),
        None => msg,
    }
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let what = describe(info);
            tracing::error!(thread = ?std::thread::current().name(), panic = %what, "panic");
            if std::thread::current().name() == Some("main") {
                // The UI (update and render) runs on the main thread: a panic there ends the
                // console, so restore first, or the message lands on the alternate screen
                // and vanishes.
                let was_active = ACTIVE.load(Ordering::SeqCst);
                restore();
                if was_active {
                    // A write, not eprintln!: that panics when the terminal is gone, and a
                    // panic inside the panic hook aborts.
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "\r\nsitrep: the console crashed (a bug): {what}\r\n\
                         The terminal has been restored. Drafts are saved as you type; \
                         details are in console.log in the data directory.\r"
                    );
                }
                previous(info);
                return;
            }
            // Off the main thread: never touch the terminal under a UI that may still draw.
            // Record the panic and ask the UI to stop; it restores, then reports.
            let ui = UI.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match ui {
                Some(tx) => {
                    let mut first = TASK_PANIC.lock().unwrap_or_else(|e| e.into_inner());
                    if first.is_none() {
                        *first = Some(what);
                    }
                    let _ = tx.send(Msg::Intent(Intent::Quit));
                }
                None => previous(info),
            }
        }));
    });
}

/// Lets a panic off the main thread stop the UI (until `restore`).
pub fn watch_panics(tx: UnboundedSender<Msg>) {
    *UI.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
}

/// The terminal is gone: remember it and quit.
fn terminal_gone(tx: &UnboundedSender<Msg>, why: &str) {
    mark_gone(why);
    let _ = tx.send(Msg::Intent(Intent::Quit));
}

fn mark_gone(why: &str) {
    if !GONE.swap(true, Ordering::SeqCst) {
        tracing::warn!(why, "the terminal went away; quitting");
    }
}

/// Whether the UI ended with an error that means the terminal is gone: a write failing
/// with EIO (a hung-up tty) or EPIPE. Marks it so, and returns true.
pub fn ended_by_lost_terminal(e: &anyhow::Error) -> bool {
    let lost = e
        .chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| {
            io.kind() == std::io::ErrorKind::BrokenPipe || {
                #[cfg(unix)]
                {
                    io.raw_os_error() == Some(libc::EIO)
                }
                #[cfg(not(unix))]
                {
                    false
                }
            }
        });
    if lost {
        mark_gone("writing to the terminal failed");
    }
    lost
}

/// Forwards terminal events from a reader thread (see the module notes). A closed or
/// failing terminal (an SSH drop) quits rather than spinning on errors.
pub fn spawn_input(tx: UnboundedSender<Msg>, mouse: bool) {
    let spawned = std::thread::Builder::new()
        .name("tty-input".into())
        .spawn(move || {
            loop {
                let msg = match event::read() {
                    Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
                    Ok(Event::Paste(text)) => Msg::Paste(text),
                    Ok(Event::Resize(..)) => Msg::Resize,
                    Ok(Event::Mouse(m)) if mouse => match m.kind {
                        MouseEventKind::ScrollDown => Msg::Intent(Intent::MoveDown),
                        MouseEventKind::ScrollUp => Msg::Intent(Intent::MoveUp),
                        _ => continue,
                    },
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "terminal input failed");
                        terminal_gone(&tx, "input error");
                        return;
                    }
                };
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the terminal reader");
    }
}

/// Waits (in `poll(2)`, costing nothing while the terminal is there) for the terminal to be
/// hung up, then quits. See the module notes for why crossterm cannot be relied on for this.
pub fn spawn_hangup_watch(tx: UnboundedSender<Msg>) {
    #[cfg(unix)]
    {
        use std::io::IsTerminal;
        let fd = if std::io::stdin().is_terminal() {
            0
        } else if std::io::stdout().is_terminal() {
            1
        } else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("tty-hangup".into())
            .spawn(move || {
                loop {
                    let mut p = libc::pollfd {
                        fd,
                        events: 0,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd, for the duration of the call.
                    let r = unsafe { libc::poll(&mut p, 1, -1) };
                    if r < 0 {
                        if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                        {
                            continue;
                        }
                        return;
                    }
                    if p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                        terminal_gone(&tx, "hung up");
                        return;
                    }
                    // Nothing we asked about: never spin.
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            });
    }
}

/// SIGTERM, SIGHUP and SIGINT quit cleanly, so the terminal is restored and drafts are
/// saved on the way out. (In raw mode Ctrl+C is a key, not a signal; SIGINT comes from
/// `kill -INT` or a supervisor.) SIGHUP means the terminal is going away.
pub fn spawn_signals(tx: UnboundedSender<Msg>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
            _ = hup.recv() => {
                terminal_gone(&tx, "SIGHUP");
                return;
            },
        }
        let _ = tx.send(Msg::Intent(Intent::Quit));
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn eio_and_epipe_from_a_draw_mean_the_terminal_is_gone() {
        use std::io::{Error, ErrorKind};
        let other = anyhow::Error::from(Error::from(ErrorKind::InvalidData));
        assert!(!super::ended_by_lost_terminal(&other));
        assert!(!super::gone());
        let pipe = anyhow::Error::from(Error::from(ErrorKind::BrokenPipe)).context("drawing");
        assert!(super::ended_by_lost_terminal(&pipe));
        #[cfg(unix)]
        assert!(super::ended_by_lost_terminal(&anyhow::Error::from(
            Error::from_raw_os_error(libc::EIO)
        )));
        assert!(super::gone());
    }
}
