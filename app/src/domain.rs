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
        formatter.write_str(self.as_str())
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
