//! `/api/v1/queues/*` and `/api/v1/categories/*`.

use super::{ApiCaller, ApiError, Json, Path};
use crate::state::AppState;
use app::domain::{Category, Queue};
use app::services::catalog::{self, QueueCategories, QueueInput};
use axum::{
    Router,
    http::StatusCode,
    routing::{get, put},
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queues", get(list_queues).post(create_queue))
        .route("/queues/{id}", put(update_queue))
        .route("/queues/{id}/categories", put(set_queue_categories))
        .route("/categories", get(list_categories).post(create_category))
        .route("/categories/{id}", put(update_category).delete(delete_category))
}

/// `{"queues": [...]}`
#[derive(Serialize)]
struct QueuesBody {
    queues: Vec<Queue>,
}

/// `{"queue": ...}`
#[derive(Serialize)]
struct QueueBody {
    queue: Queue,
}

/// `{"categories": [...]}`
#[derive(Serialize)]
struct CategoriesBody {
    categories: Vec<Category>,
}

/// `{"category": ...}`
#[derive(Serialize)]
struct CategoryBody {
    category: Category,
}

async fn list_queues(request: ApiCaller) -> Result<Json<QueuesBody>, ApiError> {
    let options = catalog::ticket_options(&request.context.pool, &request.caller).await?;
    Ok(Json(QueuesBody { queues: options.queues }))
}

async fn create_queue(
    request: ApiCaller,
    Json(input): Json<QueueInput>,
) -> Result<(StatusCode, Json<QueueBody>), ApiError> {
    let queue = catalog::create_queue(&request.context.pool, &request.caller, &input).await?;
    Ok((StatusCode::CREATED, Json(QueueBody { queue })))
}

async fn update_queue(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<QueueInput>,
) -> Result<Json<QueueBody>, ApiError> {
    let queue = catalog::update_queue(&request.context.pool, &request.caller, id, &input).await?;
    Ok(Json(QueueBody { queue }))
}

/// `PUT /queues/{id}/categories` `{categories: [slug...], default_category: slug | null}`.
async fn set_queue_categories(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<QueueCategories>,
) -> Result<Json<QueueBody>, ApiError> {
    let queue = catalog::set_queue_categories(&request.context.pool, &request.caller, id, &input).await?;
    Ok(Json(QueueBody { queue }))
}

async fn list_categories(request: ApiCaller) -> Result<Json<CategoriesBody>, ApiError> {
    let options = catalog::ticket_options(&request.context.pool, &request.caller).await?;
    Ok(Json(CategoriesBody { categories: options.categories }))
}

/// `{slug, name, queues?}`: `queues` (slugs) absent = offered in every queue.
#[derive(Deserialize)]
struct NewCategory {
    slug: String,
    name: String,
    #[serde(default)]
    queues: Option<Vec<String>>,
}

async fn create_category(
    request: ApiCaller,
    Json(input): Json<NewCategory>,
) -> Result<(StatusCode, Json<CategoryBody>), ApiError> {
    let category = catalog::create_category(
        &request.context.pool,
        &request.caller,
        &input.slug,
        &input.name,
        input.queues.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CategoryBody { category })))
}

#[derive(Deserialize)]
struct CategoryChange {
    name: String,
    active: bool,
}

async fn update_category(
    request: ApiCaller,
    Path(id): Path<i64>,
    Json(input): Json<CategoryChange>,
) -> Result<Json<CategoryBody>, ApiError> {
    let category =
        catalog::update_category(&request.context.pool, &request.caller, id, &input.name, input.active).await?;
    Ok(Json(CategoryBody { category }))
}

async fn delete_category(request: ApiCaller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    catalog::delete_category(&request.context.pool, &request.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
