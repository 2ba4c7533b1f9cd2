//! Notifications (issue 6): email, the in-app inbox (the bell) and Discord
//! webhooks, none lost when a server is down.
//!
//! How a ticket change reaches people:
//! 1. [`crate::services::events::record`] calls `rules::fan_out` with the
//!    change's transaction connection. It maps the
//!    [`crate::domain::TicketChange`] to a [`crate::domain::NotificationKind`]
//!    ([`kind_of`]; seeds: created →
//!    requester, assigned → the agent, agent reply → requester, requester reply
//!    → assignee or every agent while unassigned, resolved / closed →
//!    requester, escalated → admins), finds the recipients, reads their
//!    preferences (a user's own choice, else the admins' default), and writes
//!    in that transaction: `notifications` rows (the inbox, delivered as soon
//!    as it commits), `outbox` rows for email and for the queue's Discord
//!    webhooks, and a `pg_notify(`[`OUTBOX_CHANNEL`]`)`: one statement each,
//!    for all recipients at once. Recipients named by the ticket (requester,
//!    assignee) get their rows in that transaction; everyone with a role
//!    (every agent, every admin) gets one `notification_fan_outs` row that
//!    the next worker round expands into the same rows ([`expand_fan_outs`]),
//!    so a change costs the same for 60 agents as for one. Nobody is
//!    notified of their own action, except the requester's receipt of a new
//!    ticket (by email only). Internal notes notify nobody.
//! 2. A [`Worker`] (one per server instance, any number of instances) LISTENs
//!    on [`OUTBOX_CHANNEL`] and polls for retries. It expands pending
//!    fan-outs, then claims due rows with
//!    `FOR UPDATE SKIP LOCKED` and a short lease ([`DELIVERY_LEASE`], renewed
//!    while a row is being sent, with a token so that only the holder renews
//!    or marks it), so two workers never take the same row at once and a
//!    crashed worker's rows come back when the lease ends; it renders and
//!    sends them (SMTP with lettre, Discord with reqwest through
//!    [`crate::services::outgoing`]), then marks them `sent`, or schedules a
//!    retry with exponential backoff, or marks them `failed` after about 24
//!    hours or a permanent error. Admins see the outbox and retry failed rows.
//!
//! The guarantee is at least once, not exactly once: the send and the `sent`
//! mark cannot be one atomic step, so a worker that dies (or loses its
//! database) between them leaves the row to be sent again when its lease
//! ends. A resent email carries the same Message-ID, so mail clients thread
//! and deduplicate it; a resent Discord message carries the same `nonce`
//! ([`discord_nonce`]), which Discord's webhooks do not deduplicate on.
//!
//! Email rows store facts (recipient, ticket, text), rendered when sent with
//! the templates in `app/templates/` (minijinja): multipart text + HTML, the
//! reference in the subject, a link to the ticket, `Message-ID`,
//! `In-Reply-To` and `References` chaining each recipient's mails about one
//! ticket into one conversation, and `Auto-Submitted: auto-generated`.

use crate::domain::Priority;
use crate::domain::service_levels::SlaTarget;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// NOTIFY channel woken when outbox rows are committed; the payload is empty.
pub const OUTBOX_CHANNEL: &str = "guichet_outbox";
/// Longest error text kept on an outbox row, in characters.
const ERROR_MAX: usize = 1_000;
/// Inbox lines per page.
pub const INBOX_PAGE: i64 = 50;
/// Outbox rows per admin page.
pub const OUTBOX_PAGE: i64 = 100;

mod inbox;
mod outbox;
mod preferences;
mod rendering;
mod rules;
mod webhooks;
mod worker;

pub use inbox::*;
pub use outbox::*;
pub use preferences::*;
pub use rendering::*;
pub(crate) use rules::fan_out;
pub use rules::*;
pub use webhooks::*;
pub use worker::*;

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// How the SMTP connection is secured (`GUICHET_SMTP_TLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a local relay or a test server); default port 25.
    None,
    /// STARTTLS upgrade, required; default port 587.
    StartTls,
    /// TLS from the first byte (SMTPS); default port 465.
    Tls,
}

impl std::str::FromStr for SmtpTls {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            _ => Err("must be one of none, starttls, tls".into()),
        }
    }
}

