//! Drafts: what a user is typing in a form, saved while typing and restored
//! on any device; removed when the form is submitted.

use crate::error::AppError;
use crate::services::Caller;
use crate::t;
use serde_json::Value;
use sqlx::PgPool;

/// Largest draft, in bytes of JSON: 64 KiB (a 20,000-character body in any script fits).
pub const DRAFT_MAX_BYTES: usize = 64 * 1024;

/// Checks a form key: `new_ticket` or `reply:<ticket id>`.
fn check_form(form: &str) -> Result<(), AppError> {
    let valid = form == "new_ticket"
        || form
            .strip_prefix("reply:")
            .is_some_and(|id| !id.is_empty() && id.len() <= 19 && id.chars().all(|c| c.is_ascii_digit()));
    if valid { Ok(()) } else { Err(AppError::field("form", t!(field.draft_form))) }
}

/// The caller's draft of `form`, if any (a JSON object of field → text).
///
/// Errors: 401; 422 for an unknown form key.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), form))]
pub async fn get_draft(pool: &PgPool, caller: &Caller, form: &str) -> Result<Option<Value>, AppError> {
    let user = caller.user()?;
    check_form(form)?;
    Ok(sqlx::query_scalar!("select content from drafts where user_id = $1 and form = $2", user.id, form)
        .fetch_optional(pool)
        .await?)
}

/// Saves (replaces) the caller's draft of `form`; an object whose values
/// are all empty deletes it.
///
/// Errors: 401; 422 for an unknown form key, content that is not an
/// object, or more than [`DRAFT_MAX_BYTES`].
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), form))]
pub async fn save_draft(pool: &PgPool, caller: &Caller, form: &str, content: &Value) -> Result<(), AppError> {
    let user = caller.user()?;
    check_form(form)?;
    let Value::Object(fields) = content else {
        return Err(AppError::field("content", t!(field.json_object)));
    };
    if content.to_string().len() > DRAFT_MAX_BYTES {
        return Err(AppError::field("content", t!(field.draft_too_large)));
    }
    if let Some(reason) = fields
        .iter()
        .flat_map(|(name, value)| [Some(name.as_str()), value.as_str()])
        .flatten()
        .find_map(|text| crate::services::text::problem(text, DRAFT_MAX_BYTES))
    {
        return Err(AppError::field("content", reason));
    }
    let empty =
        fields.values().all(|value| value.as_str().is_some_and(|text| text.trim().is_empty()) || value.is_null());
    if empty {
        sqlx::query!("delete from drafts where user_id = $1 and form = $2", user.id, form).execute(pool).await?;
    } else {
        sqlx::query!(
            "insert into drafts (user_id, form, content) values ($1, $2, $3)
             on conflict (user_id, form) do update set content = excluded.content, updated_at = now()",
            user.id,
            form,
            content,
        )
        .execute(pool)
        .await?;
    }
    Ok(())
}
