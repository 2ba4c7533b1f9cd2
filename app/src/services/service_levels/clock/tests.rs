//! The SLA arithmetic (issue 15, item 7): opening hours, several ranges a
//! day, holidays, the daylight-saving changes of Europe/Paris (2026-03-29
//! and 2026-10-25), pauses, a reopen, a start outside opening hours.

use super::*;
use crate::domain::service_levels::OpeningRange;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("an RFC 3339 instant").with_timezone(&Utc)
}

fn range(start: &str, end: &str) -> OpeningRange {
    let start = crate::domain::service_levels::parse_clock_time(start, false).unwrap();
    let end = crate::domain::service_levels::parse_clock_time(end, true).unwrap();
    OpeningRange::new(start, end).unwrap()
}

/// Europe/Paris, Monday to Friday, with `ranges` each day.
fn office(ranges: &[(&str, &str)]) -> Calendar {
    let day: Vec<OpeningRange> = ranges.iter().map(|(start, end)| range(start, end)).collect();
    Calendar {
        name: Some("Office".into()),
        time_zone: chrono_tz::Europe::Paris,
        hours: WeeklyHours {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            ..WeeklyHours::default()
        },
        holidays: BTreeSet::new(),
    }
}

fn nine_to_six() -> Calendar {
    office(&[("09:00", "18:00")])
}

fn business_due(calendar: &Calendar, from: &str, minutes: i64) -> DateTime<Utc> {
    add_business_minutes(calendar, at(from), minutes).0.expect("a due time")
}

fn history(entries: &[(&str, Status)]) -> Vec<StatusSince> {
    entries.iter().map(|(since, status)| StatusSince { since: at(since), status: *status }).collect()
}

#[test]
fn business_hours_skip_the_night_and_say_so() {
    // The example, 4 business hours from Mon 16:30, closed 18:00–09:00: 1 h 30 on
    // Monday, 2 h 30 on Tuesday, due Tue 11:30 (the "Tue 10:30" miscounts).
    let calendar = nine_to_six();
    let (due, steps) = add_business_minutes(&calendar, at("2026-11-02T16:30:00+01:00"), 240);
    assert_eq!(due, Some(at("2026-11-03T11:30:00+01:00")));
    assert_eq!(
        steps,
        vec![
            ExplanationStep::Counted {
                minutes: 240,
                from: at("2026-11-02T16:30:00+01:00"),
                calendar: Some("Office".into()),
                time_zone: "Europe/Paris".into(),
            },
            ExplanationStep::Closed {
                from: at("2026-11-02T18:00:00+01:00"),
                until: at("2026-11-03T09:00:00+01:00"),
                holidays: vec![],
            },
            ExplanationStep::Due { at: at("2026-11-03T11:30:00+01:00") },
        ]
    );
    // Within the day, and ending exactly at closing time.
    assert_eq!(business_due(&calendar, "2026-11-02T10:00:00+01:00", 90), at("2026-11-02T11:30:00+01:00"));
    assert_eq!(business_due(&calendar, "2026-11-02T17:00:00+01:00", 60), at("2026-11-02T18:00:00+01:00"));
    // Friday afternoon to Monday morning: the weekend is one closed stretch.
    let (due, steps) = add_business_minutes(&calendar, at("2026-11-06T17:00:00+01:00"), 120);
    assert_eq!(due, Some(at("2026-11-09T10:00:00+01:00")));
    assert_eq!(steps.iter().filter(|step| matches!(step, ExplanationStep::Closed { .. })).count(), 1);
    // Seconds are kept: a ticket opened at 10:00:30 is due at 11:00:30.
    assert_eq!(business_due(&calendar, "2026-11-02T10:00:30+01:00", 60), at("2026-11-02T11:00:30+01:00"));
}

#[test]
fn several_ranges_a_day_count_only_their_hours() {
    let calendar = office(&[("09:00", "12:00"), ("14:00", "18:00")]);
    let (due, steps) = add_business_minutes(&calendar, at("2026-11-02T11:00:00+01:00"), 180);
    assert_eq!(due, Some(at("2026-11-02T16:00:00+01:00")));
    assert_eq!(
        steps[1],
        ExplanationStep::Closed {
            from: at("2026-11-02T12:00:00+01:00"),
            until: at("2026-11-02T14:00:00+01:00"),
            holidays: vec![],
        }
    );
    // 7 business hours a day: 8 hours from Mon 09:00 end Tue 10:00.
    assert_eq!(business_due(&calendar, "2026-11-02T09:00:00+01:00", 8 * 60), at("2026-11-03T10:00:00+01:00"));
    // Started during the lunch break: counting waits for 14:00.
    assert_eq!(business_due(&calendar, "2026-11-02T12:30:00+01:00", 30), at("2026-11-02T14:30:00+01:00"));
}

