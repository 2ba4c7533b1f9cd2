//! The PostgreSQL floor: the statements the services run for each scenario,
//! copied from `app/src/services/` (each names its source function), run
//! directly with sqlx. A test checks every copied statement still appears,
//! whitespace aside, in the service's source.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// `TICKET_SELECT` of `app/src/services/tickets.rs`.
pub const TICKET_SELECT: &str =
    "select t.id, q.prefix, q.slug as queue, t.number, c.slug as category, t.priority, t.status,
        t.subject, t.description, t.metadata, t.source, t.requester_id, r.username::text as requester_username,
        t.assignee_id, a.username::text as assignee_username, t.created_at, t.updated_at,
        t.first_response_at, t.resolved_at, t.closed_at
    from tickets t
    join queues q on q.id = t.queue_id
    join categories c on c.id = t.category_id
    join users r on r.id = t.requester_id
    left join users a on a.id = t.assignee_id";

/// `parse_query` (ticket_lists.rs): a queue filter's id.
pub const QUEUE_BY_SLUG: &str = "select id from queues where slug = $1";

/// `list_statement` (ticket_lists.rs) for a requester's own tickets, newest first.
pub fn my_tickets() -> String {
    format!("{TICKET_SELECT} where true and t.requester_id = $1 order by t.id desc limit $2")
}

/// `list_statement` for status + priority + queue, by recent update; with a cursor for later pages.
pub fn dashboard(cursor: bool) -> String {
    let after = if cursor { " and (t.updated_at, t.id) < ($4, $5)" } else { "" };
    let limit = if cursor { "$6" } else { "$4" };
    format!(
        "{TICKET_SELECT} where true and t.status = $1 and t.priority = $2 and t.queue_id = $3{after} order by t.updated_at desc, t.id desc limit {limit}"
    )
}

/// `list_statement` for a search sorted by relevance (first page): the newest
/// `RELEVANCE_WINDOW` (`$2`) matches, ranked.
pub fn search() -> String {
    format!(
        "{TICKET_SELECT} where true and t.id in (select t.id from tickets t where true and t.search @@ to_tsquery('guichet_search', $1) order by t.id desc limit $2) order by ts_rank(t.search, to_tsquery('guichet_search', $3)) desc, t.id desc limit $4"
    )
}
/// `RELEVANCE_WINDOW` (ticket_lists.rs).
pub const RELEVANCE_WINDOW: i64 = 1_000;

/// `list_tickets` (ticket_lists.rs): the rank of the last row, for the next cursor.
pub const SEARCH_CURSOR_RANK: &str =
    r#"select ts_rank(search, to_tsquery('guichet_search', $2)) as "rank!" from tickets where id = $1"#;

/// `visible_ticket` (tickets.rs) by reference, and by id with a lock.
pub fn ticket_by_reference() -> String {
    format!("{TICKET_SELECT} where q.prefix = upper($1) and t.number = $2")
}
pub fn ticket_by_id_for_update() -> String {
    format!("{TICKET_SELECT} where t.id = $1 for update of t")
}
/// `load_ticket` (tickets.rs).
pub fn ticket_by_id() -> String {
    format!("{TICKET_SELECT} where t.id = $1")
}

/// `get_ticket` (tickets.rs): messages and events.
pub const TICKET_MESSAGES: &str =
    "select m.id, m.kind as kind, m.author_id, u.username::text as author_username, m.body,
            m.created_at as created_at
         from messages m left join users u on u.id = m.author_id
         where m.ticket_id = $1 and ($2 or m.kind <> 'internal_note') order by m.id";
pub const TICKET_EVENTS: &str = "select e.id, e.action, e.actor_id, u.username::text as actor_username, e.data,
            e.created_at as created_at
         from ticket_events e left join users u on u.id = e.actor_id
         where e.ticket_id = $1 and ($2 or e.audience = 'everyone') order by e.id";

/// `stats` (statistics.rs), its four statements (run at once, as the
/// service does): `$1` days, `$2` queue id or null, `$3` the desk's time zone
/// (created and resolved only). Counts by status, priority and queue in one pass.
pub const STATS_BREAKDOWN: &str = r#"select g.status::text, g.priority::text, q.slug as "queue?", g.count as "count!"
     from (select t.status, t.priority, t.queue_id, count(*) as count from tickets t
           where t.created_at >= now() - make_interval(days => $1) and ($2::bigint is null or t.queue_id = $2)
           group by grouping sets ((t.status), (t.priority), (t.queue_id))) g
     left join queues q on q.id = g.queue_id"#;
