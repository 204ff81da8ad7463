use super::{
    Cadence, Change, Deployment, DomainError, Phase, RecoveryOwner, Role, Severity, limits,
    optional_text, required_text,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An incident as the API returns it. `update_overdue` and `recovery_owner` are derived;
/// call [`Incident::refresh`] after loading so they reflect the current time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    /// e.g. `INC-42`
    pub id: String,
    pub title: String,
    pub summary: String,
    pub severity: Severity,
    pub phase: Phase,
    pub commander: Option<String>,
    /// Role name (`comms_lead`, `scribe`, `ops_lead`, …) → person.
    pub roles: BTreeMap<String, String>,
    pub customer_impact: bool,
    pub impact_scope: String,
    pub deployment: Deployment,
    pub recovery_owner: RecoveryOwner,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_customer_update_at: Option<DateTime<Utc>>,
    pub next_update_due_at: Option<DateTime<Utc>>,
    pub update_overdue: bool,
    pub version: i64,
}

/// Body of `POST /incidents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_impact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub impact_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<Deployment>,
    /// Where the incident came from (default `manual`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub commander: Option<String>,
}

impl NewIncident {
    pub fn new(title: impl Into<String>, severity: Severity) -> Self {
        Self {
            title: title.into(),
            severity,
            summary: None,
            customer_impact: None,
            impact_scope: None,
            deployment: None,
            source: None,
            commander: None,
        }
    }
}

/// A role assignment in a PATCH: a name sets the role, `null` clears it.
pub type RolePatch = BTreeMap<String, Option<String>>;

/// Body of `PATCH /incidents/{id}`. Absent fields are left alone; `commander: null` clears.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Required with `severity`; optional with `phase`. Recorded on the timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
    /// A name takes command; `null` or blank leaves the incident unassigned.
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub commander: Option<Option<String>>,
    /// Role name (1-32 of a-z, 0-9, _) → person (up to 100 characters); `null` clears the
    /// role. At most 16 named roles per incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>)]
    pub roles: Option<RolePatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10000)]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_impact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub impact_scope: Option<String>,
}

/// Distinguishes an absent field (None) from an explicit `null` (Some(None)).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// What the store knows about an incident's history and children, for the rules on leaving a
/// phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseContext {
    pub has_customer_update: bool,
    /// Customer impact was on at some point before now (the timeline holds a change of it),
    /// even if it is off at the moment: the customer-update rule looks at this too, so the
    /// order in which single fields are changed cannot switch the rule off.
    pub was_customer_impacting: bool,
    pub open_actions: u32,
    /// An exception whose remediation date is still in the future.
    pub has_live_exception: bool,
}

impl IncidentPatch {
    pub fn is_empty(&self) -> bool {
        self.severity.is_none()
            && self.phase.is_none()
            && self.commander.is_none()
            && self.roles.is_none()
            && self.title.is_none()
            && self.summary.is_none()
            && self.customer_impact.is_none()
            && self.impact_scope.is_none()
    }

