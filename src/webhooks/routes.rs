//! `/api/v1/webhooks`: add, list, remove subscriptions and read their delivery history.
//! Commander only; no answer ever carries a subscription's secret.
use super::model::{Delivery, NewWebhook, Webhook, valid_patterns};
use super::{AdminChange, Hooks, administered, sign::Secret, target};
use crate::domain::Role;
use crate::server::AppState;
use crate::server::auth::Auth;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::JsonBody;
use crate::server::store::WebhookSpec;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<Webhook>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    /// The most recent attempts, newest first.
    pub items: Vec<Delivery>,
}

/// The webhook side of this server, or 501 on a backend without one (PagerDuty).
fn hooks(st: &AppState) -> Result<Arc<Hooks>, ApiError> {
    st.webhooks
        .clone()
        .ok_or_else(|| st.backend.unsupported("outbound webhooks"))
}

/// Add a webhook subscription (commander). Deliveries start with the next event.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Webhook),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 501, body = ErrorBody)))]
pub async fn add_webhook(
    State(st): State<AppState>,
    auth: Auth,
    body: JsonBody<NewWebhook>,
) -> Result<(StatusCode, Json<Webhook>), ApiError> {
    let hooks = hooks(&st)?;
    // Refused before the body is looked at, like every other write a role may not make;
    // the decisive check is repeated inside the write's transaction.
    auth.require(Role::Commander, "adding a webhook")?;
    let new = body.value;
    let url = target::parse(&new.url).map_err(|m| ApiError::invalid("url", m))?;
    let events = valid_patterns(&new.events).map_err(|m| ApiError::invalid("events", m))?;
    Secret::parse(&new.secret).map_err(|m| ApiError::invalid("secret", m))?;
    hooks
        .check_target(&url)
        .await
        .map_err(|m| ApiError::invalid("url", m))?;
    let added = hooks
        .store
        .add_webhook(
            &auth.0.token_hash,
            &WebhookSpec {
                url: url.as_str(),
                events: &events,
                format: new.format,
                secret: new.secret.trim(),
            },
        )
        .await?;
    hooks.changed.notify_one();
    administered(&auth.0.name, AdminChange::Added(&added));
    Ok((StatusCode::CREATED, Json(added)))
}

/// List webhook subscriptions with their state (commander). Secrets are never shown.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("bearer" = [])),
    responses((status = 200, body = WebhookList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 501, body = ErrorBody)))]
pub async fn list_webhooks(
    State(st): State<AppState>,
    auth: Auth,
) -> Result<Json<WebhookList>, ApiError> {
    let hooks = hooks(&st)?;
    auth.require(Role::Commander, "listing webhooks")?;
    Ok(Json(WebhookList {
        items: hooks.store.list_webhooks().await?,
    }))
}

/// Remove a webhook subscription (commander); answers it as it was.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Webhook), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 501, body = ErrorBody)))]
pub async fn remove_webhook(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<Webhook>, ApiError> {
    let hooks = hooks(&st)?;
    auth.require(Role::Commander, "removing a webhook")?;
    let gone = hooks.store.remove_webhook(&auth.0.token_hash, &id).await?;
    hooks.changed.notify_one();
    administered(&auth.0.name, AdminChange::Removed(&gone));
    Ok(Json(gone))
}

/// A webhook's most recent delivery attempts (commander).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = DeliveryList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 501, body = ErrorBody)))]
pub async fn deliveries(
    State(st): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<DeliveryList>, ApiError> {
    let hooks = hooks(&st)?;
    auth.require(Role::Commander, "reading webhook deliveries")?;
    Ok(Json(DeliveryList {
        items: hooks.store.webhook_deliveries(&id, 50).await?,
    }))
}

/// These routes, for the OpenAPI router.
pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(add_webhook, list_webhooks))
        .routes(routes!(remove_webhook))
        .routes(routes!(deliveries))
}
