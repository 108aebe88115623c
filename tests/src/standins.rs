//! Stand-ins of the storefronts' own APIs, on a free local port, speaking their documented
//! request and answer shapes: Shopify's Admin GraphQL (documents with variables, `userErrors`,
//! `THROTTLED` with `extensions.cost`, 5xx, slow answers; `@idempotent` keys remembered) and
//! WooCommerce's REST API v3 (refunds and notes, Basic auth, `{code, message, data}` errors).
//! Each records every call it was made, in order, for the tests to assert.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// One call as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: Instant,
    pub method: String,
    pub path: String,
    /// Shopify: the document's root field (`returnApproveRequest`, `order`...).
    pub operation: String,
    /// Shopify: the document; WooCommerce: empty.
    pub document: String,
    /// Shopify: the variables; WooCommerce: the JSON body.
    pub body: Value,
}

/// What the next call to an operation meets instead of a plain answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Shopify: `THROTTLED`, with this cost and bucket.
    Throttled {
        requested: f64,
        available: f64,
        restore_rate: f64,
    },
    /// Shopify: a `userErrors` entry with this message.
    UserError(&'static str),
    /// An HTTP status with the API's error body.
    Status(u16),
    /// WooCommerce: an error of this status, code and message.
    WooError(u16, &'static str, &'static str),
    /// Does it, then answers only after this long (the caller has timed out by then).
    SlowAfterDoing(Duration),
}

#[derive(Default)]
struct Shop {
    calls: Vec<Call>,
    faults: HashMap<String, VecDeque<Fault>>,
    /// Shopify: return gid → status. WooCommerce: unused.
    returns: HashMap<String, String>,
    /// Refunds made: Shopify `{id, note, key, input}`, WooCommerce the refund as answered.
    refunds: Vec<Value>,
    notes: Vec<Value>,
    /// Shopify's `@idempotent` keys and the answer each had.
    keys: HashMap<String, Value>,
    next_id: u64,
}

#[derive(Clone)]
pub struct StandIn {
    pub url: String,
    shop: Arc<Mutex<Shop>>,
}

impl StandIn {
    /// Every call made so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shop.lock().unwrap().calls.clone()
    }
    /// The operation of every call (Shopify's root field; WooCommerce's method and path).
    pub fn operations(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.operation).collect()
    }
    /// The calls to `operation`.
    pub fn calls_to(&self, operation: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.operation == operation)
            .collect()
    }
    /// The next call to `operation` meets `fault` (faults queue up in order).
    pub fn fail_next(&self, operation: &str, fault: Fault) {
        self.shop
            .lock()
            .unwrap()
            .faults
            .entry(operation.to_owned())
            .or_default()
            .push_back(fault);
    }
    pub fn refunds(&self) -> Vec<Value> {
        self.shop.lock().unwrap().refunds.clone()
    }
    pub fn notes(&self) -> Vec<Value> {
        self.shop.lock().unwrap().notes.clone()
    }
    /// Shopify: the status of a return.
    pub fn return_status(&self, gid: &str) -> Option<String> {
        self.shop.lock().unwrap().returns.get(gid).cloned()
    }

    fn record(&self, call: Call) -> Option<Fault> {
        let mut shop = self.shop.lock().unwrap();
        let fault = shop
            .faults
            .get_mut(&call.operation)
            .and_then(VecDeque::pop_front);
        shop.calls.push(call);
        fault
    }

    async fn serve(router: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
        url
    }
}

/// The Shopify stand-in's access token.
pub const SHOPIFY_TOKEN: &str = "shpat_standin_token";
/// The return of `fixtures/shopify/returns-request.json`, its order, line and fulfillment line.
pub const SHOPIFY_RETURN: &str = "gid://shopify/Return/1097707602";
pub const SHOPIFY_ORDER: &str = "gid://shopify/Order/820982911946154508";
const SHOPIFY_RETURN_LINE: &str = "gid://shopify/ReturnLineItem/677614678";
const SHOPIFY_FULFILLMENT_LINE: &str = "gid://shopify/FulfillmentLineItem/445529754";
pub const SHOPIFY_REVERSE_LINE: &str = "gid://shopify/ReverseFulfillmentOrderLineItem/301";
pub const SHOPIFY_LOCATION: &str = "gid://shopify/Location/41";
pub const SHOPIFY_SALE: &str = "gid://shopify/OrderTransaction/5001";

