//! Who hears what: the notification a ticket change causes ([`kind_of`]),
//! its recipients and their preferences, written as inbox and outbox rows
//! ([`fan_out`]).
//!
//! The fan-out costs the change the same whatever the number of recipients:
//! one read of the ticket; for named recipients (the requester, the
//! assignee) one statement for their inbox lines and one for their emails;
//! for everyone with a role (every agent, every admin) one
//! `notification_fan_outs` row, which a delivery worker expands into the
//! same per-recipient rows after the change commits ([`expand_fan_outs`]);
//! one statement for the Discord messages and one wake-up of the workers.

use super::{DiscordPayload, EmailPayload, OUTBOX_CHANNEL, clip};
use crate::domain::service_levels::SlaTarget;
use crate::domain::{NotificationKind, Priority, Role, Status, TicketChange, TicketSource, reference};
use crate::error::AppError;
use crate::i18n::{Language, request::in_language};
use crate::services::transaction;
use crate::t;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// What the notifications of one change need to know of its ticket.
struct EventTicket {
    prefix: String,
    number: i64,
    subject: String,
    description: String,
    priority: Priority,
    queue_id: i64,
    queue_name: String,
    requester_id: i64,
    requester_username: String,
    assignee_id: Option<i64>,
    created_at: DateTime<Utc>,
    source: TicketSource,
    /// The acting user's name, if a user acted.
    actor: Option<String>,
    /// The reply's text, when the change is a public reply.
    reply: Option<String>,
}

/// Who a kind of notification goes to: these users, and everyone with these roles.
struct Recipients {
    ids: Vec<i64>,
    roles: Vec<Role>,
}

/// The kind of notification a change causes, if any. A reply is an agent's
/// or the requester's depending on its author; internal notes, reopenings,
/// priority, category and unassignment cause none (from the seeds' list of
/// emails), nor do ratings (a low one escalates, which notifies). A ticket
/// of `source` `error` is created by an error group past its threshold
/// (issue 16): "error detected" instead of the receipt.
pub fn kind_of(
    change: &TicketChange,
    actor_id: Option<i64>,
    requester_id: i64,
    source: TicketSource,
) -> Option<NotificationKind> {
    match change {
        TicketChange::Created { .. } if source == TicketSource::Error => Some(NotificationKind::ErrorDetected),
        TicketChange::Created { .. } => Some(NotificationKind::TicketCreated),
        TicketChange::Assigned { .. } => Some(NotificationKind::TicketAssigned),
        TicketChange::Replied { .. } if actor_id == Some(requester_id) => Some(NotificationKind::RequesterReplied),
        TicketChange::Replied { .. } => Some(NotificationKind::AgentReplied),
        TicketChange::StatusChanged { to: Status::Resolved, .. } => Some(NotificationKind::TicketResolved),
        TicketChange::StatusChanged { to: Status::Closed, .. } => Some(NotificationKind::TicketClosed),
        TicketChange::StatusChanged { .. } => None,
        TicketChange::Escalated { .. } => Some(NotificationKind::TicketEscalated),
        TicketChange::SlaWarning { .. } => Some(NotificationKind::SlaWarning),
        TicketChange::SlaBreached { .. } => Some(NotificationKind::SlaBreached),
        TicketChange::Reopened { .. }
        | TicketChange::PriorityChanged { .. }
        | TicketChange::CategoryChanged { .. }
        | TicketChange::Unassigned { .. }
        | TicketChange::NoteAdded { .. } => None,
        // Staff see it on the ticket, live; a low score escalates the
        // ticket, and that notifies the admins.
        TicketChange::Rated { .. } => None,
        // The ticket was announced when it opened; the count is on it, live.
        TicketChange::ErrorRecurred { .. } => None,
    }
}

