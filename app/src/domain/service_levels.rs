//! Service levels (issue 15) as both sides see them: business calendars
//! (opening hours, holidays), SLA policies, and the typed explanation of a
//! due time. The arithmetic is server-side, in
//! `crate::services::service_levels::clock`.

use super::{Priority, Status};
use crate::t;
use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Minutes in a day: the largest end of an [`OpeningRange`] ("24:00").
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// One range of opening hours within a day, in the calendar's local wall
/// clock: from `start` (included) to `end` (excluded), both in minutes after
/// midnight, `start < end <= 1440` ("24:00" ends the day). On the wire a pair
/// of `"HH:MM"` strings: `["09:00", "18:00"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpeningRange {
    /// Minutes after local midnight, 0–1439.
    pub start: u16,
    /// Minutes after local midnight, 1–1440.
    pub end: u16,
}

impl OpeningRange {
    /// The range `start`–`end` (minutes after midnight), or `None` unless
    /// `start < end <= 1440`.
    pub fn new(start: u16, end: u16) -> Option<Self> {
        (start < end && end <= MINUTES_PER_DAY).then_some(OpeningRange { start, end })
    }

    /// The whole day, 00:00–24:00.
    pub const WHOLE_DAY: OpeningRange = OpeningRange { start: 0, end: MINUTES_PER_DAY };

    /// Its length in minutes of the wall clock (a daylight-saving change
    /// inside it makes the real time differ).
    pub fn minutes(self) -> u16 {
        self.end - self.start
    }
}

/// `"HH:MM"` for `minutes` after midnight (`"24:00"` for 1440).
pub fn clock_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Reads `"HH:MM"` (two digits each, `00:00`–`23:59`, or `24:00` when
/// `end_of_day`) into minutes after midnight; `None` for anything else.
pub fn parse_clock_time(text: &str, end_of_day: bool) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 || !(hours.bytes().chain(minutes.bytes()).all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    match (hours, minutes) {
        (24, 0) if end_of_day => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

impl Serialize for OpeningRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        [clock_time(self.start), clock_time(self.end)].serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OpeningRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let [start, end] = <[String; 2]>::deserialize(deserializer)?;
        let start = parse_clock_time(&start, false);
        let end = parse_clock_time(&end, true);
        start
            .zip(end)
            .and_then(|(start, end)| OpeningRange::new(start, end))
            .ok_or_else(|| serde::de::Error::custom("an opening range is [\"HH:MM\", \"HH:MM\"], start before end"))
    }
}

impl fmt::Display for OpeningRange {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}–{}", clock_time(self.start), clock_time(self.end))
    }
}

/// Weekly opening hours: for each day of the week its ranges, sorted and
/// never overlapping (a day without ranges is closed). On the wire
/// `{"mon": [["09:00", "12:00"], ["14:00", "18:00"]], "tue": [...], ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WeeklyHours {
    pub mon: Vec<OpeningRange>,
    pub tue: Vec<OpeningRange>,
    pub wed: Vec<OpeningRange>,
    pub thu: Vec<OpeningRange>,
    pub fri: Vec<OpeningRange>,
    pub sat: Vec<OpeningRange>,
    pub sun: Vec<OpeningRange>,
}

/// The days of the week as [`WeeklyHours`] names them, Monday first.
pub const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

impl WeeklyHours {
    /// Open every day, all day (the built-in "24/7" calendar's hours).
    pub fn always_open() -> Self {
        let day = vec![OpeningRange::WHOLE_DAY];
        WeeklyHours {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day.clone(),
            sat: day.clone(),
            sun: day,
        }
    }

    /// The ranges of `day`.
    pub fn day(&self, day: Weekday) -> &[OpeningRange] {
        match day {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    /// The ranges of `day`, to fill in.
    pub fn day_mut(&mut self, day: Weekday) -> &mut Vec<OpeningRange> {
        match day {
            Weekday::Mon => &mut self.mon,
            Weekday::Tue => &mut self.tue,
            Weekday::Wed => &mut self.wed,
            Weekday::Thu => &mut self.thu,
            Weekday::Fri => &mut self.fri,
            Weekday::Sat => &mut self.sat,
            Weekday::Sun => &mut self.sun,
        }
    }

    /// Wall-clock minutes open in a week (0: never open).
    pub fn minutes_per_week(&self) -> u32 {
        WEEKDAYS.iter().flat_map(|(day, _)| self.day(*day)).map(|range| u32::from(range.minutes())).sum()
    }
}

/// A business calendar as stored and shown (`/api/v1/business-calendars`):
/// opening hours in the IANA time zone `time_zone`, and holidays (whole
/// local days, closed). Policies without a calendar use the built-in
/// "24/7" one, which is no row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCalendar {
    pub id: i64,
    pub name: String,
    /// IANA name, e.g. `Europe/Paris`.
    pub time_zone: String,
    pub hours: WeeklyHours,
    /// Closed days, ascending, `"2026-12-25"` on the wire.
    pub holidays: Vec<NaiveDate>,
}

/// An SLA policy (`/api/v1/sla-policies`): the targets of the tickets it
/// applies to, in business minutes of its calendar. It applies to tickets
/// of `queue` (a slug; `None` = any queue) and of `priority` (`None` = any);
/// the most specific policy that applies wins (queue and priority, then one
/// of them, then neither), ties going to the lowest `position`, then the
/// oldest (see `crate::services::service_levels::matching_policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub id: i64,
    pub name: String,
    /// The queue's slug; `None` = every queue.
    pub queue: Option<String>,
    /// `None` = every priority.
    pub priority: Option<Priority>,
    /// Business minutes from creation to the first agent or admin reply; > 0.
    pub first_response_minutes: i32,
    /// Business minutes from creation to resolution; > 0.
    pub resolution_minutes: i32,
    /// `None` = the built-in "24/7" calendar.
    pub calendar_id: Option<i64>,
    /// Order among policies equally specific: lowest first.
    pub position: i32,
}

