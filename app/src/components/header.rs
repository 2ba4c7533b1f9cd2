//! The header: product name, navigation for the role, the user, log-out.

use crate::AuthVersion;
use crate::components::live::LiveConnection;
use crate::components::theme::ThemeToggle;
use crate::domain::{Role, User};
use crate::functions::accounts::{LogOut, current_user};
use leptos::prelude::*;
use leptos_router::components::A;

/// Loads the current user, refetched after log-in and log-out.
/// Provided as context so pages can read it without another request.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Option<User>>);

/// The page header; also provides [`CurrentUser`] and runs the live
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

    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Guichet"</A>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let user = user.await;
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
        links.extend([("/admin/users", "Users"), ("/admin/catalog", "Queues")]);
    }
    links.into_iter().map(|(href, label)| view! { <A href=href>{label}</A> }).collect_view()
}
