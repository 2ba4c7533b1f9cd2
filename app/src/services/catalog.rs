//! Queues and categories: what tickets are filed under, configured by admins.

use crate::domain::{Category, Queue, TicketOptions, UserReference};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, transaction};
use crate::t;
use sqlx::{PgConnection, PgPool};

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
        r#"select q.id, q.slug, q.name, q.prefix, q.color, q.open_ticket_limit, q.active,
            array(select c.slug from queue_categories qc join categories c on c.id = qc.category_id
                  where qc.queue_id = q.id and (c.active or $1) order by c.position, c.id) as "categories!",
            d.slug as "default_category?"
         from queues q left join categories d on d.id = q.default_category_id and (d.active or $1)
         where q.active or $1 order by q.id"#,
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
    if !is_slug(slug) {
        fields.insert("slug".into(), t!(field.slug).into());
    }
}

/// Whether `slug` follows the rule of [`check_slug`].
fn is_slug(slug: &str) -> bool {
    (2..=40).contains(&slug.len()) && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A field error on `field` when one of `slugs` cannot be a slug at all (so
/// no query runs with it: a NUL byte would fail in PostgreSQL).
fn check_slug_list<'slug>(fields: &mut FieldErrors, field: &str, slugs: impl IntoIterator<Item = &'slug str>) {
    if slugs.into_iter().any(|slug| !is_slug(slug)) {
        fields.insert(field.into(), t!(field.slug).into());
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

/// One queue as [`Queue`] shows it, with its categories (active or not)
/// and its default category.
///
/// Errors: 404 when there is no such queue.
async fn load_queue(connection: &mut PgConnection, id: i64) -> Result<Queue, AppError> {
    sqlx::query_as!(
        Queue,
        r#"select q.id, q.slug, q.name, q.prefix, q.color, q.open_ticket_limit, q.active,
            array(select c.slug from queue_categories qc join categories c on c.id = qc.category_id
                  where qc.queue_id = q.id order by c.position, c.id) as "categories!",
            d.slug as "default_category?"
         from queues q left join categories d on d.id = q.default_category_id
         where q.id = $1"#,
        id,
    )
    .fetch_optional(&mut *connection)
    .await?
    .ok_or_else(|| AppError::not_found("queue"))
}

/// Adds a queue (admins). It offers every category, with no default
/// category, until an admin chooses ([`set_queue_categories`]).
///
/// Errors: 401/403; 422 bad fields; 409 slug or prefix taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), slug = input.slug))]
pub async fn create_queue(pool: &PgPool, caller: &Caller, input: &QueueInput) -> Result<Queue, AppError> {
    caller.admin()?;
    validate_queue(input, true)?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let id = sqlx::query_scalar!(
                "insert into queues (slug, name, prefix, color, open_ticket_limit, active) values ($1, $2, $3, $4, $5, $6)
                 returning id",
                input.slug,
                input.name.trim(),
                input.prefix,
                input.color.to_lowercase(),
                input.open_ticket_limit,
                input.active,
            )
            .fetch_one(&mut **transaction)
            .await
            .map_err(unique_violation)?;
            sqlx::query!("insert into queue_categories (queue_id, category_id) select $1, id from categories", id)
                .execute(&mut **transaction)
                .await?;
            load_queue(transaction, id).await
        })
    })
    .await
}

/// Renames, recolours, (de)activates a queue or changes its open-ticket
/// limit (admins); slug and prefix stay, and so do its categories.
///
/// Errors: 401/403; 404; 422.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn update_queue(pool: &PgPool, caller: &Caller, id: i64, input: &QueueInput) -> Result<Queue, AppError> {
    caller.admin()?;
    validate_queue(input, false)?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let updated = sqlx::query!(
                "update queues set name = $2, color = $3, open_ticket_limit = $4, active = $5 where id = $1",
                id,
                input.name.trim(),
                input.color.to_lowercase(),
                input.open_ticket_limit,
                input.active,
            )
            .execute(&mut **transaction)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(AppError::not_found("queue"));
            }
            load_queue(transaction, id).await
        })
    })
    .await
}

/// The categories a queue offers and the one its new-ticket form
/// preselects, as an admin sets them (`PUT /api/v1/queues/{id}/categories`,
/// the catalogue page).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct QueueCategories {
    /// Slugs of the categories offered; at least one.
    pub categories: Vec<String>,
    /// Slug of the preselected category, one of `categories`; `None` or
    /// empty = none.
    pub default_category: Option<String>,
}

