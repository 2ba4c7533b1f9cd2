//! Service levels (issue 15): business calendars and SLA policies, stored
//! and managed (admins write, agents read), and which policy a ticket gets.
//! The clock arithmetic is pure, in [`clock`].
//!
//! Every rule of a calendar or a policy is checked here, once, before
//! anything is written: a refused change answers field errors and changes
//! nothing; an accepted one is one transaction.

pub mod clock;
pub mod ticket;
pub mod watch;

use crate::domain::Priority;
use crate::domain::service_levels::{
    BusinessCalendar, OpeningRange, ServiceLevels, SlaPolicy, WEEKDAYS, WeeklyHours, clock_time, parse_clock_time,
};
use crate::error::{AppError, FieldErrors};
use crate::services::{Caller, text, transaction};
use crate::t;
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeMap, BTreeSet};

/// Holidays a calendar may list (about 30 years of public holidays).
pub const MAX_HOLIDAYS: usize = 500;
/// Opening ranges a day may have.
pub const MAX_RANGES_PER_DAY: usize = 24;
/// The largest target, in business minutes: a year (525,600).
pub const MAX_TARGET_MINUTES: i64 = 365 * 24 * 60;
/// The largest `position` of a policy.
pub const MAX_POSITION: i64 = 1_000_000;

/// A business calendar as an admin writes it (`POST`/`PUT
/// /api/v1/business-calendars`): text as typed, checked by
/// [`validate_calendar`]. `hours` maps day names (`mon` ... `sun`) to
/// ranges `["HH:MM", "HH:MM"]` (`"24:00"` ends the day); a day left out is
/// closed. `holidays` are dates `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarInput {
    pub name: String,
    /// IANA name, e.g. `Europe/Paris`.
    pub time_zone: String,
    pub hours: BTreeMap<String, Vec<Vec<String>>>,
    pub holidays: Vec<String>,
}

impl CalendarInput {
    /// The input of the admin page's form: one text per day, Monday first,
    /// of ranges separated by commas (`09:00-12:00, 14:00-18:00`; `–` works
    /// too; empty = closed), and holidays separated by commas, spaces or
    /// line breaks. Only splits the text; [`validate_calendar`] judges it.
    pub fn from_form(name: String, time_zone: String, days: [&str; 7], holidays: &str) -> Self {
        let hours = WEEKDAYS
            .iter()
            .zip(days)
            .map(|((_, key), text)| {
                let ranges = text
                    .split(',')
                    .map(str::trim)
                    .filter(|range| !range.is_empty())
                    .map(|range| range.split(['-', '–']).map(|time| time.trim().to_string()).collect())
                    .collect();
                (key.to_string(), ranges)
            })
            .collect();
        let holidays =
            holidays.split([',', ' ', '\n', '\r', '\t']).filter(|date| !date.is_empty()).map(String::from).collect();
        CalendarInput { name, time_zone, hours, holidays }
    }
}

/// A calendar as [`validate_calendar`] accepted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCalendar {
    pub name: String,
    pub time_zone: chrono_tz::Tz,
    pub hours: WeeklyHours,
    pub holidays: BTreeSet<NaiveDate>,
}

