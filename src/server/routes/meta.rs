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
    /// Always `ok` when the server answers.
    status: &'static str,
}

/// Liveness; needs no token.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
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
