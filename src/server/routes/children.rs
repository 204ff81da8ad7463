use super::incidents::{parse_list, query_rejection};
use super::paging::{PageParams, parse_limit};
use super::{answer, created, item_list, versioned};
use crate::domain::{
    ActionPatch, ActionStatus, CorrectiveAction, NewAction, NewException, NewNote, NewStatusUpdate,
    RiskException, Role, StatusUpdate, TimelineEntry,
};
use crate::server::AppState;
use crate::server::auth::Auth;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::{IfMatch, JsonBody, idempotency};
use crate::server::store::{ActionKey, ActionQuery};
use axum::Json;
use axum::extract::{Path, Query, State, rejection::QueryRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

item_list!(UpdateList, StatusUpdate, 'u');
item_list!(ActionList, CorrectiveAction, 'a');
item_list!(ExceptionList, RiskException, 'x');

/// Status updates, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/updates", tag = "updates",
    security(("bearer" = [])), params(("id" = String, Path), PageParams),
    responses((status = 200, body = UpdateList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_updates(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<UpdateList>, ApiError> {
    let page = PageParams::slice('u', params)?;
    Ok(Json(UpdateList::from(st.backend.updates(&id, page).await?)))
}

/// Post a status update. A customer update must state impact scope, current status and
/// next steps, and restarts the update cadence.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", tag = "updates", request_body = NewStatusUpdate,
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = StatusUpdate),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody, description = "The stored record cannot be read (`unreadable`, naming it); nothing was changed")))]
pub async fn post_update(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<NewStatusUpdate>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Responder, "posting a status update")?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .post_update(who, &id, &body.value, idem.as_ref())
        .await?;
    Ok(created(out, |_| None))
}

/// Add a note to the incident's timeline (a scribe's record: what happened, optionally
/// when). Appended like every entry; a correction is another note.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notes", tag = "incidents", request_body = NewNote,
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = TimelineEntry),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody, description = "The stored record cannot be read (`unreadable`, naming it); nothing was changed")))]
pub async fn add_note(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<NewNote>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Responder, "adding a note")?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .add_note(who, &id, &body.value, idem.as_ref())
        .await?;
    Ok(created(out, |_| None))
}

