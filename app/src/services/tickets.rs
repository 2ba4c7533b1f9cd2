//! Tickets: creation with per-queue numbering, the conversation, status
//! rules, assignment, escalation, history, lists and search.

use crate::domain::{
    Assignment, DiscordIdentity, Escalation, LimitReached, Message, MessageKind, NewMessage, NewTicket, Priority, Role,
    Status, StatusChange, Ticket, TicketChange, TicketDetail, TicketEdit, TicketEvent, TicketSource, User,
    UserReference, escalation::EscalationRule, reference,
};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, events, ratings, service_levels, text, transaction};
use crate::t;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};

/// Longest subject, in characters.
pub const SUBJECT_MAX: usize = 200;
/// Longest description or message body, in characters.
pub const BODY_MAX: usize = 20_000;
/// Largest metadata object, in bytes of JSON: 16 KiB.
pub const METADATA_MAX_BYTES: usize = 16 * 1024;
/// A requester may reopen a resolved or closed ticket for this many days (from the seeds).
pub const REOPEN_DAYS: i64 = 14;
/// Longest queue or category slug, or ticket key, looked up (characters):
/// longer ones name nothing, and are refused before reaching the database.
const SLUG_MAX: usize = 64;
/// Longest escalation reason, in characters.
pub const REASON_MAX: usize = 1_000;

/// The columns of [`TicketRow`], joined from queues, categories and users,
/// for the lists built at run time (`services::ticket_lists`); the same
/// statement, checked at compile time, is [`select_ticket!`]'s.
pub(crate) const TICKET_SELECT: &str =
    "select t.id, q.prefix, q.slug as queue, t.number, c.slug as category, t.priority, t.status,
        t.subject, t.description, t.metadata, t.source, t.requester_id, r.username::text as requester_username,
        t.assignee_id, a.username::text as assignee_username, t.created_at, t.updated_at,
        t.first_response_at, t.resolved_at, t.closed_at
    from tickets t
    join queues q on q.id = t.queue_id
    join categories c on c.id = t.category_id
    join users r on r.id = t.requester_id
    left join users a on a.id = t.assignee_id";

