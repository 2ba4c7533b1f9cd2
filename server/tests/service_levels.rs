//! Business calendars and SLA policies over HTTP (issue 15, item 2): admins
//! write, agents read, requesters get 403; bad input is a field error and
//! changes nothing.

mod common;

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