/// Writes the notifications a ticket change causes, in the change's
/// transaction (see the module documentation of
/// [`crate::services::notifications`]); called by
/// [`crate::services::events::record`] for event `event_id`.
///
/// Rules (from the seeds): created → the requester (a receipt, by email even
/// for their own action); assigned → the new assignee; an agent's reply →
/// the requester; the requester's reply → the assignee, or every agent
/// while unassigned; resolved / closed → the requester; escalated → the
/// admins. Nobody else is notified of their own action. Each recipient's
/// preference (their own, else the admins' default) picks email and/or the
/// inbox. Only public text goes out: replies, the description, and the
/// escalation reason for admins.
///
/// Errors: [`AppError::Internal`] when the database fails (the change then
/// rolls back with it).
pub(crate) async fn fan_out(
    connection: &mut PgConnection,
    event_id: i64,
    ticket_id: i64,
    actor_id: Option<i64>,
    change: &TicketChange,
) -> Result<(), AppError> {
    // Who the requester is only tells which reply it is: with none, a change
    // that notifies nobody is known before reading anything.
    if kind_of(change, None, 0, TicketSource::Web).is_none() {
        return Ok(());
    }
    let reply_id = match change {
        TicketChange::Replied { message_id } => Some(*message_id),
        _ => None,
    };
    let ticket = sqlx::query_as!(
        EventTicket,
        r#"select q.prefix, t.number, t.subject, t.description, t.priority as "priority: Priority", t.queue_id,
            q.name as queue_name, t.requester_id, r.username::text as "requester_username!", t.assignee_id,
            t.created_at as "created_at: DateTime<Utc>", t.source as "source: TicketSource",
            (select username::text from users where id = $2) as actor,
            (select body from messages where id = $3 and kind = 'reply') as reply
         from tickets t join queues q on q.id = t.queue_id join users r on r.id = t.requester_id
         where t.id = $1"#,
        ticket_id,
        actor_id,
        reply_id,
    )
    .fetch_one(&mut *connection)
    .await?;
    let Some(kind) = kind_of(change, actor_id, ticket.requester_id, ticket.source) else { return Ok(()) };
    let reason = match change {
        TicketChange::Escalated { reason, .. } => Some(reason.clone()),
        _ => None,
    };
    let recipients = match kind {
        NotificationKind::TicketCreated
        | NotificationKind::AgentReplied
        | NotificationKind::TicketResolved
        | NotificationKind::TicketClosed => Recipients { ids: vec![ticket.requester_id], roles: Vec::new() },
        NotificationKind::TicketAssigned => match change {
            TicketChange::Assigned { to, .. } => Recipients { ids: vec![to.id], roles: Vec::new() },
            _ => Recipients { ids: Vec::new(), roles: Vec::new() },
        },
        // No queue membership exists: "all agents of the queue" is every agent.
        NotificationKind::RequesterReplied | NotificationKind::SlaWarning => match ticket.assignee_id {
            Some(assignee) => Recipients { ids: vec![assignee], roles: Vec::new() },
            None => Recipients { ids: Vec::new(), roles: vec![Role::Agent] },
        },
        // Issue 15: a breach also reaches the admins.
        NotificationKind::SlaBreached => match ticket.assignee_id {
            Some(assignee) => Recipients { ids: vec![assignee], roles: vec![Role::Admin] },
            None => Recipients { ids: Vec::new(), roles: vec![Role::Agent, Role::Admin] },
        },
        NotificationKind::TicketEscalated => Recipients { ids: Vec::new(), roles: vec![Role::Admin] },
        // Issue 16: the client whose application it is, and the admins.
        NotificationKind::ErrorDetected => Recipients { ids: vec![ticket.requester_id], roles: vec![Role::Admin] },
    };
    let service_level = match change {
        TicketChange::SlaWarning { target, due_at, .. } | TicketChange::SlaBreached { target, due_at, .. } => {
            Some((*target, *due_at))
        }
        _ => None,
    };
    let body = match kind {
        NotificationKind::TicketCreated | NotificationKind::TicketAssigned | NotificationKind::ErrorDetected => {
            Some(ticket.description.clone())
        }
        NotificationKind::AgentReplied | NotificationKind::RequesterReplied => ticket.reply.clone(),
        NotificationKind::TicketResolved
        | NotificationKind::TicketClosed
        | NotificationKind::TicketEscalated
        | NotificationKind::SlaWarning
        | NotificationKind::SlaBreached => None,
    };
    let ticket_reference = reference(&ticket.prefix, ticket.number);
    let thread = format!("guichet.{ticket_id}.{}", ticket.created_at.timestamp());
    // The requester's receipt of their own new ticket is the one exception.
    let receipt = matches!(kind, NotificationKind::TicketCreated | NotificationKind::ErrorDetected);

    // The email rows' payload but for its recipient and `in_reply_to`: the
    // local part of the previous email row of this ticket and user (see
    // `message_key`: the thread's own for the receipt, else thread + "." +
    // outbox id).
    let email = EmailPayload {
        to: String::new(),
        recipient: String::new(),
        reference: ticket_reference.clone(),
        subject: ticket.subject.clone(),
        priority: ticket.priority,
        actor: ticket.actor.clone(),
        body,
        reason: if kind == NotificationKind::TicketEscalated { reason.clone() } else { None },
        thread,
        root: receipt,
        in_reply_to: None,
        language: None,
        sla_target: service_level.map(|(target, _)| target),
        due_at: service_level.map(|(_, due_at)| due_at),
        // The requester rates the resolution from the email (issue 15).
        rating: (kind == NotificationKind::TicketResolved).then(|| {
            let link = crate::services::ratings::RatingLink::for_resolution(
                ticket_id,
                event_id,
                ticket.requester_id,
                Utc::now(),
            );
            super::RatingLinkTarget {
                ticket_id,
                resolution_id: event_id,
                requester_id: ticket.requester_id,
                expires_at: link.expires_at,
            }
        }),
    };
    // The inbox line in the recipient's language (else the desk's).
    let title = |language| {
        let title = in_language(language, || {
            inbox_title(kind, ticket.actor.as_deref(), &ticket_reference, &ticket.subject, service_level)
        });
        clip(&title, 300)
    };
    let notice = Notice {
        event_id,
        ticket_id,
        kind,
        actor_id,
        email: serde_json::to_value(&email).map_err(|_| AppError::internal())?,
        title: title(crate::i18n::desk().language),
        title_fr: title(Language::fr),
        title_en: title(Language::en),
        created_at: None,
    };
    let mut emails = 0;
    if !recipients.ids.is_empty() {
        emails += write_notice(&mut *connection, &notice, &recipients.ids, None).await?;
    }
    // Everyone with a role (every agent, every admin): one row per role,
    // expanded by a delivery worker ([`expand_fan_outs`]) after this
    // transaction commits, so that a change costs the same whatever the
    // number of recipients.
    let mut fan_outs = 0;
    for role in recipients.roles {
        fan_outs += sqlx::query!(
            "insert into notification_fan_outs (event_id, ticket_id, kind, role, actor_id, email, title, title_fr, title_en)
             values ($1, $2, $3::text::notification_kind, $4, $5, $6, $7, $8, $9)",
            notice.event_id,
            notice.ticket_id,
            notice.kind.as_str(),
            role as Role,
            notice.actor_id,
            notice.email,
            notice.title,
            notice.title_fr,
            notice.title_en,
        )
        .execute(&mut *connection)
        .await?
        .rows_affected();
    }

    // One row per active webhook of the queue announcing this kind.
    let excerpt = match kind {
        NotificationKind::TicketEscalated => reason,
        NotificationKind::TicketCreated | NotificationKind::ErrorDetected => Some(ticket.description.clone()),
        _ => ticket.reply.clone(),
    };
    let discord = DiscordPayload {
        reference: ticket_reference,
        subject: ticket.subject,
        priority: ticket.priority,
        queue: ticket.queue_name,
        requester: ticket.requester_username,
        actor: ticket.actor,
        excerpt: excerpt.map(|text| clip(&text, 1_000)),
    };
    let messages = sqlx::query!(
        "insert into outbox (channel, kind, ticket_id, event_id, webhook_id, payload)
         select 'discord', $2::text::notification_kind, $3::bigint, $4::bigint, w.id, $5::jsonb
         from discord_webhooks w
         where w.queue_id = $1 and w.active and $2::text::notification_kind = any(w.kinds)
         order by w.id",
        ticket.queue_id,
        kind.as_str(),
        ticket_id,
        event_id,
        serde_json::to_value(&discord).map_err(|_| AppError::internal())?,
    )
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if emails + messages + fan_outs > 0 {
        sqlx::query!("select pg_notify($1, '')", OUTBOX_CHANNEL).execute(&mut *connection).await?;
    }
    Ok(())
}