/// `sqlx::query_as!` of a [`TicketRow`]: [`TICKET_SELECT`] followed by
/// `$condition` (a string literal, e.g. `" where t.id = $1"`) and its
/// arguments.
macro_rules! select_ticket {
    ($condition:tt, $($argument:expr),* $(,)?) => {
        sqlx::query_as!(
            TicketRow,
            r#"select t.id, q.prefix, q.slug as queue, t.number, c.slug as category,
                t.priority as "priority: Priority", t.status as "status: Status", t.subject, t.description,
                t.metadata, t.source as "source: TicketSource", t.requester_id,
                r.username::text as "requester_username!", t.assignee_id,
                a.username::text as "assignee_username?", t.created_at as "created_at: DateTime<Utc>",
                t.updated_at as "updated_at: DateTime<Utc>", t.first_response_at as "first_response_at: DateTime<Utc>",
                t.resolved_at as "resolved_at: DateTime<Utc>", t.closed_at as "closed_at: DateTime<Utc>"
            from tickets t
            join queues q on q.id = t.queue_id
            join categories c on c.id = t.category_id
            join users r on r.id = t.requester_id
            left join users a on a.id = t.assignee_id"# + $condition,
            $($argument),*
        )
    };
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: i64,
    prefix: String,
    queue: String,
    number: i64,
    category: String,
    priority: Priority,
    status: Status,
    subject: String,
    description: String,
    metadata: Value,
    source: TicketSource,
    requester_id: i64,
    requester_username: String,
    assignee_id: Option<i64>,
    assignee_username: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

impl From<TicketRow> for Ticket {
    fn from(row: TicketRow) -> Self {
        Ticket {
            id: row.id,
            reference: reference(&row.prefix, row.number),
            queue: row.queue,
            number: row.number,
            category: row.category,
            priority: row.priority,
            status: row.status,
            subject: row.subject,
            description: row.description,
            metadata: row.metadata,
            source: row.source,
            requester: UserReference { id: row.requester_id, username: row.requester_username },
            assignee: user_reference(row.assignee_id, row.assignee_username),
            created_at: row.created_at,
            updated_at: row.updated_at,
            first_response_at: row.first_response_at,
            resolved_at: row.resolved_at,
            closed_at: row.closed_at,
        }
    }
}

fn reference_of(user: &User) -> UserReference {
    UserReference { id: user.id, username: user.username.clone() }
}

/// A new ticket's fields once checked: queue and category slugs, priority,
/// subject, description, metadata.
type ValidTicket = (String, String, Priority, String, String, Value);

/// Checks and normalises a new ticket's fields.
fn validate_new_ticket(input: &NewTicket) -> Result<ValidTicket, AppError> {
    let mut fields = FieldErrors::new();
    let subject = text::required(&mut fields, "subject", &input.subject, 1, SUBJECT_MAX);
    let description = text::required(&mut fields, "description", &input.description, 1, BODY_MAX);
    let priority = match input.priority.trim() {
        "" => Priority::Medium,
        text => text.parse().unwrap_or_else(|reason| {
            fields.insert("priority".into(), reason);
            Priority::Medium
        }),
    };
    for (field, slug) in [("queue", &input.queue), ("category", &input.category)] {
        if let Some(reason) = text::problem(slug, SLUG_MAX) {
            fields.insert(field.into(), reason);
        } else if slug.trim().is_empty() {
            fields.insert(field.into(), t!(field.required).into());
        }
    }
    let metadata = match &input.metadata {
        None | Some(Value::Null) => json!({}),
        Some(value @ Value::Object(_)) => {
            let json = value.to_string();
            if json.len() > METADATA_MAX_BYTES {
                fields.insert("metadata".into(), t!(field.metadata_too_large).into());
            } else if let Value::Object(entries) = value {
                // Every string, at any depth, through the one text check (a
                // NUL cannot even be stored in jsonb): a bad key is reported
                // on `metadata`, a bad value on its top-level key.
                for (key, entry) in entries {
                    if let Some(reason) = text::problem(key, METADATA_MAX_BYTES) {
                        fields.insert("metadata".into(), reason);
                    } else if let Some(reason) = metadata_problem(entry) {
                        fields.insert(key.clone(), reason);
                    }
                }
            }
            value.clone()
        }
        Some(_) => {
            fields.insert("metadata".into(), t!(field.json_object).into());
            json!({})
        }
    };
    AppError::check(fields)?;
    Ok((input.queue.trim().to_string(), input.category.trim().to_string(), priority, subject, description, metadata))
}

/// Why [`text::problem`] refuses a string of metadata `value` (object keys
/// included, at any depth), or `None`.
fn metadata_problem(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => text::problem(text, METADATA_MAX_BYTES),
        Value::Array(items) => items.iter().find_map(metadata_problem),
        Value::Object(entries) => entries
            .iter()
            .find_map(|(key, entry)| text::problem(key, METADATA_MAX_BYTES).or_else(|| metadata_problem(entry))),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// Opens a ticket for the caller, who becomes its requester; `source` says
/// which channel it came through (web form, API...).
///
/// The queue's next number is taken with `UPDATE ... RETURNING` in the same
/// transaction as the insert, so concurrent creations get distinct,
/// consecutive numbers; that row lock also makes the open-ticket limit exact.
/// Writes a `created` event and removes the caller's `new_ticket` draft.
///
/// Errors: 401; 422 for bad fields, an unknown or inactive queue or
/// category, or a category the queue does not offer; 409 when the queue's open-ticket limit is reached, naming the
/// open ticket.
#[tracing::instrument(skip_all)]
pub async fn create_ticket(
    pool: &PgPool,
    caller: &Caller,
    input: &NewTicket,
    source: TicketSource,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let ticket = validate_new_ticket(input)?;
    let ticket =
        transaction::run(pool, |transaction| Box::pin(insert_ticket(transaction, user, &ticket, source))).await?;
    tracing::info!(ticket = %ticket.reference, "ticket created");
    Ok(ticket)
}

/// [`create_ticket`]'s body, run in its transaction by [`transaction::run`].
async fn insert_ticket(
    transaction: &mut PgConnection,
    user: &User,
    ticket: &ValidTicket,
    source: TicketSource,
) -> Result<Ticket, AppError> {
    let (queue, category, priority, subject, description, metadata) = ticket;
    let priority = *priority;
    // Whether the queue offers the category is read with it, before the
    // queue's row is locked below (creations in one queue wait on that lock).
    let category_row = sqlx::query!(
        r#"select c.id, exists (select 1 from queue_categories qc join queues q on q.id = qc.queue_id
                where q.slug = $2 and qc.category_id = c.id) as "offered!"
         from categories c where c.slug = $1 and c.active"#,
        category,
        queue,
    )
    .fetch_optional(&mut *transaction)
    .await?;
    let category_id = category_row.as_ref().map(|row| row.id);
    let offered = category_row.is_some_and(|row| row.offered);
    let allocated = sqlx::query!(
        r#"update queues set next_number = next_number + 1 where slug = $1 and active
         returning id, name, next_number - 1 as "number!""#,
        queue,
    )
    .fetch_optional(&mut *transaction)
    .await?;
    let (category_id, allocated) = match (category_id, allocated) {
        (Some(category_id), Some(allocated)) => (category_id, allocated),
        (category_id, allocated) => {
            let mut fields = FieldErrors::new();
            if category_id.is_none() {
                fields.insert("category".into(), t!(field.category_unavailable).into());
            }
            if allocated.is_none() {
                fields.insert("queue".into(), t!(field.queue_unavailable).into());
            }
            return Err(AppError::Validation { message: t!(errors.validation).into(), fields, record: None });
        }
    };
    let (queue_id, number) = (allocated.id, allocated.number);
    if !offered {
        return Err(AppError::field("category", t!(field.category_not_in_queue, queue = allocated.name)));
    }
    check_open_ticket_limit(transaction, user.id, queue_id, "queue").await?;
    let id = sqlx::query_scalar!(
        "insert into tickets (queue_id, number, requester_id, category_id, priority, subject, description, metadata, source)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        queue_id,
        number,
        user.id,
        category_id,
        priority as Priority,
        subject,
        description,
        metadata,
        source as TicketSource,
    )
    .fetch_one(&mut *transaction)
    .await?;
    events::record(transaction, id, Some(user.id), &TicketChange::Created { status: Status::Open, priority }).await?;
    sqlx::query!("delete from drafts where user_id = $1 and form = 'new_ticket'", user.id)
        .execute(&mut *transaction)
        .await?;
    load_ticket(transaction, id).await
}

/// A ticket the system opens for a requester, without their action (issue
/// 16: an error group past its project's threshold): filed in `queue_id`
/// under the queue's default category (else the first it offers), with
/// the next number of the queue, whether the queue is active or not, and
/// outside its open-ticket limit (the requester did not ask for it).
pub(crate) struct SystemTicket<'ticket> {
    pub queue_id: i64,
    pub requester_id: i64,
    pub priority: Priority,
    /// 1–200 characters.
    pub subject: &'ticket str,
    /// 1–20,000 characters.
    pub description: &'ticket str,
    /// A JSON object.
    pub metadata: serde_json::Value,
    pub source: TicketSource,
}