/// The one check of a business calendar: `name` 1–60 characters; a time
/// zone of the IANA database (`chrono-tz`'s copy); `hours` only of days
/// `mon` ... `sun`, at most [`MAX_RANGES_PER_DAY`] a day, each range a
/// pair of `HH:MM` (`00:00`–`23:59`, `24:00` as an end) that starts before
/// it ends and overlaps no other range of its day, and open at least once a
/// week; at most [`MAX_HOLIDAYS`] holidays, each `YYYY-MM-DD`.
///
/// Errors: 422 with a reason per field (`name`, `time_zone`, `hours` for an
/// unknown day or a week never open, `hours.mon` ... for a day's ranges,
/// `holidays`).
pub fn validate_calendar(input: &CalendarInput) -> Result<ValidCalendar, AppError> {
    let mut fields = FieldErrors::new();
    let name = check_name(&mut fields, &input.name);
    let time_zone = input.time_zone.trim();
    let zone = if text::problem(time_zone, 64).is_some() { None } else { time_zone.parse::<chrono_tz::Tz>().ok() };
    if zone.is_none() {
        fields.insert("time_zone".into(), t!(field.unknown_time_zone).into());
    }
    let mut hours = WeeklyHours::default();
    for day in input.hours.keys() {
        if !WEEKDAYS.iter().any(|(_, key)| key == day) {
            let shown: String = day.chars().filter(|c| !c.is_control()).take(20).collect();
            fields.insert("hours".into(), t!(field.unknown_day, day = shown));
        }
    }
    for (weekday, key) in WEEKDAYS {
        let Some(ranges) = input.hours.get(key) else { continue };
        match check_day(ranges) {
            Ok(ranges) => *hours.day_mut(weekday) = ranges,
            Err(reason) => {
                fields.insert(format!("hours.{key}"), reason);
            }
        }
    }
    if !fields.keys().any(|field| field.starts_with("hours")) && hours.minutes_per_week() == 0 {
        fields.insert("hours".into(), t!(field.never_open).into());
    }
    let mut holidays = BTreeSet::new();
    if input.holidays.len() > MAX_HOLIDAYS {
        fields.insert("holidays".into(), t!(field.too_many_holidays, max = MAX_HOLIDAYS));
    } else {
        for date in &input.holidays {
            let date = date.trim();
            match parse_date(date) {
                Some(day) => {
                    holidays.insert(day);
                }
                None => {
                    let shown: String = date.chars().filter(|c| !c.is_control()).take(20).collect();
                    fields.insert("holidays".into(), t!(field.holiday_date, value = shown));
                    break;
                }
            }
        }
    }
    AppError::check(fields)?;
    let time_zone = zone.ok_or_else(AppError::internal)?;
    Ok(ValidCalendar { name, time_zone, hours, holidays })
}

/// A date written `YYYY-MM-DD` exactly.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let well_formed = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(index, byte)| if matches!(index, 4 | 7) { byte == b'-' } else { byte.is_ascii_digit() });
    well_formed.then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()).flatten()
}

/// One day's ranges, sorted, or why they are refused.
fn check_day(ranges: &[Vec<String>]) -> Result<Vec<OpeningRange>, String> {
    if ranges.len() > MAX_RANGES_PER_DAY {
        return Err(t!(field.too_many_ranges, max = MAX_RANGES_PER_DAY));
    }
    let mut checked = Vec::with_capacity(ranges.len());
    for range in ranges {
        let [start, end] = range.as_slice() else { return Err(t!(field.opening_range).into()) };
        let time = |text: &String, end_of_day| {
            parse_clock_time(text.trim(), end_of_day).ok_or_else(|| {
                let shown: String = text.chars().filter(|c| !c.is_control()).take(20).collect();
                t!(field.clock_time, value = shown)
            })
        };
        let (start_minute, end_minute) = (time(start, false)?, time(end, true)?);
        let range = OpeningRange::new(start_minute, end_minute).ok_or_else(|| {
            t!(field.range_inverted, range = format!("{}–{}", clock_time(start_minute), clock_time(end_minute)))
        })?;
        checked.push(range);
    }
    checked.sort();
    if let Some(pair) = checked.windows(2).find(|pair| pair[0].end > pair[1].start) {
        return Err(t!(field.ranges_overlap, first = pair[0].to_string(), second = pair[1].to_string()));
    }
    debug_assert!(clock::ranges_are_ordered(&checked));
    Ok(checked)
}

/// Names of calendars and policies: 1–60 characters, trimmed.
fn check_name(fields: &mut FieldErrors, name: &str) -> String {
    if let Some(reason) = text::problem(name, 60) {
        fields.insert("name".into(), reason);
    } else if name.trim().is_empty() {
        fields.insert("name".into(), t!(field.name_length).into());
    }
    name.trim().to_string()
}

/// A name already used (`*_name_key`) as a 409 on `name`; other errors as they are.
fn name_taken(error: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(database_error) = &error
        && matches!(database_error.constraint(), Some("business_calendars_name_key" | "sla_policies_name_key"))
    {
        return AppError::conflict_field("name", t!(field.already_used));
    }
    error.into()
}

/// ISO day number (1 = Monday) of `weekday`, as `business_calendar_hours` stores it.
fn weekday_number(weekday: Weekday) -> i16 {
    weekday.number_from_monday() as i16
}

