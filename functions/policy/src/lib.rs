//! The merchant's policy: its periods, deadlines, thresholds and approval levels, read by staff
//! and replaced by an admin at the version read, without a code change.
//!
//! | route                                | who                                  |
//! |--------------------------------------|--------------------------------------|
//! | `GET/PUT /v1/policy`                 | staff read, an admin changes         |

mod policy;

use aftersales::http::problem;
use axum::Router;
use axum::routing::get;

pub use aftersales::http::App as AppState;

/// The function's router as its Lambda serves it: its routes, and problem+json 404s.
pub fn router(state: AppState) -> Router {
    routes(state).fallback(problem::not_found)
}

/// The function's routes alone, to merge with others' behind one gateway.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/policy",
            get(policy::read)
                .put(policy::replace)
                .fallback(problem::method_not_allowed),
        )
        .with_state(state)
}