    /// Checks the fields on their own, before any state is looked at: blank or overlong
    /// text, bad role names, a severity change without a reason, a patch with nothing in it.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.is_empty() {
            return Err(DomainError::invalid("body", "the patch changes nothing"));
        }
        let reason = match &self.reason {
            Some(r) => optional_text("reason", r, limits::REASON)?,
            None => String::new(),
        };
        if self.severity.is_some() && reason.is_empty() {
            return Err(DomainError::invalid(
                "reason",
                "a severity change needs a reason",
            ));
        }
        if let Some(t) = &self.title {
            required_text("title", t, limits::TITLE)?;
        }
        if let Some(t) = &self.summary {
            optional_text("summary", t, limits::LONG_TEXT)?;
        }
        if let Some(t) = &self.impact_scope {
            optional_text("impact_scope", t, limits::SHORT_TEXT)?;
        }
        if let Some(Some(c)) = &self.commander {
            optional_text("commander", c, limits::NAME)?;
        }
        if let Some(roles) = &self.roles
            && roles.len() > limits::ROLES
        {
            return Err(DomainError::invalid(
                "roles",
                format!(
                    "roles names {} roles; an incident has at most {}",
                    roles.len(),
                    limits::ROLES
                ),
            ));
        }
        for (role, person) in self.roles.iter().flatten() {
            valid_role_key(role)?;
            if let Some(p) = person {
                optional_text("roles", p, limits::NAME)?;
            }
        }
        Ok(())
    }

    /// The least role allowed to make this change to `current`, and the field that needs
    /// it. It depends on the incident's state (reopening a closed incident, turning customer
    /// impact off), so the store decides it on the row it is about to change, inside the
    /// write transaction: a decision made on an earlier read could be overtaken by a
    /// commander's change landing in between.
    pub fn required_role(&self, current: &Incident) -> (Role, &'static str) {
        let least = self.least_role();
        if least.0 == Role::Commander {
            return least;
        }
        // A closed incident is the record of what happened: correcting it (or reopening
        // it) is the commander's call.
        if current.phase == Phase::Closed {
            return (Role::Commander, least.1);
        }
        // Reopening a closed incident is the commander's call.
        if let Some(to) = self.phase
            && to != current.phase
            && (to == Phase::Closed || current.phase == Phase::Closed)
        {
            return (Role::Commander, "phase");
        }
        // Saying customers are no longer affected stops the customer-update clock: the
        // commander's call, with a reason on the timeline.
        if self.customer_impact == Some(false) && current.customer_impact {
            return (Role::Commander, "customer_impact");
        }
        least
    }

    /// The role this change needs whatever the incident's state: a first check that can
    /// refuse before any transaction is opened. [`IncidentPatch::required_role`] has the
    /// last word.
    pub fn least_role(&self) -> (Role, &'static str) {
        if self.severity.is_some() {
            return (Role::Commander, "severity");
        }
        if self.commander.is_some() {
            return (Role::Commander, "commander");
        }
        if self.roles.is_some() {
            return (Role::Commander, "roles");
        }
        if self.phase == Some(Phase::Closed) {
            return (Role::Commander, "phase");
        }
        let field = if self.phase.is_some() {
            "phase"
        } else if self.customer_impact.is_some() {
            "customer_impact"
        } else if self.title.is_some() {
            "title"
        } else if self.summary.is_some() {
            "summary"
        } else {
            "impact_scope"
        };
        (Role::Responder, field)
    }

    /// Refuses (403, naming the field) a change `role` may not make to `current`.
    pub fn authorize(
        &self,
        current: &Incident,
        actor: &str,
        role: Role,
    ) -> Result<(), DomainError> {
        let (needed, field) = self.required_role(current);
        if role >= needed {
            return Ok(());
        }
        Err(DomainError::forbidden(
            field,
            format!(
                "changing {field} of {} ({}) needs the {needed} role; this token ({actor}) is a {role}",
                current.id,
                current.phase.title()
            ),
        ))
    }
}

fn valid_name(field: &str, value: &str) -> Result<String, DomainError> {
    required_text(field, value, limits::NAME)
}

fn valid_role_key(key: &str) -> Result<(), DomainError> {
    let ok = !key.is_empty()
        && key.len() <= limits::ROLE_KEY
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "roles",
            format!("role name {key:?} must be 1-32 characters of a-z, 0-9 and _"),
        ))
    }
}

impl Incident {
    /// Refuses (403) `what` (a status update, a note) on a closed incident unless `role` is
    /// the commander's: a closed incident is the record of what happened, and adding to it
    /// is a correction only a commander makes (or they reopen it first).
    pub fn authorize_addition(
        &self,
        actor: &str,
        role: Role,
        what: &str,
    ) -> Result<(), DomainError> {
        if self.phase != Phase::Closed || role >= Role::Commander {
            return Ok(());
        }
        Err(DomainError::forbidden(
            "phase",
            format!(
                "{} is closed: {what} needs the commander role (a commander can also reopen it); this token ({actor}) is a {role}",
                self.id
            ),
        ))
    }

