//! Command-line and environment configuration.

use app::services::notifications::{MailSettings, SmtpTls};
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
    pub smtp_password: Option<String>,
    /// The sender of notification emails, e.g. "Guichet <support@example.com>".
    #[arg(long, env = "GUICHET_MAIL_FROM", default_value = "Guichet <guichet@localhost>")]
    pub mail_from: String,
}

impl ServeArgs {
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
        let password = self.smtp_password.clone().filter(|password| !password.is_empty());
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
