//! `guichet-bench report`: writes BENCHMARKS.md from the JSON that `run`,
//! `weight` and the hydration script wrote, with the machine's description.

use crate::load::Measurement;
use crate::scenarios::{Row, RunResult};
use crate::weight::{Weight, totals};
use serde::Deserialize;
use sqlx::postgres::PgPool;
use std::fmt::Write as _;

/// Inputs of the report.
pub struct ReportInputs {
    /// The main run (the largest scale), then the scaling runs, smallest first.
    pub main: RunResult,
    pub scales: Vec<RunResult>,
    pub weight: Option<Weight>,
    pub hydration: Option<Hydration>,
    /// The live-stream benchmark (issue 4), when it ran.
    pub live: Option<crate::live::LiveResults>,
    /// The jobs worker's passes (issue 15), when they ran.
    pub worker: Option<crate::worker::WorkerResults>,
    /// The commands that produced it, one per line.
    pub commands: String,
    /// Hand-written analysis, included as is.
    pub notes: Option<String>,
    pub database_url: String,
    pub generation_seconds: Option<f64>,
    pub settings: String,
}

/// What `end2end/hydration.mjs` measured, in milliseconds.
#[derive(Debug, Clone, Deserialize)]
pub struct Hydration {
    pub path: String,
    pub runs: usize,
    pub dom_content_loaded_ms: Vec<f64>,
    pub hydrated_ms: Vec<f64>,
    pub chromium: String,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|left, right| left.total_cmp(right));
    if sorted.is_empty() { 0.0 } else { sorted[sorted.len() / 2] }
}

/// A target: `p95 ≤ x ms` or `throughput ≥ x/s`.
enum Target {
    P95(f64),
    Throughput(f64),
}

fn target_of(key: &str) -> Option<Target> {
    match key {
        "my_tickets" | "dashboard_first" | "dashboard_deep" | "ticket_api" | "ticket_html" => Some(Target::P95(20.0)),
        key if key.starts_with("search_") => Some(Target::P95(50.0)),
        // Issue 15: the dashboard page p95 ≤ 150 ms, the statistics API ≤ 100 ms.
        "stats_page_html" => Some(Target::P95(150.0)),
        key if key.starts_with("stats_") => Some(Target::P95(100.0)),
        "create" => Some(Target::Throughput(1_000.0)),
        "reply" => Some(Target::Throughput(1_500.0)),
        _ => None,
    }
}

fn verdict(row: &Row) -> String {
    let app = &row.app;
    let mut parts = Vec::new();
    if app.requests == 0 && app.errors == 0 {
        return format!("❌ no request finished within the {:.0} s window", app.seconds);
    }
    match target_of(&row.key) {
        Some(Target::P95(limit)) if app.p95_ms <= limit => parts.push(format!("p95 ≤ {limit:.0} ms ✅")),
        Some(Target::P95(limit)) => {
            parts.push(format!("p95 ≤ {limit:.0} ms ❌ missed by {:.0} %", (app.p95_ms / limit - 1.0) * 100.0))
        }
        Some(Target::Throughput(goal)) if app.throughput >= goal => parts.push(format!("≥ {goal:.0}/s ✅")),
        Some(Target::Throughput(goal)) => {
            parts.push(format!("≥ {goal:.0}/s ❌ missed by {:.0} %", (1.0 - app.throughput / goal) * 100.0))
        }
        None => {}
    }
    if let Some(floor) = &row.floor {
        let ratio = app.throughput / floor.throughput;
        if ratio >= 0.5 {
            parts.push("≥ 50 % of floor ✅".into());
        } else {
            parts.push(format!("≥ 50 % of floor ❌ ({:.0} %)", ratio * 100.0));
        }
    }
    if app.errors > 0 {
        parts.push(format!("{} errors: {}", app.errors, app.first_error.clone().unwrap_or_default().replace('|', "/")));
    }
    parts.join("; ")
}

fn megabytes(kib: Option<u64>) -> String {
    kib.map_or("–".into(), |kib| format!("{:.0}", kib as f64 / 1024.0))
}

fn cpu_description() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':').map(|(_, model)| model.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| {
            meminfo
                .lines()
                .find_map(|line| line.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        })
        .map_or("?".into(), |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0));
    format!("{cores} cores ({model}), {memory} of memory")
}

