//! `sitrep webhook add|list|remove|deliveries`: the API's webhook endpoints from a shell,
//! with the token like every scripting verb. A secret is read from a file (never argv,
//! where `ps` and shell history would show it).
use super::model::{Delivery, Format, Webhook};
use super::sign::Secret;
use crate::client::ApiClient;
use crate::sanitize::clean_line;
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum WebhookCmd {
    /// Subscribe URL to events; deliveries start with the next event.
    Add {
        url: String,
        /// Event patterns, comma-separated: incident.*, update.posted, action.*, * …
        #[arg(long)]
        events: String,
        /// The file holding the signing secret (`whsec_…`); created with a new random
        /// secret (readable by you only) when it does not exist yet.
        #[arg(long)]
        secret_file: PathBuf,
        /// `standard` (signed JSON events) or `slack` (chat messages).
        #[arg(long, value_enum, default_value = "standard")]
        format: FormatArg,
    },
    /// Subscriptions with their state (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a subscription.
    Remove { id: String },
    /// A subscription's most recent delivery attempts.
    Deliveries {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Standard,
    Slack,
}

/// The secret in `path`, or a new one written there (0600) when the file does not exist.
fn secret_from(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            crate::paths::require_private(path, "the secret file")?;
            let text = text.trim().to_string();
            Secret::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Ok(text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = Secret::generate();
            crate::client::outbox::write_private_atomic(path, format!("{secret}\n").as_bytes())
                .with_context(|| format!("writing a new secret to {}", path.display()))?;
            eprintln!("wrote a new signing secret to {}", path.display());
            Ok(secret)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

async fn call<T: serde::de::DeserializeOwned>(
    client: &ApiClient,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T> {
    let mut req = client
        .request(method.clone(), path)
        .timeout(std::time::Duration::from_secs(20));
    if let Some(b) = &body {
        req = req.json(b);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("{method} {path}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap_or_default();
    if !status.is_success() {
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let msg = v["error"]["message"]
            .as_str()
            .unwrap_or("no explanation given");
        match v["error"]["field"].as_str() {
            Some(f) => bail!("{method} {path}: HTTP {status}: {f}: {msg}"),
            None => bail!("{method} {path}: HTTP {status}: {msg}"),
        }
    }
    serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}: unreadable answer"))
}

fn enc(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The ids of subscriptions marked failing, for a commander's console header.
pub async fn failing(client: &ApiClient) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct L {
        items: Vec<Webhook>,
    }
    let l: L = call(client, reqwest::Method::GET, "/webhooks", None).await?;
    Ok(l.items
        .into_iter()
        .filter(|w| w.state == super::model::State::Failing)
        .map(|w| w.id)
        .collect())
}

/// Runs one webhook command; the text to print.
pub async fn execute(client: &ApiClient, cmd: WebhookCmd) -> Result<String> {
    use reqwest::Method;
    match cmd {
        WebhookCmd::Add {
            url,
            events,
            secret_file,
            format,
        } => {
            let secret = secret_from(&secret_file)?;
            let format = match format {
                FormatArg::Standard => Format::Standard,
                FormatArg::Slack => Format::Slack,
            };
            let events: Vec<String> = events.split(',').map(|s| s.trim().to_string()).collect();
            let body = serde_json::json!({"url": url, "events": events, "format": format, "secret": secret});
            let w: Webhook = call(client, Method::POST, "/webhooks", Some(body)).await?;
            Ok(format!("{}\n", clean_line(&w.id)))
        }
        WebhookCmd::List { json } => {
            #[derive(serde::Deserialize)]
            struct L {
                items: Vec<Webhook>,
            }
            let l: L = call(client, Method::GET, "/webhooks", None).await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&l.items)?));
            }
            Ok(table(&l.items))
        }
        WebhookCmd::Remove { id } => {
            let w: Webhook = call(
                client,
                Method::DELETE,
                &format!("/webhooks/{}", enc(&id)),
                None,
            )
            .await?;
            Ok(format!("removed {}\n", clean_line(&w.id)))
        }
        WebhookCmd::Deliveries { id, json } => {
            #[derive(serde::Deserialize)]
            struct L {
                items: Vec<Delivery>,
            }
            let path = format!("/webhooks/{}/deliveries", enc(&id));
            let l: L = call(client, Method::GET, &path, None).await?;
            if json {
                return Ok(format!("{}\n", serde_json::to_string_pretty(&l.items)?));
            }
            let mut out =
                String::from("AT                        EVENT  KIND               TRY  RESULT\n");
            for d in &l.items {
                let result = match (d.status, &d.error) {
                    (Some(s), None) => format!("HTTP {s} in {} ms", d.ms),
                    (_, Some(e)) => e.clone(),
                    (None, None) => "?".into(),
                };
                out.push_str(&clean_line(&format!(
                    "{:<25} {:>6} {:<18} {:>3}  {result}",
                    d.at, d.event_id, d.kind, d.attempt
                )));
                out.push('\n');
            }
            Ok(out)
        }
    }
}

fn table(items: &[Webhook]) -> String {
    use crate::sanitize::columns::pad;
    if items.is_empty() {
        return "no webhooks: add one with `sitrep webhook add URL --events incident.*,update.posted --secret-file FILE`\n".into();
    }
    let mut out = format!(
        "{} {} {} {} {}\n",
        pad("ID", 6),
        pad("STATE", 8),
        pad("FORMAT", 8),
        pad("EVENTS", 28),
        "URL"
    );
    for w in items {
        let state = match w.state {
            super::model::State::Ok if w.failing_since.is_some() => "retrying",
            super::model::State::Ok => "ok",
            super::model::State::Failing => "FAILING",
        };
        out.push_str(&format!(
            "{} {} {} {} {}\n",
            pad(&clean_line(&w.id), 6),
            pad(state, 8),
            pad(w.format.as_str(), 8),
            pad(&clean_line(&w.events.join(",")), 28),
            clean_line(&w.url)
        ));
        if let Some(e) = &w.last_error {
            out.push_str(&format!(
                "       last error: {} (since {})\n",
                clean_line(e),
                clean_line(w.failing_since.as_deref().unwrap_or("?"))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_shows_a_failing_webhook_and_its_last_error() {
        let w = Webhook {
            id: "WH-3".into(),
            url: "https://hooks.example/x".into(),
            events: vec!["incident.*".into()],
            format: Format::Standard,
            state: super::super::model::State::Failing,
            cursor: 9,
            created_at: "2026-11-30T20:00:00.000Z".into(),
            created_by: "cora".into(),
            failing_since: Some("2026-11-29T20:00:00.000Z".into()),
            last_error: Some("the receiver answered HTTP 503\x1b[2J".into()),
            last_success_at: None,
        };
        let out = table(&[w]);
        assert!(out.contains("WH-3   FAILING"), "{out}");
        assert!(
            out.contains("last error: the receiver answered HTTP 503"),
            "{out}"
        );
        assert!(!out.contains('\x1b'), "{out:?}");
    }
}
