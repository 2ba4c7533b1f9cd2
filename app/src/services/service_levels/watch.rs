//! The jobs worker's SLA rule (issue 15, item 2): a ticket whose clock
//! nears its due time (the warning share of its business time, 80 % by
//! default) or passes it gets one `sla_warning` or `sla_breached` event per
//! target, ever, with the system as actor; the notifications follow from
//! the event (the assignee, else every agent; breaches also the admins).
//!
//! Candidates come from a stored timestamp, `ticket_sla_checks.due_at`
//! (the index `ticket_sla_checks_due_idx`): every change that may move a
//! ticket's clocks sets it to now, and each step, having worked the clocks
//! out from the ticket's events, sets it to the next warning or due time of
//! a running clock, or deletes the row (no policy, paused, stopped, both
//! notices sent). The row is not a column of `tickets` so that a change
//! never updates the ticket's row twice (see that table's migration). `ticket_sla_notices` is the mark that makes a notice no longer due.

use super::clock::StatusSince;
use super::ticket::{policy_calendar, status_timeline, target_deadline};
use crate::domain::service_levels::{BusinessCalendar, SlaPolicy, SlaTarget};
use crate::domain::{Priority, TicketChange};
use crate::error::AppError;
use crate::services::events;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::sync::atomic::{AtomicU8, Ordering};

/// The default warning share: a warning when 80 % of a target's business
/// time is used (issue 15).
pub const DEFAULT_WARNING_PERCENT: u8 = 80;

static WARNING_PERCENT: AtomicU8 = AtomicU8::new(DEFAULT_WARNING_PERCENT);

/// Sets the warning share for this process (`GUICHET_SLA_WARNING_PERCENT`,
/// 1–99; other values are clamped), read by every later pass.
pub fn set_warning_percent(percent: u8) {
    WARNING_PERCENT.store(percent.clamp(1, 99), Ordering::Relaxed);
}

/// The warning share in force, in percent of a target's business minutes.
pub fn warning_percent() -> u8 {
    WARNING_PERCENT.load(Ordering::Relaxed)
}

/// What the rule reads once per pass: the policies and calendars in force
/// and the warning share.
#[derive(Debug, Clone, Default)]
pub struct WatchSettings {
    pub policies: Vec<SlaPolicy>,
    pub calendars: Vec<BusinessCalendar>,
    /// Percent of a target's business minutes after which it warns (1–99).
    pub warning_percent: u8,
}

/// Reads the [`WatchSettings`] of a pass.
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn load_settings(connection: &mut PgConnection) -> Result<WatchSettings, AppError> {
    Ok(WatchSettings {
        policies: super::load_policies(connection, None).await?,
        calendars: super::load_calendars(connection, None).await?,
        warning_percent: warning_percent(),
    })
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Recorded a warning or a breach on this ticket.
    Notified(i64),
    /// Looked at this ticket and only set when to look again.
    Rescheduled(i64),
    /// No ticket is due for a look.
    Idle,
}

/// The statement that finds and claims the ticket due for a look the
/// longest: its `ticket_sla_checks.due_at` past, through
/// `ticket_sla_checks_due_idx`; the lock is the ticket's row (as every
/// change of the ticket takes it first), skipped when another holds it.
/// `$prefix` is `""`, or `"explain "` for the index test.
macro_rules! sla_check_due {
    ($prefix:tt) => {
        sqlx::query_scalar!(
            $prefix
                + "select t.id from ticket_sla_checks c join tickets t on t.id = c.ticket_id
                 where c.due_at <= now()
                 order by c.due_at, c.ticket_id
                 limit 1
                 for update of t skip locked"
        )
    };
}

