//! Whose eyes each request is for (issue 13, see `app::i18n`): the viewer
//! layers.
//!
//! - [`open`], outermost: opens the request's viewer slot from the
//!   `guichet_language` cookie, else `Accept-Language`, else the desk's
//!   default language, with the desk's time zone. Every answer, the
//!   security layers' refusals included, is written in that language.
//! - [`load_caller`], inside the session layer: for a request with the
//!   session cookie (and no bearer token), loads its caller once, which
//!   applies the user's own language and time zone to the slot before the
//!   page renders; the server functions and API handlers of the request
//!   take that caller instead of loading it again.
//!
//! An unknown language in the cookie or the header falls back to the next
//! source, never to an error.

use crate::state::AppState;
use app::i18n::{self, LANGUAGE_COOKIE, Viewer, request::ViewerSlot};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::Response,
};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_sessions::Session;

/// The language a visitor chose with the switcher, if it is one Guichet speaks.
pub fn cookie_language(headers: &HeaderMap) -> Option<i18n::Language> {
    crate::security::cookie(headers, LANGUAGE_COOKIE).and_then(i18n::parse_language)
}

/// The viewer of a request before its user is known.
pub fn request_viewer(headers: &HeaderMap, desk: &Viewer) -> Viewer {
    let header_language =
        || headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok()).and_then(i18n::negotiate);
    let language = cookie_language(headers).or_else(header_language).unwrap_or(desk.language);
    Viewer { language, time_zone: desk.time_zone.clone() }
}

/// Opens the request's viewer slot (see the module documentation).
pub async fn open(State(desk): State<Arc<Viewer>>, request: Request, next: Next) -> Response {
    let viewer = request_viewer(request.headers(), &desk);
    ViewerSlot::on_desk(viewer, (*desk).clone()).scope(next.run(request)).await
}

/// Whether a request carries the session cookie and no bearer token, and is
/// not for a build file (`/pkg`): then its caller is loaded up front.
fn has_session(request: &Request, session_cookie: &str) -> bool {
    let headers = request.headers();
    crate::security::cookie(headers, session_cookie).is_some()
        && crate::security::bearer_token(headers).is_none()
        && !request.uri().path().starts_with("/pkg/")
}

/// Loads the caller of a session request once, applying the user's language
/// and time zone (see the module documentation). A failure here is left to
/// the handler, which loads the caller again and answers the error.
pub async fn load_caller(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if has_session(&request, crate::router::SESSION_COOKIE)
        && let Some(session) = request.extensions().get::<Session>().cloned()
    {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
        let address =
            app::services::caller::client_address(peer, request.headers(), &state.context.settings.trusted_proxies);
        let loaded = app::services::sessions::caller_for_session(
            &state.context.pool,
            &state.context.settings,
            &session,
            address,
        )
        .await;
        if let Ok(caller) = loaded {
            request.extensions_mut().insert(caller);
        }
    }
    next.run(request).await
}
