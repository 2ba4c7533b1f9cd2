//! Server functions for the caller's in-app notifications (the bell).

use crate::domain::NotificationInbox;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {super::ssr::*, crate::services::notifications};

/// The caller's latest notifications, newest first, with the unread count.
#[server(prefix = "/fn", endpoint = "notifications")]
pub async fn list_notifications() -> Result<NotificationInbox, AppError> {
    let request = request().await?;
    respond(notifications::inbox(&request.context.pool, &request.caller, false).await)
}

/// How many of the caller's notifications are unread.
#[server(prefix = "/fn", endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let request = request().await?;
    respond(notifications::unread_count(&request.context.pool, &request.caller).await)
}

/// Marks one of the caller's notifications read; returns the unread count after.
#[server(prefix = "/fn", endpoint = "mark_notification_read")]
pub async fn mark_notification_read(id: i64) -> Result<i64, AppError> {
    let request = request().await?;
    respond(notifications::mark_read(&request.context.pool, &request.caller, Some(&[id])).await)
}

/// Marks all of the caller's notifications read; returns the unread count after (0).
#[server(prefix = "/fn", endpoint = "mark_all_notifications_read")]
pub async fn mark_all_notifications_read() -> Result<i64, AppError> {
    let request = request().await?;
    respond(notifications::mark_read(&request.context.pool, &request.caller, None).await)
}
