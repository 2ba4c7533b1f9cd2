//! API tokens' scopes and expiry, and who may create them (issue 20, item 9).

use crate::common;

use app::domain::Role;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn tokens_act_within_their_scope_expire_and_cannot_create_tokens(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("wanda", Role::Admin).await;
    let session = app.logged_in("wanda").await;
    let mut tokens = std::collections::BTreeMap::new();
    for scope in ["read", "write", "admin"] {
        let (status, body) = app.post(&session, "/tokens", json!({"name": scope, "scope": scope})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["scope"], scope);
        assert!(body["expires_at"].is_null(), "{body}");
        tokens.insert(scope, app.with_bearer(body["token"].as_str().unwrap()));
    }
    let queue = |slug: &str| json!({"slug": slug, "name": slug, "prefix": slug.to_uppercase(), "color": "#123456"});

    // A bearer token of any scope cannot create a token.
    for (scope, client) in &tokens {
        let (status, body) = app.post(client, "/tokens", json!({"name": "minted"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{scope}: {body}");
    }
    // read: GET only.
    assert_eq!(app.get(&tokens["read"], "/tickets").await.0, StatusCode::OK);
    let ticket = json!({"queue": "support", "category": "general_inquiry", "priority": "medium",
                        "subject": "From a token", "description": "Details."});
    let (status, body) = app.post(&tokens["read"], "/tickets", ticket.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // write: changes, but no admin action even for an admin's token.
    assert_eq!(app.post(&tokens["write"], "/tickets", ticket).await.0, StatusCode::CREATED);
    let (status, body) = app.post(&tokens["write"], "/queues", queue("billing")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // admin: everything the owner may do.
    let (status, body) = app.post(&tokens["admin"], "/queues", queue("billing")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let queues: i64 = sqlx::query_scalar("select count(*) from queues").fetch_one(&app.pool).await.unwrap();
    assert_eq!(queues, 3, "only the admin token's queue was created");

    // Expiry: shown, and refused once past.
    let (status, body) = app.post(&session, "/tokens", json!({"name": "week", "expires_in_days": 7})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["scope"], "write", "the default scope");
    let expires_at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((167..=168).contains(&days), "{body}");
    let week = app.with_bearer(body["token"].as_str().unwrap());
    assert_eq!(app.get(&week, "/me").await.0, StatusCode::OK);
    sqlx::query("update api_tokens set expires_at = now() - interval '1 second' where id = $1")
        .bind(body["id"].as_i64().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.get(&week, "/me").await.0, StatusCode::UNAUTHORIZED);
    let (_, listed) = app.get(&session, "/tokens").await;
    let listed = listed["tokens"].as_array().unwrap();
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().all(|token| token["scope"].is_string() && token.get("expires_at").is_some()));

    // Bad scopes and expiries are field errors, through the API and the form.
    let (status, body) =
        app.post(&session, "/tokens", json!({"name": "x", "scope": "root", "expires_in_days": 0})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["scope"].is_string() && body["error"]["fields"]["expires_in_days"].is_string());
    let (status, body) = app
        .server_fn(&session, "create_api_token", &[("name", "form"), ("scope", "read"), ("expires_in_days", "30")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "read");
    let (status, body) =
        app.server_fn(&session, "create_api_token", &[("name", "form"), ("expires_in_days", "soon")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
