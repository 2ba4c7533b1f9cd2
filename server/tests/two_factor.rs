//! Two-factor authentication over HTTP (issue 20, item 10): enrolment with a
//! first code and 10 recovery codes, the log-in's second step, replayed
//! codes, single-use recovery codes, the throttle of wrong codes, the
//! `GUICHET_REQUIRE_2FA_FOR` requirement, an admin's reset, and the
//! account's history. Codes come from the `totp-rs` crate, like an app's.

use crate::common;

use app::domain::{Role, TwoFactorRequirement};
use app::services::{Caller, SecretKey, Settings, tokens};
use common::{TestApp, password_of};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

/// Settings with a configured secret key (two-factor secrets need one).
fn settings() -> Settings {
    Settings { secret_key: SecretKey::from_text("two-factor tests"), ..Settings::default() }
}

async fn spawn(pool: PgPool) -> TestApp {
    TestApp::spawn_with(pool, settings()).await
}

/// An authenticator app holding `secret` (base32, spaces allowed).
fn app_for(secret: &str) -> totp_rs::Totp {
    let bytes = totp_rs::Secret::try_from_base32(secret.replace(' ', "")).expect("a base32 secret");
    totp_rs::Builder::new().with_secret(bytes.as_bytes().to_vec()).build().expect("a TOTP")
}

/// The code `authenticator` shows `offset` seconds from now (30 s a step).
fn code(authenticator: &totp_rs::Totp, offset: i64) -> String {
    authenticator.generate((chrono::Utc::now().timestamp() + offset) as u64).to_string()
}

