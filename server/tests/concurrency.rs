//! Concurrent writes on a fresh desk (issue 20, item 11): the per-(queue,
//! status) counters must neither deadlock nor drift.

use crate::common;

use app::domain::Role;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

/// 32 clients at once on a database with no ticket counted yet: 16 create
/// tickets, 16 move a ticket each (in both queues) through statuses. No answer is a 5xx (the first counter rows of each (queue,
/// status) used to deadlock), and `ticket_counts` equals a `count(*)`.
#[sqlx::test(migrations = false)]
async fn concurrent_creates_and_status_changes_on_a_fresh_desk_never_deadlock_and_counts_stay_exact(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("agnes", Role::Agent).await;
    let mut requesters = Vec::new();
    for index in 0..8 {
        let name = format!("requester{index}");
        app.create_user(&name, Role::Requester).await;
        requesters.push(app.logged_in(&name).await);
    }
    // One agent's session on 16 connections.
    let agent = app.logged_in("agnes").await;
    // Each status-changing client first creates its ticket; then all 32 start
    // together, so the first rows of each (queue, status) are written at once.
    let mut own_tickets = Vec::new();
    for index in 0..16 {
        // Requester i has one ticket in each queue (recruitment allows one open ticket).
        let queue = if index < 8 { "support" } else { "recruitment" };
        let requester = &requesters[index % 8];
        let (status, body) = app
            .post(
                requester,
                "/tickets",
                json!({"queue": queue, "category": "general_inquiry", "priority": "medium",
                       "subject": format!("Moving {index}"), "description": "A ticket that moves."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        own_tickets.push((agent.clone(), body["ticket"]["id"].as_i64().unwrap()));
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(32));
    let mut tasks = Vec::new();
    for index in 0..16 {
        let (app_url, client, start) = (app.url("/api/v1/tickets"), requesters[index % 8].clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut statuses = Vec::new();
            for round in 0..4 {
                let response = client
                    .post(&app_url)
                    .json(&json!({"queue": "support", "category": "general_inquiry", "priority": "medium",
                                  "subject": format!("Burst {index}-{round}"), "description": "Concurrent."}))
                    .send()
                    .await
                    .unwrap();
                statuses.push((response.status(), response.text().await.unwrap()));
            }
            statuses
        }));
    }
    for (client, id) in own_tickets {
        let (url, start) = (app.url(&format!("/api/v1/tickets/{id}/status")), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut statuses = Vec::new();
            for status in ["in_progress", "pending", "resolved", "open", "pending", "in_progress", "resolved"] {
                let response = client.put(&url).json(&json!({ "status": status })).send().await.unwrap();
                statuses.push((response.status(), response.text().await.unwrap()));
            }
            statuses
        }));
    }
    for task in tasks {
        for (status, body) in task.await.unwrap() {
            assert!(status.is_success(), "{status}: {body}");
        }
    }
    let drift: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "select q.id, s::text, coalesce(c.count, 0), coalesce(t.count, 0)
         from queues q cross join unnest(enum_range(null::ticket_status)) s
         left join ticket_counts c on c.queue_id = q.id and c.status = s
         left join (select queue_id, status, count(*) as count from tickets group by queue_id, status) t
                on t.queue_id = q.id and t.status = s
         where coalesce(c.count, 0) <> coalesce(t.count, 0)",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(drift.is_empty(), "ticket_counts differs from count(*): {drift:?}");
    let total: i64 = sqlx::query_scalar("select count(*) from tickets").fetch_one(&app.pool).await.unwrap();
    assert_eq!(total, 16 + 16 * 4);
}
