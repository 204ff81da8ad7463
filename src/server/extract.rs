//! Request extractors that refuse bad input with the API's JSON errors, naming the field.
use super::error::ApiError;
use super::store::Idempotency;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// A JSON body. Malformed JSON is 400; a wrong type, unknown value or missing field is 422
/// naming the field; a body over the limit is 413. Also keeps a fingerprint of the request
/// (path + canonical JSON) for idempotent replay.
pub struct JsonBody<T> {
    pub value: T,
    pub fingerprint: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
            if !ct.starts_with("application/json") && !ct.contains("+json") {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                )
                .field("Content-Type"));
            }
        }
        let path = req.uri().path().to_string();
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the request body is over 1 MiB",
                )
            } else {
                ApiError::bad_request(
                    "unreadable_body",
                    None,
                    "the request body could not be read",
                )
            }
        })?;
        let raw: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::bad_request(
                "malformed_json",
                None,
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        if !raw.is_object() {
            return Err(ApiError::invalid("body", "the body must be a JSON object"));
        }
        let canonical = serde_json::to_vec(&raw).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(path.as_bytes());
        h.update(b"\n");
        h.update(&canonical);
        let fingerprint = hex::encode(h.finalize());
        let value = serde_path_to_error::deserialize(raw).map_err(|e| {
            let path = e.path().to_string();
            let message = e.inner().to_string();
            let field = if path == "." {
                field_in_message(&message)
            } else {
                Some(path)
            };
            let message = match &field {
                Some(f) if !message.contains(f.as_str()) => format!("{f}: {message}"),
                _ => message,
            };
            let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message);
            err.field = field.or_else(|| Some("body".into()));
            err
        })?;
        Ok(JsonBody { value, fingerprint })
    }
}

/// serde names a missing or unknown field only in its message: "missing field `title`".
fn field_in_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// The version a PATCH is based on, from `If-Match: "<version>"`. Missing → 428.
pub struct IfMatch(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "send If-Match: \"<version>\" with the version your change is based on",
            )
            .field("If-Match"));
        };
        let text = v.to_str().unwrap_or_default().trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse::<i64>().map(IfMatch).map_err(|_| {
            ApiError::bad_request(
                "invalid_header",
                Some("If-Match"),
                "If-Match must be a version such as \"3\"",
            )
        })
    }
}

/// Reads an optional `Idempotency-Key` header (1-255 visible ASCII characters).
pub fn idempotency(
    headers: &HeaderMap,
    fingerprint: &str,
) -> Result<Option<Idempotency>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v.to_str().unwrap_or_default();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "invalid_header",
            Some("Idempotency-Key"),
            "Idempotency-Key must be 1-255 visible ASCII characters",
        ));
    }
    Ok(Some(Idempotency {
        key: key.to_string(),
        request_hash: fingerprint.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_field_serde_names() {
        assert_eq!(
            super::field_in_message("missing field `title`").as_deref(),
            Some("title")
        );
        assert_eq!(super::field_in_message("no field").as_deref(), None);
    }
}
