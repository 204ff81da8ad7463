use super::paging::{PageParams, decode_cursor, encode_cursor, parse_limit};
use super::{answer, created, item_list, versioned};
use crate::domain::{Incident, IncidentPatch, NewIncident, Phase, Role, Severity, TimelineEntry};
use crate::server::AppState;
use crate::server::auth::Auth;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::{IfMatch, JsonBody, idempotency};
use crate::server::store::IncidentQuery;
use axum::Json;
use axum::extract::{Path, Query, State, rejection::QueryRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct IncidentPage {
    pub items: Vec<Incident>,
    /// Stored incidents left out of this page because they could not be read (absent when
    /// none); the page is still the requested size counting them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<crate::server::store::UnreadableRow>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

item_list!(TimelineList, TimelineEntry, 't');

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated phases, e.g. `detection,triage`.
    #[param(value_type = Option<Vec<Phase>>, style = Form, explode = false, min_items = 1)]
    phase: Option<String>,
    /// Comma-separated severities, e.g. `SEV1,SEV2`.
    #[param(value_type = Option<Vec<Severity>>, style = Form, explode = false, min_items = 1)]
    severity: Option<String>,
    /// `true`: every phase but closed; `false`: closed only.
    #[param(value_type = Option<bool>)]
    open: Option<String>,
    /// Closed incidents whose last change (the close) is at or after this RFC 3339 time,
    /// e.g. `2026-11-30T08:00:00Z`; open incidents are left out.
    #[param(value_type = Option<String>, format = DateTime)]
    closed_since: Option<String>,
    /// Incidents changed at or after this RFC 3339 time, in any phase: what a client that
    /// knew the list at that time needs to catch up.
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
    /// `true`: incidents with at least one open or in-progress corrective action (however
    /// long ago they closed); `false`: incidents without one.
    #[param(value_type = Option<bool>)]
    open_actions: Option<String>,
    /// Words (separated by spaces) each of which the id, title, commander or impact scope
    /// contains, case-insensitive.
    /// Blank is refused (400), so the schema says "something besides spaces".
    #[param(min_length = 1, max_length = 200, pattern = "\\S")]
    q: Option<String>,
    /// Page size, 1-500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^n(0|[1-9a-f][0-9a-f]{0,14})$")]
    cursor: Option<String>,
}

/// An RFC 3339 time in the query, refused with 400 naming `field`.
fn parse_time(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                ApiError::bad_request(
                    "invalid_filter",
                    Some(field),
                    format!("{field} must be an RFC 3339 time such as 2026-11-30T08:00:00Z: {e}"),
                )
            })
    })
    .transpose()
}

fn parse_bool(field: &str, raw: Option<&str>) -> Result<Option<bool>, ApiError> {
    raw.map(|r| match r {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_request(
            "invalid_filter",
            Some(field),
            format!("{field} must be true or false"),
        )),
    })
    .transpose()
}

/// The `q` text, lowercased; at most 200 characters, and present means non-blank.
fn parse_text(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|r| {
        let t = r.trim();
        if t.is_empty() || t.chars().count() > 200 {
            Err(ApiError::bad_request(
                "invalid_filter",
                Some("q"),
                "q must be 1 to 200 characters of text",
            ))
        } else {
            Ok(t.to_lowercase())
        }
    })
    .transpose()
}

/// Parses a comma-separated list of enum values, naming the parameter on error.
pub fn parse_list<T: std::str::FromStr<Err = String>>(
    field: &str,
    raw: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    // Present means "filter by these": `?phase=` or an empty item (`?status=open,,done`) is
    // a mistake worth saying, not a silent "no filter".
    raw.into_iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .map(|s| {
            s.parse::<T>()
                .map_err(|e| ApiError::invalid(field, format!("{field}: {e}")))
        })
        .collect()
}

impl From<crate::domain::DomainError> for ApiError {
    fn from(e: crate::domain::DomainError) -> Self {
        crate::server::store::StoreError::Domain(e).into()
    }
}

pub fn query_rejection(rej: QueryRejection) -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        None,
        format!("the query string could not be read: {rej}"),
    )
}

/// List incidents, newest first. The filters combine (AND): a console loads `open=true`,
/// `closed_since=<a day ago>` and `open=false&open_actions=true`, then older closed
/// incidents a page at a time.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of incidents", body = IncidentPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_incidents(
    State(st): State<AppState>,
    _auth: Auth,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<IncidentPage>, ApiError> {
    let Query(p) = params.map_err(query_rejection)?;
    let limit = parse_limit(p.limit.as_deref())?;
    let q = IncidentQuery {
        phases: parse_list::<Phase>("phase", p.phase.as_deref())?,
        severities: parse_list::<Severity>("severity", p.severity.as_deref())?,
        open: parse_bool("open", p.open.as_deref())?,
        open_actions: parse_bool("open_actions", p.open_actions.as_deref())?,
        closed_since: parse_time("closed_since", p.closed_since.as_deref())?,
        updated_since: parse_time("updated_since", p.updated_since.as_deref())?,
        text: parse_text(p.q.as_deref())?,
        limit,
        before: p.cursor.as_deref().map(decode_cursor).transpose()?,
    };
    let (listed, last) = st.backend.list_incidents(&q).await?;
    Ok(Json(IncidentPage {
        items: listed.items,
        unreadable: listed.unreadable,
        next_cursor: last.map(encode_cursor),
    }))
}

/// Declare an incident. It starts in Detection.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = NewIncident,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, description = "Created", body = Incident),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_incident(
    State(st): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: JsonBody<NewIncident>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Responder, "declaring an incident")?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .create_incident(&who.name, &body.value, idem.as_ref())
        .await?;
    Ok(created(out, |i| Some(i.version)))
}

/// One incident, with its version as the ETag.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "e.g. INC-42")),
    responses((status = 200, body = Incident), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "The stored record cannot be read (`unreadable`, naming it); nothing was changed")))]
pub async fn get_incident(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let inc = st.backend.incident(&id).await?;
    Ok(versioned(StatusCode::OK, inc.version, &inc))
}

/// Change an incident. Needs `If-Match` with the version the change is based on.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents", request_body = IncidentPatch,
    security(("bearer" = [])),
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The version the change is based on, e.g. \"3\"", pattern = "^(W/)?\"?[0-9]{1,18}\"?$"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 200, body = Incident),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 412, description = "Stale version; `current` holds the incident", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub async fn patch_incident(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    headers: HeaderMap,
    body: JsonBody<IncidentPatch>,
) -> Result<Response, ApiError> {
    let patch = &body.value;
    // What a change needs can depend on the incident as it is when the change is applied
    // (reopening, turning customer impact off), so the store has the last word, inside its
    // transaction; this refuses early what no state would allow.
    let (least, field) = patch.least_role();
    let who = auth
        .require(least, &format!("changing {field}"))
        .map_err(|e| e.field(field))?;
    // Refuse a malformed patch before looking at versions: the client fixes one thing at a time.
    patch.validate()?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .patch_incident(who, &id, version, patch, idem.as_ref())
        .await?;
    Ok(answer(StatusCode::OK, out, |i| Some(i.version)))
}

/// The incident's timeline, oldest first, a page at a time. Append-only: no endpoint
/// changes it.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "incidents",
    security(("bearer" = [])),
    params(("id" = String, Path), PageParams),
    responses((status = 200, body = TimelineList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn timeline(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<TimelineList>, ApiError> {
    let page = PageParams::slice('t', params)?;
    Ok(Json(TimelineList::from(
        st.backend.timeline(&id, page).await?,
    )))
}
