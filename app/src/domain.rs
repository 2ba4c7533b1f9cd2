//! Domain types shared by the server and the browser (see docs/DESIGN.md vocabulary).

use crate::error::AppError;
use crate::t;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub mod errors;
pub mod escalation;
pub mod service_levels;

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

    /// The role's name for people, in the viewer's language.
    pub fn label(self) -> &'static str {
        match self {
            Role::Requester => t!(role.requester),
            Role::Agent => t!(role.agent),
            Role::Admin => t!(role.admin),
        }
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
            .ok_or_else(|| t!(errors.one_of, values = "requester, agent, admin"))
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
    /// The language the user reads Guichet and its emails in, `fr` or `en`;
    /// `None` (or a language Guichet no longer speaks): the desk's default.
    #[serde(default)]
    pub language: Option<String>,
    /// The IANA time zone the user reads dates in, e.g. `Europe/Paris`;
    /// `None`: the desk's (`GUICHET_TIME_ZONE`).
    #[serde(default)]
    pub time_zone: Option<String>,
}

impl User {
    /// The user's own language, if they chose one Guichet speaks.
    pub fn language(&self) -> Option<crate::i18n::Language> {
        self.language.as_deref().and_then(crate::i18n::parse_language)
    }
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
    /// The ids of the listed users who have two-factor authentication on.
    #[serde(default)]
    pub two_factor_user_ids: Vec<i64>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next_after: Option<String>,
}

/// A secret text (a password, a two-factor code, an API token, a webhook
/// URL, a key): the same JSON and form value as a plain string (serde
/// `transparent`), but its `Debug` prints `<redacted>`, so a struct holding
/// one may derive `Debug` (as the input structs `#[server]` generates always
/// do) without printing it. Read it with [`Secret::expose`], only where it
/// is used, never into a log.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("<redacted>")
    }
}

/// Reads as its text where a `&str` is wanted (`Option::as_deref`, `&secret`);
/// only `Debug` hides it.
impl std::ops::Deref for Secret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Secret(text)
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Secret(text.into())
    }
}

/// What a new account needs (web form and `POST /api/v1/auth/register`).
/// Its `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl fmt::Debug for Registration {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Registration")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .field("discord_username", &self.discord_username)
            .field("discord_id", &self.discord_id)
            .finish()
    }
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
                    t!(errors.one_of, values = $type::ALL.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", "))
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

    /// Words for people, in the viewer's language, e.g. "in progress".
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => t!(status.open),
            Status::InProgress => t!(status.in_progress),
            Status::Pending => t!(status.pending),
            Status::Resolved => t!(status.resolved),
            Status::Closed => t!(status.closed),
            Status::Escalated => t!(status.escalated),
        }
    }

    /// `count` tickets of this status, with the language's plural rules:
    /// "1 ticket ouvert", "3 tickets ouverts".
    pub fn count_label(self, count: i64) -> String {
        let count = i32::try_from(count).unwrap_or(i32::MAX);
        match self {
            Status::Open => t!(status_count.open, count = count),
            Status::InProgress => t!(status_count.in_progress, count = count),
            Status::Pending => t!(status_count.pending, count = count),
            Status::Resolved => t!(status_count.resolved, count = count),
            Status::Closed => t!(status_count.closed, count = count),
            Status::Escalated => t!(status_count.escalated, count = count),
        }
    }
}

impl Priority {
    /// Words for people, in the viewer's language, e.g. "urgent".
    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => t!(priority.low),
            Priority::Medium => t!(priority.medium),
            Priority::High => t!(priority.high),
            Priority::Urgent => t!(priority.urgent),
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
    /// Slugs of the categories offered here, in the catalogue's order
    /// (requesters see only the active ones): a ticket of this queue is
    /// filed under one of them.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Slug of the category the new-ticket form preselects here, one of
    /// `categories`; `None` = none (the requester chooses).
    #[serde(default)]
    pub default_category: Option<String>,
}

impl Queue {
    /// Whether this queue offers the category `slug`.
    pub fn offers(&self, slug: &str) -> bool {
        self.categories.iter().any(|offered| offered == slug)
    }
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

/// One line of a ticket's history. In JSON, `change` is flattened: the
/// event has `action` and `data` beside `id`, `actor` and `created_at`
/// (see [`TicketChange`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub id: i64,
    /// What changed: its `action` and `data`.
    #[serde(flatten)]
    pub change: TicketChange,
    /// `None` when the system acted.
    pub actor: Option<UserReference>,
    pub created_at: DateTime<Utc>,
}

