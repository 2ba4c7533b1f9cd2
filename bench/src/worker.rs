//! `guichet-bench worker`: the jobs worker (issue 15) on a desk of many
//! open tickets. It gets the data set to `open` open tickets (reopening the
//! most recent resolved or closed ones when it has fewer), puts every open
//! ticket under an SLA policy and due for a look now (what a policy change
//! does, `service_levels::recheck_open_tickets`), then runs passes with the
//! release server's `guichet run-jobs` until one finds nothing due: the
//! backlog's passes (each rule acts at most 500 times per pass), then the
//! passes of a settled desk, the last one with each rule's plan.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::postgres::PgPool;
use std::path::Path;

/// What `worker` measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerResults {
    /// Tickets not resolved or closed during the passes.
    pub open_tickets: i64,
    /// How many of them this run reopened to get there.
    pub reopened: i64,
    /// Passes that had work (a backlog: escalations, SLA looks), in order.
    pub backlog_passes: Vec<Pass>,
    /// Passes once nothing was due but what falls due meanwhile.
    pub settled_passes: Vec<Pass>,
    /// `EXPLAIN` of each rule's candidate statement on the settled desk.
    pub plans: Vec<(String, String)>,
}

/// One `guichet run-jobs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pass {
    /// The pass alone, as `run-jobs` timed it (not the process's start), in ms.
    pub elapsed_ms: f64,
    /// Rows each rule acted on (`escalation.unanswered`: 500...).
    pub acted: Vec<(String, u64)>,
    /// SLA looks still due after the pass.
    pub due_after: i64,
}

/// Options of `worker`.
pub struct WorkerOptions<'a> {
    pub database_url: &'a str,
    /// The release `guichet` binary.
    pub guichet: &'a Path,
    pub open: i64,
    pub max_passes: usize,
    pub settled_passes: usize,
}

