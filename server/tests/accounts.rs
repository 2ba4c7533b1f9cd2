//! Accounts over HTTP: registration, log-in, log-out, throttling, roles.

use crate::common;

use app::domain::Role;
use common::{TestApp, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn register(app: &TestApp, username: &str, email: &str) -> (StatusCode, Value) {
    let response = app
        .browser()
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": username, "email": email, "password": "correct horse battery staple"}))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[sqlx::test(migrations = false)]
async fn registration_creates_a_requester_with_a_lower_case_email_and_no_hash(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (status, body) = register(&app, "Zoe.M", "Zoe@Example.TEST").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["username"], "Zoe.M");
    assert_eq!(body["user"]["email"], "zoe@example.test");
    assert_eq!(body["user"]["role"], "requester");
    assert!(!body.to_string().contains("argon2"), "no hash in {body}");
    assert!(body["user"].get("password_hash").is_none());
}

#[sqlx::test(migrations = false)]
async fn duplicate_username_and_email_in_another_case_give_field_errors(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_eq!(register(&app, "martin", "martin@example.test").await.0, StatusCode::CREATED);

    let (status, body) = register(&app, "MARTIN", "other@example.test").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["fields"]["username"], "is already taken");

    let (status, body) = register(&app, "martine", "Martin@Example.Test").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["fields"]["email"], "is already registered");

    // The same through the server function the register form posts to.
    let client = app.browser();
    let (status, body) = app
        .server_fn(
            &client,
            "register",
            &[("username", "Martin"), ("email", "x@example.test"), ("password", "correct horse battery staple")],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["fields"]["username"], "is already taken");
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.pool).await.unwrap();
    assert_eq!(users, 1, "nothing was created by the refused registrations");
}

/// Issue 14: registration said one thing at a time. Both names taken, and a
/// bad password besides: one answer gives all three reasons.
#[sqlx::test(migrations = false)]
async fn a_refused_registration_gives_every_reason_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_eq!(register(&app, "martin", "martin@example.test").await.0, StatusCode::CREATED);

    let (status, body) = register(&app, "Martin", "MARTIN@example.test").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["fields"]["username"], "is already taken");
    assert_eq!(body["error"]["fields"]["email"], "is already registered");

    let response = app
        .browser()
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": "martin", "email": "martin@example.test", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    let fields = body["error"]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["email", "password", "username"], "{body}");
    assert_eq!(fields["username"], "is already taken");
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.pool).await.unwrap();
    assert_eq!(users, 1);
}

#[sqlx::test(migrations = false)]
async fn bad_registrations_name_each_bad_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .browser()
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"username": "a b", "email": "not-an-email", "password": "password", "discord_id": "12ab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let fields = &body["error"]["fields"];
    assert_eq!(body["error"]["code"], "validation");
    assert!(fields["username"].is_string());
    assert!(fields["email"].is_string());
    assert!(fields["password"].is_string());
    assert!(fields["discord_id"].is_string());

    let response = app
        .browser()
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrations = false)]
async fn log_in_log_out_and_the_old_cookie_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("nina", Role::Requester).await;
    let client = app.browser();
    let response = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "NINA@example.test", "password": password_of("nina")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("guichet_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http public URL: {cookie}");
    assert!(!cookie.contains("Max-Age") && !cookie.contains("Expires"), "ends with the browser: {cookie}");
    let session_pair = cookie.split(';').next().unwrap().to_string();

    let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["user"]["username"], "nina");

    let response = client.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    // Replaying the old cookie from a client without a cookie jar.
    let replay =
        reqwest::Client::new().get(app.url("/api/v1/me")).header("cookie", &session_pair).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let body: Value = replay.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[sqlx::test(migrations = false)]
