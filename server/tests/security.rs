//! Issue 20's web hardening over HTTP: cross-site requests refused, security
//! headers with a CSP nonce, form-post redirects and errors kept on the site,
//! rate limits, and the JSON API's body rules (415, 413, `Bearer` in any case).

use crate::common;

use app::domain::Role;
use app::services::{RateLimits, Settings};
use common::{TestApp, password_of};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;

const EVIL: &str = "http://evil.example";

/// A logged-in requester with one open ticket: (app, browser, reference).
async fn requester_with_ticket(pool: PgPool) -> (TestApp, Client, String) {
    let app = TestApp::spawn(pool).await;
    app.create_user("vera", Role::Requester).await;
    let victim = app.logged_in("vera").await;
    let (status, body) = app
        .post(
            &victim,
            "/tickets",
            json!({"queue": "support", "category": "general_inquiry", "subject": "Printer", "description": "Jammed."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reference = body["ticket"]["reference"].as_str().unwrap().to_string();
    (app, victim, reference)
}

/// The ticket's message count and status, read through the API.
async fn ticket_state(app: &TestApp, client: &Client, reference: &str) -> (usize, String) {
    let (status, body) = app.get(client, &format!("/tickets/{reference}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (body["messages"].as_array().unwrap().len(), body["ticket"]["status"].as_str().unwrap().to_string())
}

/// The headers every API and server-function answer carries, errors
/// included: nosniff, a CSP that forbids framing, and `no-store`.
fn assert_security_headers(headers: &header::HeaderMap, label: &str) {
    assert_eq!(
        headers.get(header::X_CONTENT_TYPE_OPTIONS).map(|value| value.as_bytes()),
        Some(&b"nosniff"[..]),
        "{label}"
    );
    let policy = headers.get(header::CONTENT_SECURITY_POLICY).map(|value| value.to_str().unwrap()).unwrap_or_default();
    assert!(policy.contains("frame-ancestors 'none'"), "{label}: CSP {policy:?}");
    assert_eq!(headers.get(header::CACHE_CONTROL).map(|value| value.as_bytes()), Some(&b"no-store"[..]), "{label}");
}

async fn assert_refused(response: reqwest::Response, label: &str) {
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "{label}");
    assert_security_headers(response.headers(), label);
    assert!(response.headers().get(header::SET_COOKIE).is_none(), "{label}: no session planted");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(body["error"]["code"], "forbidden", "{label}: {body}");
}

/// A forged request: (label, path, content type, body, extra headers).
type Attempt<'a> = (&'a str, &'a str, Option<&'a str>, String, Vec<(&'a str, String)>);

#[sqlx::test(migrations = false)]
async fn cross_site_writes_with_the_victims_cookie_change_nothing(pool: PgPool) {
    let (app, victim, reference) = requester_with_ticket(pool).await;
    let before = ticket_state(&app, &victim, &reference).await;
    let same_site_other_port = format!("http://127.0.0.1:{}", app.address.port() + 1);
    let reply = format!("key={reference}&body=forged");
    let close = format!("key={reference}&status=closed");

    // (label, path, content type, body, extra headers): every way the probe forged a write.
    let api_reply = format!("/api/v1/tickets/{reference}/messages");
    let attempts: Vec<Attempt> = vec![
        (
            "form reply",
            "/fn/add_message",
            Some("application/x-www-form-urlencoded"),
            reply.clone(),
            vec![("origin", EVIL.into())],
        ),
        ("text/plain reply", "/fn/add_message", Some("text/plain"), reply.clone(), vec![("origin", EVIL.into())]),
        ("reply without type", "/fn/add_message", None, reply.clone(), vec![("origin", EVIL.into())]),
        (
            "close",
            "/fn/change_status",
            Some("application/x-www-form-urlencoded"),
            close.clone(),
            vec![("origin", EVIL.into())],
        ),
        (
            "token",
            "/fn/create_api_token",
            Some("application/x-www-form-urlencoded"),
            "name=stolen".into(),
            vec![("origin", EVIL.into())],
        ),
        ("log-out", "/fn/log_out", Some("text/plain"), String::new(), vec![("origin", EVIL.into())]),
        (
            "same site, other port",
            "/fn/add_message",
            Some("application/x-www-form-urlencoded"),
            reply.clone(),
            vec![("origin", same_site_other_port.clone())],
        ),
        (
            "null origin",
            "/fn/add_message",
            Some("application/x-www-form-urlencoded"),
            reply.clone(),
            vec![("origin", "null".into())],
        ),
        (
            "Sec-Fetch-Site only",
            "/fn/add_message",
            Some("application/x-www-form-urlencoded"),
            reply.clone(),
            vec![("sec-fetch-site", "same-site".into())],
        ),
        (
            "Referer only",
            "/fn/add_message",
            Some("application/x-www-form-urlencoded"),
            reply.clone(),
            vec![("referer", format!("{EVIL}/page"))],
        ),
        ("no evidence", "/fn/add_message", Some("application/x-www-form-urlencoded"), reply.clone(), vec![]),
        ("API reply", &api_reply, Some("text/plain"), r#"{"body":"forged"}"#.into(), vec![("origin", EVIL.into())]),
        ("API log-out", "/api/v1/auth/logout", Some("text/plain"), String::new(), vec![("origin", EVIL.into())]),
    ];
    // The victim's cookies without the browser's own Origin.
    let cookie = {
        let response = app
            .bare_browser()
            .post(app.url("/api/v1/auth/login"))
            .header("origin", &app.origin)
            .json(&json!({"login": "vera", "password": password_of("vera")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let set_cookie = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
        set_cookie.split(';').next().unwrap().to_string()
    };
    let attacker = app.bare_browser();
    for (label, path, content_type, body, headers) in attempts {
        let mut request = attacker.post(app.url(path)).header(header::COOKIE, &cookie).body(body);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        assert_refused(request.send().await.unwrap(), label).await;
    }
    // A log-in from another site cannot plant the attacker's session.
    app.create_user("mallory", Role::Requester).await;
    let planted = attacker
        .post(app.url("/fn/log_in"))
        .header("origin", EVIL)
        .form(&[("login", "mallory"), ("password", &password_of("mallory"))])
        .send()
        .await
        .unwrap();
    assert_refused(planted, "log-in").await;

    // Nothing changed: same messages and status, no token, both sessions alive.
    assert_eq!(ticket_state(&app, &victim, &reference).await, before);
    let (status, tokens) = app.get(&victim, "/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tokens["tokens"].as_array().map(Vec::len), Some(0), "{tokens}");
    let response = app.bare_browser().get(app.url("/api/v1/me")).header(header::COOKIE, &cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the victim is still logged in");

    // The same requests from Guichet's own pages work.
    let (status, body) = app.server_fn(&victim, "add_message", &[("key", &reference), ("body", "from our page")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let same_origin_by_fetch_metadata = app
        .bare_browser()
        .post(app.url("/fn/add_message"))
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&[("key", reference.as_str()), ("body", "fetch metadata")])
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin_by_fetch_metadata.status(), StatusCode::OK);
    let same_origin_by_referer = app
        .bare_browser()
        .post(app.url("/fn/add_message"))
        .header(header::COOKIE, &cookie)
        .header("referer", format!("{}/tickets/{reference}", app.origin))
        .form(&[("key", reference.as_str()), ("body", "referer")])
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin_by_referer.status(), StatusCode::OK);
    assert_eq!(ticket_state(&app, &victim, &reference).await.0, before.0 + 3);
}

#[sqlx::test(migrations = false)]
async fn bearer_requests_need_no_origin_and_the_api_takes_only_json(pool: PgPool) {
    let (app, victim, reference) = requester_with_ticket(pool).await;
    let (status, token) = app.post(&victim, "/tokens", json!({"name": "script"})).await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let token = token["token"].as_str().unwrap().to_string();
    let messages = format!("/api/v1/tickets/{reference}/messages");

    // A token in any case of the scheme (RFC 9110), from any origin.
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let response = Client::new()
            .post(app.url(&messages))
            .header(header::AUTHORIZATION, format!("{scheme} {token}"))
            .header("origin", EVIL)
            .json(&json!({"body": format!("via {scheme}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{scheme}");
    }
    let response = Client::new()
        .get(app.url("/api/v1/me"))
        .header(header::AUTHORIZATION, format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Non-JSON bodies: 415 in the API's error format, for cookies and tokens alike.
    for client in [victim.clone(), app.with_bearer(&token)] {
        for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
            let mut request = client.post(app.url(&messages)).body(r#"{"body":"not json typed"}"#);
            if let Some(content_type) = content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
            assert_security_headers(response.headers(), &format!("415 for {content_type:?}"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unsupported_media_type", "{body}");
        }
    }
    let response = victim
        .post(app.url(&messages))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(r#"{"body":"typed json"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(ticket_state(&app, &victim, &reference).await.0, 3 + 1, "three token replies, one typed JSON");
}

#[sqlx::test(migrations = false)]
async fn api_bodies_over_the_limit_are_413(pool: PgPool) {
    let (app, victim, reference) = requester_with_ticket(pool).await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let (status, body) = app.post(&victim, &format!("/tickets/{reference}/messages"), json!({"body": huge})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert_eq!(ticket_state(&app, &victim, &reference).await.0, 0);
}

/// The nonce of the CSP header; `'nonce-…'` in `script-src`.
fn csp_nonce(response: &reqwest::Response) -> String {
    let policy = response.headers().get(header::CONTENT_SECURITY_POLICY).expect("CSP").to_str().unwrap().to_string();
    let start = policy.find("'nonce-").expect("a nonce") + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_string()
}

#[sqlx::test(migrations = false)]
async fn every_response_carries_the_security_headers(pool: PgPool) {
    let (app, victim, reference) = requester_with_ticket(pool).await;
    for path in
        ["/login", "/tickets", &format!("/tickets/{reference}"), "/no-such-page", "/api/v1/me", "/pkg/guichet.css"]
    {
        let response = victim.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let policy = headers.get(header::CONTENT_SECURITY_POLICY).expect(path).to_str().unwrap();
        for directive in
            ["script-src 'self' 'nonce-", "'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"]
        {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        let scripts = policy.split(';').find(|directive| directive.trim().starts_with("script-src ")).unwrap();
        assert!(!scripts.contains("unsafe-inline") && !scripts.contains(" 'unsafe-eval'"), "{policy}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin", "{path}");
        assert!(headers["permissions-policy"].to_str().unwrap().contains("camera=()"), "{path}");
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over http");
        let cache = headers.get(header::CACHE_CONTROL).map(|value| value.to_str().unwrap().to_string());
        if path.starts_with("/pkg/") {
            assert_ne!(cache.as_deref(), Some("no-store"), "build files stay cacheable");
        } else {
            assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
        }
    }
    let (status, _) = app.server_fn(&victim, "current_user", &[]).await;
    assert_eq!(status, StatusCode::OK);

    // The page's inline scripts carry this response's nonce, new each time.
    let first = victim.get(app.url("/tickets")).send().await.unwrap();
    let nonce = csp_nonce(&first);
    let html = first.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts >= 2, "theme and hydration scripts: {html}");
    assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "every script has the nonce: {html}");
    let second = victim.get(app.url("/tickets")).send().await.unwrap();
    assert_ne!(csp_nonce(&second), nonce);
}

#[sqlx::test(migrations = false)]
async fn https_public_urls_get_hsts(pool: PgPool) {
    let settings = Settings { public_url: "https://help.guichet.test".into(), ..Settings::default() };
    let app = TestApp::spawn_with(pool, settings).await;
    let response = app.browser().get(app.url("/login")).send().await.unwrap();
    assert_eq!(response.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
}

/// A plain form post (no JavaScript) of a wrong password, with `referer`.
async fn failed_form_log_in(app: &TestApp, referer: &str) -> reqwest::Response {
    app.browser()
        .post(app.url("/fn/log_in"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, referer)
        .form(&[("login", "vera"), ("password", "wrong password")])
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn form_posts_redirect_only_within_the_site(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("vera", Role::Requester).await;
    for referer in ["https://evil.example/phish", "//evil.example/phish", "http://127.0.0.1:1/login"] {
        let response = failed_form_log_in(&app, referer).await;
        assert!(response.status().is_redirection(), "{referer}: {}", response.status());
        assert_eq!(response.headers()[header::LOCATION], "/", "{referer}");
    }
    // From Guichet's own log-in page: back there, with the error.
    let response = failed_form_log_in(&app, &format!("{}/login", app.origin)).await;
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/login?"), "{location}");
    let page = app.browser().get(app.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Wrong username, email or password."), "the server's own error is shown: {html}");
}

#[sqlx::test(migrations = false)]
async fn pages_show_no_error_text_from_the_url(pool: PgPool) {
    use base64::Engine;
    let app = TestApp::spawn(pool).await;
    app.create_user("vera", Role::Requester).await;
    let visitor = app.logged_in("vera").await;
    let lie = "Your account is locked: call +1 555 0100 to unlock it";
    let forged =
        base64::engine::general_purpose::URL_SAFE.encode(json!({"code": "unauthorized", "message": lie}).to_string());
    // A browser that follows redirects, logged in (for /tickets/new).
    let follower = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let logged_in = follower
        .post(app.url("/api/v1/auth/login"))
        .header("origin", &app.origin)
        .json(&json!({"login": "vera", "password": password_of("vera")}))
        .send()
        .await
        .unwrap();
    assert_eq!(logged_in.status(), StatusCode::OK);
    for (page, function) in
        [("/login", "/fn/log_in"), ("/register", "/fn/register"), ("/tickets/new", "/fn/create_ticket")]
    {
        let url = format!("{page}?__path={function}&__err={forged}");
        let shown = follower.get(app.url(&url)).send().await.unwrap();
        assert_eq!(shown.status(), StatusCode::OK, "{url}");
        let html = shown.text().await.unwrap();
        assert!(!html.contains(lie), "{url} shows the link's text");
        let response = visitor.get(app.url(&url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
        assert_eq!(response.headers()[header::LOCATION], page, "{url}");
        // A stale or tampered signature is no better.
        let tampered = format!("{url}&__expires=99999999999&__sig=00");
        let response = visitor.get(app.url(&tampered)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{tampered}");
        let shown = visitor.get(app.url(page)).send().await.unwrap().text().await.unwrap();
        assert!(!shown.contains(lie), "{page}");
    }
    // Other query parameters survive the clean-up.
    let response = visitor.get(app.url(&format!("/login?registered=vera&__err={forged}"))).send().await.unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/login?registered=vera");
}

/// The log-in page after a registration says so in its own words: a name
/// in the link (`/login?registered=<anything>`) never reaches the page, and a
/// real registration (a plain form post) leads there with only the flag.
#[sqlx::test(migrations = false)]
async fn the_log_in_page_after_a_registration_shows_no_text_from_the_url(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let notice = "Your account was created. You can log in now.";
    for lie in ["Call-0800-555-0100-to-unlock", "<b>Your account is locked</b>"] {
        let url = format!("/login?registered={}", url_encoded(lie));
        let response = app.browser().get(app.url(&url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let html = response.text().await.unwrap();
        assert!(html.contains(notice), "{url}: {html}");
        assert!(!html.contains("Call-0800") && !html.contains("locked"), "{url} shows the link's text");
    }
    let response = app
        .browser()
        .post(app.url("/fn/register"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("{}/register", app.origin))
        .form(&[("username", "nadia"), ("email", "nadia@example.test"), ("password", "correct horse battery staple")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()[header::LOCATION], "/login?registered=1");
    let html = app.browser().get(app.url("/login?registered=1")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(notice), "{html}");
    assert!(!app.browser().get(app.url("/login")).send().await.unwrap().text().await.unwrap().contains(notice));
}

fn url_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Tight limits, applied to loopback too.
fn limits(per_user: u32, per_address: u32, registrations: u32, token_creations: u32) -> Settings {
    Settings {
        rate_limits: RateLimits {
            per_user_per_minute: per_user,
            per_address_per_minute: per_address,
            registrations_per_hour: registrations,
            token_creations_per_hour: token_creations,
            exempt_loopback: false,
        },
        ..Settings::default()
    }
}

async fn assert_limited(response: reqwest::Response, label: &str) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{label}");
    assert_security_headers(response.headers(), label);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1, "{label}");
    assert_eq!(response.headers()["ratelimit-remaining"], "0", "{label}");
    assert!(response.headers().contains_key("ratelimit-limit"), "{label}");
    assert!(response.headers().contains_key("ratelimit-reset"), "{label}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests", "{label}: {body}");
}

#[sqlx::test(migrations = false)]
async fn each_user_has_a_request_rate_limit(pool: PgPool) {
    let app = TestApp::spawn_exact(pool, limits(5, 1000, 10, 10), "target/site").await;
    app.create_user("vera", Role::Requester).await;
    app.create_user("walt", Role::Requester).await;
    let vera = app.logged_in("vera").await;
    let walt = app.logged_in("walt").await;
    for remaining in (0..5).rev() {
        let response = vera.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["ratelimit-limit"], "5");
        assert_eq!(response.headers()["ratelimit-remaining"], remaining.to_string().as_str());
        let reset: u64 = response.headers()["ratelimit-reset"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset), "the used quota is back within the minute: {reset} s");
    }
    assert_limited(vera.get(app.url("/api/v1/me")).send().await.unwrap(), "API").await;
    assert_limited(vera.post(app.url("/fn/current_user")).send().await.unwrap(), "server function").await;
    // Another user at the same address is not slowed down.
    let response = walt.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Pages are not counted.
    assert_eq!(vera.get(app.url("/login")).send().await.unwrap().status(), StatusCode::OK);
}

#[sqlx::test(migrations = false)]
async fn each_address_has_a_request_rate_limit(pool: PgPool) {
    let app = TestApp::spawn_exact(pool, limits(1000, 4, 10, 10), "target/site").await;
    for _ in 0..4 {
        // New clients without cookies: only the address counts.
        let response = app.browser().get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    assert_limited(app.browser().get(app.url("/api/v1/me")).send().await.unwrap(), "address").await;
}

/// Behind a trusted reverse proxy (the tests' loopback), each client the
/// proxy reports in `X-Forwarded-For` has its own per-address limit.
#[sqlx::test(migrations = false)]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_address_limit(pool: PgPool) {
    let mut settings = limits(1000, 2, 1, 10);
    settings.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    let app = TestApp::spawn_exact(pool, settings, "target/site").await;
    let from = |client: &str| app.browser().get(app.url("/api/v1/me")).header("x-forwarded-for", client);
    for _ in 0..2 {
        assert_eq!(from("203.0.113.7").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    assert_limited(from("203.0.113.7").send().await.unwrap(), "the same client").await;
    // Another client behind the same proxy is not held back (it was: every
    // request counted against the proxy's address).
    let response = from("198.51.100.4").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["ratelimit-remaining"], "1");
    // So do registrations, per real client.
    let register = |client: &str, name: &str| {
        app.browser().post(app.url("/api/v1/auth/register")).header("x-forwarded-for", client).json(&json!({
            "username": name, "email": format!("{name}@example.test"), "password": "correct horse battery staple"
        }))
    };
    assert_eq!(register("192.0.2.1", "ann").send().await.unwrap().status(), StatusCode::CREATED);
    assert_limited(register("192.0.2.1", "bea").send().await.unwrap(), "second registration").await;
    assert_eq!(register("192.0.2.2", "cyd").send().await.unwrap().status(), StatusCode::CREATED);
}

/// From a peer that is not a trusted proxy, `X-Forwarded-For` and
/// `Forwarded` change nothing: every request counts against the peer.
#[sqlx::test(migrations = false)]
async fn forwarding_headers_from_an_untrusted_peer_do_not_escape_the_address_limit(pool: PgPool) {
    let mut settings = limits(1000, 3, 10, 10);
    settings.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    let app = TestApp::spawn_exact(pool, settings, "target/site").await;
    let me = || app.browser().get(app.url("/api/v1/me"));
    assert_eq!(me().send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me().header("x-forwarded-for", "203.0.113.7").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me().header("forwarded", "for=198.51.100.4").send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_limited(me().header("x-forwarded-for", "192.0.2.99").send().await.unwrap(), "a fourth spoofed client").await;
}

#[sqlx::test(migrations = false)]
async fn registration_and_token_creation_have_tighter_limits(pool: PgPool) {
    let app = TestApp::spawn_exact(pool, limits(1000, 1000, 2, 2), "target/site").await;
    let register = |name: &str| {
        app.browser().post(app.url("/api/v1/auth/register")).json(&json!({
            "username": name, "email": format!("{name}@example.test"), "password": "correct horse battery staple"
        }))
    };
    assert_eq!(register("ann").send().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(register("bea").send().await.unwrap().status(), StatusCode::CREATED);
    assert_limited(register("cyd").send().await.unwrap(), "third registration").await;
    let (status, body) = app
        .server_fn(
            &app.browser(),
            "register",
            &[("username", "dee"), ("email", "dee@example.test"), ("password", "correct horse battery staple")],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let registered: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.pool).await.unwrap();
    assert_eq!(registered, 2);

    app.create_user("vera", Role::Requester).await;
    let vera = app.logged_in("vera").await;
    for name in ["one", "two"] {
        let (status, body) = app.post(&vera, "/tokens", json!({"name": name})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_limited(vera.post(app.url("/api/v1/tokens")).json(&json!({"name": "three"})).send().await.unwrap(), "token")
        .await;
    let (status, tokens) = app.get(&vera, "/tokens").await;
    assert_eq!(status, StatusCode::OK, "other requests still pass");
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 2);
}

#[sqlx::test(migrations = false)]
async fn loopback_is_exempt_only_when_the_setting_says_so(pool: PgPool) {
    let mut settings = limits(2, 2, 1, 1);
    settings.rate_limits.exempt_loopback = true;
    let app = TestApp::spawn_exact(pool, settings, "target/site").await;
    for _ in 0..10 {
        let response = app.browser().get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().get("ratelimit-limit").is_none());
    }
}
