//! Error projects (issue 16, item 1): admins create, edit and list them and
//! rotate their keys (`GET/POST/PUT /api/v1/error-projects`). A key is 32
//! hex digits drawn from the OS; only its SHA-256 is stored, so it is shown
//! once, inside the Sentry DSN answered at creation and at rotation.

use crate::domain::errors::{CreatedErrorProject, ErrorProject};
use crate::domain::{Priority, UserReference};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, Settings, text, transaction};
use crate::t;
use chrono::{DateTime, Utc};
use sha2::Digest;
use sqlx::{PgConnection, PgPool};

/// An error project as an admin creates or edits it
/// (`POST`/`PUT /api/v1/error-projects`); missing fields take the issue's
/// defaults.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ErrorProjectInput {
    /// 1–100 characters, unique.
    pub name: String,
    /// The username of the client whose application it is (any role).
    pub requester: String,
    /// The slug of an active queue.
    pub queue: String,
    /// 1–1000 (default 3).
    pub threshold_count: i32,
    /// 1–10080 minutes (default 60).
    pub threshold_window_minutes: i32,
    /// 1–720 hours (default 24).
    pub watch_hours: i32,
    /// Default `high`.
    pub priority: Priority,
    /// Default true.
    pub active: bool,
}

impl Default for ErrorProjectInput {
    fn default() -> Self {
        ErrorProjectInput {
            name: String::new(),
            requester: String::new(),
            queue: String::new(),
            threshold_count: 3,
            threshold_window_minutes: 60,
            watch_hours: 24,
            priority: Priority::High,
            active: true,
        }
    }
}

/// The SHA-256 digest of a DSN key, as `error_projects.key_digest` stores it.
pub fn key_digest(key: &str) -> Vec<u8> {
    sha2::Sha256::digest(key.as_bytes()).to_vec()
}

/// A new key: 16 random bytes from the OS in lower-case hex (32 digits, the
/// shape of a Sentry public key).
fn new_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The Sentry DSN of project `id` with `key`: `public_url` with the key as
/// its user name and the project id as the last path segment, e.g.
/// `http://<key>@help.example.com/7` (a path of the public URL is kept
/// before the id, as Sentry's DSNs allow).
///
/// Errors: 500 when the public URL cannot be read (the configuration checks it at start).
pub fn dsn(public_url: &str, key: &str, id: i64) -> Result<String, AppError> {
    let url = url::Url::parse(public_url).map_err(|error| AppError::internal_because("GUICHET_PUBLIC_URL", error))?;
    let host = url.host_str().ok_or_else(AppError::internal)?;
    let port = url.port().map(|port| format!(":{port}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    Ok(format!("{}://{key}@{host}{port}{path}/{id}", url.scheme()))
}

/// Reads and checks `input`; returns the ids of its requester and queue.
///
/// Errors: 422 with `name`, `requester`, `queue`, `threshold_count`,
/// `threshold_window_minutes` or `watch_hours`.
async fn validate(connection: &mut PgConnection, input: &ErrorProjectInput) -> Result<(String, i64, i64), AppError> {
    let mut fields = FieldErrors::new();
    let name = text::required(&mut fields, "name", &input.name, 1, 100);
    let requester = text::required(&mut fields, "requester", &input.requester, 1, 100);
    let queue = text::required(&mut fields, "queue", &input.queue, 1, 100);
    for (field, value, low, high) in [
        ("threshold_count", input.threshold_count, 1, 1000),
        ("threshold_window_minutes", input.threshold_window_minutes, 1, 10_080),
        ("watch_hours", input.watch_hours, 1, 720),
    ] {
        if !(low..=high).contains(&value) {
            fields.insert(field.into(), t!(field.number_between, min = low, max = high));
        }
    }
    let requester_id = if fields.contains_key("requester") {
        None
    } else {
        sqlx::query_scalar!("select id from users where username = $1", requester)
            .fetch_optional(&mut *connection)
            .await?
    };
    if requester_id.is_none() && !fields.contains_key("requester") {
        fields.insert("requester".into(), t!(field.unknown_user).into());
    }
    let queue_id = if fields.contains_key("queue") {
        None
    } else {
        sqlx::query_scalar!("select id from queues where slug = $1 and active", queue)
            .fetch_optional(&mut *connection)
            .await?
    };
    if queue_id.is_none() && !fields.contains_key("queue") {
        fields.insert("queue".into(), t!(field.unknown_queue).into());
    }
    AppError::check(fields)?;
    match (requester_id, queue_id) {
        (Some(requester_id), Some(queue_id)) => Ok((name, requester_id, queue_id)),
        _ => Err(AppError::internal()),
    }
}

fn name_taken(error: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(database_error) = &error
        && database_error.constraint() == Some("error_projects_name_key")
    {
        return AppError::conflict_field("name", t!(field.already_used));
    }
    error.into()
}

/// An `error_projects` row with its requester's name and queue's slug.
struct ProjectRow {
    id: i64,
    name: String,
    requester_id: i64,
    requester_username: String,
    queue: String,
    threshold_count: i32,
    threshold_window_minutes: i32,
    watch_hours: i32,
    priority: Priority,
    active: bool,
    key_rotated_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

impl From<ProjectRow> for ErrorProject {
    fn from(row: ProjectRow) -> Self {
        ErrorProject {
            id: row.id,
            name: row.name,
            requester: UserReference { id: row.requester_id, username: row.requester_username },
            queue: row.queue,
            threshold_count: row.threshold_count,
            threshold_window_minutes: row.threshold_window_minutes,
            watch_hours: row.watch_hours,
            priority: row.priority,
            active: row.active,
            key_rotated_at: row.key_rotated_at,
            created_at: row.created_at,
        }
    }
}

/// The projects with id `id`, or every project when `id` is `None`, by id.
async fn load_projects(connection: &mut PgConnection, id: Option<i64>) -> Result<Vec<ErrorProject>, AppError> {
    let rows = sqlx::query_as!(
        ProjectRow,
        r#"select p.id, p.name, p.requester_id, u.username::text as "requester_username!", q.slug as queue,
            p.threshold_count, p.threshold_window_minutes, p.watch_hours, p.priority as "priority: Priority",
            p.active, p.key_rotated_at as "key_rotated_at: DateTime<Utc>", p.created_at as "created_at: DateTime<Utc>"
         from error_projects p join users u on u.id = p.requester_id join queues q on q.id = p.queue_id
         where p.id = $1 or $1 is null order by p.id"#,
        id,
    )
    .fetch_all(&mut *connection)
    .await?;
    Ok(rows.into_iter().map(ErrorProject::from).collect())
}

/// One project as [`ErrorProject`] shows it.
///
/// Errors: 404 when there is none with this id.
async fn load_project(connection: &mut PgConnection, id: i64) -> Result<ErrorProject, AppError> {
    load_projects(connection, Some(id)).await?.pop().ok_or_else(|| AppError::not_found("error project"))
}

/// Every error project, by id (admins).
///
/// Errors: 401/403.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn list_projects(pool: &PgPool, caller: &Caller) -> Result<Vec<ErrorProject>, AppError> {
    caller.admin()?;
    let mut connection = pool.acquire().await?;
    load_projects(&mut connection, None).await
}

/// Creates an error project (admins) with a new key; answers the key and
/// its DSN (see [`dsn`]), which are not shown again.
///
/// Errors: 401/403; 422 bad fields (see [`ErrorProjectInput`]); 409 `name` taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn create_project(
    pool: &PgPool,
    settings: &Settings,
    caller: &Caller,
    input: &ErrorProjectInput,
) -> Result<CreatedErrorProject, AppError> {
    caller.admin()?;
    let key = new_key();
    let digest = key_digest(&key);
    let project = transaction::run(pool, |transaction| {
        let digest = &digest;
        Box::pin(async move {
            let (name, requester_id, queue_id) = validate(transaction, input).await?;
            let id = sqlx::query_scalar!(
                "insert into error_projects (name, requester_id, queue_id, threshold_count, threshold_window_minutes,
                    watch_hours, priority, active, key_digest)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
                name,
                requester_id,
                queue_id,
                input.threshold_count,
                input.threshold_window_minutes,
                input.watch_hours,
                input.priority as Priority,
                input.active,
                digest,
            )
            .fetch_one(&mut **transaction)
            .await
            .map_err(name_taken)?;
            load_project(transaction, id).await
        })
    })
    .await?;
    let dsn = dsn(&settings.public_url, &key, project.id)?;
    Ok(CreatedErrorProject { project, key, dsn })
}