async fn remember_me_keeps_the_session_thirty_days_and_the_id_is_cycled(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("omar", Role::Requester).await;
    let client = app.browser();
    let first = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "omar", "password": password_of("omar")}))
        .send()
        .await
        .unwrap();
    let first_cookie = first.headers()["set-cookie"].to_str().unwrap().to_string();
    let second = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "omar", "password": password_of("omar"), "remember": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    let second_cookie = second.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(second_cookie.contains("Max-Age=2592000"), "30 days: {second_cookie}");
    assert_ne!(first_cookie.split(';').next(), second_cookie.split(';').next(), "a log-in issues a new session id");
}

#[sqlx::test(migrations = false)]
async fn unknown_user_and_wrong_password_give_the_same_answer(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("paula", Role::Requester).await;
    let attempt = |login: &'static str| {
        let client = app.browser();
        let url = app.url("/api/v1/auth/login");
        async move {
            let response = client
                .post(url)
                .json(&json!({"login": login, "password": "wrong password here"}))
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let wrong_password = attempt("paula").await;
    let unknown_user = attempt("nobody").await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, unknown_user);
}

#[sqlx::test(migrations = false)]
async fn repeated_failures_throttle_the_account_even_with_the_right_password(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("quentin", Role::Requester).await;
    let client = app.browser();
    for attempt in 1..=5 {
        let response = client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"login": "quentin", "password": "not the password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let response = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "quentin", "password": password_of("quentin")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((800..=900).contains(&retry_after), "about 15 minutes: {retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Too many failed log-in attempts. Try again in 15 minutes.");

    // The log-in form's server function says the same.
    let (status, body) =
        app.server_fn(&client, "log_in", &[("login", "quentin"), ("password", &password_of("quentin"))]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "too_many_requests");
}

#[sqlx::test(migrations = false)]
async fn requesters_get_403_on_the_admin_page_and_its_server_functions(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("rita", Role::Requester).await;
    let client = app.logged_in("rita").await;

    let page = client.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("This page is for admins."));

    let (status, body) = app.server_fn(&client, "list_users", &[("search", "")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = app.server_fn(&client, "set_user_role", &[("user_id", "1"), ("role", "admin")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = client.put(app.url("/api/v1/users/1/role")).json(&json!({"role": "admin"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let anonymous = app.browser();
    let (status, _) = app.server_fn(&anonymous, "list_users", &[("search", "")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let role: String =
        sqlx::query_scalar("select role::text from users where username = 'rita'").fetch_one(&app.pool).await.unwrap();
    assert_eq!(role, "requester");
}

#[sqlx::test(migrations = false)]
async fn an_admins_role_change_takes_effect_on_the_users_next_request(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("sam", Role::Admin).await;
    let tom = app.create_user("tom", Role::Requester).await;
    let admin = app.logged_in("sam").await;
    let tom_client = app.logged_in("tom").await;
    assert_eq!(tom_client.get(app.url("/admin/users")).send().await.unwrap().status(), StatusCode::FORBIDDEN);

    let page = admin.get(app.url("/admin/users?q=to")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("tom@example.test"));

    let id = tom.id.to_string();
    let (status, body) = app.server_fn(&admin, "set_user_role", &[("user_id", &id), ("role", "admin")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "admin");

    // Tom's existing session sees the new role at once.
    assert_eq!(tom_client.get(app.url("/admin/users")).send().await.unwrap().status(), StatusCode::OK);
    let me: Value = tom_client.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["user"]["role"], "admin");
}

#[sqlx::test(migrations = false)]
async fn an_admin_cannot_remove_their_own_admin_role(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin_user = app.create_user("uma", Role::Admin).await;
    let admin = app.logged_in("uma").await;
    let response = admin
        .put(app.url(&format!("/api/v1/users/{}/role", admin_user.id)))
        .json(&json!({"role": "agent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["fields"]["role"], "you cannot remove your own admin role");
}

#[sqlx::test(migrations = false)]
async fn unknown_pages_answer_404_with_advice(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.browser().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("back to the home page"));
}
