//! Intake: how customers (mobile app) and agents (hotline, admin page) file after-sales cases,
//! look up what a purchase is owed, follow a case's timeline, add evidence and cancel.
//!
//! The router is served by the Lambda runtime in AWS (`main.rs`) and by the local gateway on a
//! laptop; handlers only parse, load, decide (in `aftersales::domain`), write and answer.
//!
//! | route                                | who                                  |
//! |--------------------------------------|--------------------------------------|
//! | `GET  /v1/entitlements`              | anyone signed in                     |
//! | `POST /v1/cases`                     | a customer for themselves, an agent for a customer |
//! | `GET  /v1/cases`                     | a customer: their own; staff: the queue |
//! | `GET  /v1/cases/{id}`                | the case's customer, staff           |
//! | `POST /v1/cases/{id}/evidence`       | the case's customer, staff           |
//! | `POST /v1/cases/{id}/cancel`         | the case's customer, an agent        |
//! | `GET  /v1/orders`, `GET /v1/orders/{storefront}/{id}` | the order's customer, staff |
//! | `POST /v1/webhooks/{shopify,woocommerce,generic}` | storefronts (signed bodies, no token) |
//! | `GET/PUT /v1/policy`                 | staff read, an admin changes         |

mod cases;
mod entitlements;
mod orders;
mod policy;
mod webhooks;

use std::future::Future;
use std::sync::Arc;

use aftersales::clock::SharedClock;
use aftersales::http::problem;
use aftersales::policy_cache::PolicyCache;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use axum::Router;
use axum::routing::{get, post};

/// What every handler shares: built once per process.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub policy: PolicyCache,
    pub clock: SharedClock,
    /// The connected storefronts and their webhook secrets.
    pub storefronts: Arc<Storefronts>,
}

impl AppState {
    pub fn new(store: Store, clock: SharedClock, storefronts: Storefronts) -> Self {
        Self {
            store,
            policy: PolicyCache::default(),
            clock,
            storefronts: Arc::new(storefronts),
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/entitlements",
            get(entitlements::look_up).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/cases",
            post(cases::file)
                .get(cases::list)
                .fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/cases/{id}",
            get(cases::read).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/cases/{id}/evidence",
            post(cases::add_evidence).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/cases/{id}/cancel",
            post(cases::cancel).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/orders",
            get(orders::list).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/orders/{storefront}/{order_id}",
            get(orders::read).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/webhooks/shopify",
            post(webhooks::shopify).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/webhooks/woocommerce",
            post(webhooks::woocommerce).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/webhooks/generic",
            post(webhooks::generic).fallback(problem::method_not_allowed),
        )
        .route(
            "/v1/policy",
            get(policy::read)
                .put(policy::replace)
                .fallback(problem::method_not_allowed),
        )
        .fallback(problem::not_found)
        .with_state(state)
}

/// Runs a read-decide-write step again when another writer got there first: the second
/// attempt reads the new version and decides on it. After a few tries the conflict is the
/// caller's to resolve (409).
pub(crate) async fn retry_on_conflict<T, F, Fut>(
    mut step: F,
) -> Result<T, aftersales::http::ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, aftersales::http::ApiError>>,
{
    const ATTEMPTS: usize = 3;
    let mut attempt = 1;
    loop {
        match step().await {
            Err(aftersales::http::ApiError::Conflict(_)) if attempt < ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

/// Builds the DynamoDB client from the environment; `DYNAMODB_ENDPOINT` points it at
/// DynamoDB Local.
pub async fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}
