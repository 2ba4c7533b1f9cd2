//! The live stream over HTTP, read on the wire (raw Server-Sent Events):
//! fan-out between two server instances sharing one database, per-connection
//! authorization, exact resumption after a disconnection, commit-ordered
//! positions, typing and presence, and streams that end on log-out or
//! demotion.

use crate::common;

use app::domain::Role;
use common::TestApp;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

/// Longest wait for a message that must come. Generous for a busy 2-core CI
/// machine: delivery normally takes milliseconds, and a test only waits this
/// long when the feature is broken.
const PATIENCE: Duration = Duration::from_secs(10);

/// One Server-Sent Events message.
#[derive(Debug, Clone)]
struct Message {
    event: String,
    id: Option<i64>,
    data: Value,
}

/// An open `GET /api/v1/events`, read chunk by chunk. Keeps the raw text it
/// received, to check what went over the wire.
struct Stream {
    response: reqwest::Response,
    buffer: String,
    raw: String,
}

impl Stream {
    async fn open(app: &TestApp, client: &Client, after: Option<i64>) -> Stream {
        let mut request = client.get(app.url("/api/v1/events"));
        if let Some(after) = after {
            request = request.header("Last-Event-ID", after.to_string());
        }
        let response = request.send().await.expect("events request");
        assert_eq!(response.status(), StatusCode::OK, "GET /api/v1/events");
        assert_eq!(
            response.headers().get("content-type").and_then(|value| value.to_str().ok()),
            Some("text/event-stream")
        );
        Stream { response, buffer: String::new(), raw: String::new() }
    }