/// Enrols `client`'s user: starts, confirms with the current code; returns
/// their app and the recovery codes.
async fn enrol(app: &TestApp, client: &Client) -> (totp_rs::Totp, Vec<String>) {
    let (status, enrolment) = app.post(client, "/me/two-factor/enrolment", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{enrolment}");
    let authenticator = app_for(enrolment["secret"].as_str().unwrap());
    let (status, body) = app.post(client, "/me/two-factor/confirm", json!({"code": code(&authenticator, 0)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = body["recovery_codes"].as_array().unwrap().iter().map(|code| code.as_str().unwrap().to_string());
    (authenticator, codes.collect())
}

/// A fresh browser that has given `username`'s right password: the answer.
async fn password_step(app: &TestApp, username: &str) -> (Client, StatusCode, Value) {
    let client = app.browser();
    let (status, body) =
        app.post(&client, "/auth/login", json!({"login": username, "password": password_of(username)})).await;
    (client, status, body)
}

async fn history_actions(app: &TestApp, client: &Client) -> Vec<String> {
    let (status, body) = app.get(client, "/me/history").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["events"].as_array().unwrap().iter().map(|event| event["action"].as_str().unwrap().to_string()).collect()
}

#[sqlx::test(migrations = false)]
async fn enrolment_is_switched_on_by_a_first_code_and_gives_ten_recovery_codes(pool: PgPool) {
    let app = spawn(pool).await;
    let user = app.create_user("ines", Role::Agent).await;
    let client = app.logged_in("ines").await;
    let (status, before) = app.get(&client, "/me/two-factor").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!((before["enabled_at"].clone(), before["available"].clone()), (Value::Null, json!(true)));

    let (status, enrolment) = app.post(&client, "/me/two-factor/enrolment", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap();
    assert_eq!(secret.replace(' ', "").len(), 32, "160 bits in base32: {secret}");
    let url = enrolment["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/Guichet:ines?secret="), "{url}");
    assert!(url.contains(&secret.replace(' ', "")), "{url}");
    let svg = enrolment["qr_svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>") && svg.contains("<path"), "{svg}");
    // Waiting for its first code, it is not on: a log-in needs no code yet.
    assert_eq!(password_step(&app, "ines").await.1, StatusCode::OK);

    let authenticator = app_for(secret);
    let wrong = format!("{:06}", (code(&authenticator, 0).parse::<u32>().unwrap() + 1) % 1_000_000);
    let (status, body) = app.post(&client, "/me/two-factor/confirm", json!({"code": wrong})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["code"].as_str().unwrap().contains("not the current code"), "{body}");
    assert_eq!(app.get(&client, "/me/two-factor").await.1["enabled_at"], Value::Null);

    let (status, body) = app.post(&client, "/me/two-factor/confirm", json!({"code": code(&authenticator, 0)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes: Vec<&str> = body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10, "all different: {codes:?}");
    assert!(codes.iter().all(|code| code.len() == 19 && code.matches('-').count() == 3), "{codes:?}");

    let (_, after) = app.get(&client, "/me/two-factor").await;
    assert!(after["enabled_at"].is_string(), "{after}");
    assert_eq!(after["recovery_codes_left"], 10);
    assert_eq!(after["enrolment"], Value::Null, "the secret is not shown again: {after}");
    assert_eq!(after["new_recovery_codes"], Value::Null, "the API gave the codes once, in the answer");
    let (status, body) = app.post(&client, "/me/two-factor/enrolment", json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{body}");
    assert_eq!(history_actions(&app, &client).await, ["two_factor_enabled"]);

    // Stored sealed and hashed: neither the secret nor a code is in the database.
    let sealed: Vec<u8> = sqlx::query_scalar("select secret_ciphertext from two_factor where user_id = $1")
        .bind(user.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let secret_bytes = totp_rs::Secret::try_from_base32(secret.replace(' ', "")).unwrap().as_bytes().to_vec();
    assert!(!sealed.windows(secret_bytes.len()).any(|window| window == secret_bytes.as_slice()));
    let dump: String =
        sqlx::query_scalar("select string_agg(encode(code_hash, 'escape'), ' ') from two_factor_recovery_codes")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(codes.iter().all(|code| !dump.contains(&code.replace('-', ""))));
}

#[sqlx::test(migrations = false)]
async fn log_in_takes_a_code_after_the_password_and_refuses_a_replayed_one(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_user("jules", Role::Requester).await;
    let (authenticator, _) = enrol(&app, &app.logged_in("jules").await).await;

    let (client, status, body) = password_step(&app, "jules").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"second_factor_required": true}));
    let (status, _) = app.get(&client, "/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not logged in before the code");
    let (status, _) = app.get(&client, "/tickets").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The next step's code: the confirmation used this one's.
    let next = code(&authenticator, 30);
    let (status, body) = app.post(&client, "/auth/login/second-factor", json!({"code": next})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["username"], "jules");
    assert_eq!(app.get(&client, "/me").await.0, StatusCode::OK);
    assert_eq!(app.get(&client, "/tickets").await.0, StatusCode::OK);
    // The pending log-in is used up.
    let (status, _) = app.post(&client, "/auth/login/second-factor", json!({"code": next})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Someone who saw the code (and knows the password) cannot use it again,
    // nor an older one.
    let (thief, status, _) = password_step(&app, "jules").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for replayed in [next, code(&authenticator, 0)] {
        let (status, body) = app.post(&thief, "/auth/login/second-factor", json!({"code": replayed})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(body["error"]["message"].as_str().unwrap().starts_with("Wrong code."), "{body}");
    }
    assert_eq!(app.get(&thief, "/me").await.0, StatusCode::UNAUTHORIZED);

    // Without a password step there is nothing to complete.
    let stranger = app.browser();
    let (status, body) = app.post(&stranger, "/auth/login/second-factor", json!({"code": "123456"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("expired"), "{body}");
    let (status, body) = app.post(&stranger, "/auth/login/second-factor", json!({"code": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[sqlx::test(migrations = false)]
async fn a_recovery_code_logs_in_once(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_user("karim", Role::Agent).await;
    let (_, codes) = enrol(&app, &app.logged_in("karim").await).await;

    let (client, status, _) = password_step(&app, "karim").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = app.post(&client, "/auth/login/second-factor", json!({"code": codes[0]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, status_body) = app.get(&client, "/me/two-factor").await;
    assert_eq!(status_body["recovery_codes_left"], 9);
    assert_eq!(history_actions(&app, &client).await, ["recovery_code_used", "two_factor_enabled"]);

    let (again, _, _) = password_step(&app, "karim").await;
    let (status, _) = app.post(&again, "/auth/login/second-factor", json!({"code": codes[0]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a recovery code works once");
    // Typed in capitals with spaces instead of dashes, another one works.
    let typed = codes[1].to_uppercase().replace('-', " ");
    let (status, body) = app.post(&again, "/auth/login/second-factor", json!({"code": typed})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrations = false)]
async fn wrong_codes_are_throttled_with_the_passwords_and_a_right_password_buys_no_new_round(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_user("lea", Role::Requester).await;
    let (authenticator, _) = enrol(&app, &app.logged_in("lea").await).await;

    let (client, status, _) = password_step(&app, "lea").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for attempt in 1..=3 {
        let (status, body) = app.post(&client, "/auth/login/second-factor", json!({"code": "000000"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {body}");
    }
    // The right password again does not clear the three wrong codes.
    let (client, status, _) = password_step(&app, "lea").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for attempt in 4..=5 {
        let (status, body) = app.post(&client, "/auth/login/second-factor", json!({"code": "999999"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {body}");
    }
    // Five failures for this (account, address): even the right code is refused, as a password would be.
    let (status, body) =
        app.post(&client, "/auth/login/second-factor", json!({"code": code(&authenticator, 30)})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_requests");
    assert!(body["error"]["retry_after_seconds"].as_u64().unwrap() >= 1, "{body}");
    let (_, status, body) = password_step(&app, "lea").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the password step is throttled too: {body}");

    let failed: i64 = sqlx::query_scalar("select count(*) from account_events where action = 'second_factor_failed'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(failed, 5, "each wrong code is in the account's history");
    let counted: i64 = sqlx::query_scalar("select count(*) from login_failures").fetch_one(&app.pool).await.unwrap();
    assert_eq!(counted, 5, "the wrong codes, and nothing else, count in the password throttle");
}

#[sqlx::test(migrations = false)]
async fn a_required_role_without_two_factor_may_only_enrol_or_log_out(pool: PgPool) {
    let settings = Settings { require_two_factor_for: Some(TwoFactorRequirement::Staff), ..settings() };
    let app = TestApp::spawn_with(pool, settings).await;
    let agent = app.create_user("marc", Role::Agent).await;
    app.create_user("nadia", Role::Requester).await;
    let token = tokens::create_token(
        &app.pool,
        &Caller { user: Some(agent.clone()), ..Caller::default() },
        "monitoring",
        "write",
        None,
    )
    .await
    .unwrap();

    let (client, status, body) = password_step(&app, "marc").await;
    assert_eq!(status, StatusCode::OK, "the password logs in: {body}");
    for path in ["/tickets", "/me", "/notifications", "/tokens"] {
        let (status, body) = app.get(&client, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"]["code"], "two_factor_required", "{path}: {body}");
    }
    let (status, body) = app.post(&client, "/tokens", json!({"name": "sneaky"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("two_factor_required")));
    // The server functions the pages call answer the same.
    let (status, body) = app.server_fn(&client, "status_counts", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "two_factor_required", "{body}");
    let (status, body) = app.server_fn(&client, "must_enrol_two_factor", &[]).await;
    assert_eq!((status, body), (StatusCode::OK, json!(true)));
    let (_, body) = app.get(&client, "/me/two-factor").await;
    assert_eq!(body["required"], true);
    // A bearer token is not a session: it keeps working.
    let (status, body) = app.get(&app.with_bearer(&token.token), "/tickets").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Requesters are not covered by `staff`.
    let (requester, status, _) = password_step(&app, "nadia").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&requester, "/tickets").await.0, StatusCode::OK);

    // Enrolling lifts it.
    enrol(&app, &client).await;
    assert_eq!(app.get(&client, "/tickets").await.0, StatusCode::OK);
    assert_eq!(app.server_fn(&client, "must_enrol_two_factor", &[]).await.1, json!(false));
    // Logging out always works.
    let (status, _) = app.post(&client, "/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[sqlx::test(migrations = false)]
async fn the_admin_requirement_leaves_agents_alone(pool: PgPool) {
    let settings = Settings { require_two_factor_for: Some(TwoFactorRequirement::Admin), ..settings() };
    let app = TestApp::spawn_with(pool, settings).await;
    app.create_user("olga", Role::Agent).await;
    app.create_user("root", Role::Admin).await;
    assert_eq!(app.get(&app.logged_in("olga").await, "/tickets").await.0, StatusCode::OK);
    let (status, body) = app.get(&app.logged_in("root").await, "/tickets").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("two_factor_required")));
}

#[sqlx::test(migrations = false)]
async fn an_admin_resets_another_users_two_factor_and_it_is_in_their_history(pool: PgPool) {
    let app = spawn(pool).await;
    let user = app.create_user("pablo", Role::Agent).await;
    let root = app.create_user("root", Role::Admin).await;
    let pablo = app.logged_in("pablo").await;
    enrol(&app, &pablo).await;
    let admin = app.logged_in("root").await;

    let path = format!("/users/{}/two-factor", user.id);
    assert_eq!(app.delete(&pablo, &path).await.0, StatusCode::FORBIDDEN, "only admins reset");
    let (status, body) = app.delete(&admin, &format!("/users/{}/two-factor", root.id)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "not their own: {body}");
    let (status, body) = app.delete(&admin, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["username"], "pablo");
    let (status, body) = app.delete(&admin, &path).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing left to reset: {body}");

    // Pablo logs in with his password alone, and sees who reset it.
    let (client, status, _) = password_step(&app, "pablo").await;
    assert_eq!(status, StatusCode::OK);
    let (_, history) = app.get(&client, "/me/history").await;
    let latest = &history["events"][0];
    assert_eq!(latest["action"], "two_factor_reset", "{history}");
    assert_eq!(latest["actor"]["username"], "root", "{history}");
    assert_eq!(latest["address"], "127.0.0.1", "{history}");
    // The admin's users page marks who has two-factor authentication.
    enrol(&app, &client).await;
    let (status, page) = app.server_fn(&admin, "list_users", &[("search", "")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["two_factor_user_ids"], json!([user.id]));
}

#[sqlx::test(migrations = false)]
async fn turning_off_and_new_recovery_codes_take_a_current_code_or_the_password(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_user("quinn", Role::Requester).await;
    let client = app.logged_in("quinn").await;
    let (authenticator, old_codes) = enrol(&app, &client).await;

    let (status, body) = app.post(&client, "/me/two-factor/recovery-codes", json!({"confirmation": "guess"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["confirmation"].is_string(), "{body}");
    let (status, body) =
        app.post(&client, "/me/two-factor/recovery-codes", json!({"confirmation": code(&authenticator, 30)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_codes = body["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(new_codes.len(), 10);
    // The old codes stopped working.
    let (other, _, _) = password_step(&app, "quinn").await;
    assert_eq!(
        app.post(&other, "/auth/login/second-factor", json!({"code": old_codes[0]})).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.post(&other, "/auth/login/second-factor", json!({"code": new_codes[0]})).await.0, StatusCode::OK);

    let (status, _) = app.post(&client, "/me/two-factor/disable", json!({"confirmation": "not my password"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.get(&client, "/me/two-factor").await.1["enabled_at"].is_string(), "still on");
    let (status, body) =
        app.post(&client, "/me/two-factor/disable", json!({"confirmation": password_of("quinn")})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(password_step(&app, "quinn").await.1, StatusCode::OK, "the password is enough again");
    assert_eq!(
        history_actions(&app, &client).await,
        [
            "two_factor_disabled",
            "recovery_code_used",
            "second_factor_failed",
            "recovery_codes_regenerated",
            "two_factor_enabled"
        ]
    );
    let left: i64 =
        sqlx::query_scalar("select count(*) from two_factor_recovery_codes").fetch_one(&app.pool).await.unwrap();
    assert_eq!(left, 0, "the recovery codes went with it");
    // Tokens manage nothing of it.
    let token = app.post(&client, "/tokens", json!({"name": "cli"})).await.1["token"].as_str().unwrap().to_string();
    let (status, _) = app.post(&app.with_bearer(&token), "/me/two-factor/enrolment", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = false)]
async fn the_settings_page_gets_the_recovery_codes_once_through_its_server_functions(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_user("rita", Role::Agent).await;
    let client = app.logged_in("rita").await;
    let (status, enrolment) = app.server_fn(&client, "begin_two_factor", &[]).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let (_, shown) = app.server_fn(&client, "two_factor_status", &[]).await;
    assert_eq!(shown["enrolment"]["secret"], enrolment["secret"], "a reload shows the same set-up");
    let authenticator = app_for(enrolment["secret"].as_str().unwrap());
    let (status, body) = app.server_fn(&client, "confirm_two_factor", &[("code", &code(&authenticator, 0))]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, Value::Null, "the codes come with the status, once");
    // They wait in the session, sealed, for the page the form post returns to.
    let sessions: Vec<Vec<u8>> =
        sqlx::query_scalar("select data from tower_sessions.session").fetch_all(&app.pool).await.unwrap();
    let (_, first) = app.server_fn(&client, "two_factor_status", &[]).await;
    let codes: Vec<&str> =
        first["new_recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(codes.len(), 10, "{first}");
    for data in &sessions {
        let text = String::from_utf8_lossy(data);
        assert!(codes.iter().all(|code| !text.contains(code)), "the session store holds no code in clear");
    }
    let (_, second) = app.server_fn(&client, "two_factor_status", &[]).await;
    assert_eq!(second["new_recovery_codes"], Value::Null, "shown once");
}

#[sqlx::test(migrations = false)]
async fn without_a_configured_secret_key_nobody_can_enrol(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("sami", Role::Agent).await;
    let client = app.logged_in("sami").await;
    assert_eq!(app.get(&client, "/me/two-factor").await.1["available"], false);
    let (status, body) = app.post(&client, "/me/two-factor/enrolment", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("GUICHET_SECRET_KEY"), "{body}");
}

#[sqlx::test(migrations = false)]
async fn pages_send_a_user_who_must_enrol_to_settings(pool: PgPool) {
    let settings = Settings { require_two_factor_for: Some(TwoFactorRequirement::Admin), ..settings() };
    let app = TestApp::spawn_with(pool, settings).await;
    app.create_user("tess", Role::Admin).await;
    let client = app.logged_in("tess").await;
    for path in ["/", "/tickets", "/admin/users"] {
        // As a browser asks for a page.
        let response = client.get(app.url(path)).header("accept", "text/html").send().await.unwrap();
        assert!(response.status().is_redirection(), "{path}: {}", response.status());
        assert_eq!(response.headers()["location"], "/settings#two-factor", "{path}");
    }
    let response = client.get(app.url("/settings")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Your role requires two-factor authentication"), "the card says why");
    assert!(html.contains("Set up two-factor authentication"), "and offers to set it up");
}

#[sqlx::test(migrations = false)]
async fn the_log_in_form_leads_to_the_code_step_without_javascript(pool: PgPool) {
    let app = spawn(pool).await;
    app.create_user("ugo", Role::Requester).await;
    let (authenticator, _) = enrol(&app, &app.logged_in("ugo").await).await;
    let client = app.browser();
    let form_post = |path: &str, form: &[(&str, &str)]| {
        client.post(app.url(path)).header("accept", "text/html").header("referer", app.url("/login")).form(form).send()
    };
    let password = password_of("ugo");
    let response = form_post("/fn/log_in", &[("login", "ugo"), ("password", &password)]).await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/login/two-factor");
    let page = client.get(app.url("/login/two-factor")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"code\""), "the code step has its form");
    let response = form_post("/fn/log_in_second_factor", &[("code", &code(&authenticator, 30))]).await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/tickets", "where the role works");
    assert_eq!(app.get(&client, "/me").await.0, StatusCode::OK);
}
