//! The header: product name, navigation for the role, the user, log-out.

use crate::AuthVersion;
use crate::components::live::{Live, LiveConnection};
use crate::components::theme::ThemeToggle;
use crate::domain::{Role, User};
use crate::functions::accounts::{LogOut, current_user};
use crate::functions::notifications::unread_notifications;
use leptos::prelude::*;
use leptos_router::components::A;

/// Loads the current user, refetched after log-in and log-out.
/// Provided as context so pages can read it without another request.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Option<User>>);

/// Bumped by pages that mark notifications read, so the bell refetches its count.
#[derive(Clone, Copy)]
pub struct NotificationVersion(pub RwSignal<u64>);

/// The page header; also provides [`CurrentUser`] and [`NotificationVersion`] and runs the live
/// connection (its "Reconnecting…" pill and toasts).
#[component]
pub fn Header() -> impl IntoView {
    let log_out = ServerAction::<LogOut>::new();
    let AuthVersion(auth_version) = expect_context::<AuthVersion>();
    let user = Resource::new(
        move || (log_out.version().get(), auth_version.get()),
        |_| async move { current_user().await.ok().flatten() },
    );
    provide_context(CurrentUser(user));
    let notification_version = RwSignal::new(0_u64);
    provide_context(NotificationVersion(notification_version));
    let live = expect_context::<Live>();
    // A ticket event about one of the user's tickets, by someone else, raises a
    // toast: that is when a new notification may have arrived.
    let unread = Resource::new(
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

    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Guichet"</A>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let user = user.await;
                    let count = unread.await;
                    view! {
                        <nav class="site-nav" aria-label="Main">
                            {navigation(user.as_ref().map(|user| user.role))}
                        </nav>
                        <div class="session">
                            {match user {
                                Some(user) => view! {
                                    <span class="whoami">
                                        <span class="username" data-testid="current-username">{user.username.clone()}</span>
                                        " "
                                        <span class=format!("role-badge role-{}", user.role)>{user.role.as_str()}</span>
                                    </span>
                                    {bell(count)}
                                    <ActionForm action=log_out attr:class="inline-form">
                                        <button type="submit" class="link-button">"Log out"</button>
                                    </ActionForm>
                                }.into_any(),
                                None => view! {
                                    <A href="/login">"Log in"</A>
                                    <A href="/register" attr:class="button">"Register"</A>
                                }.into_any(),
                            }}
                        </div>
                    }
                })}
            </Transition>
            <LiveConnection />
            <ThemeToggle />
        </header>
    }
}

/// The link to `/notifications` with the unread count (hidden when none).
fn bell(count: i64) -> impl IntoView {
    view! {
        <A href="/notifications" attr:class="bell" attr:aria-label="Notifications" attr:title="Notifications">
            "🔔"
            <span class="notification-count" data-testid="notification-count" hidden=count == 0>
                {count}
            </span>
        </A>
    }
}

fn navigation(role: Option<Role>) -> impl IntoView {
    let mut links: Vec<(&'static str, &'static str)> = Vec::new();
    match role {
        Some(role) if role.is_staff() => links.extend([("/tickets", "Dashboard"), ("/tickets/new", "New ticket")]),
        Some(_) => links.extend([("/tickets", "My tickets"), ("/tickets/new", "New ticket")]),
        None => {}
    }
    if role.is_some() {
        links.push(("/settings", "Settings"));
    }
    if role == Some(Role::Admin) {
        links.extend([
            ("/admin/users", "Users"),
            ("/admin/catalog", "Queues"),
            ("/admin/notifications", "Notification setup"),
        ]);
    }
    links.into_iter().map(|(href, label)| view! { <A href=href>{label}</A> }).collect_view()
}
