//! No input makes the server answer 5xx (issue 20, item 3): the Big List of
//! Naughty Strings (tests/data/blns.json, MIT, see tests/data/README.md) plus
//! NUL and other control characters and over-long text, in every text field
//! of every REST endpoint and server function, and values of the wrong type
//! (`abc` or 10^20 as ids, numbers for text, multipart and oversized bodies).

mod common;

use app::domain::Role;
use app::services::Settings;
use common::TestApp;
use futures_util::{StreamExt, stream};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

/// The naughty strings, then the ones the probe found the server weakest on.
fn naughty_strings() -> Vec<String> {
    let mut strings: Vec<String> =
        serde_json::from_str(include_str!("data/blns.json")).expect("tests/data/blns.json is a JSON array");
    strings.extend(
        [
            "abc",
            "100000000000000000000",
            "-1",
            "a\0b",
            "\0",
            "\u{1}\u{2}\u{7f}",
            "\u{1b}[31mred\u{1b}[0m",
            "line\r\nbreak",
            "\u{feff}bom",
            "\u{202e}rtl",
        ]
        .map(String::from),
    );
    strings.push("x".repeat(3_000));
    strings.push("é".repeat(3_000));
    strings
}

/// Where a request goes: a REST endpoint (`/api/v1` + path) with a JSON body,
/// a REST list read from the query string, a form-encoded server function, or
/// one taking JSON.
#[derive(Clone, Copy)]
enum Target {
    Rest(&'static str, &'static str),
    RestQuery(&'static str),
    Function(&'static str),
    FunctionJson(&'static str),
}

/// One endpoint: its valid input, and the fields that get each naughty string.
struct Case {
    target: Target,
    valid: Value,
    fields: &'static [&'static str],
}

fn case(target: Target, valid: Value, fields: &'static [&'static str]) -> Case {
    Case { target, valid, fields }
}

/// Sends `input` to `target` as `client`; the status, and the body for the report.
async fn send(app: &TestApp, client: &Client, target: Target, input: &Value) -> (StatusCode, String) {
    let request = match target {
        Target::Rest(method, path) => client
            .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(&format!("/api/v1{path}")))
            .json(input),
        Target::RestQuery(path) => {
            let pairs: Vec<(String, String)> = input
                .as_object()
                .unwrap()
                .iter()
                .map(|(key, value)| (key.clone(), value.as_str().map_or_else(|| value.to_string(), String::from)))
                .collect();
            client.get(app.url(&format!("/api/v1{path}"))).query(&pairs)
        }
        Target::Function(name) => {
            let pairs: Vec<(String, String)> = input
                .as_object()
                .unwrap()
                .iter()
                .map(|(key, value)| (key.clone(), value.as_str().map_or_else(|| value.to_string(), String::from)))
                .collect();
            client.post(app.url(&format!("/fn/{name}"))).form(&pairs)
        }
        Target::FunctionJson(name) => client.post(app.url(&format!("/fn/{name}"))).json(input),
    };
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

/// Every naughty string in every field of every case, then each field as a
/// number, a boolean, an array, an object and null (JSON targets); returns a
/// line per 5xx answer.
async fn five_hundreds(app: &TestApp, client: &Client, cases: &[Case]) -> Vec<String> {
    let strings = naughty_strings();
    let mut inputs = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        for field in case.fields {
            for text in &strings {
                let mut input = case.valid.clone();
                set(&mut input, field, Value::String(text.clone()));
                inputs.push((index, field.to_string(), input));
            }
            if matches!(case.target, Target::Rest(..) | Target::FunctionJson(_)) {
                for wrong in [
                    serde_json::from_str::<Value>("100000000000000000000").unwrap(),
                    json!(true),
                    json!([1]),
                    json!({"a": 1}),
                    Value::Null,
                ] {
                    let mut input = case.valid.clone();
                    set(&mut input, field, wrong);
                    inputs.push((index, field.to_string(), input));
                }
            }
        }
    }
    stream::iter(inputs)
        .map(|(index, field, input)| async move {
            let (status, body) = send(app, client, cases[index].target, &input).await;
            status.is_server_error().then(|| {
                let shown: String = input.to_string().chars().take(200).collect();
                format!("{status} {} [{field}] {shown}: {}", describe(cases[index].target), body)
            })
        })
        .buffer_unordered(8)
        .filter_map(|line| async move { line })
        .collect()
        .await
}

/// Sets `field` (`a.b` for a nested object) of `input`.
fn set(input: &mut Value, field: &str, value: Value) {
    match field.split_once('.') {
        Some((outer, inner)) => input[outer][inner] = value,
        None => input[field] = value,
    }
}

