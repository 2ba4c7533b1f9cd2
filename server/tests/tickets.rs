//! Tickets over HTTP: who may do what, status rules and the history they
//! write, numbering under concurrency, per-queue open-ticket limits,
//! validation, lists, search and pagination, index use, and API tokens.
//! The server-function tests are grouped at the end of the file.

use crate::common;

use app::domain::{Role, TicketQuery, User};
use app::services::{Caller, ticket_lists};
use common::TestApp;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A valid `POST /tickets` body.
fn new_ticket(queue: &str, subject: &str) -> Value {
    json!({
        "queue": queue,
        "category": "general_inquiry",
        "priority": "medium",
        "subject": subject,
        "description": format!("Details about {subject}."),
    })
}

/// Creates a ticket through the API and returns it; fails the test otherwise.
async fn create(app: &TestApp, client: &Client, body: Value) -> Value {
    let (status, response) = app.post(client, "/tickets", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "creating {body}: {response}");
    response["ticket"].clone()
}

/// Opens a support ticket with `subject`.
async fn open_ticket(app: &TestApp, client: &Client, subject: &str) -> Value {
    create(app, client, new_ticket("support", subject)).await
}

fn id_of(ticket: &Value) -> i64 {
    ticket["id"].as_i64().unwrap_or_else(|| panic!("no id in {ticket}"))
}

/// `GET /tickets/{key}` as `client`, which must succeed.
async fn detail(app: &TestApp, client: &Client, key: &str) -> Value {
    let (status, body) = app.get(client, &format!("/tickets/{key}")).await;
    assert_eq!(status, StatusCode::OK, "GET /tickets/{key}: {body}");
    body
}

/// `(action, actor username, data)` of each event in a ticket detail.
fn events_of(detail: &Value) -> Vec<(String, String, Value)> {
    detail["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {detail}"))
        .iter()
        .map(|event| {
            (
                event["action"].as_str().expect("action").to_string(),
                event["actor"]["username"].as_str().unwrap_or("<system>").to_string(),
                event["data"].clone(),
            )
        })
        .collect()
}

