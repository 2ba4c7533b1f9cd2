//! `/api/v1/tickets/*` and `/api/v1/tokens/*`.

use super::{ApiCaller, ApiError, Json, Path};
use crate::state::AppState;
use app::domain::{
    ApiToken, Assignment, Escalation, Message, NewApiToken, NewMessage, NewRating, NewTicket, StatusChange, Ticket,
    TicketDetail, TicketEdit, TicketPage, TicketQuery, TicketRating, TicketSource, TicketStats,
};
use app::error::AppError;
use app::services::{ratings, statistics, ticket_lists, tickets, tokens};
use app::t;
use axum::{
    Router,
    extract::RawQuery,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{delete, get, post, put},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tickets", post(create).get(list))
        .route("/tickets/stats", get(stats))
        .route("/tickets/{id}", get(show).patch(update))
        .route("/tickets/{id}/messages", post(add_message))
        .route("/tickets/{id}/status", put(change_status))
        .route("/tickets/{id}/assign", post(assign))
        .route("/tickets/{id}/escalate", post(escalate))
        .route("/tickets/{id}/rating", post(rate))
        .route("/tokens", post(create_token).get(list_tokens))
        .route("/tokens/{id}", delete(delete_token))
}

/// `{"ticket": ...}`
#[derive(Serialize)]
struct TicketBody {
    ticket: Ticket,
}

async fn create(request: ApiCaller, Json(input): Json<NewTicket>) -> Result<(StatusCode, Json<TicketBody>), ApiError> {
    let ticket = tickets::create_ticket(&request.context.pool, &request.caller, &input, TicketSource::Api).await?;
    Ok((StatusCode::CREATED, Json(TicketBody { ticket })))
}

/// Reads `status=a&status=b&queue=...` (repeated `status` means any of them).
fn ticket_query(raw: Option<&str>) -> Result<TicketQuery, AppError> {
    let mut query = TicketQuery::default();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "status" => query.status.push(value),
            "priority" => query.priority = Some(value),
            "category" => query.category = Some(value),
            "queue" => query.queue = Some(value),
            "assignee" => query.assignee = Some(value),
            "q" => query.q = Some(value),
            "sort" => query.sort = Some(value),
            "cursor" => query.cursor = Some(value),
            "limit" => {
                query.limit = Some(value.parse().map_err(|_| AppError::field("limit", t!(field.whole_number)))?);
            }
            _ => {}
        }
    }
    Ok(query)
}

async fn list(request: ApiCaller, RawQuery(raw): RawQuery) -> Result<Json<TicketPage>, ApiError> {
    let query = ticket_query(raw.as_deref())?;
    Ok(Json(ticket_lists::list_tickets(&request.context.pool, &request.caller, &query).await?))
}

/// `?period=7d&queue=slug`; JSON by default, CSV (see
/// `statistics::to_csv`) with `format=csv` or an `Accept` header naming
/// `text/csv`, as an attachment named `guichet-stats-7d[-slug].csv`.
/// `Cache-Control: no-cache` (or `max-age=0`, `no-store`) asks for figures
/// computed now rather than those of the last minute (see
/// `statistics::Freshness`).
async fn stats(request: ApiCaller, headers: HeaderMap, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let mut period = "7d".to_string();
    let mut queue = None;
    let mut csv = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| media.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("text/csv")));
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "period" => period = value.into_owned(),
            "queue" => queue = Some(value.into_owned()),
            "format" => csv = value.eq_ignore_ascii_case("csv"),
            _ => {}
        }
    }
    let freshness = if headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase())
        .any(|directive| matches!(directive.as_str(), "no-cache" | "no-store" | "max-age=0"))
    {
        statistics::Freshness::Fresh
    } else {
        statistics::Freshness::MayReuse
    };
    let stats: TicketStats =
        statistics::stats(&request.context, &request.caller, &period, queue.as_deref(), freshness).await?;
    if !csv {
        return Ok(Json(stats).into_response());
    }
    let body = statistics::to_csv(&stats)?;
    // Period and slug passed validation: the name holds only [0-9a-z_-].
    let slug = queue.filter(|slug| !slug.is_empty()).map(|slug| format!("-{slug}")).unwrap_or_default();
    let filename = format!("guichet-stats-{}d{slug}.csv", stats.period_days);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response())
}

async fn show(request: ApiCaller, Path(id): Path<String>) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(tickets::get_ticket(&request.context.pool, &request.caller, &id).await?))
}

/// `{"body", "kind"?}`; `kind` absent or empty means `reply`.
#[derive(Deserialize)]
struct MessageRequest {
    body: String,
    #[serde(default)]
    kind: Option<String>,
}

/// `{"message": ...}`
#[derive(Serialize)]
struct MessageBody {
    message: Message,
}

