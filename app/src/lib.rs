//! Guichet's web application: shared domain types, Leptos components and
//! routes, server functions, and (feature `ssr`) the service layer.

#![recursion_limit = "512"]

pub mod components;
pub mod domain;
pub mod error;
pub mod functions;
pub mod i18n;
pub mod pages;
pub mod providers;
pub mod reactive;
#[cfg(feature = "ssr")]
pub mod services;

use components::header::Header;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};
use pages::lazy;

/// Runs before first paint: applies the theme chosen on this device (if any)
/// so the page never flashes the other theme. It carries the request's CSP
/// nonce, like the hydration scripts.
const THEME_BOOTSTRAP: &str =
    "try{var t=localStorage.getItem('guichet-theme');if(t)document.documentElement.dataset.theme=t}catch(e){}";

/// The HTML document around [`App`], rendered on the server. `<html>`
/// carries the request's viewer ([`i18n::viewer`]): `lang`, and the time
/// zone dates are shown in (`data-time-zone`), which the wasm reads back so
/// that the hydrated page speaks the language the server rendered.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let viewer = i18n::viewer();
    view! {
        <!DOCTYPE html>
        <html lang=i18n::code(viewer.language) data-time-zone=viewer.time_zone>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                // Declared, so browsers do not ask for /favicon.ico (the server
                // sends that address here too).
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <script nonce=leptos::nonce::use_nonce()>{THEME_BOOTSTRAP}</script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The document title for a page title `text` (empty: just "Guichet"),
/// after the count of tickets with unread activity: `(2) SUP-0042 VPN down · Guichet`.
///
/// leptos_meta writes the title into the server's HTML without escaping it,
/// and ticket subjects are user text: escape it there, or a subject holding
/// `</title><script>` would run. In the browser the title is set as text.
fn page_title(text: String, unread: usize) -> String {
    let prefix = components::live::unread_prefix(unread);
    let title = if text.is_empty() { format!("{prefix}Guichet") } else { format!("{prefix}{text} · Guichet") };
    #[cfg(feature = "ssr")]
    let title = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    title
}

/// The unread count the document title shows. On the server it is always 0
/// (unread activity comes from the browser's live connection), and the
/// signal is not read there: leptos_axum formats the title while writing the
/// response head, where the request's reactive arena may no longer be active
/// (a panic under load, seen by issue 5's benchmark).
fn unread_for_title(live: Live) -> usize {
    #[cfg(feature = "ssr")]
    {
        let _ = live;
        0
    }
    #[cfg(not(feature = "ssr"))]
    {
        live.unread_count()
    }
}

pub use providers::AuthVersion;
use providers::Live;

/// The whole application: the state of [`providers`] (current user, live
/// state, notification counters), then the header and the routed pages, which
/// read it.
///
/// The pages of [`pages::lazy`] ship in wasm chunks of their own, loaded when
/// first entered (build with `cargo leptos build --split`).
///
/// Every route renders with [`SsrMode::Async`]: the server waits for the
/// page's data and sends complete HTML, so pages read fine without
/// JavaScript and the status code (403, 404) is known before the headers go out.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let live = providers::provide_application_state();

    view! {
        <Stylesheet id="leptos" href="/pkg/guichet.css" />
        // leptos_meta runs the formatter in the effect that sets the title,
        // so the unread count it reads keeps the title up to date.
        <Title formatter=move |text| page_title(text, unread_for_title(live)) />
        <Router>
            <Header />
            <components::enrolment_gate::EnrolmentGate />
            <main class="page" id="main" tabindex="-1">
                <Routes fallback=pages::errors::NotFound>
                    <Route path=StaticSegment("") view=pages::home::HomePage ssr=SsrMode::Async />
                    <Route path=StaticSegment("login") view=pages::login::LoginPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("login"), StaticSegment("two-factor")) view=pages::login::LoginCodePage ssr=SsrMode::Async />
                    <Route path=StaticSegment("register") view={Lazy::<lazy::RegisterRoute>::new()} ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view={Lazy::<lazy::AdminUsersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("catalog")) view={Lazy::<lazy::AdminCatalogRoute>::new()} ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("notifications")) view={Lazy::<lazy::AdminNotificationsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("service-levels")) view={Lazy::<lazy::AdminServiceLevelsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=(StaticSegment("admin"), StaticSegment("stats")) view={Lazy::<lazy::AdminStatsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("tickets") view=pages::tickets::TicketListPage ssr=SsrMode::Async />
                    <Route path=(StaticSegment("tickets"), StaticSegment("new")) view={Lazy::<lazy::NewTicketRoute>::new()} ssr=SsrMode::Async />
                    <Route path=(StaticSegment("tickets"), ParamSegment("reference")) view={Lazy::<lazy::TicketRoute>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("notifications") view={Lazy::<lazy::NotificationsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("settings") view={Lazy::<lazy::SettingsRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
            <components::shortcuts::ShortcutHelp />
        </Router>
    }
}
