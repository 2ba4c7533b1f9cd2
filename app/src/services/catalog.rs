//! Queues and categories: what tickets are filed under, configured by admins.

use crate::domain::{Category, Queue, TicketOptions, UserReference};
use crate::error::{AppError, FieldErrors};
use crate::services::Caller;
use crate::t;
use sqlx::PgPool;

/// Queues, categories and (for agents and admins) the agents, for forms
/// and filters. Requesters see only active queues and categories.
///
/// Errors: 401.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn ticket_options(pool: &PgPool, caller: &Caller) -> Result<TicketOptions, AppError> {
    let user = caller.user()?;
    let staff = user.role.is_staff();
    let queues = sqlx::query_as!(
        Queue,
        "select id, slug, name, prefix, color, open_ticket_limit, active from queues where active or $1 order by id",
        staff,
    )
    .fetch_all(pool)
    .await?;
    let categories = sqlx::query_as!(
        Category,
        "select id, slug, name, active from categories where active or $1 order by position, id",
        staff,
    )
    .fetch_all(pool)
    .await?;
    let agents = if staff {
        sqlx::query_as!(
            UserReference,
            r#"select id, username::text as "username!" from users where role in ('agent', 'admin') order by username"#,
        )
        .fetch_all(pool)
        .await?
    } else {
        Vec::new()
    };
    Ok(TicketOptions { queues, categories, agents })
}

/// A queue as an admin creates or edits it (missing fields take their
/// defaults, so an edit need not repeat the fixed slug and prefix).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct QueueInput {
    /// Lower-case letters, digits and `_`, 2–40; fixed after creation.
    pub slug: String,
    pub name: String,
    /// 2–8 capital letters; fixed after creation (references use it).
    pub prefix: String,
    /// `#rrggbb`.
    pub color: String,
    /// `None` = unlimited.
    pub open_ticket_limit: Option<i32>,
    pub active: bool,
}

impl Default for QueueInput {
    fn default() -> Self {
        QueueInput {
            slug: String::new(),
            name: String::new(),
            prefix: String::new(),
            color: "#5865f2".into(),
            open_ticket_limit: None,
            active: true,
        }
    }
}

/// Slugs of queues and categories: 2–40 lower-case letters, digits or `_`
/// (the same rule as the `categories_slug` check in the migrations).
fn check_slug(fields: &mut FieldErrors, slug: &str) {
    if !(2..=40).contains(&slug.len())
        || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        fields.insert("slug".into(), t!(field.slug).into());
    }
}

/// Display names of queues and categories: 1–60 characters.
fn check_name(fields: &mut FieldErrors, name: &str) {
    if let Some(reason) = crate::services::text::problem(name, 60) {
        fields.insert("name".into(), reason);
    } else if name.trim().is_empty() {
        fields.insert("name".into(), t!(field.name_length).into());
    }
}

fn validate_queue(input: &QueueInput, creating: bool) -> Result<(), AppError> {
    let mut fields = FieldErrors::new();
    if creating {
        check_slug(&mut fields, &input.slug);
        if !(2..=8).contains(&input.prefix.len()) || !input.prefix.chars().all(|c| c.is_ascii_uppercase()) {
            fields.insert("prefix".into(), t!(field.prefix).into());
        }
    }
    check_name(&mut fields, &input.name);
    let color = input.color.strip_prefix('#').unwrap_or("");
    if color.len() != 6 || !color.chars().all(|c| c.is_ascii_hexdigit()) {
        fields.insert("color".into(), t!(field.colour).into());
    }
    if input.open_ticket_limit.is_some_and(|limit| limit < 1) {
        fields.insert("open_ticket_limit".into(), t!(field.limit_positive).into());
    }
    AppError::check(fields)
}

