//! The run loop: wait for a message, update, run effects, redraw if something changed.
//! Generic over the backend so tests drive the whole console on `TestBackend`.
use super::intent::Msg;
use super::state::State;
use super::update::{Effect, update};
use super::view;
use crate::client::ServerClock;
use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

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
    /// The server's clock as the client measures it: every countdown and age is computed on
    /// it, because every due date the API sends is on it.
    pub time: ServerClock,
}

/// At most this many queued messages are applied before a frame is drawn, so a burst of
/// events is one redraw but a flood cannot starve the screen.
const BATCH: usize = 512;

/// Drafts are written to disk at most once per this long: a paste or a fast typist changes
/// a draft hundreds of times a second, and each save rewrites the whole drafts file.
pub const DRAFT_SAVE_EVERY: Duration = Duration::from_millis(250);

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
    let mut time = Timekeeper::new(opts.time);
    let mut drafts = DraftSaves::default();
    let mut last_draw: Option<Instant> = None;
    loop {
        drafts.save_if_due(state, &mut effects);
        // Draw when something changed, but not more often than FRAME: a flood of events
        // becomes a few frames, not thousands.
        let mut pending = None;
        if state.ui.dirty {
            match last_draw {
                Some(t) if t.elapsed() < FRAME && !state.ui.quit => pending = Some(t + FRAME),
                _ => {
                    draw(terminal, state)?;
                    last_draw = Some(Instant::now());
                }
            }
        }
        if state.ui.quit {
            drafts.save_now(state, &mut effects);
            return Ok(());
        }
        let size = terminal.size()?;
        let ticking = opts.clock
            && state.ui.needs_tick()
            && !view::too_small(ratatui::layout::Rect::new(0, 0, size.width, size.height));
        let wake = [pending, drafts.due].into_iter().flatten().min();
        let msg = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => {
                    drafts.save_now(state, &mut effects);
                    return Ok(());
                }
            },
            m = time.tick_at(state.next_tick()), if ticking => m,
            _ = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => continue,
        };
        // Between ticks (a minute apart on a quiet board) every other message still sees
        // the current time: writes, loads and the header's "as of" are stamped with it.
        if opts.clock && !matches!(msg, Msg::Tick(_)) && state.tick(time.now()) {
            state.ui.dirty = true;
        }
        for e in update(state, msg) {
            drafts.dispatch(e, &mut effects);
        }
        let mut n = 0;
        while n < BATCH && !state.ui.quit {
            let Ok(m) = rx.try_recv() else { break };
            for e in update(state, m) {
                drafts.dispatch(e, &mut effects);
            }
            n += 1;
        }
        // Answers that came in may have measured the server's clock anew.
        if let Some(m) = time.offset_moved() {
            for e in update(state, m) {
                drafts.dispatch(e, &mut effects);
            }
        }
    }
}

/// Turns [`Effect::DraftsChanged`] into at most one [`Effect::SaveDrafts`] per
/// [`DRAFT_SAVE_EVERY`]: the first change after a quiet spell is saved at once, later ones
/// together when the interval is up, and whatever is unsaved when the loop ends is saved
/// then. The drafts are serialized only when a save happens, never per keystroke.
#[derive(Default)]
pub(super) struct DraftSaves {
    last: Option<Instant>,
    /// When the next save is due; `None` when nothing is unsaved.
    due: Option<Instant>,
}

impl DraftSaves {
    /// Passes an effect on, holding back draft saves.
    pub(super) fn dispatch(&mut self, e: Effect, effects: &mut impl FnMut(Effect)) {
        if e != Effect::DraftsChanged {
            return effects(e);
        }
        if self.due.is_none() {
            let now = Instant::now();
            self.due = Some(match self.last {
                Some(l) if l + DRAFT_SAVE_EVERY > now => l + DRAFT_SAVE_EVERY,
                _ => now,
            });
        }
    }

    pub(super) fn save_if_due(&mut self, state: &State, effects: &mut impl FnMut(Effect)) {
        if self.due.is_some_and(|d| d <= Instant::now()) {
            self.save_now(state, effects);
        }
    }

    pub(super) fn save_now(&mut self, state: &State, effects: &mut impl FnMut(Effect)) {
        if self.due.take().is_some() {
            self.last = Some(Instant::now());
            effects(Effect::SaveDrafts(
                serde_json::to_string(&state.writes.drafts).unwrap_or_else(|_| "{}".into()),
            ));
        }
    }
}

/// The console's time: the server's clock (see [`ServerClock`]), and a message whenever the
/// measured offset moves. It keeps one timer, armed for the next moment something on screen
/// changes with time and re-armed only when that moment moves: an idle console wakes once
/// a minute (once a second while seconds are shown or a reconnect counts), not on a fixed
/// 1 Hz interval whose every tick also re-registers a timer with the runtime's driver.
pub(super) struct Timekeeper {
    clock: ServerClock,
    /// The server time the timer is armed for.
    armed: Option<chrono::DateTime<chrono::Utc>>,
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
    /// The offset the state was last told about.
    told: Option<chrono::Duration>,
}

/// The state hears about a new clock offset when it moved by at least this much: the
/// estimate narrows by milliseconds as answers come in, which nothing on screen shows.
const OFFSET_STEP: chrono::Duration = chrono::Duration::milliseconds(500);

impl Timekeeper {
    pub(super) fn new(clock: ServerClock) -> Self {
        Timekeeper {
            clock,
            armed: None,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            told: None,
        }
    }

