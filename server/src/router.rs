//! The HTTP router: pages and server functions (Leptos), the JSON API under
//! `/api/v1`, the build's files under `/pkg`, the other static files, and
//! the session layer around all of them.

use app::functions::ssr::CallerCache;
use app::services::ServerContext;
use app::{App, shell};
use axum::{Router, extract::FromRef};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::path::Path;
use tower_http::services::ServeDir;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "guichet_session";

/// Router state: Leptos' options and the services' context.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub context: ServerContext,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for ServerContext {
    fn from_ref(state: &AppState) -> Self {
        state.context.clone()
    }
}

/// Builds the whole application router. Sessions live in PostgreSQL, so any
/// instance serves any session; cookies are HttpOnly, SameSite=Lax, and Secure
/// when the public URL is https; without "remember me" they end with the browser.
pub fn build_router(state: AppState) -> Router {
    let session_layer = SessionManagerLayer::new(PostgresStore::new(state.context.pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.context.settings.secure_cookies())
        .with_expiry(Expiry::OnSessionEnd);

    let routes = generate_route_list(App);
    let context = state.context.clone();
    let fallback_context = state.context.clone();
    let leptos_options = state.leptos_options.clone();
    let pkg_directory = Path::new(&*state.leptos_options.site_root).join(&*state.leptos_options.site_pkg_dir);
    Router::new()
        .nest("/api/v1", crate::api::router())
        // The build's wasm, JS and CSS, straight from disk. leptos_axum's
        // fallback file handler can answer a file with the status of a page
        // rendered at the same moment (a 404 for `/favicon.ico`, say), and a
        // wasm chunk answered 404 leaves the page without JavaScript.
        .nest_service(&format!("/{}", state.leptos_options.site_pkg_dir), ServeDir::new(pkg_directory))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context.clone());
                provide_context(CallerCache::default());
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(fallback_context.clone()),
            shell,
        ))
        .layer(session_layer)
        .with_state(state)
}
