//! Intake end to end: the local gateway over HTTP, DynamoDB Local behind it, one table per test.

use aftersales::domain::identity::Role;
use e2e::{StatusCode, TestApp, json, merchant_day};
use reqwest::Method;
use serde_json::{Value, json};

fn repair(invoice_days_ago: i64) -> Value {
    json!({
        "type": "repair",
        "description": "The picture flickers after ten minutes.",
        "product": {"sku": "TV-55-Q8", "model": "Q8", "serial_number": "Q8A55-000123"},
        "purchase": {"category": "television", "invoice_date": merchant_day(-invoice_days_ago)},
        "contact": {"name": "Wang Fang", "phone": "+86 138 0013 8000"}
    })
}

async fn file(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, case) = json(app.post("/v1/cases", token, body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

fn assert_problem(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["status"], expected.as_u16(), "{body}");
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/")),
        "{body}"
    );
}

#[tokio::test]
async fn a_repair_for_a_purchase_invoiced_twenty_days_ago_is_created_with_an_exchange_entitlement()
{
    let app = TestApp::spawn().await;
    let response = app
        .post("/v1/cases", &app.customer("alice"), &repair(20))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let case: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/v1/cases/{}", case["id"].as_str().unwrap())
    );
    assert!(
        case["id"].as_str().unwrap().starts_with("AS"),
        "a short readable number: {}",
        case["id"]
    );
    assert_eq!(case["entitlement"]["remedy"], "exchange");
    assert_eq!(case["entitlement"]["days_since_base"], 20);
    assert_eq!(case["status"], "submitted");
    assert_eq!(case["channel"], "app");
    assert_eq!(case["customer_id"], "alice");
    assert_eq!(case["contact"]["phone"], "+8613800138000");
    let filed = chrono::DateTime::parse_from_rfc3339(case["created_at"].as_str().unwrap()).unwrap();
    let due =
        chrono::DateTime::parse_from_rfc3339(case["first_response_due"].as_str().unwrap()).unwrap();
    assert_eq!(due - filed, chrono::Duration::hours(24));
}

