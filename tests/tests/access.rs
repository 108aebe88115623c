//! The access matrix: every route and every return step, asked by every role, by the record's
//! owner, by another customer and by nobody, against the real stack.
//!
//! The expectations are written here as the README's role table says them, not read from the
//! code's table (`domain::access`), so that the two are checked against each other. Each cell
//! is one of:
//! - `ok`: access granted; the answer is the route's own (2xx, or 409/422 when an earlier
//!   cell of the row already moved the record on). The first `ok` of each row must be a 2xx,
//!   so that every row proves its fixture was in the state the step needs;
//! - `403`: the role may never do this; `404`: the record is not the caller's to see;
//! - `401`: no token.

use std::future::Future;

use aftersales::domain::identity::Role;
use e2e::{StatusCode, TestApp, fixture, json, merchant_day};
use reqwest::Method;
use serde_json::{Value, json};

/// Columns, in the order of every expectation string.
const STAFF: [Role; 9] = [
    Role::Agent,
    Role::Reviewer,
    Role::Manager,
    Role::Dispatcher,
    Role::Technician,
    Role::Warehouse,
    Role::Quality,
    Role::Finance,
    Role::Admin,
];
const HEADER: &str = "owner stranger | agent reviewer manager dispatcher technician warehouse quality finance admin | nobody";

/// The callers of one row: the owner (a customer linked to the storefront order), a stranger
/// (another customer), each staff role, and nobody.
struct Callers {
    tokens: Vec<(String, Option<String>)>,
}

impl Callers {
    fn new(app: &TestApp) -> Self {
        let mut tokens = vec![
            (
                "owner".to_owned(),
                Some(app.linked_customer("wang", Some("erp:C-88"), None)),
            ),
            ("stranger".to_owned(), Some(app.customer("mallory"))),
        ];
        for role in STAFF {
            tokens.push((
                role.to_string(),
                Some(app.token(role, &format!("{role}-1"))),
            ));
        }
        tokens.push(("nobody".to_owned(), None));
        Self { tokens }
    }
}

/// Cells checked, over every test of this file (reported by the closing note).
static CELLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Asks `send` as every caller in turn and compares each answer with `expect`.
async fn row<F, Fut>(callers: &Callers, route: &str, expect: &str, mut send: F)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (StatusCode, Value)>,
{
    let expected: Vec<&str> = expect.split_whitespace().filter(|c| *c != "|").collect();
    assert_eq!(
        expected.len(),
        callers.tokens.len(),
        "{route}: one cell per caller ({HEADER})"
    );
    let mut first_ok = true;
    let mut failures = Vec::new();
    for ((who, token), want) in callers.tokens.iter().zip(expected) {
        let (status, body) = send(token.clone()).await;
        CELLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fits = match want {
            "ok" => {
                let ok = if first_ok {
                    status.is_success()
                } else {
                    status.is_success()
                        || status == StatusCode::CONFLICT
                        || status == StatusCode::UNPROCESSABLE_ENTITY
                };
                first_ok = false;
                ok
            }
            code => status.as_str() == code,
        };
        if !fits {
            failures.push(format!("{who}: expected {want}, got {status} {body}"));
        }
        if status.is_client_error() && status != StatusCode::UNAUTHORIZED {
            assert_eq!(
                body["status"],
                status.as_u16(),
                "{route} {who}: problem+json {body}"
            );
        }
    }
    assert!(failures.is_empty(), "{route}:\n{}", failures.join("\n"));
}