    /// Refuses (409) giving a closed incident an open corrective action, by anyone:
    /// closing requires every action finished, cancelled or covered by an exception, and
    /// that must stay true after the close. Reopen the incident first.
    pub fn refuse_open_action_if_closed(&self, field: &str, what: &str) -> Result<(), DomainError> {
        if self.phase != Phase::Closed {
            return Ok(());
        }
        Err(DomainError::conflict(
            "incident_closed",
            field,
            format!(
                "{} is closed: reopen it before {what} (closing needs every corrective action finished, cancelled or covered by an exception)",
                self.id
            ),
        ))
    }

    /// Builds a new incident in Detection from a validated request. `id` and `version` are
    /// assigned by the store.
    pub fn create(
        req: &NewIncident,
        id: String,
        now: DateTime<Utc>,
        cadence: &Cadence,
    ) -> Result<Incident, DomainError> {
        let deployment = req.deployment.unwrap_or(Deployment::Hosted);
        let customer_impact = req.customer_impact.unwrap_or(false);
        let commander = match &req.commander {
            Some(c) if !c.trim().is_empty() => Some(valid_name("commander", c)?),
            _ => None,
        };
        let mut inc = Incident {
            id,
            title: required_text("title", &req.title, limits::TITLE)?,
            summary: optional_text(
                "summary",
                req.summary.as_deref().unwrap_or(""),
                limits::LONG_TEXT,
            )?,
            severity: req.severity,
            phase: Phase::Detection,
            commander,
            roles: BTreeMap::new(),
            customer_impact,
            impact_scope: optional_text(
                "impact_scope",
                req.impact_scope.as_deref().unwrap_or(""),
                limits::SHORT_TEXT,
            )?,
            deployment,
            recovery_owner: deployment.recovery_owner(),
            source: optional_text(
                "source",
                req.source.as_deref().unwrap_or("manual"),
                limits::NAME,
            )?,
            created_at: now,
            updated_at: now,
            last_customer_update_at: None,
            // A customer-impacting incident owes its first update on the severity's cadence.
            next_update_due_at: None,
            update_overdue: false,
            version: 1,
        };
        if inc.source.is_empty() {
            inc.source = "manual".into();
        }
        if customer_impact {
            inc.next_update_due_at = cadence.interval(inc.severity).map(|d| now + d);
        }
        inc.refresh(now);
        Ok(inc)
    }

    /// Recomputes the fields derived from other fields and the current time.
    pub fn refresh(&mut self, now: DateTime<Utc>) {
        self.recovery_owner = self.deployment.recovery_owner();
        self.update_overdue = self.customer_impact
            && self.phase.is_active()
            && self.next_update_due_at.is_some_and(|due| due < now);
    }