/// The calendars with ids `ids` (all of them when `None`), by name.
pub(crate) async fn load_calendars(
    connection: &mut PgConnection,
    ids: Option<&[i64]>,
) -> Result<Vec<BusinessCalendar>, AppError> {
    let rows = sqlx::query!(
        "select id, name, time_zone from business_calendars where $1::bigint[] is null or id = any($1) order by name, id",
        ids as Option<&[i64]>,
    )
    .fetch_all(&mut *connection)
    .await?;
    let found: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let hours = sqlx::query!(
        "select calendar_id, weekday, start_minute, end_minute from business_calendar_hours
         where calendar_id = any($1) order by calendar_id, weekday, start_minute",
        &found,
    )
    .fetch_all(&mut *connection)
    .await?;
    let holidays = sqlx::query!(
        r#"select calendar_id, day as "day: NaiveDate" from business_calendar_holidays
           where calendar_id = any($1) order by calendar_id, day"#,
        &found,
    )
    .fetch_all(&mut *connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut week = WeeklyHours::default();
            for range in hours.iter().filter(|range| range.calendar_id == row.id) {
                let day = WEEKDAYS.iter().map(|(day, _)| *day).find(|day| weekday_number(*day) == range.weekday);
                let range = OpeningRange::new(range.start_minute as u16, range.end_minute as u16);
                if let (Some(day), Some(range)) = (day, range) {
                    week.day_mut(day).push(range);
                }
            }
            BusinessCalendar {
                id: row.id,
                name: row.name,
                time_zone: row.time_zone,
                hours: week,
                holidays: holidays
                    .iter()
                    .filter(|holiday| holiday.calendar_id == row.id)
                    .map(|holiday| holiday.day)
                    .collect(),
            }
        })
        .collect())
}

/// One calendar. Errors: 404.
async fn load_calendar(connection: &mut PgConnection, id: i64) -> Result<BusinessCalendar, AppError> {
    load_calendars(connection, Some(&[id])).await?.pop().ok_or_else(|| AppError::not_found("business calendar"))
}

/// Writes `calendar`'s hours and holidays as the only ones of calendar `id`.
async fn replace_hours(connection: &mut PgConnection, id: i64, calendar: &ValidCalendar) -> Result<(), AppError> {
    sqlx::query!("delete from business_calendar_hours where calendar_id = $1", id).execute(&mut *connection).await?;
    sqlx::query!("delete from business_calendar_holidays where calendar_id = $1", id).execute(&mut *connection).await?;
    let (mut weekdays, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
    for (day, _) in WEEKDAYS {
        for range in calendar.hours.day(day) {
            weekdays.push(weekday_number(day));
            starts.push(range.start as i16);
            ends.push(range.end as i16);
        }
    }
    sqlx::query!(
        "insert into business_calendar_hours (calendar_id, weekday, start_minute, end_minute)
         select $1, * from unnest($2::smallint[], $3::smallint[], $4::smallint[])",
        id,
        &weekdays,
        &starts,
        &ends,
    )
    .execute(&mut *connection)
    .await?;
    // As text: the macros would read `date` as the `time` crate's type.
    let days: Vec<String> = calendar.holidays.iter().map(|day| day.format("%Y-%m-%d").to_string()).collect();
    sqlx::query!(
        "insert into business_calendar_holidays (calendar_id, day) select $1, unnest($2::text[])::date",
        id,
        &days,
    )
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Every business calendar, by name (agents and admins). The built-in
/// "24/7" calendar is no row: policies without a calendar use it.
///
/// Errors: 401; 403 for requesters.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn list_calendars(pool: &PgPool, caller: &Caller) -> Result<Vec<BusinessCalendar>, AppError> {
    caller.staff()?;
    let mut connection = pool.acquire().await?;
    load_calendars(&mut connection, None).await
}

/// One business calendar (agents and admins). Errors: 401; 403; 404.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn calendar(pool: &PgPool, caller: &Caller, id: i64) -> Result<BusinessCalendar, AppError> {
    caller.staff()?;
    let mut connection = pool.acquire().await?;
    load_calendar(&mut connection, id).await
}

