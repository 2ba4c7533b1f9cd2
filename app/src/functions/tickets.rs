//! Server functions for tickets, drafts and API tokens.

// A server function's arguments are the fields of the form that posts to it.
#![allow(clippy::too_many_arguments)]

use crate::domain::{
    ApiToken, LimitReached, Message, NewApiToken, StatusCount, Ticket, TicketDetail, TicketOptions, TicketPage,
    TicketQuery, TicketRating,
};
#[cfg(feature = "ssr")]
use crate::domain::{Assignment, Escalation, NewMessage, NewRating, StatusChange, TicketEdit};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
#[cfg(feature = "ssr")]
use {
    super::ssr::*,
    crate::services::{catalog, drafts, ratings, ticket_lists, tickets, tokens},
};

/// Queues, categories and agents for forms and filters.
#[server(prefix = "/fn", endpoint = "ticket_options")]
pub async fn load_ticket_options() -> Result<TicketOptions, AppError> {
    let request = request().await?;
    respond(catalog::ticket_options(&request.context.pool, &request.caller).await)
}

/// The queues where the caller may open no ticket now (their open-ticket
/// limit is reached), for the new-ticket form.
#[server(prefix = "/fn", endpoint = "open_ticket_limits")]
pub async fn open_ticket_limits_reached() -> Result<Vec<LimitReached>, AppError> {
    let request = request().await?;
    respond(tickets::open_ticket_limits_reached(&request.context.pool, &request.caller).await)
}

/// One page of tickets the caller may see.
#[server(prefix = "/fn", endpoint = "list_tickets", input = Json)]
pub async fn list_tickets(query: TicketQuery) -> Result<TicketPage, AppError> {
    let request = request().await?;
    respond(ticket_lists::list_tickets(&request.context.pool, &request.caller, &query).await)
}

/// Tickets per status (all tickets for staff, own tickets for requesters).
#[server(prefix = "/fn", endpoint = "status_counts")]
pub async fn status_counts() -> Result<Vec<StatusCount>, AppError> {
    let request = request().await?;
    respond(ticket_lists::status_counts(&request.context.pool, &request.caller, None).await)
}

/// A ticket with the messages and events the caller may see.
#[server(prefix = "/fn", endpoint = "get_ticket")]
pub async fn get_ticket(key: String) -> Result<TicketDetail, AppError> {
    let request = request().await?;
    respond(tickets::get_ticket(&request.context.pool, &request.caller, &key).await)
}

/// Opens a ticket from the web form; the technical details become its
/// metadata. Sends the browser to the new ticket.
#[server(prefix = "/fn", endpoint = "create_ticket")]
pub async fn create_ticket(
    queue: String,
    category: String,
    #[server(default)] priority: String,
    subject: String,
    description: String,
    #[server(default)] server_id: String,
    #[server(default)] command: String,
    #[server(default)] error_message: String,
) -> Result<Ticket, AppError> {
    let request = request().await?;
    let mut metadata = serde_json::Map::new();
    for (key, value) in [("server_id", server_id), ("command", command), ("error_message", error_message)] {
        if !value.trim().is_empty() {
            metadata.insert(key.into(), value.trim().into());
        }
    }
    let input = crate::domain::NewTicket {
        queue,
        category,
        priority,
        subject,
        description,
        metadata: Some(serde_json::Value::Object(metadata)),
    };
    let ticket = respond(
        tickets::create_ticket(&request.context.pool, &request.caller, &input, crate::domain::TicketSource::Web).await,
    )?;
    leptos_axum::redirect(&format!("/tickets/{}", ticket.reference));
    Ok(ticket)
}

/// Adds a reply or an internal note (`kind` = `reply` | `internal_note`; empty = `reply`).
/// `submission` is the form's key ([`NewMessage::submission`]): sent twice, one message.
#[server(prefix = "/fn", endpoint = "add_message")]
pub async fn add_message(
    key: String,
    body: String,
    #[server(default)] kind: String,
    #[server(default)] submission: String,
) -> Result<Message, AppError> {
    let request = request().await?;
    let message =
        respond(NewMessage::parse(body, Some(&kind)).and_then(|message| message.with_submission(Some(&submission))))?;
    respond(tickets::add_message(&request.context.pool, &request.caller, &key, &message).await)
}

