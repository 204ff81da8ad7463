//! Bearer-token authentication and role checks.
use super::AppState;
use super::error::ApiError;
use super::store::Principal;
use crate::domain::Role;
use axum::extract::FromRequestParts;
use axum::http::{StatusCode, header, request::Parts};

/// The authenticated caller. Extracting it refuses a missing or unknown token with 401.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

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
        match state.store.authenticate(token).await? {
            Some(p) => Ok(Auth(p)),
            None => Err(unauthorized("unknown, revoked or expired token")),
        }
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
