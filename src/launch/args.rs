//! The flags that choose a backend and shape the terminal. Each subcommand takes only the
//! groups it uses, so `sitrep backup --help` offers no `--mouse`. Flags given before a
//! subcommand (`sitrep --api URL incidents list`) still count: the subcommand's own win,
//! the rest come from the top level (`or`).
use crate::console::display::ColorDepth;
use crate::pagerduty::Backend;
use std::path::PathBuf;

/// Which server to talk to, with which token.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnectArgs {
    /// Incident API to connect to, e.g. https://sitrep.example.com [default: an embedded
    /// server on the local database].
    #[arg(long, env = "SITREP_API_URL", value_name = "URL")]
    pub api: Option<String>,
    /// File holding the API token (must be readable by you only, mode 600). The token can
    /// also come from SITREP_TOKEN; it is never taken as an argument.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// A named server profile from config.toml in the config directory.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Where incidents come from: sitrep (its own API) or pagerduty (PagerDuty's REST API,
    /// token from PAGERDUTY_TOKEN or --pagerduty-token-file) [default: sitrep].
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// PagerDuty's REST API [default: https://api.pagerduty.com].
    #[arg(long, env = "PAGERDUTY_API_URL", value_name = "URL")]
    pub pagerduty_url: Option<String>,
    /// File holding the PagerDuty API token (mode 600). The token can also come from
    /// PAGERDUTY_TOKEN; it is never taken as an argument.
    #[arg(long, value_name = "PATH")]
    pub pagerduty_token_file: Option<PathBuf>,
    /// Email of the PagerDuty user that changes are made as (PagerDuty's From header);
    /// needed to acknowledge, resolve and post notes or status updates.
    #[arg(long, env = "PAGERDUTY_FROM", value_name = "EMAIL")]
    pub pagerduty_from: Option<String>,
    /// Seconds between polls of PagerDuty's incident list [default: 10; 60 with webhooks].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub pagerduty_poll_secs: Option<u64>,
    /// Receive PagerDuty's v3 webhooks (POST /pagerduty/webhook) on this address, e.g.
    /// 127.0.0.1:8787 behind a TLS proxy; needs --pagerduty-webhook-secret-file.
    #[arg(
        long,
        env = "PAGERDUTY_WEBHOOK_LISTEN",
        value_name = "ADDR",
        requires = "pagerduty_webhook_secret_file"
    )]
    pub pagerduty_webhook_listen: Option<std::net::SocketAddr>,
    /// File holding the webhook subscription's signing secret (mode 600); never an
    /// argument.
    #[arg(
        long,
        env = "PAGERDUTY_WEBHOOK_SECRET_FILE",
        value_name = "PATH",
        requires = "pagerduty_webhook_listen"
    )]
    pub pagerduty_webhook_secret_file: Option<PathBuf>,
}

impl ConnectArgs {
    pub fn backend(&self) -> Backend {
        self.backend.unwrap_or(Backend::Sitrep)
    }

    /// With webhooks pushing changes, the poll is only the safety net: a minute by default.
    pub fn pagerduty_poll_secs(&self) -> u64 {
        let default = if self.pagerduty_webhook_listen.is_some() {
            60
        } else {
            10
        };
        self.pagerduty_poll_secs.unwrap_or(default)
    }

    /// These flags, with any left unset taken from `outer` (the flags before the
    /// subcommand).
    pub fn or(self, outer: &ConnectArgs) -> ConnectArgs {
        let outer = outer.clone();
        ConnectArgs {
            api: self.api.or(outer.api),
            token_file: self.token_file.or(outer.token_file),
            profile: self.profile.or(outer.profile),
            backend: self.backend.or(outer.backend),
            pagerduty_url: self.pagerduty_url.or(outer.pagerduty_url),
            pagerduty_token_file: self.pagerduty_token_file.or(outer.pagerduty_token_file),
            pagerduty_from: self.pagerduty_from.or(outer.pagerduty_from),
            pagerduty_poll_secs: self.pagerduty_poll_secs.or(outer.pagerduty_poll_secs),
            pagerduty_webhook_listen: self
                .pagerduty_webhook_listen
                .or(outer.pagerduty_webhook_listen),
            pagerduty_webhook_secret_file: self
                .pagerduty_webhook_secret_file
                .or(outer.pagerduty_webhook_secret_file),
        }
    }
}

/// How the screen is drawn: the console and the wall alike.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LookArgs {
    /// ASCII borders and glyphs only (no box drawing), for terminals and fonts that lack
    /// them.
    #[arg(long)]
    pub ascii: bool,
    /// Colours: never, 16, 256 or truecolor [default: from NO_COLOR, COLORTERM and TERM,
    /// else 16].
    #[arg(long, value_name = "DEPTH")]
    pub color: Option<ColorDepth>,
    /// Theme: dark, light or high-contrast [default: `theme` in config.toml, else dark].
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
}

impl LookArgs {
    pub fn or(self, outer: &LookArgs) -> LookArgs {
        LookArgs {
            ascii: self.ascii || outer.ascii,
            color: self.color.or(outer.color),
            theme: self.theme.or_else(|| outer.theme.clone()),
        }
    }
}

/// The interactive console's own flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub look: LookArgs,
    /// Show the board without offering changes.
    #[arg(long)]
    pub read_only: bool,
    /// Capture the mouse (scroll wheel moves the selection). Off by default so the
    /// terminal's own selection and copy keep working.
    #[arg(long)]
    pub mouse: bool,
}

impl ConsoleArgs {
    pub fn or(self, outer: &ConsoleArgs) -> ConsoleArgs {
        ConsoleArgs {
            look: self.look.or(&outer.look),
            read_only: self.read_only || outer.read_only,
            mouse: self.mouse || outer.mouse,
        }
    }
}
