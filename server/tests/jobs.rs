//! The jobs worker and automatic escalation (issue 15, items 1 and 3)
//! through the real router and a real PostgreSQL: timestamps are moved back
//! in the database and a pass is run directly (`jobs::run_pass`), never
//! waited for; two workers on one database; the admins' thresholds and
//! their bad input; and each rule's candidates found through its index on
//! a desk of 100,000 tickets.

use crate::common;

use app::domain::Role;
use app::domain::escalation::EscalationRule;
use app::services::jobs::{self, RULES, TimedRule};
use app::services::{escalation, notifications};
use common::TestApp;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

const UNANSWERED: TimedRule = TimedRule::Escalation(EscalationRule::Unanswered);
const URGENT_UNASSIGNED: TimedRule = TimedRule::Escalation(EscalationRule::UrgentUnassigned);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The people of a desk: a requester, an agent, two admins, logged in.
struct Desk {
    app: TestApp,
    requester: Client,
    agent: Client,
    admin: Client,
    agent_id: i64,
}

async fn desk(pool: PgPool) -> Desk {
    let app = TestApp::spawn(pool).await;
    app.create_user("chloe", Role::Requester).await;
    let agent = app.create_user("alice", Role::Agent).await;
    app.create_user("root", Role::Admin).await;
    app.create_user("rita", Role::Admin).await;
    let (requester, agent_client, admin) =
        tokio::join!(app.logged_in("chloe"), app.logged_in("alice"), app.logged_in("root"));
    Desk { app, requester, agent: agent_client, admin, agent_id: agent.id }
}

