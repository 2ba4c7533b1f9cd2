//! Per-user notification preferences and the admins' defaults.

use crate::domain::NotificationPreference;
use crate::error::AppError;
use crate::services::{Caller, transaction};
use sqlx::PgPool;

/// The caller's choice for every kind their role can receive ([`NotificationKind::concerns`]):
/// their own, else the admins' default.
///
/// Errors: 401.
pub async fn preferences(pool: &PgPool, caller: &Caller) -> Result<Vec<NotificationPreference>, AppError> {
    let user = caller.user()?;
    let rows = sqlx::query!(
        r#"select d.kind::text as "kind!", coalesce(p.email, d.email) as "email!", coalesce(p.in_app, d.in_app) as "in_app!"
         from notification_defaults d
         left join notification_preferences p on p.kind = d.kind and p.user_id = $1"#,
        user.id,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.kind, row.email, row.in_app))
    .collect();
    let mut preferences = sorted_preferences(rows);
    preferences.retain(|preference| preference.kind.concerns(user.role));
    Ok(preferences)
}

fn sorted_preferences(rows: Vec<(String, bool, bool)>) -> Vec<NotificationPreference> {
    let mut preferences: Vec<NotificationPreference> = rows
        .into_iter()
        .filter_map(|(kind, email, in_app)| Some(NotificationPreference { kind: kind.parse().ok()?, email, in_app }))
        .collect();
    preferences.sort_by_key(|preference| preference.kind);
    preferences
}

/// Saves the caller's choices (kinds not listed keep theirs); returns all of them.
///
/// Errors: 401.
pub async fn set_preferences(
    pool: &PgPool,
    caller: &Caller,
    choices: &[NotificationPreference],
) -> Result<Vec<NotificationPreference>, AppError> {
    let user = caller.user()?;
    transaction::run(pool, |transaction| {
        Box::pin(async {
            for choice in choices {
                sqlx::query!(
                    "insert into notification_preferences (user_id, kind, email, in_app)
                     values ($1, $2::text::notification_kind, $3, $4)
                     on conflict (user_id, kind) do update set email = excluded.email, in_app = excluded.in_app",
                    user.id,
                    choice.kind.as_str(),
                    choice.email,
                    choice.in_app,
                )
                .execute(&mut **transaction)
                .await?;
            }
            Ok(())
        })
    })
    .await?;
    preferences(pool, caller).await
}

/// The defaults for users without a choice of their own (admins).
///
/// Errors: 401; 403 for others.
pub async fn default_preferences(pool: &PgPool, caller: &Caller) -> Result<Vec<NotificationPreference>, AppError> {
    caller.admin()?;
    let rows = sqlx::query!(r#"select kind::text as "kind!", email, in_app from notification_defaults"#)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| (row.kind, row.email, row.in_app))
        .collect();
    Ok(sorted_preferences(rows))
}

/// Changes the defaults (admins); kinds not listed keep theirs. Returns all of them.
///
/// Errors: 401; 403 for others.
pub async fn set_default_preferences(
    pool: &PgPool,
    caller: &Caller,
    choices: &[NotificationPreference],
) -> Result<Vec<NotificationPreference>, AppError> {
    caller.admin()?;
    transaction::run(pool, |transaction| {
        Box::pin(async {
            for choice in choices {
                sqlx::query!(
                    "update notification_defaults set email = $2, in_app = $3 where kind = $1::text::notification_kind",
                    choice.kind.as_str(),
                    choice.email,
                    choice.in_app,
                )
                .execute(&mut **transaction)
                .await?;
            }
            Ok(())
        })
    })
    .await?;
    default_preferences(pool, caller).await
}
