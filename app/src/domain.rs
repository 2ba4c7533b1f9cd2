//! Domain types shared by the server and the browser (see docs/DESIGN.md vocabulary).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user may do: `requester` (own tickets), `agent` (works all tickets),
/// `admin` (everything, plus users, queues and closing tickets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "user_role", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Requester,
    Agent,
    Admin,
}

impl Role {
    /// Every role, lowest privilege first.
    pub const ALL: [Role; 3] = [Role::Requester, Role::Agent, Role::Admin];

    /// The stored and wire name, e.g. `"agent"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }

    /// Agents and admins work tickets.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.pad(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| "must be one of requester, agent, admin".to_string())
    }
}

/// A user as any page or API may show it: never carries the password hash.
/// Times are UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct User {
    pub id: i64,
    pub username: String,
    /// Stored lower-case.
    pub email: String,
    pub role: Role,
    pub discord_username: Option<String>,
    /// Discord's numeric snowflake id, digits only.
    pub discord_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The minimal reference to a user embedded in tickets, messages and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserReference {
    pub id: i64,
    pub username: String,
}

/// One page of the admin user list, in username order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<User>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_after: Option<String>,
}

/// What a new account needs (web form and `POST /api/v1/auth/register`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// 3–32 characters: letters, digits, `_`, `-`, `.`; unique ignoring case.
    pub username: String,
    /// A valid address, stored lower-case; unique.
    pub email: String,
    /// 8–128 characters, not a common password, not the username or email.
    pub password: String,
    #[serde(default)]
    pub discord_username: Option<String>,
    /// Digits only.
    #[serde(default)]
    pub discord_id: Option<String>,
}

/// How urgent a ticket is; ordered `low < medium < high < urgent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "ticket_priority", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

/// Where a ticket stands. `pending` means waiting on the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "ticket_status", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    InProgress,
    Pending,
    Resolved,
    Closed,
    Escalated,
}

/// Where a ticket came from: the web form, email, the JSON API, Discord, or
/// an application error report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "ticket_source", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum TicketSource {
    Web,
    Email,
    Api,
    Discord,
    Error,
}

/// A message on a ticket: a public `reply`, an `internal_note` (agents and
/// admins only), or a `system` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "message_kind", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Reply,
    InternalNote,
    System,
}

/// Implements `as_str`, `ALL`, `Display` and `FromStr` (with a field-style
/// reason) for a wire enum.
macro_rules! wire_enum {
    ($type:ident, $($variant:ident => $name:literal),+ $(,)?) => {
        impl $type {
            /// Every value, in declaration order.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($type::$variant => $name),+ }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.pad(self.as_str())
            }
        }

        impl FromStr for $type {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $type::ALL.iter().copied().find(|value| value.as_str() == text).ok_or_else(|| {
                    format!("must be one of {}", $type::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", "))
                })
            }
        }
    };
}

wire_enum!(Priority, Low => "low", Medium => "medium", High => "high", Urgent => "urgent");
wire_enum!(
    Status,
    Open => "open",
    InProgress => "in_progress",
    Pending => "pending",
    Resolved => "resolved",
    Closed => "closed",
    Escalated => "escalated",
);
wire_enum!(MessageKind, Reply => "reply", InternalNote => "internal_note", System => "system");

impl Status {
    /// Resolved and closed tickets are done; the others count as open.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }

    /// Words for people, e.g. "in progress".
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::InProgress => "in progress",
            Status::Pending => "pending",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Escalated => "escalated",
        }
    }
}

/// A queue (ticket type) with its reference prefix, e.g. Support / `SUP`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Queue {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub prefix: String,
    /// `#rrggbb`.
    pub color: String,
    /// Open tickets a requester may have at once here; `None` = unlimited.
    pub open_ticket_limit: Option<i32>,
    pub active: bool,
}

/// A ticket category, e.g. `payment_issue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub active: bool,
}

