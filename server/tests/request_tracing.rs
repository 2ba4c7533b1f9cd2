//! Request ids and the logging of internal errors: every answer carries an
//! `x-request-id`, and a database failure is logged once, in the request's
//! span (so with its request id), with its cause, and never sent to the client.

use crate::common;

use app::domain::Role;
use common::TestApp;
use reqwest::StatusCode;
use sqlx::PgPool;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

/// Everything logged in this test binary (info and up), as plain text, and
/// a signal for each write.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>, Arc<Notify>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        self.1.notify_waiters();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per process) a global subscriber writing to the returned buffer.
fn captured_logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter("info,sqlx=warn,tower_sessions=warn")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        logs
    })
    .clone()
}

impl Captured {
    fn lines_with(&self, text: &str) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes).lines().filter(|line| line.contains(text)).map(str::to_string).collect()
    }

    /// The lines with `text` once one of them also has `also` (waiting for
    /// the next write at most 10 s), for what is logged after the answer.
    async fn lines_once(&self, text: &str, also: &str) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let written = self.1.notified();
            let lines = self.lines_with(text);
            if lines.iter().any(|line| line.contains(also)) {
                return lines;
            }
            if tokio::time::timeout_at(deadline, written).await.is_err() {
                panic!("nothing logged with {text:?} and {also:?}: {lines:#?}");
            }
        }
    }
}

fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .expect("an x-request-id header")
        .to_str()
        .expect("a visible request id")
        .to_string()
}

/// One test, its two parts in turn: the second installs the process's log
/// subscriber and breaks a table, and neither may happen while the other
/// part's server is answering (once, with the two as separate tests run at
/// the same time, the first part's requests never got an answer; not
/// explained yet, and not seen where the subscriber is set before any server
/// starts, as `guichet serve` does).
#[sqlx::test]
async fn request_ids_and_logged_database_failures(pool: PgPool) {
    every_answer_has_a_request_id_and_a_client_id_is_kept(pool.clone()).await;
    a_database_failure_is_logged_once_with_the_request_id(pool).await;
}

async fn every_answer_has_a_request_id_and_a_client_id_is_kept(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = app.browser();

    let first = client.get(app.url("/api/v1/auth/me")).send().await.expect("request");
    let second = client.get(app.url("/login")).send().await.expect("request");
    let (first, second) = (request_id(&first), request_id(&second));
    for id in [&first, &second] {
        assert_eq!(id.len(), 36, "a UUID: {id}");
        assert_eq!(id.matches('-').count(), 4, "a UUID: {id}");
    }
    assert_ne!(first, second, "each request gets its own id");

    let echoed = client
        .get(app.url("/api/v1/auth/me"))
        .header("x-request-id", "from-the-load-balancer-42")
        .send()
        .await
        .expect("request");
    assert_eq!(request_id(&echoed), "from-the-load-balancer-42");
}

async fn a_database_failure_is_logged_once_with_the_request_id(pool: PgPool) {
    let logs = captured_logs();
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user("ines", Role::Admin).await;
    let client = app.logged_in("ines").await;
    // Break the table the catalog reads, as a bad migration or a lost database would.
    sqlx::query("alter table categories rename to categories_gone").execute(&pool).await.unwrap();

    // JSON API.
    let response = client.get(app.url("/api/v1/categories")).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = request_id(&response);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "internal");
    assert!(!body.to_string().contains("categories"), "the cause stays on the server: {body}");
    let logged = logs.lines_with(&id);
    let failures: Vec<_> = logged.iter().filter(|line| line.contains("database error")).collect();
    assert_eq!(failures.len(), 1, "logged once, in the request's span: {logged:#?}");
    assert!(failures[0].contains("categories"), "with the cause: {}", failures[0]);
    assert!(failures[0].contains("path=/api/v1/categories"), "with the request: {}", failures[0]);
    assert!(
        logged.iter().any(|line| line.contains("answered") && line.contains("status=500")),
        "the answer is logged with its status: {logged:#?}"
    );

    // Server function, answered with the same error.
    let response = client.post(app.url("/fn/load_catalog")).form(&[("", "")]).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = request_id(&response);
    let body = response.text().await.expect("body");
    assert!(body.contains("internal") && !body.contains("categories"), "no cause in the answer: {body}");
    let failures = logs.lines_with(&id).into_iter().filter(|line| line.contains("database error")).count();
    assert_eq!(failures, 1, "the server function's failure is logged once with its request id");

    // A page rendered on the server, whose resource (a task of its own)
    // meets the same failure: logged in the request's span too, when the
    // page lets go of the error, which may be after the answer.
    let response = client.get(app.url("/admin/catalog")).send().await.expect("request");
    let id = request_id(&response);
    let page = response.text().await.expect("page");
    assert!(!page.contains("does not exist"), "no cause in the page");
    let logged = logs.lines_once(&id, "database error").await;
    let failures = logged.iter().filter(|line| line.contains("database error")).count();
    assert_eq!(failures, 1, "the page's failure is logged once with its request id: {logged:#?}");

    let everything = logs.lines_with("");
    assert!(
        !everything.iter().any(|line| line.contains("guichet_session") || line.contains("Passw0rd")),
        "no cookie or password in the logs"
    );
}
