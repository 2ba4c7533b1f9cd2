//! Server-rendered pages: user text is shown as text, never as HTML.

mod common;

use app::domain::Role;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn html_typed_by_users_reaches_pages_escaped(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("mallory", Role::Requester).await;
    app.create_user("alice", Role::Agent).await;
    let requester = app.logged_in("mallory").await;
    let agent = app.logged_in("alice").await;
    let payload = "</title></textarea><script>alert('pwned')</script><img src=x onerror=alert(1)>";
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "support", "category": "other", "subject": payload, "description": payload,
                   "metadata": {"error_message": payload}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reference = body["ticket"]["reference"].as_str().unwrap().to_string();
    let (status, _) = app.post(&requester, &format!("/tickets/{reference}/messages"), json!({"body": payload})).await;
    assert_eq!(status, StatusCode::CREATED);

    for (client, path) in [
        (&requester, format!("/tickets/{reference}")),
        (&agent, format!("/tickets/{reference}")),
        (&agent, "/tickets".to_string()),
        (&requester, "/tickets".to_string()),
    ] {
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.unwrap();
        if let Some(at) = html.find("<script>alert") {
            panic!("raw script in {path}: …{}…", &html[at.saturating_sub(300)..(at + 100).min(html.len())]);
        }
        assert!(!html.contains("<img src=x"), "raw img in {path}");
        assert!(!html.contains("</title></textarea>"), "raw closing tags in {path}");
        assert!(html.contains("&lt;script&gt;alert"), "escaped text shown in {path}");
    }
}

#[sqlx::test(migrations = false)]
async fn tickets_record_the_channel_they_came_through(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("rose", Role::Requester).await;
    let requester = app.logged_in("rose").await;
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "support", "category": "other", "subject": "By API", "description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["ticket"]["source"], "api");
    let (status, body) = app
        .server_fn(
            &requester,
            "create_ticket",
            &[("queue", "support"), ("category", "other"), ("subject", "By form"), ("description", "y")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], "web");
}
