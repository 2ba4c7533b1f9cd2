//! Automatic escalation (issue 15, item 3, from the AfrikMode seed): the
//! thresholds admins set (`escalation_settings`, one row) and the timed
//! rules the jobs worker ([`crate::services::jobs`]) runs on every pass.
//!
//! How a rule acts, in one transaction per ticket: the oldest due ticket
//! (found through the rule's partial index on `tickets.created_at`, never
//! from memory) not yet escalated by this rule is claimed
//! `FOR UPDATE SKIP LOCKED`, so another worker takes the next one; the
//! claim is recorded in `ticket_automatic_escalations` (primary key
//! `(ticket_id, rule)`: once per rule per ticket, ever), and the ticket is
//! escalated through the same change as a person's escalation
//! ([`crate::services::tickets`]), with the system as actor and the rule
//! in the event's data, which notifies the admins as a person's would.

use crate::domain::escalation::{EscalationRule, EscalationRules};
use crate::error::{AppError, FieldErrors};
use crate::i18n::{self, request::in_language};
use crate::services::{Caller, tickets};
use crate::t;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use std::ops::RangeInclusive;

/// The hours a time threshold may be: 1 to 8,760 (a year).
pub const HOURS: RangeInclusive<i64> = 1..=8_760;
/// The ratings `low_rating_below` may be: 1 to 5 (the 1–5 scale of issue 15's ratings).
pub const RATINGS: RangeInclusive<i64> = 1..=5;

/// The thresholds as an admin sends them (`PUT
/// /api/v1/admin/escalation-rules`): every field present, each a whole
/// number or `null` (the rule off). Kept as JSON until
/// [`validate_rules`] judges it, so that a wrong type is a field error too.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EscalationRulesInput {
    /// `None`: the field is missing (refused); `Some(Value::Null)`: off.
    #[serde(default, deserialize_with = "present")]
    pub unanswered_hours: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub urgent_unassigned_hours: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub low_rating_below: Option<Value>,
}

/// A field that is in the JSON, `null` included (a missing one stays `None`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl EscalationRulesInput {
    /// The input of the admin page's form (`/admin/service-levels`), whose
    /// thresholds arrive as text: blank = the rule off (`null`), a whole
    /// number as it is, anything else kept as text so that
    /// [`validate_rules`] refuses it on its field ("a whole number").
    pub fn from_form(unanswered_hours: &str, urgent_unassigned_hours: &str, low_rating_below: &str) -> Self {
        let value = |text: &str| {
            Some(match text.trim() {
                "" => Value::Null,
                text => text.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(text)),
            })
        };
        EscalationRulesInput {
            unanswered_hours: value(unanswered_hours),
            urgent_unassigned_hours: value(urgent_unassigned_hours),
            low_rating_below: value(low_rating_below),
        }
    }
}

impl From<EscalationRules> for EscalationRulesInput {
    fn from(rules: EscalationRules) -> Self {
        let value = |threshold: Option<i32>| Some(threshold.map_or(Value::Null, Value::from));
        EscalationRulesInput {
            unanswered_hours: value(rules.unanswered_hours),
            urgent_unassigned_hours: value(rules.urgent_unassigned_hours),
            low_rating_below: value(rules.low_rating_below),
        }
    }
}

/// The one check of the thresholds: each field present, `null` or a whole
/// number: hours in [`HOURS`], the rating in [`RATINGS`].
///
/// Errors: 422 with a reason per field (`unanswered_hours`,
/// `urgent_unassigned_hours`, `low_rating_below`): missing, not a whole
/// number, or out of range.
pub fn validate_rules(input: &EscalationRulesInput) -> Result<EscalationRules, AppError> {
    let mut fields = FieldErrors::new();
    let hours = |fields: &mut FieldErrors, name: &str, value: &Option<Value>| {
        threshold(fields, name, value, HOURS, || t!(field.hours_range, min = *HOURS.start(), max = *HOURS.end()))
    };
    let unanswered_hours = hours(&mut fields, "unanswered_hours", &input.unanswered_hours);
    let urgent_unassigned_hours = hours(&mut fields, "urgent_unassigned_hours", &input.urgent_unassigned_hours);
    let low_rating_below = threshold(&mut fields, "low_rating_below", &input.low_rating_below, RATINGS, || {
        t!(field.rating_range, min = *RATINGS.start(), max = *RATINGS.end())
    });
    AppError::check(fields)?;
    Ok(EscalationRules { unanswered_hours, urgent_unassigned_hours, low_rating_below })
}