/// What happened to a ticket: one variant per `ticket_events.action`, its
/// fields being the row's `data`. Serialised adjacently tagged, as the rows
/// store it and the API shows it: `{"action": "status_changed", "data":
/// {"from": "open", "to": "pending"}}`. Never carries message text (only
/// message ids): the text stays in `messages`, where its kind guards it.
/// (A rating's comment is the one exception: the requester wrote it for
/// whoever sees the ticket, and the history keeps what each rating said.)
///
/// Adding a variant means deciding, where the compiler asks, its audience,
/// its notifications, its timeline line and its toast; the migration's
/// `ticket_events_action_check` must list its action too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "data", rename_all = "snake_case")]
pub enum TicketChange {
    /// The ticket was opened, with its first status and priority.
    Created { status: Status, priority: Priority },
    /// The status moved; `reason` says why when the system moved it (e.g.
    /// "requester replied"), and is absent from the JSON otherwise.
    StatusChanged {
        from: Status,
        to: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The priority changed.
    PriorityChanged { from: Priority, to: Priority },
    /// The category changed: category slugs.
    CategoryChanged { from: String, to: String },
    /// The ticket was given to an agent or admin (`from`: the previous assignee, if any).
    Assigned { from: Option<UserReference>, to: UserReference },
    /// The ticket was taken from its assignee.
    Unassigned { from: UserReference },
    /// A public reply was added (`messages.id`).
    Replied { message_id: i64 },
    /// An internal note was added (`messages.id`): staff only.
    NoteAdded { message_id: i64 },
    /// The ticket was escalated from status `from`, with the required
    /// reason. `from` is absent from rows that did not record it (written
    /// outside the service layer); the services always set it.
    Escalated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Status>,
        /// Staff only: empty (and absent from the JSON) in the change as a
        /// requester sees it ([`TicketChange::as_seen_by`]).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
        /// The automatic rule that escalated it (issue 15: the actor is then
        /// the system); `None`, and absent from the JSON, for a person's
        /// escalation and for rows written before automatic escalation.
        /// Staff only, like the reason.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<escalation::EscalationRule>,
    },
    /// A resolved or closed ticket was opened again; `reason` as for `StatusChanged`.
    Reopened {
        from: Status,
        to: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The jobs worker's SLA rule (issue 15; the actor is the system): the
    /// ticket's `target` clock of `policy` (its name) has used the warning
    /// share of its business time (`GUICHET_SLA_WARNING_PERCENT`, 80 % by
    /// default) and is due at `due_at` (UTC). Staff only; once per target
    /// per ticket.
    SlaWarning { target: service_levels::SlaTarget, policy: String, due_at: DateTime<Utc> },
    /// The jobs worker's SLA rule: the `target` clock of `policy` passed
    /// its due time `due_at` (UTC) with its goal not met. Staff only; once
    /// per target per ticket.
    SlaBreached { target: service_levels::SlaTarget, policy: String, due_at: DateTime<Utc> },
    /// The requester rated the resolution (issue 15, CSAT): `score` 1–5 and
    /// their optional comment (absent from the JSON when none);
    /// `replaced` when it changes their earlier rating of the same
    /// resolution (absent when false). Seen by everyone who sees the ticket.
    Rated {
        score: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        replaced: bool,
    },
    /// The error group that opened this ticket (issue 16) occurred
    /// `occurrences` more times since the ticket's last such message: the
    /// system message `message_id` says so ("seen 40 more times"), at most
    /// one an hour. The actor is the system; seen by everyone who sees the
    /// ticket (the requester is the client whose application it is).
    ErrorRecurred { message_id: i64, occurrences: i64 },
}

/// Who may see a ticket event, besides the right to see the ticket itself:
/// `everyone` who may see the ticket (its requester, agents, admins), or
/// `staff` only (agents and admins). Stored in `ticket_events.audience`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "event_audience", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Everyone,
    Staff,
}

impl Audience {
    /// Whether a user of `role` who may see the ticket may see an event of
    /// this audience: requesters never see staff-only events (internal notes).
    pub fn admits(self, role: Role) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Staff => role.is_staff(),
        }
    }
}

impl TicketChange {
    /// Who may see this change (from the seeds: requesters never see
    /// internal notes).
    pub fn audience(&self) -> Audience {
        match self {
            TicketChange::NoteAdded { .. } | TicketChange::SlaWarning { .. } | TicketChange::SlaBreached { .. } => {
                Audience::Staff
            }
            TicketChange::Created { .. }
            | TicketChange::StatusChanged { .. }
            | TicketChange::PriorityChanged { .. }
            | TicketChange::CategoryChanged { .. }
            | TicketChange::Assigned { .. }
            | TicketChange::Unassigned { .. }
            | TicketChange::Replied { .. }
            | TicketChange::Escalated { .. }
            | TicketChange::Reopened { .. }
            | TicketChange::Rated { .. }
            | TicketChange::ErrorRecurred { .. } => Audience::Everyone,
        }
    }

    /// This change as someone of `role` is shown it, once its
    /// [`TicketChange::audience`] admits them: requesters learn that their
    /// ticket was escalated, never the reason staff gave (issue 14: it is
    /// staff-only, like internal notes; the stored row keeps it). The one
    /// place that decides what of a change reaches requesters: the ticket's
    /// history (page and API) and the live stream both go through it.
    pub fn as_seen_by(self, role: Role) -> TicketChange {
        if role.is_staff() {
            return self;
        }
        match self {
            TicketChange::Escalated { from, .. } => TicketChange::Escalated { from, reason: String::new(), rule: None },
            // Nothing else carries words staff typed: status reasons are the
            // system's ("requester replied"), message text stays in `messages`.
            change @ (TicketChange::Created { .. }
            | TicketChange::StatusChanged { .. }
            | TicketChange::PriorityChanged { .. }
            | TicketChange::CategoryChanged { .. }
            | TicketChange::Assigned { .. }
            | TicketChange::Unassigned { .. }
            | TicketChange::Replied { .. }
            | TicketChange::NoteAdded { .. }
            | TicketChange::Reopened { .. }
            | TicketChange::SlaWarning { .. }
            | TicketChange::SlaBreached { .. }
            // The requester's own words, about their own ticket.
            | TicketChange::Rated { .. }
            // The system's count of their own application's errors.
            | TicketChange::ErrorRecurred { .. }) => change,
        }
    }

    /// The ticket's status once this change is made, when the change sets
    /// it: what an SLA clock reads of a ticket's history (issue 15).
    pub fn status_after(&self) -> Option<Status> {
        match self {
            TicketChange::Created { status, .. } => Some(*status),
            TicketChange::StatusChanged { to, .. } | TicketChange::Reopened { to, .. } => Some(*to),
            TicketChange::Escalated { .. } => Some(Status::Escalated),
            TicketChange::PriorityChanged { .. }
            | TicketChange::CategoryChanged { .. }
            | TicketChange::Assigned { .. }
            | TicketChange::Unassigned { .. }
            | TicketChange::Replied { .. }
            | TicketChange::NoteAdded { .. }
            | TicketChange::SlaWarning { .. }
            | TicketChange::SlaBreached { .. }
            | TicketChange::Rated { .. }
            | TicketChange::ErrorRecurred { .. } => None,
        }
    }

