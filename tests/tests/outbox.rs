//! A generic storefront is told each decision on its return: a signed Standard Webhook from
//! the outbox, one step after the other, retried until the storefront takes it; one with
//! nowhere to send is not asked again, and its case says so.

use std::sync::{Arc, Mutex};

use aftersales::domain::identity::Role;
use aftersales::webhooks::config::Storefronts;
use aftersales::webhooks::verify::{StandardCheck, standard_webhook};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use e2e::{StatusCode, TestApp, fixture, json};
use serde_json::{Value, json};

/// One delivery as the storefront saw it: headers and body.
type Delivery = (HeaderMap, Vec<u8>);

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Delivery>>>);

/// A storefront's endpoint on a free port: it refuses the first delivery, then takes them.
async fn storefront_endpoint() -> (String, Received) {
    let received = Received::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/after-sales/events",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let log = log.clone();
            async move {
                let mut seen = log.0.lock().unwrap();
                seen.push((headers, body.to_vec()));
                if seen.len() == 1 {
                    AxumStatus::SERVICE_UNAVAILABLE
                } else {
                    AxumStatus::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/after-sales/events",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test]
async fn a_refund_paid_on_a_storefront_return_is_told_to_the_storefront_until_it_takes_it() {
    let (url, received) = storefront_endpoint().await;
    let config = format!(
        r#"[{{"id": "erp", "kind": "generic", "secrets": ["{}"], "notify_url": "{url}"}}]"#,
        e2e::GENERIC_SECRET
    );
    let app = TestApp::spawn_with_storefronts(&config).await;
    app.generic(&fixture("generic/order-upserted.json"), "msg_o")
        .await;
    let mut request: Value =
        serde_json::from_slice(&fixture("generic/return-requested.json")).unwrap();
    request["data"]["refund_only"] = json!(true);
    let (_, out) = json(
        app.generic(&serde_json::to_vec(&request).unwrap(), "msg_r")
            .await,
    )
    .await;
    let id = out["case_id"].as_str().expect("a case").to_owned();

    let approve = json!({"action": "approve", "reason_code": "fault_plausible", "note": ""});
    let (status, _) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &app.token(Role::Agent, "a"),
            &approve,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let execute = json!({"action": "execute_refund"});
    let (status, case) = json(
        app.post(
            &format!("/v1/cases/{id}/return"),
            &app.token(Role::Finance, "f"),
            &execute,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{case}");

    let first = app.stack.run_timers().await.unwrap();
    assert_eq!(
        (first.delivered, first.failed_attempts),
        (0, 1),
        "the storefront refused the approval; the refund waits for it: {first:?}"
    );
    let early = app.stack.run_timers().await.unwrap();
    assert_eq!(
        early.failed_attempts + early.delivered,
        0,
        "the retry waits for its backoff"
    );
    assert_eq!(
        app.run_timers_until_quiet().await,
        2,
        "the approval, then the refund"
    );
    app.stack.clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        app.stack.run_timers().await.unwrap().delivered,
        0,
        "delivered once"
    );

    let seen = received.0.lock().unwrap().clone();
    let types: Vec<String> = seen
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<Value>(body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        types,
        ["return.approved", "return.approved", "refund.succeeded"],
        "each step in order, the refused one again"
    );
    let storefronts = Storefronts::parse(&config).unwrap();
    let storefront = storefronts.by_id("erp").unwrap();
    let (headers, body) = &seen[2];
    let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
    let id_of = |i: usize| {
        seen[i]
            .0
            .get("webhook-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(id_of(0), id_of(1), "one id across retries");
    assert_eq!(h("webhook-id"), format!("refund.succeeded-{id}-2"));
    let check = standard_webhook(
        storefront,
        &h("webhook-id"),
        &h("webhook-timestamp"),
        body,
        &h("webhook-signature"),
        chrono::Utc::now(),
    );
    assert_eq!(
        check,
        StandardCheck::Valid,
        "signed with the storefront's secret"
    );
    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["type"], "refund.succeeded");
    assert_eq!(payload["data"]["case_id"], id.as_str());
    assert_eq!(payload["data"]["return_id"], "RMA-5521");
    assert_eq!(payload["data"]["amount_minor"], 399900);
    assert_eq!(payload["data"]["amount"], "3999.00");

    let case = case_of(&app, &id).await;
    let states: Vec<(&str, &str)> = case["writebacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["step"].as_str().unwrap(), w["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("approve", "done"), ("refund", "done")]);
}

async fn case_of(app: &TestApp, id: &str) -> Value {
    let (status, case) = json(
        app.get(&format!("/v1/cases/{id}"), &app.token(Role::Agent, "a"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    case
}

#[tokio::test]
async fn a_storefront_with_nowhere_to_send_is_not_retried_and_its_case_says_so() {
    let config = format!(
        r#"[{{"id": "erp", "kind": "generic", "secrets": ["{}"]}}]"#,
        e2e::GENERIC_SECRET
    );
    let app = TestApp::spawn_with_storefronts(&config).await;
    app.generic(&fixture("generic/order-upserted.json"), "msg_o")
        .await;
    let mut request: Value =
        serde_json::from_slice(&fixture("generic/return-requested.json")).unwrap();
    request["data"]["refund_only"] = json!(true);
    let (_, out) = json(
        app.generic(&serde_json::to_vec(&request).unwrap(), "msg_r")
            .await,
    )
    .await;
    let id = out["case_id"].as_str().unwrap().to_owned();
    let approve = json!({"action": "approve", "reason_code": "ok", "note": ""});
    app.post(
        &format!("/v1/cases/{id}/return"),
        &app.token(Role::Agent, "a"),
        &approve,
    )
    .await;
    let execute = json!({"action": "execute_refund"});
    app.post(
        &format!("/v1/cases/{id}/return"),
        &app.token(Role::Finance, "f"),
        &execute,
    )
    .await;

    assert_eq!(
        app.run_timers_until_quiet().await,
        2,
        "both steps settled at once"
    );
    let later = app.stack.run_timers().await.unwrap();
    assert_eq!(later.due_read, 0, "not retried: {later:?}");
    let (message, _) = app
        .store
        .outbox(&format!("refund.succeeded-{id}-2"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(message.attempts, 1, "asked once");
    assert!(message.gave_up_at.is_some());

    let case = case_of(&app, &id).await;
    let writebacks = case["writebacks"].as_array().unwrap();
    assert_eq!(writebacks.len(), 2);
    for w in writebacks {
        assert_eq!(w["state"], "not_written", "{w}");
        assert_eq!(
            w["why"],
            "the storefront has no notify_url and no write-back"
        );
    }
    assert_eq!(
        case["returns"]["stage"], "refunded",
        "paid here all the same: {case}"
    );
    let told = case["timeline"].as_array().map_or(0, |t| {
        t.iter()
            .filter(|e| e["type"] == "storefront_not_written")
            .count()
    });
    assert_eq!(told, 2, "the timeline says so: {case}");
}
