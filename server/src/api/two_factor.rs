//! `/api/v1/auth/login/second-factor`, `/api/v1/me/two-factor*`,
//! `/api/v1/me/history`, `/api/v1/users/{id}/two-factor`: two-factor
//! authentication and the account's history (rules in
//! `app::services::two_factor`). Managing it takes a session: a bearer token
//! gets 403.

use super::{ApiCaller, ApiError, Json, Path};
use crate::state::AppState;
use app::domain::{AccountEvent, TwoFactorEnrolment, TwoFactorStatus, User};
use app::services::{account_history, two_factor};
use axum::{
    Router,
    http::StatusCode,
    routing::{delete, get, post},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login/second-factor", post(log_in_second_factor))
        .route("/me/two-factor", get(status))
        .route("/me/two-factor/enrolment", post(begin_enrolment))
        .route("/me/two-factor/confirm", post(confirm_enrolment))
        .route("/me/two-factor/recovery-codes", post(regenerate_recovery_codes))
        .route("/me/two-factor/disable", post(disable))
        .route("/me/history", get(history))
        .route("/users/{id}/two-factor", delete(reset))
}

/// `{"code": "123456"}`: an app's code or a recovery code.
#[derive(Deserialize)]
struct Code {
    code: String,
}

/// `{"confirmation": "..."}`: a current code or the password.
#[derive(Deserialize)]
struct Confirmation {
    confirmation: String,
}

/// `{"user": ...}`
#[derive(Serialize)]
struct UserBody {
    user: User,
}

/// `{"recovery_codes": ["xxxx-xxxx-xxxx-xxxx", ...]}`
#[derive(Serialize)]
struct RecoveryCodes {
    recovery_codes: Vec<String>,
}

/// `{"events": [...]}`
#[derive(Serialize)]
struct Events {
    events: Vec<AccountEvent>,
}

async fn log_in_second_factor(request: ApiCaller, Json(input): Json<Code>) -> Result<Json<UserBody>, ApiError> {
    let user = two_factor::log_in_second_factor(
        &request.context.pool,
        &request.context.settings,
        &request.caller,
        &request.session,
        &input.code,
    )
    .await?;
    Ok(Json(UserBody { user }))
}

async fn status(request: ApiCaller) -> Result<Json<TwoFactorStatus>, ApiError> {
    Ok(Json(two_factor::status(&request.context.pool, &request.context.settings, &request.caller, None).await?))
}

async fn begin_enrolment(request: ApiCaller) -> Result<(StatusCode, Json<TwoFactorEnrolment>), ApiError> {
    let enrolment =
        two_factor::begin_enrolment(&request.context.pool, &request.context.settings, &request.caller).await?;
    Ok((StatusCode::CREATED, Json(enrolment)))
}

async fn confirm_enrolment(request: ApiCaller, Json(input): Json<Code>) -> Result<Json<RecoveryCodes>, ApiError> {
    let recovery_codes = two_factor::confirm_enrolment(
        &request.context.pool,
        &request.context.settings,
        &request.caller,
        None,
        &input.code,
    )
    .await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

async fn regenerate_recovery_codes(
    request: ApiCaller,
    Json(input): Json<Confirmation>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let recovery_codes = two_factor::regenerate_recovery_codes(
        &request.context.pool,
        &request.context.settings,
        &request.caller,
        None,
        &input.confirmation,
    )
    .await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

async fn disable(request: ApiCaller, Json(input): Json<Confirmation>) -> Result<StatusCode, ApiError> {
    two_factor::disable(&request.context.pool, &request.context.settings, &request.caller, &input.confirmation).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(request: ApiCaller) -> Result<Json<Events>, ApiError> {
    let events = account_history::list(&request.context.pool, &request.caller).await?;
    Ok(Json(Events { events }))
}

async fn reset(request: ApiCaller, Path(id): Path<i64>) -> Result<Json<UserBody>, ApiError> {
    let user = two_factor::reset(&request.context.pool, &request.caller, id).await?;
    Ok(Json(UserBody { user }))
}
