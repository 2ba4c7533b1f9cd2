//! API tokens: created by a user for scripts and integrations, shown once,
//! stored as a SHA-256 hash, sent as `Authorization: Bearer <token>`.

use crate::domain::{ApiToken, NewApiToken, Role, TokenScope, User};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, text, transaction};
use crate::t;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::net::IpAddr;

/// Every token starts with this, so leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "gt_";

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The longest expiry a token may be given: 3,650 days (ten years).
pub const MAX_EXPIRY_DAYS: i64 = 3_650;

/// Creates a token for the caller named `name` (1–100 characters, see
/// [`text`]), with `scope` (`read`, `write` or `admin`; empty = `write`) and
/// an expiry `expires_in_days` days from now (1–[`MAX_EXPIRY_DAYS`]; `None`
/// = never). The token (`gt_` + 64 hex digits, 256 random bits) is returned
/// once. Only a session may create tokens, so a leaked token cannot mint
/// others (issue 20).
///
/// Errors: 401; 403 for a caller authenticated by a bearer token; 422 for a
/// bad name, scope or expiry.
pub async fn create_token(
    pool: &PgPool,
    caller: &Caller,
    name: &str,
    scope: &str,
    expires_in_days: Option<i64>,
) -> Result<NewApiToken, AppError> {
    let user = caller.session_user()?;
    let mut fields = FieldErrors::new();
    let name = text::required(&mut fields, "name", name, 1, 100);
    let scope = match scope.trim() {
        "" => TokenScope::default(),
        scope => {
            scope.parse::<TokenScope>().map_err(|reason| fields.insert("scope".into(), reason)).unwrap_or_default()
        }
    };
    if let Some(days) = expires_in_days
        && !(1..=MAX_EXPIRY_DAYS).contains(&days)
    {
        fields.insert("expires_in_days".into(), t!(field.expiry_days, max = MAX_EXPIRY_DAYS));
    }
    AppError::check(fields)?;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let created = sqlx::query!(
        r#"insert into api_tokens (user_id, name, token_hash, scope, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(days => $5::int))
         returning id, expires_at as "expires_at: DateTime<Utc>""#,
        user.id,
        name,
        digest(&token),
        scope.as_str(),
        expires_in_days.map(|days| days as i32),
    )
    .fetch_one(pool)
    .await?;
    Ok(NewApiToken { id: created.id, name, scope, expires_at: created.expires_at, token: token.into() })
}

/// The caller's tokens, newest first (never the secrets), expired ones
/// included (their `expires_at` is past).
pub async fn list_tokens(pool: &PgPool, caller: &Caller) -> Result<Vec<ApiToken>, AppError> {
    let user = caller.user()?;
    let rows = sqlx::query!(
        r#"select id, name, scope, created_at as "created_at: DateTime<Utc>",
            last_used_at as "last_used_at: DateTime<Utc>", expires_at as "expires_at: DateTime<Utc>"
         from api_tokens where user_id = $1 order by id desc"#,
        user.id,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ApiToken {
            id: row.id,
            name: row.name,
            scope: row.scope.parse().unwrap_or(TokenScope::Read),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
        })
        .collect())
}

/// Revokes one of the caller's tokens; streams opened with it end at once
/// (the revocation and its announcement commit together).
///
/// Errors: 401; 404 when the caller has no such token.
pub async fn delete_token(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    let user = caller.writer()?;
    transaction::run(pool, |transaction| {
        Box::pin(async {
            let deleted = sqlx::query!("delete from api_tokens where id = $1 and user_id = $2", id, user.id)
                .execute(&mut **transaction)
                .await?;
            if deleted.rows_affected() == 0 {
                return Err(AppError::not_found("token"));
            }
            // Streams opened with that token end (once it is gone); the others reconnect at once.
            crate::services::live::notify_account_changed(&mut **transaction, user.id).await
        })
    })
    .await
}

/// The caller a bearer token stands for: its user, limited to its scope.
/// `reading` says whether the request only reads (GET or HEAD): a `read`
/// token may make no other.
///
/// Errors: 401 for an unknown, revoked or expired token; 403 for a `read`
/// token on a request that is not `reading`; [`AppError::Internal`] when the
/// database fails.
pub async fn caller_for_token(
    pool: &PgPool,
    token: &str,
    address: Option<IpAddr>,
    reading: bool,
) -> Result<Caller, AppError> {
    let Some((user, scope)) = user_for_token(pool, token).await? else {
        return Err(AppError::Unauthorized { message: t!(errors.token_invalid).into() });
    };
    crate::services::viewer::apply_to_request(&user);
    if scope == TokenScope::Read && !reading {
        return Err(AppError::forbidden(t!(errors.token_read_only)));
    }
    Ok(Caller { user: Some(user), address, token_scope: Some(scope), two_factor_missing: false })
}

/// The user a bearer token belongs to, with the token's scope, or `None` for
/// an unknown or expired token.
///
/// One statement reads the token and its user (every API request pays it).
/// Records the time of use at most once a minute: most requests only read
/// (an `UPDATE` each time cost every API read a write and a WAL flush).
///
/// Errors: [`AppError::Internal`] when the database fails.
pub async fn user_for_token(pool: &PgPool, token: &str) -> Result<Option<(User, TokenScope)>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    // `stale`: the time of use is unset or older than a minute.
    let found = sqlx::query!(
        r#"select t.id as token_id, t.scope,
                t.last_used_at is null or t.last_used_at < now() - interval '1 minute' as "stale!",
                u.id as user_id, u.username::text as "username!", u.email::text as "email!", u.role as "role: Role",
                u.discord_username, u.discord_id, u.created_at as "created_at: DateTime<Utc>",
                u.language, u.time_zone
         from api_tokens t join users u on u.id = t.user_id
         where t.token_hash = $1 and (t.expires_at is null or t.expires_at > now())"#,
        digest(token),
    )
    .fetch_optional(pool)
    .await?;
    let Some(owner) = found else { return Ok(None) };
    if owner.stale {
        sqlx::query!("update api_tokens set last_used_at = now() where id = $1", owner.token_id).execute(pool).await?;
    }
    let user = User {
        id: owner.user_id,
        username: owner.username,
        email: owner.email,
        role: owner.role,
        discord_username: owner.discord_username,
        discord_id: owner.discord_id,
        created_at: owner.created_at,
        language: owner.language,
        time_zone: owner.time_zone,
    };
    Ok(Some((user, owner.scope.parse().unwrap_or(TokenScope::Read))))
}