/// One notification as the inbox and email statements write it
/// ([`write_notice`]): for named recipients inside the change's
/// transaction, or stored in `notification_fan_outs` for everyone with a
/// role and written later by [`expand_fan_outs`].
struct Notice {
    event_id: i64,
    ticket_id: i64,
    kind: NotificationKind,
    /// Who acted (`None`: the system); they hear nothing of it, but for the receipt.
    actor_id: Option<i64>,
    /// The [`EmailPayload`] but for its recipient (`to`, `recipient`,
    /// `in_reply_to`, `language`, filled per recipient by the statement).
    email: serde_json::Value,
    /// The inbox line in the desk's language, in French and in English.
    title: String,
    title_fr: String,
    title_en: String,
    /// When the change happened (UTC); `None`: now, in the change's transaction.
    created_at: Option<DateTime<Utc>>,
}

/// Writes `notice` for the users in `ids` and, when `role` is set, everyone
/// with that role: [`write_emails`], then [`write_inbox`]. Returns how many
/// email rows it wrote.
///
/// Errors: [`AppError::Internal`] when the database fails.
async fn write_notice(
    connection: &mut PgConnection,
    notice: &Notice,
    ids: &[i64],
    role: Option<Role>,
) -> Result<u64, AppError> {
    let emails = write_emails(&mut *connection, notice, ids, role).await?;
    write_inbox(connection, notice, ids, role).await?;
    Ok(emails)
}

