//! Notifications (issue 6): email, the in-app inbox (the bell) and Discord
//! webhooks, none lost when a server is down.
//!
//! How a ticket change reaches people:
//! 1. `record_event` (tickets.rs) calls [`on_event`] with the same transaction
//!    connection. It maps the event to a [`NotificationKind`] (seeds: created →
//!    requester, assigned → the agent, agent reply → requester, requester reply
//!    → assignee or every agent while unassigned, resolved / closed →
//!    requester, escalated → admins), finds the recipients, reads their
//!    preferences (a user's own choice, else the admins' default), and writes
//!    in that transaction: `notifications` rows (the inbox, delivered as soon
//!    as it commits), `outbox` rows for email and for the queue's Discord
//!    webhooks, and a `pg_notify(`[`OUTBOX_CHANNEL`]`)`. Nobody is notified of
//!    their own action, except the requester's receipt of a new ticket (by
//!    email only). Internal notes notify nobody.
//! 2. A [`Worker`] (one per server instance, any number of instances) LISTENs
//!    on [`OUTBOX_CHANNEL`] and polls for retries. It claims due rows with
//!    `FOR UPDATE SKIP LOCKED` and a lease (`claimed_until`), so two workers
//!    never take the same row and a crashed worker's rows come back when the
//!    lease ends; it renders and sends them (SMTP with lettre, Discord with
//!    reqwest), then marks them `sent`, or schedules a retry with exponential
//!    backoff, or marks them `failed` after about 24 hours or a permanent
//!    error. Admins see the outbox and retry failed rows.
//!
//! Email rows store facts (recipient, ticket, text), rendered when sent with
//! the templates in `app/templates/` (minijinja): multipart text + HTML, the
//! reference in the subject, a link to the ticket, `Message-ID`,
//! `In-Reply-To` and `References` chaining each recipient's mails about one
//! ticket into one conversation, and `Auto-Submitted: auto-generated`.

use crate::domain::{
    DiscordWebhook, Notification, NotificationInbox, NotificationKind, NotificationPreference, OutboxChannel,
    OutboxItem, OutboxStatus, Priority, reference,
};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, Settings};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// NOTIFY channel woken when outbox rows are committed; the payload is empty.
pub const OUTBOX_CHANNEL: &str = "guichet_outbox";
/// Longest error text kept on an outbox row, in characters.
const ERROR_MAX: usize = 1_000;
/// Inbox lines per page.
pub const INBOX_PAGE: i64 = 50;
/// Outbox rows per admin page.
pub const OUTBOX_PAGE: i64 = 100;

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

/// Timing of the delivery worker. The defaults are production's; tests shorten them.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Poll for due retries this often, besides waking on notifications (default 15 s).
    pub poll_interval: Duration,
    /// Delay after the first failed attempt, doubled after each (default 1 minute).
    pub retry_base: Duration,
    /// Longest delay between attempts (default 1 hour).
    pub retry_cap: Duration,
    /// A claimed row comes back to other workers after this (default 5 minutes,
    /// well above the 30 s SMTP and HTTP timeouts).
    pub lease: Duration,
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
            lease: Duration::from_secs(300),
            batch: 20,
            timeout: Duration::from_secs(30),
        }
    }
}

// ---------------------------------------------------------------------------
// From ticket events to inbox and outbox rows
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

