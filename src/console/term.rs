//! The real terminal: raw mode and the alternate screen on the way in, restored on every way
//! out (normal quit, error, panic, SIGTERM, SIGHUP). Terminal input becomes `Msg`s on the
//! same channel as network results.
use super::action::{Action, Msg};
use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use crossterm::{cursor, event, execute, terminal};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::UnboundedSender;

/// The terminal; `display::Out` rewrites colour codes for 16-colour terminals (issue 5).
pub type Term = Terminal<CrosstermBackend<super::display::Out<Stdout>>>;

static MOUSE: AtomicBool = AtomicBool::new(false);

pub fn enter(mouse: bool, depth: super::display::ColorDepth) -> anyhow::Result<Term> {
    install_panic_hook();
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
        terminal::Clear(terminal::ClearType::All)
    )?;
    if mouse {
        MOUSE.store(true, Ordering::SeqCst);
        execute!(out, event::EnableMouseCapture)?;
    }
    Ok(Terminal::new(CrosstermBackend::new(
        super::display::Out::new(out, depth),
    ))?)
}

/// Puts the terminal back as we found it. Safe to call more than once.
pub fn restore() {
    let mut out = stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, event::DisableMouseCapture);
    }
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The UI (update and render) runs on the main thread: a panic there ends the
        // console, so restore first, or the message lands on the alternate screen and
        // vanishes. A panic in a background task is caught by tokio and the UI goes on.
        if std::thread::current().name() == Some("main") {
            restore();
        }
        previous(info);
    }));
}

/// Forwards terminal events. A closed or failing terminal (an SSH drop) quits rather
/// than spinning on errors.
pub fn spawn_input(tx: UnboundedSender<Msg>, mouse: bool) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        loop {
            let msg = match events.next().await {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Msg::Key(k),
                Some(Ok(Event::Resize(..))) => Msg::Resize,
                Some(Ok(Event::Mouse(m))) if mouse => match m.kind {
                    MouseEventKind::ScrollDown => Msg::Action(Action::MoveDown),
                    MouseEventKind::ScrollUp => Msg::Action(Action::MoveUp),
                    _ => continue,
                },
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::error!(error = %e, "terminal input failed; quitting");
                    let _ = tx.send(Msg::Action(Action::Quit));
                    return;
                }
                None => {
                    let _ = tx.send(Msg::Action(Action::Quit));
                    return;
                }
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}

/// SIGTERM and SIGHUP quit cleanly, so the terminal is restored on the way out.
pub fn spawn_signals(tx: UnboundedSender<Msg>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = hup.recv() => {},
        }
        let _ = tx.send(Msg::Action(Action::Quit));
    });
}
