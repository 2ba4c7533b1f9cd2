//! `/api/v1/events` (the live stream, Server-Sent Events) and
//! `/api/v1/tickets/{id}/activity` (typing and presence).
//!
//! Why SSE rather than WebSocket: the stream only goes from server to
//! browser (the few client announcements are ordinary POSTs, authorised like
//! any other request); SSE is plain HTTP, so the session cookie, Bearer
//! tokens, proxies and HTTP/2 work unchanged; and its `id:` / `Last-Event-ID`
//! pair is exactly the resume protocol we need.

use super::{ApiCaller, ApiError, Json, Path, Query};
use crate::state::AppState;
use app::error::AppError;
use app::services::live::{LiveMessage, Subscription};
use app::t;
use axum::{
    Router,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::{get, post},
};
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(events)).route("/tickets/{id}/activity", post(announce))
}

/// Interval of the keep-alive comments, which also reveal a dead connection.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Deserialize)]
struct EventsQuery {
    after: Option<String>,
}

/// `GET /api/v1/events[?after=N]`: `event: ready` first, then the missed
/// events after position N (or after `Last-Event-ID`), then live `ticket` and
/// `activity` events. 401 without a session or valid token; 422 for an
/// `after` that is not a number.
async fn events(
    request: ApiCaller,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let last_event_id = headers.get("last-event-id").and_then(|value| value.to_str().ok()).map(str::to_string);
    let after = match query.after.or(last_event_id).map(|text| text.trim().to_string()).filter(|text| !text.is_empty())
    {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| AppError::field("after", t!(field.stream_position)))?),
    };
    let subscription = request.context.live.subscribe(&request.caller, after).await?;
    let stream = futures_util::stream::unfold(subscription, |mut subscription: Subscription| async move {
        let message = subscription.next().await?;
        Some((Ok::<Event, Infallible>(sse_event(message)), subscription))
    });
    let mut response = Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Reverse proxies (nginx) must pass events through as they come.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn sse_event(message: LiveMessage) -> Event {
    match message {
        LiveMessage::Ready { position, json } => Event::default().event("ready").id(position.to_string()).data(json),
        LiveMessage::Ticket { position, json } => Event::default().event("ticket").id(position.to_string()).data(json),
        LiveMessage::Activity { json } => Event::default().event("activity").data(json),
    }
}

#[derive(Deserialize)]
struct ActivityInput {
    activity: String,
    #[serde(default)]
    internal: bool,
}

/// `POST /api/v1/tickets/{id}/activity {"activity": "typing", "internal": false}` → 204.
async fn announce(
    request: ApiCaller,
    Path(id): Path<String>,
    Json(input): Json<ActivityInput>,
) -> Result<StatusCode, ApiError> {
    app::services::presence::announce_activity(
        &request.context.pool,
        &request.caller,
        &id,
        &input.activity,
        input.internal,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
