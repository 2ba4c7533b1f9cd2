//! Recording one occurrence in its group, and the group's one ticket
//! (issue 16, item 4).
//!
//! Exactly one ticket per group, whatever the number of instances: the
//! occurrence is counted by an `insert ... on conflict do update` of the
//! group's row, which holds that row's lock until the transaction ends; so
//! occurrences of one group, on any instance, are counted one after the
//! other, and each decides on the row as the previous one left it. The one
//! that finds the threshold reached and no ticket yet opens it and writes
//! its id on the row, in the same transaction; the next ones see the id.

use super::intake::{IntakeProject, ReadEvent};
use super::{clip, signature};
use crate::domain::{TicketChange, TicketSource};
use crate::error::AppError;
use crate::i18n::{Language, request::in_language};
use crate::services::events;
use crate::services::tickets::{SystemTicket, open_for_system};
use crate::t;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::PgConnection;

/// Records `event` of `project` on `connection` (inside the intake's
/// transaction): counts it in its group (created at its first
/// occurrence), its hour and its sample ring; opens the group's ticket when
/// the group reaches the project's threshold (`threshold_count` events within
/// `threshold_window_minutes`, by the time Guichet received them); once
/// the group has its ticket, updates the ticket's metadata (count, last
/// seen). Texts written for people (the ticket's description) are in `language`.
///
/// Errors: [`AppError::Internal`] when the database fails (the caller's
/// transaction then rolls back, nothing is stored).
pub(crate) async fn record(
    connection: &mut PgConnection,
    project: &IntakeProject,
    event: &ReadEvent,
    language: Language,
) -> Result<(), AppError> {
    let signature = signature::signature(&event.occurrence);
    let group = sqlx::query!(
        r#"insert into error_groups (project_id, signature, signature_text, title, culprit, count, recent_seen, latest_event)
         values ($1, $2, $3, $4, $5, 1, array[now()], $6)
         on conflict (project_id, signature) do update set
            count = error_groups.count + 1,
            last_seen = now(),
            title = excluded.title,
            culprit = excluded.culprit,
            recent_seen = (error_groups.recent_seen || now())[greatest(1, cardinality(error_groups.recent_seen) + 2 - $7):],
            latest_event = excluded.latest_event,
            unreported_count = error_groups.unreported_count + case when error_groups.ticket_id is null then 0 else 1 end
         returning id, count, ticket_id, status, title, culprit, signature,
            first_seen as "first_seen: DateTime<Utc>", last_seen as "last_seen: DateTime<Utc>",
            recent_seen as "recent_seen: Vec<DateTime<Utc>>", now() as "now!: DateTime<Utc>",
            unreported_count, reported_at as "reported_at: DateTime<Utc>""#,
        project.id,
        signature.digest,
        clip(&signature.text, 2_000),
        if event.title.trim().is_empty() { "?" } else { event.title.as_str() },
        event.culprit,
        event.payload,
        project.threshold_count,
    )
    .fetch_one(&mut *connection)
    .await?;
    sqlx::query!(
        "insert into error_group_hours (group_id, hour, count) values ($1, date_trunc('hour', now()), 1)
         on conflict (group_id, hour) do update set count = error_group_hours.count + 1",
        group.id,
    )
    .execute(&mut *connection)
    .await?;
    let slot = i32::try_from((group.count - 1) % i64::from(project.sample_size.max(1))).unwrap_or(0);
    sqlx::query!(
        "insert into error_events (group_id, slot, event_id, occurred_at, payload) values ($1, $2, $3, $4, $5)
         on conflict (group_id, slot) do update set event_id = excluded.event_id, received_at = now(),
            occurred_at = excluded.occurred_at, payload = excluded.payload",
        group.id,
        slot,
        event.event_id,
        event.occurred_at as Option<DateTime<Utc>>,
        event.payload,
    )
    .execute(&mut *connection)
    .await?;

    let metadata = json!({
        "error_group": group.id,
        "signature": group.signature,
        "count": group.count,
        "first_seen": group.first_seen,
        "last_seen": group.last_seen,
    });
    match group.ticket_id {
        Some(ticket_id) => {
            sqlx::query!("update tickets set metadata = metadata || $2::jsonb where id = $1", ticket_id, metadata)
                .execute(&mut *connection)
                .await?;
            let due = group.reported_at.is_none_or(|at| group.now - at >= Duration::hours(1));
            if due && group.unreported_count > 0 {
                let recurrence = Recurrence {
                    id: group.id,
                    count: group.count,
                    unreported_count: group.unreported_count,
                    last_seen: group.last_seen,
                };
                report_recurrence(&mut *connection, &recurrence, ticket_id, language).await?;
            }
        }
        None if group.status == "unresolved" && threshold_reached(&group.recent_seen, project, group.now) => {
            let (subject, description) = in_language(language, || {
                let subject = clip(&format!("[error] {}", group.title), 200);
                let description = t!(
                    error_ticket.description,
                    message = clip(&event.occurrence.message, 15_000),
                    culprit = group.culprit.clone(),
                    occurrences = group.count,
                    watch_hours = project.watch_hours,
                    first_seen = group.first_seen.to_rfc3339(),
                    last_seen = group.last_seen.to_rfc3339()
                );
                (subject, description)
            });
            let ticket_id = open_for_system(
                &mut *connection,
                &SystemTicket {
                    queue_id: project.queue_id,
                    requester_id: project.requester_id,
                    priority: project.priority,
                    subject: &subject,
                    description: &clip(&description, 20_000),
                    metadata,
                    source: TicketSource::Error,
                },
            )
            .await?;
            sqlx::query!(
                "update error_groups set ticket_id = $2, status = 'ticketed', unreported_count = 0, reported_at = now()
                 where id = $1",
                group.id,
                ticket_id,
            )
            .execute(&mut *connection)
            .await?;
        }
        None => {}
    }
    Ok(())
}

