//! Who is making a request: authentication from a session or an API token.

use crate::domain::{Role, User};
use crate::error::AppError;
use sqlx::PgPool;
use std::net::IpAddr;
use tower_sessions::Session;

/// The session key holding the logged-in user's id.
pub const SESSION_USER_ID: &str = "user_id";

/// The acting party of a service call: a user freshly loaded from the
/// database (so a role change applies on the next request), or nobody.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user: Option<User>,
    /// The client's address, used by the log-in throttle.
    pub address: Option<IpAddr>,
}

impl Caller {
    /// Loads the user named by the session, if any.
    ///
    /// Errors: [`AppError::Internal`] when the session store or database fails.
    pub async fn from_session(pool: &PgPool, session: &Session, address: Option<IpAddr>) -> Result<Caller, AppError> {
        let user = match session.get::<i64>(SESSION_USER_ID).await? {
            Some(id) => crate::services::accounts::user_by_id(pool, id).await?,
            None => None,
        };
        Ok(Caller { user, address })
    }

    /// The logged-in user. Errors: [`AppError::Unauthorized`].
    pub fn user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or_else(AppError::unauthorized)
    }

    /// The logged-in agent or admin. Errors: 401, or 403 for requesters.
    pub fn staff(&self) -> Result<&User, AppError> {
        let user = self.user()?;
        if user.role.is_staff() { Ok(user) } else { Err(AppError::forbidden("This page is for agents and admins.")) }
    }

    /// The logged-in admin. Errors: 401, or 403 for others.
    pub fn admin(&self) -> Result<&User, AppError> {
        let user = self.user()?;
        if user.role == Role::Admin { Ok(user) } else { Err(AppError::forbidden("This page is for admins.")) }
    }
}
