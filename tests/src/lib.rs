//! Test support: [`TestApp::spawn`] gives each test its own table in the DynamoDB Local that
//! `make test` started, and the local gateway (every router, the authorizer's stand-in)
//! listening on a free port, driven over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aftersales::clock::SystemClock;
use aftersales::domain::identity::Role;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use local_gateway::auth::DevAuth;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

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

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub auth: DevAuth,
    /// The same table the gateway uses, for checks the API cannot make.
    pub store: Store,
}

/// A client of the DynamoDB Local that `make test` started and named in `DYNAMODB_ENDPOINT`.
pub fn dynamodb() -> aws_sdk_dynamodb::Client {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("DYNAMODB_ENDPOINT is not set: run the tests with `make test`, which starts DynamoDB Local")
    });
    local_gateway::schema::dynamodb_local_client(&endpoint)
}

impl TestApp {
    pub async fn spawn() -> Self {
        let client = dynamodb();
        let table = format!(
            "t-{}-{}-{}",
            std::process::id(),
            TABLES.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        local_gateway::schema::ensure_table(&client, &table)
            .await
            .expect("create the test table");
        let store = Store::new(client, table);
        let auth = DevAuth::new(format!(
            "test-secret-{}",
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        let storefronts = Storefronts::parse(STOREFRONTS).expect("test storefronts");
        let app = local_gateway::gateway::app(
            store.clone(),
            Arc::new(SystemClock),
            auth.clone(),
            storefronts,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self {
            base,
            http: reqwest::Client::new(),
            auth,
            store,
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