#[derive(sqlx::FromRow)]
struct EventTicket {
    prefix: String,
    number: i64,
    subject: String,
    description: String,
    priority: Priority,
    queue_id: i64,
    queue_name: String,
    requester_id: i64,
    requester_username: String,
    assignee_id: Option<i64>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Recipient {
    id: i64,
    username: String,
    email: String,
    by_email: bool,
    in_app: bool,
}

/// The kind of notification an event causes, if any. `replied` is an agent's
/// or the requester's reply depending on its author; internal notes
/// (`note_added`) cause none.
fn kind_of(action: &str, data: &Value, actor_id: Option<i64>, requester_id: i64) -> Option<NotificationKind> {
    match action {
        "created" => Some(NotificationKind::TicketCreated),
        "assigned" => Some(NotificationKind::TicketAssigned),
        "replied" if actor_id == Some(requester_id) => Some(NotificationKind::RequesterReplied),
        "replied" => Some(NotificationKind::AgentReplied),
        "status_changed" => match data.get("to").and_then(Value::as_str) {
            Some("resolved") => Some(NotificationKind::TicketResolved),
            Some("closed") => Some(NotificationKind::TicketClosed),
            _ => None,
        },
        "escalated" => Some(NotificationKind::TicketEscalated),
        _ => None,
    }
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

/// Writes the notifications a ticket event causes, in the event's
/// transaction (see the module documentation). Called by `record_event`.
///
/// Errors: [`AppError::Internal`] when the database fails (the change then
/// rolls back with it).
pub(crate) async fn on_event(
    connection: &mut PgConnection,
    event_id: i64,
    ticket_id: i64,
    actor_id: Option<i64>,
    action: &str,
    data: &Value,
) -> Result<(), AppError> {
    if !matches!(action, "created" | "assigned" | "replied" | "status_changed" | "escalated") {
        return Ok(());
    }
    let ticket: EventTicket = sqlx::query_as(
        "select q.prefix, t.number, t.subject, t.description, t.priority, t.queue_id, q.name as queue_name,
            t.requester_id, r.username::text as requester_username, t.assignee_id, t.created_at
         from tickets t join queues q on q.id = t.queue_id join users r on r.id = t.requester_id
         where t.id = $1",
    )
    .bind(ticket_id)
    .fetch_one(&mut *connection)
    .await?;
    let Some(kind) = kind_of(action, data, actor_id, ticket.requester_id) else { return Ok(()) };
    let actor: Option<String> = match actor_id {
        Some(id) => {
            sqlx::query_scalar("select username::text from users where id = $1")
                .bind(id)
                .fetch_optional(&mut *connection)
                .await?
        }
        None => None,
    };
    // Only public text ever goes into a notification: replies (checked to be
    // replies), the description, and the escalation reason for admins.
    let reply: Option<String> = match data.get("message_id").and_then(Value::as_i64) {
        Some(message_id) if action == "replied" => {
            sqlx::query_scalar("select body from messages where id = $1 and kind = 'reply'")
                .bind(message_id)
                .fetch_optional(&mut *connection)
                .await?
        }
        _ => None,
    };
    let reason = data.get("reason").and_then(Value::as_str).map(str::to_string);
    let body = match kind {
        NotificationKind::TicketCreated | NotificationKind::TicketAssigned => Some(ticket.description.clone()),
        NotificationKind::AgentReplied | NotificationKind::RequesterReplied => reply.clone(),
        _ => None,
    };
    let recipient_ids: Vec<i64> = match kind {
        NotificationKind::TicketCreated
        | NotificationKind::AgentReplied
        | NotificationKind::TicketResolved
        | NotificationKind::TicketClosed => vec![ticket.requester_id],
        NotificationKind::TicketAssigned => {
            data.get("to").and_then(|to| to.get("id")).and_then(Value::as_i64).into_iter().collect()
        }
        // No queue membership exists: "all agents of the queue" is every agent.
        NotificationKind::RequesterReplied => match ticket.assignee_id {
            Some(assignee) => vec![assignee],
            None => {
                sqlx::query_scalar("select id from users where role = 'agent' order by id")
                    .fetch_all(&mut *connection)
                    .await?
            }
        },
        NotificationKind::TicketEscalated => {
            sqlx::query_scalar("select id from users where role = 'admin' order by id")
                .fetch_all(&mut *connection)
                .await?
        }
    };
    let recipients: Vec<Recipient> = sqlx::query_as(
        "select u.id, u.username::text, u.email::text, coalesce(p.email, d.email) as by_email,
            coalesce(p.in_app, d.in_app) as in_app
         from users u
         join notification_defaults d on d.kind = $2::notification_kind
         left join notification_preferences p on p.user_id = u.id and p.kind = d.kind
         where u.id = any($1) order by u.id",
    )
    .bind(&recipient_ids)
    .bind(kind.as_str())
    .fetch_all(&mut *connection)
    .await?;
    let ticket_reference = reference(&ticket.prefix, ticket.number);
    let thread = format!("guichet.{ticket_id}.{}", ticket.created_at.timestamp());
    let mut outbox_rows = 0;
    for recipient in recipients {
        let own_action = actor_id == Some(recipient.id);
        // The requester's receipt of their own new ticket is the one exception.
        let receipt = kind == NotificationKind::TicketCreated;
        if recipient.by_email && (!own_action || receipt) {
            let previous: Option<(i64, Value)> = sqlx::query_as(
                "select id, payload from outbox where channel = 'email' and ticket_id = $1 and user_id = $2
                 order by id desc limit 1",
            )
            .bind(ticket_id)
            .bind(recipient.id)
            .fetch_optional(&mut *connection)
            .await?;
            let in_reply_to = previous.map(|(id, payload)| {
                let root = payload.get("root").and_then(Value::as_bool).unwrap_or(false);
                message_key(&thread, id, root)
            });
            let payload = EmailPayload {
                to: recipient.email.clone(),
                recipient: recipient.username.clone(),
                reference: ticket_reference.clone(),
                subject: ticket.subject.clone(),
                priority: ticket.priority,
                actor: actor.clone(),
                body: body.clone(),
                reason: if kind == NotificationKind::TicketEscalated { reason.clone() } else { None },
                thread: thread.clone(),
                root: receipt,
                in_reply_to,
            };
            sqlx::query(
                "insert into outbox (channel, kind, ticket_id, event_id, user_id, payload)
                 values ('email', $1::notification_kind, $2, $3, $4, $5)",
            )
            .bind(kind.as_str())
            .bind(ticket_id)
            .bind(event_id)
            .bind(recipient.id)
            .bind(serde_json::to_value(&payload).map_err(|_| AppError::internal())?)
            .execute(&mut *connection)
            .await?;
            outbox_rows += 1;
        }
        if recipient.in_app && !own_action {
            let title = inbox_title(kind, actor.as_deref(), &ticket_reference, &ticket.subject);
            sqlx::query(
                "insert into notifications (user_id, ticket_id, event_id, kind, title)
                 values ($1, $2, $3, $4::notification_kind, $5)",
            )
            .bind(recipient.id)
            .bind(ticket_id)
            .bind(event_id)
            .bind(kind.as_str())
            .bind(clip(&title, 300))
            .execute(&mut *connection)
            .await?;
        }
    }
    let webhooks: Vec<i64> = sqlx::query_scalar(
        "select id from discord_webhooks where queue_id = $1 and active and $2::notification_kind = any(kinds)
         order by id",
    )
    .bind(ticket.queue_id)
    .bind(kind.as_str())
    .fetch_all(&mut *connection)
    .await?;
    if !webhooks.is_empty() {
        let excerpt = match kind {
            NotificationKind::TicketEscalated => reason.clone(),
            NotificationKind::TicketCreated => Some(ticket.description.clone()),
            _ => reply.clone(),
        };
        let payload = DiscordPayload {
            reference: ticket_reference.clone(),
            subject: ticket.subject.clone(),
            priority: ticket.priority,
            queue: ticket.queue_name.clone(),
            requester: ticket.requester_username.clone(),
            actor: actor.clone(),
            excerpt: excerpt.map(|text| clip(&text, 1_000)),
        };
        let payload = serde_json::to_value(&payload).map_err(|_| AppError::internal())?;
        for webhook in webhooks {
            sqlx::query(
                "insert into outbox (channel, kind, ticket_id, event_id, webhook_id, payload)
                 values ('discord', $1::notification_kind, $2, $3, $4, $5)",
            )
            .bind(kind.as_str())
            .bind(ticket_id)
            .bind(event_id)
            .bind(webhook)
            .bind(&payload)
            .execute(&mut *connection)
            .await?;
            outbox_rows += 1;
        }
    }
    if outbox_rows > 0 {
        sqlx::query("select pg_notify($1, '')").bind(OUTBOX_CHANNEL).execute(&mut *connection).await?;
    }
    Ok(())
}

/// The local part of an email's Message-ID: the thread's own for the
/// receipt, else the thread's followed by the outbox row id.
fn message_key(thread: &str, outbox_id: i64, root: bool) -> String {
    if root { thread.to_string() } else { format!("{thread}.{outbox_id}") }
}

/// The inbox line for a kind, e.g. "alice replied on SUP-0042: VPN down".
fn inbox_title(kind: NotificationKind, actor: Option<&str>, reference: &str, subject: &str) -> String {
    let actor = actor.unwrap_or("Guichet");
    match kind {
        NotificationKind::TicketCreated => format!("{reference} received: {subject}"),
        NotificationKind::TicketAssigned => format!("{actor} assigned {reference} to you: {subject}"),
        NotificationKind::AgentReplied | NotificationKind::RequesterReplied => {
            format!("{actor} replied on {reference}: {subject}")
        }
        NotificationKind::TicketResolved => format!("{reference} is resolved: {subject}"),
        NotificationKind::TicketClosed => format!("{reference} is closed: {subject}"),
        NotificationKind::TicketEscalated => format!("{actor} escalated {reference}: {subject}"),
    }
}

// ---------------------------------------------------------------------------
// The in-app inbox
// ---------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    kind: String,
    ticket_id: i64,
    prefix: String,
    number: i64,
    title: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

/// The caller's inbox: the latest [`INBOX_PAGE`] notifications, newest first
/// (only unread ones when `unread_only`), and the unread count.
///
/// Errors: 401.
pub async fn inbox(pool: &PgPool, caller: &Caller, unread_only: bool) -> Result<NotificationInbox, AppError> {
    let user = caller.user()?;
    let rows: Vec<NotificationRow> = sqlx::query_as(
        "select n.id, n.kind::text, n.ticket_id, q.prefix, t.number, n.title, n.created_at, n.read_at
         from notifications n join tickets t on t.id = n.ticket_id join queues q on q.id = t.queue_id
         where n.user_id = $1 and (not $2 or n.read_at is null)
         order by n.id desc limit $3",
    )
    .bind(user.id)
    .bind(unread_only)
    .bind(INBOX_PAGE)
    .fetch_all(pool)
    .await?;
    let unread = unread_count(pool, caller).await?;
    let notifications = rows
        .into_iter()
        .filter_map(|row| {
            Some(Notification {
                id: row.id,
                kind: row.kind.parse().ok()?,
                ticket_id: row.ticket_id,
                reference: reference(&row.prefix, row.number),
                title: row.title,
                created_at: row.created_at,
                read_at: row.read_at,
            })
        })
        .collect();
    Ok(NotificationInbox { notifications, unread })
}

/// How many of the caller's notifications are unread.
///
/// Errors: 401.
pub async fn unread_count(pool: &PgPool, caller: &Caller) -> Result<i64, AppError> {
    let user = caller.user()?;
    Ok(sqlx::query_scalar("select count(*) from notifications where user_id = $1 and read_at is null")
        .bind(user.id)
        .fetch_one(pool)
        .await?)
}

/// Marks the caller's notifications read: those in `ids`, or all of them
/// when `ids` is `None`. Others' notifications are silently left alone.
/// Returns the unread count after.
///
/// Errors: 401.
pub async fn mark_read(pool: &PgPool, caller: &Caller, ids: Option<&[i64]>) -> Result<i64, AppError> {
    let user = caller.user()?;
    sqlx::query(
        "update notifications set read_at = now()
         where user_id = $1 and read_at is null and ($2::bigint[] is null or id = any($2))",
    )
    .bind(user.id)
    .bind(ids)
    .execute(pool)
    .await?;
    unread_count(pool, caller).await
}

// ---------------------------------------------------------------------------
// Preferences
// ---------------------------------------------------------------------------

/// The caller's choice for every kind their role can receive ([`NotificationKind::concerns`]):
/// their own, else the admins' default.
///
/// Errors: 401.
pub async fn preferences(pool: &PgPool, caller: &Caller) -> Result<Vec<NotificationPreference>, AppError> {
    let user = caller.user()?;
    let rows: Vec<(String, bool, bool)> = sqlx::query_as(
        "select d.kind::text, coalesce(p.email, d.email), coalesce(p.in_app, d.in_app)
         from notification_defaults d
         left join notification_preferences p on p.kind = d.kind and p.user_id = $1",
    )
    .bind(user.id)
    .fetch_all(pool)
    .await?;
    let mut preferences = sorted_preferences(rows);
    preferences.retain(|preference| preference.kind.concerns(user.role));
    Ok(preferences)
}

fn sorted_preferences(rows: Vec<(String, bool, bool)>) -> Vec<NotificationPreference> {
    let mut preferences: Vec<NotificationPreference> = rows
        .into_iter()
        .filter_map(|(kind, email, in_app)| Some(NotificationPreference { kind: kind.parse().ok()?, email, in_app }))
        .collect();
    preferences.sort_by_key(|preference| preference.kind);
    preferences
}

/// Saves the caller's choices (kinds not listed keep theirs); returns all of them.
///
/// Errors: 401.
pub async fn set_preferences(
    pool: &PgPool,
    caller: &Caller,
    choices: &[NotificationPreference],
) -> Result<Vec<NotificationPreference>, AppError> {
    let user = caller.user()?;
    let mut transaction = pool.begin().await?;
    for choice in choices {
        sqlx::query(
            "insert into notification_preferences (user_id, kind, email, in_app) values ($1, $2::notification_kind, $3, $4)
             on conflict (user_id, kind) do update set email = excluded.email, in_app = excluded.in_app",
        )
        .bind(user.id)
        .bind(choice.kind.as_str())
        .bind(choice.email)
        .bind(choice.in_app)
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    preferences(pool, caller).await
}

/// The defaults for users without a choice of their own (admins).
///
/// Errors: 401; 403 for others.
pub async fn default_preferences(pool: &PgPool, caller: &Caller) -> Result<Vec<NotificationPreference>, AppError> {
    caller.admin()?;
    let rows: Vec<(String, bool, bool)> =
        sqlx::query_as("select kind::text, email, in_app from notification_defaults").fetch_all(pool).await?;
    Ok(sorted_preferences(rows))
}

/// Changes the defaults (admins); kinds not listed keep theirs. Returns all of them.
///
/// Errors: 401; 403 for others.
pub async fn set_default_preferences(
    pool: &PgPool,
    caller: &Caller,
    choices: &[NotificationPreference],
) -> Result<Vec<NotificationPreference>, AppError> {
    caller.admin()?;
    let mut transaction = pool.begin().await?;
    for choice in choices {
        sqlx::query("update notification_defaults set email = $2, in_app = $3 where kind = $1::notification_kind")
            .bind(choice.kind.as_str())
            .bind(choice.email)
            .bind(choice.in_app)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    default_preferences(pool, caller).await
}

// ---------------------------------------------------------------------------
// Discord webhooks
// ---------------------------------------------------------------------------

/// A webhook as an admin writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WebhookInput {
    /// The queue's slug.
    #[serde(default)]
    pub queue: String,
    #[serde(default)]
    pub name: String,
    /// Discord's webhook URL (`https://discord.com/api/webhooks/<id>/<token>`);
    /// on update, empty keeps the stored one.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub kinds: Vec<NotificationKind>,
    #[serde(default = "default_true")]
    pub active: bool,
}

fn default_true() -> bool {
    true
}

/// Checks a webhook URL: `https://` (any host, for Discord and compatible
/// services), or `http://` on a loopback host (a local stand-in). Returns the reason.
fn check_webhook_url(text: &str) -> Result<(), String> {
    let rest = if let Some(rest) = text.strip_prefix("https://") {
        rest
    } else if let Some(rest) = text.strip_prefix("http://") {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        let loopback = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .any(|host| authority == *host || authority.strip_prefix(host).is_some_and(|port| port.starts_with(':')));
        if !loopback {
            return Err("must be an https:// URL (http:// only on 127.0.0.1 or localhost)".into());
        }
        rest
    } else {
        return Err("must be an https:// URL, e.g. https://discord.com/api/webhooks/<id>/<token>".into());
    };
    if rest.is_empty() || rest.starts_with('/') || text.chars().any(char::is_whitespace) || text.len() > 500 {
        return Err("is not a valid URL".into());
    }
    Ok(())
}

/// A webhook URL with its secret token hidden: everything after the last
/// `/` but one path segment, e.g. `https://discord.com/api/webhooks/123/…`.
pub fn mask_url(url: &str) -> String {
    match url.rsplit_once('/') {
        Some((head, tail)) if !tail.is_empty() && head.contains("://") && head.split('/').count() > 3 => {
            format!("{head}/…")
        }
        _ => "…".into(),
    }
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    queue: String,
    name: String,
    url: String,
    kinds: Vec<String>,
    active: bool,
}

impl From<WebhookRow> for DiscordWebhook {
    fn from(row: WebhookRow) -> Self {
        DiscordWebhook {
            id: row.id,
            queue: row.queue,
            name: row.name,
            url: mask_url(&row.url),
            kinds: row.kinds.iter().filter_map(|kind| kind.parse().ok()).collect(),
            active: row.active,
        }
    }
}

const WEBHOOK_SELECT: &str = "select w.id, q.slug as queue, w.name, w.url, w.kinds::text[] as kinds, w.active
    from discord_webhooks w join queues q on q.id = w.queue_id";

/// Every Discord webhook, URLs masked (admins).
///
/// Errors: 401; 403 for others.
pub async fn webhooks(pool: &PgPool, caller: &Caller) -> Result<Vec<DiscordWebhook>, AppError> {
    caller.admin()?;
    let rows: Vec<WebhookRow> =
        sqlx::query_as(&format!("{WEBHOOK_SELECT} order by q.slug, w.id")).fetch_all(pool).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Validates a webhook; returns the queue id. `url_required` is false on update.
async fn check_webhook(
    connection: &mut PgConnection,
    input: &WebhookInput,
    url_required: bool,
) -> Result<i64, AppError> {
    let mut fields = FieldErrors::new();
    let name = input.name.trim();
    if name.is_empty() {
        fields.insert("name".into(), "is required".into());
    } else if name.chars().count() > 100 {
        fields.insert("name".into(), "must be at most 100 characters long".into());
    }
    let url = input.url.trim();
    if !url.is_empty() || url_required {
        if url.is_empty() {
            fields.insert("url".into(), "is required".into());
        } else if let Err(reason) = check_webhook_url(url) {
            fields.insert("url".into(), reason);
        }
    }
    if input.kinds.is_empty() {
        fields.insert("kinds".into(), "choose at least one event".into());
    } else if let Some(kind) = input.kinds.iter().find(|kind| !NotificationKind::DISCORD.contains(kind)) {
        fields.insert("kinds".into(), format!("{kind} is not announced on Discord"));
    }
    let queue_id: Option<i64> = sqlx::query_scalar("select id from queues where slug = $1")
        .bind(input.queue.trim())
        .fetch_optional(&mut *connection)
        .await?;
    if queue_id.is_none() {
        fields.insert("queue".into(), "is not a queue".into());
    }
    AppError::check(fields)?;
    queue_id.ok_or_else(AppError::internal)
}

fn kind_names(kinds: &[NotificationKind]) -> Vec<String> {
    let mut names: Vec<String> = kinds.iter().map(|kind| kind.as_str().to_string()).collect();
    names.sort();
    names.dedup();
    names
}

/// Adds a Discord webhook to a queue (admins).
///
/// Errors: 401; 403; 422 for a missing name, a bad URL, an unknown queue, or
/// no (or non-Discord) kinds.
pub async fn create_webhook(pool: &PgPool, caller: &Caller, input: &WebhookInput) -> Result<DiscordWebhook, AppError> {
    caller.admin()?;
    let mut transaction = pool.begin().await?;
    let queue_id = check_webhook(&mut transaction, input, true).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into discord_webhooks (queue_id, name, url, kinds, active)
         values ($1, $2, $3, $4::notification_kind[], $5) returning id",
    )
    .bind(queue_id)
    .bind(input.name.trim())
    .bind(input.url.trim())
    .bind(kind_names(&input.kinds))
    .bind(input.active)
    .fetch_one(&mut *transaction)
    .await?;
    let row: WebhookRow =
        sqlx::query_as(&format!("{WEBHOOK_SELECT} where w.id = $1")).bind(id).fetch_one(&mut *transaction).await?;
    transaction.commit().await?;
    Ok(row.into())
}

/// Changes a webhook (admins); an empty `url` keeps the stored one.
///
/// Errors: 401; 403; 404; 422 as for [`create_webhook`].
pub async fn update_webhook(
    pool: &PgPool,
    caller: &Caller,
    id: i64,
    input: &WebhookInput,
) -> Result<DiscordWebhook, AppError> {
    caller.admin()?;
    let mut transaction = pool.begin().await?;
    let queue_id = check_webhook(&mut transaction, input, false).await?;
    let url = input.url.trim();
    let updated = sqlx::query(
        "update discord_webhooks set queue_id = $2, name = $3, url = case when $4 = '' then url else $4 end,
            kinds = $5::notification_kind[], active = $6
         where id = $1",
    )
    .bind(id)
    .bind(queue_id)
    .bind(input.name.trim())
    .bind(url)
    .bind(kind_names(&input.kinds))
    .bind(input.active)
    .execute(&mut *transaction)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::not_found("webhook"));
    }
    let row: WebhookRow =
        sqlx::query_as(&format!("{WEBHOOK_SELECT} where w.id = $1")).bind(id).fetch_one(&mut *transaction).await?;
    transaction.commit().await?;
    Ok(row.into())
}

/// Deletes a webhook and its outbox rows (admins).
///
/// Errors: 401; 403; 404.
pub async fn delete_webhook(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    caller.admin()?;
    let deleted = sqlx::query("delete from discord_webhooks where id = $1").bind(id).execute(pool).await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::not_found("webhook"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The outbox, for admins
// ---------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    channel: OutboxChannel,
    status: OutboxStatus,
    kind: String,
    prefix: Option<String>,
    number: Option<i64>,
    recipient: Option<String>,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

/// The latest [`OUTBOX_PAGE`] outbox rows, newest first, optionally of one
/// status (admins). Email rows show their address, Discord rows their
/// webhook's name, never its URL.
///
/// Errors: 401; 403.
pub async fn outbox(pool: &PgPool, caller: &Caller, status: Option<OutboxStatus>) -> Result<Vec<OutboxItem>, AppError> {
    caller.admin()?;
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "select o.id, o.channel, o.status, o.kind::text, q.prefix, t.number,
            coalesce(o.payload->>'to', w.name) as recipient, o.attempts, o.last_error, o.next_attempt_at,
            o.created_at, o.sent_at
         from outbox o
         left join tickets t on t.id = o.ticket_id left join queues q on q.id = t.queue_id
         left join discord_webhooks w on w.id = o.webhook_id
         where $1::outbox_status is null or o.status = $1
         order by o.id desc limit $2",
    )
    .bind(status)
    .bind(OUTBOX_PAGE)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(OutboxItem {
                id: row.id,
                channel: row.channel,
                status: row.status,
                kind: row.kind.parse().ok()?,
                reference: row.prefix.zip(row.number).map(|(prefix, number)| reference(&prefix, number)),
                recipient: row.recipient.unwrap_or_default(),
                attempts: row.attempts,
                last_error: row.last_error,
                next_attempt_at: row.next_attempt_at,
                created_at: row.created_at,
                sent_at: row.sent_at,
            })
        })
        .collect())
}

