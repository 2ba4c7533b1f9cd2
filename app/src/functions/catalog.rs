//! Server functions for the admin's queues and categories.

use crate::domain::{Category, Queue, TicketOptions};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::*,
    crate::services::catalog::{self, QueueCategories, QueueInput},
    crate::t,
};

/// Reads an open-ticket limit from a form: empty = unlimited.
#[cfg(feature = "ssr")]
fn parse_limit(text: &str) -> Result<Option<i32>, AppError> {
    match text.trim() {
        "" => Ok(None),
        text => text.parse().map(Some).map_err(|_| AppError::field("open_ticket_limit", t!(field.limit_number))),
    }
}

/// Every queue and category, for the admin's catalog page (admins only).
#[server(prefix = "/fn", endpoint = "load_catalog")]
pub async fn load_catalog() -> Result<TicketOptions, AppError> {
    let request = request().await?;
    respond(catalog::catalog_for_admin(&request.context.pool, &request.caller).await)
}

/// Adds a queue (admins).
#[server(prefix = "/fn", endpoint = "create_queue")]
pub async fn create_queue(
    slug: String,
    name: String,
    prefix: String,
    color: String,
    #[server(default)] open_ticket_limit: String,
) -> Result<Queue, AppError> {
    let request = request().await?;
    let open_ticket_limit = respond(parse_limit(&open_ticket_limit))?;
    let input = QueueInput { slug, name, prefix, color, open_ticket_limit, active: true };
    respond(catalog::create_queue(&request.context.pool, &request.caller, &input).await)
}

/// Renames, recolours, (de)activates a queue or changes its limit (admins).
#[server(prefix = "/fn", endpoint = "update_queue")]
pub async fn update_queue(
    id: i64,
    name: String,
    color: String,
    #[server(default)] open_ticket_limit: String,
    #[server(default)] active: bool,
) -> Result<Queue, AppError> {
    let request = request().await?;
    // One form per queue on the page: the error names its row.
    let open_ticket_limit = respond(parse_limit(&open_ticket_limit).map_err(|error| error.for_record(id)))?;
    let input = QueueInput { name, color, open_ticket_limit, active, ..Default::default() };
    respond(
        catalog::update_queue(&request.context.pool, &request.caller, id, &input)
            .await
            .map_err(|error| error.for_record(id)),
    )
}

/// Sets the categories queue `id` offers (`categories[]`, the ticked boxes)
/// and its default category (empty = none) (admins).
#[server(prefix = "/fn", endpoint = "set_queue_categories")]
pub async fn set_queue_categories(
    id: i64,
    #[server(default)] categories: Vec<String>,
    #[server(default)] default_category: String,
) -> Result<Queue, AppError> {
    let request = request().await?;
    let input = QueueCategories { categories, default_category: Some(default_category) };
    respond(catalog::set_queue_categories(&request.context.pool, &request.caller, id, &input).await)
}

/// Adds a category (admins), offered in the queues ticked (`queues[]`).
#[server(prefix = "/fn", endpoint = "create_category")]
pub async fn create_category(
    slug: String,
    name: String,
    #[server(default)] queues: Vec<String>,
) -> Result<Category, AppError> {
    let request = request().await?;
    respond(catalog::create_category(&request.context.pool, &request.caller, &slug, &name, Some(&queues)).await)
}

/// Renames or (de)activates a category (admins).
#[server(prefix = "/fn", endpoint = "update_category")]
pub async fn update_category(id: i64, name: String, #[server(default)] active: bool) -> Result<Category, AppError> {
    let request = request().await?;
    // One form per category on the page: the error names its row.
    respond(
        catalog::update_category(&request.context.pool, &request.caller, id, &name, active)
            .await
            .map_err(|error| error.for_record(id)),
    )
}

/// Deletes an unused category (admins); one in use can only be deactivated.
#[server(prefix = "/fn", endpoint = "delete_category")]
pub async fn delete_category(id: i64) -> Result<(), AppError> {
    let request = request().await?;
    respond(
        catalog::delete_category(&request.context.pool, &request.caller, id)
            .await
            .map_err(|error| error.for_record(id)),
    )
}