    /// The server's time now.
    pub(super) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Waits for the next whole second of server time (the wall, whose pages and burn-in
    /// shift move by the second).
    pub(super) async fn tick(&mut self) -> Msg {
        let next = self.clock.now().timestamp() + 1;
        let at = chrono::DateTime::from_timestamp(next, 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        self.tick_at(at).await
    }

    /// Waits until server time `at`. Cancel-safe: dropped unfinished, the timer stays armed
    /// for the next call with the same `at`.
    pub(super) async fn tick_at(&mut self, at: chrono::DateTime<chrono::Utc>) -> Msg {
        if self.armed != Some(at) {
            self.armed = Some(at);
            let wait = (at - self.clock.now()).to_std().unwrap_or_default();
            self.timer.as_mut().reset(Instant::now() + wait);
        }
        self.timer.as_mut().await;
        self.armed = None;
        // The timer never fires early by the monotonic clock; should the server clock
        // disagree by a hair, the tick still lands on the moment it was armed for.
        Msg::Tick(self.clock.now().max(at))
    }

    /// A message for the state when the measured offset moved since it was last told (and
    /// the timer is re-armed on the server's clock).
    pub(super) fn offset_moved(&mut self) -> Option<Msg> {
        let offset = self.clock.offset()?;
        if self.told.is_some_and(|t| (t - offset).abs() < OFFSET_STEP) {
            return None;
        }
        self.told = Some(offset);
        self.armed = None;
        Some(Msg::ClockOffset {
            now: self.clock.now(),
            offset,
        })
    }
}

/// The shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);

fn draw<B>(terminal: &mut Terminal<B>, state: &mut State) -> Result<()>
where
    B: Backend + FrameSync,
    B::Error: Send + Sync + 'static,
{
    state.ui.dirty = false;
    let size = terminal.size()?;
    // Page up/down move by what fits on screen.
    state.ui.page = usize::from(size.height.saturating_sub(5)).max(1);
    terminal.backend_mut().begin_frame();
    let res = terminal
        .draw(|f| {
            view::render(state, f);
            // Colour depth and --ascii are applied to the finished frame, so no view has to
            // know which terminal it draws for.
            super::display::finish(
                f.buffer_mut(),
                state.settings.theme.ascii,
                state.settings.theme.depth,
            );
        })
        .map(|_| ());
    terminal.backend_mut().end_frame();
    Ok(res?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::testdata;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    #[tokio::test]
    async fn a_burst_of_keystrokes_is_one_drafts_save_and_the_last_save_has_every_key() {
        let mut state = testdata::state();
        state.settings.me = Some("cora".into());
        state.settings.role = Some(crate::domain::Role::Commander);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let key = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        tx.send(key('n')).unwrap();
        let typed: String = (0..150)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        for c in typed.chars() {
            tx.send(key(c)).unwrap();
        }
        tx.send(Msg::Intent(crate::console::Intent::Quit)).unwrap();
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        let mut effects = Vec::new();
        run(
            &mut terminal,
            &mut state,
            &mut rx,
            |e| effects.push(e),
            RunOptions {
                clock: false,
                time: ServerClock::default(),
            },
        )
        .await
        .unwrap();
        let saves: Vec<&String> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::SaveDrafts(json) => Some(json),
                _ => None,
            })
            .collect();
        // One save per burst (not one per key); the last one has every key.
        assert!((1..=2).contains(&saves.len()), "{} saves", saves.len());
        let last = saves.last().unwrap();
        assert!(last.contains(&format!("\"{typed}\"")), "{last}");
        assert!(!effects.contains(&Effect::DraftsChanged));
    }

    #[tokio::test]
    async fn draft_saves_are_spaced_out_and_nothing_unsaved_is_left_behind() {
        let state = testdata::state();
        let mut saves = 0;
        let mut count = |e: Effect| {
            assert!(matches!(e, Effect::SaveDrafts(_)), "{e:?}");
            saves += 1;
        };
        let mut d = DraftSaves::default();
        d.dispatch(Effect::DraftsChanged, &mut count);
        d.save_if_due(&state, &mut count);
        d.dispatch(Effect::DraftsChanged, &mut count);
        d.dispatch(Effect::DraftsChanged, &mut count);
        d.save_if_due(&state, &mut count);
        tokio::time::sleep(DRAFT_SAVE_EVERY).await;
        d.save_if_due(&state, &mut count);
        // Nothing changed since: nothing to save, even at the end.
        d.save_now(&state, &mut count);
        assert_eq!(saves, 2);
    }

    #[tokio::test]
    async fn a_measured_offset_reaches_the_state_once_per_real_move() {
        let clock = ServerClock::default();
        let mut time = Timekeeper::new(clock.clone());
        assert!(time.offset_moved().is_none(), "nothing measured yet");
        let now = chrono::Utc::now();
        clock.observe_at(now, now, now - chrono::Duration::minutes(15));
        let Some(Msg::ClockOffset {
            now: server,
            offset,
        }) = time.offset_moved()
        else {
            panic!("the first measurement is reported");
        };
        assert!((offset + chrono::Duration::minutes(15)).num_seconds().abs() <= 1);
        assert!(
            (server - (now - chrono::Duration::minutes(15)))
                .num_seconds()
                .abs()
                <= 2
        );
        assert!(time.offset_moved().is_none(), "no move, no message");
        let Msg::Tick(t) = time.tick().await else {
            panic!("a tick")
        };
        assert!((t - (chrono::Utc::now() + offset)).num_seconds().abs() <= 1);
    }
}