/// Adds a business calendar (admins), checked by [`validate_calendar`].
///
/// Errors: 401/403; 422 (see [`validate_calendar`]); 409 `name` taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn create_calendar(
    pool: &PgPool,
    caller: &Caller,
    input: &CalendarInput,
) -> Result<BusinessCalendar, AppError> {
    caller.admin()?;
    let calendar = &validate_calendar(input)?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let id = sqlx::query_scalar!(
                "insert into business_calendars (name, time_zone) values ($1, $2) returning id",
                calendar.name,
                calendar.time_zone.name(),
            )
            .fetch_one(&mut **transaction)
            .await
            .map_err(name_taken)?;
            replace_hours(transaction, id, calendar).await?;
            load_calendar(transaction, id).await
        })
    })
    .await
}

/// Replaces business calendar `id` (admins): its name, time zone, hours and
/// holidays, all at once. Policies using it count in the new hours from
/// then on (due times are computed when read; the jobs worker looks at
/// open tickets again).
///
/// Errors: 401/403; 404; 422 (see [`validate_calendar`]); 409 `name` taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn update_calendar(
    pool: &PgPool,
    caller: &Caller,
    id: i64,
    input: &CalendarInput,
) -> Result<BusinessCalendar, AppError> {
    caller.admin()?;
    let calendar = &validate_calendar(input)?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let updated = sqlx::query!(
                "update business_calendars set name = $2, time_zone = $3, updated_at = now() where id = $1",
                id,
                calendar.name,
                calendar.time_zone.name(),
            )
            .execute(&mut **transaction)
            .await
            .map_err(name_taken)?;
            if updated.rows_affected() == 0 {
                return Err(AppError::not_found("business calendar"));
            }
            replace_hours(transaction, id, calendar).await?;
            recheck_open_tickets(transaction).await?;
            load_calendar(transaction, id).await
        })
    })
    .await
}

/// Deletes business calendar `id` (admins), unless a policy uses it.
///
/// Errors: 401/403; 404; 409 while a policy uses it (the foreign key refuses).
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn delete_calendar(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    caller.admin()?;
    match sqlx::query!("delete from business_calendars where id = $1", id).execute(pool).await {
        Ok(done) if done.rows_affected() == 0 => Err(AppError::not_found("business calendar")),
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(error)) if error.is_foreign_key_violation() => {
            Err(AppError::conflict(t!(errors.calendar_in_use)))
        }
        Err(error) => Err(error.into()),
    }
}

/// An SLA policy as an admin writes it (`POST`/`PUT /api/v1/sla-policies`),
/// checked by [`create_policy`] and [`update_policy`]. `queue` is a slug and
/// `priority` a priority's name, `None` or empty = any; minutes are business
/// minutes; `calendar_id: None` = the built-in "24/7".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyInput {
    pub name: String,
    pub queue: Option<String>,
    pub priority: Option<String>,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub calendar_id: Option<i64>,
    pub position: i64,
}

impl PolicyInput {
    /// The input of the admin page's form, whose numbers arrive as text
    /// (empty `calendar_id`, `queue` or `priority` = none; empty `position` = 0).
    ///
    /// Errors: 422 with each field that is no whole number.
    #[allow(clippy::too_many_arguments)]
    pub fn from_form(
        name: String,
        queue: String,
        priority: String,
        first_response_minutes: &str,
        resolution_minutes: &str,
        calendar_id: &str,
        position: &str,
    ) -> Result<Self, AppError> {
        let mut fields = FieldErrors::new();
        let mut number = |field: &str, text: &str, empty: Option<i64>| -> Option<i64> {
            match (text.trim(), empty) {
                ("", Some(_)) => None,
                (text, _) => text.parse().map(Some).unwrap_or_else(|_| {
                    fields.insert(field.into(), t!(field.whole_number).into());
                    None
                }),
            }
        };
        let first_response_minutes = number("first_response_minutes", first_response_minutes, None).unwrap_or(0);
        let resolution_minutes = number("resolution_minutes", resolution_minutes, None).unwrap_or(0);
        let calendar_id = number("calendar_id", calendar_id, Some(0));
        let position = number("position", position, Some(0)).unwrap_or(0);
        AppError::check(fields)?;
        let optional = |text: String| Some(text).filter(|text| !text.trim().is_empty());
        Ok(PolicyInput {
            name,
            queue: optional(queue),
            priority: optional(priority),
            first_response_minutes,
            resolution_minutes,
            calendar_id,
            position,
        })
    }
}

