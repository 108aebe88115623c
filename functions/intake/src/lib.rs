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

pub(crate) use aftersales::http::retry_on_conflict;

use std::sync::Arc;

use aftersales::clock::SharedClock;
use aftersales::domain::case;
use aftersales::http::{Core, case_command_route, problem};
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

impl axum::extract::FromRef<AppState> for Core {
    fn from_ref(app: &AppState) -> Core {
        Core {
            store: app.store.clone(),
            clock: app.clock.clone(),
        }
    }
}

impl AppState {
    pub fn new(store: Store, clock: SharedClock, storefronts: Storefronts) -> Self {
        Self::with_policy(store, clock, storefronts, PolicyCache::default())
    }

    /// With a policy cache shared with other routers in the same process (the local gateway),
    /// so that a policy change is seen by all of them at once.
    pub fn with_policy(
        store: Store,
        clock: SharedClock,
        storefronts: Storefronts,
        policy: PolicyCache,
    ) -> Self {
        Self {
            store,
            policy,
            clock,
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
            case_command_route::<case::AddEvidence, _>(),
        )
        .route(
            "/v1/cases/{id}/cancel",
            case_command_route::<case::Cancel, _>(),
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
        .with_state(state)
}
