//! The router's state, shared by the page routes ([`crate::router`]) and the
//! JSON API ([`crate::api`]); its own module so neither depends on the other
//! for it.

use app::services::ServerContext;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

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
