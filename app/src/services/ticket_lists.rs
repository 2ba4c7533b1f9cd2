//! Ticket lists, full-text search and status counts, all served
//! by indexes: keyset pagination (never OFFSET), counters kept by trigger
//! (never a COUNT over the whole table per page view).

use crate::domain::{Priority, Status, StatusCount, Ticket, TicketPage, TicketQuery};
use crate::error::{AppError, FieldErrors};
use crate::services::Caller;
use crate::services::tickets::{TICKET_SELECT, TicketRow};
use crate::t;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

/// Default and largest page sizes of ticket lists.
pub const PAGE_DEFAULT: i64 = 50;
pub const PAGE_MAX: i64 = 100;
/// A search sorted by relevance ranks the newest this-many matching tickets
/// (after the other filters), so its cost stays flat however many tickets
/// match: a frequent word matches a fifth of a million-ticket desk, and
/// ranking all of them took seconds. Older matches are listed by the other
/// sorts (`newest`, `oldest`...).
pub const RELEVANCE_WINDOW: i64 = 1_000;

/// The orders a list can be sorted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Priority,
    Updated,
    Relevance,
}

/// Where the previous page stopped, decoded from `next_cursor`.
#[derive(Debug, Clone, PartialEq)]
enum Cursor {
    Id(i64),
    Updated(DateTime<Utc>, i64),
    Priority(Priority, i64),
    Relevance(f32, i64),
}

impl Cursor {
    fn encode(&self) -> String {
        match self {
            Cursor::Id(id) => id.to_string(),
            Cursor::Updated(at, id) => format!("{}_{id}", at.timestamp_micros()),
            Cursor::Priority(priority, id) => format!("{priority}_{id}"),
            Cursor::Relevance(rank, id) => format!("{rank}_{id}"),
        }
    }

    fn decode(sort: Sort, text: &str) -> Option<Cursor> {
        let split = || text.split_once('_').and_then(|(key, id)| Some((key, id.parse::<i64>().ok()?)));
        match sort {
            Sort::Newest | Sort::Oldest => text.parse().ok().map(Cursor::Id),
            Sort::Updated => {
                let (micros, id) = split()?;
                Some(Cursor::Updated(DateTime::from_timestamp_micros(micros.parse().ok()?)?, id))
            }
            Sort::Priority => {
                let (priority, id) = split()?;
                Some(Cursor::Priority(priority.parse().ok()?, id))
            }
            Sort::Relevance => {
                let (rank, id) = split()?;
                Some(Cursor::Relevance(rank.parse().ok()?, id))
            }
        }
    }
}

/// Turns what a user typed into a `to_tsquery` expression over the
/// `guichet_search` configuration: words joined with `&`, the last one a
/// prefix (`:*`). Only letters and digits are kept, so the expression is
/// always valid. `None` when nothing searchable remains.
pub fn search_expression(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect();
    let (last, rest) = words.split_last()?;
    let mut terms: Vec<String> = rest.to_vec();
    terms.push(format!("{last}:*"));
    Some(terms.join(" & "))
}

/// A validated [`TicketQuery`].
struct Filters {
    statuses: Vec<Status>,
    priority: Option<Priority>,
    category_id: Option<i64>,
    queue_id: Option<i64>,
    assignee: Option<Option<i64>>,
    search: Option<String>,
    sort: Sort,
    cursor: Option<Cursor>,
    limit: i64,
}

