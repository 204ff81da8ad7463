//! HTTP handlers, each annotated for the generated OpenAPI document.
pub mod audit;
pub mod children;
pub mod incidents;
pub mod ingest;
pub mod meta;
pub mod paging;

use super::store::Created;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON response with `ETag: "<version>"`, so a client can send it back as If-Match.
pub fn versioned(status: StatusCode, version: i64, body: &impl Serialize) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// 201 with the new entity, or the stored answer when an Idempotency-Key is replayed.
pub fn created<T: Serialize>(outcome: Created<T>, version: impl Fn(&T) -> Option<i64>) -> Response {
    answer(StatusCode::CREATED, outcome, version)
}

/// `status` with the written entity (and its ETag), or, when an Idempotency-Key is
/// replayed, the stored status, body and ETag of the first answer, so a client whose answer
/// was lost sees its own write succeed rather than a conflict with itself.
pub fn answer<T: Serialize>(
    status: StatusCode,
    outcome: Created<T>,
    version: impl Fn(&T) -> Option<i64>,
) -> Response {
    match outcome {
        Created::New(value) => match version(&value) {
            Some(v) => versioned(status, v, &value),
            None => (status, axum::Json(value)).into_response(),
        },
        Created::Replayed {
            status: stored,
            body,
        } => {
            let status = StatusCode::from_u16(stored).unwrap_or(status);
            let version = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("version").and_then(serde_json::Value::as_i64));
            let mut resp = (status, body).into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h.insert("idempotent-replayed", HeaderValue::from_static("true"));
            if let Some(v) = version.and_then(|v| HeaderValue::from_str(&format!("\"{v}\"")).ok()) {
                h.insert(header::ETAG, v);
            }
            resp
        }
    }
}

/// `{"items": [...], "next_cursor": ...}` list bodies (a page of `paging::PageParams`), one named schema per item type for the OpenAPI document.
/// Stored records that could not be read are left out and named in `unreadable`.
macro_rules! item_list {
    ($name:ident, $item:ty, $cursor:literal) => {
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Stored records left out because they could not be read (absent when none).
            #[serde(skip_serializing_if = "Vec::is_empty")]
            pub unreadable: Vec<crate::server::store::UnreadableRow>,
            /// Pass as `cursor` for the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<crate::server::store::Listed<$item>> for $name {
            fn from(l: crate::server::store::Listed<$item>) -> Self {
                $name {
                    items: l.items,
                    unreadable: l.unreadable,
                    next_cursor: l
                        .more_after
                        .map(|n| $crate::server::routes::paging::encode_cursor_of($cursor, n)),
                }
            }
        }
    };
}
pub(crate) use item_list;
