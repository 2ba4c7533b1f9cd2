//! Rendering outbox rows: emails with the templates in `app/templates/`
//! (minijinja), Discord webhook bodies as embeds. Every word comes from the
//! catalogues (`app/locales/`): an email in its recipient's language (their
//! setting, else the desk's default), a Discord message in the desk's.

use super::{DiscordPayload, EmailPayload, clip};
use crate::domain::service_levels::SlaTarget;
use crate::domain::{NotificationKind, Priority};
use crate::error::AppError;
use crate::i18n::{self, Language, Viewer};
use crate::t;
use serde_json::{Value, json};
use std::sync::LazyLock;

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut environment = minijinja::Environment::new();
    // `.html` templates escape HTML (minijinja's default by extension); `.txt` do not.
    environment.add_template("email.txt", include_str!("../../../templates/email.txt")).expect("email.txt parses");
    environment.add_template("email.html", include_str!("../../../templates/email.html")).expect("email.html parses");
    environment
});

/// A rendered email: subject, text and HTML parts.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The language an email row is written in: its recipient's (frozen in the
/// row when the event happened), else the desk's `default`.
pub fn email_language(payload: &EmailPayload, default: Language) -> Language {
    payload.language.as_deref().and_then(i18n::parse_language).unwrap_or(default)
}

/// Renders an email row with the templates in `language`; `link` is the
/// ticket's page; `rating` the signed rating link of a "resolved" email
/// (`.../rate/{token}`), which the email offers once per score
/// (`?score=1` to `?score=5`).
///
/// Errors: [`AppError::Internal`] when a template fails.
pub fn render_email(
    kind: NotificationKind,
    payload: &EmailPayload,
    link: &str,
    rating: Option<&str>,
    language: Language,
) -> Result<RenderedEmail, AppError> {
    i18n::request::as_viewer(Viewer { language, ..i18n::desk() }, || render_email_here(kind, payload, link, rating))
}

/// [`render_email`] in the current language.
fn render_email_here(
    kind: NotificationKind,
    payload: &EmailPayload,
    link: &str,
    rating: Option<&str>,
) -> Result<RenderedEmail, AppError> {
    let rating_links: Vec<Value> = rating
        .map(|rating| {
            crate::domain::RATING_SCORES
                .map(|score| json!({"label": crate::domain::score_label(score), "url": format!("{rating}?score={score}")}))
                .collect()
        })
        .unwrap_or_default();
    let actor = payload.actor.clone().unwrap_or_else(|| "Guichet".into());
    let (reference, subject) = (payload.reference.clone(), payload.subject.clone());
    let intro = match kind {
        NotificationKind::TicketCreated => t!(email.ticket_created, reference = reference, subject = subject),
        NotificationKind::ErrorDetected => t!(email.error_detected, reference = reference, subject = subject),
        NotificationKind::TicketAssigned => {
            t!(email.ticket_assigned, actor = actor, reference = reference, subject = subject)
        }
        NotificationKind::AgentReplied => {
            t!(email.agent_replied, actor = actor, reference = reference, subject = subject)
        }
        NotificationKind::RequesterReplied => {
            t!(email.requester_replied, actor = actor, reference = reference, subject = subject)
        }
        NotificationKind::TicketResolved => t!(email.ticket_resolved, reference = reference, subject = subject),
        NotificationKind::TicketClosed => t!(email.ticket_closed, reference = reference, subject = subject),
        NotificationKind::TicketEscalated => t!(
            email.ticket_escalated,
            actor = actor,
            reference = reference,
            subject = subject,
            priority = payload.priority.label()
        ),
        NotificationKind::SlaWarning => t!(
            email.sla_warning,
            target = payload.sla_target.map(SlaTarget::label).unwrap_or_default(),
            reference = reference,
            subject = subject,
            due = payload.due_at.as_ref().map(crate::components::format::time).unwrap_or_default()
        ),
        NotificationKind::SlaBreached => t!(
            email.sla_breached,
            target = payload.sla_target.map(SlaTarget::label).unwrap_or_default(),
            reference = reference,
            subject = subject,
            due = payload.due_at.as_ref().map(crate::components::format::time).unwrap_or_default()
        ),
    };
    let link_label = if kind == NotificationKind::TicketResolved { t!(email.rate_link) } else { t!(email.open_link) };
    let context = minijinja::context! {
        lang => i18n::code(i18n::language()),
        greeting => t!(email.greeting, name = payload.recipient.clone()),
        intro => intro,
        reference => &payload.reference,
        subject => &payload.subject,
        body => &payload.body,
        reason => &payload.reason,
        reason_label => t!(email.reason),
        link_label => link_label,
        link_text => if kind == NotificationKind::TicketResolved {
            t!(email.rate_link).to_string()
        } else {
            t!(email.open_reference, reference = payload.reference.clone())
        },
        link => link,
        rating_question => t!(email.rating_question),
        rating_links => rating_links,
        footer => t!(email.footer),
    };
    let render = |name: &str| {
        TEMPLATES.get_template(name).and_then(|template| template.render(&context)).map_err(|error| {
            tracing::error!(%error, name, "mail template failed");
            AppError::internal()
        })
    };
    let prefix = if payload.root { "" } else { t!(email.reply_prefix) };
    Ok(RenderedEmail {
        subject: format!("{prefix}[{}] {}", payload.reference, payload.subject),
        text: render("email.txt")?,
        html: render("email.html")?,
    })
}