/// A shop on Shopify holding the fixture's order and its requested return.
pub async fn shopify() -> StandIn {
    let shop = Shop {
        returns: HashMap::from([(SHOPIFY_RETURN.to_owned(), "REQUESTED".to_owned())]),
        next_id: 900,
        ..Shop::default()
    };
    let stand_in = StandIn {
        url: String::new(),
        shop: Arc::new(Mutex::new(shop)),
    };
    let router = axum::Router::new()
        .route("/admin/api/2026-04/graphql.json", post(shopify_graphql))
        .with_state(stand_in.clone());
    StandIn {
        url: StandIn::serve(router).await,
        ..stand_in
    }
}

/// The root field a document asks for: the first name after its first `{`.
fn root_field(document: &str) -> String {
    document
        .split_once('{')
        .map(|(_, rest)| rest.trim_start())
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn cost() -> Value {
    json!({"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}}})
}

fn graphql(data: Value) -> Response {
    axum::Json(json!({"data": data, "extensions": cost()})).into_response()
}

fn user_error(field: &str, code: &str, message: &str) -> Value {
    json!([{"field": [field], "code": code, "message": message}])
}

async fn shopify_graphql(
    State(stand_in): State<StandIn>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        != Some(SHOPIFY_TOKEN)
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})),
        )
            .into_response();
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"errors": "Bad Request"})),
        )
            .into_response();
    };
    let document = request["query"].as_str().unwrap_or("").to_owned();
    let variables = request["variables"].clone();
    let operation = root_field(&document);
    let fault = stand_in.record(Call {
        at: Instant::now(),
        method: "POST".into(),
        path: "/admin/api/2026-04/graphql.json".into(),
        operation: operation.clone(),
        document: document.clone(),
        body: variables.clone(),
    });
    let mut slow = None;
    match fault {
        Some(Fault::Throttled {
            requested,
            available,
            restore_rate,
        }) => {
            return axum::Json(json!({
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": null,
                    "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available,
                    "restoreRate": restore_rate}}}
            }))
            .into_response();
        }
        Some(Fault::Status(status)) => {
            return (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                axum::Json(json!({"errors": "Internal error. Looks like something went wrong on our end."})),
            )
                .into_response();
        }
        Some(Fault::UserError(message)) => {
            let field = if operation == "refundCreate" {
                "orderId"
            } else {
                "id"
            };
            return graphql(
                json!({operation.clone(): {"userErrors": user_error(field, "INVALID", message)}}),
            );
        }
        Some(Fault::SlowAfterDoing(wait)) => slow = Some(wait),
        Some(Fault::WooError(..)) | None => {}
    }
    let answer = {
        let mut shop = stand_in.shop.lock().unwrap();
        shopify_answer(&mut shop, &operation, &document, &variables)
    };
    if let Some(wait) = slow {
        tokio::time::sleep(wait).await;
    }
    answer
}