/// Changes an error project's fields (admins); its key stays.
///
/// Errors: 401/403; 404; 422; 409 `name` taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn update_project(
    pool: &PgPool,
    caller: &Caller,
    id: i64,
    input: &ErrorProjectInput,
) -> Result<ErrorProject, AppError> {
    caller.admin()?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let (name, requester_id, queue_id) = validate(transaction, input).await?;
            let updated = sqlx::query!(
                "update error_projects set name = $2, requester_id = $3, queue_id = $4, threshold_count = $5,
                    threshold_window_minutes = $6, watch_hours = $7, priority = $8, active = $9, updated_at = now()
                 where id = $1",
                id,
                name,
                requester_id,
                queue_id,
                input.threshold_count,
                input.threshold_window_minutes,
                input.watch_hours,
                input.priority as Priority,
                input.active,
            )
            .execute(&mut **transaction)
            .await
            .map_err(name_taken)?;
            if updated.rows_affected() == 0 {
                return Err(AppError::not_found("error project"));
            }
            load_project(transaction, id).await
        })
    })
    .await
}

/// Gives error project `id` a new key (admins): the old one stops at once
/// (the next event sent with it is refused). Answers the new key and DSN.
///
/// Errors: 401/403; 404.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn rotate_key(
    pool: &PgPool,
    settings: &Settings,
    caller: &Caller,
    id: i64,
) -> Result<CreatedErrorProject, AppError> {
    caller.admin()?;
    let key = new_key();
    let digest = key_digest(&key);
    let project = transaction::run(pool, |transaction| {
        let digest = &digest;
        Box::pin(async move {
            let updated = sqlx::query!(
                "update error_projects set key_digest = $2, key_rotated_at = now(), updated_at = now() where id = $1",
                id,
                digest,
            )
            .execute(&mut **transaction)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(AppError::not_found("error project"));
            }
            load_project(transaction, id).await
        })
    })
    .await?;
    let dsn = dsn(&settings.public_url, &key, project.id)?;
    Ok(CreatedErrorProject { project, key, dsn })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dsn_carries_the_key_the_host_and_the_project_id() {
        let key = "0123456789abcdef0123456789abcdef";
        assert_eq!(dsn("http://127.0.0.1:3000", key, 7).unwrap(), format!("http://{key}@127.0.0.1:3000/7"));
        assert_eq!(dsn("https://help.example.com/", key, 12).unwrap(), format!("https://{key}@help.example.com/12"));
        assert_eq!(dsn("https://example.com/desk", key, 3).unwrap(), format!("https://{key}@example.com/desk/3"));
        assert_eq!(new_key().len(), 32);
        assert_ne!(new_key(), new_key());
    }
}