#[test]
fn holidays_are_skipped_and_named() {
    let mut calendar = nine_to_six();
    calendar.holidays.insert(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap());
    // Thu 17:00 + 2 h: an hour on Thursday, Christmas (Friday) and the weekend skipped, Mon 10:00.
    let (due, steps) = add_business_minutes(&calendar, at("2026-12-24T17:00:00+01:00"), 120);
    assert_eq!(due, Some(at("2026-12-28T10:00:00+01:00")));
    assert_eq!(
        steps[1],
        ExplanationStep::Closed {
            from: at("2026-12-24T18:00:00+01:00"),
            until: at("2026-12-28T09:00:00+01:00"),
            holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
        }
    );
    // Opened on the holiday itself.
    assert_eq!(business_due(&calendar, "2026-12-25T10:00:00+01:00", 60), at("2026-12-28T10:00:00+01:00"));
}

#[test]
fn a_start_outside_opening_hours_waits_for_the_opening() {
    let calendar = nine_to_six();
    // Saturday morning: counting begins Monday 09:00.
    let (due, steps) = add_business_minutes(&calendar, at("2026-10-31T10:00:00+01:00"), 60);
    assert_eq!(due, Some(at("2026-11-02T10:00:00+01:00")));
    assert_eq!(
        steps[1],
        ExplanationStep::Closed {
            from: at("2026-10-31T10:00:00+01:00"),
            until: at("2026-11-02T09:00:00+01:00"),
            holidays: vec![],
        }
    );
    // Before opening and after closing the same day.
    assert_eq!(business_due(&calendar, "2026-11-02T07:00:00+01:00", 30), at("2026-11-02T09:30:00+01:00"));
    assert_eq!(business_due(&calendar, "2026-11-02T20:00:00+01:00", 30), at("2026-11-03T09:30:00+01:00"));
}

#[test]
fn a_week_across_the_autumn_change_keeps_local_opening_hours() {
    // Clocks go back in Paris on Sun 2026-10-25 (03:00 CEST -> 02:00 CET).
    let calendar = nine_to_six();
    // Fri 16:00 CEST + 4 h: 2 h on Friday, then Mon 09:00-11:00 CET (10:00 UTC, not 09:00).
    assert_eq!(business_due(&calendar, "2026-10-23T16:00:00+02:00", 240), at("2026-10-26T11:00:00+01:00"));
    assert_eq!(business_due(&calendar, "2026-10-23T16:00:00+02:00", 240), at("2026-10-26T10:00:00Z"));
    // A week of business hours (45 h) from Wed 21 Oct 09:00 CEST ends Tue 27 Oct 18:00 CET.
    assert_eq!(business_due(&calendar, "2026-10-21T09:00:00+02:00", 45 * 60), at("2026-10-27T18:00:00+01:00"));
    assert_eq!(business_due(&calendar, "2026-10-21T09:00:00+02:00", 45 * 60 + 1), at("2026-10-28T09:01:00+01:00"));
    // Open all day every day in Paris: Sunday 25 October lasts 25 real hours.
    let mut every_day = Calendar::always_open();
    every_day.name = Some("Paris, all day".into());
    every_day.time_zone = chrono_tz::Europe::Paris;
    assert_eq!(business_due(&every_day, "2026-10-24T12:00:00+02:00", 24 * 60), at("2026-10-25T11:00:00+01:00"));
    let mut sundays = every_day.clone();
    sundays.hours = WeeklyHours { sun: vec![OpeningRange::WHOLE_DAY], ..WeeklyHours::default() };
    assert_eq!(business_due(&sundays, "2026-10-25T00:00:00+02:00", 25 * 60), at("2026-10-26T00:00:00+01:00"));
    // A range inside the repeated hour (02:00-03:00 happens twice): from its first 02:30.
    sundays.hours.sun = vec![range("02:30", "04:00")];
    assert_eq!(business_due(&sundays, "2026-10-24T12:00:00Z", 120), at("2026-10-25T02:30:00Z"));
}

