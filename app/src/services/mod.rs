//! The service layer: every rule of Guichet (validation, permissions, state
//! transitions, history) as plain async functions over a `PgPool`, taking the
//! acting [`Caller`]. Server functions and REST handlers only adapt to it.

pub mod account_history;
pub mod accounts;
pub mod caller;
pub mod catalog;
pub mod dashboard;
pub mod drafts;
pub mod errors;
pub mod escalation;
pub mod events;
pub mod jobs;
pub mod live;
pub mod notifications;
pub mod outgoing;
pub mod passwords;
pub mod presence;
pub mod ratings;
pub mod service_levels;
pub mod sessions;
pub mod statistics;
pub mod text;
pub mod ticket_lists;
pub mod tickets;
pub mod tokens;
pub mod transaction;
pub mod two_factor;
pub mod viewer;

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
    /// Recently computed statistics (see [`statistics::StatsCache`]).
    pub stats_cache: Arc<statistics::StatsCache>,
    /// This instance's count of error events per project and minute (see
    /// [`errors::intake::RateLimiter`]).
    pub error_rate: Arc<errors::intake::RateLimiter>,
}

/// Runtime settings that rules depend on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The URL users reach Guichet at, e.g. `https://help.example.com`; an
    /// `https` URL makes session cookies `Secure`.
    pub public_url: String,
    /// Failed log-ins allowed per (account, client address) within
    /// `login_window_seconds` (default 5); then that pair is refused with 429
    /// until the window lets one out. Other addresses are unaffected, so a
    /// stranger cannot lock the owner out.
    pub login_failures_per_account: i64,
    /// Failed log-ins allowed per client address within `login_window_seconds`, whatever the
    /// accounts (default 20, higher than per account because offices share one address).
    pub login_failures_per_address: i64,
    /// Failed log-ins of one account (from all addresses) within the window
    /// after which every further attempt on it waits first: 250 ms, doubling
    /// with each failure, at most 10 s (default 10).
    pub login_slowdown_after: i64,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers give the client
    /// address (`GUICHET_TRUSTED_PROXIES`, CIDRs; default none).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Password checks that may wait for or run on the hashing threads at
    /// once (default 64); more answer 503 with `Retry-After` (see
    /// [`passwords::verify`]).
    pub password_queue: usize,
    /// The sliding throttle window in seconds (default 900 = 15 minutes, OWASP's
    /// Authentication Cheat Sheet example).
    pub login_window_seconds: i64,
    /// SMTP relay and sender (`GUICHET_SMTP_*`, `GUICHET_MAIL_FROM`); `None`
    /// keeps emails in the outbox, unsent. Its `Debug` hides the password.
    pub mail: Option<notifications::MailSettings>,
    /// Origins other than the public URL's whose pages may make changes with
    /// the session cookie, e.g. `http://intranet-name:3000` (`GUICHET_TRUSTED_ORIGINS`,
    /// comma-separated; default none).
    pub trusted_origins: Vec<String>,
    /// Request rate limits of `/api/v1` and `/fn` (`GUICHET_RATE_LIMIT_*`).
    pub rate_limits: RateLimits,
    /// The key that signs the error a plain form post hands to the page it
    /// redirects to and seals two-factor secrets (`GUICHET_SECRET_KEY`;
    /// random per process when unset, and then nobody can turn two-factor
    /// authentication on: see [`SecretKey::is_configured`]).
    pub secret_key: SecretKey,
    /// Let webhooks reach private, loopback and link-local addresses, and
    /// `http://` URLs (`GUICHET_WEBHOOK_ALLOW_PRIVATE=1`, for tests and local
    /// stand-ins only; default off: see [`outgoing`]).
    pub webhook_allow_private: bool,
    /// Whose accounts must have two-factor authentication
    /// (`GUICHET_REQUIRE_2FA_FOR`: `admin` or `staff`; default `None`, nobody's).
    pub require_two_factor_for: Option<crate::domain::TwoFactorRequirement>,
    /// The desk's default language and time zone (`GUICHET_DEFAULT_LANGUAGE`,
    /// default `fr`; `GUICHET_TIME_ZONE`, default `Europe/Paris`): for
    /// visitors whose browser names no language Guichet speaks, and users
    /// who chose none (see [`crate::i18n`]).
    pub desk: crate::i18n::Viewer,
    /// Error events a minute each error project may send, per instance
    /// (`GUICHET_ERROR_RATE_PER_MINUTE`, default 6,000, from issue 16);
    /// more answer 429 with `Retry-After` (see [`errors::intake`]).
    pub error_rate_per_minute: u32,
}

/// Request rate limits, enforced per instance by the server's security layer
/// (`server/src/security.rs`). Each is a number of requests per window; a
/// request over any of them gets 429 with `Retry-After`. The defaults follow
/// what Zendesk (200 to 700 requests a minute by plan) and Freshdesk (200 to
/// 700 a minute) document for their APIs.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Requests a minute per user, counted by session cookie or bearer token (default 400).
    pub per_user_per_minute: u32,
    /// Requests a minute per client address, higher than per user because
    /// offices share one address (default 700).
    pub per_address_per_minute: u32,
    /// Registrations an hour per client address (default 10).
    pub registrations_per_hour: u32,
    /// API tokens created an hour per user (default 10).
    pub token_creations_per_hour: u32,
    /// No limit for requests from loopback addresses (`GUICHET_RATE_LIMIT_EXEMPT_LOOPBACK=1`,
    /// for tests and benchmarks only; default off).
    pub exempt_loopback: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_user_per_minute: 400,
            per_address_per_minute: 700,
            registrations_per_hour: 10,
            token_creations_per_hour: 10,
            exempt_loopback: false,
        }
    }
}

/// A 32-byte secret key; its `Debug` does not print it.
#[derive(Clone)]
pub struct SecretKey {
    bytes: Arc<[u8; 32]>,
    configured: bool,
}

impl SecretKey {
    /// A fresh random key (what one instance uses when no key is configured).
    pub fn random() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecretKey { bytes: Arc::new(bytes), configured: false }
    }

    /// The key derived from configured text (SHA-256 of it), so that every
    /// instance given the same text signs alike.
    pub fn from_text(text: &str) -> Self {
        use sha2::Digest;
        SecretKey { bytes: Arc::new(sha2::Sha256::digest(text.as_bytes()).into()), configured: true }
    }

    /// The key's 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Whether the key was configured ([`SecretKey::from_text`]) rather than
    /// drawn for this process: only a configured key outlives a restart, so
    /// only it may seal what is stored (two-factor secrets).
    pub fn is_configured(&self) -> bool {
        self.configured
    }
}

impl Default for SecretKey {
    fn default() -> Self {
        SecretKey::random()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretKey(..)")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:3000".into(),
            login_failures_per_account: 5,
            login_failures_per_address: 20,
            login_slowdown_after: 10,
            trusted_proxies: Vec::new(),
            password_queue: passwords::DEFAULT_QUEUE,
            login_window_seconds: 900,
            mail: None,
            trusted_origins: Vec::new(),
            rate_limits: RateLimits::default(),
            secret_key: SecretKey::random(),
            webhook_allow_private: false,
            require_two_factor_for: None,
            desk: crate::i18n::Viewer {
                language: crate::i18n::Language::fr,
                time_zone: crate::i18n::DEFAULT_TIME_ZONE.into(),
            },
            error_rate_per_minute: 6_000,
        }
    }
}

impl Settings {
    /// Whether cookies must carry `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
