//! `guichet-bench run`: the scenarios, each driven over HTTP against a
//! running release server and, for its floor, as the same SQL straight
//! against PostgreSQL at the same concurrency.

use crate::floor::{self, EventRow, MessageKind, MessageRow, Priority, Status, TicketRow};
use crate::generate::{PAGE_MESSAGES, agent_id};
use crate::load::{self, Measurement, Operation, operation};
use crate::text;
use anyhow::{Context, bail};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

/// Options of `run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub base_url: String,
    pub database_url: String,
    pub server_pid: Option<u32>,
    pub warmup: Duration,
    pub duration: Duration,
    pub read_concurrency: usize,
    pub write_concurrency: usize,
    pub login_concurrency: usize,
    /// Only the list, search and ticket-page rows (for the scaling curve).
    pub reads_only: bool,
    /// Skip the floors.
    pub no_floor: bool,
    /// Only these rows (keys such as `search_common`), when not empty.
    pub only: Vec<String>,
    /// The server's `GUICHET_TIME_ZONE`, which the statistics' daily series use.
    pub time_zone: String,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Stable key, e.g. `search_common`.
    pub key: String,
    /// What a reader sees, e.g. "search: common word (commande)".
    pub label: String,
    /// `write`, `read`, `search`, `page`, `stats`, `login`.
    pub group: String,
    pub app: Measurement,
    pub floor: Option<Measurement>,
    /// What the scenario did, e.g. matching rows or the page depth.
    pub note: String,
}

/// Everything `run` measured on one data set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    pub tickets: i64,
    pub messages: i64,
    pub events: i64,
    pub seed: Option<i64>,
    pub rows: Vec<Row>,
    /// The dashboard read alone and while log-ins run (argon2 on the server's blocking threads).
    pub reads_under_login: Option<(Measurement, Measurement, Measurement)>,
    /// Peak RSS of the server over the whole run, in KiB.
    pub peak_rss_kib: Option<u64>,
    pub finished_at: String,
}

#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    base: Arc<str>,
}

impl Http {
    fn new(base: &str) -> anyhow::Result<Http> {
        let client = reqwest::Client::builder()
            .default_headers(crate::live::same_origin(base)?)
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(60))
            .build()?;
        Ok(Http { client, base: base.trim_end_matches('/').into() })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends the request, reads the whole body, fails unless 2xx.
    async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<bytes_len::Body> {
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("HTTP {status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
        }
        Ok(bytes_len::Body { headers, bytes: body })
    }

    async fn get_json(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let body = Http::send(self.client.get(self.url(path)).bearer_auth(token)).await?;
        Ok(serde_json::from_slice(&body.bytes)?)
    }

    /// Logs in; returns the session cookie (`name=value`).
    async fn log_in(&self, login: &str) -> anyhow::Result<String> {
        let body = Http::send(
            self.client.post(self.url("/api/v1/auth/login")).json(&json!({"login": login, "password": text::PASSWORD})),
        )
        .await?;
        body.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with("guichet_session="))
            .and_then(|value| value.split(';').next())
            .map(String::from)
            .context("no session cookie after log-in")
    }

    /// Logs in and creates an API token.
    async fn token(&self, login: &str) -> anyhow::Result<String> {
        let cookie = self.log_in(login).await?;
        let body = Http::send(
            self.client
                .post(self.url("/api/v1/tokens"))
                .header(reqwest::header::COOKIE, cookie)
                .json(&json!({"name": "bench"})),
        )
        .await?;
        let value: Value = serde_json::from_slice(&body.bytes)?;
        value["token"].as_str().map(String::from).context("no token in the answer")
    }
}

mod bytes_len {
    /// A response's headers and body.
    pub struct Body {
        pub headers: reqwest::header::HeaderMap,
        pub bytes: bytes::Bytes,
    }
}

