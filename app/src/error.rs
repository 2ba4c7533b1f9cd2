//! The one error type shared by services, server functions and the JSON API.
//!
//! Its `code` and the names of its `fields` are stable; its messages (and
//! the reasons given per field) are written in the language of whoever the
//! error is for, when it is made (see [`crate::i18n`]).

use crate::t;
use leptos::server_fn::{
    Encodes,
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field name → human-readable reason, e.g. `{"email": "is already registered"}`.
pub type FieldErrors = BTreeMap<String, String>;

/// Every failure a caller can see. Database and internal errors reach the
/// caller only as [`AppError::Internal`] without detail; their cause stays on
/// the server ([`InternalCause`]) and is logged once, when the error is
/// answered (see [`AppError::report`]).
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
    /// 403: the account's role requires two-factor authentication
    /// (`GUICHET_REQUIRE_2FA_FOR`), which is not on yet: until it is, the
    /// session may only enrol (Settings) or log out.
    #[error("{message}")]
    TwoFactorRequired { message: String },
    /// 404: no such thing, or one the caller may not know exists.
    #[error("{message}")]
    NotFound { message: String },
    /// 409: the change conflicts with the current state (duplicate, limit reached).
    #[error("{message}")]
    Conflict {
        message: String,
        fields: FieldErrors,
        /// See [`AppError::record`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record: Option<i64>,
    },
    /// 422: input failed validation; nothing was changed.
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
        /// See [`AppError::record`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record: Option<i64>,
    },
    /// 413: the request body is larger than the server accepts.
    #[error("{message}")]
    PayloadTooLarge { message: String },
    /// 429: throttled; retry after `retry_after_seconds` seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after_seconds: u64 },
    /// 503: the server is at capacity (e.g. the password-hashing queue is
    /// full); retry after `retry_after_seconds` seconds.
    #[error("{message}")]
    Unavailable { message: String, retry_after_seconds: u64 },
    /// 500: something failed on the server; details are in the server log only.
    #[error("{message}")]
    Internal {
        message: String,
        /// Never serialised: the cause is for the server's log.
        #[serde(skip)]
        cause: InternalCause,
    },
}

/// The server-side cause of an [`AppError::Internal`] (a database error, a
/// failed template...): never serialised, ignored by `==`, and logged at
/// `error` level exactly once — by [`AppError::report`] when the error is
/// answered (inside the request's span, so with its `request_id`), or, if it
/// never is (a page rendered on the server keeps it in a resource), when its
/// last clone is dropped, with `on_drop=true`. Empty on the browser side.
#[derive(Clone, Default)]
pub struct InternalCause {
    #[cfg(feature = "ssr")]
    inner: Option<std::sync::Arc<cause::Inner>>,
}

impl PartialEq for InternalCause {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for InternalCause {}

impl std::fmt::Debug for InternalCause {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[cfg(feature = "ssr")]
        if let Some(inner) = &self.inner {
            return write!(formatter, "{}: {}", inner.context, inner.error);
        }
        formatter.write_str("no cause")
    }
}

#[cfg(feature = "ssr")]
mod cause {
    use std::sync::atomic::{AtomicBool, Ordering};

    pub(super) struct Inner {
        /// What was being done, e.g. "database error".
        pub context: &'static str,
        pub error: Box<dyn std::error::Error + Send + Sync>,
        /// The span the cause was met in, for a cause logged outside any span.
        pub span: tracing::Span,
        pub logged: AtomicBool,
    }

    impl Inner {
        /// Logs once; `on_drop` (a field of the event) when no adapter reported it.
        pub fn log(&self, on_drop: bool) {
            if self.logged.swap(true, Ordering::AcqRel) {
                return;
            }
            let current = tracing::Span::current();
            let span = if current.is_none() { &self.span } else { &current };
            let error = &self.error;
            tracing::error!(parent: span, %error, on_drop, "{}", self.context);
        }
    }

    impl Drop for Inner {
        fn drop(&mut self) {
            self.log(true);
        }
    }
}

impl AppError {
    /// 401 with the standard message for a missing login.
    pub fn unauthorized() -> Self {
        AppError::Unauthorized { message: t!(errors.unauthorized).into() }
    }

