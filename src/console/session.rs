//! One console session in the terminal: the live subscription, the effect runner, drafts
//! and the outbox, the terminal taken and given back, whatever happens. It is handed a
//! client for the incident API: which server that is, is decided before (`crate::launch`).
use super::app::{RunOptions, run};
use super::config::Config;
use super::effects::EffectRunner;
use super::intent::Msg;
use super::keymap::Keymap;
use super::state::State;
use super::term;
use super::theme::Theme;
use crate::client::{ApiClient, subscribe};
use crate::paths;
use anyhow::Result;
use std::path::PathBuf;

/// What runs in the terminal: the console, or the read-only wallboard.
#[derive(Debug, Clone)]
pub enum Ui {
    Console,
    Wall(super::wall::WallOptions),
}

/// What the console brings from config.toml and the data directory.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// `name` from config.toml (else the token's name, from the server).
    pub name: Option<String>,
    pub cadence: crate::domain::Cadence,
    /// Where the outbox and drafts live; None keeps them in memory (the demo).
    pub data_dir: Option<PathBuf>,
    /// `--mouse`: capture the mouse (the console only; the wall never does).
    pub mouse: bool,
    /// `clock = "seconds"` in config.toml.
    pub seconds: bool,
}

impl Setup {
    pub fn from_config(config: &Config) -> Result<Setup> {
        Ok(Setup {
            name: config.name.clone().filter(|n| !n.trim().is_empty()),
            cadence: config.cadence.cadence(),
            data_dir: Some(paths::data_dir()?),
            mouse: false,
            seconds: config.clock == super::config::Clock::Seconds,
        })
    }
}

/// Runs the terminal UI against `client` until the user quits.
pub async fn run_in_terminal(
    client: ApiClient,
    label: String,
    read_only: bool,
    keymap: Keymap,
    setup: Setup,
    theme: Theme,
    ui: &Ui,
) -> Result<()> {
    // The wall never captures the mouse.
    let mouse = setup.mouse && matches!(ui, Ui::Console);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let live_tx = tx.clone();
    let live = tokio::spawn(subscribe(client.clone(), move |m| {
        live_tx.send(Msg::Live(m)).is_ok()
    }));
    let outbox_path = setup.data_dir.as_ref().map(|d| d.join("outbox.json"));
    let drafts_path = setup.data_dir.as_ref().map(|d| d.join("drafts.json"));
    let time = client.clock();
    let base = client.base().to_string();
    // Drafts whose write waits in the outbox are not "unsent": sending it clears them.
    let queued: std::collections::HashSet<String> = outbox_path
        .as_deref()
        .map(|p| crate::client::outbox::load(p, &base, &client.token_fingerprint()))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|w| w.draft)
        .collect();
    let runner = EffectRunner::new(client, tx.clone(), outbox_path, drafts_path.clone());
    let depth = theme.depth;
    let mut state = State::new(label, keymap, theme, time.now());
    state.settings.read_only = read_only;
    state.settings.me = setup.name.clone();
    state.settings.cadence = setup.cadence;
    state.settings.seconds = setup.seconds;
    state.settings.tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    if let Some(p) = &drafts_path {
        state.writes.drafts = super::drafts_file::load(p, &base);
        if let Some(notice) = drafts_notice(&state.writes.drafts, &queued)
            && !read_only
        {
            state.ui.info(notice);
        }
    }
    // Read once, before the terminal is taken.
    let test_panic = TestPanic::from_env();
    let mut terminal = term::enter(mouse, depth)?;
    term::watch_panics(tx.clone());
    term::spawn_input(tx.clone(), mouse);
    term::spawn_hangup_watch(tx.clone());
    term::spawn_signals(tx);
    if test_panic == Some(TestPanic::Task) {
        tokio::spawn(async {
            tokio::time::sleep(TestPanic::AFTER).await;
            panic!("SITREP_TEST_PANIC=task: a deliberate panic in a background task");
        });
    }
    let ui_loop = async {
        match ui {
            Ui::Console => {
                run(
                    &mut terminal,
                    &mut state,
                    &mut rx,
                    |e| runner.run(e),
                    RunOptions {
                        clock: true,
                        time: time.clone(),
                    },
                )
                .await
            }
            Ui::Wall(opts) => {
                super::wall::run(
                    &mut terminal,
                    &mut state,
                    opts,
                    &mut rx,
                    |e| runner.run(e),
                    Some(time.clone()),
                )
                .await
            }
        }
    };
    let result = tokio::select! {
        r = ui_loop => r,
        // On the main thread, inside the UI's own future: a panic in the UI.
        () = test_panic_in_ui(test_panic) => unreachable!(),
    };
    term::restore();
    term::release(terminal);
    live.abort();
    if let Err(e) = &result
        && term::ended_by_lost_terminal(e)
    {
        tracing::warn!(error = %format!("{e:#}"), "the terminal went away while drawing");
    }
    // The last keystroke's draft, written here too in case the saver thread had not yet.
    if let Some(p) = &drafts_path
        && let Ok(json) = serde_json::to_string(&state.writes.drafts)
    {
        let _ = super::drafts_file::save(p, &base, &json);
    }
    if term::gone() {
        // Nobody is watching. Drafts and the outbox are on disk; a thread stuck in the
        // terminal library (crossterm-rs/crossterm#793) must not keep the process alive.
        std::thread::spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(1));
            std::process::exit(0);
        });
    }
    if let Some(what) = term::take_task_panic() {
        anyhow::bail!(
            "the console stopped because a background task failed (a bug): {what}\n\
             The terminal has been restored and drafts are saved; details are in console.log."
        );
    }
    result
}