#[test]
fn a_week_across_the_spring_change_keeps_local_opening_hours() {
    // Clocks go forward in Paris on Sun 2026-03-29 (02:00 CET -> 03:00 CEST).
    let calendar = nine_to_six();
    // Fri 17:00 CET + 2 h: 1 h on Friday, then Mon 09:00-10:00 CEST (08:00 UTC, not 09:00).
    assert_eq!(business_due(&calendar, "2026-03-27T17:00:00+01:00", 120), at("2026-03-30T10:00:00+02:00"));
    assert_eq!(business_due(&calendar, "2026-03-27T17:00:00+01:00", 120), at("2026-03-30T08:00:00Z"));
    // That Sunday lasts 23 real hours: a day's worth of minutes runs into the next Sunday.
    let mut sundays = Calendar::always_open();
    sundays.name = Some("Sundays".into());
    sundays.time_zone = chrono_tz::Europe::Paris;
    sundays.hours = WeeklyHours { sun: vec![OpeningRange::WHOLE_DAY], ..WeeklyHours::default() };
    assert_eq!(business_due(&sundays, "2026-03-29T00:00:00+01:00", 23 * 60), at("2026-03-30T00:00:00+02:00"));
    assert_eq!(business_due(&sundays, "2026-03-29T00:00:00+01:00", 24 * 60), at("2026-04-05T01:00:00+02:00"));
    // A range over the skipped hour, 01:00-04:00, is 2 real hours; one starting inside it opens at 03:00.
    sundays.hours.sun = vec![range("01:00", "04:00")];
    assert_eq!(business_due(&sundays, "2026-03-28T12:00:00Z", 120), at("2026-03-29T04:00:00+02:00"));
    sundays.hours.sun = vec![range("02:30", "05:00")];
    assert_eq!(business_due(&sundays, "2026-03-28T12:00:00Z", 60), at("2026-03-29T04:00:00+02:00"));
}

#[test]
fn the_built_in_calendar_counts_every_minute() {
    let calendar = Calendar::always_open();
    let (due, steps) = add_business_minutes(&calendar, at("2026-12-24T17:00:00Z"), 3 * 24 * 60);
    assert_eq!(due, Some(at("2026-12-27T17:00:00Z")));
    assert_eq!(steps.len(), 2, "no closed stretches: {steps:?}");
    assert!(matches!(&steps[0], ExplanationStep::Counted { calendar: None, time_zone, .. } if time_zone == "UTC"));
}

#[test]
fn a_calendar_that_never_opens_gives_no_due_time() {
    let mut calendar = nine_to_six();
    calendar.hours = WeeklyHours::default();
    let (due, steps) = add_business_minutes(&calendar, at("2026-11-02T10:00:00Z"), 60);
    assert_eq!(due, None);
    assert_eq!(steps.last(), Some(&ExplanationStep::NeverOpen));
}

#[test]
fn time_spent_pending_is_added_back() {
    let calendar = nine_to_six();
    // Mon 10:00 + 4 h, pending 11:00-13:00: due 16:00 instead of 14:00.
    let timeline = history(&[
        ("2026-11-02T10:00:00+01:00", Status::Open),
        ("2026-11-02T11:00:00+01:00", Status::Pending),
        ("2026-11-02T13:00:00+01:00", Status::InProgress),
    ]);
    let deadline = deadline(&calendar, 240, &timeline, None, at("2026-11-02T15:00:00+01:00"));
    assert_eq!(deadline.due_at, Some(at("2026-11-02T16:00:00+01:00")));
    assert_eq!(deadline.paused_since, None);
    assert_eq!(deadline.stopped_at, None);
    assert_eq!(
        deadline.explanation[1],
        ExplanationStep::Paused { from: at("2026-11-02T11:00:00+01:00"), until: Some(at("2026-11-02T13:00:00+01:00")) }
    );
    // A pause overnight adds back only the business hours in it.
    let timeline = history(&[
        ("2026-11-02T16:00:00+01:00", Status::Open),
        ("2026-11-02T17:00:00+01:00", Status::Pending),
        ("2026-11-03T10:00:00+01:00", Status::Open),
    ]);
    let deadline = super::deadline(&calendar, 120, &timeline, None, at("2026-11-03T10:00:00+01:00"));
    assert_eq!(deadline.due_at, Some(at("2026-11-03T11:00:00+01:00")));
}

