//! The OpenAPI document, generated from the handlers' annotations.
use super::AppState;
use super::error::{ErrorBody, ErrorDetail};
use super::routes::{audit, children, incidents, ingest, meta};
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
        (name = "events"), (name = "ingest"), (name = "meta"), (name = "webhooks"), (name = "audit")
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
        .routes(routes!(meta::whoami))
        .routes(routes!(super::metrics::routes::metrics))
        .routes(routes!(
            incidents::list_incidents,
            incidents::create_incident
        ))
        .routes(routes!(incidents::get_incident, incidents::patch_incident))
        .routes(routes!(incidents::timeline))
        .routes(routes!(children::add_note))
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
        .routes(routes!(ingest::alertmanager))
        .routes(routes!(ingest::signals))
        .routes(routes!(audit::list_audit))
        .merge(crate::webhooks::routes::routes())
}

/// The document as served at /api/v1/openapi.json (and checked in as assets/openapi.json).
pub fn document() -> String {
    render(routes().into_openapi())
}

/// Serializes the generated document, tidied: utoipa marks every optional header as
/// nullable, but an HTTP header is absent or a string, never null.
pub fn render(doc: utoipa::openapi::OpenApi) -> String {
    let mut v = serde_json::to_value(&doc).expect("the OpenAPI document serializes");
    if let Some(paths) = v.get_mut("paths").and_then(|p| p.as_object_mut()) {
        let operations = paths
            .values_mut()
            .filter_map(|item| item.as_object_mut())
            .flat_map(|item| item.values_mut());
        for op in operations {
            let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) else {
                continue;
            };
            for p in params.iter_mut().filter(|p| p["in"] == "header") {
                if let Some(ty) = p.pointer_mut("/schema/type")
                    && ty.is_array()
                {
                    *ty = serde_json::Value::String("string".into());
                }
            }
        }
    }
    serde_json::to_string_pretty(&v).expect("the OpenAPI document serializes")
}

#[cfg(test)]
mod tests {
    /// Every route that reads one stored record can answer 409 `unreadable` naming it (a
    /// row no longer readable), so the document lists it there: a client generated from the
    /// document, and schemathesis, expect it.
    #[test]
    fn routes_reading_one_record_document_409() {
        let doc: serde_json::Value = serde_json::from_str(&super::document()).unwrap();
        for (path, method) in [
            ("/api/v1/incidents/{id}", "get"),
            ("/api/v1/incidents/{id}", "patch"),
            ("/api/v1/incidents/{id}/updates", "post"),
            ("/api/v1/incidents/{id}/notes", "post"),
            ("/api/v1/incidents/{id}/actions", "post"),
            ("/api/v1/incidents/{id}/exceptions", "post"),
            ("/api/v1/actions/{action_id}", "get"),
            ("/api/v1/actions/{action_id}", "patch"),
        ] {
            let responses = &doc["paths"][path][method]["responses"];
            assert!(
                responses.get("409").is_some(),
                "{method} {path}: {responses}"
            );
        }
    }
}
