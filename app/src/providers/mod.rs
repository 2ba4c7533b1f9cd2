//! State that the application provides to every component, set up by
//! [`crate::App`] before the router renders anything, so no page depends on
//! another component (the header) having rendered first:
//!
//! - [`AuthVersion`], [`CurrentUser`] and [`LogOutAction`]: who is logged in
//!   ([`session`]);
//! - [`Live`]: the tab's live-update state, with the connection kept open
//!   while someone is logged in ([`crate::components::live`]);
//! - [`NotificationVersion`] and [`UnreadNotifications`]: the bell's count
//!   ([`notifications`]).

pub mod notifications;
pub mod session;

pub use crate::components::live::Live;
pub use notifications::{NotificationVersion, UnreadNotifications};
pub use session::{AuthVersion, CurrentUser, LogOutAction};

use leptos::prelude::*;

/// Provides every piece of application state as context, in this order:
/// the session's, the live state (its connection follows [`CurrentUser`]),
/// the notification counters (they follow the session and the live
/// events). Returns the live state, which the document title reads.
pub fn provide_application_state() -> Live {
    let session = session::provide();
    let live = Live::new();
    provide_context(live);
    crate::components::live::keep_connected(live, session.user.0, session.auth_version.0);
    notifications::provide(&session, live);
    live
}
