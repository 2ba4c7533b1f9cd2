//! `guichet`: the server binary and its command line.

#![recursion_limit = "512"]

use anyhow::{Context, bail};
use app::domain::{Registration, Role};
use app::services::live::Hub;
use app::services::notifications::{Worker, WorkerOptions};
use app::services::{ServerContext, Settings, accounts};
use clap::Parser;
use leptos::prelude::*;
use server::config::{Cli, Command, ServeArgs};
use server::{AppState, build_router, database, demo};
use std::net::SocketAddr;
use std::sync::Arc;

/// Stack of each runtime worker thread, in bytes: 8 MiB. Leptos renders a
/// page as one deeply nested value; a debug build's frames for the largest
/// page (an admin's ticket page) outgrow tokio's default 2 MiB.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
        .context("starting the async runtime")?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_sessions=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let database_url = cli
        .database
        .database_url
        .clone()
        .context("DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/guichet)")?;
    match cli.command.unwrap_or_else(|| Command::Serve(ServeArgs::parse_from_env())) {
        Command::Serve(args) => serve(&database_url, args).await,
        Command::Migrate => {
            database::prepare(&database_url, 2).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::CreateAdmin { username, email } => {
            let pool = database::prepare(&database_url, 2).await?;
            let password = match std::env::var("GUICHET_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => rpassword::prompt_password("Password for the new admin: ")?,
            };
            let registration = Registration { username, email, password, discord_username: None, discord_id: None };
            match accounts::create_user_with_role(&pool, &registration, Role::Admin).await {
                Ok(user) => {
                    println!("Admin {} created (id {}).", user.username, user.id);
                    Ok(())
                }
                Err(error) => bail!("{error} {:?}", error.fields()),
            }
        }
        Command::SetRole { username, role } => {
            let pool = database::prepare(&database_url, 2).await?;
            let role: Role = role.parse().map_err(|reason: String| anyhow::anyhow!("role {reason}"))?;
            let user = accounts::set_role_by_username(&pool, &username, role)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            println!("{} is now {}.", user.username, user.role);
            Ok(())
        }
        Command::SeedDemo => {
            let pool = database::prepare(&database_url, 2).await?;
            if demo::load_if_empty(&pool).await? {
                println!("Demo data loaded.");
            } else {
                println!("The database already has users; demo data not loaded.");
            }
            print!("{}", demo::logins_text());
            Ok(())
        }
        Command::RunJobs { explain } => {
            let pool = database::prepare(&database_url, 2).await?;
            let started = std::time::Instant::now();
            let report = app::services::jobs::run_pass(&pool).await.map_err(|error| anyhow::anyhow!("{error}"))?;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            let acted: serde_json::Map<String, serde_json::Value> =
                report.acted.iter().map(|(rule, count)| (rule.name(), (*count).into())).collect();
            let failed: Vec<String> = report.failed.iter().map(|rule| rule.name()).collect();
            let mut output = serde_json::json!({"elapsed_ms": elapsed_ms, "acted": acted, "failed": failed});
            if explain {
                let plans: serde_json::Map<String, serde_json::Value> = app::services::jobs::explain_rules(&pool)
                    .await
                    .map_err(|error| anyhow::anyhow!("{error}"))?
                    .into_iter()
                    .map(|(rule, plan)| (rule.name(), plan.into()))
                    .collect();
                output["plans"] = plans.into();
            }
            println!("{output}");
            Ok(())
        }
    }
}

trait ParseFromEnv {
    fn parse_from_env() -> Self;
}

impl ParseFromEnv for ServeArgs {
    /// `serve`'s options from the environment and defaults alone.
    fn parse_from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Only::parse_from(["guichet"]).args
    }
}

async fn serve(database_url: &str, args: ServeArgs) -> anyhow::Result<()> {
    let pool = database::prepare(database_url, 16).await?;
    if args.demo_data {
        if demo::load_if_empty(&pool).await? {
            println!("Demo data loaded.");
        }
        print!("{}", demo::logins_text());
    }
    let mut leptos_options = get_configuration(None)?.leptos_options;
    if leptos_options.output_name.is_empty() {
        leptos_options.output_name = "guichet".into();
    }
    let address: SocketAddr = args.address.parse().context("the listen address")?;
    leptos_options.site_addr = address;
    let settings = Settings {
        public_url: args.public_url.clone().unwrap_or_else(|| format!("http://{address}")),
        login_failures_per_account: args.login_failures_per_account,
        login_failures_per_address: args.login_failures_per_address,
        login_slowdown_after: args.login_slowdown_after,
        trusted_proxies: args.trusted_proxies.clone(),
        password_queue: args.password_queue,
        mail: args.mail_settings()?,
        trusted_origins: args.trusted_origins.clone(),
        rate_limits: args.rate_limits(),
        secret_key: args.secret_key(),
        webhook_allow_private: args.webhook_allow_private,
        require_two_factor_for: args.two_factor_requirement()?,
        desk: args.desk()?,
        error_rate_per_minute: args.error_rate_per_minute,
        ..Settings::default()
    };
    app::i18n::set_desk_defaults(settings.desk.clone());
    if settings.webhook_allow_private {
        tracing::warn!("GUICHET_WEBHOOK_ALLOW_PRIVATE is on: webhooks may reach private and loopback addresses");
    }
    if !settings.secret_key.is_configured() {
        tracing::warn!("GUICHET_SECRET_KEY is not set: nobody can turn on two-factor authentication");
    }
    let settings = Arc::new(settings);
    let live = Hub::start(pool.clone()).await?;
    // Delivers the notification outbox (emails, Discord); any number of
    // instances may run one each.
    let _worker = Worker::spawn(pool.clone(), settings.clone(), WorkerOptions::default())
        .map_err(|error| anyhow::anyhow!("notification worker: {error}"))?;
    // Runs the timed rules (automatic escalation); any number of instances
    // may run one each: due rows are claimed FOR UPDATE SKIP LOCKED.
    app::services::service_levels::watch::set_warning_percent(args.sla_warning_percent);
    let _jobs = app::services::jobs::spawn(pool.clone(), args.jobs_interval());
    let state = AppState {
        leptos_options,
        context: ServerContext {
            pool,
            settings,
            live: live.clone(),
            stats_cache: Default::default(),
            error_rate: Default::default(),
        },
    };
    let router = build_router(state);
    let listener = tokio::net::TcpListener::bind(address).await.with_context(|| format!("listening on {address}"))?;
    println!("Guichet is listening on http://{address}");
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Live streams never end by themselves: end them so that the
            // graceful shutdown can finish (browsers resume elsewhere).
            live.shutdown();
        })
        .await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (what service managers and Playwright send).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
