//! Command-line and environment configuration.

use app::domain::{Secret, TwoFactorRequirement};
use app::services::notifications::{MailSettings, SmtpTls};
use app::services::{RateLimits, SecretKey};
use clap::{Args, Parser, Subcommand};

/// `guichet [COMMAND]`; without a command, `serve`.
#[derive(Debug, Parser)]
#[command(name = "guichet", version, about = "Guichet, a help desk.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Where PostgreSQL is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/guichet. The
    /// database is created when missing.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
}

/// The server's commands.
// Parsed once at start: the size of `Serve` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, then serve HTTP (the default).
    Serve(ServeArgs),
    /// Create the database if missing and apply migrations.
    Migrate,
    /// Create an admin account. The password is read from GUICHET_ADMIN_PASSWORD
    /// when set, else asked for on the terminal.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
    },
    /// Change a user's role (requester, agent, admin).
    SetRole {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
    },
    /// Load the demo data (once: only into a database without users) and print the demo logins.
    SeedDemo,
    /// Run one pass of the timed rules now (what every `serve` does every
    /// GUICHET_JOBS_INTERVAL_SECONDS) and print what it did as JSON:
    /// `{"elapsed_ms", "acted": {rule: tickets}, "failed": [rule]}`, with
    /// `"plans": {rule: EXPLAIN text}` of each rule's candidate statement
    /// (after the pass) when asked.
    RunJobs {
        /// Also print the plan of each rule's candidate statement.
        #[arg(long)]
        explain: bool,
    },
}

/// Options of `serve`.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// The address to listen on; cargo-leptos sets LEPTOS_SITE_ADDR.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub address: String,
    /// The URL users reach Guichet at; https makes cookies Secure.
    #[arg(long, env = "GUICHET_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Load demo data on first run (into a database without users) and print the logins.
    #[arg(long, env = "GUICHET_DEMO_DATA", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub demo_data: bool,
    /// Failed log-ins allowed per account within the throttle window.
    #[arg(long, env = "GUICHET_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub login_failures_per_account: i64,
    /// Failed log-ins allowed per client address within the throttle window.
    #[arg(long, env = "GUICHET_LOGIN_FAILURES_PER_ADDRESS", default_value_t = 20)]
    pub login_failures_per_address: i64,
    /// Origins besides the public URL's allowed to make changes with the
    /// session cookie, comma-separated (e.g. http://intranet-name:3000).
    #[arg(long, env = "GUICHET_TRUSTED_ORIGINS", value_delimiter = ',')]
    pub trusted_origins: Vec<String>,
    /// Requests a minute per user (session or API token) to /api/v1 and /fn.
    #[arg(long, env = "GUICHET_RATE_LIMIT_PER_USER", default_value_t = 400)]
    pub rate_limit_per_user: u32,
    /// Requests a minute per client address to /api/v1 and /fn.
    #[arg(long, env = "GUICHET_RATE_LIMIT_PER_ADDRESS", default_value_t = 700)]
    pub rate_limit_per_address: u32,
    /// Registrations an hour per client address.
    #[arg(long, env = "GUICHET_RATE_LIMIT_REGISTRATIONS", default_value_t = 10)]
    pub rate_limit_registrations: u32,
    /// API tokens created an hour per user.
    #[arg(long, env = "GUICHET_RATE_LIMIT_TOKEN_CREATIONS", default_value_t = 10)]
    pub rate_limit_token_creations: u32,
    /// No rate limits for loopback clients (tests and benchmarks only).
    #[arg(long, env = "GUICHET_RATE_LIMIT_EXEMPT_LOOPBACK", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub rate_limit_exempt_loopback: bool,
    /// Let webhooks reach private, loopback and link-local addresses and
    /// plain http:// URLs (tests and local stand-ins only).
    #[arg(long, env = "GUICHET_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, value_parser = clap::builder::BoolishValueParser::new())]
    pub webhook_allow_private: bool,
    /// Secret that signs the errors of plain form posts and seals two-factor
    /// secrets; set the same value on every instance behind one address, and
    /// keep it (unset: a random key per process, and two-factor
    /// authentication cannot be turned on).
    #[arg(long, env = "GUICHET_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<Secret>,
    /// Whose accounts must turn on two-factor authentication before doing
    /// anything else: admin, or staff (agents and admins); unset: nobody's.
    /// Needs GUICHET_SECRET_KEY.
    #[arg(long = "require-2fa-for", env = "GUICHET_REQUIRE_2FA_FOR")]
    pub require_two_factor_for: Option<String>,
    /// Failed log-ins of one account, from all addresses, after which each
    /// further attempt waits (250 ms, doubling, at most 10 s).
    #[arg(long, env = "GUICHET_LOGIN_SLOWDOWN_AFTER", default_value_t = 10)]
    pub login_slowdown_after: i64,
    /// Error events a minute one error project may send (Sentry intake and
    /// POST /api/v1/errors, per instance); more answer 429 with Retry-After.
    #[arg(long, env = "GUICHET_ERROR_RATE_PER_MINUTE", default_value_t = 6000)]
    pub error_rate_per_minute: u32,
    /// Reverse proxies (comma-separated CIDRs, e.g. 127.0.0.1/32,10.0.0.0/8)
    /// whose X-Forwarded-For / Forwarded headers give the client address.
    #[arg(long, env = "GUICHET_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Password checks queued or running at once; more answer 503 with Retry-After.
    #[arg(long, env = "GUICHET_PASSWORD_QUEUE", default_value_t = app::services::passwords::DEFAULT_QUEUE)]
    pub password_queue: usize,
    /// SMTP server for notification emails; unset keeps emails in the outbox, unsent.
    #[arg(long, env = "GUICHET_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port; default 25, 587 or 465 after GUICHET_SMTP_TLS.
    #[arg(long, env = "GUICHET_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// How the SMTP connection is secured: none, starttls or tls.
    #[arg(long, env = "GUICHET_SMTP_TLS", default_value = "starttls")]
    pub smtp_tls: String,
    /// SMTP user name, when the server wants one.
    #[arg(long, env = "GUICHET_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password (never logged).
    #[arg(long, env = "GUICHET_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<Secret>,
    /// The sender of notification emails, e.g. "Guichet <support@example.com>".
    #[arg(long, env = "GUICHET_MAIL_FROM", default_value = "Guichet <guichet@localhost>")]
    pub mail_from: String,
    /// The desk's language for visitors whose browser asks for none Guichet
    /// speaks and users who chose none: fr or en.
    #[arg(long, env = "GUICHET_DEFAULT_LANGUAGE", default_value = "fr")]
    pub default_language: String,
    /// The desk's time zone (IANA name) for users who chose none.
    #[arg(long, env = "GUICHET_TIME_ZONE", default_value = app::i18n::DEFAULT_TIME_ZONE)]
    pub time_zone: String,
    /// Seconds between two passes of the jobs worker, which runs the timed
    /// rules (automatic escalation), 1 to 86,400 (a day).
    #[arg(long, env = "GUICHET_JOBS_INTERVAL_SECONDS", default_value_t = app::services::jobs::DEFAULT_INTERVAL.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub jobs_interval_seconds: u64,
    /// Percent of an SLA target's business time after which the jobs worker
    /// warns that it is about to be breached, 1 to 99 (issue 15).
    #[arg(long, env = "GUICHET_SLA_WARNING_PERCENT",
          default_value_t = app::services::service_levels::watch::DEFAULT_WARNING_PERCENT,
          value_parser = clap::value_parser!(u8).range(1..=99))]
    pub sla_warning_percent: u8,
}

