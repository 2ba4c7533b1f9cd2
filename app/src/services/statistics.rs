//! The desk's statistics (`GET /api/v1/tickets/stats`, the `/admin/stats`
//! dashboard): volumes, response and resolution times, CSAT, service levels
//! and escalations of a period, a daily series in the desk's time zone, and
//! their CSV form. Four statements, run at once, each reading the period's
//! rows once through an index (migrations 20261125000002 and 20261204300001).

use crate::domain::{CsatStats, DailyStats, EscalationStats, SlaStats, TicketStats};
use crate::error::{AppError, FieldErrors};
use crate::services::Caller;
use crate::t;
use chrono::{Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Parses a period like `7d` (1 to 365 days).
pub fn parse_period(text: &str) -> Result<i64, AppError> {
    text.strip_suffix('d')
        .and_then(|days| days.parse::<i64>().ok())
        .filter(|days| (1..=365).contains(days))
        .ok_or_else(|| AppError::field("period", t!(field.period)))
}

/// How long computed statistics may be served again at most, in seconds,
/// even when no ticket event arrived (the period is relative to now).
pub const STATS_CACHE_SECONDS: u64 = 60;

/// Statistics computed recently, per (days, queue id), each with the live
/// stream position this instance had published before computing them. An
/// entry is served again while no newer ticket event reached this instance
/// (every change to a ticket records one, and every instance receives every
/// event, see `services::live`) and for at most [`STATS_CACHE_SECONDS`]: a
/// desk's statistics page and its API clients poll the same figures, which
/// cost tens of ms of database CPU each at a million tickets.
///
/// The dashboard's first-response ranges ([`FIRST_RESPONSE_RANGES`] counts,
/// per days and queue slug) are kept the same way, beside them.
#[derive(Debug, Default)]
pub struct StatsCache {
    entries: CacheMap<(i64, Option<i64>), TicketStats>,
    ranges: CacheMap<(i64, Option<String>), [i64; FIRST_RESPONSE_RANGES]>,
}

/// Cached values by key, each with the position it was computed at.
type CacheMap<K, T> = std::sync::Mutex<std::collections::HashMap<K, Cached<T>>>;

/// How many first-response ranges the dashboard counts (under 15 min, 1 h,
/// 4 h, 1 day, longer, unanswered).
pub const FIRST_RESPONSE_RANGES: usize = 6;

#[derive(Debug)]
struct Cached<T> {
    position: i64,
    computed_at: std::time::Instant,
    value: T,
}

impl<T: Clone> Cached<T> {
    fn new(position: i64, value: &T) -> Self {
        Cached { position, computed_at: std::time::Instant::now(), value: value.clone() }
    }

    /// The value, if no ticket event came after it and it is young enough.
    fn fresh(&self, position: i64) -> Option<T> {
        (self.position == position && self.computed_at.elapsed().as_secs() < STATS_CACHE_SECONDS)
            .then(|| self.value.clone())
    }
}

impl StatsCache {
    fn get(&self, key: (i64, Option<i64>), position: i64) -> Option<TicketStats> {
        self.entries.lock().expect("stats cache lock").get(&key).and_then(|entry| entry.fresh(position))
    }

    fn put(&self, key: (i64, Option<i64>), position: i64, stats: &TicketStats) {
        self.entries.lock().expect("stats cache lock").insert(key, Cached::new(position, stats));
    }

    /// The dashboard's first-response range counts over `days` (of queue
    /// `queue`, a slug), computed at live position `position`, if still fresh.
    pub fn first_response_ranges(
        &self,
        days: i64,
        queue: Option<&str>,
        position: i64,
    ) -> Option<[i64; FIRST_RESPONSE_RANGES]> {
        let ranges = self.ranges.lock().expect("stats cache lock");
        ranges.get(&(days, queue.map(str::to_string))).and_then(|entry| entry.fresh(position))
    }

    /// Keeps the counts computed after reading live position `position`.
    pub fn put_first_response_ranges(
        &self,
        days: i64,
        queue: Option<&str>,
        position: i64,
        counts: [i64; FIRST_RESPONSE_RANGES],
    ) {
        let mut ranges = self.ranges.lock().expect("stats cache lock");
        ranges.insert((days, queue.map(str::to_string)), Cached::new(position, &counts));
    }
}

/// Whether [`stats`] may answer from [`StatsCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Figures computed since the last ticket event and within
    /// [`STATS_CACHE_SECONDS`] will do (pages, polling clients).
    MayReuse,
    /// Compute them now (an API client's `Cache-Control: no-cache`, RFC 9111
    /// §5.2.1.4); the result still refreshes the cache.
    Fresh,
}

