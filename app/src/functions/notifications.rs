//! Server functions for notifications: the caller's inbox (the bell) and
//! preferences; for admins the default preferences, Discord webhooks and the outbox.

use crate::domain::{
    DiscordWebhook, NotificationInbox, NotificationKind, NotificationPreference, OutboxItem, OutboxStatus, Queue,
    Secret,
};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use {
    super::ssr::*,
    crate::services::catalog,
    crate::services::notifications::{self, WebhookInput},
};

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

/// Everything `/admin/notifications` shows besides the outbox: the default
/// preferences, the Discord webhooks (URLs masked) and the queues they may belong to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationSetup {
    pub defaults: Vec<NotificationPreference>,
    pub webhooks: Vec<DiscordWebhook>,
    pub queues: Vec<Queue>,
}

/// The choices of a preferences form: `kinds` lists the rows the form showed,
/// `email` and `in_app` the kinds whose box was ticked. A kind not shown keeps
/// its stored choice.
#[cfg(feature = "ssr")]
fn choices(
    kinds: &[NotificationKind],
    email: &[NotificationKind],
    in_app: &[NotificationKind],
) -> Vec<NotificationPreference> {
    kinds
        .iter()
        .map(|&kind| NotificationPreference { kind, email: email.contains(&kind), in_app: in_app.contains(&kind) })
        .collect()
}

/// Sends the browser back to `page` with `notice=<notice>` in the address,
/// which the page turns into a confirmation; this works with and without
/// JavaScript (a plain form post gets a 302, the wasm navigates). See [`back_address`].
#[cfg(feature = "ssr")]
fn redirect_back(page: &str, notice: &str) {
    let parts = use_context::<http::request::Parts>();
    let referer = parts.as_ref().and_then(|parts| parts.headers.get(http::header::REFERER)?.to_str().ok());
    leptos_axum::redirect(&back_address(referer, page, notice));
}

/// `page?<query>&notice=<notice>`, where the query (e.g. the outbox's
/// `status`) comes from `referer` when that is the same page; `notice`,
/// `edit` and Leptos' error parameters (`__path`, `__err`) are dropped. Only
/// the Referer's query is used, never its host or path, so this cannot send
/// anyone off the site.
#[cfg(feature = "ssr")]
fn back_address(referer: Option<&str>, page: &str, notice: &str) -> String {
    let query = referer
        .and_then(|referer| referer.parse::<http::Uri>().ok())
        .filter(|referer| referer.path() == page)
        .and_then(|referer| referer.query().map(str::to_string))
        .unwrap_or_default();
    let notice = format!("notice={notice}");
    let pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            !key.is_empty() && !matches!(key, "notice" | "edit" | "__path" | "__err")
        })
        .chain([notice.as_str()])
        .collect();
    format!("{page}?{}", pairs.join("&"))
}

/// The caller's choice per kind: their own, else the admins' default.
///
/// Errors: 401.
#[server(prefix = "/fn", endpoint = "notification_preferences")]
pub async fn notification_preferences() -> Result<Vec<NotificationPreference>, AppError> {
    let request = request().await?;
    respond(notifications::preferences(&request.context.pool, &request.caller).await)
}

/// Saves the caller's choices from the settings form (see [`choices`] for the
/// fields), then sends the browser back to `/settings?notice=notifications`.
///
/// Errors: 401; 400 for an unknown kind.
#[server(prefix = "/fn", endpoint = "save_notification_preferences")]
pub async fn save_notification_preferences(
    #[server(default)] kinds: Vec<NotificationKind>,
    #[server(default)] email: Vec<NotificationKind>,
    #[server(default)] in_app: Vec<NotificationKind>,
) -> Result<Vec<NotificationPreference>, AppError> {
    let request = request().await?;
    let choices = choices(&kinds, &email, &in_app);
    let saved = respond(notifications::set_preferences(&request.context.pool, &request.caller, &choices).await)?;
    redirect_back("/settings", "notifications");
    Ok(saved)
}

/// The default preferences, the Discord webhooks and the queues, for `/admin/notifications`.
///
/// Errors: 401; 403 for everyone but admins.
#[server(prefix = "/fn", endpoint = "load_notification_setup")]
pub async fn load_notification_setup() -> Result<NotificationSetup, AppError> {
    let request = request().await?;
    let (pool, caller) = (&request.context.pool, &request.caller);
    let defaults = respond(notifications::default_preferences(pool, caller).await)?;
    let webhooks = respond(notifications::webhooks(pool, caller).await)?;
    let queues = respond(catalog::catalog_for_admin(pool, caller).await)?.queues;
    Ok(NotificationSetup { defaults, webhooks, queues })
}

