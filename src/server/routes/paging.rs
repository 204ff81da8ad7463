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

/// The cursor of a list ordered by number: `n` for incidents; for one incident's records
/// `u` (updates), `a` (actions), `x` (exceptions), `t` (timeline), `s` (signals). The
/// letter keeps a cursor from being taken for a position in another kind of list.
pub fn encode_cursor_of(list: char, num: i64) -> String {
    format!("{list}{num:x}")
}

pub fn encode_cursor(num: i64) -> String {
    encode_cursor_of('n', num)
}

pub fn decode_cursor(raw: &str) -> Result<i64, ApiError> {
    decode_cursor_of('n', raw)
}

/// Only the exact text `encode_cursor_of` writes: lowercase hex without a sign or leading
/// zeros, at most 15 digits.
pub fn decode_cursor_of(list: char, raw: &str) -> Result<i64, ApiError> {
    raw.strip_prefix(list)
        .filter(|h| {
            (1..=15).contains(&h.len())
                && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                && (*h == "0" || !h.starts_with('0'))
        })
        .and_then(|h| i64::from_str_radix(h, 16).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "cursor",
                "cursor is not one this server issued for this list",
            )
        })
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
    /// The `next_cursor` of the previous page of the same list.
    #[param(pattern = "^[uaxts](0|[1-9a-f][0-9a-f]{0,14})$")]
    cursor: Option<String>,
}

/// The letters of one incident's lists. One query schema serves them all, so a cursor of
/// any of them is read as a position (the record numbers are shared by no two lists, so it
/// only moves where the page starts); a cursor of another kind (`/incidents`, `/actions`)
/// is refused.
const INCIDENT_LISTS: &str = "uaxts";

fn decode_incident_list_cursor(list: char, raw: &str) -> Result<i64, ApiError> {
    match raw.chars().next() {
        Some(c) if c != list && INCIDENT_LISTS.contains(c) => decode_cursor_of(c, raw),
        _ => decode_cursor_of(list, raw),
    }
}

impl PageParams {
    /// The slice asked for of the list whose cursors begin with `list`.
    pub fn slice(
        list: char,
        params: Result<Query<PageParams>, QueryRejection>,
    ) -> Result<Slice, ApiError> {
        let Query(p) = params.map_err(query_rejection)?;
        Ok(Slice {
            limit: limit_or(p.limit.as_deref(), MAX_LIMIT)?,
            after: p
                .cursor
                .as_deref()
                .map(|c| decode_incident_list_cursor(list, c))
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