    /// Whether this change may move the ticket's SLA due times or goals: a
    /// status (pause, stop, reopen), the priority (another policy may
    /// apply), or a reply (the first response). The jobs worker then looks
    /// at the ticket again at its next pass (`ticket_sla_checks`).
    pub fn moves_service_levels(&self) -> bool {
        match self {
            TicketChange::PriorityChanged { .. } | TicketChange::Replied { .. } => true,
            TicketChange::CategoryChanged { .. }
            | TicketChange::Assigned { .. }
            | TicketChange::Unassigned { .. }
            | TicketChange::NoteAdded { .. }
            | TicketChange::SlaWarning { .. }
            | TicketChange::SlaBreached { .. }
            | TicketChange::Rated { .. }
            | TicketChange::ErrorRecurred { .. } => false,
            TicketChange::Created { .. }
            | TicketChange::StatusChanged { .. }
            | TicketChange::Reopened { .. }
            | TicketChange::Escalated { .. } => true,
        }
    }

    /// The stored and wire name of the action, e.g. `"status_changed"`.
    pub fn action(&self) -> &'static str {
        match self {
            TicketChange::Created { .. } => "created",
            TicketChange::StatusChanged { .. } => "status_changed",
            TicketChange::PriorityChanged { .. } => "priority_changed",
            TicketChange::CategoryChanged { .. } => "category_changed",
            TicketChange::Assigned { .. } => "assigned",
            TicketChange::Unassigned { .. } => "unassigned",
            TicketChange::Replied { .. } => "replied",
            TicketChange::NoteAdded { .. } => "note_added",
            TicketChange::Escalated { .. } => "escalated",
            TicketChange::Reopened { .. } => "reopened",
            TicketChange::SlaWarning { .. } => "sla_warning",
            TicketChange::SlaBreached { .. } => "sla_breached",
            TicketChange::Rated { .. } => "rated",
            TicketChange::ErrorRecurred { .. } => "error_recurred",
        }
    }

    /// Reads a stored row's `action` and `data` columns.
    ///
    /// Errors: an unknown action, or data without the action's fields.
    pub fn from_stored(action: &str, data: serde_json::Value) -> Result<TicketChange, serde_json::Error> {
        serde_json::from_value(serde_json::json!({"action": action, "data": data}))
    }

    /// The `data` column of this change: its fields as a JSON object.
    pub fn data(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut object)) => object.remove("data").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }
}

/// A ticket with its conversation and history, as the caller may see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub messages: Vec<Message>,
    pub events: Vec<TicketEvent>,
    /// The requester's Discord name and id, for agents and admins (absent
    /// for requesters, and when the account gave none): where to find them
    /// on a Discord community's server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_discord: Option<DiscordIdentity>,
    /// The ticket's service level, for agents and admins when an SLA policy
    /// applies to it (issue 15); absent for requesters and when none applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<service_levels::TicketSla>,
    /// The requester's satisfaction rating of the latest resolution
    /// (issue 15, CSAT), `null` when that resolution is not rated (or the
    /// ticket was never resolved); earlier resolutions' ratings stay in the
    /// history (`rated` events).
    #[serde(default)]
    pub rating: Option<TicketRating>,
    /// Whether the caller may rate the ticket now (only its requester:
    /// resolved, or closed straight after its resolution, and not rated
    /// yet), or change their rating (within
    /// [`RATING_CHANGE_DAYS`] days of giving it).
    #[serde(default)]
    pub can_rate: bool,
}

/// A satisfaction rating of one resolution of a ticket, by its requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    /// The requester's words, if any (at most [`RATING_COMMENT_MAX`] characters).
    pub comment: Option<String>,
    /// When it was first given (UTC); it may be changed for
    /// [`RATING_CHANGE_DAYS`] days from then.
    pub rated_at: DateTime<Utc>,
    /// When it was last changed (UTC; `rated_at` when never changed).
    pub updated_at: DateTime<Utc>,
}

/// The scores a rating may have: 1 to 5.
pub const RATING_SCORES: std::ops::RangeInclusive<u8> = 1..=5;
/// Longest rating comment, in characters.
pub const RATING_COMMENT_MAX: usize = 2_000;
/// Days after a rating is given during which its requester may change it
/// (the new score and comment replace it).
pub const RATING_CHANGE_DAYS: i64 = 7;
/// Days a rating link of a "resolved" email works, from the resolution.
pub const RATING_LINK_DAYS: i64 = 30;

/// A score with its words, in the viewer's language: "4 – Satisfied".
pub fn score_label(score: u8) -> String {
    let words = match score {
        1 => t!(rate_page.score_1),
        2 => t!(rate_page.score_2),
        3 => t!(rate_page.score_3),
        4 => t!(rate_page.score_4),
        _ => t!(rate_page.score_5),
    };
    format!("{score} – {words}")
}

/// A satisfaction rating as sent (`POST /api/v1/tickets/{id}/rating`
/// `{score, comment?}`, the ticket page's form, a rating link's page):
/// text as given, judged by `services::ratings` (a score that is not a
/// whole number from 1 to 5, or a bad comment, is a field error).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRating {
    /// `"1"` to `"5"`.
    pub score: String,
    /// Optional: blank means none.
    #[serde(default)]
    pub comment: Option<String>,
}

/// A Discord account as a user gave it at registration: the name shown on
/// Discord and the numeric user id (a snowflake, as text), either optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscordIdentity {
    pub username: Option<String>,
    pub id: Option<String>,
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
    /// A JSON object of at most 16 KiB whose strings (keys included) hold
    /// no control characters but tab and newline; a bad value is a field
    /// error named by its top-level key (e.g. `server_id`).
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// Sets a ticket's status (`PUT /api/v1/tickets/{id}/status`, server
/// function `change_status`); see `services::tickets::change_status` for who
/// may make which transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: Status,
}