#[tokio::test]
async fn reading_a_case_back_shows_its_timeline_and_another_customer_gets_404() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file(&app, &alice, &repair(3)).await;
    let path = format!("/v1/cases/{}", case["id"].as_str().unwrap());

    let (status, read) = json(app.get(&path, &alice).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["id"], case["id"]);
    let timeline = read["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["type"], "filed");
    assert_eq!(timeline[0]["actor"]["id"], "alice");
    assert_eq!(timeline[0]["remedy"], "return");

    let bob = app.customer("bob");
    let (status, body) = json(app.get(&path, &bob).await).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = json(app.post(&format!("{path}/cancel"), &bob, &json!({})).await).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND);
    let evidence = json!({"evidence": [{"type": "photo", "url": "https://cdn.example/x.jpg", "size_bytes": 9}]});
    let (status, body) = json(app.post(&format!("{path}/evidence"), &bob, &evidence).await).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND);
    let (status, _) = json(app.get("/v1/cases/AS2611-99999", &alice).await).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a case that does not exist looks the same"
    );
    let (_, still) = json(app.get(&path, &alice).await).await;
    assert_eq!(
        still["version"], 1,
        "nothing another customer did changed the case"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_sent_twice_yields_one_case() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let send = || {
        app.request(Method::POST, "/v1/cases", &alice)
            .header("Idempotency-Key", "8e0f-retry-1")
            .json(&repair(20))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);

    let (_, list) = json(app.get("/v1/cases", &alice).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_idempotency_key_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let send = |body: Value| {
        app.request(Method::POST, "/v1/cases", &alice)
            .header("Idempotency-Key", "k-1")
            .json(&body)
            .send()
    };
    assert_eq!(
        send(repair(20)).await.unwrap().status(),
        StatusCode::CREATED
    );
    let (status, body) = json(send(repair(21)).await.unwrap()).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["rule"], "idempotency-key-reused");

    // Keys belong to their caller: another customer's identical key is a new request.
    let bob = app.customer("bob");
    let response = app
        .request(Method::POST, "/v1/cases", &bob)
        .header("Idempotency-Key", "k-1")
        .json(&repair(21))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_create_one_case() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let body = repair(20);
    let sends = (0..12).map(|_| {
        app.request(Method::POST, "/v1/cases", &alice)
            .header("Idempotency-Key", "burst")
            .json(&body)
            .send()
    });
    let responses = futures::future::join_all(sends).await;
    let mut ids = Vec::new();
    for r in responses {
        let (status, case) = json(r.unwrap()).await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::CONFLICT,
            "{status} {case}"
        );
        if status == StatusCode::CREATED {
            ids.push(case["id"].as_str().unwrap().to_owned());
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every success names the same case: {ids:?}");
    let (_, list) = json(app.get("/v1/cases", &alice).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_requests_get_their_problem_json_status_and_write_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let url = format!("{}/v1/cases", app.base);

    let malformed = app
        .http
        .post(&url)
        .bearer_auth(&alice)
        .header("content-type", "application/json")
        .body("{\"type\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = json(malformed).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);

    let wrong_type = app
        .http
        .post(&url)
        .bearer_auth(&alice)
        .header("content-type", "text/plain")
        .body(repair(3).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_type.headers()["content-type"],
        "application/problem+json"
    );
    let (status, body) = json(wrong_type).await;
    assert_problem(status, &body, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let mut huge = repair(3);
    huge["description"] = Value::String("x".repeat(100 * 1024));
    let (status, body) = json(app.post("/v1/cases", &alice, &huge).await).await;
    assert_problem(status, &body, StatusCode::PAYLOAD_TOO_LARGE);

    let (status, body) = json(app.http.post(&url).json(&repair(3)).send().await.unwrap()).await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED);
    let (status, body) = json(
        app.http
            .post(&url)
            .bearer_auth("not.a.token")
            .json(&repair(3))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED);
    let forged =
        local_gateway::auth::DevAuth::new("another secret").token("alice", Role::Customer, None, 1);
    let (status, body) = json(app.post("/v1/cases", &forged, &repair(3)).await).await;
    assert_problem(status, &body, StatusCode::UNAUTHORIZED);

    let mut unknown = repair(3);
    unknown["colour"] = json!("red");
    let (status, body) = json(app.post("/v1/cases", &alice, &unknown).await).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);

    let mut bad_phone = repair(3);
    bad_phone["contact"]["phone"] = json!("call me maybe");
    let (status, body) = json(app.post("/v1/cases", &alice, &bad_phone).await).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
    assert_eq!(body["invalid-params"][0]["name"], "contact/phone", "{body}");

    let (status, body) = json(
        app.post("/v1/cases", &alice, &json!({"type": "repair"}))
            .await,
    )
    .await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
    let names: Vec<&str> = body["invalid-params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["description", "purchase"]);

    let (status, list) = json(app.get("/v1/cases", &alice).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "no bad request wrote a case: {list}"
    );
}

#[tokio::test]
async fn a_business_rule_refusal_is_422_with_the_rules_name() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let fresh = json!({"type": "return_refund", "purchase": {"category": "fresh_food", "receipt_date": merchant_day(-1)}});
    let (status, body) = json(app.post("/v1/cases", &alice, &fresh).await).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["rule"], "special-goods-refund-only");

    let no_waybill = json!({
        "type": "order_problem", "order_issue": "damaged_on_arrival", "order": {"order_id": "1001"},
        "evidence": [{"type": "goods_photo", "url": "https://cdn.example/box.jpg", "size_bytes": 52000}]
    });
    let (status, body) = json(app.post("/v1/cases", &alice, &no_waybill).await).await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["rule"], "evidence-required");
}