/// Runs `guichet run-jobs [--explain]` on the database; its last line of output.
fn run_jobs(options: &WorkerOptions<'_>, explain: bool) -> anyhow::Result<Value> {
    let mut command = std::process::Command::new(options.guichet);
    command.arg("run-jobs").env("DATABASE_URL", options.database_url).env("RUST_LOG", "warn");
    if explain {
        command.arg("--explain");
    }
    let output = command.output().with_context(|| format!("running {} run-jobs", options.guichet.display()))?;
    if !output.status.success() {
        bail!("run-jobs failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().context("run-jobs printed nothing")?;
    serde_json::from_str(line).with_context(|| format!("run-jobs printed {line}"))
}

/// The data set ready, then every pass until settled; see the module documentation.
pub async fn run(options: &WorkerOptions<'_>) -> anyhow::Result<WorkerResults> {
    let pool = PgPool::connect(options.database_url).await.context("connecting to PostgreSQL")?;
    let open_now = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from tickets where status not in ('resolved', 'closed')")
            .fetch_one(&pool)
            .await
    };
    let before = open_now().await?;
    let reopened = (options.open - before).max(0);
    if reopened > 0 {
        println!("Reopening the {reopened} most recent resolved or closed tickets ({before} open)...");
        sqlx::query(
            "update tickets set status = 'open', resolved_at = null, closed_at = null
             where id in (select id from tickets where status in ('resolved', 'closed')
                          order by created_at desc limit $1)",
        )
        .bind(reopened)
        .execute(&pool)
        .await?;
    }
    let open_tickets = open_now().await?;
    // One policy for every ticket (4 h to answer, 2 days to resolve, 24/7),
    // unless the data set has some; then every open ticket due for a look.
    sqlx::query(
        "insert into sla_policies (name, first_response_minutes, resolution_minutes)
         select 'Bench: every ticket', 240, 2880 where not exists (select 1 from sla_policies)",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "insert into ticket_sla_checks (ticket_id, due_at)
         select id, now() from tickets where status not in ('resolved', 'closed')
         on conflict (ticket_id) do update set due_at = excluded.due_at",
    )
    .execute(&pool)
    .await?;
    sqlx::query("analyze tickets, ticket_sla_checks").execute(&pool).await?;
    println!("{open_tickets} open tickets, each due for an SLA look; passes until nothing is due:");

    let due = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from ticket_sla_checks where due_at <= now()")
            .fetch_one(&pool)
            .await
    };
    let pass = |value: &Value, due_after: i64| Pass {
        elapsed_ms: value["elapsed_ms"].as_f64().unwrap_or_default(),
        acted: value["acted"]
            .as_object()
            .map(|acted| acted.iter().map(|(rule, count)| (rule.clone(), count.as_u64().unwrap_or_default())).collect())
            .unwrap_or_default(),
        due_after,
    };
    let mut backlog_passes = Vec::new();
    loop {
        if backlog_passes.len() >= options.max_passes {
            bail!("not settled after {} passes", options.max_passes);
        }
        let value = run_jobs(options, false)?;
        let due_after = due().await?;
        let this = pass(&value, due_after);
        println!(
            "  pass {:>3}: {:>8.1} ms, acted {:?}, {due_after} SLA looks still due",
            backlog_passes.len() + 1,
            this.elapsed_ms,
            this.acted
        );
        let settled = this.acted.is_empty() && due_after == 0;
        backlog_passes.push(this);
        if settled {
            break;
        }
    }
    let mut settled_passes = Vec::new();
    let mut plans = Vec::new();
    for index in 0..options.settled_passes {
        let explain = index + 1 == options.settled_passes;
        let value = run_jobs(options, explain)?;
        let this = pass(&value, due().await?);
        println!("  settled pass {}: {:.1} ms, acted {:?}", index + 1, this.elapsed_ms, this.acted);
        settled_passes.push(this);
        if explain && let Some(found) = value["plans"].as_object() {
            plans = found.iter().map(|(rule, plan)| (rule.clone(), plan.as_str().unwrap_or_default().into())).collect();
        }
    }
    // The last backlog pass found nothing due: it belongs with the settled ones.
    if let Some(last) = backlog_passes.pop() {
        settled_passes.insert(0, last);
    }
    Ok(WorkerResults { open_tickets, reopened, backlog_passes, settled_passes, plans })
}

/// The report's section: the passes' times against issue 15's target (≤ 1 s), and the plans.
pub fn markdown(results: &WorkerResults) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let times = |passes: &[Pass]| {
        let mut times: Vec<f64> = passes.iter().map(|pass| pass.elapsed_ms).collect();
        times.sort_by(|left, right| left.total_cmp(right));
        times
    };
    let settled = times(&results.settled_passes);
    let backlog = times(&results.backlog_passes);
    let median = |times: &[f64]| times.get(times.len() / 2).copied().unwrap_or_default();
    let max = |times: &[f64]| times.last().copied().unwrap_or_default();
    let verdict = if max(&settled) <= 1000.0 { "✅" } else { "❌" };
    let _ = writeln!(out, "| passes | count | median ms | max ms | acted on |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let acted: u64 = results.backlog_passes.iter().flat_map(|pass| pass.acted.iter().map(|(_, count)| count)).sum();
    let _ = writeln!(
        out,
        "| working off the backlog | {} | {:.1} | {:.1} | {acted} |",
        backlog.len(),
        median(&backlog),
        max(&backlog)
    );
    let _ = writeln!(
        out,
        "| settled desk (target ≤ 1 s: {verdict}) | {} | {:.1} | {:.1} | {} |",
        settled.len(),
        median(&settled),
        max(&settled),
        results.settled_passes.iter().flat_map(|pass| pass.acted.iter().map(|(_, count)| count)).sum::<u64>()
    );
    let _ = writeln!(
        out,
        "\n{} open tickets ({} of them reopened for this row), every one under an SLA policy.\n",
        results.open_tickets, results.reopened
    );
    for (rule, plan) in &results.plans {
        let _ = writeln!(out, "`{rule}`, its candidate statement's plan:\n\n```\n{}\n```\n", plan.trim_end());
    }
    out
}
