use crate::server::AppState;
use crate::server::error::ErrorBody;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the server answers and can store writes; `degraded` when it answers but
    /// cannot store writes (see `writes`).
    status: &'static str,
    /// `ok`, or `unavailable: REASON` (disk full, database read-only, database locked by
    /// another process, database unreachable, database I/O error).
    writes: String,
}

/// Liveness and whether writes can be stored (a small write is committed to find out);
/// needs no token. 503 with Retry-After while writes cannot be stored: reads still work.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta", responses(
    (status = 200, body = Health),
    (status = 503, body = Health, description = "The server answers but cannot store writes",
        headers(("Retry-After" = u64, description = "Seconds before checking again")))))]
pub async fn health(State(st): State<AppState>) -> axum::response::Response {
    match st.backend.write_status().await {
        Ok(()) => Json(Health {
            status: "ok",
            writes: "ok".into(),
        })
        .into_response(),
        Err(down) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, down.retry_after.to_string())],
            Json(Health {
                status: "degraded",
                writes: format!("unavailable: {}", down.reason),
            }),
        )
            .into_response(),
    }
}

/// This document; needs no token.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi(State(st): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        st.openapi.to_string(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct WhoAmI {
    /// The token's name: the actor recorded on the timeline.
    name: String,
    role: crate::domain::Role,
}

/// Who this token is: its name and role. The console uses it to hide what the role may not do.
#[utoipa::path(get, path = "/api/v1/whoami", tag = "meta",
    security(("bearer" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, body = ErrorBody)))]
pub async fn whoami(auth: crate::server::auth::Auth) -> Json<WhoAmI> {
    Json(WhoAmI {
        name: auth.0.name,
        role: auth.0.role,
    })
}
