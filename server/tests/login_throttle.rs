//! The log-in throttle under concurrency and from several addresses, and the
//! bounded password-hashing queue (issue 20, item 2).

use crate::common;

use app::domain::Role;
use app::services::Settings;
use common::{TestApp, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// Settings of a server behind a reverse proxy on loopback, so the tests can
/// choose each request's client address with `X-Forwarded-For`.
fn behind_a_proxy() -> Settings {
    Settings { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Settings::default() }
}

/// `POST /api/v1/auth/login` from `address` (through the trusted proxy).
async fn log_in_from(app: &TestApp, address: &str, login: &str, password: &str) -> (StatusCode, Value) {
    let response = app
        .browser()
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrations = false)]
async fn sixteen_concurrent_wrong_passwords_get_at_most_five_401s(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("rosa", Role::Requester).await;
    let attempts = (0..16).map(|_| {
        let (client, url) = (app.browser(), app.url("/api/v1/auth/login"));
        async move {
            client
                .post(url)
                .json(&json!({"login": "rosa", "password": "not the password"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let unauthorized = statuses.iter().filter(|status| **status == StatusCode::UNAUTHORIZED).count();
    let throttled = statuses.iter().filter(|status| **status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((unauthorized, throttled), (5, 11), "{statuses:?}");
}

#[sqlx::test(migrations = false)]
async fn the_username_and_the_email_share_one_budget(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("simone", Role::Requester).await;
    for (attempt, login) in
        ["simone", "simone@example.test", "SIMONE", "Simone@Example.test", "simone"].iter().enumerate()
    {
        let (status, body) = log_in_from(&app, "127.0.0.1", login, "not the password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {body}");
    }
    for login in ["simone@example.test", "simone"] {
        let (status, body) = log_in_from(&app, "127.0.0.1", login, &password_of("simone")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{login}: {body}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_stranger_cannot_lock_the_owner_out_from_another_address(pool: PgPool) {
    let app = TestApp::spawn_with(pool, behind_a_proxy()).await;
    app.create_user("teodor", Role::Requester).await;
    for attempt in 1..=5 {
        let (status, body) = log_in_from(&app, "203.0.113.7", "teodor", "guessing away").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {body}");
    }
    // The attacker's address is blocked for this account, even with the password...
    let (status, body) = log_in_from(&app, "203.0.113.7", "teodor@example.test", &password_of("teodor")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["error"]["retry_after_seconds"].as_u64().is_some_and(|seconds| seconds > 800), "{body}");
    // ...while the owner, from their own address, logs in.
    let (status, body) = log_in_from(&app, "198.51.100.9", "teodor", &password_of("teodor")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // And the attacker's failures still count: the pair stays blocked.
    let (status, _) = log_in_from(&app, "203.0.113.7", "teodor", "guessing away").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = false)]
async fn forwarded_addresses_are_ignored_from_untrusted_peers(pool: PgPool) {
    // No trusted proxies: every request comes from 127.0.0.1, whatever it claims.
    let app = TestApp::spawn(pool).await;
    app.create_user("ulla", Role::Requester).await;
    for attempt in 1..=5 {
        let address = format!("203.0.113.{attempt}");
        let (status, _) = log_in_from(&app, &address, "ulla", "guessing away").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (status, _) = log_in_from(&app, "198.51.100.9", "ulla", &password_of("ulla")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = false)]
async fn each_address_has_a_ceiling_across_accounts(pool: PgPool) {
    let settings = Settings { login_failures_per_address: 6, ..behind_a_proxy() };
    let app = TestApp::spawn_with(pool, settings).await;
    app.create_user("vera", Role::Requester).await;
    for attempt in 0..6 {
        let (status, _) = log_in_from(&app, "203.0.113.50", &format!("nobody{attempt}"), "guessing away").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (status, _) = log_in_from(&app, "203.0.113.50", "vera", &password_of("vera")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the address is over its ceiling");
    let (status, _) = log_in_from(&app, "203.0.113.51", "vera", &password_of("vera")).await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrations = false)]
async fn a_burst_beyond_the_hashing_queue_gets_503_with_retry_after(pool: PgPool) {
    let settings = Settings { password_queue: 2, login_failures_per_address: 1_000, ..Settings::default() };
    let app = TestApp::spawn_with(pool, settings).await;
    let attempts = (0..24).map(|index| {
        let (client, url) = (app.browser(), app.url("/api/v1/auth/login"));
        async move {
            let response = client
                .post(url)
                .json(&json!({"login": format!("nobody{index}"), "password": "not the password"}))
                .send()
                .await
                .unwrap();
            let retry_after = response.headers().get("retry-after").map(|value| value.to_str().unwrap().to_string());
            (response.status(), retry_after, response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let unavailable: Vec<_> =
        answers.iter().filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(!unavailable.is_empty(), "{answers:?}");
    for (_, retry_after, body) in &unavailable {
        assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
        assert_eq!(body["error"]["code"], "unavailable");
    }
    for (status, _, body) in &answers {
        assert!(matches!(*status, StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE), "{status}: {body}");
    }
    // A refused attempt was not checked, so it is not counted as a failure.
    let failures: i64 = sqlx::query_scalar("select count(*) from login_failures").fetch_one(&app.pool).await.unwrap();
    assert_eq!(failures as usize, answers.len() - unavailable.len());

    // The log-in form's server function answers the same way.
    let attempts = (0..24).map(|index| {
        let client = app.browser();
        let app = &app;
        async move {
            let login = format!("someone{index}");
            let response = client
                .post(app.url("/fn/log_in"))
                .form(&[("login", login.as_str()), ("password", "not the password")])
                .send()
                .await
                .unwrap();
            (response.status(), response.headers().get("retry-after").is_some())
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    assert!(answers.contains(&(StatusCode::SERVICE_UNAVAILABLE, true)), "{answers:?}");
    assert!(answers.iter().all(|(status, _)| status.as_u16() < 500 || *status == StatusCode::SERVICE_UNAVAILABLE));
}

#[test]
fn the_slowdown_doubles_from_its_threshold_and_stops_at_ten_seconds() {
    use app::services::accounts::slowdown;
    use std::time::Duration;
    assert_eq!(slowdown(9, 10), Duration::ZERO);
    assert_eq!(slowdown(10, 10), Duration::from_millis(250));
    assert_eq!(slowdown(11, 10), Duration::from_millis(500));
    assert_eq!(slowdown(15, 10), Duration::from_millis(8_000));
    assert_eq!(slowdown(16, 10), Duration::from_secs(10));
    assert_eq!(slowdown(1_000, 10), Duration::from_secs(10));
}