    /// Applies a PATCH, returning the new state and one timeline change per field that
    /// actually changed. Refuses the whole patch if any part is invalid.
    pub fn apply(
        &self,
        patch: &IncidentPatch,
        ctx: CloseContext,
        now: DateTime<Utc>,
        cadence: &Cadence,
    ) -> Result<(Incident, Vec<Change>), DomainError> {
        patch.validate()?;
        let reason = match &patch.reason {
            Some(r) => Some(optional_text("reason", r, limits::REASON)?).filter(|r| !r.is_empty()),
            None => None,
        };
        let mut next = self.clone();
        let mut changes = Vec::new();

        if let Some(title) = &patch.title {
            next.title = required_text("title", title, limits::TITLE)?;
            push_change(
                &mut changes,
                "title_changed",
                "title",
                &self.title,
                &next.title,
                None,
            );
        }
        if let Some(summary) = &patch.summary {
            next.summary = optional_text("summary", summary, limits::LONG_TEXT)?;
            push_change(
                &mut changes,
                "summary_changed",
                "summary",
                &self.summary,
                &next.summary,
                None,
            );
        }
        if let Some(scope) = &patch.impact_scope {
            next.impact_scope = optional_text("impact_scope", scope, limits::SHORT_TEXT)?;
            push_change(
                &mut changes,
                "impact_scope_changed",
                "impact_scope",
                &self.impact_scope,
                &next.impact_scope,
                None,
            );
        }
        if let Some(impact) = patch.customer_impact {
            if self.customer_impact && !impact && reason.is_none() {
                return Err(DomainError::invalid(
                    "reason",
                    "turning customer impact off needs a reason",
                ));
            }
            next.customer_impact = impact;
            if impact && !self.customer_impact && next.next_update_due_at.is_none() {
                next.next_update_due_at = cadence.interval(next.severity).map(|d| now + d);
            }
            push_change(
                &mut changes,
                "customer_impact_changed",
                "customer_impact",
                &self.customer_impact.to_string(),
                &impact.to_string(),
                reason.clone().filter(|_| !impact),
            );
        }
        if let Some(severity) = patch.severity {
            let Some(reason) = reason.clone() else {
                return Err(DomainError::invalid(
                    "reason",
                    "a severity change needs a reason",
                ));
            };
            next.severity = severity;
            if severity != self.severity {
                // A more urgent cadence pulls the next update forward; a slower one never
                // pushes back an update already promised.
                if let Some(interval) = cadence.interval(severity)
                    && next.customer_impact
                {
                    let base = self
                        .last_customer_update_at
                        .unwrap_or(now)
                        .max(self.created_at);
                    let candidate = base + interval;
                    next.next_update_due_at = Some(
                        next.next_update_due_at
                            .map_or(candidate, |d| d.min(candidate)),
                    );
                }
                changes.push(Change::field(
                    "severity_changed",
                    "severity",
                    self.severity.as_str(),
                    severity.as_str(),
                    Some(reason),
                ));
            }
        }
        if let Some(commander) = &patch.commander {
            next.commander = match commander {
                Some(c) if !c.trim().is_empty() => Some(valid_name("commander", c)?),
                _ => None,
            };
            if next.commander != self.commander {
                changes.push(Change::field(
                    "commander_changed",
                    "commander",
                    self.commander.as_deref().unwrap_or(""),
                    next.commander.as_deref().unwrap_or(""),
                    None,
                ));
            }
        }
        if let Some(roles) = &patch.roles {
            for (role, person) in roles {
                valid_role_key(role)?;
                let old = self.roles.get(role).cloned().unwrap_or_default();
                match person {
                    Some(p) if !p.trim().is_empty() => {
                        next.roles.insert(role.clone(), valid_name("roles", p)?);
                    }
                    _ => {
                        next.roles.remove(role);
                    }
                }
                let new = next.roles.get(role).cloned().unwrap_or_default();
                if old != new {
                    let mut c = Change::field("role_assigned", role, &old, &new, None);
                    c.field = Some(format!("roles.{role}"));
                    changes.push(c);
                }
            }
        }
        if next.roles.len() > limits::ROLES {
            return Err(DomainError::invalid(
                "roles",
                format!("an incident has at most {} named roles", limits::ROLES),
            ));
        }
        if let Some(phase) = patch.phase
            && phase != self.phase
        {
            customer_update_rule(self, next.customer_impact, phase, ctx, "phase")?;
            check_phase_move(&next, phase, ctx)?;
            next.phase = phase;
            changes.push(Change::field(
                "phase_changed",
                "phase",
                self.phase.as_str(),
                phase.as_str(),
                reason.clone(),
            ));
        }
        if next.customer_impact && !self.customer_impact && next.phase == self.phase {
            customer_update_rule(self, true, next.phase, ctx, "customer_impact")?;
        }
        if changes.is_empty() {
            return Ok((self.clone(), changes));
        }
        next.updated_at = now;
        next.version = self.version + 1;
        next.refresh(now);
        Ok((next, changes))
    }
}

