//! Pure after-sales rules (DOMAIN.md), free of I/O.
//!
//! Handlers parse a request into a command, load the state, and call a function here with the
//! state, the command, `now` and the policy; what comes back is the new state and the timeline
//! events to write, or a named [`RuleError`]. Nothing here knows about HTTP or DynamoDB.
//!
//! - [`values`]: newtypes that parse (ids, phone numbers, money, idempotency keys);
//! - [`identity`]: roles and the actor recorded on every event;
//! - [`access`]: who may see and do what, for every route and every return step;
//! - [`policy`]: the merchant's configurable numbers, with DOMAIN.md's defaults;
//! - [`calendar`]: the merchant's working days (public holidays, make-up working days);
//! - [`dispatch`]: the field service's promises (on site by contract and area, workshop);
//! - [`entitlement`]: what a purchase is owed today (DOMAIN §3);
//! - [`case`]: the service case, its filing, commands, events and state machine (DOMAIN §2);
//! - [`order`]: orders as the storefronts report them, the proof of purchase;
//! - [`returns`]: return approval: policy, levels, terms, goods, refund arithmetic, workflow;
//! - [`effects`]: what a decision writes besides the case (refund record, storefront message);
//! - [`feedback`]: the satisfaction survey a resolved case opens, and the case it reopens;
//!   complaints' handling, tags, callbacks.
//! - [`reports`]: the facts of a case the reports count, and the reports of a period.
//! - [`writeback`]: each decision on a storefront's return done again in the shop, in order.
//!
//! The imports run one way: `case` uses `returns`, `entitlement` and `order`; none of them
//! uses `case`. Every refusal is one [`Refusal`], and a [`RuleError`] knows its [`RuleKind`].

pub mod access;
pub mod calendar;
pub mod case;
pub mod dispatch;
pub mod effects;
pub mod entitlement;
pub mod feedback;
pub mod identity;
pub mod order;
pub mod policy;
pub mod reports;
pub mod returns;
pub mod values;
pub mod writeback;

/// A business rule said no. The `rule` is a stable kebab-case name that clients can branch on;
/// the message is for people; the kind says whether asking again later could succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuleError {
    pub rule: &'static str,
    pub message: String,
    pub kind: RuleKind,
}

/// Which answer a refusal is: the request itself breaks a rule (HTTP 422), or the record's
/// current state does not allow it (HTTP 409: the same request may succeed in another state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Refused,
    State,
}

impl RuleError {
    /// The request breaks a rule, whatever the record's state.
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
            kind: RuleKind::Refused,
        }
    }

    /// The record's current state does not allow the request.
    pub fn state(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: RuleKind::State,
            ..Self::new(rule, message)
        }
    }
}

/// Why a command was not carried out: the one refusal of every domain command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the request has invalid fields")]
    Invalid(Vec<InvalidField>),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("{0}")]
    Forbidden(String),
}

impl From<InvalidField> for Refusal {
    fn from(e: InvalidField) -> Self {
        Refusal::Invalid(vec![e])
    }
}

/// A value in a command failed to parse. `field` is a JSON pointer-ish path for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidField {
    pub field: String,
    pub reason: String,
    /// For a number out of its range, the range (inclusive): a client words it in its own
    /// language rather than showing `reason`.
    pub range: Option<(i64, i64)>,
}

impl InvalidField {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            range: None,
        }
    }

    /// `field` must be `min` to `max` (`unit`, when not empty, says in what).
    pub fn out_of_range(field: impl Into<String>, min: i64, max: i64, unit: &str) -> Self {
        let reason = if unit.is_empty() {
            format!("must be {min} to {max}")
        } else {
            format!("must be {min} to {max} ({unit})")
        };
        Self {
            range: Some((min, max)),
            ..Self::new(field, reason)
        }
    }
}

/// Adds to `errors` that `field` is out of its range, unless `value` is `min` to `max`.
pub fn check_range(
    errors: &mut Vec<InvalidField>,
    field: impl Into<String>,
    value: impl Into<i64>,
    (min, max): (i64, i64),
    unit: &str,
) {
    if !(min..=max).contains(&value.into()) {
        errors.push(InvalidField::out_of_range(field, min, max, unit));
    }
}