/// A hidden hook for the pseudo-terminal tests: `SITREP_TEST_PANIC=ui` panics in the UI
/// loop, `SITREP_TEST_PANIC=task` in a background task, [`TestPanic::AFTER`] after the
/// console starts, so the tests can check the terminal is restored and the process ends.
/// Read once at start-up; unset (the normal case) it does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestPanic {
    Ui,
    Task,
}

impl TestPanic {
    const AFTER: std::time::Duration = std::time::Duration::from_millis(1500);

    fn from_env() -> Option<TestPanic> {
        match std::env::var("SITREP_TEST_PANIC").ok().as_deref() {
            Some("ui") => Some(TestPanic::Ui),
            Some("task") => Some(TestPanic::Task),
            _ => None,
        }
    }
}

async fn test_panic_in_ui(mode: Option<TestPanic>) {
    if mode == Some(TestPanic::Ui) {
        tokio::time::sleep(TestPanic::AFTER).await;
        panic!("SITREP_TEST_PANIC=ui: a deliberate panic in the UI loop");
    }
    std::future::pending::<()>().await
}

/// What the person left unsent last time, named as the forms' titles name them (not by the
/// keys drafts are filed under); drafts whose write is queued are the outbox's to report.
fn drafts_notice(
    drafts: &std::collections::BTreeMap<String, super::forms::Form>,
    queued: &std::collections::HashSet<String>,
) -> Option<String> {
    let titles: Vec<String> = drafts
        .iter()
        .filter(|(k, _)| !queued.contains(*k))
        .map(|(_, f)| f.title())
        .collect();
    (!titles.is_empty()).then(|| {
        format!(
            "unsent drafts kept from last time: {}; open the same form to continue",
            titles.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::drafts_notice;
    use crate::console::forms::{Form, Seen, WriteId};
    use crate::console::testdata;
    use crate::domain::{Phase, Severity};

    #[test]
    fn unsent_drafts_are_named_as_their_forms_are_not_by_their_keys() {
        let inc = testdata::incident("INC-2", Severity::Sev1, Phase::Triage);
        let mut drafts = std::collections::BTreeMap::new();
        for name in ["set_severity", "post_update"] {
            let seen = Some(Seen::Incident(inc.clone()));
            let form = Form::pinned(WriteId::named(name).unwrap(), seen, vec![], None);
            drafts.insert(form.draft_key(), form);
        }
        let queued = std::collections::HashSet::from(["status_update:INC-2".to_string()]);
        let said = drafts_notice(&drafts, &queued).unwrap();
        assert!(said.contains("· INC-2"), "{said}");
        assert!(!said.contains("severity:INC-2"), "no internal key: {said}");
        assert_eq!(
            said.matches("INC-2").count(),
            1,
            "the queued one is the outbox's: {said}"
        );
        assert_eq!(
            drafts_notice(&drafts, &drafts.keys().cloned().collect()),
            None
        );
    }
}
