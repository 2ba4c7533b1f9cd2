//! Connecting to PostgreSQL: create the database if missing, apply migrations.

use anyhow::Context;
use sqlx::{
    ConnectOptions, PgPool,
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use std::str::FromStr;
use tower_sessions_sqlx_store::PostgresStore;

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Creates the database named in `url` when it does not exist.
pub async fn create_if_missing(url: &str) -> anyhow::Result<()> {
    if !sqlx::Postgres::database_exists(url).await.context("checking the database")? {
        tracing::info!("creating the database");
        sqlx::Postgres::create_database(url).await.context("creating the database")?;
    }
    Ok(())
}

/// Opens a pool of up to `max_connections` connections (statement logs at
/// debug level), each with PostgreSQL's JIT compilation off (`jit = off`):
/// Guichet's statements read at most tens of thousands of rows through
/// indexes, where compiling took longer than running. The statistics'
/// 30-day resolved statement at 1M tickets (BENCHMARKS.md) spent 73 ms of
/// its 149 ms in JIT; 65 ms without it.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .context("DATABASE_URL is not a valid PostgreSQL URL")?
        .options([("jit", "off")])
        .log_statements(tracing::log::LevelFilter::Debug);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL")
}

/// Creates the database if needed, applies our migrations and the session
/// store's own schema, and returns a pool.
pub async fn prepare(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    create_if_missing(url).await?;
    let pool = connect(url, max_connections).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies pending migrations (ours and the session store's).
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("applying migrations")?;
    PostgresStore::new(pool.clone()).migrate().await.context("creating the session table")?;
    Ok(())
}
