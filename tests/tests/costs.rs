//! What one request costs in DynamoDB round trips: counted, not timed, so it cannot flake.
//! The figures are the ones the closing notes report; a change that adds a round trip to a
//! request path has to change this test on purpose.

use aftersales::domain::identity::Role;
use e2e::{StatusCode, TestApp, json, merchant_day};
use reqwest::Method;
use serde_json::json;

fn complaint() -> serde_json::Value {
    json!({"type": "repair", "description": "Noise.", "purchase": {"category": "television", "invoice_date": merchant_day(-20)}})
}

#[tokio::test]
async fn filing_a_case_takes_one_round_trip_and_two_with_an_idempotency_key() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    // The first request of a process also reads the policy (then cached).
    let before = app.store.metrics();
    assert_eq!(
        app.post("/v1/cases", &alice, &complaint()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.store.metrics().round_trips - before.round_trips,
        2,
        "policy, transaction"
    );

    let before = app.store.metrics();
    assert_eq!(
        app.post("/v1/cases", &alice, &complaint()).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.store.metrics().round_trips - before.round_trips,
        1,
        "the transaction alone: the case number needs no write"
    );

    let before = app.store.metrics();
    let response = app
        .request(Method::POST, "/v1/cases", &alice)
        .header("Idempotency-Key", "cost-1")
        .json(&complaint())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        app.store.metrics().round_trips - before.round_trips,
        2,
        "key look-up, transaction"
    );
}

#[tokio::test]
async fn reading_a_case_with_its_timeline_takes_one_round_trip() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let (_, case) = json(app.post("/v1/cases", &alice, &complaint()).await).await;
    let before = app.store.metrics();
    let (status, _) = json(
        app.get(
            &format!("/v1/cases/{}", case["id"].as_str().unwrap()),
            &alice,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.store.metrics().round_trips - before.round_trips, 1);

    let agent = app.token(Role::Agent, "agent-1");
    let before = app.store.metrics();
    let (status, _) = json(app.get("/v1/cases?status=submitted", &agent).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.store.metrics().round_trips - before.round_trips,
        1,
        "the queue is one Query"
    );
}

#[tokio::test]
async fn a_case_change_and_a_return_step_each_take_two_round_trips() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let (_, case) = json(app.post("/v1/cases", &alice, &complaint()).await).await;
    let id = case["id"].as_str().unwrap();
    let evidence = json!({"evidence": [{"type": "photo", "url": "https://cdn.example/1.jpg", "size_bytes": 10}]});
    let before = app.store.metrics();
    let (status, _) = json(
        app.post(&format!("/v1/cases/{id}/evidence"), &alice, &evidence)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.store.metrics().round_trips - before.round_trips,
        2,
        "read with timeline, transaction"
    );

    let refund = json!({
        "type": "refund_only", "order": {"order_id": "SO-1"},
        "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": 1, "currency": "CNY", "unit_price_minor": 100}
    });
    let (_, case) = json(app.post("/v1/cases", &alice, &refund).await).await;
    let agent = app.token(Role::Agent, "agent-1");
    let approve = json!({"action": "approve", "reason_code": "ok", "note": ""});
    let before = app.store.metrics();
    let (status, answer) = json(
        app.post(
            &format!("/v1/cases/{}/return", case["id"].as_str().unwrap()),
            &agent,
            &approve,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.store.metrics().round_trips - before.round_trips,
        2,
        "read with timeline, transaction"
    );
    assert_eq!(
        answer["timeline"].as_array().unwrap().len(),
        2,
        "the answer carries the new event"
    );
}