/// A ticket as every page and the API show it. Times are UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: i64,
    /// Queue prefix and number, zero-padded to 4 digits: `SUP-0042`, `SUP-12345`.
    pub reference: String,
    /// The queue's slug.
    pub queue: String,
    pub number: i64,
    /// The category's slug.
    pub category: String,
    pub priority: Priority,
    pub status: Status,
    pub subject: String,
    pub description: String,
    /// Technical details: a JSON object (server id, command, error message, ...).
    pub metadata: serde_json::Value,
    pub source: TicketSource,
    pub requester: UserReference,
    pub assignee: Option<UserReference>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Formats a ticket reference: `reference("SUP", 42) == "SUP-0042"`.
pub fn reference(prefix: &str, number: i64) -> String {
    format!("{prefix}-{number:04}")
}

/// One message of a ticket's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub kind: MessageKind,
    /// `None` for system messages.
    pub author: Option<UserReference>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// One line of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub id: i64,
    /// created, status_changed, priority_changed, category_changed, assigned,
    /// unassigned, replied, note_added, escalated, reopened.
    pub action: String,
    /// `None` when the system acted.
    pub actor: Option<UserReference>,
    /// `{"from", "to"}` for changes, `{"reason"}` for escalations, `{"message_id"}` for messages.
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A ticket with its conversation and history, as the caller may see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub messages: Vec<Message>,
    pub events: Vec<TicketEvent>,
}

/// What a new ticket needs (web form and `POST /api/v1/tickets`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    /// Queue slug, e.g. `support`.
    pub queue: String,
    /// Category slug, e.g. `payment_issue`.
    pub category: String,
    /// `low | medium | high | urgent`; empty means `medium`.
    #[serde(default)]
    pub priority: String,
    /// 1–200 characters.
    pub subject: String,
    /// 1–20,000 characters.
    pub description: String,
    /// A JSON object of at most 16 KiB.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// Filters, sort and page of a ticket list, as strings from a URL or query
/// string; the service validates them (unknown values are field errors).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketQuery {
    /// Any of these statuses (empty = all).
    #[serde(default)]
    pub status: Vec<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    /// `me`, `none`, or a user id (agents and admins only).
    #[serde(default)]
    pub assignee: Option<String>,
    /// Words searched in subject and description; the last one as a prefix.
    #[serde(default)]
    pub q: Option<String>,
    /// `newest` (default), `oldest`, `priority`, `updated`; `relevance` (default with `q`).
    #[serde(default)]
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1–100, default 50.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One page of a ticket list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Tickets per status, for the dashboard's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCount {
    pub status: Status,
    pub count: i64,
}

/// Queues and categories to fill the forms and filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketOptions {
    pub queues: Vec<Queue>,
    pub categories: Vec<Category>,
    /// Agents and admins, for the assignee filter and the assign control
    /// (empty for requesters).
    pub agents: Vec<UserReference>,
}

/// Ticket statistics for a period (`GET /api/v1/tickets/stats`). Durations in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketStats {
    /// The period in days (7 or 30...).
    pub period_days: i64,
    pub by_status: std::collections::BTreeMap<String, i64>,
    pub by_priority: std::collections::BTreeMap<String, i64>,
    pub by_queue: std::collections::BTreeMap<String, i64>,
    pub created: i64,
    pub resolved: i64,
    pub first_response_seconds_median: Option<f64>,
    pub first_response_seconds_p90: Option<f64>,
    pub resolution_seconds_median: Option<f64>,
    pub resolution_seconds_p90: Option<f64>,
}

/// An API token as listed (the secret itself is shown only once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A newly created API token with its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: i64,
    pub name: String,
    /// `gt_` followed by 64 hex digits (256 random bits).
    pub token: String,
}

/// What someone is doing on a ticket, announced on the live stream and never
/// stored: `viewing` is a heartbeat sent every [`PRESENCE_HEARTBEAT_MS`] while
/// the ticket page is open, `typing` one sent every [`TYPING_HEARTBEAT_MS`]
/// while a reply or note is being written, `stopped` ends typing, `left` ends
/// viewing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Viewing,
    Typing,
    Stopped,
    Left,
}

