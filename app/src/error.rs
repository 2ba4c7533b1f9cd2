//! The one error type shared by services, server functions and the JSON API.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field name → human-readable reason, e.g. `{"email": "is already registered"}`.
pub type FieldErrors = BTreeMap<String, String>;

/// Every failure a caller can see. Database and internal errors are logged on
/// the server and reach the caller only as [`AppError::Internal`] without detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// 400: the request could not be read (bad JSON, missing parameter).
    #[error("{message}")]
    BadRequest { message: String },
    /// 401: no valid session or token, or wrong credentials.
    #[error("{message}")]
    Unauthorized { message: String },
    /// 403: authenticated, but the role does not allow this.
    #[error("{message}")]
    Forbidden { message: String },
    /// 404: no such thing, or one the caller may not know exists.
    #[error("{message}")]
    NotFound { message: String },
    /// 409: the change conflicts with the current state (duplicate, limit reached).
    #[error("{message}")]
    Conflict { message: String, fields: FieldErrors },
    /// 422: input failed validation; nothing was changed.
    #[error("{message}")]
    Validation { message: String, fields: FieldErrors },
    /// 429: throttled; retry after `retry_after_seconds` seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_seconds: u64 },
    /// 500: something failed on the server; details are in the server log only.
    #[error("{message}")]
    Internal { message: String },
}

impl AppError {
    /// 401 with the standard message for a missing login.
    pub fn unauthorized() -> Self {
        AppError::Unauthorized { message: "You need to log in first.".into() }
    }

    /// 403 with a message naming what is needed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden { message: message.into() }
    }

    /// 404 naming the missing thing, e.g. `not_found("ticket")`.
    pub fn not_found(what: &str) -> Self {
        AppError::NotFound { message: format!("No such {what}.") }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest { message: message.into() }
    }

    /// 500 without detail; log the cause before calling this.
    pub fn internal() -> Self {
        AppError::Internal { message: "Something went wrong on our side. Please try again in a moment.".into() }
    }

    /// 422 from collected field errors; `Ok(())` when there are none.
    pub fn check(fields: FieldErrors) -> Result<(), AppError> {
        if fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation { message: "Please correct the highlighted fields.".into(), fields })
        }
    }

    /// 422 for a single field.
    pub fn field(name: &str, reason: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(name.to_string(), reason.into());
        AppError::Validation { message: "Please correct the highlighted fields.".into(), fields }
    }

    /// 409 for a single field, e.g. a duplicate username.
    pub fn conflict_field(name: &str, reason: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(name.to_string(), reason.into());
        AppError::Conflict { message: "Please correct the highlighted fields.".into(), fields }
    }

    /// The stable machine code used in the JSON API, e.g. `not_found`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { .. } => "bad_request",
            AppError::Unauthorized { .. } => "unauthorized",
            AppError::Forbidden { .. } => "forbidden",
            AppError::NotFound { .. } => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::Validation { .. } => "validation",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Internal { .. } => "internal",
        }
    }

    /// The HTTP status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Unauthorized { .. } => 401,
            AppError::Forbidden { .. } => 403,
            AppError::NotFound { .. } => 404,
            AppError::Conflict { .. } => 409,
            AppError::Validation { .. } => 422,
            AppError::TooManyRequests { .. } => 429,
            AppError::Internal { .. } => 500,
        }
    }

    /// The per-field reasons, empty for errors that concern no field.
    pub fn fields(&self) -> FieldErrors {
        match self {
            AppError::Conflict { fields, .. } | AppError::Validation { fields, .. } => fields.clone(),
            _ => FieldErrors::new(),
        }
    }

    /// The reason given for one field, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        match self {
            AppError::Conflict { fields, .. } | AppError::Validation { fields, .. } => fields.get(name).cloned(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                AppError::BadRequest { message: format!("The request could not be read: {message}") }
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Internal {
                message: "The server could not be reached. Check your connection and try again.".into(),
            },
            _ => AppError::internal(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database error");
        AppError::internal()
    }
}

#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        tracing::error!(%error, "session error");
        AppError::internal()
    }
}
