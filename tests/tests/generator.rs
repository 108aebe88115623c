//! A generator of bad and random requests over every route, against the real stack: malformed
//! JSON, wrong types, huge and negative numbers, long strings, odd unicode, edge dates,
//! crafted cursors, huge limits, forged and valid-but-wrong callers, signed webhook bodies with
//! mutated fields. Whatever it sends, the answer is never a 5xx, the connection never drops,
//! and no handler panics.
//!
//! Seeded and reproducible: the seed is printed (to stderr, past the test harness's capture);
//! `GENERATOR_SEED=<seed>` replays a run, `GENERATOR_REQUESTS=<n>` changes its length.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use aftersales::domain::identity::Role;
use e2e::{
    GENERIC_SECRET, Rng, SHOPIFY_DOMAIN, SHOPIFY_SECRET, TestApp, fixture, json, merchant_day,
};
use reqwest::Method;
use serde_json::{Value, json};

/// Values that have broken parsers and arithmetic somewhere.
fn nasty(rng: &mut Rng) -> Value {
    let long = "x".repeat(10_000);
    let deep = (0..300).fold(json!(1), |v, _| json!([v]));
    let choices: Vec<Value> = vec![
        Value::Null,
        json!(true),
        json!(-1),
        json!(0),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e308),
        json!(-1e308),
        json!(0.5),
        json!(4294967296u64),
        json!(""),
        json!(long),
        json!("\u{202E}gnp.exe"),
        json!("\u{0}"),
        json!("a\nb\r\nc"),
        json!("💥".repeat(500)),
        json!("e\u{301}\u{301}\u{301}\u{301}"),
        json!("2026-13-45"),
        json!("+262142-12-31"),
        json!("-262143-01-01"),
        json!("1969-12-31"),
        json!("2200-12-31T23:59:59Z"),
        json!("+275760-09-13T00:00:00Z"),
        json!("AS2611-00001"),
        json!("../../etc/passwd"),
        json!("<script>alert(1)</script>"),
        json!("' OR 1=1 --"),
        json!("CASE#AS2611-00001"),
        json!([]),
        json!({}),
        deep,
        json!({"__proto__": {"admin": true}}),
    ];
    rng.pick(&choices).clone()
}

/// A copy of `value` with some of its leaves (or the value itself) replaced, some fields
/// dropped and some added.
fn mutate(rng: &mut Rng, value: &Value, depth: usize) -> Value {
    if depth > 0 && rng.chance(12) {
        return nasty(rng);
    }
    match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                if rng.chance(8) {
                    continue;
                }
                out.insert(k.clone(), mutate(rng, v, depth + 1));
            }
            if rng.chance(10) {
                out.insert(
                    rng.pick(&["extra", "action", "type", "units", "admin"])
                        .to_string(),
                    nasty(rng),
                );
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items.iter().map(|v| mutate(rng, v, depth + 1)).collect();
            if rng.chance(10) {
                out.extend(std::iter::repeat_n(
                    items.first().cloned().unwrap_or(Value::Null),
                    rng.below(40),
                ));
            }
            Value::Array(out)
        }
        leaf => {
            if rng.chance(25) {
                nasty(rng)
            } else {
                leaf.clone()
            }
        }
    }
}

/// Bytes that are not the JSON they claim to be.
fn malformed(rng: &mut Rng, valid: &Value) -> Vec<u8> {
    let text = valid.to_string();
    let choices: Vec<Vec<u8>> = vec![
        text.as_bytes()[..text.len() / 2].to_vec(),
        b"{".to_vec(),
        b"".to_vec(),
        b"null".to_vec(),
        b"[1,2,".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        format!("{text}{text}").into_bytes(),
        text.replace('"', "'").into_bytes(),
        b"{\"a\":1e99999}".to_vec(),
        vec![b'['; 100_000],
    ];
    rng.pick(&choices).clone()
}

fn odd_text(rng: &mut Rng) -> String {
    let choices = [
        "AS2611-99999".to_owned(),
        "AS9913-00001".to_owned(),
        format!("AS2611-{}", "9".repeat(12)),
        "x".repeat(3000),
        "%00".to_owned(),
        "%E2%80%AE".to_owned(),
        "..%2F..%2F".to_owned(),
        "%F0%9F%92%A5".to_owned(),
        "erp".to_owned(),
        "SO-2026-000731".to_owned(),
        "-1".to_owned(),
        "".to_owned(),
    ];
    rng.pick(&choices).clone()
}