/// A policy's input once its own fields are checked (what needs the
/// database, queue and calendar, comes after).
struct CheckedPolicy {
    name: String,
    queue: Option<String>,
    priority: Option<Priority>,
    first_response_minutes: i32,
    resolution_minutes: i32,
    calendar_id: Option<i64>,
    position: i32,
}

/// The checks of a policy that need no database: `name` 1–60 characters;
/// `queue` a slug, `priority` one of the priorities; both targets 1 to
/// [`MAX_TARGET_MINUTES`]; `position` 0 to [`MAX_POSITION`].
fn check_policy(input: &PolicyInput) -> Result<CheckedPolicy, AppError> {
    let mut fields = FieldErrors::new();
    let name = check_name(&mut fields, &input.name);
    let queue = input.queue.as_deref().map(str::trim).filter(|slug| !slug.is_empty());
    if queue.is_some_and(|slug| {
        !(2..=40).contains(&slug.len())
            || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }) {
        fields.insert("queue".into(), t!(field.unknown_queue).into());
    }
    let priority = match input.priority.as_deref().map(str::trim).filter(|priority| !priority.is_empty()) {
        None => None,
        Some(priority) => match priority.parse::<Priority>() {
            Ok(priority) => Some(priority),
            Err(reason) => {
                fields.insert("priority".into(), reason);
                None
            }
        },
    };
    let mut minutes = |field: &str, value: i64| -> i32 {
        if !(1..=MAX_TARGET_MINUTES).contains(&value) {
            fields.insert(field.into(), t!(field.target_minutes, max = MAX_TARGET_MINUTES));
        }
        i32::try_from(value).unwrap_or_default()
    };
    let first_response_minutes = minutes("first_response_minutes", input.first_response_minutes);
    let resolution_minutes = minutes("resolution_minutes", input.resolution_minutes);
    if !(0..=MAX_POSITION).contains(&input.position) {
        fields.insert("position".into(), t!(field.position, max = MAX_POSITION));
    }
    AppError::check(fields)?;
    Ok(CheckedPolicy {
        name,
        queue: queue.map(String::from),
        priority,
        first_response_minutes,
        resolution_minutes,
        calendar_id: input.calendar_id,
        position: i32::try_from(input.position).unwrap_or_default(),
    })
}

/// The queue's id for `policy.queue`, after checking that it and the
/// calendar exist (on `connection`, inside the change's transaction).
///
/// Errors: 422 on `queue` (no such queue) and `calendar_id` (no such calendar).
async fn resolve_policy(connection: &mut PgConnection, policy: &CheckedPolicy) -> Result<Option<i64>, AppError> {
    let mut fields = FieldErrors::new();
    let queue_id = match &policy.queue {
        None => None,
        Some(slug) => {
            let id = sqlx::query_scalar!("select id from queues where slug = $1", slug)
                .fetch_optional(&mut *connection)
                .await?;
            if id.is_none() {
                fields.insert("queue".into(), t!(field.unknown_queue).into());
            }
            id
        }
    };
    if let Some(calendar_id) = policy.calendar_id {
        let found = sqlx::query_scalar!("select id from business_calendars where id = $1 for key share", calendar_id)
            .fetch_optional(&mut *connection)
            .await?;
        if found.is_none() {
            fields.insert("calendar_id".into(), t!(field.unknown_calendar).into());
        }
    }
    AppError::check(fields)?;
    Ok(queue_id)
}

/// Every policy (or the one with id `id`), in matching order for equal
/// specificity: by position, then id.
pub(crate) async fn load_policies(connection: &mut PgConnection, id: Option<i64>) -> Result<Vec<SlaPolicy>, AppError> {
    Ok(sqlx::query_as!(
        SlaPolicy,
        r#"select p.id, p.name, q.slug as "queue?", p.priority as "priority: Priority",
                  p.first_response_minutes, p.resolution_minutes, p.calendar_id, p.position
           from sla_policies p left join queues q on q.id = p.queue_id
           where $1::bigint is null or p.id = $1
           order by p.position, p.id"#,
        id,
    )
    .fetch_all(&mut *connection)
    .await?)
}

