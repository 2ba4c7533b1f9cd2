//! The JSON API for integrators, `/api/v1`: thin handlers over the service
//! layer. Errors are `{"error": {"code", "message", "fields"}}`; times are
//! RFC 3339 UTC.

mod accounts;
mod catalog;
mod errors;
mod escalation;
mod extract;
mod live;
mod notifications;
mod service_levels;
mod tickets;
mod two_factor;
mod viewer;

pub use extract::{ApiCaller, ApiError, Json, Path, Query};

pub use errors::sentry_router;

use crate::state::AppState;
use axum::Router;

/// The `/api/v1` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(accounts::router())
        .merge(catalog::router())
        .merge(errors::router())
        .merge(escalation::router())
        .merge(tickets::router())
        .merge(live::router())
        .merge(notifications::router())
        .merge(service_levels::router())
        .merge(two_factor::router())
        .merge(viewer::router())
}