/// A reply or an internal note on a ticket (`POST /api/v1/tickets/{id}/messages`,
/// server function `add_message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    /// 1–20,000 characters once trimmed (the service checks).
    pub body: String,
    /// `reply` or `internal_note` (agents and admins); `system` is refused.
    pub kind: MessageKind,
    /// The key of the submission that sent it (the reply form's hidden
    /// `submission` field, the API's `Idempotency-Key` header): the same
    /// author sending the same key again gets the message already created,
    /// not a second one (issue 14: double clicks, retries after a timeout).
    /// 16–64 of `A–Z a–z 0–9 - _` ([`SUBMISSION_KEY_LENGTH`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<String>,
}

/// The length of a submission key ([`NewMessage::submission`]), in characters:
/// long enough for a UUID (36) or 128 random bits in hex (32).
pub const SUBMISSION_KEY_LENGTH: std::ops::RangeInclusive<usize> = 16..=64;

/// A fresh submission key for a form ([`NewMessage::submission`]): 128
/// random bits in hex (32 characters), from the browser's
/// `crypto.getRandomValues` or the server's random generator; empty (no
/// key, so no deduplication) when the browser gives no randomness, never a
/// key two forms could share.
pub fn new_submission_key() -> String {
    let mut bytes = [0u8; 16];
    #[cfg(feature = "hydrate")]
    let random = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    let random = {
        use rand::RngCore;
        rand::thread_rng().fill_bytes(&mut bytes);
        true
    };
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let random = false;
    if !random {
        return String::new();
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Changes priority and/or category (`PATCH /api/v1/tickets/{id}`, server
/// function `update_ticket`); `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEdit {
    pub priority: Option<Priority>,
    /// A category slug; the service checks that it is an active category.
    pub category: Option<String>,
}

/// Gives a ticket to an agent or admin, or takes it back (`None`)
/// (`POST /api/v1/tickets/{id}/assign` and server function `assign_ticket`,
/// both with the field `agent_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub assignee_id: Option<i64>,
}

/// Escalates a ticket (`POST /api/v1/tickets/{id}/escalate`, server function
/// `escalate_ticket`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Required, at most 1,000 characters once trimmed (the service checks).
    pub reason: String,
}

/// The one parser from the strings of forms and JSON bodies to the ticket
/// commands, shared by the server functions and the REST API. Errors are
/// 422s naming the form's field (`status`, `kind`, `priority`, `agent_id`).
impl StatusChange {
    /// `status`: one of the [`Status`] names.
    ///
    /// Errors: 422 on `status`, e.g. "must be one of open, in_progress, ...".
    pub fn parse(status: &str) -> Result<StatusChange, AppError> {
        let status = status.parse().map_err(|reason| AppError::field("status", reason))?;
        Ok(StatusChange { status })
    }
}

impl NewMessage {
    /// `body` as written; `kind` empty or absent means `reply`.
    ///
    /// Errors: 422 on `kind` for an unknown kind.
    pub fn parse(body: String, kind: Option<&str>) -> Result<NewMessage, AppError> {
        let kind = match kind {
            None | Some("") => MessageKind::Reply,
            Some(text) => text.parse().map_err(|reason| AppError::field("kind", reason))?,
        };
        Ok(NewMessage { body, kind, submission: None })
    }

    /// The same message sent as submission `key` (empty or absent: none).
    ///
    /// Errors: 422 on `submission` for a key of the wrong length or with
    /// other characters than `A–Z a–z 0–9 - _`.
    pub fn with_submission(self, key: Option<&str>) -> Result<NewMessage, AppError> {
        let key = key.map(str::trim).filter(|key| !key.is_empty());
        if let Some(key) = key
            && (!SUBMISSION_KEY_LENGTH.contains(&key.len())
                || !key.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'))
        {
            return Err(AppError::field("submission", t!(field.submission_key)));
        }
        Ok(NewMessage { submission: key.map(str::to_string), ..self })
    }
}

impl TicketEdit {
    /// Empty or absent fields are left unchanged.
    ///
    /// Errors: 422 on `priority` for an unknown priority.
    pub fn parse(priority: Option<&str>, category: Option<&str>) -> Result<TicketEdit, AppError> {
        let priority = match priority.filter(|text| !text.is_empty()) {
            Some(text) => Some(text.parse().map_err(|reason| AppError::field("priority", reason))?),
            None => None,
        };
        Ok(TicketEdit { priority, category: category.filter(|text| !text.is_empty()).map(str::to_string) })
    }
}

impl Assignment {
    /// A form's `agent_id`: a user id, or empty to unassign.
    ///
    /// Errors: 422 on `agent_id` when it is not a whole number.
    pub fn parse(agent_id: &str) -> Result<Assignment, AppError> {
        let assignee_id = match agent_id.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| AppError::field("agent_id", t!(field.user_id)))?),
        };
        Ok(Assignment { assignee_id })
    }
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

/// A queue where the caller may open no ticket now: they already have
/// `limit` open (not resolved or closed) tickets there, its
/// `open_ticket_limit` (from the seeds: one recruitment ticket at a time).
/// The new-ticket form announces it as soon as the queue is chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitReached {
    /// The queue's slug.
    pub queue: String,
    pub queue_name: String,
    pub limit: i32,
    /// The open tickets' references, oldest first (`REC-0003`).
    pub references: Vec<String>,
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