/// One threshold: `None` when `null` (or refused, the reason in `fields`
/// under `name`), else the whole number within `range`.
fn threshold(
    fields: &mut FieldErrors,
    name: &str,
    value: &Option<Value>,
    range: RangeInclusive<i64>,
    out_of_range: impl FnOnce() -> String,
) -> Option<i32> {
    let reason = match value {
        None => t!(field.rule_required).to_string(),
        Some(Value::Null) => return None,
        Some(Value::Number(number)) if number.is_i64() || number.is_u64() => {
            match number.as_i64().filter(|whole| range.contains(whole)).and_then(|whole| i32::try_from(whole).ok()) {
                Some(whole) => return Some(whole),
                None => out_of_range(),
            }
        }
        Some(_) => t!(field.whole_number).to_string(),
    };
    fields.insert(name.into(), reason);
    None
}

/// The thresholds in force (agents and admins: agents read them on
/// `/admin/service-levels`, as they read calendars and policies; only
/// admins change them, [`set_rules`]).
///
/// Errors: 401; 403 for requesters.
pub async fn rules(pool: &PgPool, caller: &Caller) -> Result<EscalationRules, AppError> {
    caller.staff()?;
    let mut connection = pool.acquire().await?;
    load_rules(&mut connection).await
}

/// Replaces the thresholds (admins only) with `input`, once
/// [`validate_rules`] accepts it; returns them as stored. A rule switched
/// off stops escalating at the worker's next pass; a threshold lowered
/// makes older tickets due at once (each rule still acts once per ticket).
///
/// Errors: 401; 403 for agents, requesters and a bearer token without the
/// `admin` scope; 422 as for [`validate_rules`], nothing changed.
pub async fn set_rules(
    pool: &PgPool,
    caller: &Caller,
    input: &EscalationRulesInput,
) -> Result<EscalationRules, AppError> {
    let admin = caller.admin()?;
    let rules = validate_rules(input)?;
    let stored = sqlx::query_as!(
        EscalationRules,
        "update escalation_settings
         set unanswered_hours = $1, urgent_unassigned_hours = $2, low_rating_below = $3,
            updated_at = now(), updated_by = $4
         returning unanswered_hours, urgent_unassigned_hours, low_rating_below",
        rules.unanswered_hours,
        rules.urgent_unassigned_hours,
        rules.low_rating_below,
        admin.id,
    )
    .fetch_one(pool)
    .await?;
    tracing::info!(admin = admin.id, ?stored, "escalation rules changed");
    Ok(stored)
}

/// The thresholds in force, read on `connection` (the migration writes the
/// one row, with the defaults).
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn load_rules(connection: &mut PgConnection) -> Result<EscalationRules, AppError> {
    let rules = sqlx::query_as!(
        EscalationRules,
        "select unanswered_hours, urgent_unassigned_hours, low_rating_below from escalation_settings"
    )
    .fetch_one(connection)
    .await?;
    Ok(rules)
}

/// The statement that finds and claims the oldest ticket due for
/// [`EscalationRule::Unanswered`], `$1` hours after creation: open (`open`,
/// `in_progress`) without a public reply by an agent or admin
/// (`first_response_at` is stamped by the first one), not yet escalated by
/// this rule. Served by the partial index `tickets_unanswered_due_idx`.
/// `$prefix` is `""`, or `"explain "` for the index test.
macro_rules! unanswered_due {
    ($prefix:tt, $hours:expr) => {
        sqlx::query_scalar!(
            $prefix
                + "select t.id from tickets t
                 where t.status in ('open', 'in_progress') and t.first_response_at is null
                    and t.created_at < now() - make_interval(hours => $1)
                    and not exists (select 1 from ticket_automatic_escalations e
                        where e.ticket_id = t.id and e.rule = 'unanswered')
                 order by t.created_at, t.id
                 limit 1
                 for update of t skip locked",
            $hours
        )
    };
}

/// The statement that finds and claims the oldest ticket due for
/// [`EscalationRule::UrgentUnassigned`], `$1` hours after creation:
/// `urgent`, `open` and unassigned, not yet escalated by this rule. Served
/// by the partial index `tickets_urgent_unassigned_due_idx`. `$prefix` as
/// for [`unanswered_due`].
macro_rules! urgent_unassigned_due {
    ($prefix:tt, $hours:expr) => {
        sqlx::query_scalar!(
            $prefix
                + "select t.id from tickets t
                 where t.priority = 'urgent' and t.status = 'open' and t.assignee_id is null
                    and t.created_at < now() - make_interval(hours => $1)
                    and not exists (select 1 from ticket_automatic_escalations e
                        where e.ticket_id = t.id and e.rule = 'urgent_unassigned')
                 order by t.created_at, t.id
                 limit 1
                 for update of t skip locked",
            $hours
        )
    };
}