/// Path-and-query escaping for search words.
fn escape(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What the scenarios act on, found in the data set.
struct Targets {
    support_id: i64,
    /// (id, reference) of tickets with exactly [`PAGE_MESSAGES`] messages.
    page_tickets: Vec<(i64, String)>,
    /// Tickets not done, for replies.
    reply_tickets: Vec<i64>,
    /// Tickets not done with their status, for status changes.
    status_tickets: Vec<(i64, Status)>,
    my_requester_id: i64,
    /// One requester per writer with the open, unassigned tickets they
    /// opened: their reply notifies every agent (60 in the data set), which
    /// the agent's reply row (one recipient) is compared with.
    requester_replies: Vec<(String, Vec<i64>)>,
}

async fn find_targets(pool: &PgPool, write_concurrency: usize) -> anyhow::Result<Targets> {
    let support_id: i64 = sqlx::query_scalar("select id from queues where slug = 'support'").fetch_one(pool).await?;
    let page_tickets: Vec<(i64, String)> = sqlx::query_as(
        "select t.id, q.prefix || '-' || case when t.number < 1000 then lpad(t.number::text, 4, '0') else t.number::text end
         from tickets t join queues q on q.id = t.queue_id
         where t.id % 1000 = 500 and (select count(*) from messages m where m.ticket_id = t.id) = $1
         order by t.id limit 64",
    )
    .bind(PAGE_MESSAGES as i64)
    .fetch_all(pool)
    .await?;
    if page_tickets.is_empty() {
        bail!("no ticket with {PAGE_MESSAGES} messages (was the data set made by `guichet-bench generate`?)");
    }
    let per_worker = 8;
    let working: Vec<(i64, Status)> = sqlx::query_as(
        "select id, status from tickets where status in ('open', 'in_progress', 'pending') order by id desc limit $1",
    )
    .bind((write_concurrency * per_worker * 2) as i64)
    .fetch_all(pool)
    .await?;
    if working.len() < write_concurrency * 2 {
        bail!("only {} open tickets; need at least {}", working.len(), write_concurrency * 2);
    }
    let half = working.len() / 2;
    let reply_tickets = working[..half].iter().map(|(id, _)| *id).collect();
    let status_tickets = working[half..].to_vec();
    let my_requester_id: i64 = sqlx::query_scalar("select id from users where username = $1")
        .bind(text::requester_username(0))
        .fetch_one(pool)
        .await?;
    let requester_replies: Vec<(String, Vec<i64>)> = sqlx::query_as(
        "select u.username::text, array_agg(t.id order by t.id)
         from tickets t join users u on u.id = t.requester_id
         where t.status = 'open' and t.assignee_id is null and u.role = 'requester'
         group by u.username order by count(*) desc, u.username limit $1",
    )
    .bind(write_concurrency as i64)
    .fetch_all(pool)
    .await?;
    if requester_replies.is_empty() {
        bail!("no open unassigned ticket for the requesters' replies");
    }
    Ok(Targets { support_id, page_tickets, reply_tickets, status_tickets, my_requester_id, requester_replies })
}

/// Runs every scenario; returns the rows.
pub async fn run(options: &RunOptions) -> anyhow::Result<RunResult> {
    let http = Http::new(&options.base_url)?;
    let floor_connections = options.write_concurrency.max(options.read_concurrency) as u32 + 2;
    // The server's settings: JIT off (server/src/database.rs).
    let connect_options: PgConnectOptions =
        options.database_url.parse::<PgConnectOptions>().context("the database URL")?.options([("jit", "off")]);
    let pool = PgPoolOptions::new()
        .max_connections(floor_connections)
        .min_connections(floor_connections)
        .connect_with(connect_options)
        .await
        .context("connecting to PostgreSQL")?;
    let (tickets, messages, events): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from tickets), (select count(*) from messages), (select count(*) from ticket_events)",
    )
    .fetch_one(&pool)
    .await?;
    let seed = crate::generate::dataset(&pool).await?.map(|(_, seed, _)| seed);
    println!("Data set: {tickets} tickets, {messages} messages, {events} events");
    let targets = Arc::new(find_targets(&pool, options.write_concurrency).await?);

    println!("Logging in the bench users and creating API tokens...");
    let agent_token: Arc<str> = http.token(&text::agent_username(0)).await?.into();
    let agent_cookie: Arc<str> = http.log_in(&text::agent_username(0)).await?.into();
    let my_token: Arc<str> = http.token(&text::requester_username(0)).await?.into();

    let mut rows = Vec::new();
    if let Some(pid) = options.server_pid {
        load::reset_peak_rss(pid);
    }
    let mut whole_run_peak = 0u64;
    let mut measure = async |key: &str,
                             label: String,
                             group: &str,
                             concurrency: usize,
                             app: Operation,
                             floor: Option<Operation>,
                             note: String|
           -> anyhow::Result<()> {
        if !options.only.is_empty() && !options.only.iter().any(|only| only == key) {
            return Ok(());
        }
        print!("{label:<52} ");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        if let Some(pid) = options.server_pid {
            whole_run_peak = whole_run_peak.max(load::peak_rss_kib(pid).unwrap_or(0));
            load::reset_peak_rss(pid);
        }
        let mut app_measurement = load::drive(concurrency, options.warmup, options.duration, app).await;
        if let Some(pid) = options.server_pid {
            app_measurement.peak_rss_kib = load::peak_rss_kib(pid);
        }
        let floor_measurement = match floor.filter(|_| !options.no_floor) {
            Some(floor) => Some(load::drive(concurrency, options.warmup, options.duration, floor).await),
            None => None,
        };
        println!(
            "{:>8.0}/s p50 {:>7.2} p95 {:>7.2} p99 {:>7.2} ms{}{}",
            app_measurement.throughput,
            app_measurement.p50_ms,
            app_measurement.p95_ms,
            app_measurement.p99_ms,
            floor_measurement
                .as_ref()
                .map(|floor| format!("  floor {:>8.0}/s p95 {:>7.2} ms", floor.throughput, floor.p95_ms))
                .unwrap_or_default(),
            if app_measurement.errors > 0 {
                format!(
                    "  {} errors: {}",
                    app_measurement.errors,
                    app_measurement.first_error.clone().unwrap_or_default()
                )
            } else {
                String::new()
            }
        );
        rows.push(Row {
            key: key.into(),
            label,
            group: group.into(),
            app: app_measurement,
            floor: floor_measurement,
            note,
        });
        Ok(())
    };
    let reads = options.read_concurrency;
    let writes = options.write_concurrency;

    // Lists.
    if !options.reads_only {
        let (app, floor) = my_tickets(&http, &pool, &my_token, targets.my_requester_id);
        let count: i64 = sqlx::query_scalar("select count(*) from tickets where requester_id = $1")
            .bind(targets.my_requester_id)
            .fetch_one(&pool)
            .await?;
        measure(
            "my_tickets",
            format!("my tickets (requester with {count} tickets)"),
            "read",
            reads,
            app,
            Some(floor),
            format!("{count} tickets, first page"),
        )
        .await?;
    }
    let (app, floor, note) = dashboard(&http, &pool, &agent_token, targets.support_id, None).await?;
    measure(
        "dashboard_first",
        "agent dashboard: open + support + high, by update, page 1".into(),
        "read",
        reads,
        app,
        Some(floor),
        note,
    )
    .await?;
    let (app, floor, note) = dashboard(&http, &pool, &agent_token, targets.support_id, Some(20)).await?;
    measure("dashboard_deep", "agent dashboard: same filters, deep page".into(), "read", reads, app, Some(floor), note)
        .await?;

    // Search.
    let rare = text::product(text::RARE_PRODUCT);
    for (key, label, words) in [
        ("search_common", format!("search: common word ({})", text::COMMON_WORD), text::COMMON_WORD.to_string()),
        ("search_rare", format!("search: rare word ({rare})"), rare.clone()),
        ("search_two", format!("search: two words ({})", text::TWO_WORDS), text::TWO_WORDS.to_string()),
        ("search_prefix", format!("search: prefix ({}…)", text::PREFIX), text::PREFIX.to_string()),
    ] {
        let expression = search_expression(&words);
        let matching: i64 =
            sqlx::query_scalar("select count(*) from tickets where search @@ to_tsquery('guichet_search', $1)")
                .bind(&expression)
                .fetch_one(&pool)
                .await?;
        let (app, floor) = search(&http, &pool, &agent_token, &words);
        measure(key, label, "search", reads, app, Some(floor), format!("{matching} matching tickets, by relevance"))
            .await?;
    }

    // Ticket page.
    let (app, floor) = ticket_page(&http, &pool, &agent_token, &targets, false);
    let messages_note = format!("{PAGE_MESSAGES} messages, {} tickets in rotation", targets.page_tickets.len());
    measure("ticket_api", "ticket page, JSON API".into(), "page", reads, app, Some(floor), messages_note.clone())
        .await?;
    let (app, floor) = ticket_page(&http, &pool, &agent_cookie, &targets, true);
    measure("ticket_html", "ticket page, server-rendered HTML".into(), "page", reads, app, Some(floor), messages_note)
        .await?;

    if options.reads_only {
        return finish(tickets, messages, events, seed, rows, None, whole_run_peak, options);
    }

    // Stats: as most requests get them (computed at most once a minute, or
    // again after a ticket event); then computed for each request, by one
    // client (one computation at a time: its own cost) and by as many
    // clients as the other reads (queueing on the two cores included).
    let time_zone: Arc<str> = options.time_zone.as_str().into();
    for (fresh, clients, suffix, how) in [
        (false, reads, String::new(), "served again within the minute".to_string()),
        (true, 1, "_fresh".to_string(), "computed each time".to_string()),
        (true, reads, format!("_fresh_{reads}"), format!("computed each time, {reads} at once")),
    ] {
        for days in [7, 30] {
            let (app, floor) = stats(&http, &pool, &agent_token, days, fresh, &time_zone);
            measure(
                &format!("stats_{days}d{suffix}"),
                format!("stats API, {days} days, {how}"),
                "stats",
                clients,
                app,
                Some(floor),
                if fresh { "Cache-Control: no-cache on every request".into() } else { String::new() },
            )
            .await?;
        }
    }
    measure(
        "stats_page_html",
        "statistics dashboard, 30 days, server-rendered HTML".into(),
        "stats",
        reads,
        stats_page(&http, &agent_cookie),
        None,
        "13 KPI cards, 5 SVG charts; its statistics served again within the minute".into(),
    )
    .await?;

    // Writes.
    let requester_tokens = tokens(&http, (0..writes).map(|index| text::requester_username(100 + index))).await?;
    let agent_tokens = tokens(&http, (0..writes).map(text::agent_username)).await?;
    let (app, floor) = create_ticket(&http, &pool, requester_tokens);
    measure(
        "create",
        "create ticket".into(),
        "write",
        writes,
        app,
        Some(floor),
        "queues support 78 %, billing 22 %".into(),
    )
    .await?;
    let (app, floor) = add_reply(&http, &pool, agent_tokens.clone(), targets.clone(), ReplyAuthor::Agent);
    measure(
        "reply",
        "add reply (agent)".into(),
        "write",
        writes,
        app,
        Some(floor),
        "a different open ticket per request".into(),
    )
    .await?;
    let requester_reply_tokens =
        tokens(&http, targets.requester_replies.iter().map(|(login, _)| login.clone())).await?;
    let agents: i64 = sqlx::query_scalar("select count(*) from users where role = 'agent'").fetch_one(&pool).await?;
    let requester_writes = requester_reply_tokens.len();
    let (app, floor) = add_reply(&http, &pool, requester_reply_tokens, targets.clone(), ReplyAuthor::Requester);
    measure(
        "reply_all_agents",
        format!("add reply (requester, unassigned: {agents} agents notified)"),
        "write",
        requester_writes,
        app,
        Some(floor),
        "the requester's own open unassigned tickets, in turn".into(),
    )
    .await?;
    let (app, floor) = change_status(&http, &pool, agent_tokens, targets.clone());
    measure(
        "status",
        "change status (agent)".into(),
        "write",
        writes,
        app,
        Some(floor),
        "in_progress ↔ pending".into(),
    )
    .await?;

    // Log in, alone and next to reads.
    let logins = options.login_concurrency;
    let (app, floor) = log_in(&http, &pool);
    measure(
        "login",
        "log in (argon2id, 19 MiB, t=2)".into(),
        "login",
        logins,
        app,
        Some(floor),
        "a different requester each time".into(),
    )
    .await?;
    if !options.only.is_empty() && !options.only.iter().any(|only| only == "reads_under_login") {
        return finish(tickets, messages, events, seed, rows, None, whole_run_peak, options);
    }
    let (alone, _, _) = dashboard(&http, &pool, &agent_token, targets.support_id, None).await?;
    let read_alone = load::drive(reads, options.warmup, options.duration, alone).await;
    let (reads_app, _, _) = dashboard(&http, &pool, &agent_token, targets.support_id, None).await?;
    let (login_app, _) = log_in(&http, &pool);
    let (read_with_login, login_with_read) = tokio::join!(
        load::drive(reads, options.warmup, options.duration, reads_app),
        load::drive(logins, options.warmup, options.duration, login_app)
    );
    println!(
        "dashboard alone p95 {:.2} ms ({:.0}/s); during log-ins p95 {:.2} ms ({:.0}/s), log-ins {:.0}/s",
        read_alone.p95_ms,
        read_alone.throughput,
        read_with_login.p95_ms,
        read_with_login.throughput,
        login_with_read.throughput
    );
    finish(
        tickets,
        messages,
        events,
        seed,
        rows,
        Some((read_alone, read_with_login, login_with_read)),
        whole_run_peak,
        options,
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    tickets: i64,
    messages: i64,
    events: i64,
    seed: Option<i64>,
    rows: Vec<Row>,
    reads_under_login: Option<(Measurement, Measurement, Measurement)>,
    whole_run_peak: u64,
    options: &RunOptions,
) -> anyhow::Result<RunResult> {
    let peak = options.server_pid.map(|pid| {
        rows.iter()
            .filter_map(|row| row.app.peak_rss_kib)
            .chain([whole_run_peak, load::peak_rss_kib(pid).unwrap_or(0)])
            .max()
            .unwrap_or(0)
    });
    Ok(RunResult {
        tickets,
        messages,
        events,
        seed,
        rows,
        reads_under_login,
        peak_rss_kib: peak,
        finished_at: chrono::Utc::now().to_rfc3339(),
    })
}

