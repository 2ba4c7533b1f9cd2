//! Guichet's server: configuration, database start-up, the router (pages,
//! server functions, JSON API, static files) and demo data.

#![recursion_limit = "512"]

pub mod api;
pub mod config;
pub mod database;
pub mod demo;
pub mod rate_limit;
pub mod rating_links;
pub mod request_tracing;
pub mod router;
pub mod security;
pub mod state;
pub mod viewer;

pub use router::build_router;
pub use state::AppState;
