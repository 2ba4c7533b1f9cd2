//! The jobs worker (issue 15, item 1): one loop per server instance that
//! runs every timed rule (automatic escalation, SLA warnings and breaches;
//! the auto-close of error tickets later) every
//! `GUICHET_JOBS_INTERVAL_SECONDS`.
//!
//! What keeps it right with any number of instances and restarts:
//! - due work is found from stored timestamps (`tickets.created_at`,
//!   `first_response_at`, ...) through each rule's partial index, never from
//!   timers in memory, so a restart or a second instance changes nothing and
//!   a pass over nothing due is one index probe per rule;
//! - each step claims one due row `FOR UPDATE SKIP LOCKED` and acts on it in
//!   that same transaction (one transaction per acted-on ticket), with the
//!   mark that makes it no longer due (e.g. `ticket_automatic_escalations`),
//!   so two workers take different rows and never act twice on one;
//! - every automatic action is a ticket event whose actor is the system
//!   (`actor_id` null) with the rule that fired in its data.
//!
//! Adding a rule: a variant of [`TimedRule`] (the compiler then asks for its
//! name and its step), listed in [`RULES`].

use crate::domain::escalation::{EscalationRule, EscalationRules};
use crate::error::AppError;
use crate::services::service_levels::watch::{self, WatchSettings};
use crate::services::{escalation, transaction};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

/// The default time between two passes (`GUICHET_JOBS_INTERVAL_SECONDS`): 30 s.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// The most tickets one rule acts on in one pass: 500. A backlog (a
/// threshold just lowered, a desk back from a long outage) is worked off
/// over the next passes, so that one pass stays short.
pub const RULE_BATCH: usize = 500;

/// A rule the worker runs on every pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimedRule {
    /// An automatic escalation rule that fires on elapsed time (issue 15, item 3).
    Escalation(EscalationRule),
    /// SLA warnings and breaches (issue 15, item 2; `service_levels::watch`).
    ServiceLevels,
}

/// Every timed rule, in the order a pass runs them. The low-rating
/// escalation is not here: a rating fires it, not the time.
pub const RULES: [TimedRule; 3] = [
    TimedRule::Escalation(EscalationRule::Unanswered),
    TimedRule::Escalation(EscalationRule::UrgentUnassigned),
    TimedRule::ServiceLevels,
];

/// What every rule of one pass reads once, at the pass's start.
#[derive(Debug, Clone)]
pub struct PassSettings {
    /// The escalation thresholds in force (`escalation_settings`).
    pub escalation: EscalationRules,
    /// The SLA policies and calendars in force, and the warning share.
    pub service_levels: WatchSettings,
}

impl TimedRule {
    /// The rule's name in logs and reports, e.g. `"escalation.unanswered"`.
    pub fn name(self) -> String {
        match self {
            TimedRule::Escalation(rule) => format!("escalation.{rule}"),
            TimedRule::ServiceLevels => "service_levels".to_string(),
        }
    }

    /// One step, in `transaction`: claims at most one due row and acts on it.
    ///
    /// Errors: [`AppError::Internal`] when the database fails.
    async fn step(self, transaction: &mut PgConnection, settings: &PassSettings) -> Result<Outcome, AppError> {
        match self {
            TimedRule::Escalation(rule) => {
                Ok(match escalation::step(transaction, rule, &settings.escalation).await? {
                    escalation::Step::Escalated(ticket_id) => Outcome::Acted(ticket_id),
                    escalation::Step::Skipped(_) => Outcome::Skipped,
                    escalation::Step::Idle => Outcome::Idle,
                })
            }
            TimedRule::ServiceLevels => Ok(match watch::step(transaction, &settings.service_levels).await? {
                watch::Step::Notified(ticket_id) => Outcome::Acted(ticket_id),
                watch::Step::Rescheduled(_) => Outcome::Skipped,
                watch::Step::Idle => Outcome::Idle,
            }),
        }
    }
}

/// What one step did.
enum Outcome {
    /// Acted on this ticket.
    Acted(i64),
    /// Claimed a row and left it (already handled): look for the next one.
    Skipped,
    /// Nothing (more) is due.
    Idle,
}