/// One email row of `notice` per recipient (the users in `ids`, everyone
/// with `role`) who wants mail by their preference (their own, else the
/// admins' default), never to the actor but for the requester's receipt of
/// their new ticket; one statement whatever the number of recipients.
/// Returns how many it wrote.
///
/// Errors: [`AppError::Internal`] when the database fails.
async fn write_emails(
    connection: &mut PgConnection,
    notice: &Notice,
    ids: &[i64],
    role: Option<Role>,
) -> Result<u64, AppError> {
    let thread = notice.email["thread"].as_str().unwrap_or_default();
    let receipt = notice.email["root"].as_bool().unwrap_or(false);
    let emails = sqlx::query!(
        "insert into outbox (channel, kind, ticket_id, event_id, user_id, payload)
         select 'email', d.kind, $3::bigint, $4::bigint, u.id,
            $5::jsonb || jsonb_build_object('to', u.email::text, 'recipient', u.username::text,
                'in_reply_to', previous.key, 'language', u.language)
         from users u
         join notification_defaults d on d.kind = $8::text::notification_kind
         left join notification_preferences p on p.user_id = u.id and p.kind = d.kind
         left join lateral (
            select case when coalesce((o.payload->>'root')::boolean, false) then $6::text
                else $6::text || '.' || o.id end as key
            from outbox o
            where o.channel = 'email' and o.ticket_id = $3 and o.user_id = u.id
            order by o.id desc limit 1
         ) previous on true
         where (u.id = any($1) or u.role = $2) and coalesce(p.email, d.email)
            and (u.id is distinct from $7 or $9)
         order by u.id",
        ids,
        role as Option<Role>,
        notice.ticket_id,
        notice.event_id,
        notice.email,
        thread,
        notice.actor_id,
        notice.kind.as_str(),
        receipt,
    )
    .execute(&mut *connection)
    .await?
    .rows_affected();
    Ok(emails)
}

/// One inbox line of `notice` per recipient (the users in `ids`, everyone
/// with `role`) who wants it by their preference, never to the actor, in
/// the recipient's language (else the desk's); one statement whatever the
/// number of recipients.
///
/// Errors: [`AppError::Internal`] when the database fails.
async fn write_inbox(
    connection: &mut PgConnection,
    notice: &Notice,
    ids: &[i64],
    role: Option<Role>,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into notifications (user_id, ticket_id, event_id, kind, title, created_at)
         select u.id, $3::bigint, $4::bigint, d.kind,
            case u.language when 'fr' then $8::text when 'en' then $9::text else $5::text end,
            coalesce($10::timestamptz, now())
         from users u
         join notification_defaults d on d.kind = $7::text::notification_kind
         left join notification_preferences p on p.user_id = u.id and p.kind = d.kind
         where (u.id = any($1) or u.role = $2) and coalesce(p.in_app, d.in_app) and u.id is distinct from $6
         order by u.id",
        ids,
        role as Option<Role>,
        notice.ticket_id,
        notice.event_id,
        notice.title,
        notice.actor_id,
        notice.kind.as_str(),
        notice.title_fr,
        notice.title_en,
        notice.created_at as Option<DateTime<Utc>>,
    )
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Fan-outs [`expand_fan_outs`] expands per transaction: small, so that
/// each expansion's commit (up to 20 × the role's size of rows) stays short.
pub const FAN_OUT_BATCH: i64 = 20;