/// Changes a ticket's status (see the service for who may do what).
#[server(prefix = "/fn", endpoint = "change_status")]
pub async fn change_status(key: String, status: String) -> Result<Ticket, AppError> {
    let request = request().await?;
    let change = respond(StatusChange::parse(&status))?;
    respond(tickets::change_status(&request.context.pool, &request.caller, &key, &change).await)
}

/// Changes priority and/or category (agents and admins); empty = unchanged.
#[server(prefix = "/fn", endpoint = "update_ticket")]
pub async fn update_ticket(
    key: String,
    #[server(default)] priority: String,
    #[server(default)] category: String,
) -> Result<Ticket, AppError> {
    let request = request().await?;
    let edit = respond(TicketEdit::parse(Some(&priority), Some(&category)))?;
    respond(tickets::update_ticket(&request.context.pool, &request.caller, &key, &edit).await)
}

/// Assigns the ticket to the agent with id `agent_id`, or unassigns it when empty.
#[server(prefix = "/fn", endpoint = "assign_ticket")]
pub async fn assign_ticket(key: String, #[server(default)] agent_id: String) -> Result<Ticket, AppError> {
    let request = request().await?;
    let assignment = respond(Assignment::parse(&agent_id))?;
    respond(tickets::assign(&request.context.pool, &request.caller, &key, &assignment).await)
}

/// Escalates a ticket with a required reason.
#[server(prefix = "/fn", endpoint = "escalate_ticket")]
pub async fn escalate_ticket(key: String, reason: String) -> Result<Ticket, AppError> {
    let request = request().await?;
    respond(tickets::escalate(&request.context.pool, &request.caller, &key, &Escalation { reason }).await)
}

/// The requester rates ticket `key` (its latest resolution) `score` 1–5
/// with an optional `comment`, or changes their rating within 7 days (see
/// `services::ratings`); returns the rating as recorded.
#[server(prefix = "/fn", endpoint = "rate_ticket")]
pub async fn rate_ticket(
    key: String,
    #[server(default)] score: String,
    #[server(default)] comment: String,
) -> Result<TicketRating, AppError> {
    let request = request().await?;
    let rating = NewRating { score, comment: Some(comment) };
    respond(ratings::rate(&request.context.pool, &request.caller, &key, &rating).await.map(|rated| rated.rating))
}

/// The caller's draft of `form` (`new_ticket` or `reply:<id>`), if any.
#[server(prefix = "/fn", endpoint = "get_draft")]
pub async fn get_draft(form: String) -> Result<Option<serde_json::Value>, AppError> {
    let request = request().await?;
    respond(drafts::get_draft(&request.context.pool, &request.caller, &form).await)
}

/// Saves the caller's draft of `form`; called while typing (debounced).
#[server(prefix = "/fn", endpoint = "save_draft", input = Json)]
pub async fn save_draft(form: String, content: serde_json::Value) -> Result<(), AppError> {
    let request = request().await?;
    respond(drafts::save_draft(&request.context.pool, &request.caller, &form, &content).await)
}

/// The caller's API tokens.
#[server(prefix = "/fn", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiToken>, AppError> {
    let request = request().await?;
    respond(tokens::list_tokens(&request.context.pool, &request.caller).await)
}

/// Creates an API token with `scope` (`read`, `write`, `admin`; empty =
/// `write`) expiring in `expires_in_days` days (empty = never); the secret
/// is in the answer, once.
#[server(prefix = "/fn", endpoint = "create_api_token")]
pub async fn create_api_token(
    name: String,
    #[server(default)] scope: String,
    #[server(default)] expires_in_days: String,
) -> Result<NewApiToken, AppError> {
    let request = request().await?;
    // Not a number (or out of range) is 0 days, which the service refuses with a field error.
    let days = Some(expires_in_days.trim()).filter(|days| !days.is_empty()).map(|days| days.parse().unwrap_or(0));
    respond(tokens::create_token(&request.context.pool, &request.caller, &name, &scope, days).await)
}

/// Revokes one of the caller's API tokens.
#[server(prefix = "/fn", endpoint = "delete_api_token")]
pub async fn delete_api_token(id: i64) -> Result<(), AppError> {
    let request = request().await?;
    respond(tokens::delete_token(&request.context.pool, &request.caller, id).await)
}
