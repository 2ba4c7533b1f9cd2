//! No input makes the server answer 5xx (issue 20, item 3): the Big List of
//! Naughty Strings (tests/data/blns.json, MIT, see tests/data/README.md) plus
//! NUL and other control characters and over-long text, in every text field
//! of every REST endpoint and server function, and values of the wrong type
//! (`abc` or 10^20 as ids, numbers for text, multipart and oversized bodies).
//! `every_server_function_has_a_naughty_case` reads the `#[server]`
//! functions from app/src/functions/ and fails for one without a case here.

use crate::common;

use app::domain::Role;
use app::services::{SecretKey, Settings};
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
/// a REST list read from the query string, a REST path whose `{id}` is the
/// input's `id` (percent-encoded; the rest of the input is the JSON body), a
/// form-encoded server function, or one taking JSON.
#[derive(Clone, Copy)]
enum Target {
    Rest(&'static str, &'static str),
    RestQuery(&'static str),
    RestPath(&'static str, &'static str),
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
        Target::RestPath(method, template) => {
            let mut body = input.clone();
            let id = body.as_object_mut().unwrap().remove("id").unwrap_or(Value::Null);
            let id = id.as_str().map_or_else(|| id.to_string(), String::from);
            let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
            let path = template.replace("{id}", &encoded);
            client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(&format!("/api/v1{path}")))
                .json(&body)
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

/// Sets `field` of `input`: `a.b` for a nested object, `a.0.b` through an array.
fn set(input: &mut Value, field: &str, value: Value) {
    let mut target = input;
    for part in field.split('.') {
        target = match part.parse::<usize>() {
            Ok(index) if target.is_array() => &mut target[index],
            _ => &mut target[part],
        };
    }
    *target = value;
}

fn describe(target: Target) -> String {
    match target {
        Target::Rest(method, path) | Target::RestPath(method, path) => format!("{method} /api/v1{path}"),
        Target::RestQuery(path) => format!("GET /api/v1{path}"),
        Target::Function(name) | Target::FunctionJson(name) => format!("POST /fn/{name}"),
    }
}

/// A server where no throttle gets in the way of sending thousands of
/// log-ins, with a secret key so two-factor set-up goes past its first check.
async fn spawn(pool: PgPool) -> TestApp {
    let settings = Settings {
        login_failures_per_account: 1_000_000,
        login_failures_per_address: 1_000_000,
        login_slowdown_after: 1_000_000,
        secret_key: SecretKey::from_text("naughty input"),
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
    // A set-up waiting for its first code, for the confirmation cases.
    let (status, body) = app.post(&admin, "/me/two-factor/enrolment", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut failures = five_hundreds(&app, &admin, &account_and_catalog_cases()).await;
    // Log-in steps as someone not logged in: a second factor refused must
    // not end the admin's session the other cases use.
    failures.extend(five_hundreds(&app, &app.browser(), &log_in_cases()).await);

    // Ids that are no ids, in paths.
    for path in [
        "/queues/abc",
        "/queues/100000000000000000000",
        "/categories/-1",
        "/users/abc/role",
        "/tokens/1e3",
        "/business-calendars/abc",
        "/sla-policies/100000000000000000000",
    ] {
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

/// The ticket, message, escalation, activity, statistics, notification,
/// outbox and webhook endpoints, whose text checks live in
/// services/tickets.rs, ticket_lists.rs, presence.rs and notifications/.
#[sqlx::test(migrations = false)]
async fn naughty_strings_and_wrong_types_never_give_a_5xx_on_tickets_messages_notifications_and_webhooks(pool: PgPool) {
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
    let (status, body) = app
        .post(
            &admin,
            "/admin/webhooks",
            json!({"queue": "support", "name": "Target", "url": "https://discord.com/api/webhooks/1/abc",
                   "kinds": ["ticket_created"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["webhook"]["id"], 1, "{body}");
    let failures = five_hundreds(&app, &admin, &ticket_and_notification_cases()).await;
    assert!(failures.is_empty(), "{} answer(s) were 5xx:\n{}", failures.len(), failures.join("\n"));
}

/// A path segment or query value the handler cannot read answers 400 in the
/// API's error format (`{"error": {"code", "message", "fields"}}`), not
/// axum's plain-text rejection.
#[sqlx::test(migrations = false)]
async fn unreadable_path_and_query_values_answer_the_usual_error_body(pool: PgPool) {
    let app = spawn(pool).await;
    let admin = app.logged_in("admin").await;
    let name = json!({"name": "Support", "color": "#5865f2"});
    for (method, path, body) in [
        (Method::PUT, "/queues/abc", Some(&name)),
        (Method::PUT, "/queues/100000000000000000000", Some(&name)),
        (Method::DELETE, "/tokens/1e3", None),
        (Method::POST, "/admin/outbox/x/retry", None),
        (Method::DELETE, "/users/abc/two-factor", None),
        (Method::GET, "/tickets/%FF", None),
        (Method::GET, "/notifications?unread=x", None),
        (Method::GET, "/notifications?unread=%00", None),
    ] {
        let (status, answer) = app.api(&admin, method.clone(), path, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_request", "{method} {path}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{method} {path}: {answer}");
        assert!(answer["error"]["fields"].is_object(), "{method} {path}: {answer}");
    }
}

/// Accounts, users, queues, categories, tokens, drafts, lists, the viewer's
/// settings, notification preferences and two-factor set-up, as the admin.
fn account_and_catalog_cases() -> Vec<Case> {
    let strings = &["username", "email", "password", "discord_username", "discord_id"];
    let list = &["q", "queue", "category", "priority", "assignee", "sort", "cursor", "status"];
    let preferences = json!({"preferences": [{"kind": "ticket_created", "email": true, "in_app": false}]});
    let preference_fields = &["preferences", "preferences.0.kind", "preferences.0.email", "preferences.0.in_app"];
    let choices = json!({"kinds[0]": "ticket_created", "email[0]": "ticket_created", "in_app[0]": "ticket_created"});
    let choice_fields = &["kinds[0]", "email[0]", "in_app[0]"];
    let mut cases = vec![
        case(
            Target::Rest("POST", "/auth/register"),
            json!({"username": "someone", "email": "someone@example.test", "password": "correct horse battery",
                   "discord_username": "someone", "discord_id": "1234"}),
            strings,
        ),
        case(Target::Rest("PUT", "/users/1/role"), json!({"role": "admin"}), &["role"]),
        case(
            Target::Rest("POST", "/queues"),
            json!({"slug": "billing", "name": "Billing", "prefix": "BIL", "color": "#123456"}),
            &["slug", "name", "prefix", "color", "open_ticket_limit"],
        ),
        case(
            Target::Rest("PUT", "/queues/1"),
            json!({"name": "Support", "color": "#5865f2", "open_ticket_limit": 3, "active": true}),
            &["name", "color", "open_ticket_limit", "active"],
        ),
        case(
            Target::Rest("POST", "/categories"),
            json!({"slug": "billing", "name": "Billing", "queues": ["support"]}),
            &["slug", "name", "queues"],
        ),
        case(
            Target::RestPath("PUT", "/queues/{id}/categories"),
            json!({"id": "1", "categories": ["general_inquiry"], "default_category": "general_inquiry"}),
            &["id", "categories", "default_category"],
        ),
        case(Target::Rest("PUT", "/categories/1"), json!({"name": "General"}), &["name", "active"]),
        case(
            Target::Rest("POST", "/tokens"),
            json!({"name": "script", "scope": "read"}),
            &["name", "scope", "expires_in_days"],
        ),
        case(Target::RestQuery("/tickets"), json!({}), list),
        case(Target::RestPath("GET", "/tickets/{id}"), json!({"id": "1"}), &["id"]),
        case(
            Target::Rest("PUT", "/me/settings"),
            json!({"language": "en", "time_zone": "UTC"}),
            &["language", "time_zone"],
        ),
        case(Target::Rest("PUT", "/notifications/preferences"), preferences.clone(), preference_fields),
        case(Target::Rest("PUT", "/admin/notifications/defaults"), preferences, preference_fields),
        case(Target::Rest("POST", "/me/two-factor/confirm"), json!({"code": "123456"}), &["code"]),
        case(Target::Rest("POST", "/me/two-factor/recovery-codes"), json!({"confirmation": "x"}), &["confirmation"]),
        case(Target::Rest("POST", "/me/two-factor/disable"), json!({"confirmation": "x"}), &["confirmation"]),
        case(Target::RestPath("DELETE", "/users/{id}/two-factor"), json!({"id": "1"}), &["id"]),
        case(
            Target::Function("register"),
            json!({"username": "someone", "email": "someone@example.test", "password": "correct horse battery"}),
            strings,
        ),
        case(Target::Function("list_users"), json!({"search": ""}), &["search", "after"]),
        case(Target::Function("set_user_role"), json!({"user_id": "1", "role": "admin"}), &["user_id", "role"]),
        case(
            Target::Function("create_queue"),
            json!({"slug": "billing", "name": "Billing", "prefix": "BIL", "color": "#123456"}),
            &["slug", "name", "prefix", "color", "open_ticket_limit"],
        ),
        case(
            Target::Function("update_queue"),
            json!({"id": "1", "name": "Support", "color": "#5865f2", "open_ticket_limit": "3", "active": "true"}),
            &["id", "name", "color", "open_ticket_limit", "active"],
        ),
        case(
            Target::Function("create_category"),
            json!({"slug": "billing", "name": "Billing", "queues[]": "support"}),
            &["slug", "name", "queues[]"],
        ),
        case(
            Target::Function("set_queue_categories"),
            json!({"id": "1", "categories[]": "general_inquiry", "default_category": "general_inquiry"}),
            &["id", "categories[]", "default_category"],
        ),
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
        case(Target::Function("set_language"), json!({"language": "en"}), &["language"]),
        case(
            Target::Function("save_viewer_settings"),
            json!({"language": "en", "time_zone": "UTC"}),
            &["language", "time_zone"],
        ),
        case(Target::Function("save_notification_preferences"), choices.clone(), choice_fields),
        case(Target::Function("save_default_notification_preferences"), choices, choice_fields),
        case(Target::Function("confirm_two_factor"), json!({"code": "123456"}), &["code"]),
        case(Target::Function("regenerate_recovery_codes"), json!({"confirmation": "x"}), &["confirmation"]),
        case(Target::Function("disable_two_factor"), json!({"confirmation": "x"}), &["confirmation"]),
        case(Target::Function("reset_two_factor"), json!({"user_id": "1"}), &["user_id"]),
    ];
    cases.extend(service_level_cases());
    cases
}

/// Business calendars and SLA policies (services/service_levels/), REST and
/// the admin page's functions; calendar 1 exists once the first POST ran.
fn service_level_cases() -> Vec<Case> {
    let calendar = json!({"name": "Office", "time_zone": "Europe/Paris",
                          "hours": {"mon": [["09:00", "18:00"]]}, "holidays": ["2026-12-25"]});
    let calendar_fields = &[
        "name",
        "time_zone",
        "hours",
        "hours.mon",
        "hours.mon.0",
        "hours.mon.0.0",
        "hours.mon.0.1",
        "holidays",
        "holidays.0",
    ];
    let mut calendar_update = calendar.clone();
    calendar_update["id"] = json!("1");
    let policy = json!({"name": "Urgent", "queue": "support", "priority": "urgent", "first_response_minutes": 60,
                        "resolution_minutes": 480, "calendar_id": null, "position": 0});
    let policy_fields =
        &["name", "queue", "priority", "first_response_minutes", "resolution_minutes", "calendar_id", "position"];
    let mut policy_update = policy.clone();
    policy_update["id"] = json!("1");
    let calendar_form = json!({"name": "Office", "time_zone": "Europe/Paris", "mon": "09:00-12:00, 14:00-18:00",
                               "sun": "00:00-24:00", "holidays": "2026-12-25"});
    let calendar_form_fields = &["name", "time_zone", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "holidays"];
    let mut calendar_form_update = calendar_form.clone();
    calendar_form_update["id"] = json!("1");
    let policy_form = json!({"name": "Urgent", "queue": "support", "priority": "urgent",
                             "first_response_minutes": "60", "resolution_minutes": "480", "calendar_id": "1", "position": "0"});
    let mut policy_form_update = policy_form.clone();
    policy_form_update["id"] = json!("1");
    vec![
        case(Target::Rest("POST", "/business-calendars"), calendar, calendar_fields),
        case(
            Target::RestPath("PUT", "/business-calendars/{id}"),
            calendar_update,
            &["id", "name", "time_zone", "hours.mon.0.1", "holidays.0"],
        ),
        case(Target::RestPath("GET", "/business-calendars/{id}"), json!({"id": "1"}), &["id"]),
        case(Target::RestPath("DELETE", "/business-calendars/{id}"), json!({"id": "999"}), &["id"]),
        case(Target::Rest("POST", "/sla-policies"), policy, policy_fields),
        case(
            Target::RestPath("PUT", "/sla-policies/{id}"),
            policy_update,
            &["id", "name", "queue", "priority", "first_response_minutes", "calendar_id", "position"],
        ),
        case(Target::RestPath("GET", "/sla-policies/{id}"), json!({"id": "1"}), &["id"]),
        case(Target::RestPath("DELETE", "/sla-policies/{id}"), json!({"id": "999"}), &["id"]),
        case(Target::Function("create_business_calendar"), calendar_form, calendar_form_fields),
        case(
            Target::Function("update_business_calendar"),
            calendar_form_update,
            &["id", "name", "time_zone", "mon", "sun", "holidays"],
        ),
        case(Target::Function("delete_business_calendar"), json!({"id": "999"}), &["id"]),
        case(Target::Function("create_sla_policy"), policy_form, policy_fields),
        case(
            Target::Function("update_sla_policy"),
            policy_form_update,
            &[
                "id",
                "name",
                "queue",
                "priority",
                "first_response_minutes",
                "resolution_minutes",
                "calendar_id",
                "position",
            ],
        ),
        case(Target::Function("delete_sla_policy"), json!({"id": "999"}), &["id"]),
        // Automatic escalation (services/escalation.rs): numbers or null only.
        case(
            Target::Rest("PUT", "/admin/escalation-rules"),
            json!({"unanswered_hours": 48, "urgent_unassigned_hours": 2, "low_rating_below": 3}),
            &["unanswered_hours", "urgent_unassigned_hours", "low_rating_below"],
        ),
    ]
}

/// The log-in steps, sent by someone not logged in.
fn log_in_cases() -> Vec<Case> {
    vec![
        case(
            Target::Rest("POST", "/auth/login"),
            json!({"login": "nobody", "password": "wrong one", "remember": true}),
            &["login", "password", "remember"],
        ),
        case(Target::Rest("POST", "/auth/login/second-factor"), json!({"code": "123456"}), &["code"]),
        case(
            Target::Function("log_in"),
            json!({"login": "nobody", "password": "wrong one", "remember": "true"}),
            &["login", "password", "remember"],
        ),
        case(Target::Function("log_in_second_factor"), json!({"code": "123456"}), &["code"]),
    ]
}

/// Tickets, messages, escalations, activity, notifications, the outbox,
/// statistics and webhooks, as the admin, with ticket 1 and webhook 1 there.
fn ticket_and_notification_cases() -> Vec<Case> {
    let ticket = json!({"queue": "support", "category": "general_inquiry", "priority": "medium",
                        "subject": "Hello", "description": "Some details.", "metadata": {"server_id": "eu-3"}});
    let webhook = json!({"queue": "support", "name": "Ops", "url": "https://discord.com/api/webhooks/1/abc",
                         "kinds": ["ticket_created"], "active": true});
    let webhook_form = json!({"queue": "support", "name": "Ops", "url": "https://discord.com/api/webhooks/1/abc",
                              "kinds[0]": "ticket_created", "active": "true"});
    let mut webhook_update = webhook.clone();
    webhook_update["id"] = json!("1");
    let mut webhook_form_update = webhook_form.clone();
    webhook_form_update["id"] = json!("1");
    vec![
        case(
            Target::Rest("POST", "/tickets"),
            ticket.clone(),
            &["queue", "category", "priority", "subject", "description", "metadata", "metadata.server_id"],
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
            Target::Rest("POST", "/tickets/1/rating"),
            json!({"score": 4, "comment": "Thanks"}),
            &["score", "comment"],
        ),
        case(
            Target::RestPath("POST", "/tickets/{id}/activity"),
            json!({"id": "1", "activity": "typing", "internal": false}),
            &["id", "activity", "internal"],
        ),
        case(Target::RestQuery("/tickets/stats"), json!({"period": "7d"}), &["period", "queue", "format"]),
        case(Target::Rest("POST", "/admin/webhooks"), webhook.clone(), &["queue", "name", "url", "kinds", "active"]),
        case(
            Target::RestPath("PUT", "/admin/webhooks/{id}"),
            webhook_update,
            &["id", "queue", "name", "url", "kinds", "active"],
        ),
        case(Target::RestPath("DELETE", "/admin/webhooks/{id}"), json!({"id": "999"}), &["id"]),
        case(Target::Rest("POST", "/notifications/read"), json!({"id": 1}), &["id"]),
        case(Target::RestQuery("/notifications"), json!({"unread": "true"}), &["unread"]),
        case(Target::RestQuery("/admin/outbox"), json!({"status": "failed"}), &["status"]),
        case(Target::RestPath("POST", "/admin/outbox/{id}/retry"), json!({"id": "999"}), &["id"]),
        case(
            Target::Function("create_ticket"),
            ticket,
            &["queue", "category", "priority", "subject", "description", "server_id", "command", "error_message"],
        ),
        case(
            Target::Function("add_message"),
            json!({"key": "1", "body": "Thanks", "submission": "form-1"}),
            &["key", "body", "kind", "submission"],
        ),
        case(Target::Function("change_status"), json!({"key": "1", "status": "pending"}), &["key", "status"]),
        case(
            Target::Function("update_ticket"),
            json!({"key": "1", "priority": "high"}),
            &["key", "priority", "category"],
        ),
        case(Target::Function("assign_ticket"), json!({"key": "1", "agent_id": "1"}), &["key", "agent_id"]),
        case(Target::Function("escalate_ticket"), json!({"key": "1", "reason": "Urgent"}), &["key", "reason"]),
        case(
            Target::Function("rate_ticket"),
            json!({"key": "1", "score": "4", "comment": "Thanks"}),
            &["key", "score", "comment"],
        ),
        case(Target::Function("get_ticket"), json!({"key": "1"}), &["key"]),
        case(
            Target::Function("announce_activity"),
            json!({"ticket": "1", "activity": "typing", "internal": "false"}),
            &["ticket", "activity", "internal"],
        ),
        case(Target::Function("create_discord_webhook"), webhook_form, &["queue", "name", "url", "kinds[0]", "active"]),
        case(
            Target::Function("update_discord_webhook"),
            webhook_form_update,
            &["id", "queue", "name", "url", "kinds[0]", "active"],
        ),
        case(Target::Function("delete_discord_webhook"), json!({"id": "999"}), &["id"]),
        case(Target::Function("mark_notification_read"), json!({"id": "1"}), &["id"]),
        case(Target::Function("notification_outbox"), json!({"status": "failed"}), &["status"]),
        case(Target::Function("retry_outbox_message"), json!({"id": "999"}), &["id"]),
        case(Target::Function("stats_dashboard"), json!({"period": "7d"}), &["period", "queue"]),
        case(
            Target::Function("set_escalation_rules"),
            json!({"unanswered_hours": "48", "urgent_unassigned_hours": "2", "low_rating_below": "3"}),
            &["unanswered_hours", "urgent_unassigned_hours", "low_rating_below"],
        ),
    ]
}

/// Server functions that take no input at all: nothing to send them but the
/// wrong bodies of the first test. Adding an argument to one fails
/// [`every_server_function_has_a_naughty_case`] until it gets a case.
const WITHOUT_INPUT: &[&str] = &[
    "current_user",
    "log_out",
    "load_catalog",
    "load_service_levels",
    "load_escalation_rules",
    "notifications",
    "unread_notifications",
    "mark_all_notifications_read",
    "notification_preferences",
    "load_notification_setup",
    "ticket_options",
    "open_ticket_limits",
    "status_counts",
    "list_api_tokens",
    "two_factor_status",
    "must_enrol_two_factor",
    "begin_two_factor",
    "account_history",
];

/// Every `#[server(... endpoint = "name" ...)]` in app/src/functions/*.rs,
/// with whether its function takes arguments.
fn server_functions() -> Vec<(String, bool)> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src/functions");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&folder).expect("app/src/functions") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let mut rest = source.as_str();
        while let Some(start) = rest.find("#[server(") {
            rest = &rest[start + "#[server(".len()..];
            let attribute = &rest[..rest.find(")]").expect("a closed #[server] attribute")];
            // `#[server(default)]` on an argument is not a function.
            let Some(endpoint) = attribute.split("endpoint = \"").nth(1) else { continue };
            let name = endpoint.split('"').next().unwrap().to_string();
            let signature = &rest[rest.find("fn ").expect("the function after #[server]")..];
            let arguments = &signature[signature.find('(').unwrap() + 1..];
            found.push((name, !arguments.trim_start().starts_with(')')));
        }
    }
    found
}

#[test]
fn every_server_function_has_a_naughty_case() {
    let functions = server_functions();
    assert!(functions.len() >= 50, "the scan of app/src/functions found only {functions:?}");
    let covered: Vec<&str> = [account_and_catalog_cases(), log_in_cases(), ticket_and_notification_cases()]
        .iter()
        .flatten()
        .filter_map(|case| match case.target {
            Target::Function(name) | Target::FunctionJson(name) => Some(name),
            _ => None,
        })
        .collect();
    let mut missing = Vec::new();
    for (name, takes_input) in &functions {
        let listed = WITHOUT_INPUT.contains(&name.as_str());
        if *takes_input && !covered.contains(&name.as_str()) {
            missing.push(format!("{name}: takes input but has no case"));
        } else if !takes_input && !listed && !covered.contains(&name.as_str()) {
            missing.push(format!("{name}: no case, and not in WITHOUT_INPUT"));
        } else if *takes_input && listed {
            missing.push(format!("{name}: in WITHOUT_INPUT but takes input"));
        }
    }
    for name in WITHOUT_INPUT.iter().chain(&covered) {
        if !functions.iter().any(|(found, _)| found == name) {
            missing.push(format!("{name}: has a case but is no server function"));
        }
    }
    assert!(missing.is_empty(), "server functions without naughty cases:\n{}", missing.join("\n"));
}