/// The period's created tickets, in total and per local day, with their SLA.
pub const STATS_CREATED: &str = r#"with covered as materialized (
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
         from period group by grouping sets ((), (day))"#;
/// The period's resolved tickets, the same way.
pub const STATS_RESOLVED: &str = r#"with covered as materialized (
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
         from period group by grouping sets ((), (day))"#;
/// Escalations, breaches, ratings and the tickets open now.
pub const STATS_ACTIVITY: &str = r#"select e.manual as "manual!", e.automatic as "automatic!", b.breached as "breached!",
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
               where c.status not in ('resolved', 'closed') and ($2::bigint is null or c.queue_id = $2)) o"#;

/// `create_ticket` (tickets.rs), in order.
pub const CATEGORY_ACTIVE: &str = "select id from categories where slug = $1 and active";
pub const ALLOCATE_NUMBER: &str = "update queues set next_number = next_number + 1 where slug = $1 and active returning id, name, next_number - 1 as number";
/// `check_open_ticket_limit` (tickets.rs).
pub const QUEUE_LIMIT: &str = "select open_ticket_limit from queues where id = $1 for update";
pub const INSERT_TICKET: &str = "insert into tickets (queue_id, number, requester_id, category_id, priority, subject, description, metadata, source)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id";
pub const DELETE_NEW_TICKET_DRAFT: &str = "delete from drafts where user_id = $1 and form = 'new_ticket'";
/// `record_event` (tickets.rs).
pub const INSERT_EVENT: &str =
    "insert into ticket_events (ticket_id, actor_id, action, data) values ($1, $2, $3, $4) returning id";

/// `notify_event` (live.rs), run by `record_event` after each event insert.
pub const NOTIFY_EVENT: &str = "select pg_notify($1, $2)";
/// The channel `notify_event` uses (`EVENTS_CHANNEL`).
pub const EVENTS_CHANNEL: &str = "guichet_events";

/// `add_message` (tickets.rs), after `visible_ticket ... for update`.
pub const INSERT_MESSAGE: &str =
    "insert into messages (ticket_id, author_id, kind, body, submission_key) values ($1, $2, $3, $4, $5)
         returning id, created_at as created_at";
pub const TOUCH_AFTER_MESSAGE: &str = "update tickets set updated_at = now(),
            status = case when $2 then 'open'::ticket_status else status end,
            resolved_at = case when $2 then null else resolved_at end,
            first_response_at = case when $3 and first_response_at is null then now() else first_response_at end
         where id = $1";
pub const DELETE_REPLY_DRAFT: &str = "delete from drafts where user_id = $1 and form = $2";

/// `change_status` (tickets.rs).
pub const UPDATE_STATUS: &str = "update tickets set status = $2, updated_at = now(),
            resolved_at = case when $2::ticket_status = 'resolved' then now() when $3 then null else resolved_at end,
            closed_at = case when $2::ticket_status = 'closed' then now() else null end
         where id = $1";

/// `log_in` (accounts.rs): the user, then after verification the cleanup of failures.
pub const LOGIN_USER: &str =
    "select id, password_hash from users where username = $1::text::citext or email = $1::text::citext limit 1";
pub const LOGIN_CLEAR_FAILURES: &str = "delete from login_failures
             where id = $1 or (account_id = $2 and address is not distinct from $3::text::inet)";
/// `seconds_until_allowed` (accounts.rs) with its predicate for the login name and the address.
pub fn login_throttle(predicate: &str) -> String {
    format!(
        "select ceil(extract(epoch from (failed_at + make_interval(secs => $2) - now())))::bigint
         from login_failures
         where {predicate} and failed_at > now() - make_interval(secs => $2)
         order by failed_at desc offset $3 limit 1"
    )
}
/// `user_by_id` (accounts.rs) is read after a log-in; the floor reads the same row.
pub const USER_BY_ID: &str = "select id, username::text, email::text, role::text, created_at from users where id = $1";

/// `ticket_priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "ticket_priority", rename_all = "snake_case")]
pub enum Priority {
    Low,
    Medium,
    High,
    Urgent,
}

/// `ticket_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "ticket_status", rename_all = "snake_case")]
pub enum Status {
    Open,
    InProgress,
    Pending,
    Resolved,
    Closed,
    Escalated,
}

/// `ticket_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "ticket_source", rename_all = "snake_case")]
pub enum Source {
    Web,
    Email,
    Api,
    Discord,
    Error,
}

/// `message_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "message_kind", rename_all = "snake_case")]
pub enum MessageKind {
    Reply,
    InternalNote,
    System,
}

