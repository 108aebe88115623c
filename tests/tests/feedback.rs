//! Feedback end to end: the survey a resolved case opens, answered once by its customer, and
//! the case a dissatisfied answer sends back to customer service.

use aftersales::domain::identity::Role;
use chrono::Weekday;
use e2e::{StatusCode, TestApp, json};
use serde_json::{Value, json};

/// A repair of `customer`'s taken through the workshop to a passed inspection: resolved.
async fn resolved(app: &TestApp, customer: &str, serial: &str) -> String {
    let id = app
        .work_order(customer, serial, json!({"kind": "workshop"}))
        .await;
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let technician = app.token(Role::Technician, "tech-a");
    let (_, suggested) = json(
        app.get(&format!("/v1/cases/{id}/suggestions"), &dispatcher)
            .await,
    )
    .await;
    let steps = [
        (
            dispatcher.clone(),
            json!({"action": "book", "start": suggested[0]["start"], "technician": "tech-a"}),
        ),
        (technician.clone(), json!({"action": "start"})),
        (
            technician,
            json!({"action": "finish", "result": "done", "fault": "no-picture"}),
        ),
        (
            app.token(Role::Quality, "quality-1"),
            json!({"action": "inspect", "passed": true}),
        ),
    ];
    for (token, body) in steps {
        let (status, case) = json(
            app.post(&format!("/v1/cases/{id}/work"), &token, &body)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}: {case}");
    }
    id
}

async fn answer(app: &TestApp, id: &str, token: &str, body: Value) -> (StatusCode, Value) {
    json(
        app.post(&format!("/v1/cases/{id}/survey"), token, &body)
            .await,
    )
    .await
}

#[tokio::test]
async fn a_customer_answers_their_own_survey_once_and_nobody_else_can() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let id = resolved(&app, "li-lei", "SN-1").await;
    let case = app.case_as_staff(&id).await;
    assert_eq!(case["status"], "resolved");
    assert!(
        case["survey"]["opened_at"].is_string(),
        "the survey opened: {case}"
    );

    let (status, _) = answer(
        &app,
        &id,
        &app.customer("mallory"),
        json!({"level": "satisfied"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another customer's case is not there"
    );
    let (status, _) = answer(
        &app,
        &id,
        &app.token(Role::Agent, "agent-1"),
        json!({"level": "satisfied"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "staff do not answer for the customer"
    );
    let owner = app.customer("li-lei");
    let (status, refused) = answer(&app, &id, &owner, json!({"level": "average"})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "below satisfied says why: {refused}"
    );
    let (status, answered) = answer(
        &app,
        &id,
        &owner,
        json!({"level": "very_satisfied", "comment": "Quick and tidy."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["survey"]["answer"]["level"], "very_satisfied");
    assert_eq!(answered["status"], "resolved");
    let (status, again) = answer(
        &app,
        &id,
        &owner,
        json!({"level": "dissatisfied", "reasons": ["speed"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["rule"], "survey-answered");
}

#[tokio::test]
async fn a_survey_expires_after_the_policys_window() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let id = resolved(&app, "li-lei", "SN-1").await;
    app.advance_clock(14 * 24 + 1).await;
    let (status, late) = answer(
        &app,
        &id,
        &app.customer("li-lei"),
        json!({"level": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");
    assert_eq!(late["rule"], "survey-expired");
}

#[tokio::test]
async fn dissatisfied_with_the_speed_sends_the_case_back_to_the_agents_queue_with_the_reason() {
    let app = TestApp::spawn().await;
    app.advance_to(Weekday::Tue, 9).await;
    app.put_technician("tech-a", "An Na", "city", 8).await;
    let id = resolved(&app, "li-lei", "SN-1").await;
    let (status, answered) = answer(
        &app,
        &id,
        &app.customer("li-lei"),
        json!({"level": "dissatisfied", "reasons": ["speed"], "comment": "Two weeks for a board."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["status"], "in_progress");
    assert_eq!(answered["reopened"]["reasons"], json!(["speed"]));
    let kinds: Vec<&str> = answered["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["reopened", "survey_answered"]);
    let agent = app.token(Role::Agent, "agent-1");
    let (_, queue) = json(app.get("/v1/cases?status=in_progress", &agent).await).await;
    let listed = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap_or_else(|| panic!("in the agent's queue: {queue}"));
    assert_eq!(listed["reopened_for"], json!(["speed"]));
}

#[tokio::test]
async fn a_regulator_complaint_lands_with_a_manager_and_an_app_complaint_with_customer_service() {
    let app = TestApp::spawn().await;
    let agent = app.token(Role::Agent, "agent-1");
    let (status, regulator) = json(
        app.post(
            "/v1/cases",
            &agent,
            &json!({"type": "complaint", "customer_id": "c-1", "complaint_channel": "regulator",
                    "description": "Forwarded by the market regulator: a repair promised twice and missed."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{regulator}");
    assert_eq!(
        regulator["complaint"],
        json!({"channel": "regulator", "handler": "manager"})
    );
    assert_eq!(regulator["priority"], "urgent");
    let (status, own) = json(
        app.post(
            "/v1/cases",
            &app.customer("c-2"),
            &json!({"type": "complaint", "description": "The technician was rude."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(
        own["complaint"],
        json!({"channel": "app", "handler": "agent"})
    );
    // The manager's queue holds the regulator's complaint, not the app's.
    let manager = app.token(Role::Manager, "manager-1");
    let (_, queue) = json(
        app.get("/v1/cases?type=complaint&handler=manager", &manager)
            .await,
    )
    .await;
    let ids: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [regulator["id"].as_str().unwrap()], "{queue}");
    assert_eq!(queue["items"][0]["handler"], "manager");
    let (_, all) = json(app.get("/v1/cases?type=complaint", &agent).await).await;
    let app_complaint = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == own["id"])
        .unwrap();
    assert!(
        app_complaint.get("handler").is_none(),
        "customer service's own: {app_complaint}"
    );
    // Only a complaint has a channel.
    let (status, refused) = json(
        app.post(
            "/v1/cases",
            &agent,
            &json!({"type": "technical_support", "customer_id": "c-1", "complaint_channel": "regulator", "description": "?"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
}