    /// 403 with a message naming what is needed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden { message: message.into() }
    }

    /// 403 for a session whose role requires two-factor authentication it
    /// has not turned on ([`AppError::TwoFactorRequired`]).
    pub fn two_factor_required() -> Self {
        AppError::TwoFactorRequired { message: t!(errors.two_factor_required).into() }
    }

    /// 404 naming the missing thing, e.g. `not_found("ticket")` (a ticket,
    /// user, queue, category, token, webhook, outbox message, business
    /// calendar, SLA policy, page).
    pub fn not_found(what: &str) -> Self {
        let message = match what {
            "ticket" => t!(errors.no_such_ticket),
            "user" => t!(errors.no_such_user),
            "queue" => t!(errors.no_such_queue),
            "category" => t!(errors.no_such_category),
            "token" => t!(errors.no_such_token),
            "webhook" => t!(errors.no_such_webhook),
            "outbox message" => t!(errors.no_such_outbox_message),
            "business calendar" => t!(errors.no_such_business_calendar),
            "SLA policy" => t!(errors.no_such_sla_policy),
            "error project" => t!(errors.no_such_error_project),
            "page" => t!(errors.no_such_page),
            _ => t!(errors.no_such_thing),
        };
        AppError::NotFound { message: message.into() }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest { message: message.into() }
    }

    /// 500 without detail and without a cause (prefer [`AppError::internal_because`]
    /// on the server).
    pub fn internal() -> Self {
        AppError::Internal { message: t!(errors.internal).into(), cause: InternalCause::default() }
    }

    /// 500 without detail for the caller, keeping `error` as the cause for
    /// the server's log; `context` says what failed, e.g. `"database error"`.
    #[cfg(feature = "ssr")]
    pub fn internal_because(context: &'static str, error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AppError::Internal {
            message: t!(errors.internal).into(),
            cause: InternalCause {
                inner: Some(std::sync::Arc::new(cause::Inner {
                    context,
                    error: error.into(),
                    span: tracing::Span::current(),
                    logged: Default::default(),
                })),
            },
        }
    }

    /// Logs the cause of an [`AppError::Internal`] if it has one and it was
    /// not logged yet; nothing for other errors. The JSON API and server
    /// functions call it when they answer the error, in the request's span.
    #[cfg(feature = "ssr")]
    pub fn report(&self) {
        if let AppError::Internal { cause: InternalCause { inner: Some(inner) }, .. } = self {
            inner.log(false);
        }
    }

    /// The SQLSTATE of the database error behind an [`AppError::Internal`]
    /// (e.g. `40P01`, deadlock detected); `None` for other errors.
    #[cfg(feature = "ssr")]
    pub fn sqlstate(&self) -> Option<std::borrow::Cow<'_, str>> {
        let AppError::Internal { cause: InternalCause { inner: Some(inner) }, .. } = self else { return None };
        inner.error.downcast_ref::<sqlx::Error>()?.as_database_error()?.code()
    }

    /// Marks the cause of an [`AppError::Internal`] as dealt with, so that it
    /// is never logged (for a failure the server recovered from, e.g. a
    /// transaction run again by [`crate::services::transaction::run`]).
    #[cfg(feature = "ssr")]
    pub fn forget_cause(&self) {
        if let AppError::Internal { cause: InternalCause { inner: Some(inner) }, .. } = self {
            inner.logged.store(true, std::sync::atomic::Ordering::Release);
        }
    }

    /// 422 from collected field errors; `Ok(())` when there are none.
    pub fn check(fields: FieldErrors) -> Result<(), AppError> {
        if fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation { message: t!(errors.validation).into(), fields, record: None })
        }
    }

    /// 422 for a single field.
    pub fn field(name: &str, reason: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(name.to_string(), reason.into());
        AppError::Validation { message: t!(errors.validation).into(), fields, record: None }
    }

    /// 409 for a single field, e.g. a duplicate username.
    pub fn conflict_field(name: &str, reason: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(name.to_string(), reason.into());
        AppError::Conflict { message: t!(errors.validation).into(), fields, record: None }
    }

    /// 409 with a message and no field, e.g. a category still in use.
    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict { message: message.into(), fields: FieldErrors::new(), record: None }
    }

    /// The same error, naming `id` as the record the refused form edited
    /// (see [`AppError::record`]); errors other than 409 and 422 are returned
    /// as they are. For the server functions behind a page's forms of one
    /// kind, one per row (a queue, category or user).
    pub fn for_record(self, id: i64) -> Self {
        match self {
            AppError::Conflict { message, fields, .. } => AppError::Conflict { message, fields, record: Some(id) },
            AppError::Validation { message, fields, .. } => AppError::Validation { message, fields, record: Some(id) },
            other => other,
        }
    }

    /// The id of the record (a queue, category, user...) whose form was
    /// refused, when a page has one such form per row: each row shows only
    /// its own reasons, hydrated or not (a plain form post hands the error
    /// back to the page without the input that caused it). `None` for
    /// errors that name none, and in the JSON API.
    pub fn record(&self) -> Option<i64> {
        match self {
            AppError::Conflict { record, .. } | AppError::Validation { record, .. } => *record,
            _ => None,
        }
    }

    /// The stable machine code used in the JSON API, e.g. `not_found`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { .. } => "bad_request",
            AppError::Unauthorized { .. } => "unauthorized",
            AppError::Forbidden { .. } => "forbidden",
            AppError::TwoFactorRequired { .. } => "two_factor_required",
            AppError::NotFound { .. } => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::Validation { .. } => "validation",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable { .. } => "unavailable",
            AppError::Internal { .. } => "internal",
        }
    }

    /// The HTTP status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Unauthorized { .. } => 401,
            AppError::Forbidden { .. } | AppError::TwoFactorRequired { .. } => 403,
            AppError::NotFound { .. } => 404,
            AppError::Conflict { .. } => 409,
            AppError::Validation { .. } => 422,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::TooManyRequests { .. } => 429,
            AppError::Unavailable { .. } => 503,
            AppError::Internal { .. } => 500,
        }
    }

    /// The seconds to send in `Retry-After` (429 and 503), else `None`.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after_seconds, .. }
            | AppError::Unavailable { retry_after_seconds, .. } => Some(*retry_after_seconds),
            _ => None,
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

