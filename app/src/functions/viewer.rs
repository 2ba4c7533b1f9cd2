//! Server functions for the viewer's language and time zone (issue 13).

use crate::domain::User;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {super::ssr::*, crate::services::viewer};

/// The header's language switcher (a plain form): keeps `language` on the
/// account when logged in and in the `guichet_language` cookie (a year),
/// then Leptos sends the browser back to the page it came from, which
/// renders in that language. An unknown language changes nothing.
#[server(prefix = "/fn", endpoint = "set_language")]
pub async fn set_language(language: String) -> Result<(), AppError> {
    let request = request().await?;
    let chosen = respond(viewer::switch_language(&request.context.pool, &request.caller, &language).await)?;
    set_language_cookie(chosen, request.context.settings.secure_cookies());
    Ok(())
}

/// Saves the caller's language and time zone from the Settings page (each
/// empty: the desk's default). The page reloads afterwards, in that language.
///
/// Errors: 401; 422 on `language` or `time_zone`.
#[server(prefix = "/fn", endpoint = "save_viewer_settings")]
pub async fn save_viewer_settings(
    #[server(default)] language: String,
    #[server(default)] time_zone: String,
) -> Result<User, AppError> {
    let request = request().await?;
    let user = respond(viewer::save_settings(&request.context.pool, &request.caller, &language, &time_zone).await)?;
    if let Some(language) = user.language() {
        set_language_cookie(language, request.context.settings.secure_cookies());
    }
    Ok(user)
}

/// Sets the `guichet_language` cookie on the response: a year, the whole
/// site, `SameSite=Lax`, `Secure` behind https. Not `HttpOnly`-worthy (it
/// holds no secret), but set so anyway: only the server reads it.
#[cfg(feature = "ssr")]
fn set_language_cookie(language: crate::i18n::Language, secure: bool) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let cookie = format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{}",
            crate::i18n::LANGUAGE_COOKIE,
            crate::i18n::code(language),
            if secure { "; Secure" } else { "" }
        );
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
}
