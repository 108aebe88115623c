//! The merchant's numbers for returns and who decides at which level (DOMAIN §4, §4.2).

use serde::{Deserialize, Serialize};

use crate::domain::identity::Role;
use crate::domain::values::Amount;
use crate::domain::{InvalidField, check_range};

/// The merchant's numbers for returns (DOMAIN §4), all changeable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReturnPolicy {
    /// The merchant acts within this, or the system approves (48 h).
    pub decision_hours: u32,
    /// After a rejection the customer may resubmit or escalate within this (7 days).
    pub resubmit_days: u32,
    /// Staff follow up a shipment not received after this (5 days).
    pub shipment_follow_up_days: u32,
    /// A fee on returns for the customer's own reasons: percent of the price paid…
    pub fee_percent: u32,
    /// …capped at this, in minor units (500 yuan).
    pub fee_cap_minor: Amount,
    /// Batch return (批量客返): this many units of one model…
    pub batch_units_one_model: u32,
    /// …or this many units in all.
    pub batch_units_total: u32,
    /// From this many units, quality inspects before anything else.
    pub quality_first_units: u32,
    /// Scrap above this needs the top level (30,000 yuan).
    pub scrap_limit_minor: Amount,
    /// The most return shipping that is ever reimbursed (what the customer advanced, when the
    /// merchant is at fault): the refund never exceeds the price paid plus this.
    pub return_shipping_cap_minor: Amount,
    /// A no-reason return (the customer's own reason) whose goods cannot be sold again
    /// (DOMAIN §3: 不影响二次销售): refused, or refunded less a deduction.
    pub not_resaleable_no_reason: NotResaleable,
    /// On the 48-hour rule a return-and-refund becomes a refund without return (DOMAIN
    /// §4.1); a merchant may instead approve it and still want the goods back.
    pub auto_approval_refunds_without_return: bool,
    pub levels: ApprovalLevels,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        Self {
            decision_hours: 48,
            resubmit_days: 7,
            shipment_follow_up_days: 5,
            fee_percent: 10,
            fee_cap_minor: const { Amount::of(500_00) },
            batch_units_one_model: 50,
            batch_units_total: 100,
            quality_first_units: 20,
            scrap_limit_minor: const { Amount::of(30_000_00) },
            return_shipping_cap_minor: const { Amount::of(200_00) },
            not_resaleable_no_reason: NotResaleable::Refuse,
            auto_approval_refunds_without_return: true,
            levels: ApprovalLevels::default(),
        }
    }
}

/// Who must decide, by what raises the level (DOMAIN §4.2). The roles rank
/// agent < reviewer < manager < admin; the seeds' vice-president and general manager are the
/// merchant's manager and admin here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalLevels {
    pub default: Role,
    pub batch: Role,
    pub quality_incident: Role,
    pub compensation_above_shipping: Role,
    pub price_protection: Role,
    pub scrap_above_limit: Role,
}

impl Default for ApprovalLevels {
    fn default() -> Self {
        Self {
            default: Role::Agent,
            batch: Role::Manager,
            quality_incident: Role::Admin,
            compensation_above_shipping: Role::Manager,
            price_protection: Role::Manager,
            scrap_above_limit: Role::Admin,
        }
    }
}

impl ApprovalLevels {
    fn each(&self) -> [(&'static str, Role); 6] {
        [
            ("default", self.default),
            ("batch", self.batch),
            ("quality_incident", self.quality_incident),
            (
                "compensation_above_shipping",
                self.compensation_above_shipping,
            ),
            ("price_protection", self.price_protection),
            ("scrap_above_limit", self.scrap_above_limit),
        ]
    }
}

/// What becomes of a no-reason return whose goods cannot be sold again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum NotResaleable {
    /// Refused: the goods are sent back to the customer and nothing is refunded.
    Refuse,
    /// Refunded less this percent of the price paid (the loss of value).
    Deduct { percent: u32 },
}

impl ReturnPolicy {
    /// Every number in its range and every level a person who decides: a policy that passes
    /// can never make a later request fail. Field names are JSON pointers under `prefix`.
    pub fn validate(&self, prefix: &str, errors: &mut Vec<InvalidField>) {
        let mut range = |name: &str, value: u32, min: u32, max: u32, meaning: &str| {
            let bounds = (i64::from(min), i64::from(max));
            check_range(errors, format!("{prefix}/{name}"), value, bounds, meaning);
        };
        // DOMAIN §4.1: the window may be shortened, never below 24 hours.
        range("decision_hours", self.decision_hours, 24, 720, "hours");
        range("resubmit_days", self.resubmit_days, 1, 30, "days");
        range(
            "shipment_follow_up_days",
            self.shipment_follow_up_days,
            1,
            60,
            "days",
        );
        range("fee_percent", self.fee_percent, 0, 100, "percent");
        range(
            "batch_units_one_model",
            self.batch_units_one_model,
            1,
            MAX_UNITS,
            "units",
        );
        range(
            "batch_units_total",
            self.batch_units_total,
            1,
            MAX_UNITS,
            "units",
        );
        range(
            "quality_first_units",
            self.quality_first_units,
            1,
            MAX_UNITS,
            "units",
        );
        if let NotResaleable::Deduct { percent } = self.not_resaleable_no_reason {
            range(
                "not_resaleable_no_reason/percent",
                percent,
                1,
                100,
                "percent",
            );
        }
        for (name, role) in self.levels.each() {
            if rank(role) == 0 || role == Role::System {
                errors.push(InvalidField::new(
                    format!("{prefix}/levels/{name}"),
                    "must be a role that decides: agent, reviewer, manager or admin",
                ));
            }
        }
    }
}

/// The most units one request may concern (and any unit threshold of the policy).
pub const MAX_UNITS: u32 = 100_000;

/// The rank of a role in decisions; roles that do not decide rank 0.
pub fn rank(role: Role) -> u8 {
    match role {
        Role::Agent => 1,
        Role::Reviewer => 2,
        Role::Manager => 3,
        Role::Admin => 4,
        Role::System => 5,
        _ => 0,
    }
}
