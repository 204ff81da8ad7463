//! Page sizes and cursors shared by the lists. A cursor is opaque to clients; these are
//! the last row's key in hex behind a letter naming the list's order, so a cursor from
//! one list is refused by another with a 422 naming `cursor`.
use super::incidents::query_rejection;
use crate::server::error::ApiError;
use crate::server::store::Slice;
use axum::extract::{Query, rejection::QueryRejection};
use serde::Deserialize;
use utoipa::IntoParams;

/// The largest page any list serves.
pub const MAX_LIMIT: u32 = 500;

/// A list's `limit`: 1-500, 50 when absent.
pub fn parse_limit(raw: Option<&str>) -> Result<u32, ApiError> {
    limit_or(raw, 50)
}

fn limit_or(raw: Option<&str>, default: u32) -> Result<u32, ApiError> {
    match raw {
        None => Ok(default),
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::invalid("limit", "limit must be a whole number from 1 to 500")
            }),
    }
}

/// The cursor of a list ordered by number (incidents, and one incident's records).
pub fn encode_cursor(num: i64) -> String {
    format!("n{num:x}")
}

pub fn decode_cursor(raw: &str) -> Result<i64, ApiError> {
    raw.strip_prefix('n')
        .filter(|h| !h.is_empty() && h.len() <= 15)
        .and_then(|h| i64::from_str_radix(h, 16).ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiError::invalid("cursor", "cursor is not one this server issued"))
}

/// Paging of one incident's records (updates, actions, exceptions, timeline, signals),
/// oldest first. The default page is the largest, so a client that does not follow
/// `next_cursor` still gets everything an ordinary incident has.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1-500 (default 500).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^n[0-9a-f]{1,15}$")]
    cursor: Option<String>,
}

impl PageParams {
    pub fn slice(params: Result<Query<PageParams>, QueryRejection>) -> Result<Slice, ApiError> {
        let Query(p) = params.map_err(query_rejection)?;
        Ok(Slice {
            limit: limit_or(p.limit.as_deref(), MAX_LIMIT)?,
            after: p
                .cursor
                .as_deref()
                .map(decode_cursor)
                .transpose()?
                .unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused_by_name() {
        for n in [0, 1, 255, i64::MAX >> 4] {
            assert_eq!(decode_cursor(&encode_cursor(n)).unwrap(), n);
        }
        for bad in [
            "",
            "n",
            "7",
            "nzz",
            "a0.2026-01-01.1",
            "n-1",
            "n1000000000000000",
        ] {
            let e = decode_cursor(bad).unwrap_err();
            assert!(format!("{e:?}").contains("cursor"), "{bad}: {e:?}");
        }
    }
}