impl SmtpTls {
    /// The usual port for this mode: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// Where and as whom mail is sent (`GUICHET_SMTP_*`, `GUICHET_MAIL_FROM`).
/// Its `Debug` never shows the password.
#[derive(Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Credentials, when the server wants them (both set, or none).
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Guichet <support@example.com>`; its domain also names Message-IDs.
    pub from: lettre::message::Mailbox,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl MailSettings {
    /// The domain after the `@` of the sender, which names Message-IDs.
    fn domain(&self) -> &str {
        self.from.email.domain()
    }
}

/// How long a claimed outbox row stays with its worker unless renewed:
/// 45 s, short so that a killed instance's rows come back soon. A row being
/// sent is renewed every [`LEASE_RENEWAL`], so a slow send (up to the 30 s
/// timeout) keeps it.
pub const DELIVERY_LEASE: Duration = Duration::from_secs(45);
/// How often a worker renews the lease of the row it is sending: 15 s, a
/// third of [`DELIVERY_LEASE`], so that two renewals may fail (a slow
/// database) before the lease runs out.
pub const LEASE_RENEWAL: Duration = Duration::from_secs(15);

/// Timing of the delivery worker. The defaults are production's; tests shorten them.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Poll for due retries this often, besides waking on notifications (default 15 s).
    pub poll_interval: Duration,
    /// Delay after the first failed attempt, doubled after each (default 1 minute).
    pub retry_base: Duration,
    /// Longest delay between attempts (default 1 hour).
    pub retry_cap: Duration,
    /// A claimed row comes back to other workers after this unless renewed
    /// (default [`DELIVERY_LEASE`], 45 s).
    pub lease: Duration,
    /// The lease of a row being sent is renewed this often; keep it well
    /// below `lease` (default [`LEASE_RENEWAL`], 15 s).
    pub lease_renewal: Duration,
    /// Rows claimed at once (default 20).
    pub batch: i64,
    /// Timeout of one SMTP or HTTP delivery (default 30 s).
    pub timeout: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            poll_interval: Duration::from_secs(15),
            retry_base: Duration::from_secs(60),
            retry_cap: Duration::from_secs(3600),
            lease: DELIVERY_LEASE,
            lease_renewal: LEASE_RENEWAL,
            batch: 20,
            timeout: Duration::from_secs(30),
        }
    }
}

// ---------------------------------------------------------------------------
// What outbox rows carry
// ---------------------------------------------------------------------------

/// What an email row carries: facts frozen when the event happened, rendered
/// by the worker. `thread` names the ticket's conversation (the Message-ID of
/// the requester's receipt); `root` says this mail is that receipt;
/// `in_reply_to` is the local part of the previous mail to the same recipient
/// about the same ticket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailPayload {
    pub to: String,
    pub recipient: String,
    pub reference: String,
    pub subject: String,
    pub priority: Priority,
    pub actor: Option<String>,
    /// The public reply, or the ticket's description for a receipt or an assignment.
    pub body: Option<String>,
    /// The escalation's reason (admins only).
    pub reason: Option<String>,
    pub thread: String,
    pub root: bool,
    pub in_reply_to: Option<String>,
    /// The recipient's language (`fr`, `en`) when they chose one; else the
    /// desk's default applies when the mail is rendered.
    #[serde(default)]
    pub language: Option<String>,
    /// For an SLA warning or breach (issue 15): the clock's target and due time (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla_target: Option<SlaTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// For a "resolved" email: the resolution its requester may rate from
    /// the email's one-click links, signed when the email is rendered (the
    /// token itself is never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingLinkTarget>,
}

/// The resolution a "resolved" email's rating links rate (see
/// [`crate::services::ratings::RatingLink`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingLinkTarget {
    pub ticket_id: i64,
    /// The `status_changed` event that resolved the ticket.
    pub resolution_id: i64,
    pub requester_id: i64,
    /// When the links stop working (UTC).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl RatingLinkTarget {
    /// The signed link (`{public_url}/rate/{token}`, without its `?score=`).
    pub fn url(&self, public_url: &str, key: &crate::services::SecretKey) -> String {
        let link = crate::services::ratings::RatingLink {
            ticket_id: self.ticket_id,
            resolution_id: self.resolution_id,
            requester_id: self.requester_id,
            expires_at: self.expires_at,
        };
        format!("{}/rate/{}", public_url.trim_end_matches('/'), link.sign(key))
    }
}

/// What a Discord row carries, rendered to an embed by the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscordPayload {
    pub reference: String,
    pub subject: String,
    pub priority: Priority,
    pub queue: String,
    pub requester: String,
    pub actor: Option<String>,
    /// A short public excerpt (description, reply) or the escalation's reason.
    pub excerpt: Option<String>,
}

/// Clips `text` to `max` characters, marking the cut with "…".
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
        clipped.push('…');
        clipped
    }
}

/// The local part of an email's Message-ID: the thread's own for the
/// receipt, else the thread's followed by the outbox row id. `rules::fan_out`
/// computes the same in SQL for each recipient's `in_reply_to`.
fn message_key(thread: &str, outbox_id: i64, root: bool) -> String {
    if root { thread.to_string() } else { format!("{thread}.{outbox_id}") }
}

/// The `nonce` of a Discord message: `guichet-` and the outbox row id in
/// hexadecimal, the same on every attempt of that row, at most 24 characters
/// (Discord allows 25).
pub fn discord_nonce(outbox_id: i64) -> String {
    format!("guichet-{outbox_id:x}")
}
