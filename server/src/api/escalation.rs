//! `/api/v1/admin/escalation-rules` (issue 15, item 3): the thresholds of
//! the automatic escalation rules, agents and admins read, admins write; the rules are in
//! `app::services::escalation`.

use super::{ApiCaller, ApiError, Json};
use crate::state::AppState;
use app::domain::escalation::EscalationRules;
use app::services::escalation::{self, EscalationRulesInput};
use axum::{Router, routing::get};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/escalation-rules", get(rules).put(set_rules))
}

/// → `{unanswered_hours, urgent_unassigned_hours, low_rating_below}` (`null`: off).
async fn rules(request: ApiCaller) -> Result<Json<EscalationRules>, ApiError> {
    Ok(Json(escalation::rules(&request.context.pool, &request.caller).await?))
}

/// `{unanswered_hours, urgent_unassigned_hours, low_rating_below}`, each
/// present, a whole number or `null` → the rules as stored.
async fn set_rules(
    request: ApiCaller,
    Json(input): Json<EscalationRulesInput>,
) -> Result<Json<EscalationRules>, ApiError> {
    Ok(Json(escalation::set_rules(&request.context.pool, &request.caller, &input).await?))
}