async fn postgres_description(url: &str) -> anyhow::Result<String> {
    let pool = PgPool::connect(url).await?;
    let version: String = sqlx::query_scalar("select version()").fetch_one(&pool).await?;
    let mut settings = Vec::new();
    for name in [
        "shared_buffers",
        "work_mem",
        "maintenance_work_mem",
        "effective_cache_size",
        "max_connections",
        "synchronous_commit",
        "fsync",
        "random_page_cost",
        "jit",
        "max_wal_size",
        "max_parallel_workers_per_gather",
    ] {
        let value: String = sqlx::query_scalar(&format!("show {name}")).fetch_one(&pool).await?;
        settings.push(format!("`{name}` = {value}"));
    }
    Ok(format!("{version}, on the same machine, settings: {}", settings.join(", ")))
}

fn scale_name(tickets: i64) -> String {
    if tickets >= 1_000_000 {
        format!("{:.2}M", tickets as f64 / 1e6).replace(".00M", "M")
    } else if tickets >= 1_000 {
        format!("{:.0}k", tickets as f64 / 1e3)
    } else {
        tickets.to_string()
    }
}

/// A latency in ms, or "> window" when no request finished in the window.
fn timing(measurement: &Measurement, value: f64) -> String {
    if measurement.requests == 0 { format!("> {:.0} s", measurement.seconds) } else { format!("{value:.2}") }
}

fn row_line(out: &mut String, row: &Row) {
    let app = &row.app;
    let (floor_throughput, floor_p95, ratio) = match &row.floor {
        Some(floor) => (
            format!("{:.0}", floor.throughput),
            timing(floor, floor.p95_ms),
            if floor.throughput > 0.0 {
                format!("{:.0} %", app.throughput / floor.throughput * 100.0)
            } else {
                "–".into()
            },
        ),
        None => ("–".into(), "–".into(), "–".into()),
    };
    let _ = writeln!(
        out,
        "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
        row.label,
        app.concurrency,
        app.throughput,
        timing(app, app.p50_ms),
        timing(app, app.p95_ms),
        timing(app, app.p99_ms),
        floor_throughput,
        floor_p95,
        ratio,
        megabytes(app.peak_rss_kib),
        verdict(row),
    );
}

fn measurement_line(out: &mut String, label: &str, measurement: &Measurement) {
    let _ = writeln!(
        out,
        "| {label} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
        measurement.concurrency,
        measurement.throughput,
        measurement.p50_ms,
        measurement.p95_ms,
        measurement.p99_ms,
        measurement.errors
    );
}

