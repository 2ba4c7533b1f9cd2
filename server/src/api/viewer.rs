//! `/api/v1/me/settings`: the caller's language and time zone (issue 13).

use super::{ApiCaller, ApiError, Json};
use crate::state::AppState;
use app::domain::User;
use app::services::viewer;
use axum::{Router, routing::put};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/me/settings", put(save))
}

/// `{"language": "fr" | "en" | null, "time_zone": "Europe/Paris" | null}`;
/// `null`, absent or empty: the desk's default.
#[derive(Deserialize)]
struct ViewerSettings {
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
}

/// `{"user": ...}`
#[derive(Serialize)]
struct UserBody {
    user: User,
}

async fn save(request: ApiCaller, Json(input): Json<ViewerSettings>) -> Result<Json<UserBody>, ApiError> {
    let user = viewer::save_settings(
        &request.context.pool,
        &request.caller,
        input.language.as_deref().unwrap_or_default(),
        input.time_zone.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(Json(UserBody { user }))
}