/// Sets which categories queue `id` offers and its default category
/// (admins), in one transaction. Tickets already filed under a category
/// the queue stops offering keep it.
///
/// Rules (the only place they live): every slug names a category; at least
/// one is offered; the default, when given, is one of them.
///
/// Errors: 401/403; 404 for an unknown queue; 422 with `categories` (unknown
/// slug, none chosen) or `default_category` (not one of the queue's).
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn set_queue_categories(
    pool: &PgPool,
    caller: &Caller,
    id: i64,
    input: &QueueCategories,
) -> Result<Queue, AppError> {
    caller.admin()?;
    let mut slugs: Vec<String> = input.categories.iter().map(|slug| slug.trim().to_string()).collect();
    slugs.retain(|slug| !slug.is_empty());
    slugs.sort();
    slugs.dedup();
    let default = input.default_category.as_deref().map(str::trim).filter(|slug| !slug.is_empty());
    let mut fields = FieldErrors::new();
    check_slug_list(&mut fields, "categories", slugs.iter().map(String::as_str));
    if default.is_some_and(|slug| !is_slug(slug)) {
        fields.insert("default_category".into(), t!(field.default_not_offered).into());
    }
    AppError::check(fields)?;
    let slugs = &slugs;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let queue = sqlx::query_scalar!("select id from queues where id = $1 for update", id)
                .fetch_optional(&mut **transaction)
                .await?;
            if queue.is_none() {
                return Err(AppError::not_found("queue"));
            }
            let found = sqlx::query!("select id, slug from categories where slug = any($1)", slugs)
                .fetch_all(&mut **transaction)
                .await?;
            let mut fields = FieldErrors::new();
            let unknown: Vec<&str> =
                slugs.iter().filter(|slug| !found.iter().any(|row| row.slug == **slug)).map(String::as_str).collect();
            if !unknown.is_empty() {
                fields.insert("categories".into(), t!(field.unknown_categories, slugs = unknown.join(", ")));
            } else if slugs.is_empty() {
                fields.insert("categories".into(), t!(field.choose_a_category).into());
            }
            let default_id = match default {
                None => None,
                Some(default) => {
                    let offered = found.iter().find(|row| row.slug == default).map(|row| row.id);
                    if offered.is_none() {
                        fields.insert("default_category".into(), t!(field.default_not_offered).into());
                    }
                    offered
                }
            };
            AppError::check(fields)?;
            let ids: Vec<i64> = found.iter().map(|row| row.id).collect();
            sqlx::query!("delete from queue_categories where queue_id = $1 and not (category_id = any($2))", id, &ids)
                .execute(&mut **transaction)
                .await?;
            sqlx::query!(
                "insert into queue_categories (queue_id, category_id) select $1, unnest($2::bigint[])
                 on conflict do nothing",
                id,
                &ids
            )
            .execute(&mut **transaction)
            .await?;
            sqlx::query!("update queues set default_category_id = $2 where id = $1", id, default_id)
                .execute(&mut **transaction)
                .await?;
            load_queue(transaction, id).await
        })
    })
    .await
}

/// Adds a category (admins), offered in the queues named by slug in
/// `queues`, or in every queue when `None` (what API clients that predate
/// per-queue categories get).
///
/// Errors: 401/403; 422 (`slug`, `name`, `queues` naming an unknown queue);
/// 409 slug taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), slug))]
pub async fn create_category(
    pool: &PgPool,
    caller: &Caller,
    slug: &str,
    name: &str,
    queues: Option<&[String]>,
) -> Result<Category, AppError> {
    caller.admin()?;
    let queues: Option<Vec<String>> = queues.map(|queues| queues.iter().map(|slug| slug.trim().to_string()).collect());
    let mut fields = FieldErrors::new();
    check_slug(&mut fields, slug);
    check_name(&mut fields, name);
    check_slug_list(&mut fields, "queues", queues.iter().flatten().map(String::as_str));
    AppError::check(fields)?;
    let queues = &queues;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let queue_ids = match queues {
                None => sqlx::query_scalar!("select id from queues").fetch_all(&mut **transaction).await?,
                Some(slugs) => {
                    let found = sqlx::query!("select id, slug from queues where slug = any($1)", slugs)
                        .fetch_all(&mut **transaction)
                        .await?;
                    let unknown: Vec<&str> = slugs
                        .iter()
                        .filter(|slug| !found.iter().any(|row| row.slug == **slug))
                        .map(String::as_str)
                        .collect();
                    if !unknown.is_empty() {
                        return Err(AppError::field("queues", t!(field.unknown_queues, slugs = unknown.join(", "))));
                    }
                    found.into_iter().map(|row| row.id).collect()
                }
            };
            let category = sqlx::query_as!(
                Category,
                "insert into categories (slug, name, position) values ($1, $2, (select coalesce(max(position), 0) + 1 from categories))
                 returning id, slug, name, active",
                slug,
                name.trim(),
            )
            .fetch_one(&mut **transaction)
            .await
            .map_err(unique_violation)?;
            sqlx::query!(
                "insert into queue_categories (queue_id, category_id) select unnest($1::bigint[]), $2",
                &queue_ids,
                category.id
            )
            .execute(&mut **transaction)
            .await?;
            Ok(category)
        })
    })
    .await
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
            Err(AppError::conflict(t!(errors.category_in_use)))
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