/// A CIDR (`10.0.0.0/8`) or a single address (`127.0.0.1`, a /32 or /128).
fn parse_network(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is not a CIDR like 10.0.0.0/8 or an address"))
}

impl ServeArgs {
    /// The rate limits from `GUICHET_RATE_LIMIT_*`.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            per_user_per_minute: self.rate_limit_per_user,
            per_address_per_minute: self.rate_limit_per_address,
            registrations_per_hour: self.rate_limit_registrations,
            token_creations_per_hour: self.rate_limit_token_creations,
            exempt_loopback: self.rate_limit_exempt_loopback,
        }
    }

    /// The key from `GUICHET_SECRET_KEY`, else a random one.
    pub fn secret_key(&self) -> SecretKey {
        match self.secret_key.as_deref().filter(|text| !text.is_empty()) {
            Some(text) => SecretKey::from_text(text),
            None => SecretKey::random(),
        }
    }

    /// The two-factor requirement from `GUICHET_REQUIRE_2FA_FOR` (empty: none).
    ///
    /// Errors: a value other than `admin` or `staff`, or a requirement
    /// without `GUICHET_SECRET_KEY` (without it no secret outlives a restart,
    /// so nobody could turn two-factor authentication on).
    pub fn two_factor_requirement(&self) -> anyhow::Result<Option<TwoFactorRequirement>> {
        let Some(text) = self.require_two_factor_for.as_deref().map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(None);
        };
        let requirement: TwoFactorRequirement =
            text.parse().map_err(|reason| anyhow::anyhow!("GUICHET_REQUIRE_2FA_FOR {reason}"))?;
        if self.secret_key.as_deref().is_none_or(str::is_empty) {
            anyhow::bail!("GUICHET_REQUIRE_2FA_FOR needs GUICHET_SECRET_KEY: two-factor secrets are sealed with it");
        }
        Ok(Some(requirement))
    }

    /// The time between two passes of the jobs worker (`GUICHET_JOBS_INTERVAL_SECONDS`).
    pub fn jobs_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.jobs_interval_seconds.max(1))
    }

    /// The desk's defaults from `GUICHET_DEFAULT_LANGUAGE` and `GUICHET_TIME_ZONE`.
    ///
    /// Errors: a language other than fr or en, or an unknown time zone.
    pub fn desk(&self) -> anyhow::Result<app::i18n::Viewer> {
        let language = app::i18n::parse_language(&self.default_language).ok_or_else(|| {
            anyhow::anyhow!("GUICHET_DEFAULT_LANGUAGE must be fr or en, not {:?}", self.default_language)
        })?;
        let time_zone = self.time_zone.trim().to_string();
        if !app::services::viewer::known_time_zone(&time_zone) {
            anyhow::bail!("GUICHET_TIME_ZONE must be an IANA time zone such as Europe/Paris, not {time_zone:?}");
        }
        Ok(app::i18n::Viewer { language, time_zone })
    }

    /// The SMTP settings, or `None` when no host is set.
    ///
    /// Errors: a bad GUICHET_SMTP_TLS or GUICHET_MAIL_FROM, or a user name without password.
    pub fn mail_settings(&self) -> anyhow::Result<Option<MailSettings>> {
        let Some(host) = self.smtp_host.as_ref().map(|host| host.trim()).filter(|host| !host.is_empty()) else {
            return Ok(None);
        };
        let tls: SmtpTls = self.smtp_tls.parse().map_err(|reason| anyhow::anyhow!("GUICHET_SMTP_TLS {reason}"))?;
        let from = self.mail_from.parse().map_err(|error| {
            anyhow::anyhow!("GUICHET_MAIL_FROM is not a mailbox like \"Guichet <support@example.com>\": {error}")
        })?;
        let username = self.smtp_username.clone().filter(|name| !name.is_empty());
        let password = self.smtp_password.as_deref().filter(|password| !password.is_empty()).map(String::from);
        if username.is_some() != password.is_some() {
            anyhow::bail!("set both GUICHET_SMTP_USERNAME and GUICHET_SMTP_PASSWORD, or neither");
        }
        Ok(Some(MailSettings {
            host: host.to_string(),
            port: self.smtp_port.unwrap_or_else(|| tls.default_port()),
            tls,
            username,
            password,
            from,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(require: Option<&str>, key: Option<&str>) -> ServeArgs {
        ServeArgs {
            require_two_factor_for: require.map(String::from),
            secret_key: key.map(Secret::from),
            ..ServeArgs::default()
        }
    }

    #[test]
    fn the_secret_key_and_smtp_password_never_print() {
        let serve = ServeArgs {
            secret_key: Some("key-4f1c9e".into()),
            smtp_username: Some("mailer".into()),
            smtp_password: Some("smtp-pass-7d2a".into()),
            ..ServeArgs::default()
        };
        let printed = format!("{serve:?} {serve:#?}");
        assert!(!printed.contains("key-4f1c9e") && !printed.contains("smtp-pass-7d2a"), "{printed}");
        assert!(printed.contains("mailer") && printed.contains("<redacted>"), "{printed}");
        // Read as before.
        assert!(serve.secret_key().is_configured());
        let parsed = Cli::try_parse_from(["guichet", "serve", "--secret-key", "key-4f1c9e"]).unwrap();
        let Some(Command::Serve(parsed)) = parsed.command else { panic!("serve") };
        assert_eq!(parsed.secret_key.as_deref(), Some("key-4f1c9e"));
    }

    #[test]
    fn the_jobs_interval_defaults_to_thirty_seconds_and_refuses_zero() {
        let serve = |arguments: &[&str]| {
            let mut all = vec!["guichet", "serve"];
            all.extend_from_slice(arguments);
            Cli::try_parse_from(all).map(|cli| match cli.command {
                Some(Command::Serve(serve)) => serve.jobs_interval(),
                _ => panic!("serve"),
            })
        };
        assert_eq!(serve(&[]).unwrap(), app::services::jobs::DEFAULT_INTERVAL);
        assert_eq!(serve(&["--jobs-interval-seconds", "5"]).unwrap(), std::time::Duration::from_secs(5));
        for refused in ["0", "-1", "1.5", "86401", "soon"] {
            assert!(serve(&["--jobs-interval-seconds", refused]).is_err(), "{refused}");
        }
    }

    #[test]
    fn the_two_factor_requirement_is_admin_or_staff_and_needs_a_secret_key() {
        assert_eq!(args(None, None).two_factor_requirement().unwrap(), None);
        assert_eq!(args(Some(" "), None).two_factor_requirement().unwrap(), None);
        assert_eq!(args(Some("admin"), Some("k")).two_factor_requirement().unwrap(), Some(TwoFactorRequirement::Admin));
        assert_eq!(args(Some("staff"), Some("k")).two_factor_requirement().unwrap(), Some(TwoFactorRequirement::Staff));
        let unknown = args(Some("everyone"), Some("k")).two_factor_requirement().unwrap_err().to_string();
        assert!(unknown.contains("admin, staff"), "{unknown}");
        let keyless = args(Some("admin"), None).two_factor_requirement().unwrap_err().to_string();
        assert!(keyless.contains("GUICHET_SECRET_KEY"), "{keyless}");
    }
}
