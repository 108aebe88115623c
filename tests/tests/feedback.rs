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
