use super::incidents::{parse_list, query_rejection};
use super::{created, item_list, versioned};
use crate::domain::{
    ActionPatch, ActionStatus, CorrectiveAction, NewAction, NewException, NewStatusUpdate,
    RiskException, Role, StatusUpdate,
};
use crate::server::AppState;
use crate::server::auth::Auth;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::{IfMatch, JsonBody, idempotency};
use crate::server::store::ActionQuery;
use axum::Json;
use axum::extract::{Path, Query, State, rejection::QueryRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

item_list!(UpdateList, StatusUpdate);
item_list!(ActionList, CorrectiveAction);
item_list!(ExceptionList, RiskException);

/// Status updates, oldest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/updates", tag = "updates",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = UpdateList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_updates(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<UpdateList>, ApiError> {
    Ok(Json(UpdateList::from(st.store.updates(&id).await?)))
}

/// Post a status update. A customer update must state impact scope, current status and
/// next steps, and restarts the update cadence.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", tag = "updates", request_body = NewStatusUpdate,
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = StatusUpdate),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
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
        .store
        .post_update(&who.name, &id, &body.value, idem.as_ref())
        .await?;
    Ok(created(out, |_| None))
}

/// Corrective actions of one incident, oldest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/actions", tag = "actions",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ActionList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_incident_actions(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ActionList>, ApiError> {
    Ok(Json(ActionList::from(
        st.store.incident_actions(&id).await?,
    )))
}

/// Add a corrective action to an incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/actions", tag = "actions", request_body = NewAction,
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = CorrectiveAction),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
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
        .store
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
}

/// Corrective actions across all incidents, overdue first, then by due date.
#[utoipa::path(get, path = "/api/v1/actions", tag = "actions", params(ActionParams),
    security(("bearer" = [])),
    responses((status = 200, body = ActionList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_actions(
    State(st): State<AppState>,
    _auth: Auth,
    params: Result<Query<ActionParams>, QueryRejection>,
) -> Result<Json<ActionList>, ApiError> {
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
    };
    Ok(Json(ActionList::from(st.store.actions(&q).await?)))
}

/// One corrective action, with its version as the ETag.
#[utoipa::path(get, path = "/api/v1/actions/{action_id}", tag = "actions",
    security(("bearer" = [])), params(("action_id" = String, Path, description = "e.g. ACT-7")),
    responses((status = 200, body = CorrectiveAction), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_action(
    State(st): State<AppState>,
    _auth: Auth,
    Path(action_id): Path<String>,
) -> Result<Response, ApiError> {
    let a = st.store.action(&action_id).await?;
    Ok(versioned(StatusCode::OK, a.version, &a))
}

/// Change a corrective action. Needs `If-Match`.
#[utoipa::path(patch, path = "/api/v1/actions/{action_id}", tag = "actions", request_body = ActionPatch,
    security(("bearer" = [])),
    params(("action_id" = String, Path), ("If-Match" = String, Header, description = "The version the change is based on, e.g. \"3\"", pattern = "^(W/)?\"?[0-9]{1,18}\"?$")),
    responses(
        (status = 200, body = CorrectiveAction),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 412, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub async fn patch_action(
    State(st): State<AppState>,
    auth: Auth,
    Path(action_id): Path<String>,
    IfMatch(version): IfMatch,
    body: JsonBody<ActionPatch>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Responder, "editing a corrective action")?;
    body.value.validate()?;
    let a = st
        .store
        .patch_action(&who.name, &action_id, version, &body.value)
        .await?;
    Ok(versioned(StatusCode::OK, a.version, &a))
}

/// Exceptions recorded on an incident.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/exceptions", tag = "exceptions",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ExceptionList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_exceptions(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<ExceptionList>, ApiError> {
    Ok(Json(ExceptionList::from(st.store.exceptions(&id).await?)))
}

/// Record an exception: explicit risk acceptance and a remediation date in the future.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/exceptions", tag = "exceptions", request_body = NewException,
    security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, body = RiskException),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
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
        .store
        .create_exception(&who.name, &id, &body.value, idem.as_ref())
        .await?;
    Ok(created(out, |_| None))
}
