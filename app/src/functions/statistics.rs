//! Server functions for the statistics dashboard (`/admin/stats`).

use crate::domain::StatsDashboard;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {super::ssr::*, crate::services::dashboard};

/// The dashboard of the last `period` (`7d` when absent) and optionally one
/// queue (its slug; empty or absent: every queue). Agents and admins; see
/// `services::dashboard::dashboard` for the errors.
#[server(prefix = "/fn", endpoint = "stats_dashboard")]
pub async fn load_stats_dashboard(period: Option<String>, queue: Option<String>) -> Result<StatsDashboard, AppError> {
    let request = request().await?;
    let period = period.filter(|period| !period.is_empty()).unwrap_or_else(|| "7d".into());
    respond(dashboard::dashboard(&request.context, &request.caller, &period, queue.as_deref()).await)
}
