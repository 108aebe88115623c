//! Decisions written back to the shop itself, exactly once: against stand-ins of Shopify's
//! Admin GraphQL API and WooCommerce's REST API (`e2e::standins`), delivered by the timers.

use std::time::Duration;

use aftersales::domain::identity::Role;
use e2e::standins::{self, Fault, StandIn};
use e2e::{StatusCode, TestApp, fixture, fixture_with, json};
use serde_json::{Value, json};

const SHOPIFY_CUSTOMER: &str = "main:115310627314723954";

async fn shopify_shop() -> (TestApp, StandIn) {
    let shop = standins::shopify().await;
    let config = format!(
        r#"[{{"id": "main", "kind": "shopify", "source": "{}", "secrets": ["{}"],
            "write_back": {{"base_url": "{}", "access_token": "{}"}}}}]"#,
        e2e::SHOPIFY_DOMAIN,
        e2e::SHOPIFY_SECRET,
        shop.url,
        standins::SHOPIFY_TOKEN
    );
    (TestApp::spawn_with_storefronts(&config).await, shop)
}

/// The fixture's return, requested at Shopify: its case.
async fn shopify_return(app: &TestApp) -> String {
    // Shipped and delivered, and dear enough that the goods come back before the money does.
    let mut order: Value =
        serde_json::from_slice(&fixture("shopify/orders-create.json")).expect("JSON");
    order["line_items"][0]["price"] = json!("1999.00");
    order["total_price"] = json!("2198.00");
    order["fulfillments"] = json!([{"created_at": "2022-01-02T10:00:00-05:00", "status": "success",
        "shipment_status": "delivered", "updated_at": "2022-01-03T10:00:00-05:00"}]);
    let order = serde_json::to_vec(&order).expect("JSON");
    let response = app.shopify("orders/create", &order, "evt-o").await;
    assert!(response.status().is_success());
    let (status, out) = json(
        app.shopify(
            "returns/request",
            &fixture("shopify/returns-request.json"),
            "evt-r",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    out["case_id"].as_str().expect("a case").to_owned()
}

async fn step(app: &TestApp, id: &str, token: &str, body: Value) -> Value {
    let (status, case) = json(
        app.post(&format!("/v1/cases/{id}/return"), token, &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body} → {case}");
    case
}

/// Approved, shipped back, received, inspected (restocked) and paid: the case as paid.
async fn approved_to_refunded(app: &TestApp, id: &str) -> Value {
    let customer = app.linked_customer("john-sub", Some(SHOPIFY_CUSTOMER), None);
    step(app, id, &app.token(Role::Agent, "agent-1"),
        json!({"action": "approve", "reason_code": "fault_plausible", "note": "The screen stays black."})).await;
    step(
        app,
        id,
        &customer,
        json!({"action": "ship", "carrier": "SF", "tracking_number": "SF100"}),
    )
    .await;
    step(app, id, &app.token(Role::Warehouse, "wh-1"),
        json!({"action": "receive", "units_received": 1,
            "slip": {"item_number": "IPOD2008PINK", "item_name": "iPod", "quantity": 1, "defect": "black screen"}})).await;
    step(
        app,
        id,
        &app.token(Role::Quality, "qc-1"),
        json!({"action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
            "resaleable": true, "dispositions": ["restock"]}),
    )
    .await;
    step(
        app,
        id,
        &app.token(Role::Finance, "fin-1"),
        json!({"action": "execute_refund"}),
    )
    .await
}

/// An agent approves the return, with a reason and no note.
async fn agent_approves(app: &TestApp, id: &str) -> Value {
    step(
        app,
        id,
        &app.token(Role::Agent, "agent-1"),
        json!({"action": "approve", "reason_code": "fault_plausible", "note": ""}),
    )
    .await
}

fn states(case: &Value) -> Vec<(String, String)> {
    case["writebacks"]
        .as_array()
        .expect("write-backs")
        .iter()
        .map(|w| {
            (
                w["step"].as_str().unwrap().to_owned(),
                w["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_shopify_return_approved_received_inspected_and_refunded_here_is_done_at_shopify_in_order_once_each()
 {
    let (app, shop) = shopify_shop().await;
    let id = shopify_return(&app).await;
    let paid = approved_to_refunded(&app, &id).await;
    assert_eq!(
        app.run_timers_until_quiet().await,
        3,
        "approve, process, refund"
    );

    assert_eq!(
        shop.operations(),
        [
            "returnApproveRequest",
            "return",
            "returnProcess",
            "order",
            "refundCreate"
        ],
        "each step once, in the order decided (a read before the process and the refund)"
    );
    let approve = &shop.calls_to("returnApproveRequest")[0];
    assert_eq!(
        approve.body,
        json!({"input": {"id": standins::SHOPIFY_RETURN, "notifyCustomer": true}})
    );
    let process = &shop.calls_to("returnProcess")[0];
    assert_eq!(
        process.body,
        json!({"input": {"returnId": standins::SHOPIFY_RETURN, "notifyCustomer": false,
            "returnLineItems": [{"id": "gid://shopify/ReturnLineItem/677614678", "quantity": 1,
                "dispositions": [{"reverseFulfillmentOrderLineItemId": standins::SHOPIFY_REVERSE_LINE,
                    "quantity": 1, "dispositionType": "RESTOCKED", "locationId": standins::SHOPIFY_LOCATION}]}]}})
    );
    let refund = &shop.calls_to("refundCreate")[0];
    let key = format!("aftersales-{id}-3");
    assert!(
        refund.document.contains(&format!(
            "refundCreate(input: $input) @idempotent(key: \"{key}\")"
        )),
        "the refund's own key: {}",
        refund.document
    );
    let total = paid["returns"]["refund"]["total_minor"].as_i64().unwrap();
    let amount = format!("{}.{:02}", total / 100, total % 100);
    assert_eq!(
        refund.body,
        json!({"input": {
            "orderId": standins::SHOPIFY_ORDER,
            "note": format!("{key} (after-sales case {id})"),
            "notify": true,
            "currency": "USD",
            "refundLineItems": [{"lineItemId": "gid://shopify/LineItem/866550311766439020", "quantity": 1, "restockType": "NO_RESTOCK"}],
            "transactions": [{"orderId": standins::SHOPIFY_ORDER, "gateway": "shopify_payments",
                "kind": "REFUND", "amount": amount, "parentId": standins::SHOPIFY_SALE}]
        }})
    );
    assert_eq!(
        shop.return_status(standins::SHOPIFY_RETURN).as_deref(),
        Some("CLOSED")
    );

    let case = app.case_as_staff(&id).await;
    assert_eq!(
        states(&case),
        pairs(&[("approve", "done"), ("process", "done"), ("refund", "done")])
    );
    let made = &shop.refunds()[0];
    assert_eq!(case["writebacks"][2]["reference"], made["id"]);

    // Shopify tells us of the refund we made: ours, not the storefront's money on top.
    let numeric = made["id"].as_str().unwrap().rsplit('/').next().unwrap();
    let echo = fixture_with(
        "shopify/refunds-create.json",
        json!({"id": numeric.parse::<u64>().unwrap(), "note": made["note"], "admin_graphql_api_id": made["id"]}),
    );
    let (status, out) = json(app.shopify("refunds/create", &echo, "evt-ours").await).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, order) = json(
        app.get(
            "/v1/orders/main/820982911946154508",
            &app.token(Role::Finance, "fin-1"),
        )
        .await,
    )
    .await;
    assert_eq!(order["refunds"][0]["by_case"], id.as_str(), "{order}");
    assert_eq!(order["refunded_minor"], 0, "not counted again: {order}");
    let case = app.case_as_staff(&id).await;
    assert!(
        !case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "refunded_at_storefront"),
        "the case is not told of its own refund as the storefront's"
    );

    app.stack.clock.advance(chrono::Duration::hours(2));
    assert_eq!(app.run_timers_until_quiet().await, 0);
    assert_eq!(shop.calls().len(), 5, "nothing asked twice");
}

#[tokio::test]
async fn a_shopify_return_declined_here_is_declined_at_shopify_with_its_reason_after_a_throttle_wait()
 {
    let (app, shop) = shopify_shop().await;
    let id = shopify_return(&app).await;
    // The first asking finds the bucket short: 752 wanted, 666 there, 50 a second back.
    shop.fail_next(
        "returnDeclineRequest",
        Fault::Throttled {
            requested: 752.0,
            available: 666.0,
            restore_rate: 50.0,
        },
    );
    step(&app, &id, &app.token(Role::Agent, "agent-1"),
        json!({"action": "reject", "reason_code": "window_closed", "note": "The 30-day window ended on 5 January."})).await;
    assert_eq!(app.run_timers_until_quiet().await, 1);

    let calls = shop.calls_to("returnDeclineRequest");
    assert_eq!(calls.len(), 2, "asked again after the throttle, once");
    let waited = calls[1].at - calls[0].at;
    assert!(
        waited >= Duration::from_millis(1720),
        "waited (752 − 666) / 50 = 1.72 s, not {waited:?}"
    );
    assert_eq!(
        calls[1].body,
        json!({"input": {"id": standins::SHOPIFY_RETURN, "declineReason": "RETURN_PERIOD_ENDED",
            "declineNote": "The 30-day window ended on 5 January.", "notifyCustomer": true}})
    );
    assert_eq!(
        shop.operations(),
        ["returnDeclineRequest", "returnDeclineRequest"]
    );
    assert_eq!(
        shop.return_status(standins::SHOPIFY_RETURN).as_deref(),
        Some("DECLINED")
    );
    let case = app.case_as_staff(&id).await;
    assert_eq!(states(&case), pairs(&[("decline", "done")]));
}

#[tokio::test]
async fn a_long_throttle_is_waited_out_by_the_next_run_at_the_time_shopify_names() {
    let (app, shop) = shopify_shop().await;
    let id = shopify_return(&app).await;
    // 1000 wanted, none there, 50 a second back: 20 s, too long to hold a run for.
    shop.fail_next(
        "returnApproveRequest",
        Fault::Throttled {
            requested: 1000.0,
            available: 0.0,
            restore_rate: 50.0,
        },
    );
    agent_approves(&app, &id).await;
    let first = app.stack.run_timers().await.unwrap();
    assert_eq!(first.failed_attempts, 1, "{first:?}");
    app.stack.clock.advance(chrono::Duration::seconds(19));
    app.stack.run_timers().await.unwrap();
    assert_eq!(shop.calls().len(), 1, "not before the 20 s Shopify named");
    app.stack.clock.advance(chrono::Duration::seconds(2));
    let second = app.stack.run_timers().await.unwrap();
    assert_eq!(second.delivered, 1, "{second:?}");
    assert_eq!(
        shop.operations(),
        ["returnApproveRequest", "return", "returnApproveRequest"],
        "asked before: the return is read (still requested) before it is asked again"
    );
    let (message, _) = app
        .store
        .outbox(&format!("return.approved-{id}-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.attempts, 2);
}

#[tokio::test]
async fn a_refund_shopify_refuses_goes_back_to_finance_who_asks_again_then_settles_it_by_hand() {
    let (app, shop) = shopify_shop().await;
    let id = shopify_return(&app).await;
    shop.fail_next(
        "refundCreate",
        Fault::UserError("Refund amount must be less than or equal to the refundable amount."),
    );
    approved_to_refunded(&app, &id).await;
    app.run_timers_until_quiet().await;

    let case = app.case_as_staff(&id).await;
    assert_eq!(
        states(&case),
        pairs(&[
            ("approve", "done"),
            ("process", "done"),
            ("refund", "failed")
        ])
    );
    assert_eq!(
        case["writebacks"][2]["message"],
        "Shopify: Refund amount must be less than or equal to the refundable amount."
    );
    assert_eq!(
        case["returns"]["stage"], "refund_pending",
        "not paid: {case}"
    );
    let refused = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "storefront_refused")
        .expect("on the timeline");
    assert_eq!(refused["step"], "refund");
    assert_eq!(refused["actor"]["id"], "timers");

    let finance = app.token(Role::Finance, "fin-1");
    let queue = app
        .listed_ids("/v1/returns?stage=refund_pending", &finance)
        .await;
    assert_eq!(queue, vec![id.clone()], "in finance's queue again");
    let (_, page) = json(app.get("/v1/returns?stage=refund_pending", &finance).await).await;
    assert_eq!(page["items"][0]["writeback_failed"], "refund");

    let (status, again) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &finance,
            &json!({"action": "execute_refund"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "never paid a second way: {again}"
    );
    assert_eq!(again["rule"], "storefront-refused-refund");

    let (status, _) = writeback(
        &app,
        &id,
        &app.token(Role::Agent, "agent-1"),
        json!({"action": "retry"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "finance's, not an agent's");
    shop.fail_next("refundCreate", Fault::UserError("The order is locked."));
    let (status, asked) = writeback(&app, &id, &finance, json!({"action": "retry"})).await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    assert_eq!(asked["returns"]["stage"], "refunded");
    app.run_timers_until_quiet().await;
    let calls = shop.calls_to("refundCreate");
    assert_eq!(calls.len(), 2);
    assert!(
        calls[1]
            .document
            .contains(&format!("@idempotent(key: \"aftersales-{id}-3.1\")")),
        "a new asking, a new key: {}",
        calls[1].document
    );

    let (status, blank) = writeback(
        &app,
        &id,
        &finance,
        json!({"action": "settle", "note": " "}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{blank}");
    assert_eq!(
        blank["invalid-params"][0]["name"], "note",
        "says what is missing"
    );
    let (status, settled) = writeback(
        &app,
        &id,
        &finance,
        json!({"action": "settle", "note": "Refunded in Shopify's admin, refund #1042."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settled}");
    assert_eq!(settled["writebacks"][2]["state"], "settled");
    assert_eq!(settled["writebacks"][2]["by"], "fin-1");
    assert_eq!(settled["returns"]["stage"], "refunded");
    let (status, _) = writeback(&app, &id, &finance, json!({"action": "retry"})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "nothing refused waits any more"
    );
    app.run_timers_until_quiet().await;
    assert!(
        shop.refunds().is_empty(),
        "Shopify made no refund: it was paid by hand"
    );
}

/// Finance (or whoever `token` is) on the case's refused write-back.
async fn writeback(app: &TestApp, id: &str, token: &str, body: Value) -> (StatusCode, Value) {
    json(
        app.post(&format!("/v1/cases/{id}/writeback"), token, &body)
            .await,
    )
    .await
}

async fn woo_shop() -> (TestApp, StandIn) {
    let shop = standins::woocommerce().await;
    let config = format!(
        r#"[{{"id": "woo", "kind": "woocommerce", "source": "https://example.com", "secrets": ["{}"],
            "write_back": {{"base_url": "{}", "consumer_key": "{}", "consumer_secret": "{}"}}}}]"#,
        e2e::WOO_SECRET,
        shop.url,
        standins::WOO_KEY,
        standins::WOO_SECRET_KEY
    );
    (TestApp::spawn_with_storefronts(&config).await, shop)
}

#[tokio::test]
async fn a_woocommerce_refund_whose_answer_times_out_after_it_was_made_is_paid_once() {
    let (app, shop) = woo_shop().await;
    let recent = (chrono::Utc::now() - chrono::Duration::days(3))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let order = fixture_with(
        "woocommerce/order-created.json",
        json!({"status": "completed", "date_created_gmt": recent, "date_paid_gmt": recent,
            "date_completed_gmt": recent, "date_modified_gmt": recent}),
    );
    let response = app.woocommerce("order.created", &order, "d-1").await;
    assert!(response.status().is_success());
    let john = app.linked_customer("john", None, Some(("john.doe@example.com", true)));
    let (status, case) = json(
        app.post(
            "/v1/cases",
            &john,
            &json!({"type": "refund_only", "description": "The bar arrived broken.",
                "order": {"storefront": "woo", "order_id": "727", "line_ids": ["316"]},
                "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": 1,
                    "currency": "USD", "unit_price_minor": 1200}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    // WooCommerce makes the refund, then answers after the caller has given up.
    shop.fail_next(
        "POST refunds",
        Fault::SlowAfterDoing(Duration::from_secs(4)),
    );
    agent_approves(&app, &id).await;
    let paid = step(
        &app,
        &id,
        &app.token(Role::Finance, "fin-1"),
        json!({"action": "execute_refund"}),
    )
    .await;
    app.run_timers_until_quiet().await;

    assert_eq!(
        shop.operations(),
        ["POST notes", "POST refunds", "GET refunds"],
        "the approval noted; the refund asked once, then read back instead of asked again"
    );
    let refunds = shop.refunds();
    assert_eq!(refunds.len(), 1, "paid once: {refunds:?}");
    let total = paid["returns"]["refund"]["total_minor"].as_i64().unwrap();
    let asked = &shop.calls_to("POST refunds")[0].body;
    let key = format!("aftersales-{id}-2");
    assert_eq!(
        asked,
        &json!({"amount": format!("{}.{:02}", total / 100, total % 100),
            "reason": format!("After-sales case {id} [{key}]"),
            "line_items": [{"id": 316, "quantity": 1, "refund_total": 0}],
            "api_refund": true, "api_restock": false})
    );
    let note = &shop.notes()[0];
    assert_eq!(
        note["note"],
        format!("After-sales case {id}: return approved [aftersales-{id}-1]")
    );
    let case = app.case_as_staff(&id).await;
    assert_eq!(
        states(&case),
        pairs(&[("approve", "done"), ("refund", "done")])
    );
    assert_eq!(
        case["writebacks"][1]["reference"],
        refunds[0]["id"].to_string(),
        "the refund WooCommerce made is the one on the case"
    );

    // WooCommerce's own order update then lists the refund we made: the case's, not more
    // money back on top, and no case is told of it.
    let mut updated: Value = serde_json::from_slice(&order).unwrap();
    let later = (chrono::Utc::now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    updated["date_modified_gmt"] = json!(later);
    updated["status"] = json!("refunded");
    updated["refunds"] = json!([{"id": refunds[0]["id"], "reason": refunds[0]["reason"],
        "total": format!("-{}", refunds[0]["amount"].as_str().unwrap())}]);
    let response = app
        .woocommerce(
            "order.updated",
            &serde_json::to_vec(&updated).unwrap(),
            "d-2",
        )
        .await;
    assert!(response.status().is_success());
    let (_, held) = json(
        app.get("/v1/orders/woo/727", &app.token(Role::Finance, "fin-1"))
            .await,
    )
    .await;
    assert_eq!(held["refunds"][0]["by_case"], id.as_str(), "{held}");
    assert_eq!(held["refunded_minor"], 0, "not counted again: {held}");
    let case = app.case_as_staff(&id).await;
    assert!(
        !case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "refunded_at_storefront"),
        "the case is not told of its own refund as the storefront's"
    );
}

#[tokio::test]
async fn a_shopify_5xx_is_asked_again_after_the_backoff_reading_the_return_first() {
    let (app, shop) = shopify_shop().await;
    let id = shopify_return(&app).await;
    shop.fail_next("returnApproveRequest", Fault::Status(503));
    agent_approves(&app, &id).await;
    let first = app.stack.run_timers().await.unwrap();
    assert_eq!(first.failed_attempts, 1, "{first:?}");
    let (message, _) = app
        .store
        .outbox(&format!("return.approved-{id}-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        message.last_error.as_deref(),
        Some("Shopify answered 503"),
        "the error kept for staff"
    );
    assert_eq!(app.run_timers_until_quiet().await, 1);
    assert_eq!(
        shop.operations(),
        ["returnApproveRequest", "return", "returnApproveRequest"]
    );
    let case = app.case_as_staff(&id).await;
    assert_eq!(states(&case), pairs(&[("approve", "done")]));
}

/// Counted, not timed: what delivering one write-back costs in DynamoDB.
#[tokio::test]
async fn a_write_back_delivered_costs_five_round_trips_two_of_them_writes() {
    let (app, shop) = shopify_shop().await;
    let id = shopify_return(&app).await;
    // A run with nothing due reads the policy once (then cached), as a warm function has.
    app.stack.run_timers().await.unwrap();
    agent_approves(&app, &id).await;
    let before = app.store.metrics();
    let report = app.stack.run_timers().await.unwrap();
    let after = app.store.metrics();
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(shop.operations(), ["returnApproveRequest"]);
    assert_eq!(
        (
            after.round_trips - before.round_trips,
            after.write_round_trips - before.write_round_trips
        ),
        (5, 2),
        "the due page, the message, its claim, the case; then one transaction (case, event, message)"
    );
    eprintln!(
        "write-back delivered: {} round trips, {:.1} capacity units",
        after.round_trips - before.round_trips,
        after.capacity_units - before.capacity_units
    );
}