/// `part` of `whole` in percent, one decimal; `None` when `whole` is 0.
fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Statistics over the last `period` (e.g. `7d`: the last 7 × 24 hours),
/// optionally for one queue (its slug), for agents and admins: see
/// [`TicketStats`] for each field and what it counts. Days of the daily
/// series are those of the desk's time zone (`settings.desk.time_zone`,
/// `GUICHET_TIME_ZONE`). Served from `context.stats_cache` until a ticket
/// event arrives or a minute passes (see [`StatsCache`]), unless `freshness`
/// is [`Freshness::Fresh`].
///
/// Errors: 401; 403 for requesters; 422 for a bad period or queue.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), period, queue))]
pub async fn stats(
    context: &crate::services::ServerContext,
    caller: &Caller,
    period: &str,
    queue: Option<&str>,
    freshness: Freshness,
) -> Result<TicketStats, AppError> {
    let pool = &context.pool;
    caller.staff()?;
    // Both are text from the query string: bounded and free of control
    // characters before either reaches the database.
    let mut fields = FieldErrors::new();
    for (field, value) in [("period", Some(period)), ("queue", queue)] {
        if let Some(reason) = value.and_then(|value| crate::services::text::problem(value, 500)) {
            fields.insert(field.into(), reason);
        }
    }
    AppError::check(fields)?;
    let days = parse_period(period)?;
    let queue_id: Option<i64> = match queue.filter(|slug| !slug.is_empty()) {
        Some(slug) => Some(
            sqlx::query_scalar!("select id from queues where slug = $1", slug)
                .fetch_optional(pool)
                .await?
                .ok_or_else(|| AppError::field("queue", t!(field.unknown_queue)))?,
        ),
        None => None,
    };
    let zone_name = context.settings.desk.time_zone.as_str();
    let zone: chrono_tz::Tz = zone_name
        .parse()
        .map_err(|error: chrono_tz::ParseError| AppError::internal_because("desk time zone", error))?;
    let key = (days, queue_id);
    // Read before computing: an event published meanwhile makes the entry stale at once.
    let position = context.live.published_position();
    if freshness == Freshness::MayReuse
        && let Some(stats) = context.stats_cache.get(key, position)
    {
        return Ok(stats);
    }
    // The four statements are independent: they run at once, each on its
    // own pooled connection, so a request waits for the slowest, not the sum.
    //
    // One pass over the period's tickets for the three breakdowns (grouping
    // sets on the raw columns, names joined after aggregation), answered by
    // the covering index on created_at without reading the table.
    //
    // The tickets created in the last `$1` days (of queue `$2` when not
    // null), counted by status, by priority and by queue in one pass: one
    // row per group, the other two columns null.
    let breakdown = sqlx::query!(
        r#"select g.status::text, g.priority::text, q.slug as "queue?", g.count as "count!"
     from (select t.status, t.priority, t.queue_id, count(*) as count from tickets t
           where t.created_at >= now() - make_interval(days => $1) and ($2::bigint is null or t.queue_id = $2)
           group by grouping sets ((t.status), (t.priority), (t.queue_id))) g
     left join queues q on q.id = g.queue_id"#,
        days as i32,
        queue_id,
    )
    .fetch_all(pool);
    // The tickets created in the period, in one pass of the covering index
    // on created_at: the whole period (the row whose `day` is null) and each
    // local day ($3 is the desk's time zone). A ticket counts for the
    // first-response SLA when a policy applies to its queue and priority
    // (`covered`: every such pair, from the few queues and policies) and it
    // was answered or breached. Its breach can only be recorded after it
    // was created, so the period's breaches (a partial index) are all it is
    // looked up in: both are hash joins, not a lookup per ticket.
    let created = sqlx::query!(
        r#"with covered as materialized (
             select q.id as queue_id, p.priority
             from queues q cross join unnest(enum_range(null::ticket_priority)) as p (priority)
             where exists (select 1 from sla_policies s
                           where (s.queue_id is null or s.queue_id = q.id) and (s.priority is null or s.priority = p.priority))
           ), breaches as materialized (
             select n.ticket_id from ticket_sla_notices n
             where n.kind = 'breached' and n.target = 'first_response' and n.created_at >= now() - make_interval(days => $1)
           ), period as (
             select (t.created_at at time zone $3::text)::date as day,
                    extract(epoch from t.first_response_at - t.created_at)::float8 as first_response,
                    t.first_response_at is not null as answered,
                    case when c.queue_id is not null then b.ticket_id is not null end as breached
             from tickets t
             left join covered c on c.queue_id = t.queue_id and c.priority = t.priority
             left join breaches b on b.ticket_id = t.id
             where t.created_at >= now() - make_interval(days => $1) and ($2::bigint is null or t.queue_id = $2))
         select day as "day: NaiveDate", count(*) as "count!",
                percentile_cont(0.5) within group (order by first_response) as median,
                percentile_cont(0.9) within group (order by first_response) as p90,
                count(*) filter (where breached is not null and (answered or breached)) as "sla_counted!",
                count(*) filter (where breached is not null and answered and not breached) as "sla_met!"
         from period group by grouping sets ((), (day))"#,
        days as i32,
        queue_id,
        zone_name,
    )
    .fetch_all(pool);
    // The tickets resolved in the period, in one pass of the covering index
    // on resolved_at, the same way: a ticket under a policy counts for the
    // resolution SLA, met without a resolution breach notice. That breach
    // may be older than the period, so it is looked up by primary key, for
    // the tickets under a policy only.
    let resolved = sqlx::query!(
        r#"with covered as materialized (
             select q.id as queue_id, p.priority
             from queues q cross join unnest(enum_range(null::ticket_priority)) as p (priority)
             where exists (select 1 from sla_policies s
                           where (s.queue_id is null or s.queue_id = q.id) and (s.priority is null or s.priority = p.priority))
           ), period as (
             select (t.resolved_at at time zone $3::text)::date as day,
                    extract(epoch from t.resolved_at - t.created_at)::float8 as resolution,
                    case when c.queue_id is not null
                         then exists (select 1 from ticket_sla_notices n
                                      where n.ticket_id = t.id and n.target = 'resolution' and n.kind = 'breached')
                    end as breached
             from tickets t
             left join covered c on c.queue_id = t.queue_id and c.priority = t.priority
             where t.resolved_at >= now() - make_interval(days => $1) and ($2::bigint is null or t.queue_id = $2))
         select day as "day: NaiveDate", count(*) as "count!",
                percentile_cont(0.5) within group (order by resolution) as median,
                percentile_cont(0.9) within group (order by resolution) as p90,
                count(*) filter (where breached is not null) as "sla_counted!",
                count(*) filter (where not breached) as "sla_met!"
         from period group by grouping sets ((), (day))"#,
        days as i32,
        queue_id,
        zone_name,
    )
    .fetch_all(pool);
    // What happened in the period besides tickets, each through its own
    // partial or covering index on the time it happened, the ticket's queue
    // checked by primary key only when a queue is asked for: escalations
    // (automatic ones name their rule), breaches, ratings; and the tickets
    // open now from the counters the triggers keep.
    let activity = sqlx::query!(
        r#"select e.manual as "manual!", e.automatic as "automatic!", b.breached as "breached!",
                  r.count as "ratings!", r.average, r.one as "one!", r.two as "two!", r.three as "three!",
                  r.four as "four!", r.five as "five!", o.open_now as "open_now!"
         from (select count(*) filter (where not (ev.data ? 'rule')) as manual,
                      count(*) filter (where ev.data ? 'rule') as automatic
               from ticket_events ev
               where ev.action = 'escalated' and ev.created_at >= now() - make_interval(days => $1)
                 and ($2::bigint is null or exists (select 1 from tickets t where t.id = ev.ticket_id and t.queue_id = $2))) e
         cross join (select count(*) as breached from ticket_sla_notices n
               where n.kind = 'breached' and n.created_at >= now() - make_interval(days => $1)
                 and ($2::bigint is null or exists (select 1 from tickets t where t.id = n.ticket_id and t.queue_id = $2))) b
         cross join (select count(*) as count, avg(r.score)::float8 as average,
                      count(*) filter (where r.score = 1) as one, count(*) filter (where r.score = 2) as two,
                      count(*) filter (where r.score = 3) as three, count(*) filter (where r.score = 4) as four,
                      count(*) filter (where r.score = 5) as five
               from ticket_ratings r
               where r.rated_at >= now() - make_interval(days => $1)
                 and ($2::bigint is null or exists (select 1 from tickets t where t.id = r.ticket_id and t.queue_id = $2))) r
         cross join (select coalesce(sum(c.count), 0)::bigint as open_now from ticket_counts c
               where c.status not in ('resolved', 'closed') and ($2::bigint is null or c.queue_id = $2)) o"#,
        days as i32,
        queue_id,
    )
    .fetch_one(pool);
    let (breakdown, created, resolved, activity) = tokio::try_join!(breakdown, created, resolved, activity)?;
    let mut by_status = BTreeMap::new();
    let mut by_priority = BTreeMap::new();
    let mut by_queue = BTreeMap::new();
    for row in breakdown {
        let count = row.count;
        match (row.status, row.priority, row.queue) {
            (Some(status), None, None) => by_status.insert(status, count),
            (None, Some(priority), None) => by_priority.insert(priority, count),
            (None, None, Some(queue)) => by_queue.insert(queue, count),
            _ => None,
        };
    }
    // Every local day the period touches, oldest first, filled from the per-day rows.
    let now = Utc::now();
    let first_day = (now - Duration::days(days)).with_timezone(&zone).date_naive();
    let last_day = now.with_timezone(&zone).date_naive();
    let mut daily: BTreeMap<NaiveDate, DailyStats> = first_day
        .iter_days()
        .take_while(|day| *day <= last_day)
        .map(|date| (date, DailyStats { date, created: 0, resolved: 0, first_response_median_s: None }))
        .collect();
    let mut created_total = None;
    for row in created {
        match row.day {
            None => created_total = Some(row),
            Some(day) => {
                let entry = daily.entry(day).or_insert(DailyStats {
                    date: day,
                    created: 0,
                    resolved: 0,
                    first_response_median_s: None,
                });
                entry.created = row.count;
                entry.first_response_median_s = row.median;
            }
        }
    }
    let mut resolved_total = None;
    for row in resolved {
        match row.day {
            None => resolved_total = Some(row),
            Some(day) => {
                daily
                    .entry(day)
                    .or_insert(DailyStats { date: day, created: 0, resolved: 0, first_response_median_s: None })
                    .resolved = row.count;
            }
        }
    }
    // `grouping sets ((), ...)` always yields the total row, even over no rows.
    let created = created_total.ok_or_else(AppError::internal)?;
    let resolved = resolved_total.ok_or_else(AppError::internal)?;
    let closed_or_resolved = ["resolved", "closed"].iter().filter_map(|status| by_status.get(*status)).sum::<i64>();
    let distribution = [activity.one, activity.two, activity.three, activity.four, activity.five]
        .into_iter()
        .enumerate()
        .map(|(index, count)| ((index + 1).to_string(), count))
        .collect();
    let stats = TicketStats {
        period_days: days,
        by_status,
        by_priority,
        by_queue,
        created: created.count,
        resolved: resolved.count,
        first_response_seconds_median: created.median,
        first_response_seconds_p90: created.p90,
        resolution_seconds_median: resolved.median,
        resolution_seconds_p90: resolved.p90,
        open_now: activity.open_now,
        resolution_rate_pct: percent(closed_or_resolved, created.count),
        csat: CsatStats {
            average: activity.average.map(|average| (average * 100.0).round() / 100.0),
            count: activity.ratings,
            distribution,
        },
        sla: SlaStats {
            first_response_met_pct: percent(created.sla_met, created.sla_counted),
            resolution_met_pct: percent(resolved.sla_met, resolved.sla_counted),
            breached: activity.breached,
        },
        escalations: EscalationStats { manual: activity.manual, automatic: activity.automatic },
        daily: daily.into_values().collect(),
    };
    context.stats_cache.put(key, position, &stats);
    Ok(stats)
}

