//! `guichet-bench generate`: loads a realistic help desk into a freshly
//! migrated Guichet database with `COPY`, deterministically for a seed and
//! an end date.
//!
//! Shape: 20,000 requesters, 60 agents, one admin, 3 queues; tickets spread
//! over the 730 days before the end date with weekday and hour seasonality
//! and some growth; statuses by age (old tickets closed, a working set of
//! recent ones open); 1–30 messages per ticket with internal notes; the
//! matching events. Secondary indexes are dropped during the load and built
//! again after it; triggers and foreign-key checks are off for the loading
//! sessions (`session_replication_role = replica`), so the trigger-kept
//! `ticket_counts` are recomputed at the end.

use crate::text;
use anyhow::{Context, bail};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version, password_hash::SaltString};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor};
use std::fmt::Write as _;
use std::time::Instant;
use tokio::sync::mpsc;

/// Generated requesters.
pub const REQUESTERS: usize = 20_000;
/// Generated agents.
pub const AGENTS: usize = 60;
/// Days of history before the end date.
pub const HISTORY_DAYS: i64 = 730;
/// Tickets owned by the first requester (the "my tickets" scenario).
pub const MY_TICKETS: u64 = 40;
/// Every ticket whose id is ≡ 500 (mod 1000) has exactly this many messages
/// (the ticket page scenario).
pub const PAGE_MESSAGES: usize = 20;

/// User ids: the admin is 1, agents 2..=61, requesters from 62.
pub const ADMIN_ID: i64 = 1;
pub fn agent_id(index: usize) -> i64 {
    2 + index as i64
}
pub fn requester_id(index: usize) -> i64 {
    2 + AGENTS as i64 + index as i64
}

/// What `generate` loads.
#[derive(Debug, Clone)]
pub struct Plan {
    pub tickets: u64,
    pub seed: u64,
    /// Midnight UTC ending the history (defaults to today's).
    pub end: NaiveDate,
}

/// The row `generate` leaves in `bench_dataset`, read to skip a second load.
pub async fn dataset(pool: &PgPool) -> anyhow::Result<Option<(i64, i64, NaiveDate)>> {
    let exists: bool = sqlx::query_scalar("select to_regclass('bench_dataset') is not null").fetch_one(pool).await?;
    if !exists {
        return Ok(None);
    }
    Ok(sqlx::query_as("select tickets, seed, end_date from bench_dataset order by generated_at desc limit 1")
        .fetch_optional(pool)
        .await?)
}