/// One policy. Errors: 404.
async fn load_policy(connection: &mut PgConnection, id: i64) -> Result<SlaPolicy, AppError> {
    load_policies(connection, Some(id)).await?.pop().ok_or_else(|| AppError::not_found("SLA policy"))
}

/// Every SLA policy, by position then age (agents and admins).
///
/// Errors: 401; 403 for requesters.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn list_policies(pool: &PgPool, caller: &Caller) -> Result<Vec<SlaPolicy>, AppError> {
    caller.staff()?;
    let mut connection = pool.acquire().await?;
    load_policies(&mut connection, None).await
}

/// One SLA policy (agents and admins). Errors: 401; 403; 404.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn policy(pool: &PgPool, caller: &Caller, id: i64) -> Result<SlaPolicy, AppError> {
    caller.staff()?;
    let mut connection = pool.acquire().await?;
    load_policy(&mut connection, id).await
}

/// Adds an SLA policy (admins).
///
/// Errors: 401/403; 422 (`name`; `queue` unknown; `priority` not one;
/// `first_response_minutes`, `resolution_minutes` not 1 to
/// [`MAX_TARGET_MINUTES`]; `calendar_id` unknown; `position`); 409 `name` taken.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn create_policy(pool: &PgPool, caller: &Caller, input: &PolicyInput) -> Result<SlaPolicy, AppError> {
    caller.admin()?;
    let policy = &check_policy(input)?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let queue_id = resolve_policy(transaction, policy).await?;
            let id = sqlx::query_scalar!(
                "insert into sla_policies (name, queue_id, priority, first_response_minutes, resolution_minutes,
                                           calendar_id, position)
                 values ($1, $2, $3, $4, $5, $6, $7) returning id",
                policy.name,
                queue_id,
                policy.priority as Option<Priority>,
                policy.first_response_minutes,
                policy.resolution_minutes,
                policy.calendar_id,
                policy.position,
            )
            .fetch_one(&mut **transaction)
            .await
            .map_err(name_taken)?;
            recheck_open_tickets(transaction).await?;
            load_policy(transaction, id).await
        })
    })
    .await
}

/// Replaces SLA policy `id` (admins). Tickets it applies to get its new
/// targets at once (due times are computed when read; the jobs worker
/// looks at open tickets again).
///
/// Errors: 401/403; 404; 422 and 409 as [`create_policy`].
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn update_policy(
    pool: &PgPool,
    caller: &Caller,
    id: i64,
    input: &PolicyInput,
) -> Result<SlaPolicy, AppError> {
    caller.admin()?;
    let policy = &check_policy(input)?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let queue_id = resolve_policy(transaction, policy).await?;
            let updated = sqlx::query!(
                "update sla_policies set name = $2, queue_id = $3, priority = $4, first_response_minutes = $5,
                        resolution_minutes = $6, calendar_id = $7, position = $8, updated_at = now()
                 where id = $1",
                id,
                policy.name,
                queue_id,
                policy.priority as Option<Priority>,
                policy.first_response_minutes,
                policy.resolution_minutes,
                policy.calendar_id,
                policy.position,
            )
            .execute(&mut **transaction)
            .await
            .map_err(name_taken)?;
            if updated.rows_affected() == 0 {
                return Err(AppError::not_found("SLA policy"));
            }
            recheck_open_tickets(transaction).await?;
            load_policy(transaction, id).await
        })
    })
    .await
}

/// Deletes SLA policy `id` (admins); its tickets fall to the next policy
/// that applies, or none. Errors: 401/403; 404.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), id))]
pub async fn delete_policy(pool: &PgPool, caller: &Caller, id: i64) -> Result<(), AppError> {
    caller.admin()?;
    transaction::run(pool, |transaction| {
        Box::pin(async move {
            let deleted =
                sqlx::query!("delete from sla_policies where id = $1", id).execute(&mut **transaction).await?;
            if deleted.rows_affected() == 0 {
                return Err(AppError::not_found("SLA policy"));
            }
            recheck_open_tickets(transaction).await
        })
    })
    .await
}

