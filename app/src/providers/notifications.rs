//! The bell's count of unread notifications.

use super::session::SessionState;
use crate::components::live::Live;
use crate::functions::notifications::unread_notifications;
use leptos::prelude::*;

/// Bumped by pages that mark notifications read, so the bell refetches its count.
#[derive(Clone, Copy)]
pub struct NotificationVersion(pub RwSignal<u64>);

/// The number of unread notifications of the current user (0 when logged
/// out or on error).
#[derive(Clone, Copy)]
pub struct UnreadNotifications(pub Resource<i64>);

/// Provides [`NotificationVersion`] and [`UnreadNotifications`]. The count
/// is refetched after log-in and log-out, when a page marks notifications
/// read, when the live stream resets, and with each toast: a ticket event
/// about one of the user's tickets, by someone else, is when a new
/// notification may have arrived.
pub fn provide(session: &SessionState, live: Live) {
    let notification_version = RwSignal::new(0_u64);
    let (log_out, auth_version) = (session.log_out.0, session.auth_version.0);
    let unread = Resource::new_blocking(
        move || {
            (
                log_out.version().get(),
                auth_version.get(),
                notification_version.get(),
                live.resets.get(),
                live.toasts.with(|toasts| toasts.last().map(|toast| toast.id)),
            )
        },
        |_| async move { unread_notifications().await.unwrap_or(0) },
    );
    provide_context(NotificationVersion(notification_version));
    provide_context(UnreadNotifications(unread));
}