/// Opens a support ticket as the requester; returns its id.
async fn open_ticket(desk: &Desk, subject: &str, priority: &str) -> i64 {
    let body = json!({"queue": "support", "category": "general_inquiry", "priority": priority,
                      "subject": subject, "description": format!("Details about {subject}.")});
    let (status, response) = desk.app.post(&desk.requester, "/tickets", body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    response["ticket"]["id"].as_i64().expect("ticket id")
}

/// Makes ticket `id` look `hours` old (its creation moved back; nothing else).
async fn age(pool: &PgPool, id: i64, hours: i32) {
    sqlx::query("update tickets set created_at = now() - make_interval(hours => $2) where id = $1")
        .bind(id)
        .bind(hours)
        .execute(pool)
        .await
        .expect("move created_at back");
}

/// `GET /tickets/{id}` as `client`.
async fn detail(desk: &Desk, client: &Client, id: i64) -> Value {
    let (status, body) = desk.app.get(client, &format!("/tickets/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The ticket's `escalated` events as `client` sees them.
async fn escalations(desk: &Desk, client: &Client, id: i64) -> Vec<Value> {
    let detail = detail(desk, client, id).await;
    detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["action"] == "escalated")
        .cloned()
        .collect()
}

async fn status_of(desk: &Desk, id: i64) -> String {
    detail(desk, &desk.agent, id).await["ticket"]["status"].as_str().expect("status").to_string()
}

/// A pass, which must not fail.
async fn pass(pool: &PgPool) -> jobs::PassReport {
    let report = jobs::run_pass(pool).await.expect("a pass");
    assert!(report.failed.is_empty(), "failed rules: {report:?}");
    report
}

/// Expands the role-wide notifications (every admin's, for escalations)
/// the way delivery workers do, until none is left.
async fn expand_fan_outs(pool: &PgPool) {
    while notifications::expand_fan_outs(pool, true).await.expect("expand fan-outs") > 0 {}
}

/// `(inbox lines, email rows)` of kind `ticket_escalated` about ticket `id`.
async fn escalation_notices(pool: &PgPool, id: i64) -> (i64, i64) {
    let inbox: i64 =
        sqlx::query_scalar("select count(*) from notifications where ticket_id = $1 and kind = 'ticket_escalated'")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    let emails: i64 = sqlx::query_scalar(
        "select count(*) from outbox where ticket_id = $1 and kind = 'ticket_escalated' and channel = 'email'",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap();
    (inbox, emails)
}

// ---------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn an_old_unanswered_ticket_is_escalated_once_by_the_system_and_notifies_like_a_person(pool: PgPool) {
    let desk = desk(pool).await;
    let pool = &desk.app.pool;
    let unanswered = open_ticket(&desk, "VPN down", "medium").await;
    let answered = open_ticket(&desk, "Printer jam", "medium").await;
    let young = open_ticket(&desk, "New laptop", "medium").await;
    let manual = open_ticket(&desk, "Billing question", "medium").await;
    // An agent's public reply answers it; an internal note or the requester's own words do not.
    let (status, _) =
        desk.app.post(&desk.agent, &format!("/tickets/{answered}/messages"), json!({"body": "On it."})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = desk
        .app
        .post(&desk.agent, &format!("/tickets/{unanswered}/messages"), json!({"body": "Hmm.", "kind": "internal_note"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) =
        desk.app.post(&desk.requester, &format!("/tickets/{unanswered}/messages"), json!({"body": "Any news?"})).await;
    assert_eq!(status, StatusCode::CREATED);
    for id in [unanswered, answered, manual] {
        age(pool, id, 49).await;
    }
    age(pool, young, 47).await;
    // A person's escalation, to compare what goes out.
    let (status, body) =
        desk.app.post(&desk.agent, &format!("/tickets/{manual}/escalate"), json!({"reason": "Billing team"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let report = pass(pool).await;
    assert_eq!(report.acted_on(UNANSWERED), 1, "{report:?}");
    assert_eq!(report.total(), 1, "{report:?}");
    assert_eq!(status_of(&desk, unanswered).await, "escalated");
    assert_eq!(status_of(&desk, answered).await, "open", "an agent's reply answers a ticket");
    assert_eq!(status_of(&desk, young).await, "open", "47 hours is not 48");

    // By the system, the rule in its data; staff see the reason too.
    let events = escalations(&desk, &desk.agent, unanswered).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["actor"], Value::Null, "{event}");
    assert_eq!(event["data"]["rule"], "unanswered", "{event}");
    assert_eq!(event["data"]["from"], "open", "{event}");
    let reason = event["data"]["reason"].as_str().expect("a reason");
    assert!(reason.contains("48"), "the reason names the threshold: {reason}");
    // The requester learns that it was escalated, neither why nor by which rule.
    let seen = escalations(&desk, &desk.requester, unanswered).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["data"], json!({"from": "open"}), "{}", seen[0]);
    // The timeline tells the rule in the viewer's language.
    let reference = detail(&desk, &desk.agent, unanswered).await["ticket"]["reference"].as_str().unwrap().to_string();
    let page = desk.agent.get(desk.app.url(&format!("/tickets/{reference}"))).header("accept", "text/html");
    let page = page.send().await.unwrap().text().await.unwrap();
    assert!(page.contains("escalated it automatically: no reply from an agent in time"), "timeline line missing");
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from ticket_automatic_escalations where ticket_id = $1 and rule = 'unanswered'",
    )
    .bind(unanswered)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(stored, 1);

    // The same notifications as the person's escalation: each admin's bell and mail.
    expand_fan_outs(pool).await;
    assert_eq!(escalation_notices(pool, manual).await, (2, 2), "a person's escalation tells both admins");
    assert_eq!(escalation_notices(pool, unanswered).await, (2, 2), "so does the rule's");
    let (status, inbox) = desk.app.get(&desk.admin, "/notifications").await;
    assert_eq!(status, StatusCode::OK);
    let titles: Vec<&str> =
        inbox["notifications"].as_array().unwrap().iter().filter_map(|line| line["title"].as_str()).collect();
    assert!(titles.iter().any(|title| title.starts_with("Guichet escalated SUP-0001")), "{titles:?}");
    let email: Value = sqlx::query_scalar(
        "select payload from outbox where ticket_id = $1 and kind = 'ticket_escalated' and channel = 'email' limit 1",
    )
    .bind(unanswered)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(email["actor"], Value::Null, "{email}");
    assert_eq!(email["reason"], reason, "admins' mail carries the reason: {email}");

    // A second pass does nothing.
    let report = pass(pool).await;
    assert_eq!(report.total(), 0, "{report:?}");
    // Nor does one after an agent took it back to open without answering:
    // each rule acts once per ticket, ever.
    let (status, body) =
        desk.app.put(&desk.agent, &format!("/tickets/{unanswered}/status"), json!({"status": "open"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(pass(pool).await.total(), 0);
    assert_eq!(status_of(&desk, unanswered).await, "open");
    assert_eq!(escalations(&desk, &desk.agent, unanswered).await.len(), 1);
    expand_fan_outs(pool).await;
    assert_eq!(escalation_notices(pool, unanswered).await, (2, 2), "notified once");

    // The young one, once old enough.
    age(pool, young, 49).await;
    assert_eq!(pass(pool).await.acted_on(UNANSWERED), 1);
    assert_eq!(status_of(&desk, young).await, "escalated");
}

#[sqlx::test(migrations = false)]
async fn urgent_tickets_left_open_and_unassigned_escalate_and_a_rule_switched_off_does_nothing(pool: PgPool) {
    let desk = desk(pool).await;
    let pool = &desk.app.pool;
    let lonely = open_ticket(&desk, "Site down", "urgent").await;
    let taken = open_ticket(&desk, "Checkout broken", "urgent").await;
    let working = open_ticket(&desk, "Login loop", "urgent").await;
    let high = open_ticket(&desk, "Slow search", "high").await;
    let both = open_ticket(&desk, "Old and urgent", "urgent").await;
    let (status, _) =
        desk.app.post(&desk.admin, &format!("/tickets/{taken}/assign"), json!({"agent_id": desk.agent_id})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        desk.app.put(&desk.agent, &format!("/tickets/{working}/status"), json!({"status": "in_progress"})).await;
    assert_eq!(status, StatusCode::OK);
    for id in [lonely, taken, working, high] {
        age(pool, id, 3).await;
    }
    age(pool, both, 50).await;

    // Both rules off: nothing, however old.
    let off = json!({"unanswered_hours": null, "urgent_unassigned_hours": null, "low_rating_below": 3});
    let (status, body) = desk.app.put(&desk.admin, "/admin/escalation-rules", off.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, off);
    assert_eq!(pass(pool).await.total(), 0);
    for id in [lonely, taken, working, high, both] {
        assert_eq!(escalations(&desk, &desk.agent, id).await.len(), 0);
    }

    // Back on (the defaults).
    let on = json!({"unanswered_hours": 48, "urgent_unassigned_hours": 2, "low_rating_below": 3});
    let (status, _) = desk.app.put(&desk.admin, "/admin/escalation-rules", on).await;
    assert_eq!(status, StatusCode::OK);
    let report = pass(pool).await;
    // `both` is due for both rules: the first escalates it, the second then
    // leaves it (already escalated).
    assert_eq!(report.acted_on(UNANSWERED), 1, "{report:?}");
    assert_eq!(report.acted_on(URGENT_UNASSIGNED), 1, "{report:?}");
    let events = escalations(&desk, &desk.agent, lonely).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor"], Value::Null);
    assert_eq!(events[0]["data"]["rule"], "urgent_unassigned");
    assert!(events[0]["data"]["reason"].as_str().unwrap().contains('2'), "{}", events[0]);
    let events = escalations(&desk, &desk.agent, both).await;
    assert_eq!(events.len(), 1, "escalated once, by one rule: {events:?}");
    assert_eq!(events[0]["data"]["rule"], "unanswered");
    for (id, why) in [(taken, "assigned"), (working, "in progress"), (high, "not urgent")] {
        assert_ne!(status_of(&desk, id).await, "escalated", "{why}");
    }
    assert_eq!(pass(pool).await.total(), 0, "a second pass does nothing");
}

#[sqlx::test(migrations = false)]
async fn two_workers_on_one_database_escalate_and_notify_each_ticket_once(pool: PgPool) {
    let desk = desk(pool).await;
    let pool = &desk.app.pool;
    let mut ids = Vec::new();
    for number in 0..16 {
        let priority = if number % 2 == 0 { "urgent" } else { "medium" };
        let id = open_ticket(&desk, &format!("Due ticket {number}"), priority).await;
        age(pool, id, if number % 2 == 0 { 3 } else { 49 }).await;
        ids.push(id);
    }
    // A second instance: its own pool on the same database.
    let other = PgPoolOptions::new().max_connections(5).connect_with((*pool.connect_options()).clone()).await.unwrap();

    let (first, second) = tokio::join!(jobs::run_pass(pool), jobs::run_pass(&other));
    let (first, second) = (first.expect("first worker"), second.expect("second worker"));
    assert!(first.failed.is_empty() && second.failed.is_empty(), "{first:?} {second:?}");
    assert_eq!(first.total() + second.total(), ids.len(), "every due ticket once: {first:?} {second:?}");
    eprintln!("first worker: {first:?}, second worker: {second:?}");
    // Delivery workers of both instances expand the admins' notifications at once too.
    tokio::join!(expand_fan_outs(pool), expand_fan_outs(&other));
    for id in &ids {
        let events: Vec<(Option<i64>, Value)> =
            sqlx::query_as("select actor_id, data from ticket_events where ticket_id = $1 and action = 'escalated'")
                .bind(id)
                .fetch_all(pool)
                .await
                .unwrap();
        assert_eq!(events.len(), 1, "ticket {id}: {events:?}");
        assert_eq!(events[0].0, None, "by the system");
        assert!(events[0].1["rule"].is_string(), "{:?}", events[0]);
        assert_eq!(escalation_notices(pool, *id).await, (2, 2), "ticket {id}: each admin once");
    }
    let (again, again_other) = tokio::join!(jobs::run_pass(pool), jobs::run_pass(&other));
    assert_eq!(again.unwrap().total() + again_other.unwrap().total(), 0);
    other.close().await;
}

// ---------------------------------------------------------------------------
// The admins' thresholds
// ---------------------------------------------------------------------------

#[sqlx::test(migrations = false)]
async fn escalation_rules_are_the_admins_and_bad_thresholds_change_nothing(pool: PgPool) {
    let desk = desk(pool).await;
    let app = &desk.app;
    let defaults = json!({"unanswered_hours": 48, "urgent_unassigned_hours": 2, "low_rating_below": 3});
    let (status, body) = app.get(&desk.admin, "/admin/escalation-rules").await;
    assert_eq!((status, &body), (StatusCode::OK, &defaults), "on by default (AfrikMode seed)");
    // Agents read the thresholds (the service-levels page shows them), as they read calendars and policies.
    let (status, body) = app.get(&desk.agent, "/admin/escalation-rules").await;
    assert_eq!((status, &body), (StatusCode::OK, &defaults), "agent reads");
    let (status, body) = app.get(&desk.requester, "/admin/escalation-rules").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "requester reads: {body}");
    for (who, client) in [("agent", &desk.agent), ("requester", &desk.requester)] {
        let (status, body) = app.put(client, "/admin/escalation-rules", defaults.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} writes: {body}");
    }
    let (status, _) = app.get(&app.browser(), "/admin/escalation-rules").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let hours_fields = ["unanswered_hours", "urgent_unassigned_hours"];
    let mut bad: Vec<(&str, Value)> = Vec::new();
    for field in hours_fields {
        for value in [json!(0), json!(-1), json!(1.5), json!(8761), json!(1e20), json!("48"), json!(true), json!([2])] {
            bad.push((field, value));
        }
    }
    for value in [json!(0), json!(6), json!(-3), json!(2.5), json!("3"), json!({})] {
        bad.push(("low_rating_below", value));
    }
    for (field, value) in bad {
        let mut body = json!({"unanswered_hours": 24, "urgent_unassigned_hours": 4, "low_rating_below": 2});
        body[field] = value.clone();
        let (status, answer) = app.put(&desk.admin, "/admin/escalation-rules", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field} = {value}: {answer}");
        assert_eq!(answer["error"]["code"], "validation");
        let fields = answer["error"]["fields"].as_object().expect("fields");
        assert_eq!(fields.keys().collect::<Vec<_>>(), vec![field], "{field} = {value}: {answer}");
    }
    // Every field must be there (null, not absence, switches a rule off).
    let (status, answer) = app.put(&desk.admin, "/admin/escalation-rules", json!({"unanswered_hours": 24})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let mut missing: Vec<&String> = answer["error"]["fields"].as_object().unwrap().keys().collect();
    missing.sort();
    assert_eq!(missing, ["low_rating_below", "urgent_unassigned_hours"]);
    // In French for an admin who reads French.
    app.create_user_in("remi", Role::Admin, "fr").await;
    let remi = app.logged_in("remi").await;
    let zero = json!({"unanswered_hours": 0, "urgent_unassigned_hours": 2, "low_rating_below": 3});
    let (status, answer) = app.put(&remi, "/admin/escalation-rules", zero).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["fields"]["unanswered_hours"], "doit être un nombre d'heures de 1 à 8760");
    let (_, body) = app.get(&desk.admin, "/admin/escalation-rules").await;
    assert_eq!(body, defaults, "refused changes change nothing");

    let edges = json!({"unanswered_hours": 8760, "urgent_unassigned_hours": 1, "low_rating_below": null});
    let (status, body) = app.put(&desk.admin, "/admin/escalation-rules", edges.clone()).await;
    assert_eq!((status, &body), (StatusCode::OK, &edges));
    let (_, body) = app.get(&desk.admin, "/admin/escalation-rules").await;
    assert_eq!(body, edges);
    // The service answers the same (the REST handler only adapts it).
    let input = escalation::EscalationRulesInput::from(app::domain::escalation::EscalationRules::default());
    assert_eq!(escalation::validate_rules(&input).unwrap(), app::domain::escalation::EscalationRules::default());
}

// ---------------------------------------------------------------------------
// Index use
// ---------------------------------------------------------------------------

fn assert_uses_index(label: &str, plan: &str, indexes: &[&str]) {
    eprintln!("{label}:\n{plan}\n");
    assert!(!plan.contains("Seq Scan on tickets"), "{label}: sequential scan of tickets:\n{plan}");
    let uses = plan
        .lines()
        .any(|line| line.contains("Index") && indexes.iter().any(|index| line.contains(&format!(" {index} "))));
    assert!(uses, "{label}: expected an index scan on one of {indexes:?}:\n{plan}");
}

#[sqlx::test(migrations = false)]
async fn each_rule_finds_its_candidates_through_its_index_at_100k_tickets(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let agent = app.create_user("ivan", Role::Agent).await;
    sqlx::query(
        "insert into users (username, email, password_hash)
         select 'crowd' || g, 'crowd' || g || '@example.test', 'not a hash' from generate_series(1, 200) g",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // 100,000 tickets over 70 days, most of them done, like a real desk:
    // statuses, priorities, assignees and first answers mixed.
    sqlx::query(
        "with crowd as (select array_agg(id order by id) as ids from users where username like 'crowd%')
         insert into tickets (queue_id, number, requester_id, assignee_id, category_id, priority, status, subject,
                              description, created_at, updated_at, first_response_at)
         select (select id from queues where slug = case when g % 2 = 0 then 'support' else 'recruitment' end),
                g,
                crowd.ids[1 + g % 200],
                case when g % 3 = 0 then null else $1 end,
                (select id from categories where slug = 'other'),
                (array['low', 'medium', 'high', 'urgent']::ticket_priority[])[1 + (g / 3) % 4],
                (array['resolved', 'closed', 'resolved', 'closed', 'resolved', 'closed', 'open', 'in_progress',
                       'pending', 'escalated']::ticket_status[])[1 + g % 10],
                'Generated ticket ' || g,
                'Body of generated ticket number ' || g,
                now() - make_interval(mins => g),
                now() - make_interval(mins => g / 2),
                case when g % 5 < 2 then null else now() - make_interval(mins => g) + interval '1 hour' end
         from generate_series(1, 100000) g, crowd",
    )
    .bind(agent.id)
    .execute(&app.pool)
    .await
    .unwrap();
    // A desk that has run for a while: the rules have escalated thousands before.
    sqlx::query(
        "insert into ticket_automatic_escalations (ticket_id, rule)
         select id, case when (id / 10) % 2 = 0 then 'unanswered' else 'urgent_unassigned' end
         from tickets where status = 'escalated'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for table in ["analyze tickets", "analyze ticket_automatic_escalations", "analyze users"] {
        sqlx::query(table).execute(&app.pool).await.unwrap();
    }
    // Open tickets' SLA clocks are looked at again at their next warning or due time.
    sqlx::query(
        "insert into ticket_sla_checks (ticket_id, due_at)
         select id, now() + make_interval(mins => (id % 600)::int) from tickets
         where status in ('open', 'in_progress', 'escalated')
         on conflict (ticket_id) do update set due_at = excluded.due_at",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for table in
        ["analyze tickets", "analyze ticket_sla_checks", "analyze ticket_automatic_escalations", "analyze users"]
    {
        sqlx::query(table).execute(&app.pool).await.unwrap();
    }
    let plan = app::services::service_levels::watch::explain_candidates(&app.pool).await.unwrap();
    assert_uses_index("SLA candidates", &plan, &["ticket_sla_checks_due_idx"]);
    for rule in RULES {
        let TimedRule::Escalation(rule) = rule else { continue };
        let plan = escalation::explain_candidates(&app.pool, rule).await.unwrap().expect("a timed rule's statement");
        let index = match rule {
            EscalationRule::Unanswered => "tickets_unanswered_due_idx",
            EscalationRule::UrgentUnassigned => "tickets_urgent_unassigned_due_idx",
            EscalationRule::LowRating => unreachable!("not timed"),
        };
        assert_uses_index(&format!("{rule} candidates"), &plan, &[index]);
        assert!(!plan.contains("Seq Scan"), "{rule}: the earlier escalations are looked up by key:\n{plan}");
    }
    assert_eq!(escalation::explain_candidates(&app.pool, EscalationRule::LowRating).await.unwrap(), None);

    // A pass with nothing due (thresholds of a year, the desk is 70 days
    // old) reads nothing and acts on nothing.
    sqlx::query("update escalation_settings set unanswered_hours = 8760, urgent_unassigned_hours = 8760")
        .execute(&app.pool)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let report = pass(&app.pool).await;
    eprintln!("a pass over 100,000 tickets with nothing due: {:?}", started.elapsed());
    assert_eq!(report.total(), 0, "{report:?}");
}

/// The URL of the database behind `pool` (the test's own), for a child process.
fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().expect("a database name")
    )
}

/// `guichet run-jobs --explain`, the real binary on the test's database:
/// one pass acts on the ticket that is due, says so as JSON with its time,
/// and gives every timed rule's plan; a second run has nothing left to do.
#[sqlx::test(migrations = false)]
async fn run_jobs_runs_one_pass_and_prints_what_it_did_with_the_plans(pool: PgPool) {
    let desk = desk(pool).await;
    let old = open_ticket(&desk, "Nobody answered", "medium").await;
    age(&desk.app.pool, old, 49).await;
    let run = || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(["run-jobs", "--explain"])
            .env("DATABASE_URL", database_url(&desk.app.pool))
            .env("RUST_LOG", "warn")
            .output()
            .expect("run guichet run-jobs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        serde_json::from_str::<Value>(stdout.lines().last().expect("a line")).expect("JSON")
    };
    let first = run();
    assert_eq!(first["acted"], json!({"escalation.unanswered": 1}), "{first}");
    assert_eq!(first["failed"], json!([]));
    assert!(first["elapsed_ms"].as_f64().expect("elapsed_ms") > 0.0);
    let plans = first["plans"].as_object().expect("plans");
    let names: Vec<&str> = plans.keys().map(String::as_str).collect();
    assert_eq!(names, ["escalation.unanswered", "escalation.urgent_unassigned", "service_levels"]);
    // (Which scan a desk this small gets is the planner's choice; the 100k test checks the indexes.)
    assert!(plans["service_levels"].as_str().unwrap().contains("ticket_sla_checks"), "{plans:?}");
    assert_eq!(status_of(&desk, old).await, "escalated");
    assert_eq!(run()["acted"], json!({}), "nothing left to do");
}