async fn call(
    app: &TestApp,
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.http.request(method, format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    json(request.send().await.expect("request")).await
}

fn repair_on_order() -> Value {
    json!({
        "type": "repair",
        "description": "Lines across the screen.",
        "order": {"storefront": "erp", "order_id": "SO-2026-000731", "line_ids": ["1"]}
    })
}

/// A world with the storefront order of the owner, and the policy allowing enough open cases
/// on its line for every row.
async fn world() -> (TestApp, Callers) {
    let app = TestApp::spawn().await;
    app.generic(&fixture("generic/order-upserted.json"), "msg-order")
        .await;
    let (status, saved) = app
        .change_policy(|p| p["max_open_cases_per_order_line"] = json!(100))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let callers = Callers::new(&app);
    (app, callers)
}

/// A fresh case of the owner's, filed by the owner: `body` or a repair on their order.
async fn owners_case(app: &TestApp, callers: &Callers, body: Option<Value>) -> String {
    let owner = callers.tokens[0].1.clone();
    let (status, case) = call(
        app,
        Method::POST,
        "/v1/cases".to_owned(),
        owner,
        Some(body.unwrap_or_else(repair_on_order)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_intake_route_answers_each_role_the_owner_a_stranger_and_nobody_as_the_readme_says() {
    let (app, callers) = world().await;
    let app = &app;

    row(
        &callers,
        "GET /v1/entitlements (category)",
        "ok ok | ok ok ok ok ok ok ok ok ok | 401",
        |t| {
            call(
                app,
                Method::GET,
                format!(
                    "/v1/entitlements?category=television&invoice_date={}",
                    merchant_day(-3)
                ),
                t,
                None,
            )
        },
    )
    .await;
    row(
        &callers,
        "GET /v1/entitlements (order line)",
        "ok 404 | ok ok ok ok 403 ok ok ok ok | 401",
        |t| {
            call(
                app,
                Method::GET,
                "/v1/entitlements?storefront=erp&order_id=SO-2026-000731&line_id=1".to_owned(),
                t,
                None,
            )
        },
    )
    .await;
    row(
        &callers,
        "POST /v1/cases (for oneself)",
        "ok ok | 400 400 400 403 403 403 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                "/v1/cases".to_owned(),
                t,
                Some(json!({"type": "complaint", "description": "Rude."})),
            )
        },
    )
    .await;
    row(
        &callers,
        "POST /v1/cases (for a customer)",
        "ok 403 | ok ok ok 403 403 403 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                "/v1/cases".to_owned(),
                t,
                Some(
                    json!({"type": "complaint", "description": "Rude.", "customer_id": "erp:C-88"}),
                ),
            )
        },
    )
    .await;
    row(
        &callers,
        "GET /v1/cases",
        "ok ok | ok ok ok ok 403 ok ok ok ok | 401",
        |t| call(app, Method::GET, "/v1/cases".to_owned(), t, None),
    )
    .await;
    row(
        &callers,
        "GET /v1/cases?customer_id=<owner>",
        "ok 403 | ok ok ok ok 403 ok ok ok ok | 401",
        |t| {
            call(
                app,
                Method::GET,
                "/v1/cases?customer_id=erp:C-88".to_owned(),
                t,
                None,
            )
        },
    )
    .await;

    let id = owners_case(app, &callers, None).await;
    row(
        &callers,
        "GET /v1/cases/{id}",
        "ok 404 | ok ok ok ok 404 ok ok ok ok | 401",
        |t| call(app, Method::GET, format!("/v1/cases/{id}"), t, None),
    )
    .await;
    let evidence = json!({"evidence": [{"type": "photo", "url": "https://cdn.example/x.jpg", "size_bytes": 9}]});
    row(
        &callers,
        "POST /v1/cases/{id}/evidence",
        "ok 404 | ok ok ok ok 404 ok ok 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                format!("/v1/cases/{id}/evidence"),
                t,
                Some(evidence.clone()),
            )
        },
    )
    .await;
    // Photo uploads follow adding evidence; reading one back follows reading the case.
    row(
        &callers,
        "POST /v1/cases/{id}/uploads",
        "ok 404 | ok ok ok ok 404 ok ok 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                format!("/v1/cases/{id}/uploads"),
                t,
                Some(json!({"content_type": "image/jpeg", "size_bytes": 4})),
            )
        },
    )
    .await;
    // The owner's upload, in the bucket: the owner attaches it, every other caller allowed
    // hears that it is attached already (409).
    let (_, ticket) = call(
        app,
        Method::POST,
        format!("/v1/cases/{id}/uploads"),
        callers.tokens[0].1.clone(),
        Some(json!({"content_type": "image/jpeg", "size_bytes": 4})),
    )
    .await;
    let put = app
        .http
        .put(ticket["url"].as_str().expect("an upload URL"))
        .header("content-type", "image/jpeg")
        .header("if-none-match", "*")
        .body(vec![0xFF, 0xD8, 0xFF, 0xE0])
        .send()
        .await
        .expect("the local S3");
    assert!(put.status().is_success());
    let attach = format!(
        "/v1/cases/{id}/uploads/{}",
        ticket["upload_id"].as_str().unwrap()
    );
    row(
        &callers,
        "POST /v1/cases/{id}/uploads/{upload}",
        "ok 404 | ok ok ok ok 404 ok ok 403 403 | 401",
        |t| call(app, Method::POST, attach.clone(), t, Some(json!({}))),
    )
    .await;
    row(
        &callers,
        "GET /v1/cases/{id}/evidence/{n}",
        "ok 404 | ok ok ok ok 404 ok ok ok ok | 401",
        |t| {
            call(
                app,
                Method::GET,
                format!("/v1/cases/{id}/evidence/0"),
                t,
                None,
            )
        },
    )
    .await;
    // Cancelling ends the case: the owner's 200 comes first, then each role allowed gets the
    // rule's 409 (not-cancellable), which only a caller past the access check can get.
    let id = owners_case(app, &callers, None).await;
    row(
        &callers,
        "POST /v1/cases/{id}/cancel",
        "ok 404 | ok ok ok 403 403 403 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                format!("/v1/cases/{id}/cancel"),
                t,
                Some(json!({})),
            )
        },
    )
    .await;

    row(
        &callers,
        "GET /v1/orders",
        "ok ok | 400 400 400 400 403 400 400 400 400 | 401",
        |t| call(app, Method::GET, "/v1/orders".to_owned(), t, None),
    )
    .await;
    row(
        &callers,
        "GET /v1/orders?customer_id=<owner>",
        "ok 403 | ok ok ok ok 403 ok ok ok ok | 401",
        |t| {
            call(
                app,
                Method::GET,
                "/v1/orders?customer_id=erp:C-88".to_owned(),
                t,
                None,
            )
        },
    )
    .await;
    row(
        &callers,
        "GET /v1/orders/{storefront}/{id}",
        "ok 404 | ok ok ok ok 403 ok ok ok ok | 401",
        |t| {
            call(
                app,
                Method::GET,
                "/v1/orders/erp/SO-2026-000731".to_owned(),
                t,
                None,
            )
        },
    )
    .await;
    row(
        &callers,
        "GET /v1/policy",
        "403 403 | ok ok ok ok ok ok ok ok ok | 401",
        |t| call(app, Method::GET, "/v1/policy".to_owned(), t, None),
    )
    .await;
    row(
        &callers,
        "PUT /v1/policy",
        "403 403 | 403 403 403 403 403 403 403 403 ok | 401",
        |t| async move {
            let mut request = app
                .http
                .put(format!("{}/v1/policy", app.base))
                .header("If-Match", "1");
            if let Some(t) = t {
                request = request.bearer_auth(t);
            }
            let (_, current) = json(
                app.get("/v1/policy", &app.token(Role::Admin, "admin-setup"))
                    .await,
            )
            .await;
            json(request.json(&current["policy"]).send().await.unwrap()).await
        },
    )
    .await;
    row(
        &callers,
        "POST /v1/webhooks/generic (a token is no signature)",
        "401 401 | 401 401 401 401 401 401 401 401 401 | 401",
        |t| {
            call(
                app,
                Method::POST,
                "/v1/webhooks/generic".to_owned(),
                t,
                Some(json!({"type": "order.upserted"})),
            )
        },
    )
    .await;
}

