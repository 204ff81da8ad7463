//! Which server the console or a command talks to, and with which token: a remote sitrep
//! (`--api` or a profile, token from SITREP_TOKEN or a 0600 file), or the local database,
//! served in this process or by the `sitrep serve` already running on it.
use super::args::ConnectArgs;
use crate::client::{ApiClient, ApiError, Token, install_crypto_provider};
use crate::console::config::Config;
use crate::domain::Role;
use crate::paths;
use crate::server::{self, ServerConfig};
use anyhow::{Context, Result, bail};
use std::path::Path;

/// Where the console gets its data.
pub(super) enum Target {
    Embedded,
    Remote {
        url: String,
        token: Token,
        read_only: bool,
    },
}

pub(super) fn resolve(
    args: &ConnectArgs,
    read_only: bool,
    config: &Config,
    config_path: &Path,
) -> Result<Target> {
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
        read_only: read_only || profile.is_some_and(|p| p.read_only),
    })
}

/// A wrong or revoked token is a setup error worth stopping for; an unreachable server is
/// not (the console starts and shows it is reconnecting).
pub(super) async fn refuse_bad_token(client: &ApiClient) -> Result<()> {
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

/// A client for one-shot commands (`sitrep incidents list`, `sitrep report`…), resolved by
/// the console's rules: `--api`/profile with a token from SITREP_TOKEN or a 0600 file, or
/// else the embedded server on the local database (returned, to shut down afterwards).
pub async fn connect(args: &ConnectArgs) -> Result<(ApiClient, Option<server::RunningServer>)> {
    install_crypto_provider();
    let config_path = paths::config_dir()?.join("config.toml");
    let config = Config::load(&config_path)?;
    if args.backend() == crate::pagerduty::Backend::Pagerduty {
        bail!(
            "scripting verbs and reports work with sitrep's own API only, not --backend pagerduty"
        );
    }
    match resolve(args, false, &config, &config_path)? {
        Target::Remote { url, token, .. } => Ok((ApiClient::new(&url, token)?, None)),
        Target::Embedded => local_target().await,
    }
}

/// The local database's server: one embedded in this process, or the `sitrep serve` (or
/// console) already serving that file, reached with the local token, so every change goes
/// through a server and out to its live subscribers. Never a second server on the file
/// (its subscribers would miss the other's changes), and never a token made silently.
pub(super) async fn local_target() -> Result<(ApiClient, Option<server::RunningServer>)> {
    // The same database `sitrep serve` would use: SITREP_DB when it is set.
    let db = match std::env::var_os("SITREP_DB").filter(|v| !v.is_empty()) {
        Some(path) => std::path::PathBuf::from(path),
        None => paths::default_db()?,
    };
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

    fn args(api: Option<&str>, token_file: Option<&Path>, profile: Option<&str>) -> ConnectArgs {
        ConnectArgs {
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
            false,
            &Config::default(),
            Path::new("c.toml"),
        )
        .unwrap();
        assert!(matches!(t, Target::Embedded));
        let dir = tempfile::tempdir().unwrap();
        let err = resolve(
            &args(None, Some(&dir.path().join("t")), None),
            false,
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
            false,
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
            false,
            &config,
            Path::new("c.toml"),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("profiles: prod"), "{err}");
    }
}