/// Sends a failed row again (admins): back to `pending`, due now, with
/// another 24 hours before the worker gives up.
///
/// Errors: 401; 403; 404; 409 when the row is not `failed`.
pub async fn retry(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    caller.admin()?;
    let mut transaction = pool.begin().await?;
    let status: Option<OutboxStatus> = sqlx::query_scalar("select status from outbox where id = $1 for update")
        .bind(id)
        .fetch_optional(&mut *transaction)
        .await?;
    match status {
        None => return Err(AppError::not_found("outbox message")),
        Some(OutboxStatus::Failed) => {}
        Some(_) => return Err(AppError::conflict_field("id", "only a failed message can be retried")),
    }
    sqlx::query(
        "update outbox set status = 'pending', next_attempt_at = now(), give_up_at = now() + interval '24 hours',
            claimed_until = null
         where id = $1",
    )
    .bind(id)
    .execute(&mut *transaction)
    .await?;
    sqlx::query("select pg_notify($1, '')").bind(OUTBOX_CHANNEL).execute(&mut *transaction).await?;
    transaction.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut environment = minijinja::Environment::new();
    // `.html` templates escape HTML (minijinja's default by extension); `.txt` do not.
    environment.add_template("email.txt", include_str!("../../templates/email.txt")).expect("email.txt parses");
    environment.add_template("email.html", include_str!("../../templates/email.html")).expect("email.html parses");
    environment
});