/// A return case of the owner's, filed and moved by the right people to `stage`.
async fn return_in(app: &TestApp, callers: &Callers, kind: &str, stage: &str) -> String {
    let (case_type, terms) = match kind {
        "exchange" => (
            "exchange",
            json!({"kind": "exchange", "replacement_price_minor": 399900}),
        ),
        _ => ("return_refund", json!({"kind": "return_and_refund"})),
    };
    let mut terms = terms;
    for (k, v) in json!({"reason": "quality_fault", "units": 1, "model": "TV-55-Q8", "currency": "CNY", "unit_price_minor": 399900}).as_object().unwrap() {
        terms[k] = v.clone();
    }
    // An order of its own: a return claims what it asks of its order.
    let order_id = app.owners_order().await;
    let id = owners_case(
        app,
        callers,
        Some(json!({
            "type": case_type, "description": "No picture.",
            "order": {"storefront": "erp", "order_id": order_id, "line_ids": ["1"]},
            "return_terms": terms
        })),
    )
    .await;
    let owner = callers.tokens[0].1.clone().unwrap();
    let path = format!("/v1/cases/{id}/return");
    let scrap = stage == "scrap_pending";
    let script: Vec<(String, Value)> = vec![
        (
            app.token(Role::Agent, "approver"),
            json!({"action": if stage == "rejected" { "reject" } else { "approve" }, "reason_code": "fault", "note": "ok"}),
        ),
        (
            owner,
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        ),
        (
            app.token(Role::Warehouse, "wh-setup"),
            json!({"action": "receive", "units_received": 1,
            "slip": {"item_number": "TV-55-Q8", "item_name": "TV", "quantity": 1, "defect": "no picture"}}),
        ),
        (
            app.token(Role::Quality, "qc-setup"),
            json!({"action": "inspect", "fault_confirmed": true,
            "responsibility": "merchant", "resaleable": false,
            "dispositions": [if scrap { "scrap" } else { "rework" }],
            "scrap_value_minor": if scrap { 3_000_001 } else { 0 }}),
        ),
    ];
    let steps = match stage {
        "awaiting_decision" => 0,
        "rejected" | "awaiting_shipment" => 1,
        "in_transit" => 2,
        "received" => 3,
        "refund_pending" | "reship_pending" | "scrap_pending" => 4,
        other => panic!("no script to {other}"),
    };
    for (token, step) in script.into_iter().take(steps) {
        let (status, body) = json(app.post(&path, &token, &step).await).await;
        assert_eq!(status, StatusCode::OK, "to {stage}: {step} {body}");
    }
    id
}

