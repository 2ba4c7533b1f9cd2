//! `guichet-bench`: Guichet's benchmark suite. `generate` loads a realistic
//! help desk, `run` drives a running server and the PostgreSQL floor,
//! `weight` measures the frontend, `worker` times the jobs worker's passes,
//! `report` writes BENCHMARKS.md.
//! `scripts/bench` runs them all in order.

mod floor;
mod generate;
mod live;
mod load;
mod report;
mod scenarios;
mod text;
mod weight;
mod worker;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "guichet-bench", about = "Guichet's benchmark suite")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load a generated help desk into a freshly migrated, empty database.
    Generate {
        /// Tickets to generate.
        #[arg(long, default_value_t = 1_000_000)]
        tickets: u64,
        /// Seed of the generator: the same seed, scale and end date give the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Last day of the history (exclusive, midnight UTC), YYYY-MM-DD; defaults to today.
        #[arg(long)]
        end_date: Option<chrono::NaiveDate>,
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
    /// Print "tickets seed end_date" of the generated data set, or nothing.
    Dataset {
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
    /// Drive a running server and the PostgreSQL floor; write the results as JSON.
    Run {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:3300")]
        base_url: String,
        /// The database the server uses (for targets and the floor).
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
        /// The server's process id, for its peak RSS.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Warm-up before each measurement, in seconds.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Measured time per scenario, in seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        #[arg(long, default_value_t = 8)]
        read_concurrency: usize,
        #[arg(long, default_value_t = 32)]
        write_concurrency: usize,
        #[arg(long, default_value_t = 4)]
        login_concurrency: usize,
        /// Only the list, search and ticket-page rows (the scaling curve).
        #[arg(long)]
        reads_only: bool,
        /// Skip the PostgreSQL floors.
        #[arg(long)]
        no_floor: bool,
        /// Only these rows (e.g. `--only search_common --only create`; `reads_under_login` for that test).
        #[arg(long)]
        only: Vec<String>,
        /// The server's desk time zone (its daily statistics' days), for the floor.
        #[arg(long, env = "GUICHET_TIME_ZONE", default_value = "Europe/Paris")]
        time_zone: String,
        /// Where to write the results.
        #[arg(long)]
        output: PathBuf,
    },
    /// The live-stream benchmark (issue 4): many SSE subscribers on one
    /// instance; delay, events pushed per second, memory per stream.
    Live {
        #[arg(long, default_value = "http://127.0.0.1:3300")]
        base_url: String,
        #[arg(long)]
        server_pid: Option<u32>,
        /// An agent's login and password.
        #[arg(long)]
        login: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value_t = 1_000)]
        subscribers: usize,
        #[arg(long, default_value_t = 200)]
        latency_replies: usize,
        /// Milliseconds between two replies of the latency phase.
        #[arg(long, default_value_t = 50)]
        latency_interval_ms: u64,
        #[arg(long, default_value_t = 32)]
        writers: usize,
        /// Seconds of the throughput phase.
        #[arg(long, default_value_t = 10.0)]
        throughput_seconds: f64,
        /// Where to write the results (JSON); a Markdown table goes next to it (`.md`).
        #[arg(long)]
        output: PathBuf,
    },
    /// The jobs worker (issue 15): passes of `guichet run-jobs` over a desk of
    /// OPEN open tickets under an SLA policy, until settled. Changes the
    /// database (reopens tickets, adds a policy): give it a copy.
    Worker {
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
        /// The release server binary (its `run-jobs` runs each pass).
        #[arg(long, default_value = "target/bench/guichet")]
        guichet: PathBuf,
        /// Open tickets wanted.
        #[arg(long, default_value_t = 50_000)]
        open: i64,
        /// Give up when the backlog takes more passes than this.
        #[arg(long, default_value_t = 400)]
        max_passes: usize,
        /// Passes timed once settled.
        #[arg(long, default_value_t = 5)]
        settled_passes: usize,
        /// Where to write the results (JSON).
        #[arg(long)]
        output: PathBuf,
    },
    /// Bytes of the wasm, JS and CSS under SITE/pkg, raw, gzip and brotli, as JSON.
    Weight {
        #[arg(long, default_value = "target/site")]
        site: PathBuf,
        #[arg(long)]
        output: PathBuf,
    },
    /// Write BENCHMARKS.md from the JSON results.
    Report {
        /// Results of the main run.
        #[arg(long)]
        main: PathBuf,
        /// Results of the scaling runs.
        #[arg(long)]
        scale: Vec<PathBuf>,
        #[arg(long)]
        weight: Option<PathBuf>,
        #[arg(long)]
        hydration: Option<PathBuf>,
        /// Results of `guichet-bench live`.
        #[arg(long)]
        live: Option<PathBuf>,
        /// Results of `guichet-bench worker`.
        #[arg(long)]
        worker: Option<PathBuf>,
        /// A file with the commands run, copied into the report.
        #[arg(long)]
        commands: PathBuf,
        /// Hand-written analysis, copied at the end.
        #[arg(long)]
        notes: Option<PathBuf>,
        /// Seconds the main data set took to generate, when it was generated.
        #[arg(long)]
        generation_seconds: Option<f64>,
        /// A line describing the run's settings (concurrency, durations, server pool).
        #[arg(long, default_value = "")]
        settings: String,
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
        #[arg(long, default_value = "BENCHMARKS.md")]
        output: PathBuf,
    },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &PathBuf) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Generate { tickets, seed, end_date, database_url } => {
            let end = end_date.unwrap_or_else(|| chrono::Utc::now().date_naive());
            generate::generate(&database_url, &generate::Plan { tickets, seed, end }).await
        }
        Command::Dataset { database_url } => {
            let pool = sqlx::PgPool::connect(&database_url).await?;
            if let Some((tickets, seed, end)) = generate::dataset(&pool).await? {
                println!("{tickets} {seed} {end}");
            }
            Ok(())
        }
        Command::Run {
            base_url,
            database_url,
            server_pid,
            warmup,
            duration,
            read_concurrency,
            write_concurrency,
            login_concurrency,
            reads_only,
            no_floor,
            only,
            time_zone,
            output,
        } => {
            let options = scenarios::RunOptions {
                base_url,
                database_url,
                server_pid,
                warmup: Duration::from_secs_f64(warmup),
                duration: Duration::from_secs_f64(duration),
                read_concurrency,
                write_concurrency,
                login_concurrency,
                reads_only,
                no_floor,
                only,
                time_zone,
            };
            let result = scenarios::run(&options).await?;
            std::fs::write(&output, serde_json::to_string_pretty(&result)?)?;
            println!("Results written to {}", output.display());
            Ok(())
        }
        Command::Live {
            base_url,
            server_pid,
            login,
            password,
            subscribers,
            latency_replies,
            latency_interval_ms,
            writers,
            throughput_seconds,
            output,
        } => {
            let options = live::LiveOptions {
                base_url,
                server_pid,
                login,
                password,
                subscribers,
                latency_replies,
                latency_interval: Duration::from_millis(latency_interval_ms),
                writers,
                throughput_duration: Duration::from_secs_f64(throughput_seconds),
            };
            let results = live::run(&options).await?;
            let table = live::markdown(&results);
            print!("{table}");
            std::fs::write(&output, serde_json::to_string_pretty(&results)?)?;
            std::fs::write(output.with_extension("md"), table)?;
            Ok(())
        }
        Command::Worker { database_url, guichet, open, max_passes, settled_passes, output } => {
            let options = worker::WorkerOptions {
                database_url: &database_url,
                guichet: &guichet,
                open,
                max_passes,
                settled_passes,
            };
            let results = worker::run(&options).await?;
            print!("{}", worker::markdown(&results));
            std::fs::write(&output, serde_json::to_string_pretty(&results)?)?;
            Ok(())
        }
        Command::Weight { site, output } => {
            let weight = weight::measure(&site)?;
            for file in &weight.files {
                println!("{:<24} raw {:>9} gzip {:>9} brotli {:>9}", file.name, file.raw, file.gzip, file.brotli);
            }
            for page in &weight.split_pages {
                println!("split page {:<48} brotli {:>9}", page.name, page.brotli);
            }
            std::fs::write(&output, serde_json::to_string_pretty(&weight)?)?;
            Ok(())
        }
        Command::Report {
            main,
            scale,
            weight,
            hydration,
            live,
            worker,
            commands,
            notes,
            generation_seconds,
            settings,
            database_url,
            output,
        } => {
            let inputs = report::ReportInputs {
                main: read_json(&main)?,
                scales: scale.iter().map(read_json).collect::<anyhow::Result<_>>()?,
                weight: weight.as_ref().map(read_json).transpose()?,
                hydration: hydration.as_ref().map(read_json).transpose()?,
                live: live.as_ref().map(read_json).transpose()?,
                worker: worker.as_ref().map(read_json).transpose()?,
                commands: std::fs::read_to_string(&commands)?,
                notes: notes.map(std::fs::read_to_string).transpose()?,
                database_url,
                generation_seconds,
                settings,
            };
            std::fs::write(&output, report::render(&inputs).await?)?;
            println!("Wrote {}", output.display());
            Ok(())
        }
    }
}