/// A rendered email: subject, text and HTML parts.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders an email row with the templates; `link` is the ticket's page.
///
/// Errors: [`AppError::Internal`] when a template fails.
pub fn render_email(kind: NotificationKind, payload: &EmailPayload, link: &str) -> Result<RenderedEmail, AppError> {
    let context = minijinja::context! {
        kind => kind.as_str(),
        recipient => &payload.recipient,
        reference => &payload.reference,
        subject => &payload.subject,
        priority => payload.priority.as_str(),
        actor => &payload.actor,
        body => &payload.body,
        reason => &payload.reason,
        link => link,
    };
    let render = |name: &str| {
        TEMPLATES.get_template(name).and_then(|template| template.render(&context)).map_err(|error| {
            tracing::error!(%error, name, "mail template failed");
            AppError::internal()
        })
    };
    let prefix = if payload.root { "" } else { "Re: " };
    Ok(RenderedEmail {
        subject: format!("{prefix}[{}] {}", payload.reference, payload.subject),
        text: render("email.txt")?,
        html: render("email.html")?,
    })
}

/// Discord's embed colour for a priority: grey, blurple, orange, red.
fn priority_colour(priority: Priority) -> u32 {
    match priority {
        Priority::Low => 0x99AAB5,
        Priority::Medium => 0x5865F2,
        Priority::High => 0xF0A020,
        Priority::Urgent => 0xED4245,
    }
}