async fn tokens(http: &Http, logins: impl Iterator<Item = String>) -> anyhow::Result<Arc<Vec<String>>> {
    let logins: Vec<String> = logins.collect();
    let mut tokens = Vec::new();
    for batch in logins.chunks(2) {
        let found = futures::future::try_join_all(batch.iter().map(|login| http.token(login))).await?;
        tokens.extend(found);
    }
    Ok(Arc::new(tokens))
}

/// `search_expression` of ticket_lists.rs: words joined with `&`, the last a prefix.
fn search_expression(text: &str) -> String {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect();
    let (last, rest) = words.split_last().expect("a word");
    let mut terms = rest.to_vec();
    terms.push(format!("{last}:*"));
    terms.join(" & ")
}

fn my_tickets(http: &Http, pool: &PgPool, token: &Arc<str>, requester_id: i64) -> (Operation, Operation) {
    let (http, token) = (http.clone(), token.clone());
    let app = operation(move |_, _| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            http.get_json("/api/v1/tickets", &token).await?;
            Ok(())
        }
    });
    let pool = pool.clone();
    let statement: Arc<str> = floor::my_tickets().into();
    let floor = operation(move |_, _| {
        let (pool, statement) = (pool.clone(), statement.clone());
        async move {
            let _: Vec<TicketRow> = sqlx::query_as(&statement).bind(requester_id).bind(51i64).fetch_all(&pool).await?;
            Ok(())
        }
    });
    (app, floor)
}