/// What one step of a rule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Escalated this ticket.
    Escalated(i64),
    /// Claimed this ticket but left it as it was (see [`escalate_by_rule`]).
    Skipped(i64),
    /// Nothing is due (or every due ticket is another worker's now).
    Idle,
}

/// One step of timed `rule` under `rules`, in `transaction` (one per
/// ticket: the jobs worker runs it in [`crate::services::transaction::run`]):
/// claims the oldest due ticket and escalates it as the system, recording
/// the rule's claim on it in the same transaction. A rule switched off
/// (`None`), and [`EscalationRule::LowRating`] (not timed:
/// [`crate::services::ratings`] calls [`escalate_by_rule`] when a low
/// rating is given), do nothing.
///
/// Errors: [`AppError::Internal`] when the database fails (the transaction
/// then rolls back).
pub(crate) async fn step(
    transaction: &mut PgConnection,
    rule: EscalationRule,
    rules: &EscalationRules,
) -> Result<Step, AppError> {
    let Some(threshold) = rules.threshold(rule) else { return Ok(Step::Idle) };
    let due = match rule {
        EscalationRule::Unanswered => unanswered_due!("", threshold).fetch_optional(&mut *transaction).await?,
        EscalationRule::UrgentUnassigned => {
            urgent_unassigned_due!("", threshold).fetch_optional(&mut *transaction).await?
        }
        // Issue 15's ratings: a rating under `rules.low_rating_below` calls
        // `escalate_by_rule(.., EscalationRule::LowRating, ..)` in the
        // rating's own transaction (`services::ratings`); there is nothing to
        // look for on a timer.
        EscalationRule::LowRating => None,
    };
    let Some(ticket_id) = due else { return Ok(Step::Idle) };
    if escalate_by_rule(transaction, ticket_id, rule, threshold).await? {
        Ok(Step::Escalated(ticket_id))
    } else {
        Ok(Step::Skipped(ticket_id))
    }
}

/// Escalates ticket `ticket_id` (locked `FOR UPDATE` by `transaction`) as
/// the system for `rule`, whose `threshold` was crossed (hours, or the
/// rating), at most once per rule per ticket: records the rule's claim
/// (`ticket_automatic_escalations`, primary key `(ticket_id, rule)`), then
/// the escalation with the rule's reason in the desk's language (what the
/// admins' emails and Discord show; the timeline tells the rule in each
/// viewer's language). Returns whether it escalated: `false` when the rule
/// escalated this ticket before (nothing written), or the ticket is
/// escalated or closed already (the claim is kept: the rule is spent).
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn escalate_by_rule(
    transaction: &mut PgConnection,
    ticket_id: i64,
    rule: EscalationRule,
    threshold: i32,
) -> Result<bool, AppError> {
    let claimed = sqlx::query!(
        "insert into ticket_automatic_escalations (ticket_id, rule) values ($1, $2) on conflict do nothing",
        ticket_id,
        rule.as_str(),
    )
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(false);
    }
    let reason = in_language(i18n::desk().language, || rule.reason(threshold));
    // Logged by the caller once committed (the body may run again).
    let escalated = tickets::escalate_automatically(transaction, ticket_id, rule, &reason).await?;
    Ok(escalated.is_some())
}

/// The plan PostgreSQL chooses for `rule`'s candidate statement with a
/// 48-hour threshold (`EXPLAIN` text, one line per plan node), so a test can
/// check that a pass reads only candidate rows through the rule's index;
/// `None` for a rule without a candidate statement.
///
/// Errors: [`AppError::Internal`] when the database fails.
pub async fn explain_candidates(pool: &PgPool, rule: EscalationRule) -> Result<Option<String>, AppError> {
    let lines = match rule {
        EscalationRule::Unanswered => unanswered_due!("explain ", 48).fetch_all(pool).await?,
        EscalationRule::UrgentUnassigned => urgent_unassigned_due!("explain ", 48).fetch_all(pool).await?,
        EscalationRule::LowRating => return Ok(None),
    };
    Ok(Some(lines.into_iter().flatten().collect::<Vec<_>>().join("\n")))
}

#[cfg(test)]
mod tests {
    use super::EscalationRulesInput;
    use serde_json::Value;

    #[test]
    fn the_forms_text_is_a_number_off_when_blank_or_kept_as_text_to_be_refused() {
        let input = EscalationRulesInput::from_form(" 24 ", "  ", "three");
        assert_eq!(input.unanswered_hours, Some(Value::from(24)));
        assert_eq!(input.urgent_unassigned_hours, Some(Value::Null));
        assert_eq!(input.low_rating_below, Some(Value::from("three")));
        // Not a whole number: text, which `validate_rules` refuses at its field.
        assert_eq!(EscalationRulesInput::from_form("1.5", "", "").unanswered_hours, Some(Value::from("1.5")));
    }
}