/// Expands the notifications written for everyone with a role (see
/// [`fan_out`]) into their recipients' rows, with the recipients'
/// preferences as they are now: the inbox lines (dated at the change) at
/// once, and, when `with_email` (the worker can send mail), the email rows,
/// after which the fan-out is deleted. Without a mail server the email part
/// waits in the fan-out, as pending mail waits in the outbox. Up to
/// [`FAN_OUT_BATCH`] fan-outs, oldest first, in one transaction (rows locked
/// `FOR UPDATE SKIP LOCKED`, so workers on several instances never expand
/// one twice, and one that dies mid-way leaves it whole). Returns how many
/// it expanded. Run by every delivery [`super::Worker`] before it claims
/// deliveries.
///
/// Errors: [`AppError::Internal`] when the database fails (nothing is expanded then).
pub async fn expand_fan_outs(pool: &PgPool, with_email: bool) -> Result<usize, AppError> {
    transaction::run(pool, |transaction| Box::pin(expand_fan_outs_in(transaction, with_email))).await
}

/// [`expand_fan_outs`]'s body, run in its transaction by [`transaction::run`].
async fn expand_fan_outs_in(connection: &mut PgConnection, with_email: bool) -> Result<usize, AppError> {
    let rows = sqlx::query!(
        r#"select id, event_id, ticket_id, kind::text as "kind!", role as "role: Role", actor_id, email,
            title, title_fr, title_en, created_at as "created_at: DateTime<Utc>", inbox_written
         from notification_fan_outs where not inbox_written or $2
         order by id limit $1 for update skip locked"#,
        FAN_OUT_BATCH,
        with_email,
    )
    .fetch_all(&mut *connection)
    .await?;
    let (mut done, mut inbox_only) = (Vec::new(), Vec::new());
    for row in rows {
        // A kind this version does not know (a newer instance's row): left for it.
        let Ok(kind) = row.kind.parse::<NotificationKind>() else { continue };
        let notice = Notice {
            event_id: row.event_id,
            ticket_id: row.ticket_id,
            kind,
            actor_id: row.actor_id,
            email: row.email,
            title: row.title,
            title_fr: row.title_fr,
            title_en: row.title_en,
            created_at: Some(row.created_at),
        };
        if !row.inbox_written {
            write_inbox(&mut *connection, &notice, &[], Some(row.role)).await?;
        }
        if with_email {
            write_emails(&mut *connection, &notice, &[], Some(row.role)).await?;
            done.push(row.id);
        } else {
            inbox_only.push(row.id);
        }
    }
    sqlx::query!("delete from notification_fan_outs where id = any($1)", &done[..]).execute(&mut *connection).await?;
    sqlx::query!("update notification_fan_outs set inbox_written = true where id = any($1)", &inbox_only[..])
        .execute(&mut *connection)
        .await?;
    // No NOTIFY here: this worker delivers the rows next (see `Worker::run_once`),
    // and a NOTIFY would hold PostgreSQL's commit-wide notify lock for this
    // transaction's whole commit, stalling every change that announces itself.
    Ok(done.len() + inbox_only.len())
}

/// The inbox line for a kind in the current language, e.g. "alice replied
/// on SUP-0042: VPN down".
fn inbox_title(
    kind: NotificationKind,
    actor: Option<&str>,
    reference: &str,
    subject: &str,
    service_level: Option<(SlaTarget, DateTime<Utc>)>,
) -> String {
    let target = service_level.map(|(target, _)| target.label()).unwrap_or_default();
    let (actor, reference, subject) =
        (actor.unwrap_or("Guichet").to_string(), reference.to_string(), subject.to_string());
    match kind {
        NotificationKind::TicketCreated => t!(inbox.ticket_created, reference = reference, subject = subject),
        NotificationKind::TicketAssigned => {
            t!(inbox.ticket_assigned, actor = actor, reference = reference, subject = subject)
        }
        NotificationKind::AgentReplied | NotificationKind::RequesterReplied => {
            t!(inbox.replied, actor = actor, reference = reference, subject = subject)
        }
        NotificationKind::TicketResolved => t!(inbox.ticket_resolved, reference = reference, subject = subject),
        NotificationKind::TicketClosed => t!(inbox.ticket_closed, reference = reference, subject = subject),
        NotificationKind::TicketEscalated => {
            t!(inbox.ticket_escalated, actor = actor, reference = reference, subject = subject)
        }
        NotificationKind::SlaWarning => {
            t!(inbox.sla_warning, target = target, reference = reference, subject = subject)
        }
        NotificationKind::SlaBreached => {
            t!(inbox.sla_breached, target = target, reference = reference, subject = subject)
        }
        NotificationKind::ErrorDetected => t!(inbox.error_detected, reference = reference, subject = subject),
    }
}
