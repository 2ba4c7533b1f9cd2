//! The caller a session names: the session's side of authentication. Its own
//! module above [`crate::services::accounts`] (which loads users) and
//! [`crate::services::caller`] (the caller type), so neither imports the other
//! for it.

use crate::error::AppError;
use crate::services::accounts::user_by_id;
use crate::services::caller::SESSION_USER_ID;
use crate::services::{Caller, Settings, two_factor};
use std::net::IpAddr;
use tower_sessions::Session;

/// The caller of a request with `session` from `address`: the user whose id
/// the session holds under [`SESSION_USER_ID`], freshly loaded (so a role
/// change applies on the next request), or nobody. A session half-way
/// through a log-in with two-factor authentication names nobody yet. The
/// user's language and time zone then apply to the rest of the request
/// ([`crate::i18n`]).
///
/// When `settings.require_two_factor_for` covers the user's role and they
/// have no two-factor authentication, the caller is marked
/// [`Caller::two_factor_missing`] (one more indexed read, for those roles only).
///
/// Errors: [`AppError::Internal`] when the session store or database fails.
#[tracing::instrument(skip_all)]
pub async fn caller_for_session(
    pool: &sqlx::PgPool,
    settings: &Settings,
    session: &Session,
    address: Option<IpAddr>,
) -> Result<Caller, AppError> {
    let user = match session.get::<i64>(SESSION_USER_ID).await? {
        Some(id) => user_by_id(pool, id).await?,
        None => None,
    };
    if let Some(user) = &user {
        crate::services::viewer::apply_to_request(user);
    }
    let two_factor_missing = match (&user, settings.require_two_factor_for) {
        (Some(user), Some(requirement)) if requirement.applies_to(user.role) => {
            !two_factor::is_enabled(pool, user.id).await?
        }
        _ => false,
    };
    Ok(Caller { user, address, token_scope: None, two_factor_missing })
}
