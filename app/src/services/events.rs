//! "A change happened": the one place a ticket change is recorded. Every
//! change goes through [`record`], which, in the change's own transaction,
//! appends it to the ticket's history with its [`crate::domain::Audience`],
//! announces it to the live stream (delivered once the transaction commits,
//! see [`crate::services::live`]) and writes the notifications it causes
//! (inbox lines and outbox rows, or one row for everyone with a role that a
//! worker expands after the commit, see [`crate::services::notifications`]).
//! Nothing is announced or sent if the transaction rolls back.

use crate::domain::{Audience, TicketChange};
use crate::error::AppError;
use crate::services::{live, notifications};
use sqlx::PgConnection;

/// Records `change` of ticket `ticket_id` by `actor_id` (`None`: the
/// system) on `connection`, which must be inside the change's transaction:
/// appends the `ticket_events` row (`action`, `data` and `audience` from
/// the change), marks the ticket for the jobs worker's SLA rule when the
/// change may move its clocks ([`TicketChange::moves_service_levels`]),
/// queues its live announcement and writes its notifications.
/// Returns the event's id.
///
/// Errors: [`AppError::Internal`] when the database fails (the caller's
/// transaction then rolls back).
pub async fn record(
    connection: &mut PgConnection,
    ticket_id: i64,
    actor_id: Option<i64>,
    change: &TicketChange,
) -> Result<i64, AppError> {
    let id = sqlx::query_scalar!(
        "insert into ticket_events (ticket_id, actor_id, action, data, audience) values ($1, $2, $3, $4, $5)
         returning id",
        ticket_id,
        actor_id,
        change.action(),
        change.data(),
        change.audience() as Audience,
    )
    .fetch_one(&mut *connection)
    .await?;
    if change.moves_service_levels() {
        // The jobs worker looks at the ticket's SLA clocks at its next pass
        // (a row of its own: a second update of the ticket's row would
        // re-check its foreign keys, see the migration of ticket_sla_checks).
        sqlx::query!(
            "insert into ticket_sla_checks (ticket_id, due_at) values ($1, now())
             on conflict (ticket_id) do update set due_at = excluded.due_at",
            ticket_id
        )
        .execute(&mut *connection)
        .await?;
    }
    live::notify_event(&mut *connection, id).await?;
    notifications::fan_out(connection, id, ticket_id, actor_id, change).await?;
    Ok(id)
}
