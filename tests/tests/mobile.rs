//! The mobile app's flows, end to end, called as the app calls the API: signed in with the user
//! pool's token, the customer sees what each purchase is owed, files a return with two photos
//! (uploaded straight to the bucket), follows its timeline, ships the goods back once the
//! merchant approves, and cancels another request.

use aftersales::domain::identity::Role;
use chrono::{Duration, SecondsFormat, Utc};
use e2e::{StatusCode, TestApp, fixture, json};
use serde_json::{Value, json};

/// A television bought by storefront customer `erp:C-88`, delivered two days ago.
async fn recent_order(app: &TestApp, id: &str) {
    let at =
        |days: i64| (Utc::now() - Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut body: Value = serde_json::from_slice(&fixture("generic/order-upserted.json")).unwrap();
    body["data"]["order_id"] = json!(id);
    for (field, days) in [
        ("created_at", 5),
        ("paid_at", 5),
        ("shipped_at", 4),
        ("delivered_at", 2),
        ("updated_at", 2),
    ] {
        body["data"][field] = json!(at(days));
    }
    let (status, out) = json(
        app.generic(&serde_json::to_vec(&body).unwrap(), &format!("order-{id}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

fn types(case: &Value) -> Vec<String> {
    case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_app_shows_what_is_owed_files_a_return_with_two_photos_follows_it_ships_it_and_cancels_another()
 {
    let app = TestApp::spawn().await;
    recent_order(&app, "SO-APP-1").await;
    recent_order(&app, "SO-APP-2").await;
    // Signed in: the user pool's token names the storefront customer the account is linked to.
    let me = app.linked_customer("wang", Some("erp:C-88"), None);

    // My orders, and what each line is owed today.
    let (status, orders) = json(app.get("/v1/orders", &me).await).await;
    assert_eq!(status, StatusCode::OK, "{orders}");
    let ids: Vec<&str> = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"SO-APP-1") && ids.contains(&"SO-APP-2"),
        "{orders}"
    );
    let (status, order) = json(app.get("/v1/orders/erp/SO-APP-1", &me).await).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let owed = &order["lines"][0]["entitlement"];
    assert!(
        owed["remedy"].is_string(),
        "the line says what it is owed: {order}"
    );
    assert!(owed["no_reason_return"].is_object(), "{owed}");

    // A return of that television, with two photos of the fault.
    let (status, case) = json(
        app.post(
            "/v1/cases",
            &me,
            &json!({
                "type": "return_refund",
                "description": "Dead pixels in the middle of the screen.",
                "order": {"storefront": "erp", "order_id": "SO-APP-1", "line_ids": ["1"]},
                "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                                 "currency": "CNY", "unit_price_minor": 399900}
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().unwrap().to_owned();
    for (i, size) in [(0, 31_337_usize), (1, 27_182)] {
        let (status, ticket) = json(
            app.post(
                &format!("/v1/cases/{id}/uploads"),
                &me,
                &json!({"content_type": "image/jpeg", "size_bytes": size}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
        photo.resize(size, i as u8);
        let put = app
            .http
            .put(ticket["url"].as_str().unwrap())
            .header("content-type", "image/jpeg")
            .header("if-none-match", "*")
            .body(photo)
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), StatusCode::OK, "the photo is in the bucket");
        let (status, view) = json(
            app.post(
                &format!(
                    "/v1/cases/{id}/uploads/{}",
                    ticket["upload_id"].as_str().unwrap()
                ),
                &me,
                &json!({"type": "photo"}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{view}");
    }

    // Following it: the case, its two photos and its timeline.
    let (status, followed) = json(app.get(&format!("/v1/cases/{id}"), &me).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(followed["evidence"].as_array().unwrap().len(), 2);
    assert_eq!(
        types(&followed),
        ["filed", "evidence_added", "evidence_added"]
    );
    assert_eq!(followed["returns"]["stage"], "awaiting_decision");
    let (status, mine) = json(app.get("/v1/cases", &me).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );

    // The merchant approves; the app sees it and ships the goods back.
    let agent = app.token(Role::Agent, "zhao");
    let (status, approved) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &agent,
            &json!({"action": "approve", "reason_code": "fault_plausible", "note": "Please send it back."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let (status, shipped) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &me,
            &json!({"action": "ship", "carrier": "SF Express", "tracking_number": "SF1402938475"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shipped}");
    let (_, followed) = json(app.get(&format!("/v1/cases/{id}"), &me).await).await;
    assert_eq!(followed["returns"]["stage"], "in_transit");
    let timeline = types(&followed);
    assert_eq!(timeline.len(), 5, "{timeline:?}");

    // Another request, cancelled from the app.
    let (status, other) = json(
        app.post(
            "/v1/cases",
            &me,
            &json!({"type": "installation", "description": "Please mount it on the wall.",
                    "order": {"storefront": "erp", "order_id": "SO-APP-2", "line_ids": ["1"]}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other_id = other["id"].as_str().unwrap();
    let (status, cancelled) = json(
        app.post(
            &format!("/v1/cases/{other_id}/cancel"),
            &me,
            &json!({"reason": "I mounted it myself."}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        types(&cancelled).last().map(String::as_str),
        Some("cancelled")
    );
}