/// Ticket statistics for a period (`GET /api/v1/tickets/stats`), computed
/// by `services::statistics::stats`. The period is the last `period_days`
/// × 24 hours up to now. Durations in seconds, percentages from 0 to 100
/// (`None`, JSON `null`, when nothing was there to measure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketStats {
    /// The period in days (7 or 30...).
    pub period_days: i64,
    /// Tickets created in the period, by their status now.
    pub by_status: std::collections::BTreeMap<String, i64>,
    /// Tickets created in the period, by priority.
    pub by_priority: std::collections::BTreeMap<String, i64>,
    /// Tickets created in the period, by queue slug.
    pub by_queue: std::collections::BTreeMap<String, i64>,
    /// Tickets created in the period.
    pub created: i64,
    /// Tickets resolved in the period (whenever they were created).
    pub resolved: i64,
    /// First response time of the tickets created in the period that have one.
    pub first_response_seconds_median: Option<f64>,
    pub first_response_seconds_p90: Option<f64>,
    /// Resolution time (creation to resolution) of the tickets resolved in the period.
    pub resolution_seconds_median: Option<f64>,
    pub resolution_seconds_p90: Option<f64>,
    /// Tickets not resolved or closed right now (open, in progress,
    /// pending, escalated), whenever they were created.
    pub open_now: i64,
    /// The share of the tickets created in the period that are resolved or
    /// closed now; `None` when none was created.
    pub resolution_rate_pct: Option<f64>,
    /// Satisfaction ratings given in the period.
    pub csat: CsatStats,
    /// Service levels (issue 15, item 2).
    pub sla: SlaStats,
    /// Escalations in the period.
    pub escalations: EscalationStats,
    /// One entry per day of the desk's time zone (`GUICHET_TIME_ZONE`) the
    /// period touches, oldest first, days without tickets included: the
    /// first and last days are partial (the period is a rolling window).
    pub daily: Vec<DailyStats>,
}

/// Satisfaction ratings (CSAT, 1 to 5) given in a period: every rating
/// counts once, with its current score (a rating changed within its 7
/// days counts with the new score, on the day it was first given).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CsatStats {
    /// The mean score, 1 to 5; `None` without ratings.
    pub average: Option<f64>,
    pub count: i64,
    /// Ratings by score, keys `"1"` to `"5"`, every key present.
    pub distribution: std::collections::BTreeMap<String, i64>,
}

/// Service levels of a period, from the breaches the SLA worker records
/// (`ticket_sla_notices`, one per ticket and target, ever). A ticket counts
/// when an SLA policy applies to its queue and priority now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SlaStats {
    /// Of the tickets created in the period under a policy that have had
    /// their first response or breached its target, the share answered
    /// without a first-response breach.
    pub first_response_met_pct: Option<f64>,
    /// Of the tickets resolved in the period under a policy, the share
    /// without a resolution breach.
    pub resolution_met_pct: Option<f64>,
    /// Breaches (first response and resolution) recorded in the period.
    pub breached: i64,
}

/// Escalations recorded in the period (`escalated` events): `manual` by a
/// person, `automatic` by a rule of the jobs worker (the event names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EscalationStats {
    pub manual: i64,
    pub automatic: i64,
}

/// One day of the statistics' period, in the desk's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyStats {
    /// The local date, `2026-12-04`.
    pub date: chrono::NaiveDate,
    /// Tickets created that day (within the period).
    pub created: i64,
    /// Tickets resolved that day (within the period).
    pub resolved: i64,
    /// Median first response time of that day's new tickets that have
    /// one, in seconds; `None` when none has.
    pub first_response_median_s: Option<f64>,
}

/// What the `/admin/stats` dashboard shows (`services::dashboard`): the
/// statistics, how long the period's new tickets waited for their first
/// response, and the charts, drawn as SVG on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatsDashboard {
    pub stats: TicketStats,
    /// The period's new tickets by first response time, fastest first, the
    /// unanswered last.
    pub first_response_buckets: Vec<FirstResponseBucket>,
    pub charts: StatsCharts,
}

/// The tickets whose first response came within a range of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstResponseBucket {
    /// The range in words, in the caller's language (`under 15 min`).
    pub label: String,
    pub count: i64,
}

/// The dashboard's charts, each a whole `<svg>` element drawn by plotters
/// (text in the caller's language); each comes with a table of its numbers
/// on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsCharts {
    /// Created and resolved tickets per day (two lines, two marker shapes).
    pub daily: String,
    /// Ratings per score, 1 to 5.
    pub csat: String,
    /// [`StatsDashboard::first_response_buckets`].
    pub first_response: String,
    /// The period's new tickets per queue.
    pub by_queue: String,
    /// The period's new tickets per priority.
    pub by_priority: String,
}

/// What an API token may do, at most what its owner's role allows: `read`
/// (GET requests only), `write` (also changes, but no admin actions),
/// `admin` (everything the owner may do). No token may create tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    Read,
    #[default]
    Write,
    Admin,
}

impl TokenScope {
    /// Every scope, narrowest first.
    pub const ALL: [TokenScope; 3] = [TokenScope::Read, TokenScope::Write, TokenScope::Admin];

    /// The stored and wire name, e.g. `"read"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
            TokenScope::Admin => "admin",
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.pad(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TokenScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == text)
            .ok_or_else(|| t!(errors.one_of, values = "read, write, admin"))
    }
}

/// An API token as listed (the secret itself is shown only once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// After this instant (UTC) the token is refused; `None` = never expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A newly created API token with its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    /// After this instant (UTC) the token is refused; `None` = never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// `gt_` followed by 64 hex digits (256 random bits); its `Debug` is `<redacted>`.
    pub token: Secret,
}

/// Whose accounts must have two-factor authentication before they may do
/// anything but enrol or log out (`GUICHET_REQUIRE_2FA_FOR`): `admin`, or
/// `staff` (agents and admins). Unset: nobody's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorRequirement {
    Admin,
    Staff,
}

wire_enum!(TwoFactorRequirement, Admin => "admin", Staff => "staff");

impl TwoFactorRequirement {
    /// Whether an account with `role` must have two-factor authentication.
    pub fn applies_to(self, role: Role) -> bool {
        match self {
            TwoFactorRequirement::Admin => role == Role::Admin,
            TwoFactorRequirement::Staff => role.is_staff(),
        }
    }
}

/// The answer to a correct password: logged in, or a second step to take
/// first (the account has two-factor authentication; see
/// `services::two_factor::log_in_second_factor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LogInOutcome {
    /// The session is logged in as `user`; `must_enrol`: their role requires
    /// two-factor authentication, which they must turn on before anything else.
    LoggedIn { user: User, must_enrol: bool },
    /// The password was right; the session waits for a code (or a recovery
    /// code) for at most 5 minutes.
    SecondFactorRequired,
}

