//! `/api/v1/notifications/*` (the caller's inbox and preferences) and
//! `/api/v1/admin/notifications/*` (defaults, outbox, Discord webhooks).

use super::{ApiCaller, ApiError, Json, Path, Query};
use crate::state::AppState;
use app::domain::{DiscordWebhook, NotificationInbox, NotificationPreference, OutboxItem, OutboxStatus};
use app::error::AppError;
use app::services::notifications::{self, WebhookInput};
use axum::{
    Router,
    http::StatusCode,
    routing::{get, post, put},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(inbox))
        .route("/notifications/read", post(mark_read))
        .route("/notifications/preferences", get(preferences).put(set_preferences))
        .route("/admin/notifications/defaults", get(defaults).put(set_defaults))
        .route("/admin/outbox", get(outbox))
        .route("/admin/outbox/{id}/retry", post(retry))
        .route("/admin/webhooks", get(webhooks).post(create_webhook))
        .route("/admin/webhooks/{id}", put(update_webhook).delete(delete_webhook))
}

/// `?unread=true` keeps only unread notifications.
#[derive(Deserialize)]
struct InboxQuery {
    #[serde(default)]
    unread: bool,
}

async fn inbox(request: ApiCaller, Query(query): Query<InboxQuery>) -> Result<Json<NotificationInbox>, ApiError> {
    Ok(Json(notifications::inbox(&request.context.pool, &request.caller, query.unread).await?))
}

/// `{"ids": [1, 2]}` marks those read; `{}` (or `"ids": null`) marks all read.
#[derive(Deserialize)]
struct MarkRead {
    #[serde(default)]
    ids: Option<Vec<i64>>,
}

/// `{"unread": n}`
#[derive(Serialize)]
struct UnreadBody {
    unread: i64,
}

async fn mark_read(request: ApiCaller, Json(input): Json<MarkRead>) -> Result<Json<UnreadBody>, ApiError> {
    let unread = notifications::mark_read(&request.context.pool, &request.caller, input.ids.as_deref()).await?;
    Ok(Json(UnreadBody { unread }))
}

/// `{"preferences": [{kind, email, in_app}, ...]}`, in and out.
#[derive(Serialize, Deserialize)]
struct PreferencesBody {
    preferences: Vec<NotificationPreference>,
}

async fn preferences(request: ApiCaller) -> Result<Json<PreferencesBody>, ApiError> {
    let preferences = notifications::preferences(&request.context.pool, &request.caller).await?;
    Ok(Json(PreferencesBody { preferences }))
}

async fn set_preferences(
    request: ApiCaller,
    Json(input): Json<PreferencesBody>,
) -> Result<Json<PreferencesBody>, ApiError> {
    let preferences =
        notifications::set_preferences(&request.context.pool, &request.caller, &input.preferences).await?;
    Ok(Json(PreferencesBody { preferences }))
}

async fn defaults(request: ApiCaller) -> Result<Json<PreferencesBody>, ApiError> {
    let preferences = notifications::default_preferences(&request.context.pool, &request.caller).await?;
    Ok(Json(PreferencesBody { preferences }))
}

async fn set_defaults(
    request: ApiCaller,
    Json(input): Json<PreferencesBody>,
) -> Result<Json<PreferencesBody>, ApiError> {
    let preferences =
        notifications::set_default_preferences(&request.context.pool, &request.caller, &input.preferences).await?;
    Ok(Json(PreferencesBody { preferences }))
}

/// `?status=pending|sent|failed`
#[derive(Deserialize)]
struct OutboxQuery {
    #[serde(default)]
    status: Option<String>,
}

/// `{"outbox": [...]}`
#[derive(Serialize)]
struct OutboxBody {
    outbox: Vec<OutboxItem>,
}

async fn outbox(request: ApiCaller, Query(query): Query<OutboxQuery>) -> Result<Json<OutboxBody>, ApiError> {
    let status = match query.status.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => Some(text.parse::<OutboxStatus>().map_err(|reason| AppError::field("status", reason))?),
        None => None,
    };
    let outbox = notifications::outbox(&request.context.pool, &request.caller, status).await?;
    Ok(Json(OutboxBody { outbox }))
}

async fn retry(request: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    notifications::retry(&request.context.pool, &request.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"webhooks": [...]}`
#[derive(Serialize)]
struct WebhooksBody {
    webhooks: Vec<DiscordWebhook>,
}

/// `{"webhook": ...}`
#[derive(Serialize)]
struct WebhookBody {
    webhook: DiscordWebhook,
}

async fn webhooks(request: ApiCaller) -> Result<Json<WebhooksBody>, ApiError> {
    let webhooks = notifications::webhooks(&request.context.pool, &request.caller).await?;
    Ok(Json(WebhooksBody { webhooks }))
}

async fn create_webhook(
    request: ApiCaller,
    Json(input): Json<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookBody>), ApiError> {
    let webhook =
        notifications::create_webhook(&request.context.pool, &request.context.settings, &request.caller, &input)
            .await?;
    Ok((StatusCode::CREATED, Json(WebhookBody { webhook })))
}

async fn update_webhook(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<WebhookInput>,
) -> Result<Json<WebhookBody>, ApiError> {
    let webhook =
        notifications::update_webhook(&request.context.pool, &request.context.settings, &request.caller, id, &input)
            .await?;
    Ok(Json(WebhookBody { webhook }))
}

async fn delete_webhook(request: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    notifications::delete_webhook(&request.context.pool, &request.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