/// Opens `ticket` on `transaction` and records its `created` event with
/// the system as actor (so its notifications and live announcement follow,
/// see [`events::record`]). Returns the ticket's id.
///
/// Errors: 500 when the queue offers no category or the database fails.
pub(crate) async fn open_for_system(
    transaction: &mut PgConnection,
    ticket: &SystemTicket<'_>,
) -> Result<i64, AppError> {
    let category_id = sqlx::query_scalar!(
        "select c.id from queue_categories qc join categories c on c.id = qc.category_id join queues q on q.id = qc.queue_id
         where qc.queue_id = $1 order by (c.id = q.default_category_id) desc, c.active desc, c.position, c.id limit 1",
        ticket.queue_id,
    )
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or_else(AppError::internal)?;
    let number = sqlx::query_scalar!(
        r#"update queues set next_number = next_number + 1 where id = $1 returning next_number - 1 as "number!""#,
        ticket.queue_id,
    )
    .fetch_one(&mut *transaction)
    .await?;
    let id = sqlx::query_scalar!(
        "insert into tickets (queue_id, number, requester_id, category_id, priority, subject, description, metadata, source)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        ticket.queue_id,
        number,
        ticket.requester_id,
        category_id,
        ticket.priority as Priority,
        ticket.subject,
        ticket.description,
        ticket.metadata,
        ticket.source as TicketSource,
    )
    .fetch_one(&mut *transaction)
    .await?;
    let created = TicketChange::Created { status: Status::Open, priority: ticket.priority };
    events::record(transaction, id, None, &created).await?;
    Ok(id)
}

/// Whether queue `queue_id` offers category `category_id` (issue 14: each
/// queue has its own categories); a ticket is filed only under one its
/// queue offers, refused otherwise with `category_not_in_queue`.
async fn category_offered(connection: &mut PgConnection, queue_id: i64, category_id: i64) -> Result<bool, AppError> {
    let offered = sqlx::query_scalar!(
        r#"select exists (select 1 from queue_categories where queue_id = $1 and category_id = $2) as "offered!""#,
        queue_id,
        category_id,
    )
    .fetch_one(&mut *connection)
    .await?;
    Ok(offered)
}

/// Refuses when the requester already has as many open (not resolved or
/// closed) tickets in the queue as its `open_ticket_limit` allows (from the
/// seeds: one recruitment ticket at a time). Locks the queue row so that
/// concurrent creations and reopenings count exactly.
///
/// Errors: 409 naming the open tickets, with the reason under `field`.
async fn check_open_ticket_limit(
    connection: &mut PgConnection,
    requester_id: i64,
    queue_id: i64,
    field: &str,
) -> Result<(), AppError> {
    let queue = sqlx::query!("select open_ticket_limit from queues where id = $1 for update", queue_id)
        .fetch_one(&mut *connection)
        .await?;
    if queue.open_ticket_limit.is_none() {
        return Ok(());
    }
    let Some(reached) = limits_reached(connection, requester_id, Some(queue_id)).await?.pop() else {
        return Ok(());
    };
    let references = reached.references.join(", ");
    let mut fields = FieldErrors::new();
    fields.insert(field.into(), t!(field.open_ticket_here, references = references.clone()));
    Err(AppError::Conflict {
        message: t!(
            errors.open_ticket_limit,
            count = reached.limit,
            queue = reached.queue_name,
            references = references
        ),
        fields,
        record: None,
    })
}

/// The queues where the caller may open no ticket now, in queue order, for
/// the new-ticket form to say so as soon as the queue is chosen (the
/// creation itself checks again, under the queue's lock).
///
/// Errors: 401 when not logged in.
pub async fn open_ticket_limits_reached(pool: &PgPool, caller: &Caller) -> Result<Vec<LimitReached>, AppError> {
    let user = caller.user()?;
    let mut connection = pool.acquire().await?;
    limits_reached(&mut connection, user.id, None).await
}