fn push_change(
    changes: &mut Vec<Change>,
    kind: &str,
    field: &str,
    old: &str,
    new: &str,
    reason: Option<String>,
) {
    if old != new {
        changes.push(Change::field(kind, field, old, new, reason));
    }
}

/// The communication baseline: an incident that is, or at any time was, customer-impacting
/// is outside the active phases (follow-through, closed) only once a customer update has
/// been posted. Looking at the history, not just the current flag, makes the rule hold
/// whatever order single fields are changed in: turning impact off, moving on and turning
/// it back on is refused at the move, and so is marking a follow-through incident
/// customer-impacting before customers were told.
fn customer_update_rule(
    before: &Incident,
    impact_after: bool,
    phase_after: Phase,
    ctx: CloseContext,
    field: &str,
) -> Result<(), DomainError> {
    let impacting = impact_after || before.customer_impact || ctx.was_customer_impacting;
    if !impacting || phase_after.is_active() || ctx.has_customer_update {
        return Ok(());
    }
    let message = if field == "phase" {
        format!(
            "{} is or was customer-impacting: post a customer update (impact scope, current status, next steps) before moving it to {}",
            before.id,
            phase_after.title()
        )
    } else {
        format!(
            "{} is in {}: post a customer update (impact scope, current status, next steps) before marking it customer-impacting",
            before.id,
            phase_after.title()
        )
    };
    Err(DomainError::conflict(
        "customer_update_required",
        field,
        message,
    ))
}

