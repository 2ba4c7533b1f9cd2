//! SLA clock arithmetic, pure: business minutes counted in a calendar's
//! opening hours (its own IANA time zone, holidays skipped), paused while a
//! ticket is pending, stopped when it is resolved or closed, and the steps
//! that explain each due time ([`ExplanationStep`]).
//!
//! Business time is real elapsed time while the calendar is open: opening
//! hours are local wall-clock times, turned into instants day by day with
//! `chrono-tz`, so a day whose clocks change has an hour more or less of
//! the ranges that cross the change. A local time that does not exist (the
//! hour skipped in spring) means the instant the clocks jump to; one that
//! happens twice (the hour repeated in autumn), the first of the two.

use crate::domain::Status;
use crate::domain::service_levels::{ClockStop, ExplanationStep, OpeningRange, WeeklyHours};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// A business calendar ready for counting: opening hours in `time_zone`
/// and closed `holidays` (local dates). Build it from a stored calendar
/// (the service layer validates the hours) or take [`Calendar::always_open`].
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// The calendar's name; `None` for the built-in "24/7".
    pub name: Option<String>,
    pub time_zone: Tz,
    /// Sorted, non-overlapping ranges per day (what validation guarantees;
    /// the counting relies on the order).
    pub hours: WeeklyHours,
    pub holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// The built-in "24/7" calendar: always open, in UTC, no holidays (what a
    /// policy without a calendar counts in).
    pub fn always_open() -> Self {
        Calendar { name: None, time_zone: chrono_tz::UTC, hours: WeeklyHours::always_open(), holidays: BTreeSet::new() }
    }

    /// The instant of `minute` (after local midnight, 0–1440) of local day
    /// `date`: 1440 is the next day's midnight; a time skipped by a
    /// daylight-saving change is the instant the clocks jumped to; a time that
    /// happens twice, its first occurrence.
    fn instant(&self, date: NaiveDate, minute: u16) -> DateTime<Utc> {
        let (date, minute) =
            if minute >= 1440 { (date.succ_opt().unwrap_or(date), 0) } else { (date, u32::from(minute)) };
        let mut local = date.and_hms_opt(minute / 60, minute % 60, 0).unwrap_or_default();
        // A gap is at most a few hours (one in Europe); a day is a safe bound.
        for _ in 0..=1440 {
            match self.time_zone.from_local_datetime(&local) {
                chrono::LocalResult::Single(instant) => return instant.with_timezone(&Utc),
                chrono::LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
                chrono::LocalResult::None => local += TimeDelta::minutes(1),
            }
        }
        Utc.from_utc_datetime(&local)
    }

    /// The local date of `instant` in the calendar's time zone.
    fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.time_zone).date_naive()
    }

    /// The most days counting may look through before it gives up: enough
    /// for `seconds` at the weekly opening hours, twice over (days shortened
    /// by a clock change), plus every holiday and two weeks.
    fn day_limit(&self, seconds: i64) -> Option<i64> {
        let weekly_seconds = i64::from(self.hours.minutes_per_week()) * 60;
        (weekly_seconds > 0).then(|| 14 * (seconds / weekly_seconds + 2) + self.holidays.len() as i64 + 14)
    }
}

/// How far one stretch of counting went ([`count`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counting {
    /// The business time ran out at this instant.
    Due(DateTime<Utc>),
    /// The stretch ended first, after this many business seconds.
    Used(i64),
    /// The calendar never opens again.
    NeverOpen,
}

