//! What the public may see, and nothing else: the snapshot every status-page format is
//! rendered from. Only this file reads incidents, updates and timelines; it copies out the
//! customer-audience statements and a few derived facts (a public state, an impact level,
//! times), so a field added to an incident later cannot reach the page by accident.
use crate::domain::{Audience, Incident, Phase, Severity, StatusUpdate, TimelineEntry};
use crate::server::backend::IncidentBackend;
use crate::server::error::ApiError;
use crate::server::store::{IncidentQuery, Slice};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far back the "resolved" section reaches.
pub const RESOLVED_WINDOW_DAYS: i64 = 90;
/// Incidents read per phase group at most, newest first: bounds one rebuild on a huge
/// database (older incidents are not looked at).
const MAX_SCANNED: usize = 2000;
/// Rows per page when reading from the backend.
const PAGE: u32 = 200;
/// Pages of one incident's updates or timeline read at most.
const MAX_CHILD_PAGES: usize = 20;
/// Incidents each section of the page shows at most (the rest are counted, not shown): a
/// crowd of readers or a storm of incidents cannot make the page megabytes long.
pub const MAX_SHOWN: usize = 100;

/// The public impact level, in Atlassian Statuspage's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
}

impl Impact {
    fn of(sev: Severity) -> Impact {
        match sev {
            Severity::Sev1 => Impact::Critical,
            Severity::Sev2 => Impact::Major,
            Severity::Sev3 | Severity::Sev4 => Impact::Minor,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    /// The page-wide sentence for the worst open incident.
    pub fn description(self) -> &'static str {
        match self {
            Impact::None => "All Systems Operational",
            Impact::Minor => "Minor Service Outage",
            Impact::Major => "Partial System Outage",
            Impact::Critical => "Major System Outage",
        }
    }
}

/// Where an incident stands, as a customer reads it (Statuspage's incident statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl State {
    fn of(phase: Phase) -> State {
        match phase {
            Phase::Detection | Phase::Triage => State::Investigating,
            Phase::Containment => State::Identified,
            Phase::Communication => State::Monitoring,
            Phase::FollowThrough | Phase::Closed => State::Resolved,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Investigating => "investigating",
            State::Identified => "identified",
            State::Monitoring => "monitoring",
            State::Resolved => "resolved",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            State::Investigating => "Investigating",
            State::Identified => "Identified",
            State::Monitoring => "Monitoring",
            State::Resolved => "Resolved",
        }
    }
}

/// One customer update, as posted.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicUpdate {
    /// Opaque and stable; not the internal update id.
    pub key: String,
    /// The incident's public state when this update was posted.
    pub state: State,
    pub impact_scope: String,
    pub current_status: String,
    pub next_steps: String,
    pub posted_at: DateTime<Utc>,
    pub next_update_due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicIncident {
    /// Opaque and stable; not the internal incident id.
    pub key: String,
    pub state: State,
    pub impact: Impact,
    /// Newest first; never empty (an incident appears with its first customer update).
    pub updates: Vec<PublicUpdate>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// For an open incident: when customers hear next.
    pub next_update_due_at: Option<DateTime<Utc>>,
}

impl PublicIncident {
    /// The headline: the impact scope of the newest update, on one line.
    pub fn name(&self) -> String {
        let scope = &self.updates[0].impact_scope;
        let line = scope.split_whitespace().collect::<Vec<_>>().join(" ");
        match line.char_indices().nth(160) {
            Some((i, _)) => format!("{}…", &line[..i]),
            None => line,
        }
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.updates.last().map(|u| u.posted_at).unwrap_or_default()
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        let posted = self.updates[0].posted_at;
        self.resolved_at.map_or(posted, |r| r.max(posted))
    }
}

/// Everything the page shows at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub built_at: DateTime<Utc>,
    /// Open customer-impacting incidents with at least one customer update, the worst
    /// impact first, then the newest.
    pub open: Vec<PublicIncident>,
    /// Resolved in the last 90 days, most recently resolved first.
    pub resolved: Vec<PublicIncident>,
    /// Open incidents beyond [`MAX_SHOWN`], left off the page (the least severe, oldest).
    pub open_hidden: usize,
    /// Resolved incidents beyond [`MAX_SHOWN`], left off the page (resolved longest ago).
    pub resolved_hidden: usize,
}

