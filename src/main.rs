use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use sitrep::console::session::Ui;
use sitrep::domain::Role;
use sitrep::launch::{self, ConnectArgs, ConsoleArgs, LookArgs};
use sitrep::server::{self, Database, ServerConfig, store::Store};
use std::net::SocketAddr;
use std::path::PathBuf;

/// sitrep: a terminal incident console and the incident API it talks to.
#[derive(Debug, Parser)]
#[command(name = "sitrep", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    // The console's flags (src/launch/args.rs). Subcommands take the groups they use;
    // these, given before a subcommand, fill in what it leaves unset.
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(flatten)]
    console: ConsoleArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the incident API server.
    Serve {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        status: sitrep::server::status_page::StatusPageArgs,
        /// Address to listen on.
        #[arg(long, env = "SITREP_LISTEN", default_value = "127.0.0.1:7878")]
        listen: SocketAddr,
        /// Seconds between heartbeats on idle event streams.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
        heartbeat_secs: u64,
        /// Seconds a connection may take to send a complete request head after it opens or
        /// after its previous answer; silent, idle and trickling connections are closed
        /// after it. Event streams are not affected.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
        idle_timeout_secs: u64,
        /// Seconds a client may accept nothing of an answer (stop reading) before its
        /// connection is closed; an event stream resumes later with Last-Event-ID.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
        write_timeout_secs: u64,
        /// Most connections open at once, event streams included (default: 4096, or fewer
        /// to fit the open-file limit less 64). Over it, the oldest idle connection is
        /// closed; when all are busy, new ones get 503.
        #[arg(long, env = "SITREP_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(8..=1_000_000))]
        max_connections: Option<u64>,
        /// Most event streams one token may hold open at once; over it, 429 until one ends.
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        max_streams_per_token: u64,
        /// Most requests one token may have in progress at once (at most half the
        /// connection cap); over it, 429 until one ends.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        max_requests_per_token: u64,
        /// How Alertmanager's `severity` label maps to SEV levels (`*` for anything else).
        #[arg(
            long,
            env = "SITREP_ALERT_SEVERITY",
            default_value = "critical=SEV1,warning=SEV3,info=SEV4,*=SEV3",
            value_parser = sitrep::domain::SeverityMap::parse
        )]
        alert_severity: sitrep::domain::SeverityMap,
        #[command(flatten)]
        metrics: sitrep::server::metrics::MetricsArgs,
        #[command(flatten)]
        backups: sitrep::backups::cli::ServeBackupArgs,
        #[command(flatten)]
        webhooks: sitrep::webhooks::ServeArgs,
    },
    /// Create, list and revoke API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Show the audit trail of administration: token creation and revocation, role,
    /// webhook and configuration changes, with actor and time.
    Audit {
        #[command(flatten)]
        args: sitrep::audit::AuditArgs,
        #[command(flatten)]
        db: DbArg,
    },
    /// Print the OpenAPI document of the incident API.
    Openapi,
    /// Open the console on a throwaway demo database with a simulated, living board.
    Demo {
        /// Show the wallboard instead of the console.
        #[arg(long)]
        wall: bool,
        #[command(flatten)]
        opts: sitrep::console::wall::WallOptions,
        #[command(flatten)]
        console: ConsoleArgs,
    },
    /// A read-only wallboard for a shared screen: big counts per severity, one tile per
    /// active SEV1/SEV2 incident, overdue customer updates loudest. A viewer token is
    /// enough.
    Wall {
        #[command(flatten)]
        opts: sitrep::console::wall::WallOptions,
        #[command(flatten)]
        connect: ConnectArgs,
        #[command(flatten)]
        look: LookArgs,
    },
    /// List incidents (for scripts; --json for machines).
    // The connection flags are global within a scripting verb, so they work after its
    // subcommand too (`sitrep incidents list --api URL`).
    #[command(mut_args(|a: clap::Arg| a.global(true)))]
    Incidents {
        #[command(subcommand)]
        command: sitrep::script::IncidentsCmd,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Show one incident.
    #[command(mut_args(|a: clap::Arg| a.global(true)))]
    Incident {
        #[command(subcommand)]
        command: sitrep::script::IncidentCmd,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Post a status update.
    #[command(mut_args(|a: clap::Arg| a.global(true)))]
    Update {
        #[command(subcommand)]
        command: sitrep::script::UpdateCmd,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// List corrective actions.
    #[command(mut_args(|a: clap::Arg| a.global(true)))]
    Actions {
        #[command(subcommand)]
        command: sitrep::script::ActionsCmd,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Write the post-incident report: facts, history with reasons, updates, actions,
    /// exceptions and the durations a review asks for.
    Report {
        id: String,
        #[arg(long, value_enum, default_value = "markdown")]
        format: sitrep::script::ReportFormat,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// The evidence for a period: per incident severity, impact, recovery owner, phase
    /// times, first customer update and cadence, actions and exceptions; totals against targets.
    Evidence {
        #[command(flatten)]
        args: sitrep::review::cli::EvidenceArgs,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Signed outbound webhooks: add, list, remove, deliveries (commander token).
    #[command(mut_args(|a: clap::Arg| a.global(true)))]
    Webhook {
        #[command(subcommand)]
        command: sitrep::webhooks::cli::WebhookCmd,
        #[command(flatten)]
        connect: ConnectArgs,
    },
    /// Back up the database (SQLite online, PostgreSQL through pg_dump), encrypted to age
    /// recipients; --dir with --keep-* keeps a pruned series (see docs/backups.md).
    Backup {
        #[command(flatten)]
        args: sitrep::backups::cli::BackupArgs,
        #[command(flatten)]
        db: DbArg,
    },
    /// Replace a database with a backup, encrypted (--identity KEYFILE) or plain, after an
    /// integrity check (the server must be stopped; a replaced SQLite file is kept beside
    /// it). Consoles that reconnect re-list, since event ids handed out after the backup
    /// now name other events. PostgreSQL: into an empty database; with no PATH, only start
    /// a new event-log epoch (after a pg_restore of your own).
    Restore {
        #[command(flatten)]
        args: sitrep::backups::cli::RestoreArgs,
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Debug, clap::Args)]
struct DbArg {
    /// SQLite database file [default: sitrep.db in the user's data directory].
    #[arg(
        long,
        env = "SITREP_DB",
        value_name = "PATH",
        conflicts_with = "database"
    )]
    db: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user@host/db) instead of a SQLite file. Prefer the
    /// environment variable when the URL holds a password: arguments show in process lists.
    #[arg(
        long,
        env = "SITREP_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database: Option<String>,
}

impl DbArg {
    fn database(&self) -> Result<Database> {
        if let Some(url) = &self.database {
            let db = Database::parse(url);
            if !matches!(db, Database::Postgres(_)) {
                bail!("--database takes a postgres:// URL; use --db PATH for a SQLite file");
            }
            return Ok(db);
        }
        match &self.db {
            Some(p) => Ok(Database::Sqlite(p.clone())),
            None => Ok(Database::Sqlite(sitrep::paths::default_db()?)),
        }
    }

    async fn open(&self) -> Result<Store> {
        let db = self.database()?;
        Store::open(&db)
            .await
            .with_context(|| format!("opening the database {}", db.describe()))
    }
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token and print it (alone, on one line). It is shown only this once.
    Create {
        /// What the token may do: viewer (read), responder (triage, updates, actions,
        /// alerts) or commander (everything, including closing and exceptions).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Who or what uses the token; it is the actor on the timeline.
        #[arg(long)]
        name: String,
        /// Stop the token working after this long, e.g. `90d`, `12h`, `30m` (default:
        /// never). An expired token is refused and its open event streams end.
        #[arg(long, value_parser = parse_lifetime)]
        expires_in: Option<chrono::Duration>,
        #[command(flatten)]
        db: DbArg,
    },
    /// List tokens (names, roles, dates; never the tokens).
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke the token with this name.
    Revoke {
        name: String,
        #[command(flatten)]
        db: DbArg,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

/// A token lifetime such as `90d` or `12h`: at least a minute, at most ten years.
fn parse_lifetime(s: &str) -> Result<chrono::Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e}; write a lifetime such as 90d, 12h or 30m"))?;
    let d = chrono::Duration::from_std(d).map_err(|e| e.to_string())?;
    if d < chrono::Duration::minutes(1) || d > chrono::Duration::days(3653) {
        return Err("a token lifetime must be between 1m and 10 years".into());
    }
    Ok(d)
}

fn init_stderr_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SITREP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    sitrep::paths::private_umask();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            // Not eprintln!: after an SSH drop stderr is a terminal that is gone, and
            // eprintln! panics when its write fails.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "sitrep: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    use sitrep::script::Script;
    // Scripting verbs report through their own exit codes (0 ok, 1 refused, 2 usage).
    let (script, connect) = match cli.command {
        Some(Command::Incidents { command, connect }) => (Script::Incidents(command), connect),
        Some(Command::Incident { command, connect }) => (Script::Incident(command), connect),
        Some(Command::Update { command, connect }) => (Script::Update(command), connect),
        Some(Command::Actions { command, connect }) => (Script::Actions(command), connect),
        Some(Command::Webhook { command, connect }) => (Script::Webhook(command), connect),
        Some(Command::Report {
            id,
            format,
            connect,
        }) => (Script::Report { id, format }, connect),
        Some(Command::Evidence { args, connect }) => (Script::Evidence(args), connect),
        other => {
            run_command(other, cli.connect, cli.console).await?;
            return Ok(std::process::ExitCode::SUCCESS);
        }
    };
    Ok(launch::run_script(&connect.or(&cli.connect), script).await)
}

async fn run_command(
    command: Option<Command>,
    top_connect: ConnectArgs,
    top_console: ConsoleArgs,
) -> Result<()> {
    match command {
        Some(Command::Serve {
            db,
            status,
            listen,
            heartbeat_secs,
            idle_timeout_secs,
            write_timeout_secs,
            max_connections,
            max_streams_per_token,
            max_requests_per_token,
            alert_severity,
            metrics,
            backups,
            webhooks,
        }) => {
            init_stderr_logging();
            let mut cfg = ServerConfig::new(db.database()?, listen);
            cfg.heartbeat = std::time::Duration::from_secs(heartbeat_secs);
            cfg.limits = server::connections::Limits {
                idle_timeout: std::time::Duration::from_secs(idle_timeout_secs),
                write_timeout: std::time::Duration::from_secs(write_timeout_secs),
                max_connections: max_connections.map(|n| n as usize),
                streams_per_token: max_streams_per_token as usize,
                requests_per_token: max_requests_per_token as usize,
            };
            cfg.alert_severity = alert_severity;
            cfg.status_page = status.config();
            cfg.metrics = metrics.config();
            cfg.backups = backups.schedule()?;
            cfg.webhooks = webhooks.config();
            serve(cfg).await
        }
        Some(Command::Token { command }) => token(command).await,
        Some(Command::Backup { args, db }) => {
            sitrep::backups::cli::backup(args, db.database()?).await
        }
        Some(Command::Restore { args, db }) => {
            sitrep::backups::cli::restore(args, db.database()?).await
        }
        Some(Command::Audit { args, db }) => {
            let store = db.open().await?;
            let result = sitrep::audit::run(args, &store).await;
            store.close().await;
            result
        }
        Some(Command::Openapi) => {
            println!("{}", server::openapi::document());
            Ok(())
        }
        // --- console (owned by src/console and src/demo) ---
        Some(Command::Demo {
            wall,
            opts,
            console,
        }) => {
            let ui = if wall { Ui::Wall(opts) } else { Ui::Console };
            launch::run_demo(console.or(&top_console), ui).await
        }
        Some(Command::Wall {
            opts,
            connect,
            look,
        }) => {
            let console = ConsoleArgs {
                look: look.or(&top_console.look),
                ..top_console
            };
            launch::run_ui(connect.or(&top_connect), console, Ui::Wall(opts)).await
        }
        None => launch::run_console(top_connect, top_console).await,
        Some(
            Command::Incidents { .. }
            | Command::Incident { .. }
            | Command::Update { .. }
            | Command::Actions { .. }
            | Command::Report { .. }
            | Command::Evidence { .. }
            | Command::Webhook { .. },
        ) => unreachable!("scripting verbs are dispatched by run()"),
    }
}

async fn serve(cfg: ServerConfig) -> Result<()> {
    let db = cfg.database.describe();
    let mut running = server::start(cfg).await?;
    tracing::info!(addr = %running.addr, db = %db, "sitrep API listening on http://{}/api/v1", running.addr);
    if let Some(at) = running.metrics_addr() {
        tracing::info!(addr = %at, "metrics without a token on http://{at}/metrics");
    }
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        res = running.wait() => return res,
    }
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}

