//! A closed-loop load driver: `concurrency` workers each run one operation
//! after another; after a warm-up, latencies go into an HDR histogram
//! (microseconds) for a fixed duration. Also reads a process's peak RSS.

use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One operation of a scenario: `(worker, iteration)` → done or an error.
pub type Operation = Arc<dyn Fn(usize, u64) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// Wraps an async closure into an [`Operation`].
pub fn operation<F, Fut>(function: F) -> Operation
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    Arc::new(move |worker, iteration| Box::pin(function(worker, iteration)))
}

/// What one run of a scenario measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    /// Operations completed inside the measured window.
    pub requests: u64,
    /// Operations that failed inside the window (not in the latencies).
    pub errors: u64,
    /// The first error, if any.
    pub first_error: Option<String>,
    /// Length of the measured window, in seconds.
    pub seconds: f64,
    /// Completed operations per second.
    pub throughput: f64,
    /// Latency percentiles and maximum, in milliseconds.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Concurrent workers.
    pub concurrency: usize,
    /// Peak resident set of the server during the run, in KiB (VmHWM), when measured.
    pub peak_rss_kib: Option<u64>,
}

/// Runs `operation` on `concurrency` workers: `warmup`, then measures for `duration`.
pub async fn drive(concurrency: usize, warmup: Duration, duration: Duration, operation: Operation) -> Measurement {
    let started = Instant::now();
    let measure_from = started + warmup;
    let measure_until = measure_from + duration;
    let workers = (0..concurrency).map(|worker| {
        let operation = operation.clone();
        tokio::spawn(async move {
            let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
            let mut errors = 0u64;
            let mut first_error = None;
            let mut iteration = 0u64;
            loop {
                let begun = Instant::now();
                if begun >= measure_until {
                    break;
                }
                let result = operation(worker, iteration).await;
                iteration += 1;
                let finished = Instant::now();
                if begun < measure_from || finished > measure_until {
                    continue;
                }
                match result {
                    Ok(()) => {
                        let micros = (finished - begun).as_micros().max(1) as u64;
                        histogram.saturating_record(micros);
                    }
                    Err(error) => {
                        errors += 1;
                        if first_error.is_none() {
                            first_error = Some(format!("{error:#}"));
                        }
                    }
                }
            }
            (histogram, errors, first_error)
        })
    });
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
    let mut errors = 0;
    let mut first_error = None;
    for result in futures::future::join_all(workers).await {
        let (worker_histogram, worker_errors, worker_error) = result.expect("a load worker panicked");
        histogram.add(worker_histogram).expect("same bounds");
        errors += worker_errors;
        first_error = first_error.or(worker_error);
    }
    let seconds = duration.as_secs_f64();
    let millis = |quantile: f64| histogram.value_at_quantile(quantile) as f64 / 1000.0;
    Measurement {
        requests: histogram.len(),
        errors,
        first_error,
        seconds,
        throughput: histogram.len() as f64 / seconds,
        p50_ms: millis(0.50),
        p95_ms: millis(0.95),
        p99_ms: millis(0.99),
        max_ms: histogram.max() as f64 / 1000.0,
        concurrency,
        peak_rss_kib: None,
    }
}

/// Resets the peak RSS (VmHWM) of process `pid` to its current RSS.
pub fn reset_peak_rss(pid: u32) {
    if let Err(error) = std::fs::write(format!("/proc/{pid}/clear_refs"), "5") {
        eprintln!("warning: cannot reset the peak RSS of {pid}: {error}");
    }
}

/// The peak RSS (VmHWM) of process `pid`, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| line.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim().parse().ok())
}