/// An account's two-factor authentication as its Settings page shows it.
/// Its `Debug` hides the secret and the recovery codes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    /// When it was turned on (UTC); `None`: off.
    pub enabled_at: Option<DateTime<Utc>>,
    /// Unused recovery codes left (of 10).
    pub recovery_codes_left: i64,
    /// An enrolment waiting for its first code, while off.
    pub enrolment: Option<TwoFactorEnrolment>,
    /// Recovery codes generated by the last change, shown this once.
    pub new_recovery_codes: Option<Vec<String>>,
    /// Whether the account's role must have it (`GUICHET_REQUIRE_2FA_FOR`).
    pub required: bool,
    /// Whether the server can keep secrets (`GUICHET_SECRET_KEY` is set);
    /// without it, nobody can turn two-factor authentication on.
    pub available: bool,
}

impl fmt::Debug for TwoFactorStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TwoFactorStatus")
            .field("enabled_at", &self.enabled_at)
            .field("recovery_codes_left", &self.recovery_codes_left)
            .field("enrolment", &self.enrolment)
            .field("new_recovery_codes", &self.new_recovery_codes.as_ref().map(|_| "[redacted]"))
            .field("required", &self.required)
            .field("available", &self.available)
            .finish()
    }
}

/// What an authenticator app needs to add the account: the TOTP secret
/// (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) as base32 text for
/// typing, the `otpauth://totp/...` URL, and that URL as a QR code (an SVG
/// document rendered on the server). Its `Debug` hides all three.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorEnrolment {
    /// Base32 (RFC 4648), in groups of four letters.
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

impl fmt::Debug for TwoFactorEnrolment {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("TwoFactorEnrolment([redacted])")
    }
}

/// What happened to an account's security, one line of its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountAction {
    TwoFactorEnabled,
    TwoFactorDisabled,
    /// An admin turned it off for the account.
    TwoFactorReset,
    RecoveryCodesRegenerated,
    RecoveryCodeUsed,
    /// A wrong code at the second step of a log-in.
    SecondFactorFailed,
}

wire_enum!(
    AccountAction,
    TwoFactorEnabled => "two_factor_enabled",
    TwoFactorDisabled => "two_factor_disabled",
    TwoFactorReset => "two_factor_reset",
    RecoveryCodesRegenerated => "recovery_codes_regenerated",
    RecoveryCodeUsed => "recovery_code_used",
    SecondFactorFailed => "second_factor_failed",
);

impl AccountAction {
    /// Words for people in the viewer's language, e.g. "Two-factor
    /// authentication turned on".
    pub fn label(self) -> &'static str {
        match self {
            AccountAction::TwoFactorEnabled => t!(account_action.two_factor_enabled),
            AccountAction::TwoFactorDisabled => t!(account_action.two_factor_disabled),
            AccountAction::TwoFactorReset => t!(account_action.two_factor_reset),
            AccountAction::RecoveryCodesRegenerated => t!(account_action.recovery_codes_regenerated),
            AccountAction::RecoveryCodeUsed => t!(account_action.recovery_code_used),
            AccountAction::SecondFactorFailed => t!(account_action.second_factor_failed),
        }
    }
}

/// One event of an account's history (UTC): what, who did it when not the
/// owner (an admin), and from which client address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    pub id: i64,
    pub action: AccountAction,
    pub actor: Option<UserReference>,
    pub address: Option<String>,
    pub created_at: DateTime<Utc>,
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
    /// What changed, as in [`TicketEvent::change`]: `action` and `data` in
    /// the JSON (ids and changed values, never message text).
    #[serde(flatten)]
    pub change: TicketChange,
    /// `None` when the system acted.
    pub actor: Option<UserReference>,
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
    /// An SLA clock is near its due time (issue 15): to the assignee, else every agent.
    SlaWarning,
    /// An SLA clock passed its due time: to the assignee, else every agent, and the admins.
    SlaBreached,
    /// An application's error reached its project's threshold and opened a
    /// ticket (issue 16): the "error detected" email to its requester (the
    /// client), a notice to the admins; Discord "error detected".
    ErrorDetected,
}

impl NotificationKind {
    /// Every kind, in a ticket's life order.
    pub const ALL: [NotificationKind; 10] = [
        NotificationKind::TicketCreated,
        NotificationKind::TicketAssigned,
        NotificationKind::AgentReplied,
        NotificationKind::RequesterReplied,
        NotificationKind::TicketResolved,
        NotificationKind::TicketClosed,
        NotificationKind::TicketEscalated,
        NotificationKind::SlaWarning,
        NotificationKind::SlaBreached,
        NotificationKind::ErrorDetected,
    ];

