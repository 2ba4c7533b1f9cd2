//! Business calendars and SLA policies over HTTP (issue 15, item 2): admins
//! write, agents read, requesters get 403; bad input is a field error and
//! changes nothing.

use crate::common;

use app::domain::Role;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// An admin, an agent and a requester, logged in.
async fn desk(pool: PgPool) -> (TestApp, reqwest::Client, reqwest::Client, reqwest::Client) {
    let app = TestApp::spawn(pool).await;
    app.create_user("ada", Role::Admin).await;
    app.create_user("ben", Role::Agent).await;
    app.create_user("cyd", Role::Requester).await;
    let admin = app.logged_in("ada").await;
    let agent = app.logged_in("ben").await;
    let requester = app.logged_in("cyd").await;
    (app, admin, agent, requester)
}

fn office() -> Value {
    json!({
        "name": "Paris office",
        "time_zone": "Europe/Paris",
        "hours": {"mon": [["14:00", "18:00"], ["09:00", "12:00"]], "tue": [["09:00", "18:00"]], "sun": [["00:00", "24:00"]]},
        "holidays": ["2026-12-25", "2026-01-01"]
    })
}

#[sqlx::test(migrations = false)]
async fn admins_write_business_calendars_agents_read_them_and_requesters_may_not(pool: PgPool) {
    let (app, admin, agent, requester) = desk(pool).await;

    for (client, who) in [(&agent, "agent"), (&requester, "requester")] {
        let (status, body) = app.post(client, "/business-calendars", office()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} creating a calendar: {body}");
    }
    let (status, body) = app.post(&admin, "/business-calendars", office()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let calendar = &body["business_calendar"];
    let id = calendar["id"].as_i64().unwrap();
    assert_eq!(calendar["name"], "Paris office");
    assert_eq!(calendar["time_zone"], "Europe/Paris");
    assert_eq!(calendar["hours"]["mon"], json!([["09:00", "12:00"], ["14:00", "18:00"]]), "sorted: {body}");
    assert_eq!(calendar["hours"]["sun"], json!([["00:00", "24:00"]]));
    assert_eq!(calendar["hours"]["wed"], json!([]), "a day left out is closed");
    assert_eq!(calendar["holidays"], json!(["2026-01-01", "2026-12-25"]));

    let (status, body) = app.post(&admin, "/business-calendars", office()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["fields"]["name"], "is already used");

    let (status, body) = app.get(&agent, "/business-calendars").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["business_calendars"].as_array().unwrap().len(), 1);
    let (status, body) = app.get(&agent, &format!("/business-calendars/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["business_calendar"]["id"], id);
    for path in ["/business-calendars".to_string(), format!("/business-calendars/{id}")] {
        let (status, _) = app.get(&requester, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "requester reading {path}");
    }
    let (status, _) = app.get(&app.browser(), "/business-calendars").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let change = json!({"name": "Abidjan office", "time_zone": "Africa/Abidjan",
                        "hours": {"fri": [["08:00", "17:00"]]}, "holidays": []});
    let (status, _) = app.put(&agent, &format!("/business-calendars/{id}"), change.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.put(&admin, &format!("/business-calendars/{id}"), change.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["business_calendar"]["time_zone"], "Africa/Abidjan");
    assert_eq!(body["business_calendar"]["hours"]["mon"], json!([]), "hours replaced: {body}");
    assert_eq!(body["business_calendar"]["hours"]["fri"], json!([["08:00", "17:00"]]));
    assert_eq!(body["business_calendar"]["holidays"], json!([]));
    let (status, _) = app.put(&admin, "/business-calendars/999", change).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = app.delete(&agent, &format!("/business-calendars/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.delete(&admin, &format!("/business-calendars/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&admin, &format!("/business-calendars/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["message"], "No such business calendar.");
}

#[sqlx::test(migrations = false)]
async fn a_bad_calendar_is_refused_field_by_field_and_nothing_changes(pool: PgPool) {
    let (app, admin, _, _) = desk(pool).await;
    let bad = json!({
        "name": "",
        "time_zone": "Europe/Pariss",
        "hours": {
            "mon": [["09:00", "12:00"], ["11:00", "18:00"]],
            "tue": [["18:00", "09:00"]],
            "wed": [["9h", "18:00"]],
            "thu": [["09:00"]],
            "fri": [["09:00", "24:30"]]
        },
        "holidays": ["2026-02-30"]
    });
    let (status, body) = app.post(&admin, "/business-calendars", bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["fields"];
    assert_eq!(fields["hours.mon"], "09:00–12:00 and 11:00–18:00 overlap", "{body}");
    assert_eq!(fields["hours.tue"], "18:00–09:00 ends before it starts", "{body}");
    assert_eq!(fields["hours.wed"], "9h is not a time HH:MM (00:00 to 24:00)", "{body}");
    assert!(fields["hours.thu"].is_string(), "{body}");
    assert!(fields["hours.fri"].is_string(), "{body}");
    assert_eq!(fields["time_zone"], "is not a time zone Guichet knows (an IANA name such as Europe/Paris)");
    assert_eq!(fields["holidays"], "2026-02-30 is not a date YYYY-MM-DD");
    assert!(fields["name"].is_string(), "{body}");

    let (status, body) = app
        .post(&admin, "/business-calendars", json!({"name": "Never", "time_zone": "UTC", "hours": {"someday": []}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["hours"].as_str().unwrap().contains("someday"), "{body}");
    let (status, body) =
        app.post(&admin, "/business-calendars", json!({"name": "Never", "time_zone": "UTC", "hours": {}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["hours"], "must open at least once a week");
    let (status, body) = app.post(&admin, "/business-calendars", json!({"name": "Typed", "hours": "always"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a body of the wrong shape: {body}");

    let (status, body) = app.post(&admin, "/business-calendars", office()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["business_calendar"]["id"].as_i64().unwrap();
    let (status, body) = app.put(&admin, &format!("/business-calendars/{id}"), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, body) = app.get(&admin, "/business-calendars").await;
    let calendars = body["business_calendars"].as_array().unwrap();
    assert_eq!(calendars.len(), 1, "{body}");
    assert_eq!(calendars[0]["hours"]["mon"], json!([["09:00", "12:00"], ["14:00", "18:00"]]), "unchanged: {body}");
    assert_eq!(calendars[0]["holidays"], json!(["2026-01-01", "2026-12-25"]));
}

fn urgent_support(calendar_id: Option<i64>) -> Value {
    json!({"name": "Urgent support", "queue": "support", "priority": "urgent",
           "first_response_minutes": 60, "resolution_minutes": 480, "calendar_id": calendar_id, "position": 1})
}

#[sqlx::test(migrations = false)]
async fn admins_write_sla_policies_and_a_calendar_in_use_stays(pool: PgPool) {
    let (app, admin, agent, requester) = desk(pool).await;
    let (_, body) = app.post(&admin, "/business-calendars", office()).await;
    let calendar_id = body["business_calendar"]["id"].as_i64().unwrap();

    for (client, who) in [(&agent, "agent"), (&requester, "requester")] {
        let (status, _) = app.post(client, "/sla-policies", urgent_support(Some(calendar_id))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} creating a policy");
    }
    let (status, body) = app.post(&admin, "/sla-policies", urgent_support(Some(calendar_id))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let policy = &body["sla_policy"];
    let id = policy["id"].as_i64().unwrap();
    assert_eq!(policy["queue"], "support");
    assert_eq!(policy["priority"], "urgent");
    assert_eq!(policy["first_response_minutes"], 60);
    assert_eq!(policy["resolution_minutes"], 480);
    assert_eq!(policy["calendar_id"], calendar_id);
    assert_eq!(policy["position"], 1);
    let (status, body) = app
        .post(
            &admin,
            "/sla-policies",
            json!({"name": "Everything else", "first_response_minutes": 480, "resolution_minutes": 2880}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["sla_policy"]["queue"], Value::Null, "any queue: {body}");
    assert_eq!(body["sla_policy"]["calendar_id"], Value::Null, "24/7: {body}");
    let fallback = body["sla_policy"]["id"].as_i64().unwrap();

    let (status, body) = app.get(&agent, "/sla-policies").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> =
        body["sla_policies"].as_array().unwrap().iter().map(|policy| policy["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Everything else", "Urgent support"], "by position: {body}");
    let (status, _) = app.get(&requester, "/sla-policies").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&requester, &format!("/sla-policies/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = app.delete(&admin, &format!("/business-calendars/{calendar_id}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "a policy uses it: {body}");

    let mut change = urgent_support(None);
    change["queue"] = json!("recruitment");
    change["first_response_minutes"] = json!(30);
    let (status, _) = app.put(&agent, &format!("/sla-policies/{id}"), change.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = app.put(&admin, &format!("/sla-policies/{id}"), change.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sla_policy"]["queue"], "recruitment");
    assert_eq!(body["sla_policy"]["first_response_minutes"], 30);
    assert_eq!(body["sla_policy"]["calendar_id"], Value::Null);
    let (status, _) = app.put(&admin, "/sla-policies/999", change).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = app.delete(&admin, &format!("/business-calendars/{calendar_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "no policy uses it any more");
    let (status, _) = app.delete(&agent, &format!("/sla-policies/{fallback}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.delete(&admin, &format!("/sla-policies/{fallback}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete(&admin, &format!("/sla-policies/{fallback}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = false)]
async fn a_bad_policy_is_refused_field_by_field_and_nothing_changes(pool: PgPool) {
    let (app, admin, _, _) = desk(pool).await;
    let bad = json!({"name": "Bad", "queue": "nowhere", "priority": "critical",
                     "first_response_minutes": 0, "resolution_minutes": -5, "calendar_id": 999, "position": -1});
    let (status, body) = app.post(&admin, "/sla-policies", bad.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["fields"];
    assert_eq!(fields["priority"], "must be one of low, medium, high, urgent", "{body}");
    assert_eq!(fields["first_response_minutes"], "must be a whole number of minutes from 1 to 525600", "{body}");
    assert_eq!(fields["resolution_minutes"], "must be a whole number of minutes from 1 to 525600", "{body}");
    assert!(fields["position"].is_string(), "{body}");
    // The queue and the calendar are looked up once the rest is right.
    let mut unknown = urgent_support(Some(999));
    unknown["queue"] = json!("nowhere");
    let (status, body) = app.post(&admin, "/sla-policies", unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"]["queue"], "is not a known queue", "{body}");
    assert!(body["error"]["fields"]["calendar_id"].is_string(), "{body}");
    let (status, body) = app.post(&admin, "/sla-policies", json!({"name": "No targets"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["first_response_minutes"].is_string(), "{body}");
    let (status, body) =
        app.post(&admin, "/sla-policies", json!({"name": "Typed", "first_response_minutes": "60"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = app.post(&admin, "/sla-policies", urgent_support(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["sla_policy"]["id"].as_i64().unwrap();
    let (status, body) = app.post(&admin, "/sla-policies", urgent_support(None)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["fields"]["name"], "is already used");
    let (status, _) = app.put(&admin, &format!("/sla-policies/{id}"), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, body) = app.get(&admin, "/sla-policies").await;
    assert_eq!(body["sla_policies"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["sla_policies"][0]["first_response_minutes"], 60, "unchanged: {body}");
}

#[sqlx::test(migrations = false)]
async fn the_admin_page_functions_take_form_text(pool: PgPool) {
    let (app, admin, agent, requester) = desk(pool).await;
    let calendar = [
        ("name", "Office"),
        ("time_zone", "Europe/Paris"),
        ("mon", "09:00-12:00, 14:00–18:00"),
        ("fri", "09:00-17:00"),
        ("holidays", "2026-12-25\r\n2027-01-01"),
    ];
    let (status, body) = app.server_fn(&agent, "create_business_calendar", &calendar).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.server_fn(&admin, "create_business_calendar", &calendar).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hours"]["mon"], json!([["09:00", "12:00"], ["14:00", "18:00"]]), "{body}");
    assert_eq!(body["holidays"], json!(["2026-12-25", "2027-01-01"]));
    let calendar_id = body["id"].as_i64().unwrap().to_string();

    let (status, body) = app
        .server_fn(
            &admin,
            "update_business_calendar",
            &[("id", &calendar_id), ("name", "Office"), ("time_zone", "UTC"), ("tue", "18:00-09:00")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"]["hours.tue"], "18:00–09:00 ends before it starts", "{body}");

    let policy = [
        ("name", "Urgent"),
        ("priority", "urgent"),
        ("first_response_minutes", "30"),
        ("resolution_minutes", "240"),
        ("calendar_id", calendar_id.as_str()),
    ];
    let (status, body) = app.server_fn(&admin, "create_sla_policy", &policy).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queue"], Value::Null);
    assert_eq!(body["position"], 0);
    let (status, body) = app
        .server_fn(
            &admin,
            "create_sla_policy",
            &[("name", "Typo"), ("first_response_minutes", "1h"), ("resolution_minutes", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["fields"]["first_response_minutes"].is_string() && body["fields"]["resolution_minutes"].is_string(),
        "{body}"
    );

    let (status, body) = app.server_fn(&agent, "load_service_levels", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["calendars"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["policies"][0]["name"], "Urgent");
    let (status, _) = app.server_fn(&requester, "load_service_levels", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The escalation thresholds as the admin page's form sends them (issue
/// 15, item 3): text per field, blank = the rule off; admins write, agents
/// read, requesters neither; a bad value is refused at its field and
/// changes nothing.
#[sqlx::test(migrations = false)]
async fn the_admin_page_sets_escalation_rules_from_form_text(pool: PgPool) {
    let (app, admin, agent, requester) = desk(pool).await;
    let defaults = json!({"unanswered_hours": 48, "urgent_unassigned_hours": 2, "low_rating_below": 3});
    let (status, body) = app.server_fn(&agent, "load_escalation_rules", &[]).await;
    assert_eq!((status, &body), (StatusCode::OK, &defaults), "agents read the thresholds");
    let (status, _) = app.server_fn(&requester, "load_escalation_rules", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let form = [("unanswered_hours", " 24 "), ("urgent_unassigned_hours", ""), ("low_rating_below", "2")];
    for client in [&agent, &requester] {
        let (status, body) = app.server_fn(client, "set_escalation_rules", &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, body) = app.server_fn(&admin, "load_escalation_rules", &[]).await;
    assert_eq!((status, &body), (StatusCode::OK, &defaults), "refused writes changed nothing");

    let (status, body) = app.server_fn(&admin, "set_escalation_rules", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = json!({"unanswered_hours": 24, "urgent_unassigned_hours": null, "low_rating_below": 2});
    assert_eq!(body, stored, "blank switches a rule off");
    let (_, body) = app.get(&admin, "/admin/escalation-rules").await;
    assert_eq!(body, stored, "the API reads what the page wrote");

    let (status, body) = app
        .server_fn(
            &admin,
            "set_escalation_rules",
            &[("unanswered_hours", "two days"), ("urgent_unassigned_hours", "0"), ("low_rating_below", "6")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["unanswered_hours", "urgent_unassigned_hours", "low_rating_below"] {
        assert!(body["fields"][field].is_string(), "{field}: {body}");
    }
    let (status, body) = app.server_fn(&admin, "set_escalation_rules", &[("unanswered_hours", "1.5")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["unanswered_hours"].is_string(), "{body}");
    let (_, body) = app.server_fn(&admin, "load_escalation_rules", &[]).await;
    assert_eq!(body, stored, "refused thresholds changed nothing");
}

/// `/admin/service-levels`: agents see it read-only, admins with its forms,
/// requesters get 403.
#[sqlx::test(migrations = false)]
async fn the_service_levels_page_is_for_agents_to_read_and_admins_to_change(pool: PgPool) {
    let (app, admin, agent, requester) = desk(pool).await;
    let (status, body) = app.post(&admin, "/business-calendars", office()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let calendar_id = body["business_calendar"]["id"].as_i64().unwrap();
    let (status, body) = app.post(&admin, "/sla-policies", urgent_support(Some(calendar_id))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let page = |client: &reqwest::Client| {
        let request = client.get(app.url("/admin/service-levels")).send();
        async move {
            let response = request.await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, html) = page(&admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-calendar=\"Paris office\""), "the calendar's card");
    assert!(html.contains("Europe/Paris"));
    assert!(html.contains("2026-12-25"), "its holidays");
    assert!(html.contains("09:00–12:00, 14:00–18:00"), "Monday's ranges in order");
    assert!(html.contains("data-policy=\"Urgent support\""), "the policy's row");
    assert!(html.contains("data-minutes=\"480\">8 h<"), "targets in words");
    assert!(html.contains("/fn/create_business_calendar"), "admins get the forms");
    assert!(html.contains("/fn/set_escalation_rules"));
    assert!(html.contains("href=\"/admin/service-levels\""), "the header links to it");

    let (status, html) = page(&agent).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-calendar=\"Paris office\""));
    assert!(!html.contains("/fn/create_business_calendar"), "agents read only");
    assert!(!html.contains("/fn/set_escalation_rules"));
    assert!(html.contains("data-rule=\"unanswered\""), "agents read the thresholds");

    let (status, _) = page(&requester).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Without the wasm a form is a plain post: a refused one comes back to the
/// page with the reasons at their fields and the values typed in it, and
/// nothing is saved.
#[sqlx::test(migrations = false)]
async fn a_refused_plain_form_post_comes_back_with_what_was_typed(pool: PgPool) {
    let (app, admin, _agent, _requester) = desk(pool).await;
    let page = app.url("/admin/service-levels?from=menu");
    let response = admin
        .post(app.url("/fn/create_business_calendar"))
        .header(reqwest::header::ACCEPT, "text/html")
        .header(reqwest::header::REFERER, &page)
        .form(&[
            ("name", "Night shift"),
            ("time_zone", "Europe/Paris"),
            ("mon", "09:00-18:00"),
            ("tue", "18:00-09:00"),
            ("holidays", "2026-12-25"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[reqwest::header::LOCATION].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/admin/service-levels?from=menu&")
            && location.contains("__err=")
            && location.contains("typed="),
        "{location}"
    );

    let html = admin.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"error-new-calendar-hours.tue\""), "the reason at Tuesday's field");
    assert!(html.contains("18:00–09:00 ends before it starts"));
    assert!(html.contains("value=\"Night shift\""), "the name typed");
    assert!(html.contains("value=\"18:00-09:00\""), "the range typed");
    assert!(html.contains(">2026-12-25<"), "the holidays typed");
    let (_, body) = app.get(&admin, "/business-calendars").await;
    assert_eq!(body["business_calendars"], json!([]), "nothing saved: {body}");

    // Typed values without the server's (signed) refusal fill nothing: a link cannot fill a form.
    let forged =
        app.url("/admin/service-levels?typed=%7B%22form%22%3A%22new-calendar%22%2C%22name%22%3A%22Forged%22%7D");
    let html = admin.get(&forged).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("value=\"Forged\""), "a forged fill-in is ignored");
}

// ---------------------------------------------------------------------------
// A ticket's clocks: `sla` in its JSON, and the jobs worker's warnings and breaches
// ---------------------------------------------------------------------------

/// Opens an urgent support ticket as `client`; returns its id.
async fn urgent_ticket(app: &TestApp, client: &reqwest::Client, subject: &str) -> i64 {
    let body = json!({"queue": "support", "category": "general_inquiry", "priority": "urgent",
                      "subject": subject, "description": format!("Details about {subject}.")});
    let (status, response) = app.post(client, "/tickets", body).await;
    assert_eq!(status, StatusCode::CREATED, "{response}");
    response["ticket"]["id"].as_i64().expect("ticket id")
}

/// Asks the jobs worker to look at every ticket's clocks at its next pass,
/// as a change of a policy does.
async fn look_at_every_ticket(pool: &PgPool) {
    sqlx::query(
        "insert into ticket_sla_checks (ticket_id, due_at) select id, now() from tickets
         on conflict (ticket_id) do update set due_at = excluded.due_at",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Makes ticket `id` have happened `minutes` earlier: its creation, answer
/// and every event moved back alike (the history is append-only, so the
/// move turns its guard off for this one statement's transaction).
async fn move_back(pool: &PgPool, id: i64, minutes: i32) {
    let mut transaction = pool.begin().await.unwrap();
    sqlx::query("set local session_replication_role = replica").execute(&mut *transaction).await.unwrap();
    sqlx::query("update ticket_events set created_at = created_at - make_interval(mins => $2) where ticket_id = $1")
        .bind(id)
        .bind(minutes)
        .execute(&mut *transaction)
        .await
        .unwrap();
    sqlx::query(
        "update tickets set created_at = created_at - make_interval(mins => $2),
                first_response_at = first_response_at - make_interval(mins => $2) where id = $1",
    )
    .bind(id)
    .bind(minutes)
    .execute(&mut *transaction)
    .await
    .unwrap();
    transaction.commit().await.unwrap();
}

/// Seconds between two RFC 3339 instants (`later - earlier`).
fn seconds_between(earlier: &Value, later: &Value) -> i64 {
    let parse = |value: &Value| chrono::DateTime::parse_from_rfc3339(value.as_str().expect("an instant")).unwrap();
    (parse(later) - parse(earlier)).num_seconds()
}

/// The SLA events (`sla_warning`, `sla_breached`) of ticket `id`: `(action, actor_id, data)`.
async fn sla_events(pool: &PgPool, id: i64) -> Vec<(String, Option<i64>, Value)> {
    sqlx::query_as(
        "select action, actor_id, data from ticket_events
         where ticket_id = $1 and action in ('sla_warning', 'sla_breached') order by id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Inbox lines of `kind` about ticket `id`, by recipient name.
async fn inbox_recipients(pool: &PgPool, id: i64, kind: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select u.username::text from notifications n join users u on u.id = n.user_id
         where n.ticket_id = $1 and n.kind = $2 order by u.username",
    )
    .bind(id)
    .bind(kind)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A pass of the jobs worker, which must not fail, then the role-wide
/// notifications expanded as the delivery workers do.
async fn pass(pool: &PgPool) -> app::services::jobs::PassReport {
    let report = app::services::jobs::run_pass(pool).await.expect("a pass");
    assert!(report.failed.is_empty(), "{report:?}");
    while app::services::notifications::expand_fan_outs(pool, true).await.expect("expand") > 0 {}
    report
}

#[sqlx::test(migrations = false)]
async fn a_tickets_sla_is_computed_from_its_events_and_pauses_while_it_waits_on_the_requester(pool: PgPool) {
    let (app, admin, agent, requester) = desk(pool).await;
    let (status, body) = app.post(&admin, "/sla-policies", urgent_support(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = urgent_ticket(&app, &requester, "Checkout down").await;

    let (_, detail) = app.get(&agent, &format!("/tickets/{id}")).await;
    let sla = &detail["sla"];
    assert_eq!(sla["policy"]["name"], "Urgent support", "{detail}");
    // The built-in 24/7 calendar: 60 and 480 minutes from creation.
    let created = &detail["ticket"]["created_at"];
    assert_eq!(seconds_between(created, &sla["first_response_due_at"]), 3_600, "{sla}");
    assert_eq!(seconds_between(created, &sla["resolution_due_at"]), 8 * 3_600, "{sla}");
    assert_eq!(sla["breached"], json!([]));
    assert!(
        sla["paused_since"].is_null() && sla["resolved_within"].is_null() && sla["first_response_met_at"].is_null()
    );
    let explanation = sla["explanation"].as_array().expect("explanation");
    assert_eq!(
        explanation.iter().map(|entry| entry["target"].clone()).collect::<Vec<_>>(),
        ["first_response", "resolution"]
    );
    // In words, with its steps: one hour around the clock from creation.
    assert!(explanation[0]["text"].as_str().unwrap().contains("1 h"), "{explanation:?}");
    assert_eq!(explanation[0]["steps"][0]["step"], "counted");
    // Requesters never see it.
    let (_, mine) = app.get(&requester, &format!("/tickets/{id}")).await;
    assert!(mine.get("sla").is_none(), "{mine}");

    // Waiting on the requester from 10 minutes after creation, 30 minutes
    // ago: 10 minutes used, so the first response is due 50 minutes after
    // now (the clock assumes it resumes now).
    let (status, body) = app.put(&agent, &format!("/tickets/{id}/status"), json!({"status": "pending"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sqlx::query("update tickets set created_at = created_at - interval '10 minutes' where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    {
        let mut transaction = app.pool.begin().await.unwrap();
        sqlx::query("set local session_replication_role = replica").execute(&mut *transaction).await.unwrap();
        sqlx::query("update ticket_events set created_at = created_at - interval '10 minutes' where ticket_id = $1 and action = 'created'")
            .bind(id)
            .execute(&mut *transaction)
            .await
            .unwrap();
        transaction.commit().await.unwrap();
    }
    move_back(&app.pool, id, 20).await;
    let (_, detail) = app.get(&agent, &format!("/tickets/{id}")).await;
    let sla = &detail["sla"];
    assert!(sla["paused_since"].is_string(), "{sla}");
    let now = json!(chrono::Utc::now().to_rfc3339());
    let left = seconds_between(&now, &sla["first_response_due_at"]);
    assert!((50 * 60 - 60..=50 * 60 + 5).contains(&left), "due in {left} s: {sla}");
    let steps: Vec<&str> =
        sla["explanation"][0]["steps"].as_array().unwrap().iter().map(|step| step["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["counted", "paused", "due"], "{sla}");

    // Back to open and answered late (70 minutes after creation): a breach
    // of the first response, which stays met; the resolution runs on.
    let (status, _) = app.put(&agent, &format!("/tickets/{id}/status"), json!({"status": "open"})).await;
    assert_eq!(status, StatusCode::OK);
    move_back(&app.pool, id, 60).await;
    let (status, _) = app.post(&agent, &format!("/tickets/{id}/messages"), json!({"body": "Looking now."})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, detail) = app.get(&agent, &format!("/tickets/{id}")).await;
    let sla = &detail["sla"];
    assert_eq!(sla["breached"], json!(["first_response"]), "{sla}");
    assert!(sla["first_response_met_at"].is_string());
    // Resolved in time.
    let (status, _) = app.put(&agent, &format!("/tickets/{id}/status"), json!({"status": "resolved"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = app.get(&agent, &format!("/tickets/{id}")).await;
    assert_eq!(detail["sla"]["resolved_within"], true, "{}", detail["sla"]);
}

#[sqlx::test(migrations = false)]
async fn the_worker_warns_then_records_a_breach_once_and_leaves_paused_tickets_alone(pool: PgPool) {
    let (app, admin, agent, requester) = desk(pool).await;
    let (status, body) = app.post(&admin, "/sla-policies", urgent_support(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let pool = &app.pool;
    let unassigned = urgent_ticket(&app, &requester, "Nobody on it").await;
    let assigned = urgent_ticket(&app, &requester, "Ben on it").await;
    let ben: i64 = sqlx::query_scalar("select id from users where username = 'ben'").fetch_one(pool).await.unwrap();
    let (status, body) = app.post(&agent, &format!("/tickets/{assigned}/assign"), json!({"agent_id": ben})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let waiting = urgent_ticket(&app, &requester, "Waiting on the requester").await;
    let (status, _) = app.put(&agent, &format!("/tickets/{waiting}/status"), json!({"status": "pending"})).await;
    assert_eq!(status, StatusCode::OK);
    // Nothing is near its due time yet.
    pass(pool).await;
    for id in [unassigned, assigned, waiting] {
        assert!(sla_events(pool, id).await.is_empty());
    }

    // 50 minutes in: past 80 % of the first hour.
    for id in [unassigned, assigned, waiting] {
        move_back(pool, id, 50).await;
    }
    look_at_every_ticket(pool).await;
    let report = pass(pool).await;
    assert_eq!(report.acted_on(app::services::jobs::TimedRule::ServiceLevels), 2, "{report:?}");
    for id in [unassigned, assigned] {
        let events = sla_events(pool, id).await;
        assert_eq!(events.len(), 1, "{events:?}");
        let (action, actor, data) = &events[0];
        assert_eq!((action.as_str(), *actor), ("sla_warning", None), "by the system");
        assert_eq!(data["target"], "first_response");
        assert_eq!(data["policy"], "Urgent support");
        assert!(data["due_at"].is_string());
    }
    assert!(sla_events(pool, waiting).await.is_empty(), "paused: no warning");
    // The assignee, else every agent; admins hear of breaches only.
    assert_eq!(inbox_recipients(pool, assigned, "sla_warning").await, ["ben"]);
    assert_eq!(inbox_recipients(pool, unassigned, "sla_warning").await, ["ben"]);
    // Once: another pass finds nothing to say.
    look_at_every_ticket(pool).await;
    assert_eq!(pass(pool).await.total(), 0);

    // 65 minutes in: breached, to the admins too.
    for id in [unassigned, assigned, waiting] {
        move_back(pool, id, 15).await;
    }
    look_at_every_ticket(pool).await;
    pass(pool).await;
    for id in [unassigned, assigned] {
        let events = sla_events(pool, id).await;
        assert_eq!(events.iter().map(|event| event.0.as_str()).collect::<Vec<_>>(), ["sla_warning", "sla_breached"]);
        let (_, detail) = app.get(&agent, &format!("/tickets/{id}")).await;
        assert_eq!(detail["sla"]["breached"], json!(["first_response"]));
        // Staff see it in the timeline; requesters do not.
        assert!(detail["events"].as_array().unwrap().iter().any(|event| event["action"] == "sla_breached"));
        let (_, mine) = app.get(&requester, &format!("/tickets/{id}")).await;
        assert!(
            !mine["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|event| event["action"].as_str().unwrap().starts_with("sla_"))
        );
    }
    assert_eq!(inbox_recipients(pool, assigned, "sla_breached").await, ["ada", "ben"]);
    assert_eq!(inbox_recipients(pool, unassigned, "sla_breached").await, ["ada", "ben"]);
    let emails: i64 =
        sqlx::query_scalar("select count(*) from outbox where kind = 'sla_breached' and channel = 'email'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(emails, 4, "both tickets, the agent and the admin");
    assert!(sla_events(pool, waiting).await.is_empty(), "still paused");
    // Nothing is left to look at until a change: the warned-and-breached
    // first response is spent, the resolution's warning is hours away.
    let next: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select due_at from ticket_sla_checks where ticket_id = $1")
            .bind(unassigned)
            .fetch_optional(pool)
            .await
            .unwrap();
    let next = next.expect("the resolution's warning");
    assert!(next > chrono::Utc::now() + chrono::TimeDelta::hours(4), "{next}");
    let waiting_next: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select due_at from ticket_sla_checks where ticket_id = $1")
            .bind(waiting)
            .fetch_optional(pool)
            .await
            .unwrap();
    assert_eq!(waiting_next, None, "paused: only a change wakes it");
}

#[sqlx::test(migrations = false)]
async fn two_workers_on_one_database_record_each_breach_once(pool: PgPool) {
    let (app, admin, _agent, requester) = desk(pool).await;
    let (status, _) = app.post(&admin, "/sla-policies", urgent_support(None)).await;
    assert_eq!(status, StatusCode::CREATED);
    let pool = &app.pool;
    let mut ids = Vec::new();
    for number in 0..12 {
        let id = urgent_ticket(&app, &requester, &format!("Late ticket {number}")).await;
        move_back(pool, id, 90).await;
        ids.push(id);
    }
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let (first, second) = tokio::join!(app::services::jobs::run_pass(pool), app::services::jobs::run_pass(&other));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.total() + second.total(), ids.len(), "{first:?} {second:?}");
    for id in &ids {
        let events = sla_events(pool, *id).await;
        // Past due at once: a breach, and no late warning.
        assert_eq!(events.iter().map(|event| event.0.as_str()).collect::<Vec<_>>(), ["sla_breached"], "ticket {id}");
    }
    let (again, again_other) = tokio::join!(app::services::jobs::run_pass(pool), app::services::jobs::run_pass(&other));
    assert_eq!(again.unwrap().total() + again_other.unwrap().total(), 0);
    other.close().await;
}