#[tokio::test]
async fn every_return_step_answers_each_role_the_owner_a_stranger_and_nobody_as_the_readme_says() {
    let (app, callers) = world().await;
    let app = &app;
    // (step, the stage it is taken in, its body, who may: owner stranger | staff | nobody)
    let steps: [(&str, &str, &str, Value, &str); 11] = [
        (
            "approve",
            "return_and_refund",
            "awaiting_decision",
            json!({"action": "approve", "reason_code": "ok"}),
            "403 404 | ok ok ok 403 404 403 403 403 ok | 401",
        ),
        (
            "reject",
            "return_and_refund",
            "awaiting_decision",
            json!({"action": "reject", "reason_code": "no"}),
            "403 404 | ok ok ok 403 404 403 403 403 ok | 401",
        ),
        (
            "resubmit",
            "return_and_refund",
            "rejected",
            json!({"action": "resubmit", "note": "photos"}),
            "ok 404 | ok 403 403 403 404 403 403 403 403 | 401",
        ),
        (
            "escalate",
            "return_and_refund",
            "rejected",
            json!({"action": "escalate", "note": "please"}),
            "ok 404 | ok 403 403 403 404 403 403 403 403 | 401",
        ),
        (
            "ship",
            "return_and_refund",
            "awaiting_shipment",
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF2"}),
            "ok 404 | ok 403 403 403 404 403 403 403 403 | 401",
        ),
        (
            "receive",
            "return_and_refund",
            "in_transit",
            json!({"action": "receive", "units_received": 1,
            "slip": {"item_number": "TV-55-Q8", "item_name": "TV", "quantity": 1, "defect": "none"}}),
            "403 404 | 403 403 403 403 404 ok 403 403 403 | 401",
        ),
        (
            "inspect",
            "return_and_refund",
            "received",
            json!({"action": "inspect", "fault_confirmed": true,
            "responsibility": "merchant", "resaleable": true, "dispositions": ["restock"]}),
            "403 404 | 403 403 403 403 404 403 ok 403 403 | 401",
        ),
        // Scrap above 30 000 yuan is signed off at the top level only (the rank rule: 403).
        (
            "approve_scrap",
            "return_and_refund",
            "scrap_pending",
            json!({"action": "approve_scrap", "reason_code": "scrap_ok"}),
            "403 404 | 403 403 403 403 404 403 403 403 ok | 401",
        ),
        (
            "execute_refund",
            "return_and_refund",
            "refund_pending",
            json!({"action": "execute_refund"}),
            "403 404 | 403 403 403 403 404 403 403 ok 403 | 401",
        ),
        (
            "reship",
            "exchange",
            "reship_pending",
            json!({"action": "reship", "carrier": "SF", "tracking_number": "SF3"}),
            "403 404 | 403 403 403 403 404 ok 403 403 403 | 401",
        ),
        (
            "cancel",
            "return_and_refund",
            "awaiting_decision",
            json!({"action": "cancel", "reason": "changed my mind"}),
            "ok 404 | ok ok ok 403 404 403 403 403 403 | 401",
        ),
    ];
    for (name, kind, stage, body, expect) in steps {
        let id = return_in(app, &callers, kind, stage).await;
        row(
            &callers,
            &format!("POST /v1/cases/{{id}}/return {name} (in {stage})"),
            expect,
            |t| {
                call(
                    app,
                    Method::POST,
                    format!("/v1/cases/{id}/return"),
                    t,
                    Some(body.clone()),
                )
            },
        )
        .await;
    }
    // Deadlines are the timers' alone: no token, whatever its role, fires one.
    let id = return_in(app, &callers, "return_and_refund", "awaiting_decision").await;
    row(
        &callers,
        "POST /v1/cases/{id}/return deadline_due",
        "403 404 | 403 403 403 403 404 403 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                format!("/v1/cases/{id}/return"),
                t,
                Some(json!({"action": "deadline_due"})),
            )
        },
    )
    .await;
    row(
        &callers,
        "GET /v1/returns?stage=awaiting_decision",
        "403 403 | ok ok ok ok 403 ok ok ok ok | 401",
        |t| {
            call(
                app,
                Method::GET,
                "/v1/returns?stage=awaiting_decision".to_owned(),
                t,
                None,
            )
        },
    )
    .await;
    eprintln!(
        "access matrix: {} cells checked in this test binary so far",
        CELLS.load(std::sync::atomic::Ordering::Relaxed)
    );
}