#[test]
fn a_ticket_still_pending_has_its_due_time_move_with_now() {
    let calendar = nine_to_six();
    let timeline =
        history(&[("2026-11-02T10:00:00+01:00", Status::Open), ("2026-11-02T11:00:00+01:00", Status::Pending)]);
    let first = deadline(&calendar, 240, &timeline, None, at("2026-11-02T12:00:00+01:00"));
    assert_eq!(first.due_at, Some(at("2026-11-02T15:00:00+01:00")));
    assert_eq!(first.paused_since, Some(at("2026-11-02T11:00:00+01:00")));
    assert!(
        first.explanation.contains(&ExplanationStep::Paused { from: at("2026-11-02T11:00:00+01:00"), until: None })
    );
    let later = deadline(&calendar, 240, &timeline, None, at("2026-11-02T17:00:00+01:00"));
    assert_eq!(later.due_at, Some(at("2026-11-03T11:00:00+01:00")), "3 h left from 17:00: 1 h today, 2 h tomorrow");
}

#[test]
fn resolving_stops_the_clock_and_a_reopen_resumes_it() {
    let calendar = nine_to_six();
    // Resolved after 1 h: stopped, with the due time that stood (Mon 14:00).
    let resolved =
        history(&[("2026-11-02T10:00:00+01:00", Status::Open), ("2026-11-02T11:00:00+01:00", Status::Resolved)]);
    let stopped = deadline(&calendar, 240, &resolved, None, at("2026-11-05T12:00:00+01:00"));
    assert_eq!(stopped.due_at, Some(at("2026-11-02T14:00:00+01:00")));
    assert_eq!(stopped.stopped_at, Some(at("2026-11-02T11:00:00+01:00")));
    assert_eq!(stopped.paused_since, None);
    // Reopened Tuesday 10:00 (open again, then in progress): 3 h left, due Tue 13:00.
    let mut reopened = resolved.clone();
    reopened.extend(history(&[
        ("2026-11-03T10:00:00+01:00", Status::Open),
        ("2026-11-03T10:30:00+01:00", Status::InProgress),
    ]));
    let resumed = deadline(&calendar, 240, &reopened, None, at("2026-11-03T11:00:00+01:00"));
    assert_eq!(resumed.due_at, Some(at("2026-11-03T13:00:00+01:00")));
    assert_eq!(resumed.stopped_at, None);
    assert_eq!(
        resumed.explanation[1..],
        [
            ExplanationStep::Stopped { at: at("2026-11-02T11:00:00+01:00"), reason: ClockStop::Done(Status::Resolved) },
            ExplanationStep::Resumed { at: at("2026-11-03T10:00:00+01:00") },
            ExplanationStep::Due { at: at("2026-11-03T13:00:00+01:00") },
        ]
    );
    // Resolved then closed: one stop, at the resolution.
    let mut closed = resolved;
    closed.extend(history(&[("2026-11-04T10:00:00+01:00", Status::Closed)]));
    let done = deadline(&calendar, 240, &closed, None, at("2026-11-05T10:00:00+01:00"));
    assert_eq!(done.stopped_at, Some(at("2026-11-02T11:00:00+01:00")));
    assert_eq!(done.explanation.iter().filter(|step| matches!(step, ExplanationStep::Stopped { .. })).count(), 1);
}

#[test]
fn the_first_response_stops_its_clock_for_good() {
    let calendar = nine_to_six();
    let timeline = history(&[("2026-11-02T10:00:00+01:00", Status::Open)]);
    let reply = at("2026-11-02T10:30:00+01:00");
    let met = deadline(&calendar, 60, &timeline, Some(reply), at("2026-11-04T10:00:00+01:00"));
    assert_eq!(met.due_at, Some(at("2026-11-02T11:00:00+01:00")));
    assert_eq!(met.stopped_at, Some(reply));
    assert!(met.explanation.contains(&ExplanationStep::Stopped { at: reply, reason: ClockStop::FirstResponse }));
    // Answered late: the due time is where the hour ran out.
    let late = deadline(&calendar, 60, &timeline, Some(at("2026-11-02T15:00:00+01:00")), at("2026-11-04T10:00:00Z"));
    assert_eq!(late.due_at, Some(at("2026-11-02T11:00:00+01:00")));
    assert_eq!(late.stopped_at, Some(at("2026-11-02T15:00:00+01:00")));
}

#[test]
fn an_empty_history_has_nothing_to_count() {
    let deadline = deadline(&Calendar::always_open(), 60, &[], None, at("2026-11-02T10:00:00Z"));
    assert_eq!(deadline.due_at, None);
    assert!(deadline.explanation.is_empty());
}
