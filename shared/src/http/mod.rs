//! HTTP plumbing shared by every function's router.
//!
//! - [`principal`]: who is calling, read from the JWT authorizer's claims in the API Gateway
//!   request context (the local gateway fills the same context in development);
//! - [`extract`]: JSON bodies and query strings with limits, answering problem+json when they
//!   are malformed, too large or of the wrong media type;
//! - [`problem`]: [`ApiError`], the one place where failures become HTTP statuses;
//! - [`views`]: response shapes shared by functions; [`retry_on_conflict`] for lost races;
//! - [`run`]: the one path of every command on a case (load, check, decide, commit, answer),
//!   and [`App`], what every function's handlers share;
//! - [`orders`]: an order as the caller may see it (404 for anyone else's);
//! - [`contract`]: every route with its OpenAPI operation: the routers and the published
//!   document come from one list.

pub mod contract;
pub mod examples;
pub mod extract;
pub mod orders;
pub mod principal;
pub mod problem;
pub mod run;
pub mod views;

use std::future::Future;

pub use contract::{Api, Op};
pub use extract::{JsonBody, OptionalJsonBody, QueryParams, page_limit};
pub use principal::Principal;
pub use problem::ApiError;
pub use run::{App, Decision, case_command_op, case_command_route, on_case, visible_case};
pub use views::CaseView;

/// Runs a read-decide-write step again when another writer got there first (see
/// [`crate::retry`]); after a few tries the conflict is the caller's to resolve (409).
pub async fn retry_on_conflict<T, F, Fut>(mut step: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    crate::retry::on_lost_race(|_| step()).await
}
