//! Application errors turned into tickets (issue 16) as both sides see
//! them: error projects (a client's application and its DSN) and the
//! status of an error group. The rules live on the server, in
//! `crate::services::errors`.

use crate::domain::{Priority, UserReference};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A client's application that sends its errors to Guichet, as admins see
/// it (`GET /api/v1/error-projects`). Its key is never shown again after
/// creation or rotation (see [`CreatedErrorProject`]): only its SHA-256
/// digest is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorProject {
    pub id: i64,
    pub name: String,
    /// The client whose application it is: the requester of its tickets,
    /// who gets the emails.
    pub requester: UserReference,
    /// The slug of the queue its tickets are filed in.
    pub queue: String,
    /// Events of one group within [`ErrorProject::threshold_window_minutes`]
    /// that open a ticket (1–1000, default 3).
    pub threshold_count: i32,
    /// Minutes (1–10080, default 60).
    pub threshold_window_minutes: i32,
    /// Hours a fixed error is watched before its ticket closes itself (1–720, default 24).
    pub watch_hours: i32,
    /// The priority of its tickets (default `high`).
    pub priority: Priority,
    /// An inactive project's events are refused (403).
    pub active: bool,
    /// When its key was last made (creation or rotation), UTC.
    pub key_rotated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A project with its key, answered once, when the key is made (creation,
/// rotation): `key` is 32 lower-case hex digits, `dsn` the Sentry DSN
/// `http://<key>@<host>/<project id>` built from the public URL
/// (`GUICHET_PUBLIC_URL`), its scheme kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedErrorProject {
    pub project: ErrorProject,
    pub key: String,
    pub dsn: String,
}

/// Where an error group stands. `ticketed`: it reached its threshold and
/// has its ticket; `watching`, `resolved` and `regressed` belong to the
/// watch after a fix (issue 16, item 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorGroupStatus {
    Unresolved,
    Ticketed,
    Watching,
    Resolved,
    Regressed,
}

impl ErrorGroupStatus {
    /// The stored and wire name, e.g. `"ticketed"` (`error_groups.status`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorGroupStatus::Unresolved => "unresolved",
            ErrorGroupStatus::Ticketed => "ticketed",
            ErrorGroupStatus::Watching => "watching",
            ErrorGroupStatus::Resolved => "resolved",
            ErrorGroupStatus::Regressed => "regressed",
        }
    }
}

impl std::str::FromStr for ErrorGroupStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            ErrorGroupStatus::Unresolved,
            ErrorGroupStatus::Ticketed,
            ErrorGroupStatus::Watching,
            ErrorGroupStatus::Resolved,
            ErrorGroupStatus::Regressed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| format!("unknown error group status {text:?}"))
    }
}
