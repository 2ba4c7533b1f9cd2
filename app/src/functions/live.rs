//! Server functions for live updates. The stream itself is `GET /api/v1/events`
//! (Server-Sent Events, see `server/src/api/live.rs`).

use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {super::ssr::*, crate::services::presence};

/// Announces that the caller is viewing, typing on or leaving a ticket
/// (`activity`: viewing, typing, stopped, left); `internal` when typing an
/// internal note. Nothing is stored: the other viewers' streams show it.
#[server(prefix = "/fn", endpoint = "announce_activity")]
pub async fn announce_activity(ticket: String, activity: String, internal: bool) -> Result<(), AppError> {
    let request = request().await?;
    respond(presence::announce_activity(&request.context.pool, &request.caller, &ticket, &activity, internal).await)
}