/// Counts up to `seconds` business seconds from `from`, no further than
/// `until` (`None`: no limit), pushing a [`ExplanationStep::Closed`] for each
/// closed stretch crossed.
fn count(
    calendar: &Calendar,
    from: DateTime<Utc>,
    seconds: i64,
    until: Option<DateTime<Utc>>,
    steps: &mut Vec<ExplanationStep>,
) -> Counting {
    let Some(day_limit) = calendar.day_limit(seconds) else { return Counting::NeverOpen };
    let mut remaining = seconds;
    let mut cursor = from;
    let mut holidays = Vec::new();
    let mut date = calendar.local_date(from);
    // The closed stretch from `cursor` to `to`, if any, with the holidays in it.
    let mut closed = |cursor: DateTime<Utc>, to: DateTime<Utc>, holidays: &mut Vec<NaiveDate>| {
        if to > cursor {
            steps.push(ExplanationStep::Closed { from: cursor, until: to, holidays: std::mem::take(holidays) });
        }
    };
    for _ in 0..day_limit {
        if let Some(until) = until {
            if cursor >= until {
                return Counting::Used(seconds - remaining);
            }
            // A day that begins after the stretch ends: closed up to its end.
            if calendar.instant(date, 0) >= until {
                closed(cursor, until, &mut holidays);
                return Counting::Used(seconds - remaining);
            }
        }
        if calendar.holidays.contains(&date) {
            holidays.push(date);
        } else {
            for range in calendar.hours.day(date.weekday()) {
                let (start, end) = (calendar.instant(date, range.start), calendar.instant(date, range.end));
                if end <= cursor {
                    continue;
                }
                let open_from = start.max(cursor);
                if let Some(until) = until
                    && open_from >= until
                {
                    closed(cursor, until, &mut holidays);
                    return Counting::Used(seconds - remaining);
                }
                closed(cursor, open_from, &mut holidays);
                let open_until = until.map_or(end, |until| end.min(until));
                let available = (open_until - open_from).num_seconds();
                if remaining <= available {
                    return Counting::Due(open_from + TimeDelta::seconds(remaining));
                }
                remaining -= available;
                cursor = open_until;
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    Counting::NeverOpen
}

/// Adds `minutes` business minutes of `calendar` to `from`: the due instant
/// (UTC), or `None` when the calendar never opens; and the steps that
/// explain it (`Counted`, each `Closed` stretch, `Due`).
pub fn add_business_minutes(
    calendar: &Calendar,
    from: DateTime<Utc>,
    minutes: i64,
) -> (Option<DateTime<Utc>>, Vec<ExplanationStep>) {
    let deadline = deadline(calendar, minutes, &[StatusSince { since: from, status: Status::Open }], None, from);
    (deadline.due_at, deadline.explanation)
}

/// From `since` on, the ticket had `status`: one entry of a ticket's status
/// history, as its events give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSince {
    pub since: DateTime<Utc>,
    pub status: Status,
}

/// What a clock does while a ticket has `status`.
fn runs(status: Status) -> Result<(), Option<ClockStop>> {
    match status {
        Status::Open | Status::InProgress | Status::Escalated => Ok(()),
        // Waiting on the requester: paused (time added back).
        Status::Pending => Err(None),
        Status::Resolved | Status::Closed => Err(Some(ClockStop::Done(status))),
    }
}

/// A clock's due time, worked out from a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// UTC; `None` when the calendar never opens. While the clock is paused
    /// it assumes the ticket resumes now; once stopped, it is the due time
    /// that stood when it stopped.
    pub due_at: Option<DateTime<Utc>>,
    /// Since when the clock has been paused (the ticket is pending), if it is.
    pub paused_since: Option<DateTime<Utc>>,
    /// When the clock stopped (resolved, closed, or the goal reached), if it has.
    pub stopped_at: Option<DateTime<Utc>>,
    /// How `due_at` was computed, in order.
    pub explanation: Vec<ExplanationStep>,
}

/// The due time of a clock of `minutes` business minutes of `calendar`
/// over a ticket's status history `timeline` (oldest first; the first entry
/// is the ticket's creation, where counting starts): the clock runs while
/// the ticket is open, in progress or escalated, pauses while it is pending
/// (that time is added back), stops when it is resolved or closed, and runs
/// again when it is reopened. `goal_reached_at` stops it for good (the first
/// response, for the first-response clock; `None` for the resolution
/// clock). `now` is where a paused clock is assumed to resume.
///
/// An empty `timeline` has nothing to count: no due time, no steps.
pub fn deadline(
    calendar: &Calendar,
    minutes: i64,
    timeline: &[StatusSince],
    goal_reached_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Deadline {
    let mut deadline = Deadline { due_at: None, paused_since: None, stopped_at: None, explanation: Vec::new() };
    let (Some(first), Some(last)) = (timeline.first(), timeline.last()) else { return deadline };
    let goal = goal_reached_at.map(|goal| goal.max(first.since));
    deadline.stopped_at = goal.or_else(|| runs(last.status).is_err_and(|stop| stop.is_some()).then_some(last.since));
    if deadline.stopped_at.is_none() && last.status == Status::Pending {
        deadline.paused_since = Some(last.since);
    }
    let steps = &mut deadline.explanation;
    steps.push(ExplanationStep::Counted {
        minutes,
        from: first.since,
        calendar: calendar.name.clone(),
        time_zone: calendar.time_zone.name().to_string(),
    });
    let mut remaining = minutes.saturating_mul(60);
    // Since when the clock has stood stopped (resolved or closed), if it has.
    let mut stopped_since: Option<DateTime<Utc>> = None;
    let mut cursor = first.since;
    for (index, entry) in timeline.iter().enumerate() {
        let start = entry.since.max(cursor);
        if goal.is_some_and(|goal| start >= goal) {
            break;
        }
        let next = timeline.get(index + 1).map(|next| next.since.max(start));
        let end = match (next, goal) {
            (Some(next), Some(goal)) => Some(next.min(goal)),
            (next, goal) => next.or(goal),
        };
        match runs(entry.status) {
            Ok(()) => {
                if stopped_since.take().is_some() {
                    steps.push(ExplanationStep::Resumed { at: start });
                }
                match count(calendar, start, remaining, end, steps) {
                    Counting::Due(at) => {
                        steps.push(ExplanationStep::Due { at });
                        deadline.due_at = Some(at);
                        return deadline;
                    }
                    Counting::Used(used) => remaining -= used,
                    Counting::NeverOpen => {
                        steps.push(ExplanationStep::NeverOpen);
                        return deadline;
                    }
                }
            }
            Err(None) => {
                if stopped_since.take().is_some() {
                    steps.push(ExplanationStep::Resumed { at: start });
                }
                steps.push(ExplanationStep::Paused { from: start, until: end });
            }
            Err(Some(reason)) => {
                if stopped_since.is_none() {
                    steps.push(ExplanationStep::Stopped { at: start, reason });
                    stopped_since = Some(start);
                }
            }
        }
        cursor = end.unwrap_or(start);
    }
    let from = match (stopped_since, goal) {
        // Stopped: the due time that stood then (counted on, unexplained:
        // nothing after the stop counts).
        (Some(stopped), _) => {
            deadline.stopped_at = Some(stopped);
            let due = count(calendar, stopped, remaining, None, &mut Vec::new());
            push_due(&mut deadline, due);
            return deadline;
        }
        (None, Some(goal)) => {
            steps.push(ExplanationStep::Stopped { at: goal, reason: ClockStop::FirstResponse });
            let due = count(calendar, goal, remaining, None, &mut Vec::new());
            push_due(&mut deadline, due);
            return deadline;
        }
        // Paused now: as if it resumed now.
        (None, None) => now.max(cursor),
    };
    let due = count(calendar, from, remaining, None, steps);
    push_due(&mut deadline, due);
    deadline
}

/// Ends `deadline`'s explanation with the due time `due` (or that there is none).
fn push_due(deadline: &mut Deadline, due: Counting) {
    match due {
        Counting::Due(at) => {
            deadline.due_at = Some(at);
            deadline.explanation.push(ExplanationStep::Due { at });
        }
        Counting::Used(_) | Counting::NeverOpen => deadline.explanation.push(ExplanationStep::NeverOpen),
    }
}

/// Whether `ranges` (one day's) are each well formed, sorted and apart:
/// what [`Calendar::hours`] needs; the service layer's validation says
/// which rule a day breaks.
pub fn ranges_are_ordered(ranges: &[OpeningRange]) -> bool {
    ranges.windows(2).all(|pair| pair[0].end <= pair[1].start)
}

#[cfg(test)]
mod tests;
