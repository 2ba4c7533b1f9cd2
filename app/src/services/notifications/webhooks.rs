//! Discord webhooks per queue, as admins manage them (URLs hold secrets:
//! shown masked, never logged).

use crate::domain::{DiscordWebhook, NotificationKind};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, Settings, outgoing, text, transaction};
use crate::t;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};

/// A webhook as an admin writes it. Its `Debug` never shows the URL.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct WebhookInput {
    /// The queue's slug.
    #[serde(default)]
    pub queue: String,
    #[serde(default)]
    pub name: String,
    /// Discord's webhook URL (`https://discord.com/api/webhooks/<id>/<token>`);
    /// on update, empty keeps the stored one.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub kinds: Vec<NotificationKind>,
    #[serde(default = "default_true")]
    pub active: bool,
}

impl std::fmt::Debug for WebhookInput {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WebhookInput")
            .field("queue", &self.queue)
            .field("name", &self.name)
            .field("url", &"<redacted>")
            .field("kinds", &self.kinds)
            .field("active", &self.active)
            .finish()
    }
}

/// Longest webhook URL, in characters (Discord's are about 120).
const URL_MAX: usize = 2_000;

fn default_true() -> bool {
    true
}

/// Longest webhook URL accepted by [`check_webhook_url`], in bytes.
const URL_CHECKED_MAX: usize = 500;

/// Checks a webhook URL as [`outgoing`] rules it: `https://` (`http://` too
/// with [`Settings::webhook_allow_private`], for a local stand-in), no user
/// name or password, and a host that is, or resolves to, public addresses
/// only. Returns the reason.
async fn check_webhook_url(text: &str, allow_private: bool) -> Result<(), String> {
    if text.chars().any(char::is_whitespace) || text.len() > URL_CHECKED_MAX {
        return Err(outgoing::Refusal::Invalid.reason());
    }
    let url = outgoing::parse(text, allow_private).map_err(|refusal| refusal.reason())?;
    outgoing::check_resolved(&url, allow_private).await.map_err(|refusal| refusal.reason())
}

/// The field error of `input.url`, if any; an empty URL is allowed unless
/// `url_required` (on update it keeps the stored one). Resolves the host, so
/// call it before taking a database connection.
async fn url_problem(input: &WebhookInput, url_required: bool, allow_private: bool) -> Option<String> {
    let url = input.url.trim();
    if let Some(reason) = text::problem(url, URL_MAX) {
        return Some(reason);
    }
    if url.is_empty() {
        return url_required.then(|| t!(field.required).into());
    }
    check_webhook_url(url, allow_private).await.err()
}

/// A webhook URL with its secret token hidden: everything after the last
/// `/` but one path segment, e.g. `https://discord.com/api/webhooks/123/…`.
pub fn mask_url(url: &str) -> String {
    match url.rsplit_once('/') {
        Some((head, tail)) if !tail.is_empty() && head.contains("://") && head.split('/').count() > 3 => {
            format!("{head}/…")
        }
        _ => "…".into(),
    }
}

struct WebhookRow {
    id: i64,
    queue: String,
    name: String,
    url: String,
    kinds: Vec<String>,
    active: bool,
}

impl From<WebhookRow> for DiscordWebhook {
    fn from(row: WebhookRow) -> Self {
        DiscordWebhook {
            id: row.id,
            queue: row.queue,
            name: row.name,
            url: mask_url(&row.url),
            kinds: row.kinds.iter().filter_map(|kind| kind.parse().ok()).collect(),
            active: row.active,
        }
    }
}

/// Webhook `id` as [`webhooks`] lists it, on `connection`.
async fn webhook_row(connection: &mut PgConnection, id: i64) -> Result<WebhookRow, sqlx::Error> {
    sqlx::query_as!(
        WebhookRow,
        r#"select w.id, q.slug as queue, w.name, w.url, w.kinds::text[] as "kinds!", w.active
         from discord_webhooks w join queues q on q.id = w.queue_id
         where w.id = $1"#,
        id,
    )
    .fetch_one(connection)
    .await
}