impl Snapshot {
    /// The page for these sorted lists: the first [`MAX_SHOWN`] of each, and how many more.
    pub fn bounded(
        built_at: DateTime<Utc>,
        mut open: Vec<PublicIncident>,
        mut resolved: Vec<PublicIncident>,
    ) -> Snapshot {
        let open_hidden = open.len().saturating_sub(MAX_SHOWN);
        let resolved_hidden = resolved.len().saturating_sub(MAX_SHOWN);
        open.truncate(MAX_SHOWN);
        resolved.truncate(MAX_SHOWN);
        Snapshot {
            built_at,
            open,
            resolved,
            open_hidden,
            resolved_hidden,
        }
    }

    /// The worst impact among open incidents.
    pub fn indicator(&self) -> Impact {
        self.open
            .iter()
            .map(|i| i.impact)
            .max()
            .unwrap_or(Impact::None)
    }

    /// When anything on the page last changed.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.open
            .iter()
            .chain(&self.resolved)
            .map(PublicIncident::updated_at)
            .max()
            .unwrap_or(self.built_at)
    }
}

/// Customer text, cleaned as for a terminal (escape sequences, bidi overrides, invisible
/// characters and controls removed or made visible), and without the two noncharacters XML
/// forbids, so the same string is safe in HTML, Atom and JSON.
fn public_text(s: &str) -> String {
    crate::sanitize::clean_text(s)
        .chars()
        .filter(|c| !matches!(c, '\u{fffe}' | '\u{ffff}'))
        .collect()
}

/// A stable, opaque key for an internal record: an HMAC-SHA256, under a secret the public
/// does not have, of its kind, id and creation time. Without the secret nobody can test a
/// guessed id against a key, so incident numbers and counts cannot be read off the page;
/// with the same secret on every server, feed readers see the same key on every build.
pub fn opaque(secret: &[u8; 32], kind: &str, id: &str, at: DateTime<Utc>) -> String {
    let mut h = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any size");
    h.update(kind.as_bytes());
    h.update(&[0]);
    h.update(id.as_bytes());
    h.update(&[0]);
    h.update(at.to_rfc3339().as_bytes());
    hex::encode(&h.finalize().into_bytes()[..8])
}

/// Reads the backend and keeps only what customers are meant to see.
pub async fn collect(
    backend: &dyn IncidentBackend,
    now: DateTime<Utc>,
) -> Result<Snapshot, ApiError> {
    let secret = backend.status_page_secret().await?;
    let secret = &secret;
    let active: Vec<Phase> = Phase::ALL
        .iter()
        .copied()
        .filter(|p| p.is_active())
        .collect();
    let done: Vec<Phase> = Phase::ALL
        .iter()
        .copied()
        .filter(|p| !p.is_active())
        .collect();
    let mut open = Vec::new();
    for inc in incidents(backend, active, None).await? {
        if let Some(p) = public_incident(backend, secret, &inc).await? {
            open.push(p);
        }
    }
    let since = now - Duration::days(RESOLVED_WINDOW_DAYS);
    let mut resolved = Vec::new();
    // Resolved since `since` means changed since then too: the server leaves the older
    // history out, so the page's cost does not grow with years of incidents.
    for inc in incidents(backend, done, Some(since)).await? {
        if let Some(p) = public_incident(backend, secret, &inc).await?
            && p.resolved_at.is_some_and(|r| r >= since)
        {
            resolved.push(p);
        }
    }
    open.sort_by_key(|i| {
        (
            std::cmp::Reverse(i.impact),
            std::cmp::Reverse(i.started_at()),
        )
    });
    resolved.sort_by_key(|i| std::cmp::Reverse(i.resolved_at));
    Ok(Snapshot::bounded(now, open, resolved))
}

