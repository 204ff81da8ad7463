//! `sitrep audit`: the audit trail of administration from the database, as a table or as
//! JSON. The trail holds names chosen by whoever created a token: every field is sanitized
//! before it reaches the terminal.
use crate::sanitize::{clean_line, columns::pad};
use crate::server::store::{Slice, Store};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Print JSON (one array of entries) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show only the newest N entries (default: all).
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
}

/// Prints the trail of the store's database.
pub async fn run(args: AuditArgs, store: &Store) -> Result<()> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = store.admin_events(Slice { after, limit: 500 }).await?;
        all.extend(page.items);
        match page.more_after {
            Some(next) => after = next,
            None => break,
        }
    }
    if let Some(n) = args.last {
        all.drain(..all.len().saturating_sub(n));
    }
    if args.json {
        // serde_json escapes control characters, so JSON output is safe as it is.
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    if all.is_empty() {
        println!("the audit trail is empty");
        return Ok(());
    }
    println!(
        "{}  {} {} {} DETAIL",
        pad("TIME", 24),
        pad("ACTOR", 20),
        pad("ACTION", 16),
        pad("TARGET", 24)
    );
    for e in all {
        println!(
            "{}  {} {} {} {}",
            pad(&clean_line(&e.at), 24),
            pad(&clean_line(&e.actor), 20),
            pad(&clean_line(&e.action), 16),
            pad(&clean_line(&e.target), 24),
            clean_line(&e.detail)
        );
    }
    Ok(())
}
