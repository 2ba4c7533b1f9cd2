//! Satisfaction ratings (issue 15, item 4) through the real router and a
//! real PostgreSQL: the requester rates a resolved ticket through the API
//! and the server function, once per resolution (changed within 7 days,
//! rated again after a later resolution); bad input and other people change
//! nothing; a low score escalates once; and the "resolved" email's signed
//! one-click links, used without logging in: valid, expired, tampered,
//! another user's, a second rating, an earlier resolution's. Times are moved
//! back in the database (or a link signed with an old expiry), never waited for.

use crate::common;

use app::domain::Role;
use app::services::notifications::{EmailPayload, render_email};
use app::services::ratings::RatingLink;
use app::services::{SecretKey, Settings};
use chrono::{Duration, Utc};
use common::TestApp;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

const KEY: &str = "ratings test key";

/// The people of a desk: a requester (chloe), another (david), an agent, an admin, logged in.
struct Desk {
    app: TestApp,
    requester: Client,
    other: Client,
    agent: Client,
    admin: Client,
    requester_id: i64,
    agent_id: i64,
}

async fn desk(pool: PgPool) -> Desk {
    let settings = Settings { secret_key: SecretKey::from_text(KEY), ..Settings::default() };
    let app = TestApp::spawn_with(pool, settings).await;
    let requester = app.create_user("chloe", Role::Requester).await;
    app.create_user("david", Role::Requester).await;
    let agent = app.create_user("alice", Role::Agent).await;
    app.create_user("root", Role::Admin).await;
    let (requester_client, other, agent_client, admin) =
        tokio::join!(app.logged_in("chloe"), app.logged_in("david"), app.logged_in("alice"), app.logged_in("root"));
    Desk {
        app,
        requester: requester_client,
        other,
        agent: agent_client,
        admin,
        requester_id: requester.id,
        agent_id: agent.id,
    }
}