/// Loads the plan into the database at `url` (migrated, without tickets or users).
pub async fn generate(url: &str, plan: &Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let pool = PgPoolOptions::new().max_connections(6).connect(url).await.context("connecting to PostgreSQL")?;
    if let Some((tickets, seed, end)) = dataset(&pool).await?
        && tickets as u64 == plan.tickets
        && seed as u64 == plan.seed
        && end == plan.end
    {
        println!("The database already holds {tickets} tickets of seed {seed} ending {end}; nothing to do.");
        return Ok(());
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&pool).await?;
    let tickets: i64 = sqlx::query_scalar("select count(*) from tickets").fetch_one(&pool).await?;
    if users > 0 || tickets > 0 {
        bail!("the database already has {users} users and {tickets} tickets; generate into a new database");
    }

    sqlx::query(
        "insert into queues (slug, name, prefix, color) values ('billing', 'Billing', 'BIL', '#f0b232')
         on conflict (slug) do nothing",
    )
    .execute(&pool)
    .await?;
    // Every queue offers every category, as the migration did for the queues it found.
    sqlx::query(
        "insert into queue_categories (queue_id, category_id) select q.id, c.id from queues q cross join categories c
         on conflict do nothing",
    )
    .execute(&pool)
    .await?;
    let queue_ids = ids_by_slug(&pool, "queues", &["support", "billing", "recruitment"]).await?;
    let category_ids = ids_by_slug(&pool, "categories", &CATEGORIES.map(|(slug, _)| slug)).await?;

    println!("Users: 1 admin, {AGENTS} agents, {REQUESTERS} requesters (one shared argon2id hash)");
    load_users(&pool, plan).await?;

    let stream_position: bool = sqlx::query_scalar(
        "select exists (select 1 from information_schema.columns
         where table_schema = current_schema() and table_name = 'ticket_events' and column_name = 'stream_position')",
    )
    .fetch_one(&pool)
    .await?;
    let indexes = drop_secondary_indexes(&pool).await?;
    println!("Dropped {} secondary indexes for the load", indexes.len());

    let counts = load_tickets(url, plan, queue_ids, category_ids, stream_position).await?;
    println!(
        "Loaded {} tickets, {} messages, {} events in {:.0} s",
        counts.0,
        counts.1,
        counts.2,
        started.elapsed().as_secs_f64()
    );

    let index_started = Instant::now();
    rebuild_indexes(url, &indexes).await?;
    println!("Rebuilt {} indexes in {:.0} s", indexes.len(), index_started.elapsed().as_secs_f64());

    for (table, column) in [("users", "id"), ("tickets", "id"), ("messages", "id"), ("ticket_events", "id")] {
        pool.execute(
            format!(
                "select setval(pg_get_serial_sequence('{table}', '{column}'), (select coalesce(max({column}), 0) + 1 from {table}), false)"
            )
            .as_str(),
        )
        .await?;
    }
    if stream_position {
        let sequence: Option<String> =
            sqlx::query_scalar("select pg_get_serial_sequence('ticket_events', 'stream_position')")
                .fetch_one(&pool)
                .await?;
        if let Some(sequence) = sequence {
            sqlx::query("select setval($1, (select coalesce(max(stream_position), 0) + 1 from ticket_events), false)")
                .bind(sequence)
                .execute(&pool)
                .await?;
        }
    }
    pool.execute(
        "update queues q set next_number = coalesce((select max(number) from tickets t where t.queue_id = q.id), 0) + 1",
    )
    .await?;
    // What the trigger would have kept.
    pool.execute(
        "delete from ticket_counts;
         insert into ticket_counts (queue_id, status, count) select queue_id, status, count(*) from tickets group by 1, 2",
    )
    .await?;

    let vacuum_started = Instant::now();
    for table in ["users", "tickets", "messages", "ticket_events", "ticket_counts", "queues", "categories"] {
        pool.execute(format!("vacuum (analyze) {table}").as_str()).await?;
    }
    println!("VACUUM ANALYZE in {:.0} s", vacuum_started.elapsed().as_secs_f64());

    pool.execute(
        "create table if not exists bench_dataset (
            tickets bigint not null, seed bigint not null, end_date date not null,
            generated_at timestamptz not null default now(), seconds double precision not null)",
    )
    .await?;
    sqlx::query("insert into bench_dataset (tickets, seed, end_date, seconds) values ($1, $2, $3, $4)")
        .bind(plan.tickets as i64)
        .bind(plan.seed as i64)
        .bind(plan.end)
        .bind(started.elapsed().as_secs_f64())
        .execute(&pool)
        .await?;
    println!("Generated in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn ids_by_slug<const N: usize>(pool: &PgPool, table: &str, slugs: &[&str; N]) -> anyhow::Result<[i64; N]> {
    let mut ids = [0; N];
    for (id, slug) in ids.iter_mut().zip(slugs) {
        *id = sqlx::query_scalar(&format!("select id from {table} where slug = $1"))
            .bind(slug)
            .fetch_optional(pool)
            .await?
            .with_context(|| format!("{table} has no row {slug}"))?;
    }
    Ok(ids)
}

/// Weights of the 8 seeded categories.
const CATEGORIES: [(&str, u32); 8] = [
    ("order_issue", 24),
    ("product_issue", 12),
    ("payment_issue", 14),
    ("account_issue", 14),
    ("technical_issue", 16),
    ("general_inquiry", 10),
    ("refund_request", 8),
    ("other", 2),
];

/// One argon2id hash (the app's parameters) of [`text::PASSWORD`], salted from the seed.
fn shared_password_hash(seed: u64) -> anyhow::Result<String> {
    let params = Params::new(19_456, 2, 1, None).map_err(|error| anyhow::anyhow!("{error}"))?;
    let salt = SaltString::encode_b64(&seed.to_le_bytes().repeat(2)).map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(text::PASSWORD.as_bytes(), &salt)
        .map_err(|error| anyhow::anyhow!("{error}"))?
        .to_string())
}

