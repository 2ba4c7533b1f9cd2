//! Who is logged in: the current user, refetched after log-in and log-out.

use crate::domain::User;
use crate::functions::accounts::{LogOut, current_user};
use leptos::prelude::*;

/// Bumped after a log-in (and by the live stream when it finds the session
/// or the role changed) so everything showing the current user refetches it.
#[derive(Clone, Copy)]
pub struct AuthVersion(pub RwSignal<u32>);

/// The current user (`None`: nobody logged in), refetched after log-in and
/// log-out. Pages read it without another request.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Option<User>>);

/// The log-out action; its every run refetches [`CurrentUser`].
#[derive(Clone, Copy)]
pub struct LogOutAction(pub ServerAction<LogOut>);

/// The session's state, as provided.
#[derive(Clone, Copy)]
pub struct SessionState {
    pub auth_version: AuthVersion,
    pub user: CurrentUser,
    pub log_out: LogOutAction,
}

/// Provides [`AuthVersion`], [`LogOutAction`] and [`CurrentUser`].
pub fn provide() -> SessionState {
    let auth_version = AuthVersion(RwSignal::new(0));
    let log_out = LogOutAction(ServerAction::<LogOut>::new());
    let (version, action) = (auth_version.0, log_out.0);
    // Blocking: pages' frames read it, and the server must have it before it
    // renders them (see the ticket page's `options`).
    let user = CurrentUser(Resource::new_blocking(
        move || (action.version().get(), version.get()),
        |_| async move { current_user().await.ok().flatten() },
    ));
    provide_context(auth_version);
    provide_context(log_out);
    provide_context(user);
    SessionState { auth_version, user, log_out }
}
