//! The merchant's policy: its periods, deadlines, thresholds and approval levels, read by staff
//! and replaced by an admin at the version read, without a code change.
//!
//! | route                                | who                                  |
//! |--------------------------------------|--------------------------------------|
//! | `GET/PUT /v1/policy`                 | staff read, an admin changes         |

mod policy;

use aftersales::domain::access::Action;
use aftersales::http::contract::{Docs, RoutesOnly};
use aftersales::http::contract::{document_op, serve_document};
use aftersales::http::{Api, Op, examples, problem};
use axum::Router;
use axum::routing::{get, put};

pub use aftersales::http::App as AppState;

/// The function's router as its Lambda serves it: its routes, and problem+json 404s.
pub fn router(state: AppState) -> Router {
    routes(state).fallback(problem::not_found)
}

/// The function's routes alone, to merge with others' behind one gateway.
pub fn routes(state: AppState) -> Router {
    api::<RoutesOnly>().into_parts().0.with_state(state)
}

/// The function's routes, each with its operation in the published contract (built only
/// `WithDocs`: a Lambda's router is `RoutesOnly`). The contract
/// itself is served here too: no token, no secrets, the smallest function.
pub fn api<D: Docs>() -> Api<AppState, D> {
    let view = || serde_json::json!({"version": 3, "policy": examples::policy()});
    Api::new()
        .get(
            "/v1/policy",
            get(policy::read),
            || Op::new("readPolicy", "The merchant's policy and its version")
                .tag("policy")
                .allowed(&[Action::ReadPolicy])
                .answers::<policy::PolicyView>(200, "The policy in force (version 0: the defaults)", view()),
        )
        .put(
            "/v1/policy",
            put(policy::replace),
            || Op::new("replacePolicy", "Replace the merchant's policy")
                .tag("policy")
                .describe("`If-Match` names the version read; a stale one is a 409. Every field is validated and each invalid one named in `invalid-params`.")
                .allowed(&[Action::ReplacePolicy])
                .header("If-Match", "The version read, e.g. \"3\"", true)
                .body::<aftersales::domain::policy::Policy>(true, examples::policy())
                .answers::<policy::PolicyView>(200, "The policy now in force", view())
                .refuses(&[409]),
        )
        .get("/v1/openapi.json", get(serve_document), document_op)
}
