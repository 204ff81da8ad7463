//! Every refusal the API gives: a status and `{"error":{"code","message","field"}}`.
use super::store::{StoreError, Unavailable};
use crate::domain::ErrorKind;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable, e.g. `invalid_field`, `version_mismatch`.
    pub code: String,
    /// A sentence a person can act on.
    pub message: String,
    /// The request field, header or parameter at fault, when there is one.
    pub field: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// With 412: the current state of the entity, so the client can show what changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub current: Option<serde_json::Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            current: None,
            retry_after: None,
        }
    }

    /// With 503 or 429: seconds the client should wait (Retry-After; 1 unless set).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).field(field)
    }

    pub fn bad_request(
        code: &'static str,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, code, message);
        e.field = field.map(str::to_string);
        e
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

/// For logs: the code and the sentence (never a request's headers or body).
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => {
                let status = match d.kind {
                    ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorKind::Conflict => StatusCode::CONFLICT,
                    ErrorKind::Forbidden => StatusCode::FORBIDDEN,
                    ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
                };
                ApiError {
                    status,
                    code: d.code,
                    message: d.message,
                    field: d.field,
                    current: None,
                    retry_after: None,
                }
            }
            StoreError::NotFound { .. } => ApiError::not_found(e.to_string()).field("id"),
            StoreError::Stale { ref current, .. } => {
                let mut err = ApiError::new(
                    StatusCode::PRECONDITION_FAILED,
                    "version_mismatch",
                    e.to_string(),
                )
                .field("If-Match");
                err.current = Some(current.clone());
                err
            }
            StoreError::KeyReused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                e.to_string(),
            )
            .field("Idempotency-Key"),
            StoreError::Refused(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", m),
            StoreError::Unavailable(why) => {
                tracing::warn!(reason = why.reason(), "database cannot store writes");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    match why {
                        // A read can hit damage too, and waiting does not mend it.
                        Unavailable::Damaged => {
                            format!("nothing was read or stored: {}", why.reason())
                        }
                        _ => format!(
                            "the change was not stored: {}; retry in {} s",
                            why.reason(),
                            why.retry_after()
                        ),
                    },
                )
                .retry_after(why.retry_after())
            }
            StoreError::Db(sqlx::Error::PoolTimedOut) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is busy; retry shortly",
            ),
            // Not a transient fault: a retry meets the same row. The request may be fine;
            // the record it names is not, so this is said of it.
            StoreError::Unreadable { .. } => {
                tracing::error!(error = %e, "unreadable record");
                ApiError::new(StatusCode::CONFLICT, "unreadable", e.to_string()).field("id")
            }
            StoreError::Db(_) | StoreError::Corrupt(_) => {
                tracing::error!(error = %e, "storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.retry_after.unwrap_or(1);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
            current: self.current,
        };
        let mut resp = (status, axum::Json(body)).into_response();
        match status {
            StatusCode::UNAUTHORIZED => {
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            _ => {}
        }
        resp
    }
}