async fn load_users(pool: &PgPool, plan: &Plan) -> anyhow::Result<()> {
    let hash = shared_password_hash(plan.seed)?;
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed ^ 0x5553_4552);
    let start = midnight(plan.end) - Duration::days(HISTORY_DAYS + 30);
    let mut buffer = String::new();
    let mut row = |id: i64, username: &str, role: &str, rng: &mut ChaCha8Rng| {
        let created = start + Duration::seconds(rng.gen_range(0..86_400 * 30));
        let _ = writeln!(
            buffer,
            "{id}\t{username}\t{username}@example.com\t{hash}\t{role}\t{}\t{}",
            timestamp(created),
            timestamp(created)
        );
    };
    row(ADMIN_ID, text::ADMIN_USERNAME, "admin", &mut rng);
    for index in 0..AGENTS {
        row(agent_id(index), &text::agent_username(index), "agent", &mut rng);
    }
    for index in 0..REQUESTERS {
        row(requester_id(index), &text::requester_username(index), "requester", &mut rng);
    }
    let mut connection = pool.acquire().await?;
    let mut copy = connection
        .copy_in_raw("copy users (id, username, email, password_hash, role, created_at, updated_at) from stdin")
        .await?;
    copy.send(buffer.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// Drops the indexes of tickets, messages and ticket_events that back no
/// constraint; returns their definitions.
async fn drop_secondary_indexes(pool: &PgPool) -> anyhow::Result<Vec<(String, String)>> {
    let indexes: Vec<(String, String, String)> = sqlx::query_as(
        "select i.tablename::text, i.indexname::text, i.indexdef from pg_indexes i
         where i.schemaname = current_schema() and i.tablename in ('tickets', 'messages', 'ticket_events')
           and not exists (select 1 from pg_constraint c where c.conindid = (quote_ident(i.indexname))::regclass)
         order by i.tablename, i.indexname",
    )
    .fetch_all(pool)
    .await?;
    for (_, name, _) in &indexes {
        pool.execute(format!("drop index \"{name}\"").as_str()).await?;
    }
    Ok(indexes.into_iter().map(|(table, _, definition)| (table, definition)).collect())
}

/// Builds the indexes again on two connections: tickets' on one, the others' on the second.
async fn rebuild_indexes(url: &str, indexes: &[(String, String)]) -> anyhow::Result<()> {
    let lanes: [Vec<String>; 2] = [
        indexes.iter().filter(|(table, _)| table == "tickets").map(|(_, definition)| definition.clone()).collect(),
        indexes.iter().filter(|(table, _)| table != "tickets").map(|(_, definition)| definition.clone()).collect(),
    ];
    let tasks = lanes.into_iter().map(|definitions| {
        let url = url.to_string();
        tokio::spawn(async move {
            let mut connection = PgConnection::connect(&url).await?;
            connection.execute("set maintenance_work_mem = '512MB'").await?;
            for definition in definitions {
                connection.execute(definition.as_str()).await.with_context(|| definition.clone())?;
            }
            anyhow::Ok(())
        })
    });
    for result in futures::future::join_all(tasks).await {
        result??;
    }
    Ok(())
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
}

/// Appends `value` escaped for COPY's text format.
fn push_text(buffer: &mut String, value: &str) {
    for character in value.chars() {
        match character {
            '\\' => buffer.push_str("\\\\"),
            '\n' => buffer.push_str("\\n"),
            '\r' => buffer.push_str("\\r"),
            '\t' => buffer.push_str("\\t"),
            other => buffer.push(other),
        }
    }
}

fn push_optional_time(buffer: &mut String, at: Option<DateTime<Utc>>) {
    match at {
        Some(at) => buffer.push_str(&timestamp(at)),
        None => buffer.push_str("\\N"),
    }
}

/// Relative ticket volume per weekday, Monday first.
const WEEKDAY_WEIGHTS: [f64; 7] = [1.25, 1.2, 1.15, 1.1, 1.0, 0.45, 0.35];
/// Relative ticket volume per hour of the day (UTC, a European help desk).
const HOUR_WEIGHTS: [f64; 24] = [
    0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 2.8, 3.0, 2.8, 2.2, 2.6, 2.9, 2.8, 2.5, 2.0, 1.5, 1.2, 0.9, 0.7, 0.5,
    0.3,
];

/// Tickets created on each day of the history: weekday seasonality and a
/// 0.7 → 1.3 growth, rounded so they add up to `total`.
fn tickets_per_day(start: NaiveDate, total: u64) -> Vec<u64> {
    let weights: Vec<f64> = (0..HISTORY_DAYS)
        .map(|day| {
            let date = start + Duration::days(day);
            WEEKDAY_WEIGHTS[date.weekday().num_days_from_monday() as usize]
                * (0.7 + 0.6 * day as f64 / HISTORY_DAYS as f64)
        })
        .collect();
    let sum: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    let mut given = 0u64;
    weights
        .iter()
        .map(|weight| {
            cumulative += weight;
            let until = ((cumulative / sum) * total as f64).round() as u64;
            let count = until - given;
            given = until;
            count
        })
        .collect()
}

fn pick<T: Copy>(rng: &mut impl Rng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.gen_range(0..total);
    for (value, weight) in choices {
        if roll < *weight {
            return *value;
        }
        roll -= weight;
    }
    choices[choices.len() - 1].0
}

/// Status mixes by age: per mille of open, in_progress, pending, escalated, resolved, closed.
fn status_for_age(rng: &mut impl Rng, age_days: f64) -> &'static str {
    let weights: [u32; 6] = if age_days < 2.0 {
        [450, 250, 100, 50, 100, 50]
    } else if age_days < 14.0 {
        [150, 150, 150, 30, 320, 200]
    } else if age_days < 60.0 {
        [20, 20, 30, 10, 120, 800]
    } else {
        [3, 2, 5, 1, 19, 970]
    };
    pick(
        rng,
        &[
            ("open", weights[0]),
            ("in_progress", weights[1]),
            ("pending", weights[2]),
            ("escalated", weights[3]),
            ("resolved", weights[4]),
            ("closed", weights[5]),
        ],
    )
}

