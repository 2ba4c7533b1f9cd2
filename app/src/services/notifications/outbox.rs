//! The outbox as admins see it: the latest rows, and retrying a failed one.

use super::{OUTBOX_CHANNEL, OUTBOX_PAGE};
use crate::domain::{OutboxChannel, OutboxItem, OutboxStatus, reference};
use crate::error::AppError;
use crate::services::{Caller, transaction};
use crate::t;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

struct OutboxRow {
    id: i64,
    channel: OutboxChannel,
    status: OutboxStatus,
    kind: String,
    prefix: Option<String>,
    number: Option<i64>,
    recipient: Option<String>,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

/// The latest [`OUTBOX_PAGE`] outbox rows, newest first, optionally of one
/// status (admins). Email rows show their address, Discord rows their
/// webhook's name, never its URL.
///
/// Errors: 401; 403.
pub async fn outbox(pool: &PgPool, caller: &Caller, status: Option<OutboxStatus>) -> Result<Vec<OutboxItem>, AppError> {
    caller.admin()?;
    let rows = sqlx::query_as!(
        OutboxRow,
        r#"select o.id, o.channel as "channel: OutboxChannel", o.status as "status: OutboxStatus",
            o.kind::text as "kind!", q.prefix as "prefix?", t.number as "number?",
            coalesce(o.payload->>'to', w.name) as recipient, o.attempts, o.last_error,
            o.next_attempt_at as "next_attempt_at: DateTime<Utc>", o.created_at as "created_at: DateTime<Utc>",
            o.sent_at as "sent_at: DateTime<Utc>"
         from outbox o
         left join tickets t on t.id = o.ticket_id left join queues q on q.id = t.queue_id
         left join discord_webhooks w on w.id = o.webhook_id
         where $1::outbox_status is null or o.status = $1
         order by o.id desc limit $2"#,
        status as Option<OutboxStatus>,
        OUTBOX_PAGE,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(OutboxItem {
                id: row.id,
                channel: row.channel,
                status: row.status,
                kind: row.kind.parse().ok()?,
                reference: row.prefix.zip(row.number).map(|(prefix, number)| reference(&prefix, number)),
                recipient: row.recipient.unwrap_or_default(),
                attempts: row.attempts,
                last_error: row.last_error,
                next_attempt_at: row.next_attempt_at,
                created_at: row.created_at,
                sent_at: row.sent_at,
            })
        })
        .collect())
}

/// Sends a failed row again (admins): back to `pending`, due now, with
/// another 24 hours before the worker gives up.
///
/// Errors: 401; 403; 404; 409 when the row is not `failed`.
pub async fn retry(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    caller.admin()?;
    transaction::run(pool, |transaction| {
        Box::pin(async {
            let status = sqlx::query_scalar!(
                r#"select status as "status: OutboxStatus" from outbox where id = $1 for update"#,
                id
            )
            .fetch_optional(&mut **transaction)
            .await?;
            match status {
                None => return Err(AppError::not_found("outbox message")),
                Some(OutboxStatus::Failed) => {}
                Some(_) => return Err(AppError::conflict_field("id", t!(field.retry_failed_only))),
            }
            sqlx::query!(
                "update outbox set status = 'pending', next_attempt_at = now(),
                    give_up_at = now() + interval '24 hours', claimed_until = null
                 where id = $1",
                id,
            )
            .execute(&mut **transaction)
            .await?;
            sqlx::query!("select pg_notify($1, '')", OUTBOX_CHANNEL).execute(&mut **transaction).await?;
            Ok(())
        })
    })
    .await
}
