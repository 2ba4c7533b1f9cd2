//! The service layer: every rule of Guichet (validation, permissions, state
//! transitions, history) as plain async functions over a `PgPool`, taking the
//! acting [`Caller`]. Server functions and REST handlers only adapt to it.

pub mod accounts;
pub mod caller;
pub mod catalog;
pub mod drafts;
pub mod live;
pub mod notifications;
pub mod passwords;
pub mod ticket_lists;
pub mod tickets;
pub mod tokens;

pub use caller::Caller;

use sqlx::PgPool;
use std::sync::Arc;

/// What the server hands to every request: the database pool, settings and
/// this instance's live-update hub. Provided as Leptos context to server
/// functions and as axum state to the API.
#[derive(Clone)]
pub struct ServerContext {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub live: Arc<live::Hub>,
    /// Recently computed statistics (see [`ticket_lists::StatsCache`]).
    pub stats_cache: Arc<ticket_lists::StatsCache>,
}

/// Runtime settings that rules depend on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The URL users reach Guichet at, e.g. `https://help.example.com`; an
    /// `https` URL makes session cookies `Secure`.
    pub public_url: String,
    /// Failed log-ins allowed per login name within `login_window_seconds` (default 5).
    pub login_failures_per_account: i64,
    /// Failed log-ins allowed per client address within `login_window_seconds` (default 20,
    /// higher than per account because offices share one address).
    pub login_failures_per_address: i64,
    /// The sliding throttle window in seconds (default 900 = 15 minutes, OWASP's
    /// Authentication Cheat Sheet example).
    pub login_window_seconds: i64,
    /// SMTP relay and sender (`GUICHET_SMTP_*`, `GUICHET_MAIL_FROM`); `None`
    /// keeps emails in the outbox, unsent. Its `Debug` hides the password.
    pub mail: Option<notifications::MailSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:3000".into(),
            login_failures_per_account: 5,
            login_failures_per_address: 20,
            login_window_seconds: 900,
            mail: None,
        }
    }
}

impl Settings {
    /// Whether cookies must carry `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
