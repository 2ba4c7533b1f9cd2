//! Queues and categories over HTTP: admins configure them, nobody else can.

use crate::common;

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

/// The slugs of the categories queue `slug` offers, and its default, as `GET /queues` shows them.
async fn queue_categories(app: &TestApp, client: &reqwest::Client, slug: &str) -> (Vec<String>, serde_json::Value) {
    let (status, body) = app.get(client, "/queues").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let queue = body["queues"].as_array().unwrap().iter().find(|queue| queue["slug"] == slug).unwrap().clone();
    let categories = queue["categories"].as_array().unwrap().iter().map(|slug| slug.as_str().unwrap().to_string());
    (categories.collect(), queue["default_category"].clone())
}

#[sqlx::test(migrations = false)]
async fn each_queue_offers_its_own_categories_and_preselects_its_default(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("ada", Role::Admin).await;
    app.create_user("ben", Role::Agent).await;
    app.create_user("cyd", Role::Requester).await;
    let admin = app.logged_in("ada").await;
    let agent = app.logged_in("ben").await;
    let requester = app.logged_in("cyd").await;

    // Migrated data: every category in every queue, no default.
    let (categories, default) = queue_categories(&app, &admin, "recruitment").await;
    assert_eq!(categories.len(), 8, "{categories:?}");
    assert!(default.is_null());
    let recruitment: i64 =
        sqlx::query_scalar("select id from queues where slug = 'recruitment'").fetch_one(&app.pool).await.unwrap();
    let path = format!("/queues/{recruitment}/categories");

    let choice = json!({"categories": ["other", "general_inquiry"], "default_category": "general_inquiry"});
    let (status, _) = app.put(&agent, &path, choice.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not configure queues");

    // A default the queue does not offer is refused at its field, and nothing changes.
    let (status, body) = app
        .put(&admin, &path, json!({"categories": ["other", "general_inquiry"], "default_category": "order_issue"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["default_category"], "must be one of the queue's categories");
    assert_eq!(body["error"]["fields"].as_object().unwrap().len(), 1, "{body}");
    let (status, body) = app.put(&admin, &path, json!({"categories": ["other", "nope"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["categories"], "has unknown categories: nope");
    let (status, body) = app.put(&admin, &path, json!({"categories": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["categories"], "choose at least one category");
    assert_eq!(queue_categories(&app, &admin, "recruitment").await.0.len(), 8, "refusals change nothing");

    let (status, body) = app.put(&admin, &path, choice).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queue"]["categories"], json!(["general_inquiry", "other"]), "in the catalogue's order");
    assert_eq!(body["queue"]["default_category"], "general_inquiry");
    let (categories, default) = queue_categories(&app, &requester, "recruitment").await;
    assert_eq!(categories, ["general_inquiry", "other"], "requesters see it too");
    assert_eq!(default, "general_inquiry");
    assert_eq!(queue_categories(&app, &admin, "support").await.0.len(), 8, "other queues keep theirs");

    // A ticket is filed only under a category of its queue, over the API.
    let tickets_before: i64 = sqlx::query_scalar("select count(*) from tickets").fetch_one(&app.pool).await.unwrap();
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "recruitment", "category": "order_issue", "subject": "Hi", "description": "Hire me"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["category"], "is not offered in the Recruitment queue");
    let tickets_after: i64 = sqlx::query_scalar("select count(*) from tickets").fetch_one(&app.pool).await.unwrap();
    assert_eq!(tickets_after, tickets_before, "nothing is created");
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "recruitment", "category": "other", "subject": "Hi", "description": "Hire me"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["ticket"]["reference"], "REC-0001", "the refused attempt took no number");
    let reference = body["ticket"]["reference"].as_str().unwrap().to_string();

    // ... and through the new-ticket form's server function.
    let (status, body) = app
        .server_fn(
            &requester,
            "create_ticket",
            &[
                ("queue", "recruitment"),
                ("category", "payment_issue"),
                ("priority", "low"),
                ("subject", "Again"),
                ("description", "Again"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"]["category"], "is not offered in the Recruitment queue");

    // Staff move a ticket only to a category of its queue.
    let (status, body) = app.patch(&agent, &format!("/tickets/{reference}"), json!({"category": "order_issue"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["category"], "is not offered in the Recruitment queue");
    let (status, body) =
        app.patch(&agent, &format!("/tickets/{reference}"), json!({"category": "general_inquiry"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The catalogue page's server function, as a form: a refused default names its field.
    let id = recruitment.to_string();
    let (status, body) = app
        .server_fn(
            &admin,
            "set_queue_categories",
            &[("id", &id), ("categories[]", "other"), ("default_category", "general_inquiry")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"]["default_category"], "must be one of the queue's categories");
    let (status, body) = app
        .server_fn(
            &admin,
            "set_queue_categories",
            &[("id", &id), ("categories[]", "other"), ("categories[]", "technical_issue"), ("default_category", "")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["categories"], json!(["technical_issue", "other"]));
    assert!(body["default_category"].is_null());
    // The ticket keeps the category its queue no longer offers.
    let (_, body) = app.get(&requester, &format!("/tickets/{reference}")).await;
    assert_eq!(body["ticket"]["category"], "general_inquiry");
}

#[sqlx::test(migrations = false)]
async fn a_new_category_is_offered_in_the_queues_chosen_or_in_all(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("ada", Role::Admin).await;
    let admin = app.logged_in("ada").await;

    let (status, body) = app
        .post(&admin, "/categories", json!({"slug": "application", "name": "Application", "queues": ["recruitment"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(queue_categories(&app, &admin, "recruitment").await.0.contains(&"application".to_string()));
    assert!(!queue_categories(&app, &admin, "support").await.0.contains(&"application".to_string()));

    let (status, body) =
        app.post(&admin, "/categories", json!({"slug": "lost", "name": "Lost", "queues": ["nowhere"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["queues"], "has unknown queues: nowhere");
    let lost: i64 =
        sqlx::query_scalar("select count(*) from categories where slug = 'lost'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(lost, 0, "nothing is created");

    // Without `queues` (older clients): offered everywhere, as before.
    let (status, _) = app.post(&admin, "/categories", json!({"slug": "billing", "name": "Billing"})).await;
    assert_eq!(status, StatusCode::CREATED);
    for queue in ["support", "recruitment"] {
        assert!(queue_categories(&app, &admin, queue).await.0.contains(&"billing".to_string()), "{queue}");
    }

    // Deleting a queue's default category leaves the queue without one.
    let recruitment: i64 =
        sqlx::query_scalar("select id from queues where slug = 'recruitment'").fetch_one(&app.pool).await.unwrap();
    let (status, body) = app
        .put(
            &admin,
            &format!("/queues/{recruitment}/categories"),
            json!({"categories": ["application", "other"], "default_category": "application"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let category: i64 =
        sqlx::query_scalar("select id from categories where slug = 'application'").fetch_one(&app.pool).await.unwrap();
    let (status, _) = app.delete(&admin, &format!("/categories/{category}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (categories, default) = queue_categories(&app, &admin, "recruitment").await;
    assert_eq!(categories, ["other"]);
    assert!(default.is_null());
}
