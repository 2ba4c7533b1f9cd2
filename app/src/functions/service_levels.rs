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
    crate::pages::admin_service_levels::{NEW_CALENDAR, NEW_POLICY, calendar_scope, policy_scope},
    crate::services::service_levels::{self, CalendarInput, PolicyInput},
};

/// The query parameter carrying the values of a refused plain form post
/// back to the page (see [`keep_typed`]): a JSON object of the form's
/// fields, with the form's scope under `form`.
pub const TYPED: &str = "typed";

/// For a plain form post (no wasm) refused with `error`: sends the browser
/// back to the page it came from with the error, as Leptos does, and with
/// the values typed in the form `scope` ([`TYPED`]), so that the page shows
/// them again next to the reasons instead of an empty form. The hydrated
/// page keeps its refused forms as they are and needs nothing of this.
/// Does nothing for other requests.
#[cfg(feature = "ssr")]
pub(crate) fn keep_typed<S>(error: &AppError, scope: &str, fields: &[(&str, &str)])
where
    S: leptos::server_fn::ServerFn<Error = AppError>,
{
    use leptos::server_fn::error::ServerFnUrlError;
    let (Some(parts), Some(response)) =
        (use_context::<http::request::Parts>(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let header = |name| parts.headers.get(name).and_then(|value: &http::HeaderValue| value.to_str().ok());
    let plain_form = header(http::header::ACCEPT).is_some_and(|accept| accept.contains("text/html"));
    let Some(referer) = header(http::header::REFERER).filter(|_| plain_form) else { return };
    let Ok(mut back) = url::Url::parse(referer) else { return };
    let kept: Vec<(String, String)> = back
        .query_pairs()
        .filter(|(key, _)| !matches!(key.as_ref(), "__path" | "__err" | TYPED))
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    back.query_pairs_mut().clear().extend_pairs(kept);
    let mut typed = serde_json::Map::new();
    typed.insert("form".into(), scope.into());
    for (name, value) in fields {
        typed.insert((*name).into(), (*value).into());
    }
    let Ok(mut url) = ServerFnUrlError::new(S::PATH, error.clone()).to_url(back.as_str()) else { return };
    url.query_pairs_mut().append_pair(TYPED, &serde_json::Value::Object(typed).to_string());
    if let Ok(location) = http::HeaderValue::from_str(url.as_str()) {
        response.insert_header(http::header::LOCATION, location);
    }
}

/// [`keep_typed`] for a calendar form's fields.
#[cfg(feature = "ssr")]
fn keep_typed_calendar<S>(error: &AppError, scope: &str, name: &str, time_zone: &str, days: [&str; 7], holidays: &str)
where
    S: leptos::server_fn::ServerFn<Error = AppError>,
{
    let [mon, tue, wed, thu, fri, sat, sun] = days;
    let fields = [
        ("name", name),
        ("time_zone", time_zone),
        ("mon", mon),
        ("tue", tue),
        ("wed", wed),
        ("thu", thu),
        ("fri", fri),
        ("sat", sat),
        ("sun", sun),
        ("holidays", holidays),
    ];
    keep_typed::<S>(error, scope, &fields);
}

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
    let input = CalendarInput::from_form(name.clone(), time_zone.clone(), days, &holidays);
    let created = service_levels::create_calendar(&request.context.pool, &request.caller, &input).await;
    if let Err(error) = &created {
        keep_typed_calendar::<CreateBusinessCalendar>(error, NEW_CALENDAR, &name, &time_zone, days, &holidays);
    }
    respond(created)
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
    let input = CalendarInput::from_form(name.clone(), time_zone.clone(), days, &holidays);
    // One form per calendar on the page: the error names its card.
    let updated = service_levels::update_calendar(&request.context.pool, &request.caller, id, &input)
        .await
        .map_err(|error| error.for_record(id));
    if let Err(error) = &updated {
        let scope = calendar_scope(id);
        keep_typed_calendar::<UpdateBusinessCalendar>(error, &scope, &name, &time_zone, days, &holidays);
    }
    respond(updated)
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
    let fields = [
        ("name", name.as_str()),
        ("queue", queue.as_str()),
        ("priority", priority.as_str()),
        ("first_response_minutes", first_response_minutes.as_str()),
        ("resolution_minutes", resolution_minutes.as_str()),
        ("calendar_id", calendar_id.as_str()),
        ("position", position.as_str()),
    ];
    let created = match PolicyInput::from_form(
        name.clone(),
        queue.clone(),
        priority.clone(),
        &first_response_minutes,
        &resolution_minutes,
        &calendar_id,
        &position,
    ) {
        Ok(input) => service_levels::create_policy(&request.context.pool, &request.caller, &input).await,
        Err(error) => Err(error),
    };
    if let Err(error) = &created {
        keep_typed::<CreateSlaPolicy>(error, NEW_POLICY, &fields);
    }
    respond(created)
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
    let fields = [
        ("name", name.as_str()),
        ("queue", queue.as_str()),
        ("priority", priority.as_str()),
        ("first_response_minutes", first_response_minutes.as_str()),
        ("resolution_minutes", resolution_minutes.as_str()),
        ("calendar_id", calendar_id.as_str()),
        ("position", position.as_str()),
    ];
    let updated = match PolicyInput::from_form(
        name.clone(),
        queue.clone(),
        priority.clone(),
        &first_response_minutes,
        &resolution_minutes,
        &calendar_id,
        &position,
    ) {
        Ok(input) => service_levels::update_policy(&request.context.pool, &request.caller, id, &input).await,
        Err(error) => Err(error),
    }
    // One form per policy on the page: the error names its row.
    .map_err(|error| error.for_record(id));
    if let Err(error) = &updated {
        keep_typed::<UpdateSlaPolicy>(error, &policy_scope(id), &fields);
    }
    respond(updated)
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