/// The policy a ticket of queue `queue` (slug) and `priority` gets: among
/// those that apply (their queue and priority are the ticket's, or any),
/// the most specific (queue and priority, then either one, then neither),
/// then the lowest `position`, then the oldest (lowest id). `None` when
/// none applies (the ticket has no SLA).
pub fn matching_policy<'policy>(
    policies: &'policy [SlaPolicy],
    queue: &str,
    priority: Priority,
) -> Option<&'policy SlaPolicy> {
    policies
        .iter()
        .filter(|policy| policy.queue.as_deref().is_none_or(|slug| slug == queue))
        .filter(|policy| policy.priority.is_none_or(|wanted| wanted == priority))
        .min_by_key(|policy| {
            let specificity = u8::from(policy.queue.is_some()) + u8::from(policy.priority.is_some());
            (std::cmp::Reverse(specificity), policy.position, policy.id)
        })
}

/// Asks the jobs worker to look at every ticket not resolved or closed
/// again at its next pass (`ticket_sla_checks`), in the transaction of
/// a change to a policy or a calendar: their warning and due times may
/// have moved. A desk with many open tickets is worked through over a few
/// passes (the worker takes at most 2 × `RULE_BATCH` per pass).
///
/// Errors: [`AppError::Internal`] when the database fails.
async fn recheck_open_tickets(connection: &mut PgConnection) -> Result<(), AppError> {
    sqlx::query!(
        "insert into ticket_sla_checks (ticket_id, due_at)
         select id, now() from tickets where status not in ('resolved', 'closed')
         on conflict (ticket_id) do update set due_at = excluded.due_at"
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// The policy that applies to a ticket of queue `queue` (slug) and
/// `priority`, and the calendar it counts in; `None` when no policy
/// applies. No authorization: for the service layer, once the caller may
/// see the ticket (or for the jobs worker).
///
/// Errors: [`AppError::Internal`] when the database fails.
pub(crate) async fn applying(
    connection: &mut PgConnection,
    queue: &str,
    priority: Priority,
) -> Result<Option<(SlaPolicy, clock::Calendar)>, AppError> {
    let policies = load_policies(connection, None).await?;
    let Some(policy) = matching_policy(&policies, queue, priority).cloned() else { return Ok(None) };
    let calendars = match policy.calendar_id {
        Some(id) => load_calendars(connection, Some(&[id])).await?,
        None => Vec::new(),
    };
    let calendar = ticket::policy_calendar(&policy, &calendars);
    Ok(Some((policy, calendar)))
}

/// The clock calendar of a stored one; `None` (the built-in "24/7") when its
/// time zone is no longer one the server knows (validation refused it
/// when it was written, so only a downgraded time-zone database gets here).
pub fn clock_calendar(calendar: &BusinessCalendar) -> Option<clock::Calendar> {
    Some(clock::Calendar {
        name: Some(calendar.name.clone()),
        time_zone: calendar.time_zone.parse().ok()?,
        hours: calendar.hours.clone(),
        holidays: calendar.holidays.iter().copied().collect(),
    })
}

/// Every calendar and policy (agents and admins), read in one snapshot.
///
/// Errors: 401; 403 for requesters.
#[tracing::instrument(skip_all, fields(caller = caller.user_id()))]
pub async fn service_levels(pool: &PgPool, caller: &Caller) -> Result<ServiceLevels, AppError> {
    caller.staff()?;
    let mut connection = pool.begin().await?;
    sqlx::query!("set transaction isolation level repeatable read, read only").execute(&mut *connection).await?;
    let calendars = load_calendars(&mut connection, None).await?;
    let policies = load_policies(&mut connection, None).await?;
    connection.commit().await?;
    Ok(ServiceLevels { calendars, policies })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(id: i64, queue: Option<&str>, priority: Option<Priority>, position: i32) -> SlaPolicy {
        SlaPolicy {
            id,
            name: format!("policy {id}"),
            queue: queue.map(String::from),
            priority,
            first_response_minutes: 60,
            resolution_minutes: 480,
            calendar_id: None,
            position,
        }
    }

    #[test]
    fn the_most_specific_policy_wins_then_the_lowest_position() {
        let policies = vec![
            policy(1, None, None, 0),
            policy(2, Some("support"), None, 5),
            policy(3, None, Some(Priority::Urgent), 1),
            policy(4, Some("support"), Some(Priority::Urgent), 9),
            policy(5, Some("support"), Some(Priority::Urgent), 9),
        ];
        let matched = |queue, priority| matching_policy(&policies, queue, priority).map(|policy| policy.id);
        assert_eq!(matched("support", Priority::Urgent), Some(4), "queue and priority; equal positions: the oldest");
        assert_eq!(matched("recruitment", Priority::Urgent), Some(3));
        assert_eq!(matched("support", Priority::Low), Some(2));
        assert_eq!(matched("recruitment", Priority::Low), Some(1));
        // Queue-only against priority-only: equally specific, position decides.
        assert_eq!(matching_policy(&policies[1..3], "support", Priority::Urgent).map(|policy| policy.id), Some(3));
        assert_eq!(matching_policy(&policies[1..2], "recruitment", Priority::Low), None);
    }

    fn input(hours: &[(&str, &[[&str; 2]])]) -> CalendarInput {
        CalendarInput {
            name: "Office".into(),
            time_zone: "Europe/Paris".into(),
            hours: hours
                .iter()
                .map(|(day, ranges)| {
                    (
                        day.to_string(),
                        ranges.iter().map(|[start, end]| vec![start.to_string(), end.to_string()]).collect(),
                    )
                })
                .collect(),
            holidays: vec!["2026-12-25".into()],
        }
    }

    #[test]
    fn calendars_are_checked_field_by_field() {
        let valid = validate_calendar(&input(&[
            ("mon", &[["14:00", "18:00"], ["09:00", "12:00"]]),
            ("sun", &[["00:00", "24:00"]]),
        ]))
        .expect("valid");
        assert_eq!(valid.hours.mon.iter().map(ToString::to_string).collect::<Vec<_>>(), ["09:00–12:00", "14:00–18:00"]);
        assert_eq!(valid.hours.sun, [OpeningRange::WHOLE_DAY]);
        assert_eq!(valid.time_zone, chrono_tz::Europe::Paris);
        let refused = |input: CalendarInput| validate_calendar(&input).expect_err("refused").fields();
        let fields =
            refused(input(&[("mon", &[["09:00", "12:00"], ["11:00", "18:00"]]), ("tue", &[["18:00", "09:00"]])]));
        // Reasons are in the desk's language (French here): the fields and the ranges named.
        assert!(
            fields["hours.mon"].contains("09:00–12:00") && fields["hours.mon"].contains("11:00–18:00"),
            "{fields:?}"
        );
        assert!(fields["hours.tue"].contains("18:00–09:00"), "{fields:?}");
        let fields = refused(input(&[
            ("mon", &[["9:00", "12:00"]]),
            ("wed", &[["09:00", "24:30"]]),
            ("thu", &[["24:00", "24:00"]]),
        ]));
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["hours.mon", "hours.thu", "hours.wed"], "{fields:?}");
        let fields = refused(input(&[("monday", &[["09:00", "12:00"]])]));
        assert!(fields["hours"].contains("monday"), "{fields:?}");
        let fields = refused(input(&[]));
        assert!(fields.contains_key("hours"), "never open: {fields:?}");
        let mut bad = input(&[("mon", &[["09:00", "18:00"]])]);
        bad.time_zone = "Europe/Pariss".into();
        bad.holidays = vec!["2026-12-32".into()];
        bad.name = " ".into();
        let fields = refused(bad);
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["holidays", "name", "time_zone"], "{fields:?}");
    }

    #[test]
    fn the_form_splits_days_and_holidays() {
        let days = ["09:00-12:00, 14:00–18:00", "", "", "", "", "", ""];
        let input =
            CalendarInput::from_form("Office".into(), "UTC".into(), days, "2026-12-25\r\n2027-01-01, 2027-05-01");
        assert_eq!(
            input.hours["mon"],
            [vec!["09:00".to_string(), "12:00".into()], vec!["14:00".into(), "18:00".into()]]
        );
        assert!(input.hours["tue"].is_empty());
        assert_eq!(input.holidays, ["2026-12-25", "2027-01-01", "2027-05-01"]);
        assert!(validate_calendar(&input).is_ok());
    }
}
