//! The live-stream benchmark (issue 4): `subscribers` open
//! `GET /api/v1/events` streams on one server instance, then
//! 1. latency: one writer posts `latency_replies` replies, one every
//!    `latency_interval`; for each reply and each subscriber, the delay from
//!    sending the reply request to receiving its event (an upper bound of
//!    commit → receipt: it also counts the reply's own handling);
//! 2. throughput: `writers` clients post replies as fast as they can for
//!    `throughput_duration`; events pushed per second = deliveries to all
//!    subscribers ÷ time from the first request to the last delivery;
//! 3. memory: the server's RSS before and after opening the streams, ÷ subscribers.
//!
//! Every subscriber is an agent (they receive every event: the worst case of
//! fan-out), authenticated with a bearer token. Each checks it received
//! every reply once; losses and duplicates are reported.

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, watch};

/// What to run.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub base_url: String,
    pub server_pid: Option<u32>,
    /// An agent's login and password (the subscribers' and writers' identity).
    pub login: String,
    pub password: String,
    pub subscribers: usize,
    pub latency_replies: usize,
    pub latency_interval: Duration,
    pub writers: usize,
    pub throughput_duration: Duration,
}

/// What it measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveResults {
    pub subscribers: usize,
    /// Milliseconds from sending a reply to a subscriber receiving its event.
    pub delay_p50_ms: f64,
    pub delay_p99_ms: f64,
    pub delay_max_ms: f64,
    /// Deliveries measured for the percentiles (replies × subscribers).
    pub delay_samples: u64,
    /// The reply requests' own latency (ms, p50) in the latency phase, for comparison.
    pub reply_p50_ms: f64,
    pub writers: usize,
    /// Replies committed per second during the throughput phase.
    pub replies_per_second: f64,
    /// Events pushed per second to all subscribers together.
    pub events_pushed_per_second: f64,
    /// Seconds from the last reply's response to its receipt by the last subscriber.
    pub drain_seconds: f64,
    /// Events a subscriber should have received but did not, and received twice, over all subscribers.
    pub missing: u64,
    pub duplicates: u64,
    /// Streams the server closed during the run (a subscriber too slow for the broadcast buffer).
    pub streams_closed: u64,
    /// Server RSS (KiB) before and after opening the streams, and the difference per stream (bytes).
    pub rss_before_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    pub bytes_per_stream: Option<f64>,
    /// Peak RSS of the server during the whole run (KiB).
    pub peak_rss_kib: Option<u64>,
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
}

/// `Origin: <base>`: Guichet takes changes with a session cookie only from
/// its own pages (the base URL is the server's public URL in benchmarks).
pub fn same_origin(base: &str) -> anyhow::Result<reqwest::header::HeaderMap> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.trim_end_matches('/').parse()?);
    Ok(headers)
}