/// Input a server function could not read (wrong types, an id like `abc`
/// or 10^20, an unexpected encoding) is the caller's error: 400, or 413 for
/// a body over the limit (axum's `DefaultBodyLimit`, whose error reaches us
/// only as its text). On the server the status is set on the response here,
/// the one place every such error passes: server_fn answers them before the
/// function body (and its [`crate::functions::ssr::respond`]) runs, with 500.
impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message)
                if message.contains("length limit exceeded") =>
            {
                AppError::PayloadTooLarge { message: t!(errors.too_large).into() }
            }
            ServerFnErrorErr::Args(message)
            | ServerFnErrorErr::Deserialization(message)
            | ServerFnErrorErr::MissingArg(message) => {
                AppError::BadRequest { message: t!(errors.unreadable, detail = message) }
            }
            ServerFnErrorErr::UnsupportedRequestMethod(message) => {
                AppError::BadRequest { message: t!(errors.unreadable, detail = message) }
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => {
                AppError::Internal { message: t!(errors.unreachable).into(), cause: InternalCause::default() }
            }
            _ => AppError::internal(),
        };
        #[cfg(feature = "ssr")]
        crate::functions::ssr::set_error_status(&error);
        error
    }

    /// The error as a server function answers it: logs its cause first (see [`AppError::report`]).
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        self.report();
        <JsonEncoding as Encodes<Self>>::encode(self).unwrap_or_else(|error| {
            <JsonEncoding as Encodes<Self>>::encode(&AppError::from_server_fn_error(ServerFnErrorErr::Serialization(
                error.to_string(),
            )))
            .unwrap_or_default()
        })
    }
}

/// A 500 keeping the database error as its cause (logged when answered).
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        AppError::internal_because("database error", error)
    }
}

/// A 500 keeping the session store's error as its cause (logged when answered).
#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        AppError::internal_because("session error", error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_the_trip_a_refused_form_takes_and_is_left_out_when_none() {
        // A plain form post hands the error to the page as JSON in the URL
        // (`__err`): the row it names must come back with it.
        let refused = AppError::field("name", "must be 1 to 60 characters long").for_record(3);
        let json = serde_json::to_value(&refused).unwrap();
        assert_eq!(json["record"], 3);
        let back: AppError = serde_json::from_value(json).unwrap();
        assert_eq!(back.record(), Some(3));
        assert_eq!(back.field_error("name").as_deref(), Some("must be 1 to 60 characters long"));

        let plain = serde_json::to_value(AppError::conflict_field("slug", "is already used")).unwrap();
        assert!(plain.get("record").is_none(), "{plain}");
        assert_eq!(AppError::not_found("queue").for_record(3).record(), None);
    }
}