/// Copy buffers of one chunk of tickets.
#[derive(Default)]
struct Chunk {
    tickets: String,
    messages: String,
    events: String,
}

/// Writes tickets, messages and events on three connections, fed by one generator thread.
async fn load_tickets(
    url: &str,
    plan: &Plan,
    queue_ids: [i64; 3],
    category_ids: [i64; 8],
    stream_position: bool,
) -> anyhow::Result<(u64, u64, u64)> {
    let event_columns = if stream_position {
        "id, ticket_id, actor_id, action, data, created_at, stream_position"
    } else {
        "id, ticket_id, actor_id, action, data, created_at"
    };
    let statements = [
        "copy tickets (id, queue_id, number, requester_id, assignee_id, category_id, priority, status, subject, description, metadata, source, created_at, updated_at, first_response_at, resolved_at, closed_at) from stdin".to_string(),
        "copy messages (id, ticket_id, author_id, kind, body, created_at) from stdin".to_string(),
        format!("copy ticket_events ({event_columns}) from stdin"),
    ];
    let mut senders = Vec::new();
    let mut writers = Vec::new();
    for statement in statements {
        let (sender, mut receiver) = mpsc::channel::<String>(8);
        senders.push(sender);
        let url = url.to_string();
        writers.push(tokio::spawn(async move {
            let mut connection = PgConnection::connect(&url).await?;
            connection.execute("set session_replication_role = replica").await?;
            let mut copy = connection.copy_in_raw(&statement).await?;
            while let Some(buffer) = receiver.recv().await {
                copy.send(buffer.into_bytes()).await?;
            }
            copy.finish().await?;
            anyhow::Ok(())
        }));
    }
    let plan = plan.clone();
    let progress = ProgressBar::new(plan.tickets);
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} tickets ({per_sec}, eta {eta})",
        )
        .expect("a valid template"),
    );
    let bar = progress.clone();
    let generator = tokio::task::spawn_blocking(move || {
        let mut generator = Generator::new(&plan, queue_ids, category_ids, stream_position);
        let start = plan.end - Duration::days(HISTORY_DAYS);
        for (day, count) in tickets_per_day(start, plan.tickets).into_iter().enumerate() {
            let chunk = generator.day(midnight(start + Duration::days(day as i64)), count);
            for (sender, buffer) in senders.iter().zip([chunk.tickets, chunk.messages, chunk.events]) {
                sender.blocking_send(buffer).map_err(|_| anyhow::anyhow!("a COPY writer stopped"))?;
            }
            bar.inc(count);
        }
        anyhow::Ok((generator.next_ticket - 1, generator.next_message - 1, generator.next_event - 1))
    });
    let counts = generator.await??;
    for writer in writers {
        writer.await??;
    }
    progress.finish();
    Ok(counts)
}

