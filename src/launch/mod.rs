//! Assembling the program: flags and config.toml, which backend (the embedded server, a
//! remote sitrep, the PagerDuty gateway, the demo), the local token and logging; then the
//! console, the wall or a one-shot command. Only this module and `main` know every part:
//! the console is an HTTP-client UI that imports neither the server nor PagerDuty, and
//! scripts and the demo do not import the console's start-up.
mod args;
mod connect;
mod logging;

pub use args::{ConnectArgs, ConsoleArgs, LookArgs};
pub use connect::connect;
pub use logging::init_file_logging;

use crate::client::{ApiClient, install_crypto_provider};
use crate::console::config::Config;
use crate::console::keymap::Keymap;
use crate::console::session::{Setup, Ui, run_in_terminal};
use crate::console::theme::Theme;
use crate::paths;
use anyhow::{Context, Result, bail};
use connect::{Target, local_target, refuse_bad_token, resolve};
use std::path::PathBuf;
use std::process::ExitCode;

fn keymap(config: &Config) -> Result<Keymap> {
    let mut km = Keymap::default_keymap();
    if let Some(user) = &config.keymap {
        km.merge(&toml::to_string(user)?)
            .context("in the [keymap] section of config.toml")?;
    }
    Ok(km)
}

/// The theme from `--theme` or config.toml, at the colour depth from `--color` or the
/// environment, with `--ascii`.
fn theme(look: &LookArgs, config: &Config) -> Result<Theme> {
    let name = look
        .theme
        .as_deref()
        .or(config.theme.as_deref())
        .unwrap_or("dark");
    let depth = look
        .color
        .unwrap_or_else(crate::console::display::ColorDepth::from_env);
    Theme::build(name, depth, look.ascii)
        .with_context(|| format!("unknown theme {name:?} (themes: dark, light, high-contrast)"))
}

fn config() -> Result<(Config, PathBuf)> {
    let path = paths::config_dir()?.join("config.toml");
    Ok((Config::load(&path)?, path))
}

/// `sitrep` with no subcommand.
pub async fn run_console(connect: ConnectArgs, console: ConsoleArgs) -> Result<()> {
    run_ui(connect, console, Ui::Console).await
}

/// `sitrep wall`, or (with `ui`) the console: same servers, same token rules.
pub async fn run_ui(connect: ConnectArgs, console: ConsoleArgs, ui: Ui) -> Result<()> {
    install_crypto_provider();
    let (config, config_path) = config()?;
    let keymap = keymap(&config)?;
    let theme = theme(&console.look, &config)?;
    if connect.backend() == crate::pagerduty::Backend::Pagerduty {
        return run_pagerduty(&connect, &console, &config, keymap, theme, &ui).await;
    }
    let target = resolve(&connect, console.read_only, &config, &config_path)?;
    init_file_logging()?;
    let setup = Setup {
        mouse: console.mouse,
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
            run_in_terminal(client, label, read_only, keymap, setup, theme, &ui).await
        }
        Target::Embedded => {
            let (client, running) = local_target().await?;
            let result = run_in_terminal(
                client,
                "local".into(),
                console.read_only,
                keymap,
                setup,
                theme,
                &ui,
            )
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
    args: &ConnectArgs,
    console: &ConsoleArgs,
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
        args.pagerduty_poll_secs(),
    )?;
    init_file_logging()?;
    let webhook = match (
        &args.pagerduty_webhook_listen,
        &args.pagerduty_webhook_secret_file,
    ) {
        (Some(listen), Some(file)) => Some(crate::pagerduty::webhook::WebhookOptions {
            listen: *listen,
            secret: crate::client::Token::from_file(file)
                .context("the PagerDuty webhook secret (--pagerduty-webhook-secret-file)")?,
        }),
        _ => None,
    };
    let opts = crate::pagerduty::GatewayOptions {
        poll: settings.poll,
        read_only: console.read_only,
        webhook,
        ..Default::default()
    };
    let gateway = crate::pagerduty::Gateway::start(settings.client()?, opts).await?;
    tracing::info!(addr = %gateway.addr, pagerduty = %settings.url, "PagerDuty gateway started");
    let setup = Setup {
        mouse: console.mouse,
        // Who "take command" names: the From user (PagerDuty records the acknowledger).
        name: config.name.clone().or(settings.from.clone()),
        ..Setup::from_config(config)?
    };
    let mut label = "pagerduty".to_string();
    if gateway.backend.truncated() {
        label.push_str(" (first 10000)");
    }
    let result = async {
        let client = ApiClient::new(&gateway.base(), gateway.token())?;
        run_in_terminal(client, label, console.read_only, keymap, setup, theme, ui).await
    }
    .await;
    gateway.shutdown().await;
    result
}

/// `sitrep demo`; with `ui` = the wall, `sitrep demo --wall`.
pub async fn run_demo(console: ConsoleArgs, ui: Ui) -> Result<()> {
    let (config, _) = config()?;
    let keymap = keymap(&config)?;
    let theme = theme(&console.look, &config)?;
    init_file_logging()?;
    let demo = crate::demo::Demo::start().await?;
    let result = run_in_terminal(
        demo.console.clone(),
        "demo".into(),
        console.read_only,
        keymap,
        Setup {
            mouse: console.mouse,
            ..Default::default()
        },
        theme,
        &ui,
    )
    .await;
    demo.stop().await;
    result
}

/// A one-shot command (`sitrep incidents list`, `sitrep report` …) against the server the
/// console would use, with the documented exit codes: 0 success, 1 refused or unreachable,
/// 2 bad usage (found before any connection is made).
pub async fn run_script(args: &ConnectArgs, script: crate::script::Script) -> ExitCode {
    if let Some(msg) = crate::script::usage_error(&script) {
        eprintln!("sitrep: {msg}");
        return ExitCode::from(2);
    }
    let (client, embedded) = match connect(args).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sitrep: {e:#}");
            return ExitCode::from(1);
        }
    };
    let result = crate::script::execute(&client, script).await;
    if let Some(server) = embedded {
        server.shutdown().await;
    }
    crate::script::report_outcome(result)
}
