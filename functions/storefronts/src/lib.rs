//! Storefronts: the deliveries of Shopify, WooCommerce and any Standard Webhooks sender, each
//! verified and applied once, and the orders they bring, as their customers and staff read
//! them.
//!
//! | route                                | who                                  |
//! |--------------------------------------|--------------------------------------|
//! | `POST /v1/webhooks/{shopify,woocommerce,generic}` | storefronts (signed bodies, no token) |
//! | `GET  /v1/orders`, `GET /v1/orders/{storefront}/{id}` | the order's customer, staff |

mod orders;
mod webhooks;

pub use webhooks::MAX_WEBHOOK_BYTES;

use std::sync::Arc;

use aftersales::clock::SharedClock;
use aftersales::http::{App, problem};
use aftersales::policy_cache::PolicyCache;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use axum::Router;
use axum::routing::{get, post};

pub(crate) use aftersales::http::retry_on_conflict;

/// What every handler shares, with the connected storefronts and their webhook secrets.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub policy: PolicyCache,
    pub clock: SharedClock,
    pub storefronts: Arc<Storefronts>,
}

impl AppState {
    pub fn new(app: App, storefronts: Storefronts) -> Self {
        Self {
            store: app.store,
            policy: app.policy,
            clock: app.clock,
            storefronts: Arc::new(storefronts),
        }
    }
}

/// The function's router as its Lambda serves it: its routes, and problem+json 404s.
pub fn router(state: AppState) -> Router {
    routes(state).fallback(problem::not_found)
}

/// The function's routes alone, to merge with others' behind one gateway.
pub fn routes(state: AppState) -> Router {
    Router::new()
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
        .with_state(state)
}
