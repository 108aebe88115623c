//! Hosting on a laptop: the development gateway and what it stands in for.
//!
//! - [`auth`]: the JWT authorizer's stand-in. It verifies locally signed tokens and puts their
//!   claims into the same API Gateway (v2) request context that AWS fills, so handlers cannot
//!   tell the difference; it also mints tokens for any role.
//! - [`schema`]: creates the table from `infra/template.yaml`, the same description AWS uses,
//!   so that local tables and tests cannot drift from production.
//! - [`gateway`]: every function's router in one `axum` app, behind the authorizer's stand-in.
//!
//! Functions never depend on this crate, so nothing here can reach a Lambda build.

pub mod auth;
pub mod gateway;
pub mod schema;
pub mod signin;
