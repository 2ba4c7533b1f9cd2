//! Small display helpers shared by the pages.

use crate::domain::{Priority, Status};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// `2026-11-23 14:05 UTC`.
pub fn time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A coloured status badge.
#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str()) data-status=status.as_str()>{status.label()}</span> }
}

/// A coloured priority badge.
#[component]
pub fn PriorityBadge(priority: Priority) -> impl IntoView {
    view! { <span class=format!("badge priority-{}", priority.as_str()) data-priority=priority.as_str()>{priority.as_str()}</span> }
}