/// A write-back the storefront refused waits on the case: finance (or a manager) settles it.
#[tokio::test]
async fn the_write_back_route_answers_finance_and_managers_only() {
    use aftersales::domain::writeback::{self, Outcome};
    let (app, callers) = world().await;
    let app = &app;
    let id = return_in(app, &callers, "return_and_refund", "awaiting_shipment").await;
    // The timers recorded the storefront's refusal of the approval, as they would.
    let case_id = aftersales::domain::values::CaseId::parse(id.as_str()).unwrap();
    let current = app.store.case(&case_id).await.unwrap().unwrap();
    let queued = current.writebacks[0].id.clone();
    let refused = Outcome::Refused {
        message: "the shop is closed".into(),
    };
    let (next, events) = writeback::record(
        &current,
        &queued,
        refused,
        timers_actor(),
        chrono::Utc::now(),
    )
    .expect("a pending write-back");
    let mut tx = app.store.tx();
    app.store
        .add_case_update(&mut tx, &current, &next, &events)
        .unwrap();
    app.store.commit(tx).await.unwrap();
    row(
        &callers,
        "POST /v1/cases/{id}/writeback",
        "403 403 | 403 403 ok 403 403 403 403 ok 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                format!("/v1/cases/{id}/writeback"),
                t,
                Some(json!({"action": "settle", "note": "Approved in the shop's admin."})),
            )
        },
    )
    .await;
}

fn timers_actor() -> aftersales::domain::identity::Actor {
    aftersales::domain::identity::Actor {
        id: "timers".into(),
        role: Role::System,
        name: None,
    }
}

/// The dispatch world: technician-1 (the technician column's token) serves the owner's
/// district, and the clock is on a Wednesday morning.
struct Dispatch<'a> {
    app: &'a TestApp,
    callers: &'a Callers,
    monday_next: chrono::DateTime<chrono::FixedOffset>,
    visits: std::sync::atomic::AtomicI64,
}

