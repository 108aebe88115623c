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
//!
//! Storefront webhooks and orders are `functions/storefronts`; the merchant's policy is
//! `functions/policy`.

mod cases;
mod entitlements;

pub(crate) use aftersales::http::retry_on_conflict;

use aftersales::domain::case;
use aftersales::http::{case_command_route, problem};
use axum::Router;
use axum::routing::{get, post};

/// What every handler shares: built once per process.
pub use aftersales::http::App as AppState;

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
        .with_state(state)
}