fn query_value(rng: &mut Rng, cursors: &[String]) -> String {
    let huge = "9".repeat(40);
    let choices = [
        "-1".to_owned(),
        "0".to_owned(),
        "100".to_owned(),
        "101".to_owned(),
        huge,
        "18446744073709551616".to_owned(),
        "1e3".to_owned(),
        "+262142-12-31".to_owned(),
        "2026-02-30".to_owned(),
        "2026-11-24T00:00:00Z".to_owned(),
        "-262143-01-01T00:00:00Z".to_owned(),
        "submitted".to_owned(),
        "return_refund".to_owned(),
        "%ZZ".to_owned(),
        "%F0%9F%92%A5".to_owned(),
        "A".repeat(3000),
        cursors.first().cloned().unwrap_or_default(),
        "eyJQSyI6IkNBU0UjQVMyNjExLTAwMDAxIiwiU0siOiIifQ".to_owned(),
    ];
    let mut v = rng.pick(&choices).clone();
    if rng.chance(20)
        && let Some(c) = cursors.get(rng.below(cursors.len().max(1)))
    {
        let mut bytes = c.clone().into_bytes();
        if !bytes.is_empty() {
            let i = rng.below(bytes.len());
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        }
        v = String::from_utf8(bytes).unwrap_or_default();
    }
    v
}

/// One route, and how to build a plausible request for it.
struct Route {
    method: Method,
    path: &'static str,
    params: &'static [&'static str],
    body: Option<Value>,
}

