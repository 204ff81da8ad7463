//! `/status/feed.atom`: one entry per customer update, newest first.
use super::public::{PublicIncident, PublicUpdate, Snapshot};
use super::{FEED_PATH, PAGE_PATH, Page};
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use chrono::{DateTime, Utc};

/// Entries in the feed at most (the newest).
const MAX_ENTRIES: usize = 50;

pub fn render(page: &Page, snap: &Snapshot) -> String {
    let mut entries: Vec<(&PublicIncident, &PublicUpdate)> = snap
        .open
        .iter()
        .chain(&snap.resolved)
        .flat_map(|i| i.updates.iter().map(move |u| (i, u)))
        .collect();
    entries.sort_by_key(|(_, u)| std::cmp::Reverse(u.posted_at));
    entries.truncate(MAX_ENTRIES);
    let feed = Feed {
        title: Text::plain(&page.title),
        id: format!("urn:sitrep:status:{}", page.id),
        updated: fixed(snap.updated_at()),
        authors: vec![Person {
            name: page.title.clone(),
            ..Default::default()
        }],
        links: vec![
            link(&page.link(PAGE_PATH), "alternate", "text/html"),
            link(&page.link(FEED_PATH), "self", "application/atom+xml"),
        ],
        entries: entries
            .into_iter()
            .map(|(i, u)| entry(page, i, u))
            .collect(),
        ..Default::default()
    };
    feed.to_string()
}

fn entry(page: &Page, inc: &PublicIncident, u: &PublicUpdate) -> Entry {
    let mut body = format!(
        "Impact: {}\nCurrent status: {}\nNext steps: {}",
        u.impact_scope, u.current_status, u.next_steps
    );
    if let Some(due) = u.next_update_due_at {
        body.push_str(&format!(
            "\nNext update due: {}",
            due.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    Entry {
        title: Text::plain(format!("{}: {}", u.state.title(), inc.name())),
        id: format!("urn:sitrep:status:update:{}", u.key),
        updated: fixed(u.posted_at),
        published: Some(fixed(u.posted_at)),
        links: vec![link(
            &page.link(&format!("{PAGE_PATH}#incident-{}", inc.key)),
            "alternate",
            "text/html",
        )],
        content: Some(Content {
            value: Some(body),
            content_type: Some("text".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Default::default()
    }
}

fn fixed(t: DateTime<Utc>) -> FixedDateTime {
    t.fixed_offset()
}