fn assert_events(label: &str, actual: &[(String, String, Value)], expected: &[(&str, &str, Value)]) {
    let expected: Vec<(String, String, Value)> =
        expected.iter().map(|(action, actor, data)| (action.to_string(), actor.to_string(), data.clone())).collect();
    let show = |events: &[(String, String, Value)]| {
        events
            .iter()
            .map(|(action, actor, data)| format!("  {action} by {actor}: {data}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        actual == expected.as_slice(),
        "{label}: events differ\nexpected:\n{}\nactual:\n{}",
        show(&expected),
        show(actual)
    );
}

/// `{"id", "username"}` as tickets and events embed users.
fn user_ref(user: &User) -> Value {
    json!({"id": user.id, "username": user.username})
}

/// The ids of the tickets a list request returns (`query` without `limit`).
async fn listed(app: &TestApp, client: &Client, query: &str) -> Vec<i64> {
    let separator = if query.is_empty() { "" } else { "&" };
    let (status, body) = app.get(client, &format!("/tickets?{query}{separator}limit=100")).await;
    assert_eq!(status, StatusCode::OK, "GET /tickets?{query}: {body}");
    assert!(body["next_cursor"].is_null(), "{query}: everything fits on one page: {body}");
    body["tickets"].as_array().expect("tickets").iter().map(id_of).collect()
}

async fn listed_set(app: &TestApp, client: &Client, query: &str) -> BTreeSet<i64> {
    listed(app, client, query).await.into_iter().collect()
}

fn set<const N: usize>(ids: [i64; N]) -> BTreeSet<i64> {
    ids.into_iter().collect()
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// What the database holds for a ticket, to tell whether a request changed it.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Snapshot {
    status: String,
    priority: String,
    category: String,
    assignee_id: Option<i64>,
    messages: i64,
    events: i64,
    first_response_at: Option<String>,
    resolved_at: Option<String>,
    closed_at: Option<String>,
    updated_at: String,
}

async fn snapshot(pool: &PgPool, id: i64) -> Snapshot {
    sqlx::query_as(
        "select t.status::text as status, t.priority::text as priority, c.slug as category, t.assignee_id,
            (select count(*) from messages m where m.ticket_id = t.id) as messages,
            (select count(*) from ticket_events e where e.ticket_id = t.id) as events,
            t.first_response_at::text as first_response_at, t.resolved_at::text as resolved_at,
            t.closed_at::text as closed_at, t.updated_at::text as updated_at
         from tickets t join categories c on c.id = t.category_id where t.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("snapshot")
}

async fn ticket_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from tickets").fetch_one(pool).await.unwrap()
}

async fn next_number(pool: &PgPool, queue: &str) -> i64 {
    sqlx::query_scalar("select next_number from queues where slug = $1").bind(queue).fetch_one(pool).await.unwrap()
}

/// The four parties of the permission matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// The requester who opened the ticket.
    Owner,
    /// Another requester.
    OtherRequester,
    Agent,
    Admin,
}

impl Who {
    const ALL: [Who; 4] = [Who::Owner, Who::OtherRequester, Who::Agent, Who::Admin];
}

/// Users and logged-in browsers for the permission tests: olivia and oscar
/// (requesters), alex (agent), ada (admin), and bruno (an agent who never
/// logs in, as someone to assign tickets to).
struct Cast {
    app: TestApp,
    owner: Client,
    other: Client,
    agent: Client,
    admin: Client,
    owner_user: User,
    other_user: User,
    agent_user: User,
    admin_user: User,
    second_agent: User,
}

impl Cast {
    async fn new(pool: PgPool) -> Cast {
        let app = TestApp::spawn(pool).await;
        let (owner_user, other_user, agent_user, admin_user, second_agent) = tokio::join!(
            app.create_user("olivia", Role::Requester),
            app.create_user("oscar", Role::Requester),
            app.create_user("alex", Role::Agent),
            app.create_user("ada", Role::Admin),
            app.create_user("bruno", Role::Agent),
        );
        let (owner, other, agent, admin) =
            tokio::join!(app.logged_in("olivia"), app.logged_in("oscar"), app.logged_in("alex"), app.logged_in("ada"));
        Cast { app, owner, other, agent, admin, owner_user, other_user, agent_user, admin_user, second_agent }
    }

    fn client(&self, who: Who) -> &Client {
        match who {
            Who::Owner => &self.owner,
            Who::OtherRequester => &self.other,
            Who::Agent => &self.agent,
            Who::Admin => &self.admin,
        }
    }

    fn user(&self, who: Who) -> &User {
        match who {
            Who::Owner => &self.owner_user,
            Who::OtherRequester => &self.other_user,
            Who::Agent => &self.agent_user,
            Who::Admin => &self.admin_user,
        }
    }

    /// An admin request that must succeed (test set-up).
    async fn admin_sets(&self, id: i64, path: &str, body: Value) {
        let (status, response) = if path == "status" {
            self.app.put(&self.admin, &format!("/tickets/{id}/status"), body.clone()).await
        } else {
            self.app.post(&self.admin, &format!("/tickets/{id}/{path}"), body.clone()).await
        };
        assert_eq!(status, StatusCode::OK, "set-up {path} {body} on ticket {id}: {response}");
    }
}

/// One thing a party may try on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    View,
    ViewByReference,
    List,
    Reply,
    InternalNote,
    /// From `open` to the given status.
    SetStatus(&'static str),
    /// From `in_progress` back to `open`.
    SetOpenFromInProgress,
    /// From the given done status (`resolved` or `closed`) back to `open`.
    Reopen(&'static str),
    ReplyOnClosed,
    UpdatePriority,
    UpdateCategory,
    /// Assign an unassigned ticket to oneself.
    TakeUnassigned,
    /// Assign an unassigned ticket to bruno.
    AssignOtherAgent,
    /// Unassign a ticket assigned to bruno.
    UnassignOther,
    Escalate,
    Stats,
}

impl Action {
    fn mutates(self) -> bool {
        !matches!(self, Action::View | Action::ViewByReference | Action::List | Action::Stats)
    }
}

/// What a party gets: a status code, or for lists whether the ticket is in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Status(u16),
    Listed,
    NotListed,
}

const OK: Outcome = Outcome::Status(200);
const CREATED: Outcome = Outcome::Status(201);
const FORBIDDEN: Outcome = Outcome::Status(403);
const NOT_FOUND: Outcome = Outcome::Status(404);
const INVALID: Outcome = Outcome::Status(422);

/// Expected outcomes for [owner, other requester, agent, admin].
fn permission_matrix() -> Vec<(Action, [Outcome; 4])> {
    use Action::*;
    use Outcome::{Listed, NotListed};
    vec![
        (View, [OK, NOT_FOUND, OK, OK]),
        (ViewByReference, [OK, NOT_FOUND, OK, OK]),
        (List, [Listed, NotListed, Listed, Listed]),
        (Reply, [CREATED, NOT_FOUND, CREATED, CREATED]),
        (InternalNote, [FORBIDDEN, NOT_FOUND, CREATED, CREATED]),
        (SetOpenFromInProgress, [FORBIDDEN, NOT_FOUND, OK, OK]),
        (SetStatus("in_progress"), [FORBIDDEN, NOT_FOUND, OK, OK]),
        (SetStatus("pending"), [FORBIDDEN, NOT_FOUND, OK, OK]),
        (SetStatus("resolved"), [FORBIDDEN, NOT_FOUND, OK, OK]),
        (SetStatus("closed"), [OK, NOT_FOUND, FORBIDDEN, OK]),
        // Escalating needs a reason: staff are told to use escalate, requesters may not.
        (SetStatus("escalated"), [FORBIDDEN, NOT_FOUND, INVALID, INVALID]),
        (Reopen("resolved"), [OK, NOT_FOUND, OK, OK]),
        (Reopen("closed"), [OK, NOT_FOUND, OK, OK]),
        (ReplyOnClosed, [INVALID, NOT_FOUND, INVALID, INVALID]),
        (UpdatePriority, [FORBIDDEN, NOT_FOUND, OK, OK]),
        (UpdateCategory, [FORBIDDEN, NOT_FOUND, OK, OK]),
        (TakeUnassigned, [FORBIDDEN, NOT_FOUND, OK, OK]),
        (AssignOtherAgent, [FORBIDDEN, NOT_FOUND, FORBIDDEN, OK]),
        (UnassignOther, [FORBIDDEN, NOT_FOUND, FORBIDDEN, OK]),
        (Escalate, [FORBIDDEN, NOT_FOUND, OK, OK]),
        (Stats, [FORBIDDEN, FORBIDDEN, OK, OK]),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Api,
    ServerFunction,
}

fn error_code_for(status: u16) -> Option<&'static str> {
    match status {
        400 => Some("bad_request"),
        401 => Some("unauthorized"),
        403 => Some("forbidden"),
        404 => Some("not_found"),
        409 => Some("conflict"),
        422 => Some("validation"),
        _ => None,
    }
}

/// Puts a fresh ticket in the state `action` starts from.
async fn prepare(cast: &Cast, action: Action, id: i64) {
    match action {
        Action::SetOpenFromInProgress => cast.admin_sets(id, "status", json!({"status": "in_progress"})).await,
        Action::Reopen(status) => cast.admin_sets(id, "status", json!({"status": status})).await,
        Action::ReplyOnClosed => cast.admin_sets(id, "status", json!({"status": "closed"})).await,
        Action::UnassignOther => cast.admin_sets(id, "assign", json!({"agent_id": cast.second_agent.id})).await,
        _ => {}
    }
}

/// Performs `action` as `who` through the JSON API.
async fn perform_api(cast: &Cast, who: Who, action: Action, ticket: &Value) -> (Outcome, Value) {
    let app = &cast.app;
    let client = cast.client(who);
    let id = id_of(ticket);
    let path = format!("/tickets/{id}");
    let (status, body) = match action {
        Action::View => app.get(client, &path).await,
        Action::ViewByReference => {
            app.get(client, &format!("/tickets/{}", ticket["reference"].as_str().unwrap())).await
        }
        Action::List => {
            let (status, body) = app.get(client, "/tickets?limit=100").await;
            if status == StatusCode::OK {
                let found = body["tickets"].as_array().unwrap().iter().any(|listed| id_of(listed) == id);
                return (if found { Outcome::Listed } else { Outcome::NotListed }, body);
            }
            (status, body)
        }
        Action::Reply | Action::ReplyOnClosed => {
            app.post(client, &format!("{path}/messages"), json!({"body": "Any news?", "kind": "reply"})).await
        }
        Action::InternalNote => {
            app.post(
                client,
                &format!("{path}/messages"),
                json!({"body": "Looks like a duplicate.", "kind": "internal_note"}),
            )
            .await
        }
        Action::SetStatus(status) => app.put(client, &format!("{path}/status"), json!({"status": status})).await,
        Action::SetOpenFromInProgress | Action::Reopen(_) => {
            app.put(client, &format!("{path}/status"), json!({"status": "open"})).await
        }
        Action::UpdatePriority => app.patch(client, &path, json!({"priority": "urgent"})).await,
        Action::UpdateCategory => app.patch(client, &path, json!({"category": "refund_request"})).await,
        Action::TakeUnassigned => {
            app.post(client, &format!("{path}/assign"), json!({"agent_id": cast.user(who).id})).await
        }
        Action::AssignOtherAgent => {
            app.post(client, &format!("{path}/assign"), json!({"agent_id": cast.second_agent.id})).await
        }
        Action::UnassignOther => app.post(client, &format!("{path}/assign"), json!({"agent_id": null})).await,
        Action::Escalate => {
            app.post(client, &format!("{path}/escalate"), json!({"reason": "The customer is blocked."})).await
        }
        Action::Stats => app.get(client, "/tickets/stats?period=7d").await,
    };
    (Outcome::Status(status.as_u16()), body)
}

/// Performs `action` as `who` through the server functions the pages call;
/// `None` for actions the pages do not do through a server function.
async fn perform_server_fn(cast: &Cast, who: Who, action: Action, ticket: &Value) -> Option<(Outcome, Value)> {
    let app = &cast.app;
    let client = cast.client(who);
    let id = id_of(ticket).to_string();
    let own_id = cast.user(who).id.to_string();
    let second_agent = cast.second_agent.id.to_string();
    let (status, body) = match action {
        Action::View => app.server_fn(client, "get_ticket", &[("key", &id)]).await,
        Action::ViewByReference => {
            app.server_fn(client, "get_ticket", &[("key", ticket["reference"].as_str().unwrap())]).await
        }
        Action::List | Action::Stats => return None,
        Action::Reply | Action::ReplyOnClosed => {
            app.server_fn(client, "add_message", &[("key", &id), ("body", "Any news?"), ("kind", "reply")]).await
        }
        Action::InternalNote => {
            app.server_fn(
                client,
                "add_message",
                &[("key", &id), ("body", "Looks like a duplicate."), ("kind", "internal_note")],
            )
            .await
        }
        Action::SetStatus(status) => app.server_fn(client, "change_status", &[("key", &id), ("status", status)]).await,
        Action::SetOpenFromInProgress | Action::Reopen(_) => {
            app.server_fn(client, "change_status", &[("key", &id), ("status", "open")]).await
        }
        Action::UpdatePriority => {
            app.server_fn(client, "update_ticket", &[("key", &id), ("priority", "urgent"), ("category", "")]).await
        }
        Action::UpdateCategory => {
            app.server_fn(client, "update_ticket", &[("key", &id), ("priority", ""), ("category", "refund_request")])
                .await
        }
        Action::TakeUnassigned => app.server_fn(client, "assign_ticket", &[("key", &id), ("agent_id", &own_id)]).await,
        Action::AssignOtherAgent => {
            app.server_fn(client, "assign_ticket", &[("key", &id), ("agent_id", &second_agent)]).await
        }
        Action::UnassignOther => app.server_fn(client, "assign_ticket", &[("key", &id), ("agent_id", "")]).await,
        Action::Escalate => {
            app.server_fn(client, "escalate_ticket", &[("key", &id), ("reason", "The customer is blocked.")]).await
        }
    };
    Some((Outcome::Status(status.as_u16()), body))
}

/// Runs every row of the matrix for every party on a fresh ticket each and
/// returns one line per disagreement, naming the party and the action.
async fn run_permission_matrix(cast: &Cast, via: Via) -> Vec<String> {
    let mut failures = Vec::new();
    for (action, expected_row) in permission_matrix() {
        for (who, expected) in Who::ALL.into_iter().zip(expected_row) {
            let ticket = open_ticket(&cast.app, &cast.owner, &format!("{action:?} by {who:?}")).await;
            let id = id_of(&ticket);
            prepare(cast, action, id).await;
            let before = snapshot(&cast.app.pool, id).await;
            let performed = match via {
                Via::Api => Some(perform_api(cast, who, action, &ticket).await),
                Via::ServerFunction => perform_server_fn(cast, who, action, &ticket).await,
            };
            let Some((outcome, body)) = performed else { continue };
            let after = snapshot(&cast.app.pool, id).await;
            // Server functions answer 200 where the API creates with 201.
            let expected = match (via, expected) {
                (Via::ServerFunction, Outcome::Status(201)) => OK,
                (_, expected) => expected,
            };
            let label = format!("{via:?}: {who:?} × {action:?}");
            if outcome != expected {
                failures.push(format!("{label}: expected {expected:?}, got {outcome:?}: {body}"));
                continue;
            }
            if let Outcome::Status(status) = outcome {
                if let Some(code) = error_code_for(status) {
                    let actual_code = match via {
                        Via::Api => &body["error"]["code"],
                        Via::ServerFunction => &body["code"],
                    };
                    if actual_code != code {
                        failures.push(format!("{label}: expected error code {code}, got {body}"));
                    }
                }
                if action.mutates() {
                    if status < 300 && before == after {
                        failures.push(format!("{label}: answered {status} but nothing changed"));
                    } else if status >= 400 && before != after {
                        failures.push(format!(
                            "{label}: refused with {status} but the ticket changed:\n  before {before:?}\n  after  {after:?}"
                        ));
                    }
                }
            }
        }
    }
    failures
}

// ---------------------------------------------------------------------------
// 1. Permissions
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn each_role_may_do_exactly_what_the_permission_matrix_allows_through_the_api(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let failures = run_permission_matrix(&cast, Via::Api).await;
    assert!(failures.is_empty(), "{} permission check(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[sqlx::test(migrations = false)]
async fn anonymous_callers_get_401_on_every_ticket_endpoint(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let ticket = open_ticket(&cast.app, &cast.owner, "Printer on fire").await;
    let id = id_of(&ticket);
    let anonymous = cast.app.browser();
    let app = &cast.app;
    let attempts = [
        ("create", app.post(&anonymous, "/tickets", new_ticket("support", "Anonymous")).await),
        ("list", app.get(&anonymous, "/tickets").await),
        ("view", app.get(&anonymous, &format!("/tickets/{id}")).await),
        ("reply", app.post(&anonymous, &format!("/tickets/{id}/messages"), json!({"body": "hi"})).await),
        ("status", app.put(&anonymous, &format!("/tickets/{id}/status"), json!({"status": "closed"})).await),
        ("update", app.patch(&anonymous, &format!("/tickets/{id}"), json!({"priority": "low"})).await),
        ("assign", app.post(&anonymous, &format!("/tickets/{id}/assign"), json!({"agent_id": null})).await),
        ("escalate", app.post(&anonymous, &format!("/tickets/{id}/escalate"), json!({"reason": "x"})).await),
        ("stats", app.get(&anonymous, "/tickets/stats").await),
        ("tokens", app.get(&anonymous, "/tokens").await),
    ];
    for (action, (status, body)) in attempts {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous × {action}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "anonymous × {action}");
    }
    assert_eq!(ticket_count(&app.pool).await, 1);
}

#[sqlx::test(migrations = false)]
async fn requesters_never_see_internal_notes_nor_their_events(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let ticket = open_ticket(app, &cast.owner, "Refund please").await;
    let id = id_of(&ticket);
    let (status, note) = app
        .post(
            &cast.agent,
            &format!("/tickets/{id}/messages"),
            json!({"body": "Secret: customer is a reseller.", "kind": "internal_note"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let (status, _) = app.post(&cast.agent, &format!("/tickets/{id}/messages"), json!({"body": "We are on it."})).await;
    assert_eq!(status, StatusCode::CREATED);

    let staff_view = detail(app, &cast.admin, &id.to_string()).await;
    assert_eq!(staff_view["messages"].as_array().unwrap().len(), 2);
    assert!(events_of(&staff_view).iter().any(|(action, _, _)| action == "note_added"));

    let owner_view = detail(app, &cast.owner, &id.to_string()).await;
    let messages = owner_view["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{owner_view}");
    assert_eq!(messages[0]["kind"], "reply");
    assert_eq!(messages[0]["body"], "We are on it.");
    assert!(!owner_view.to_string().contains("reseller"), "{owner_view}");
    let actions: Vec<String> = events_of(&owner_view).into_iter().map(|(action, _, _)| action).collect();
    assert_eq!(actions, ["created", "replied"], "{owner_view}");
}

// ---------------------------------------------------------------------------
// 2. Status rules and history
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn every_change_writes_an_event_with_its_actor_and_data(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let (olivia, alex, ada) = (&cast.owner, &cast.agent, &cast.admin);
    let ticket = open_ticket(app, olivia, "Card charged twice").await;
    let id = id_of(&ticket);
    let key = id.to_string();
    assert_eq!(ticket["reference"], "SUP-0001");
    assert_eq!(ticket["status"], "open");
    assert!(ticket["first_response_at"].is_null() && ticket["resolved_at"].is_null() && ticket["closed_at"].is_null());
    let path = |tail: &str| format!("/tickets/{id}{tail}");

    // The agent takes the ticket and answers: the first response is stamped.
    let (status, body) = app.post(alex, &path("/assign"), json!({"agent_id": cast.agent_user.id})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["assignee"], user_ref(&cast.agent_user));
    let (status, body) = app.post(alex, &path("/messages"), json!({"body": "Looking into it.", "kind": "reply"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let first_reply = body["message"]["id"].as_i64().unwrap();
    assert_eq!(body["message"]["author"], user_ref(&cast.agent_user));
    let first_response_at = detail(app, alex, &key).await["ticket"]["first_response_at"].clone();
    assert!(first_response_at.is_string(), "the first agent reply stamps first_response_at");
    let (status, body) =
        app.post(alex, &path("/messages"), json!({"body": "Probably a retry.", "kind": "internal_note"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let note = body["message"]["id"].as_i64().unwrap();

    // in progress, then pending; the requester's reply moves it back to open.
    for status in ["in_progress", "pending"] {
        let (code, body) = app.put(alex, &path("/status"), json!({"status": status})).await;
        assert_eq!(code, StatusCode::OK, "{status}: {body}");
        assert_eq!(body["ticket"]["status"], status);
    }
    let (status, body) = app.post(olivia, &path("/messages"), json!({"body": "Here is my receipt."})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let requester_reply = body["message"]["id"].as_i64().unwrap();
    let current = detail(app, olivia, &key).await;
    assert_eq!(current["ticket"]["status"], "open", "a requester's reply on a pending ticket reopens it");
    assert_eq!(current["ticket"]["first_response_at"], first_response_at, "only staff replies count as responses");

    // Priority and category in one request: one event each.
    let (status, body) = app.patch(alex, &path(""), json!({"priority": "high", "category": "payment_issue"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["priority"], "high");
    assert_eq!(body["ticket"]["category"], "payment_issue");

    let (status, body) = app.post(alex, &path("/escalate"), json!({"reason": "Needs the billing team."})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["status"], "escalated");

    // Resolved stamps resolved_at; the requester's reply reopens and clears it.
    let (status, body) = app.put(ada, &path("/status"), json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ticket"]["resolved_at"].is_string(), "{body}");
    let (status, body) = app.post(olivia, &path("/messages"), json!({"body": "Still charged twice."})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reopening_reply = body["message"]["id"].as_i64().unwrap();
    let current = detail(app, olivia, &key).await;
    assert_eq!(current["ticket"]["status"], "open");
    assert!(current["ticket"]["resolved_at"].is_null(), "{current}");

    // A later staff reply keeps the first response time.
    let (status, body) = app.post(ada, &path("/messages"), json!({"body": "Refunded."})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let admin_reply = body["message"]["id"].as_i64().unwrap();
    assert_eq!(detail(app, ada, &key).await["ticket"]["first_response_at"], first_response_at);

    // Closed stamps closed_at; nobody replies to a closed ticket; the requester reopens it.
    let (status, body) = app.put(ada, &path("/status"), json!({"status": "closed"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ticket"]["closed_at"].is_string(), "{body}");
    let before = snapshot(&app.pool, id).await;
    let (status, body) = app.post(olivia, &path("/messages"), json!({"body": "Hello?"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["body"].is_string(), "{body}");
    assert_eq!(snapshot(&app.pool, id).await, before, "a refused reply changes nothing");
    let (status, body) = app.put(olivia, &path("/status"), json!({"status": "open"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ticket"]["closed_at"].is_null(), "{body}");
    let (status, body) = app.put(olivia, &path("/status"), json!({"status": "closed"})).await;
    assert_eq!(status, StatusCode::OK, "the requester closes their own ticket: {body}");

    let (status, body) = app.post(ada, &path("/assign"), json!({"agent_id": null})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ticket"]["assignee"].is_null());

    let staff_events = events_of(&detail(app, ada, &key).await);
    let expected = [
        ("created", "olivia", json!({"status": "open", "priority": "medium"})),
        ("assigned", "alex", json!({"from": null, "to": user_ref(&cast.agent_user)})),
        ("replied", "alex", json!({"message_id": first_reply})),
        ("note_added", "alex", json!({"message_id": note})),
        ("status_changed", "alex", json!({"from": "open", "to": "in_progress"})),
        ("status_changed", "alex", json!({"from": "in_progress", "to": "pending"})),
        ("replied", "olivia", json!({"message_id": requester_reply})),
        ("status_changed", "olivia", json!({"from": "pending", "to": "open", "reason": "requester replied"})),
        ("priority_changed", "alex", json!({"from": "medium", "to": "high"})),
        ("category_changed", "alex", json!({"from": "general_inquiry", "to": "payment_issue"})),
        ("escalated", "alex", json!({"from": "open", "reason": "Needs the billing team."})),
        ("status_changed", "ada", json!({"from": "escalated", "to": "resolved"})),
        ("replied", "olivia", json!({"message_id": reopening_reply})),
        ("reopened", "olivia", json!({"from": "resolved", "to": "open", "reason": "requester replied"})),
        ("replied", "ada", json!({"message_id": admin_reply})),
        ("status_changed", "ada", json!({"from": "open", "to": "closed"})),
        ("reopened", "olivia", json!({"from": "closed", "to": "open"})),
        ("status_changed", "olivia", json!({"from": "open", "to": "closed"})),
        ("unassigned", "ada", json!({"from": user_ref(&cast.agent_user)})),
    ];
    assert_events("staff view", &staff_events, &expected);

    // The requester sees every event but the note, and that it was
    // escalated without the reason staff gave (issue 14: staff only).
    let owner_expected: Vec<(&str, &str, Value)> = expected
        .iter()
        .filter(|(action, _, _)| *action != "note_added")
        .map(|(action, actor, data)| match *action {
            "escalated" => (*action, *actor, json!({"from": "open"})),
            _ => (*action, *actor, data.clone()),
        })
        .collect();
    assert_events("requester view", &events_of(&detail(app, olivia, &key).await), &owner_expected);
    // Nor do the pages: the timeline says "escalated it" to the requester.
    let page = |client: &Client| {
        let request = client.get(app.url(&format!("/tickets/{key}"))).header("accept", "text/html");
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let (requester_page, staff_page) = (page(olivia).await, page(ada).await);
    assert!(requester_page.contains("data-action=\"escalated\""), "the requester sees the escalation");
    assert!(!requester_page.contains("Needs the billing team."), "but not its reason");
    assert!(staff_page.contains("Needs the billing team."), "staff do");

    // The reference works as a key too, in any case.
    assert_eq!(detail(app, olivia, "sup-0001").await["ticket"]["id"], id);
}

#[sqlx::test(migrations = false)]
async fn requesters_reopen_within_fourteen_days_and_staff_at_any_time(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let ticket = open_ticket(app, &cast.owner, "Missing parcel").await;
    let id = id_of(&ticket);
    let status_path = format!("/tickets/{id}/status");
    let set_status = |client: &Client, status: &str| {
        let body = json!({"status": status});
        let path = status_path.clone();
        let client = client.clone();
        async move { app.put(&client, &path, body).await }
    };
    let age_done_times = |days: i32| async move {
        sqlx::query(
            "update tickets set resolved_at = resolved_at - make_interval(days => $2),
                closed_at = closed_at - make_interval(days => $2) where id = $1",
        )
        .bind(id)
        .bind(days)
        .execute(&app.pool)
        .await
        .unwrap();
    };

    // Resolved 15 days ago: too late for the requester.
    let (status, body) = set_status(&cast.agent, "resolved").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ticket"]["resolved_at"].is_string() && body["ticket"]["closed_at"].is_null(), "{body}");
    age_done_times(15).await;
    let before = snapshot(&app.pool, id).await;
    let (status, body) = set_status(&cast.owner, "open").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["status"].as_str().unwrap().contains("14 days"), "{body}");
    assert_eq!(snapshot(&app.pool, id).await, before, "nothing changes");

    // Resolved 13 days ago: still in time.
    sqlx::query("update tickets set resolved_at = now() - interval '13 days' where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, body) = set_status(&cast.owner, "open").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ticket"]["resolved_at"].is_null(), "reopening clears resolved_at: {body}");

    // Closed by the requester 15 days ago: only staff may reopen it now.
    let (status, body) = set_status(&cast.owner, "closed").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["ticket"]["closed_at"].is_string(), "{body}");
    age_done_times(15).await;
    let (status, body) = set_status(&cast.owner, "open").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = set_status(&cast.owner, "resolved").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "requesters only close and reopen: {body}");
    let (status, body) = set_status(&cast.agent, "open").await;
    assert_eq!(status, StatusCode::OK, "staff reopen at any time: {body}");
    assert!(body["ticket"]["closed_at"].is_null(), "{body}");

    // Requesters reopen only to open, and only done tickets.
    let (status, _) = set_status(&cast.agent, "pending").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = set_status(&cast.owner, "open").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a pending ticket is not reopened by a status change: {body}");

    // An admin moving a closed ticket to resolved: the status and the stamps agree.
    let (status, _) = set_status(&cast.admin, "closed").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = set_status(&cast.admin, "resolved").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ticket"]["status"], "resolved");
    assert!(body["ticket"]["resolved_at"].is_string(), "{body}");
    assert!(body["ticket"]["closed_at"].is_null(), "a resolved ticket has no closed_at: {body}");

    let actions: Vec<(String, String, Value)> = events_of(&detail(app, &cast.admin, &id.to_string()).await);
    let expected = [
        ("created", "olivia", json!({"status": "open", "priority": "medium"})),
        ("status_changed", "alex", json!({"from": "open", "to": "resolved"})),
        ("reopened", "olivia", json!({"from": "resolved", "to": "open"})),
        ("status_changed", "olivia", json!({"from": "open", "to": "closed"})),
        ("reopened", "alex", json!({"from": "closed", "to": "open"})),
        ("status_changed", "alex", json!({"from": "open", "to": "pending"})),
        ("status_changed", "ada", json!({"from": "pending", "to": "closed"})),
        ("status_changed", "ada", json!({"from": "closed", "to": "resolved"})),
    ];
    assert_events("reopen rules", &actions, &expected);
}

#[sqlx::test(migrations = false)]
async fn escalation_needs_a_reason_and_an_unclosed_ticket(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let ticket = open_ticket(app, &cast.owner, "Server down").await;
    let id = id_of(&ticket);
    let path = format!("/tickets/{id}/escalate");
    let before = snapshot(&app.pool, id).await;
    for reason in ["", "   ", &"x".repeat(1001)] {
        let (status, body) = app.post(&cast.agent, &path, json!({"reason": reason})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "reason of {} characters: {body}", reason.len());
        assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    }
    let (status, body) = app.post(&cast.agent, &path, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no reason at all: {body}");
    assert_eq!(snapshot(&app.pool, id).await, before, "refused escalations change nothing");

    let (status, body) = app.put(&cast.admin, &format!("/tickets/{id}/status"), json!({"status": "closed"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let before = snapshot(&app.pool, id).await;
    let (status, body) = app.post(&cast.agent, &path, json!({"reason": "Urgent"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "closed tickets are not escalated: {body}");
    assert_eq!(snapshot(&app.pool, id).await, before);
}

#[sqlx::test(migrations = false)]
async fn only_staff_may_be_assigned(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let ticket = open_ticket(app, &cast.owner, "Wrong size").await;
    let id = id_of(&ticket);
    let before = snapshot(&app.pool, id).await;
    for agent_id in [cast.other_user.id, cast.owner_user.id, 999_999] {
        let (status, body) =
            app.post(&cast.admin, &format!("/tickets/{id}/assign"), json!({"agent_id": agent_id})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "assigning user {agent_id}: {body}");
        assert!(body["error"]["fields"]["agent_id"].is_string(), "{body}");
    }
    assert_eq!(snapshot(&app.pool, id).await, before);
    let (status, body) =
        app.post(&cast.admin, &format!("/tickets/{id}/assign"), json!({"agent_id": cast.admin_user.id})).await;
    assert_eq!(status, StatusCode::OK, "admins may take tickets too: {body}");
    // An agent may not take a ticket someone else holds, but may give back their own.
    let (status, body) =
        app.post(&cast.agent, &format!("/tickets/{id}/assign"), json!({"agent_id": cast.agent_user.id})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) =
        app.post(&cast.admin, &format!("/tickets/{id}/assign"), json!({"agent_id": cast.agent_user.id})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.post(&cast.agent, &format!("/tickets/{id}/assign"), json!({"agent_id": null})).await;
    assert_eq!(status, StatusCode::OK, "an agent gives back their own ticket: {body}");
    assert!(body["ticket"]["assignee"].is_null());
}

#[sqlx::test(migrations = false)]
async fn stats_count_the_period_for_staff(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let first = open_ticket(app, &cast.owner, "One").await;
    open_ticket(app, &cast.other, "Two").await;
    create(app, &cast.owner, new_ticket("recruitment", "Three")).await;
    let (status, _) =
        app.post(&cast.agent, &format!("/tickets/{}/messages", id_of(&first)), json!({"body": "Hi"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) =
        app.put(&cast.agent, &format!("/tickets/{}/status", id_of(&first)), json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, stats) = app.get(&cast.agent, "/tickets/stats?period=7d").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["period_days"], 7);
    assert_eq!(stats["created"], 3);
    assert_eq!(stats["resolved"], 1);
    assert_eq!(stats["by_status"], json!({"open": 2, "resolved": 1}));
    assert_eq!(stats["by_queue"], json!({"support": 2, "recruitment": 1}));
    assert!(stats["first_response_seconds_median"].is_number(), "{stats}");
    let (status, stats) = app.get(&cast.admin, "/tickets/stats?period=30d&queue=recruitment").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["created"], 1);
    for bad in ["period=7", "period=0d", "period=366d", "queue=nope"] {
        let (status, body) = app.get(&cast.agent, &format!("/tickets/stats?{bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}

#[sqlx::test(migrations = false)]
async fn stats_refuse_control_characters_with_a_field_error(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("alex", Role::Agent).await;
    let agent = app.logged_in("alex").await;
    for (query, field) in [
        ("queue=%00", "queue"),
        ("queue=sup%00port", "queue"),
        ("queue=%1B%5B31m", "queue"),
        ("period=7d%00", "period"),
        ("period=%1B", "period"),
    ] {
        let (status, body) = app.get(&agent, &format!("/tickets/stats?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["code"], "validation", "{query}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{query}: {body}");
    }
}

// ---------------------------------------------------------------------------
// 3. Numbering under concurrency
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn fifty_concurrent_creations_get_fifty_distinct_consecutive_numbers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let names = ["conc1", "conc2", "conc3", "conc4", "conc5"];
    tokio::join!(
        app.create_user(names[0], Role::Requester),
        app.create_user(names[1], Role::Requester),
        app.create_user(names[2], Role::Requester),
        app.create_user(names[3], Role::Requester),
        app.create_user(names[4], Role::Requester),
    );
    let clients = tokio::join!(
        app.logged_in(names[0]),
        app.logged_in(names[1]),
        app.logged_in(names[2]),
        app.logged_in(names[3]),
        app.logged_in(names[4]),
    );
    let clients = [clients.0, clients.1, clients.2, clients.3, clients.4];

    // Five requesters, each sending ten creations at once: different and same requesters race.
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..50 {
        let client = clients[index % clients.len()].clone();
        let url = app.url("/api/v1/tickets");
        let body = new_ticket("support", &format!("Concurrent ticket {index}"));
        tasks.spawn(async move {
            let response = client.post(url).json(&body).send().await.expect("request");
            let status = response.status();
            (index, status, response.json::<Value>().await.expect("json"))
        });
    }
    let mut numbers = Vec::new();
    let mut references = BTreeSet::new();
    while let Some(result) = tasks.join_next().await {
        let (index, status, body) = result.expect("task");
        assert_eq!(status, StatusCode::CREATED, "creation {index}: {body}");
        numbers.push(body["ticket"]["number"].as_i64().unwrap());
        references.insert(body["ticket"]["reference"].as_str().unwrap().to_string());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=50).collect::<Vec<i64>>());
    assert_eq!(references.len(), 50);
    assert!(references.contains("SUP-0001") && references.contains("SUP-0050"));

    let stored: Vec<i64> =
        sqlx::query_scalar("select number from tickets order by number").fetch_all(&app.pool).await.unwrap();
    assert_eq!(stored, (1..=50).collect::<Vec<i64>>());
    assert_eq!(next_number(&app.pool, "support").await, 51);
    let counted: i64 = sqlx::query_scalar(
        "select c.count from ticket_counts c join queues q on q.id = c.queue_id where q.slug = 'support' and c.status = 'open'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(counted, 50, "the trigger-kept counter saw every ticket");
}

// ---------------------------------------------------------------------------
// 4. Open-ticket limit
// ---------------------------------------------------------------------------

/// What the new-ticket form is told: the queues where `client` has reached the open-ticket limit.
async fn limits_reached(app: &TestApp, client: &reqwest::Client) -> Value {
    let (status, body) = app.server_fn(client, "open_ticket_limits", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[sqlx::test(migrations = false)]
async fn recruitment_allows_one_open_ticket_per_requester_until_it_is_closed(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let first = create(app, &cast.owner, new_ticket("recruitment", "Moderator application")).await;
    assert_eq!(first["reference"], "REC-0001");

    let (status, body) = app.post(&cast.owner, "/tickets", new_ticket("recruitment", "Second application")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("REC-0001"), "the message names the open ticket: {message}");
    assert!(body["error"]["fields"]["queue"].as_str().unwrap().contains("REC-0001"), "{body}");
    assert_eq!(ticket_count(&app.pool).await, 1);
    // The new-ticket form learns it before anything is typed (one count behind both).
    assert_eq!(
        limits_reached(app, &cast.owner).await,
        json!([{"queue": "recruitment", "queue_name": "Recruitment", "limit": 1, "references": ["REC-0001"]}])
    );
    assert_eq!(limits_reached(app, &cast.other).await, json!([]));
    let (status, _) = app.server_fn(&app.browser(), "open_ticket_limits", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The limit is per requester, and the refused creation used no number.
    let other = create(app, &cast.other, new_ticket("recruitment", "Designer application")).await;
    assert_eq!(other["reference"], "REC-0002");
    // Other queues are not limited.
    open_ticket(app, &cast.owner, "Unrelated support question").await;
    open_ticket(app, &cast.owner, "Another support question").await;

    let (status, body) =
        app.put(&cast.owner, &format!("/tickets/{}/status", id_of(&first)), json!({"status": "closed"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(limits_reached(app, &cast.owner).await, json!([]), "a closed ticket no longer counts");
    let again = create(app, &cast.owner, new_ticket("recruitment", "Second application")).await;
    assert_eq!(again["reference"], "REC-0003");

    // A resolved ticket no longer counts either.
    let (status, _) = app.post(&cast.owner, "/tickets", new_ticket("recruitment", "Third application")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) =
        app.put(&cast.agent, &format!("/tickets/{}/status", id_of(&again)), json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::OK);
    let third = create(app, &cast.owner, new_ticket("recruitment", "Third application")).await;
    assert_eq!(third["reference"], "REC-0004");

    // Reopening a closed one while REC-0004 is open would exceed the limit.
    let (status, body) =
        app.put(&cast.owner, &format!("/tickets/{}/status", id_of(&first)), json!({"status": "open"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["fields"]["status"].as_str().unwrap().contains("REC-0004"), "{body}");
    let (status, _) =
        app.put(&cast.owner, &format!("/tickets/{}/status", id_of(&third)), json!({"status": "closed"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        app.put(&cast.owner, &format!("/tickets/{}/status", id_of(&first)), json!({"status": "open"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

// ---------------------------------------------------------------------------
// 5. Validation
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn invalid_tickets_get_field_errors_and_nothing_is_inserted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("vera", Role::Requester).await;
    let client = app.logged_in("vera").await;
    let with = |field: &str, value: Value| {
        let mut body = new_ticket("support", "Valid subject");
        body[field] = value;
        body
    };
    let cases = [
        ("empty subject", with("subject", json!("")), "subject"),
        ("blank subject", with("subject", json!("   ")), "subject"),
        ("201-character subject", with("subject", json!("s".repeat(201))), "subject"),
        ("empty description", with("description", json!("")), "description"),
        ("20,001-character description", with("description", json!("d".repeat(20_001))), "description"),
        ("unknown priority", with("priority", json!("extreme")), "priority"),
        ("unknown queue", with("queue", json!("billing")), "queue"),
        ("empty queue", with("queue", json!("")), "queue"),
        ("unknown category", with("category", json!("complaint")), "category"),
        ("metadata array", with("metadata", json!([1, 2])), "metadata"),
        ("metadata string", with("metadata", json!("server=1")), "metadata"),
        ("metadata over 16 KiB", with("metadata", json!({"log": "x".repeat(16 * 1024)})), "metadata"),
        ("NUL in metadata.server_id", with("metadata", json!({"server_id": "eu\u{0}3"})), "server_id"),
        ("ESC in metadata.server_id", with("metadata", json!({"server_id": "\u{1b}[31meu-3"})), "server_id"),
        ("ESC deep in metadata.details", with("metadata", json!({"details": {"log": ["ok", "\u{1b}[2J"]}})), "details"),
        ("ESC in a metadata key", with("metadata", json!({"server\u{1b}id": "eu-3"})), "metadata"),
    ];
    for (label, body, field) in cases {
        let (status, response) = app.post(&client, "/tickets", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {response}");
        assert_eq!(response["error"]["code"], "validation", "{label}");
        assert!(response["error"]["fields"][field].is_string(), "{label}: expected a {field} error in {response}");
    }
    // Wrong JSON shapes are 422 too; bodies that are not JSON are 400.
    for (label, body) in [
        ("priority of the wrong type", with("priority", json!(3))),
        ("subject missing", json!({"queue": "support", "category": "other", "description": "x"})),
    ] {
        let (status, response) = app.post(&client, "/tickets", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {response}");
    }
    // Including bodies whose shape is wrong before their syntax is (`[1, 2`).
    for raw in ["{not json", "", "[1, 2", "{\"subject\": 1,"] {
        let response = client
            .post(app.url("/api/v1/tickets"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "body {raw:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");
    }
    assert_eq!(ticket_count(&app.pool).await, 0, "nothing was inserted");
    assert_eq!(next_number(&app.pool, "support").await, 1, "no number was used up");
    let events: i64 = sqlx::query_scalar("select count(*) from ticket_events").fetch_one(&app.pool).await.unwrap();
    assert_eq!(events, 0);

    // The limits themselves are accepted, and metadata is kept as sent.
    let mut body = with("subject", json!("s".repeat(200)));
    body["description"] = json!("d".repeat(20_000));
    body["metadata"] = json!({"server_id": "eu-3", "command": "/buy", "attempts": 2});
    body["priority"] = json!("");
    let ticket = create(&app, &client, body).await;
    assert_eq!(ticket["reference"], "SUP-0001");
    assert_eq!(ticket["priority"], "medium", "an empty priority means medium");
    assert_eq!(ticket["metadata"], json!({"server_id": "eu-3", "command": "/buy", "attempts": 2}));
    assert_eq!(ticket["requester"]["username"], "vera");
}

#[sqlx::test(migrations = false)]
async fn invalid_changes_to_a_ticket_get_field_errors_and_change_nothing(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let ticket = open_ticket(app, &cast.owner, "Broken link").await;
    let id = id_of(&ticket);
    let before = snapshot(&app.pool, id).await;
    let messages = format!("/tickets/{id}/messages");
    let cases = [
        ("empty reply", app.post(&cast.agent, &messages, json!({"body": ""})).await, Some("body")),
        ("blank reply", app.post(&cast.agent, &messages, json!({"body": " \n "})).await, Some("body")),
        (
            "20,001-character reply",
            app.post(&cast.agent, &messages, json!({"body": "r".repeat(20_001)})).await,
            Some("body"),
        ),
        (
            "unknown message kind",
            app.post(&cast.agent, &messages, json!({"body": "hi", "kind": "shout"})).await,
            Some("kind"),
        ),
        (
            "system message",
            app.post(&cast.agent, &messages, json!({"body": "hi", "kind": "system"})).await,
            Some("kind"),
        ),
        (
            "unknown status",
            app.put(&cast.agent, &format!("/tickets/{id}/status"), json!({"status": "done"})).await,
            Some("status"),
        ),
        (
            "unknown priority",
            app.patch(&cast.agent, &format!("/tickets/{id}"), json!({"priority": "asap"})).await,
            Some("priority"),
        ),
        (
            "unknown category",
            app.patch(&cast.agent, &format!("/tickets/{id}"), json!({"priority": "low", "category": "nope"})).await,
            Some("category"),
        ),
        (
            "status of the wrong type",
            app.put(&cast.agent, &format!("/tickets/{id}/status"), json!({"status": 1})).await,
            None,
        ),
        (
            "agent id of the wrong type",
            app.post(&cast.admin, &format!("/tickets/{id}/assign"), json!({"agent_id": "bob"})).await,
            None,
        ),
    ];
    for (label, (status, body), field) in cases {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        if let Some(field) = field {
            assert!(body["error"]["fields"][field].is_string(), "{label}: expected a {field} error in {body}");
        }
    }
    let response = cast
        .agent
        .put(app.url(&format!("/api/v1/tickets/{id}/status")))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(&app.pool, id).await, before, "nothing changed");
    let (status, _) = app.get(&cast.agent, "/tickets/SUP-9999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&cast.agent, "/tickets/not-a-key").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------
// 6. Lists, filters, search, pagination
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn lists_show_requesters_only_their_own_tickets_and_filter_for_staff(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let (olivia, oscar, alex, ada) = (&cast.owner, &cast.other, &cast.agent, &cast.admin);
    let ticket = |queue: &str, category: &str, priority: &str, subject: &str, description: &str| json!({"queue": queue, "category": category, "priority": priority, "subject": subject, "description": description});
    let a1 = id_of(
        &create(app, olivia, ticket("support", "payment_issue", "low", "Paiement refusé", "Ma carte a été refusée."))
            .await,
    );
    let a2 = id_of(
        &create(app, olivia, ticket("support", "technical_issue", "high", "Login broken", "The page errors.")).await,
    );
    let a3 = id_of(
        &create(
            app,
            olivia,
            ticket("recruitment", "general_inquiry", "medium", "Moderator application", "I would like to join."),
        )
        .await,
    );
    let b1 = id_of(
        &create(app, oscar, ticket("support", "payment_issue", "urgent", "Cannot pay", "Card declined twice.")).await,
    );
    let b2 = id_of(
        &create(app, oscar, ticket("support", "order_issue", "medium", "Order missing", "The parcel never arrived."))
            .await,
    );
    for (client, id, tail, body) in [
        (alex, a2, "status", json!({"status": "pending"})),
        (alex, a2, "assign", json!({"agent_id": cast.agent_user.id})),
        (ada, b1, "assign", json!({"agent_id": cast.admin_user.id})),
        (alex, b1, "status", json!({"status": "in_progress"})),
        (alex, b2, "status", json!({"status": "resolved"})),
    ] {
        let (status, response) = if tail == "status" {
            app.put(client, &format!("/tickets/{id}/status"), body).await
        } else {
            app.post(client, &format!("/tickets/{id}/{tail}"), body).await
        };
        assert_eq!(status, StatusCode::OK, "set-up of {id} {tail}: {response}");
    }

    // Requesters: their own tickets only, whatever the filters.
    assert_eq!(listed_set(app, olivia, "").await, set([a1, a2, a3]));
    assert_eq!(listed_set(app, oscar, "").await, set([b1, b2]));
    assert_eq!(listed_set(app, olivia, "status=in_progress").await, set([]));
    assert_eq!(listed_set(app, olivia, "q=cannot").await, set([]));
    assert_eq!(listed_set(app, olivia, "status=open").await, set([a1, a3]));
    assert_eq!(listed_set(app, oscar, "q=refu").await, set([]));
    let (status, body) = app.get(olivia, "/tickets?assignee=me").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["assignee"].is_string(), "{body}");

    // Staff: everything, and every filter.
    assert_eq!(listed(app, alex, "").await, vec![b2, b1, a3, a2, a1], "newest first");
    assert_eq!(listed_set(app, ada, "").await, set([a1, a2, a3, b1, b2]));
    assert_eq!(listed_set(app, alex, "status=open&status=pending").await, set([a1, a2, a3]));
    assert_eq!(listed_set(app, alex, "status=open").await, set([a1, a3]));
    assert_eq!(listed_set(app, alex, "status=resolved&status=in_progress").await, set([b1, b2]));
    assert_eq!(listed_set(app, alex, "priority=urgent").await, set([b1]));
    assert_eq!(listed_set(app, alex, "queue=recruitment").await, set([a3]));
    assert_eq!(listed_set(app, alex, "queue=support&status=open").await, set([a1]));
    assert_eq!(listed_set(app, alex, "category=payment_issue").await, set([a1, b1]));
    assert_eq!(listed_set(app, alex, "assignee=me").await, set([a2]));
    assert_eq!(listed_set(app, ada, "assignee=me").await, set([b1]));
    assert_eq!(listed_set(app, alex, "assignee=none").await, set([a1, a3, b2]));
    assert_eq!(listed_set(app, alex, &format!("assignee={}", cast.admin_user.id)).await, set([b1]));
    assert_eq!(listed_set(app, alex, "assignee=none&status=open&queue=support").await, set([a1]));

    // Search: accents folded both ways, the last word a prefix, description included.
    for query in ["paiement refuse", "refu", "PAIEMENT REFUSÉ", "refusé", "refusee", "carte", "paiement & | ! (refu"]
    {
        assert_eq!(listed_set(app, alex, &format!("q={}", encode(query))).await, set([a1]), "q={query}");
    }
    assert_eq!(listed_set(app, olivia, "q=refu").await, set([a1]));
    assert_eq!(listed_set(app, alex, "q=declined").await, set([b1]));
    assert_eq!(listed_set(app, alex, "q=zzzz").await, set([]));
    assert_eq!(
        listed_set(app, alex, &format!("q={}", encode("!!!"))).await,
        set([a1, a2, a3, b1, b2]),
        "nothing searchable: no filter"
    );

    for bad in [
        "status=done",
        "priority=asap",
        "sort=alphabetical",
        "queue=nope",
        "category=nope",
        "limit=0",
        "limit=101",
        "limit=ten",
        "assignee=someone",
        "sort=updated&cursor=garbage",
        "sort=relevance",
    ] {
        let (status, body) = app.get(alex, &format!("/tickets?{bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "validation", "{bad}");
    }
}

/// Walks a list two tickets at a time and returns the ids in order.
async fn walk(app: &TestApp, client: &Client, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _page in 0..100 {
        let path = match &cursor {
            Some(cursor) => format!("/tickets?{query}&limit=2&cursor={}", encode(cursor)),
            None => format!("/tickets?{query}&limit=2"),
        };
        let (status, body) = app.get(client, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let page: Vec<i64> = body["tickets"].as_array().unwrap().iter().map(id_of).collect();
        assert!(page.len() <= 2, "{path}: {body}");
        match body["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(page.len(), 2, "{path}: a page with a next cursor is full");
                cursor = Some(next.to_string());
                ids.extend(page);
            }
            None => {
                ids.extend(page);
                return ids;
            }
        }
    }
    panic!("{query}: more than 100 pages");
}

#[sqlx::test(migrations = false)]
async fn keyset_pages_walk_every_sort_without_duplicates_or_gaps(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let priorities = ["low", "medium", "high", "urgent"];
    for index in 0..11 {
        let client = if index % 4 == 3 { &cast.other } else { &cast.owner };
        let mut body = new_ticket("support", &format!("Ticket {index}"));
        body["priority"] = json!(priorities[index * 7 % 4]);
        // Some match the search in the subject (rank higher), some in the description.
        if index % 3 == 0 {
            body["subject"] = json!(format!("Printer jam {index}"));
        } else if index % 3 == 1 {
            body["description"] = json!("The printer makes a noise.");
        }
        create(app, client, body).await;
    }
    // Ties on the sort keys: equal updated_at for several tickets.
    sqlx::query("update tickets set updated_at = '2026-01-02T03:04:05.123456Z' where id % 3 = 0")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update tickets set updated_at = updated_at - interval '1 hour' where id % 5 = 0")
        .execute(&app.pool)
        .await
        .unwrap();

    let orders = [
        ("sort=newest", "order by id desc"),
        ("sort=oldest", "order by id asc"),
        ("sort=updated", "order by updated_at desc, id desc"),
        ("sort=priority", "order by priority desc, id desc"),
        ("", "order by id desc"),
    ];
    for (query, order) in orders {
        let all: Vec<i64> =
            sqlx::query_scalar(&format!("select id from tickets {order}")).fetch_all(&app.pool).await.unwrap();
        assert_eq!(walk(app, &cast.agent, query).await, all, "agent, {query:?}");
        let own: Vec<i64> = sqlx::query_scalar(&format!("select id from tickets where requester_id = $1 {order}"))
            .bind(cast.owner_user.id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
        assert_eq!(walk(app, &cast.owner, query).await, own, "requester, {query:?}");
    }
    // With filters: some tickets leave the open statuses.
    sqlx::query("update tickets set status = 'resolved' where id % 4 = 1").execute(&app.pool).await.unwrap();
    sqlx::query("update tickets set status = 'pending' where id % 4 = 2").execute(&app.pool).await.unwrap();
    let open_or_pending: Vec<i64> = sqlx::query_scalar(
        "select id from tickets where status in ('open', 'pending') order by priority desc, id desc",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(open_or_pending.len() >= 5, "{open_or_pending:?}");
    assert_eq!(walk(app, &cast.agent, "status=open&status=pending&queue=support&sort=priority").await, open_or_pending);
    let open_by_update: Vec<i64> =
        sqlx::query_scalar("select id from tickets where status = 'open' order by updated_at desc, id desc")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(open_by_update.len() >= 3, "{open_by_update:?}");
    assert_eq!(walk(app, &cast.agent, "status=open&sort=updated").await, open_by_update);
    let own_open: Vec<i64> =
        sqlx::query_scalar("select id from tickets where status = 'open' and requester_id = $1 order by id desc")
            .bind(cast.owner_user.id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(walk(app, &cast.owner, "status=open").await, own_open);

    // Relevance: subject matches first, ties broken by id.
    let relevant: Vec<i64> = sqlx::query_scalar(
        "select id from tickets where search @@ to_tsquery('guichet_search', 'printer:*')
         order by ts_rank(search, to_tsquery('guichet_search', 'printer:*')) desc, id desc",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(relevant.len(), 8);
    assert_eq!(walk(app, &cast.agent, "q=print").await, relevant, "relevance is the default order with q");
    assert_eq!(walk(app, &cast.agent, "q=print&sort=oldest").await, {
        let mut ids = relevant.clone();
        ids.sort_unstable();
        ids
    });
}

// ---------------------------------------------------------------------------
// 7. Index use
// ---------------------------------------------------------------------------

/// Fails unless `plan` reads tickets through one of `indexes` and never scans the table.
/// Search finds what people type on a desk for Discord communities and web
/// shops (issue 14): slash commands, #channels, @mentions, error codes,
/// order numbers, file names and e-mail addresses, by their parts and as a
/// whole, accents ignored, in French and English. Each ticket is found by
/// each of its queries, and by no other ticket's.
#[sqlx::test(migrations = false)]
async fn search_finds_what_people_type(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let cases: &[(&str, &str, &[&str])] = &[
        ("Bot crashes on /play", "Since this morning.", &["play", "/play", "crashes /play", "/pla"]),
        (
            "Le salon #général est fermé",
            "Impossible d'écrire.",
            &["#général", "general", "#general", "salon general", "FERME"],
        ),
        ("Ping @Modérateurs please", "Nobody answers.", &["@moderateurs", "modérateurs", "@Modé"]),
        (
            "Checkout fails",
            "The API answers E_TIMEOUT then HTTP 502.",
            &["E_TIMEOUT", "timeout", "e_time", "HTTP 502", "502"],
        ),
        (
            "Commande #4821 jamais reçue",
            "Référence 2026-114 sur la facture.",
            &["#4821", "4821", "2026-114", "114", "commande recue"],
        ),
        (
            "calendar.js is blank",
            "Loaded from /static/calendar.js?v=3.",
            &["calendar.js", "calendar", "static/calendar.js", ".js"],
        ),
        (
            "Changer mon adresse",
            "Écrivez à jean.dupont@example.fr svp.",
            &["jean.dupont@example.fr", "jean.dupont", "dupont", "example.fr", "ecrivez"],
        ),
        (
            "L'église de Noël",
            "Une réservation « spéciale » — merci.",
            &["eglise", "l'église", "noel", "reservation speciale", "spéciale"],
        ),
    ];
    let mut ids = Vec::new();
    for (subject, description, _) in cases {
        let ticket = create(
            app,
            &cast.owner,
            json!({"queue": "support", "category": "other", "subject": subject, "description": description}),
        )
        .await;
        ids.push(id_of(&ticket));
    }
    for ((subject, _, queries), id) in cases.iter().zip(&ids) {
        for query in *queries {
            let found = listed_set(app, &cast.agent, &format!("q={}", encode(query))).await;
            assert_eq!(found, BTreeSet::from([*id]), "{query:?} should find {subject:?} only");
        }
    }
}

fn assert_uses_index(label: &str, plan: &str, indexes: &[&str]) {
    eprintln!("{label}:\n{plan}\n");
    assert!(!plan.contains("Seq Scan on tickets"), "{label}: sequential scan of tickets:\n{plan}");
    let uses = plan
        .lines()
        .any(|line| line.contains("Index") && indexes.iter().any(|index| line.contains(&format!(" {index} "))));
    assert!(uses, "{label}: expected an index scan on one of {indexes:?}:\n{plan}");
}

#[sqlx::test(migrations = false)]
async fn lists_and_search_are_served_by_indexes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let (agent, requester) =
        tokio::join!(app.create_user("ivan", Role::Agent), app.create_user("rachel", Role::Requester));
    sqlx::query(
        "insert into users (username, email, password_hash)
         select 'crowd' || g, 'crowd' || g || '@example.test', 'not a hash' from generate_series(1, 200) g",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // 20,000 tickets spread over queues, statuses, priorities and 200 requesters;
    // rachel has 20 of them, 40 mention "zanzibar". The text has a few hundred
    // common words, like real tickets, so the planner has word statistics.
    sqlx::query(
        "with crowd as (select array_agg(id order by id) as ids from users where username like 'crowd%')
         insert into tickets (queue_id, number, requester_id, category_id, priority, status, subject, description, created_at, updated_at)
         select (select id from queues where slug = case when g % 2 = 0 then 'support' else 'recruitment' end),
                g,
                case when g % 1000 = 0 then $1 else crowd.ids[1 + g % 200] end,
                (select id from categories where slug = 'other'),
                (array['low', 'medium', 'high', 'urgent']::ticket_priority[])[1 + (g / 3) % 4],
                (array['open', 'in_progress', 'pending', 'resolved', 'closed', 'escalated']::ticket_status[])[1 + (g / 2) % 6],
                'Generated ticket ' || g || ' topic' || (g % 150) || ' area' || (g % 170)
                    || case when g % 500 = 0 then ' zanzibar' else '' end,
                'Body of generated ticket number ' || g || ' mentions item' || (g % 250) || ' and part' || (g % 130),
                now() - make_interval(mins => 20000 - g),
                now() - make_interval(secs => (g * 7919) % 100000)
         from generate_series(1, 20000) g, crowd",
    )
    .bind(requester.id)
    .execute(&app.pool)
    .await
    .unwrap();
    for table in ["analyze tickets", "analyze users", "analyze queues", "analyze categories"] {
        sqlx::query(table).execute(&app.pool).await.unwrap();
    }
    let agent = Caller { user: Some(agent), address: None, token_scope: None, two_factor_missing: false };
    let requester = Caller { user: Some(requester), address: None, token_scope: None, two_factor_missing: false };

    let query = TicketQuery {
        status: vec!["open".into()],
        queue: Some("support".into()),
        sort: Some("updated".into()),
        ..Default::default()
    };
    let plan = ticket_lists::explain_list(&app.pool, &agent, &query).await.unwrap();
    let status_led = ["tickets_status_updated_idx", "tickets_queue_status_priority_updated_idx"];
    assert_uses_index("open support tickets by last update", &plan, &status_led);
    // The next pages too.
    let first_page =
        ticket_lists::list_tickets(&app.pool, &agent, &TicketQuery { limit: Some(2), ..query.clone() }).await.unwrap();
    assert_eq!(first_page.tickets.len(), 2);
    let next = TicketQuery { cursor: first_page.next_cursor.clone(), ..query.clone() };
    assert!(next.cursor.is_some());
    let plan = ticket_lists::explain_list(&app.pool, &agent, &next).await.unwrap();
    assert_uses_index("open support tickets by last update, second page", &plan, &status_led);

    let plan = ticket_lists::explain_list(&app.pool, &requester, &TicketQuery::default()).await.unwrap();
    assert_uses_index("a requester's own list", &plan, &["tickets_requester_idx", "tickets_requester_status_idx"]);

    let query = TicketQuery { q: Some("zanzibar".into()), ..Default::default() };
    let plan = ticket_lists::explain_list(&app.pool, &agent, &query).await.unwrap();
    assert_uses_index("search", &plan, &["tickets_search_idx"]);

    // The same list still answers right on the big table.
    let page = ticket_lists::list_tickets(&app.pool, &agent, &query).await.unwrap();
    assert_eq!(page.tickets.len(), 40);
    let page = ticket_lists::list_tickets(&app.pool, &requester, &TicketQuery::default()).await.unwrap();
    assert_eq!(page.tickets.len(), 20);
}

// ---------------------------------------------------------------------------
// 8. API tokens
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn api_tokens_work_as_bearer_credentials_until_deleted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    tokio::join!(app.create_user("tina", Role::Requester), app.create_user("ugo", Role::Requester));
    let (tina, ugo) = tokio::join!(app.logged_in("tina"), app.logged_in("ugo"));

    let (status, body) = app.post(&tina, "/tokens", json!({"name": "Deploy script"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let token_id = body["id"].as_i64().unwrap();
    assert_eq!(body["name"], "Deploy script");
    assert!(token.starts_with("gt_") && token.len() == 67, "{token}");
    assert!(token[3..].chars().all(|c| c.is_ascii_hexdigit()), "{token}");

    // Like `curl -H "Authorization: Bearer gt_..."`: no cookie at all.
    let script = app.with_bearer(&token);
    let (status, body) = app.post(&script, "/tickets", new_ticket("support", "Created from a script")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["ticket"]["requester"]["username"], "tina");
    let id = id_of(&body["ticket"]);
    assert_eq!(listed(&app, &script, "").await, vec![id]);
    let (status, _) = app.get(&script, &format!("/tickets/{id}")).await;
    assert_eq!(status, StatusCode::OK);

    // Listing shows names, never secrets (not even their hash).
    let (status, body) = app.get(&tina, "/tokens").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tokens = body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["id"], token_id);
    assert_eq!(tokens[0]["name"], "Deploy script");
    assert!(tokens[0]["last_used_at"].is_string(), "use is recorded: {body}");
    assert!(tokens[0].get("token").is_none() && tokens[0].get("token_hash").is_none(), "{body}");
    assert!(!body.to_string().contains(&token[3..]), "{body}");
    let (_, body) = app.get(&ugo, "/tokens").await;
    assert_eq!(body["tokens"], json!([]), "tokens are per user");

    // Someone else cannot revoke it.
    let (status, _) = app.delete(&ugo, &format!("/tokens/{token_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&script, "/tickets").await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app.delete(&tina, &format!("/tokens/{token_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for (label, (status, body)) in [
        ("list", app.get(&script, "/tickets").await),
        ("create", app.post(&script, "/tickets", new_ticket("support", "After revocation")).await),
    ] {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked token × {label}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    assert_eq!(ticket_count(&app.pool).await, 1);
    let (status, _) = app.delete(&tina, &format!("/tokens/{token_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A bad token is refused even next to a valid session cookie.
    let response =
        tina.get(app.url("/api/v1/tickets")).header("authorization", format!("Bearer {token}")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = app.post(&tina, "/tokens", json!({"name": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["name"].is_string());
    let (status, _) = app.post(&app.browser(), "/tokens", json!({"name": "anonymous"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------------------
// Server functions (`/fn/...`, form-encoded like the hydrated pages)
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn server_functions_enforce_the_same_permission_matrix(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let failures = run_permission_matrix(&cast, Via::ServerFunction).await;
    assert!(failures.is_empty(), "{} permission check(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[sqlx::test(migrations = false)]
async fn server_functions_create_tickets_with_details_and_apply_the_queue_limit(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let form = |queue: &'static str, subject: &'static str| {
        [
            ("queue", queue),
            ("category", "technical_issue"),
            ("priority", "high"),
            ("subject", subject),
            ("description", "The command fails on my server."),
            ("server_id", "eu-west-7"),
            ("command", "/shop buy"),
            ("error_message", "Timeout after 30s"),
        ]
    };
    let (status, body) = app.server_fn(&cast.owner, "create_ticket", &form("support", "Shop command fails")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.to_string().contains("SUP-0001"), "{body}");
    let (status, body) = app.server_fn(&cast.owner, "get_ticket", &[("key", "SUP-0001")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored: Value =
        sqlx::query_scalar("select metadata from tickets where number = 1").fetch_one(&app.pool).await.unwrap();
    for detail in ["eu-west-7", "/shop buy", "Timeout after 30s"] {
        assert!(stored.to_string().contains(detail), "metadata keeps {detail}: {stored}");
    }

    let (status, body) = app.server_fn(&cast.owner, "create_ticket", &form("support", "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation");
    assert!(body["fields"]["subject"].is_string(), "{body}");
    for server_id in ["eu\u{0}west", "\u{1b}[31meu-west"] {
        let mut form = form("support", "Control characters in details");
        form[5] = ("server_id", server_id);
        let (status, body) = app.server_fn(&cast.owner, "create_ticket", &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{server_id:?}: {body}");
        assert!(body["fields"]["server_id"].is_string(), "{server_id:?}: {body}");
    }
    let (status, body) = app.server_fn(&cast.owner, "create_ticket", &form("billing", "Unknown queue")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["queue"].is_string(), "{body}");

    let (status, body) = app.server_fn(&cast.owner, "create_ticket", &form("recruitment", "Application")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.server_fn(&cast.owner, "create_ticket", &form("recruitment", "Application again")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "conflict");
    assert!(body["message"].as_str().unwrap_or_default().contains("REC-0001"), "{body}");
    assert_eq!(ticket_count(&app.pool).await, 2);

    // The reply form: an internal note by a requester is refused, and never shown to them.
    let (status, body) = app
        .server_fn(
            &cast.agent,
            "add_message",
            &[("key", "SUP-0001"), ("body", "Secret staff remark"), ("kind", "internal_note")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.server_fn(&cast.owner, "get_ticket", &[("key", "SUP-0001")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.to_string().contains("Secret staff remark"), "{body}");
    let (status, body) = app.server_fn(&cast.other, "get_ticket", &[("key", "SUP-0001")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not_found");
}

#[sqlx::test(migrations = false)]
async fn server_functions_list_and_count_only_a_requesters_own_tickets(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    open_ticket(app, &cast.owner, "Olivia's first").await;
    open_ticket(app, &cast.owner, "Olivia's second").await;
    open_ticket(app, &cast.other, "Oscar's only").await;

    let (status, body) = app.server_fn_json(&cast.owner, "list_tickets", &json!({"query": {}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = body.to_string();
    assert!(text.contains("Olivia's first") && text.contains("Olivia's second"), "{body}");
    assert!(!text.contains("Oscar's only"), "{body}");
    let (status, body) = app.server_fn_json(&cast.agent, "list_tickets", &json!({"query": {"q": "oscar"}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.to_string().contains("Oscar's only"), "{body}");

    let total = |body: &Value| -> i64 {
        body.as_array()
            .unwrap_or_else(|| panic!("a list of counts: {body}"))
            .iter()
            .map(|count| count["count"].as_i64().unwrap())
            .sum()
    };
    let (status, body) = app.server_fn(&cast.owner, "status_counts", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(total(&body), 2, "{body}");
    let (status, body) = app.server_fn(&cast.agent, "status_counts", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(total(&body), 3, "{body}");
    let (status, _) = app.server_fn(&app.browser(), "status_counts", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Agents and admins see on a ticket the Discord account its requester gave
/// at registration (issue 14); requesters' own view does not carry it.
#[sqlx::test(migrations = false)]
async fn staff_see_the_requesters_discord_account(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("alex", Role::Agent).await;
    let agent = app.logged_in("alex").await;
    let requester = app.browser();
    let password = "a long enough passphrase 42";
    let registration = json!({
        "username": "zoe", "email": "zoe@example.test", "password": password,
        "discord_username": "zoe_dev", "discord_id": "123456789012345678",
    });
    let (status, body) = app.post(&requester, "/auth/register", registration).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.post(&requester, "/auth/login", json!({"login": "zoe", "password": password})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ticket = open_ticket(&app, &requester, "Bot ignores me").await;
    let key = id_of(&ticket).to_string();

    let seen_by_agent = detail(&app, &agent, &key).await;
    assert_eq!(seen_by_agent["requester_discord"], json!({"username": "zoe_dev", "id": "123456789012345678"}));
    let html = agent
        .get(app.url(&format!("/tickets/{key}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("zoe_dev (123456789012345678)"), "the ticket page shows it to the agent");
    assert!(detail(&app, &requester, &key).await.get("requester_discord").is_none(), "not in the requester's view");
}

/// Issue 14: a reply sent twice with one submission key (a double click on
/// the form, an API retry after a timeout) makes one message and one event;
/// the key is the author's own, checked, and cannot move to another ticket.
#[sqlx::test(migrations = false)]
async fn a_submission_sent_twice_makes_one_message(pool: PgPool) {
    let cast = Cast::new(pool).await;
    let app = &cast.app;
    let ticket = open_ticket(app, &cast.owner, "Parcel never arrived").await;
    let id = id_of(&ticket);
    let reference = ticket["reference"].as_str().unwrap().to_string();
    let other = id_of(&open_ticket(app, &cast.owner, "Second parcel").await);
    let key = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b";
    let send = |client: &Client, ticket: i64, key: &str, body: &str| {
        client
            .post(app.url(&format!("/api/v1/tickets/{ticket}/messages")))
            .header("idempotency-key", key)
            .json(&json!({"body": body}))
            .send()
    };

    // The API: the retry answers the first message, 201 again, nothing new.
    let first = send(&cast.owner, id, key, "Any news on my parcel?").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send(&cast.owner, id, key, "Any news on my parcel?").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["message"]["id"], first["message"]["id"], "{again}");
    let before = snapshot(&app.pool, id).await;
    assert_eq!(before.messages, 1);
    let replied = |detail: &Value| events_of(detail).iter().filter(|(action, _, _)| action == "replied").count();
    assert_eq!(replied(&detail(app, &cast.owner, &id.to_string()).await), 1);

    // The same key is another user's own: the agent's message is new.
    let agent = send(&cast.agent, id, key, "On its way.").await.unwrap();
    assert_eq!(agent.status(), StatusCode::CREATED);
    assert_eq!(snapshot(&app.pool, id).await.messages, 2);

    // On another ticket the owner's key is refused, with its field, and nothing changes.
    let moved = send(&cast.owner, other, key, "Same key elsewhere").await.unwrap();
    assert_eq!(moved.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let moved: Value = moved.json().await.unwrap();
    assert!(moved["error"]["fields"]["submission"].is_string(), "{moved}");
    assert_eq!(snapshot(&app.pool, other).await.messages, 0);
    for bad in ["short", "has spaces in it, which are not allowed", &"x".repeat(65)] {
        let refused = send(&cast.owner, id, bad, "Bad key").await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let refused: Value = refused.json().await.unwrap();
        assert!(refused["error"]["fields"]["submission"].is_string(), "{refused}");
    }

    // The reply form's hidden field: the second submit of one form is the first one.
    let form = [
        ("key", reference.as_str()),
        ("body", "Hello again"),
        ("kind", "reply"),
        ("submission", "form-0123456789abcdef"),
    ];
    let (status, sent) = app.server_fn(&cast.owner, "add_message", &form).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let (status, resent) = app.server_fn(&cast.owner, "add_message", &form).await;
    assert_eq!(status, StatusCode::OK, "{resent}");
    assert_eq!(sent["id"], resent["id"]);
    let without_key = [("key", reference.as_str()), ("body", "Hello again"), ("kind", "reply")];
    app.server_fn(&cast.owner, "add_message", &without_key).await;
    app.server_fn(&cast.owner, "add_message", &without_key).await;
    assert_eq!(snapshot(&app.pool, id).await.messages, 5, "without a key, two sends are two messages");
}