impl Dispatch<'_> {
    /// A fresh repair of the owner's, opened as a work order of `kind` by customer service.
    async fn opened(&self, kind: &str) -> String {
        let id = owners_case(self.app, self.callers, None).await;
        let agent = self.app.token(Role::Agent, "agent-open");
        let (status, body) = call(
            self.app,
            Method::POST,
            format!("/v1/cases/{id}/work"),
            Some(agent),
            Some(json!({"action": "open", "kind": kind, "skill": "television", "district": "420102", "area": "city", "service": "Repair", "expected_minutes": 60})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    /// A time of technician-1's not yet given: an hour of Wednesday or Thursday.
    fn next_start(&self) -> chrono::DateTime<chrono::Utc> {
        let n = self
            .visits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (self.monday_next + chrono::Duration::days(2 + n / 8) + chrono::Duration::hours(1 + n % 8))
            .with_timezone(&chrono::Utc)
    }

    /// An opened work order booked with technician-1 and taken through `steps` by them.
    async fn booked(&self, kind: &str, steps: &[Value]) -> String {
        let id = self.opened(kind).await;
        let dispatcher = self.app.token(Role::Dispatcher, "dispatcher-setup");
        let technician = self.callers.tokens[6].1.clone();
        let book =
            json!({"action": "book", "start": self.next_start(), "technician": "technician-1"});
        let mut all = vec![(Some(dispatcher), book)];
        all.extend(steps.iter().map(|s| (technician.clone(), s.clone())));
        for (token, body) in all {
            let (status, answer) = call(
                self.app,
                Method::POST,
                format!("/v1/cases/{id}/work"),
                token,
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}: {answer}");
        }
        id
    }
}

#[tokio::test]
async fn every_dispatch_route_answers_each_role_the_owner_a_stranger_and_nobody_as_the_readme_says()
{
    let (app, callers) = world().await;
    let app = &app;
    assert_eq!(callers.tokens[6].0, "technician");
    let wednesday = app.advance_to(chrono::Weekday::Wed, 8).await;
    app.put_technician("technician-1", "Wang Qiang", "city", 20)
        .await;
    let d = Dispatch {
        app,
        callers: &callers,
        monday_next: wednesday - chrono::Duration::days(2),
        visits: Default::default(),
    };
    let post_work = |id: String, body: Value| {
        move |t| {
            call(
                app,
                Method::POST,
                format!("/v1/cases/{id}/work"),
                t,
                Some(body.clone()),
            )
        }
    };
    let start = json!({"action": "start"});
    let change = json!({"action": "propose_change", "description": "Also the T-con board", "extra_minor": 5000});

    let id = owners_case(app, &callers, None).await;
    row(&callers, "POST /v1/cases/{id}/work open", "403 404 | ok 403 ok ok 404 403 403 403 403 | 401",
        post_work(id.clone(), json!({"action": "open", "kind": "on_site", "skill": "television", "district": "420102", "area": "city", "service": "Repair", "expected_minutes": 60}))).await;
    // The owner books a time (the technician follows); staff move it to the same time.
    let at = d.next_start();
    row(
        &callers,
        "POST /v1/cases/{id}/work book",
        "ok 404 | ok 403 ok ok 403 403 403 403 403 | 401",
        post_work(id.clone(), json!({"action": "book", "start": at})),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/work cancel_booking",
        "ok 404 | ok 403 ok ok 404 403 403 403 403 | 401",
        post_work(
            id.clone(),
            json!({"action": "cancel_booking", "note": "away that day"}),
        ),
    )
    .await;
    let id = d.booked("on_site", &[]).await;
    row(
        &callers,
        "POST /v1/cases/{id}/work start",
        "403 404 | 403 403 403 403 ok 403 403 403 403 | 401",
        post_work(id.clone(), start.clone()),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/work set_status",
        "403 404 | 403 403 403 ok ok 403 403 403 403 | 401",
        post_work(
            id.clone(),
            json!({"action": "set_status", "status": "waiting_for_parts"}),
        ),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/work use_part",
        "403 404 | 403 403 403 403 ok 403 403 403 403 | 401",
        post_work(
            id.clone(),
            json!({"action": "use_part", "part": "fuse", "quantity": 2}),
        ),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/work propose_change",
        "403 404 | 403 403 403 403 ok 403 403 403 403 | 401",
        post_work(id.clone(), change.clone()),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/work answer_change",
        "ok 404 | ok 403 403 403 403 403 403 403 403 | 401",
        post_work(
            id.clone(),
            json!({"action": "answer_change", "accept": true}),
        ),
    )
    .await;
    row(
        &callers,
        "GET /v1/cases/{id}/work/code",
        "ok 404 | 403 403 403 403 403 403 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::GET,
                format!("/v1/cases/{id}/work/code"),
                t,
                None,
            )
        },
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/work deadline_due",
        "403 404 | 403 403 403 403 403 403 403 403 403 | 401",
        post_work(id.clone(), json!({"action": "deadline_due"})),
    )
    .await;
    for path in ["slip", "slip/print?lang=en"] {
        row(
            &callers,
            &format!("GET /v1/cases/{{id}}/{path}"),
            "403 403 | ok 403 ok ok ok 403 403 403 403 | 401",
            |t| call(app, Method::GET, format!("/v1/cases/{id}/{path}"), t, None),
        )
        .await;
    }
    let workshop = d.booked("workshop", std::slice::from_ref(&start)).await;
    row(
        &callers,
        "POST /v1/cases/{id}/work finish",
        "403 404 | 403 403 403 403 ok 403 403 403 403 | 401",
        post_work(
            workshop.clone(),
            json!({"action": "finish", "result": "done", "fault": "no-picture"}),
        ),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/work inspect",
        "403 404 | 403 403 403 403 403 403 ok 403 403 | 401",
        post_work(
            workshop.clone(),
            json!({"action": "inspect", "passed": true}),
        ),
    )
    .await;
    // The inspection resolved the case: its survey is its customer's alone.
    row(
        &callers,
        "POST /v1/cases/{id}/survey",
        "ok 404 | 403 403 403 403 403 403 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                format!("/v1/cases/{workshop}/survey"),
                t,
                Some(json!({"level": "satisfied"})),
            )
        },
    )
    .await;
    let date = wednesday.date_naive();
    for (path, expect) in [
        (
            format!("/v1/cases/{id}/suggestions?date={date}"),
            "403 403 | ok 403 ok ok 403 403 403 403 403 | 401",
        ),
        (
            format!("/v1/cases/{id}/times?date={date}"),
            "ok 404 | ok 403 ok ok 403 403 403 403 403 | 401",
        ),
        (
            "/v1/work-orders".to_owned(),
            "403 403 | ok 403 ok ok ok 403 ok 403 ok | 401",
        ),
        (
            format!("/v1/dispatch/day?date={date}"),
            "403 403 | ok 403 ok ok 403 403 403 403 ok | 401",
        ),
        (
            "/v1/dispatch/report".to_owned(),
            "403 403 | 403 403 ok ok 403 403 ok 403 ok | 401",
        ),
        (
            "/v1/technicians".to_owned(),
            "403 403 | ok 403 ok ok 403 403 ok 403 ok | 401",
        ),
        (
            "/v1/tools".to_owned(),
            "403 403 | ok 403 ok ok 403 403 ok 403 ok | 401",
        ),
    ] {
        row(&callers, &format!("GET {path}"), expect, |t| {
            call(app, Method::GET, path.clone(), t, None)
        })
        .await;
    }
    let day = json!([540, 1080]);
    row(
        &callers,
        "PUT /v1/technicians/{id}",
        "403 403 | 403 403 403 ok 403 403 403 403 ok | 401",
        |t| {
            call(
                app,
                Method::PUT,
                "/v1/technicians/tech-new".to_owned(),
                t,
                Some(json!({
                    "name": "Xu Li", "skills": ["television"], "districts": {"420102": "suburbs"},
                    "hours": [day, day, day, day, day, null, null], "daily_capacity": 5
                })),
            )
        },
    )
    .await;
    row(
        &callers,
        "PUT /v1/tools/{code}",
        "403 403 | 403 403 403 ok 403 403 403 403 ok | 401",
        |t| {
            call(
                app,
                Method::PUT,
                "/v1/tools/ESD-01".to_owned(),
                t,
                Some(json!({"name": "ESD kit"})),
            )
        },
    )
    .await;
    row(
        &callers,
        "POST /v1/tools/{code}/lend",
        "403 403 | 403 403 403 ok 403 ok 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                "/v1/tools/ESD-01/lend".to_owned(),
                t,
                Some(json!({"technician": "technician-1"})),
            )
        },
    )
    .await;
    row(
        &callers,
        "POST /v1/tools/{code}/return",
        "403 403 | 403 403 403 ok 403 ok 403 403 403 | 401",
        |t| {
            call(
                app,
                Method::POST,
                "/v1/tools/ESD-01/return".to_owned(),
                t,
                None,
            )
        },
    )
    .await;
    eprintln!(
        "access matrix: {} cells checked in this test binary so far",
        CELLS.load(std::sync::atomic::Ordering::Relaxed)
    );
}