wire_enum!(Activity, Viewing => "viewing", Typing => "typing", Stopped => "stopped", Left => "left");

/// How often (ms) an open ticket page repeats `viewing`; a viewer unheard of
/// for three heartbeats is gone.
pub const PRESENCE_HEARTBEAT_MS: u32 = 10_000;
/// How often (ms) a writer repeats `typing`; a writer unheard of for two
/// heartbeats has stopped.
pub const TYPING_HEARTBEAT_MS: u32 = 3_000;

/// One change from a ticket's history, as the live stream delivers it
/// (SSE `event: ticket`, whose `id:` is `position`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveTicketEvent {
    /// The stream position: increases with every event, in commit order,
    /// without gaps in what a client is allowed to see.
    pub position: i64,
    /// The `ticket_events` row (also the [`TicketEvent`] id on the ticket page).
    pub event_id: i64,
    pub ticket_id: i64,
    /// e.g. `SUP-0042`.
    pub reference: String,
    /// created, status_changed, priority_changed, category_changed, assigned,
    /// unassigned, replied, note_added, escalated, reopened.
    pub action: String,
    /// `None` when the system acted.
    pub actor: Option<UserReference>,
    /// As [`TicketEvent::data`]: ids and changed values, never message text.
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// Whether the receiving user is the ticket's requester or assignee.
    pub mine: bool,
}

/// Someone's typing or presence on a ticket (SSE `event: activity`, no `id:`:
/// it is not replayed after a reconnection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveActivity {
    pub ticket_id: i64,
    pub user: UserReference,
    pub activity: Activity,
    /// Typing an internal note (only agents and admins receive those).
    pub internal: bool,
}

/// The first message of every stream (SSE `event: ready`, `id:` = position):
/// where the client stands. After it come the missed events, if the client
/// asked to resume, then live ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveReady {
    /// The last position this stream has delivered or skipped.
    pub position: i64,
    /// The client asked to resume from further back than the server keeps
    /// replaying ([`crate::domain::LIVE_REPLAY_MAX`] events): it must reload its data.
    pub reset: bool,
}

/// Most events replayed to a resuming client; further back, it gets
/// `reset: true` and reloads instead.
pub const LIVE_REPLAY_MAX: i64 = 1_000;

/// What a notification is about (from the seeds' list of emails): each user
/// chooses per kind whether it reaches them by email, in the app, both or
/// neither; Discord webhooks choose the kinds they announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A new ticket: a receipt to its requester; Discord "new ticket".
    TicketCreated,
    /// A ticket was assigned: to the new assignee.
    TicketAssigned,
    /// An agent or admin replied: to the requester.
    AgentReplied,
    /// The requester replied: to the assignee, or every agent while unassigned.
    RequesterReplied,
    /// Resolved: to the requester, inviting them to rate the help.
    TicketResolved,
    /// Closed: to the requester.
    TicketClosed,
    /// Escalated: to the admins.
    TicketEscalated,
}

impl NotificationKind {
    /// Every kind, in a ticket's life order.
    pub const ALL: [NotificationKind; 7] = [
        NotificationKind::TicketCreated,
        NotificationKind::TicketAssigned,
        NotificationKind::AgentReplied,
        NotificationKind::RequesterReplied,
        NotificationKind::TicketResolved,
        NotificationKind::TicketClosed,
        NotificationKind::TicketEscalated,
    ];

    /// The kinds a Discord webhook may announce (from the issue).
    pub const DISCORD: [NotificationKind; 4] = [
        NotificationKind::TicketCreated,
        NotificationKind::RequesterReplied,
        NotificationKind::TicketEscalated,
        NotificationKind::TicketResolved,
    ];

    /// Whether a user of `role` can receive this kind, after whom each goes
    /// to (README, "Notifications"): what happens to one's own tickets
    /// reaches everyone (agents open tickets too); assignments and requester
    /// replies reach agents and admins; escalations reach admins.
    pub fn concerns(self, role: Role) -> bool {
        match self {
            NotificationKind::TicketCreated
            | NotificationKind::AgentReplied
            | NotificationKind::TicketResolved
            | NotificationKind::TicketClosed => true,
            NotificationKind::TicketAssigned | NotificationKind::RequesterReplied => role.is_staff(),
            NotificationKind::TicketEscalated => role == Role::Admin,
        }
    }