    /// The kinds a Discord webhook may announce (from the issues).
    pub const DISCORD: [NotificationKind; 5] = [
        NotificationKind::TicketCreated,
        NotificationKind::RequesterReplied,
        NotificationKind::TicketEscalated,
        NotificationKind::TicketResolved,
        NotificationKind::ErrorDetected,
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
            | NotificationKind::TicketClosed
            | NotificationKind::ErrorDetected => true,
            NotificationKind::TicketAssigned
            | NotificationKind::RequesterReplied
            | NotificationKind::SlaWarning
            | NotificationKind::SlaBreached => role.is_staff(),
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
            NotificationKind::SlaWarning => "sla_warning",
            NotificationKind::SlaBreached => "sla_breached",
            NotificationKind::ErrorDetected => "error_detected",
        }
    }

    /// A label for settings pages, e.g. "A ticket is assigned to me".
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => t!(notification_kind.ticket_created_label),
            NotificationKind::TicketAssigned => t!(notification_kind.ticket_assigned_label),
            NotificationKind::AgentReplied => t!(notification_kind.agent_replied_label),
            NotificationKind::RequesterReplied => t!(notification_kind.requester_replied_label),
            NotificationKind::TicketResolved => t!(notification_kind.ticket_resolved_label),
            NotificationKind::TicketClosed => t!(notification_kind.ticket_closed_label),
            NotificationKind::TicketEscalated => t!(notification_kind.ticket_escalated_label),
            NotificationKind::SlaWarning => t!(notification_kind.sla_warning_label),
            NotificationKind::SlaBreached => t!(notification_kind.sla_breached_label),
            NotificationKind::ErrorDetected => t!(notification_kind.error_detected_label),
        }
    }

    /// A short name for tables and checkboxes, e.g. "Assigned to me".
    pub fn name(self) -> &'static str {
        match self {
            NotificationKind::TicketCreated => t!(notification_kind.ticket_created),
            NotificationKind::TicketAssigned => t!(notification_kind.ticket_assigned),
            NotificationKind::AgentReplied => t!(notification_kind.agent_replied),
            NotificationKind::RequesterReplied => t!(notification_kind.requester_replied),
            NotificationKind::TicketResolved => t!(notification_kind.ticket_resolved),
            NotificationKind::TicketClosed => t!(notification_kind.ticket_closed),
            NotificationKind::TicketEscalated => t!(notification_kind.ticket_escalated),
            NotificationKind::SlaWarning => t!(notification_kind.sla_warning),
            NotificationKind::SlaBreached => t!(notification_kind.sla_breached),
            NotificationKind::ErrorDetected => t!(notification_kind.error_detected),
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
            t!(errors.one_of, values = names.join(", "))
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
            _ => Err(t!(errors.one_of, values = "pending, sent, failed")),
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
        assert_eq!(offered(Role::Requester), 5);
        assert!(!NotificationKind::TicketAssigned.concerns(Role::Requester));
        assert!(!NotificationKind::TicketEscalated.concerns(Role::Agent));
        assert!(!NotificationKind::SlaWarning.concerns(Role::Requester));
        assert!(!NotificationKind::SlaBreached.concerns(Role::Requester));
        assert_eq!(offered(Role::Agent), 9);
        assert_eq!(offered(Role::Admin), 10);
    }

    fn alice() -> UserReference {
        UserReference { id: 3, username: "alice".into() }
    }

    /// Every action as today's code writes it (services/tickets.rs before
    /// TicketChange) and the existing rows store it, with the change it reads as.
    fn stored_rows() -> Vec<(serde_json::Value, TicketChange)> {
        use serde_json::json;
        vec![
            (
                json!({"action": "created", "data": {"status": "open", "priority": "medium"}}),
                TicketChange::Created { status: Status::Open, priority: Priority::Medium },
            ),
            (
                json!({"action": "status_changed", "data": {"from": "open", "to": "in_progress"}}),
                TicketChange::StatusChanged { from: Status::Open, to: Status::InProgress, reason: None },
            ),
            (
                json!({"action": "status_changed", "data": {"from": "pending", "to": "open", "reason": "requester replied"}}),
                TicketChange::StatusChanged {
                    from: Status::Pending,
                    to: Status::Open,
                    reason: Some("requester replied".into()),
                },
            ),
            (
                json!({"action": "reopened", "data": {"from": "closed", "to": "open"}}),
                TicketChange::Reopened { from: Status::Closed, to: Status::Open, reason: None },
            ),
            (
                json!({"action": "reopened", "data": {"from": "resolved", "to": "open", "reason": "requester replied"}}),
                TicketChange::Reopened {
                    from: Status::Resolved,
                    to: Status::Open,
                    reason: Some("requester replied".into()),
                },
            ),
            (
                json!({"action": "priority_changed", "data": {"from": "medium", "to": "high"}}),
                TicketChange::PriorityChanged { from: Priority::Medium, to: Priority::High },
            ),
            (
                json!({"action": "category_changed", "data": {"from": "general_inquiry", "to": "payment_issue"}}),
                TicketChange::CategoryChanged { from: "general_inquiry".into(), to: "payment_issue".into() },
            ),
            (
                json!({"action": "assigned", "data": {"from": null, "to": {"id": 3, "username": "alice"}}}),
                TicketChange::Assigned { from: None, to: alice() },
            ),
            (
                json!({"action": "assigned", "data": {"from": {"id": 3, "username": "alice"}, "to": {"id": 4, "username": "bob"}}}),
                TicketChange::Assigned { from: Some(alice()), to: UserReference { id: 4, username: "bob".into() } },
            ),
            (
                json!({"action": "unassigned", "data": {"from": {"id": 3, "username": "alice"}}}),
                TicketChange::Unassigned { from: alice() },
            ),
            (json!({"action": "replied", "data": {"message_id": 12}}), TicketChange::Replied { message_id: 12 }),
            (json!({"action": "note_added", "data": {"message_id": 13}}), TicketChange::NoteAdded { message_id: 13 }),
            (
                json!({"action": "escalated", "data": {"from": "open", "reason": "Needs the billing team."}}),
                TicketChange::Escalated {
                    from: Some(Status::Open),
                    reason: "Needs the billing team.".into(),
                    rule: None,
                },
            ),
            (
                json!({"action": "escalated", "data": {"reason": "slow"}}),
                TicketChange::Escalated { from: None, reason: "slow".into(), rule: None },
            ),
            (
                json!({"action": "escalated", "data": {"from": "open", "reason": "Open 48 h", "rule": "unanswered"}}),
                TicketChange::Escalated {
                    from: Some(Status::Open),
                    reason: "Open 48 h".into(),
                    rule: Some(escalation::EscalationRule::Unanswered),
                },
            ),
            (
                json!({"action": "escalated", "data": {"from": "open", "reason": "Urgent", "rule": "urgent_unassigned"}}),
                TicketChange::Escalated {
                    from: Some(Status::Open),
                    reason: "Urgent".into(),
                    rule: Some(escalation::EscalationRule::UrgentUnassigned),
                },
            ),
        ]
    }

    #[test]
    fn ticket_changes_keep_the_stored_action_and_data() {
        for (json, change) in stored_rows() {
            assert_eq!(serde_json::to_value(&change).unwrap(), json, "{change:?} writes today's shape");
            assert_eq!(serde_json::from_value::<TicketChange>(json.clone()).unwrap(), change, "{json} parses");
            let action = json["action"].as_str().unwrap();
            assert_eq!(change.action(), action);
            assert_eq!(change.data(), json["data"]);
            assert_eq!(TicketChange::from_stored(action, json["data"].clone()).unwrap(), change);
        }
    }

    #[test]
    fn events_flatten_the_change_beside_their_other_fields() {
        let created_at: DateTime<Utc> = "2026-11-30T10:00:00Z".parse().unwrap();
        let event =
            TicketEvent { id: 7, change: TicketChange::Replied { message_id: 12 }, actor: Some(alice()), created_at };
        let json = serde_json::json!({
            "id": 7, "action": "replied", "data": {"message_id": 12},
            "actor": {"id": 3, "username": "alice"}, "created_at": "2026-11-30T10:00:00Z",
        });
        assert_eq!(serde_json::to_value(&event).unwrap(), json);
        assert_eq!(serde_json::from_value::<TicketEvent>(json).unwrap(), event);

        let live = LiveTicketEvent {
            position: 5,
            event_id: 7,
            ticket_id: 2,
            reference: "SUP-0042".into(),
            change: TicketChange::Assigned { from: None, to: alice() },
            actor: None,
            created_at,
            mine: true,
        };
        let json = serde_json::json!({
            "position": 5, "event_id": 7, "ticket_id": 2, "reference": "SUP-0042",
            "action": "assigned", "data": {"from": null, "to": {"id": 3, "username": "alice"}},
            "actor": null, "created_at": "2026-11-30T10:00:00Z", "mine": true,
        });
        assert_eq!(serde_json::to_value(&live).unwrap(), json);
        assert_eq!(serde_json::from_value::<LiveTicketEvent>(json).unwrap(), live);
    }

    #[test]
    fn requesters_see_an_automatic_escalation_without_its_rule_or_reason() {
        let change = TicketChange::Escalated {
            from: Some(Status::Open),
            reason: "Open 48 h".into(),
            rule: Some(escalation::EscalationRule::UrgentUnassigned),
        };
        assert_eq!(change.clone().as_seen_by(Role::Agent), change);
        assert_eq!(change.clone().as_seen_by(Role::Admin), change);
        assert_eq!(change.as_seen_by(Role::Requester).data(), serde_json::json!({"from": "open"}));
        assert!(
            TicketChange::from_stored("escalated", serde_json::json!({"reason": "x", "rule": "moon_phase"})).is_err(),
            "an unknown rule does not read as a person's escalation"
        );
    }

    #[test]
    fn unknown_actions_and_missing_fields_do_not_parse() {
        assert!(TicketChange::from_stored("rated", serde_json::json!({"stars": 5})).is_err());
        assert!(TicketChange::from_stored("replied", serde_json::json!({})).is_err());
        assert!(
            TicketChange::from_stored("status_changed", serde_json::json!({"from": "open", "to": "done"})).is_err()
        );
    }

    #[test]
    fn only_internal_notes_are_for_staff() {
        for (_, change) in stored_rows() {
            let expected = if change.action() == "note_added" { Audience::Staff } else { Audience::Everyone };
            assert_eq!(change.audience(), expected, "{change:?}");
        }
        assert!(!Audience::Staff.admits(Role::Requester));
        assert!(Audience::Staff.admits(Role::Agent) && Audience::Staff.admits(Role::Admin));
        assert!(Audience::Everyone.admits(Role::Requester));
    }

    #[test]
    fn ticket_commands_parse_form_strings_with_field_errors() {
        // Messages in English: the test reads them.
        crate::i18n::request::in_language(crate::i18n::Language::en, || {
            assert_eq!(StatusChange::parse("in_progress").unwrap(), StatusChange { status: Status::InProgress });
            assert!(
                StatusChange::parse("done").unwrap_err().field_error("status").unwrap().starts_with("must be one of")
            );
            assert_eq!(NewMessage::parse("hi".into(), None).unwrap().kind, MessageKind::Reply);
            assert_eq!(NewMessage::parse("hi".into(), Some("")).unwrap().kind, MessageKind::Reply);
            assert_eq!(NewMessage::parse("hi".into(), Some("internal_note")).unwrap().kind, MessageKind::InternalNote);
            assert!(NewMessage::parse("hi".into(), Some("shout")).unwrap_err().field_error("kind").is_some());
            assert_eq!(
                TicketEdit::parse(Some(""), Some("payment_issue")).unwrap(),
                TicketEdit { priority: None, category: Some("payment_issue".into()) }
            );
            assert_eq!(TicketEdit::parse(Some("high"), None).unwrap().priority, Some(Priority::High));
            assert!(TicketEdit::parse(Some("asap"), None).unwrap_err().field_error("priority").is_some());
            assert_eq!(Assignment::parse(" 7 ").unwrap(), Assignment { assignee_id: Some(7) });
            assert_eq!(Assignment::parse("").unwrap(), Assignment { assignee_id: None });
            assert_eq!(
                Assignment::parse("bob").unwrap_err().field_error("agent_id").as_deref(),
                Some("must be a user id")
            );
        })
    }

    #[test]
    fn secrets_never_print_but_read_and_write_as_plain_strings() {
        let token = NewApiToken {
            id: 1,
            name: "script".into(),
            scope: TokenScope::Read,
            expires_at: None,
            token: "gt_0123abcd".into(),
        };
        let printed = format!("{token:?} {token:#?}");
        assert!(!printed.contains("gt_0123abcd") && printed.contains("<redacted>"), "{printed}");
        let json = serde_json::to_value(&token).unwrap();
        assert_eq!(json["token"], "gt_0123abcd");
        assert_eq!(serde_json::from_value::<NewApiToken>(json).unwrap(), token);
        let secret: Secret = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(secret.expose(), "hunter2");
        assert_eq!(format!("{secret:?}"), "<redacted>");
    }
}