/// The webhook body (Discord's "Execute Webhook" JSON): one embed with the
/// reference and subject as a link, the priority's colour, the requester,
/// priority and queue; mentions disabled.
pub fn render_discord(kind: NotificationKind, payload: &DiscordPayload, link: &str) -> Value {
    let actor = payload.actor.as_deref().unwrap_or("Guichet");
    let headline = match kind {
        NotificationKind::TicketCreated => format!("New ticket from {}", payload.requester),
        NotificationKind::RequesterReplied => format!("{} replied", payload.requester),
        NotificationKind::TicketEscalated => format!("Escalated by {actor}"),
        NotificationKind::TicketResolved => format!("Resolved by {actor}"),
        NotificationKind::TicketAssigned => format!("Assigned by {actor}"),
        NotificationKind::AgentReplied => format!("{actor} replied"),
        NotificationKind::TicketClosed => format!("Closed by {actor}"),
    };
    let description = match &payload.excerpt {
        Some(excerpt) => format!("**{headline}**\n{}", clip(excerpt, 3_000)),
        None => format!("**{headline}**"),
    };
    json!({
        "username": "Guichet",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": clip(&format!("[{}] {}", payload.reference, payload.subject), 256),
            "url": link,
            "description": description,
            "color": priority_colour(payload.priority),
            "fields": [
                {"name": "Requester", "value": clip(&payload.requester, 1_024), "inline": true},
                {"name": "Priority", "value": payload.priority.as_str(), "inline": true},
                {"name": "Queue", "value": clip(&payload.queue, 1_024), "inline": true},
            ],
            "footer": {"text": kind.as_str()},
        }],
    })
}

