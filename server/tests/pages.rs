//! Server-rendered pages: user text is shown as text, never as HTML.

use crate::common;

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

/// Metadata keys are read by people: the ticket page names them (issue 14,
/// "words, not identifiers"), keeping the key itself in a tooltip.
#[sqlx::test(migrations = false)]
async fn metadata_keys_are_shown_by_their_labels(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("rose", Role::Requester).await;
    let requester = app.logged_in("rose").await;
    let (status, body) = app
        .post(
            &requester,
            "/tickets",
            json!({"queue": "support", "category": "other", "subject": "Labels", "description": "x",
                   "metadata": {"error_message": "E_TIMEOUT after 30 s", "order_number": "4821"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reference = body["ticket"]["reference"].as_str().unwrap();
    let html = requester.get(app.url(&format!("/tickets/{reference}"))).send().await.unwrap().text().await.unwrap();
    for label in [">Error message</dt>", ">Order number</dt>"] {
        assert!(html.contains(label), "{label} in the page");
    }
    assert!(!html.contains(">error_message</dt>") && !html.contains(">order_number</dt>"), "keys shown as such");
    assert!(html.contains(r#"title="error_message""#), "the key in a tooltip");
    assert!(html.contains("E_TIMEOUT after 30 s"));
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

/// The build's files keep their own status while pages render around them.
/// leptos_axum's fallback file handler could answer `/pkg/guichet.css` with
/// the 404 of the page it rendered at the same moment for `/favicon.ico`
/// (seen 74 times in 100 on the release build): `/pkg` is now served from
/// disk on its own route.
#[sqlx::test(migrations = false)]
async fn build_files_answer_200_while_missing_pages_answer_404(pool: PgPool) {
    let site_root = std::env::temp_dir().join(format!("guichet-site-{}", std::process::id()));
    std::fs::create_dir_all(site_root.join("pkg")).unwrap();
    let stylesheet = "body { color: rebeccapurple }";
    std::fs::write(site_root.join("pkg/guichet.css"), stylesheet).unwrap();
    let app = TestApp::spawn_serving(pool, app::services::Settings::default(), site_root.to_str().unwrap()).await;
    let client = app.browser();

    let mut requests = Vec::new();
    for _ in 0..100 {
        // A missing page rendered at the same moment (once `/favicon.ico`,
        // which now leads to the icon).
        let (client, css, missing) = (client.clone(), app.url("/pkg/guichet.css"), app.url("/no-such-page.png"));
        requests.push(tokio::spawn(async move {
            let (css, missing) = tokio::join!(client.get(css).send(), client.get(missing).send());
            let css = css.unwrap();
            let status = css.status();
            let content_type = css.headers()["content-type"].to_str().unwrap().to_string();
            (status, content_type, css.text().await.unwrap(), missing.unwrap().status())
        }));
    }
    for request in requests {
        let (status, content_type, body, missing) = request.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/css"), "{content_type}");
        assert_eq!(body, stylesheet);
        assert_eq!(missing, StatusCode::NOT_FOUND);
    }

    let response = client.get(app.url("/pkg/missing.wasm")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    std::fs::remove_dir_all(&site_root).unwrap();
}

/// Every page names its icon, and the historic `/favicon.ico` that browsers
/// ask for on a first visit leads to it instead of a 404 (issue 14).
#[sqlx::test(migrations = false)]
async fn the_icon_is_declared_and_favicon_ico_leads_to_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.bare_browser();
    let html = client.get(app.url("/login")).header("accept", "text/html").send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"rel="icon" href="/favicon.svg""#), "{html}");
    let response = client.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], "/favicon.svg");
}