/// `POST /api/v1/tickets/{id}/messages`. An `Idempotency-Key` header
/// (draft-ietf-httpapi-idempotency-key-header) names the submission: sent
/// again by the same user, it answers the message it created (201 again)
/// instead of creating a second one.
async fn add_message(
    request: ApiCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(input): Json<MessageRequest>,
) -> Result<(StatusCode, Json<MessageBody>), ApiError> {
    let submission = match headers.get("idempotency-key") {
        Some(value) => Some(value.to_str().map_err(|_| AppError::field("submission", t!(field.submission_key)))?),
        None => None,
    };
    let command = NewMessage::parse(input.body, input.kind.as_deref())?.with_submission(submission)?;
    let message = tickets::add_message(&request.context.pool, &request.caller, &id, &command).await?;
    Ok((StatusCode::CREATED, Json(MessageBody { message })))
}

/// `{"status"}`, a string so that an unknown status is a field error.
#[derive(Deserialize)]
struct StatusRequest {
    status: String,
}

async fn change_status(
    request: ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<StatusRequest>,
) -> Result<Json<TicketBody>, ApiError> {
    let command = StatusChange::parse(&input.status)?;
    let ticket = tickets::change_status(&request.context.pool, &request.caller, &id, &command).await?;
    Ok(Json(TicketBody { ticket }))
}

/// `{"priority"?, "category"?}`; absent or empty leaves a field unchanged.
#[derive(Deserialize)]
struct EditRequest {
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    category: Option<String>,
}

async fn update(
    request: ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<EditRequest>,
) -> Result<Json<TicketBody>, ApiError> {
    let command = TicketEdit::parse(input.priority.as_deref(), input.category.as_deref())?;
    let ticket = tickets::update_ticket(&request.context.pool, &request.caller, &id, &command).await?;
    Ok(Json(TicketBody { ticket }))
}

/// `{"agent_id": id | null}`.
#[derive(Deserialize)]
struct AssignRequest {
    agent_id: Option<i64>,
}

async fn assign(
    request: ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<AssignRequest>,
) -> Result<Json<TicketBody>, ApiError> {
    let command = Assignment { assignee_id: input.agent_id };
    let ticket = tickets::assign(&request.context.pool, &request.caller, &id, &command).await?;
    Ok(Json(TicketBody { ticket }))
}

async fn escalate(
    request: ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<Escalation>,
) -> Result<Json<TicketBody>, ApiError> {
    let ticket = tickets::escalate(&request.context.pool, &request.caller, &id, &input).await?;
    Ok(Json(TicketBody { ticket }))
}

#[derive(Deserialize)]
struct TokenRequest {
    name: String,
    /// `read`, `write` (the default) or `admin`.
    #[serde(default)]
    scope: String,
    /// Days until the token expires; absent or null = never.
    #[serde(default)]
    expires_in_days: Option<i64>,
}

async fn create_token(
    request: ApiCaller,
    Json(input): Json<TokenRequest>,
) -> Result<(StatusCode, Json<NewApiToken>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            tokens::create_token(
                &request.context.pool,
                &request.caller,
                &input.name,
                &input.scope,
                input.expires_in_days,
            )
            .await?,
        ),
    ))
}

/// `{"tokens": [...]}`
#[derive(Serialize)]
struct TokensBody {
    tokens: Vec<ApiToken>,
}

async fn list_tokens(request: ApiCaller) -> Result<Json<TokensBody>, ApiError> {
    Ok(Json(TokensBody { tokens: tokens::list_tokens(&request.context.pool, &request.caller).await? }))
}

async fn delete_token(request: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    tokens::delete_token(&request.context.pool, &request.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/tickets/{id}/rating` `{score: 1–5, comment?: text}`: any
/// JSON value is read, so a score of the wrong type is a field error too.
#[derive(Deserialize)]
struct RatingBody {
    #[serde(default)]
    score: serde_json::Value,
    #[serde(default)]
    comment: serde_json::Value,
}

/// `{"rating": {score, comment, rated_at, updated_at}, "escalated": bool}`
#[derive(Serialize)]
struct RatingAnswer {
    rating: TicketRating,
    /// Whether this rating escalated the ticket (a score under `low_rating_below`).
    escalated: bool,
}

/// 201 for a new rating, 200 when it replaces the earlier one.
async fn rate(
    request: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<RatingBody>,
) -> Result<(StatusCode, Json<RatingAnswer>), ApiError> {
    use serde_json::Value;
    let score = match body.score {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text,
        Value::Null => String::new(),
        // An array, an object, a boolean: not a score (a field error).
        other => other.to_string(),
    };
    let comment = match body.comment {
        Value::Null => None,
        Value::String(text) => Some(text),
        _ => return Err(AppError::field("comment", t!(field.text_expected)).into()),
    };
    let rated = ratings::rate(&request.context.pool, &request.caller, &id, &NewRating { score, comment }).await?;
    let status = if rated.replaced { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(RatingAnswer { rating: rated.rating, escalated: rated.escalated })))
}
