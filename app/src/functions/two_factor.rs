//! Server functions for two-factor authentication and the account's history
//! (the Settings page, the admin's reset). The rules are in
//! `services::two_factor`; new recovery codes reach the page through
//! [`load_two_factor_status`], once, so they show the same with and without
//! JavaScript (a plain form post is redirected back to Settings).

#[cfg(feature = "ssr")]
use super::ssr::*;
use crate::domain::{AccountEvent, Secret, TwoFactorEnrolment, TwoFactorStatus, User};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::services::{account_history, two_factor};
use leptos::prelude::*;

/// The caller's two-factor authentication (see `services::two_factor::status`),
/// with the recovery codes of the last change, handed over once.
#[server(prefix = "/fn", endpoint = "two_factor_status")]
pub async fn load_two_factor_status() -> Result<TwoFactorStatus, AppError> {
    let request = request().await?;
    respond(
        two_factor::status(&request.context.pool, &request.context.settings, &request.caller, Some(&request.session))
            .await,
    )
}

/// Whether the logged-in user must turn on two-factor authentication before
/// anything else (`GUICHET_REQUIRE_2FA_FOR`); `false` for nobody.
#[server(prefix = "/fn", endpoint = "must_enrol_two_factor")]
pub async fn must_enrol_two_factor() -> Result<bool, AppError> {
    let request = request().await?;
    Ok(request.caller.user.is_some() && request.caller.two_factor_missing)
}

/// Starts (again) setting up two-factor authentication: a new secret.
#[server(prefix = "/fn", endpoint = "begin_two_factor")]
pub async fn begin_two_factor() -> Result<TwoFactorEnrolment, AppError> {
    let request = request().await?;
    respond(two_factor::begin_enrolment(&request.context.pool, &request.context.settings, &request.caller).await)
}

/// Turns two-factor authentication on with the app's first `code`; the
/// recovery codes then come with [`load_two_factor_status`].
#[server(prefix = "/fn", endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(code: Secret) -> Result<(), AppError> {
    let request = request().await?;
    respond(
        two_factor::confirm_enrolment(
            &request.context.pool,
            &request.context.settings,
            &request.caller,
            Some(&request.session),
            code.expose(),
        )
        .await,
    )
    .map(|_| ())
}

/// New recovery codes (the old ones stop working) after `confirmation`, a
/// current code or the password; they come with [`load_two_factor_status`].
#[server(prefix = "/fn", endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes(confirmation: Secret) -> Result<(), AppError> {
    let request = request().await?;
    respond(
        two_factor::regenerate_recovery_codes(
            &request.context.pool,
            &request.context.settings,
            &request.caller,
            Some(&request.session),
            confirmation.expose(),
        )
        .await,
    )
    .map(|_| ())
}

/// Turns two-factor authentication off after `confirmation`, a current code or the password.
#[server(prefix = "/fn", endpoint = "disable_two_factor")]
pub async fn disable_two_factor(confirmation: Secret) -> Result<(), AppError> {
    let request = request().await?;
    respond(
        two_factor::disable(&request.context.pool, &request.context.settings, &request.caller, confirmation.expose())
            .await,
    )
}

/// An admin turns off another user's two-factor authentication.
#[server(prefix = "/fn", endpoint = "reset_two_factor")]
pub async fn reset_two_factor(user_id: i64) -> Result<User, AppError> {
    let request = request().await?;
    // One form per user on the page: the error names its row.
    respond(
        two_factor::reset(&request.context.pool, &request.caller, user_id)
            .await
            .map_err(|error| error.for_record(user_id)),
    )
}

/// The caller's account history, newest first (50 at most).
#[server(prefix = "/fn", endpoint = "account_history")]
pub async fn list_account_history() -> Result<Vec<AccountEvent>, AppError> {
    let request = request().await?;
    respond(account_history::list(&request.context.pool, &request.caller).await)
}
