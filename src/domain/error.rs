use std::fmt;

/// Why the domain refused a change. The server maps each kind to an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (422): a missing reason, an empty field, a past date.
    Invalid,
    /// The request is well-formed but the incident's state forbids it (409).
    Conflict,
    /// The caller's role may not make this change to the incident as it now is (403).
    Forbidden,
    /// The caller's token stopped being valid before the change could be stored (401).
    Unauthorized,
}

/// A refusal that names the field it concerns, so a user can fix exactly that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub field: Option<String>,
    pub message: String,
}

impl DomainError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            code: "invalid_field",
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn forbidden(field: &str, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Forbidden,
            code: "forbidden",
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn unauthorized(field: &str, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Unauthorized,
            code: "unauthorized",
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Conflict,
            code,
            field: Some(field.to_string()),
            message: message.into(),
        }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DomainError {}
