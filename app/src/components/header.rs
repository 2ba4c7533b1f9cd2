//! The header: skip link, product name, navigation for the role, the user,
//! log-out, the language switcher; below 700 px they fold behind a menu button.

use crate::components::live::LiveConnection;
use crate::components::theme::ThemeToggle;
use crate::domain::Role;
use crate::i18n::{LANGUAGES, Language, code, language};
use crate::providers::{LogOutAction, UnreadNotifications};
use crate::{t, tr};
use leptos::prelude::*;
use leptos_router::components::A;

/// Where [`CurrentUser`] and [`NotificationVersion`] were first defined; they
/// are provided by [`crate::providers`] now.
pub use crate::providers::{CurrentUser, NotificationVersion};

/// The page header: navigation for the role, the user, the bell, log-out,
/// the language switcher, the live connection's pill and toasts. It only
/// reads the state that [`crate::providers`] provides.
#[component]
pub fn Header() -> impl IntoView {
    let LogOutAction(log_out) = expect_context::<LogOutAction>();
    let CurrentUser(user) = expect_context::<CurrentUser>();
    let UnreadNotifications(unread) = expect_context::<UnreadNotifications>();
    let menu_toggle = NodeRef::<leptos::html::Input>::new();
    close_menu_on_navigation(menu_toggle);

    view! {
        <a class="skip-link" href="#main" on:click=skip_to_main>{t!(header.skip_link)}</a>
        <header class="site-header">
            <A href="/" attr:class="brand">"Guichet"</A>
            <LiveConnection />
            // Below 700 px the rest folds behind a menu button. A checkbox
            // and its label, so that it opens with or without the wasm; on
            // wider screens both are hidden and the menu is laid out inline.
            <input type="checkbox" id="site-menu-toggle" class="menu-toggle" aria-controls="site-menu" node_ref=menu_toggle />
            <label for="site-menu-toggle" class="menu-button" data-testid="menu-button">
                <span class="icon" aria-hidden="true"><leptos_icons::Icon icon=icondata::LuMenu /></span>
                <span>{t!(header.menu)}</span>
            </label>
            <div class="site-menu" id="site-menu">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let user = user.await;
                        let count = unread.await;
                        view! {
                            <nav class="site-nav" aria-label=t!(header.navigation)>
                                {navigation(user.as_ref().map(|user| user.role))}
                            </nav>
                            <div class="session">
                                {match user {
                                    Some(user) => view! {
                                        <span class="whoami">
                                            <span class="username" data-testid="current-username">{user.username.clone()}</span>
                                            " "
                                            <span class=format!("role-badge role-{}", user.role)>{user.role.label()}</span>
                                        </span>
                                        {bell(count)}
                                        <ActionForm action=log_out attr:class="inline-form">
                                            <button type="submit" class="link-button">{t!(header.log_out)}</button>
                                        </ActionForm>
                                    }.into_any(),
                                    None => view! {
                                        <A href="/login">{t!(header.log_in)}</A>
                                        <A href="/register" attr:class="button">{t!(header.register)}</A>
                                    }.into_any(),
                                }}
                            </div>
                        }
                    })}
                </Transition>
                <LanguageSwitch />
                <ThemeToggle />
            </div>
        </header>
    }
}

/// Folds the phone menu again after each navigation in the browser (a
/// link followed without the wasm loads a new page, where it starts folded).
fn close_menu_on_navigation(menu_toggle: NodeRef<leptos::html::Input>) {
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        Effect::new(move |_| {
            location.pathname.track();
            if let Some(input) = menu_toggle.get_untracked() {
                input.set_checked(false);
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = menu_toggle;
}

/// The skip link's jump: focus on `<main>` (the router would otherwise take
/// the click as a navigation and leave the focus where it was).
fn skip_to_main(event: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    if crate::components::shortcuts::focus("main#main") {
        event.prevent_default();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}

/// The link to `/notifications` with the unread count (hidden when none).
fn bell(count: i64) -> impl IntoView {
    let label = if count == 0 { t!(header.notifications).to_string() } else { t!(header.unread, count = count) };
    view! {
        <A href="/notifications" attr:class="bell" attr:aria-label=label.clone() attr:title=label>
            // An SVG from the Lucide set (icondata), not an emoji that needs a font.
            <span class="icon" aria-hidden="true"><leptos_icons::Icon icon=icondata::LuBell /></span>
            <span class="notification-count" data-testid="notification-count" hidden=count == 0>
                {count}
            </span>
        </A>
    }
}

fn navigation(role: Option<Role>) -> impl IntoView {
    let mut links: Vec<(&'static str, &'static str)> = Vec::new();
    match role {
        Some(role) if role.is_staff() => links.extend([
            ("/tickets", t!(header.dashboard)),
            ("/tickets/new", t!(header.new_ticket)),
            ("/admin/stats", t!(header.statistics)),
        ]),
        Some(_) => links.extend([("/tickets", t!(header.my_tickets)), ("/tickets/new", t!(header.new_ticket))]),
        None => {}
    }
    if role.is_some() {
        links.push(("/settings", t!(header.settings)));
    }
    if role == Some(Role::Admin) {
        links.extend([
            ("/admin/users", t!(header.users)),
            ("/admin/catalog", t!(header.queues)),
            ("/admin/notifications", t!(header.notification_setup)),
            ("/admin/service-levels", t!(header.service_levels)),
        ]);
    }
    links.into_iter().map(|(href, label)| view! { <A href=href>{label}</A> }).collect_view()
}

/// A plain form (it works without the wasm, and with it reloads the page)
/// with one button per other language, each named in its own language.
/// Choosing one stores it (on the account when logged in, in a cookie in
/// any case); the server sends the browser back to the page (its
/// `Referer`), which then renders in that language.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let current = language();
    view! {
        <form method="post" action="/fn/set_language" class="language-switch" aria-label=t!(header.language)>
            {LANGUAGES.into_iter().filter(|other| *other != current).map(|other: Language| view! {
                <button type="submit" name="language" value=code(other) class="link-button" lang=code(other) data-testid="language-switch">
                    {tr!(other, language.name)}
                </button>
            }).collect_view()}
        </form>
    }
}