/// Every Discord webhook, URLs masked (admins).
///
/// Errors: 401; 403 for others.
pub async fn webhooks(pool: &PgPool, caller: &Caller) -> Result<Vec<DiscordWebhook>, AppError> {
    caller.admin()?;
    let rows = sqlx::query_as!(
        WebhookRow,
        r#"select w.id, q.slug as queue, w.name, w.url, w.kinds::text[] as "kinds!", w.active
         from discord_webhooks w join queues q on q.id = w.queue_id
         order by q.slug, w.id"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Validates a webhook, with `url_problem` from [`url_problem`]; returns the queue id.
async fn check_webhook(
    connection: &mut PgConnection,
    input: &WebhookInput,
    url_problem: Option<String>,
) -> Result<i64, AppError> {
    let mut fields = FieldErrors::new();
    text::required(&mut fields, "name", &input.name, 1, 100);
    if let Some(reason) = url_problem {
        fields.insert("url".into(), reason);
    }
    if input.kinds.is_empty() {
        fields.insert("kinds".into(), t!(field.choose_event).into());
    } else if let Some(kind) = input.kinds.iter().find(|kind| !NotificationKind::DISCORD.contains(kind)) {
        fields.insert("kinds".into(), t!(field.not_on_discord, kind = kind.as_str()));
    }
    let queue_id = match text::problem(&input.queue, 64) {
        Some(_) => None,
        None => {
            sqlx::query_scalar!("select id from queues where slug = $1", input.queue.trim())
                .fetch_optional(&mut *connection)
                .await?
        }
    };
    if queue_id.is_none() {
        fields.insert("queue".into(), t!(field.not_a_queue).into());
    }
    AppError::check(fields)?;
    queue_id.ok_or_else(AppError::internal)
}

fn kind_names(kinds: &[NotificationKind]) -> Vec<String> {
    let mut names: Vec<String> = kinds.iter().map(|kind| kind.as_str().to_string()).collect();
    names.sort();
    names.dedup();
    names
}

/// Adds a Discord webhook to a queue (admins). The URL is checked by the
/// rules of [`outgoing`], its host resolved (`settings.webhook_allow_private`
/// lifts the address rule).
///
/// Errors: 401; 403; 422 for a missing name, a bad URL (not https, a user
/// name or password in it, an address inside the network), an unknown
/// queue, or no (or non-Discord) kinds.
pub async fn create_webhook(
    pool: &PgPool,
    settings: &Settings,
    caller: &Caller,
    input: &WebhookInput,
) -> Result<DiscordWebhook, AppError> {
    caller.admin()?;
    let url_problem = url_problem(input, true, settings.webhook_allow_private).await;
    transaction::run(pool, |transaction| {
        Box::pin(async {
            let queue_id = check_webhook(transaction, input, url_problem.clone()).await?;
            let id = sqlx::query_scalar!(
                "insert into discord_webhooks (queue_id, name, url, kinds, active)
                 values ($1, $2, $3, $4::text[]::notification_kind[], $5) returning id",
                queue_id,
                input.name.trim(),
                input.url.trim(),
                &kind_names(&input.kinds),
                input.active,
            )
            .fetch_one(&mut **transaction)
            .await?;
            Ok(webhook_row(transaction, id).await?.into())
        })
    })
    .await
}

/// Changes a webhook (admins); an empty `url` keeps the stored one.
///
/// Errors: 401; 403; 404; 422 as for [`create_webhook`].
pub async fn update_webhook(
    pool: &PgPool,
    settings: &Settings,
    caller: &Caller,
    id: i64,
    input: &WebhookInput,
) -> Result<DiscordWebhook, AppError> {
    caller.admin()?;
    let url_problem = url_problem(input, false, settings.webhook_allow_private).await;
    transaction::run(pool, |transaction| {
        Box::pin(async {
            let queue_id = check_webhook(transaction, input, url_problem.clone()).await?;
            let url = input.url.trim();
            let updated = sqlx::query!(
                "update discord_webhooks set queue_id = $2, name = $3, url = case when $4 = '' then url else $4 end,
                    kinds = $5::text[]::notification_kind[], active = $6
                 where id = $1",
                id,
                queue_id,
                input.name.trim(),
                url,
                &kind_names(&input.kinds),
                input.active,
            )
            .execute(&mut **transaction)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(AppError::not_found("webhook"));
            }
            Ok(webhook_row(transaction, id).await?.into())
        })
    })
    .await
}

/// Deletes a webhook and its outbox rows (admins).
///
/// Errors: 401; 403; 404.
pub async fn delete_webhook(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    caller.admin()?;
    let deleted = sqlx::query!("delete from discord_webhooks where id = $1", id).execute(pool).await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::not_found("webhook"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_input_never_prints_its_url() {
        let input = WebhookInput {
            queue: "support".into(),
            name: "#support".into(),
            url: "https://discord.com/api/webhooks/123/SECRET-TOKEN".into(),
            kinds: vec![NotificationKind::TicketCreated],
            active: true,
        };
        let printed = format!("{input:?} {input:#?}");
        assert!(!printed.contains("SECRET-TOKEN") && !printed.contains("webhooks/123"), "{printed}");
        assert!(printed.contains("#support") && printed.contains("<redacted>"), "{printed}");
    }
}
