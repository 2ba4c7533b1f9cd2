//! Automatic escalation (issue 15, item 3, from the AfrikMode seed) as both
//! sides see it: the rules that may escalate a ticket by themselves and the
//! thresholds admins set for them. The rules run on the server, in
//! `crate::services::escalation`, called by the jobs worker.

use crate::t;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A rule that escalates a ticket by itself; named in the `escalated`
/// event it writes (`data.rule`) and in `ticket_automatic_escalations.rule`,
/// which keeps each rule to once per ticket, ever.
///
/// Adding one means deciding, where the compiler asks, its label, its
/// reason, its candidates (`services::escalation`) and its place in the
/// jobs worker's list (`services::jobs::RULES`); the migration's
/// `ticket_automatic_escalations_rule` check must list it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationRule {
    /// Open (`open` or `in_progress`) more than
    /// [`EscalationRules::unanswered_hours`] after its creation without a
    /// public reply by an agent or admin.
    Unanswered,
    /// Priority `urgent`, still `open` and unassigned more than
    /// [`EscalationRules::urgent_unassigned_hours`] after its creation.
    UrgentUnassigned,
    /// A satisfaction rating under [`EscalationRules::low_rating_below`],
    /// given by the requester (`services::ratings` escalates in the
    /// rating's transaction; not on a timer).
    LowRating,
}

impl EscalationRule {
    /// Every rule, in the order the jobs worker runs them.
    pub const ALL: [EscalationRule; 3] =
        [EscalationRule::Unanswered, EscalationRule::UrgentUnassigned, EscalationRule::LowRating];

    /// The stored and wire name, e.g. `"urgent_unassigned"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationRule::Unanswered => "unanswered",
            EscalationRule::UrgentUnassigned => "urgent_unassigned",
            EscalationRule::LowRating => "low_rating",
        }
    }

    /// What the rule says, for people, in the current language, e.g. "no
    /// reply from an agent in time".
    pub fn label(self) -> &'static str {
        match self {
            EscalationRule::Unanswered => t!(escalation_rule.unanswered),
            EscalationRule::UrgentUnassigned => t!(escalation_rule.urgent_unassigned),
            EscalationRule::LowRating => t!(escalation_rule.low_rating),
        }
    }

    /// The reason an escalation by this rule records, in the current
    /// language, with the threshold that was crossed (`threshold`: hours, or
    /// the rating for [`EscalationRule::LowRating`]), e.g. "Open for more
    /// than 48 h without a reply from an agent (automatic escalation)".
    pub fn reason(self, threshold: i32) -> String {
        match self {
            EscalationRule::Unanswered => t!(escalation_rule.unanswered_reason, hours = threshold),
            EscalationRule::UrgentUnassigned => t!(escalation_rule.urgent_unassigned_reason, hours = threshold),
            EscalationRule::LowRating => t!(escalation_rule.low_rating_reason, score = threshold),
        }
    }
}

impl fmt::Display for EscalationRule {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.pad(self.as_str())
    }
}

/// The thresholds of the automatic escalation rules, as admins set them
/// (`GET`/`PUT /api/v1/admin/escalation-rules`); `None` switches a rule
/// off. Defaults (the AfrikMode seed): 48 h, 2 h, a rating under 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRules {
    /// Hours (1–8,760) a ticket may stay open without a public reply by an
    /// agent or admin, counted from its creation.
    pub unanswered_hours: Option<i32>,
    /// Hours (1–8,760) an `urgent` ticket may stay `open` and unassigned,
    /// counted from its creation.
    pub urgent_unassigned_hours: Option<i32>,
    /// A satisfaction rating (1–5) strictly under this escalates the
    /// ticket when it is given (see [`EscalationRule::LowRating`]).
    pub low_rating_below: Option<i32>,
}

impl Default for EscalationRules {
    fn default() -> Self {
        EscalationRules { unanswered_hours: Some(48), urgent_unassigned_hours: Some(2), low_rating_below: Some(3) }
    }
}

impl EscalationRules {
    /// The threshold of `rule`: hours, or the rating; `None` when it is off.
    pub fn threshold(&self, rule: EscalationRule) -> Option<i32> {
        match rule {
            EscalationRule::Unanswered => self.unanswered_hours,
            EscalationRule::UrgentUnassigned => self.urgent_unassigned_hours,
            EscalationRule::LowRating => self.low_rating_below,
        }
    }
}