/// The dashboard list: page 1, or page `deep` (or the last page before it).
async fn dashboard(
    http: &Http,
    pool: &PgPool,
    token: &Arc<str>,
    support_id: i64,
    deep: Option<usize>,
) -> anyhow::Result<(Operation, Operation, String)> {
    let base = "/api/v1/tickets?status=open&queue=support&priority=high&sort=updated";
    let mut cursor: Option<String> = None;
    let mut page = 1;
    if let Some(deep) = deep {
        while page < deep {
            let path = match &cursor {
                Some(cursor) => format!("{base}&cursor={cursor}"),
                None => base.to_string(),
            };
            let answer = http.get_json(&path, token).await?;
            match answer["next_cursor"].as_str() {
                Some(next) => {
                    cursor = Some(next.to_string());
                    page += 1;
                }
                None => break,
            }
        }
    }
    let matching: i64 = sqlx::query_scalar(
        "select count(*) from tickets where status = 'open' and queue_id = $1 and priority = 'high'",
    )
    .bind(support_id)
    .fetch_one(pool)
    .await?;
    let note = match deep {
        Some(_) => format!("page {page} of {matching} matching tickets (50 a page, keyset cursor)"),
        None => format!("{matching} matching tickets"),
    };
    let path: Arc<str> = match &cursor {
        Some(cursor) => format!("{base}&cursor={cursor}"),
        None => base.to_string(),
    }
    .into();
    let (http, token) = (http.clone(), token.clone());
    let app = operation(move |_, _| {
        let (http, token, path) = (http.clone(), token.clone(), path.clone());
        async move {
            http.get_json(&path, &token).await?;
            Ok(())
        }
    });
    let decoded = match &cursor {
        Some(cursor) => {
            let (micros, id) = cursor.split_once('_').context("an updated cursor")?;
            Some((DateTime::from_timestamp_micros(micros.parse()?).context("a time")?, id.parse::<i64>()?))
        }
        None => None,
    };
    let statement: Arc<str> = floor::dashboard(decoded.is_some()).into();
    let pool = pool.clone();
    let floor = operation(move |_, _| {
        let (pool, statement) = (pool.clone(), statement.clone());
        async move {
            let mut connection = pool.acquire().await?;
            let _: i64 = sqlx::query_scalar(floor::QUEUE_BY_SLUG).bind("support").fetch_one(&mut *connection).await?;
            let query =
                sqlx::query_as::<_, TicketRow>(&statement).bind(Status::Open).bind(Priority::High).bind(support_id);
            let query = match decoded {
                Some((at, id)) => query.bind(at).bind(id),
                None => query,
            };
            let _: Vec<TicketRow> = query.bind(51i64).fetch_all(&mut *connection).await?;
            Ok(())
        }
    });
    Ok((app, floor, note))
}

