//! Starting the console: which server (embedded, remote, demo), which token, then the
//! terminal. The console always talks HTTP, even to the embedded server, so the default
//! path is the remote path.
use super::action::Msg;
use super::app::{RunOptions, run};
use super::config::Config;
use super::effects::EffectRunner;
use super::keymap::Keymap;
use super::state::State;
use super::term;
use super::theme::Theme;
use crate::client::{ApiClient, ApiError, Token, install_crypto_provider, subscribe};
use crate::domain::Role;
use crate::paths;
use crate::server::{self, ServerConfig};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The console's flags. Global, so `sitrep --api URL` and `sitrep demo --mouse` both work.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConsoleArgs {
    /// Incident API to connect to, e.g. https://sitrep.example.com [default: an embedded
    /// server on the local database].
    #[arg(long, global = true, env = "SITREP_API_URL", value_name = "URL")]
    pub api: Option<String>,
    /// File holding the API token (must be readable by you only, mode 600). The token can
    /// also come from SITREP_TOKEN; it is never taken as an argument.
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// A named server profile from config.toml in the config directory.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Show the board without offering changes.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Capture the mouse (scroll wheel moves the selection). Off by default so the
    /// terminal's own selection and copy keep working.
    #[arg(long, global = true)]
    pub mouse: bool,
    // --- jump-host output (issue 5) ---
    /// ASCII borders and glyphs only (no box drawing), for terminals and fonts that lack
    /// them.
    #[arg(long, global = true)]
    pub ascii: bool,
    /// Colours: never, 16, 256 or truecolor [default: from NO_COLOR, COLORTERM and TERM,
    /// else 16].
    #[arg(long, global = true, value_name = "DEPTH")]
    pub color: Option<super::display::ColorDepth>,
    /// Theme: dark, light or high-contrast [default: `theme` in config.toml, else dark].
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    // --- PagerDuty (issue 8) ---
    /// Where incidents come from: sitrep (its own API) or pagerduty (PagerDuty's REST API,
    /// token from PAGERDUTY_TOKEN or --pagerduty-token-file).
    #[arg(long, global = true, value_enum, default_value_t = crate::pagerduty::Backend::Sitrep)]
    pub backend: crate::pagerduty::Backend,
    /// PagerDuty's REST API [default: https://api.pagerduty.com].
    #[arg(long, global = true, env = "PAGERDUTY_API_URL", value_name = "URL")]
    pub pagerduty_url: Option<String>,
    /// File holding the PagerDuty API token (mode 600). The token can also come from
    /// PAGERDUTY_TOKEN; it is never taken as an argument.
    #[arg(long, global = true, value_name = "PATH")]
    pub pagerduty_token_file: Option<PathBuf>,
    /// Email of the PagerDuty user that changes are made as (PagerDuty's From header);
    /// needed to acknowledge, resolve and post notes or status updates.
    #[arg(long, global = true, env = "PAGERDUTY_FROM", value_name = "EMAIL")]
    pub pagerduty_from: Option<String>,
    /// Seconds between polls of PagerDuty's incident list.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub pagerduty_poll_secs: u64,
}

/// The theme from `--theme` or config.toml, at the colour depth from `--color` or the
/// environment, with `--ascii`.
fn theme(args: &ConsoleArgs, config: &Config) -> Result<Theme> {
    let name = args
        .theme
        .as_deref()
        .or(config.theme.as_deref())
        .unwrap_or("dark");
    let depth = args
        .color
        .unwrap_or_else(super::display::ColorDepth::from_env);
    Theme::build(name, depth, args.ascii)
        .with_context(|| format!("unknown theme {name:?} (themes: dark, light, high-contrast)"))
}

/// What runs in the terminal: the console, or the read-only wallboard.
#[derive(Debug, Clone)]
pub enum Ui {
    Console,
    Wall(super::wall::WallOptions),
}

/// The keymap and theme from config.toml and the flags.
pub fn load_setup(args: &ConsoleArgs) -> Result<(Keymap, Theme)> {
    let path = paths::config_dir()?.join("config.toml");
    let config = Config::load(&path)?;
    Ok((keymap(&config)?, theme(args, &config)?))
}

/// Where the console gets its data.
enum Target {
    Embedded,
    Remote {
        url: String,
        token: Token,
        read_only: bool,
    },
}

