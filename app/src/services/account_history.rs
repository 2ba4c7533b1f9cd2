//! An account's history (issue 20, item 10): what happened to its security
//! (two-factor authentication turned on, off or reset, recovery codes
//! generated or used, wrong second factors), with who did it when not the
//! owner and from which address. Written in the change's own transaction;
//! shown to the owner on Settings.

use crate::domain::{AccountAction, AccountEvent, UserReference};
use crate::error::AppError;
use crate::services::Caller;
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use std::net::IpAddr;

/// The most events [`list`] returns: the 50 newest.
pub const LIST_LIMIT: i64 = 50;

/// Appends `action` to the history of account `user_id`, done by `actor_id`
/// when not the owner (an admin), from `address`.
///
/// Errors: [`AppError::Internal`] when the database fails (inside a
/// transaction, the change then rolls back with it).
pub async fn record(
    executor: impl PgExecutor<'_>,
    user_id: i64,
    actor_id: Option<i64>,
    action: AccountAction,
    address: Option<IpAddr>,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into account_events (user_id, actor_id, action, address) values ($1, $2, $3, $4::text::inet)",
        user_id,
        actor_id,
        action.as_str(),
        address.map(|address| address.to_string()),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// The caller's own history, newest first, at most [`LIST_LIMIT`] events.
/// Open to a session that must still turn on two-factor authentication.
///
/// Errors: 401 without a session; 403 for a bearer token.
pub async fn list(pool: &PgPool, caller: &Caller) -> Result<Vec<AccountEvent>, AppError> {
    let user = caller.enrolling_user()?;
    let rows = sqlx::query!(
        r#"select e.id, e.action, e.actor_id, a.username::text as "actor_username?", host(e.address) as address,
                  e.created_at as "created_at: DateTime<Utc>"
           from account_events e left join users a on a.id = e.actor_id
           where e.user_id = $1
           order by e.id desc limit $2"#,
        user.id,
        LIST_LIMIT,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let action = row.action.parse::<AccountAction>().map_err(|reason| {
                AppError::internal_because("unknown account event action", format!("{}: {reason}", row.action))
            })?;
            let actor = match (row.actor_id, row.actor_username) {
                (Some(id), Some(username)) => Some(UserReference { id, username }),
                _ => None,
            };
            Ok(AccountEvent { id: row.id, action, actor, address: row.address, created_at: row.created_at })
        })
        .collect()
}
