//! `/api/v1/auth/*`, `/api/v1/me`, `/api/v1/users/{id}/role`.

use super::{ApiCaller, ApiError, Json, Path};
use crate::state::AppState;
use app::domain::{LogInOutcome, Registration, Role, User};
use app::services::accounts;
use axum::{
    Router,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(log_in))
        .route("/auth/logout", post(log_out))
        .route("/me", get(me))
        .route("/users/{id}/role", put(set_role))
}

/// `{"user": ...}`
#[derive(Serialize)]
struct UserBody {
    user: User,
}

async fn register(
    request: ApiCaller,
    Json(input): Json<Registration>,
) -> Result<(StatusCode, Json<UserBody>), ApiError> {
    let user = accounts::register(&request.context.pool, &input).await?;
    Ok((StatusCode::CREATED, Json(UserBody { user })))
}

#[derive(Deserialize)]
struct LogIn {
    login: String,
    password: String,
    #[serde(default)]
    remember: bool,
}

/// 200 `{"user": ...}` once logged in; 202 `{"second_factor_required": true}`
/// when the account has two-factor authentication (then
/// `POST /auth/login/second-factor`).
async fn log_in(request: ApiCaller, Json(input): Json<LogIn>) -> Result<Response, ApiError> {
    let outcome = accounts::log_in(
        &request.context.pool,
        &request.context.settings,
        &request.caller,
        &request.session,
        &input.login,
        &input.password,
        input.remember,
    )
    .await?;
    Ok(match outcome {
        LogInOutcome::LoggedIn { user, .. } => Json(UserBody { user }).into_response(),
        LogInOutcome::SecondFactorRequired => {
            (StatusCode::ACCEPTED, Json(serde_json::json!({ "second_factor_required": true }))).into_response()
        }
    })
}

async fn log_out(request: ApiCaller) -> Result<StatusCode, ApiError> {
    accounts::log_out(&request.context.pool, &request.caller, &request.session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(request: ApiCaller) -> Result<Json<UserBody>, ApiError> {
    let user = request.caller.user()?.clone();
    Ok(Json(UserBody { user }))
}

#[derive(Deserialize)]
struct SetRole {
    role: String,
}

async fn set_role(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<SetRole>,
) -> Result<Json<UserBody>, ApiError> {
    let role: Role = input.role.parse().map_err(|reason: String| app::error::AppError::field("role", reason))?;
    let user = accounts::set_role(&request.context.pool, &request.caller, id, role).await?;
    Ok(Json(UserBody { user }))
}