/// Customer-impacting incidents in these phases, newest first, up to [`MAX_SCANNED`].
async fn incidents(
    backend: &dyn IncidentBackend,
    phases: Vec<Phase>,
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<Incident>, ApiError> {
    let mut out = Vec::new();
    let mut q = IncidentQuery {
        phases,
        updated_since,
        limit: PAGE,
        ..Default::default()
    };
    let mut scanned = 0;
    loop {
        let (page, next) = backend.list_incidents(&q).await?;
        scanned += page.items.len();
        out.extend(page.items.into_iter().filter(|i| i.customer_impact));
        match next {
            Some(before) if scanned < MAX_SCANNED => q.before = Some(before),
            _ => return Ok(out),
        }
    }
}

async fn public_incident(
    backend: &dyn IncidentBackend,
    secret: &[u8; 32],
    inc: &Incident,
) -> Result<Option<PublicIncident>, ApiError> {
    let updates: Vec<StatusUpdate> = paged(|s| backend.updates(&inc.id, s))
        .await?
        .into_iter()
        .filter(|u| u.audience == Audience::Customer)
        .collect();
    if updates.is_empty() {
        return Ok(None);
    }
    let phases: Vec<(DateTime<Utc>, Phase)> = paged(|s| backend.timeline(&inc.id, s))
        .await?
        .iter()
        .filter_map(phase_change)
        .collect();
    let state_at = |t: DateTime<Utc>| {
        let phase = phases
            .iter()
            .take_while(|(at, _)| *at <= t)
            .last()
            .map_or(Phase::Detection, |(_, p)| *p);
        State::of(phase)
    };
    let state = State::of(inc.phase);
    // An incident created already resolved has no phase change to date it by.
    let resolved_at =
        (state == State::Resolved).then(|| last_resolution(&phases).unwrap_or(inc.updated_at));
    let mut public: Vec<PublicUpdate> = updates
        .iter()
        .map(|u| PublicUpdate {
            key: opaque(secret, "update", &u.id, u.posted_at),
            state: state_at(u.posted_at),
            impact_scope: public_text(&u.impact_scope),
            current_status: public_text(&u.current_status),
            next_steps: public_text(&u.next_steps),
            posted_at: u.posted_at,
            next_update_due_at: u.next_update_due_at,
        })
        .collect();
    public.sort_by_key(|u| std::cmp::Reverse(u.posted_at));
    Ok(Some(PublicIncident {
        key: opaque(secret, "incident", &inc.id, inc.created_at),
        state,
        impact: Impact::of(inc.severity),
        updates: public,
        resolved_at,
        next_update_due_at: (state != State::Resolved)
            .then_some(inc.next_update_due_at)
            .flatten(),
    }))
}

/// When the risk was last declared over: the last move from an active phase into a
/// resolved one (an incident reopened and resolved again counts from the second time).
fn last_resolution(phases: &[(DateTime<Utc>, Phase)]) -> Option<DateTime<Utc>> {
    let mut prev_active = true;
    let mut found = None;
    for (t, p) in phases {
        if prev_active && !p.is_active() {
            found = Some(*t);
        }
        prev_active = p.is_active();
    }
    found
}

fn phase_change(e: &TimelineEntry) -> Option<(DateTime<Utc>, Phase)> {
    if e.kind != "phase_changed" {
        return None;
    }
    let phase = e.new.as_deref()?.parse().ok()?;
    Some((e.at, phase))
}

/// Reads every page of an incident's child list, up to [`MAX_CHILD_PAGES`].
async fn paged<T, F, Fut>(mut read: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(Slice) -> Fut,
    Fut: std::future::Future<Output = Result<crate::server::store::Listed<T>, ApiError>>,
{
    let mut out = Vec::new();
    let mut slice = Slice {
        after: 0,
        limit: 500,
    };
    for _ in 0..MAX_CHILD_PAGES {
        let page = read(slice).await?;
        out.extend(page.items);
        match page.more_after {
            Some(after) => slice.after = after,
            None => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(m: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(m)
    }

    #[test]
    fn resolution_is_the_last_move_out_of_the_active_phases() {
        let phases = [
            (t(1), Phase::Triage),
            (t(2), Phase::FollowThrough),
            (t(3), Phase::Containment),
            (t(4), Phase::FollowThrough),
            (t(5), Phase::Closed),
        ];
        assert_eq!(last_resolution(&phases), Some(t(4)));
        assert_eq!(last_resolution(&phases[..1]), None);
    }

    #[test]
    fn public_text_drops_what_xml_cannot_carry() {
        let out = public_text("a\x1b]52;c;ZXZpbA==\x07b\u{fffe}\u{202e}c\x00");
        assert!(
            !out.contains(['\x1b', '\x07', '\u{fffe}', '\u{202e}', '\x00']),
            "{out:?}"
        );
        assert!(out.starts_with('a'));
    }
}
