//! Server functions for the automatic escalation thresholds on the
//! service-levels page (issue 15, item 3): agents read, admins write. Thin:
//! the form's text goes to the service layer, which reads and checks it.

use crate::domain::escalation::EscalationRules;
use crate::error::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::ssr::*,
    crate::pages::admin_service_levels::ESCALATION,
    crate::services::escalation::{self, EscalationRulesInput},
};

/// The thresholds in force (agents and admins); `None` = that rule is off.
#[server(prefix = "/fn", endpoint = "load_escalation_rules")]
pub async fn load_escalation_rules() -> Result<EscalationRules, AppError> {
    let request = request().await?;
    respond(escalation::rules(&request.context.pool, &request.caller).await)
}

/// Replaces the thresholds (admins), each as typed: hours (1 to 8,760) for
/// `unanswered_hours` and `urgent_unassigned_hours`, a score (1 to 5) for
/// `low_rating_below`; blank switches that rule off. Returns them as stored.
#[server(prefix = "/fn", endpoint = "set_escalation_rules")]
pub async fn set_escalation_rules(
    #[server(default)] unanswered_hours: String,
    #[server(default)] urgent_unassigned_hours: String,
    #[server(default)] low_rating_below: String,
) -> Result<EscalationRules, AppError> {
    let request = request().await?;
    let input = EscalationRulesInput::from_form(&unanswered_hours, &urgent_unassigned_hours, &low_rating_below);
    let stored = escalation::set_rules(&request.context.pool, &request.caller, &input).await;
    if let Err(error) = &stored {
        let fields = [
            ("unanswered_hours", unanswered_hours.as_str()),
            ("urgent_unassigned_hours", urgent_unassigned_hours.as_str()),
            ("low_rating_below", low_rating_below.as_str()),
        ];
        super::service_levels::keep_typed::<SetEscalationRules>(error, ESCALATION, &fields);
    }
    respond(stored)
}