fn describe(target: Target) -> String {
    match target {
        Target::Rest(method, path) => format!("{method} /api/v1{path}"),
        Target::RestQuery(path) => format!("GET /api/v1{path}"),
        Target::Function(name) | Target::FunctionJson(name) => format!("POST /fn/{name}"),
    }
}

/// A server where no throttle gets in the way of sending thousands of log-ins.
async fn spawn(pool: PgPool) -> TestApp {
    let settings = Settings {
        login_failures_per_account: 1_000_000,
        login_failures_per_address: 1_000_000,
        login_slowdown_after: 1_000_000,
        ..Settings::default()
    };
    let app = TestApp::spawn_with(pool, settings).await;
    app.create_user("admin", Role::Admin).await;
    app
}

#[sqlx::test(migrations = false)]
async fn naughty_strings_and_wrong_types_never_give_a_5xx_on_accounts_catalog_tokens_drafts_and_lists(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.logged_in("admin").await;
    let strings = &["username", "email", "password", "discord_username", "discord_id"];
    let list = &["q", "queue", "category", "priority", "assignee", "sort", "cursor", "status"];
    let cases = [
        case(
            Target::Rest("POST", "/auth/register"),
            json!({"username": "someone", "email": "someone@example.test", "password": "correct horse battery",
                   "discord_username": "someone", "discord_id": "1234"}),
            strings,
        ),
        case(Target::Rest("POST", "/auth/login"), json!({"login": "nobody", "password": "wrong one"}), &["login"]),
        case(Target::Rest("PUT", "/users/1/role"), json!({"role": "admin"}), &["role"]),
        case(
            Target::Rest("POST", "/queues"),
            json!({"slug": "billing", "name": "Billing", "prefix": "BIL", "color": "#123456"}),
            &["slug", "name", "prefix", "color", "open_ticket_limit"],
        ),
        case(Target::Rest("PUT", "/queues/1"), json!({"name": "Support", "color": "#5865f2"}), &["name", "color"]),
        case(Target::Rest("POST", "/categories"), json!({"slug": "billing", "name": "Billing"}), &["slug", "name"]),
        case(Target::Rest("PUT", "/categories/1"), json!({"name": "General"}), &["name", "active"]),
        case(
            Target::Rest("POST", "/tokens"),
            json!({"name": "script", "scope": "read"}),
            &["name", "scope", "expires_in_days"],
        ),
        case(Target::RestQuery("/tickets"), json!({}), list),
        case(
            Target::Function("register"),
            json!({"username": "someone", "email": "someone@example.test", "password": "correct horse battery"}),
            strings,
        ),
        case(Target::Function("log_in"), json!({"login": "nobody", "password": "wrong one"}), &["login"]),
        case(Target::Function("list_users"), json!({"search": ""}), &["search", "after"]),
        case(Target::Function("set_user_role"), json!({"user_id": "1", "role": "admin"}), &["user_id", "role"]),
        case(
            Target::Function("create_queue"),
            json!({"slug": "billing", "name": "Billing", "prefix": "BIL", "color": "#123456"}),
            &["slug", "name", "prefix", "color", "open_ticket_limit"],
        ),
        case(
            Target::Function("update_queue"),
            json!({"id": "1", "name": "Support", "color": "#5865f2"}),
            &["id", "name", "color"],
        ),
        case(Target::Function("create_category"), json!({"slug": "billing", "name": "Billing"}), &["slug", "name"]),
        case(Target::Function("update_category"), json!({"id": "1", "name": "General"}), &["id", "name", "active"]),
        case(Target::Function("delete_category"), json!({"id": "999"}), &["id"]),
        case(Target::Function("create_api_token"), json!({"name": "script"}), &["name", "scope", "expires_in_days"]),
        case(Target::Function("delete_api_token"), json!({"id": "999"}), &["id"]),
        case(Target::Function("get_draft"), json!({"form": "new_ticket"}), &["form"]),
        case(
            Target::FunctionJson("save_draft"),
            json!({"form": "new_ticket", "content": {"subject": "Hello"}}),
            &["form", "content.subject", "content"],
        ),
        case(
            Target::FunctionJson("list_tickets"),
            json!({"query": {}}),
            &["query.q", "query.queue", "query.cursor", "query.status", "query.limit", "query"],
        ),
    ];
    let mut failures = five_hundreds(&app, &admin, &cases).await;

    // Ids that are no ids, in paths.
    for path in ["/queues/abc", "/queues/100000000000000000000", "/categories/-1", "/users/abc/role", "/tokens/1e3"] {
        for method in [Method::PUT, Method::DELETE] {
            let (status, body) =
                app.api(&admin, method.clone(), path, Some(&json!({"name": "x", "role": "agent"}))).await;
            if status.is_server_error() {
                failures.push(format!("{status} {method} {path}: {body}"));
            }
        }
    }
    // Bodies a server function cannot read: multipart, JSON where a form is
    // expected, the wrong JSON types, and more than the body limit (2 MiB).
    let oversized = "x".repeat(3 * 1024 * 1024);
    let part = reqwest::multipart::Form::new().text("name", "script");
    let requests = [
        ("multipart", admin.post(app.url("/fn/create_api_token")).multipart(part)),
        ("json to a form fn", admin.post(app.url("/fn/create_api_token")).json(&json!({"name": 1}))),
        ("wrong json types", admin.post(app.url("/fn/save_draft")).json(&json!({"form": 5, "content": "x"}))),
        ("not json", admin.post(app.url("/fn/list_tickets")).header("content-type", "application/json").body("{")),
        ("oversized form", admin.post(app.url("/fn/create_api_token")).form(&[("name", oversized.as_str())])),
        (
            "oversized json",
            admin
                .post(app.url("/fn/save_draft"))
                .json(&json!({"form": "new_ticket", "content": {"subject": oversized}})),
        ),
        ("no body", admin.post(app.url("/fn/delete_api_token"))),
    ];
    for (label, request) in requests {
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        if status.is_server_error() || !matches!(status.as_u16(), 400 | 413 | 422) {
            failures.push(format!("{status} {label}: {}", body.chars().take(300).collect::<String>()));
        } else {
            let error: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if error["code"].as_str().is_none() {
                failures.push(format!("{status} {label}: not the usual error body: {body}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} answer(s) were 5xx or not 4xx:\n{}", failures.len(), failures.join("\n"));
}

/// The ticket, message, escalation, notification and webhook endpoints,
/// whose text checks live in services/tickets.rs and notifications.rs.
#[sqlx::test(migrations = false)]
async fn naughty_strings_and_wrong_types_never_give_a_5xx_on_tickets_messages_escalations_and_webhooks(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.logged_in("admin").await;
    let (status, body) = app
        .post(
            &admin,
            "/tickets",
            json!({"queue": "support", "category": "general_inquiry", "priority": "medium",
                   "subject": "Target", "description": "A ticket to aim at."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ticket = json!({"queue": "support", "category": "general_inquiry", "priority": "medium",
                        "subject": "Hello", "description": "Some details."});
    let cases = [
        case(
            Target::Rest("POST", "/tickets"),
            ticket.clone(),
            &["queue", "category", "priority", "subject", "description", "metadata"],
        ),
        case(Target::Rest("POST", "/tickets/1/messages"), json!({"body": "Thanks", "kind": "note"}), &["body", "kind"]),
        case(Target::Rest("PUT", "/tickets/1/status"), json!({"status": "pending"}), &["status"]),
        case(
            Target::Rest("PATCH", "/tickets/1"),
            json!({"priority": "high", "category": "general_inquiry"}),
            &["priority", "category"],
        ),
        case(Target::Rest("POST", "/tickets/1/assign"), json!({"agent_id": 1}), &["agent_id"]),
        case(Target::Rest("POST", "/tickets/1/escalate"), json!({"reason": "Urgent"}), &["reason"]),
        case(
            Target::Rest("POST", "/admin/webhooks"),
            json!({"queue": "support", "name": "Ops", "url": "https://discord.com/api/webhooks/1/abc"}),
            &["queue", "name", "url"],
        ),
        case(Target::Rest("POST", "/notifications/read"), json!({"id": 1}), &["id"]),
        case(Target::Function("create_ticket"), ticket, &["queue", "category", "priority", "subject", "description"]),
        case(Target::Function("add_message"), json!({"key": "1", "body": "Thanks"}), &["key", "body", "kind"]),
        case(Target::Function("change_status"), json!({"key": "1", "status": "pending"}), &["key", "status"]),
        case(
            Target::Function("update_ticket"),
            json!({"key": "1", "priority": "high"}),
            &["key", "priority", "category"],
        ),
        case(Target::Function("assign_ticket"), json!({"key": "1", "agent_id": "1"}), &["key", "agent_id"]),
        case(Target::Function("escalate_ticket"), json!({"key": "1", "reason": "Urgent"}), &["key", "reason"]),
        case(Target::Function("get_ticket"), json!({"key": "1"}), &["key"]),
        case(
            Target::Function("create_discord_webhook"),
            json!({"queue": "support", "name": "Ops", "url": "https://discord.com/api/webhooks/1/abc"}),
            &["queue", "name", "url"],
        ),
        case(Target::Function("mark_notification_read"), json!({"id": "1"}), &["id"]),
    ];
    let failures = five_hundreds(&app, &admin, &cases).await;
    assert!(failures.is_empty(), "{} answer(s) were 5xx:\n{}", failures.len(), failures.join("\n"));
}