/// A row of [`TICKET_SELECT`], decoded like the service's `TicketRow`.
#[derive(Debug, sqlx::FromRow)]
#[allow(dead_code)]
pub struct TicketRow {
    pub id: i64,
    pub prefix: String,
    pub queue: String,
    pub number: i64,
    pub category: String,
    pub priority: Priority,
    pub status: Status,
    pub subject: String,
    pub description: String,
    pub metadata: Value,
    pub source: Source,
    pub requester_id: i64,
    pub requester_username: String,
    pub assignee_id: Option<i64>,
    pub assignee_username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A row of [`TICKET_MESSAGES`].
#[derive(Debug, sqlx::FromRow)]
#[allow(dead_code)]
pub struct MessageRow {
    pub id: i64,
    pub kind: MessageKind,
    pub author_id: Option<i64>,
    pub author_username: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A row of [`TICKET_EVENTS`].
#[derive(Debug, sqlx::FromRow)]
#[allow(dead_code)]
pub struct EventRow {
    pub id: i64,
    pub action: String,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub data: Value,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with its whitespace runs as single spaces and sqlx's column
    /// annotations dropped (`as "kind: MessageKind"`, `as "name?"` become
    /// `as kind`, `as name`), so a service's checked query compares with
    /// the floor's plain copy.
    fn squeeze(text: &str) -> String {
        let mut plain = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("as \"") {
            plain.push_str(&rest[..start + 3]);
            let after = &rest[start + 4..];
            let Some(end) = after.find('"') else {
                rest = &rest[start + 3..];
                break;
            };
            let annotation = &after[..end];
            let name = annotation.split([':', '?', '!']).next().unwrap_or(annotation).trim();
            plain.push_str(name);
            rest = &after[end + 1..];
        }
        plain.push_str(rest);
        plain.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Each copied statement (or fragment of a built one) is still in the service source.
    #[test]
    fn floor_statements_match_the_services() {
        let tickets = squeeze(include_str!("../../app/src/services/tickets.rs"));
        let lists = squeeze(include_str!("../../app/src/services/ticket_lists.rs"));
        let accounts = squeeze(include_str!("../../app/src/services/accounts.rs"));
        for statement in [
            TICKET_SELECT,
            TICKET_MESSAGES,
            TICKET_EVENTS,
            CATEGORY_ACTIVE,
            ALLOCATE_NUMBER,
            QUEUE_LIMIT,
            INSERT_TICKET,
            DELETE_NEW_TICKET_DRAFT,
            INSERT_MESSAGE,
            TOUCH_AFTER_MESSAGE,
            DELETE_REPLY_DRAFT,
            UPDATE_STATUS,
            "where q.prefix = upper($1) and t.number = $2",
            "\" where t.id = $1 for update of t\"",
        ] {
            assert!(tickets.contains(&squeeze(statement)), "not in tickets.rs any more: {statement}");
        }
        // The floor leaves the event's audience to the column's default
        // (same cost); the service (events.rs) names it.
        let events = squeeze(include_str!("../../app/src/services/events.rs"));
        let insert_event = INSERT_EVENT.replace("action, data)", "action, data, audience)").replace("$4)", "$4, $5)");
        assert!(events.contains(&squeeze(&insert_event)), "not in events.rs any more: {insert_event}");
        for statement in [
            QUEUE_BY_SLUG,
            SEARCH_CURSOR_RANK,
            "\" and t.requester_id = \"",
            "\" and t.status = \"",
            "\" and t.priority = \"",
            "\" and t.queue_id = \"",
            "\" and (t.updated_at, t.id) < (\"",
            "\" order by t.updated_at desc, t.id desc\"",
            "\" and t.search @@ to_tsquery('guichet_search', \"",
            "\" and t.id in (select t.id from tickets t where true\"",
            "\" order by t.id desc limit \").push_bind(RELEVANCE_WINDOW)",
            "pub const RELEVANCE_WINDOW: i64 = 1_000;",
            "\"ts_rank(t.search, to_tsquery('guichet_search', \"",
        ] {
            assert!(lists.contains(&squeeze(statement)), "not in ticket_lists.rs any more: {statement}");
        }
        let statistics = squeeze(include_str!("../../app/src/services/statistics.rs"));
        for statement in [STATS_BREAKDOWN, STATS_CREATED, STATS_RESOLVED, STATS_ACTIVITY] {
            assert!(statistics.contains(&squeeze(statement)), "not in statistics.rs any more: {statement}");
        }
        for statement in [LOGIN_USER, LOGIN_CLEAR_FAILURES] {
            assert!(accounts.contains(&squeeze(statement)), "not in accounts.rs any more: {statement}");
        }
    }
}
