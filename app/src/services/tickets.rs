//! Tickets: creation with per-queue numbering, the conversation, status
//! rules, assignment, escalation, history, lists and search.

use crate::domain::{
    Message, MessageKind, NewTicket, Priority, Role, Status, Ticket, TicketDetail, TicketEvent, TicketSource, User,
    UserReference, reference,
};
use crate::error::{AppError, FieldErrors};
use crate::services::Caller;
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
/// Longest escalation reason, in characters.
pub const REASON_MAX: usize = 1_000;

/// The columns of [`TicketRow`], joined from queues, categories and users.
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

/// Checks and normalises a new ticket's fields.
fn validate_new_ticket(input: &NewTicket) -> Result<(String, String, Priority, String, String, Value), AppError> {
    let mut fields = FieldErrors::new();
    let subject = input.subject.trim().to_string();
    let description = input.description.trim().to_string();
    check_text(&mut fields, "subject", &subject, SUBJECT_MAX);
    check_text(&mut fields, "description", &description, BODY_MAX);
    let priority = match input.priority.trim() {
        "" => Priority::Medium,
        text => text.parse().unwrap_or_else(|reason| {
            fields.insert("priority".into(), reason);
            Priority::Medium
        }),
    };
    if input.queue.trim().is_empty() {
        fields.insert("queue".into(), "is required".into());
    }
    if input.category.trim().is_empty() {
        fields.insert("category".into(), "is required".into());
    }
    let metadata = match &input.metadata {
        None | Some(Value::Null) => json!({}),
        Some(value @ Value::Object(_)) => {
            if value.to_string().len() > METADATA_MAX_BYTES {
                fields.insert("metadata".into(), "must be at most 16 KiB of JSON".into());
            }
            value.clone()
        }
        Some(_) => {
            fields.insert("metadata".into(), "must be a JSON object".into());
            json!({})
        }
    };
    AppError::check(fields)?;
    Ok((input.queue.trim().to_string(), input.category.trim().to_string(), priority, subject, description, metadata))
}