/// One step in `transaction`: claims the ticket due for a look the
/// longest, records the warnings and breaches due on it, and sets when to
/// look again.
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn step(transaction: &mut PgConnection, settings: &WatchSettings) -> Result<Step, AppError> {
    let Some(ticket_id) = sla_check_due!("").fetch_optional(&mut *transaction).await? else {
        return Ok(Step::Idle);
    };
    let ticket = sqlx::query!(
        r#"select q.slug::text as "queue!", t.priority as "priority: Priority",
                  t.first_response_at as "first_response_at: DateTime<Utc>", now() as "now!: DateTime<Utc>"
           from tickets t join queues q on q.id = t.queue_id where t.id = $1"#,
        ticket_id,
    )
    .fetch_one(&mut *transaction)
    .await?;
    let now = ticket.now;
    let Some(policy) = super::matching_policy(&settings.policies, &ticket.queue, ticket.priority) else {
        reschedule(transaction, ticket_id, None).await?;
        return Ok(Step::Rescheduled(ticket_id));
    };
    let calendar = policy_calendar(policy, &settings.calendars);
    let rows = sqlx::query!(
        r#"select action, data, created_at as "created_at: DateTime<Utc>" from ticket_events
           where ticket_id = $1 order by id"#,
        ticket_id,
    )
    .fetch_all(&mut *transaction)
    .await?;
    // Which changes set a status is `TicketChange::status_after`'s to say.
    let changes: Vec<(TicketChange, DateTime<Utc>)> = rows
        .into_iter()
        .filter_map(|row| TicketChange::from_stored(&row.action, row.data).ok().map(|change| (change, row.created_at)))
        .collect();
    let timeline: Vec<StatusSince> = status_timeline(changes.iter().map(|(change, at)| (change, *at)));
    let sent = sqlx::query!("select target, kind from ticket_sla_notices where ticket_id = $1", ticket_id)
        .fetch_all(&mut *transaction)
        .await?;
    let was_sent =
        |target: SlaTarget, kind: &str| sent.iter().any(|row| row.target == target.as_str() && row.kind == kind);

    let mut notified = false;
    let mut next: Option<DateTime<Utc>> = None;
    for target in SlaTarget::ALL {
        let minutes = i64::from(match target {
            SlaTarget::FirstResponse => policy.first_response_minutes,
            SlaTarget::Resolution => policy.resolution_minutes,
        });
        let deadline = target_deadline(target, minutes, &calendar, &timeline, ticket.first_response_at, now);
        // Stopped (goal met, resolved, closed) or paused: nothing falls due
        // until a change sets the ticket to be looked at again.
        if deadline.stopped_at.is_some() || deadline.paused_since.is_some() || was_sent(target, "breached") {
            continue;
        }
        let Some(due_at) = deadline.due_at else { continue };
        if now >= due_at {
            notice(transaction, ticket_id, target, "warning").await?;
            notice(transaction, ticket_id, target, "breached").await?;
            let change = TicketChange::SlaBreached { target, policy: policy.name.clone(), due_at };
            events::record(transaction, ticket_id, None, &change).await?;
            notified = true;
            continue;
        }
        next = Some(next.map_or(due_at, |next| next.min(due_at)));
        if was_sent(target, "warning") {
            continue;
        }
        // Rounded up: a warning never comes before its share is used.
        let warning_minutes = (minutes * i64::from(settings.warning_percent) + 99) / 100;
        let warning = target_deadline(target, warning_minutes, &calendar, &timeline, ticket.first_response_at, now);
        match warning.due_at {
            Some(warn_at) if now >= warn_at => {
                notice(transaction, ticket_id, target, "warning").await?;
                let change = TicketChange::SlaWarning { target, policy: policy.name.clone(), due_at };
                events::record(transaction, ticket_id, None, &change).await?;
                notified = true;
            }
            Some(warn_at) => next = Some(next.map_or(warn_at, |next| next.min(warn_at))),
            None => {}
        }
    }
    reschedule(transaction, ticket_id, next).await?;
    Ok(if notified { Step::Notified(ticket_id) } else { Step::Rescheduled(ticket_id) })
}

/// Marks notice `kind` (`warning`, `breached`) of `target` as sent for the ticket.
async fn notice(transaction: &mut PgConnection, ticket_id: i64, target: SlaTarget, kind: &str) -> Result<(), AppError> {
    sqlx::query!(
        "insert into ticket_sla_notices (ticket_id, target, kind) values ($1, $2, $3) on conflict do nothing",
        ticket_id,
        target.as_str(),
        kind,
    )
    .execute(&mut *transaction)
    .await?;
    Ok(())
}

/// Sets when the worker looks at the ticket next (`None`: only after a change).
async fn reschedule(
    transaction: &mut PgConnection,
    ticket_id: i64,
    next: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    match next {
        Some(due_at) => sqlx::query!(
            "insert into ticket_sla_checks (ticket_id, due_at) values ($1, $2)
             on conflict (ticket_id) do update set due_at = excluded.due_at",
            ticket_id,
            due_at as DateTime<Utc>
        )
        .execute(&mut *transaction)
        .await
        .map(drop)?,
        None => sqlx::query!("delete from ticket_sla_checks where ticket_id = $1", ticket_id)
            .execute(&mut *transaction)
            .await
            .map(drop)?,
    };
    Ok(())
}

/// The plan PostgreSQL chooses for the rule's candidate statement (`EXPLAIN`
/// text, one line per plan node), so a test can check that a pass reads
/// only candidate rows through `ticket_sla_checks_due_idx`.
///
/// Errors: [`AppError::Internal`] when the database fails.
pub async fn explain_candidates(pool: &sqlx::PgPool) -> Result<String, AppError> {
    let lines = sla_check_due!("explain ").fetch_all(pool).await?;
    Ok(lines.into_iter().flatten().collect::<Vec<_>>().join("\n"))
}
