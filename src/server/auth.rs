//! Bearer-token authentication and role checks, and the per-token limit on requests in
//! progress. Both happen before a request's body is read: a viewer's write is refused at
//! once, and one token cannot hold more than its share of connections with slow bodies.
use super::AppState;
use super::error::ApiError;
use super::per_token::{PerTokenLimit, Place};
use super::store::Principal;
use crate::domain::Role;
use axum::extract::FromRequestParts;
use axum::http::{Method, StatusCode, header, request::Parts};

/// The authenticated caller. Extracting it refuses a missing or unknown token with 401, a
/// viewer's write with 403 and a token over its share of requests with 429; it holds the
/// token's place among requests in progress until the handler returns.
#[derive(Debug)]
pub struct Auth(
    pub Principal,
    // Held, not read: dropping it gives the token's place back.
    #[allow(dead_code)] Place,
);

/// How many requests each token has in progress (headers read, handler not yet returned).
pub type InFlight = PerTokenLimit;

impl Auth {
    /// Refuses with 403 unless the caller's role is at least `role`.
    pub fn require(&self, role: Role, what: &str) -> Result<&Principal, ApiError> {
        if self.0.role >= role {
            Ok(&self.0)
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "{what} needs the {role} role; this token ({}) is a {}",
                    self.0.name, self.0.role
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = |m: &str| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m).field("Authorization")
        };
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            unauthorized(
                "send Authorization: Bearer <token> (create one with `sitrep token create`)",
            )
        })?;
        let token = value
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?;
        let Some(p) = state.backend.authenticate(token).await? else {
            return Err(unauthorized("unknown, revoked or expired token"));
        };
        // Every write transaction of this request checks this token again, under its lock.
        crate::server::store::acting::acting_as(&p.token_hash);
        // Every write needs at least the responder role: refused before its body is read,
        // so a viewer cannot hold a connection open by sending a body slowly.
        let reads = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !reads && p.role < Role::Responder {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "changing anything needs the responder or commander role; this token ({}) is a viewer",
                    p.name
                ),
            ));
        }
        let Ok(place) = state.in_flight.enter(&p.token_hash) else {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "this token already has its limit of requests in progress; retry when one finishes",
            )
            .field("Authorization")
            .retry_after(1));
        };
        Ok(Auth(p, place))
    }
}

/// The token of `Bearer <token>`. The scheme name is case-insensitive (RFC 9110 §11.1, as
/// RFC 7235 before it), so `bearer` and `BEARER` work too; spaces or tabs may separate it
/// from the token.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once([' ', '\t'])?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_case_insensitive() {
        for v in [
            "Bearer abc",
            "bearer abc",
            "BEARER abc",
            "bEaReR  abc ",
            "Bearer\tabc",
        ] {
            assert_eq!(bearer_token(v), Some("abc"), "{v:?}");
        }
        for v in ["Basic abc", "Bearer", "Bearer   ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
    }
}
