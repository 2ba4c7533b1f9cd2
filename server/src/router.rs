//! The HTTP router: pages and server functions (Leptos), the JSON API under
//! `/api/v1`, the build's files under `/pkg`, the other static files, and
//! the session layer around all of them, and the security layers
//! ([`crate::security`], [`crate::rate_limit`]) around everything.

use app::functions::ssr::CallerCache;
use app::{App, shell};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tower_http::services::ServeDir;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;

pub use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "guichet_session";

/// Builds the whole application router. Sessions live in PostgreSQL, so any
/// instance serves any session; cookies are HttpOnly, SameSite=Lax, and Secure
/// when the public URL is https; without "remember me" they end with the browser.
/// Every request gets an `x-request-id` and a span (see [`crate::request_tracing`]).
pub fn build_router(state: AppState) -> Router {
    crate::request_tracing::keep_spans_in_leptos_tasks();
    let session_layer = SessionManagerLayer::new(PostgresStore::new(state.context.pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.context.settings.secure_cookies())
        .with_expiry(Expiry::OnSessionEnd);

    let settings = state.context.settings.clone();
    let routes = route_list();
    let context = state.context.clone();
    let fallback_context = state.context.clone();
    let leptos_options = state.leptos_options.clone();
    let pkg_directory = Path::new(&*state.leptos_options.site_root).join(&*state.leptos_options.site_pkg_dir);
    let caller_state = state.clone();
    let router = Router::new()
        .nest("/api/v1", crate::api::router())
        // Issue 16: error events from Sentry SDKs, authenticated by their project's key.
        .merge(crate::api::sentry_router())
        // The "resolved" email's rating links: plain pages, no session needed.
        .merge(crate::rating_links::router())
        // The build's wasm, JS and CSS, straight from disk. leptos_axum's
        // fallback file handler can answer a file with the status of a page
        // rendered at the same moment (a 404 for `/favicon.ico`, say), and a
        // wasm chunk answered 404 leaves the page without JavaScript.
        .nest_service(&format!("/{}", state.leptos_options.site_pkg_dir), ServeDir::new(pkg_directory))
        // Browsers and feed readers that ignore the page's icon link ask for
        // the historic address: point them at the SVG (a 404 otherwise).
        .route("/favicon.ico", axum::routing::get(|| async { axum::response::Redirect::permanent("/favicon.svg") }))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context.clone());
                provide_context(CallerCache::default());
                crate::security::provide_request_nonce();
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || {
                provide_context(fallback_context.clone());
                crate::security::provide_request_nonce();
            },
            shell,
        ))
        // Inside the session layer: a session's caller, and with it the
        // user's language, is known before anything renders.
        .layer(axum::middleware::from_fn_with_state(caller_state, crate::viewer::load_caller))
        .layer(session_layer)
        .with_state(state);
    // Outermost: every answer, refusals included, gets a request id and a
    // span, and is written for the request's viewer (its language).
    let desk = Arc::new(settings.desk.clone());
    protect(router, &settings)
        .layer(axum::middleware::from_fn_with_state(desk, crate::viewer::open))
        .layer(crate::request_tracing::layer())
}

/// Wraps `router` in the security layers of [`crate::security`] and
/// [`crate::rate_limit`]; outermost first: security headers, rate limits,
/// cross-site refusal, redirect and error checks.
fn protect(router: Router, settings: &app::services::Settings) -> Router {
    use crate::{rate_limit, security};
    use axum::middleware::from_fn_with_state;
    let security = Arc::new(security::Security::new(settings));
    let limiter = Arc::new(rate_limit::Limiter::new(&settings.rate_limits, &settings.trusted_proxies, SESSION_COOKIE));
    router
        .layer(from_fn_with_state(security.clone(), security::redirects))
        .layer(from_fn_with_state(security.clone(), security::cross_site))
        .layer(from_fn_with_state(limiter, rate_limit::limit))
        .layer(from_fn_with_state(security, security::headers))
}

/// The app's routes, generated once per process. Generating them renders the
/// whole app with resource loading suppressed by a process-global flag
/// (leptos_server's `SuppressResourceLoad`): a resource whose future first
/// ran on another thread during that window would wait forever, and with it
/// that page's response (leptos issue #4773). The server builds one router,
/// but tests build one per test, side by side; later callers wait here until
/// the first generation is over, before any of them renders.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
