//! Return approval end to end: the local gateway (intake, returns, the timers, the movable
//! clock) over HTTP against DynamoDB Local, one table per test.

use aftersales::domain::identity::Role;
use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{StatusCode, TestApp, json};
use serde_json::{Value, json};

fn return_request(kind: &str, case_type: &str) -> Value {
    json!({
        "type": case_type,
        "description": "No picture after two days.",
        "product": {"sku": "TV-55-Q8", "serial_number": "Q8A55-000123"},
        "purchase": {"category": "television", "invoice_date": e2e::merchant_day(-5)},
        "order": {"order_id": "SO-1"},
        "return_terms": {
            "kind": kind, "reason": "quality_fault", "units": 1, "model": "TV-55-Q8",
            "currency": "CNY", "unit_price_minor": 399900, "shipping_fee_minor": 2000
        }
    })
}

async fn file(app: &TestApp, token: &str, body: &Value) -> String {
    let (status, case) = json(app.post("/v1/cases", token, body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["id"].as_str().unwrap().to_owned()
}

async fn step(app: &TestApp, token: &str, id: &str, command: Value) -> (StatusCode, Value) {
    json(
        app.post(&format!("/v1/cases/{id}/return"), token, &command)
            .await,
    )
    .await
}

async fn stage(app: &TestApp, id: &str) -> Value {
    let agent = app.token(Role::Agent, "agent-1");
    let (_, case) = json(app.get(&format!("/v1/cases/{id}"), &agent).await).await;
    case["returns"]["stage"].clone()
}

fn approve(code: &str) -> Value {
    json!({"action": "approve", "reason_code": code, "note": "We will take it back."})
}

#[tokio::test]
async fn a_return_auto_approved_at_48_hours_goes_through_shipment_receipt_inspection_and_refund() {
    let app = TestApp::spawn().await;
    // This merchant wants its goods back even when the clock approves.
    let (status, saved) = app
        .change_policy(|p| p["returns"]["auto_approval_refunds_without_return"] = json!(false))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    let alice = app.customer("alice");
    let id = file(
        &app,
        &alice,
        &return_request("return_and_refund", "return_refund"),
    )
    .await;
    assert_eq!(stage(&app, &id).await, "awaiting_decision");

    let moved = app.advance_clock(47).await;
    assert_eq!(moved["timers"]["fired"], 0, "not due yet: {moved}");
    let moved = app.advance_clock(1).await;
    assert_eq!(moved["timers"]["fired"], 1, "{moved}");
    assert_eq!(stage(&app, &id).await, "awaiting_shipment");

    let (status, case) = step(
        &app,
        &alice,
        &id,
        json!({"action": "ship", "carrier": "SF Express", "tracking_number": "SF1402938475"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let warehouse = app.token(Role::Warehouse, "wh-1");
    let receive = json!({
        "action": "receive", "units_received": 1,
        "slip": {"item_number": "TV-55-Q8", "item_name": "55\" QLED TV", "quantity": 1, "batch": "B2611", "defect": "no picture"},
        "missing_accessories": [{"reason": "remote control missing", "amount_minor": 5000}]
    });
    let (status, case) = step(&app, &warehouse, &id, receive).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let quality = app.token(Role::Quality, "qc-1");
    let inspect = json!({
        "action": "inspect", "fault_confirmed": true, "responsibility": "merchant", "resaleable": false,
        "dispositions": ["rework"], "return_shipping_minor": 3000
    });
    let (status, case) = step(&app, &quality, &id, inspect).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["returns"]["stage"], "refund_pending");
    assert_eq!(
        case["returns"]["refund"]["total_minor"],
        399900 - 5000 + 3000
    );

    let finance = app.token(Role::Finance, "fin-1");
    let (status, case) = step(&app, &finance, &id, json!({"action": "execute_refund"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["returns"]["stage"], "refunded");
    assert_eq!(case["status"], "resolved");

    let who: Vec<(&str, &str)> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"]["role"].as_str().unwrap(),
                e["changes"][0]["type"]
                    .as_str()
                    .unwrap_or(e["type"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("customer", "filed"),
            ("system", "approved"),
            ("customer", "shipped"),
            ("warehouse", "received"),
            ("quality", "inspected"),
            ("finance", "refunded")
        ]
    );
    let approved_at = case["timeline"][1]["at"].as_str().unwrap();
    let filed_at = case["timeline"][0]["at"].as_str().unwrap();
    let gap = chrono::DateTime::parse_from_rfc3339(approved_at).unwrap()
        - chrono::DateTime::parse_from_rfc3339(filed_at).unwrap();
    assert!(
        gap >= chrono::Duration::hours(48),
        "approved by the clock, 48 h after filing: {gap}"
    );
}

#[tokio::test]
async fn by_default_a_refund_only_request_on_a_held_order_is_refunded_by_the_system_after_48_hours()
{
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let order = app.owners_order().await;
    let mut request = return_request("refund_only", "refund_only");
    request["order"] = json!({"storefront": "erp", "order_id": order, "line_ids": ["1"]});
    // The order paid nothing beyond its line: no shipping fee to state.
    request["return_terms"]["shipping_fee_minor"] = json!(0);
    let id = file(&app, &wang, &request).await;
    // A request whose amount nobody can check: the customer declared it.
    let alice = app.customer("alice");
    let declared = file(&app, &alice, &return_request("refund_only", "refund_only")).await;
    app.advance_clock(49).await;
    let agent = app.token(Role::Agent, "agent-1");
    let (_, case) = json(app.get(&format!("/v1/cases/{id}"), &agent).await).await;
    assert_eq!(case["returns"]["stage"], "refunded", "{case}");
    let changes = &case["timeline"][1]["changes"];
    assert_eq!(changes[0]["by_system"], true);
    assert_eq!(changes[2]["type"], "refunded");
    assert_eq!(changes[2]["amount_minor"], 399900);
    let (_, case) = json(app.get(&format!("/v1/cases/{declared}"), &agent).await).await;
    assert_eq!(
        case["returns"]["stage"], "refund_pending",
        "approved by the clock, paid by finance once the proof is checked: {case}"
    );
}

#[tokio::test]
async fn a_rejection_is_resubmitted_and_decided_again_and_an_unanswered_one_lapses() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let agent = app.token(Role::Agent, "agent-1");
    let id = file(&app, &alice, &return_request("refund_only", "refund_only")).await;
    let reject = json!({"action": "reject", "reason_code": "no_fault_found", "note": "Please send a photo of the screen."});
    let (status, case) = step(&app, &agent, &id, reject.clone()).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["status"], "awaiting_customer");
    let (status, case) = step(
        &app,
        &alice,
        &id,
        json!({"action": "resubmit", "note": "Photo added."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["returns"]["round"], 2);
    let (status, case) = step(&app, &agent, &id, approve("photo_shows_fault")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["returns"]["stage"], "refund_pending");

    let other = file(&app, &alice, &return_request("refund_only", "refund_only")).await;
    step(&app, &agent, &other, reject).await;
    app.advance_clock(7 * 24).await;
    assert_eq!(stage(&app, &other).await, "lapsed");
}

#[tokio::test]
async fn two_staff_deciding_at_once_one_wins_and_the_other_gets_409() {
    let app = TestApp::spawn().await;
    let id = file(
        &app,
        &app.customer("alice"),
        &return_request("refund_only", "refund_only"),
    )
    .await;
    let a = app.token(Role::Agent, "agent-a");
    let b = app.token(Role::Reviewer, "reviewer-b");
    let reject = json!({"action": "reject", "reason_code": "used", "note": ""});
    let (first, second) = tokio::join!(
        step(&app, &a, &id, approve("ok")),
        step(&app, &b, &id, reject)
    );
    let statuses = [first.0, second.0];
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
    assert!(
        statuses.contains(&StatusCode::CONFLICT),
        "{statuses:?} {first:?} {second:?}"
    );
}

#[tokio::test]
async fn two_concurrent_refund_executions_pay_once() {
    let app = TestApp::spawn().await;
    let id = file(
        &app,
        &app.customer("alice"),
        &return_request("refund_only", "refund_only"),
    )
    .await;
    step(&app, &app.token(Role::Agent, "agent-1"), &id, approve("ok")).await;
    let f1 = app.token(Role::Finance, "fin-1");
    let f2 = app.token(Role::Finance, "fin-2");
    let execute = json!({"action": "execute_refund"});
    let (a, b) = tokio::join!(
        step(&app, &f1, &id, execute.clone()),
        step(&app, &f2, &id, execute)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let agent = app.token(Role::Agent, "agent-1");
    let (_, case) = json(app.get(&format!("/v1/cases/{id}"), &agent).await).await;
    let refunds = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["changes"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == "refunded")
        .count();
    assert_eq!(refunds, 1);
}

#[tokio::test]
async fn a_decision_below_the_required_level_is_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut body = return_request("return_and_refund", "return_refund");
    body["return_terms"]["units"] = json!(60);
    body["return_terms"]["unit_price_minor"] = json!(1000);
    let id = file(&app, &app.customer("alice"), &body).await;
    let agent = app.token(Role::Agent, "agent-1");
    let (status, problem) = step(&app, &agent, &id, approve("batch_ok")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(stage(&app, &id).await, "awaiting_decision");
    let manager = app.token(Role::Manager, "mgr-1");
    let (status, case) = step(&app, &manager, &id, approve("batch_ok")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["returns"]["required_level"], "manager");

    let (status, problem) = step(
        &app,
        &manager,
        &id,
        json!({"action": "approve", "reason_code": "", "note": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "already decided: {problem}");
}

#[tokio::test]
async fn goods_without_a_return_slip_are_refused_and_a_customer_cannot_receive_them() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let id = file(
        &app,
        &alice,
        &return_request("return_and_refund", "return_refund"),
    )
    .await;
    step(&app, &app.token(Role::Agent, "agent-1"), &id, approve("ok")).await;
    step(
        &app,
        &alice,
        &id,
        json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
    )
    .await;
    let warehouse = app.token(Role::Warehouse, "wh-1");
    let (status, problem) = step(
        &app,
        &warehouse,
        &id,
        json!({"action": "receive", "slip": null, "units_received": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["rule"], "return-slip-required");
    let (status, _) = step(
        &app,
        &alice,
        &id,
        json!({"action": "receive", "slip": null, "units_received": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let bob = app.customer("bob");
    let (status, _) = step(&app, &bob, &id, json!({"action": "cancel", "reason": null})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another customer's return does not exist for them"
    );
    let (status, case) = step(
        &app,
        &alice,
        &id,
        json!({"action": "cancel", "reason": "bought elsewhere"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["status"], "cancelled");
}

#[tokio::test]
async fn the_queues_list_pending_decisions_by_deadline_and_goods_in_transit() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let first = file(&app, &alice, &return_request("refund_only", "refund_only")).await;
    let second = file(
        &app,
        &alice,
        &return_request("return_and_refund", "return_refund"),
    )
    .await;
    let agent = app.token(Role::Agent, "agent-1");
    let (status, queue) = json(app.get("/v1/returns?stage=awaiting_decision", &agent).await).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let ids: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [first.as_str(), second.as_str()],
        "earliest deadline first"
    );
    step(&app, &agent, &second, approve("ok")).await;
    step(
        &app,
        &alice,
        &second,
        json!({"action": "ship", "carrier": "SF", "tracking_number": "SF9"}),
    )
    .await;
    let (_, transit) = json(app.get("/v1/returns?stage=in_transit", &agent).await).await;
    assert_eq!(transit["items"][0]["id"], second.as_str());
    let (status, _) = json(app.get("/v1/returns?stage=in_transit", &alice).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_timers_run_reads_the_deadlines_due_not_every_open_case() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    for _ in 0..3 {
        file(&app, &alice, &return_request("refund_only", "refund_only")).await;
    }
    app.stack.clock.advance(chrono::Duration::hours(49));
    // Twelve more open cases, due two days from the moved clock.
    for _ in 0..12 {
        file(
            &app,
            &alice,
            &return_request("return_and_refund", "return_refund"),
        )
        .await;
    }
    let report = app.stack.run_timers().await.unwrap();
    assert_eq!((report.due_read, report.fired), (3, 3), "{report:?}");
    let again = app.stack.run_timers().await.unwrap();
    assert_eq!(again.due_read, 0, "fired deadlines leave the index");
}

#[tokio::test]
async fn a_corrupt_due_item_is_logged_and_skipped_and_the_rest_still_fires() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let id = file(
        &app,
        &alice,
        &return_request("return_and_refund", "return_refund"),
    )
    .await;
    // An item no rule can read, due long ago: the first thing a run meets.
    app.store
        .client()
        .put_item()
        .table_name(app.store.table())
        .item("PK", AttributeValue::S("CASE#AS0001-00001".into()))
        .item("SK", AttributeValue::S("CASE".into()))
        .item("entity", AttributeValue::S("case".into()))
        .item(
            "GSI5PK",
            AttributeValue::S(aftersales::store::keys::DueKeys::pk("CASE#AS0001-00001")),
        )
        .item(
            "GSI5SK",
            AttributeValue::S("2000-01-01T00:00:00.000000Z#AS0001-00001".into()),
        )
        .item("case", AttributeValue::S("not a case".into()))
        .send()
        .await
        .unwrap();
    app.stack.clock.advance(chrono::Duration::hours(49));
    let report = app.stack.run_timers().await.unwrap();
    assert_eq!((report.failed, report.fired), (1, 1), "{report:?}");
    assert_eq!(
        stage(&app, &id).await,
        "refund_pending",
        "approved by the clock (a declared amount: finance pays)"
    );
}