/// The header of [`to_csv`]'s table.
pub const CSV_HEADER: [&str; 6] = ["section", "key", "value", "created", "resolved", "first_response_median_s"];

/// `stats` as one CSV table (RFC 4180, UTF-8, a header row: [`CSV_HEADER`]),
/// its `section` column telling the rows apart:
///
/// - `summary`: one row per figure (`key` the JSON field's path with `_`
///   for `.`: `created`, `open_now`, `csat_average`, `sla_breached`,
///   `escalations_manual`...), its number in `value` (empty for `null`);
/// - `status`, `priority`, `queue`: the breakdowns (`key` the status,
///   priority or queue slug, `value` the count);
/// - `csat`: the ratings by score (`key` 1 to 5, `value` the count);
/// - `daily`: one row per day (`key` the date, `value` empty, then
///   `created`, `resolved` and `first_response_median_s`).
///
/// Numbers are written as Rust prints them, so they read back equal.
pub fn to_csv(stats: &TicketStats) -> Result<String, AppError> {
    fn number(value: Option<f64>) -> String {
        value.map(|value| value.to_string()).unwrap_or_default()
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |error: csv::Error| AppError::internal_because("statistics CSV", error);
    writer.write_record(CSV_HEADER).map_err(failed)?;
    let summary: [(&str, String); 16] = [
        ("period_days", stats.period_days.to_string()),
        ("created", stats.created.to_string()),
        ("resolved", stats.resolved.to_string()),
        ("open_now", stats.open_now.to_string()),
        ("resolution_rate_pct", number(stats.resolution_rate_pct)),
        ("first_response_seconds_median", number(stats.first_response_seconds_median)),
        ("first_response_seconds_p90", number(stats.first_response_seconds_p90)),
        ("resolution_seconds_median", number(stats.resolution_seconds_median)),
        ("resolution_seconds_p90", number(stats.resolution_seconds_p90)),
        ("csat_average", number(stats.csat.average)),
        ("csat_count", stats.csat.count.to_string()),
        ("sla_first_response_met_pct", number(stats.sla.first_response_met_pct)),
        ("sla_resolution_met_pct", number(stats.sla.resolution_met_pct)),
        ("sla_breached", stats.sla.breached.to_string()),
        ("escalations_manual", stats.escalations.manual.to_string()),
        ("escalations_automatic", stats.escalations.automatic.to_string()),
    ];
    for (key, value) in summary {
        writer.write_record(["summary", key, value.as_str(), "", "", ""]).map_err(failed)?;
    }
    for (section, counts) in [
        ("status", &stats.by_status),
        ("priority", &stats.by_priority),
        ("queue", &stats.by_queue),
        ("csat", &stats.csat.distribution),
    ] {
        for (key, count) in counts {
            writer.write_record([section, key.as_str(), count.to_string().as_str(), "", "", ""]).map_err(failed)?;
        }
    }
    for day in &stats.daily {
        writer
            .write_record([
                "daily",
                day.date.to_string().as_str(),
                "",
                day.created.to_string().as_str(),
                day.resolved.to_string().as_str(),
                number(day.first_response_median_s).as_str(),
            ])
            .map_err(failed)?;
    }
    let bytes =
        writer.into_inner().map_err(|error| AppError::internal_because("statistics CSV", error.into_error()))?;
    String::from_utf8(bytes).map_err(|error| AppError::internal_because("statistics CSV", error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_have_one_decimal_and_none_of_nothing() {
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(5, 5), Some(100.0));
    }
}
