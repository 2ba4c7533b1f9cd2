//! Server functions for the service-levels admin page: business calendars
//! and SLA policies (agents read, admins write). Thin: the form's text goes
//! to the service layer, which checks it.

// A plain form posts one argument per field (seven days of hours, a
// policy's numbers as typed); `#[server]` puts them in the generated client
// function too, where an item-level allow does not reach.
#![allow(clippy::too_many_arguments)]

use crate::domain::service_levels::{BusinessCalendar, SlaPolicy};
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::*,
    crate::services::service_levels::{self, CalendarInput, PolicyInput},
};

/// Every calendar and policy (agents and admins).
#[server(prefix = "/fn", endpoint = "load_service_levels")]
pub async fn load_service_levels() -> Result<crate::domain::service_levels::ServiceLevels, AppError> {
    let request = request().await?;
    respond(service_levels::service_levels(&request.context.pool, &request.caller).await)
}

/// Adds a business calendar (admins): one text of ranges per day
/// (`09:00-12:00, 14:00-18:00`, empty = closed), holidays one per line.
#[server(prefix = "/fn", endpoint = "create_business_calendar")]
pub async fn create_business_calendar(
    name: String,
    time_zone: String,
    #[server(default)] mon: String,
    #[server(default)] tue: String,
    #[server(default)] wed: String,
    #[server(default)] thu: String,
    #[server(default)] fri: String,
    #[server(default)] sat: String,
    #[server(default)] sun: String,
    #[server(default)] holidays: String,
) -> Result<BusinessCalendar, AppError> {
    let request = request().await?;
    let days = [&*mon, &*tue, &*wed, &*thu, &*fri, &*sat, &*sun];
    let input = CalendarInput::from_form(name, time_zone, days, &holidays);
    respond(service_levels::create_calendar(&request.context.pool, &request.caller, &input).await)
}

/// Replaces business calendar `id` (admins); fields as [`create_business_calendar`].
#[server(prefix = "/fn", endpoint = "update_business_calendar")]
pub async fn update_business_calendar(
    id: i64,
    name: String,
    time_zone: String,
    #[server(default)] mon: String,
    #[server(default)] tue: String,
    #[server(default)] wed: String,
    #[server(default)] thu: String,
    #[server(default)] fri: String,
    #[server(default)] sat: String,
    #[server(default)] sun: String,
    #[server(default)] holidays: String,
) -> Result<BusinessCalendar, AppError> {
    let request = request().await?;
    let days = [&*mon, &*tue, &*wed, &*thu, &*fri, &*sat, &*sun];
    let input = CalendarInput::from_form(name, time_zone, days, &holidays);
    // One form per calendar on the page: the error names its card.
    respond(
        service_levels::update_calendar(&request.context.pool, &request.caller, id, &input)
            .await
            .map_err(|error| error.for_record(id)),
    )
}

/// Deletes business calendar `id` (admins), unless a policy uses it.
#[server(prefix = "/fn", endpoint = "delete_business_calendar")]
pub async fn delete_business_calendar(id: i64) -> Result<(), AppError> {
    let request = request().await?;
    respond(
        service_levels::delete_calendar(&request.context.pool, &request.caller, id)
            .await
            .map_err(|error| error.for_record(id)),
    )
}

/// Adds an SLA policy (admins). Empty `queue`, `priority` = any; empty
/// `calendar_id` = the built-in "24/7"; numbers as typed.
#[server(prefix = "/fn", endpoint = "create_sla_policy")]
pub async fn create_sla_policy(
    name: String,
    #[server(default)] queue: String,
    #[server(default)] priority: String,
    #[server(default)] first_response_minutes: String,
    #[server(default)] resolution_minutes: String,
    #[server(default)] calendar_id: String,
    #[server(default)] position: String,
) -> Result<SlaPolicy, AppError> {
    let request = request().await?;
    let input = respond(PolicyInput::from_form(
        name,
        queue,
        priority,
        &first_response_minutes,
        &resolution_minutes,
        &calendar_id,
        &position,
    ))?;
    respond(service_levels::create_policy(&request.context.pool, &request.caller, &input).await)
}

/// Replaces SLA policy `id` (admins); fields as [`create_sla_policy`].
#[server(prefix = "/fn", endpoint = "update_sla_policy")]
pub async fn update_sla_policy(
    id: i64,
    name: String,
    #[server(default)] queue: String,
    #[server(default)] priority: String,
    #[server(default)] first_response_minutes: String,
    #[server(default)] resolution_minutes: String,
    #[server(default)] calendar_id: String,
    #[server(default)] position: String,
) -> Result<SlaPolicy, AppError> {
    let request = request().await?;
    let input = respond(
        PolicyInput::from_form(
            name,
            queue,
            priority,
            &first_response_minutes,
            &resolution_minutes,
            &calendar_id,
            &position,
        )
        .map_err(|error| error.for_record(id)),
    )?;
    respond(
        service_levels::update_policy(&request.context.pool, &request.caller, id, &input)
            .await
            .map_err(|error| error.for_record(id)),
    )
}

/// Deletes SLA policy `id` (admins).
#[server(prefix = "/fn", endpoint = "delete_sla_policy")]
pub async fn delete_sla_policy(id: i64) -> Result<(), AppError> {
    let request = request().await?;
    respond(
        service_levels::delete_policy(&request.context.pool, &request.caller, id)
            .await
            .map_err(|error| error.for_record(id)),
    )
}