async fn parse_query(pool: &PgPool, caller: &Caller, query: &TicketQuery) -> Result<Filters, AppError> {
    let user = caller.user()?;
    let mut fields = FieldErrors::new();
    // Every filter is text from the query string: bounded and free of
    // control characters before any of it reaches the database.
    for (field, value) in [
        ("priority", &query.priority),
        ("category", &query.category),
        ("queue", &query.queue),
        ("assignee", &query.assignee),
        ("q", &query.q),
        ("sort", &query.sort),
        ("cursor", &query.cursor),
    ] {
        if let Some(reason) = value.as_deref().and_then(|value| crate::services::text::problem(value, 500)) {
            fields.insert(field.into(), reason);
        }
    }
    for value in &query.status {
        if let Some(reason) = crate::services::text::problem(value, 40) {
            fields.insert("status".into(), reason);
        }
    }
    AppError::check(std::mem::take(&mut fields))?;
    let mut statuses = Vec::new();
    for text in query.status.iter().filter(|text| !text.is_empty()) {
        match text.parse::<Status>() {
            Ok(status) => statuses.push(status),
            Err(reason) => {
                fields.insert("status".into(), reason);
            }
        }
    }
    let present =
        |value: &Option<String>| value.as_deref().map(str::trim).filter(|text| !text.is_empty()).map(String::from);
    let priority = present(&query.priority)
        .and_then(|text| text.parse::<Priority>().map_err(|reason| fields.insert("priority".into(), reason)).ok());
    let category_id = match present(&query.category) {
        Some(slug) => {
            let id =
                sqlx::query_scalar!("select id from categories where slug = $1", slug).fetch_optional(pool).await?;
            if id.is_none() {
                fields.insert("category".into(), t!(field.unknown_category).into());
            }
            id
        }
        None => None,
    };
    let queue_id = match present(&query.queue) {
        Some(slug) => {
            let id = sqlx::query_scalar!("select id from queues where slug = $1", slug).fetch_optional(pool).await?;
            if id.is_none() {
                fields.insert("queue".into(), t!(field.unknown_queue).into());
            }
            id
        }
        None => None,
    };
    let assignee = match present(&query.assignee) {
        None => None,
        Some(_) if !user.role.is_staff() => {
            fields.insert("assignee".into(), t!(field.assignee_filter).into());
            None
        }
        Some(text) => match text.as_str() {
            "me" => Some(Some(user.id)),
            "none" => Some(None),
            other => match other.parse::<i64>() {
                Ok(id) => Some(Some(id)),
                Err(_) => {
                    fields.insert("assignee".into(), t!(field.assignee_value).into());
                    None
                }
            },
        },
    };
    let search = present(&query.q).and_then(|text| search_expression(&text));
    let sort = match present(&query.sort).as_deref() {
        None if search.is_some() => Sort::Relevance,
        None | Some("newest") => Sort::Newest,
        Some("oldest") => Sort::Oldest,
        Some("priority") => Sort::Priority,
        Some("updated") => Sort::Updated,
        Some("relevance") if search.is_some() => Sort::Relevance,
        Some(_) => {
            fields.insert("sort".into(), t!(field.sort).into());
            Sort::Newest
        }
    };
    let cursor = match present(&query.cursor) {
        Some(text) => {
            let cursor = Cursor::decode(sort, &text);
            if cursor.is_none() {
                fields.insert("cursor".into(), t!(field.cursor).into());
            }
            cursor
        }
        None => None,
    };
    let limit = query.limit.unwrap_or(PAGE_DEFAULT);
    if !(1..=PAGE_MAX).contains(&limit) {
        fields.insert("limit".into(), t!(field.page_limit, max = PAGE_MAX));
    }
    AppError::check(fields)?;
    Ok(Filters { statuses, priority, category_id, queue_id, assignee, search, sort, cursor, limit })
}

/// Builds the list statement; shared with the index test (`EXPLAIN`).
fn list_statement<'a>(prefix: &str, requester_id: Option<i64>, filters: &'a Filters) -> QueryBuilder<'a, Postgres> {
    let mut builder = QueryBuilder::<Postgres>::new(format!("{prefix}{TICKET_SELECT}"));
    builder.push(" where true");
    // Relevance ranks the newest matches only (see RELEVANCE_WINDOW): the
    // filters go inside the window, which PostgreSQL fills by walking the
    // primary key backwards for frequent words and from the GIN index for rare ones.
    let window = filters.sort == Sort::Relevance && filters.search.is_some();
    if window {
        builder.push(" and t.id in (select t.id from tickets t where true");
    }
    if let Some(id) = requester_id {
        builder.push(" and t.requester_id = ").push_bind(id);
    }
    match filters.statuses.as_slice() {
        [] => {}
        // Plain equality for one status, so an index led by status also gives the order.
        [status] => {
            builder.push(" and t.status = ").push_bind(*status);
        }
        statuses => {
            builder.push(" and t.status = any(").push_bind(statuses.to_vec()).push(")");
        }
    }
    if let Some(priority) = filters.priority {
        builder.push(" and t.priority = ").push_bind(priority);
    }
    if let Some(id) = filters.category_id {
        builder.push(" and t.category_id = ").push_bind(id);
    }
    if let Some(id) = filters.queue_id {
        builder.push(" and t.queue_id = ").push_bind(id);
    }
    match filters.assignee {
        Some(Some(id)) => {
            builder.push(" and t.assignee_id = ").push_bind(id);
        }
        Some(None) => {
            builder.push(" and t.assignee_id is null");
        }
        None => {}
    }
    if let Some(search) = &filters.search {
        builder.push(" and t.search @@ to_tsquery('guichet_search', ").push_bind(search.clone()).push(")");
    }
    if window {
        builder.push(" order by t.id desc limit ").push_bind(RELEVANCE_WINDOW).push(")");
    }
    let rank = |builder: &mut QueryBuilder<'a, Postgres>| {
        builder
            .push("ts_rank(t.search, to_tsquery('guichet_search', ")
            .push_bind(filters.search.clone().unwrap_or_default())
            .push("))");
    };
    match &filters.cursor {
        Some(Cursor::Id(id)) if filters.sort == Sort::Oldest => {
            builder.push(" and t.id > ").push_bind(*id);
        }
        Some(Cursor::Id(id)) => {
            builder.push(" and t.id < ").push_bind(*id);
        }
        Some(Cursor::Updated(at, id)) => {
            builder.push(" and (t.updated_at, t.id) < (").push_bind(*at).push(", ").push_bind(*id).push(")");
        }
        Some(Cursor::Priority(priority, id)) => {
            builder.push(" and (t.priority, t.id) < (").push_bind(*priority).push(", ").push_bind(*id).push(")");
        }
        Some(Cursor::Relevance(value, id)) => {
            builder.push(" and (");
            rank(&mut builder);
            builder.push(", t.id) < (").push_bind(*value).push("::real, ").push_bind(*id).push(")");
        }
        None => {}
    }
    match filters.sort {
        Sort::Newest => builder.push(" order by t.id desc"),
        Sort::Oldest => builder.push(" order by t.id asc"),
        Sort::Updated => builder.push(" order by t.updated_at desc, t.id desc"),
        Sort::Priority => builder.push(" order by t.priority desc, t.id desc"),
        Sort::Relevance => {
            builder.push(" order by ");
            rank(&mut builder);
            builder.push(" desc, t.id desc")
        }
    };
    builder.push(" limit ").push_bind(filters.limit + 1);
    builder
}

