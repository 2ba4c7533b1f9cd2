//! Server functions for accounts: session, registration, log-in, admin user list.

#[cfg(feature = "ssr")]
use crate::domain::Registration;
use crate::domain::{LogInOutcome, Role, Secret, User, UserPage};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::*,
    crate::services::{accounts, two_factor},
};

/// The logged-in user, or `None`.
#[server(prefix = "/fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let request = request().await?;
    Ok(request.caller.user)
}

/// Creates a requester account, then sends the browser to the log-in page,
/// which says the account was created (`?registered=1`: a flag, never the
/// name, so that a link cannot put its own text on the page).
///
/// Errors: 422 / 409 with field errors (see `services::accounts::register`).
#[server(prefix = "/fn", endpoint = "register")]
pub async fn register(
    username: String,
    email: String,
    password: Secret,
    #[server(default)] discord_username: Option<String>,
    #[server(default)] discord_id: Option<String>,
) -> Result<User, AppError> {
    let request = request().await?;
    let input = Registration { username, email, password: password.expose().into(), discord_username, discord_id };
    let user = respond(accounts::register(&request.context.pool, &input).await)?;
    leptos_axum::redirect("/login?registered=1");
    Ok(user)
}

/// Where a log-in lands: where the role works (issue 14), "My tickets" for
/// requesters and the dashboard for agents and admins, both at `/tickets`.
pub const AFTER_LOG_IN: &str = "/tickets";

/// Logs in with username or email and password; `remember` keeps the session
/// 30 days. Sends the browser to [`AFTER_LOG_IN`], to the code step
/// (`/login/two-factor`) for an account with two-factor authentication, or
/// to Settings when the role requires two-factor authentication and it is off.
///
/// Errors: 401 for wrong credentials, 429 when throttled.
#[server(prefix = "/fn", endpoint = "log_in")]
pub async fn log_in(
    login: String,
    password: Secret,
    #[server(default)] remember: bool,
) -> Result<LogInOutcome, AppError> {
    let request = request().await?;
    let outcome = respond(
        accounts::log_in(
            &request.context.pool,
            &request.context.settings,
            &request.caller,
            &request.session,
            &login,
            password.expose(),
            remember,
        )
        .await,
    )?;
    leptos_axum::redirect(match &outcome {
        LogInOutcome::SecondFactorRequired => "/login/two-factor",
        LogInOutcome::LoggedIn { must_enrol: true, .. } => "/settings#two-factor",
        LogInOutcome::LoggedIn { .. } => AFTER_LOG_IN,
    });
    Ok(outcome)
}

/// The second step of a log-in with two-factor authentication: the
/// authenticator app's current code or a recovery code. Sends the browser to
/// [`AFTER_LOG_IN`].
///
/// Errors: 401 for a wrong code or an expired log-in, 429 when throttled
/// (see `services::two_factor::log_in_second_factor`).
#[server(prefix = "/fn", endpoint = "log_in_second_factor")]
pub async fn log_in_second_factor(code: Secret) -> Result<User, AppError> {
    let request = request().await?;
    let user = respond(
        two_factor::log_in_second_factor(
            &request.context.pool,
            &request.context.settings,
            &request.caller,
            &request.session,
            code.expose(),
        )
        .await,
    )?;
    leptos_axum::redirect(AFTER_LOG_IN);
    Ok(user)
}

/// Ends the session on the server and sends the browser to the home page.
#[server(prefix = "/fn", endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    let request = request().await?;
    respond(accounts::log_out(&request.context.pool, &request.caller, &request.session).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// One page (50) of users for admins, filtered by `search`, after username `after`.
///
/// Errors: 401 / 403 unless the caller is an admin.
#[server(prefix = "/fn", endpoint = "list_users")]
pub async fn list_users(search: String, after: Option<String>) -> Result<UserPage, AppError> {
    let request = request().await?;
    respond(accounts::list_users(&request.context.pool, &request.caller, &search, after.as_deref(), 50).await)
}

/// Changes a user's role (admins only; not their own admin role).
#[server(prefix = "/fn", endpoint = "set_user_role")]
pub async fn set_user_role(user_id: i64, role: Role) -> Result<User, AppError> {
    let request = request().await?;
    // One form per user on the page: the error names its row.
    respond(
        accounts::set_role(&request.context.pool, &request.caller, user_id, role)
            .await
            .map_err(|error| error.for_record(user_id)),
    )
}
