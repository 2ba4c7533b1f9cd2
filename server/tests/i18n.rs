//! French and English (issue 13): which language a request is answered in
//! (the user's setting, else the cookie, else `Accept-Language`, else the
//! desk's default), pages and API errors in it, and the settings that
//! choose it.

use crate::common;

use app::domain::Role;
use app::i18n::{Language, Viewer};
use app::services::Settings;
use common::TestApp;
use reqwest::{Client, StatusCode, header};
use serde_json::json;
use sqlx::PgPool;

/// A client with no `Accept-Language` unless given, keeping cookies (and
/// starting with `cookie`, e.g. `guichet_language=fr`).
fn client(accept_language: Option<&str>, cookie: Option<&str>, origin: &str) -> Client {
    let mut headers = header::HeaderMap::new();
    headers.insert(header::ORIGIN, origin.parse().unwrap());
    if let Some(language) = accept_language {
        headers.insert(header::ACCEPT_LANGUAGE, language.parse().unwrap());
    }
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    if let Some(cookie) = cookie {
        jar.add_cookie_str(&format!("{cookie}; Path=/"), &origin.parse().unwrap());
    }
    Client::builder()
        .cookie_provider(jar)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `lang` of the page at `path`, and the page.
async fn page_language(app: &TestApp, client: &Client, path: &str) -> (String, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let html = response.text().await.unwrap();
    let start = html.find("<html lang=\"").map(|at| at + 12).expect("<html lang=");
    let end = html[start..].find('"').unwrap() + start;
    (html[start..end].to_string(), html)
}

#[sqlx::test]
async fn a_visitor_gets_the_cookie_then_the_header_then_the_desk_default(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let origin = app.origin.clone();
    let cases = [
        (None, None, "fr"),
        (Some("en-US,en;q=0.9"), None, "en"),
        (Some("de-DE, en;q=0.5"), None, "en"),
        (Some("de-DE"), None, "fr"),
        (Some("fr;q=0.4, en;q=0.8"), None, "en"),
        (Some("en"), Some("guichet_language=fr"), "fr"),
        (Some("en"), Some("guichet_language=klingon"), "en"),
        (Some("garbage;;q=x"), Some("guichet_language="), "fr"),
    ];
    for (accept_language, cookie, expected) in cases {
        let visitor = client(accept_language, cookie, &origin);
        let (language, html) = page_language(&app, &visitor, "/login").await;
        assert_eq!(language, expected, "Accept-Language {accept_language:?}, cookie {cookie:?}");
        let heading = if expected == "fr" { "<h1>Connexion</h1>" } else { "<h1>Log in</h1>" };
        assert!(html.contains(heading), "{expected}: {heading} in the page");
        assert!(html.contains("data-time-zone=\"Europe/Paris\""));
    }
}

#[sqlx::test]
async fn the_desk_default_comes_from_the_settings(pool: PgPool) {
    let desk = Viewer { language: Language::en, time_zone: "Africa/Abidjan".into() };
    let app = TestApp::spawn_with(pool, Settings { desk, ..Settings::default() }).await;
    let (language, html) = page_language(&app, &client(None, None, &app.origin), "/").await;
    assert_eq!(language, "en");
    assert!(html.contains("data-time-zone=\"Africa/Abidjan\""));
}

#[sqlx::test]
async fn a_users_own_setting_wins_over_cookie_and_header(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user_in("oscar", Role::Requester, "en").await;
    let oscar = client(Some("fr"), Some("guichet_language=fr"), &app.origin);
    let response = oscar
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "oscar", "password": common::password_of("oscar")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (language, html) = page_language(&app, &oscar, "/tickets").await;
    assert_eq!(language, "en");
    assert!(html.contains("My tickets"), "the page in English");

    // The same user's API errors follow the setting too; code and fields stay.
    let (status, body) = app.get(&oscar, "/tickets/SUP-9999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(body["error"]["message"], "No such ticket.");
}

#[sqlx::test]
async fn api_errors_keep_their_code_and_fields_and_speak_the_callers_language(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for (language, message, reason) in [
        ("fr", "Veuillez corriger les champs signalés.", "doit faire de 3 à 32 caractères"),
        ("en", "Please correct the highlighted fields.", "must be 3 to 32 characters long"),
    ] {
        let caller = client(Some(language), None, &app.origin);
        let (status, body) = app
            .post(&caller, "/auth/register", json!({"username": "", "email": "x@example.test", "password": "p"}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "validation");
        assert_eq!(body["error"]["message"], message, "{language}");
        assert!(body["error"]["fields"]["username"].is_string(), "{body}");
        assert!(body["error"]["fields"]["password"].is_string(), "{body}");
        let (status, body) = app.get(&caller, "/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_ne!(body["error"]["message"], "", "{body}");
        let (status, body) = app
            .post(
                &caller,
                "/auth/register",
                json!({"username": "", "email": "y@example.test", "password": "a long enough one"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["fields"]["username"], reason, "{language}");
    }
}

#[sqlx::test]
async fn registering_keeps_the_language_of_the_page(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let french = client(Some("fr-FR"), None, &app.origin);
    let (status, body) = app
        .post(
            &french,
            "/auth/register",
            json!({"username": "amina", "email": "amina@example.test", "password": "une phrase assez longue"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["language"], "fr");
    assert_eq!(body["user"]["time_zone"], serde_json::Value::Null);
}

#[sqlx::test]
async fn settings_store_language_and_time_zone_and_refuse_unknown_ones(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user_in("ines", Role::Agent, "fr").await;
    let ines = app.logged_in("ines").await;
    for (input, field) in [
        (json!({"language": "de", "time_zone": ""}), "language"),
        (json!({"language": "en", "time_zone": "Mars/Olympus_Mons"}), "time_zone"),
        (json!({"time_zone": "Europe/Paris\u{0}"}), "time_zone"),
    ] {
        let (status, body) = app.put(&ines, "/me/settings", input.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{input}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{input}: {body}");
    }
    let stored: (Option<String>, Option<String>) =
        sqlx::query_as("select language, time_zone from users where username = 'ines'").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, (Some("fr".into()), None), "a refused change changes nothing");

    let (status, body) = app.put(&ines, "/me/settings", json!({"language": "en", "time_zone": "Africa/Dakar"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["language"], "en");
    assert_eq!(body["user"]["time_zone"], "Africa/Dakar");
    let (language, html) = page_language(&app, &ines, "/settings").await;
    assert_eq!(language, "en");
    assert!(html.contains("data-time-zone=\"Africa/Dakar\""));

    let (status, body) = app.put(&ines, "/me/settings", json!({"language": null, "time_zone": null})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["language"], serde_json::Value::Null);
    // A stored language Guichet does not speak (any more) reads as the default.
    sqlx::query("update users set language = 'tlh', time_zone = 'Nowhere/Land' where username = 'ines'")
        .execute(&pool)
        .await
        .unwrap();
    let (language, html) = page_language(&app, &client(None, None, &app.origin), "/").await;
    assert_eq!(language, "fr");
    assert!(html.contains("data-time-zone=\"Europe/Paris\""));
    let (language, html) = page_language(&app, &ines, "/settings").await;
    assert_eq!(language, "en", "ines' client sends Accept-Language: en");
    assert!(html.contains("data-time-zone=\"Europe/Paris\""), "an unknown zone reads as the desk's");
}

#[sqlx::test]
async fn the_switcher_sets_the_cookie_and_the_account(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // A visitor: the cookie only, and back to the page.
    let visitor = client(Some("fr"), None, &app.origin);
    let response = visitor
        .post(app.url("/fn/set_language"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, app.url("/login"))
        .form(&[("language", "en")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let cookie = response.headers().get(header::SET_COOKIE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    assert!(cookie.starts_with("guichet_language=en;"), "{cookie}");
    assert_eq!(page_language(&app, &visitor, "/login").await.0, "en");

    // A user: the account keeps it.
    app.create_user_in("jules", Role::Requester, "en").await;
    let jules = app.logged_in("jules").await;
    let (status, _) = app.server_fn(&jules, "set_language", &[("language", "fr")]).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let stored: Option<String> =
        sqlx::query_scalar("select language from users where username = 'jules'").fetch_one(&pool).await.unwrap();
    assert_eq!(stored.as_deref(), Some("fr"));
    // An unknown language changes nothing and is no error.
    let (status, _) = app.server_fn(&jules, "set_language", &[("language", "xx")]).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let stored: Option<String> =
        sqlx::query_scalar("select language from users where username = 'jules'").fetch_one(&pool).await.unwrap();
    assert_eq!(stored.as_deref(), Some("fr"));
}

#[sqlx::test]
async fn pages_show_dates_in_the_viewers_time_zone_and_language(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user_in("lucie", Role::Requester, "fr").await;
    let lucie = app.logged_in("lucie").await;
    let (status, body) = app
        .post(
            &lucie,
            "/tickets",
            json!({"queue": "support", "category": "other", "subject": "Heure", "description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reference = body["ticket"]["reference"].as_str().unwrap().to_string();
    // 30 Nov 2026 13:05 UTC is 14:05 in Paris, 13:05 in Abidjan.
    sqlx::query("update tickets set created_at = '2026-11-30T13:05:00Z'").execute(&pool).await.unwrap();
    let (_, html) = page_language(&app, &lucie, &format!("/tickets/{reference}")).await;
    assert!(html.contains("lun. 30 nov. 2026, 14:05"), "the date in French, Paris time");
    let (status, _) = app.put(&lucie, "/me/settings", json!({"language": "en", "time_zone": "Africa/Abidjan"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, html) = page_language(&app, &lucie, &format!("/tickets/{reference}")).await;
    assert!(html.contains("Mon, Nov 30, 2026, 1:05 PM"), "the date in English, Abidjan time");
    // The API stays RFC 3339 UTC.
    let (_, body) = app.get(&lucie, &format!("/tickets/{reference}")).await;
    assert_eq!(body["ticket"]["created_at"], "2026-11-30T13:05:00Z");
}
