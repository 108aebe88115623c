//! Benchmark (never a test): DynamoDB round trips, consumed capacity units and latency of the
//! main operations, through the local gateway against DynamoDB Local.
//! Run with `make bench` (which starts DynamoDB Local); prints a table, fails on nothing.

use std::future::Future;
use std::time::Instant;

use aftersales::domain::identity::Role;
use e2e::{TestApp, fixture_with, merchant_day};
use reqwest::{Method, Response};
use serde_json::{Value, json};

const N: usize = 200;

/// Sends `N` requests made by `send(i)`, each timed, and prints the row: round trips and
/// capacity units per request (from the store's counters) and the median local latency.
async fn measure<F, Fut>(app: &TestApp, name: &str, mut send: F)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Response>,
{
    let before = app.store.metrics();
    let mut times = Vec::with_capacity(N);
    for i in 0..N {
        let t = Instant::now();
        let status = send(i).await.status();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(status.is_success(), "{name}: {status}");
    }
    let cost = app.store.metrics() - before;
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| {name} | {:.1} | {:.1} | {:.2} | {:.2} |",
        cost.read_round_trips() as f64 / N as f64,
        cost.write_round_trips as f64 / N as f64,
        cost.capacity_units / N as f64,
        times[N / 2]
    );
}

#[tokio::main]
async fn main() {
    let owned = TestApp::spawn().await;
    // References, so that each timed request's future borrows rather than moves.
    let app = &owned;
    let alice = &app.customer("alice");
    let body = &json!({
        "type": "repair", "description": "The picture flickers after ten minutes.",
        "product": {"sku": "TV-55-Q8", "serial_number": "Q8A55-000123"},
        "purchase": {"category": "television", "invoice_date": merchant_day(-20)},
        "contact": {"name": "Wang Fang", "phone": "+86 138 0013 8000"}
    });
    // Warm the policy cache and the connections.
    let first: Value = app
        .post("/v1/cases", alice, body)
        .await
        .json()
        .await
        .unwrap();
    let id = first["id"].as_str().unwrap().to_owned();

    println!(
        "| operation | read round trips | write round trips | capacity units | median ms (local) |"
    );
    println!("|---|---|---|---|---|");
    measure(app, "POST /v1/cases", |_| {
        app.post("/v1/cases", alice, body)
    })
    .await;
    measure(app, "POST /v1/cases + Idempotency-Key", |i| async move {
        let request = app.request(Method::POST, "/v1/cases", alice).json(&body);
        request
            .header("Idempotency-Key", format!("bench-{i}"))
            .send()
            .await
            .unwrap()
    })
    .await;
    let path = &format!("/v1/cases/{id}");
    measure(app, "GET /v1/cases/{id}", |_| app.get(path, alice)).await;

    // Webhooks: Shopify's documented order body (about 9 KB), a new order each time.
    // Each order a customer of its own: a return request is then its customer's first of the
    // day, as most are (a second one that day reads the day's units and writes again).
    let order = |i: usize, updated: &str| {
        let id = 820982911946154508u64 + i as u64;
        let fixture: Value =
            serde_json::from_slice(&e2e::fixture("shopify/orders-create.json")).unwrap();
        let mut customer = fixture["customer"].clone();
        customer["id"] = json!(115310627314723954u64 + i as u64);
        fixture_with(
            "shopify/orders-create.json",
            json!({"id": id, "updated_at": updated, "customer": customer}),
        )
    };
    let created = "2021-12-31T19:00:00-05:00";
    let updated = "2022-01-01T10:00:00-05:00";
    measure(app, "webhook orders/create (new order)", |i| async move {
        app.shopify("orders/create", &order(i, created), &format!("create-{i}"))
            .await
    })
    .await;
    measure(
        app,
        "webhook orders/updated (newer snapshot)",
        |i| async move {
            app.shopify("orders/updated", &order(i, updated), &format!("update-{i}"))
                .await
        },
    )
    .await;
    measure(app, "webhook delivered twice (duplicate)", |i| async move {
        app.shopify("orders/updated", &order(i, updated), &format!("update-{i}"))
            .await
    })
    .await;
    measure(
        app,
        "webhook returns/request (opens a case)",
        |i| async move {
            let order_id = 820982911946154508u64 + i as u64;
            let body = fixture_with(
                "shopify/returns-request.json",
                json!({"id": 1097707602u64 + i as u64, "order": {"id": order_id}}),
            );
            app.shopify("returns/request", &body, &format!("return-{i}"))
                .await
        },
    )
    .await;
    measure(
        app,
        "webhook refunds/create (noted on 1 open case)",
        |i| async move {
            let order_id = 820982911946154508u64 + i as u64;
            let body = fixture_with(
                "shopify/refunds-create.json",
                json!({"id": 890088186047892319u64 + i as u64, "order_id": order_id}),
            );
            app.shopify("refunds/create", &body, &format!("refund-{i}"))
                .await
        },
    )
    .await;

    // Return approval: each step's cost, over N cases.
    let request = json!({
        "type": "return_refund", "description": "No picture.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
        "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                         "currency": "CNY", "unit_price_minor": 399900}
    });
    let mut ids = Vec::with_capacity(N);
    for _ in 0..N {
        let case: Value = app
            .post("/v1/cases", alice, &request)
            .await
            .json()
            .await
            .unwrap();
        ids.push(case["id"].as_str().unwrap().to_owned());
    }
    let steps = [
        (
            // Every request is the same customer's on one day: past 100 units, a batch that a
            // manager decides (DOMAIN §4.2).
            "return: approve (manager)",
            app.token(Role::Manager, "manager-1"),
            json!({"action": "approve", "reason_code": "ok", "note": ""}),
        ),
        (
            "return: ship (customer)",
            alice.clone(),
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        ),
        (
            "return: receive (warehouse)",
            app.token(Role::Warehouse, "wh-1"),
            json!({"action": "receive", "units_received": 1,
                   "slip": {"item_number": "TV", "item_name": "TV", "quantity": 1, "defect": "no picture"}}),
        ),
        (
            "return: inspect (quality)",
            app.token(Role::Quality, "qc-1"),
            json!({"action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
                   "resaleable": false, "dispositions": ["rework"]}),
        ),
        (
            "return: execute refund (finance)",
            app.token(Role::Finance, "fin-1"),
            json!({"action": "execute_refund"}),
        ),
    ];
    let paths: Vec<String> = ids
        .iter()
        .map(|id| format!("/v1/cases/{id}/return"))
        .collect();
    for (name, token, step) in &steps {
        measure(app, name, |i| app.post(&paths[i], token, step)).await;
    }

    // A photo's round trip as the app makes it: ask where (the function signs), upload 48 KB
    // straight to the local S3, attach (the function asks the bucket, then writes the case).
    let photo = vec![0x42u8; 48_213];
    let case: Value = app
        .post("/v1/cases", alice, body)
        .await
        .json()
        .await
        .unwrap();
    let uploads = format!("/v1/cases/{}/uploads", case["id"].as_str().unwrap());
    let (mut asked, mut put, mut attached, mut total) = (vec![], vec![], vec![], vec![]);
    // (reads, writes) summed over the rounds.
    let (mut ask_cost, mut attach_cost) = ((0, 0), (0, 0));
    for _ in 0..20 {
        let start = Instant::now();
        let before = app.store.metrics();
        let ticket: Value = app
            .post(
                &uploads,
                alice,
                &json!({"content_type": "image/jpeg", "size_bytes": photo.len()}),
            )
            .await
            .json()
            .await
            .unwrap();
        let cost = app.store.metrics() - before;
        ask_cost = (
            ask_cost.0 + cost.read_round_trips(),
            ask_cost.1 + cost.write_round_trips,
        );
        let t1 = Instant::now();
        let status = app
            .http
            .put(
                ticket["url"]
                    .as_str()
                    .expect("uploads need the local S3 (make bench starts it)"),
            )
            .header("content-type", "image/jpeg")
            .header("if-none-match", "*")
            .body(photo.clone())
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "PUT {status}");
        let t2 = Instant::now();
        let before = app.store.metrics();
        let status = app
            .post(
                &format!("{uploads}/{}", ticket["upload_id"].as_str().unwrap()),
                alice,
                &json!({}),
            )
            .await
            .status();
        assert!(status.is_success(), "attach {status}");
        let cost = app.store.metrics() - before;
        attach_cost = (
            attach_cost.0 + cost.read_round_trips(),
            attach_cost.1 + cost.write_round_trips,
        );
        let t3 = Instant::now();
        asked.push((t1 - start).as_secs_f64() * 1000.0);
        put.push((t2 - t1).as_secs_f64() * 1000.0);
        attached.push((t3 - t2).as_secs_f64() * 1000.0);
        total.push((t3 - start).as_secs_f64() * 1000.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "
photo upload (48 KB, 20 rounds, median ms): ask {:.1} ({:.1} reads, {:.1} writes), PUT to S3 {:.1}, attach {:.1} ({:.1} reads, {:.1} writes; one HEAD), whole round trip {:.1}",
        median(&mut asked),
        ask_cost.0 as f64 / 20.0,
        ask_cost.1 as f64 / 20.0,
        median(&mut put),
        median(&mut attached),
        attach_cost.0 as f64 / 20.0,
        attach_cost.1 as f64 / 20.0,
        median(&mut total)
    );

    // What AWS bills for each typical operation, computed from the items written, against
    // its floor (tests/src/billing.rs), on a table of its own.
    let billed = TestApp::spawn().await;
    println!("\n| operation | WCU billed (table + indexes) | floor | ratio |");
    println!("|---|---|---|---|");
    for (name, bill) in e2e::billing::typical_operations(&billed).await {
        println!(
            "| {name} | {} ({} + {}) | {} | {:.2} |",
            bill.billed(),
            bill.table,
            bill.indexes,
            bill.floor(),
            bill.ratio()
        );
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

    // Dispatch: T technicians, a visit booked with each (timed), then the day sheet read.
    let app = TestApp::spawn().await;
    let technicians = 50;
    let wednesday = app.advance_to(chrono::Weekday::Wed, 8).await;
    for t in 0..technicians {
        app.put_technician(&format!("tech-{t}"), "Someone", "city", 8)
            .await;
    }
    let dispatcher = app.token(Role::Dispatcher, "dispatcher-bench");
    let mut booking_ms = Vec::new();
    let mut booking_cu = 0.0;
    let mut booked = 0;
    for t in 0..technicians {
        let id = app
            .work_order(
                &format!("c-{t}"),
                &format!("SN-{t}"),
                json!({"area": "remote"}),
            )
            .await;
        let start = (wednesday + chrono::Duration::hours(2)).with_timezone(&chrono::Utc);
        let body = json!({"action": "book", "start": start, "technician": format!("tech-{t}")});
        let before = app.store.metrics();
        let at = Instant::now();
        let response = app
            .post(&format!("/v1/cases/{id}/work"), &dispatcher, &body)
            .await;
        booking_ms.push(at.elapsed().as_secs_f64() * 1000.0);
        booking_cu += (app.store.metrics() - before).capacity_units;
        booked += usize::from(response.status().is_success());
    }
    booking_ms.sort_by(|a, b| a.total_cmp(b));
    let before = app.store.metrics();
    let sheet: Value = app
        .get(
            &format!("/v1/dispatch/day?date={}", wednesday.date_naive()),
            &dispatcher,
        )
        .await
        .json()
        .await
        .unwrap();
    let cost = app.store.metrics() - before;
    let visits: usize = sheet["technicians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["bookings"].as_array().map_or(0, Vec::len))
        .sum();
    println!(
        "\ndispatch: {booked} bookings, median {:.1} ms and {:.1} capacity units each (as DynamoDB Local counts them); day sheet for {technicians} technicians and {visits} visits: {} round trip, {} Queries, {:.1} CU, {} items read",
        booking_ms[booking_ms.len() / 2],
        booking_cu / technicians as f64,
        cost.round_trips,
        cost.requests,
        cost.capacity_units,
        technicians + visits
    );
}
