//! Application errors become tickets (issue 16, items 1 to 4) through the
//! real router and a real PostgreSQL: error projects and their keys; the
//! real Python `sentry-sdk` (from PyPI, installed by `ensure_sentry_sdk` in
//! scripts/lib.sh) pointed at the DSN a test created, raising real
//! exceptions; the plain intake; 20 events at once on two instances; bad
//! input refused with nothing stored. No sleeps: the SDK's `flush()`
//! returns once the server has answered, and a 200 means committed.

use crate::common;

use app::domain::{NotificationKind, Role};
use app::i18n::Language;
use app::services::notifications::{EmailPayload, render_email};
use common::TestApp;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::io::Write;

/// A desk with a client (chloe, the requester of the project's tickets)
/// and an admin, logged in.
struct Desk {
    app: TestApp,
    admin: Client,
    client: Client,
    requester_id: i64,
}

async fn desk(pool: PgPool) -> Desk {
    let app = TestApp::spawn(pool).await;
    let requester = app.create_user("chloe", Role::Requester).await;
    app.create_user("root", Role::Admin).await;
    let (admin, client) = tokio::join!(app.logged_in("root"), app.logged_in("chloe"));
    Desk { app, admin, client, requester_id: requester.id }
}

/// A created project: its id, key and DSN.
struct Project {
    id: i64,
    key: String,
    dsn: String,
}

