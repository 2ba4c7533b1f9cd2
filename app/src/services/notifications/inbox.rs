//! The in-app inbox behind the bell: listing, counting and marking read.

use super::INBOX_PAGE;
use crate::domain::{Notification, NotificationInbox, reference};
use crate::error::AppError;
use crate::services::Caller;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

struct NotificationRow {
    id: i64,
    kind: String,
    ticket_id: i64,
    prefix: String,
    number: i64,
    title: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

/// The caller's inbox: the latest [`INBOX_PAGE`] notifications, newest first
/// (only unread ones when `unread_only`), and the unread count.
///
/// Errors: 401.
pub async fn inbox(pool: &PgPool, caller: &Caller, unread_only: bool) -> Result<NotificationInbox, AppError> {
    let user = caller.user()?;
    let rows = sqlx::query_as!(
        NotificationRow,
        r#"select n.id, n.kind::text as "kind!", n.ticket_id, q.prefix, t.number, n.title,
            n.created_at as "created_at: DateTime<Utc>", n.read_at as "read_at: DateTime<Utc>"
         from notifications n join tickets t on t.id = n.ticket_id join queues q on q.id = t.queue_id
         where n.user_id = $1 and (not $2 or n.read_at is null)
         order by n.id desc limit $3"#,
        user.id,
        unread_only,
        INBOX_PAGE,
    )
    .fetch_all(pool)
    .await?;
    let unread = unread_count(pool, caller).await?;
    let notifications = rows
        .into_iter()
        .filter_map(|row| {
            Some(Notification {
                id: row.id,
                kind: row.kind.parse().ok()?,
                ticket_id: row.ticket_id,
                reference: reference(&row.prefix, row.number),
                title: row.title,
                created_at: row.created_at,
                read_at: row.read_at,
            })
        })
        .collect();
    Ok(NotificationInbox { notifications, unread })
}

/// How many of the caller's notifications are unread.
///
/// Errors: 401.
pub async fn unread_count(pool: &PgPool, caller: &Caller) -> Result<i64, AppError> {
    let user = caller.user()?;
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "count!" from notifications where user_id = $1 and read_at is null"#,
        user.id
    )
    .fetch_one(pool)
    .await?)
}

/// Marks the caller's notifications read: those in `ids`, or all of them
/// when `ids` is `None`. Others' notifications are silently left alone.
/// Returns the unread count after.
///
/// Errors: 401.
pub async fn mark_read(pool: &PgPool, caller: &Caller, ids: Option<&[i64]>) -> Result<i64, AppError> {
    let user = caller.user()?;
    sqlx::query!(
        "update notifications set read_at = now()
         where user_id = $1 and read_at is null and ($2::bigint[] is null or id = any($2))",
        user.id,
        ids,
    )
    .execute(pool)
    .await?;
    unread_count(pool, caller).await
}