fn search(http: &Http, pool: &PgPool, token: &Arc<str>, words: &str) -> (Operation, Operation) {
    let path: Arc<str> = format!("/api/v1/tickets?q={}", escape(words)).into();
    let (http, token) = (http.clone(), token.clone());
    let app = operation(move |_, _| {
        let (http, token, path) = (http.clone(), token.clone(), path.clone());
        async move {
            http.get_json(&path, &token).await?;
            Ok(())
        }
    });
    let expression: Arc<str> = search_expression(words).into();
    let statement: Arc<str> = floor::search().into();
    let pool = pool.clone();
    let floor = operation(move |_, _| {
        let (pool, statement, expression) = (pool.clone(), statement.clone(), expression.clone());
        async move {
            let mut connection = pool.acquire().await?;
            let rows: Vec<TicketRow> = sqlx::query_as(&statement)
                .bind(&*expression)
                .bind(floor::RELEVANCE_WINDOW)
                .bind(&*expression)
                .bind(51i64)
                .fetch_all(&mut *connection)
                .await?;
            if rows.len() > 50 {
                let _: f32 = sqlx::query_scalar(floor::SEARCH_CURSOR_RANK)
                    .bind(rows[49].id)
                    .bind(&*expression)
                    .fetch_one(&mut *connection)
                    .await?;
            }
            Ok(())
        }
    });
    (app, floor)
}

fn ticket_page(
    http: &Http,
    pool: &PgPool,
    credential: &Arc<str>,
    targets: &Arc<Targets>,
    html: bool,
) -> (Operation, Operation) {
    let (http, credential, app_targets) = (http.clone(), credential.clone(), targets.clone());
    let app = operation(move |worker, iteration| {
        let (http, credential, targets) = (http.clone(), credential.clone(), app_targets.clone());
        async move {
            let (_, reference) = &targets.page_tickets[(worker + iteration as usize) % targets.page_tickets.len()];
            let request = if html {
                http.client
                    .get(http.url(&format!("/tickets/{reference}")))
                    .header(reqwest::header::COOKIE, &*credential)
            } else {
                http.client.get(http.url(&format!("/api/v1/tickets/{reference}"))).bearer_auth(&*credential)
            };
            let body = Http::send(request).await?;
            if html && !body.bytes.windows(reference.len()).any(|window| window == reference.as_bytes()) {
                bail!("the page does not name {reference}");
            }
            Ok(())
        }
    });
    let (pool, targets) = (pool.clone(), targets.clone());
    let statement: Arc<str> = floor::ticket_by_reference().into();
    let floor = operation(move |worker, iteration| {
        let (pool, targets, statement) = (pool.clone(), targets.clone(), statement.clone());
        async move {
            let (_, reference) = &targets.page_tickets[(worker + iteration as usize) % targets.page_tickets.len()];
            let (prefix, number) = reference.split_once('-').context("a reference")?;
            let mut connection = pool.acquire().await?;
            let ticket: TicketRow = sqlx::query_as(&statement)
                .bind(prefix)
                .bind(number.parse::<i64>()?)
                .fetch_one(&mut *connection)
                .await?;
            let _: Vec<MessageRow> =
                sqlx::query_as(floor::TICKET_MESSAGES).bind(ticket.id).bind(true).fetch_all(&mut *connection).await?;
            let _: Vec<EventRow> =
                sqlx::query_as(floor::TICKET_EVENTS).bind(ticket.id).bind(true).fetch_all(&mut *connection).await?;
            Ok(())
        }
    });
    (app, floor)
}