#[tokio::test]
async fn a_customer_lists_only_their_own_cases_newest_first() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let bob = app.customer("bob");
    let first = file(&app, &alice, &repair(3)).await;
    let second = file(&app, &alice, &repair(40)).await;
    file(&app, &bob, &repair(5)).await;

    let (status, list) = json(app.get("/v1/cases", &alice).await).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&second["id"], &first["id"]]);
    let entry = &list["items"][0];
    assert_eq!(entry["title"], "The picture flickers after ten minutes.");
    assert_eq!(entry["remedy"], "free_repair");
    assert!(
        entry.get("entitlement").is_none() && entry.get("timeline").is_none(),
        "a list holds summaries: {entry}"
    );

    let (status, body) = json(app.get("/v1/cases?customer_id=bob", &alice).await).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_staff_queue_filters_by_status_type_and_dates_and_pages_with_a_cursor() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let mut repairs = Vec::new();
    for days in [3, 10, 50, 400] {
        repairs.push(file(&app, &alice, &repair(days)).await["id"].clone());
    }
    let complaint =
        json!({"type": "complaint", "description": "The technician was two hours late."});
    let complaint_id = file(&app, &alice, &complaint).await["id"].clone();
    let cancelled = repairs[0].clone();
    let (status, _) = json(
        app.post(
            &format!("/v1/cases/{}/cancel", cancelled.as_str().unwrap()),
            &alice,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let agent = app.token(Role::Agent, "agent-1");
    let (status, page) = json(
        app.get("/v1/cases?status=submitted&type=repair&limit=2", &agent)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ids: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    // Filed one after the other with the same first-answer promise: the earliest filed is
    // due first.
    assert_eq!(
        ids,
        [repairs[1].clone(), repairs[2].clone()],
        "earliest deadline first"
    );
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let (status, page2) = json(
        app.get(
            &format!("/v1/cases?status=submitted&type=repair&limit=2&cursor={cursor}"),
            &agent,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page2}");
    let ids2: Vec<Value> = page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(
        ids2,
        [repairs[3].clone()],
        "the cancelled repair and the complaint are filtered out"
    );
    assert!(page2.get("next_cursor").is_none());

    let (_, all) = json(app.get("/v1/cases?limit=100", &agent).await).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    let (_, cancelled_queue) = json(app.get("/v1/cases?status=cancelled", &agent).await).await;
    assert_eq!(cancelled_queue["items"][0]["id"], cancelled);
    let (_, complaints) = json(app.get("/v1/cases?type=complaint", &agent).await).await;
    assert_eq!(complaints["items"].as_array().unwrap().len(), 1);
    assert_eq!(complaints["items"][0]["id"], complaint_id);

    let future = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, none) = json(app.get(&format!("/v1/cases?from={future}"), &agent).await).await;
    assert_eq!(status, StatusCode::OK, "{none}");
    assert!(none["items"].as_array().unwrap().is_empty());

    let (status, body) = json(app.get("/v1/cases?status=lost", &agent).await).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = json(app.get("/v1/cases?limit=1000", &agent).await).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_open_status_queue_puts_the_earliest_deadline_first_and_filters_by_filing_instant() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    // Technical support answers within working days, a repair within hours: the repair filed
    // later is due first.
    let question = file(
        &app,
        &alice,
        &json!({"type": "technical_support", "description": "How do I pair the remote?"}),
    )
    .await;
    let repair = file(&app, &alice, &repair(10)).await;
    let due = |case: &Value| {
        chrono::DateTime::parse_from_rfc3339(case["first_response_due"].as_str().unwrap()).unwrap()
    };
    assert!(due(&repair) < due(&question));
    let agent = app.token(Role::Agent, "agent-1");
    let listed = |query: String| {
        let (app, agent) = (&app, &agent);
        async move { app.listed_ids(&format!("/v1/cases?{query}"), agent).await }
    };
    let (question_id, repair_id) = (
        question["id"].as_str().unwrap().to_owned(),
        repair["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        listed("status=submitted".into()).await,
        [repair_id.clone(), question_id.clone()]
    );
    // Every other listing stays newest first.
    assert_eq!(
        listed("limit=10".into()).await,
        [repair_id.clone(), question_id.clone()]
    );

    // Filing instants carry sub-second digits: the bounds hold to the instant.
    let filed = repair["created_at"].as_str().unwrap();
    let at = |t: &str| t.replace('+', "%2B");
    assert_eq!(
        listed(format!("status=submitted&from={}", at(filed))).await,
        vec![repair_id.clone()],
        "from is inclusive"
    );
    assert_eq!(
        listed(format!("status=submitted&to={}", at(filed))).await,
        vec![question_id.clone()],
        "to is exclusive"
    );
    let just_after = (chrono::DateTime::parse_from_rfc3339(filed).unwrap()
        + chrono::Duration::microseconds(1))
    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    assert!(
        listed(format!("status=submitted&from={just_after}"))
            .await
            .is_empty(),
        "a microsecond after the last filing leaves nothing"
    );
    assert_eq!(
        listed(format!("status=submitted&type=repair&to={just_after}")).await,
        [repair_id]
    );
}

#[tokio::test]
async fn a_cursor_cannot_be_turned_into_a_look_at_another_customers_cases() {
    let app = TestApp::spawn().await;
    let bob = app.customer("bob");
    for days in [1, 2] {
        file(&app, &bob, &repair(days)).await;
    }
    let (_, page) = json(app.get("/v1/cases?limit=1", &bob).await).await;
    let bobs_cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let alice = app.customer("alice");
    let (status, body) = json(
        app.get(&format!("/v1/cases?cursor={bobs_cursor}"), &alice)
            .await,
    )
    .await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = json(app.get("/v1/cases?cursor=garbage", &alice).await).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_customer_cancels_once_and_the_timeline_records_it() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file(&app, &alice, &repair(3)).await;
    let path = format!("/v1/cases/{}/cancel", case["id"].as_str().unwrap());

    let response = app
        .request(Method::POST, &path, &alice)
        .send()
        .await
        .unwrap();
    let (status, cancelled) = json(response).await;
    assert_eq!(status, StatusCode::OK, "an empty body is fine: {cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["version"], 2);
    let types: Vec<&str> = cancelled["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["filed", "cancelled"]);
    assert_eq!(cancelled["timeline"][1]["from"], "submitted");

    let (status, body) = json(app.post(&path, &alice, &json!({"reason": "again"})).await).await;
    assert_problem(status, &body, StatusCode::CONFLICT);
    assert_eq!(body["rule"], "not-cancellable");
}

#[tokio::test]
async fn evidence_is_added_to_an_open_case_with_one_timeline_event_per_change() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let case = file(&app, &alice, &repair(3)).await;
    let id = case["id"].as_str().unwrap();
    let photo = |n: u32| json!({"evidence": [{"type": "photo", "url": format!("https://cdn.example/{n}.jpg"), "size_bytes": 1000 + n, "content_type": "image/jpeg"}]});

    // Concurrent changes to one case: each lands on its own version, none is lost.
    let sends = (0..5).map(|n| {
        let body = photo(n);
        let path = format!("/v1/cases/{id}/evidence");
        let token = alice.clone();
        let app = &app;
        async move { app.post(&path, &token, &body).await.status() }
    });
    let statuses = futures::future::join_all(sends).await;
    let landed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );

    let (_, read) = json(app.get(&format!("/v1/cases/{id}"), &alice).await).await;
    assert_eq!(read["evidence"].as_array().unwrap().len(), landed);
    let versions: Vec<u64> = read["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(
        versions,
        (1..=landed as u64 + 1).collect::<Vec<_>>(),
        "one event per version, in order"
    );
    assert_eq!(read["version"], landed as u64 + 1);

    // An address that is not https (or s3), or that carries markup, is refused: what is kept
    // is only ever an address.
    for url in [
        "ftp://x/y.jpg",
        "javascript:alert(1)",
        "https://cdn.example/<script>alert(1)</script>.jpg",
        "https://cdn.example/x.jpg\" onerror=\"alert(1)",
    ] {
        let bad = json!({"evidence": [{"type": "photo", "url": url, "size_bytes": 10}]});
        let (status, body) = json(
            app.post(&format!("/v1/cases/{id}/evidence"), &alice, &bad)
                .await,
        )
        .await;
        assert_problem(status, &body, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["invalid-params"][0]["name"], "evidence/0/url",
            "{body}"
        );
    }
    let (_, read) = json(app.get(&format!("/v1/cases/{id}"), &alice).await).await;
    assert_eq!(read["version"], landed as u64 + 1, "nothing was written");
}

#[tokio::test]
async fn an_agent_files_for_a_customer_from_the_hotline_and_the_customer_sees_it() {
    let app = TestApp::spawn().await;
    let agent = app.token(Role::Agent, "agent-7");
    let mut body = repair(100);
    body["customer_id"] = json!("carol");
    let case = file(&app, &agent, &body).await;
    assert_eq!(case["channel"], "hotline");
    assert_eq!(case["filed_by"]["role"], "agent");
    assert_eq!(case["entitlement"]["remedy"], "free_repair");

    let (status, read) = json(
        app.get(
            &format!("/v1/cases/{}", case["id"].as_str().unwrap()),
            &app.customer("carol"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["customer_id"], "carol");

    let (status, body) = json(app.post("/v1/cases", &agent, &repair(100)).await).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);
    let warehouse = app.token(Role::Warehouse, "wh-1");
    let mut for_carol = repair(1);
    for_carol["customer_id"] = json!("carol");
    let (status, body) = json(app.post("/v1/cases", &warehouse, &for_carol).await).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_entitlement_look_up_follows_the_policy_an_admin_changes() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let path = format!(
        "/v1/entitlements?category=television&invoice_date={}",
        merchant_day(-20)
    );
    let (status, e) = json(app.get(&path, &alice).await).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["remedy"], "exchange");
    assert_eq!(e["remedy_until"], merchant_day(10));
    assert_eq!(e["base_date_kind"], "invoice");

    let admin = app.token(Role::Admin, "admin-1");
    let (status, current) = json(app.get("/v1/policy", &admin).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["version"], 0);
    let mut policy = current["policy"].clone();
    policy["categories"]["television"] = json!({"return_days": 15, "exchange_days": 45});

    let agent = app.token(Role::Agent, "agent-1");
    let put = |token: &str, version: &str, body: &Value| {
        app.request(Method::PUT, "/v1/policy", token)
            .header("If-Match", version)
            .json(body)
            .send()
    };
    let (status, body) = json(put(&agent, "0", &policy).await.unwrap()).await;
    assert_problem(status, &body, StatusCode::FORBIDDEN);
    let (status, saved) = json(put(&admin, "0", &policy).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    let (status, body) = json(put(&admin, "0", &policy).await.unwrap()).await;
    assert_problem(status, &body, StatusCode::CONFLICT);

    let (_, e) = json(app.get(&path, &alice).await).await;
    assert_eq!(
        e["remedy"], "exchange",
        "day 20 is still an exchange under the new policy"
    );
    let path = format!(
        "/v1/entitlements?category=television&invoice_date={}",
        merchant_day(-12)
    );
    let (_, e) = json(app.get(&path, &alice).await).await;
    assert_eq!(
        e["remedy"], "return",
        "the new 15-day return window applies without a code change"
    );

    let mut broken = policy.clone();
    broken["categories"]["television"] = json!({"return_days": 60});
    let (status, body) = json(put(&admin, "1", &broken).await.unwrap()).await;
    assert_problem(status, &body, StatusCode::BAD_REQUEST);

    let (status, body) = json(
        app.get("/v1/entitlements?category=television", &alice)
            .await,
    )
    .await;
    assert_problem(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["rule"], "base-date-unknown");
}

#[tokio::test]
async fn case_numbers_name_the_month_and_day_of_filing_and_are_never_reused() {
    // Numbers are drawn, not counted (one write per filing, no hot counter item): what a
    // customer reading one over the phone relies on is its month and day, its length, and
    // that it is theirs alone.
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let today: chrono::NaiveDate = merchant_day(0).parse().unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let id = file(&app, &alice, &repair(1)).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (month, rest) = id.split_once('-').unwrap();
        assert_eq!(month, today.format("AS%y%m").to_string(), "{id}");
        assert_eq!(&rest[..2], today.format("%d").to_string(), "{id}");
        assert_eq!(rest.len(), 10, "{id}");
        assert!(seen.insert(id.clone()), "{id} was given twice");
        let (status, case) = json(app.get(&format!("/v1/cases/{id}"), &alice).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(case["id"], id.as_str());
    }
    let (status, _) = json(
        app.post("/v1/cases", &alice, &json!({"type": "repair"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, list) = json(app.get("/v1/cases?limit=100", &alice).await).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        20,
        "a refused request files nothing"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problem_json() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let (status, body) = json(app.get("/v1/nothing-here", &alice).await).await;
    assert_problem(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = json(
        app.request(Method::DELETE, "/v1/cases", &alice)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &body, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_rare_status_is_found_on_the_first_page_of_a_customers_filtered_listing() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let first = file(&app, &alice, &repair(1)).await;
    let id = first["id"].as_str().unwrap().to_owned();
    for _ in 0..20 {
        file(&app, &alice, &repair(1)).await;
    }
    let (status, _) = json(
        app.post(&format!("/v1/cases/{id}/cancel"), &alice, &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // DynamoDB's page limit counts the items a filter looks at: twenty newer cases stand
    // before the cancelled one.
    let (status, page) = json(app.get("/v1/cases?status=cancelled&limit=1", &alice).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["id"], id.as_str(), "{page}");
}
