//! A ticket's service level ([`TicketSla`]), worked out from its events
//! whenever it is read, and put in words: the policy that applies to the
//! ticket's current queue and priority, the two clocks of
//! [`super::clock::deadline`], the goals met and missed.

use super::clock::{self, Calendar, Deadline, StatusSince};
use crate::components::format::{day_and_month, short_time_in};
use crate::domain::service_levels::{
    BusinessCalendar, ClockStop, ExplanationStep, PolicyReference, SlaExplanation, SlaPolicy, SlaTarget, TicketSla,
};
use crate::domain::{Status, Ticket, TicketChange, TicketEvent};
use crate::error::AppError;
use crate::t;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// The service level of `ticket` with its `events` (all of them, as staff
/// see them), now; `None` when no policy applies. No authorization: the
/// caller has shown the ticket to staff.
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn for_ticket(
    connection: &mut PgConnection,
    ticket: &Ticket,
    events: &[TicketEvent],
) -> Result<Option<TicketSla>, AppError> {
    let Some((policy, calendar)) = super::applying(connection, &ticket.queue, ticket.priority).await? else {
        return Ok(None);
    };
    let timeline = status_timeline(events.iter().map(|event| (&event.change, event.created_at)));
    Ok(Some(ticket_sla(&policy, &calendar, &timeline, ticket.first_response_at, Utc::now())))
}

/// A ticket's status history (oldest first) from its changes in order,
/// each with when it happened: the entries a clock counts over. Changes
/// that set no status ([`TicketChange::status_after`]) are skipped.
pub fn status_timeline<'change>(
    changes: impl IntoIterator<Item = (&'change TicketChange, DateTime<Utc>)>,
) -> Vec<StatusSince> {
    changes
        .into_iter()
        .filter_map(|(change, since)| change.status_after().map(|status| StatusSince { since, status }))
        .collect()
}

/// The calendar a policy counts in: its own (looked up in `calendars`),
/// else the built-in "24/7" (no calendar, or one the server cannot read).
pub fn policy_calendar(policy: &SlaPolicy, calendars: &[BusinessCalendar]) -> Calendar {
    policy
        .calendar_id
        .and_then(|id| calendars.iter().find(|calendar| calendar.id == id))
        .and_then(super::clock_calendar)
        .unwrap_or_else(Calendar::always_open)
}

/// One clock of a ticket: `target`'s due time over `timeline`, with
/// `minutes` business minutes; the first-response clock stops at
/// `first_response_at`.
pub fn target_deadline(
    target: SlaTarget,
    minutes: i64,
    calendar: &Calendar,
    timeline: &[StatusSince],
    first_response_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Deadline {
    let goal = match target {
        SlaTarget::FirstResponse => first_response_at,
        SlaTarget::Resolution => None,
    };
    clock::deadline(calendar, minutes, timeline, goal, now)
}

/// Whether a clock missed its due time: its goal (or stop) came after it,
/// or has not come and `now` is past it.
pub fn breached(deadline: &Deadline, now: DateTime<Utc>) -> bool {
    deadline.due_at.is_some_and(|due| deadline.stopped_at.unwrap_or(now) > due)
}

/// The service level of a ticket under `policy` (counted in `calendar`)
/// with status history `timeline` and its first agent or admin reply at
/// `first_response_at`, seen at `now`; the explanations in the current
/// language ([`explain`]).
pub fn ticket_sla(
    policy: &SlaPolicy,
    calendar: &Calendar,
    timeline: &[StatusSince],
    first_response_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> TicketSla {
    let first_response = target_deadline(
        SlaTarget::FirstResponse,
        i64::from(policy.first_response_minutes),
        calendar,
        timeline,
        first_response_at,
        now,
    );
    let resolution = target_deadline(
        SlaTarget::Resolution,
        i64::from(policy.resolution_minutes),
        calendar,
        timeline,
        first_response_at,
        now,
    );
    let breached = [(SlaTarget::FirstResponse, &first_response), (SlaTarget::Resolution, &resolution)]
        .into_iter()
        .filter(|(_, deadline)| breached(deadline, now))
        .map(|(target, _)| target)
        .collect();
    let time_zone = calendar.time_zone.name();
    TicketSla {
        policy: PolicyReference { id: policy.id, name: policy.name.clone() },
        first_response_due_at: first_response.due_at,
        resolution_due_at: resolution.due_at,
        first_response_met_at: first_response_at,
        resolved_within: resolution.stopped_at.map(|stopped| resolution.due_at.is_none_or(|due| stopped <= due)),
        paused_since: resolution.paused_since,
        breached,
        explanation: vec![
            SlaExplanation {
                target: SlaTarget::FirstResponse,
                text: explain(&first_response.explanation, time_zone),
                steps: first_response.explanation,
            },
            SlaExplanation {
                target: SlaTarget::Resolution,
                text: explain(&resolution.explanation, time_zone),
                steps: resolution.explanation,
            },
        ],
    }
}

/// Business time in words: `4 h`, `1 h 30 min`, `45 min`.
fn duration(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, minutes) => t!(sla.minutes, minutes = minutes),
        (hours, 0) => t!(sla.hours, hours = hours),
        (hours, minutes) => t!(sla.hours_minutes, hours = hours, minutes = minutes),
    }
}