/// The statistics API over `days` days; `fresh` sends `Cache-Control:
/// no-cache`, so every request computes them (the figures a minute old are
/// served otherwise, see `statistics::StatsCache`). The floor runs the
/// service's four statements at once, on four pooled connections, as it does.
fn stats(
    http: &Http,
    pool: &PgPool,
    token: &Arc<str>,
    days: i32,
    fresh: bool,
    time_zone: &Arc<str>,
) -> (Operation, Operation) {
    let path: Arc<str> = format!("/api/v1/tickets/stats?period={days}d").into();
    let (http, token) = (http.clone(), token.clone());
    let app = operation(move |_, _| {
        let (http, token, path) = (http.clone(), token.clone(), path.clone());
        async move {
            let mut request = http.client.get(http.url(&path)).bearer_auth(&*token);
            if fresh {
                request = request.header(reqwest::header::CACHE_CONTROL, "no-cache");
            }
            let body = Http::send(request).await?;
            let stats: Value = serde_json::from_slice(&body.bytes)?;
            if stats.get("daily").and_then(Value::as_array).is_none() {
                bail!("no daily series in the answer");
            }
            Ok(())
        }
    });
    let (pool, time_zone) = (pool.clone(), time_zone.clone());
    let floor = operation(move |_, _| {
        let (pool, time_zone) = (pool.clone(), time_zone.clone());
        async move {
            let breakdown = sqlx::query(floor::STATS_BREAKDOWN).bind(days).bind(None::<i64>).fetch_all(&pool);
            let created =
                sqlx::query(floor::STATS_CREATED).bind(days).bind(None::<i64>).bind(&*time_zone).fetch_all(&pool);
            let resolved =
                sqlx::query(floor::STATS_RESOLVED).bind(days).bind(None::<i64>).bind(&*time_zone).fetch_all(&pool);
            let activity = sqlx::query(floor::STATS_ACTIVITY).bind(days).bind(None::<i64>).fetch_all(&pool);
            tokio::try_join!(breakdown, created, resolved, activity)?;
            Ok(())
        }
    });
    (app, floor)
}

/// The statistics dashboard (`/admin/stats?period=30d`), server-rendered
/// for an agent's session; no floor (its SQL is the statistics' and one
/// more pass for the first-response ranges, plus the charts drawn in Rust).
fn stats_page(http: &Http, cookie: &Arc<str>) -> Operation {
    let (http, cookie) = (http.clone(), cookie.clone());
    operation(move |_, _| {
        let (http, cookie) = (http.clone(), cookie.clone());
        async move {
            let body = Http::send(
                http.client.get(http.url("/admin/stats?period=30d")).header(reqwest::header::COOKIE, &*cookie),
            )
            .await?;
            if !body.bytes.windows(4).any(|window| window == b"<svg") {
                bail!("the dashboard has no chart");
            }
            Ok(())
        }
    })
}

/// The queue of the `iteration`-th creation: support 78 %, billing 22 %.
fn creation_queue(worker: usize, iteration: u64) -> &'static str {
    if (worker as u64 * 7 + iteration * 13) % 100 < 78 { "support" } else { "billing" }
}

fn create_ticket(http: &Http, pool: &PgPool, tokens: Arc<Vec<String>>) -> (Operation, Operation) {
    let http = http.clone();
    let app = operation(move |worker, iteration| {
        let (http, tokens) = (http.clone(), tokens.clone());
        async move {
            let body = json!({
                "queue": creation_queue(worker, iteration),
                "category": "order_issue",
                "priority": "medium",
                "subject": format!("Commande {iteration} non livrée 📦"),
                "description": "Bonjour, ma commande n'est toujours pas arrivée. Merci de vérifier !",
            });
            Http::send(http.client.post(http.url("/api/v1/tickets")).bearer_auth(&tokens[worker]).json(&body)).await?;
            Ok(())
        }
    });
    let pool = pool.clone();
    let load: Arc<str> = floor::ticket_by_id().into();
    let floor = operation(move |worker, iteration| {
        let (pool, load) = (pool.clone(), load.clone());
        async move {
            let requester: i64 = crate::generate::requester_id(100 + worker);
            let mut transaction = pool.begin().await?;
            let category_id: i64 =
                sqlx::query_scalar(floor::CATEGORY_ACTIVE).bind("order_issue").fetch_one(&mut *transaction).await?;
            let (queue_id, _name, number): (i64, String, i64) = sqlx::query_as(floor::ALLOCATE_NUMBER)
                .bind(creation_queue(worker, iteration))
                .fetch_one(&mut *transaction)
                .await?;
            let _: (Option<i32>,) =
                sqlx::query_as(floor::QUEUE_LIMIT).bind(queue_id).fetch_one(&mut *transaction).await?;
            let id: i64 = sqlx::query_scalar(floor::INSERT_TICKET)
                .bind(queue_id)
                .bind(number)
                .bind(requester)
                .bind(category_id)
                .bind(Priority::Medium)
                .bind(format!("Commande {iteration} non livrée 📦"))
                .bind("Bonjour, ma commande n'est toujours pas arrivée. Merci de vérifier !")
                .bind(json!({}))
                .bind(floor::Source::Api)
                .fetch_one(&mut *transaction)
                .await?;
            let event_id: i64 = sqlx::query_scalar(floor::INSERT_EVENT)
                .bind(id)
                .bind(requester)
                .bind("created")
                .bind(json!({"status": "open", "priority": "medium"}))
                .fetch_one(&mut *transaction)
                .await?;
            sqlx::query(floor::NOTIFY_EVENT)
                .bind(floor::EVENTS_CHANNEL)
                .bind(event_id.to_string())
                .execute(&mut *transaction)
                .await?;
            sqlx::query(floor::DELETE_NEW_TICKET_DRAFT).bind(requester).execute(&mut *transaction).await?;
            let _: TicketRow = sqlx::query_as(&load).bind(id).fetch_one(&mut *transaction).await?;
            transaction.commit().await?;
            Ok(())
        }
    });
    (app, floor)
}

