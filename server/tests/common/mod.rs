//! Test harness: the real router on a loopback port against a fresh database.

#![allow(dead_code)]

use app::domain::{Registration, Role, User};
use app::services::{ServerContext, Settings, accounts};
use leptos::prelude::LeptosOptions;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;

/// The `Accept-Language` of the test clients.
pub const ENGLISH: &str = "en";

/// A running server and its database.
pub struct TestApp {
    pub address: SocketAddr,
    pub pool: PgPool,
    /// The origin the server takes as its own (its public URL's): what
    /// [`TestApp::browser`] sends as `Origin`, like a browser on its pages.
    pub origin: String,
}

impl TestApp {
    /// Starts the real router on 127.0.0.1 (a free port) over `pool`, whose
    /// database `#[sqlx::test]` has migrated.
    pub async fn spawn(pool: PgPool) -> TestApp {
        Self::spawn_with(pool, Settings::default()).await
    }

    pub async fn spawn_with(pool: PgPool, settings: Settings) -> TestApp {
        Self::spawn_serving(pool, settings, "target/site").await
    }

    /// A second instance on `pool` behind the same public URL as `first`, as
    /// two instances behind one load balancer: a browser of either is a
    /// browser of the other.
    pub async fn spawn_beside(first: &TestApp, pool: PgPool) -> TestApp {
        let settings = Settings { public_url: first.origin.clone(), ..Settings::default() };
        Self::spawn_with(pool, settings).await
    }

    /// Like [`TestApp::spawn_with`], serving the build's files from `site_root`.
    /// The public URL, when left at its default, becomes the server's own
    /// address; rate limits are off for loopback (every test client is on
    /// 127.0.0.1).
    pub async fn spawn_serving(pool: PgPool, mut settings: Settings, site_root: &str) -> TestApp {
        settings.rate_limits.exempt_loopback = true;
        Self::spawn_exact(pool, settings, site_root).await
    }

    /// Starts the server with `settings` as given (rate limits included),
    /// except a default public URL, which becomes the server's own address.
    pub async fn spawn_exact(pool: PgPool, mut settings: Settings, site_root: &str) -> TestApp {
        server::database::migrate(&pool).await.expect("migrations");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        if settings.public_url == Settings::default().public_url {
            settings.public_url = format!("http://{address}");
        }
        let origin = server::security::origin_of(&settings.public_url).expect("an http(s) public URL");
        let leptos_options =
            LeptosOptions::builder().output_name("guichet").site_addr(address).site_root(site_root).build();
        let state = server::AppState {
            leptos_options,
            context: ServerContext {
                pool: pool.clone(),
                settings: Arc::new(settings),
                live: app::services::live::Hub::start(pool.clone()).await.expect("live hub"),
                stats_cache: Default::default(),
                error_rate: Default::default(),
            },
        };
        let router = server::build_router(state);
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.expect("serve");
        });
        TestApp { address, pool, origin }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// A client that keeps cookies, like one browser on Guichet's pages: it
    /// sends `Origin` (the server's own) on every request, and
    /// `Accept-Language: en` (the tests read English messages; the desk's
    /// default is French).
    pub fn browser(&self) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ORIGIN, self.origin.parse().expect("origin header"));
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, ENGLISH.parse().expect("language header"));
        Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A client that keeps cookies and sends no `Origin`, `Referer` or
    /// `Sec-Fetch-Site` of its own (a page of another site sets them per
    /// request); `Accept-Language: en` like [`TestApp::browser`].
    pub fn bare_browser(&self) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, ENGLISH.parse().expect("language header"));
        Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Creates a user with `role` directly through the service layer, reading
    /// Guichet in English (the tests read their emails); the password is
    /// `{username}-Passw0rd-long`.
    pub async fn create_user(&self, username: &str, role: Role) -> User {
        self.create_user_in(username, role, "en").await
    }

    /// Like [`TestApp::create_user`], with the user's language (`fr`, `en`).
    pub async fn create_user_in(&self, username: &str, role: Role, language: &str) -> User {
        let registration = Registration {
            username: username.into(),
            email: format!("{username}@example.test"),
            password: password_of(username),
            discord_username: None,
            discord_id: None,
        };
        let user = accounts::create_user_with_role(&self.pool, &registration, role).await.expect("create user");
        sqlx::query("update users set language = $2 where id = $1")
            .bind(user.id)
            .bind(language)
            .execute(&self.pool)
            .await
            .expect("set the user's language");
        User { language: Some(language.into()), ..user }
    }

    /// A fresh browser logged in as `username` through the JSON API.
    pub async fn logged_in(&self, username: &str) -> Client {
        let client = self.browser();
        let response = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"login": username, "password": password_of(username)}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        client
    }

    /// Calls a server function the way the hydrated app does (form-encoded POST).
    pub async fn server_fn(&self, client: &Client, name: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response =
            client.post(self.url(&format!("/fn/{name}"))).form(form).send().await.expect("server fn request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

impl TestApp {
    /// Sends a JSON API request (`body` as JSON when given) and returns the
    /// status with the JSON body (`Value::Null` when empty, the text as a
    /// string when it is not JSON).
    pub async fn api(&self, client: &Client, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let mut request = client.request(method.clone(), self.url(&format!("/api/v1{path}")));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        let status = response.status();
        let text = response.text().await.expect("body");
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    /// `GET /api/v1{path}`.
    pub async fn get(&self, client: &Client, path: &str) -> (StatusCode, Value) {
        self.api(client, Method::GET, path, None).await
    }

    /// `POST /api/v1{path}` with a JSON body.
    pub async fn post(&self, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
        self.api(client, Method::POST, path, Some(&body)).await
    }

    /// `PUT /api/v1{path}` with a JSON body.
    pub async fn put(&self, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
        self.api(client, Method::PUT, path, Some(&body)).await
    }

    /// `PATCH /api/v1{path}` with a JSON body.
    pub async fn patch(&self, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
        self.api(client, Method::PATCH, path, Some(&body)).await
    }

    /// `DELETE /api/v1{path}`.
    pub async fn delete(&self, client: &Client, path: &str) -> (StatusCode, Value) {
        self.api(client, Method::DELETE, path, None).await
    }

    /// A client without cookies that sends `Authorization: Bearer <token>`
    /// on every request, like `curl -H "Authorization: Bearer ..."`.
    pub fn with_bearer(&self, token: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("header value"));
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, ENGLISH.parse().expect("language header"));
        Client::builder().default_headers(headers).redirect(reqwest::redirect::Policy::none()).build().expect("client")
    }

    /// Calls a server function that takes JSON input (`input = Json`).
    pub async fn server_fn_json(&self, client: &Client, name: &str, body: &Value) -> (StatusCode, Value) {
        let response =
            client.post(self.url(&format!("/fn/{name}"))).json(body).send().await.expect("server fn request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

pub fn password_of(username: &str) -> String {
    format!("{username}-Passw0rd-long")
}
