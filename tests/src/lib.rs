//! Test support: [`TestApp::spawn`] gives each test its own table in the DynamoDB Local that
//! `make test` started, and the local gateway (every router, the authorizer's stand-in)
//! listening on a free port, driven over real HTTP.

pub mod standins;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aftersales::domain::identity::Role;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use local_gateway::auth::DevAuth;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub mod billing;

pub use reqwest::StatusCode;

static TABLES: AtomicU32 = AtomicU32::new(0);

/// The storefronts every test app knows, with the secrets tests sign with. `main` is rotating
/// its secret: both verify.
pub const SHOPIFY_DOMAIN: &str = "jsmith.myshopify.com";
pub const SHOPIFY_SECRET: &str = "shpss_test_secret";
pub const SHOPIFY_OLD_SECRET: &str = "shpss_old_secret";
pub const WOO_SOURCE: &str = "https://example.com/";
pub const WOO_SECRET: &str = "woo test secret";
pub const GENERIC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STOREFRONTS: &str = r#"[
  {"id": "main", "kind": "shopify", "source": "jsmith.myshopify.com",
   "secrets": ["shpss_test_secret", {"value": "shpss_old_secret", "not_after": "2099-01-01T00:00:00Z"}]},
  {"id": "woo", "kind": "woocommerce", "source": "https://example.com", "secrets": ["woo test secret"]},
  {"id": "erp", "kind": "generic", "secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}
]"#;

/// An HTTP client builder for the tests (plain HTTP to the gateway). The workspace's reqwest
/// speaks TLS with no crypto provider of its own (the timers bring theirs): ring is installed
/// as the process's default first.
pub fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub auth: DevAuth,
    /// The same table the gateway uses, for checks the API cannot make.
    pub store: Store,
    /// The gateway's clock and timers, as `make dev` has them.
    pub stack: local_gateway::gateway::Stack,
}

