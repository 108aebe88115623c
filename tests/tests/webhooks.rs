//! Storefront webhooks end to end: the documented sample bodies of each storefront, signed in
//! the test with a known secret, sent to the local gateway, and what is stored read back
//! through the API as a customer or an agent would.

use aftersales::domain::identity::Role;
use e2e::{StatusCode, TestApp, fixture, json};
use serde_json::{Value, json};

const ORDER: &str = "820982911946154508";
const LINE: &str = "866550311766439020";
const SHOPIFY_CUSTOMER: &str = "main:115310627314723954";

async fn outcome(response: reqwest::Response) -> (StatusCode, Value) {
    json(response).await
}

async fn order_as(
    app: &TestApp,
    token: &str,
    storefront: &str,
    order: &str,
) -> (StatusCode, Value) {
    json(
        app.get(&format!("/v1/orders/{storefront}/{order}"), token)
            .await,
    )
    .await
}

async fn agent_sees_order(app: &TestApp, storefront: &str, order: &str) -> Option<Value> {
    let agent = app.token(Role::Agent, "agent-1");
    let (status, body) = order_as(app, &agent, storefront, order).await;
    (status == StatusCode::OK).then_some(body)
}

#[tokio::test]
async fn shopifys_sample_order_is_stored_and_its_customer_sees_it_with_its_entitlement() {
    let app = TestApp::spawn().await;
    let (status, body) = outcome(
        app.shopify(
            "orders/create",
            &fixture("shopify/orders-create.json"),
            "evt-1",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "applied");

    let john = app.linked_customer("john-sub", Some(SHOPIFY_CUSTOMER), None);
    let (status, list) = json(app.get("/v1/orders", &john).await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["items"][0]["order_id"], ORDER,
        "the id survives exactly, beyond 2^53"
    );
    assert_eq!(list["items"][0]["total_minor"], 38800);

    let (status, order) = order_as(&app, &john, "main", ORDER).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert_eq!(order["lines"][0]["line_id"], LINE);
    assert_eq!(order["lines"][0]["unit_price_minor"], 19900);
    assert_eq!(
        order["lines"][0]["entitlement"]["base_date"], "2022-01-01",
        "paid on the shop's 31 Dec, 19:00 -05:00"
    );

    let path = format!("/v1/entitlements?storefront=main&order_id={ORDER}&line_id={LINE}");
    let (status, e) = json(app.get(&path, &john).await).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["base_date_kind"], "invoice");
    assert_eq!(
        e["remedy"], "paid_repair",
        "bought in 2022: past every warranty period"
    );

    let other = app.linked_customer(
        "mallory",
        Some("main:1"),
        Some(("mallory@example.com", true)),
    );
    let (status, _) = order_as(&app, &other, "main", ORDER).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = json(app.get(&path, &other).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = json(app.get("/v1/orders", &other).await).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_customer_with_only_a_verified_email_finds_the_storefronts_orders_by_it() {
    let app = TestApp::spawn().await;
    let body = fixture("woocommerce/order-created.json");
    let (status, out) = outcome(app.woocommerce("order.created", &body, "d-1").await).await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let verified = app.linked_customer("john-doe", None, Some(("John.Doe@example.com", true)));
    let (_, list) = json(app.get("/v1/orders", &verified).await).await;
    assert_eq!(list["items"][0]["order_id"], "727", "{list}");
    let (status, _) = order_as(&app, &verified, "woo", "727").await;
    assert_eq!(status, StatusCode::OK);

    let unverified = app.linked_customer("impostor", None, Some(("john.doe@example.com", false)));
    let (_, list) = json(app.get("/v1/orders", &unverified).await).await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "an unverified e-mail links nothing"
    );
    let (status, _) = order_as(&app, &unverified, "woo", "727").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_delivery_seen_before_answers_200_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let body = fixture("shopify/orders-create.json");
    let (_, first) = outcome(app.shopify("orders/create", &body, "evt-7").await).await;
    assert_eq!(first["outcome"], "applied");
    let (status, again) = outcome(app.shopify("orders/create", &body, "evt-7").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["outcome"], "duplicate");
}

#[tokio::test]
async fn fifty_concurrent_deliveries_of_one_order_store_it_once() {
    let app = TestApp::spawn().await;
    let body = fixture("shopify/orders-create.json");
    let sends = (0..50).map(|_| app.shopify("orders/create", &body, "evt-burst"));
    let answers = futures::future::join_all(sends).await;
    let mut applied = 0;
    for response in answers {
        let (status, out) = outcome(response).await;
        assert_eq!(status, StatusCode::OK, "{out}");
        if out["outcome"] == "applied" {
            applied += 1;
        } else {
            assert_eq!(out["outcome"], "duplicate");
        }
    }
    assert_eq!(applied, 1);
    let order = agent_sees_order(&app, "main", ORDER).await.expect("stored");
    assert_eq!(order["lines"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn fifty_concurrent_deliveries_of_one_return_request_open_one_case() {
    let app = TestApp::spawn().await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "evt-o",
    )
    .await;
    let body = fixture("shopify/returns-request.json");
    let sends = (0..50).map(|_| app.shopify("returns/request", &body, "evt-return"));
    let answers = futures::future::join_all(sends).await;
    let mut case_ids = Vec::new();
    for response in answers {
        let (status, out) = outcome(response).await;
        assert_eq!(status, StatusCode::OK, "{out}");
        if out["outcome"] == "applied" {
            case_ids.push(out["case_id"].clone());
        }
    }
    assert_eq!(case_ids.len(), 1, "exactly one delivery opened a case");
    let john = app.linked_customer("john-sub", Some(SHOPIFY_CUSTOMER), None);
    let (_, cases) = json(app.get("/v1/cases", &john).await).await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 1, "{cases}");
}

#[tokio::test]
async fn a_return_requested_at_shopify_becomes_a_return_case_linked_to_its_order() {
    let app = TestApp::spawn().await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "evt-o",
    )
    .await;
    let (status, out) = outcome(
        app.shopify(
            "returns/request",
            &fixture("shopify/returns-request.json"),
            "evt-r",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let case_id = out["case_id"].as_str().expect("a case").to_owned();

    let john = app.linked_customer("john-sub", Some(SHOPIFY_CUSTOMER), None);
    let (status, case) = json(app.get(&format!("/v1/cases/{case_id}"), &john).await).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["type"], "return_refund");
    assert_eq!(case["channel"], "storefront");
    assert_eq!(case["customer_id"], SHOPIFY_CUSTOMER);
    assert_eq!(case["order"]["storefront"], "main");
    assert_eq!(case["order"]["order_id"], ORDER);
    assert_eq!(case["order"]["line_ids"][0], LINE);
    assert_eq!(case["storefront_return_id"], "1097707602");
    assert_eq!(case["entitlement"]["base_date"], "2022-01-01");
    assert_eq!(case["product"]["sku"], "IPOD2008PINK");
    assert!(
        case["description"]
            .as_str()
            .unwrap()
            .contains("The screen stays black.")
    );
    assert_eq!(case["timeline"][0]["actor"]["role"], "system");

    let (_, order) = order_as(&app, &john, "main", ORDER).await;
    assert_eq!(order["cases"][0], case_id.as_str());

    let stranger = app.customer("stranger");
    let (status, _) = json(app.get(&format!("/v1/cases/{case_id}"), &stranger).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refund_and_a_cancellation_at_the_storefront_reach_the_order_and_its_open_case() {
    let app = TestApp::spawn().await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "evt-o",
    )
    .await;
    let (_, out) = outcome(
        app.shopify(
            "returns/request",
            &fixture("shopify/returns-request.json"),
            "evt-r",
        )
        .await,
    )
    .await;
    let case_id = out["case_id"].as_str().unwrap().to_owned();

    let (status, out) = outcome(
        app.shopify(
            "refunds/create",
            &fixture("shopify/refunds-create.json"),
            "evt-f",
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, out["outcome"].as_str()),
        (StatusCode::OK, Some("applied")),
        "{out}"
    );
    let (status, out) = outcome(
        app.shopify(
            "orders/cancelled",
            &fixture("shopify/orders-cancelled.json"),
            "evt-c",
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, out["outcome"].as_str()),
        (StatusCode::OK, Some("applied")),
        "{out}"
    );

    let order = agent_sees_order(&app, "main", ORDER).await.unwrap();
    assert_eq!(order["refunded_minor"], 19900);
    assert!(order["cancelled_at"].is_string());

    let agent = app.token(Role::Agent, "agent-1");
    let (_, case) = json(app.get(&format!("/v1/cases/{case_id}"), &agent).await).await;
    let types: Vec<&str> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "filed",
            "refunded_at_storefront",
            "order_cancelled_at_storefront"
        ]
    );
    assert_eq!(case["timeline"][1]["amount_minor"], 19900);
}

#[tokio::test]
async fn a_return_cancelled_at_the_storefront_cancels_its_case() {
    let app = TestApp::spawn().await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "evt-o",
    )
    .await;
    let (_, out) = outcome(
        app.shopify(
            "returns/request",
            &fixture("shopify/returns-request.json"),
            "evt-r",
        )
        .await,
    )
    .await;
    let case_id = out["case_id"].as_str().unwrap().to_owned();
    let (status, out) = outcome(
        app.shopify(
            "returns/cancel",
            &fixture("shopify/returns-cancel.json"),
            "evt-x",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let agent = app.token(Role::Agent, "agent-1");
    let (_, case) = json(app.get(&format!("/v1/cases/{case_id}"), &agent).await).await;
    assert_eq!(case["status"], "cancelled");
    assert_eq!(case["timeline"][1]["status"], "canceled");
    assert_eq!(
        case["timeline"][1]["changed_at"], "2022-01-06T13:00:00Z",
        "the storefront's own time"
    );
}

#[tokio::test]
async fn a_return_cancelled_before_its_request_arrives_opens_no_case_and_pays_nothing() {
    let app = TestApp::spawn().await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "evt-o",
    )
    .await;
    let (status, out) = outcome(
        app.shopify(
            "returns/cancel",
            &fixture("shopify/returns-cancel.json"),
            "evt-x",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = outcome(
        app.shopify(
            "returns/request",
            &fixture("shopify/returns-request.json"),
            "evt-r",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert!(
        out["case_id"].is_null(),
        "no case for a cancelled return: {out}"
    );
    // The storefront's retry of the request changes nothing either.
    let (_, again) = outcome(
        app.shopify(
            "returns/request",
            &fixture("shopify/returns-request.json"),
            "evt-r2",
        )
        .await,
    )
    .await;
    assert!(again["case_id"].is_null(), "{again}");
    let agent = app.token(Role::Agent, "agent-1");
    let (_, cases) = json(app.get("/v1/cases?limit=100", &agent).await).await;
    assert_eq!(cases["items"], json!([]), "nothing opened");
    let run = app.advance_clock(49).await;
    assert_eq!(
        run["timers"]["fired"], 0,
        "nothing to approve or pay: {run}"
    );
}

#[tokio::test]
async fn the_same_return_status_delivered_under_different_ids_is_noted_once() {
    let app = TestApp::spawn().await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "evt-o",
    )
    .await;
    let (_, out) = outcome(
        app.shopify(
            "returns/request",
            &fixture("shopify/returns-request.json"),
            "evt-r",
        )
        .await,
    )
    .await;
    let case_id = out["case_id"].as_str().unwrap().to_owned();
    let body = fixture("shopify/returns-cancel.json");
    let ids: Vec<String> = (0..10).map(|i| format!("evt-x-{i}")).collect();
    let cancels = ids
        .iter()
        .map(|id| app.shopify("returns/cancel", &body, id));
    for response in futures::future::join_all(cancels).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    let case = app.case_as_staff(&case_id).await;
    let noted = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "storefront_return_status")
        .count();
    assert_eq!(noted, 1, "{case}");
    assert_eq!(case["status"], "cancelled");
}

#[tokio::test]
async fn an_order_delivered_after_its_own_later_update_leaves_the_later_state() {
    let app = TestApp::spawn().await;
    let (_, out) = outcome(
        app.shopify(
            "orders/cancelled",
            &fixture("shopify/orders-cancelled.json"),
            "evt-late",
        )
        .await,
    )
    .await;
    assert_eq!(out["outcome"], "applied");
    let (status, out) = outcome(
        app.shopify(
            "orders/create",
            &fixture("shopify/orders-create.json"),
            "evt-early",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(out["outcome"], "stale");
    let order = agent_sees_order(&app, "main", ORDER).await.unwrap();
    assert!(
        order["cancelled_at"].is_string(),
        "the cancellation stays: {order}"
    );
}

#[tokio::test]
async fn tampered_bodies_wrong_secrets_and_unknown_shops_are_401_and_write_nothing() {
    let app = TestApp::spawn().await;
    let body = fixture("shopify/orders-create.json");
    let signature = aftersales::webhooks::verify::sign::body_hmac(e2e::SHOPIFY_SECRET, &body)
        .expect("HMAC takes any key");
    let mut tampered = body.clone();
    let at = tampered.windows(6).position(|w| w == b"388.00").unwrap();
    tampered[at] = b'1';
    let response = app
        .http
        .post(format!("{}/v1/webhooks/shopify", app.base))
        .header("x-shopify-topic", "orders/create")
        .header("x-shopify-shop-domain", e2e::SHOPIFY_DOMAIN)
        .header("x-shopify-hmac-sha256", signature)
        .header("x-shopify-event-id", "evt-t")
        .body(tampered)
        .send()
        .await
        .unwrap();
    let (status, problem) = json(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["status"], 401);

    let wrong = app
        .shopify_with(
            "orders/create",
            &body,
            "evt-w",
            "not the secret",
            e2e::SHOPIFY_DOMAIN,
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = app
        .shopify_with(
            "orders/create",
            &body,
            "evt-u",
            e2e::SHOPIFY_SECRET,
            "other.myshopify.com",
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unsigned = app
        .http
        .post(format!("{}/v1/webhooks/shopify", app.base))
        .header("x-shopify-topic", "orders/create")
        .header("x-shopify-shop-domain", e2e::SHOPIFY_DOMAIN)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert!(
        agent_sees_order(&app, "main", ORDER).await.is_none(),
        "nothing was written"
    );

    // The retiring secret still verifies during its overlap window.
    let old = app
        .shopify_with(
            "orders/create",
            &body,
            "evt-old",
            e2e::SHOPIFY_OLD_SECRET,
            e2e::SHOPIFY_DOMAIN,
        )
        .await;
    assert_eq!(old.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_topics_are_accepted_and_oversized_bodies_refused() {
    let app = TestApp::spawn().await;
    let (status, out) = outcome(
        app.shopify("products/update", br#"{"id": 632910392}"#, "evt-p")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(out["outcome"], "ignored");

    let huge = vec![b' '; 2 * 1024 * 1024];
    let (status, problem) = outcome(app.shopify("orders/create", &huge, "evt-h").await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
}

#[tokio::test]
async fn woocommerce_pings_are_answered_and_refunds_arrive_as_order_updates() {
    let app = TestApp::spawn().await;
    let ping = app
        .http
        .post(format!("{}/v1/webhooks/woocommerce", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=12")
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), StatusCode::OK);

    let created = fixture("woocommerce/order-created.json");
    let (_, out) = outcome(app.woocommerce("order.created", &created, "5001").await).await;
    assert_eq!(out["outcome"], "applied", "{out}");
    // WooCommerce reuses delivery ids across events: a different change with the same delivery
    // id is still applied; the same change again is not.
    let refunded = fixture("woocommerce/order-updated-refund.json");
    let (_, out) = outcome(app.woocommerce("order.updated", &refunded, "5001").await).await;
    assert_eq!(out["outcome"], "applied", "{out}");
    let (_, out) = outcome(app.woocommerce("order.updated", &refunded, "5002").await).await;
    assert_eq!(out["outcome"], "duplicate");

    let order = agent_sees_order(&app, "woo", "727").await.unwrap();
    assert_eq!(order["total_minor"], 2935);
    assert_eq!(order["refunded_minor"], 1000);

    let forged = app
        .http
        .post(format!("{}/v1/webhooks/woocommerce", app.base))
        .header("x-wc-webhook-source", e2e::WOO_SOURCE)
        .header("x-wc-webhook-topic", "order.created")
        .header("x-wc-webhook-id", "12")
        .header("x-wc-webhook-signature", "AAAA")
        .body(created)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn generic_webhooks_verify_standard_signatures_and_refuse_stale_replays() {
    let app = TestApp::spawn().await;
    let order = fixture("generic/order-upserted.json");
    let (status, out) = outcome(app.generic(&order, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W").await).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["outcome"], "applied");
    let (_, again) = outcome(app.generic(&order, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W").await).await;
    assert_eq!(again["outcome"], "duplicate");

    // A captured delivery replayed ten minutes later: its timestamp is stale.
    let old = chrono::Utc::now().timestamp() - 600;
    let mut replayed: Value =
        serde_json::from_slice(&fixture("generic/order-upserted.json")).unwrap();
    replayed["data"]["order_id"] = json!("SO-REPLAYED");
    let newer = serde_json::to_vec(&replayed).unwrap();
    let signature = aftersales::webhooks::verify::sign::standard(
        e2e::GENERIC_SECRET,
        "msg_replay",
        old,
        &newer,
    )
    .expect("HMAC takes any key");
    let (status, _) = outcome(app.generic_raw(&newer, "msg_replay", old, &signature).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        agent_sees_order(&app, "erp", "SO-REPLAYED").await.is_none(),
        "a stale replay writes nothing"
    );
    let now = chrono::Utc::now().timestamp();
    for bad in ["", "v1,", "v1,AAAA", &signature[..signature.len() / 2]] {
        let (status, _) = outcome(app.generic_raw(&newer, "msg_bad", now, bad).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "signature {bad:?}");
    }

    let (status, out) = outcome(
        app.generic(&fixture("generic/return-requested.json"), "msg_return")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let (_, case) = json(
        app.get(
            &format!("/v1/cases/{}", out["case_id"].as_str().unwrap()),
            &wang,
        )
        .await,
    )
    .await;
    assert_eq!(case["type"], "return_refund");
    assert_eq!(case["entitlement"]["base_date"], "2026-11-01");
    assert_eq!(case["product"]["serial_number"], "Q8A55-000123");

    let (status, out) = outcome(
        app.generic(&fixture("generic/refund-created.json"), "msg_refund")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let order = agent_sees_order(&app, "erp", "SO-2026-000731")
        .await
        .unwrap();
    assert_eq!(order["refunded_minor"], 20000);
}

#[tokio::test]
async fn a_customer_files_a_repair_against_their_storefront_order_as_proof_of_purchase() {
    let app = TestApp::spawn().await;
    app.generic(&fixture("generic/order-upserted.json"), "msg_o")
        .await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let body = json!({
        "type": "repair",
        "description": "Lines across the screen.",
        "order": {"storefront": "erp", "order_id": "SO-2026-000731", "line_ids": ["1"]}
    });
    let (status, case) = json(app.post("/v1/cases", &wang, &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["purchase"]["category"], "television");
    assert_eq!(case["product"]["serial_number"], "Q8A55-000123");
    assert_eq!(case["customer_id"], "erp:C-88");

    let (_, order) = order_as(&app, &wang, "erp", "SO-2026-000731").await;
    assert_eq!(order["cases"][0], case["id"]);

    let other = app.customer("bob");
    let (status, _) = json(app.post("/v1/cases", &other, &body).await).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "nobody files against another customer's order"
    );
}

#[tokio::test]
async fn a_return_naming_a_line_its_order_does_not_have_is_refused_by_name() {
    let app = TestApp::spawn().await;
    app.generic(&fixture("generic/order-upserted.json"), "msg_o")
        .await;
    let mut body: Value =
        serde_json::from_slice(&fixture("generic/return-requested.json")).unwrap();
    body["data"]["lines"][0]["line_id"] = json!("99");
    let (status, problem) = outcome(
        app.generic(&serde_json::to_vec(&body).unwrap(), "msg_bad_line")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["rule"], "unknown-order-line");
    let order = agent_sees_order(&app, "erp", "SO-2026-000731")
        .await
        .unwrap();
    assert!(
        order["cases"].as_array().unwrap().is_empty(),
        "no case was opened"
    );
}
