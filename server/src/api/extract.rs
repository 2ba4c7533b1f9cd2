//! Extractors and the error response shared by the API handlers.

use crate::state::AppState;
use app::error::AppError;
use app::services::caller::client_address;
use app::services::{Caller, ServerContext};
use app::t;
use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use std::net::SocketAddr;
use tower_sessions::Session;

/// An [`AppError`] answered as JSON with its status code.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError(error)
    }
}

/// Logs an internal error's cause here, in the request's span (see [`AppError::report`]).
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.report();
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = serde_json::json!({
            "error": { "code": self.0.code(), "message": self.0.to_string(), "fields": self.0.fields() }
        });
        if let Some(retry_after_seconds) = self.0.retry_after_seconds() {
            body["error"]["retry_after_seconds"] = retry_after_seconds.into();
            let mut response = (status, axum::Json(body)).into_response();
            if let Ok(value) = retry_after_seconds.to_string().parse() {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
            }
            return response;
        }
        (status, axum::Json(body)).into_response()
    }
}

/// JSON in and out; a body that is not JSON is a 400, JSON of the wrong
/// shape a 422, a body over axum's limit (2 MB) a 413, one sent without
/// `Content-Type: application/json` a 415, all in the API's error format.
/// Unknown fields are ignored.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Read any JSON first, so a body that is not JSON is always a 400: read
        // straight into `T`, `[1, 2` fails on its shape before reaching its end.
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(request, state).await.map_err(
            |rejection| match rejection {
                JsonRejection::MissingJsonContentType(_) => crate::security::error_response(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    t!(errors.json_content_type),
                ),
                JsonRejection::BytesRejection(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError(AppError::PayloadTooLarge { message: t!(errors.body_too_large).into() }).into_response()
                }
                rejection => ApiError(AppError::bad_request(t!(errors.invalid_json, detail = rejection.body_text())))
                    .into_response(),
            },
        )?;
        let bytes = serde_json::to_vec(&value).map_err(|_| ApiError(AppError::internal()).into_response())?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(JsonRejection::JsonDataError(error)) => Err(ApiError(AppError::Validation {
                message: t!(errors.json_shape, detail = error.body_text()),
                fields: Default::default(),
                record: None,
            })
            .into_response()),
            Err(rejection) => {
                Err(ApiError(AppError::bad_request(t!(errors.invalid_json, detail = rejection.body_text())))
                    .into_response())
            }
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A 400 `bad_request` in the API's error format for a path or query
/// string axum could not read (`abc` as an id, `unread=x`, a segment that is
/// not UTF-8), with axum's explanation; a rejection that is the server's
/// fault (a route without the parameter) stays a 500, its cause logged.
fn unreadable(
    rejection: impl std::error::Error + Send + Sync + 'static,
    status: StatusCode,
    detail: String,
) -> ApiError {
    if status.is_server_error() {
        return ApiError(AppError::internal_because("unreadable request parts", rejection));
    }
    ApiError(AppError::bad_request(t!(errors.unreadable, detail = detail)))
}

/// Path parameters, like axum's `Path`, read into `T` (`i64` for an id); a
/// segment that does not fit is a 400 `bad_request` in the API's error format
/// (see `unreadable`), not axum's plain-text answer.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => {
                let (status, detail) = (rejection.status(), rejection.body_text());
                Err(unreadable(rejection, status, detail))
            }
        }
    }
}

/// The query string, like axum's `Query`, read into `T`; a value that does
/// not fit (`unread=x` for a boolean) is a 400 `bad_request` in the API's
/// error format (see `unreadable`), not axum's plain-text answer.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => {
                let (status, detail) = (rejection.status(), rejection.body_text());
                Err(unreadable(rejection, status, detail))
            }
        }
    }
}

/// The authenticated caller of an API request: from `Authorization: Bearer
/// <token>` (the scheme in any case, RFC 9110 §11.1) when the header is present (an unknown token is a 401, whatever
/// the cookie says), else from the session cookie.
pub struct ApiCaller {
    pub caller: Caller,
    pub session: Session,
    pub context: ServerContext,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, message)| {
            tracing::error!(message, "session layer missing");
            ApiError(AppError::internal())
        })?;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
        let address = client_address(peer, &parts.headers, &state.context.settings.trusted_proxies);
        let caller = match crate::security::bearer_token(&parts.headers) {
            Some(token) => {
                let reading = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD);
                app::services::tokens::caller_for_token(&state.context.pool, token, address, reading).await?
            }
            // The viewer layer has loaded a session's caller already.
            None => match parts.extensions.get::<Caller>() {
                Some(caller) => caller.clone(),
                None => {
                    app::services::sessions::caller_for_session(
                        &state.context.pool,
                        &state.context.settings,
                        &session,
                        address,
                    )
                    .await?
                }
            },
        };
        Ok(ApiCaller { caller, session, context: state.context.clone() })
    }
}
