//! `/api/v1/business-calendars/*` and `/api/v1/sla-policies/*` (issue 15):
//! agents and admins read, admins write; the rules are in
//! `app::services::service_levels`.

use super::{ApiCaller, ApiError, Json, Path};
use crate::state::AppState;
use app::domain::service_levels::{BusinessCalendar, SlaPolicy};
use app::services::service_levels::{self, CalendarInput, PolicyInput};
use axum::{Router, http::StatusCode, routing::get};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/business-calendars", get(list_calendars).post(create_calendar))
        .route("/business-calendars/{id}", get(show_calendar).put(update_calendar).delete(delete_calendar))
        .route("/sla-policies", get(list_policies).post(create_policy))
        .route("/sla-policies/{id}", get(show_policy).put(update_policy).delete(delete_policy))
}

/// `{"business_calendars": [...]}`
#[derive(Serialize)]
struct CalendarsBody {
    business_calendars: Vec<BusinessCalendar>,
}

/// `{"business_calendar": {id, name, time_zone, hours, holidays}}`
#[derive(Serialize)]
struct CalendarBody {
    business_calendar: BusinessCalendar,
}

/// `{"sla_policies": [...]}`
#[derive(Serialize)]
struct PoliciesBody {
    sla_policies: Vec<SlaPolicy>,
}

/// `{"sla_policy": {id, name, queue, priority, first_response_minutes, resolution_minutes, calendar_id, position}}`
#[derive(Serialize)]
struct PolicyBody {
    sla_policy: SlaPolicy,
}

async fn list_calendars(request: ApiCaller) -> Result<Json<CalendarsBody>, ApiError> {
    let business_calendars = service_levels::list_calendars(&request.context.pool, &request.caller).await?;
    Ok(Json(CalendarsBody { business_calendars }))
}

async fn show_calendar(request: ApiCaller, Path(id): Path<i64>) -> Result<Json<CalendarBody>, ApiError> {
    let business_calendar = service_levels::calendar(&request.context.pool, &request.caller, id).await?;
    Ok(Json(CalendarBody { business_calendar }))
}

/// `{name, time_zone, hours: {mon: [["09:00", "18:00"]], ...}, holidays: ["2026-12-25"]}` → 201.
async fn create_calendar(
    request: ApiCaller,
    Json(input): Json<CalendarInput>,
) -> Result<(StatusCode, Json<CalendarBody>), ApiError> {
    let business_calendar = service_levels::create_calendar(&request.context.pool, &request.caller, &input).await?;
    Ok((StatusCode::CREATED, Json(CalendarBody { business_calendar })))
}

async fn update_calendar(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<CalendarInput>,
) -> Result<Json<CalendarBody>, ApiError> {
    let business_calendar = service_levels::update_calendar(&request.context.pool, &request.caller, id, &input).await?;
    Ok(Json(CalendarBody { business_calendar }))
}

async fn delete_calendar(request: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    service_levels::delete_calendar(&request.context.pool, &request.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_policies(request: ApiCaller) -> Result<Json<PoliciesBody>, ApiError> {
    let sla_policies = service_levels::list_policies(&request.context.pool, &request.caller).await?;
    Ok(Json(PoliciesBody { sla_policies }))
}

async fn show_policy(request: ApiCaller, Path(id): Path<i64>) -> Result<Json<PolicyBody>, ApiError> {
    let sla_policy = service_levels::policy(&request.context.pool, &request.caller, id).await?;
    Ok(Json(PolicyBody { sla_policy }))
}

/// `{name, queue?: slug, priority?, first_response_minutes, resolution_minutes, calendar_id?, position}` → 201.
async fn create_policy(
    request: ApiCaller,
    Json(input): Json<PolicyInput>,
) -> Result<(StatusCode, Json<PolicyBody>), ApiError> {
    let sla_policy = service_levels::create_policy(&request.context.pool, &request.caller, &input).await?;
    Ok((StatusCode::CREATED, Json(PolicyBody { sla_policy })))
}

async fn update_policy(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<PolicyInput>,
) -> Result<Json<PolicyBody>, ApiError> {
    let sla_policy = service_levels::update_policy(&request.context.pool, &request.caller, id, &input).await?;
    Ok(Json(PolicyBody { sla_policy }))
}

async fn delete_policy(request: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    service_levels::delete_policy(&request.context.pool, &request.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