/// The one count behind the open-ticket limit: the queues (all, or
/// `queue_id`) where `requester_id` has as many open tickets as the
/// queue's `open_ticket_limit`, in queue id order.
async fn limits_reached(
    connection: &mut PgConnection,
    requester_id: i64,
    queue_id: Option<i64>,
) -> Result<Vec<LimitReached>, AppError> {
    let rows = sqlx::query!(
        r#"select q.id as queue_id, q.slug, q.name, q.open_ticket_limit as "open_ticket_limit!", q.prefix, t.number
           from tickets t join queues q on q.id = t.queue_id
           where t.requester_id = $1 and ($2::bigint is null or t.queue_id = $2)
             and q.open_ticket_limit is not null and t.status not in ('resolved', 'closed')
           order by q.id, t.id"#,
        requester_id,
        queue_id,
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut queues: Vec<(i64, LimitReached)> = Vec::new();
    for row in rows {
        if queues.last().is_none_or(|(id, _)| *id != row.queue_id) {
            let queue = LimitReached {
                queue: row.slug,
                queue_name: row.name,
                limit: row.open_ticket_limit,
                references: vec![],
            };
            queues.push((row.queue_id, queue));
        }
        if let Some((_, queue)) = queues.last_mut() {
            queue.references.push(reference(&row.prefix, row.number));
        }
    }
    Ok(queues
        .into_iter()
        .map(|(_, queue)| queue)
        .filter(|queue| queue.references.len() as i64 >= i64::from(queue.limit))
        .collect())
}

pub(crate) async fn load_ticket(connection: &mut PgConnection, id: i64) -> Result<Ticket, AppError> {
    let row = select_ticket!(" where t.id = $1", id).fetch_one(connection).await?;
    Ok(row.into())
}

/// Finds the ticket named by `key` (numeric id or reference like `SUP-0042`,
/// any case) that the caller may see, locking it `FOR UPDATE` when `lock`.
/// Requesters see only their own tickets: anyone else's is "not found".
///
/// Errors: 401; 404.
pub(crate) async fn visible_ticket(
    connection: &mut PgConnection,
    caller: &Caller,
    key: &str,
    lock: bool,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let key = key.trim();
    if text::problem(key, SLUG_MAX).is_some() {
        // No reference holds control characters or is that long.
        return Err(AppError::not_found("ticket"));
    }
    let row = if let Ok(id) = key.parse::<i64>() {
        if lock {
            select_ticket!(" where t.id = $1 for update of t", id).fetch_optional(&mut *connection).await?
        } else {
            select_ticket!(" where t.id = $1", id).fetch_optional(&mut *connection).await?
        }
    } else if let Some((prefix, number)) =
        key.split_once('-').and_then(|(prefix, number)| Some((prefix, number.parse::<i64>().ok()?)))
    {
        if lock {
            select_ticket!(" where q.prefix = upper($1) and t.number = $2 for update of t", prefix, number)
                .fetch_optional(&mut *connection)
                .await?
        } else {
            select_ticket!(" where q.prefix = upper($1) and t.number = $2", prefix, number)
                .fetch_optional(&mut *connection)
                .await?
        }
    } else {
        None
    };
    let ticket: Ticket = row.map(Into::into).ok_or_else(|| AppError::not_found("ticket"))?;
    if !user.role.is_staff() && ticket.requester.id != user.id {
        return Err(AppError::not_found("ticket"));
    }
    Ok(ticket)
}

/// The id and requester of the ticket named by `key`, if the caller may see it.
///
/// Errors: 401; 404 for unknown tickets and other requesters' tickets.
pub(crate) async fn visible_ticket_ids(
    connection: &mut PgConnection,
    caller: &Caller,
    key: &str,
) -> Result<(i64, i64), AppError> {
    let ticket = visible_ticket(connection, caller, key, false).await?;
    Ok((ticket.id, ticket.requester.id))
}

/// A ticket with its messages and events as the caller may see them:
/// requesters never get internal notes, nor the events whose
/// [`crate::domain::Audience`] is staff, nor what of an event is for staff
/// ([`TicketChange::as_seen_by`]: an escalation's reason). A stored event whose data no longer
/// reads as a [`TicketChange`] is logged and left out.
///
/// Errors: 401; 404 for unknown tickets and other requesters' tickets.
pub async fn get_ticket(pool: &PgPool, caller: &Caller, key: &str) -> Result<TicketDetail, AppError> {
    let mut connection = pool.acquire().await?;
    let ticket = visible_ticket(&mut connection, caller, key, false).await?;
    let role = caller.user()?.role;
    let staff = role.is_staff();
    let messages = sqlx::query_as!(
        MessageRow,
        r#"select m.id, m.kind as "kind: MessageKind", m.author_id, u.username::text as "author_username?", m.body,
            m.created_at as "created_at: DateTime<Utc>"
         from messages m left join users u on u.id = m.author_id
         where m.ticket_id = $1 and ($2 or m.kind <> 'internal_note') order by m.id"#,
        ticket.id,
        staff,
    )
    .fetch_all(&mut *connection)
    .await?;
    let events = sqlx::query_as!(
        EventRow,
        r#"select e.id, e.action, e.actor_id, u.username::text as "actor_username?", e.data,
            e.created_at as "created_at: DateTime<Utc>"
         from ticket_events e left join users u on u.id = e.actor_id
         where e.ticket_id = $1 and ($2 or e.audience = 'everyone') order by e.id"#,
        ticket.id,
        staff,
    )
    .fetch_all(&mut *connection)
    .await?;
    let requester_discord = if staff {
        sqlx::query_as!(
            DiscordIdentity,
            "select discord_username as username, discord_id as id from users
             where id = $1 and (discord_username is not null or discord_id is not null)",
            ticket.requester.id,
        )
        .fetch_optional(&mut *connection)
        .await?
    } else {
        None
    };
    let events: Vec<TicketEvent> = events
        .into_iter()
        .filter_map(|row| {
            let change = TicketChange::from_stored(&row.action, row.data)
                .inspect_err(|error| tracing::error!(event = row.id, %error, "unreadable ticket event"))
                .ok()?
                .as_seen_by(role);
            Some(TicketEvent {
                id: row.id,
                change,
                actor: user_reference(row.actor_id, row.actor_username),
                created_at: row.created_at,
            })
        })
        .collect();
    let sla = if staff { service_levels::ticket::for_ticket(&mut connection, &ticket, &events).await? } else { None };
    let (rating, can_rate) = ratings::for_ticket(&mut connection, &ticket, caller.user()?.id).await?;
    Ok(TicketDetail {
        rating,
        can_rate,
        requester_discord,
        sla,
        events,
        ticket,
        messages: messages
            .into_iter()
            .map(|row| Message {
                id: row.id,
                kind: row.kind,
                author: user_reference(row.author_id, row.author_username),
                body: row.body,
                created_at: row.created_at,
            })
            .collect(),
    })
}

struct MessageRow {
    id: i64,
    kind: MessageKind,
    author_id: Option<i64>,
    author_username: Option<String>,
    body: String,
    created_at: DateTime<Utc>,
}

struct EventRow {
    id: i64,
    action: String,
    actor_id: Option<i64>,
    actor_username: Option<String>,
    data: Value,
    created_at: DateTime<Utc>,
}

/// A user reference from a nullable id and name (both set, or none).
fn user_reference(id: Option<i64>, username: Option<String>) -> Option<UserReference> {
    id.zip(username).map(|(id, username)| UserReference { id, username })
}

/// Adds a reply or (agents and admins) an internal note.
///
/// Rules (from the seeds): a requester's reply on a `pending` or `resolved`
/// ticket moves it back to `open`; the first reply by an agent or admin
/// stamps `first_response_at`. Writes `replied` / `note_added` (and
/// `status_changed`) events and removes the caller's reply draft.
///
/// Idempotent per submission (issue 14): a message sent again by the same
/// author with the same [`NewMessage::submission`] key returns the message
/// that key created, changing nothing (however long ago it was sent).
///
/// Errors: 401; 404; 403 when a requester writes an internal note; 422 for
/// an empty or too long body, a reply on a closed ticket, or a submission
/// key already used for a message on another ticket.
#[tracing::instrument(skip(pool, caller, message), fields(kind = %message.kind))]
pub async fn add_message(pool: &PgPool, caller: &Caller, key: &str, message: &NewMessage) -> Result<Message, AppError> {
    caller.user()?;
    let kind = message.kind;
    let mut fields = FieldErrors::new();
    let body = text::required(&mut fields, "body", &message.body, 1, BODY_MAX);
    AppError::check(fields)?;
    let submission = message.submission.as_deref();
    transaction::run(pool, |transaction| Box::pin(insert_message(transaction, caller, key, kind, &body, submission)))
        .await
}

/// [`add_message`]'s body (`body` checked), run in its transaction by [`transaction::run`].
async fn insert_message(
    transaction: &mut PgConnection,
    caller: &Caller,
    key: &str,
    kind: MessageKind,
    body: &str,
    submission: Option<&str>,
) -> Result<Message, AppError> {
    let user = caller.user()?;
    let ticket = visible_ticket(transaction, caller, key, true).await?;
    // Sent before: the ticket's row lock (above) orders the same author's
    // concurrent submissions, so the second one finds the first here.
    if let Some(submission) = submission
        && let Some(sent) = sqlx::query!(
            r#"select id, ticket_id, kind as "kind: MessageKind", body, created_at as "created_at: DateTime<Utc>"
             from messages where author_id = $1 and submission_key = $2"#,
            user.id,
            submission,
        )
        .fetch_optional(&mut *transaction)
        .await?
    {
        if sent.ticket_id != ticket.id {
            return Err(AppError::field("submission", t!(field.submission_used)));
        }
        return Ok(Message {
            id: sent.id,
            kind: sent.kind,
            author: Some(reference_of(user)),
            body: sent.body,
            created_at: sent.created_at,
        });
    }
    let staff = user.role.is_staff();
    match kind {
        MessageKind::Reply => {}
        MessageKind::InternalNote if staff => {}
        MessageKind::InternalNote => return Err(AppError::forbidden(t!(errors.notes_staff_only))),
        MessageKind::System => return Err(AppError::field("kind", t!(field.message_kind))),
    }
    if kind == MessageKind::Reply && ticket.status == Status::Closed {
        return Err(AppError::field("body", t!(field.ticket_closed)));
    }
    let inserted = sqlx::query!(
        r#"insert into messages (ticket_id, author_id, kind, body, submission_key) values ($1, $2, $3, $4, $5)
         returning id, created_at as "created_at: DateTime<Utc>""#,
        ticket.id,
        user.id,
        kind as MessageKind,
        body,
        submission,
    )
    .fetch_one(&mut *transaction)
    .await?;
    let (id, created_at) = (inserted.id, inserted.created_at);
    let change = if kind == MessageKind::Reply {
        TicketChange::Replied { message_id: id }
    } else {
        TicketChange::NoteAdded { message_id: id }
    };
    events::record(transaction, ticket.id, Some(user.id), &change).await?;
    let requester_reply = kind == MessageKind::Reply && ticket.requester.id == user.id;
    let reopens = requester_reply && matches!(ticket.status, Status::Pending | Status::Resolved);
    if reopens {
        let (from, to, reason) = (ticket.status, Status::Open, Some("requester replied".to_string()));
        let change = if ticket.status == Status::Resolved {
            TicketChange::Reopened { from, to, reason }
        } else {
            TicketChange::StatusChanged { from, to, reason }
        };
        events::record(transaction, ticket.id, Some(user.id), &change).await?;
    }
    let first_response = kind == MessageKind::Reply && staff && ticket.requester.id != user.id;
    sqlx::query!(
        "update tickets set updated_at = now(),
            status = case when $2 then 'open'::ticket_status else status end,
            resolved_at = case when $2 then null else resolved_at end,
            first_response_at = case when $3 and first_response_at is null then now() else first_response_at end
         where id = $1",
        ticket.id,
        reopens,
        first_response,
    )
    .execute(&mut *transaction)
    .await?;
    sqlx::query!("delete from drafts where user_id = $1 and form = $2", user.id, format!("reply:{}", ticket.id))
        .execute(&mut *transaction)
        .await?;
    Ok(Message { id, kind, author: Some(reference_of(user)), body: body.to_string(), created_at })
}

/// Changes a ticket's status.
///
/// Rules (from the seeds): agents may set any status but `closed`; only
/// admins close any ticket; a requester may close their own ticket, and
/// reopen it while it has been resolved or closed for less than
/// [`REOPEN_DAYS`] days and the queue's open-ticket limit allows it.
/// `escalated` is set through [`escalate`], which
/// needs a reason. `resolved` and `closed` stamp their times; reopening
/// clears them. Writes `status_changed` or `reopened`.
///
/// Errors: 401; 404; 403 for a transition the role may not make; 422 for
/// `escalated` or a reopen after the window; 409 for a reopen over the
/// queue's open-ticket limit.
#[tracing::instrument(skip(pool, caller))]
pub async fn change_status(
    pool: &PgPool,
    caller: &Caller,
    key: &str,
    change: &StatusChange,
) -> Result<Ticket, AppError> {
    caller.user()?;
    transaction::run(pool, |transaction| Box::pin(change_status_in(transaction, caller, key, change.status))).await
}

/// [`change_status`]'s body, run in its transaction by [`transaction::run`].
async fn change_status_in(
    transaction: &mut PgConnection,
    caller: &Caller,
    key: &str,
    status: Status,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let ticket = visible_ticket(transaction, caller, key, true).await?;
    let unchanged = ticket.status == status;
    let reopening = ticket.status.is_done() && !status.is_done();
    match user.role {
        Role::Admin => {}
        Role::Agent if status != Status::Closed => {}
        Role::Agent => return Err(AppError::forbidden(t!(errors.close_admin_only))),
        Role::Requester => {
            if status == Status::Closed || unchanged {
                // Own ticket: visible_ticket already refused anyone else's.
            } else if reopening && status == Status::Open {
                let done_at = ticket.closed_at.or(ticket.resolved_at).unwrap_or(ticket.updated_at);
                if Utc::now() - done_at >= Duration::days(REOPEN_DAYS) {
                    return Err(AppError::field("status", t!(field.reopen_too_late, count = REOPEN_DAYS as i32)));
                }
                let queue_id = sqlx::query_scalar!("select queue_id from tickets where id = $1", ticket.id)
                    .fetch_one(&mut *transaction)
                    .await?;
                check_open_ticket_limit(transaction, user.id, queue_id, "status").await?;
            } else {
                return Err(AppError::forbidden(t!(errors.requester_status)));
            }
        }
    }
    // After the role checks, so requesters (who may not escalate) get a 403.
    if unchanged {
        return Ok(ticket);
    }
    if status == Status::Escalated {
        return Err(AppError::field("status", t!(field.escalate_instead)));
    }
    sqlx::query!(
        "update tickets set status = $2, updated_at = now(),
            resolved_at = case when $2::ticket_status = 'resolved' then now() when $3 then null else resolved_at end,
            closed_at = case when $2::ticket_status = 'closed' then now() else null end
         where id = $1",
        ticket.id,
        status as Status,
        reopening,
    )
    .execute(&mut *transaction)
    .await?;
    let (from, to) = (ticket.status, status);
    let change = if reopening {
        TicketChange::Reopened { from, to, reason: None }
    } else {
        TicketChange::StatusChanged { from, to, reason: None }
    };
    events::record(transaction, ticket.id, Some(user.id), &change).await?;
    load_ticket(transaction, ticket.id).await
}

/// Changes priority and/or category (agents and admins). Writes one event per change.
///
/// Errors: 401; 404; 403 for requesters; 422 for an unknown or inactive
/// category, or one the ticket's queue does not offer.
#[tracing::instrument(skip(pool, caller))]
pub async fn update_ticket(pool: &PgPool, caller: &Caller, key: &str, edit: &TicketEdit) -> Result<Ticket, AppError> {
    caller.user()?;
    transaction::run(pool, |transaction| Box::pin(update_ticket_in(transaction, caller, key, edit))).await
}

/// [`update_ticket`]'s body, run in its transaction by [`transaction::run`].
async fn update_ticket_in(
    transaction: &mut PgConnection,
    caller: &Caller,
    key: &str,
    edit: &TicketEdit,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let ticket = visible_ticket(transaction, caller, key, true).await?;
    caller.staff()?;
    let mut fields = FieldErrors::new();
    let priority = edit.priority;
    let category = match edit.category.as_deref() {
        Some(slug) if text::problem(slug, SLUG_MAX).is_some() => {
            fields.insert("category".into(), t!(field.category_unavailable).into());
            None
        }
        Some(slug) => {
            let found = sqlx::query_scalar!("select id from categories where slug = $1 and active", slug)
                .fetch_optional(&mut *transaction)
                .await?;
            match found {
                None => {
                    fields.insert("category".into(), t!(field.category_unavailable).into());
                }
                // Moving a ticket under its current category again changes nothing.
                Some(id) if slug != ticket.category => {
                    let queue = sqlx::query!("select id, name from queues where slug = $1", ticket.queue)
                        .fetch_one(&mut *transaction)
                        .await?;
                    if !category_offered(transaction, queue.id, id).await? {
                        fields.insert("category".into(), t!(field.category_not_in_queue, queue = queue.name));
                    }
                }
                Some(_) => {}
            }
            found.map(|id| (id, slug))
        }
        None => None,
    };
    AppError::check(fields)?;
    if let Some(priority) = priority.filter(|priority| *priority != ticket.priority) {
        sqlx::query!(
            "update tickets set priority = $2, updated_at = now() where id = $1",
            ticket.id,
            priority as Priority
        )
        .execute(&mut *transaction)
        .await?;
        let change = TicketChange::PriorityChanged { from: ticket.priority, to: priority };
        events::record(transaction, ticket.id, Some(user.id), &change).await?;
    }
    if let Some((category_id, slug)) = category.filter(|(_, slug)| *slug != ticket.category) {
        sqlx::query!("update tickets set category_id = $2, updated_at = now() where id = $1", ticket.id, category_id)
            .execute(&mut *transaction)
            .await?;
        let change = TicketChange::CategoryChanged { from: ticket.category.clone(), to: slug.to_string() };
        events::record(transaction, ticket.id, Some(user.id), &change).await?;
    }
    load_ticket(transaction, ticket.id).await
}

/// Assigns a ticket to an agent or admin, or unassigns it (`None`).
///
/// Rules: admins assign anyone who is an agent or admin; an agent may take
/// an unassigned ticket, or give back one assigned to them. Writes
/// `assigned` (with from/to) or `unassigned`.
///
/// Errors: 401; 404; 403 for requesters and for agents beyond their rule;
/// 422 when the assignee is not an agent or admin.
#[tracing::instrument(skip(pool, caller))]
pub async fn assign(pool: &PgPool, caller: &Caller, key: &str, assignment: &Assignment) -> Result<Ticket, AppError> {
    caller.user()?;
    let assignee_id = assignment.assignee_id;
    transaction::run(pool, |transaction| Box::pin(assign_in(transaction, caller, key, assignee_id))).await
}

/// [`assign`]'s body, run in its transaction by [`transaction::run`].
async fn assign_in(
    transaction: &mut PgConnection,
    caller: &Caller,
    key: &str,
    assignee_id: Option<i64>,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let ticket = visible_ticket(transaction, caller, key, true).await?;
    caller.staff()?;
    let current = ticket.assignee.as_ref().map(|assignee| assignee.id);
    if current == assignee_id {
        return Ok(ticket);
    }
    if user.role == Role::Agent {
        let takes_unassigned = current.is_none() && assignee_id == Some(user.id);
        let gives_back = current == Some(user.id) && assignee_id.is_none();
        if !(takes_unassigned || gives_back) {
            return Err(AppError::forbidden(t!(errors.assign_admin_only)));
        }
    }
    let assignee = match assignee_id {
        Some(id) => {
            let found = sqlx::query!(
                r#"select id, username::text as "username!", role as "role: Role" from users where id = $1"#,
                id
            )
            .fetch_optional(&mut *transaction)
            .await?
            .map(|row| (row.id, row.username, row.role));
            match found {
                Some((id, username, role)) if role.is_staff() => Some(UserReference { id, username }),
                _ => return Err(AppError::field("agent_id", t!(field.not_staff))),
            }
        }
        None => None,
    };
    sqlx::query!("update tickets set assignee_id = $2, updated_at = now() where id = $1", ticket.id, assignee_id)
        .execute(&mut *transaction)
        .await?;
    let change = match (assignee, ticket.assignee.clone()) {
        (Some(to), from) => TicketChange::Assigned { from, to },
        (None, Some(from)) => TicketChange::Unassigned { from },
        // `current == assignee_id` returned above: unassigning needs an assignee.
        (None, None) => return Err(AppError::internal()),
    };
    events::record(transaction, ticket.id, Some(user.id), &change).await?;
    load_ticket(transaction, ticket.id).await
}

/// Escalates a ticket (agents and admins) with a required reason: status
/// becomes `escalated` and an `escalated` event keeps the reason.
///
/// Errors: 401; 404; 403 for requesters; 422 for a missing or too long
/// reason, or a closed ticket.
#[tracing::instrument(skip(pool, caller, escalation))]
pub async fn escalate(pool: &PgPool, caller: &Caller, key: &str, escalation: &Escalation) -> Result<Ticket, AppError> {
    caller.user()?;
    let mut fields = FieldErrors::new();
    let reason = text::required(&mut fields, "reason", &escalation.reason, 1, REASON_MAX);
    transaction::run(pool, |transaction| Box::pin(escalate_in(transaction, caller, key, &reason, &fields))).await
}

/// [`escalate`]'s body (`fields`: the reason's errors, answered after the
/// ticket's 404 and 403), run in its transaction by [`transaction::run`].
async fn escalate_in(
    transaction: &mut PgConnection,
    caller: &Caller,
    key: &str,
    reason: &str,
    fields: &FieldErrors,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let ticket = visible_ticket(transaction, caller, key, true).await?;
    caller.staff()?;
    AppError::check(fields.clone())?;
    record_escalation(transaction, &ticket, Some(user.id), reason, None).await?;
    load_ticket(transaction, ticket.id).await
}

/// Escalates ticket `ticket_id` as the system, for automatic `rule` (issue
/// 15, item 3, from the AfrikMode seed), with `reason` (the rule's words,
/// in the desk's language): the same change as a person's [`escalate`]
/// ([`record_escalation`]: status `escalated`, an `escalated` event, its
/// notifications), with no actor and the rule in the event's data. Run by
/// `services::escalation` in the transaction that claimed the ticket
/// (locked `FOR UPDATE`); returns the event's id, or `None` (nothing
/// written) when the ticket is already escalated (never twice in a row)
/// or closed (as for a person).
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn escalate_automatically(
    transaction: &mut PgConnection,
    ticket_id: i64,
    rule: EscalationRule,
    reason: &str,
) -> Result<Option<i64>, AppError> {
    // Usually locked by the claim already; a caller that did not claim (a
    // rating) gets the lock here, as a person's escalation does.
    sqlx::query_scalar!("select id from tickets where id = $1 for update", ticket_id)
        .fetch_one(&mut *transaction)
        .await?;
    let ticket = load_ticket(transaction, ticket_id).await?;
    if matches!(ticket.status, Status::Escalated | Status::Closed) {
        return Ok(None);
    }
    record_escalation(transaction, &ticket, None, reason, Some(rule)).await.map(Some)
}

/// The one escalation, a person's ([`escalate`]) or a rule's
/// ([`escalate_automatically`]): `ticket` (locked by the caller's
/// transaction) becomes `escalated`, and an `escalated` event by `actor_id`
/// (`None`: the system) keeps its former status, `reason` and `rule`;
/// recording it notifies the admins. Returns the event's id.
///
/// Errors: 422 for a closed ticket; [`AppError::Internal`] when the database fails.
async fn record_escalation(
    transaction: &mut PgConnection,
    ticket: &Ticket,
    actor_id: Option<i64>,
    reason: &str,
    rule: Option<EscalationRule>,
) -> Result<i64, AppError> {
    if ticket.status == Status::Closed {
        return Err(AppError::field("reason", t!(field.escalate_closed)));
    }
    sqlx::query!("update tickets set status = 'escalated', updated_at = now() where id = $1", ticket.id)
        .execute(&mut *transaction)
        .await?;
    let change = TicketChange::Escalated { from: Some(ticket.status), reason: reason.to_string(), rule };
    events::record(transaction, ticket.id, actor_id, &change).await
}