fn resolve(args: &ConsoleArgs, config: &Config, config_path: &Path) -> Result<Target> {
    let profile = match &args.profile {
        Some(name) => Some(config.profiles.get(name).with_context(|| {
            let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
            format!(
                "no profile {name:?} in {} (profiles: {})",
                config_path.display(),
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )
        })?),
        None => None,
    };
    let url = args.api.clone().or_else(|| profile.map(|p| p.api.clone()));
    let Some(url) = url else {
        if args.token_file.is_some() {
            bail!("--token-file needs a server: pass --api URL or --profile NAME");
        }
        return Ok(Target::Embedded);
    };
    let env_token = std::env::var("SITREP_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let token = if let Some(path) = &args.token_file {
        Token::from_file(path)?
    } else if let Some(t) = env_token {
        Token::parse(&t, "SITREP_TOKEN")?
    } else if let Some(path) = profile.and_then(|p| p.token_file.as_ref()) {
        Token::from_file(path)?
    } else {
        bail!(
            "connecting to {url} needs a token: set SITREP_TOKEN or pass --token-file PATH (a file only you can read)"
        );
    };
    Ok(Target::Remote {
        url,
        token,
        read_only: args.read_only || profile.is_some_and(|p| p.read_only),
    })
}

/// Logs go to `console.log` in the data directory: the terminal belongs to the UI.
pub fn init_file_logging() -> Result<PathBuf> {
    let path = paths::data_dir()?.join("console.log");
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("opening log file {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("SITREP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    Ok(path)
}

/// The built-in keymap with the user's `[keymap]` from config.toml layered over it.
pub fn load_keymap() -> Result<Keymap> {
    let path = paths::config_dir()?.join("config.toml");
    keymap(&Config::load(&path)?)
}

fn keymap(config: &Config) -> Result<Keymap> {
    let mut km = Keymap::default_keymap();
    if let Some(user) = &config.keymap {
        km.merge(&toml::to_string(user)?)
            .context("in the [keymap] section of config.toml")?;
    }
    Ok(km)
}

/// `sitrep` with no subcommand.
pub async fn run_console(args: ConsoleArgs) -> Result<()> {
    run_ui(args, Ui::Console).await
}

/// `sitrep wall`, or (with `ui`) the console: same servers, same token rules.
pub async fn run_ui(args: ConsoleArgs, ui: Ui) -> Result<()> {
    install_crypto_provider();
    let config_path = paths::config_dir()?.join("config.toml");
    let config = Config::load(&config_path)?;
    let keymap = keymap(&config)?;
    let theme = theme(&args, &config)?;
    if args.backend == crate::pagerduty::Backend::Pagerduty {
        return run_pagerduty(&args, &config, keymap, theme, &ui).await;
    }
    let target = resolve(&args, &config, &config_path)?;
    init_file_logging()?;
    let setup = Setup {
        mouse: args.mouse,
        ..Setup::from_config(&config)?
    };
    match target {
        Target::Remote {
            url,
            token,
            read_only,
        } => {
            let client = ApiClient::new(&url, token)?;
            refuse_bad_token(&client).await?;
            let label = client.base().to_string();
            launch(client, label, read_only, keymap, setup, theme, &ui).await
        }
        Target::Embedded => {
            let (client, running) = local_target().await?;
            let result = async {
                launch(
                    client,
                    "local".into(),
                    args.read_only,
                    keymap,
                    setup,
                    theme,
                    &ui,
                )
                .await
            }
            .await;
            if let Some(running) = running {
                running.shutdown().await;
            }
            result
        }
    }
}

/// `--backend pagerduty`: the in-process gateway to PagerDuty on loopback, with the normal
/// console in front of it.
async fn run_pagerduty(
    args: &ConsoleArgs,
    config: &Config,
    keymap: Keymap,
    theme: Theme,
    ui: &Ui,
) -> Result<()> {
    if args.api.is_some() || args.profile.is_some() || args.token_file.is_some() {
        bail!(
            "--backend pagerduty takes --pagerduty-url and PAGERDUTY_TOKEN (or --pagerduty-token-file), not --api, --profile or --token-file"
        );
    }
    let file = config.pagerduty.clone().unwrap_or_default();
    let settings = crate::pagerduty::PdSettings::resolve(
        args.pagerduty_url.as_deref().or(file.url.as_deref()),
        args.pagerduty_token_file.as_ref(),
        file.token_file.as_ref(),
        args.pagerduty_from.as_deref().or(file.from.as_deref()),
        args.pagerduty_poll_secs,
    )?;
    init_file_logging()?;
    let opts = crate::pagerduty::GatewayOptions {
        poll: settings.poll,
        read_only: args.read_only,
        ..Default::default()
    };
    let gateway = crate::pagerduty::Gateway::start(settings.client()?, opts).await?;
    tracing::info!(addr = %gateway.addr, pagerduty = %settings.url, "PagerDuty gateway started");
    let setup = Setup {
        mouse: args.mouse,
        // Who "take command" names: the From user (PagerDuty records the acknowledger).
        name: config.name.clone().or(settings.from.clone()),
        ..Setup::from_config(config)?
    };
    let mut label = "pagerduty".to_string();
    if gateway.shared.truncated() {
        label.push_str(" (first 10000)");
    }
    let result = async {
        let client = ApiClient::new(&gateway.base(), gateway.token())?;
        launch(client, label, args.read_only, keymap, setup, theme, ui).await
    }
    .await;
    gateway.shutdown().await;
    result
}

/// A wrong or revoked token is a setup error worth stopping for; an unreachable server is
/// not (the console starts and shows it is reconnecting).
async fn refuse_bad_token(client: &ApiClient) -> Result<()> {
    match client.check().await {
        Ok(()) => Ok(()),
        Err(e) => match e.downcast_ref::<ApiError>() {
            Some(api) if api.status == 401 || api.status == 403 => {
                Err(e).context(format!("{} refused the token", client.base()))
            }
            _ => {
                let error = crate::sanitize::clean_line(&format!("{e:#}"));
                tracing::warn!(%error, "server not reachable at start");
                Ok(())
            }
        },
    }
}

/// The embedded server's commander token, created once and kept in a 0600 file. If the
/// database was replaced and no longer knows the token, a new one is made.
async fn local_client(running: &server::RunningServer, path: &Path) -> Result<ApiClient> {
    let base = format!("http://{}", running.addr);
    if path.exists() {
        let token = Token::from_file(path)?;
        let client = ApiClient::new(&base, token)?;
        match client.check().await {
            Ok(()) => return Ok(client),
            Err(e)
                if e.downcast_ref::<ApiError>()
                    .is_some_and(|a| a.status == 401) =>
            {
                tracing::info!("local token unknown to this database; creating a new one");
            }
            Err(e) => return Err(e),
        }
    }
    // The token's name is the actor on the timeline, so use the person's login name.
    let user = std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "local".into());
    let secret = match running.store.create_token(&user, Role::Commander).await {
        Ok(t) => t,
        // The name is taken (an earlier database's token): keep it recognisable.
        Err(_) => {
            let name = format!("{user}-{}", chrono::Utc::now().format("%Y%m%d%H%M%S"));
            running.store.create_token(&name, Role::Commander).await?
        }
    };
    let token = Token::new(secret);
    token.write_private(path)?;
    // Said out loud: a commander token now exists in this database.
    let note = format!(
        "sitrep: created a commander token for local use, kept in {} (see `sitrep token list`)",
        path.display()
    );
    tracing::info!("{note}");
    eprintln!("{note}");
    ApiClient::new(&base, token)
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

/// Loads saved drafts; an unreadable file is set aside rather than blocking the start.
fn load_drafts(path: &Path) -> std::collections::BTreeMap<String, super::forms::Form> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|e| {
            tracing::error!(error = %e, "unreadable drafts file; set aside");
            let _ = std::fs::rename(path, path.with_extension("json.corrupt"));
            Default::default()
        }),
        Err(_) => Default::default(),
    }
}

