//! API tokens: created by a user for scripts and integrations, shown once,
//! stored as a SHA-256 hash, sent as `Authorization: Bearer <token>`.

use crate::domain::{ApiToken, NewApiToken, User};
use crate::error::{AppError, FieldErrors};
use crate::services::Caller;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// Every token starts with this, so leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "gt_";

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a token for the caller named `name` (1–100 characters). The
/// token (`gt_` + 64 hex digits, 256 random bits) is returned once.
///
/// Errors: 401; 422 for a bad name.
pub async fn create_token(pool: &PgPool, caller: &Caller, name: &str) -> Result<NewApiToken, AppError> {
    let user = caller.user()?;
    let name = name.trim();
    let mut fields = FieldErrors::new();
    if name.is_empty() || name.chars().count() > 100 {
        fields.insert("name".into(), "must be 1 to 100 characters long".into());
    }
    AppError::check(fields)?;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let id: i64 =
        sqlx::query_scalar("insert into api_tokens (user_id, name, token_hash) values ($1, $2, $3) returning id")
            .bind(user.id)
            .bind(name)
            .bind(digest(&token))
            .fetch_one(pool)
            .await?;
    Ok(NewApiToken { id, name: name.to_string(), token })
}

/// The caller's tokens, newest first (never the secrets).
pub async fn list_tokens(pool: &PgPool, caller: &Caller) -> Result<Vec<ApiToken>, AppError> {
    let user = caller.user()?;
    Ok(sqlx::query_as::<_, (i64, String, chrono::DateTime<chrono::Utc>, Option<chrono::DateTime<chrono::Utc>>)>(
        "select id, name, created_at, last_used_at from api_tokens where user_id = $1 order by id desc",
    )
    .bind(user.id)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|(id, name, created_at, last_used_at)| ApiToken { id, name, created_at, last_used_at })
    .collect())
}

/// Revokes one of the caller's tokens; streams opened with it end at once.
///
/// Errors: 401; 404 when the caller has no such token.
pub async fn delete_token(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    let user = caller.user()?;
    let deleted = sqlx::query("delete from api_tokens where id = $1 and user_id = $2")
        .bind(id)
        .bind(user.id)
        .execute(pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::not_found("token"));
    }
    // Streams opened with that token end; the others reconnect at once.
    crate::services::live::notify_account_changed(pool, user.id).await?;
    Ok(())
}

/// A token's row joined to its user: what [`user_for_token`] reads.
#[derive(sqlx::FromRow)]
struct TokenOwner {
    token_id: i64,
    /// `last_used_at` is unset or older than a minute.
    stale: bool,
    #[sqlx(flatten)]
    user: User,
}

/// The user a bearer token belongs to, or `None` for an unknown token.
///
/// One statement reads the token and its user (every API request pays it).
/// Records the time of use at most once a minute: most requests only read
/// (an `UPDATE` each time cost every API read a write and a WAL flush).
///
/// Errors: [`AppError::Internal`] when the database fails.
pub async fn user_for_token(pool: &PgPool, token: &str) -> Result<Option<User>, AppError> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let found: Option<TokenOwner> = sqlx::query_as(&format!(
        "select t.id as token_id, t.last_used_at is null or t.last_used_at < now() - interval '1 minute' as stale,
                {columns}
         from api_tokens t join users u on u.id = t.user_id where t.token_hash = $1",
        columns = crate::services::accounts::USER_COLUMNS_OF_U,
    ))
    .bind(digest(token))
    .fetch_optional(pool)
    .await?;
    let Some(owner) = found else { return Ok(None) };
    if owner.stale {
        sqlx::query("update api_tokens set last_used_at = now() where id = $1")
            .bind(owner.token_id)
            .execute(pool)
            .await?;
    }
    Ok(Some(owner.user))
}
