//! The audit trail of administration, for commanders: who created and revoked tokens,
//! changed roles, webhooks or the configuration, and when.
use super::incidents::query_rejection;
use super::paging::{decode_cursor_of, parse_limit};
use crate::domain::Role;
use crate::server::AppState;
use crate::server::auth::Auth;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::store::Slice;
use crate::server::store::audit::AdminEvent;
use axum::Json;
use axum::extract::{Query, State, rejection::QueryRejection};
use serde::Deserialize;
use utoipa::IntoParams;

super::item_list!(AuditList, AdminEvent, 'g');

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Page size, 1-500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^g(0|[1-9a-f][0-9a-f]{0,14})$")]
    cursor: Option<String>,
}

/// The audit trail of administration, oldest first, a page at a time (commanders only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = AuditList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 501, body = ErrorBody)))]
pub async fn list_audit(
    State(st): State<AppState>,
    auth: Auth,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditList>, ApiError> {
    auth.require(Role::Commander, "reading the audit trail")?;
    let Query(p) = params.map_err(query_rejection)?;
    let page = Slice {
        limit: parse_limit(p.limit.as_deref())?,
        after: p
            .cursor
            .as_deref()
            .map(|c| decode_cursor_of('g', c))
            .transpose()?
            .unwrap_or(0),
    };
    Ok(Json(AuditList::from(st.backend.admin_events(page).await?)))
}
