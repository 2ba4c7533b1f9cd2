//! Queues and categories over HTTP: admins configure them, nobody else can.

mod common;

use app::domain::Role;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn admins_add_rename_recolour_limit_and_deactivate_queues(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("ada", Role::Admin).await;
    app.create_user("ben", Role::Agent).await;
    app.create_user("cyd", Role::Requester).await;
    let admin = app.logged_in("ada").await;
    let agent = app.logged_in("ben").await;
    let requester = app.logged_in("cyd").await;

    let queue = json!({"slug": "billing", "name": "Billing", "prefix": "BIL", "color": "#AA3300", "open_ticket_limit": null, "active": true});
    for (client, role) in [(&agent, "agent"), (&requester, "requester")] {
        let (status, _) = app.post(client, "/queues", queue.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} creating a queue");
    }
    let (status, body) = app.post(&admin, "/queues", queue.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["queue"]["color"], "#aa3300");
    let id = body["queue"]["id"].as_i64().unwrap();
    let (status, body) = app.post(&admin, "/queues", queue.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["fields"]["slug"], "is already used");

    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "billing", "category": "other", "subject": "Invoice", "description": "Wrong VAT"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["ticket"]["reference"], "BIL-0001");

    let change = json!({"name": "Invoices", "color": "#112233", "open_ticket_limit": 1, "active": true});
    let (status, _) = app.put(&agent, &format!("/queues/{id}"), change.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.put(&admin, &format!("/queues/{id}"), change).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queue"]["name"], "Invoices");
    assert_eq!(body["queue"]["open_ticket_limit"], 1);
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "billing", "category": "other", "subject": "Again", "description": "Second"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the new limit applies: {body}");

    let (status, _) = app
        .put(
            &admin,
            &format!("/queues/{id}"),
            json!({"name": "Invoices", "color": "#112233", "open_ticket_limit": null, "active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.get(&requester, "/queues").await;
    let slugs: Vec<&str> =
        body["queues"].as_array().unwrap().iter().map(|queue| queue["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["support", "recruitment"], "requesters see only active queues");
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "billing", "category": "other", "subject": "Third", "description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["queue"], "is not an available queue");

    let (status, body) = app
        .put(
            &admin,
            &format!("/queues/{id}"),
            json!({"name": "", "color": "red", "open_ticket_limit": 0, "active": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "color", "open_ticket_limit"] {
        assert!(body["error"]["fields"][field].is_string(), "{field} in {body}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_category_in_use_cannot_be_deleted_only_deactivated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("ada", Role::Admin).await;
    app.create_user("cyd", Role::Requester).await;
    let admin = app.logged_in("ada").await;
    let requester = app.logged_in("cyd").await;

    let (status, body) =
        app.post(&admin, "/categories", json!({"slug": "shipping_delay", "name": "Shipping delay"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let used = body["category"]["id"].as_i64().unwrap();
    let (_, body) = app.post(&admin, "/categories", json!({"slug": "unused", "name": "Unused"})).await;
    let unused = body["category"]["id"].as_i64().unwrap();
    let (status, _) = app.post(&requester, "/categories", json!({"slug": "mine", "name": "Mine"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "support", "category": "shipping_delay", "subject": "Late", "description": "Parcel late"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, body) = app.delete(&admin, &format!("/categories/{used}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["message"], "This category is used by tickets; deactivate it instead.");
    let (status, _) =
        app.put(&admin, &format!("/categories/{used}"), json!({"name": "Shipping delay", "active": false})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "support", "category": "shipping_delay", "subject": "Late", "description": "Again"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, _) = app.delete(&admin, &format!("/categories/{unused}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let remaining: i64 =
        sqlx::query_scalar("select count(*) from categories where slug in ('shipping_delay', 'unused')")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(remaining, 1);
}

#[sqlx::test(migrations = false)]
async fn the_catalog_page_and_its_server_functions_are_for_admins(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("ada", Role::Admin).await;
    app.create_user("ben", Role::Agent).await;
    let admin = app.logged_in("ada").await;
    let agent = app.logged_in("ben").await;
    assert_eq!(agent.get(app.url("/admin/catalog")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let page = admin.get(app.url("/admin/catalog")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("data-queue=\"recruitment\""));
    let (status, _) = app.server_fn(&agent, "create_category", &[("slug", "sneaky"), ("name", "Sneaky")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app
        .server_fn(
            &admin,
            "update_queue",
            &[("id", "2"), ("name", "Jobs"), ("color", "#23a55a"), ("open_ticket_limit", "2"), ("active", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Jobs");
    assert_eq!(body["open_ticket_limit"], 2);
}
