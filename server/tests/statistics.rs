//! The statistics API's fields of issue 15 (item 5) through the real router
//! and a real PostgreSQL: every new number on a known desk (tickets, replies,
//! resolutions, ratings, a manual and an automatic escalation, an SLA policy
//! and a breach, made through the API, their times then moved back in the
//! database, never waited for), the daily series in the desk's time zone,
//! the CSV read back with the `csv` crate and equal to the JSON, and a
//! requester refused.

use crate::common;

use app::domain::{Role, TicketStats};
use app::services::Settings;
use chrono::{Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use common::TestApp;
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::BTreeMap;

/// The desk's time zone in these tests: no daylight saving time, far from
/// UTC, so a day of the series is visibly the desk's and not UTC's.
const ZONE: &str = "Asia/Tokyo";
const ZONE_OFFSET_HOURS: i32 = 9;

struct Desk {
    app: TestApp,
    requester: Client,
    agent: Client,
    admin: Client,
}

async fn desk(pool: PgPool) -> Desk {
    let mut settings = Settings::default();
    settings.desk.time_zone = ZONE.into();
    let app = TestApp::spawn_with(pool, settings).await;
    app.create_user("chloe", Role::Requester).await;
    app.create_user("alice", Role::Agent).await;
    app.create_user("root", Role::Admin).await;
    let (requester, agent, admin) = tokio::join!(app.logged_in("chloe"), app.logged_in("alice"), app.logged_in("root"));
    Desk { app, requester, agent, admin }
}

/// Opens a ticket in `queue` as chloe; returns its id.
async fn open_ticket(desk: &Desk, queue: &str, subject: &str) -> i64 {
    let body = json!({"queue": queue, "category": "general_inquiry", "subject": subject,
                      "description": format!("Details about {subject}.")});
    let (status, response) = desk.app.post(&desk.requester, "/tickets", body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    response["ticket"]["id"].as_i64().expect("ticket id")
}

/// The agent replies to ticket `id`, then resolves it.
async fn answer_and_resolve(desk: &Desk, id: i64) {
    let (status, body) =
        desk.app.post(&desk.agent, &format!("/tickets/{id}/messages"), json!({"body": "Here is the fix."})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) =
        desk.app.put(&desk.agent, &format!("/tickets/{id}/status"), json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn rate(desk: &Desk, id: i64, score: i64) {
    let (status, body) =
        desk.app.post(&desk.requester, &format!("/tickets/{id}/rating"), json!({"score": score})).await;
    assert!(status.is_success(), "rating {score}: {body}");
}

/// Sets ticket `id`'s creation to `created_at`, its first response and
/// resolution (when given) that many seconds later.
async fn move_ticket(
    pool: &PgPool,
    id: i64,
    created_at: chrono::DateTime<Utc>,
    first_response_after: Option<i64>,
    resolved_after: Option<i64>,
) {
    sqlx::query(
        "update tickets set created_at = $2,
            first_response_at = $2 + make_interval(secs => $3::float8),
            resolved_at = $2 + make_interval(secs => $4::float8)
         where id = $1",
    )
    .bind(id)
    .bind(created_at)
    .bind(first_response_after.map(|seconds| seconds as f64))
    .bind(resolved_after.map(|seconds| seconds as f64))
    .execute(pool)
    .await
    .expect("move the ticket's times");
}

/// Noon of the desk's day `days_ago` days before today, in UTC.
fn desk_noon(days_ago: i64) -> (NaiveDate, chrono::DateTime<Utc>) {
    let zone = FixedOffset::east_opt(ZONE_OFFSET_HOURS * 3600).expect("offset");
    let day = Utc::now().with_timezone(&zone).date_naive() - Duration::days(days_ago);
    let noon = zone.from_local_datetime(&day.and_hms_opt(12, 0, 0).expect("noon")).single().expect("one noon");
    (day, noon.with_timezone(&Utc))
}

/// The desk of the tests below: an SLA policy for every ticket (1 h to
/// answer, 4 h to resolve), and
/// - A, created at the desk's noon 2 days ago, answered 2 h later (its
///   first-response breach recorded), resolved after 3 h, rated 5;
/// - B, at noon yesterday, answered after 10 min, resolved after 30 min,
///   rated 2 (which escalates it by the low-rating rule: automatic);
/// - C, today, escalated by the agent (manual), never answered;
/// - D, today, in the recruitment queue, untouched;
/// - E, created 40 days ago, still open (only `open_now` counts it).
///
/// Returns the desk days of A and B.
async fn known_desk(desk: &Desk) -> (NaiveDate, NaiveDate) {
    let pool = &desk.app.pool;
    let (status, body) = desk
        .app
        .post(
            &desk.admin,
            "/sla-policies",
            json!({"name": "Everything", "first_response_minutes": 60, "resolution_minutes": 240}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let a = open_ticket(desk, "support", "Printer on fire").await;
    let b = open_ticket(desk, "support", "Password reset").await;
    let c = open_ticket(desk, "support", "Invoice wrong").await;
    open_ticket(desk, "recruitment", "Application").await;
    let e = open_ticket(desk, "support", "Old question").await;
    answer_and_resolve(desk, a).await;
    answer_and_resolve(desk, b).await;
    rate(desk, a, 5).await;
    rate(desk, b, 2).await;
    let (status, body) =
        desk.app.post(&desk.agent, &format!("/tickets/{c}/escalate"), json!({"reason": "Billing must look."})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (day_a, noon_a) = desk_noon(2);
    let (day_b, noon_b) = desk_noon(1);
    move_ticket(pool, a, noon_a, Some(7200), Some(10_800)).await;
    move_ticket(pool, b, noon_b, Some(600), Some(1800)).await;
    move_ticket(pool, e, Utc::now() - Duration::days(40), None, None).await;
    sqlx::query("insert into ticket_sla_notices (ticket_id, target, kind) values ($1, 'first_response', 'breached')")
        .bind(a)
        .execute(pool)
        .await
        .expect("record A's breach");
    (day_a, day_b)
}

#[sqlx::test(migrations = false)]
async fn stats_count_each_new_field_on_a_known_desk(pool: PgPool) {
    let desk = desk(pool).await;
    let (day_a, day_b) = known_desk(&desk).await;

    let (status, stats) = desk.app.get(&desk.agent, "/tickets/stats?period=7d").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["created"], 4, "{stats}");
    assert_eq!(stats["resolved"], 2, "{stats}");
    assert_eq!(stats["by_status"], json!({"open": 1, "resolved": 1, "escalated": 2}), "{stats}");
    assert_eq!(stats["open_now"], 4, "B, C, D and E: {stats}");
    assert_eq!(stats["resolution_rate_pct"], 25.0, "A of four: {stats}");
    assert_eq!(stats["first_response_seconds_median"], 3900.0, "{stats}");
    assert_eq!(stats["first_response_seconds_p90"], 6540.0, "{stats}");
    assert_eq!(stats["resolution_seconds_median"], 6300.0, "{stats}");
    assert_eq!(
        stats["csat"],
        json!({"average": 3.5, "count": 2, "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}),
        "{stats}"
    );
    assert_eq!(
        stats["sla"],
        json!({"first_response_met_pct": 50.0, "resolution_met_pct": 100.0, "breached": 1}),
        "B answered in time, A late; C and D not answered yet: {stats}"
    );
    assert_eq!(stats["escalations"], json!({"manual": 1, "automatic": 1}), "{stats}");

    let daily = stats["daily"].as_array().expect("daily");
    assert_eq!(daily.len(), 8, "7 × 24 hours touch 8 desk days: {stats}");
    let by_date: BTreeMap<&str, &Value> = daily.iter().map(|day| (day["date"].as_str().expect("date"), day)).collect();
    assert_eq!(by_date.len(), 8, "one entry per day: {stats}");
    let day = |date: NaiveDate| by_date[date.to_string().as_str()].clone();
    assert_eq!(
        day(day_a),
        json!({"date": day_a.to_string(), "created": 1, "resolved": 1, "first_response_median_s": 7200.0})
    );
    assert_eq!(
        day(day_b),
        json!({"date": day_b.to_string(), "created": 1, "resolved": 1, "first_response_median_s": 600.0})
    );
    let today = day_b + Duration::days(1);
    assert_eq!(
        day(today),
        json!({"date": today.to_string(), "created": 2, "resolved": 0, "first_response_median_s": null})
    );
    assert_eq!(daily.iter().map(|day| day["created"].as_i64().unwrap()).sum::<i64>(), 4);
    assert_eq!(daily.last().unwrap()["date"], today.to_string(), "oldest first: {stats}");

    // One queue: recruitment has D only, and none of the rest.
    let (status, stats) = desk.app.get(&desk.admin, "/tickets/stats?period=7d&queue=recruitment").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["created"], 1, "{stats}");
    assert_eq!(stats["open_now"], 1, "{stats}");
    assert_eq!(stats["csat"]["count"], 0, "{stats}");
    assert_eq!(stats["csat"]["average"], Value::Null, "{stats}");
    assert_eq!(stats["sla"], json!({"first_response_met_pct": null, "resolution_met_pct": null, "breached": 0}));
    assert_eq!(stats["escalations"], json!({"manual": 0, "automatic": 0}), "{stats}");
    assert_eq!(stats["resolution_rate_pct"], 0.0, "{stats}");
}

/// Reads the CSV of `stats` back into the JSON's shape.
fn stats_from_csv(text: &str) -> TicketStats {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(header, app::services::statistics::CSV_HEADER);
    let mut summary = BTreeMap::new();
    let mut sections: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut daily = Vec::new();
    let number = |text: &str| (!text.is_empty()).then(|| text.parse::<f64>().expect("a number"));
    for record in reader.records() {
        let record = record.expect("record");
        let (section, key, value) = (&record[0], &record[1], &record[2]);
        match section {
            "summary" => {
                summary.insert(key.to_string(), number(value));
            }
            "daily" => daily.push(json!({
                "date": key,
                "created": record[3].parse::<i64>().expect("created"),
                "resolved": record[4].parse::<i64>().expect("resolved"),
                "first_response_median_s": number(&record[5]),
            })),
            _ => {
                sections.entry(section.to_string()).or_default().insert(key.to_string(), value.parse().expect("count"));
            }
        }
    }
    let figure = |key: &str| summary.get(key).copied().unwrap_or_else(|| panic!("summary {key}"));
    let count = |key: &str| figure(key).expect("a count") as i64;
    let mut section = |name: &str| sections.remove(name).unwrap_or_default();
    serde_json::from_value(json!({
        "period_days": count("period_days"),
        "by_status": section("status"),
        "by_priority": section("priority"),
        "by_queue": section("queue"),
        "created": count("created"),
        "resolved": count("resolved"),
        "first_response_seconds_median": figure("first_response_seconds_median"),
        "first_response_seconds_p90": figure("first_response_seconds_p90"),
        "resolution_seconds_median": figure("resolution_seconds_median"),
        "resolution_seconds_p90": figure("resolution_seconds_p90"),
        "open_now": count("open_now"),
        "resolution_rate_pct": figure("resolution_rate_pct"),
        "csat": {"average": figure("csat_average"), "count": count("csat_count"), "distribution": section("csat")},
        "sla": {
            "first_response_met_pct": figure("sla_first_response_met_pct"),
            "resolution_met_pct": figure("sla_resolution_met_pct"),
            "breached": count("sla_breached"),
        },
        "escalations": {"manual": count("escalations_manual"), "automatic": count("escalations_automatic")},
        "daily": daily,
    }))
    .expect("the CSV holds every field")
}

async fn csv_of(desk: &Desk, client: &Client, path: &str, accept: Option<&str>) -> (String, String, String) {
    let mut request = client.get(desk.app.url(&format!("/api/v1{path}")));
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    let response = request.send().await.expect("csv request");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_string();
    let (content_type, disposition) = (text(header::CONTENT_TYPE), text(header::CONTENT_DISPOSITION));
    (content_type, disposition, response.text().await.expect("csv body"))
}

#[sqlx::test(migrations = false)]
async fn the_csv_reads_back_equal_to_the_json(pool: PgPool) {
    let desk = desk(pool).await;
    known_desk(&desk).await;
    let (status, json) = desk.app.get(&desk.agent, "/tickets/stats?period=30d").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let json: TicketStats = serde_json::from_value(json).expect("stats");

    let (content_type, disposition, body) =
        csv_of(&desk, &desk.agent, "/tickets/stats?period=30d&format=csv", None).await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=\"guichet-stats-30d.csv\"");
    assert_eq!(stats_from_csv(&body), json);
    assert_eq!(json.daily.len(), 31, "{body}");

    // The Accept header asks for it too; a queue names the file.
    let (content_type, disposition, body) =
        csv_of(&desk, &desk.admin, "/tickets/stats?period=7d&queue=support", Some("text/csv, */*;q=0.1")).await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=\"guichet-stats-7d-support.csv\"");
    let (_, json) = desk.app.get(&desk.admin, "/tickets/stats?period=7d&queue=support").await;
    assert_eq!(stats_from_csv(&body), serde_json::from_value::<TicketStats>(json).expect("stats"));

    // Without either, JSON.
    let (content_type, _, _) = csv_of(&desk, &desk.agent, "/tickets/stats", Some("application/json")).await;
    assert!(content_type.starts_with("application/json"), "{content_type}");
}

/// A change that records no ticket event (made here straight in the
/// database) leaves the cached figures as they were for a minute; a client
/// sending `Cache-Control: no-cache` gets them computed again.
#[sqlx::test(migrations = false)]
async fn no_cache_asks_for_figures_computed_now(pool: PgPool) {
    let desk = desk(pool.clone()).await;
    // The creation's event moves the cache's position when this instance
    // publishes it: wait for it on the agent's live stream, so that nothing
    // but the test's own reads touches the cache afterwards.
    let mut events = desk.agent.get(desk.app.url("/api/v1/events")).send().await.expect("live stream");
    assert_eq!(events.status(), StatusCode::OK);
    let id = open_ticket(&desk, "support", "Printer on fire").await;
    let mut received = String::new();
    while !received.contains("event: ticket") && !received.contains("event:ticket") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), events.chunk())
            .await
            .expect("the creation's event within 30 s")
            .expect("stream chunk")
            .expect("stream open");
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
    let (status, before) = desk.app.get(&desk.agent, "/tickets/stats?period=7d").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["created"], 1, "{before}");
    // Each directive in turn: the ticket moves out of (then back into) the
    // period; the cache still says what it said, the fresh read does not.
    let mut expected = 1;
    for (directive, created_at) in [
        ("no-cache", Utc::now() - Duration::days(30)),
        ("max-age=0", Utc::now()),
        ("no-store", Utc::now() - Duration::days(30)),
    ] {
        move_ticket(&pool, id, created_at, None, None).await;
        let (_, cached) = desk.app.get(&desk.agent, "/tickets/stats?period=7d").await;
        assert_eq!(cached["created"], expected, "before {directive}, served from the cache: {cached}");
        let response = desk
            .agent
            .get(desk.app.url("/api/v1/tickets/stats?period=7d"))
            .header(header::CACHE_CONTROL, directive)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        let fresh: Value = response.json().await.expect("json");
        expected = 1 - expected;
        assert_eq!(fresh["created"], expected, "{directive}: {fresh}");
    }
}

#[sqlx::test(migrations = false)]
async fn requesters_get_no_statistics_in_any_format(pool: PgPool) {
    let desk = desk(pool).await;
    for path in ["/tickets/stats", "/tickets/stats?format=csv"] {
        let (status, body) = desk.app.get(&desk.requester, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let response = desk
        .requester
        .get(desk.app.url("/api/v1/tickets/stats"))
        .header(header::ACCEPT, "text/csv")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let anonymous = desk.app.browser();
    let (status, _) = desk.app.get(&anonymous, "/tickets/stats?format=csv").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = false)]
async fn the_dashboard_renders_its_charts_for_staff_only(pool: PgPool) {
    let desk = desk(pool).await;
    known_desk(&desk).await;
    let (status, body) = desk.app.server_fn(&desk.agent, "stats_dashboard", &[("period", "7d")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stats"]["created"], 4, "{body}");
    for chart in ["daily", "csat", "first_response", "by_queue", "by_priority"] {
        let svg = body["charts"][chart].as_str().unwrap_or_default();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox"), "{chart}: {svg}");
    }
    let buckets: Vec<i64> = body["first_response_buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|bucket| bucket["count"].as_i64().unwrap())
        .collect();
    assert_eq!(buckets, [1, 0, 1, 0, 0, 2], "B in 10 min, A in 2 h, C and D unanswered: {body}");
    let (status, body) = desk.app.server_fn(&desk.requester, "stats_dashboard", &[("period", "7d")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = desk.app.server_fn(&desk.agent, "stats_dashboard", &[("period", "7x")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    for client in [&desk.agent, &desk.admin] {
        let response = client.get(desk.app.url("/admin/stats?period=30d&queue=support")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"data-kpi="created""#), "KPI cards: {html}");
        assert!(html.matches(r#"viewBox="0 0 640 300""#).count() >= 5, "the charts are in the page itself");
        assert!(html.contains("format=csv"), "the CSV link");
    }
    let response = desk.requester.get(desk.app.url("/admin/stats")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
