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

/// Reads and writes waited for by what `send` does.
async fn cost_of<F: std::future::Future<Output = reqwest::Response>>(
    app: &TestApp,
    send: F,
) -> (u64, u64) {
    let before = app.store.metrics();
    let response = send.await;
    assert!(response.status().is_success(), "{}", response.status());
    let cost = app.store.metrics() - before;
    (cost.read_round_trips(), cost.write_round_trips)
}

#[tokio::test]
async fn every_state_change_is_one_write_after_at_most_one_read() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    // Warm the policy cache: a process reads the policy once.
    app.post("/v1/cases", &alice, &complaint()).await;

    let return_request = json!({
        "type": "return_refund", "description": "No picture.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
        "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                         "currency": "CNY", "unit_price_minor": 399900}
    });
    let filing = cost_of(&app, app.post("/v1/cases", &alice, &return_request)).await;
    assert_eq!(filing, (1, 1), "the day's units, then the transaction");
    let (_, case) = json(app.post("/v1/cases", &alice, &return_request).await).await;
    let id = case["id"].as_str().unwrap();
    let keyed = app
        .request(Method::POST, "/v1/cases", &alice)
        .header("Idempotency-Key", "cost-2")
        .json(&return_request)
        .send();
    let keyed = async { keyed.await.unwrap() };
    assert_eq!(
        cost_of(&app, keyed).await,
        (1, 1),
        "the key's earlier use and the day's units are read at once"
    );

    let path = format!("/v1/cases/{id}/return");
    let steps = [
        (
            app.token(Role::Reviewer, "rev-1"),
            json!({"action": "approve", "reason_code": "ok", "note": ""}),
        ),
        (
            alice.clone(),
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        ),
        (
            app.token(Role::Warehouse, "wh-1"),
            json!({"action": "receive", "units_received": 1,
                   "slip": {"item_number": "TV", "item_name": "TV", "quantity": 1, "defect": "no picture"}}),
        ),
        (
            app.token(Role::Quality, "qc-1"),
            json!({"action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
                   "resaleable": false, "dispositions": ["rework"]}),
        ),
        (
            app.token(Role::Finance, "fin-1"),
            json!({"action": "execute_refund"}),
        ),
    ];
    for (token, step) in &steps {
        assert_eq!(
            cost_of(&app, app.post(&path, token, step)).await,
            (1, 1),
            "{step}"
        );
    }

    // Storefront webhooks: the delivery's marker, the order's version and the return's link
    // are conditions of the one transaction, not reads before it.
    let order = e2e::fixture("shopify/orders-create.json");
    let created = cost_of(&app, app.shopify("orders/create", &order, "cost-o")).await;
    assert_eq!(created, (1, 1), "the order, then the transaction");
    let updated = e2e::fixture_with(
        "shopify/orders-create.json",
        json!({"updated_at": "2022-01-01T10:00:00-05:00"}),
    );
    let changed = cost_of(&app, app.shopify("orders/updated", &updated, "cost-u")).await;
    assert_eq!(changed, (1, 1));
    let opened = cost_of(
        &app,
        app.shopify(
            "returns/request",
            &e2e::fixture("shopify/returns-request.json"),
            "cost-r",
        ),
    )
    .await;
    assert_eq!(opened, (1, 1), "the return's link and its order at once");
    // A refund on an order with an open case: the delivery (the order read, one transaction),
    // then the case told (read, one transaction) and the notice's progress recorded.
    let refunded = cost_of(
        &app,
        app.shopify(
            "refunds/create",
            &e2e::fixture("shopify/refunds-create.json"),
            "cost-f",
        ),
    )
    .await;
    assert_eq!(refunded, (2, 3));
}

#[tokio::test]
async fn every_operation_writes_within_a_third_of_what_its_data_needs() {
    // Computed from the items written (DynamoDB Local counts no index writes): each item at
    // its size, two units per KB in a transaction; each index entry added, changed or moved.
    let app = TestApp::spawn().await;
    for (name, bill) in e2e::billing::typical_operations(&app).await {
        println!("{name}: {bill}");
        assert!(bill.billed() > 0, "{name} wrote nothing");
        assert!(bill.ratio() <= 1.3, "{name}: {bill}");
    }
}

#[tokio::test]
async fn a_refund_paid_from_an_order_nothing_has_moved_reads_only_the_case() {
    // The case remembers the version of its order's claims it wrote; the payment's transaction
    // checks it instead of reading the order (a storefront refund meanwhile moves it, and then
    // the order is read: see hardening.rs, finance_pays_nothing_from_an_order_...).
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let order = app.owners_order().await;
    let request = json!({
        "type": "refund_only", "description": "It never worked.",
        "order": {"storefront": "erp", "order_id": order, "line_ids": ["1"]},
        "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": 1,
                         "currency": "CNY", "unit_price_minor": 399900}
    });
    let (status, case) = json(app.post("/v1/cases", &wang, &request).await).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let path = format!("/v1/cases/{}/return", case["id"].as_str().unwrap());
    let (agent, finance) = (
        app.token(Role::Agent, "agent-1"),
        app.token(Role::Finance, "fin-1"),
    );
    let approve = json!({"action": "approve", "reason_code": "ok", "note": ""});
    let execute = json!({"action": "execute_refund"});
    assert_eq!(
        cost_of(&app, app.post(&path, &agent, &approve)).await,
        (1, 1)
    );
    assert_eq!(
        cost_of(&app, app.post(&path, &finance, &execute)).await,
        (1, 1),
        "the case alone, then the transaction"
    );
    let paid = app.case_as_staff(case["id"].as_str().unwrap()).await;
    assert_eq!(paid["returns"]["stage"], "refunded", "{paid}");
}