// ---------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------

/// The delivery worker of one server instance (see the module documentation).
pub struct Worker {
    pool: PgPool,
    settings: Arc<Settings>,
    options: WorkerOptions,
    mailer: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
    http: reqwest::Client,
}

/// The handle of a spawned [`Worker`]; dropping it does not stop the worker.
pub struct WorkerHandle {
    task: tokio::task::JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops the worker (a delivery in flight is abandoned; its lease brings the row back).
    pub fn stop(&self) {
        self.task.abort();
    }
}

/// How one delivery went.
enum Outcome {
    Sent,
    /// Try again later with backoff.
    Retry(String),
    /// Try again after this long (Discord's 429), without backoff.
    RateLimited(Duration, String),
    /// Retrying cannot help (e.g. SMTP 5xx, Discord 404): `failed` now.
    Permanent(String),
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    channel: OutboxChannel,
    kind: String,
    ticket_id: Option<i64>,
    webhook_id: Option<i64>,
    payload: Value,
    attempts: i32,
    claimed_until: DateTime<Utc>,
}

impl Worker {
    /// A worker over `pool`; mail goes out only when `settings.mail` is set
    /// (otherwise email rows wait in the outbox, shown as pending).
    ///
    /// Errors: the SMTP relay's TLS setup fails.
    pub fn new(pool: PgPool, settings: Arc<Settings>, options: WorkerOptions) -> Result<Worker, AppError> {
        let mailer = match &settings.mail {
            Some(mail) => Some(build_mailer(mail, options.timeout)?),
            None => None,
        };
        let http = reqwest::Client::builder().timeout(options.timeout).build().map_err(|error| {
            tracing::error!(error = %error.without_url(), "HTTP client");
            AppError::internal()
        })?;
        Ok(Worker { pool, settings, options, mailer, http })
    }

    /// Starts a worker on the current Tokio runtime: it delivers what is due,
    /// then waits for an outbox notification or the poll interval.
    ///
    /// Errors: as [`Worker::new`].
    pub fn spawn(pool: PgPool, settings: Arc<Settings>, options: WorkerOptions) -> Result<WorkerHandle, AppError> {
        let worker = Worker::new(pool, settings, options)?;
        if worker.mailer.is_none() {
            tracing::warn!("SMTP is not configured (GUICHET_SMTP_HOST): emails stay in the outbox, unsent");
        }
        Ok(WorkerHandle { task: tokio::spawn(worker.run()) })
    }