fn check_text(fields: &mut FieldErrors, name: &str, value: &str, max: usize) {
    let length = value.chars().count();
    if length == 0 {
        fields.insert(name.into(), "is required".into());
    } else if length > max {
        fields.insert(name.into(), format!("must be at most {max} characters long"));
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
/// category; 409 when the queue's open-ticket limit is reached, naming the
/// open ticket.
#[tracing::instrument(skip_all)]
pub async fn create_ticket(
    pool: &PgPool,
    caller: &Caller,
    input: &NewTicket,
    source: TicketSource,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let (queue, category, priority, subject, description, metadata) = validate_new_ticket(input)?;
    let mut transaction = pool.begin().await?;
    let category_id: Option<i64> = sqlx::query_scalar("select id from categories where slug = $1 and active")
        .bind(&category)
        .fetch_optional(&mut *transaction)
        .await?;
    let Some(category_id) = category_id else {
        return Err(AppError::field("category", "is not an available category"));
    };
    let allocated: Option<(i64, i64)> = sqlx::query_as(
        "update queues set next_number = next_number + 1 where slug = $1 and active returning id, next_number - 1",
    )
    .bind(&queue)
    .fetch_optional(&mut *transaction)
    .await?;
    let Some((queue_id, number)) = allocated else {
        return Err(AppError::field("queue", "is not an available queue"));
    };
    check_open_ticket_limit(&mut transaction, user.id, queue_id, "queue").await?;
    let id: i64 = sqlx::query_scalar(
        "insert into tickets (queue_id, number, requester_id, category_id, priority, subject, description, metadata, source)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(queue_id)
    .bind(number)
    .bind(user.id)
    .bind(category_id)
    .bind(priority)
    .bind(&subject)
    .bind(&description)
    .bind(&metadata)
    .bind(source)
    .fetch_one(&mut *transaction)
    .await?;
    record_event(&mut transaction, id, Some(user.id), "created", json!({"status": "open", "priority": priority}))
        .await?;
    sqlx::query("delete from drafts where user_id = $1 and form = 'new_ticket'")
        .bind(user.id)
        .execute(&mut *transaction)
        .await?;
    let ticket = load_ticket(&mut transaction, id).await?;
    transaction.commit().await?;
    tracing::info!(ticket = %ticket.reference, "ticket created");
    Ok(ticket)
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
    let (limit, queue_name): (Option<i32>, String) =
        sqlx::query_as("select open_ticket_limit, name from queues where id = $1 for update")
            .bind(queue_id)
            .fetch_one(&mut *connection)
            .await?;
    let Some(limit) = limit else { return Ok(()) };
    let open: Vec<(String, i64)> = sqlx::query_as(
        "select q.prefix, t.number from tickets t join queues q on q.id = t.queue_id
         where t.requester_id = $1 and t.queue_id = $2 and t.status not in ('resolved', 'closed')
         order by t.id",
    )
    .bind(requester_id)
    .bind(queue_id)
    .fetch_all(&mut *connection)
    .await?;
    if (open.len() as i64) < i64::from(limit) {
        return Ok(());
    }
    let references: Vec<String> = open.iter().map(|(prefix, number)| reference(prefix, *number)).collect();
    let mut fields = FieldErrors::new();
    fields.insert(field.into(), format!("you already have an open ticket here: {}", references.join(", ")));
    Err(AppError::Conflict {
        message: format!(
            "{queue_name} allows {limit} open ticket{} at a time and you already have {}. Follow up there, or wait until it is resolved.",
            if limit == 1 { "" } else { "s" },
            references.join(", ")
        ),
        fields,
    })
}

/// Appends one line to a ticket's history and the notification that
/// announces it to live streams once the transaction commits, and writes the
/// emails, inbox lines and Discord messages it causes (in the same
/// transaction, see `notifications::on_event`); returns its id.
async fn record_event(
    connection: &mut PgConnection,
    ticket_id: i64,
    actor_id: Option<i64>,
    action: &str,
    data: Value,
) -> Result<i64, AppError> {
    let id = sqlx::query_scalar(
        "insert into ticket_events (ticket_id, actor_id, action, data) values ($1, $2, $3, $4) returning id",
    )
    .bind(ticket_id)
    .bind(actor_id)
    .bind(action)
    .bind(&data)
    .fetch_one(&mut *connection)
    .await?;
    crate::services::live::notify_event(&mut *connection, id).await?;
    crate::services::notifications::on_event(connection, id, ticket_id, actor_id, action, &data).await?;
    Ok(id)
}

/// Reads the changed ticket back inside the transaction, then commits it.
async fn commit_and_reload(
    mut transaction: sqlx::Transaction<'_, sqlx::Postgres>,
    id: i64,
) -> Result<Ticket, AppError> {
    let ticket = load_ticket(&mut transaction, id).await?;
    transaction.commit().await?;
    Ok(ticket)
}

async fn load_ticket(connection: &mut PgConnection, id: i64) -> Result<Ticket, AppError> {
    let row: TicketRow =
        sqlx::query_as(&format!("{TICKET_SELECT} where t.id = $1")).bind(id).fetch_one(connection).await?;
    Ok(row.into())
}

/// Finds the ticket named by `key` (numeric id or reference like `SUP-0042`,
/// any case) that the caller may see, locking it `FOR UPDATE` when `lock`.
/// Requesters see only their own tickets: anyone else's is "not found".
///
/// Errors: 401; 404.
async fn visible_ticket(
    connection: &mut PgConnection,
    caller: &Caller,
    key: &str,
    lock: bool,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let key = key.trim();
    let lock_clause = if lock { " for update of t" } else { "" };
    let row: Option<TicketRow> = if let Ok(id) = key.parse::<i64>() {
        sqlx::query_as(&format!("{TICKET_SELECT} where t.id = $1{lock_clause}"))
            .bind(id)
            .fetch_optional(&mut *connection)
            .await?
    } else if let Some((prefix, number)) =
        key.split_once('-').and_then(|(prefix, number)| Some((prefix, number.parse::<i64>().ok()?)))
    {
        sqlx::query_as(&format!("{TICKET_SELECT} where q.prefix = upper($1) and t.number = $2{lock_clause}"))
            .bind(prefix)
            .bind(number)
            .fetch_optional(&mut *connection)
            .await?
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
/// requesters never get internal notes (nor the events that announce them).
///
/// Errors: 401; 404 for unknown tickets and other requesters' tickets.
pub async fn get_ticket(pool: &PgPool, caller: &Caller, key: &str) -> Result<TicketDetail, AppError> {
    let mut connection = pool.acquire().await?;
    let ticket = visible_ticket(&mut connection, caller, key, false).await?;
    let staff = caller.user()?.role.is_staff();
    let messages: Vec<MessageRow> = sqlx::query_as(
        "select m.id, m.kind, m.author_id, u.username::text as author_username, m.body, m.created_at
         from messages m left join users u on u.id = m.author_id
         where m.ticket_id = $1 and ($2 or m.kind <> 'internal_note') order by m.id",
    )
    .bind(ticket.id)
    .bind(staff)
    .fetch_all(&mut *connection)
    .await?;
    let events: Vec<EventRow> = sqlx::query_as(
        "select e.id, e.action, e.actor_id, u.username::text as actor_username, e.data, e.created_at
         from ticket_events e left join users u on u.id = e.actor_id
         where e.ticket_id = $1 and ($2 or e.action <> 'note_added') order by e.id",
    )
    .bind(ticket.id)
    .bind(staff)
    .fetch_all(&mut *connection)
    .await?;
    Ok(TicketDetail {
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
        events: events
            .into_iter()
            .map(|row| TicketEvent {
                id: row.id,
                action: row.action,
                actor: user_reference(row.actor_id, row.actor_username),
                data: row.data,
                created_at: row.created_at,
            })
            .collect(),
    })
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    kind: MessageKind,
    author_id: Option<i64>,
    author_username: Option<String>,
    body: String,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
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
/// Errors: 401; 404; 403 when a requester writes an internal note; 422 for
/// an empty or too long body, or a reply on a closed ticket.
#[tracing::instrument(skip(pool, caller, body))]
pub async fn add_message(
    pool: &PgPool,
    caller: &Caller,
    key: &str,
    body: &str,
    kind: MessageKind,
) -> Result<Message, AppError> {
    let user = caller.user()?;
    let body = body.trim();
    let mut fields = FieldErrors::new();
    check_text(&mut fields, "body", body, BODY_MAX);
    AppError::check(fields)?;
    let mut transaction = pool.begin().await?;
    let ticket = visible_ticket(&mut transaction, caller, key, true).await?;
    let staff = user.role.is_staff();
    match kind {
        MessageKind::Reply => {}
        MessageKind::InternalNote if staff => {}
        MessageKind::InternalNote => return Err(AppError::forbidden("Only agents and admins write internal notes.")),
        MessageKind::System => return Err(AppError::field("kind", "must be reply or internal_note")),
    }
    if kind == MessageKind::Reply && ticket.status == Status::Closed {
        return Err(AppError::field("body", "this ticket is closed; reopen it to reply"));
    }
    let (id, created_at): (i64, DateTime<Utc>) = sqlx::query_as(
        "insert into messages (ticket_id, author_id, kind, body) values ($1, $2, $3, $4) returning id, created_at",
    )
    .bind(ticket.id)
    .bind(user.id)
    .bind(kind)
    .bind(body)
    .fetch_one(&mut *transaction)
    .await?;
    let action = if kind == MessageKind::Reply { "replied" } else { "note_added" };
    record_event(&mut transaction, ticket.id, Some(user.id), action, json!({"message_id": id})).await?;
    let requester_reply = kind == MessageKind::Reply && ticket.requester.id == user.id;
    let reopens = requester_reply && matches!(ticket.status, Status::Pending | Status::Resolved);
    if reopens {
        let action = if ticket.status == Status::Resolved { "reopened" } else { "status_changed" };
        record_event(
            &mut transaction,
            ticket.id,
            Some(user.id),
            action,
            json!({"from": ticket.status, "to": Status::Open, "reason": "requester replied"}),
        )
        .await?;
    }
    let first_response = kind == MessageKind::Reply && staff && ticket.requester.id != user.id;
    sqlx::query(
        "update tickets set updated_at = now(),
            status = case when $2 then 'open'::ticket_status else status end,
            resolved_at = case when $2 then null else resolved_at end,
            first_response_at = case when $3 and first_response_at is null then now() else first_response_at end
         where id = $1",
    )
    .bind(ticket.id)
    .bind(reopens)
    .bind(first_response)
    .execute(&mut *transaction)
    .await?;
    sqlx::query("delete from drafts where user_id = $1 and form = $2")
        .bind(user.id)
        .bind(format!("reply:{}", ticket.id))
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await?;
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
pub async fn change_status(pool: &PgPool, caller: &Caller, key: &str, status: Status) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let mut transaction = pool.begin().await?;
    let ticket = visible_ticket(&mut transaction, caller, key, true).await?;
    let unchanged = ticket.status == status;
    let reopening = ticket.status.is_done() && !status.is_done();
    match user.role {
        Role::Admin => {}
        Role::Agent if status != Status::Closed => {}
        Role::Agent => return Err(AppError::forbidden("Only admins close tickets.")),
        Role::Requester => {
            if status == Status::Closed || unchanged {
                // Own ticket: visible_ticket already refused anyone else's.
            } else if reopening && status == Status::Open {
                let done_at = ticket.closed_at.or(ticket.resolved_at).unwrap_or(ticket.updated_at);
                if Utc::now() - done_at >= Duration::days(REOPEN_DAYS) {
                    return Err(AppError::field(
                        "status",
                        format!("this ticket was closed more than {REOPEN_DAYS} days ago; open a new one"),
                    ));
                }
                let queue_id: i64 = sqlx::query_scalar("select queue_id from tickets where id = $1")
                    .bind(ticket.id)
                    .fetch_one(&mut *transaction)
                    .await?;
                check_open_ticket_limit(&mut transaction, user.id, queue_id, "status").await?;
            } else {
                return Err(AppError::forbidden("You can close your ticket or reopen it; agents handle the rest."));
            }
        }
    }
    // After the role checks, so requesters (who may not escalate) get a 403.
    if unchanged {
        transaction.commit().await?;
        return Ok(ticket);
    }
    if status == Status::Escalated {
        return Err(AppError::field("status", "escalate the ticket with a reason instead"));
    }
    sqlx::query(
        "update tickets set status = $2, updated_at = now(),
            resolved_at = case when $2 = 'resolved' then now() when $3 then null else resolved_at end,
            closed_at = case when $2 = 'closed' then now() else null end
         where id = $1",
    )
    .bind(ticket.id)
    .bind(status)
    .bind(reopening)
    .execute(&mut *transaction)
    .await?;
    let action = if reopening { "reopened" } else { "status_changed" };
    record_event(&mut transaction, ticket.id, Some(user.id), action, json!({"from": ticket.status, "to": status}))
        .await?;
    commit_and_reload(transaction, ticket.id).await
}

/// Changes priority and/or category (agents and admins). Writes one event per change.
///
/// Errors: 401; 404; 403 for requesters; 422 for unknown values.
pub async fn update_ticket(
    pool: &PgPool,
    caller: &Caller,
    key: &str,
    priority: Option<&str>,
    category: Option<&str>,
) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let mut transaction = pool.begin().await?;
    let ticket = visible_ticket(&mut transaction, caller, key, true).await?;
    caller.staff()?;
    let mut fields = FieldErrors::new();
    let priority = priority
        .filter(|text| !text.is_empty())
        .and_then(|text| text.parse::<Priority>().map_err(|reason| fields.insert("priority".into(), reason)).ok());
    let category = match category.filter(|text| !text.is_empty()) {
        Some(slug) => {
            let found: Option<i64> = sqlx::query_scalar("select id from categories where slug = $1 and active")
                .bind(slug)
                .fetch_optional(&mut *transaction)
                .await?;
            if found.is_none() {
                fields.insert("category".into(), "is not an available category".into());
            }
            found.map(|id| (id, slug))
        }
        None => None,
    };
    AppError::check(fields)?;
    if let Some(priority) = priority.filter(|priority| *priority != ticket.priority) {
        sqlx::query("update tickets set priority = $2, updated_at = now() where id = $1")
            .bind(ticket.id)
            .bind(priority)
            .execute(&mut *transaction)
            .await?;
        record_event(
            &mut transaction,
            ticket.id,
            Some(user.id),
            "priority_changed",
            json!({"from": ticket.priority, "to": priority}),
        )
        .await?;
    }
    if let Some((category_id, slug)) = category.filter(|(_, slug)| *slug != ticket.category) {
        sqlx::query("update tickets set category_id = $2, updated_at = now() where id = $1")
            .bind(ticket.id)
            .bind(category_id)
            .execute(&mut *transaction)
            .await?;
        record_event(
            &mut transaction,
            ticket.id,
            Some(user.id),
            "category_changed",
            json!({"from": ticket.category, "to": slug}),
        )
        .await?;
    }
    commit_and_reload(transaction, ticket.id).await
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
pub async fn assign(pool: &PgPool, caller: &Caller, key: &str, assignee_id: Option<i64>) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let mut transaction = pool.begin().await?;
    let ticket = visible_ticket(&mut transaction, caller, key, true).await?;
    caller.staff()?;
    let current = ticket.assignee.as_ref().map(|assignee| assignee.id);
    if current == assignee_id {
        transaction.commit().await?;
        return Ok(ticket);
    }
    if user.role == Role::Agent {
        let takes_unassigned = current.is_none() && assignee_id == Some(user.id);
        let gives_back = current == Some(user.id) && assignee_id.is_none();
        if !(takes_unassigned || gives_back) {
            return Err(AppError::forbidden("Agents can take unassigned tickets; only admins assign others."));
        }
    }
    let assignee = match assignee_id {
        Some(id) => {
            let found: Option<(i64, String, Role)> =
                sqlx::query_as("select id, username::text, role from users where id = $1")
                    .bind(id)
                    .fetch_optional(&mut *transaction)
                    .await?;
            match found {
                Some((id, username, role)) if role.is_staff() => Some(UserReference { id, username }),
                _ => return Err(AppError::field("agent_id", "must be an agent or admin")),
            }
        }
        None => None,
    };
    sqlx::query("update tickets set assignee_id = $2, updated_at = now() where id = $1")
        .bind(ticket.id)
        .bind(assignee_id)
        .execute(&mut *transaction)
        .await?;
    let (action, data) = match &assignee {
        Some(assignee) => ("assigned", json!({"from": ticket.assignee, "to": assignee})),
        None => ("unassigned", json!({"from": ticket.assignee})),
    };
    record_event(&mut transaction, ticket.id, Some(user.id), action, data).await?;
    commit_and_reload(transaction, ticket.id).await
}

/// Escalates a ticket (agents and admins) with a required reason: status
/// becomes `escalated` and an `escalated` event keeps the reason.
///
/// Errors: 401; 404; 403 for requesters; 422 for a missing or too long
/// reason, or a closed ticket.
#[tracing::instrument(skip(pool, caller, reason))]
pub async fn escalate(pool: &PgPool, caller: &Caller, key: &str, reason: &str) -> Result<Ticket, AppError> {
    let user = caller.user()?;
    let reason = reason.trim();
    let mut fields = FieldErrors::new();
    check_text(&mut fields, "reason", reason, REASON_MAX);
    let mut transaction = pool.begin().await?;
    let ticket = visible_ticket(&mut transaction, caller, key, true).await?;
    caller.staff()?;
    AppError::check(fields)?;
    if ticket.status == Status::Closed {
        return Err(AppError::field("reason", "a closed ticket cannot be escalated; reopen it first"));
    }
    sqlx::query("update tickets set status = 'escalated', updated_at = now() where id = $1")
        .bind(ticket.id)
        .execute(&mut *transaction)
        .await?;
    record_event(
        &mut transaction,
        ticket.id,
        Some(user.id),
        "escalated",
        json!({"from": ticket.status, "reason": reason}),
    )
    .await?;
    commit_and_reload(transaction, ticket.id).await
}