/// Every calendar and policy, for the admin page (agents read, admins also
/// write): calendars by name, policies in matching order (position, then age).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLevels {
    pub calendars: Vec<BusinessCalendar>,
    pub policies: Vec<SlaPolicy>,
}

/// Why a clock stopped ([`ExplanationStep::Stopped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStop {
    /// The ticket was resolved or closed (the status it went to).
    Done(Status),
    /// The first agent or admin reply: what the first-response clock waits for.
    FirstResponse,
}

/// One step of how a due time was computed, in order, for pages and emails
/// to put in words (in the viewer's language; local times in `time_zone`
/// of the [`ExplanationStep::Counted`] step). Instants are UTC. In JSON,
/// tagged by `step`: `{"step": "closed", "from": ..., "until": ..., "holidays": [...]}`.
///
/// Read together: "4 business hours (counted) from Mon 16:30, closed 18:00
/// to Tue 09:00, paused 2 h while pending, due Tue 12:30".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ExplanationStep {
    /// Counting `minutes` business minutes began at `from`, in the calendar
    /// named `calendar` (`None`: the built-in "24/7"), whose opening hours
    /// are in `time_zone`.
    Counted { minutes: i64, from: DateTime<Utc>, calendar: Option<String>, time_zone: String },
    /// The calendar was closed from `from` to `until` (a night, a weekend, a
    /// start outside opening hours), which did not count; `holidays` are the
    /// holidays skipped within it.
    Closed { from: DateTime<Utc>, until: DateTime<Utc>, holidays: Vec<NaiveDate> },
    /// The clock was paused while the ticket was pending (waiting on the
    /// requester) from `from` to `until`; `until: None` = still paused, and
    /// the due time that follows assumes it resumes now (it moves while the
    /// ticket waits).
    Paused { from: DateTime<Utc>, until: Option<DateTime<Utc>> },
    /// The clock stopped at `at`, for `reason`; the due time that follows is
    /// the one that stood then.
    Stopped { at: DateTime<Utc>, reason: ClockStop },
    /// A stopped clock runs again from `at`: the ticket was reopened.
    Resumed { at: DateTime<Utc> },
    /// The due time.
    Due { at: DateTime<Utc> },
    /// The calendar never opens (no hours left to count): no due time.
    NeverOpen,
}

/// One of a policy's two targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// From creation to the first public reply by an agent or admin.
    FirstResponse,
    /// From creation to resolution (a reopen resumes it).
    Resolution,
}

impl SlaTarget {
    /// Both targets, first response first.
    pub const ALL: [SlaTarget; 2] = [SlaTarget::FirstResponse, SlaTarget::Resolution];

    /// The name in JSON and in the database (`ticket_sla_notices.target`).
    pub fn as_str(self) -> &'static str {
        match self {
            SlaTarget::FirstResponse => "first_response",
            SlaTarget::Resolution => "resolution",
        }
    }

    /// The target in the viewer's language: "first response", "resolution".
    pub fn label(self) -> &'static str {
        match self {
            SlaTarget::FirstResponse => t!(sla.first_response),
            SlaTarget::Resolution => t!(sla.resolution),
        }
    }
}

/// The policy a ticket's clocks follow: its id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReference {
    pub id: i64,
    pub name: String,
}

/// How one due time of a ticket was computed: `text` in the viewer's
/// language (local times in the calendar's time zone, e.g. "due Tue 1 Dec,
/// 10:30 (Europe/Paris): 4 h of business time from Mon 30 Nov, 16:30 in the
/// opening hours of Office; closed Mon 30 Nov, 18:00 to Tue 1 Dec, 09:00"),
/// and the typed `steps` it is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaExplanation {
    pub target: SlaTarget,
    pub text: String,
    pub steps: Vec<ExplanationStep>,
}

/// A ticket's service level (`sla` in the ticket's JSON and on its page,
/// for agents and admins), computed from its events whenever it is read:
/// the policy that applies now (its current queue and priority), both due
/// times (UTC), whether and when each goal was met, and why each due time
/// is what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    pub policy: PolicyReference,
    /// `None` when the calendar never opens. While the ticket is pending it
    /// assumes the clock resumes now, so it moves as the ticket waits.
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// As `first_response_due_at`; once resolved or closed, the due time
    /// that stood then.
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// When the first public agent or admin reply came (on time or late).
    pub first_response_met_at: Option<DateTime<Utc>>,
    /// Once the resolution clock has stopped (the ticket is resolved or
    /// closed): whether it stopped by its due time. `None` while it runs or
    /// is paused (a reopen makes it `None` again).
    pub resolved_within: Option<bool>,
    /// Since when both clocks are paused (the ticket is pending), if they are.
    pub paused_since: Option<DateTime<Utc>>,
    /// The targets missed: the goal came after the due time, or has not
    /// come and the due time is past. First response first.
    pub breached: Vec<SlaTarget>,
    /// One entry per target, first response first.
    pub explanation: Vec<SlaExplanation>,
}