fn unique_violation(error: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(database_error) = &error {
        match database_error.constraint() {
            Some("queues_slug_key") | Some("categories_slug_key") => {
                return AppError::conflict_field("slug", t!(field.already_used));
            }
            Some("queues_prefix_key") => return AppError::conflict_field("prefix", t!(field.already_used)),
            _ => {}
        }
    }
    error.into()
}

/// Adds a queue (admins). Errors: 401/403; 422 bad fields; 409 slug or prefix taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), slug = input.slug))]
pub async fn create_queue(pool: &PgPool, caller: &Caller, input: &QueueInput) -> Result<Queue, AppError> {
    caller.admin()?;
    validate_queue(input, true)?;
    sqlx::query_as!(
        Queue,
        "insert into queues (slug, name, prefix, color, open_ticket_limit, active) values ($1, $2, $3, $4, $5, $6)
         returning id, slug, name, prefix, color, open_ticket_limit, active",
        input.slug,
        input.name.trim(),
        input.prefix,
        input.color.to_lowercase(),
        input.open_ticket_limit,
        input.active,
    )
    .fetch_one(pool)
    .await
    .map_err(unique_violation)
}

/// Renames, recolours, (de)activates a queue or changes its open-ticket
/// limit (admins); slug and prefix stay. Errors: 401/403; 404; 422.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn update_queue(pool: &PgPool, caller: &Caller, id: i64, input: &QueueInput) -> Result<Queue, AppError> {
    caller.admin()?;
    validate_queue(input, false)?;
    sqlx::query_as!(
        Queue,
        "update queues set name = $2, color = $3, open_ticket_limit = $4, active = $5 where id = $1
         returning id, slug, name, prefix, color, open_ticket_limit, active",
        id,
        input.name.trim(),
        input.color.to_lowercase(),
        input.open_ticket_limit,
        input.active,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found("queue"))
}

/// Adds a category (admins). Errors: 401/403; 422; 409 slug taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), slug))]
pub async fn create_category(pool: &PgPool, caller: &Caller, slug: &str, name: &str) -> Result<Category, AppError> {
    caller.admin()?;
    let mut fields = FieldErrors::new();
    check_slug(&mut fields, slug);
    check_name(&mut fields, name);
    AppError::check(fields)?;
    sqlx::query_as!(
        Category,
        "insert into categories (slug, name, position) values ($1, $2, (select coalesce(max(position), 0) + 1 from categories))
         returning id, slug, name, active",
        slug,
        name.trim(),
    )
    .fetch_one(pool)
    .await
    .map_err(unique_violation)
}

/// Renames or (de)activates a category (admins). Errors: 401/403; 404; 422.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn update_category(
    pool: &PgPool,
    caller: &Caller,
    id: i64,
    name: &str,
    active: bool,
) -> Result<Category, AppError> {
    caller.admin()?;
    let mut fields = FieldErrors::new();
    check_name(&mut fields, name);
    AppError::check(fields)?;
    sqlx::query_as!(
        Category,
        "update categories set name = $2, active = $3 where id = $1 returning id, slug, name, active",
        id,
        name.trim(),
        active,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::not_found("category"))
}

/// Deletes an unused category (admins). A category in use cannot be
/// deleted (the foreign key refuses it), only deactivated.
///
/// Errors: 401/403; 404; 409 when tickets use it.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn delete_category(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    caller.admin()?;
    let result = sqlx::query!("delete from categories where id = $1", id).execute(pool).await;
    match result {
        Ok(done) if done.rows_affected() == 0 => Err(AppError::not_found("category")),
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => {
            Err(AppError::Conflict { message: t!(errors.category_in_use).into(), fields: Default::default() })
        }
        Err(error) => Err(error.into()),
    }
}

/// Every queue and category, active or not, for the admin's catalog page.
///
/// Errors: 401 / 403 unless the caller is an admin.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn catalog_for_admin(pool: &PgPool, caller: &Caller) -> Result<TicketOptions, AppError> {
    caller.admin()?;
    ticket_options(pool, caller).await
}
