//! The attack of issue 8, replayed against the real stack (the local gateway, DynamoDB Local):
//! each finding, as the attacker sent it, now gets the right 4xx or the right effect, and
//! nothing is written where nothing should be.

use aftersales::domain::identity::Role;
use e2e::{StatusCode, TestApp, fixture, json, merchant_day};
use serde_json::{Value, json};

const ERP_ORDER: &str = "SO-2026-000731";

fn repair(invoice_days_ago: i64) -> Value {
    json!({
        "type": "repair",
        "description": "The picture flickers.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-invoice_days_ago)}
    })
}

fn repair_on_erp_order() -> Value {
    json!({
        "type": "repair",
        "description": "Lines across the screen.",
        "order": {"storefront": "erp", "order_id": ERP_ORDER, "line_ids": ["1"]}
    })
}

async fn file(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, case) = json(app.post("/v1/cases", token, body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

async fn policy_version(app: &TestApp) -> Value {
    let (_, current) = json(app.get("/v1/policy", &app.token(Role::Agent, "a")).await).await;
    current["version"].clone()
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn finding_1_a_customer_known_by_a_verified_email_lists_only_their_own_cases() {
    let app = TestApp::spawn().await;
    let alice = app.linked_customer("alice", None, Some(("alice@example.com", true)));
    let bob = app.linked_customer("bob", None, Some(("bob@example.com", true)));
    let plain = app.customer("carol");
    let mine = file(&app, &alice, &repair(3)).await["id"].clone();
    for token in [&bob, &plain] {
        file(&app, token, &repair(3)).await;
    }
    let complaint = json!({"type": "complaint", "description": "Nobody called."});
    file(&app, &bob, &complaint).await;

    for query in [
        "/v1/cases?limit=100",
        "/v1/cases?status=submitted",
        "/v1/cases?type=repair",
        "/v1/cases?type=complaint&status=submitted",
    ] {
        let (status, list) = json(app.get(query, &alice).await).await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        let found = ids(&list);
        assert!(
            found.iter().all(|id| *id == mine),
            "{query} shows only alice's case: {list}"
        );
    }
    let (_, list) = json(app.get("/v1/cases?limit=100", &alice).await).await;
    assert_eq!(ids(&list), [mine.as_str().unwrap()]);
    let (status, _) = json(app.get("/v1/cases?email=bob@example.com", &alice).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Staff still see everyone's.
    let (_, all) = json(
        app.get("/v1/cases?limit=100", &app.token(Role::Agent, "agent-1"))
            .await,
    )
    .await;
    assert_eq!(ids(&all).len(), 4);
}

#[tokio::test]
async fn finding_2_a_refund_on_an_order_with_sixty_open_cases_reaches_every_one() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .change_policy(|p| p["max_open_cases_per_order_line"] = json!(100))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.generic(&fixture("generic/order-upserted.json"), "msg-order")
        .await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let mut cases = Vec::new();
    for _ in 0..60 {
        cases.push(file(&app, &wang, &repair_on_erp_order()).await["id"].clone());
    }

    let (status, out) = json(
        app.generic(&fixture("generic/refund-created.json"), "msg-refund")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["outcome"], "applied");
    let agent = app.token(Role::Agent, "agent-1");
    let (_, order) = json(
        app.get(&format!("/v1/orders/erp/{ERP_ORDER}"), &agent)
            .await,
    )
    .await;
    assert_eq!(
        order["refunded_minor"], 20000,
        "recorded on the order at once"
    );

    // What the request could not tell, the timers do.
    let (_, run) = json(
        app.http
            .post(format!("{}/_dev/timers/run", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(run["cases_left"], 0, "{run}");
    for id in &cases {
        let (_, case) = json(
            app.get(&format!("/v1/cases/{}", id.as_str().unwrap()), &agent)
                .await,
        )
        .await;
        let refunds = case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "refunded_at_storefront")
            .count();
        assert_eq!(refunds, 1, "case {id} is told once: {case}");
    }
    // A retry of the delivery changes nothing.
    let (_, again) = json(
        app.generic(&fixture("generic/refund-created.json"), "msg-refund")
            .await,
    )
    .await;
    assert_eq!(again["outcome"], "duplicate");
}

#[tokio::test]
async fn what_the_storefront_does_to_an_order_is_told_at_once_to_its_open_cases_only() {
    let app = TestApp::spawn().await;
    app.generic(&fixture("generic/order-upserted.json"), "msg-order")
        .await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    // Fifty-five requests filed and withdrawn, then one still open: the closed ones must not
    // take the request's share of tellings (50) and leave the open one to the timers.
    let mut closed = Vec::new();
    for _ in 0..55 {
        let id = file(&app, &wang, &repair_on_erp_order()).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = json(
            app.post(&format!("/v1/cases/{id}/cancel"), &wang, &json!({}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        closed.push(id);
    }
    let open = file(&app, &wang, &repair_on_erp_order()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, out) = json(
        app.generic(&fixture("generic/refund-created.json"), "msg-refund")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let agent = app.token(Role::Agent, "agent-1");
    let told = |id: String| {
        let (app, agent) = (&app, &agent);
        async move {
            let (_, case) = json(app.get(&format!("/v1/cases/{id}"), agent).await).await;
            case["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["type"] == "refunded_at_storefront")
                .count()
        }
    };
    assert_eq!(told(open).await, 1, "told in the webhook's own request");
    for id in [&closed[0], &closed[54]] {
        assert_eq!(told(id.clone()).await, 0, "a closed case {id} is not told");
    }
}

#[tokio::test]
async fn finding_2_one_customer_cannot_flood_an_order_line_even_all_at_once() {
    let app = TestApp::spawn().await;
    app.generic(&fixture("generic/order-upserted.json"), "msg-order")
        .await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let body = repair_on_erp_order();
    let sends = (0..12).map(|_| app.post("/v1/cases", &wang, &body));
    let mut created = 0;
    for response in futures::future::join_all(sends).await {
        let (status, out) = json(response).await;
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(out["rule"], "too-many-open-cases"),
            other => panic!("{other}: {out}"),
        }
    }
    assert_eq!(
        created, 5,
        "the policy's five open cases per line, not one more"
    );
    // Closing one makes room for one.
    let (_, list) = json(app.get("/v1/cases", &wang).await).await;
    let first = ids(&list)[0].clone();
    let (status, _) = json(
        app.post(&format!("/v1/cases/{first}/cancel"), &wang, &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.post("/v1/cases", &wang, &body).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.post("/v1/cases", &wang, &body).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

/// A return on a 3 999 yuan television, approved, shipped and received: ready to inspect.
async fn received_return(app: &TestApp) -> String {
    let alice = app.customer("alice");
    let case = file(
        app,
        &alice,
        &json!({
            "type": "return_refund",
            "description": "No picture.",
            "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
            "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                             "model": "TV-55", "currency": "CNY", "unit_price_minor": 399900}
        }),
    )
    .await;
    let id = case["id"].as_str().unwrap().to_owned();
    let steps = [
        (
            app.token(Role::Agent, "agent-1"),
            json!({"action": "approve", "reason_code": "fault", "note": "ok"}),
        ),
        (
            alice.clone(),
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        ),
        (
            app.token(Role::Warehouse, "wh-1"),
            json!({"action": "receive", "units_received": 1, "slip": {"item_number": "TV-55",
                   "item_name": "TV", "quantity": 1, "defect": "no picture"}}),
        ),
    ];
    for (token, step) in steps {
        let (status, body) = json(
            app.post(&format!("/v1/cases/{id}/return"), &token, &step)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{step}: {body}");
    }
    id
}

#[tokio::test]
async fn finding_3_the_refund_is_bounded_by_the_price_and_the_policys_shipping_cap() {
    let app = TestApp::spawn().await;
    let id = received_return(&app).await;
    let quality = app.token(Role::Quality, "qc-1");
    let inspect = |shipping: Value, damage: Value| {
        json!({"action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
               "resaleable": false, "dispositions": ["rework"], "return_shipping_minor": shipping,
               "damage": damage})
    };
    let path = format!("/v1/cases/{id}/return");
    for (shipping, damage) in [
        (json!(1_000_000_000_000_000i64), json!([])),
        (json!(i64::MAX), json!([])),
        (json!(-1), json!([])),
        (
            json!(3000),
            json!([{"reason": "scratch", "amount_minor": i64::MAX}]),
        ),
        (
            json!(3000),
            json!([{"reason": "scratch", "amount_minor": 1e300}]),
        ),
    ] {
        let (status, body) =
            json(app.post(&path, &quality, &inspect(shipping, damage)).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, body) = json(
        app.post(&path, &quality, &inspect(json!(20001), json!([])))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "return-shipping-above-cap");
    let (_, case) = json(app.get(&format!("/v1/cases/{id}"), &quality).await).await;
    assert_eq!(case["returns"]["stage"], "received", "nothing was written");

    let (status, case) = json(
        app.post(&path, &quality, &inspect(json!(20000), json!([])))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["returns"]["refund"]["total_minor"], 399900 + 20000);
}

#[tokio::test]
async fn finding_4_a_policy_that_could_break_the_system_is_refused_field_by_field() {
    let app = TestApp::spawn().await;
    type Change = fn(&mut Value);
    let cases: [(&str, Change); 6] = [
        ("returns/decision_hours", |p| {
            p["returns"]["decision_hours"] = json!(4294967295u32)
        }),
        ("returns/levels/default", |p| {
            p["returns"]["levels"]["default"] = json!("customer")
        }),
        ("returns/fee_cap_minor", |p| {
            p["returns"]["fee_cap_minor"] = json!(-1)
        }),
        ("returns/fee_percent", |p| {
            p["returns"]["fee_percent"] = json!(4000000000u32)
        }),
        ("default_category", |p| {
            p["default_category"]["key_component_days"] = json!(4294967295u32);
            p["default_category"]["extension_days"] = json!(4294967295u32);
        }),
        ("returns/levels/batch", |p| {
            p["returns"]["levels"]["batch"] = json!("finance")
        }),
    ];
    for (field, change) in cases {
        let (status, body) = app.change_policy(change).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        let names: Vec<&str> = body["invalid-params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with(field)),
            "{field}: {body}"
        );
    }
    // A number out of its range says the range, for a form to word in its own language.
    let (_, body) = app
        .change_policy(|p| p["returns"]["decision_hours"] = json!(12))
        .await;
    let param = &body["invalid-params"][0];
    assert_eq!(param["name"], "returns/decision_hours", "{body}");
    assert_eq!(
        (param["minimum"].as_i64(), param["maximum"].as_i64()),
        (Some(24), Some(720))
    );
    assert_eq!(policy_version(&app).await, 0, "no bad policy was stored");
    // And the defaults still work.
    let alice = app.customer("alice");
    file(&app, &alice, &repair(3)).await;
}

#[tokio::test]
async fn finding_5_edge_dates_extreme_timestamps_and_clock_moves_get_an_answer() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    for date in ["+262142-12-31", "-262143-01-01", "1969-12-31", "2201-01-01"] {
        let (status, body) = json(
            app.get(
                &format!("/v1/entitlements?category=television&receipt_date={date}"),
                &alice,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{date}: {body}");
        let filing = json!({"type": "repair", "description": "x",
                            "purchase": {"category": "television", "receipt_date": date}});
        let (status, body) = json(app.post("/v1/cases", &alice, &filing).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{date}: {body}");
    }
    for ts in [i64::MIN, i64::MAX, 0] {
        let body = fixture("generic/order-upserted.json");
        let signature =
            aftersales::webhooks::verify::sign::standard(e2e::GENERIC_SECRET, "msg-ts", ts, &body)
                .expect("HMAC takes any key");
        let (status, _) = json(app.generic_raw(&body, "msg-ts", ts, &signature).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "webhook-timestamp {ts}");
    }
    for by in [
        json!({"hours": 9223372036854775807u64}),
        json!({"hours": -1}),
        json!({"minutes": 4294967295u32}),
        json!({"hours": 1e9}),
    ] {
        let response = app
            .http
            .post(format!("{}/_dev/clock", app.base))
            .json(&by)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{by}");
    }
    let (status, _) = json(app.get("/v1/cases", &alice).await).await;
    assert_eq!(status, StatusCode::OK, "the gateway still answers");
}

#[tokio::test]
async fn finding_6_a_crafted_or_foreign_cursor_is_a_400_and_shows_no_index_key() {
    let app = TestApp::spawn().await;
    let alice = app.linked_customer("alice", None, Some(("alice@example.com", true)));
    for _ in 0..3 {
        file(&app, &alice, &repair(3)).await;
    }
    let (_, page) = json(app.get("/v1/cases?limit=1", &alice).await).await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    assert!(!cursor.contains("alice") && !cursor.contains("EMAIL"));
    let (status, next) = json(
        app.get(&format!("/v1/cases?limit=1&cursor={cursor}"), &alice)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);

    let mut flipped = cursor.clone().into_bytes();
    let mid = flipped.len() / 2;
    flipped[mid] = if flipped[mid] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let old_style = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            json!({"PK": "CASE#AS2611-00001", "SK": "", "GSI4PK": "EMAIL#alice@example.com", "GSI4SK": "ZZZZ"})
                .to_string(),
        )
    };
    let agent = app.token(Role::Agent, "agent-1");
    for (who, bad) in [
        (&alice, flipped.as_str()),
        (&alice, old_style.as_str()),
        (&alice, "%00%00"),
        (&alice, "x"),
        // Another query's cursor: the agent's queue.
        (&agent, cursor.as_str()),
    ] {
        let (status, body) = json(
            app.get(&format!("/v1/cases?limit=1&cursor={bad}"), who)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _) = json(
        app.get(
            &format!("/v1/cases?limit=1&type=complaint&cursor={cursor}"),
            &alice,
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a cursor belongs to its filters"
    );
    let (status, _) = json(
        app.get(
            &format!("/v1/cases?limit=1&email=alice@example.com&cursor={cursor}"),
            &agent,
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "and to its caller, even one who may make the same query"
    );
}

#[tokio::test]
async fn finding_8_each_return_step_is_taken_by_its_role_and_the_approver_does_not_pay() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file(
        &app,
        &alice,
        &json!({
            "type": "refund_only", "description": "Never arrived.", "order": {"order_id": "SO-1"},
            "return_terms": {"kind": "refund_only", "reason": "merchant_error", "units": 1,
                             "currency": "CNY", "unit_price_minor": 19900, "order_shipped": false}
        }),
    )
    .await;
    let path = format!("/v1/cases/{}/return", case["id"].as_str().unwrap());
    let approve = json!({"action": "approve", "reason_code": "not_shipped", "note": "refunding"});
    let (status, _) = json(
        app.post(&path, &app.token(Role::Admin, "pat"), &approve)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "admin approves at the top level");
    let pay = json!({"action": "execute_refund"});
    let (status, body) = json(app.post(&path, &app.token(Role::Admin, "pat"), &pay).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admin does not pay: {body}");
    let (status, body) = json(
        app.post(&path, &app.token(Role::Finance, "pat"), &pay)
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the approver does not pay: {body}"
    );
    let (status, body) = json(
        app.post(&path, &app.token(Role::Finance, "fin-1"), &pay)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let id = received_return(&app).await;
    let inspect = json!({"action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
                         "resaleable": false, "dispositions": ["rework"]});
    for role in [Role::Admin, Role::Reviewer, Role::Warehouse, Role::Manager] {
        let (status, body) = json(
            app.post(
                &format!("/v1/cases/{id}/return"),
                &app.token(role, "x"),
                &inspect,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
    }
}

#[tokio::test]
async fn finding_8_a_reviewer_or_an_admin_cannot_receive_goods() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file(
        &app,
        &alice,
        &json!({
            "type": "return_refund", "description": "No picture.",
            "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
            "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                             "currency": "CNY", "unit_price_minor": 399900}
        }),
    )
    .await;
    let path = format!("/v1/cases/{}/return", case["id"].as_str().unwrap());
    for (token, step) in [
        (
            app.token(Role::Agent, "agent-1"),
            json!({"action": "approve", "reason_code": "fault"}),
        ),
        (
            alice.clone(),
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        ),
    ] {
        assert_eq!(
            app.post(&path, &token, &step).await.status(),
            StatusCode::OK
        );
    }
    let receive = json!({"action": "receive", "units_received": 1, "slip": {"item_number": "TV",
                         "item_name": "TV", "quantity": 1, "defect": "none"}});
    for role in [Role::Reviewer, Role::Admin] {
        let (status, body) = json(app.post(&path, &app.token(role, "x"), &receive).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
    }
    let (_, case) = json(app.get(&path.replace("/return", ""), &alice).await).await;
    assert_eq!(case["returns"]["stage"], "in_transit");
}

#[tokio::test]
async fn finding_9_future_tokens_newline_subjects_raw_urls_and_svg_are_refused() {
    let app = TestApp::spawn().await;
    let mut claims = app.auth.claims("alice", Role::Customer, 1);
    claims.nbf = Some(claims.iat + 3600);
    let early = app.auth.sign(&claims);
    let (status, _) = json(app.get("/v1/cases", &early).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not valid yet");

    for forged in ["alice\nlevel=ERROR msg=\"forged\"", "erp:C-88"] {
        let (status, _) = json(app.get("/v1/cases", &app.customer(forged)).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{forged:?}");
    }

    let alice = app.customer("alice");
    let id = file(&app, &alice, &repair(3)).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/cases/{id}/evidence");
    let photo = |url: &str, ct: &str| json!({"evidence": [{"type": "photo", "url": url, "size_bytes": 9, "content_type": ct}]});
    let (status, body) = json(
        app.post(
            &path,
            &alice,
            &photo("https://cdn.example/x.svg", "image/svg+xml"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, case) = json(
        app.post(
            &path,
            &alice,
            &photo("https://cdn.example/a.jpg\n", "image/jpeg"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        case["evidence"][0]["url"], "https://cdn.example/a.jpg",
        "stored as checked"
    );
}

#[tokio::test]
async fn finding_10_an_own_reason_return_weeks_after_receipt_is_refused_at_filing() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let own_reason = |receipt_days_ago: i64| {
        json!({
            "type": "return_refund", "description": "Changed my mind.",
            "purchase": {"category": "clothing", "invoice_date": merchant_day(-receipt_days_ago - 1),
                         "receipt_date": merchant_day(-receipt_days_ago)},
            "return_terms": {"kind": "return_and_refund", "reason": "customer_reason", "units": 1,
                             "currency": "CNY", "unit_price_minor": 19900}
        })
    };
    let (status, body) = json(app.post("/v1/cases", &alice, &own_reason(21)).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "no-reason-window-closed");
    let (_, list) = json(app.get("/v1/cases", &alice).await).await;
    assert!(ids(&list).is_empty(), "nothing was filed");
    file(&app, &alice, &own_reason(6)).await;
}

#[tokio::test]
async fn finding_10_two_requests_of_25_units_of_one_model_on_one_day_need_a_manager() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let batch = json!({
        "type": "return_refund", "description": "Dead pixels on the whole batch.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
        "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 25,
                         "model": "TV-55", "currency": "CNY", "unit_price_minor": 399900}
    });
    let first = file(&app, &alice, &batch).await;
    assert_eq!(first["returns"]["required_level"], "agent");
    let second = file(&app, &alice, &batch).await;
    assert_eq!(second["returns"]["required_level"], "manager", "{second}");
    let path = format!("/v1/cases/{}/return", second["id"].as_str().unwrap());
    let approve = json!({"action": "approve", "reason_code": "batch", "note": "ok"});
    let (status, _) = json(
        app.post(&path, &app.token(Role::Agent, "agent-1"), &approve)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = json(
        app.post(&path, &app.token(Role::Manager, "mgr-1"), &approve)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// The attack of the review before landing: amounts the customer declares, orders refunded
/// many times, storefront returns larger than their order.
fn refund_only_on(order: Option<&str>, unit_price: i64) -> Value {
    let mut body = json!({
        "type": "refund_only", "description": "It never worked.",
        "order": {"order_id": "FAKE-1"},
        "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
        "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": 1,
                         "currency": "CNY", "unit_price_minor": unit_price}
    });
    if let Some(order) = order {
        body["order"] = json!({"storefront": "erp", "order_id": order, "line_ids": ["1"]});
    }
    body
}

#[tokio::test]
async fn a_refund_the_customer_declared_is_never_paid_by_the_clock_alone() {
    let app = TestApp::spawn().await;
    let mallory = app.customer("mallory");
    let case = file(&app, &mallory, &refund_only_on(None, 9_999_999_999_999)).await;
    app.advance_clock(49).await;
    let case = app.case_as_staff(case["id"].as_str().unwrap()).await;
    assert_eq!(case["returns"]["stage"], "refund_pending", "{case}");
    assert!(case["returns"].get("refunded_at").is_none());
}

#[tokio::test]
async fn an_order_is_refunded_no_more_than_it_was_paid_whatever_the_requests() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let order = app.owners_order().await;
    // Another order, refunded in full at the storefront (signed before the clock moves).
    let other = app.owners_order().await;
    let mut refund: Value =
        serde_json::from_slice(&fixture("generic/refund-created.json")).unwrap();
    refund["data"]["order_id"] = json!(other);
    refund["data"]["amount"] = json!("3999.00");
    let (status, _) = json(
        app.generic(&serde_json::to_vec(&refund).unwrap(), "msg-full-refund")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = json(
        app.post(
            "/v1/cases",
            &wang,
            &refund_only_on(Some(&order), 100_000_000),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "terms-exceed-order");

    let first = file(&app, &wang, &refund_only_on(Some(&order), 399900)).await;
    for _ in 0..3 {
        let (status, body) = json(
            app.post("/v1/cases", &wang, &refund_only_on(Some(&order), 399900))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["rule"], "terms-exceed-order",
            "the line's one unit is asked for"
        );
    }
    // A request that ends unpaid gives its claim back.
    let path = format!("/v1/cases/{}/cancel", first["id"].as_str().unwrap());
    assert_eq!(
        app.post(&path, &wang, &json!({})).await.status(),
        StatusCode::OK
    );
    let again = file(&app, &wang, &refund_only_on(Some(&order), 399900)).await;

    // Paid by the clock, once; then nothing is left, and the storefront's own refunds count.
    app.advance_clock(49).await;
    let paid = app.case_as_staff(again["id"].as_str().unwrap()).await;
    assert_eq!(paid["returns"]["stage"], "refunded", "{paid}");
    let (status, _) = json(
        app.post("/v1/cases", &wang, &refund_only_on(Some(&order), 100))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, body) = json(
        app.post("/v1/cases", &wang, &refund_only_on(Some(&other), 399900))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "order-already-refunded");
}

#[tokio::test]
async fn a_storefront_order_with_a_negative_price_or_a_return_beyond_its_lines_is_refused() {
    let app = TestApp::spawn().await;
    let mut order: Value = serde_json::from_slice(&fixture("generic/order-upserted.json")).unwrap();
    order["data"]["lines"][0]["unit_price"] = json!("-5.00");
    let (status, _) = json(
        app.generic(&serde_json::to_vec(&order).unwrap(), "msg-negative")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = json(
        app.get(
            "/v1/orders/erp/SO-2026-000731",
            &app.token(Role::Agent, "agent-1"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was stored");

    app.generic(&fixture("generic/order-upserted.json"), "msg-order")
        .await;
    for quantity in [2u64, 4294967295] {
        let mut request: Value =
            serde_json::from_slice(&fixture("generic/return-requested.json")).unwrap();
        request["data"]["lines"][0]["quantity"] = json!(quantity);
        request["data"]["return_id"] = json!(format!("RMA-{quantity}"));
        let (status, body) = json(
            app.generic(
                &serde_json::to_vec(&request).unwrap(),
                &format!("msg-return-{quantity}"),
            )
            .await,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{quantity}: {body}"
        );
        assert_eq!(body["rule"], "terms-exceed-order");
    }
}

#[tokio::test]
async fn the_held_order_not_the_request_says_when_it_shipped_and_was_received() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let order = app.owners_order().await;
    // Delivered on 2026-11-03: the no-reason window closed long ago, whatever the request says.
    let mut own_reason = refund_only_on(Some(&order), 399900);
    own_reason["type"] = json!("return_refund");
    own_reason["return_terms"]["kind"] = json!("return_and_refund");
    own_reason["return_terms"]["reason"] = json!("customer_reason");
    own_reason["purchase"] = json!({"category": "television", "invoice_date": merchant_day(0), "receipt_date": merchant_day(0)});
    let (status, body) = json(app.post("/v1/cases", &wang, &own_reason).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "no-reason-window-closed");

    let mut never_shipped = refund_only_on(Some(&order), 399900);
    never_shipped["return_terms"]["order_shipped"] = json!(false);
    never_shipped["return_terms"]["promised_ship_by"] = json!("2026-01-01T00:00:00Z");
    let (status, body) = json(app.post("/v1/cases", &wang, &never_shipped).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "terms-exceed-order");
}

#[tokio::test]
async fn a_storefront_refund_after_a_request_leaves_its_payment_to_finance() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let order = app.owners_order().await;
    let case = file(&app, &wang, &refund_only_on(Some(&order), 399900)).await;
    let mut refund: Value =
        serde_json::from_slice(&fixture("generic/refund-created.json")).unwrap();
    refund["data"]["order_id"] = json!(order);
    refund["data"]["amount"] = json!("3999.00");
    let (status, _) = json(
        app.generic(&serde_json::to_vec(&refund).unwrap(), "msg-refund-after")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.advance_clock(49).await;
    let (_, case) = json(
        app.get(
            &format!("/v1/cases/{}", case["id"].as_str().unwrap()),
            &app.token(Role::Agent, "agent-1"),
        )
        .await,
    )
    .await;
    assert_eq!(case["returns"]["stage"], "refund_pending", "{case}");
    assert_eq!(case["returns"]["order_changed"], true);
}

#[tokio::test]
async fn customer_service_cannot_file_on_one_customers_order_for_another() {
    let app = TestApp::spawn().await;
    let order = app.owners_order().await;
    let mut body = refund_only_on(Some(&order), 399900);
    body["customer_id"] = json!("mallory");
    let (status, out) = json(
        app.post("/v1/cases", &app.token(Role::Agent, "agent-1"), &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "order-of-another-customer");
    body["customer_id"] = json!("erp:C-88");
    let (status, out) = json(
        app.post("/v1/cases", &app.token(Role::Agent, "agent-1"), &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
}

/// A storefront order of customer `erp:C-88` with changes to the generic sample's `data`.
async fn order_with(app: &TestApp, id: &str, change: impl FnOnce(&mut Value)) {
    let mut body: Value = serde_json::from_slice(&fixture("generic/order-upserted.json")).unwrap();
    body["data"]["order_id"] = json!(id);
    change(&mut body["data"]);
    let delivery = format!(
        "msg-{id}-{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
    );
    let response = app
        .generic(&serde_json::to_vec(&body).unwrap(), &delivery)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{id}");
}

#[tokio::test]
async fn an_order_never_paid_has_nothing_to_refund() {
    let app = TestApp::spawn().await;
    order_with(&app, "UNPAID-1", |o| {
        o["paid_at"] = Value::Null;
        o["shipped_at"] = Value::Null;
        o["delivered_at"] = Value::Null;
    })
    .await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let mut body = refund_only_on(Some("UNPAID-1"), 399900);
    body["return_terms"]["order_shipped"] = json!(false);
    let (status, out) = json(app.post("/v1/cases", &wang, &body).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "order-not-paid");
}

#[tokio::test]
async fn one_order_line_is_claimed_once_even_when_the_order_has_money_left() {
    let app = TestApp::spawn().await;
    // One television (3 999.00) on an order of 7 998.00: money is left, the unit is not.
    order_with(&app, "TWICE-1", |o| o["total"] = json!("7998.00")).await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    file(&app, &wang, &refund_only_on(Some("TWICE-1"), 399900)).await;
    let (status, out) = json(
        app.post("/v1/cases", &wang, &refund_only_on(Some("TWICE-1"), 399900))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "terms-exceed-order");
}

#[tokio::test]
async fn a_storefront_refund_racing_a_filing_never_lets_the_clock_pay_twice() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let mut cases = Vec::new();
    for round in 0..8 {
        let order = format!("RACE-{round}");
        order_with(&app, &order, |_| {}).await;
        let mut refund: Value =
            serde_json::from_slice(&fixture("generic/refund-created.json")).unwrap();
        refund["data"]["order_id"] = json!(order);
        refund["data"]["refund_id"] = json!(format!("RF-{round}"));
        refund["data"]["amount"] = json!("3999.00");
        let refund = serde_json::to_vec(&refund).unwrap();
        let filing = refund_only_on(Some(&order), 399900);
        let id = format!("msg-race-{round}");
        let (refunded, filed) = tokio::join!(
            app.generic(&refund, &id),
            app.post("/v1/cases", &wang, &filing)
        );
        assert_eq!(refunded.status(), StatusCode::OK);
        let (status, case) = json(filed).await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{status} {case}"
        );
        if status == StatusCode::CREATED {
            cases.push(case["id"].as_str().unwrap().to_owned());
        }
    }
    app.advance_clock(49).await;
    let agent = app.token(Role::Agent, "agent-1");
    for id in cases {
        let (_, case) = json(app.get(&format!("/v1/cases/{id}"), &agent).await).await;
        assert_ne!(
            case["returns"]["stage"], "refunded",
            "the storefront refunded this order in full: {case}"
        );
    }
}

#[tokio::test]
async fn a_hundred_and_twenty_storefront_refunds_at_once_still_reach_the_open_request() {
    let app = TestApp::spawn().await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "evt-o",
    )
    .await;
    let john = app.linked_customer("john", Some("main:115310627314723954"), None);
    // The sample order takes 10.00 off its 398.00 of lines: each unit was paid 194.00.
    let mut request = refund_only_on(None, 19400);
    request["order"] = json!({"storefront": "main", "order_id": "820982911946154508", "line_ids": ["866550311766439020"]});
    request["return_terms"]["currency"] = json!("USD");
    // Not shipped yet: a refund-only request intercepts it.
    request["return_terms"]["order_shipped"] = json!(false);
    let case = file(&app, &john, &request).await;
    let refunds: Vec<Value> = (0..120)
        .map(|i| {
            json!({"id": 7_000_000_000u64 + i, "order_id": 820982911946154508u64,
                   "created_at": "2022-01-06T10:00:00-05:00",
                   "transactions": [{"amount": "1.00", "kind": "refund", "status": "success"}]})
        })
        .collect();
    let updated = e2e::fixture_with(
        "shopify/orders-create.json",
        json!({"updated_at": "2022-01-06T12:00:00-05:00", "refunds": refunds}),
    );
    let (status, out) = json(app.shopify("orders/updated", &updated, "evt-many").await).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let case = app.case_as_staff(case["id"].as_str().unwrap()).await;
    assert_eq!(case["returns"]["order_changed"], true, "{case}");
    let told: Vec<&Value> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "refunded_at_storefront")
        .collect();
    assert_eq!(told.len(), 1, "told as one");
    assert_eq!(told[0]["amount_minor"], 12000);
}

#[tokio::test]
async fn finance_pays_nothing_from_an_order_the_storefront_refunded_meanwhile() {
    let app = TestApp::spawn().await;
    let order = app.owners_order().await;
    let id = approved_refund_of_line_one(&app, &order).await;
    let mut refund: Value =
        serde_json::from_slice(&fixture("generic/refund-created.json")).unwrap();
    refund["data"]["order_id"] = json!(order);
    refund["data"]["amount"] = json!("3999.00");
    app.generic(&serde_json::to_vec(&refund).unwrap(), "msg-meanwhile")
        .await;
    let (status, out) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &app.token(Role::Finance, "fin-1"),
            &json!({"action": "execute_refund"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "order-already-refunded");
    assert_eq!(
        app.case_as_staff(&id).await["returns"]["stage"],
        "refund_pending"
    );
}

#[tokio::test]
async fn an_order_cancelled_at_the_storefront_takes_no_request_and_discounts_are_shared() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    order_with(&app, "CANCELLED-1", |o| {
        o["cancelled_at"] = json!("2026-11-04T00:00:00Z")
    })
    .await;
    let (status, out) = json(
        app.post(
            "/v1/cases",
            &wang,
            &refund_only_on(Some("CANCELLED-1"), 399900),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "order-cancelled");

    // Two televisions for the price of one: each was paid 1 999.50.
    order_with(&app, "HALF-OFF", |o| {
        o["lines"][0]["quantity"] = json!(2);
        o["total"] = json!("3999.00");
    })
    .await;
    let (status, out) = json(
        app.post(
            "/v1/cases",
            &wang,
            &refund_only_on(Some("HALF-OFF"), 399900),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "terms-exceed-order");
    file(&app, &wang, &refund_only_on(Some("HALF-OFF"), 199950)).await;
}

async fn step(app: &TestApp, role: Role, id: &str, body: Value) -> (StatusCode, Value) {
    json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &app.token(role, &format!("{role}-1")),
            &body,
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn a_held_orders_refund_less_a_deduction_is_paid_and_the_order_keeps_what_was_paid() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let order = app.owners_order().await;
    let mut body = refund_only_on(Some(&order), 399900);
    body["type"] = json!("return_refund");
    body["return_terms"]["kind"] = json!("return_and_refund");
    let id = file(&app, &wang, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = step(
        &app,
        Role::Agent,
        &id,
        json!({"action": "approve", "reason_code": "ok"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &wang,
            &json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let receive = json!({"action": "receive", "units_received": 1,
        "slip": {"item_number": "TV", "item_name": "TV", "quantity": 1, "defect": "dead"},
        "missing_accessories": [{"reason": "remote", "amount_minor": 5000}]});
    assert_eq!(
        step(&app, Role::Warehouse, &id, receive).await.0,
        StatusCode::OK
    );
    let inspect = json!({"action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
        "resaleable": false, "dispositions": ["rework"]});
    assert_eq!(
        step(&app, Role::Quality, &id, inspect).await.0,
        StatusCode::OK
    );
    let (status, case) = step(
        &app,
        Role::Finance,
        &id,
        json!({"action": "execute_refund"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["returns"]["stage"], "refunded");
    assert_eq!(case["returns"]["claim"]["minor"], 399900 - 5000);
}

#[tokio::test]
async fn an_order_whose_payment_is_withdrawn_after_a_request_is_not_paid_by_the_clock() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    order_with(&app, "WITHDRAWN-1", |_| {}).await;
    let case = file(&app, &wang, &refund_only_on(Some("WITHDRAWN-1"), 399900)).await;
    order_with(&app, "WITHDRAWN-1", |o| {
        o["paid_at"] = Value::Null;
        o["updated_at"] = json!("2026-11-05T00:00:00Z");
    })
    .await;
    app.advance_clock(49).await;
    let case = app.case_as_staff(case["id"].as_str().unwrap()).await;
    assert_eq!(case["returns"]["order_changed"], true, "{case}");
    assert_eq!(case["returns"]["stage"], "refund_pending");

    // Nor may anyone state a promised shipping time on a held order.
    let mut promise = refund_only_on(Some("WITHDRAWN-1"), 399900);
    promise["customer_id"] = json!("erp:C-88");
    promise["return_terms"]["promised_ship_by"] = json!("2026-01-01T00:00:00Z");
    let (status, out) = json(
        app.post("/v1/cases", &app.token(Role::Agent, "agent-1"), &promise)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
}

#[tokio::test]
async fn storefront_fields_no_storefront_sends_are_refused_and_a_free_form_category_is_dropped() {
    let app = TestApp::spawn().await;
    let agent = app.token(Role::Agent, "agent-1");
    let base: Value = serde_json::from_slice(&fixture("generic/order-upserted.json")).unwrap();
    type Change = fn(&mut Value);
    let oversized: [(&str, Change); 4] = [
        ("e-mail", |o| {
            o["data"]["customer"]["email"] = json!(format!("{}@example.com", "a".repeat(300)))
        }),
        ("category", |o| {
            o["data"]["lines"][0]["category"] = json!("Home Appliances")
        }),
        ("title", |o| {
            o["data"]["lines"][0]["title"] = json!("t".repeat(1001))
        }),
        ("serial numbers", |o| {
            o["data"]["lines"][0]["serial_numbers"] = json!(vec!["SN"; 101])
        }),
    ];
    for (i, (what, change)) in oversized.iter().enumerate() {
        let mut order = base.clone();
        change(&mut order);
        let (status, body) = json(
            app.generic(
                &serde_json::to_vec(&order).unwrap(),
                &format!("msg-big-{i}"),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    }
    let (status, _) = json(
        app.get(&format!("/v1/orders/erp/{ERP_ORDER}"), &agent)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was stored");
    app.generic(&fixture("generic/order-upserted.json"), "msg-order")
        .await;
    let mut refund: Value =
        serde_json::from_slice(&fixture("generic/refund-created.json")).unwrap();
    refund["data"]["refund_id"] = json!("r".repeat(300));
    let (status, body) = json(
        app.generic(&serde_json::to_vec(&refund).unwrap(), "msg-big-refund")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, stored) = json(
        app.get(&format!("/v1/orders/erp/{ERP_ORDER}"), &agent)
            .await,
    )
    .await;
    assert_eq!(stored["refunded_minor"], 0, "{stored}");

    // A merchant's own words in Shopify's line properties cannot name a policy category:
    // the order is kept, without one.
    let mut order: Value = serde_json::from_slice(&fixture("shopify/orders-create.json")).unwrap();
    order["line_items"][0]["properties"] =
        json!([{"name": "category", "value": "Home Appliances"}]);
    let (status, body) = json(
        app.shopify(
            "orders/create",
            &serde_json::to_vec(&order).unwrap(),
            "evt-cat",
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = order["id"].to_string();
    let (status, stored) = json(app.get(&format!("/v1/orders/main/{id}"), &agent).await).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["lines"][0]["category"], Value::Null, "{stored}");
}

#[tokio::test]
async fn concurrent_retries_with_one_key_answer_the_case_their_twin_filed_even_when_it_took_the_whole_order()
 {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    for round in 0..10 {
        let order = app.owners_order().await;
        let body = refund_only_on(Some(&order), 399900);
        let key = format!("retry-{round}");
        let sends = (0..10).map(|_| {
            app.request(reqwest::Method::POST, "/v1/cases", &wang)
                .header("Idempotency-Key", &key)
                .json(&body)
                .send()
        });
        let mut ids = std::collections::HashSet::new();
        for response in futures::future::join_all(sends).await {
            let (status, case) = json(response.unwrap()).await;
            assert_eq!(status, StatusCode::CREATED, "round {round}: {case}");
            ids.insert(case["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "one case, answered to every retry");
    }
}

/// A two-line order (two televisions, 7 998.00 paid) of customer `erp:C-88`, as the generic
/// sender reports it; `change` edits the body first. Answers the order id.
async fn two_line_order(app: &TestApp, id: &str, delivery: &str, change: impl FnOnce(&mut Value)) {
    let mut body: Value = serde_json::from_slice(&fixture("generic/order-upserted.json")).unwrap();
    body["data"]["order_id"] = json!(id);
    body["data"]["total"] = json!("7998.00");
    let mut second = body["data"]["lines"][0].clone();
    second["line_id"] = json!("2");
    body["data"]["lines"].as_array_mut().unwrap().push(second);
    change(&mut body);
    let response = app
        .generic(&serde_json::to_vec(&body).unwrap(), delivery)
        .await;
    assert!(response.status().is_success(), "{}", response.status());
}

/// Files and approves a refund of line 1 (3 999.00) of `order`; answers the case id.
async fn approved_refund_of_line_one(app: &TestApp, order: &str) -> String {
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let case = file(app, &wang, &refund_only_on(Some(order), 399900)).await;
    let id = case["id"].as_str().unwrap().to_owned();
    let (status, _) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &app.token(Role::Agent, "agent-1"),
            &json!({"action": "approve", "reason_code": "ok"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    id
}

async fn finance_executes(app: &TestApp, id: &str) -> (StatusCode, Value) {
    json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &app.token(Role::Finance, "fin-1"),
            &json!({"action": "execute_refund"}),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn a_storefront_refund_that_grows_under_its_id_counts_and_is_not_paid_again() {
    let app = TestApp::spawn().await;
    two_line_order(&app, "SO-GROW", "order-grow", |_| {}).await;
    let id = approved_refund_of_line_one(&app, "SO-GROW").await;
    let refund = |amount: &str| {
        let mut body: Value =
            serde_json::from_slice(&fixture("generic/refund-created.json")).unwrap();
        body["data"]["order_id"] = json!("SO-GROW");
        body["data"]["amount"] = json!(amount);
        serde_json::to_vec(&body).unwrap()
    };
    let (_, first) = outcome_of(app.generic(&refund("100.00"), "refund-small").await).await;
    assert_eq!(first["outcome"], "applied");
    // The same refund, now the whole order: 7 898.00 more went back.
    let (_, grown) = outcome_of(app.generic(&refund("7998.00"), "refund-grown").await).await;
    assert_eq!(grown["outcome"], "applied", "{grown}");
    let (_, again) = outcome_of(app.generic(&refund("7998.00"), "refund-again").await).await;
    assert_eq!(again["outcome"], "duplicate");
    let (status, out) = finance_executes(&app, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "order-already-refunded");
}

#[tokio::test]
async fn a_cancellation_in_the_same_second_as_the_last_update_is_not_dropped() {
    let app = TestApp::spawn().await;
    two_line_order(&app, "SO-SECOND", "order-second", |_| {}).await;
    let id = approved_refund_of_line_one(&app, "SO-SECOND").await;
    two_line_order(&app, "SO-SECOND", "order-second-cancelled", |body| {
        body["data"]["cancelled_at"] = json!("2026-11-03T09:00:00Z");
    })
    .await;
    let (status, out) = finance_executes(&app, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["rule"], "order-already-refunded");
    // And the older snapshot of that second, delivered again, does not undo the cancellation.
    two_line_order(&app, "SO-SECOND", "order-second-late", |_| {}).await;
    let (status, _) = finance_executes(&app, &id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn outcome_of(response: reqwest::Response) -> (StatusCode, Value) {
    json(response).await
}