/// Logs in with a session cookie and creates a bearer token.
async fn token(client: &reqwest::Client, base: &str, login: &str, password: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("log-in of {login}: {}", response.status());
    }
    let cookie = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    let body: Value = client
        .post(format!("{base}/api/v1/tokens"))
        .header(reqwest::header::COOKIE, cookie)
        .json(&json!({"name": "live benchmark"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    body["token"].as_str().map(str::to_string).context("no token in the answer")
}

/// Per subscriber: when each message id arrived (latency phase), and counts.
#[derive(Default)]
struct Received {
    /// message id → receipt time, for the latency phase's messages.
    arrivals: HashMap<i64, Instant>,
    /// message id → times received, for the throughput phase's messages.
    counts: HashMap<i64, u32>,
    last_arrival: Option<Instant>,
}

/// Extracts `"message_id":N` from a ticket event's JSON without parsing it all.
fn message_id(data: &str) -> Option<i64> {
    let start = data.find("\"message_id\":")? + "\"message_id\":".len();
    let digits: String = data[start..].chars().take_while(|character| character.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// What every subscriber task shares.
#[derive(Clone)]
struct Subscriber {
    client: reqwest::Client,
    url: String,
    token: String,
    /// Streams that received `ready`.
    ready: Arc<AtomicUsize>,
    /// `true` while the latency phase runs.
    latency_phase: watch::Receiver<bool>,
    /// Streams the server ended.
    closed: Arc<AtomicU64>,
    /// Ticket events received, over all streams.
    arrivals: Arc<AtomicU64>,
    /// Becomes `true` at the end of the run.
    stop: watch::Receiver<bool>,
}

async fn subscribe(shared: Subscriber) -> anyhow::Result<Received> {
    let Subscriber { client, url, token, ready, latency_phase, closed, arrivals, mut stop } = shared;

    let mut received = Received::default();
    let mut last_id: Option<String> = None;
    let mut announced = false;
    'connect: loop {
        let mut request = client.get(&url).bearer_auth(&token);
        if let Some(id) = &last_id {
            request = request.header("Last-Event-ID", id);
        }
        let mut response = request.send().await?.error_for_status()?;
        let mut buffer = String::new();
        loop {
            let chunk = tokio::select! {
                chunk = response.chunk() => chunk,
                _ = stop.changed() => return Ok(received),
            };
            let Some(chunk) = chunk? else {
                // The server ended the stream: resume from the last id, like a browser.
                closed.fetch_add(1, Ordering::Relaxed);
                continue 'connect;
            };
            let now = Instant::now();
            buffer.push_str(std::str::from_utf8(&chunk)?);
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let mut event = "";
                let mut data = "";
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim();
                    } else if let Some(value) = line.strip_prefix("id:") {
                        last_id = Some(value.trim().to_string());
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data = value.trim();
                    }
                }
                match event {
                    "ready" if !announced => {
                        announced = true;
                        ready.fetch_add(1, Ordering::SeqCst);
                    }
                    "ticket" => {
                        if let Some(id) = message_id(data) {
                            if *latency_phase.borrow() {
                                received.arrivals.insert(id, now);
                            } else {
                                *received.counts.entry(id).or_default() += 1;
                            }
                            received.last_arrival = Some(now);
                            arrivals.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

async fn reply(client: &reqwest::Client, base: &str, token: &str, ticket: i64, body: &str) -> anyhow::Result<i64> {
    let answer: Value = client
        .post(format!("{base}/api/v1/tickets/{ticket}/messages"))
        .bearer_auth(token)
        .json(&json!({"kind": "reply", "body": body}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    answer["message"]["id"].as_i64().context("no message id")
}

/// Waits until `counter` reaches `expected`, or it stops moving for 3 s.
async fn wait_for(counter: &AtomicU64, expected: u64) {
    let mut last = counter.load(Ordering::SeqCst);
    let mut last_change = Instant::now();
    while last < expected && last_change.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = counter.load(Ordering::SeqCst);
        if now != last {
            last = now;
            last_change = Instant::now();
        }
    }
}

/// Microseconds, at least 1 (the histograms' unit).
fn microseconds(duration: Duration) -> u64 {
    duration.as_micros().max(1) as u64
}

/// Runs the three phases; see the module documentation.
pub async fn run(options: &LiveOptions) -> anyhow::Result<LiveResults> {
    let base = options.base_url.trim_end_matches('/').to_string();
    let client = reqwest::Client::builder().default_headers(same_origin(&base)?).pool_max_idle_per_host(256).build()?;
    let token = token(&client, &base, &options.login, &options.password).await?;

    // Tickets to reply on: one per writer, so replies do not queue on one ticket's row lock.
    let list: Value = client
        .get(format!("{base}/api/v1/tickets?status=open&limit={}", options.writers.max(1)))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let tickets: Vec<i64> =
        list["tickets"].as_array().context("tickets")?.iter().filter_map(|ticket| ticket["id"].as_i64()).collect();
    if tickets.is_empty() {
        bail!("no open ticket to reply on");
    }

    if let Some(pid) = options.server_pid {
        let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    }
    let rss_before = options.server_pid.and_then(|pid| rss_kib(pid, "VmRSS:"));
    println!("live: opening {} streams", options.subscribers);
    let ready = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicU64::new(0));
    let arrivals = Arc::new(AtomicU64::new(0));
    let (latency_sender, latency_phase) = watch::channel(true);
    let (stop_sender, stop) = watch::channel(false);
    let stream_client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let url = format!("{base}/api/v1/events");
    let shared = Subscriber {
        client: stream_client,
        url,
        token: token.clone(),
        ready: ready.clone(),
        latency_phase,
        closed: closed.clone(),
        arrivals: arrivals.clone(),
        stop,
    };
    let subscribers: Vec<_> = (0..options.subscribers).map(|_| tokio::spawn(subscribe(shared.clone()))).collect();
    let opening = Instant::now();
    while ready.load(Ordering::SeqCst) < options.subscribers {
        if opening.elapsed() > Duration::from_secs(120) {
            bail!("only {} of {} streams opened", ready.load(Ordering::SeqCst), options.subscribers);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the server settle the buffers of the freshly opened streams.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = options.server_pid.and_then(|pid| rss_kib(pid, "VmRSS:"));
    println!("live: {} streams open in {:.1} s", options.subscribers, opening.elapsed().as_secs_f64());

    // 1. Latency, at a gentle rate.
    let mut sent_at: HashMap<i64, Instant> = HashMap::new();
    let mut reply_latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut ticker = tokio::time::interval(options.latency_interval);
    for index in 0..options.latency_replies {
        ticker.tick().await;
        let sent = Instant::now();
        let id = reply(&client, &base, &token, tickets[index % tickets.len()], "Latency probe").await?;
        reply_latency.record(microseconds(sent.elapsed()))?;
        sent_at.insert(id, sent);
    }
    // Until every subscriber saw every probe (or deliveries stall).
    wait_for(&arrivals, (options.latency_replies * options.subscribers) as u64).await;
    latency_sender.send(false)?;
    arrivals.store(0, Ordering::SeqCst);

    // 2. Throughput: writers as fast as they can.
    println!("live: throughput with {} writers", options.writers);
    let written = Arc::new(Mutex::new(Vec::<i64>::new()));
    let started = Instant::now();
    let deadline = started + options.throughput_duration;
    let mut writer_tasks = Vec::new();
    for writer in 0..options.writers {
        let client = client.clone();
        let base = base.clone();
        let token = token.clone();
        let ticket = tickets[writer % tickets.len()];
        let written = written.clone();
        writer_tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while Instant::now() < deadline {
                mine.push(reply(&client, &base, &token, ticket, "Throughput probe").await?);
            }
            written.lock().await.extend(mine);
            anyhow::Ok(())
        }));
    }
    for task in writer_tasks {
        task.await??;
    }
    let writing_seconds = started.elapsed().as_secs_f64();
    let last_response = Instant::now();
    let written = Arc::try_unwrap(written).map_err(|_| anyhow::anyhow!("writers still running"))?.into_inner();
    wait_for(&arrivals, written.len() as u64 * options.subscribers as u64).await;
    stop_sender.send(true)?;
    let peak_rss = options.server_pid.and_then(|pid| rss_kib(pid, "VmHWM:"));

    let mut delays = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut missing = 0u64;
    let mut duplicates = 0u64;
    let mut deliveries = 0u64;
    let mut last_delivery = started;
    for subscriber in subscribers {
        let received = subscriber.await??;
        for (id, sent) in &sent_at {
            match received.arrivals.get(id) {
                Some(arrival) => delays.record(microseconds(arrival.saturating_duration_since(*sent)))?,
                None => missing += 1,
            }
        }
        for id in &written {
            match received.counts.get(id) {
                None => missing += 1,
                Some(1) => deliveries += 1,
                Some(count) => {
                    deliveries += 1;
                    duplicates += u64::from(count - 1);
                }
            }
        }
        if let Some(arrival) = received.last_arrival {
            last_delivery = last_delivery.max(arrival);
        }
    }
    let pushing_seconds = last_delivery.saturating_duration_since(started).as_secs_f64().max(writing_seconds);
    let per_ms = |value: u64| value as f64 / 1000.0;
    Ok(LiveResults {
        subscribers: options.subscribers,
        delay_p50_ms: per_ms(delays.value_at_quantile(0.50)),
        delay_p99_ms: per_ms(delays.value_at_quantile(0.99)),
        delay_max_ms: per_ms(delays.max()),
        delay_samples: delays.len(),
        reply_p50_ms: per_ms(reply_latency.value_at_quantile(0.50)),
        writers: options.writers,
        replies_per_second: written.len() as f64 / writing_seconds,
        events_pushed_per_second: deliveries as f64 / pushing_seconds,
        drain_seconds: last_delivery.saturating_duration_since(last_response).as_secs_f64(),
        missing,
        duplicates,
        streams_closed: closed.load(Ordering::Relaxed),
        rss_before_kib: rss_before,
        rss_after_kib: rss_after,
        bytes_per_stream: match (rss_before, rss_after) {
            (Some(before), Some(after)) => {
                Some((after.saturating_sub(before) * 1024) as f64 / options.subscribers as f64)
            }
            _ => None,
        },
        peak_rss_kib: peak_rss,
    })
}

/// The BENCHMARKS.md section for these results.
pub fn markdown(results: &LiveResults) -> String {
    let kib = |value: Option<u64>| value.map_or("n/a".to_string(), |value| format!("{:.1} MiB", value as f64 / 1024.0));
    format!(
        "| Measure | Value |\n|---|---|\n\
         | Subscribers (agents, one instance) | {} |\n\
         | Reply sent → event received, p50 | {:.1} ms |\n\
         | Reply sent → event received, p99 | {:.1} ms (max {:.1} ms, {} deliveries) |\n\
         | The reply request itself, p50 | {:.1} ms |\n\
         | Replies committed per second ({} writers) | {:.0} |\n\
         | Events pushed per second (all subscribers) | {:.0} |\n\
         | Drain after the last reply | {:.2} s |\n\
         | Missing / duplicate deliveries | {} / {} |\n\
         | Streams closed by the server (slow subscriber) | {} |\n\
         | Server RSS before → after opening the streams | {} → {} |\n\
         | Memory per open stream | {} |\n\
         | Server peak RSS during the run | {} |\n",
        results.subscribers,
        results.delay_p50_ms,
        results.delay_p99_ms,
        results.delay_max_ms,
        results.delay_samples,
        results.reply_p50_ms,
        results.writers,
        results.replies_per_second,
        results.events_pushed_per_second,
        results.drain_seconds,
        results.missing,
        results.duplicates,
        results.streams_closed,
        kib(results.rss_before_kib),
        kib(results.rss_after_kib),
        results.bytes_per_stream.map_or("n/a".into(), |bytes| format!("{:.1} KiB", bytes / 1024.0)),
        kib(results.peak_rss_kib),
    )
}
