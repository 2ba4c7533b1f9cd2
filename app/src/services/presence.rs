//! Typing and presence on a ticket: who may announce what. The announcement
//! itself travels through the live stream ([`crate::services::live`]); this
//! module sits above both it and [`crate::services::tickets`] (whose
//! visibility rule it uses), so the live stream depends on neither.

use crate::domain::{Activity, UserReference};
use crate::error::{AppError, FieldErrors};
use crate::services::live::{self, ActivityNotice};
use crate::services::{Caller, tickets};
use crate::t;
use sqlx::PgPool;

/// Announces that the caller is viewing, typing on, or leaving a ticket they
/// may see. Only agents and admins may announce an internal note.
///
/// Errors: 401; 404 for a ticket the caller may not see; 422 for an unknown
/// `activity` or a requester's `internal`.
pub async fn announce_activity(
    pool: &PgPool,
    caller: &Caller,
    key: &str,
    activity: &str,
    internal: bool,
) -> Result<(), AppError> {
    let user = caller.user()?;
    let mut fields = FieldErrors::new();
    let parsed = activity.trim().parse::<Activity>();
    if let Err(reason) = &parsed {
        fields.insert("activity".into(), reason.clone());
    }
    if internal && !user.role.is_staff() {
        fields.insert("internal".into(), t!(field.notes_staff_only).into());
    }
    AppError::check(fields)?;
    let Ok(activity) = parsed else { unreachable!("a bad activity is a field error above") };
    let mut connection = pool.acquire().await?;
    let (ticket_id, requester_id) = tickets::visible_ticket_ids(&mut connection, caller, key).await?;
    let notice = ActivityNotice {
        ticket_id,
        requester_id,
        user: UserReference { id: user.id, username: user.username.clone() },
        activity,
        internal,
    };
    live::notify_activity(&mut *connection, &notice).await
}