/// A client of the DynamoDB Local that `make test` started and named in `DYNAMODB_ENDPOINT`.
///
/// Patient: the functions' own timeouts (a second an attempt) are for DynamoDB, which answers
/// in milliseconds; a DynamoDB Local that has just started, on a busy two-core machine, under
/// fifty concurrent requests, may take longer, and a test asserts behaviour, not speed. The
/// fault test keeps the functions' timeouts ([`TestApp::spawn_on`]).
pub fn dynamodb() -> aws_sdk_dynamodb::Client {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("DYNAMODB_ENDPOINT is not set: run the tests with `make test`, which starts DynamoDB Local")
    });
    let patient = aftersales::config::DynamoTimeouts {
        connect: Duration::from_secs(10),
        attempt: Duration::from_secs(20),
        operation: Duration::from_secs(60),
    };
    local_gateway::schema::dynamodb_local_client_with(&endpoint, patient)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with_storefronts(STOREFRONTS).await
    }

    /// With other storefronts than the default ones (JSON, as `STOREFRONTS`).
    pub async fn spawn_with_storefronts(storefronts_json: &str) -> Self {
        Self::spawn_against(dynamodb(), storefronts_json).await
    }

    /// Against a DynamoDB of the test's own (a fault test freezes it), with the functions'
    /// own timeouts.
    pub async fn spawn_on(endpoint: &str) -> Self {
        Self::spawn_against(
            local_gateway::schema::dynamodb_local_client_with(
                endpoint,
                aftersales::config::DynamoTimeouts::default(),
            ),
            STOREFRONTS,
        )
        .await
    }

    async fn spawn_against(client: aws_sdk_dynamodb::Client, storefronts_json: &str) -> Self {
        let table = format!(
            "t-{}-{}-{}",
            std::process::id(),
            TABLES.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        local_gateway::schema::ensure_table(&client, &table)
            .await
            .expect("create the test table");
        let store = Store::new(client, table, aftersales::store::CursorKey::random());
        let auth = DevAuth::new(format!(
            "test-secret-{}",
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        let storefronts = Storefronts::parse(storefronts_json).expect("test storefronts");
        // Storefront stand-ins answer at once or not at all: a late answer is a timeout soon.
        let stack = local_gateway::gateway::Stack::new(store.clone(), storefronts)
            .with_storefront_timeout(Duration::from_secs(2));
        let app = stack.router(auth.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self {
            base,
            http: http_client().build().expect("an HTTP client"),
            auth,
            store,
            stack,
        }
    }

    pub fn token(&self, role: Role, sub: &str) -> String {
        self.auth.token(sub, role, None, 1)
    }

    pub fn customer(&self, sub: &str) -> String {
        self.token(Role::Customer, sub)
    }

    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
    }

    /// A request without a token (a public route, or a caller who did not sign in).
    pub fn http_request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// The ids of a listing's first page, in the order given (the listing must answer 200).
    pub async fn listed_ids(&self, path: &str, token: &str) -> Vec<String> {
        let (status, page) = json(self.get(path, token).await).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        page["items"]
            .as_array()
            .expect("a page of items")
            .iter()
            .map(|c| c["id"].as_str().expect("an id").to_owned())
            .collect()
    }
}

static ORDERS: AtomicU32 = AtomicU32::new(0);

impl TestApp {
    /// A new storefront order (the generic sample's: a 3 999 yuan television, delivered) of
    /// customer `erp:C-88`, under a fresh id, which it answers.
    pub async fn owners_order(&self) -> String {
        let mut body: Value =
            serde_json::from_slice(&fixture("generic/order-upserted.json")).expect("JSON");
        let id = format!("SO-T-{}", ORDERS.fetch_add(1, Ordering::Relaxed));
        body["data"]["order_id"] = Value::String(id.clone());
        let body = serde_json::to_vec(&body).expect("JSON");
        let response = self.generic(&body, &format!("order-{id}")).await;
        assert!(response.status().is_success(), "the order {id} is stored");
        id
    }

    /// Runs the timers two minutes apart until nothing is due (at most ten runs): the outbox
    /// messages settled (done, refused or not written) on the way.
    pub async fn run_timers_until_quiet(&self) -> usize {
        let mut settled = 0;
        for _ in 0..10 {
            self.stack.clock.advance(chrono::Duration::minutes(2));
            let report = self.stack.run_timers().await.expect("a timers run");
            settled += report.delivered;
            if report.due_read == 0 {
                return settled;
            }
        }
        panic!("the timers never went quiet");
    }

    /// Moves the gateway's clock forward, as `make dev` allows and no Lambda can; the timers
    /// run then. Answers what the gateway said (the new time, the timers' report).
    pub async fn advance_clock(&self, hours: i64) -> Value {
        self.http
            .post(format!("{}/_dev/clock", self.base))
            .json(&serde_json::json!({ "hours": hours }))
            .send()
            .await
            .expect("POST /_dev/clock")
            .json()
            .await
            .unwrap_or(Value::Null)
    }

    /// A case as staff read it (an agent).
    pub async fn case_as_staff(&self, id: &str) -> Value {
        let agent = self.token(Role::Agent, "agent-read");
        json(self.get(&format!("/v1/cases/{id}"), &agent).await)
            .await
            .1
    }

    /// Changes the merchant's policy as an admin would: read it, change some fields, put it
    /// back with the version read. Answers the status and body of the `PUT`.
    pub async fn change_policy(&self, change: impl FnOnce(&mut Value)) -> (StatusCode, Value) {
        let admin = self.token(Role::Admin, "admin-policy");
        let (_, current) = json(self.get("/v1/policy", &admin).await).await;
        let mut policy = current["policy"].clone();
        change(&mut policy);
        json(
            self.request(Method::PUT, "/v1/policy", &admin)
                .header("If-Match", current["version"].to_string())
                .json(&policy)
                .send()
                .await
                .expect("PUT /v1/policy"),
        )
        .await
    }
}

/// The JSON body of a response, with its status, for assertions.
pub async fn json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Today's date for the merchant (UTC+8 by default), shifted by `days`.
pub fn merchant_day(days: i64) -> String {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("offset");
    (chrono::Utc::now().with_timezone(&beijing).date_naive() + chrono::Duration::days(days))
        .to_string()
}

/// A fixture body from `tests/fixtures/`, byte for byte.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A fixture with some top-level fields replaced (a later version of the same order...).
pub fn fixture_with(path: &str, changes: serde_json::Value) -> Vec<u8> {
    let mut body: Value = serde_json::from_slice(&fixture(path)).expect("fixture is JSON");
    if let (Some(target), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            target.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec(&body).expect("JSON")
}

impl TestApp {
    /// A customer's token as the identity provider would issue it: optionally linked to a
    /// storefront account (`main:<id>`) and with an e-mail, verified or not.
    pub fn linked_customer(
        &self,
        sub: &str,
        storefront_customer: Option<&str>,
        email: Option<(&str, bool)>,
    ) -> String {
        let mut claims = self.auth.claims(sub, Role::Customer, 1);
        claims.storefront_customer_id = storefront_customer.map(str::to_owned);
        if let Some((email, verified)) = email {
            claims.email = Some(email.to_owned());
            claims.email_verified = Some(verified);
        }
        self.auth.sign(&claims)
    }

    /// A Shopify delivery, signed with `secret` as Shopify signs: the body's HMAC, base64.
    pub async fn shopify_with(
        &self,
        topic: &str,
        body: &[u8],
        event_id: &str,
        secret: &str,
        domain: &str,
    ) -> Response {
        self.http
            .post(format!("{}/v1/webhooks/shopify", self.base))
            .header("content-type", "application/json")
            .header("x-shopify-topic", topic)
            .header("x-shopify-shop-domain", domain)
            .header(
                "x-shopify-hmac-sha256",
                aftersales::webhooks::verify::sign::body_hmac(secret, body)
                    .expect("HMAC takes any key"),
            )
            .header("x-shopify-event-id", event_id)
            .header(
                "x-shopify-webhook-id",
                format!(
                    "delivery-{}",
                    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
                ),
            )
            .header("x-shopify-triggered-at", "2022-01-05T13:00:00.000000Z")
            .header("x-shopify-api-version", "2026-07")
            .body(body.to_vec())
            .send()
            .await
            .expect("POST shopify webhook")
    }

    pub async fn shopify(&self, topic: &str, body: &[u8], event_id: &str) -> Response {
        self.shopify_with(topic, body, event_id, SHOPIFY_SECRET, SHOPIFY_DOMAIN)
            .await
    }

    /// A WooCommerce delivery for webhook 12, signed as WooCommerce signs.
    pub async fn woocommerce(&self, topic: &str, body: &[u8], delivery_id: &str) -> Response {
        let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
        self.http
            .post(format!("{}/v1/webhooks/woocommerce", self.base))
            .header("content-type", "application/json")
            .header("x-wc-webhook-source", WOO_SOURCE)
            .header("x-wc-webhook-topic", topic)
            .header("x-wc-webhook-resource", resource)
            .header("x-wc-webhook-event", event)
            .header(
                "x-wc-webhook-signature",
                aftersales::webhooks::verify::sign::body_hmac(WOO_SECRET, body)
                    .expect("HMAC takes any key"),
            )
            .header("x-wc-webhook-id", "12")
            .header("x-wc-webhook-delivery-id", delivery_id)
            .body(body.to_vec())
            .send()
            .await
            .expect("POST woocommerce webhook")
    }

    /// A Standard Webhooks delivery with the given signature header.
    pub async fn generic_raw(
        &self,
        body: &[u8],
        id: &str,
        timestamp: i64,
        signature: &str,
    ) -> Response {
        self.http
            .post(format!("{}/v1/webhooks/generic", self.base))
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_vec())
            .send()
            .await
            .expect("POST generic webhook")
    }

    /// A Standard Webhooks delivery signed now with the generic storefront's secret.
    pub async fn generic(&self, body: &[u8], id: &str) -> Response {
        let ts = chrono::Utc::now().timestamp();
        let signature = aftersales::webhooks::verify::sign::standard(GENERIC_SECRET, id, ts, body)
            .expect("HMAC takes any key");
        self.generic_raw(body, id, ts, &signature).await
    }
}

/// Dispatch: technicians, the clock set to a working hour, work orders.
impl TestApp {
    /// Moves the gateway's clock to the next `weekday` (at least a day ahead) at `hour`:00 in
    /// the merchant's time (Beijing), the timers running on the way; answers that moment.
    pub async fn advance_to(
        &self,
        weekday: chrono::Weekday,
        hour: u32,
    ) -> chrono::DateTime<chrono::FixedOffset> {
        use chrono::Datelike;
        let beijing = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
        let (_, clock) = json(
            self.http
                .get(format!("{}/_dev/clock", self.base))
                .send()
                .await
                .expect("GET /_dev/clock"),
        )
        .await;
        let now: chrono::DateTime<chrono::Utc> =
            clock["now"].as_str().expect("now").parse().expect("a time");
        let now = now.with_timezone(&beijing);
        let mut day = now.date_naive() + chrono::Duration::days(1);
        while day.weekday() != weekday {
            day += chrono::Duration::days(1);
        }
        let target = day
            .and_hms_opt(hour, 0, 0)
            .and_then(|t| t.and_local_timezone(beijing).single())
            .expect("a time");
        let minutes = (target - now).num_minutes() + 1;
        let moved = self
            .http
            .post(format!("{}/_dev/clock", self.base))
            .json(&serde_json::json!({ "minutes": minutes }))
            .send()
            .await
            .expect("POST /_dev/clock");
        assert!(moved.status().is_success(), "the clock moves");
        target
    }

    /// Adds a technician (as the dispatcher) working 9:00 to 18:00 Monday to Friday, with the
    /// `television` skill, serving district 420102 as `band`.
    pub async fn put_technician(&self, id: &str, name: &str, band: &str, capacity: u32) -> Value {
        let dispatcher = self.token(Role::Dispatcher, "dispatcher-setup");
        let day = serde_json::json!([540, 1080]);
        let (status, body) = json(
            self.request(Method::PUT, &format!("/v1/technicians/{id}"), &dispatcher)
                .json(&serde_json::json!({
                    "name": name,
                    "skills": ["television"],
                    "districts": {"420102": band},
                    "hours": [day, day, day, day, day, null, null],
                    "daily_capacity": capacity
                }))
                .send()
                .await
                .expect("PUT /v1/technicians"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// A repair filed by customer `customer` (a serial number, an address) and opened as a
    /// work order by customer service with `open` merged into an on-site visit of 60 minutes
    /// in district 420102: answers the case's id.
    pub async fn work_order(&self, customer: &str, serial: &str, open: Value) -> String {
        let token = self.customer(customer);
        let (status, case) = json(
            self.post(
                "/v1/cases",
                &token,
                &serde_json::json!({
                    "type": "repair",
                    "description": "No picture, sound only.",
                    "contact": {"name": "Li Lei", "phone": "13800138000", "address": "1 Jiefang Road, Wuhan", "attribute": "annual_contract"},
                    "product": {"sku": "TV-55X", "serial_number": serial},
                    "purchase": {"category": "television", "invoice_date": merchant_day(-60)}
                }),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        let id = case["id"].as_str().expect("an id").to_owned();
        let mut body = serde_json::json!({
            "action": "open", "kind": "on_site", "skill": "television", "district": "420102",
            "area": "city", "service": "Diagnose and repair the picture", "expected_minutes": 60
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), open.as_object()) {
            body.extend(extra.clone());
        }
        let agent = self.token(Role::Agent, "agent-open");
        let (status, opened) = json(
            self.post(&format!("/v1/cases/{id}/work"), &agent, &body)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{opened}");
        id
    }
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
