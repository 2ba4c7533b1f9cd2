//! Whose eyes the pages and emails are for (issue 13): each user's language
//! and time zone, stored on the account (Settings page, the header's
//! language switcher, `PUT /api/v1/me/settings`). See [`crate::i18n`] for
//! how a request's viewer is chosen.

use crate::domain::User;
use crate::error::{AppError, FieldErrors};
use crate::i18n::{self, Language};
use crate::services::Caller;
use crate::services::accounts::user_statement;
use crate::t;
use sqlx::PgPool;

/// Whether `name` is an IANA time zone Guichet knows (`Europe/Paris`).
pub fn known_time_zone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

/// Reads a language setting: empty means "the desk's default" (`None`).
///
/// Errors: the reason for the `language` field when it names a language
/// Guichet does not speak.
fn language_setting(text: &str) -> Result<Option<Language>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    i18n::parse_language(text).map(Some).ok_or_else(|| t!(field.unknown_language).to_string())
}

/// Saves the caller's language and time zone (each empty: the desk's
/// default) and applies them to the rest of the request.
///
/// Errors: 401 nobody logged in (403 for a read-only token); 422 on
/// `language` (not `fr` or `en`) or `time_zone` (not an IANA zone such as
/// `Europe/Paris`, or over 64 characters); nothing is changed then.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn save_settings(pool: &PgPool, caller: &Caller, language: &str, time_zone: &str) -> Result<User, AppError> {
    let user = caller.writer()?;
    let mut fields = FieldErrors::new();
    let language = language_setting(language).map_err(|reason| fields.insert("language".into(), reason)).ok().flatten();
    let time_zone = crate::services::text::optional(&mut fields, "time_zone", Some(time_zone), 64);
    if let Some(zone) = &time_zone
        && !fields.contains_key("time_zone")
        && !known_time_zone(zone)
    {
        fields.insert("time_zone".into(), t!(field.unknown_time_zone).to_string());
    }
    AppError::check(fields)?;
    let updated = user_statement!(
        "update users set language = $2, time_zone = $3, updated_at = now() where id = $1 returning ",
        "",
        user.id,
        language.map(i18n::code),
        time_zone,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found("user"))?;
    i18n::request::apply_user_settings(language, time_zone.as_deref());
    Ok(updated)
}

/// The header's switcher: the language chosen by whoever is on the page. A
/// logged-in user's account keeps it; for everyone the adapter also sets the
/// `guichet_language` cookie. An unknown language changes nothing (the page
/// stays as it was, never an error page). Returns the language in effect.
///
/// Errors: [`AppError::Internal`] when the database fails.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn switch_language(pool: &PgPool, caller: &Caller, language: &str) -> Result<Language, AppError> {
    let Some(language) = i18n::parse_language(language) else { return Ok(i18n::language()) };
    if let Some(user) = &caller.user
        && caller.token_scope.is_none()
    {
        sqlx::query!("update users set language = $2, updated_at = now() where id = $1", user.id, i18n::code(language))
            .execute(pool)
            .await?;
    }
    i18n::request::apply_user_settings(Some(language), None);
    Ok(language)
}

/// Applies what `user` chose to the current request's viewer (called when a
/// request's caller is loaded, from a session or a token).
pub fn apply_to_request(user: &User) {
    let time_zone = user.time_zone.as_deref().filter(|zone| known_time_zone(zone));
    i18n::request::apply_user_settings(user.language(), time_zone);
}
