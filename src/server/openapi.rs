//! The OpenAPI document, generated from the handlers' annotations.
use super::AppState;
use super::error::{ErrorBody, ErrorDetail};
use super::routes::{children, incidents, meta};
use crate::domain::*;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sitrep incident API",
        description = "Incidents by lifecycle phase and severity, status updates, corrective actions, exceptions, an append-only timeline and a live event stream. Errors are `{\"error\":{\"code\",\"message\",\"field\"}}`."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody, ErrorDetail, Severity, Phase, Audience, Deployment, RecoveryOwner, ActionStatus, Priority, Role)),
    tags(
        (name = "incidents"), (name = "updates"), (name = "actions"), (name = "exceptions"),
        (name = "events"), (name = "meta")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(meta::health))
        .routes(routes!(meta::openapi))
        .routes(routes!(
            incidents::list_incidents,
            incidents::create_incident
        ))
        .routes(routes!(incidents::get_incident, incidents::patch_incident))
        .routes(routes!(incidents::timeline))
        .routes(routes!(children::list_updates, children::post_update))
        .routes(routes!(
            children::list_incident_actions,
            children::create_action
        ))
        .routes(routes!(children::list_actions))
        .routes(routes!(children::get_action, children::patch_action))
        .routes(routes!(
            children::list_exceptions,
            children::create_exception
        ))
        .routes(routes!(super::events::events))
}

/// The document as served at /api/v1/openapi.json (and checked in as assets/openapi.json).
pub fn document() -> String {
    routes()
        .into_openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}