/// What one pass did, rule by rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// For each rule of [`RULES`] that acted, how many rows it acted on (tickets escalated...).
    pub acted: Vec<(TimedRule, usize)>,
    /// The rules whose pass stopped on an error (logged); they try again next pass.
    pub failed: Vec<TimedRule>,
}

impl PassReport {
    /// How many rows `rule` acted on.
    pub fn acted_on(&self, rule: TimedRule) -> usize {
        self.acted.iter().filter(|(acted, _)| *acted == rule).map(|(_, count)| count).sum()
    }

    /// How many rows every rule acted on together.
    pub fn total(&self) -> usize {
        self.acted.iter().map(|(_, count)| count).sum()
    }
}

/// One pass: reads the settings once, then runs every rule of [`RULES`]
/// until nothing is due for it or it acted [`RULE_BATCH`] times, each step
/// in its own transaction. Safe to run at the same time on any number of
/// instances (see the module documentation). A rule that fails is logged
/// and listed in [`PassReport::failed`]; the others still run.
///
/// Errors: [`AppError::Internal`] when the settings cannot be read (no rule ran).
pub async fn run_pass(pool: &PgPool) -> Result<PassReport, AppError> {
    let settings = {
        let mut connection = pool.acquire().await?;
        PassSettings {
            escalation: escalation::load_rules(&mut connection).await?,
            service_levels: watch::load_settings(&mut connection).await?,
        }
    };
    let mut report = PassReport::default();
    for rule in RULES {
        let mut acted = 0;
        let mut steps = 0;
        while acted < RULE_BATCH && steps < 2 * RULE_BATCH {
            steps += 1;
            let settings = &settings;
            match transaction::run(pool, |transaction| Box::pin(rule.step(transaction, settings))).await {
                Ok(Outcome::Acted(ticket_id)) => {
                    acted += 1;
                    tracing::info!(rule = rule.name(), ticket_id, "timed rule acted");
                }
                Ok(Outcome::Skipped) => {}
                Ok(Outcome::Idle) => break,
                Err(error) => {
                    tracing::error!(rule = rule.name(), %error, "timed rule failed; it runs again next pass");
                    report.failed.push(rule);
                    break;
                }
            }
        }
        if acted > 0 {
            report.acted.push((rule, acted));
        }
    }
    Ok(report)
}

/// The plan PostgreSQL chooses for each timed rule's candidate statement
/// (`EXPLAIN` text, one line per plan node), in the order of [`RULES`]: what
/// a pass reads when nothing is due, for `guichet run-jobs --explain` and the
/// benchmark's worker row.
///
/// Errors: [`AppError::Internal`] when the database fails.
pub async fn explain_rules(pool: &PgPool) -> Result<Vec<(TimedRule, String)>, AppError> {
    let mut plans = Vec::new();
    for rule in RULES {
        let plan = match rule {
            TimedRule::Escalation(escalation_rule) => escalation::explain_candidates(pool, escalation_rule).await?,
            TimedRule::ServiceLevels => Some(watch::explain_candidates(pool).await?),
        };
        if let Some(plan) = plan {
            plans.push((rule, plan));
        }
    }
    Ok(plans)
}

/// The handle of a spawned jobs worker; dropping it does not stop the worker.
pub struct JobsHandle {
    task: tokio::task::JoinHandle<()>,
}

impl JobsHandle {
    /// Stops the worker; a step in flight rolls back with its transaction.
    pub fn stop(&self) {
        self.task.abort();
    }
}

/// Starts the jobs worker on the current Tokio runtime: a pass at once,
/// then one every `interval` (the next waits for the previous to end).
/// Any number of instances may each run one.
pub fn spawn(pool: PgPool, interval: Duration) -> JobsHandle {
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match run_pass(&pool).await {
                Ok(report) if report.total() > 0 => tracing::info!(?report.acted, "jobs pass"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "jobs pass could not start; trying again next interval"),
            }
        }
    });
    JobsHandle { task }
}