/// The whole BENCHMARKS.md.
pub async fn render(inputs: &ReportInputs) -> anyhow::Result<String> {
    let main = &inputs.main;
    let mut out = String::new();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Measured on {date} by `scripts/bench` (everything below, tables and numbers, is written by it; \
         the \"Why\" section is kept by hand in `bench/NOTES.md` and copied in).\n"
    );
    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(out, "- {}", cpu_description());
    let postgres =
        postgres_description(&inputs.database_url).await.unwrap_or_else(|error| format!("PostgreSQL: {error}"));
    let _ = writeln!(out, "- {postgres}");
    let _ = writeln!(out, "- {}", inputs.settings);
    let _ = writeln!(
        out,
        "- Data set: {} tickets, {} messages, {} events (seed {}){}\n",
        main.tickets,
        main.messages,
        main.events,
        main.seed.map_or("?".into(), |seed| seed.to_string()),
        inputs.generation_seconds.map_or(String::new(), |seconds| format!(", generated in {seconds:.0} s"))
    );
    let _ = writeln!(out, "## Commands\n\n```sh\n{}\n```\n", inputs.commands.trim_end());

    let _ = writeln!(out, "## Requests at {} tickets\n", scale_name(main.tickets));
    let _ = writeln!(
        out,
        "Latencies in ms, throughput in requests per second, RSS in MiB (server's peak during that row). \
         \"floor\" runs the same SQL statements as the service, straight on PostgreSQL with sqlx at the same \
         concurrency; \"app ÷ floor\" compares throughputs.\n"
    );
    let _ = writeln!(
        out,
        "| scenario | clients | req/s | p50 | p95 | p99 | floor req/s | floor p95 | app ÷ floor | RSS | target |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for row in &main.rows {
        row_line(&mut out, row);
    }
    let _ = writeln!(out);
    for row in main.rows.iter().filter(|row| !row.note.is_empty()) {
        let _ = writeln!(out, "- {}: {}", row.label, row.note);
    }
    let rss_verdict = match main.peak_rss_kib {
        Some(kib) if kib <= 150 * 1024 => "≤ 150 MB ✅".to_string(),
        Some(kib) => format!("≤ 150 MB ❌ missed by {:.0} %", (kib as f64 / 1024.0 / 150.0 - 1.0) * 100.0),
        None => "not measured".into(),
    };
    let _ =
        writeln!(out, "\nServer peak RSS over the whole run: {} MiB ({rss_verdict}).\n", megabytes(main.peak_rss_kib));

    if let Some((alone, with_login, login)) = &main.reads_under_login {
        let _ = writeln!(out, "### Log-in next to reads\n");
        let _ = writeln!(
            out,
            "The dashboard's first page alone, then again while log-ins run at the same time \
             (argon2 runs on the server's hashing threads, one per core, off the async workers).\n"
        );
        let _ = writeln!(out, "| run | clients | req/s | p50 | p95 | p99 | errors |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
        measurement_line(&mut out, "dashboard alone", alone);
        measurement_line(&mut out, "dashboard during log-ins", with_login);
        measurement_line(&mut out, "log-ins during dashboard reads", login);
        let _ = writeln!(
            out,
            "\nDashboard p95 during log-ins: {:.2} ms vs {:.2} ms alone ({:+.0} %); throughput {:+.0} %.\n",
            with_login.p95_ms,
            alone.p95_ms,
            (with_login.p95_ms / alone.p95_ms - 1.0) * 100.0,
            (with_login.throughput / alone.throughput - 1.0) * 100.0
        );
    }

    if !inputs.scales.is_empty() {
        let _ = writeln!(out, "## Scaling curve\n");
        let _ = writeln!(out, "p95 latency in ms (throughput in req/s) of the list, search and ticket-page rows.\n");
        let mut all: Vec<&RunResult> = inputs.scales.iter().collect();
        if !all.iter().any(|run| run.tickets == main.tickets) {
            all.push(main);
        }
        all.sort_by_key(|run| run.tickets);
        let _ = write!(out, "| scenario |");
        for run in &all {
            let _ = write!(out, " {} tickets |", scale_name(run.tickets));
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "|---|{}", "---:|".repeat(all.len()));
        let keys = [
            "dashboard_first",
            "dashboard_deep",
            "search_common",
            "search_rare",
            "search_two",
            "search_prefix",
            "ticket_api",
            "ticket_html",
        ];
        for key in keys {
            let label = all.iter().flat_map(|run| &run.rows).find(|row| row.key == key).map(|row| row.label.clone());
            let Some(label) = label else { continue };
            let _ = write!(out, "| {label} |");
            for run in &all {
                match run.rows.iter().find(|row| row.key == key) {
                    Some(row) => {
                        if row.app.requests == 0 {
                            let _ = write!(out, " > {:.0} s (0) |", row.app.seconds);
                        } else {
                            let _ = write!(out, " {:.2} ({:.0}) |", row.app.p95_ms, row.app.throughput);
                        }
                    }
                    None => {
                        let _ = write!(out, " – |");
                    }
                }
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out);
        for run in &all {
            let notes: Vec<String> = run
                .rows
                .iter()
                .filter(|row| {
                    row.key.starts_with("search_") || row.key == "dashboard_deep" || row.key == "dashboard_first"
                })
                .map(|row| format!("{}: {}", row.key, row.note))
                .collect();
            let _ = writeln!(out, "- {} tickets: {}", scale_name(run.tickets), notes.join("; "));
        }
        let _ = writeln!(out);
    }

    let _ = writeln!(out, "## Frontend weight\n");
    match &inputs.weight {
        Some(weight) => {
            let files = &weight.files;
            let _ = writeln!(
                out,
                "`cargo leptos build --release --split` output (site root `target/bench/site`), `pkg/`, in bytes.\n"
            );
            let _ = writeln!(out, "| file | loaded by | raw | gzip -9 | brotli -q 11 |");
            let _ = writeln!(out, "|---|---|---:|---:|---:|");
            // wasm-split's shared chunks (`chunk_<n>.wasm`, dozens of small
            // files) make one row; every other file has its own.
            let is_shared_chunk = |name: &str| name.starts_with("chunk_") && name.ends_with(".wasm");
            for file in files.iter().filter(|file| !is_shared_chunk(&file.name)) {
                let loaded_by = if file.first_page { "every page" } else { "that split page, first visit" };
                let _ =
                    writeln!(out, "| {} | {loaded_by} | {} | {} | {} |", file.name, file.raw, file.gzip, file.brotli);
            }
            let shared: Vec<_> = files.iter().filter(|file| is_shared_chunk(&file.name)).collect();
            if !shared.is_empty() {
                let sum = totals(shared.iter().copied());
                let _ = writeln!(
                    out,
                    "| `chunk_*.wasm` ({} files of code shared by split pages) | split pages needing them, first visit | {} | {} | {} |",
                    shared.len(),
                    sum.0,
                    sum.1,
                    sum.2
                );
            }
            let first = totals(files.iter().filter(|file| file.first_page));
            let chunks = totals(files.iter().filter(|file| !file.first_page));
            let _ = writeln!(out, "| **first page** | | {} | {} | {} |", first.0, first.1, first.2);
            if chunks.0 > 0 {
                let _ = writeln!(out, "| **all chunks** | | {} | {} | {} |", chunks.0, chunks.1, chunks.2);
            }
            let wasm: u64 = files
                .iter()
                .filter(|file| file.first_page && file.name.ends_with(".wasm"))
                .map(|file| file.brotli)
                .sum();
            let verdict = if wasm <= 400 * 1000 {
                "✅".to_string()
            } else {
                format!("❌ missed by {:.0} %", (wasm as f64 / (400.0 * 1000.0) - 1.0) * 100.0)
            };
            let _ = writeln!(
                out,
                "\nFirst page's wasm, brotli: {wasm} bytes ({:.0} KiB; target ≤ 400 KB: {verdict}). \
                 The pages of `app/src/pages/lazy.rs` load their chunks on their first visit.\n",
                wasm as f64 / 1024.0
            );
            if !weight.split_pages.is_empty() {
                let _ = writeln!(
                    out,
                    "What a split page's first visit loads on top of the first page (its own file and the shared \
                     chunks it needs, from wasm-split's manifest):\n"
                );
                let _ = writeln!(out, "| split page (lazy view) | its chunks, brotli -q 11 |");
                let _ = writeln!(out, "|---|---:|");
                for page in &weight.split_pages {
                    let _ = writeln!(out, "| {} | {} |", page.name, page.brotli);
                }
                let _ = writeln!(out);
            }
        }
        None => {
            let _ = writeln!(out, "Not measured in this run.\n");
        }
    }
    match &inputs.hydration {
        Some(hydration) => {
            let _ = writeln!(
                out,
                "Hydration of `{}` as an agent in {} (headless, {} loads, cache warm after the first): \
                 DOMContentLoaded median {:.0} ms, hydrated (the wasm has run: the theme button has \
                 `data-theme-now`) median {:.0} ms after navigation start (all runs: {}).\n",
                hydration.path,
                hydration.chromium,
                hydration.runs,
                median(&hydration.dom_content_loaded_ms),
                median(&hydration.hydrated_ms),
                hydration.hydrated_ms.iter().map(|ms| format!("{ms:.0}")).collect::<Vec<_>>().join(", ")
            );
        }
        None => {
            let _ = writeln!(out, "Hydration time: not measured in this run.\n");
        }
    }
    let _ = writeln!(out, "## Live updates (issue 4)\n");
    match &inputs.live {
        Some(live) => {
            let _ = writeln!(
                out,
                "`guichet-bench live` on the same server: {} agents' event streams (`GET /api/v1/events`, bearer \
                 token) on one instance; one writer posts 200 replies, one every 50 ms (delay percentiles over \
                 every reply × stream; measured from sending the reply request, so it includes the reply's own \
                 handling: an upper bound of commit → receipt), then {} writers post replies as fast as they can \
                 for 10 s (events pushed = deliveries to all streams ÷ time to the last delivery). Memory per \
                 stream = the server's RSS growth from opening the streams ÷ their number.\n",
                live.subscribers, live.writers
            );
            let _ = writeln!(out, "{}", crate::live::markdown(live));
        }
        None => {
            let _ = writeln!(out, "Not measured in this run.\n");
        }
    }
    let _ = writeln!(out, "## Jobs worker (issue 15)\n");
    match &inputs.worker {
        Some(worker) => {
            let _ = writeln!(
                out,
                "`guichet-bench worker` on the main data set after the run, server stopped: every open ticket \
                 put under an SLA policy and due for a look (what a policy change does), then `guichet run-jobs` \
                 (one pass; each rule acts at most 500 times per pass) until a pass finds nothing due, then \
                 passes of the settled desk. Times are the pass alone, as `run-jobs` measures it.\n"
            );
            let _ = writeln!(out, "{}", crate::worker::markdown(worker));
        }
        None => {
            let _ = writeln!(out, "Not measured in this run.\n");
        }
    }
    if let Some(notes) = &inputs.notes {
        let _ = writeln!(out, "{}", notes.trim_end());
    }
    Ok(out)
}