/// The follow-through requirement on closing.
fn check_phase_move(inc: &Incident, to: Phase, ctx: CloseContext) -> Result<(), DomainError> {
    if to == Phase::Closed && ctx.open_actions > 0 && !ctx.has_live_exception {
        return Err(DomainError::conflict(
            "open_corrective_actions",
            "phase",
            format!(
                "{} has {} open corrective action{}: finish or cancel them, or record an exception with risk acceptance and a remediation date",
                inc.id,
                ctx.open_actions,
                if ctx.open_actions == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn incident(customer_impact: bool) -> Incident {
        let req = NewIncident {
            customer_impact: Some(customer_impact),
            ..NewIncident::new("  Checkout errors  ", Severity::Sev2)
        };
        Incident::create(&req, "INC-1".into(), t0(), &Cadence::default()).unwrap()
    }

    #[test]
    fn create_trims_and_starts_in_detection_with_first_update_due() {
        let inc = incident(true);
        assert_eq!(inc.title, "Checkout errors");
        assert_eq!(inc.phase, Phase::Detection);
        assert_eq!(
            inc.next_update_due_at,
            Some(t0() + chrono::Duration::minutes(60))
        );
        assert_eq!(inc.recovery_owner, RecoveryOwner::Vendor);
        assert!(incident(false).next_update_due_at.is_none());
    }

    #[test]
    fn empty_title_is_refused_naming_the_field() {
        let req = NewIncident::new("  ", Severity::Sev1);
        let err = Incident::create(&req, "INC-1".into(), t0(), &Cadence::default()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("title"));
    }

    #[test]
    fn severity_change_needs_a_reason() {
        let inc = incident(false);
        let patch = IncidentPatch {
            severity: Some(Severity::Sev1),
            ..Default::default()
        };
        let err = inc
            .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("reason"));
        let patch = IncidentPatch {
            severity: Some(Severity::Sev1),
            reason: Some("checkout down in EU".into()),
            ..Default::default()
        };
        let (next, changes) = inc
            .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
            .unwrap();
        assert_eq!(next.severity, Severity::Sev1);
        assert_eq!(next.version, 2);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].reason.as_deref(), Some("checkout down in EU"));
    }

    #[test]
    fn upgrade_pulls_the_next_update_forward() {
        let inc = incident(true);
        let patch = IncidentPatch {
            severity: Some(Severity::Sev1),
            reason: Some("worse".into()),
            ..Default::default()
        };
        let (next, _) = inc
            .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
            .unwrap();
        assert_eq!(
            next.next_update_due_at,
            Some(t0() + chrono::Duration::minutes(30))
        );
    }

    #[test]
    fn customer_impacting_incident_cannot_leave_before_a_customer_update() {
        let inc = incident(true);
        let patch = IncidentPatch {
            phase: Some(Phase::FollowThrough),
            ..Default::default()
        };
        let err = inc
            .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
            .unwrap_err();
        assert_eq!(err.code, "customer_update_required");
        let ctx = CloseContext {
            has_customer_update: true,
            ..Default::default()
        };
        assert!(inc.apply(&patch, ctx, t0(), &Cadence::default()).is_ok());
    }

    #[test]
    fn closing_with_open_actions_needs_a_live_exception() {
        let inc = incident(false);
        let patch = IncidentPatch {
            phase: Some(Phase::Closed),
            ..Default::default()
        };
        let ctx = CloseContext {
            open_actions: 2,
            ..Default::default()
        };
        let err = inc
            .apply(&patch, ctx, t0(), &Cadence::default())
            .unwrap_err();
        assert_eq!(err.code, "open_corrective_actions");
        assert!(err.message.contains("2 open corrective actions"));
        let ctx = CloseContext {
            open_actions: 2,
            has_live_exception: true,
            ..Default::default()
        };
        assert!(inc.apply(&patch, ctx, t0(), &Cadence::default()).is_ok());
    }

    #[test]
    fn overdue_only_while_active_and_customer_impacting() {
        let mut inc = incident(true);
        inc.refresh(t0() + chrono::Duration::minutes(61));
        assert!(inc.update_overdue);
        inc.phase = Phase::FollowThrough;
        inc.refresh(t0() + chrono::Duration::minutes(61));
        assert!(!inc.update_overdue);
    }

    #[test]
    fn roles_merge_and_clear() {
        let inc = incident(false);
        let mut roles = RolePatch::new();
        roles.insert("scribe".into(), Some("ana".into()));
        let patch = IncidentPatch {
            roles: Some(roles),
            ..Default::default()
        };
        let (next, changes) = inc
            .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
            .unwrap();
        assert_eq!(next.roles.get("scribe").map(String::as_str), Some("ana"));
        assert_eq!(changes[0].field.as_deref(), Some("roles.scribe"));
        let mut roles = RolePatch::new();
        roles.insert("scribe".into(), None);
        let patch = IncidentPatch {
            roles: Some(roles),
            ..Default::default()
        };
        let (cleared, _) = next
            .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
            .unwrap();
        assert!(cleared.roles.is_empty());
    }

    #[test]
    fn closing_is_for_commanders() {
        let patch = IncidentPatch {
            phase: Some(Phase::Closed),
            ..Default::default()
        };
        let mut inc = incident(false);
        inc.phase = Phase::FollowThrough;
        assert_eq!(patch.required_role(&inc).0, Role::Commander);
        let patch = IncidentPatch {
            phase: Some(Phase::Triage),
            ..Default::default()
        };
        inc.phase = Phase::Detection;
        assert_eq!(patch.required_role(&inc).0, Role::Responder);
        inc.phase = Phase::Closed;
        assert_eq!(patch.required_role(&inc).0, Role::Commander);
        let err = patch.authorize(&inc, "rex", Role::Responder).unwrap_err();
        assert_eq!(err.kind, crate::domain::ErrorKind::Forbidden);
        assert_eq!(err.field.as_deref(), Some("phase"));
        assert!(patch.authorize(&inc, "cora", Role::Commander).is_ok());
    }

    #[test]
    fn turning_customer_impact_off_is_the_commanders_call_with_a_reason() {
        let inc = incident(true);
        let off = IncidentPatch {
            customer_impact: Some(false),
            ..Default::default()
        };
        assert_eq!(
            off.required_role(&inc),
            (Role::Commander, "customer_impact")
        );
        // Off on an incident where it is already off changes nothing: no commander needed.
        assert_eq!(off.required_role(&incident(false)).0, Role::Responder);
        let err = inc
            .apply(&off, CloseContext::default(), t0(), &Cadence::default())
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("reason"));
        let off = IncidentPatch {
            reason: Some("only internal tooling affected".into()),
            ..off
        };
        let (next, changes) = inc
            .apply(&off, CloseContext::default(), t0(), &Cadence::default())
            .unwrap();
        assert!(!next.customer_impact);
        assert_eq!(
            changes[0].reason.as_deref(),
            Some("only internal tooling affected")
        );
    }

    /// Every order of the single-field changes "impact off", "move to follow-through",
    /// "impact on" is refused before a customer-impacting incident leaves the active phases
    /// without a customer update.
    #[test]
    fn the_customer_update_rule_holds_in_any_field_order() {
        let off = IncidentPatch {
            customer_impact: Some(false),
            reason: Some("not customer facing".into()),
            ..Default::default()
        };
        let on = IncidentPatch {
            customer_impact: Some(true),
            ..Default::default()
        };
        let leave = IncidentPatch {
            phase: Some(Phase::FollowThrough),
            ..Default::default()
        };
        let orders: [[&IncidentPatch; 3]; 6] = [
            [&off, &leave, &on],
            [&off, &on, &leave],
            [&leave, &off, &on],
            [&leave, &on, &off],
            [&on, &off, &leave],
            [&on, &leave, &off],
        ];
        for start_impacting in [true, false] {
            for order in &orders {
                let mut inc = incident(start_impacting);
                let mut was = start_impacting;
                for patch in order {
                    let ctx = CloseContext {
                        was_customer_impacting: was,
                        ..Default::default()
                    };
                    if let Ok((next, _)) = inc.apply(patch, ctx, t0(), &Cadence::default()) {
                        was |= next.customer_impact;
                        inc = next;
                    }
                    assert!(
                        inc.phase.is_active() || !was,
                        "left the active phases after being customer-impacting with no customer update: start {start_impacting}, order {order:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn roles_are_capped() {
        let roles: RolePatch = (0..=limits::ROLES)
            .map(|i| (format!("role_{i}"), Some("ana".to_string())))
            .collect();
        let patch = IncidentPatch {
            roles: Some(roles),
            ..Default::default()
        };
        assert_eq!(
            patch.validate().unwrap_err().field.as_deref(),
            Some("roles")
        );
        // Many small patches cannot grow the map past the cap either.
        let mut inc = incident(false);
        for i in 0..limits::ROLES {
            let mut r = RolePatch::new();
            r.insert(format!("role_{i}"), Some("ana".into()));
            let patch = IncidentPatch {
                roles: Some(r),
                ..Default::default()
            };
            inc = inc
                .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
                .unwrap()
                .0;
        }
        let mut r = RolePatch::new();
        r.insert("one_more".into(), Some("bo".into()));
        let patch = IncidentPatch {
            roles: Some(r),
            ..Default::default()
        };
        let err = inc
            .apply(&patch, CloseContext::default(), t0(), &Cadence::default())
            .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("roles"));
    }

    #[test]
    fn invisible_titles_are_refused() {
        for title in [
            "\u{200b}\u{200b}",
            "\u{2060}\u{feff}",
            "\u{e0041}",
            "\x1b[2J",
            "\u{202e}\u{202d}",
            "\u{200e}\u{200f}",
            "\u{2066}\u{2069}",
            "\u{061c}",
            "\u{034f}\u{0301}",
            "\u{0301}\u{0301}",
            "\u{2800}",
            "\u{3164}",
        ] {
            let req = NewIncident::new(title, Severity::Sev2);
            let err =
                Incident::create(&req, "INC-1".into(), t0(), &Cadence::default()).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("title"), "{title:?}");
        }
        for title in ["a\u{200b}b", "\u{202e}abc", "é", "!", "🔥", "日本"] {
            let req = NewIncident::new(title, Severity::Sev2);
            assert!(
                Incident::create(&req, "INC-1".into(), t0(), &Cadence::default()).is_ok(),
                "{title:?}"
            );
        }
    }
}