    async fn run(self) {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(mut listener) => match listener.listen(OUTBOX_CHANNEL).await {
                Ok(()) => Some(listener),
                Err(error) => {
                    tracing::warn!(%error, "outbox LISTEN failed; polling only");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(%error, "outbox LISTEN connection failed; polling only");
                None
            }
        };
        loop {
            // Drain what is due (a full batch means there may be more).
            loop {
                match self.run_once().await {
                    Ok(count) if count as i64 >= self.options.batch => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "outbox delivery round failed");
                        break;
                    }
                }
            }
            let wait = tokio::time::sleep(self.next_wake().await);
            match listener.as_mut() {
                Some(listener) => {
                    tokio::select! {
                        received = listener.recv() => {
                            if let Err(error) = received {
                                tracing::warn!(%error, "outbox LISTEN interrupted");
                                tokio::time::sleep(self.options.poll_interval.min(Duration::from_secs(1))).await;
                            }
                        }
                        () = wait => {}
                    }
                }
                None => wait.await,
            }
        }
    }

    /// How long to sleep: the poll interval, or less when a row is due sooner.
    async fn next_wake(&self) -> Duration {
        let next: Result<Option<f64>, sqlx::Error> = sqlx::query_scalar(
            "select extract(epoch from min(greatest(o.next_attempt_at, o.claimed_until, w.rate_limited_until) - now()))::float8
             from outbox o left join discord_webhooks w on w.id = o.webhook_id
             where o.status = 'pending' and (o.channel <> 'email' or $1)",
        )
        .bind(self.mailer.is_some())
        .fetch_one(&self.pool)
        .await;
        match next.ok().flatten() {
            Some(seconds) if seconds.is_finite() => {
                Duration::from_secs_f64(seconds.max(0.01)).min(self.options.poll_interval)
            }
            _ => self.options.poll_interval,
        }
    }

    /// Claims the due rows (up to the batch size) and delivers them; returns
    /// how many it claimed. Usable alone, e.g. by tests.
    ///
    /// Errors: the database fails.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        let rows: Vec<ClaimedRow> = sqlx::query_as(
            "update outbox set claimed_until = now() + make_interval(secs => $1), attempts = attempts + 1
             where id in (
                select id from outbox
                where status = 'pending' and next_attempt_at <= now()
                    and (claimed_until is null or claimed_until < now())
                    and (channel <> 'email' or $2)
                    and (webhook_id is null or not exists (select 1 from discord_webhooks w
                        where w.id = outbox.webhook_id and w.rate_limited_until > now()))
                order by next_attempt_at, id
                limit $3
                for update skip locked)
             returning id, channel, kind::text, ticket_id, webhook_id, payload, attempts, claimed_until",
        )
        .bind(self.options.lease.as_secs_f64())
        .bind(self.mailer.is_some())
        .bind(self.options.batch)
        .fetch_all(&self.pool)
        .await?;
        let count = rows.len();
        // Webhooks that answered 429 in this round: their other rows wait too.
        let mut rate_limited: Vec<(i64, Duration)> = Vec::new();
        for row in rows {
            let waiting = rate_limited.iter().find(|(id, _)| Some(*id) == row.webhook_id).map(|(_, delay)| *delay);
            let outcome = match waiting {
                Some(delay) => Outcome::RateLimited(delay, "waiting for Discord's rate limit".into()),
                None => self.deliver(&row).await,
            };
            if let (Outcome::RateLimited(delay, _), Some(webhook_id)) = (&outcome, row.webhook_id) {
                rate_limited.push((webhook_id, *delay));
            }
            self.settle(&row, outcome).await?;
        }
        Ok(count)
    }

    async fn deliver(&self, row: &ClaimedRow) -> Outcome {
        let Ok(kind) = row.kind.parse::<NotificationKind>() else {
            return Outcome::Permanent(format!("unknown kind {}", row.kind));
        };
        match row.channel {
            OutboxChannel::Email => self.deliver_email(row, kind).await,
            OutboxChannel::Discord => self.deliver_discord(row, kind).await,
        }
    }

    fn ticket_link(&self, reference: &str) -> String {
        format!("{}/tickets/{reference}", self.settings.public_url.trim_end_matches('/'))
    }

    async fn deliver_email(&self, row: &ClaimedRow, kind: NotificationKind) -> Outcome {
        use lettre::AsyncTransport;
        use lettre::message::{Mailbox, MultiPart};
        let (Some(mailer), Some(mail)) = (&self.mailer, &self.settings.mail) else {
            return Outcome::Retry("SMTP is not configured".into());
        };
        let payload: EmailPayload = match serde_json::from_value(row.payload.clone()) {
            Ok(payload) => payload,
            Err(error) => return Outcome::Permanent(format!("unreadable payload: {error}")),
        };
        let rendered = match render_email(kind, &payload, &self.ticket_link(&payload.reference)) {
            Ok(rendered) => rendered,
            Err(_) => return Outcome::Permanent("the mail template failed".into()),
        };
        let to = match payload.to.parse() {
            Ok(address) => Mailbox::new(Some(payload.recipient.clone()), address),
            Err(error) => return Outcome::Permanent(format!("bad recipient address: {error}")),
        };
        let domain = mail.domain();
        let message_id = format!("<{}@{domain}>", message_key(&payload.thread, row.id, payload.root));
        let mut builder = lettre::Message::builder()
            .from(mail.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(message_id))
            .header(AutoSubmitted);
        if !payload.root {
            let root = format!("<{}@{domain}>", payload.thread);
            let parent = payload.in_reply_to.as_ref().map(|key| format!("<{key}@{domain}>"));
            let references = match &parent {
                Some(parent) if *parent != root => format!("{root} {parent}"),
                _ => root.clone(),
            };
            builder = builder.in_reply_to(parent.unwrap_or(root)).references(references);
        }
        let message = match builder.multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html)) {
            Ok(message) => message,
            Err(error) => return Outcome::Permanent(format!("could not build the message: {error}")),
        };
        match mailer.send(message).await {
            Ok(_) => Outcome::Sent,
            Err(error) if error.is_permanent() => Outcome::Permanent(format!("SMTP refused: {error}")),
            Err(error) => Outcome::Retry(format!("SMTP: {error}")),
        }
    }

    async fn deliver_discord(&self, row: &ClaimedRow, kind: NotificationKind) -> Outcome {
        let Some(webhook_id) = row.webhook_id else { return Outcome::Permanent("no webhook".into()) };
        let url: Option<(String, bool)> = match sqlx::query_as("select url, active from discord_webhooks where id = $1")
            .bind(webhook_id)
            .fetch_optional(&self.pool)
            .await
        {
            Ok(url) => url,
            Err(error) => return Outcome::Retry(format!("database: {error}")),
        };
        let Some((url, true)) = url else { return Outcome::Permanent("the webhook is deleted or inactive".into()) };
        let payload: DiscordPayload = match serde_json::from_value(row.payload.clone()) {
            Ok(payload) => payload,
            Err(error) => return Outcome::Permanent(format!("unreadable payload: {error}")),
        };
        let body = render_discord(kind, &payload, &self.ticket_link(&payload.reference));
        // reqwest's errors name the URL, whose token is a secret: strip it.
        let response = match self.http.post(&url).json(&body).send().await {
            Ok(response) => response,
            Err(error) => return Outcome::Retry(format!("Discord: {}", error.without_url())),
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Sent;
        }
        let header_seconds = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<f64>().ok());
        let text = response.text().await.unwrap_or_default();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            // Discord answers {"retry_after": seconds (float), "global": bool}.
            let body_seconds = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|body| body.get("retry_after").and_then(Value::as_f64));
            let seconds = body_seconds.or(header_seconds).unwrap_or(1.0).clamp(0.0, 3600.0);
            return Outcome::RateLimited(
                Duration::from_secs_f64(seconds),
                format!("Discord rate limit: retry after {seconds} s"),
            );
        }
        let detail = clip(text.trim(), 300);
        if status.is_client_error() {
            Outcome::Permanent(format!("Discord answered {status}: {detail}"))
        } else {
            Outcome::Retry(format!("Discord answered {status}: {detail}"))
        }
    }

    /// Records the outcome on the row, if this worker still holds its lease.
    async fn settle(&self, row: &ClaimedRow, outcome: Outcome) -> Result<(), AppError> {
        match outcome {
            Outcome::Sent => {
                sqlx::query(
                    "update outbox set status = 'sent', sent_at = now(), claimed_until = null, last_error = null
                     where id = $1 and claimed_until = $2",
                )
                .bind(row.id)
                .bind(row.claimed_until)
                .execute(&self.pool)
                .await?;
            }
            Outcome::Retry(error) => {
                let exponent = (row.attempts.max(1) - 1).min(20) as u32;
                let delay = self.options.retry_base.saturating_mul(2u32.saturating_pow(exponent));
                let delay = delay.min(self.options.retry_cap);
                tracing::warn!(outbox = row.id, attempts = row.attempts, %error, "delivery failed; will retry");
                sqlx::query(
                    "update outbox set claimed_until = null, last_error = $3,
                        next_attempt_at = now() + make_interval(secs => $4),
                        status = case when now() + make_interval(secs => $4) > give_up_at
                            then 'failed'::outbox_status else status end
                     where id = $1 and claimed_until = $2",
                )
                .bind(row.id)
                .bind(row.claimed_until)
                .bind(clip(&error, ERROR_MAX))
                .bind(delay.as_secs_f64())
                .execute(&self.pool)
                .await?;
            }
            Outcome::RateLimited(delay, error) => {
                let mut transaction = self.pool.begin().await?;
                sqlx::query(
                    "update outbox set claimed_until = null, last_error = $3,
                        next_attempt_at = now() + make_interval(secs => $4)
                     where id = $1 and claimed_until = $2",
                )
                .bind(row.id)
                .bind(row.claimed_until)
                .bind(clip(&error, ERROR_MAX))
                .bind(delay.as_secs_f64())
                .execute(&mut *transaction)
                .await?;
                // The same webhook's other messages wait too, even those written later.
                sqlx::query(
                    "update discord_webhooks
                     set rate_limited_until = greatest(rate_limited_until, now() + make_interval(secs => $2))
                     where id = $1",
                )
                .bind(row.webhook_id)
                .bind(delay.as_secs_f64())
                .execute(&mut *transaction)
                .await?;
                transaction.commit().await?;
            }
            Outcome::Permanent(error) => {
                tracing::warn!(outbox = row.id, ticket = ?row.ticket_id, %error, "delivery failed for good");
                sqlx::query(
                    "update outbox set status = 'failed', claimed_until = null, last_error = $3
                     where id = $1 and claimed_until = $2",
                )
                .bind(row.id)
                .bind(row.claimed_until)
                .bind(clip(&error, ERROR_MAX))
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}

/// The SMTP transport for `mail` (no connection is made until the first send).
fn build_mailer(
    mail: &MailSettings,
    timeout: Duration,
) -> Result<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>, AppError> {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let builder = match mail.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.host),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&mail.host).map_err(|error| {
            tracing::error!(%error, "SMTP STARTTLS set-up");
            AppError::internal()
        })?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&mail.host).map_err(|error| {
            tracing::error!(%error, "SMTP TLS set-up");
            AppError::internal()
        })?,
    };
    let mut builder = builder.port(mail.port).timeout(Some(timeout));
    if let (Some(username), Some(password)) = (&mail.username, &mail.password) {
        builder = builder
            .credentials(lettre::transport::smtp::authentication::Credentials::new(username.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail servers and
/// clients not to send vacation auto-replies to it.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}
