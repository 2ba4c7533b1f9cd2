//! Demo data for a first look: one admin, two agents, three requesters (and,
//! with the tickets module, a dozen tickets). Loaded only into a database
//! without users, so running it again changes nothing.

use app::domain::{Registration, Role};
use app::services::accounts;
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
    let has_users: bool = sqlx::query_scalar("select exists (select 1 from users)").fetch_one(pool).await?;
    if has_users {
        return Ok(false);
    }
    for (username, role, password) in DEMO_ACCOUNTS {
        let registration = Registration {
            username: username.into(),
            email: format!("{username}@demo.guichet.test"),
            password: password.into(),
            discord_username: None,
            discord_id: None,
        };
        accounts::create_user_with_role(pool, &registration, role)
            .await
            .map_err(|error| anyhow::anyhow!("demo account {username}: {error}"))?;
    }
    Ok(true)
}

/// The demo logins as lines to print.
pub fn logins_text() -> String {
    let mut text = String::from("Demo logins (username / password):\n");
    for (username, role, password) in DEMO_ACCOUNTS {
        text.push_str(&format!("  {role:<9} {username:<6} / {password}\n"));
    }
    text
}
