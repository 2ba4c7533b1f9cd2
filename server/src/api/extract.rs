//! Extractors and the error response shared by the API handlers.

use crate::router::AppState;
use app::error::AppError;
use app::services::{Caller, ServerContext};
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = serde_json::json!({
            "error": { "code": self.0.code(), "message": self.0.to_string(), "fields": self.0.fields() }
        });
        if let AppError::TooManyRequests { retry_after_seconds, .. } = &self.0 {
            body["error"]["retry_after_seconds"] = (*retry_after_seconds).into();
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
/// shape a 422, both in the API's error format. Unknown fields are ignored.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Read any JSON first, so a body that is not JSON is always a 400: read
        // straight into `T`, `[1, 2` fails on its shape before reaching its end.
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await.map_err(|rejection| {
                ApiError(AppError::bad_request(format!(
                    "The request body is not valid JSON: {}",
                    rejection.body_text()
                )))
            })?;
        let bytes = serde_json::to_vec(&value).map_err(|_| ApiError(AppError::internal()))?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(JsonRejection::JsonDataError(error)) => Err(ApiError(AppError::Validation {
                message: format!("The request body does not have the expected shape: {}", error.body_text()),
                fields: Default::default(),
            })),
            Err(rejection) => Err(ApiError(AppError::bad_request(format!(
                "The request body is not valid JSON: {}",
                rejection.body_text()
            )))),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The authenticated caller of an API request: from `Authorization: Bearer
/// <token>` when the header is present (an unknown token is a 401, whatever
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
        let address = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let caller = match bearer {
            Some(token) => match app::services::tokens::user_for_token(&state.context.pool, token.trim()).await? {
                Some(user) => Caller { user: Some(user), address },
                None => {
                    return Err(ApiError(AppError::Unauthorized { message: "The API token is not valid.".into() }));
                }
            },
            None => Caller::from_session(&state.context.pool, &session, address).await?,
        };
        Ok(ApiCaller { caller, session, context: state.context.clone() })
    }
}