/// Corrective actions of one incident, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/actions", tag = "actions",
    security(("bearer" = [])), params(("id" = String, Path), PageParams),
    responses((status = 200, body = ActionList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_incident_actions(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<ActionList>, ApiError> {
    let page = PageParams::slice('a', params)?;
    Ok(Json(ActionList::from(
        st.backend.incident_actions(&id, page).await?,
    )))
}

/// Add a corrective action to an incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/actions", tag = "actions", request_body = NewAction,
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = CorrectiveAction),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody, description = "The stored record cannot be read (`unreadable`, naming it); nothing was changed")))]
pub async fn create_action(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<NewAction>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Responder, "adding a corrective action")?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .create_action(&who.name, &id, &body.value, idem.as_ref())
        .await?;
    Ok(created(out, |a| Some(a.version)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionParams {
    /// Comma-separated statuses, e.g. `open,in_progress`.
    #[param(value_type = Option<Vec<ActionStatus>>, style = Form, explode = false, min_items = 1)]
    status: Option<String>,
    /// `true` for overdue actions only.
    #[param(value_type = Option<bool>)]
    overdue: Option<String>,
    /// Only this owner's actions (case-insensitive).
    owner: Option<String>,
    /// Page size, 1-500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^a[01]\\.[0-9]{4}-[0-9]{2}-[0-9]{2}\\.[0-9a-f]{1,15}$")]
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ActionPage {
    pub items: Vec<CorrectiveAction>,
    /// Stored actions left out of this page because they could not be read (absent when
    /// none); the page is still the requested size counting them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<crate::server::store::UnreadableRow>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

fn encode_action_cursor(k: &ActionKey) -> String {
    format!("a{}.{}.{:x}", k.group, k.due_date, k.num)
}

fn decode_action_cursor(raw: &str) -> Result<ActionKey, ApiError> {
    let bad = || ApiError::invalid("cursor", "cursor is not one this server issued");
    let mut parts = raw.strip_prefix('a').ok_or_else(bad)?.split('.');
    let (Some(group), Some(due), Some(num), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let group = match group {
        "0" => 0,
        "1" => 1,
        _ => return Err(bad()),
    };
    // Compared as text with the stored `YYYY-MM-DD` dates, so only its shape matters.
    let shaped = due.len() == 10
        && due.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(bad());
    }
    let due_date = due.to_string();
    let num = i64::from_str_radix(num, 16)
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(bad)?;
    Ok(ActionKey {
        group,
        due_date,
        num,
    })
}

/// Corrective actions across all incidents, overdue first, then by due date, a page at a
/// time.
#[utoipa::path(get, path = "/api/v1/actions", tag = "actions", params(ActionParams),
    security(("bearer" = [])),
    responses((status = 200, body = ActionPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_actions(
    State(st): State<AppState>,
    _auth: Auth,
    params: Result<Query<ActionParams>, QueryRejection>,
) -> Result<Json<ActionPage>, ApiError> {
    let Query(p) = params.map_err(query_rejection)?;
    let overdue_only = match p.overdue.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "overdue",
                "overdue must be true or false",
            ));
        }
    };
    let q = ActionQuery {
        statuses: parse_list::<ActionStatus>("status", p.status.as_deref())?,
        overdue_only,
        owner: p.owner.filter(|o| !o.trim().is_empty()),
        limit: parse_limit(p.limit.as_deref())?,
        after: p.cursor.as_deref().map(decode_action_cursor).transpose()?,
    };
    let (listed, last) = st.backend.actions(&q).await?;
    Ok(Json(ActionPage {
        items: listed.items,
        unreadable: listed.unreadable,
        next_cursor: last.as_ref().map(encode_action_cursor),
    }))
}

/// One corrective action, with its version as the ETag.
#[utoipa::path(get, path = "/api/v1/actions/{action_id}", tag = "actions",
    security(("bearer" = [])), params(("action_id" = String, Path, description = "e.g. ACT-7")),
    responses((status = 200, body = CorrectiveAction), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The stored record cannot be read (`unreadable`, naming it)")))]
pub async fn get_action(
    State(st): State<AppState>,
    _auth: Auth,
    Path(action_id): Path<String>,
) -> Result<Response, ApiError> {
    let a = st.backend.action(&action_id).await?;
    Ok(versioned(StatusCode::OK, a.version, &a))
}

/// Change a corrective action. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/actions/{action_id}", tag = "actions", request_body = ActionPatch,
    security(("bearer" = [])),
    params(("action_id" = String, Path), ("If-Match" = String, Header, description = "The version the change is based on, e.g. \"3\"", pattern = "^(W/)?\"?[0-9]{1,18}\"?$"),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 200, body = CorrectiveAction),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Reopening an action of a closed incident (`incident_closed`), or the stored record cannot be read (`unreadable`); nothing was changed")))]
pub async fn patch_action(
    State(st): State<AppState>,
    auth: Auth,
    Path(action_id): Path<String>,
    IfMatch(version): IfMatch,
    headers: HeaderMap,
    body: JsonBody<ActionPatch>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Responder, "editing a corrective action")?;
    body.value.validate()?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .patch_action(who, &action_id, version, &body.value, idem.as_ref())
        .await?;
    Ok(answer(StatusCode::OK, out, |a| Some(a.version)))
}

/// Exceptions recorded on an incident, oldest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/exceptions", tag = "exceptions",
    security(("bearer" = [])), params(("id" = String, Path), PageParams),
    responses((status = 200, body = ExceptionList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_exceptions(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Json<ExceptionList>, ApiError> {
    let page = PageParams::slice('x', params)?;
    Ok(Json(ExceptionList::from(
        st.backend.exceptions(&id, page).await?,
    )))
}

/// Record an exception: explicit risk acceptance and a remediation date in the future.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/exceptions", tag = "exceptions", request_body = NewException,
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = RiskException),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody, description = "The stored record cannot be read (`unreadable`, naming it); nothing was changed")))]
pub async fn create_exception(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: JsonBody<NewException>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Commander, "recording an exception")?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .create_exception(&who.name, &id, &body.value, idem.as_ref())
        .await?;
    Ok(created(out, |_| None))
}
