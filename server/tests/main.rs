//! The server's HTTP tests, one module per area, linked into one test binary
//! (one link of the whole application instead of one per file; run them with
//! `cargo nextest run -p server`, which gives every test its own process).

mod common;

mod accounts;
mod api_token_scopes;
mod catalog;
mod concurrency;
mod errors;
mod i18n;
mod jobs;
mod live;
mod login_throttle;
mod naughty_input;
mod notifications;
mod pages;
mod ratings;
mod request_tracing;
mod security;
mod service_levels;
mod statistics;
mod tickets;
mod transactions;
mod two_factor;
