//! Issue 16's HTTP surface: error projects (`/api/v1/error-projects`,
//! admins), the plain intake (`POST /api/v1/errors`, `X-Guichet-Key`), and
//! the Sentry-compatible intake outside `/api/v1`
//! (`POST /api/{project_id}/envelope/` and `/store/`, see [`sentry_router`]).
//! Thin handlers over [`app::services::errors`].

use super::{ApiCaller, ApiError, Json, Path};
use crate::state::AppState;
use app::domain::errors::{CreatedErrorProject, ErrorProject};
use app::error::AppError;
use app::services::ServerContext;
use app::services::errors::intake::{self, BodyKind, IntakeBody, PlainError};
use app::services::errors::projects::{self, ErrorProjectInput};
use axum::{
    Router,
    body::Body,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    routing::{get, post, put},
};
use serde::Serialize;

/// The routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/error-projects", get(list_projects).post(create_project))
        .route("/error-projects/{id}", put(update_project))
        .route("/error-projects/{id}/key", post(rotate_key))
        .route("/errors", post(plain_intake))
}

/// The Sentry intake, at the paths Sentry SDKs derive from a DSN
/// (`{scheme}://{key}@{host}/{project_id}` → `/api/{project_id}/envelope/`).
/// Outside `/api/v1`: SDKs send envelopes as `application/x-sentry-envelope`
/// and authenticate with their key, not a session.
pub fn sentry_router() -> Router<AppState> {
    Router::new().route("/api/{project_id}/envelope/", post(envelope)).route("/api/{project_id}/store/", post(store))
}

/// `{"error_projects": [...]}`
#[derive(Serialize)]
struct ProjectsBody {
    error_projects: Vec<ErrorProject>,
}

/// `{"error_project": ...}`
#[derive(Serialize)]
struct ProjectBody {
    error_project: ErrorProject,
}

/// `{"error_project": ..., "key": "...", "dsn": "..."}`: the key shown once.
#[derive(Serialize)]
struct CreatedBody {
    error_project: ErrorProject,
    key: String,
    dsn: String,
}

impl From<CreatedErrorProject> for CreatedBody {
    fn from(created: CreatedErrorProject) -> Self {
        CreatedBody { error_project: created.project, key: created.key, dsn: created.dsn }
    }
}

/// `{"id": "<event id>"}`, as Sentry answers; `null` for an envelope without event or id.
#[derive(Serialize)]
struct EventIdBody {
    id: Option<String>,
}

async fn list_projects(request: ApiCaller) -> Result<Json<ProjectsBody>, ApiError> {
    let error_projects = projects::list_projects(&request.context.pool, &request.caller).await?;
    Ok(Json(ProjectsBody { error_projects }))
}

async fn create_project(
    request: ApiCaller,
    Json(input): Json<ErrorProjectInput>,
) -> Result<(StatusCode, Json<CreatedBody>), ApiError> {
    let context = &request.context;
    let created = projects::create_project(&context.pool, &context.settings, &request.caller, &input).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

async fn update_project(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<ErrorProjectInput>,
) -> Result<Json<ProjectBody>, ApiError> {
    let error_project = projects::update_project(&request.context.pool, &request.caller, id, &input).await?;
    Ok(Json(ProjectBody { error_project }))
}

async fn rotate_key(request: ApiCaller, Path(id): Path<i64>) -> Result<Json<CreatedBody>, ApiError> {
    let context = &request.context;
    let created = projects::rotate_key(&context.pool, &context.settings, &request.caller, id).await?;
    Ok(Json(created.into()))
}

/// `POST /api/v1/errors` with `X-Guichet-Key: <key>` and a [`PlainError`].
async fn plain_intake(
    State(context): State<ServerContext>,
    headers: HeaderMap,
    Json(error): Json<PlainError>,
) -> Result<Json<EventIdBody>, ApiError> {
    let key = headers.get("x-guichet-key").and_then(|value| value.to_str().ok());
    let id = intake::receive(&context, None, key, IntakeBody::Plain(&error)).await?;
    Ok(Json(EventIdBody { id }))
}

async fn envelope(
    State(context): State<ServerContext>,
    Path(project_id): Path<i64>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<EventIdBody>, ApiError> {
    sentry_intake(&context, project_id, query, &headers, body, BodyKind::Envelope).await
}

async fn store(
    State(context): State<ServerContext>,
    Path(project_id): Path<i64>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<EventIdBody>, ApiError> {
    sentry_intake(&context, project_id, query, &headers, body, BodyKind::Store).await
}

/// Reads at most [`intake::MAX_COMPRESSED`] bytes of `body` (413 beyond,
/// before reading further) and hands them to [`intake::receive`].
async fn sentry_intake(
    context: &ServerContext,
    project_id: i64,
    query: Option<String>,
    headers: &HeaderMap,
    body: Body,
    kind: BodyKind,
) -> Result<Json<EventIdBody>, ApiError> {
    let too_large = || ApiError(AppError::PayloadTooLarge { message: app::t!(error_intake.too_large).into() });
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > intake::MAX_COMPRESSED) {
        return Err(too_large());
    }
    let auth = headers.get("x-sentry-auth").and_then(|value| value.to_str().ok());
    let key = intake::sentry_key(auth, query.as_deref());
    let bytes = axum::body::to_bytes(body, intake::MAX_COMPRESSED).await.map_err(|_| too_large())?;
    let content_encoding = headers.get(header::CONTENT_ENCODING).and_then(|value| value.to_str().ok());
    let id = intake::receive(
        context,
        Some(project_id),
        key.as_deref(),
        IntakeBody::Sentry { kind, body: &bytes, content_encoding },
    )
    .await?;
    Ok(Json(EventIdBody { id }))
}