#[tokio::test]
async fn a_booking_reads_the_case_and_the_day_at_once_and_every_work_step_is_one_write() {
    let app = TestApp::spawn().await;
    app.advance_to(chrono::Weekday::Wed, 8).await;
    app.put_technician("tech-cost", "Wang Qiang", "city", 8)
        .await;
    let id = app.work_order("cost-customer", "SN-COST", json!({})).await;
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-1");
    let technician = app.token(Role::Technician, "tech-cost");
    let customer = app.customer("cost-customer");
    let (_, suggested) = json(
        app.get(&format!("/v1/cases/{id}/suggestions"), &dispatcher)
            .await,
    )
    .await;
    let path = format!("/v1/cases/{id}/work");
    let book = json!({"action": "book", "start": suggested[0]["start"], "technician": "tech-cost"});
    assert_eq!(
        cost_of(&app, app.post(&path, &dispatcher, &book)).await,
        (2, 1),
        "the case, then the technicians and the day's bookings at once; one transaction"
    );
    for step in [
        json!({"action": "start"}),
        json!({"action": "set_status", "status": "waiting_for_parts"}),
        json!({"action": "set_status", "status": "in_repair"}),
    ] {
        assert_eq!(
            cost_of(&app, app.post(&path, &technician, &step)).await,
            (1, 1),
            "{step}"
        );
    }
    let (_, code) = json(
        app.get(&format!("/v1/cases/{id}/work/code"), &customer)
            .await,
    )
    .await;
    let finish =
        json!({"action": "finish", "result": "done", "fault": "power-board", "code": code["code"]});
    assert_eq!(
        cost_of(&app, app.post(&path, &technician, &finish)).await,
        (2, 1),
        "the case, the customer's code"
    );
    let quality = app.token(Role::Quality, "quality-1");
    let inspect = json!({"action": "inspect", "passed": true});
    assert_eq!(
        cost_of(&app, app.post(&path, &quality, &inspect)).await,
        (2, 1),
        "the case, the serial number's repairs"
    );
    // The board's day: one round trip, whatever the number of technicians.
    for n in 0..5 {
        app.put_technician(&format!("tech-{n}"), "Someone", "city", 8)
            .await;
    }
    let before = app.store.metrics();
    let (status, sheet) = json(app.get("/v1/dispatch/day", &dispatcher).await).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(sheet["technicians"].as_array().unwrap().len(), 6);
    let cost = app.store.metrics() - before;
    assert_eq!(
        (cost.round_trips, cost.requests),
        (1, 2),
        "two Queries sent at once"
    );
}

#[tokio::test]
async fn a_survey_answer_is_one_read_and_one_write_and_a_quarters_report_one_round_trip() {
    let app = TestApp::spawn().await;
    let agent = app.token(Role::Agent, "agent-1");
    let customer = app.customer("alice");
    let (_, filed) = json(
        app.post(
            "/v1/cases",
            &customer,
            &json!({"type": "complaint", "description": "Late twice."}),
        )
        .await,
    )
    .await;
    let id = filed["id"].as_str().unwrap().to_owned();
    let resolve = json!({"action": "resolve", "resolution": "Apologised; a voucher."});
    let resolving = cost_of(
        &app,
        app.post(&format!("/v1/cases/{id}/complaint"), &agent, &resolve),
    )
    .await;
    assert_eq!(resolving, (1, 1), "the case, then one transaction");

    let before = app.store.metrics();
    let answer = json!({"level": "dissatisfied", "reasons": ["speed"]});
    let response = app
        .post(&format!("/v1/cases/{id}/survey"), &customer, &answer)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cost = app.store.metrics() - before;
    assert_eq!(
        (cost.read_round_trips(), cost.write_round_trips),
        (1, 1),
        "the case with its timeline, then the answer, the reopening and its counters at once"
    );
    eprintln!(
        "costs: a survey answer: {} round trips, {:.1} capacity units",
        cost.round_trips, cost.capacity_units
    );

    let manager = app.token(Role::Manager, "manager-1");
    let before = app.store.metrics();
    let (status, report) = json(
        app.get("/v1/reports?from=2026-10-01&to=2026-12-31", &manager)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let cost = app.store.metrics() - before;
    assert_eq!(cost.round_trips, 1, "the quarter's three months at once");
    assert_eq!(cost.requests, 3, "one Query per month");
    eprintln!(
        "costs: a quarter's report: {} round trip, {} requests, {:.1} capacity units, {} counters",
        cost.round_trips, cost.requests, cost.capacity_units, report["counters_read"]
    );
}