/// Discord's embed colour for a priority: grey, blurple, orange, red.
fn priority_colour(priority: Priority) -> u32 {
    match priority {
        Priority::Low => 0x99AAB5,
        Priority::Medium => 0x5865F2,
        Priority::High => 0xF0A020,
        Priority::Urgent => 0xED4245,
    }
}

/// The webhook body (Discord's "Execute Webhook" JSON) in `language` (the
/// desk's: a channel is shared): one embed with the reference and subject as
/// a link, the priority's colour, the requester, priority and queue;
/// mentions disabled.
pub fn render_discord(kind: NotificationKind, payload: &DiscordPayload, link: &str, language: Language) -> Value {
    i18n::request::as_viewer(Viewer { language, ..i18n::desk() }, || render_discord_here(kind, payload, link))
}

/// [`render_discord`] in the current language.
fn render_discord_here(kind: NotificationKind, payload: &DiscordPayload, link: &str) -> Value {
    let actor = payload.actor.clone().unwrap_or_else(|| "Guichet".into());
    let requester = payload.requester.clone();
    let headline = match kind {
        NotificationKind::TicketCreated => t!(discord.ticket_created, requester = requester),
        NotificationKind::RequesterReplied => t!(discord.requester_replied, requester = requester),
        NotificationKind::TicketEscalated => t!(discord.ticket_escalated, actor = actor),
        NotificationKind::TicketResolved => t!(discord.ticket_resolved, actor = actor),
        NotificationKind::TicketAssigned => t!(discord.ticket_assigned, actor = actor),
        NotificationKind::AgentReplied => t!(discord.agent_replied, actor = actor),
        NotificationKind::TicketClosed => t!(discord.ticket_closed, actor = actor),
        // Not among the kinds a webhook may announce (staff-only clocks).
        NotificationKind::SlaWarning => t!(discord.sla_warning).to_string(),
        NotificationKind::SlaBreached => t!(discord.sla_breached).to_string(),
        NotificationKind::ErrorDetected => t!(discord.error_detected, requester = requester),
    };
    let description = match &payload.excerpt {
        Some(excerpt) => format!("**{headline}**\n{}", clip(excerpt, 3_000)),
        None => format!("**{headline}**"),
    };
    json!({
        "username": "Guichet",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": clip(&format!("[{}] {}", payload.reference, payload.subject), 256),
            "url": link,
            "description": description,
            "color": priority_colour(payload.priority),
            "fields": [
                {"name": t!(ticket.requester), "value": clip(&payload.requester, 1_024), "inline": true},
                {"name": t!(ticket.priority), "value": payload.priority.label(), "inline": true},
                {"name": t!(ticket.queue), "value": clip(&payload.queue, 1_024), "inline": true},
            ],
            "footer": {"text": kind.as_str()},
        }],
    })
}
