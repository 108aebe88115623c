//! Benchmark (never a test): DynamoDB round trips, consumed capacity units and latency of the
//! intake's main operations, through the local gateway against DynamoDB Local.
//! Run with `make bench` (which starts DynamoDB Local); prints a table, fails on nothing.

use std::time::Instant;

use e2e::{TestApp, merchant_day};
use reqwest::Method;
use serde_json::json;

const N: usize = 200;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let body = json!({
        "type": "repair", "description": "The picture flickers after ten minutes.",
        "product": {"sku": "TV-55-Q8", "serial_number": "Q8A55-000123"},
        "purchase": {"category": "television", "invoice_date": merchant_day(-20)},
        "contact": {"name": "Wang Fang", "phone": "+86 138 0013 8000"}
    });
    // Warm the policy cache and the connections.
    let first = app
        .post("/v1/cases", &alice, &body)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let id = first["id"].as_str().unwrap().to_owned();

    println!("| operation | round trips | capacity units | median ms (local) |");
    println!("|---|---|---|---|");
    for (name, keyed) in [
        ("POST /v1/cases", false),
        ("POST /v1/cases + Idempotency-Key", true),
    ] {
        let before = app.store.metrics();
        let mut times = Vec::with_capacity(N);
        for i in 0..N {
            let mut request = app.request(Method::POST, "/v1/cases", &alice).json(&body);
            if keyed {
                request = request.header("Idempotency-Key", format!("bench-{i}"));
            }
            let t = Instant::now();
            let status = request.send().await.unwrap().status();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(status.is_success(), "{status}");
        }
        report(name, &app, before, times);
    }
    let before = app.store.metrics();
    let mut times = Vec::with_capacity(N);
    for _ in 0..N {
        let t = Instant::now();
        let status = app.get(&format!("/v1/cases/{id}"), &alice).await.status();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(status.is_success());
    }
    report("GET /v1/cases/{id}", &app, before, times);

    // Webhooks: Shopify's documented order body (about 9 KB), a new order each time.
    let order_body = |i: usize, updated: &str| {
        e2e::fixture_with(
            "shopify/orders-create.json",
            json!({"id": 820982911946154508u64 + i as u64, "updated_at": updated}),
        )
    };
    let bench = |name: &'static str| (name, app.store.metrics(), Vec::with_capacity(N));
    let (name, before, mut times) = bench("webhook orders/create (new order)");
    for i in 0..N {
        let body = order_body(i, "2021-12-31T19:00:00-05:00");
        let t = Instant::now();
        let r = app
            .shopify("orders/create", &body, &format!("create-{i}"))
            .await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status().is_success());
    }
    report(name, &app, before, times);
    let (name, before, mut times) = bench("webhook orders/updated (newer snapshot)");
    for i in 0..N {
        let body = order_body(i, "2022-01-01T10:00:00-05:00");
        let t = Instant::now();
        let r = app
            .shopify("orders/updated", &body, &format!("update-{i}"))
            .await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status().is_success());
    }
    report(name, &app, before, times);
    let (name, before, mut times) = bench("webhook delivered twice (duplicate)");
    for i in 0..N {
        let body = order_body(i, "2022-01-01T10:00:00-05:00");
        let t = Instant::now();
        let r = app
            .shopify("orders/updated", &body, &format!("update-{i}"))
            .await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status().is_success());
    }
    report(name, &app, before, times);
    let (name, before, mut times) = bench("webhook returns/request (opens a case)");
    for i in 0..N {
        let body = e2e::fixture_with(
            "shopify/returns-request.json",
            json!({"id": 1097707602u64 + i as u64, "order": {"id": 820982911946154508u64 + i as u64}}),
        );
        let t = Instant::now();
        let r = app
            .shopify("returns/request", &body, &format!("return-{i}"))
            .await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status().is_success());
    }
    report(name, &app, before, times);
    let (name, before, mut times) = bench("webhook refunds/create (noted on 1 open case)");
    for i in 0..N {
        let body = e2e::fixture_with(
            "shopify/refunds-create.json",
            json!({"id": 890088186047892319u64 + i as u64, "order_id": 820982911946154508u64 + i as u64}),
        );
        let t = Instant::now();
        let r = app
            .shopify("refunds/create", &body, &format!("refund-{i}"))
            .await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.status().is_success());
    }
    report(name, &app, before, times);
    // Return approval: each step's cost, over N cases.
    let agent = app.token(aftersales::domain::identity::Role::Agent, "agent-1");
    let warehouse = app.token(aftersales::domain::identity::Role::Warehouse, "wh-1");
    let quality = app.token(aftersales::domain::identity::Role::Quality, "qc-1");
    let finance = app.token(aftersales::domain::identity::Role::Finance, "fin-1");
    let request = json!({
        "type": "return_refund", "description": "No picture.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
        "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                         "currency": "CNY", "unit_price_minor": 399900}
    });
    let mut ids = Vec::with_capacity(N);
    for _ in 0..N {
        let case: serde_json::Value = app
            .post("/v1/cases", &alice, &request)
            .await
            .json()
            .await
            .unwrap();
        ids.push(case["id"].as_str().unwrap().to_owned());
    }
    let steps: [(&str, &String, serde_json::Value); 5] = [
        (
            "return: approve (agent)",
            &agent,
            json!({"action": "approve", "reason_code": "ok", "note": ""}),
        ),
        (
            "return: ship (customer)",
            &alice,
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        ),
        (
            "return: receive (warehouse)",
            &warehouse,
            json!({"action": "receive", "units_received": 1,
            "slip": {"item_number": "TV", "item_name": "TV", "quantity": 1, "defect": "no picture"}}),
        ),
        (
            "return: inspect (quality)",
            &quality,
            json!({"action": "inspect", "fault_confirmed": true,
            "responsibility": "merchant", "resaleable": false, "dispositions": ["rework"]}),
        ),
        (
            "return: execute refund (finance)",
            &finance,
            json!({"action": "execute_refund"}),
        ),
    ];
    for (name, token, body) in steps {
        let before = app.store.metrics();
        let mut times = Vec::with_capacity(N);
        for id in &ids {
            let t = Instant::now();
            let r = app
                .post(&format!("/v1/cases/{id}/return"), token, &body)
                .await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(r.status().is_success(), "{name}: {}", r.status());
        }
        report(name, &app, before, times);
    }

    // Timers: N due deadlines among M open cases, on a table of their own.
    let app = TestApp::spawn().await;
    let alice = app.customer("alice");
    let due_now = 20;
    for _ in 0..due_now {
        app.post("/v1/cases", &alice, &request).await;
    }
    app.stack.clock.advance(chrono::Duration::hours(49));
    for _ in 0..N {
        app.post("/v1/cases", &alice, &request).await;
    }
    let before = app.store.metrics();
    let run = app.stack.run_timers().await.unwrap();
    let after = app.store.metrics();
    println!(
        "\ntimers: {} due among {} open return cases: read {} index items, fired {}, {} round trips, {:.1} CU",
        due_now,
        due_now + N,
        run.due_read,
        run.fired,
        after.round_trips - before.round_trips,
        after.capacity_units - before.capacity_units
    );
}

fn report(name: &str, app: &TestApp, before: aftersales::store::MetricsSnapshot, times: Vec<f64>) {
    let after = app.store.metrics();
    let n = times.len() as f64;
    println!(
        "| {name} | {:.1} | {:.2} | {:.2} |",
        (after.round_trips - before.round_trips) as f64 / n,
        (after.capacity_units - before.capacity_units) / n,
        median(times)
    );
}
