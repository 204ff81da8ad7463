//! The page itself: server-rendered HTML that needs no script. maud escapes every
//! interpolated string, so customer text can only ever be text.
use super::public::{PublicIncident, PublicUpdate, Snapshot, State};
use super::{FAVICON_PATH, FEED_PATH, INCIDENTS_PATH, STYLE_PATH, SUMMARY_PATH};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

/// Seconds between reloads by `<meta http-equiv=refresh>`.
pub const REFRESH_SECS: u32 = 60;

pub fn render(title: &str, snap: &Snapshot) -> String {
    let indicator = snap.indicator();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta http-equiv="refresh" content=(REFRESH_SECS);
                title { (title) }
                link rel="stylesheet" href=(STYLE_PATH);
                link rel="icon" href=(FAVICON_PATH) type="image/svg+xml";
                link rel="alternate" type="application/atom+xml" href=(FEED_PATH) title={ (title) " (Atom)" };
            }
            body {
                header {
                    h1 { (title) }
                    p class={ "overall impact-" (indicator.as_str()) } role="status" {
                        (indicator.description())
                    }
                }
                main {
                    section aria-labelledby="open-heading" {
                        h2 id="open-heading" { "Current incidents" }
                        @if snap.open.is_empty() {
                            p class="quiet" { "No incidents are affecting customers right now." }
                        }
                        @for inc in &snap.open {
                            (incident(inc))
                        }
                        (not_shown(snap.open_hidden, "current"))
                    }
                    section aria-labelledby="resolved-heading" {
                        h2 id="resolved-heading" { "Resolved in the last 90 days" }
                        @if snap.resolved.is_empty() {
                            p class="quiet" { "No incidents were resolved in the last 90 days." }
                        }
                        @for inc in &snap.resolved {
                            (resolved(inc))
                        }
                        (not_shown(snap.resolved_hidden, "resolved"))
                    }
                }
                footer {
                    p {
                        "Updated " (time(snap.built_at)) ". This page reloads every minute. "
                        a href=(FEED_PATH) { "Atom feed" } " · "
                        a href=(SUMMARY_PATH) { "summary.json" } " · "
                        a href=(INCIDENTS_PATH) { "incidents.json" }
                    }
                }
            }
        }
    }
    .into_string()
}

/// The line that says a section was cut short, and by how much.
fn not_shown(hidden: usize, what: &str) -> Markup {
    html! {
        @if hidden > 0 {
            p class="quiet more" {
                (hidden) " more " (what) " incident" @if hidden != 1 { "s" } " not shown."
            }
        }
    }
}

fn incident(inc: &PublicIncident) -> Markup {
    let id = format!("incident-{}", inc.key);
    html! {
        article class={ "incident impact-" (inc.impact.as_str()) } id=(id) aria-labelledby={ (id) "-name" } {
            h3 id={ (id) "-name" } { (inc.name()) }
            p class="state" {
                span class="badge" { (inc.state.title()) }
                " · Impact: " (inc.impact.as_str())
                @if let Some(due) = inc.next_update_due_at {
                    " · Next update by " (time(due))
                }
            }
            (updates(&inc.updates))
        }
    }
}

fn resolved(inc: &PublicIncident) -> Markup {
    let id = format!("incident-{}", inc.key);
    html! {
        article class="incident resolved" id=(id) aria-labelledby={ (id) "-name" } {
            h3 id={ (id) "-name" } { (inc.name()) }
            p class="state" {
                span class="badge" { (State::Resolved.title()) }
                @if let Some(at) = inc.resolved_at {
                    " " (time(at))
                }
            }
            details {
                summary { (inc.updates.len()) " update" @if inc.updates.len() != 1 { "s" } }
                (updates(&inc.updates))
            }
        }
    }
}

fn updates(list: &[PublicUpdate]) -> Markup {
    html! {
        ol class="updates" {
            @for u in list {
                li {
                    h4 { (u.state.title()) " — posted " (time(u.posted_at)) }
                    dl {
                        dt { "Impact" } dd { (u.impact_scope) }
                        dt { "Current status" } dd { (u.current_status) }
                        dt { "Next steps" } dd { (u.next_steps) }
                        @if let Some(due) = u.next_update_due_at {
                            dt { "Next update due" } dd { (time(due)) }
                        }
                    }
                }
            }
        }
    }
}

/// A time readers can scan (UTC: the page has no script to convert it) and machines parse.
fn time(t: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) {
            (t.format("%Y-%m-%d %H:%M UTC"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_escaped_and_a_quiet_page_says_so() {
        let page = render(
            "<b>x</b>",
            &Snapshot {
                built_at: DateTime::<Utc>::UNIX_EPOCH,
                open: vec![],
                resolved: vec![],
                open_hidden: 0,
                resolved_hidden: 0,
            },
        );
        assert!(
            page.contains("<title>&lt;b&gt;x&lt;/b&gt;</title>"),
            "{page}"
        );
        assert!(page.contains("All Systems Operational"));
    }

    fn incident(n: i64) -> PublicIncident {
        let at = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(n);
        PublicIncident {
            key: format!("k{n}"),
            state: State::Investigating,
            impact: super::super::public::Impact::Minor,
            updates: vec![PublicUpdate {
                key: format!("u{n}"),
                state: State::Investigating,
                impact_scope: format!("scope {n}"),
                current_status: "s".into(),
                next_steps: "n".into(),
                posted_at: at,
                next_update_due_at: None,
            }],
            resolved_at: None,
            next_update_due_at: None,
        }
    }

    #[test]
    fn a_long_section_shows_the_first_hundred_and_counts_the_rest() {
        use super::super::public::MAX_SHOWN;
        let open: Vec<_> = (0..MAX_SHOWN as i64 + 50).map(incident).collect();
        let resolved: Vec<_> = (0..3).map(incident).collect();
        let snap = Snapshot::bounded(DateTime::<Utc>::UNIX_EPOCH, open, resolved);
        let page = render("t", &snap);
        assert_eq!(page.matches("<article").count(), MAX_SHOWN + 3);
        assert!(page.contains("id=\"incident-k99\""));
        assert!(!page.contains("id=\"incident-k100\""));
        assert!(
            page.contains("50 more current incidents not shown."),
            "{page}"
        );
        assert!(!page.contains("more resolved"));
    }
}