/// Who writes the replies of [`add_reply`]: an agent (worker `n` is agent
/// `n`, on tickets of [`Targets::reply_tickets`]) or a requester on their
/// own open unassigned tickets ([`Targets::requester_replies`]).
#[derive(Clone, Copy)]
enum ReplyAuthor {
    Agent,
    Requester,
}

impl ReplyAuthor {
    /// The ticket worker `worker` replies on at its `iteration`-th request.
    fn ticket(self, targets: &Targets, workers: usize, worker: usize, iteration: u64) -> i64 {
        match self {
            ReplyAuthor::Agent => {
                let tickets = &targets.reply_tickets;
                let per_worker = (tickets.len() / workers).max(1);
                tickets[(worker * per_worker + iteration as usize % per_worker) % tickets.len()]
            }
            ReplyAuthor::Requester => {
                let tickets = &targets.requester_replies[worker % targets.requester_replies.len()].1;
                tickets[iteration as usize % tickets.len()]
            }
        }
    }

    fn body(self, iteration: u64) -> String {
        match self {
            ReplyAuthor::Agent => format!("Merci, nous regardons cela 🙂 ({iteration})"),
            ReplyAuthor::Requester => format!("Toujours pas reçu ma commande ({iteration})"),
        }
    }
}

/// A reply through the API (`tokens[worker]` is the author's), and its
/// floor: the service's statements without notifications (an agent's reply
/// notifies the requester; a requester's reply on an unassigned ticket
/// notifies every agent, set-based, so both should cost about the same).
fn add_reply(
    http: &Http,
    pool: &PgPool,
    tokens: Arc<Vec<String>>,
    targets: Arc<Targets>,
    author: ReplyAuthor,
) -> (Operation, Operation) {
    let workers = tokens.len();
    let (http, app_targets) = (http.clone(), targets.clone());
    let app = operation(move |worker, iteration| {
        let (http, tokens, targets) = (http.clone(), tokens.clone(), app_targets.clone());
        async move {
            let ticket = author.ticket(&targets, workers, worker, iteration);
            Http::send(
                http.client
                    .post(http.url(&format!("/api/v1/tickets/{ticket}/messages")))
                    .bearer_auth(&tokens[worker])
                    .json(&json!({"body": author.body(iteration)})),
            )
            .await?;
            Ok(())
        }
    });
    let pool = pool.clone();
    let lock: Arc<str> = floor::ticket_by_id_for_update().into();
    let floor = operation(move |worker, iteration| {
        let (pool, targets, lock) = (pool.clone(), targets.clone(), lock.clone());
        async move {
            let ticket = author.ticket(&targets, workers, worker, iteration);
            let mut transaction = pool.begin().await?;
            let row: TicketRow = sqlx::query_as(&lock).bind(ticket).fetch_one(&mut *transaction).await?;
            let (writer, by_agent) = match author {
                ReplyAuthor::Agent => (agent_id(worker), true),
                ReplyAuthor::Requester => (row.requester_id, false),
            };
            let (message_id, _): (i64, DateTime<chrono::Utc>) = sqlx::query_as(floor::INSERT_MESSAGE)
                .bind(row.id)
                .bind(writer)
                .bind(MessageKind::Reply)
                .bind(author.body(iteration))
                // The API's replies carry no submission key (browsers' forms do).
                .bind(None::<String>)
                .fetch_one(&mut *transaction)
                .await?;
            let event_id: i64 = sqlx::query_scalar(floor::INSERT_EVENT)
                .bind(row.id)
                .bind(writer)
                .bind("replied")
                .bind(json!({"message_id": message_id}))
                .fetch_one(&mut *transaction)
                .await?;
            sqlx::query(floor::NOTIFY_EVENT)
                .bind(floor::EVENTS_CHANNEL)
                .bind(event_id.to_string())
                .execute(&mut *transaction)
                .await?;
            sqlx::query(floor::TOUCH_AFTER_MESSAGE)
                .bind(row.id)
                .bind(false)
                .bind(by_agent)
                .execute(&mut *transaction)
                .await?;
            sqlx::query(floor::DELETE_REPLY_DRAFT)
                .bind(writer)
                .bind(format!("reply:{}", row.id))
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await?;
            Ok(())
        }
    });
    (app, floor)
}