    /// The next message, `None` when the server ended the stream.
    async fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let mut message = Message { event: "message".into(), id: None, data: Value::Null };
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        message.event = value.trim().to_string();
                    } else if let Some(value) = line.strip_prefix("id:") {
                        message.id = Some(value.trim().parse().expect("numeric id"));
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                message.data = serde_json::from_str(&data).expect("JSON data");
                return Some(message);
            }
            let chunk = self.response.chunk().await.ok()??;
            let text = String::from_utf8(chunk.to_vec()).expect("UTF-8 stream");
            self.raw.push_str(&text);
            self.buffer.push_str(&text);
        }
    }

    /// The next message within [`PATIENCE`]; fails the test on timeout or end.
    async fn expect(&mut self, what: &str) -> Message {
        match tokio::time::timeout(PATIENCE, self.next()).await {
            Ok(Some(message)) => message,
            Ok(None) => panic!("the stream ended while waiting for {what}"),
            Err(_) => panic!("no message within {PATIENCE:?} while waiting for {what}; received so far:\n{}", self.raw),
        }
    }

    /// The `ready` message every stream starts with.
    async fn ready(&mut self) -> Value {
        let message = self.expect("ready").await;
        assert_eq!(message.event, "ready", "first message: {message:?}");
        assert_eq!(message.id, message.data["position"].as_i64(), "ready's id is its position");
        message.data
    }

    /// The next `ticket` message (skipping activity), checking its id.
    async fn ticket_event(&mut self, what: &str) -> Value {
        loop {
            let message = self.expect(what).await;
            if message.event == "ticket" {
                assert_eq!(message.id, message.data["position"].as_i64(), "a ticket event's id is its position");
                return message.data;
            }
        }
    }

    /// Waits until the server ends the stream; fails if it goes on.
    async fn expect_end(&mut self, why: &str) {
        let ended = tokio::time::timeout(PATIENCE, async {
            while let Some(message) = self.next().await {
                if message.event == "ticket" {
                    panic!("{why}: received {message:?} instead of the end of the stream");
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "{why}: the stream did not end");
    }
}

fn new_ticket(subject: &str) -> Value {
    json!({
        "queue": "support",
        "category": "general_inquiry",
        "priority": "medium",
        "subject": subject,
        "description": format!("Details about {subject}."),
    })
}

async fn create(app: &TestApp, client: &Client, subject: &str) -> Value {
    let (status, body) = app.post(client, "/tickets", new_ticket(subject)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["ticket"].clone()
}

async fn say(app: &TestApp, client: &Client, ticket: &Value, kind: &str, body: &str) -> Value {
    let id = &ticket["id"];
    let (status, response) =
        app.post(client, &format!("/tickets/{id}/messages"), json!({"kind": kind, "body": body})).await;
    assert_eq!(status, StatusCode::CREATED, "{kind} on {id}: {response}");
    response["message"].clone()
}

async fn set_status(app: &TestApp, client: &Client, ticket: &Value, status: &str) {
    let id = &ticket["id"];
    let (code, response) = app.put(client, &format!("/tickets/{id}/status"), json!({"status": status})).await;
    assert_eq!(code, StatusCode::OK, "status {status} on {id}: {response}");
}

fn summary(event: &Value) -> (i64, String) {
    (event["ticket_id"].as_i64().expect("ticket_id"), event["action"].as_str().expect("action").to_string())
}

#[sqlx::test(migrations = false)]
async fn a_reply_through_one_instance_reaches_a_stream_on_the_other(pool: PgPool) {
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn_beside(&first, pool).await;
    first.create_user("requester", Role::Requester).await;
    first.create_user("agent", Role::Agent).await;
    let requester = first.logged_in("requester").await;
    // Sessions live in PostgreSQL: the agent's cookie works on both instances.
    let agent = second.logged_in("agent").await;

    let mut requester_stream = Stream::open(&first, &requester, None).await;
    let mut agent_stream = Stream::open(&second, &agent, None).await;
    let start = requester_stream.ready().await["position"].as_i64().expect("position");
    agent_stream.ready().await;

    let ticket = create(&first, &requester, "Printer on fire").await;
    let created = agent_stream.ticket_event("the creation, on the other instance").await;
    assert_eq!(summary(&created), (ticket["id"].as_i64().unwrap(), "created".into()));
    assert_eq!(created["reference"], ticket["reference"]);
    assert_eq!(created["actor"]["username"], "requester");
    assert_eq!(created["mine"], false, "the agent is not assigned");

    let own_creation = requester_stream.ticket_event("the requester's own creation").await;
    assert_eq!(own_creation["mine"], true);
    assert!(own_creation["position"].as_i64().unwrap() > start);

    let reply = say(&second, &agent, &ticket, "reply", "Unplug it.").await;
    let replied = requester_stream.ticket_event("the agent's reply, made on the other instance").await;
    assert_eq!(summary(&replied), (ticket["id"].as_i64().unwrap(), "replied".into()));
    assert_eq!(replied["data"]["message_id"], reply["id"]);
    assert_eq!(replied["actor"]["username"], "agent");
    assert!(!requester_stream.raw.contains("Unplug it."), "payloads carry ids, not message text");
    assert_eq!(agent_stream.ticket_event("the agent's own reply").await["event_id"], replied["event_id"]);
}

#[sqlx::test(migrations = false)]
async fn a_requester_stream_never_carries_other_tickets_or_internal_notes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("alice", Role::Requester).await;
    app.create_user("bob", Role::Requester).await;
    app.create_user("agent", Role::Agent).await;
    let alice = app.logged_in("alice").await;
    let bob = app.logged_in("bob").await;
    let agent = app.logged_in("agent").await;
    let mut staff_stream = Stream::open(&app, &agent, None).await;
    staff_stream.ready().await;
    let alice_ticket = create(&app, &alice, "Alice's laptop").await;
    // A stream starts where its instance has published up to: wait until
    // the creation is out before Alice connects.
    assert_eq!(summary(&staff_stream.ticket_event("the creation").await).1, "created");
    let mut stream = Stream::open(&app, &alice, None).await;
    stream.ready().await;

    let bob_ticket = create(&app, &bob, "Bob's secret project").await;
    say(&app, &agent, &bob_ticket, "reply", "About your project").await;
    say(&app, &agent, &alice_ticket, "internal_note", "Alice broke it again").await;
    // Typing an internal note is announced to staff only; a reply to everyone.
    let activity = |kind: &str, internal: bool| json!({"activity": kind, "internal": internal});
    let path = format!("/tickets/{}/activity", alice_ticket["id"]);
    assert_eq!(app.post(&agent, &path, activity("typing", true)).await.0, StatusCode::NO_CONTENT);
    let bob_path = format!("/tickets/{}/activity", bob_ticket["id"]);
    assert_eq!(app.post(&agent, &bob_path, activity("viewing", false)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.post(&agent, &path, activity("typing", false)).await.0, StatusCode::NO_CONTENT);
    let reply = say(&app, &agent, &alice_ticket, "reply", "Fixed").await;

    // Everything above happened before the reply, so once the reply arrives
    // anything Alice was going to receive has arrived.
    let mut received = Vec::new();
    loop {
        let message = stream.expect("Alice's reply").await;
        let done = message.event == "ticket" && message.data["data"]["message_id"] == reply["id"];
        received.push(message);
        if done {
            break;
        }
    }
    let described: Vec<String> = received
        .iter()
        .map(|message| match message.event.as_str() {
            "ticket" => format!("ticket {} {}", message.data["ticket_id"], message.data["action"]),
            other => format!(
                "{other} {} {} {}",
                message.data["ticket_id"], message.data["activity"], message.data["internal"]
            ),
        })
        .collect();
    assert_eq!(
        described,
        vec![
            format!("activity {} \"typing\" false", alice_ticket["id"]),
            format!("ticket {} \"replied\"", alice_ticket["id"]),
        ],
        "Alice gets the public typing and the reply on her ticket, nothing else"
    );
    // On the wire too: nothing about Bob's ticket, no note, no internal typing.
    for secret in ["Bob's", bob_ticket["reference"].as_str().unwrap(), "note_added", "\"internal\":true"] {
        assert!(!stream.raw.contains(secret), "Alice's stream contains {secret:?}:\n{}", stream.raw);
    }

    // The agent got all of it, in commit order, with increasing positions.
    let mut actions = Vec::new();
    let mut last_position = 0;
    while actions.len() < 4 {
        let event = staff_stream.ticket_event("the staff stream").await;
        let position = event["position"].as_i64().unwrap();
        assert!(position > last_position, "positions increase");
        last_position = position;
        actions.push(summary(&event));
    }
    let (alice_id, bob_id) = (alice_ticket["id"].as_i64().unwrap(), bob_ticket["id"].as_i64().unwrap());
    assert_eq!(
        actions,
        vec![
            (bob_id, "created".to_string()),
            (bob_id, "replied".to_string()),
            (alice_id, "note_added".to_string()),
            (alice_id, "replied".to_string())
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn a_reconnecting_client_gets_exactly_what_it_missed(pool: PgPool) {
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn_beside(&first, pool).await;
    first.create_user("requester", Role::Requester).await;
    first.create_user("agent", Role::Agent).await;
    let requester = first.logged_in("requester").await;
    let agent = first.logged_in("agent").await;
    let ticket = create(&first, &requester, "Flaky wifi").await;

    let mut stream = Stream::open(&first, &requester, None).await;
    let position = stream.ready().await["position"].as_i64().unwrap();
    drop(stream); // the network drops

    say(&first, &agent, &ticket, "reply", "Which floor?").await;
    say(&first, &agent, &ticket, "internal_note", "Probably the access point").await;
    set_status(&first, &agent, &ticket, "pending").await;
    let (status, body) = first.patch(&agent, &format!("/tickets/{}", ticket["id"]), json!({"priority": "high"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Resuming on the other instance (a load balancer may switch).
    let mut resumed = Stream::open(&second, &requester, Some(position)).await;
    let ready = resumed.ready().await;
    assert_eq!(ready, json!({"position": position, "reset": false}));
    let mut missed = Vec::new();
    for _ in 0..3 {
        missed.push(resumed.ticket_event("a missed event").await);
    }
    let actions: Vec<String> = missed.iter().map(|event| summary(event).1).collect();
    assert_eq!(actions, ["replied", "status_changed", "priority_changed"], "the note is not for requesters");
    let last = missed.last().unwrap()["position"].as_i64().unwrap();

    // Then live, with no duplicate of the replayed events.
    say(&first, &requester, &ticket, "reply", "Third floor").await;
    let live = resumed.ticket_event("the live reply").await;
    assert_eq!(summary(&live).1, "replied");
    assert!(live["position"].as_i64().unwrap() > last);

    // Resuming again from the same point gives the same events, once each.
    let mut again = Stream::open(&first, &requester, Some(position)).await;
    again.ready().await;
    let mut replayed = Vec::new();
    for _ in 0..4 {
        replayed.push(again.ticket_event("a replayed event").await["position"].as_i64().unwrap());
    }
    let expected: Vec<i64> = missed.iter().chain([&live]).map(|event| event["position"].as_i64().unwrap()).collect();
    assert_eq!(replayed, expected);

    // `?after=` works like the header; nonsense is a field error.
    let (status, body) = first.get(&requester, "/events?after=soon").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["after"], "must be a stream position (a number)");
    // A position from the future (another database) means: reload.
    let mut future = Stream::open(&first, &requester, Some(last + 1_000_000)).await;
    assert_eq!(future.ready().await["reset"], true);
}

#[sqlx::test(migrations = false)]
async fn an_event_committed_late_is_not_skipped(pool: PgPool) {
    // Event ids are taken at insert time, so a transaction can commit an
    // event with a lower id after a higher one was delivered. Positions are
    // given at commit time: a client that saw the later event still gets
    // the earlier one, live and on resume.
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user("requester", Role::Requester).await;
    app.create_user("agent", Role::Agent).await;
    let requester = app.logged_in("requester").await;
    let agent = app.logged_in("agent").await;
    let mut stream = Stream::open(&app, &agent, None).await;
    let start = stream.ready().await["position"].as_i64().unwrap();
    let slow_ticket = create(&app, &requester, "Slow").await;
    let fast_ticket = create(&app, &requester, "Fast").await;
    for _ in 0..2 {
        assert_eq!(summary(&stream.ticket_event("a creation").await).1, "created");
    }

    // A slow transaction takes an event id and holds it uncommitted.
    let mut slow = pool.begin().await.unwrap();
    let slow_id: i64 = sqlx::query_scalar(
        "insert into ticket_events (ticket_id, action, data) values ($1, 'escalated', '{\"reason\": \"slow\"}') returning id",
    )
    .bind(slow_ticket["id"].as_i64().unwrap())
    .fetch_one(&mut *slow)
    .await
    .unwrap();
    sqlx::query("select pg_notify('guichet_events', $1)").bind(slow_id.to_string()).execute(&mut *slow).await.unwrap();

    say(&app, &agent, &fast_ticket, "reply", "quick").await;
    let fast = stream.ticket_event("the fast reply").await;
    assert!(fast["event_id"].as_i64().unwrap() > slow_id, "the fast event has the higher id");
    slow.commit().await.unwrap();

    let late = stream.ticket_event("the late commit").await;
    assert_eq!(late["event_id"].as_i64().unwrap(), slow_id);
    assert!(late["position"].as_i64().unwrap() > fast["position"].as_i64().unwrap(), "positions follow commits");

    let mut resumed = Stream::open(&app, &agent, Some(fast["position"].as_i64().unwrap())).await;
    resumed.ready().await;
    assert_eq!(resumed.ticket_event("the late event on resume").await["event_id"].as_i64().unwrap(), slow_id);
    let mut from_start = Stream::open(&app, &agent, Some(start)).await;
    from_start.ready().await;
    for _ in 0..2 {
        from_start.ticket_event("a creation").await;
    }
    let first = from_start.ticket_event("first").await["event_id"].as_i64().unwrap();
    let second = from_start.ticket_event("second").await["event_id"].as_i64().unwrap();
    assert_eq!((first, second), (fast["event_id"].as_i64().unwrap(), slow_id));
}

#[sqlx::test(migrations = false)]
async fn streams_end_on_log_out_demotion_and_revoked_tokens(pool: PgPool) {
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn_beside(&first, pool).await;
    first.create_user("admin", Role::Admin).await;
    let agent_id = first.create_user("agent", Role::Agent).await.id;
    first.create_user("requester", Role::Requester).await;
    let admin = first.logged_in("admin").await;
    let requester = first.logged_in("requester").await;
    let agent = first.logged_in("agent").await;
    let ticket = create(&first, &requester, "Help").await;

    // Demotion, decided on the other instance, ends the agent's stream.
    let mut stream = Stream::open(&first, &agent, None).await;
    let position = stream.ready().await["position"].as_i64().unwrap();
    let (status, body) = second.put(&admin, &format!("/users/{agent_id}/role"), json!({"role": "requester"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    stream.expect_end("after the demotion").await;
    // Reconnecting authorises afresh: now a requester, no other tickets.
    say(&first, &admin, &ticket, "reply", "admin speaking").await;
    let mut reconnected = Stream::open(&first, &agent, Some(position)).await;
    reconnected.ready().await;
    let (status, _) = first.get(&agent, "/tickets/stats").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the demoted agent is a requester now");
    let own = create(&first, &agent, "Now I am a requester").await;
    let event = reconnected.ticket_event("the demoted user's own ticket").await;
    assert_eq!(
        summary(&event),
        (own["id"].as_i64().unwrap(), "created".into()),
        "the reply on another's ticket is not replayed"
    );

    // Log-out ends the stream; the old cookie no longer opens one.
    let mut requester_stream = Stream::open(&second, &requester, None).await;
    requester_stream.ready().await;
    let (status, _) = first.post(&requester, "/auth/logout", json!({})).await;
    assert!(status.is_success(), "log-out: {status}");
    requester_stream.expect_end("after log-out").await;
    let response = requester.get(second.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // A revoked token's stream ends, and the token opens no new one.
    let (status, token) = first.post(&admin, "/tokens", json!({"name": "dashboard"})).await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let bearer = first.with_bearer(token["token"].as_str().expect("token"));
    let mut token_stream = Stream::open(&second, &bearer, None).await;
    token_stream.ready().await;
    let (status, _) = first.delete(&admin, &format!("/tokens/{}", token["id"])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    token_stream.expect_end("after revoking the token").await;
    let response = bearer.get(second.url("/api/v1/events")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Nobody logged in: 401 in the API's error format.
    let (status, body) = first.get(&first.browser(), "/events").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[sqlx::test(migrations = false)]
async fn typing_and_presence_reach_the_others_and_are_validated(pool: PgPool) {
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn_beside(&first, pool.clone()).await;
    first.create_user("requester", Role::Requester).await;
    first.create_user("stranger", Role::Requester).await;
    let alice_id = first.create_user("alice", Role::Agent).await.id;
    first.create_user("bruno", Role::Agent).await;
    let requester = first.logged_in("requester").await;
    let stranger = first.logged_in("stranger").await;
    let alice = first.logged_in("alice").await;
    let bruno = second.logged_in("bruno").await;
    let ticket = create(&first, &requester, "Two agents, one ticket").await;
    let reference = ticket["reference"].as_str().unwrap();

    let mut bruno_stream = Stream::open(&second, &bruno, None).await;
    let mut alice_stream = Stream::open(&first, &alice, None).await;
    bruno_stream.ready().await;
    alice_stream.ready().await;

    // Through the server function the hydrated page uses, by reference.
    let (status, body) = first
        .server_fn(
            &alice,
            "announce_activity",
            &[("ticket", reference), ("activity", "viewing"), ("internal", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = first
        .server_fn(&alice, "announce_activity", &[("ticket", reference), ("activity", "typing"), ("internal", "false")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = first
        .server_fn(
            &alice,
            "announce_activity",
            &[("ticket", reference), ("activity", "stopped"), ("internal", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for expected in ["viewing", "typing", "stopped"] {
        let message = bruno_stream.expect(expected).await;
        assert_eq!(message.event, "activity");
        assert_eq!(message.id, None, "activity is not replayed, so it has no id");
        assert_eq!(
            message.data,
            json!({"ticket_id": ticket["id"], "user": {"id": alice_id, "username": "alice"}, "activity": expected, "internal": false})
        );
    }
    // Nobody hears themselves: Alice's next message is Bruno's, not hers.
    let (status, _) =
        second.post(&bruno, &format!("/tickets/{reference}/activity"), json!({"activity": "viewing"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let message = alice_stream.expect("Bruno's presence").await;
    assert_eq!(
        (message.data["user"]["username"].as_str(), message.data["activity"].as_str()),
        (Some("bruno"), Some("viewing"))
    );

    // Validation: unknown activity, a requester's internal note, another's ticket.
    let path = format!("/tickets/{}/activity", ticket["id"]);
    let (status, body) = first.post(&alice, &path, json!({"activity": "dancing"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["fields"]["activity"], "must be one of viewing, typing, stopped, left");
    let (status, body) = first.post(&requester, &path, json!({"activity": "typing", "internal": true})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["internal"].is_string(), "{body}");
    let (status, _) = first.post(&stranger, &path, json!({"activity": "viewing"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another requester's ticket does not exist for them");
    let (status, _) = first.post(&first.browser(), &path, json!({"activity": "viewing"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Typing is never stored.
    let tables: i64 =
        sqlx::query_scalar("select count(*) from ticket_events where ticket_id = $1 and action <> 'created'")
            .bind(ticket["id"].as_i64().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(tables, 0);
}

/// Statistics are served again until a ticket event reaches the instance
/// (`services::ticket_lists::StatsCache`): a change made behind the service's
/// back (straight SQL, no event) is not seen, the next ticket event, from
/// either instance, brings every change in.
#[sqlx::test(migrations = false)]
async fn statistics_are_kept_until_the_next_ticket_event(pool: PgPool) {
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn_beside(&first, pool.clone()).await;
    first.create_user("agent", Role::Agent).await;
    first.create_user("requester", Role::Requester).await;
    let agent = first.logged_in("agent").await;
    let requester = first.logged_in("requester").await;
    let mut stream = Stream::open(&first, &agent, None).await;
    stream.ready().await;
    let ticket = create(&first, &requester, "Counted").await;
    // Once the stream carried the ticket's event, this instance has published
    // it: the statistics computed next are cached at that position (read
    // earlier, the event could arrive between the two reads below).
    let event = stream.ticket_event("the first ticket's event").await;
    assert_eq!(summary(&event), (ticket["id"].as_i64().unwrap(), "created".into()));

    let (status, before) = first.get(&agent, "/tickets/stats?period=7d").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!((before["created"].as_i64(), before["by_priority"].clone()), (Some(1), json!({"medium": 1})));

    // Behind the service's back: no event, so the cached figures stay.
    sqlx::query("update tickets set priority = 'low' where id = $1")
        .bind(ticket["id"].as_i64().unwrap())
        .execute(&pool)
        .await
        .expect("direct update");
    let (_, cached) = first.get(&agent, "/tickets/stats?period=7d").await;
    assert_eq!(cached, before, "served from the cache while no ticket event arrived");

    // A ticket created through the other instance: once its event reached
    // this one, the statistics are computed again and show both changes.
    let newer = create(&second, &requester, "Newer").await;
    let event = stream.ticket_event("the new ticket's event").await;
    assert_eq!(summary(&event), (newer["id"].as_i64().unwrap(), "created".into()));
    let (_, after) = first.get(&agent, "/tickets/stats?period=7d").await;
    assert_eq!(after["created"], 2, "{after}");
    assert_eq!(after["by_priority"], json!({"low": 1, "medium": 1}), "{after}");
}