fn shopify_answer(shop: &mut Shop, operation: &str, document: &str, variables: &Value) -> Response {
    let input = &variables["input"];
    // A mutation on a return in the wrong state: Shopify's INVALID_STATE.
    let transition = |shop: &mut Shop, id: &str, from: &str, to: &str, what: &str| -> Value {
        match shop.returns.get(id).map(String::as_str) {
            Some(status) if status == from => {
                shop.returns.insert(id.to_owned(), to.to_owned());
                json!({"return": {"id": id, "status": to}, "userErrors": []})
            }
            Some(_) => json!({"return": null, "userErrors": user_error("id", "INVALID_STATE",
                &format!("Return is not {what}. Only returns with status {from} can be {what}."))}),
            None => {
                json!({"return": null, "userErrors": user_error("id", "NOT_FOUND", "Return does not exist.")})
            }
        }
    };
    match operation {
        "returnApproveRequest" => {
            let id = input["id"].as_str().unwrap_or("");
            let out = transition(shop, id, "REQUESTED", "OPEN", "approvable");
            graphql(json!({"returnApproveRequest": out}))
        }
        "returnDeclineRequest" => {
            let reason = input["declineReason"].as_str().unwrap_or("");
            if !["FINAL_SALE", "RETURN_PERIOD_ENDED", "OTHER"].contains(&reason) {
                return axum::Json(json!({"errors": [{"message": format!(
                    "Variable $input of type ReturnDeclineRequestInput! was provided invalid value for declineReason (Expected \"{reason}\" to be one of: FINAL_SALE, RETURN_PERIOD_ENDED, OTHER)"),
                    "extensions": {"code": "INVALID_VARIABLE"}}]}))
                .into_response();
            }
            let id = input["id"].as_str().unwrap_or("");
            let out = transition(shop, id, "REQUESTED", "DECLINED", "declinable");
            graphql(json!({"returnDeclineRequest": out}))
        }
        "return" => {
            let id = variables["id"].as_str().unwrap_or("");
            let Some(status) = shop.returns.get(id) else {
                return graphql(json!({"return": null, "location": {"id": SHOPIFY_LOCATION}}));
            };
            graphql(json!({
                "return": {
                    "id": id, "status": status,
                    "returnLineItems": {"nodes": [{"id": SHOPIFY_RETURN_LINE, "quantity": 1,
                        "fulfillmentLineItem": {"id": SHOPIFY_FULFILLMENT_LINE,
                            "lineItem": {"id": "gid://shopify/LineItem/866550311766439020"}}}]},
                    "reverseFulfillmentOrders": {"nodes": [{"lineItems": {"nodes": [{
                        "id": SHOPIFY_REVERSE_LINE, "totalQuantity": 1,
                        "fulfillmentLineItem": {"id": SHOPIFY_FULFILLMENT_LINE}}]}}]}
                },
                "location": {"id": SHOPIFY_LOCATION}
            }))
        }
        "returnProcess" => {
            let id = input["returnId"].as_str().unwrap_or("");
            let restock_without_location = input["returnLineItems"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|l| l["dispositions"].as_array().cloned().unwrap_or_default())
                .any(|d| d["dispositionType"] == "RESTOCKED" && d["locationId"].is_null());
            if restock_without_location {
                return graphql(json!({"returnProcess": {"return": null, "userErrors":
                    user_error("returnLineItems", "INVALID", "Location is required when restocking.")}}));
            }
            let out = transition(shop, id, "OPEN", "CLOSED", "processable");
            graphql(json!({"returnProcess": out}))
        }
        "order" => {
            let id = variables["id"].as_str().unwrap_or("");
            if id != SHOPIFY_ORDER {
                return graphql(json!({"order": null}));
            }
            let refunds: Vec<Value> = shop
                .refunds
                .iter()
                .map(|r| json!({"id": r["id"], "note": r["note"]}))
                .collect();
            graphql(json!({"order": {"id": id, "refunds": refunds, "transactions": [
                {"id": "gid://shopify/OrderTransaction/5000", "kind": "AUTHORIZATION", "status": "SUCCESS", "gateway": "shopify_payments"},
                {"id": SHOPIFY_SALE, "kind": "SALE", "status": "SUCCESS", "gateway": "shopify_payments"}
            ]}}))
        }
        "refundCreate" => {
            // Mandatory from 2026-04: a refund without its key is refused at run time.
            let Some(key) = document
                .split_once("@idempotent(key: \"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(key, _)| key.to_owned())
            else {
                return axum::Json(json!({"errors": [{"message":
                    "The @idempotent directive is required for this mutation.",
                    "extensions": {"code": "BAD_REQUEST"}}]}))
                .into_response();
            };
            if let Some(answer) = shop.keys.get(&key) {
                return graphql(answer.clone());
            }
            shop.next_id += 1;
            let refund = json!({
                "id": format!("gid://shopify/Refund/{}", shop.next_id),
                "note": input["note"],
                "key": key,
                "input": input,
            });
            shop.refunds.push(refund.clone());
            let answer = json!({"refundCreate": {"refund": {"id": refund["id"], "note": refund["note"],
                "totalRefundedSet": {"presentmentMoney": {"amount": input["transactions"][0]["amount"], "currencyCode": input["currency"]}}},
                "userErrors": []}});
            shop.keys.insert(key, answer.clone());
            graphql(answer)
        }
        other => axum::Json(json!({"errors": [{"message": format!("Field '{other}' doesn't exist on type 'QueryRoot'"),
            "extensions": {"code": "undefinedField"}}]}))
        .into_response(),
    }
}

/// The WooCommerce stand-in's REST API key.
pub const WOO_KEY: &str = "ck_standin";
pub const WOO_SECRET_KEY: &str = "cs_standin";

/// A WordPress site with WooCommerce, holding order 727 of `fixtures/woocommerce`.
pub async fn woocommerce() -> StandIn {
    let stand_in = StandIn {
        url: String::new(),
        shop: Arc::new(Mutex::new(Shop {
            next_id: 730,
            ..Shop::default()
        })),
    };
    let router = axum::Router::new()
        .route(
            "/wp-json/wc/v3/orders/{order}/refunds",
            post(woo_create).get(woo_list),
        )
        .route(
            "/wp-json/wc/v3/orders/{order}/notes",
            post(woo_create).get(woo_list),
        )
        .with_state(stand_in.clone());
    StandIn {
        url: StandIn::serve(router).await,
        ..stand_in
    }
}

fn woo_error(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(json!({"code": code, "message": message, "data": {"status": status}})),
    )
        .into_response()
}