fn change_status(
    http: &Http,
    pool: &PgPool,
    tokens: Arc<Vec<String>>,
    targets: Arc<Targets>,
) -> (Operation, Operation) {
    let per_worker = (targets.status_tickets.len() / tokens.len()).max(1);
    // Each ticket flips between in_progress (0) and pending (1); its worker alone touches it.
    let states: Arc<Vec<AtomicU8>> = Arc::new(
        targets
            .status_tickets
            .iter()
            .map(|(_, status)| AtomicU8::new(u8::from(*status == Status::InProgress)))
            .collect(),
    );
    let next = move |targets: &Targets, states: &[AtomicU8], worker: usize, iteration: u64| {
        let index = (worker * per_worker + iteration as usize % per_worker) % targets.status_tickets.len();
        let was = states[index].load(Ordering::Relaxed);
        let to = if was == 1 { Status::Pending } else { Status::InProgress };
        states[index].store(u8::from(to == Status::InProgress), Ordering::Relaxed);
        (targets.status_tickets[index].0, to)
    };
    let (http, app_targets, app_states) = (http.clone(), targets.clone(), states.clone());
    let app = operation(move |worker, iteration| {
        let (http, tokens, targets, states) = (http.clone(), tokens.clone(), app_targets.clone(), app_states.clone());
        async move {
            let (ticket, to) = next(&targets, &states, worker, iteration);
            let name = if to == Status::Pending { "pending" } else { "in_progress" };
            Http::send(
                http.client
                    .put(http.url(&format!("/api/v1/tickets/{ticket}/status")))
                    .bearer_auth(&tokens[worker])
                    .json(&json!({"status": name})),
            )
            .await?;
            Ok(())
        }
    });
    let pool = pool.clone();
    let (lock, load): (Arc<str>, Arc<str>) = (floor::ticket_by_id_for_update().into(), floor::ticket_by_id().into());
    let floor = operation(move |worker, iteration| {
        let (pool, targets, states, lock, load) =
            (pool.clone(), targets.clone(), states.clone(), lock.clone(), load.clone());
        async move {
            let (ticket, to) = next(&targets, &states, worker, iteration);
            let agent = agent_id(worker);
            let mut transaction = pool.begin().await?;
            let row: TicketRow = sqlx::query_as(&lock).bind(ticket).fetch_one(&mut *transaction).await?;
            sqlx::query(floor::UPDATE_STATUS).bind(row.id).bind(to).bind(false).execute(&mut *transaction).await?;
            let event_id: i64 = sqlx::query_scalar(floor::INSERT_EVENT)
                .bind(row.id)
                .bind(agent)
                .bind("status_changed")
                .bind(json!({"from": status_name(row.status), "to": status_name(to)}))
                .fetch_one(&mut *transaction)
                .await?;
            sqlx::query(floor::NOTIFY_EVENT)
                .bind(floor::EVENTS_CHANNEL)
                .bind(event_id.to_string())
                .execute(&mut *transaction)
                .await?;
            let _: TicketRow = sqlx::query_as(&load).bind(row.id).fetch_one(&mut *transaction).await?;
            transaction.commit().await?;
            Ok(())
        }
    });
    (app, floor)
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Open => "open",
        Status::InProgress => "in_progress",
        Status::Pending => "pending",
        Status::Resolved => "resolved",
        Status::Closed => "closed",
        Status::Escalated => "escalated",
    }
}

/// Requesters 1,000 and up log in, a different one each time.
fn login_name(worker: usize, iteration: u64) -> String {
    text::requester_username(1_000 + (worker * 997 + iteration as usize * 31) % 10_000)
}

fn log_in(http: &Http, pool: &PgPool) -> (Operation, Operation) {
    let http = http.clone();
    let app = operation(move |worker, iteration| {
        let http = http.clone();
        async move {
            http.log_in(&login_name(worker, iteration)).await?;
            Ok(())
        }
    });
    let pool = pool.clone();
    let throttles: Arc<[String; 2]> =
        Arc::new([floor::login_throttle("login = $1::citext"), floor::login_throttle("address = $1::inet")]);
    let floor = operation(move |worker, iteration| {
        let (pool, throttles) = (pool.clone(), throttles.clone());
        async move {
            let login = login_name(worker, iteration);
            let _: Option<i64> =
                sqlx::query_scalar(&throttles[0]).bind(&login).bind(900.0f64).bind(4i64).fetch_optional(&pool).await?;
            let _: Option<i64> = sqlx::query_scalar(&throttles[1])
                .bind("127.0.0.1")
                .bind(900.0f64)
                .bind(19i64)
                .fetch_optional(&pool)
                .await?;
            let (id, hash): (i64, String) = sqlx::query_as(floor::LOGIN_USER).bind(&login).fetch_one(&pool).await?;
            let matches = tokio::task::spawn_blocking(move || {
                PasswordHash::new(&hash)
                    .map(|parsed| Argon2::default().verify_password(text::PASSWORD.as_bytes(), &parsed).is_ok())
                    .unwrap_or(false)
            })
            .await?;
            if !matches {
                bail!("the password does not match");
            }
            let _: (i64, String, String, String, DateTime<chrono::Utc>) =
                sqlx::query_as(floor::USER_BY_ID).bind(id).fetch_one(&pool).await?;
            sqlx::query(floor::LOGIN_CLEAR_FAILURES)
                .bind(None::<i64>)
                .bind(id)
                .bind("127.0.0.1")
                .execute(&pool)
                .await?;
            Ok(())
        }
    });
    (app, floor)
}
