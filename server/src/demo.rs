//! Demo data for a first look: one admin, two agents, three requesters (and,
//! with the tickets module, a dozen tickets). Loaded only into a database
//! without users, so running it again changes nothing.

use app::domain::{
    Assignment, Escalation, MessageKind, NewMessage, NewTicket, Registration, Role, Status, StatusChange, TicketSource,
    User,
};
use app::services::catalog::{self, QueueCategories};
use app::services::{Caller, accounts, tickets};
use sqlx::PgPool;

/// The demo accounts: (username, role, password). The passwords are printed
/// on purpose: this is demo data for a local first look.
pub const DEMO_ACCOUNTS: [(&str, Role, &str); 6] = [
    ("admin", Role::Admin, "guichet-admin-demo"),
    ("alice", Role::Agent, "guichet-alice-demo"),
    ("bruno", Role::Agent, "guichet-bruno-demo"),
    ("chloe", Role::Requester, "guichet-chloe-demo"),
    ("david", Role::Requester, "guichet-david-demo"),
    ("emma", Role::Requester, "guichet-emma-demo"),
];

/// Loads the demo data when the database has no users yet. Returns whether it did.
pub async fn load_if_empty(pool: &PgPool) -> anyhow::Result<bool> {
    let has_users = sqlx::query_scalar!(r#"select exists (select 1 from users) as "exists!""#).fetch_one(pool).await?;
    if has_users {
        return Ok(false);
    }
    let mut users = Vec::new();
    for (username, role, password) in DEMO_ACCOUNTS {
        let registration = Registration {
            username: username.into(),
            email: format!("{username}@demo.guichet.test"),
            password: password.into(),
            discord_username: None,
            discord_id: None,
        };
        let user = accounts::create_user_with_role(pool, &registration, role)
            .await
            .map_err(|error| anyhow::anyhow!("demo account {username}: {error}"))?;
        users.push(user);
    }
    load_tickets(pool, &users).await?;
    Ok(true)
}

/// Each queue's own categories and default (issue 14: the new-ticket form
/// preselected "Order issue" even for Recruitment): Support offers the
/// shop's categories and preselects "General inquiry"; Recruitment offers
/// "Application" (preselected), "General inquiry" and "Other".
async fn configure_queues(pool: &PgPool, admin: &Caller) -> anyhow::Result<()> {
    let fail = |error: app::error::AppError| anyhow::anyhow!("demo queues: {error}");
    let recruitment = ["recruitment".to_string()];
    catalog::create_category(pool, admin, "application", "Application", Some(&recruitment)).await.map_err(fail)?;
    let catalog = catalog::catalog_for_admin(pool, admin).await.map_err(fail)?;
    for queue in &catalog.queues {
        let choice = match queue.slug.as_str() {
            "support" => QueueCategories {
                categories: catalog
                    .categories
                    .iter()
                    .map(|category| category.slug.clone())
                    .filter(|slug| slug != "application")
                    .collect(),
                default_category: Some("general_inquiry".into()),
            },
            "recruitment" => QueueCategories {
                categories: ["application", "general_inquiry", "other"].map(String::from).to_vec(),
                default_category: Some("application".into()),
            },
            _ => continue,
        };
        catalog::set_queue_categories(pool, admin, queue.id, &choice).await.map_err(fail)?;
    }
    Ok(())
}

/// What happens to a demo ticket after it is opened.
enum Story {
    Untouched,
    Answered,
    Pending,
    InProgress,
    Resolved,
    Closed,
    Escalated,
    Noted,
}

/// A dozen tickets in various states, through the service layer so their
/// history is real.
async fn load_tickets(pool: &PgPool, users: &[User]) -> anyhow::Result<()> {
    let by_name = |name: &str| Caller {
        user: users.iter().find(|user| user.username == name).cloned(),
        address: None,
        token_scope: None,
        two_factor_missing: false,
    };
    let (admin, alice, bruno) = (by_name("admin"), by_name("alice"), by_name("bruno"));
    configure_queues(pool, &admin).await?;
    let tickets_to_open: [(&str, &str, &str, &str, &str, &str, Story); 12] = [
        (
            "chloe",
            "support",
            "payment_issue",
            "high",
            "Paiement refusé pour ma commande",
            "Ma carte a été débitée mais la commande indique « paiement refusé ». Pouvez-vous vérifier ?",
            Story::Answered,
        ),
        (
            "chloe",
            "support",
            "order_issue",
            "medium",
            "Order #4821 never arrived",
            "The tracking page has said \"in transit\" for twelve days.",
            Story::Pending,
        ),
        (
            "chloe",
            "recruitment",
            "application",
            "low",
            "Candidature modérateur",
            "Bonjour, je souhaite rejoindre l'équipe de modération du serveur.",
            Story::InProgress,
        ),
        (
            "david",
            "support",
            "technical_issue",
            "urgent",
            "Bot crashes on /play",
            "Every /play command ends with an error since this morning.",
            Story::Escalated,
        ),
        (
            "david",
            "support",
            "account_issue",
            "medium",
            "Cannot change my e-mail address",
            "The settings page says my address is already in use.",
            Story::Resolved,
        ),
        (
            "david",
            "support",
            "refund_request",
            "high",
            "Remboursement d'un abonnement",
            "J'ai été facturé deux fois ce mois-ci.",
            Story::Noted,
        ),
        (
            "david",
            "support",
            "product_issue",
            "low",
            "Dark theme contrast",
            "Grey text on the dark theme is hard to read.",
            Story::Closed,
        ),
        (
            "emma",
            "support",
            "general_inquiry",
            "low",
            "Horaires du support",
            "À quelles heures le support répond-il le week-end ?",
            Story::Untouched,
        ),
        (
            "emma",
            "support",
            "technical_issue",
            "high",
            "Webhook returns 500",
            "Our webhook calls fail with HTTP 500 since the last update.",
            Story::InProgress,
        ),
        (
            "emma",
            "recruitment",
            "application",
            "medium",
            "Application: support agent",
            "I'd like to apply for the support agent role.",
            Story::Untouched,
        ),
        (
            "emma",
            "support",
            "order_issue",
            "medium",
            "Mauvaise taille reçue",
            "J'ai commandé un M et reçu un XL.",
            Story::Resolved,
        ),
        (
            "david",
            "support",
            "payment_issue",
            "urgent",
            "Double charge on invoice 2026-114",
            "We were charged twice for the same invoice.",
            Story::Untouched,
        ),
    ];
    let fail = |error: app::error::AppError| anyhow::anyhow!("demo ticket: {error}");
    for (requester_name, queue, category, priority, subject, description, story) in tickets_to_open {
        let requester = by_name(requester_name);
        let input = NewTicket {
            queue: queue.into(),
            category: category.into(),
            priority: priority.into(),
            subject: subject.into(),
            description: description.into(),
            metadata: None,
        };
        let ticket = tickets::create_ticket(pool, &requester, &input, TicketSource::Web).await.map_err(fail)?;
        let key = ticket.id.to_string();
        let agent = if ticket.id % 2 == 0 { &alice } else { &bruno };
        let agent_id = agent.user.as_ref().map(|user| user.id);
        match story {
            Story::Untouched => {}
            Story::Answered => {
                tickets::assign(pool, agent, &key, &Assignment { assignee_id: agent_id }).await.map_err(fail)?;
                tickets::add_message(
                    pool,
                    agent,
                    &key,
                    &NewMessage {
                        body: "Bonjour, nous vérifions avec la banque et revenons vers vous.".into(),
                        kind: MessageKind::Reply,
                        submission: None,
                    },
                )
                .await
                .map_err(fail)?;
            }
            Story::Pending => {
                tickets::add_message(
                    pool,
                    agent,
                    &key,
                    &NewMessage {
                        body: "Could you send us the tracking number?".into(),
                        kind: MessageKind::Reply,
                        submission: None,
                    },
                )
                .await
                .map_err(fail)?;
                tickets::change_status(pool, agent, &key, &StatusChange { status: Status::Pending })
                    .await
                    .map_err(fail)?;
            }
            Story::InProgress => {
                tickets::assign(pool, agent, &key, &Assignment { assignee_id: agent_id }).await.map_err(fail)?;
                tickets::change_status(pool, agent, &key, &StatusChange { status: Status::InProgress })
                    .await
                    .map_err(fail)?;
            }
            Story::Resolved => {
                tickets::add_message(
                    pool,
                    agent,
                    &key,
                    &NewMessage {
                        body: "This is fixed now; tell us if it happens again.".into(),
                        kind: MessageKind::Reply,
                        submission: None,
                    },
                )
                .await
                .map_err(fail)?;
                tickets::change_status(pool, agent, &key, &StatusChange { status: Status::Resolved })
                    .await
                    .map_err(fail)?;
            }
            Story::Closed => {
                tickets::add_message(
                    pool,
                    agent,
                    &key,
                    &NewMessage {
                        body: "Thanks, the contrast is improved in the next release.".into(),
                        kind: MessageKind::Reply,
                        submission: None,
                    },
                )
                .await
                .map_err(fail)?;
                tickets::change_status(pool, &admin, &key, &StatusChange { status: Status::Closed })
                    .await
                    .map_err(fail)?;
            }
            Story::Escalated => {
                tickets::add_message(
                    pool,
                    agent,
                    &key,
                    &NewMessage {
                        body: "Reproduced on our side: the audio worker panics.".into(),
                        kind: MessageKind::InternalNote,
                        submission: None,
                    },
                )
                .await
                .map_err(fail)?;
                tickets::escalate(
                    pool,
                    agent,
                    &key,
                    &Escalation { reason: "Affects every server since the 14:00 deploy".into() },
                )
                .await
                .map_err(fail)?;
            }
            Story::Noted => {
                tickets::add_message(
                    pool,
                    agent,
                    &key,
                    &NewMessage {
                        body: "Duplicate charge confirmed in Stripe, refund pending approval.".into(),
                        kind: MessageKind::InternalNote,
                        submission: None,
                    },
                )
                .await
                .map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// The demo logins as lines to print.
pub fn logins_text() -> String {
    let mut text = String::from("Demo logins (username / password):\n");
    for (username, role, password) in DEMO_ACCOUNTS {
        text.push_str(&format!("  {role:<9} {username:<6} / {password}\n"));
    }
    text
}