async fn create_project(desk: &Desk, name: &str, extra: Value) -> Project {
    let mut body = json!({"name": name, "requester": "chloe", "queue": "support"});
    body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let (status, response) = desk.app.post(&desk.admin, "/error-projects", body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    Project {
        id: response["error_project"]["id"].as_i64().unwrap(),
        key: response["key"].as_str().unwrap().to_string(),
        dsn: response["dsn"].as_str().unwrap().to_string(),
    }
}

/// The Python of the virtual environment `ensure_sentry_sdk` makes.
fn python() -> String {
    std::env::var("GUICHET_TEST_PYTHON")
        .unwrap_or_else(|_| format!("{}/../.build/python/bin/python", env!("CARGO_MANIFEST_DIR")))
}

/// A real program using the real SDK: for each value, `int(value)` raises
/// a real `ValueError` in `parse_price`, captured and sent; then `flush()`
/// waits until every event is answered.
const PYTHON_APP: &str = r#"
import sys
import sentry_sdk

sentry_sdk.init(dsn=sys.argv[1], default_integrations=False, auto_enabling_integrations=False,
                traces_sample_rate=0, shutdown_timeout=10)

def parse_price(text):
    return int(text)

def checkout(values):
    for value in values:
        try:
            parse_price(value)
        except ValueError as error:
            sentry_sdk.capture_exception(error)

checkout(sys.argv[2:])
sentry_sdk.flush(timeout=30)
"#;

/// Runs [`PYTHON_APP`], saved as `shop.py` in a directory of its own, with
/// `dsn` and `values`; panics when it fails.
async fn raise_with_sentry_sdk(dsn: &str, values: &[&str]) {
    let python = python();
    assert!(
        std::path::Path::new(&python).exists(),
        "no Python with sentry-sdk at {python}: run `source scripts/lib.sh; ensure_sentry_sdk` (scripts/test does)"
    );
    let directory = std::env::temp_dir().join(format!("guichet-errors-{}-{}", std::process::id(), values.len()));
    std::fs::create_dir_all(&directory).unwrap();
    let script = directory.join("shop.py");
    std::fs::write(&script, PYTHON_APP).unwrap();
    let output =
        tokio::process::Command::new(&python).arg(&script).arg(dsn).args(values).output().await.expect("python runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap()
}

/// One Sentry envelope carrying `event`.
fn envelope(event: &Value) -> Vec<u8> {
    let id = event["event_id"].as_str().unwrap_or("9ec79c33ec9942ab8353589fcb2e04dc");
    format!("{}\n{}\n{}\n", json!({"event_id": id}), json!({"type": "event"}), event).into_bytes()
}

fn javascript_event(message: &str) -> Value {
    json!({
        "platform": "javascript",
        "exception": {"values": [{
            "type": "TypeError",
            "value": message,
            "stacktrace": {"frames": [
                {"filename": "https://shop.example.com/static/js/app.js", "function": "onClick", "lineno": 88, "in_app": true},
                {"filename": "https://shop.example.com/static/js/cart.js", "function": "parsePrice", "lineno": 17, "in_app": true}
            ]}
        }]}
    })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn send_envelope(
    app: &TestApp,
    project: i64,
    auth: Option<&str>,
    body: Vec<u8>,
    encoding: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Client::new()
        .post(app.url(&format!("/api/{project}/envelope/")))
        .header("content-type", "application/x-sentry-envelope")
        .body(body);
    if let Some(key) = auth {
        request =
            request.header("x-sentry-auth", format!("Sentry sentry_key={key}, sentry_version=7, sentry_client=test/1"));
    }
    if let Some(encoding) = encoding {
        request = request.header("content-encoding", encoding);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrations = false)]
async fn three_real_python_exceptions_of_one_shape_open_one_ticket_for_the_client(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let project = create_project(&desk, "Shop", json!({})).await;
    assert!(project.dsn.starts_with(&format!("http://{}@127.0.0.1:", project.key)), "{}", project.dsn);
    assert!(project.dsn.ends_with(&format!("/{}", project.id)));

    // Three different messages of one shape: "invalid literal for int() with base 10: '…'".
    raise_with_sentry_sdk(&project.dsn, &["abc", "12,50", "x9"]).await;

    assert_eq!(scalar(&pool, "select count(*) from error_groups").await, 1, "one group");
    let group =
        sqlx::query!("select id, count, status, title, ticket_id, signature_text, latest_event from error_groups")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(group.count, 3);
    assert_eq!(group.status, "ticketed");
    assert_eq!(group.title, "ValueError: invalid literal for int() with base 10: 'x9'");
    assert!(
        group.signature_text.starts_with("ValueError|invalid literal for int() with base <n>: <quoted>|"),
        "{}",
        group.signature_text
    );
    assert!(group.signature_text.ends_with("shop.py|parse_price|9"), "the top in-app frame: {}", group.signature_text);
    assert_eq!(group.latest_event["sdk"]["name"], "sentry.python");
    assert_eq!(scalar(&pool, "select count(*) from error_events").await, 3);
    assert_eq!(scalar(&pool, "select sum(count)::bigint from error_group_hours").await, 3);

    let ticket = sqlx::query!(
        r#"select t.id, t.subject, t.source::text as "source!", t.priority::text as "priority!", t.requester_id,
            q.slug as queue, t.metadata, t.description
         from tickets t join queues q on q.id = t.queue_id"#
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(Some(ticket.id), group.ticket_id);
    assert_eq!(ticket.subject, "[error] ValueError: invalid literal for int() with base 10: 'x9'");
    assert_eq!((ticket.source.as_str(), ticket.priority.as_str(), ticket.queue.as_str()), ("error", "high", "support"));
    assert_eq!(ticket.requester_id, desk.requester_id);
    assert_eq!(ticket.metadata["error_group"], group.id);
    assert_eq!(ticket.metadata["count"], 3);
    assert!(ticket.metadata["signature"].as_str().unwrap().len() == 64);
    assert!(ticket.metadata["first_seen"].is_string() && ticket.metadata["last_seen"].is_string());
    assert!(ticket.description.contains("parse_price"), "{}", ticket.description);

    // The client sees their ticket; the "error detected" email to them and the admins' notice are queued.
    let (status, tickets) = desk.app.get(&desk.client, "/tickets").await;
    assert_eq!(status, StatusCode::OK, "{tickets}");
    assert_eq!(tickets["tickets"].as_array().map(Vec::len), Some(1), "{tickets}");
    let emails = sqlx::query_scalar!(
        "select payload from outbox where channel = 'email' and kind = 'error_detected' and user_id = $1",
        desk.requester_id
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(emails.len(), 1);
    // The email as the worker renders it: what happened, that it is handled and watched, the ticket's link.
    let payload: EmailPayload = serde_json::from_value(emails[0].clone()).unwrap();
    let email =
        render_email(NotificationKind::ErrorDetected, &payload, "http://desk/tickets/SUP-0001", None, Language::en)
            .unwrap();
    assert!(email.subject.contains("[error] ValueError"), "{}", email.subject);
    assert!(email.text.contains("the same error several times") && email.text.contains("watch"), "{}", email.text);
    assert!(
        email.text.contains("parse_price") && email.text.contains("http://desk/tickets/SUP-0001"),
        "{}",
        email.text
    );
    let admins =
        scalar(&pool, "select count(*) from notification_fan_outs where kind = 'error_detected' and role = 'admin'")
            .await;
    assert_eq!(admins, 1);

    // A fourth occurrence updates the group and the ticket's metadata, and opens nothing more.
    raise_with_sentry_sdk(&project.dsn, &["again"]).await;
    assert_eq!(scalar(&pool, "select count(*) from tickets").await, 1);
    let metadata = sqlx::query_scalar!("select metadata from tickets").fetch_one(&pool).await.unwrap();
    assert_eq!(metadata["count"], 4);
}

#[sqlx::test(migrations = false)]
async fn two_real_python_exceptions_open_no_ticket(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let project = create_project(&desk, "Shop", json!({})).await;
    raise_with_sentry_sdk(&project.dsn, &["abc", "def"]).await;
    let group = sqlx::query!("select count, status, ticket_id from error_groups").fetch_one(&pool).await.unwrap();
    assert_eq!((group.count, group.status.as_str(), group.ticket_id), (2, "unresolved", None));
    assert_eq!(scalar(&pool, "select count(*) from tickets").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_plain_intake_groups_and_opens_a_ticket_at_the_threshold(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let project = create_project(&desk, "Gîtes", json!({"threshold_count": 2, "priority": "urgent"})).await;
    let send = |key: Option<String>, body: Value| {
        let url = desk.app.url("/api/v1/errors");
        async move {
            let mut request = Client::new().post(url).json(&body);
            if let Some(key) = key {
                request = request.header("x-guichet-key", key);
            }
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let stack = "TypeError: Cannot read properties of undefined (reading 'price')\n    at parsePrice (https://gites.example.com/js/cart.js:17:23)\n    at https://gites.example.com/node_modules/lib.js:1:1";
    let (status, body) = send(Some(project.key.clone()), json!({"message": "Cannot read properties of undefined (reading 'price')", "type": "TypeError", "stack": stack})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"].as_str().map(str::len), Some(32));
    assert_eq!(scalar(&pool, "select count(*) from tickets").await, 0);
    let (status, body) = send(Some(project.key.clone()), json!({"message": "Cannot read properties of undefined (reading 'total')", "type": "TypeError", "stack": stack, "tags": {"page": "cart"}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let group =
        sqlx::query!("select count, signature_text, ticket_id from error_groups").fetch_one(&pool).await.unwrap();
    assert_eq!(group.count, 2);
    assert_eq!(
        group.signature_text,
        "TypeError|Cannot read properties of undefined (reading <quoted>)|https://gites.example.com/js/cart.js|parsePrice|17"
    );
    let priority = sqlx::query_scalar!(
        r#"select priority::text as "priority!" from tickets where id = $1"#,
        group.ticket_id.unwrap()
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(priority, "urgent");

    // Later occurrences: a system message at most once an hour ("occurred N more times").
    let again =
        json!({"message": "Cannot read properties of undefined (reading 'qty')", "type": "TypeError", "stack": stack});
    let (status, _) = send(Some(project.key.clone()), again.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(scalar(&pool, "select count(*) from messages where kind = 'system'").await, 0, "within the hour");
    sqlx::query!("update error_groups set reported_at = reported_at - interval '61 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, _) = send(Some(project.key.clone()), again.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(Some(project.key.clone()), again.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let messages = sqlx::query!("select body from messages where kind = 'system'").fetch_all(&pool).await.unwrap();
    assert_eq!(messages.len(), 1, "one an hour");
    assert!(
        messages[0].body.starts_with("L’erreur est survenue 2 fois de plus"),
        "the desk's language: {}",
        messages[0].body
    );
    let recurred = sqlx::query_scalar!("select data from ticket_events where action = 'error_recurred'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recurred["occurrences"], 2);

    // Refusals: no key, a wrong key, bad fields; nothing more is stored.
    let (status, body) = send(None, json!({"message": "x"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = send(Some("0".repeat(32)), json!({"message": "x"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = send(Some(project.key.clone()), json!({"message": "", "tags": {"a\u{0}": "b"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["message"].is_string() && body["error"]["fields"]["tags"].is_string(), "{body}");
    assert_eq!(scalar(&pool, "select sum(count)::bigint from error_groups").await, 5);
}

#[sqlx::test(migrations = false)]
async fn twenty_identical_events_at_once_on_two_instances_open_exactly_one_ticket(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let second = TestApp::spawn_beside(&desk.app, pool.clone()).await;
    let project = create_project(&desk, "Shop", json!({})).await;
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let mut tasks = Vec::new();
    for index in 0..20 {
        let url = if index % 2 == 0 { &desk.app } else { &second }.url(&format!("/api/{}/envelope/", project.id));
        let (key, start) = (project.key.clone(), start.clone());
        let mut event = javascript_event("Cannot read properties of undefined (reading 'price')");
        event["event_id"] = json!(format!("{index:032x}"));
        let body = gzip(&envelope(&event));
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let response = Client::new()
                .post(url)
                .header("x-sentry-auth", format!("Sentry sentry_key={key}, sentry_version=7"))
                .header("content-encoding", "gzip")
                .body(body)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }));
    }
    for (index, task) in tasks.into_iter().enumerate() {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["id"], format!("{index:032x}"));
    }
    assert_eq!(scalar(&pool, "select count(*) from tickets").await, 1, "exactly one ticket");
    assert_eq!(scalar(&pool, "select count from error_groups").await, 20);
    let metadata = sqlx::query_scalar!("select metadata from tickets").fetch_one(&pool).await.unwrap();
    assert_eq!(metadata["count"], 20, "the last occurrence updated the ticket's metadata");
}

/// A refused intake request: its name, the status expected, the key sent,
/// the project of the path, the body and its `Content-Encoding`.
type BadCase<'case> = (&'case str, StatusCode, Option<&'case str>, i64, Vec<u8>, Option<&'case str>);

#[sqlx::test(migrations = false)]
async fn bad_input_gets_a_clear_4xx_and_stores_nothing(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    let project = create_project(&desk, "Shop", json!({"threshold_count": 1})).await;
    let other = create_project(&desk, "Blog", json!({})).await;
    let inactive = create_project(&desk, "Old", json!({"active": false})).await;
    let good = envelope(&javascript_event("boom"));
    let key = Some(project.key.as_str());

    let cases: Vec<BadCase> = vec![
        ("no key", StatusCode::UNAUTHORIZED, None, project.id, good.clone(), None),
        (
            "wrong key",
            StatusCode::UNAUTHORIZED,
            Some("0123456789abcdef0123456789abcdef"),
            project.id,
            good.clone(),
            None,
        ),
        ("other project's key", StatusCode::FORBIDDEN, Some(other.key.as_str()), project.id, good.clone(), None),
        ("inactive project", StatusCode::FORBIDDEN, Some(inactive.key.as_str()), inactive.id, good.clone(), None),
        ("malformed envelope", StatusCode::BAD_REQUEST, key, project.id, b"{not json\n".to_vec(), None),
        (
            "truncated envelope",
            StatusCode::BAD_REQUEST,
            key,
            project.id,
            b"{}\n{\"type\":\"event\",\"length\":500}\n{\"message\":\"cut".to_vec(),
            None,
        ),
        ("truncated gzip", StatusCode::BAD_REQUEST, key, project.id, gzip(&good)[..25].to_vec(), Some("gzip")),
        ("gzip bomb", StatusCode::PAYLOAD_TOO_LARGE, key, project.id, gzip(&vec![b' '; 64 << 20]), Some("gzip")),
        (
            "invalid UTF-8",
            StatusCode::BAD_REQUEST,
            key,
            project.id,
            [b"{}\n{\"type\":\"event\"}\n{\"message\":\"".as_slice(), b"\xff\xfe\xfd", b"\"}\n"].concat(),
            None,
        ),
        ("over 1 MiB", StatusCode::PAYLOAD_TOO_LARGE, key, project.id, vec![b' '; (1 << 20) + 1], None),
        (
            "deeply nested extra",
            StatusCode::BAD_REQUEST,
            key,
            project.id,
            format!("{{}}\n{{\"type\":\"event\"}}\n{{\"extra\":{}{}}}\n", "[".repeat(5_000), "]".repeat(5_000))
                .into_bytes(),
            None,
        ),
        ("unknown encoding", StatusCode::BAD_REQUEST, key, project.id, good.clone(), Some("br")),
    ];
    for (name, expected, auth, project_id, body, encoding) in cases {
        let (status, response) = send_envelope(&desk.app, project_id, auth, body, encoding).await;
        assert_eq!(status, expected, "{name}: {response}");
        assert!(response["error"]["message"].as_str().is_some_and(|message| !message.is_empty()), "{name}: {response}");
    }
    assert_eq!(scalar(&pool, "select count(*) from error_groups").await, 0, "nothing stored");
    assert_eq!(scalar(&pool, "select count(*) from error_events").await, 0);
    assert_eq!(scalar(&pool, "select count(*) from tickets").await, 0);

    // 10,000 frames are accepted, trimmed; ?sentry_key= works like the header; /store/ too.
    let frames: Vec<Value> = (0..10_000)
        .map(|line| json!({"filename": "app.py", "function": "recurse", "lineno": line, "in_app": true}))
        .collect();
    let deep = json!({"exception": {"values": [{"type": "RecursionError", "value": "maximum recursion depth exceeded", "stacktrace": {"frames": frames}}]}});
    let response = Client::new()
        .post(desk.app.url(&format!("/api/{}/store/?sentry_key={}", project.id, project.key)))
        .body(deep.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stored = sqlx::query_scalar!("select latest_event from error_groups").fetch_one(&pool).await.unwrap();
    assert_eq!(stored["exception"]["values"][0]["stacktrace"]["frames"].as_array().map(Vec::len), Some(250));
    assert_eq!(scalar(&pool, "select count(*) from tickets").await, 1, "threshold 1");
}

#[sqlx::test(migrations = false)]
async fn admins_manage_error_projects_and_a_rotated_key_stops_at_once(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    // Only admins.
    let (status, _) = desk.app.get(&desk.client, "/error-projects").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = desk
        .app
        .post(&desk.client, "/error-projects", json!({"name": "x", "requester": "chloe", "queue": "support"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Field errors, all at once.
    let (status, body) = desk
        .app
        .post(
            &desk.admin,
            "/error-projects",
            json!({"name": "", "requester": "nobody", "queue": "nowhere", "threshold_count": 0,
                   "threshold_window_minutes": 0, "watch_hours": 10_000}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["name", "requester", "queue", "threshold_count", "threshold_window_minutes", "watch_hours"] {
        assert!(body["error"]["fields"][field].is_string(), "{field}: {body}");
    }
    let project = create_project(&desk, "Shop", json!({})).await;
    let (status, body) = desk
        .app
        .post(&desk.admin, "/error-projects", json!({"name": "Shop", "requester": "chloe", "queue": "support"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["fields"]["name"].is_string());

    let (status, body) = desk
        .app
        .put(
            &desk.admin,
            &format!("/error-projects/{}", project.id),
            json!({"name": "Shop EU", "requester": "chloe", "queue": "support", "threshold_count": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["error_project"]["threshold_count"], 5);
    let (status, body) = desk.app.get(&desk.admin, "/error-projects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["error_projects"][0]["name"], "Shop EU");
    assert!(body.to_string().find(&project.key).is_none(), "the key is never listed");

    let good = envelope(&javascript_event("boom"));
    let (status, _) = send_envelope(&desk.app, project.id, Some(&project.key), good.clone(), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, rotated) = desk.app.post(&desk.admin, &format!("/error-projects/{}/key", project.id), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_key = rotated["key"].as_str().unwrap();
    assert_ne!(new_key, project.key);
    assert!(rotated["dsn"].as_str().unwrap().contains(new_key));
    let (status, _) = send_envelope(&desk.app, project.id, Some(&project.key), good.clone(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old key stops at once");
    let (status, _) = send_envelope(&desk.app, project.id, Some(new_key), good, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = desk.app.post(&desk.admin, "/error-projects/999999/key", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
