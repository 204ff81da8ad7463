//! The run loop: wait for a message, update, run effects, redraw if something changed.
//! Generic over the backend so tests drive the whole console on `TestBackend`.
use super::action::Msg;
use super::state::State;
use super::update::{Effect, update};
use super::view;
use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{Instant, MissedTickBehavior};

/// Lets the loop wrap a frame in a synchronized update where the backend supports it, so a
/// terminal never shows half a frame.
pub trait FrameSync {
    fn begin_frame(&mut self) {}
    fn end_frame(&mut self) {}
}

impl FrameSync for TestBackend {}

impl<W: std::io::Write> FrameSync for ratatui::backend::CrosstermBackend<W> {
    fn begin_frame(&mut self) {
        let _ = crossterm::queue!(self, crossterm::terminal::BeginSynchronizedUpdate);
    }
    fn end_frame(&mut self) {
        let _ = crossterm::execute!(self, crossterm::terminal::EndSynchronizedUpdate);
    }
}

pub struct RunOptions {
    /// Run the 1 Hz clock (tests turn it off to keep a fixed time).
    pub clock: bool,
}

/// At most this many queued messages are applied before a frame is drawn, so a burst of
/// events is one redraw but a flood cannot starve the screen.
const BATCH: usize = 512;

pub async fn run<B>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    rx: &mut UnboundedReceiver<Msg>,
    mut effects: impl FnMut(Effect),
    opts: RunOptions,
) -> Result<()>
where
    B: Backend + FrameSync,
    B::Error: Send + Sync + 'static,
{
    let mut tick = second_ticker();
    let mut last_draw: Option<Instant> = None;
    loop {
        // Draw when something changed, but not more often than FRAME: a flood of events
        // becomes a few frames, not thousands.
        let mut pending = None;
        if state.dirty {
            match last_draw {
                Some(t) if t.elapsed() < FRAME && !state.quit => pending = Some(t + FRAME),
                _ => {
                    draw(terminal, state)?;
                    last_draw = Some(Instant::now());
                }
            }
        }
        if state.quit {
            return Ok(());
        }
        let size = terminal.size()?;
        let ticking = opts.clock
            && state.needs_tick()
            && !view::too_small(ratatui::layout::Rect::new(0, 0, size.width, size.height));
        let msg = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => return Ok(()),
            },
            _ = tick.tick(), if ticking => Msg::Tick(chrono::Utc::now()),
            _ = tokio::time::sleep_until(pending.unwrap_or_else(Instant::now)), if pending.is_some() => continue,
        };
        for e in update(state, msg) {
            effects(e);
        }
        let mut n = 0;
        while n < BATCH && !state.quit {
            let Ok(m) = rx.try_recv() else { break };
            for e in update(state, m) {
                effects(e);
            }
            n += 1;
        }
    }
}

/// A 1 Hz tick that lands on whole seconds, so the clock flips when the wall clock does;
/// missed ticks are skipped, not replayed. The console and the wall share it.
pub(super) fn second_ticker() -> tokio::time::Interval {
    let now = chrono::Utc::now();
    let to_next = 1_000 - u64::from(now.timestamp_subsec_millis().min(999));
    let mut tick = tokio::time::interval_at(
        Instant::now() + Duration::from_millis(to_next),
        Duration::from_secs(1),
    );
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tick
}

/// The shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);

fn draw<B>(terminal: &mut Terminal<B>, state: &mut State) -> Result<()>
where
    B: Backend + FrameSync,
    B::Error: Send + Sync + 'static,
{
    state.dirty = false;
    let size = terminal.size()?;
    // Page up/down move by what fits on screen.
    state.page = usize::from(size.height.saturating_sub(5)).max(1);
    terminal.backend_mut().begin_frame();
    let res = terminal
        .draw(|f| {
            view::render(state, f);
            // Issue 5: colour depth and --ascii, applied to the finished frame.
            super::display::finish(f.buffer_mut(), state.theme.ascii, state.theme.depth);
        })
        .map(|_| ());
    terminal.backend_mut().end_frame();
    Ok(res?)
}