async fn token(cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            role,
            name,
            expires_in,
            db,
        } => {
            let store = db.open().await?;
            let until = expires_in.map(|d| chrono::Utc::now() + d);
            let token = store.create_token_until(&name, role, until).await?;
            store.close().await;
            println!("{token}");
        }
        TokenCommand::List { db } => {
            let store = db.open().await?;
            let tokens = store.list_tokens().await?;
            store.close().await;
            if tokens.is_empty() {
                println!(
                    "no tokens yet: create one with `sitrep token create --role commander --name NAME`"
                );
            }
            let now = chrono::Utc::now();
            for t in tokens {
                let state = t.state(now);
                // Padded by terminal columns (a name in a wide script takes two a
                // character), never cut: the name is what `token revoke` is given back.
                println!(
                    "{} {} created {}  {}",
                    sitrep::sanitize::columns::pad(&t.name, 24),
                    sitrep::sanitize::columns::pad(&t.role.to_string(), 10),
                    t.created_at,
                    state
                );
            }
        }
        TokenCommand::Revoke { name, db } => {
            let store = db.open().await?;
            let revoked = store.revoke_token(&name).await?;
            store.close().await;
            if !revoked {
                bail!("no active token named {name:?}");
            }
            println!("revoked {name}");
        }
    }
    Ok(())
}
