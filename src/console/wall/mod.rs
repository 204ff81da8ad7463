//! `sitrep wall`: a read-only wallboard for a shared screen. It takes its data the way the
//! console does (the same `State`, fed by the same `update` from the live stream), but has
//! its own view and loop: every key is ignored except quit (and with `--no-keys`, even
//! that), and a frame is sent only when it differs from the last one.
pub mod bigtext;
pub mod redact;
pub mod view;

pub use view::WallOptions;

use super::app::FrameSync;
use super::display;
use super::intent::{Intent, Msg};
use super::keymap::{Key, Mode};
use super::state::State;
use super::update::{Effect, update};
use anyhow::Result;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tokio::sync::mpsc::UnboundedReceiver;

/// Renders the wall and then applies the jump-host output settings.
pub fn render(state: &State, opts: &WallOptions, area: Rect, buf: &mut Buffer) {
    view::render(state, opts, area, buf);
    display::finish(buf, state.settings.theme.ascii, state.settings.theme.depth);
}

/// What the wall does with a message: keys are only ever quit; everything else (live
/// events, loads, the clock, signals) goes through the console's `update`.
pub fn handle(state: &mut State, opts: &WallOptions, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(ev) => {
            if !opts.no_keys
                && Key::from_event(&ev).and_then(|k| state.settings.keymap.action(Mode::Global, k))
                    == Some(Intent::Quit)
            {
                state.ui.quit = true;
            }
            vec![]
        }
        Msg::Intent(Intent::Quit) => {
            state.ui.quit = true;
            vec![]
        }
        Msg::Intent(_) => vec![],
        m => update(state, m),
    }
}

/// The wall's loop: like the console's, but a tick only reaches the terminal when the
/// picture changed (the wall's clock shows minutes), so an idle wall sends nothing.
pub async fn run<B>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    opts: &WallOptions,
    rx: &mut UnboundedReceiver<Msg>,
    mut effects: impl FnMut(Effect),
    clock: Option<crate::client::ServerClock>,
) -> Result<()>
where
    B: Backend + FrameSync,
    B::Error: Send + Sync + 'static,
{
    let ticking = clock.is_some();
    let mut time = super::app::Timekeeper::new(clock.unwrap_or_default());
    let mut drafts = super::app::DraftSaves::default();
    let mut last: Option<Buffer> = None;
    loop {
        if state.ui.dirty {
            state.ui.dirty = false;
            let size = terminal.size()?;
            let area = Rect::new(0, 0, size.width, size.height);
            let mut next = Buffer::empty(area);
            render(state, opts, area, &mut next);
            if last.as_ref() != Some(&next) {
                terminal.backend_mut().begin_frame();
                let res = terminal
                    .draw(|f| {
                        let fb = f.buffer_mut();
                        if fb.area == next.area {
                            fb.content.clone_from(&next.content);
                        } else {
                            render(state, opts, fb.area, fb);
                        }
                    })
                    .map(|_| ());
                terminal.backend_mut().end_frame();
                res?;
                last = Some(next);
            }
        }
        if state.ui.quit {
            drafts.save_now(state, &mut effects);
            return Ok(());
        }
        let msg = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => {
                    drafts.save_now(state, &mut effects);
                    return Ok(());
                }
            },
            m = time.tick(), if ticking => m,
        };
        if matches!(msg, Msg::Resize) {
            last = None;
        }
        for e in handle(state, opts, msg) {
            drafts.dispatch(e, &mut effects);
        }
        while !state.ui.quit {
            let Ok(m) = rx.try_recv() else { break };
            if matches!(m, Msg::Resize) {
                last = None;
            }
            for e in handle(state, opts, m) {
                drafts.dispatch(e, &mut effects);
            }
        }
        if let Some(m) = time.offset_moved() {
            for e in handle(state, opts, m) {
                drafts.dispatch(e, &mut effects);
            }
        }
        // The wall edits no drafts; a write confirmed while it runs may still clear one.
        drafts.save_if_due(state, &mut effects);
    }
}