/// Runs the terminal UI against `client` until the user quits.
pub async fn launch(
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
    let runner = EffectRunner::new(client, tx.clone(), outbox_path, drafts_path.clone());
    let depth = theme.depth;
    let mut state = State::new(label, keymap, theme, time.now());
    state.settings.read_only = read_only;
    state.settings.me = setup.name.clone();
    state.settings.cadence = setup.cadence;
    state.settings.seconds = setup.seconds;
    state.settings.tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    if let Some(p) = &drafts_path {
        state.writes.drafts = load_drafts(p);
        if !state.writes.drafts.is_empty() && !read_only {
            let keys: Vec<&str> = state.writes.drafts.keys().map(String::as_str).collect();
            state.ui.info(format!(
                "unsent drafts kept from last time ({}): open the same form to continue",
                keys.join(", ")
            ));
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
        && let Ok(json) = serde_json::to_vec(&state.writes.drafts)
    {
        let _ = crate::client::outbox::write_private_atomic(p, &json);
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

/// A client for one-shot commands (`sitrep incidents list`, `sitrep report`…), resolved by
/// the console's rules: `--api`/profile with a token from SITREP_TOKEN or a 0600 file, or
/// else the embedded server on the local database (returned, to shut down afterwards).
pub async fn connect(args: &ConsoleArgs) -> Result<(ApiClient, Option<server::RunningServer>)> {
    install_crypto_provider();
    let config_path = paths::config_dir()?.join("config.toml");
    let config = Config::load(&config_path)?;
    if args.backend == crate::pagerduty::Backend::Pagerduty {
        bail!(
            "scripting verbs and reports work with sitrep's own API only, not --backend pagerduty"
        );
    }
    match resolve(args, &config, &config_path)? {
        Target::Remote { url, token, .. } => Ok((ApiClient::new(&url, token)?, None)),
        Target::Embedded => local_target().await,
    }
}

/// The local database's server: one embedded in this process, or the `sitrep serve` (or
/// console) already serving that file, reached with the local token, so every change goes
/// through a server and out to its live subscribers. Never a second server on the file
/// (its subscribers would miss the other's changes), and never a token made silently.
async fn local_target() -> Result<(ApiClient, Option<server::RunningServer>)> {
    let db = paths::default_db()?;
    let token_path = paths::data_dir()?.join("local-token");
    let running = match server::start(ServerConfig::sqlite(&db, "127.0.0.1:0".parse()?)).await {
        Ok(running) => running,
        Err(e) => {
            let Some(server::store::lock::LockError::Held { holder, .. }) = e.downcast_ref() else {
                return Err(e.context("starting the embedded server"));
            };
            return running_server(&db, holder, &token_path)
                .await
                .map(|c| (c, None));
        }
    };
    tracing::info!(addr = %running.addr, db = %db.display(), "embedded server started");
    match local_client(&running, &token_path).await {
        Ok(client) => Ok((client, Some(running))),
        Err(e) => {
            running.shutdown().await;
            Err(e)
        }
    }
}

/// A client for the server another process runs on the local database.
async fn running_server(
    db: &Path,
    holder: &server::store::lock::Holder,
    token_path: &Path,
) -> Result<ApiClient> {
    let how = |addr: &str| {
        format!(
            "{} is served by {holder}: pass --api {addr} with a token (SITREP_TOKEN or --token-file; `sitrep token create --role commander --name NAME` makes one)",
            db.display()
        )
    };
    let Some(addr) = holder.addr else {
        bail!("{}", how("URL"));
    };
    let base = format!("http://{addr}");
    if !token_path.exists() {
        bail!("{}", how(&base));
    }
    let client = ApiClient::new(&base, Token::from_file(token_path)?)?;
    match client.check().await {
        Ok(()) => Ok(client),
        Err(e)
            if e.downcast_ref::<ApiError>()
                .is_some_and(|a| a.status == 401) =>
        {
            bail!("{} (the local token is not valid there)", how(&base))
        }
        Err(e) => Err(e.context(how(&base))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::config::Profile;

    fn args(api: Option<&str>, token_file: Option<&Path>, profile: Option<&str>) -> ConsoleArgs {
        ConsoleArgs {
            api: api.map(str::to_string),
            token_file: token_file.map(Path::to_path_buf),
            profile: profile.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn no_server_configured_means_the_embedded_default() {
        let t = resolve(
            &args(None, None, None),
            &Config::default(),
            Path::new("c.toml"),
        )
        .unwrap();
        assert!(matches!(t, Target::Embedded));
        let dir = tempfile::tempdir().unwrap();
        let err = resolve(
            &args(None, Some(&dir.path().join("t")), None),
            &Config::default(),
            Path::new("c.toml"),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("--api"), "{err}");
    }

    #[test]
    fn a_profile_supplies_the_url_token_file_and_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let tf = dir.path().join("prod.token");
        Token::new("sekrit").write_private(&tf).unwrap();
        let mut config = Config::default();
        config.profiles.insert(
            "prod".into(),
            Profile {
                api: "https://sitrep.example.com".into(),
                token_file: Some(tf),
                read_only: true,
            },
        );
        match resolve(
            &args(None, None, Some("prod")),
            &config,
            Path::new("c.toml"),
        )
        .unwrap()
        {
            Target::Remote {
                url,
                token,
                read_only,
            } => {
                assert_eq!(url, "https://sitrep.example.com");
                assert_eq!(token.expose(), "sekrit");
                assert!(read_only);
            }
            Target::Embedded => panic!("expected remote"),
        }
        let err = resolve(
            &args(None, None, Some("staging")),
            &config,
            Path::new("c.toml"),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("profiles: prod"), "{err}");
    }
}