struct Generator {
    rng: ChaCha8Rng,
    end: DateTime<Utc>,
    queue_ids: [i64; 3],
    category_ids: [i64; 8],
    stream_position: bool,
    numbers: [i64; 3],
    next_ticket: u64,
    next_message: u64,
    next_event: u64,
    /// Tickets between two tickets of the "my tickets" requester.
    my_stride: u64,
}

/// A history line before it gets its id.
struct Event {
    at: DateTime<Utc>,
    actor: Option<i64>,
    action: &'static str,
    data: String,
}

impl Generator {
    fn new(plan: &Plan, queue_ids: [i64; 3], category_ids: [i64; 8], stream_position: bool) -> Self {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(plan.seed),
            end: midnight(plan.end),
            queue_ids,
            category_ids,
            stream_position,
            numbers: [0; 3],
            next_ticket: 1,
            next_message: 1,
            next_event: 1,
            my_stride: (plan.tickets / MY_TICKETS).max(1),
        }
    }

    /// The `count` tickets created on the day starting at `day`, in time order.
    fn day(&mut self, day: DateTime<Utc>, count: u64) -> Chunk {
        let mut seconds: Vec<i64> = (0..count)
            .map(|_| {
                let hour = pick_hour(&mut self.rng);
                hour as i64 * 3600 + self.rng.gen_range(0..3600)
            })
            .collect();
        seconds.sort_unstable();
        let mut chunk = Chunk::default();
        for offset in seconds {
            self.ticket(&mut chunk, day + Duration::seconds(offset));
        }
        chunk
    }

    fn ticket(&mut self, chunk: &mut Chunk, created: DateTime<Utc>) {
        let id = self.next_ticket;
        self.next_ticket += 1;
        let rng = &mut self.rng;
        let end = self.end - Duration::seconds(1);
        let age_days = (self.end - created).num_seconds() as f64 / 86_400.0;
        let queue = pick(rng, &[(0usize, 70), (1, 20), (2, 10)]);
        self.numbers[queue] += 1;
        let number = self.numbers[queue];
        let index = id - 1;
        let requester_index = if index % self.my_stride == self.my_stride / 2 && index / self.my_stride < MY_TICKETS {
            0
        } else {
            // Skewed: a few requesters write a lot, most write little.
            1 + ((REQUESTERS - 1) as f64 * rng.r#gen::<f64>().powi(2)) as usize
        };
        let requester = requester_id(requester_index);
        let status = status_for_age(rng, age_days);
        let priority = pick(rng, &[("low", 25), ("medium", 50), ("high", 20), ("urgent", 5)]);
        let category = pick(rng, &CATEGORIES.map(|(slug, weight)| (slug, weight)));
        let category_index = CATEGORIES.iter().position(|(slug, _)| *slug == category).expect("a category");
        let source = pick(rng, &[("web", 60), ("email", 25), ("api", 10), ("discord", 5)]);
        let french = rng.gen_bool(0.6);
        let assignee_index = rng.gen_range(0..AGENTS);
        let assigned = if status == "open" { rng.gen_bool(0.4) } else { rng.gen_bool(0.95) };
        let assignee = assigned.then(|| agent_id(assignee_index));
        let done = matches!(status, "resolved" | "closed");
        let mut message_count = if id % 1000 == 500 {
            PAGE_MESSAGES
        } else {
            1 + ((-(1.0 - rng.r#gen::<f64>()).ln() * 3.2) as usize).min(29)
        };
        if assignee.is_none() {
            message_count = message_count.min(3);
        }
        let resolved_at = done.then(|| {
            let hours = -(1.0 - rng.r#gen::<f64>()).ln() * 28.0;
            (created + Duration::minutes(10 + (hours * 60.0) as i64)).min(end)
        });
        let closed_at = (status == "closed").then(|| {
            let resolved = resolved_at.expect("closed tickets are resolved");
            (resolved + Duration::minutes(rng.gen_range(60..7 * 24 * 60))).min(end)
        });
        let horizon = resolved_at.unwrap_or(end);
        let span = (horizon - created).num_seconds().max(60);
        let mut times: Vec<DateTime<Utc>> = (0..message_count)
            .map(|_| created + Duration::seconds(rng.gen_range(30..span.max(31)).min(span)))
            .collect();
        times.sort_unstable();
        let product = rng.gen_range(0..text::PRODUCTS);
        let (subject, description) = text::ticket_text(rng, french, product);

        let mut events = vec![Event {
            at: created,
            actor: Some(requester),
            action: "created",
            data: format!(r#"{{"status": "open", "priority": "{priority}"}}"#),
        }];
        let mut current = "open";
        let mut first_response_at = None;
        let mut last_agent_message = None;
        let ticket_id = id;
        if let Some(agent) = assignee {
            let at = times.first().map_or(created + Duration::minutes(1), |first| *first - Duration::seconds(1));
            events.push(Event {
                at: at.max(created),
                actor: Some(agent),
                action: "assigned",
                data: format!(
                    r#"{{"to": {{"id": {agent}, "username": "{}"}}, "from": null}}"#,
                    text::agent_username(assignee_index)
                ),
            });
        }
        for (position, at) in times.iter().enumerate() {
            let message_id = self.next_message;
            self.next_message += 1;
            let by_agent = assignee.is_some() && position % 2 == 0;
            let note = by_agent && position > 0 && rng.gen_bool(0.12);
            let author = if by_agent { assignee.expect("assigned") } else { requester };
            let kind = if note { "internal_note" } else { "reply" };
            let body = text::message_text(rng, french, by_agent, note);
            let _ = write!(chunk.messages, "{message_id}\t{ticket_id}\t{author}\t{kind}\t");
            push_text(&mut chunk.messages, &body);
            let _ = writeln!(chunk.messages, "\t{}", timestamp(*at));
            events.push(Event {
                at: *at,
                actor: Some(author),
                action: if note { "note_added" } else { "replied" },
                data: format!(r#"{{"message_id": {message_id}}}"#),
            });
            if by_agent && !note {
                last_agent_message = Some(*at);
                if first_response_at.is_none() {
                    first_response_at = Some(*at);
                    if status != "open" {
                        events.push(status_event(*at, Some(author), current, "in_progress"));
                        current = "in_progress";
                    }
                }
            }
        }
        if rng.gen_bool(0.1) && priority != "low" {
            let at = created + Duration::seconds(rng.gen_range(60..span.max(61)).min(span));
            events.push(Event {
                at,
                actor: assignee.or(Some(ADMIN_ID)),
                action: "priority_changed",
                data: format!(r#"{{"to": "{priority}", "from": "low"}}"#),
            });
        }
        let last_message = times.last().copied().unwrap_or(created);
        let mut updated_at = last_message;
        let actor = assignee.or(Some(ADMIN_ID));
        match status {
            "in_progress" | "pending" | "escalated" if current == "open" => {
                let at = (created + Duration::minutes(5)).min(end);
                events.push(status_event(at, actor, "open", "in_progress"));
                current = "in_progress";
            }
            _ => {}
        }
        match status {
            "pending" => {
                let at = last_agent_message.unwrap_or(last_message).max(created + Duration::minutes(6)).min(end);
                events.push(status_event(at, actor, current, "pending"));
                updated_at = updated_at.max(at);
            }
            "escalated" => {
                let at = (last_message + Duration::minutes(30)).min(end);
                let reason = text::ESCALATION_REASONS[rng.gen_range(0..text::ESCALATION_REASONS.len())];
                events.push(Event {
                    at,
                    actor,
                    action: "escalated",
                    data: format!(r#"{{"from": "{current}", "reason": "{reason}"}}"#),
                });
                updated_at = updated_at.max(at);
            }
            "resolved" | "closed" => {
                let resolved = resolved_at.expect("done tickets are resolved");
                events.push(status_event(resolved, actor, current, "resolved"));
                updated_at = updated_at.max(resolved);
                if let Some(closed) = closed_at {
                    let closer = if rng.gen_bool(0.3) { Some(requester) } else { Some(ADMIN_ID) };
                    events.push(status_event(closed, closer, "resolved", "closed"));
                    updated_at = updated_at.max(closed);
                }
            }
            _ => {}
        }
        events.sort_by_key(|event| event.at);
        for event in events {
            let event_id = self.next_event;
            self.next_event += 1;
            let _ = write!(chunk.events, "{event_id}\t{ticket_id}\t");
            match event.actor {
                Some(actor) => {
                    let _ = write!(chunk.events, "{actor}");
                }
                None => chunk.events.push_str("\\N"),
            }
            let _ = write!(chunk.events, "\t{}\t", event.action);
            push_text(&mut chunk.events, &event.data);
            let _ = write!(chunk.events, "\t{}", timestamp(event.at));
            if self.stream_position {
                let _ = write!(chunk.events, "\t{event_id}");
            }
            chunk.events.push('\n');
        }

        let metadata = match source {
            "web" if rng.gen_bool(0.5) => {
                let browser = ["Firefox 128", "Chrome 131", "Safari 18"][rng.gen_range(0..3)];
                let locale = if french { "fr-FR" } else { "en-GB" };
                format!(r#"{{"browser": "{browser}", "locale": "{locale}"}}"#)
            }
            "api" => r#"{"integration": "shop", "order_system": "v2"}"#.to_string(),
            _ => "{}".to_string(),
        };
        let _ = write!(chunk.tickets, "{id}\t{}\t{number}\t{requester}\t", self.queue_ids[queue]);
        match assignee {
            Some(agent) => {
                let _ = write!(chunk.tickets, "{agent}");
            }
            None => chunk.tickets.push_str("\\N"),
        }
        let _ = write!(chunk.tickets, "\t{}\t{priority}\t{status}\t", self.category_ids[category_index]);
        push_text(&mut chunk.tickets, &subject);
        chunk.tickets.push('\t');
        push_text(&mut chunk.tickets, &description);
        let _ = write!(chunk.tickets, "\t{metadata}\t{source}\t{}\t{}\t", timestamp(created), timestamp(updated_at));
        push_optional_time(&mut chunk.tickets, first_response_at);
        chunk.tickets.push('\t');
        push_optional_time(&mut chunk.tickets, resolved_at);
        chunk.tickets.push('\t');
        push_optional_time(&mut chunk.tickets, closed_at);
        chunk.tickets.push('\n');
    }
}

/// The hour of the day, drawn with [`HOUR_WEIGHTS`].
fn pick_hour(rng: &mut impl Rng) -> u32 {
    let total: f64 = HOUR_WEIGHTS.iter().sum();
    let mut roll = rng.r#gen::<f64>() * total;
    for (hour, weight) in HOUR_WEIGHTS.iter().enumerate() {
        if roll < *weight {
            return hour as u32;
        }
        roll -= weight;
    }
    23
}

fn status_event(at: DateTime<Utc>, actor: Option<i64>, from: &str, to: &str) -> Event {
    Event { at, actor, action: "status_changed", data: format!(r#"{{"to": "{to}", "from": "{from}"}}"#) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_add_up_and_weekdays_are_busier() {
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
        let days = tickets_per_day(start, 1_000_000);
        assert_eq!(days.iter().sum::<u64>(), 1_000_000);
        // 2024-01-01 is a Monday, 2024-01-07 a Sunday.
        assert!(days[0] > 2 * days[6]);
    }

    #[test]
    fn generation_is_deterministic() {
        let plan = Plan { tickets: 500, seed: 7, end: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date") };
        let run = || {
            let mut generator = Generator::new(&plan, [1, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8], true);
            let chunk = generator.day(midnight(plan.end) - Duration::days(3), 500);
            (chunk.tickets, chunk.messages, chunk.events)
        };
        assert_eq!(run(), run());
    }
}