fn woo_authorized(headers: &HeaderMap) -> bool {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{WOO_KEY}:{WOO_SECRET_KEY}"))
    );
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn woo_call(stand_in: &StandIn, method: &str, uri: &axum::http::Uri, body: Value) -> Option<Fault> {
    let path = uri.path().to_owned();
    stand_in.record(Call {
        at: Instant::now(),
        method: method.into(),
        operation: format!("{method} {}", path.rsplit('/').next().unwrap_or("")),
        path,
        document: String::new(),
        body,
    })
}

async fn woo_create(
    State(stand_in): State<StandIn>,
    Path(order): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let fault = woo_call(&stand_in, "POST", &uri, body.clone());
    if !woo_authorized(&headers) {
        return woo_error(
            401,
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        );
    }
    if order != "727" {
        return woo_error(
            404,
            "woocommerce_rest_invalid_order_id",
            "Invalid order ID.",
        );
    }
    let mut slow = None;
    match fault {
        Some(Fault::WooError(status, code, message)) => return woo_error(status, code, message),
        Some(Fault::Status(status)) => {
            return woo_error(
                status,
                "internal_server_error",
                "There has been a critical error on this website.",
            );
        }
        Some(Fault::SlowAfterDoing(wait)) => slow = Some(wait),
        _ => {}
    }
    let refund = uri.path().ends_with("/refunds");
    let made = {
        let mut shop = stand_in.shop.lock().unwrap();
        shop.next_id += 1;
        let id = shop.next_id;
        if refund {
            let amount = body["amount"].as_str().unwrap_or("0").to_owned();
            if amount.parse::<f64>().map_or(true, |a| a <= 0.0) {
                return woo_error(
                    400,
                    "woocommerce_rest_invalid_order_refund",
                    "Refund amount must be greater than zero.",
                );
            }
            let made = json!({
                "id": id, "date_created": "2026-12-03T10:00:00", "amount": amount,
                "reason": body["reason"], "refunded_by": 1,
                "refunded_payment": body["api_refund"].as_bool().unwrap_or(true),
                "line_items": body["line_items"], "meta_data": [],
            });
            shop.refunds.push(made.clone());
            made
        } else {
            let made = json!({"id": id, "author": "system", "date_created": "2026-12-03T10:00:00",
                "note": body["note"], "customer_note": body["customer_note"].as_bool().unwrap_or(false)});
            shop.notes.push(made.clone());
            made
        }
    };
    if let Some(wait) = slow {
        tokio::time::sleep(wait).await;
    }
    (StatusCode::CREATED, axum::Json(made)).into_response()
}

async fn woo_list(
    State(stand_in): State<StandIn>,
    Path(order): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let fault = woo_call(&stand_in, "GET", &uri, Value::Null);
    if !woo_authorized(&headers) {
        return woo_error(
            401,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        );
    }
    if order != "727" {
        return woo_error(
            404,
            "woocommerce_rest_invalid_order_id",
            "Invalid order ID.",
        );
    }
    if let Some(Fault::Status(status)) = fault {
        return woo_error(
            status,
            "internal_server_error",
            "There has been a critical error on this website.",
        );
    }
    let shop = stand_in.shop.lock().unwrap();
    let list = if uri.path().ends_with("/refunds") {
        shop.refunds.clone()
    } else {
        shop.notes.clone()
    };
    axum::Json(Value::Array(list.into_iter().rev().collect())).into_response()
}
