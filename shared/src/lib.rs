//! `aftersales`: the common crate of the after-sales back office.
//!
//! Every function binary (intake, returns, storefronts, policy, timers, identity; dispatch and
//! feedback next) is a thin host around what lives here:
//!
//! - [`domain`]: the rules of DOMAIN.md as pure functions. No I/O, no AWS types; `now` and the
//!   merchant's [`domain::policy::Policy`] are passed in, so every rule is testable in isolation.
//! - [`store`]: the single DynamoDB table: one key builder per entity, items through
//!   `serde_dynamo`, one transaction per state change with a version condition.
//! - [`http`]: what every handler needs: the caller's identity from the authorizer's claims,
//!   JSON bodies with limits, cursors, and the one mapping from errors to problem+json.
//! - [`config`]: the environment a function reads once at cold start;
//! - [`clock`] and [`policy_cache`]: where handlers get `now` and the policy;
//! - [`webhooks`]: storefront webhooks: secrets, signatures, and each sender's payloads;
//! - [`notices`]: what a storefront did to an order, told to each of its open cases;
//! - [`payments`]: a refund paid from a held order only as the order stands;
//! - [`retry`]: the one bounded retry of a step that lost a race;
//! - [`storage`]: the evidence bucket: presigned upload and read URLs, and what was uploaded.

pub mod clock;
pub mod config;
pub mod domain;
pub mod http;
pub mod notices;
pub mod payments;
pub mod policy_cache;
pub mod retry;
pub mod storage;
pub mod store;
pub mod webhooks;
pub mod writeback;
