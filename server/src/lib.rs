//! Guichet's server: configuration, database start-up, the router (pages,
//! server functions, JSON API, static files) and demo data.

#![recursion_limit = "512"]

pub mod api;
pub mod config;
pub mod database;
pub mod demo;
pub mod router;

pub use router::{AppState, build_router};