/// One page of tickets the caller may see (requesters: their own) matching
/// `query`, with the cursor of the next page. Sorted by relevance, a search
/// ranks its newest [`RELEVANCE_WINDOW`] matches.
///
/// Errors: 401; 422 naming each bad filter.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn list_tickets(pool: &PgPool, caller: &Caller, query: &TicketQuery) -> Result<TicketPage, AppError> {
    let user = caller.user()?;
    let filters = parse_query(pool, caller, query).await?;
    let requester_id = (!user.role.is_staff()).then_some(user.id);
    let mut statement = list_statement("", requester_id, &filters);
    let rows: Vec<TicketRow> = statement.build_query_as().fetch_all(pool).await?;
    let mut tickets: Vec<Ticket> = rows.into_iter().map(Into::into).collect();
    let next_cursor = if tickets.len() as i64 > filters.limit {
        tickets.truncate(filters.limit as usize);
        match tickets.last() {
            Some(last) => Some(match filters.sort {
                Sort::Newest | Sort::Oldest => Cursor::Id(last.id),
                Sort::Updated => Cursor::Updated(last.updated_at, last.id),
                Sort::Priority => Cursor::Priority(last.priority, last.id),
                Sort::Relevance => {
                    let rank = sqlx::query_scalar!(
                        r#"select ts_rank(search, to_tsquery('guichet_search', $2)) as "rank!" from tickets where id = $1"#,
                        last.id,
                        filters.search.clone().unwrap_or_default(),
                    )
                    .fetch_one(pool)
                    .await?;
                    Cursor::Relevance(rank, last.id)
                }
            }),
            None => None,
        }
        .map(|cursor| cursor.encode())
    } else {
        None
    };
    Ok(TicketPage { tickets, next_cursor })
}

/// The plan PostgreSQL chooses for a list `query` (`EXPLAIN` text), so a
/// test can check that lists and search use their indexes.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn explain_list(pool: &PgPool, caller: &Caller, query: &TicketQuery) -> Result<String, AppError> {
    let user = caller.user()?;
    let filters = parse_query(pool, caller, query).await?;
    let requester_id = (!user.role.is_staff()).then_some(user.id);
    let mut statement = list_statement("explain ", requester_id, &filters);
    let lines: Vec<String> = statement.build_query_scalar().fetch_all(pool).await?;
    Ok(lines.join("\n"))
}

/// Tickets per status: across all tickets for agents and admins (optionally
/// of one queue, from the trigger-kept counters), over their own tickets
/// for requesters.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), queue))]
pub async fn status_counts(pool: &PgPool, caller: &Caller, queue: Option<&str>) -> Result<Vec<StatusCount>, AppError> {
    let user = caller.user()?;
    let rows: Vec<(Status, i64)> = if user.role.is_staff() {
        sqlx::query!(
            r#"select c.status as "status: Status", sum(c.count)::bigint as "count!" from ticket_counts c
             join queues q on q.id = c.queue_id where ($1::text is null or q.slug = $1) group by c.status"#,
            queue,
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| (row.status, row.count))
        .collect()
    } else {
        sqlx::query!(
            r#"select status as "status: Status", count(*) as "count!" from tickets where requester_id = $1 group by status"#,
            user.id,
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|row| (row.status, row.count))
        .collect()
    };
    Ok(Status::ALL
        .iter()
        .map(|status| StatusCount {
            status: *status,
            count: rows.iter().find(|(found, _)| found == status).map_or(0, |(_, count)| *count),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_expressions_join_words_and_prefix_the_last() {
        assert_eq!(search_expression("Paiement refusé").unwrap(), "paiement & refusé:*");
        assert_eq!(search_expression("  (a|b) & !c ").unwrap(), "a & b & c:*");
        assert_eq!(search_expression("!!! ???"), None);
    }

    #[test]
    fn cursors_round_trip_for_every_sort() {
        let at = DateTime::from_timestamp_micros(1_763_000_000_123_456).unwrap();
        for (sort, cursor) in [
            (Sort::Newest, Cursor::Id(42)),
            (Sort::Updated, Cursor::Updated(at, 42)),
            (Sort::Priority, Cursor::Priority(Priority::High, 42)),
            (Sort::Relevance, Cursor::Relevance(0.060_792_7, 42)),
        ] {
            assert_eq!(Cursor::decode(sort, &cursor.encode()), Some(cursor));
        }
        assert_eq!(Cursor::decode(Sort::Updated, "garbage"), None);
    }
}