    /// The stored and wire name, e.g. `"ticket_created"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "ticket_created",
            NotificationKind::TicketAssigned => "ticket_assigned",
            NotificationKind::AgentReplied => "agent_replied",
            NotificationKind::RequesterReplied => "requester_replied",
            NotificationKind::TicketResolved => "ticket_resolved",
            NotificationKind::TicketClosed => "ticket_closed",
            NotificationKind::TicketEscalated => "ticket_escalated",
        }
    }

    /// A label for settings pages, e.g. "A ticket is assigned to me".
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => "My new ticket is received",
            NotificationKind::TicketAssigned => "A ticket is assigned to me",
            NotificationKind::AgentReplied => "Support replies on my ticket",
            NotificationKind::RequesterReplied => "A requester replies (my tickets, or any unassigned one)",
            NotificationKind::TicketResolved => "My ticket is resolved",
            NotificationKind::TicketClosed => "My ticket is closed",
            NotificationKind::TicketEscalated => "A ticket is escalated (admins)",
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.pad(self.as_str())
    }
}

impl FromStr for NotificationKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        NotificationKind::ALL.into_iter().find(|kind| kind.as_str() == text).ok_or_else(|| {
            let names: Vec<&str> = NotificationKind::ALL.iter().map(|kind| kind.as_str()).collect();
            format!("must be one of {}", names.join(", "))
        })
    }
}

/// One line of a user's in-app inbox (the bell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub ticket_id: i64,
    /// The ticket's reference, e.g. `SUP-0042`, for the link `/tickets/SUP-0042`.
    pub reference: String,
    /// One line, e.g. "alice replied on SUP-0042: VPN down".
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// When it was marked read; `None` = unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// A user's inbox page: newest first, with the unread count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationInbox {
    pub notifications: Vec<Notification>,
    pub unread: i64,
}

/// Whether one kind reaches a user by email and/or in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPreference {
    pub kind: NotificationKind,
    pub email: bool,
    pub in_app: bool,
}

/// Where an outbox row is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "outbox_channel", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum OutboxChannel {
    Email,
    Discord,
}

/// An outbox row's state: `pending` (waiting, or retrying with backoff),
/// `sent`, or `failed` (gave up after about 24 hours or a permanent error;
/// an admin may retry it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "outbox_status", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    Sent,
    Failed,
}

impl FromStr for OutboxStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "pending" => Ok(OutboxStatus::Pending),
            "sent" => Ok(OutboxStatus::Sent),
            "failed" => Ok(OutboxStatus::Failed),
            _ => Err("must be one of pending, sent, failed".into()),
        }
    }
}

/// One outbox row as admins see it (never a webhook URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: i64,
    pub channel: OutboxChannel,
    pub status: OutboxStatus,
    pub kind: NotificationKind,
    /// The ticket's reference, when the ticket still exists.
    pub reference: Option<String>,
    /// The email address, or the webhook's name.
    pub recipient: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A Discord webhook of a queue. `url` is masked (`https://discord.com/api/webhooks/123/…`):
/// its token is a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscordWebhook {
    pub id: i64,
    /// The queue's slug.
    pub queue: String,
    pub name: String,
    pub url: String,
    pub kinds: Vec<NotificationKind>,
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_is_offered_the_notifications_it_can_receive() {
        let offered = |role| NotificationKind::ALL.into_iter().filter(|kind| kind.concerns(role)).count();
        assert_eq!(offered(Role::Requester), 4);
        assert!(!NotificationKind::TicketAssigned.concerns(Role::Requester));
        assert!(!NotificationKind::TicketEscalated.concerns(Role::Agent));
        assert_eq!(offered(Role::Agent), 6);
        assert_eq!(offered(Role::Admin), 7);
    }
}