/// Opens a support ticket as chloe; returns its id.
async fn open_ticket(desk: &Desk, subject: &str) -> i64 {
    let body = json!({"queue": "support", "category": "general_inquiry", "subject": subject,
                      "description": format!("Details about {subject}.")});
    let (status, response) = desk.app.post(&desk.requester, "/tickets", body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    response["ticket"]["id"].as_i64().expect("ticket id")
}

/// Sets ticket `id`'s status as `client`.
async fn set_status(desk: &Desk, client: &Client, id: i64, status: &str) {
    let (code, body) = desk.app.put(client, &format!("/tickets/{id}/status"), json!({"status": status})).await;
    assert_eq!(code, StatusCode::OK, "{status}: {body}");
}

/// Opens a ticket and has the agent resolve it; returns its id.
async fn resolved_ticket(desk: &Desk, subject: &str) -> i64 {
    let id = open_ticket(desk, subject).await;
    set_status(desk, &desk.agent, id, "resolved").await;
    id
}

async fn rate(desk: &Desk, client: &Client, id: i64, body: Value) -> (StatusCode, Value) {
    desk.app.post(client, &format!("/tickets/{id}/rating"), body).await
}

async fn ticket(desk: &Desk, client: &Client, id: i64) -> Value {
    let (status, body) = desk.app.get(client, &format!("/tickets/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The ticket's `rated` events' data, oldest first.
fn rated_events(detail: &Value) -> Vec<Value> {
    detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["action"] == "rated")
        .map(|event| event["data"].clone())
        .collect()
}

/// Everything a rating may change: ratings, events, escalation claims, and
/// the tickets' statuses.
async fn snapshot(pool: &PgPool) -> (i64, i64, i64, Vec<String>) {
    let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap() };
    let ratings = count("select count(*) from ticket_ratings").await;
    let events = count("select count(*) from ticket_events").await;
    let claims = count("select count(*) from ticket_automatic_escalations").await;
    let statuses = sqlx::query_scalar("select status::text from tickets order by id").fetch_all(pool).await.unwrap();
    (ratings, events, claims, statuses)
}

/// The latest resolution of ticket `id`: its event id and time.
async fn resolution(pool: &PgPool, id: i64) -> (i64, chrono::DateTime<Utc>) {
    sqlx::query_as(
        "select id, created_at from ticket_events
         where ticket_id = $1 and action = 'status_changed' and data->>'to' = 'resolved' order by id desc limit 1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("a resolution")
}

/// A rating link's token for ticket `id`'s latest resolution, for `requester_id`, expiring at `expires_at`.
async fn token(desk: &Desk, id: i64, requester_id: i64, expires_at: chrono::DateTime<Utc>) -> String {
    let (resolution_id, _) = resolution(&desk.app.pool, id).await;
    let expires_at = chrono::DateTime::from_timestamp(expires_at.timestamp(), 0).unwrap();
    RatingLink { ticket_id: id, resolution_id, requester_id, expires_at }.sign(&SecretKey::from_text(KEY))
}

/// `GET path` (a page) as `client`: status and text.
async fn page(desk: &Desk, client: &Client, path: &str) -> (StatusCode, String) {
    let response = client.get(desk.app.url(path)).send().await.expect("page");
    (response.status(), response.text().await.expect("text"))
}

// ---------------------------------------------------------------------------
// The API and the server function
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn the_requester_rates_each_resolution_once_and_may_change_it_for_seven_days(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let id = resolved_ticket(&desk, "Printer offline").await;

    let before = ticket(&desk, &desk.requester, id).await;
    assert_eq!(before["rating"], Value::Null);
    assert_eq!(before["can_rate"], true);
    assert_eq!(ticket(&desk, &desk.agent, id).await["can_rate"], false, "staff never rate");

    let (status, body) = rate(&desk, &desk.requester, id, json!({"score": 4, "comment": "  Quick, thanks!  "})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["rating"]["score"], 4);
    assert_eq!(body["rating"]["comment"], "Quick, thanks!");
    assert_eq!(body["escalated"], false);

    // Agents see it on the ticket and in the timeline.
    let seen = ticket(&desk, &desk.agent, id).await;
    assert_eq!(seen["rating"]["score"], 4);
    assert_eq!(seen["rating"]["comment"], "Quick, thanks!");
    assert!(seen["rating"]["rated_at"].is_string());
    assert_eq!(rated_events(&seen), vec![json!({"score": 4, "comment": "Quick, thanks!"})]);
    assert_eq!(seen["ticket"]["status"], "resolved", "a good rating changes nothing else");

    // Changed within 7 days: replaced (200), and the history says so.
    let (status, body) = rate(&desk, &desk.requester, id, json!({"score": "5"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let seen = ticket(&desk, &desk.agent, id).await;
    assert_eq!(seen["rating"]["score"], 5);
    assert_eq!(seen["rating"]["comment"], Value::Null);
    assert_eq!(rated_events(&seen).last(), Some(&json!({"score": 5, "replaced": true})));
    assert_eq!(sqlx::query_scalar::<_, i64>("select count(*) from ticket_ratings").fetch_one(&pool).await.unwrap(), 1);

    // After 7 days it stays as it is.
    sqlx::query("update ticket_ratings set rated_at = now() - interval '7 days 1 minute'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(ticket(&desk, &desk.requester, id).await["can_rate"], false);
    let before = snapshot(&pool).await;
    let (status, body) = rate(&desk, &desk.requester, id, json!({"score": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["score"].as_str().unwrap().contains("7 days"), "{body}");
    assert_eq!(snapshot(&pool).await, before);

    // Reopened (the requester replies) and resolved again: rated again.
    let (status, _) =
        desk.app.post(&desk.requester, &format!("/tickets/{id}/messages"), json!({"body": "Again!"})).await;
    assert_eq!(status, StatusCode::CREATED);
    // Until it is resolved again, the ticket shows the last resolution's rating.
    let reopened = ticket(&desk, &desk.requester, id).await;
    assert_eq!((reopened["rating"]["score"].clone(), reopened["can_rate"].clone()), (json!(5), json!(false)));
    set_status(&desk, &desk.agent, id, "resolved").await;
    assert_eq!(ticket(&desk, &desk.requester, id).await["rating"], Value::Null, "the new resolution is not rated");
    let (status, body) = rate(&desk, &desk.requester, id, json!({"score": 3})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(ticket(&desk, &desk.agent, id).await["rating"]["score"], 3);
    assert_eq!(sqlx::query_scalar::<_, i64>("select count(*) from ticket_ratings").fetch_one(&pool).await.unwrap(), 2);
}

#[sqlx::test(migrations = false)]
async fn a_ticket_closed_after_its_resolution_may_be_rated_one_closed_unresolved_may_not(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let confirmed = resolved_ticket(&desk, "Fixed, closing").await;
    set_status(&desk, &desk.requester, confirmed, "closed").await;
    let (status, body) = rate(&desk, &desk.requester, confirmed, json!({"score": 5})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let never_resolved = open_ticket(&desk, "Never mind").await;
    set_status(&desk, &desk.requester, never_resolved, "closed").await;
    let (status, body) = rate(&desk, &desk.requester, never_resolved, json!({"score": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["score"].is_string());

    // Resolved, then reopened by the agent: the resolution no longer stands.
    let reopened = resolved_ticket(&desk, "Back again").await;
    set_status(&desk, &desk.agent, reopened, "in_progress").await;
    let (status, _) = rate(&desk, &desk.requester, reopened, json!({"score": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = false)]
async fn bad_scores_open_tickets_and_other_people_change_nothing(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let open = open_ticket(&desk, "Still open").await;
    let resolved = resolved_ticket(&desk, "Resolved one").await;
    let before = snapshot(&pool).await;

    for score in
        [json!(0), json!(6), json!(-1), json!(3.5), json!("abc"), json!(""), json!(null), json!([4]), json!(true)]
    {
        let (status, body) = rate(&desk, &desk.requester, resolved, json!({"score": score})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{score}: {body}");
        assert!(body["error"]["fields"]["score"].is_string(), "{score}: {body}");
    }
    for comment in [json!("x".repeat(2_001)), json!("a\u{0}b"), json!(12)] {
        let (status, body) = rate(&desk, &desk.requester, resolved, json!({"score": 4, "comment": comment})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["comment"].is_string(), "{body}");
    }
    // On an open ticket: a field error, in the caller's language.
    let (status, body) = rate(&desk, &desk.requester, open, json!({"score": 4})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["score"], "only a resolved ticket can be rated");
    sqlx::query("update users set language = 'fr' where username = 'chloe'").execute(&pool).await.unwrap();
    let (_, body) = rate(&desk, &desk.requester, open, json!({"score": 4})).await;
    assert_eq!(body["error"]["fields"]["score"], "seul un ticket résolu peut être noté");
    sqlx::query("update users set language = 'en' where username = 'chloe'").execute(&pool).await.unwrap();

    // Staff see the ticket but may not rate it; other requesters do not see it.
    let (status, body) = rate(&desk, &desk.agent, resolved, json!({"score": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["score"], "only the ticket's requester may rate it");
    let (status, _) = rate(&desk, &desk.admin, resolved, json!({"score": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = rate(&desk, &desk.other, resolved, json!({"score": 5})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = rate(&desk, &desk.app.browser(), resolved, json!({"score": 5})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The server function refuses alike.
    let key = resolved.to_string();
    let (status, body) = desk.app.server_fn(&desk.requester, "rate_ticket", &[("key", &key), ("score", "9")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = desk.app.server_fn(&desk.agent, "rate_ticket", &[("key", &key), ("score", "4")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(snapshot(&pool).await, before, "nothing changed");

    // And the server function works for the requester (a blank comment is none).
    let (status, body) =
        desk.app.server_fn(&desk.requester, "rate_ticket", &[("key", &key), ("score", "4"), ("comment", "  ")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["score"], 4);
    assert_eq!(body["comment"], Value::Null);
}

#[sqlx::test(migrations = false)]
async fn a_low_rating_escalates_the_ticket_once(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let id = resolved_ticket(&desk, "Slow answer").await;
    let (status, body) = rate(&desk, &desk.requester, id, json!({"score": 2, "comment": "Took a week"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["escalated"], true);

    let seen = ticket(&desk, &desk.admin, id).await;
    assert_eq!(seen["ticket"]["status"], "escalated");
    let escalation = seen["events"].as_array().unwrap().iter().find(|event| event["action"] == "escalated").unwrap();
    assert_eq!(escalation["actor"], Value::Null, "the system escalated it");
    assert_eq!(escalation["data"]["rule"], "low_rating");
    assert_eq!(escalation["data"]["from"], "resolved");
    // The admins are notified as for any escalation (one admin: one inbox line, one email).
    while app::services::notifications::expand_fan_outs(&pool, true).await.expect("expand") > 0 {}
    let inbox: i64 =
        sqlx::query_scalar("select count(*) from notifications where ticket_id = $1 and kind = 'ticket_escalated'")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(inbox, 1);
    // The requester sees that it was escalated, never why.
    let mine = ticket(&desk, &desk.requester, id).await;
    let escalation = mine["events"].as_array().unwrap().iter().find(|event| event["action"] == "escalated").unwrap();
    assert_eq!(escalation["data"].get("rule"), None);
    assert_eq!(mine["rating"]["score"], 2, "the rating is still theirs to see");
    assert_eq!(mine["can_rate"], true, "and to change for 7 days");

    // Changed to 1 the same day: replaced, and no second escalation.
    set_status(&desk, &desk.agent, id, "in_progress").await;
    let (status, body) = rate(&desk, &desk.requester, id, json!({"score": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["escalated"], false);
    assert_eq!(ticket(&desk, &desk.admin, id).await["ticket"]["status"], "in_progress");

    // A closed ticket is not escalated (and the rule is not spent on it).
    let closed = resolved_ticket(&desk, "Closed before rating").await;
    set_status(&desk, &desk.requester, closed, "closed").await;
    let (status, body) = rate(&desk, &desk.requester, closed, json!({"score": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["escalated"], false);
    let claims: i64 = sqlx::query_scalar("select count(*) from ticket_automatic_escalations where ticket_id = $1")
        .bind(closed)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(claims, 0);

    // A score at the threshold does not escalate; the rule switched off never does.
    let fine = resolved_ticket(&desk, "Average").await;
    let (_, body) = rate(&desk, &desk.requester, fine, json!({"score": 3})).await;
    assert_eq!(body["escalated"], false);
    let off = json!({"unanswered_hours": 48, "urgent_unassigned_hours": 2, "low_rating_below": null});
    let (status, body) = desk.app.put(&desk.admin, "/admin/escalation-rules", off).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let quiet = resolved_ticket(&desk, "Rule off").await;
    let (_, body) = rate(&desk, &desk.requester, quiet, json!({"score": 1})).await;
    assert_eq!(body["escalated"], false);
    assert_eq!(ticket(&desk, &desk.admin, quiet).await["ticket"]["status"], "resolved");
}

// ---------------------------------------------------------------------------
// The email's one-click links
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn the_resolved_email_rates_in_one_click_without_logging_in(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let id = resolved_ticket(&desk, "Email rating").await;

    // The resolved email to the requester, rendered as the worker renders it.
    let (payload, user_id): (Value, i64) = sqlx::query_as(
        "select payload, user_id from outbox where channel = 'email' and kind = 'ticket_resolved' and ticket_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .expect("the resolved email");
    assert_eq!(user_id, desk.requester_id);
    assert!(!payload.to_string().contains("/rate/"), "the token is not stored");
    let payload: EmailPayload = serde_json::from_value(payload).unwrap();
    let target = payload.rating.expect("rating links");
    let (resolution_id, resolved_at) = resolution(&pool, id).await;
    assert_eq!((target.ticket_id, target.resolution_id, target.requester_id), (id, resolution_id, desk.requester_id));
    let valid_for = target.expires_at - resolved_at;
    assert!(valid_for > Duration::days(30) - Duration::minutes(1) && valid_for <= Duration::days(30), "{valid_for}");
    let rating_url = target.url(&desk.app.origin, &SecretKey::from_text(KEY));
    let email = render_email(
        app::domain::NotificationKind::TicketResolved,
        &payload,
        "x",
        Some(&rating_url),
        app::i18n::Language::en,
    )
    .unwrap();
    let links: Vec<&str> = email.text.split_whitespace().filter(|word| word.contains("/rate/")).collect();
    assert_eq!(links.len(), 5, "{}", email.text);
    assert!(links[0].ends_with("?score=1") && links[4].ends_with("?score=5"), "{links:?}");
    assert_eq!(email.html.matches("/rate/").count(), 5);
    assert!(email.text.contains("5 – Very satisfied"), "{}", email.text);

    // One click, not logged in: recorded, then a page to add a comment.
    let stranger = desk.app.bare_browser();
    let path = links[1].trim_start_matches(&desk.app.origin).to_string();
    let (status, text) = page(&desk, &stranger, &path).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("data-testid=\"rating-saved\""), "{text}");
    assert!(text.contains("<fieldset") && text.contains("<legend>"), "{text}");
    assert!(text.contains("value=\"2\" required checked"), "{text}");
    let seen = ticket(&desk, &desk.agent, id).await;
    assert_eq!(seen["rating"]["score"], 2);
    assert_eq!(seen["ticket"]["status"], "escalated", "a low score by link escalates too");
    let rated = rated_events(&seen);
    assert_eq!(rated.len(), 1);
    let actor =
        seen["events"].as_array().unwrap().iter().find(|event| event["action"] == "rated").unwrap()["actor"]["id"]
            .clone();
    assert_eq!(actor, json!(desk.requester_id), "the requester rated, not the system");

    // The page's form adds a comment (and may change the score), still without logging in.
    let form_path = path.split('?').next().unwrap().to_string();
    let response = stranger
        .post(desk.app.url(&form_path))
        .form(&[("score", "4"), ("comment", "Solved <b>in the end</b>")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.contains("Solved &lt;b&gt;in the end&lt;/b&gt;"), "escaped: {text}");
    let seen = ticket(&desk, &desk.agent, id).await;
    assert_eq!(seen["rating"]["score"], 4);
    assert_eq!(seen["rating"]["comment"], "Solved <b>in the end</b>");

    // Another click keeps the comment; a bad score is a field error on the page, nothing changed.
    let (status, _) = page(&desk, &stranger, &format!("{form_path}?score=5")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ticket(&desk, &desk.agent, id).await["rating"]["comment"], "Solved <b>in the end</b>");
    let before = snapshot(&pool).await;
    let (status, text) = page(&desk, &stranger, &format!("{form_path}?score=9")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("id=\"error-score\"") && text.contains("aria-invalid=\"true\""), "{text}");
    // Only looking at the page changes nothing either.
    let (status, _) = page(&desk, &stranger, &form_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(snapshot(&pool).await, before);
}

#[sqlx::test(migrations = false)]
async fn expired_tampered_and_other_users_links_change_nothing(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let id = resolved_ticket(&desk, "Link checks").await;
    let stranger = desk.app.bare_browser();
    let before = snapshot(&pool).await;

    // Expired: signed with an expiry a second ago.
    let expired = token(&desk, id, desk.requester_id, Utc::now() - Duration::seconds(1)).await;
    let (status, text) = page(&desk, &stranger, &format!("/rate/{expired}?score=5")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("expired") && text.contains("data-testid=\"rating-link-error\""), "{text}");

    // Tampered: another ticket, another requester, another expiry, a changed signature.
    let valid = token(&desk, id, desk.requester_id, Utc::now() + Duration::days(30)).await;
    let parts: Vec<&str> = valid.split('.').collect();
    let later = (Utc::now() + Duration::days(300)).timestamp().to_string();
    let signature = parts[5];
    let flipped = format!("{}{}", if signature.starts_with('0') { "1" } else { "0" }, &signature[1..]);
    for tampered in [
        format!("r1.{}.{}.{}.{}.{}", id + 1, parts[2], parts[3], parts[4], signature),
        format!("r1.{}.{}.{}.{}.{}", id, parts[2], desk.agent_id, parts[4], signature),
        format!("r1.{}.{}.{}.{}.{}", id, parts[2], parts[3], later, signature),
        format!("r1.{}.{}.{}.{}.{}", id, parts[2], parts[3], parts[4], flipped),
        format!("r2.{}.{}.{}.{}.{}", id, parts[2], parts[3], parts[4], signature),
        "not-a-token".to_string(),
        "x".repeat(500),
    ] {
        let (status, text) = page(&desk, &stranger, &format!("/rate/{tampered}?score=5")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{tampered}: {text}");
        assert!(text.contains("not valid"), "{text}");
        let response =
            stranger.post(desk.app.url(&format!("/rate/{tampered}"))).form(&[("score", "5")]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    // Signed with another desk's key.
    let (resolution_id, _) = resolution(&pool, id).await;
    let foreign = RatingLink {
        ticket_id: id,
        resolution_id,
        requester_id: desk.requester_id,
        expires_at: chrono::DateTime::from_timestamp((Utc::now() + Duration::days(1)).timestamp(), 0).unwrap(),
    }
    .sign(&SecretKey::from_text("another desk"));
    let (status, _) = page(&desk, &stranger, &format!("/rate/{foreign}?score=5")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another user's: a well-signed link naming someone who is not the requester.
    let agents = token(&desk, id, desk.agent_id, Utc::now() + Duration::days(30)).await;
    let (status, text) = page(&desk, &stranger, &format!("/rate/{agents}?score=1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("not for this ticket&#39;s requester"), "{text}");
    // Even logged in as that agent.
    let (status, _) = page(&desk, &desk.agent, &format!("/rate/{agents}?score=1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    assert_eq!(snapshot(&pool).await, before, "nothing changed");
    assert_eq!(ticket(&desk, &desk.agent, id).await["rating"], Value::Null);
}

#[sqlx::test(migrations = false)]
async fn a_second_rating_by_link_replaces_for_seven_days_and_an_old_resolutions_link_is_refused(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let id = resolved_ticket(&desk, "Second rating").await;
    let stranger = desk.app.bare_browser();
    let link = token(&desk, id, desk.requester_id, Utc::now() + Duration::days(30)).await;

    let (status, _) = page(&desk, &stranger, &format!("/rate/{link}?score=4")).await;
    assert_eq!(status, StatusCode::OK);
    // A second rating within 7 days replaces the first (one row, one resolution).
    let (status, _) = page(&desk, &stranger, &format!("/rate/{link}?score=5")).await;
    assert_eq!(status, StatusCode::OK);
    let seen = ticket(&desk, &desk.agent, id).await;
    assert_eq!(seen["rating"]["score"], 5);
    assert_eq!(rated_events(&seen).len(), 2);
    assert_eq!(sqlx::query_scalar::<_, i64>("select count(*) from ticket_ratings").fetch_one(&pool).await.unwrap(), 1);

    // After 7 days, a second rating is refused on the page, nothing changed.
    sqlx::query("update ticket_ratings set rated_at = now() - interval '8 days'").execute(&pool).await.unwrap();
    let before = snapshot(&pool).await;
    let (status, text) = page(&desk, &stranger, &format!("/rate/{link}?score=1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("7 days"), "{text}");
    assert_eq!(snapshot(&pool).await, before);

    // Reopened and resolved again: the old link rates the old resolution, refused.
    set_status(&desk, &desk.requester, id, "open").await;
    set_status(&desk, &desk.agent, id, "resolved").await;
    let before = snapshot(&pool).await;
    let (status, text) = page(&desk, &stranger, &format!("/rate/{link}?score=3")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("resolved again"), "{text}");
    assert_eq!(snapshot(&pool).await, before);
    // The new resolution's link works.
    let fresh = token(&desk, id, desk.requester_id, Utc::now() + Duration::days(30)).await;
    let (status, _) = page(&desk, &stranger, &format!("/rate/{fresh}?score=3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ticket(&desk, &desk.agent, id).await["rating"]["score"], 3);
}

#[sqlx::test(migrations = false)]
async fn the_rating_page_speaks_the_visitors_language(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let id = resolved_ticket(&desk, "Langue").await;
    let link = token(&desk, id, desk.requester_id, Utc::now() + Duration::days(30)).await;
    let response = reqwest::Client::new()
        .get(desk.app.url(&format!("/rate/{link}")))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.contains("lang=\"fr\"") && text.contains("Êtes-vous satisfait"), "{text}");
    assert!(text.contains("5 – Très satisfait"), "{text}");
}