#[tokio::test]
async fn every_feedback_route_answers_each_role_the_owner_a_stranger_and_nobody_as_the_readme_says()
{
    let (app, callers) = world().await;
    let app = &app;
    let post = |path: String, body: Value| {
        move |t| call(app, Method::POST, path.clone(), t, Some(body.clone()))
    };
    let get = |path: String| move |t| call(app, Method::GET, path.clone(), t, None);
    let id = owners_case(
        app,
        &callers,
        Some(json!({"type": "complaint", "description": "Nobody called back."})),
    )
    .await;
    let complaint = format!("/v1/cases/{id}/complaint");
    row(
        &callers,
        "POST /v1/cases/{id}/complaint answer",
        "403 403 | ok 403 ok 403 403 403 403 403 403 | 401",
        post(
            complaint.clone(),
            json!({"action": "answer", "note": "Calling today."}),
        ),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/complaint resolve",
        "403 403 | ok 403 ok 403 403 403 403 403 403 | 401",
        post(
            complaint,
            json!({"action": "resolve", "resolution": "Called; fixed."}),
        ),
    )
    .await;
    row(
        &callers,
        "PUT /v1/cases/{id}/tags",
        "403 403 | ok ok ok 403 403 403 ok 403 403 | 401",
        |t| {
            call(
                app,
                Method::PUT,
                format!("/v1/cases/{id}/tags"),
                t,
                Some(json!({"reason": "other", "responsibility": "merchant"})),
            )
        },
    )
    .await;
    row(
        &callers,
        "GET /v1/callbacks",
        "403 403 | ok 403 ok 403 403 403 403 403 403 | 401",
        get("/v1/callbacks".to_owned()),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/callback",
        "403 403 | ok 403 ok 403 403 403 403 403 403 | 401",
        post(
            format!("/v1/cases/{id}/callback"),
            json!({"outcome": "reached"}),
        ),
    )
    .await;
    row(
        &callers,
        "GET /v1/reports",
        "403 403 | 403 403 ok ok 403 403 ok 403 ok | 401",
        get("/v1/reports".to_owned()),
    )
    .await;
    row(
        &callers,
        "POST /v1/cases/{id}/survey/link",
        "403 403 | ok 403 ok 403 403 403 403 403 403 | 401",
        post(format!("/v1/cases/{id}/survey/link"), json!({})),
    )
    .await;
    // The link is its own credential: whoever holds it, signed in or not, as anyone.
    let agent = callers.tokens[2].1.clone();
    let (_, link) = call(
        app,
        Method::POST,
        format!("/v1/cases/{id}/survey/link"),
        agent,
        None,
    )
    .await;
    let path = link["path"].as_str().expect("a link").to_owned();
    row(
        &callers,
        "GET /v1/surveys/{token}",
        "ok ok | ok ok ok ok ok ok ok ok ok | ok",
        get(path.clone()),
    )
    .await;
    row(
        &callers,
        "POST /v1/surveys/{token}",
        "ok ok | ok ok ok ok ok ok ok ok ok | ok",
        post(path, json!({"level": "satisfied"})),
    )
    .await;
}