/// Saves the defaults of users without a choice of their own (admins), from a
/// form shaped like the settings one; back to `/admin/notifications?notice=defaults`.
///
/// Errors: 401; 403; 400 for an unknown kind.
#[server(prefix = "/fn", endpoint = "save_default_notification_preferences")]
pub async fn save_default_notification_preferences(
    #[server(default)] kinds: Vec<NotificationKind>,
    #[server(default)] email: Vec<NotificationKind>,
    #[server(default)] in_app: Vec<NotificationKind>,
) -> Result<Vec<NotificationPreference>, AppError> {
    let request = request().await?;
    let choices = choices(&kinds, &email, &in_app);
    let saved =
        respond(notifications::set_default_preferences(&request.context.pool, &request.caller, &choices).await)?;
    redirect_back("/admin/notifications", "defaults");
    Ok(saved)
}

/// Adds a Discord webhook to a queue (admins); back to `/admin/notifications?notice=webhook_added`.
/// `kinds` are the events it announces ([`NotificationKind::DISCORD`]).
///
/// Errors: 401; 403; 422 with field errors on `queue`, `name`, `url`, `kinds`.
#[server(prefix = "/fn", endpoint = "create_discord_webhook")]
pub async fn create_discord_webhook(
    queue: String,
    name: String,
    url: Secret,
    #[server(default)] kinds: Vec<NotificationKind>,
    #[server(default)] active: bool,
) -> Result<DiscordWebhook, AppError> {
    let request = request().await?;
    let input = WebhookInput { queue, name, url: url.expose().into(), kinds, active };
    let webhook = respond(
        notifications::create_webhook(&request.context.pool, &request.context.settings, &request.caller, &input).await,
    )?;
    redirect_back("/admin/notifications", "webhook_added");
    Ok(webhook)
}

/// Changes a Discord webhook (admins); an empty `url` keeps the stored one.
/// Back to `/admin/notifications?notice=webhook_saved` (the edit form closes).
///
/// Errors: 401; 403; 404; 422 as for [`create_discord_webhook`].
#[server(prefix = "/fn", endpoint = "update_discord_webhook")]
pub async fn update_discord_webhook(
    id: i64,
    queue: String,
    name: String,
    #[server(default)] url: Secret,
    #[server(default)] kinds: Vec<NotificationKind>,
    #[server(default)] active: bool,
) -> Result<DiscordWebhook, AppError> {
    let request = request().await?;
    let input = WebhookInput { queue, name, url: url.expose().into(), kinds, active };
    let webhook = respond(
        notifications::update_webhook(&request.context.pool, &request.context.settings, &request.caller, id, &input)
            .await,
    )?;
    redirect_back("/admin/notifications", "webhook_saved");
    Ok(webhook)
}

/// Deletes a Discord webhook and its outbox rows (admins); back to
/// `/admin/notifications?notice=webhook_deleted`.
///
/// Errors: 401; 403; 404.
#[server(prefix = "/fn", endpoint = "delete_discord_webhook")]
pub async fn delete_discord_webhook(id: i64) -> Result<(), AppError> {
    let request = request().await?;
    respond(notifications::delete_webhook(&request.context.pool, &request.caller, id).await)?;
    redirect_back("/admin/notifications", "webhook_deleted");
    Ok(())
}

/// The latest outbox rows, newest first, of one `status` or all (admins).
///
/// Errors: 401; 403.
#[server(prefix = "/fn", endpoint = "notification_outbox")]
pub async fn notification_outbox(status: Option<OutboxStatus>) -> Result<Vec<OutboxItem>, AppError> {
    let request = request().await?;
    respond(notifications::outbox(&request.context.pool, &request.caller, status).await)
}

/// Sends a failed outbox row again (admins); back to the outbox with
/// `notice=retried`, keeping its status filter.
///
/// Errors: 401; 403; 404; 409 when the row is not `failed`.
#[server(prefix = "/fn", endpoint = "retry_outbox_message")]
pub async fn retry_outbox_message(id: i64) -> Result<(), AppError> {
    let request = request().await?;
    respond(notifications::retry(&request.context.pool, &request.caller, id).await)?;
    redirect_back("/admin/notifications", "retried");
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::back_address;

    #[test]
    fn the_way_back_keeps_the_filter_and_drops_the_rest() {
        let referer =
            "http://127.0.0.1:3000/admin/notifications?status=failed&edit=3&notice=defaults&__path=/fn/x&__err=e";
        assert_eq!(
            back_address(Some(referer), "/admin/notifications", "retried"),
            "/admin/notifications?status=failed&notice=retried"
        );
    }

    #[test]
    fn the_way_back_never_leaves_the_page() {
        for referer in
            [None, Some("https://evil.example/elsewhere?status=failed"), Some("http://a//evil.example/x?y=1")]
        {
            assert_eq!(back_address(referer, "/settings", "notifications"), "/settings?notice=notifications");
        }
    }
}