/// `steps` in words, in the current language, local times in `time_zone`
/// (the calendar's): the due time first, then how it was counted, e.g.
/// "due Tue Dec 1, 11:30 AM (Europe/Paris): 4 h of business time from Mon
/// Nov 30, 4:30 PM (Office), closed Mon Nov 30, 6:00 PM to Tue Dec 1, 9:00 AM".
pub fn explain(steps: &[ExplanationStep], time_zone: &str) -> String {
    let at = |instant: &DateTime<Utc>| short_time_in(instant, time_zone);
    let mut due = t!(sla.no_due).to_string();
    let mut parts = Vec::new();
    for step in steps {
        match step {
            ExplanationStep::Counted { minutes, from, calendar: Some(calendar), .. } => {
                parts.push(t!(sla.counted, duration = duration(*minutes), from = at(from), calendar = calendar.clone()))
            }
            ExplanationStep::Counted { minutes, from, calendar: None, .. } => {
                parts.push(t!(sla.around_the_clock, duration = duration(*minutes), from = at(from)))
            }
            ExplanationStep::Closed { from, until, holidays } if holidays.is_empty() => {
                parts.push(t!(sla.closed, from = at(from), until = at(until)))
            }
            ExplanationStep::Closed { from, until, holidays } => parts.push(t!(
                sla.closed_holidays,
                from = at(from),
                until = at(until),
                holidays = holidays.iter().map(|day| day_and_month(*day)).collect::<Vec<_>>().join(", ")
            )),
            ExplanationStep::Paused { from, until: Some(until) } => {
                parts.push(t!(sla.paused_between, from = at(from), until = at(until)))
            }
            ExplanationStep::Paused { from, until: None } => parts.push(t!(sla.paused_now, from = at(from))),
            ExplanationStep::Stopped { at: instant, reason } => parts.push(match reason {
                ClockStop::FirstResponse => t!(sla.stopped_first_response, at = at(instant)),
                ClockStop::Done(Status::Closed) => t!(sla.stopped_closed, at = at(instant)),
                ClockStop::Done(_) => t!(sla.stopped_resolved, at = at(instant)),
            }),
            ExplanationStep::Resumed { at: instant } => parts.push(t!(sla.resumed, at = at(instant))),
            ExplanationStep::Due { at: instant } => {
                due = t!(sla.due, at = at(instant), time_zone = time_zone.to_string());
            }
            ExplanationStep::NeverOpen => parts.push(t!(sla.never_open).to_string()),
        }
    }
    if parts.is_empty() { due } else { t!(sla.explanation, due = due, steps = parts.join(", ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Priority;
    use crate::domain::service_levels::{OpeningRange, WeeklyHours};
    use crate::i18n::{Language, request::in_language};
    use chrono::TimeZone;

    fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        // Europe/Paris is UTC+1 in December.
        Utc.with_ymd_and_hms(2026, 11, day, hour - 1, minute, 0).unwrap()
    }

    fn office() -> Calendar {
        let mut hours = WeeklyHours::default();
        for day in [&mut hours.mon, &mut hours.tue, &mut hours.wed, &mut hours.thu, &mut hours.fri] {
            day.push(OpeningRange::new(9 * 60, 18 * 60).unwrap());
        }
        Calendar {
            name: Some("Office".into()),
            time_zone: chrono_tz::Europe::Paris,
            hours,
            holidays: Default::default(),
        }
    }

    fn policy() -> SlaPolicy {
        SlaPolicy {
            id: 7,
            name: "Urgent support".into(),
            queue: Some("support".into()),
            priority: Some(Priority::Urgent),
            first_response_minutes: 240,
            resolution_minutes: 600,
            calendar_id: None,
            position: 0,
        }
    }

    #[test]
    fn a_ticket_waits_on_its_requester_and_the_due_time_moves() {
        // Monday 30 Nov 2026, 16:30 in Paris: 1 h 30 left that day.
        let created = TicketChange::Created { status: Status::Open, priority: Priority::Urgent };
        let pending = TicketChange::StatusChanged { from: Status::Open, to: Status::Pending, reason: None };
        let changes = [(&created, at(30, 16, 30))];
        let timeline = status_timeline(changes);
        let sla = ticket_sla(&policy(), &office(), &timeline, None, at(30, 17, 0));
        // 4 h: 1 h 30 on Monday, 2 h 30 on Tuesday from 09:00: 11:30 in Paris.
        assert_eq!(sla.first_response_due_at, Some(Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 0).unwrap()));
        assert!(sla.breached.is_empty() && sla.paused_since.is_none() && sla.resolved_within.is_none());
        assert!(sla.explanation[0].text.contains("Office"), "{:?}", sla.explanation);

        // Pending from 17:00 to Tuesday 10:00: one more business hour (17:00–18:00)
        // and Tuesday's first hour come back.
        let open = TicketChange::StatusChanged { from: Status::Pending, to: Status::Open, reason: None };
        let dates = [Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()];
        let changes = [(&created, at(30, 16, 30)), (&pending, at(30, 17, 0)), (&open, dates[0])];
        let sla = ticket_sla(&policy(), &office(), &status_timeline(changes), None, dates[0]);
        // Used before the pause: 30 min. Left: 3 h 30 from Tuesday 10:00 → 13:30.
        assert_eq!(sla.first_response_due_at, Some(Utc.with_ymd_and_hms(2026, 12, 1, 12, 30, 0).unwrap()));

        // Still pending: paused, the due time as if it resumed now.
        let changes = [(&created, at(30, 16, 30)), (&pending, at(30, 17, 0))];
        let sla = ticket_sla(&policy(), &office(), &status_timeline(changes), None, dates[0]);
        assert_eq!(sla.paused_since, Some(at(30, 17, 0)));
        assert_eq!(sla.first_response_due_at, Some(Utc.with_ymd_and_hms(2026, 12, 1, 12, 30, 0).unwrap()));
    }

    #[test]
    fn goals_met_late_are_breaches_and_resolution_says_whether_it_was_within() {
        let created = TicketChange::Created { status: Status::Open, priority: Priority::Urgent };
        let resolved = TicketChange::StatusChanged { from: Status::Open, to: Status::Resolved, reason: None };
        let start = at(30, 9, 0);
        // Replied at 14:00 (due 13:00), resolved Monday 17:00 (due Tuesday 10:00).
        let changes = [(&created, start), (&resolved, at(30, 17, 0))];
        let timeline = status_timeline(changes);
        let sla = ticket_sla(&policy(), &office(), &timeline, Some(at(30, 14, 0)), at(30, 18, 0));
        assert_eq!(sla.first_response_due_at, Some(at(30, 13, 0)));
        assert_eq!(sla.breached, [SlaTarget::FirstResponse]);
        assert_eq!(sla.resolved_within, Some(true));
        // Reopened the next Friday: the resolution clock runs again and is past due.
        let reopened = TicketChange::Reopened { from: Status::Resolved, to: Status::Open, reason: None };
        let friday = Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap();
        let changes = [(&created, start), (&resolved, at(30, 17, 0)), (&reopened, friday)];
        let sla = ticket_sla(&policy(), &office(), &status_timeline(changes), Some(at(30, 14, 0)), friday);
        assert_eq!(sla.resolved_within, None);
        // 8 h used on Monday; 2 h left from Friday 10:00 (Paris) → 12:00.
        assert_eq!(sla.resolution_due_at, Some(Utc.with_ymd_and_hms(2026, 12, 4, 11, 0, 0).unwrap()));
        assert_eq!(sla.breached, [SlaTarget::FirstResponse]);
    }

    #[test]
    fn explanations_read_in_both_languages() {
        let created = TicketChange::Created { status: Status::Open, priority: Priority::Urgent };
        let changes = [(&created, at(30, 16, 30))];
        let timeline = status_timeline(changes);
        let deadline = target_deadline(SlaTarget::FirstResponse, 240, &office(), &timeline, None, at(30, 16, 30));
        let english = in_language(Language::en, || explain(&deadline.explanation, "Europe/Paris"));
        assert_eq!(
            english,
            "due Tue Dec 1, 11:30 AM (Europe/Paris): 4 h of business time from Mon Nov 30, 4:30 PM (Office), \
             closed Mon Nov 30, 6:00 PM to Tue Dec 1, 9:00 AM"
        );
        let french = in_language(Language::fr, || explain(&deadline.explanation, "Europe/Paris"));
        assert_eq!(
            french,
            "échéance mar. 1 déc., 11:30 (Europe/Paris) : 4 h ouvrées à partir de lun. 30 nov., 16:30 (Office), \
             fermé de lun. 30 nov., 18:00 à mar. 1 déc., 09:00"
        );
    }
}