/// What [`report_recurrence`] tells of a group.
struct Recurrence {
    id: i64,
    count: i64,
    unreported_count: i64,
    last_seen: DateTime<Utc>,
}

/// Adds the system message "occurred N more times" to the group's ticket
/// (a [`TicketChange::ErrorRecurred`], so the history, the live stream and
/// the ticket page show it) and starts counting again: at most one an hour,
/// as the caller checks.
///
/// Errors: [`AppError::Internal`] when the database fails.
async fn report_recurrence(
    connection: &mut PgConnection,
    group: &Recurrence,
    ticket_id: i64,
    language: Language,
) -> Result<(), AppError> {
    let body = in_language(language, || {
        t!(
            error_ticket.seen_again,
            occurrences = group.unreported_count,
            last_seen = group.last_seen.to_rfc3339(),
            total = group.count
        )
    });
    let message_id = sqlx::query_scalar!(
        "insert into messages (ticket_id, author_id, kind, body) values ($1, null, 'system', $2) returning id",
        ticket_id,
        clip(&body, 20_000),
    )
    .fetch_one(&mut *connection)
    .await?;
    let change = TicketChange::ErrorRecurred { message_id, occurrences: group.unreported_count };
    events::record(&mut *connection, ticket_id, None, &change).await?;
    sqlx::query!("update error_groups set unreported_count = 0, reported_at = now() where id = $1", group.id)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Whether the newest `threshold_count` receptions in `recent_seen`
/// (oldest first) all fall within `threshold_window_minutes` before `now`.
fn threshold_reached(recent_seen: &[DateTime<Utc>], project: &IntakeProject, now: DateTime<Utc>) -> bool {
    let needed = usize::try_from(project.threshold_count.max(1)).unwrap_or(1);
    if recent_seen.len() < needed {
        return false;
    }
    let oldest = recent_seen[recent_seen.len() - needed];
    now - oldest <= Duration::minutes(i64::from(project.threshold_window_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_counts_the_newest_receptions_within_the_window() {
        let project = IntakeProject {
            id: 1,
            requester_id: 1,
            queue_id: 1,
            threshold_count: 3,
            threshold_window_minutes: 60,
            priority: crate::domain::Priority::High,
            sample_size: 100,
            watch_hours: 24,
        };
        let now = Utc::now();
        let ago = |minutes| now - Duration::minutes(minutes);
        assert!(!threshold_reached(&[ago(2), ago(1)], &project, now));
        assert!(threshold_reached(&[ago(59), ago(30), now], &project, now));
        assert!(!threshold_reached(&[ago(61), ago(30), now], &project, now));
        // Only the newest three count.
        assert!(threshold_reached(&[ago(500), ago(50), ago(30), now], &project, now));
    }
}
