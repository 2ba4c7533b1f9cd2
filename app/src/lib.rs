//! Guichet's web application: shared domain types, Leptos components and
//! routes, server functions, and (feature `ssr`) the service layer.

#![recursion_limit = "512"]

pub mod components;
pub mod domain;
pub mod error;
pub mod functions;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod services;

use components::header::Header;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, StaticSegment,
    components::{Route, Router, Routes},
};

/// Runs before first paint: applies the theme chosen on this device (if any)
/// so the page never flashes the other theme.
const THEME_BOOTSTRAP: &str =
    "try{var t=localStorage.getItem('guichet-theme');if(t)document.documentElement.dataset.theme=t}catch(e){}";

/// The HTML document around [`App`], rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <script>{THEME_BOOTSTRAP}</script>
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

/// Bumped after a log-in so everything showing the current user refetches it.
#[derive(Clone, Copy)]
pub struct AuthVersion(pub RwSignal<u32>);

/// The whole application: header and routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(AuthVersion(RwSignal::new(0)));

    view! {
        <Stylesheet id="leptos" href="/pkg/guichet.css" />
        <Title formatter=|text: String| if text.is_empty() { "Guichet".to_string() } else { format!("{text} · Guichet") } />
        <Router>
            <Header />
            <main class="page">
                <Routes fallback=pages::errors::NotFound>
                    <Route path=StaticSegment("") view=pages::home::HomePage />
                    <Route path=StaticSegment("login") view=pages::login::LoginPage />
                    <Route path=StaticSegment("register") view=pages::register::RegisterPage />
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view=pages::admin_users::AdminUsersPage />
                    <Route path=StaticSegment("tickets") view=pages::tickets::TicketListPage />
                    <Route path=(StaticSegment("tickets"), StaticSegment("new")) view=pages::new_ticket::NewTicketPage />
                    <Route path=(StaticSegment("tickets"), ParamSegment("reference")) view=pages::ticket::TicketPage />
                    <Route path=StaticSegment("settings") view=pages::settings::SettingsPage />
                </Routes>
            </main>
        </Router>
    }
}
