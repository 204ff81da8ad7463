use super::{answer, item_list};
use crate::domain::{AlertmanagerWebhook, Role};
use crate::server::AppState;
use crate::server::auth::Auth;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::{JsonBody, idempotency};
use crate::server::store::{IngestOutcome, SignalRecord};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

item_list!(SignalList, SignalRecord, 's');

/// Prometheus Alertmanager's webhook receiver (payload version 4). A firing group opens an
/// incident in Detection (source `alertmanager`) or attaches to the open incident the same
/// `groupKey` opened; severity comes from the `severity` label. A resolved notification is
/// noted on the timeline and closes nothing.
#[utoipa::path(post, path = "/api/v1/ingest/alertmanager", tag = "ingest", request_body = AlertmanagerWebhook,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays with the same body return the original answer", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 200, description = "What the notification did", body = IngestOutcome),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn alertmanager(
    State(st): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: JsonBody<AlertmanagerWebhook>,
) -> Result<Response, ApiError> {
    let who = auth.require(Role::Responder, "sending alerts")?;
    let signal = body.value.to_signal(&st.alert_severity)?;
    let idem = idempotency(&headers, &body.fingerprint)?;
    let out = st
        .backend
        .ingest_signal(&who.name, &signal, idem.as_ref())
        .await?;
    Ok(answer(StatusCode::OK, out, |_| None))
}

/// The monitoring signals attached to an incident, oldest first, with their alerts' labels
/// and annotations.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/signals", tag = "ingest",
    security(("bearer" = [])), params(("id" = String, Path), super::paging::PageParams),
    responses((status = 200, body = SignalList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn signals(
    State(st): State<AppState>,
    _auth: Auth,
    Path(id): Path<String>,
    params: Result<
        axum::extract::Query<super::paging::PageParams>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Result<Json<SignalList>, ApiError> {
    let page = super::paging::PageParams::slice('s', params)?;
    Ok(Json(SignalList::from(st.backend.signals(&id, page).await?)))
}
