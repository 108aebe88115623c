//! HTTP plumbing shared by every function's router.
//!
//! - [`principal`]: who is calling, read from the JWT authorizer's claims in the API Gateway
//!   request context (the local gateway fills the same context in development);
//! - [`extract`]: JSON bodies and query strings with limits, answering problem+json when they
//!   are malformed, too large or of the wrong media type;
//! - [`problem`]: [`ApiError`], the one place where failures become HTTP statuses.

pub mod extract;
pub mod principal;
pub mod problem;

pub use extract::{JsonBody, OptionalJsonBody, QueryParams};
pub use principal::Principal;
pub use problem::ApiError;
