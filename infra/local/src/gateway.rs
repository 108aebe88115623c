//! The development gateway: every function's router in one app, as API Gateway would route
//! them, behind the authorizer's stand-in.

use aftersales::clock::SharedClock;
use aftersales::store::Store;
use aftersales::webhooks::config::Storefronts;
use axum::Router;
use axum::routing::get;

use crate::auth::{DevAuth, authorize};

pub fn app(store: Store, clock: SharedClock, auth: DevAuth, storefronts: Storefronts) -> Router {
    let intake = intake::router(intake::AppState::new(store, clock, storefronts));
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(intake)
        .layer(axum::middleware::from_fn_with_state(auth, authorize))
}