fn routes() -> Vec<Route> {
    let return_terms = json!({"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
        "model": "TV-55", "currency": "CNY", "unit_price_minor": 399900});
    vec![
        Route {
            method: Method::GET,
            path: "/v1/entitlements",
            params: &[
                "category",
                "invoice_date",
                "receipt_date",
                "factory_date",
                "acceptance_date",
                "exclusions",
                "storefront",
                "order_id",
                "line_id",
            ],
            body: None,
        },
        Route {
            method: Method::POST,
            path: "/v1/cases",
            params: &[],
            body: Some(json!({"type": "repair", "description": "Flicker.",
            "product": {"sku": "TV-55", "serial_number": "SN1"},
            "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
            "contact": {"name": "Wang", "phone": "+86 138 0013 8000", "address": "Beijing"},
            "evidence": [{"type": "photo", "url": "https://cdn.example/a.jpg", "size_bytes": 9, "content_type": "image/jpeg"}]})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases",
            params: &[],
            body: Some(
                json!({"type": "return_refund", "description": "No picture.",
            "purchase": {"category": "television", "invoice_date": merchant_day(-3), "receipt_date": merchant_day(-2)},
            "order": {"storefront": "erp", "order_id": "SO-2026-000731", "line_ids": ["1"]},
            "return_terms": return_terms}),
            ),
        },
        Route {
            method: Method::GET,
            path: "/v1/cases",
            params: &[
                "status",
                "type",
                "customer_id",
                "email",
                "from",
                "to",
                "limit",
                "cursor",
            ],
            body: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/cases/{id}",
            params: &[],
            body: None,
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/evidence",
            params: &[],
            body: Some(json!({"evidence": [
            {"type": "waybill", "url": "https://cdn.example/w.jpg", "size_bytes": 52000, "content_type": "image/png", "note": "the label"}]})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/uploads",
            params: &[],
            body: Some(json!({"content_type": "image/jpeg", "size_bytes": 48213})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/uploads/0123456789abcdef0123456789abcdef",
            params: &[],
            body: Some(json!({"type": "photo", "note": "at ten minutes"})),
        },
        Route {
            method: Method::GET,
            path: "/v1/cases/{id}/evidence/0",
            params: &[],
            body: None,
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/cancel",
            params: &[],
            body: Some(json!({"reason": "fixed itself"})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/return",
            params: &[],
            body: Some(json!({"action": "approve", "reason_code": "ok", "note": "fine"})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/return",
            params: &[],
            body: Some(json!({"action": "receive", "units_received": 1,
            "slip": {"item_number": "TV-55", "item_name": "TV", "quantity": 1, "batch": "B1", "defect": "dead"},
            "missing_accessories": [{"reason": "remote", "amount_minor": 5000}]})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/return",
            params: &[],
            body: Some(json!({"action": "inspect", "fault_confirmed": true,
            "responsibility": "merchant", "resaleable": false, "damage": [{"reason": "scratch", "amount_minor": 100}],
            "dispositions": ["scrap"], "scrap_value_minor": 100, "return_shipping_minor": 3000})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/return",
            params: &[],
            body: Some(json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/return",
            params: &[],
            body: Some(json!({"action": "execute_refund"})),
        },
        Route {
            method: Method::POST,
            path: "/v1/cases/{id}/return",
            params: &[],
            body: Some(json!({"action": "approve_scrap", "reason_code": "ok"})),
        },
        Route {
            method: Method::GET,
            path: "/v1/returns",
            params: &["stage", "limit", "cursor"],
            body: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/orders",
            params: &["customer_id", "email", "limit", "cursor"],
            body: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/orders/{storefront}/{order}",
            params: &[],
            body: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/policy",
            params: &[],
            body: None,
        },
        Route {
            method: Method::PUT,
            path: "/v1/policy",
            params: &[],
            body: Some(
                serde_json::to_value(aftersales::domain::policy::Policy::default())
                    .unwrap_or_default(),
            ),
        },
        Route {
            method: Method::POST,
            path: "/v1/webhooks/generic",
            params: &[],
            body: None,
        },
        Route {
            method: Method::POST,
            path: "/v1/webhooks/shopify",
            params: &[],
            body: None,
        },
        Route {
            method: Method::POST,
            path: "/v1/webhooks/woocommerce",
            params: &[],
            body: None,
        },
        Route {
            method: Method::POST,
            path: "/_dev/clock",
            params: &[],
            body: Some(json!({"hours": 1, "minutes": 0})),
        },
    ]
}

static PANICS: AtomicUsize = AtomicUsize::new(0);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_generated_bad_requests_over_every_route_get_no_5xx_and_no_panic() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let seed: u64 = std::env::var("GENERATOR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().timestamp_nanos_opt().unwrap_or(7) as u64);
    let total: usize = std::env::var("GENERATOR_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2400);
    let _ = writeln!(
        std::io::stderr(),
        "request generator: seed {seed}, {total} requests (GENERATOR_SEED={seed} replays it)"
    );
    let mut rng = Rng(seed);

    let app = TestApp::spawn().await;
    app.generic(&fixture("generic/order-upserted.json"), "gen-order")
        .await;
    app.shopify(
        "orders/create",
        &fixture("shopify/orders-create.json"),
        "gen-o",
    )
    .await;
    let owner = app.linked_customer("wang", Some("erp:C-88"), None);
    let verified = app.linked_customer("jon", None, Some(("john@example.com", true)));
    let mut tokens: Vec<Option<String>> = vec![
        Some(owner.clone()),
        Some(verified),
        Some(app.customer("mallory")),
        None,
        Some("not.a.token".to_owned()),
    ];
    for role in Role::PEOPLE.into_iter().filter(|r| *r != Role::Customer) {
        tokens.push(Some(app.token(role, &format!("{role}-gen"))));
    }
    // Real records and cursors to aim at.
    let mut cases = Vec::new();
    for route in routes()
        .iter()
        .filter(|r| r.path == "/v1/cases" && r.body.is_some())
    {
        let (status, case) = json(
            app.post("/v1/cases", &owner, route.body.as_ref().unwrap())
                .await,
        )
        .await;
        assert!(status.is_success(), "{case}");
        cases.push(case["id"].as_str().unwrap().to_owned());
    }
    let agent = app.token(Role::Agent, "agent-gen");
    let (_, page) = json(app.get("/v1/cases?limit=1", &agent).await).await;
    let cursors: Vec<String> = page["next_cursor"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();

    // A connection per request: a server that closes a connection after an answer (a 413 it
    // did not read the body of) must not make the next request look unanswered.
    let http = e2e::http_client()
        .pool_max_idle_per_host(0)
        .build()
        .expect("an HTTP client");
    let routes = routes();
    let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for i in 0..total {
        let route = &routes[i % routes.len()];
        let mut path = route.path.to_owned();
        if path.contains("{id}") {
            let id = if rng.chance(70) {
                rng.pick(&cases).clone()
            } else {
                odd_text(&mut rng)
            };
            path = path.replace("{id}", &id);
        }
        if path.contains("{storefront}") {
            let (sf, order) = if rng.chance(60) {
                ("erp".to_owned(), "SO-2026-000731".to_owned())
            } else {
                (odd_text(&mut rng), odd_text(&mut rng))
            };
            path = path.replace("{storefront}", &sf).replace("{order}", &order);
        }
        let mut query = Vec::new();
        for p in route.params {
            if rng.chance(40) {
                query.push(format!("{p}={}", query_value(&mut rng, &cursors)));
            }
        }
        if rng.chance(5) {
            query.push(format!("{}={}", odd_text(&mut rng).replace('&', ""), "1"));
        }
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let token = rng.pick(&tokens).clone();
        let mut request = http.request(route.method.clone(), format!("{}{path}", app.base));
        if let Some(t) = &token {
            request = request.bearer_auth(t);
        }
        if rng.chance(5) {
            request = request.header("Idempotency-Key", format!("gen-{}", rng.below(4)));
        }
        if route.method == Method::PUT {
            request = request.header(
                "If-Match",
                rng.pick(&["0", "1", "\"0\"", "x", "99999999999999999999"])
                    .to_string(),
            );
        }
        let body: Option<Vec<u8>> = match (route.path, &route.body) {
            (p, _) if p.starts_with("/v1/webhooks/") => Some(webhook_body(&mut rng)),
            (_, Some(valid)) => Some(if rng.chance(15) {
                malformed(&mut rng, valid)
            } else if rng.chance(10) {
                serde_json::to_vec(valid).unwrap_or_default()
            } else {
                serde_json::to_vec(&mutate(&mut rng, valid, 0)).unwrap_or_default()
            }),
            (_, None) => None,
        };
        if let Some(body) = &body {
            let content_type = if rng.chance(5) {
                "text/plain"
            } else {
                "application/json"
            };
            request = request.header("content-type", content_type);
            request = sign_webhook(&mut rng, route.path, request, body);
            request = request.body(body.clone());
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                *counts.entry(status.as_u16()).or_default() += 1;
                if status.is_server_error() {
                    let text = response.text().await.unwrap_or_default();
                    failures.push(format!(
                        "#{i} {} {path} as {:?}: {status} {text}",
                        route.method,
                        token.as_deref().map(|t| &t[..t.len().min(12)])
                    ));
                }
            }
            Err(e) => failures.push(format!("#{i} {} {path}: no answer ({e})", route.method)),
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "request generator: seed {seed}, {total} requests, status counts {counts:?}"
    );
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "seed {seed}: a handler panicked (see the log above)"
    );
    assert!(counts.values().sum::<usize>() >= 2000);
}

/// A webhook body: a storefront's sample, mutated, or garbage.
fn webhook_body(rng: &mut Rng) -> Vec<u8> {
    let samples = [
        "generic/order-upserted.json",
        "generic/refund-created.json",
        "generic/return-requested.json",
        "shopify/orders-create.json",
        "shopify/refunds-create.json",
        "shopify/returns-request.json",
        "woocommerce/order-created.json",
    ];
    let path: &&str = rng.pick(&samples);
    let raw = fixture(path);
    let sample: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    if rng.chance(15) {
        malformed(rng, &sample)
    } else {
        serde_json::to_vec(&mutate(rng, &sample, 0)).unwrap_or_default()
    }
}

/// Signs most webhook bodies as their storefront would (so that the parsers behind the
/// signature check are reached), some wrongly.
fn sign_webhook(
    rng: &mut Rng,
    path: &str,
    request: reqwest::RequestBuilder,
    body: &[u8],
) -> reqwest::RequestBuilder {
    use aftersales::webhooks::verify::sign;
    let forged = rng.chance(20);
    let secret = |real: &'static str| if forged { "wrong" } else { real };
    match path {
        "/v1/webhooks/generic" => {
            let id = format!("gen-{}", rng.below(1_000_000));
            let ts = if rng.chance(10) {
                *rng.pick(&[i64::MIN, i64::MAX, 0, -1])
            } else {
                chrono::Utc::now().timestamp()
            };
            request
                .header("webhook-id", &id)
                .header("webhook-timestamp", ts.to_string())
                .header(
                    "webhook-signature",
                    // A forged Standard Webhooks secret is still base64 (a key of its own).
                    sign::standard(
                        if forged {
                            "whsec_d3Jvbmcgc2VjcmV0"
                        } else {
                            GENERIC_SECRET
                        },
                        &id,
                        ts,
                        body,
                    )
                    .expect("a base64 secret keys an HMAC"),
                )
        }
        "/v1/webhooks/shopify" => request
            .header(
                "x-shopify-topic",
                *rng.pick(&[
                    "orders/create",
                    "orders/updated",
                    "refunds/create",
                    "returns/request",
                    "returns/cancel",
                    "orders/cancelled",
                    "app/uninstalled",
                ]),
            )
            .header("x-shopify-shop-domain", SHOPIFY_DOMAIN)
            .header(
                "x-shopify-hmac-sha256",
                sign::body_hmac(secret(SHOPIFY_SECRET), body).expect("HMAC takes any key"),
            )
            .header(
                "x-shopify-event-id",
                format!("gen-{}", rng.below(1_000_000)),
            ),
        "/v1/webhooks/woocommerce" => request
            .header("x-wc-webhook-source", e2e::WOO_SOURCE)
            .header(
                "x-wc-webhook-topic",
                *rng.pick(&["order.created", "order.updated", "order.deleted"]),
            )
            .header(
                "x-wc-webhook-signature",
                sign::body_hmac(secret(e2e::WOO_SECRET), body).expect("HMAC takes any key"),
            )
            .header("x-wc-webhook-id", "12")
            .header(
                "x-wc-webhook-delivery-id",
                format!("{}", rng.below(1_000_000)),
            ),
        _ => request,
    }
}
