//! Return approval (退货退款审批, DOMAIN §4): the workflow of a refund, return or exchange, its
//! clocks, who may decide what, and the refund's arithmetic.
//!
//! A return case carries one [`ReturnFlow`]. Its [`Stage`] is the single source of truth: the
//! case's coarse status is derived from it, and every command or deadline moves it through
//! [`decide`], a pure function of the flow, the command, the actor, `now` and the policy,
//! which answers with the new flow and the timeline changes, or a named refusal.
//!
//! ```text
//! AwaitingDecision ──approve──▶ RefundPending (refund only, compensation, price protection)
//!        │                 └──▶ AwaitingShipment ──ship──▶ InTransit ──receive──▶ Received
//!        │                                                          ──inspect──▶ RefundPending / ReshipPending
//!        ├──reject──▶ Rejected ──resubmit──▶ AwaitingDecision (clock restarts)
//!        │                     ──escalate──▶ Escalated ──approve/reject (manager)──▶ …
//!        │                     ──7 days──▶ Lapsed
//!        └──48 h──▶ approved by the system (refund only, or refund without return)
//! RefundPending ──execute (finance, or the system)──▶ Refunded
//! any stage before Refunded ──cancel (customer)──▶ Cancelled
//! ```

// Money literals are written yuan_fen: `3999_00` is 3,999.00 yuan in minor units.
#![allow(clippy::inconsistent_digit_grouping)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::access::{self, Action, ReturnAction};
use super::identity::{Actor, Role};
use super::values::{Amount, Currency, bounded_text, sane_time};
use super::{InvalidField, RuleError};

/// The merchant's numbers for returns (DOMAIN §4), all changeable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
            if !(min..=max).contains(&value) {
                errors.push(InvalidField::new(
                    format!("{prefix}/{name}"),
                    format!("must be {min} to {max} ({meaning})"),
                ));
            }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnKind {
    /// 仅退款: money back, the goods stay (or never shipped).
    RefundOnly,
    /// 退货退款: goods back, then money back.
    ReturnAndRefund,
    /// 换货: goods back, other goods out, the price difference settled both ways.
    Exchange,
    /// 折价 / 部分退款: part of the money back, the customer keeps the goods.
    Compensation,
    /// 退差价: the price dropped soon after purchase.
    PriceProtection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    QualityFault,
    MerchantError,
    CustomerReason,
}

/// What was asked for, with the money it concerns: fixed when the flow opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnTerms {
    pub kind: ReturnKind,
    pub reason: ReturnReason,
    pub units: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub currency: Currency,
    /// Price paid per unit, minor units.
    pub unit_price_minor: Amount,
    /// What the customer paid for shipping the order (the compensation threshold).
    #[serde(default)]
    pub shipping_fee_minor: Amount,
    /// Compensation or price protection: the amount asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_asked_minor: Option<Amount>,
    /// Exchange: the price of the goods sent instead (difference settled both ways).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_price_minor: Option<Amount>,
    /// The merchant has shipped the order (unshipped orders are intercepted, not returned).
    #[serde(default = "yes")]
    pub order_shipped: bool,
    /// The merchant's promised shipping time, for the unshipped-order rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promised_ship_by: Option<DateTime<Utc>>,
    /// Declared a quality incident (质量事故).
    #[serde(default)]
    pub quality_incident: bool,
    /// A request across lines of different prices (a storefront return) states the average
    /// unit price above; a partial receipt is paid at the least of them, never more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub least_unit_price_minor: Option<Amount>,
}

fn yes() -> bool {
    true
}

impl ReturnTerms {
    pub fn validate(&self) -> Result<(), RuleError> {
        let bad = |m: &str| Err(RuleError::new("invalid-return-terms", m));
        if self.units == 0 || self.units > MAX_UNITS {
            return bad("units must be 1 to 100000");
        }
        if self
            .model
            .as_deref()
            .is_some_and(|m| bounded_text("model", m, 100).is_err() || m.trim().is_empty())
        {
            return bad("the model is 1 to 100 characters without control characters");
        }
        let Some(paid) = self.paid_minor() else {
            return bad("the amount paid (units × unit price) is too large");
        };
        if matches!(
            self.kind,
            ReturnKind::Compensation | ReturnKind::PriceProtection
        ) {
            match self.amount_asked_minor {
                Some(asked) if asked.get() > 0 => {
                    if asked.get() > paid {
                        return bad("the amount asked exceeds the price paid");
                    }
                }
                _ => return bad("compensation and price protection name the amount asked"),
            }
        }
        if self.kind == ReturnKind::Exchange && self.replacement_price_minor.is_none() {
            return bad("an exchange names the price of the replacement");
        }
        if self.promised_ship_by.is_some_and(|t| !sane_time(t)) {
            return bad("the promised shipping time must be between 1970 and 2200");
        }
        Ok(())
    }

    /// Price paid for the units returned; `None` above what any amount may be.
    pub fn paid_minor(&self) -> Option<i64> {
        self.unit_price_minor
            .get()
            .checked_mul(i64::from(self.units))
            .filter(|paid| Amount::new(*paid).is_ok())
    }

    /// The money this request claims of its order: the compensation or price difference asked,
    /// or the price of the goods.
    pub fn claim_minor(&self) -> i64 {
        match self.kind {
            ReturnKind::Compensation | ReturnKind::PriceProtection => {
                self.amount_asked_minor.unwrap_or_default().get()
            }
            _ => self.paid_minor().unwrap_or(0),
        }
    }

    /// DOMAIN §4.4, the refund never exceeds what was paid: checked against what the system
    /// knows was paid for the order line (a storefront order it holds), and against what is
    /// left of the order once the storefront's refunds and the other requests are counted.
    pub fn check_paid(&self, paid: &Paid) -> Result<(), RuleError> {
        if self.currency != paid.currency {
            return Err(RuleError::new(
                "terms-exceed-order",
                format!("the order was paid in {}", paid.currency.as_str()),
            ));
        }
        if self.unit_price_minor.get() > paid.unit_price_minor {
            return Err(RuleError::new(
                "terms-exceed-order",
                format!(
                    "the line was paid {} (minor units) a unit; a request cannot ask more",
                    paid.unit_price_minor
                ),
            ));
        }
        let left_units = paid.quantity.saturating_sub(paid.claimed_units);
        if self.units > left_units {
            return Err(RuleError::new(
                "terms-exceed-order",
                format!(
                    "the line has {} units, {left_units} of them not asked for already",
                    paid.quantity
                ),
            ));
        }
        if self.order_shipped != paid.shipped || (paid.shipped && self.promised_ship_by.is_some()) {
            return Err(RuleError::new(
                "terms-exceed-order",
                if paid.shipped {
                    "the order was shipped: the request says so, with no promised shipping time"
                } else {
                    "the order has not been shipped yet"
                },
            ));
        }
        if self.shipping_fee_minor.get() > paid.shipping_minor {
            return Err(RuleError::new(
                "terms-exceed-order",
                format!(
                    "the order paid {} (minor units) beyond its lines; the shipping fee cannot be more",
                    paid.shipping_minor
                ),
            ));
        }
        if self.claim_minor() > paid.left_minor {
            return Err(RuleError::new(
                "order-already-refunded",
                format!(
                    "{} (minor units) of this order is left to refund: the storefront's refunds and the other requests on it take the rest",
                    paid.left_minor.max(0)
                ),
            ));
        }
        Ok(())
    }

    fn goods_come_back(&self) -> bool {
        matches!(
            self.kind,
            ReturnKind::ReturnAndRefund | ReturnKind::Exchange
        ) && self.order_shipped
    }
}

/// What the system knows was paid for the order line a request concerns, from a storefront
/// order it holds (the proof of purchase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    pub currency: Currency,
    /// The line the request concerns, its unit price, its quantity, and the units of it that
    /// other requests claim (open, or paid).
    pub line_id: String,
    pub unit_price_minor: i64,
    pub quantity: u32,
    pub claimed_units: u32,
    /// The order's total, less what the storefront refunded and what other requests on the
    /// order claim (open, or paid).
    pub left_minor: i64,
    /// Whether the merchant has shipped the order.
    pub shipped: bool,
    /// What the order paid beyond its lines (shipping and the like): the most a request may
    /// state as its shipping fee.
    pub shipping_minor: i64,
}

/// A model as the batch rule counts it: its ASCII letters and digits, upper case, so that
/// "TV-55", "tv 55", "TV-55\u{200b}" and "TV‑55" (a non-breaking hyphen) are one model. A
/// model the customer declares is their word; on a held order it is the order's SKU.
pub fn model_key(model: &str) -> String {
    model
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What a request on a held order claims of it: money, and units of each line. Recorded on
/// the request (and on the order), so that the order is never asked for more than it paid.
/// The rules shrink it (to nothing when the request ends unpaid, to what was paid when fewer
/// units came back) and the store gives the order back exactly the difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub minor: i64,
    pub lines: BTreeMap<String, u32>,
}

impl Claim {
    /// What `self` claims beyond `after`, if anything: what the order gets back.
    pub fn beyond(&self, after: &Claim) -> Option<Claim> {
        let lines: BTreeMap<String, u32> = self
            .lines
            .iter()
            .map(|(line, units)| {
                let left = after.lines.get(line).copied().unwrap_or(0);
                (line.clone(), units.saturating_sub(left))
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        let minor = self.minor.saturating_sub(after.minor).max(0);
        (minor > 0 || !lines.is_empty()).then_some(Claim { minor, lines })
    }
}

/// Whether an order has given back more than it was paid, counting what the storefront
/// refunded and what requests here claim: no refund is then paid from it (finance checks
/// whether the storefront's refund was this request's, and closes it).
pub fn order_overdrawn(total_minor: i64, refunded_at_storefront: i64, claimed: i64) -> bool {
    refunded_at_storefront.saturating_add(claimed) > total_minor
}

/// The units of returns one customer asked for on one day of the merchant's calendar, in all
/// and by model: batch returns (批量客返) are judged by the day, not by the request (DOMAIN
/// §4.2), so that two requests of 25 units count as 50.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DayUnits {
    pub total: u32,
    #[serde(default)]
    pub by_model: BTreeMap<String, u32>,
}

/// Models counted one by one per customer and day; past this, only the total grows (no
/// honest customer returns this many models in a day, and the record must stay small).
const MAX_MODELS_PER_DAY: usize = 200;

impl DayUnits {
    /// The day's units once `terms` are counted too.
    pub fn with(&self, terms: &ReturnTerms) -> DayUnits {
        let mut day = self.clone();
        day.total = day.total.saturating_add(terms.units);
        if let Some(model) = terms.model.as_deref().map(model_key)
            && (day.by_model.len() < MAX_MODELS_PER_DAY || day.by_model.contains_key(&model))
        {
            let n = day.by_model.entry(model).or_default();
            *n = n.saturating_add(terms.units);
        }
        day
    }

    pub fn of_model(&self, model: &str) -> u32 {
        self.by_model.get(&model_key(model)).copied().unwrap_or(0)
    }
}

/// The level a request needs, and why (DOMAIN §4.2). `earlier` is what the same customer
/// asked for earlier the same day.
/// A shipping fee only counts when it was checked against the order (`verified`): a declared
/// one could lower the level.
pub fn required_level(
    terms: &ReturnTerms,
    earlier: &DayUnits,
    verified: bool,
    policy: &ReturnPolicy,
) -> (Role, Vec<String>) {
    let l = &policy.levels;
    let mut level = l.default;
    let mut why = Vec::new();
    let mut raise = |role: Role, reason: String| {
        if rank(role) > rank(level) {
            level = role;
        }
        why.push(reason);
    };
    if terms.quality_incident {
        raise(l.quality_incident, "a quality incident".into());
    }
    let day = earlier.with(terms);
    let model_units = terms.model.as_deref().map_or(0, |m| day.of_model(m));
    if model_units >= policy.batch_units_one_model {
        raise(
            l.batch,
            format!("a batch return: {model_units} units of one model today"),
        );
    } else if day.total >= policy.batch_units_total {
        raise(
            l.batch,
            format!("a batch return: {} units in all today", day.total),
        );
    }
    if terms.kind == ReturnKind::PriceProtection {
        raise(l.price_protection, "price protection".into());
    }
    let shipping = if verified {
        terms.shipping_fee_minor
    } else {
        Amount::ZERO
    };
    if terms.kind == ReturnKind::Compensation
        && terms.amount_asked_minor.unwrap_or_default() > shipping
    {
        raise(
            l.compensation_above_shipping,
            "compensation above the shipping fee".into(),
        );
    }
    (level, why)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: DateTime<Utc>,
}

/// 退货单: what the returned parcel must come with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnSlip {
    pub item_number: String,
    pub item_name: String,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    pub defect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deduction {
    pub reason: String,
    pub amount_minor: Amount,
}

/// Deductions one step may name (missing accessories, damage).
pub const MAX_DEDUCTIONS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub slip: ReturnSlip,
    pub units_received: u32,
    /// Accessories missing (box, remote, stand...), each deducted from the refund.
    pub missing_accessories: Vec<Deduction>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Responsibility {
    Merchant,
    Carrier,
    Customer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Restock,
    Rework,
    RepairAndReturn,
    ReturnToSupplier,
    Scrap,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inspection {
    pub fault_confirmed: bool,
    pub responsibility: Responsibility,
    pub resaleable: bool,
    /// Damage found, deducted from the refund.
    #[serde(default)]
    pub damage: Vec<Deduction>,
    /// One disposition per unit received.
    pub dispositions: Vec<Disposition>,
    /// The value scrapped, when any unit is scrapped (the scrap limit applies).
    #[serde(default)]
    pub scrap_value_minor: Amount,
    /// Return shipping the customer advanced, reimbursed when the merchant is responsible;
    /// at most the policy's `return_shipping_cap_minor`.
    #[serde(default)]
    pub return_shipping_minor: Amount,
}

impl Inspection {
    /// Quality found nothing the merchant answers for.
    fn customers_doing(&self) -> bool {
        self.responsibility == Responsibility::Customer
    }
}

/// A no-reason return (七天无理由) whose goods quality found cannot be sold again: DOMAIN §3
/// allows the no-reason return only for goods that can.
fn no_reason_not_resaleable(terms: &ReturnTerms, inspection: &Inspection) -> bool {
    terms.reason == ReturnReason::CustomerReason
        && inspection.customers_doing()
        && !inspection.resaleable
}

/// How a refund's amount is made up; `total_minor` is what is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundBreakdown {
    pub currency: Currency,
    /// Price paid for the units concerned (or the compensation granted).
    pub paid_minor: i64,
    pub fee_minor: i64,
    pub deductions: Vec<Deduction>,
    pub shipping_reimbursed_minor: i64,
    pub total_minor: i64,
}

/// `percent` of `amount`, rounded down; amounts are bounded, so this cannot overflow.
fn percent_of(amount: i64, percent: u32) -> i64 {
    amount.saturating_mul(i64::from(percent)) / 100
}

/// The refund (DOMAIN §4.4): price paid − fee (policy percent, capped; customer's own reason
/// only) − deductions + the return shipping to reimburse (merchant's fault only, capped by
/// the policy). Never below zero, never above what was paid plus the shipping reimbursed;
/// every sum saturates instead of overflowing.
pub fn refund_breakdown(
    terms: &ReturnTerms,
    receipt: Option<&Receipt>,
    inspection: Option<&Inspection>,
    policy: &ReturnPolicy,
) -> RefundBreakdown {
    // Only what came back is refunded: a receipt of fewer units than asked pays for those.
    let units = receipt.map_or(terms.units, |r| r.units_received.min(terms.units));
    let unit_price = if units < terms.units {
        terms
            .least_unit_price_minor
            .map_or(terms.unit_price_minor, |least| {
                least.min(terms.unit_price_minor)
            })
    } else {
        terms.unit_price_minor
    };
    let goods = unit_price.get().saturating_mul(i64::from(units));
    let paid = match terms.kind {
        ReturnKind::Compensation | ReturnKind::PriceProtection => {
            terms.amount_asked_minor.unwrap_or_default().get()
        }
        ReturnKind::Exchange => {
            // 多退少补: a cheaper replacement refunds the difference; a dearer one refunds
            // nothing here (the customer pays the difference on the new order).
            let replacement = terms
                .replacement_price_minor
                .unwrap_or_default()
                .get()
                .saturating_mul(i64::from(units));
            goods.saturating_sub(replacement)
        }
        ReturnKind::RefundOnly | ReturnKind::ReturnAndRefund => goods,
    }
    .max(0);
    let customers_reason = terms.reason == ReturnReason::CustomerReason
        && inspection.is_none_or(Inspection::customers_doing);
    let fee = if customers_reason && matches!(terms.kind, ReturnKind::ReturnAndRefund) {
        percent_of(paid, policy.fee_percent).min(policy.fee_cap_minor.get())
    } else {
        0
    };
    let mut deductions: Vec<Deduction> = Vec::new();
    if let Some(r) = receipt {
        deductions.extend(r.missing_accessories.iter().cloned());
    }
    if let Some(i) = inspection {
        deductions.extend(i.damage.iter().cloned());
        if let NotResaleable::Deduct { percent } = policy.not_resaleable_no_reason
            && no_reason_not_resaleable(terms, i)
        {
            deductions.push(Deduction {
                reason: format!("not resaleable: {percent}% of a no-reason return"),
                amount_minor: Amount::new(percent_of(paid, percent)).unwrap_or(Amount::MAX),
            });
        }
    }
    let deducted = deductions
        .iter()
        .fold(0i64, |sum, d| sum.saturating_add(d.amount_minor.get()));
    let shipping = match inspection {
        Some(i) if !i.customers_doing() => i
            .return_shipping_minor
            .min(policy.return_shipping_cap_minor)
            .get(),
        _ => 0,
    };
    let total = paid
        .saturating_sub(fee)
        .saturating_sub(deducted)
        .max(0)
        .saturating_add(shipping);
    RefundBreakdown {
        currency: terms.currency,
        paid_minor: paid,
        fee_minor: fee,
        deductions,
        shipping_reimbursed_minor: shipping,
        total_minor: total,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The merchant's 48 hours; then the system approves.
    Decision,
    /// The customer's 7 days after a rejection; then the request lapses.
    Resubmit,
    /// 5 days after the customer shipped; then staff follow up.
    ShipmentFollowUp,
    /// The promised shipping time of an unshipped order; then refund-only is approved.
    PromisedShipping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    AwaitingDecision,
    Rejected,
    Escalated,
    AwaitingShipment,
    InTransit,
    Received,
    /// The replacement of an exchange is to be sent.
    ReshipPending,
    RefundPending,
    Refunded,
    Exchanged,
    /// Refused on inspection: the goods are to be sent back to the customer.
    SendBackPending,
    /// Refused on inspection, the goods sent back.
    SentBack,
    Lapsed,
    Cancelled,
}

impl Stage {
    /// The case's coarse status in this stage.
    pub fn case_status(self) -> super::case::CaseStatus {
        use super::case::CaseStatus as S;
        match self {
            Stage::AwaitingDecision => S::Submitted,
            Stage::Rejected | Stage::AwaitingShipment => S::AwaitingCustomer,
            Stage::Escalated
            | Stage::InTransit
            | Stage::Received
            | Stage::ReshipPending
            | Stage::RefundPending => S::InProgress,
            Stage::SendBackPending => S::InProgress,
            Stage::Refunded | Stage::Exchanged => S::Resolved,
            Stage::SentBack | Stage::Lapsed => S::Closed,
            Stage::Cancelled => S::Cancelled,
        }
    }

    /// The customer may cancel until the refund has succeeded (DOMAIN §4.1), and not once the
    /// return has been refused on inspection (there is nothing left to cancel).
    pub fn cancellable(self) -> bool {
        !matches!(
            self,
            Stage::Refunded
                | Stage::Exchanged
                | Stage::SendBackPending
                | Stage::SentBack
                | Stage::Lapsed
                | Stage::Cancelled
        )
    }

    pub const ALL: [Stage; 14] = [
        Stage::AwaitingDecision,
        Stage::Rejected,
        Stage::Escalated,
        Stage::AwaitingShipment,
        Stage::InTransit,
        Stage::Received,
        Stage::ReshipPending,
        Stage::RefundPending,
        Stage::Refunded,
        Stage::Exchanged,
        Stage::SendBackPending,
        Stage::SentBack,
        Stage::Lapsed,
        Stage::Cancelled,
    ];

    /// The stage as the API and the keys spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::AwaitingDecision => "awaiting_decision",
            Stage::Rejected => "rejected",
            Stage::Escalated => "escalated",
            Stage::AwaitingShipment => "awaiting_shipment",
            Stage::InTransit => "in_transit",
            Stage::Received => "received",
            Stage::ReshipPending => "reship_pending",
            Stage::RefundPending => "refund_pending",
            Stage::Refunded => "refunded",
            Stage::Exchanged => "exchanged",
            Stage::SendBackPending => "send_back_pending",
            Stage::SentBack => "sent_back",
            Stage::Lapsed => "lapsed",
            Stage::Cancelled => "cancelled",
        }
    }
}

/// A decision with its coded reason and its note to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reasoned {
    pub reason_code: String,
    #[serde(default)]
    pub note: String,
}

impl Reasoned {
    fn check(&self) -> Result<(), RuleError> {
        let code_ok = !self.reason_code.is_empty()
            && self.reason_code.len() <= 64
            && self
                .reason_code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !code_ok {
            return Err(RuleError::new(
                "reason-required",
                "a decision carries a coded reason (letters, digits, '_', '-')",
            ));
        }
        if self.note.chars().count() > 2000 {
            return Err(RuleError::new(
                "reason-required",
                "the note is at most 2000 characters",
            ));
        }
        Ok(())
    }
}

/// The workflow state a return case carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnFlow {
    pub terms: ReturnTerms,
    pub stage: Stage,
    /// Who must decide, and why.
    pub required_level: Role,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub level_reasons: Vec<String>,
    /// 1 at the first request, +1 per resubmission.
    pub round: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Deadline>,
    /// Staff must chase the shipment (5 days without receipt).
    #[serde(default)]
    pub follow_up_needed: bool,
    /// Approved without the goods coming back (48 h rule on a return-and-refund).
    #[serde(default)]
    pub refund_without_return: bool,
    /// What the request claims of the storefront order the system holds, its amount checked
    /// against it. Only such an amount is paid by the system on its own (the 48-hour rule);
    /// one the customer declared (no claim) waits for finance, who checks the proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// The storefront changed the order after the request was filed (refunded money on it,
    /// shipped it): the refund is finance's to check, never the clock's to pay.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub order_changed: bool,
    /// The customer's units of returns on the day of the request, this one included: the
    /// inspection rule (DOMAIN §4.2, 20 units) is judged on them.
    #[serde(default)]
    pub day_units: u32,
    /// Goods went out to the customer (an exchange's replacement): the request can no longer be
    /// cancelled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub goods_sent: bool,
    /// Who approved the request (a person's id, or the timers): that person does not pay it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<Shipment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<Inspection>,
    /// Scrap above the policy's limit waits for its sign-off (the goods' fate, not the refund).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scrap_sign_off_pending: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundBreakdown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
}

/// `t` plus `n` hours or days, or a named refusal past the end of time. With a validated
/// policy and a sane clock this never refuses; it exists so that nothing can panic.
fn later(t: DateTime<Utc>, duration: Option<Duration>) -> Result<DateTime<Utc>, RuleError> {
    duration
        .and_then(|d| t.checked_add_signed(d))
        .ok_or_else(|| RuleError::new("date-out-of-range", "a deadline falls out of range"))
}

fn hours(n: u32) -> Option<Duration> {
    Duration::try_hours(i64::from(n))
}

fn days(n: u32) -> Option<Duration> {
    Duration::try_days(i64::from(n))
}

impl ReturnFlow {
    /// The customer may cancel until the refund has succeeded (DOMAIN §4.1), as long as no
    /// goods have gone out to them.
    pub fn cancellable(&self) -> bool {
        self.stage.cancellable() && !self.goods_sent
    }

    /// Whether the amount was checked against a held order (and claims part of it).
    pub fn amount_verified(&self) -> bool {
        self.claim.is_some()
    }

    /// A request that ends unpaid (cancelled, lapsed, refused) gives back all it claimed.
    pub fn release_claim(&mut self) {
        if let Some(claim) = self.claim.as_mut() {
            claim.minor = 0;
            claim.lines.values_mut().for_each(|u| *u = 0);
        }
    }

    /// A paid request keeps what it was paid of the order: the units received (when one line
    /// was asked), and the order's money refunded (the shipping reimbursed is not the order's).
    fn settle_claim(&mut self) {
        let paid_of_order = self
            .refund
            .as_ref()
            .map(|r| r.total_minor.saturating_sub(r.shipping_reimbursed_minor))
            // An exchange pays nothing, whether or not a refund was ever computed.
            .or((self.stage == Stage::Exchanged).then_some(0));
        let received = self.receipt.as_ref().map(|r| r.units_received);
        if let Some(claim) = self.claim.as_mut() {
            if let Some(paid) = paid_of_order {
                claim.minor = claim.minor.min(paid.max(0));
            }
            if let (Some(received), 1) = (received, claim.lines.len()) {
                claim
                    .lines
                    .values_mut()
                    .for_each(|u| *u = (*u).min(received));
            }
        }
    }

    /// Opens the flow of a new request: the level it needs and the merchant's clock.
    /// `earlier` is what the same customer asked to return earlier the same day; `paid`, what
    /// the system knows was paid for it, if it holds the order.
    pub fn open(
        terms: ReturnTerms,
        paid: Option<&Paid>,
        earlier: &DayUnits,
        now: DateTime<Utc>,
        policy: &ReturnPolicy,
    ) -> Result<Self, RuleError> {
        terms.validate()?;
        if let Some(paid) = paid {
            terms.check_paid(paid)?;
        }
        let (required_level, level_reasons) =
            required_level(&terms, earlier, paid.is_some(), policy);
        let mut deadline = Deadline {
            kind: DeadlineKind::Decision,
            due: later(now, hours(policy.decision_hours))?,
        };
        // An unshipped order past its promised shipping time: refund-only is approved then.
        if terms.kind == ReturnKind::RefundOnly
            && !terms.order_shipped
            && let Some(promised) = terms.promised_ship_by
            && promised < deadline.due
        {
            deadline = Deadline {
                kind: DeadlineKind::PromisedShipping,
                due: promised.max(now),
            };
        }
        let claim = paid.map(|p| Claim {
            minor: terms.claim_minor(),
            lines: BTreeMap::from([(p.line_id.clone(), terms.units)]),
        });
        let day_units = earlier.with(&terms).total;
        Ok(Self {
            terms,
            stage: Stage::AwaitingDecision,
            required_level,
            level_reasons,
            round: 1,
            deadline: Some(deadline),
            follow_up_needed: false,
            refund_without_return: false,
            claim,
            order_changed: false,
            day_units,
            goods_sent: false,
            approved_by: None,
            shipment: None,
            receipt: None,
            inspection: None,
            scrap_sign_off_pending: false,
            refund: None,
            refunded_at: None,
        })
    }
}

/// What may be done to a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Approve(Reasoned),
    Reject(Reasoned),
    /// The customer changes the request after a rejection (the clock restarts).
    Resubmit {
        #[serde(default)]
        note: String,
    },
    /// The customer asks for the platform to step in after a rejection.
    Escalate {
        #[serde(default)]
        note: String,
    },
    Ship {
        carrier: String,
        tracking_number: String,
    },
    Receive {
        slip: Option<ReturnSlip>,
        units_received: u32,
        #[serde(default)]
        missing_accessories: Vec<Deduction>,
    },
    Inspect(Inspection),
    /// The top level signs off scrap above the policy's limit.
    ApproveScrap(Reasoned),
    /// Finance pays the refund (or the system, on auto-approval).
    ExecuteRefund,
    /// The warehouse ships goods to the customer: an exchange's replacement, or goods whose
    /// return was refused.
    Reship {
        carrier: String,
        tracking_number: String,
    },
    Cancel {
        #[serde(default)]
        reason: Option<String>,
    },
    /// A deadline fell due (timers only).
    DeadlineDue,
}

impl Command {
    /// The step this command is, for access.
    pub fn access(&self) -> ReturnAction {
        match self {
            Command::Approve(_) | Command::Reject(_) => ReturnAction::Decide,
            Command::Resubmit { .. } => ReturnAction::Resubmit,
            Command::Escalate { .. } => ReturnAction::Escalate,
            Command::Ship { .. } => ReturnAction::Ship,
            Command::Receive { .. } => ReturnAction::Receive,
            Command::Inspect(_) => ReturnAction::Inspect,
            Command::ApproveScrap(_) => ReturnAction::ApproveScrap,
            Command::ExecuteRefund => ReturnAction::ExecuteRefund,
            Command::Reship { .. } => ReturnAction::Reship,
            Command::Cancel { .. } => ReturnAction::Cancel,
            Command::DeadlineDue => ReturnAction::FireDeadline,
        }
    }

    /// Every free-text field within its bound, every list within its length.
    fn check_fields(&self) -> Result<(), Refused> {
        let mut errors = Vec::new();
        let mut text = |field: &str, value: &str, max: usize, required: bool| match bounded_text(
            field, value, max,
        ) {
            Ok(t) if required && t.is_empty() => {
                errors.push(InvalidField::new(field, "must not be empty"))
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        };
        let deductions = |field: &str, list: &[Deduction], errors: &mut Vec<InvalidField>| {
            if list.len() > MAX_DEDUCTIONS {
                errors.push(InvalidField::new(
                    field,
                    format!("at most {MAX_DEDUCTIONS} deductions"),
                ));
            }
            for (i, d) in list.iter().enumerate() {
                if let Err(e) = bounded_text(&format!("{field}/{i}/reason"), &d.reason, 200) {
                    errors.push(e);
                }
            }
        };
        match self {
            Command::Approve(r) | Command::Reject(r) | Command::ApproveScrap(r) => {
                text("note", &r.note, 2000, false)
            }
            Command::Resubmit { note } | Command::Escalate { note } => {
                text("note", note, 2000, false)
            }
            Command::Ship {
                carrier,
                tracking_number,
            }
            | Command::Reship {
                carrier,
                tracking_number,
            } => {
                text("carrier", carrier, 64, true);
                text("tracking_number", tracking_number, 64, true);
            }
            Command::Receive {
                slip,
                missing_accessories,
                ..
            } => {
                if let Some(slip) = slip {
                    text("slip/item_number", &slip.item_number, 64, true);
                    text("slip/item_name", &slip.item_name, 200, true);
                    text("slip/batch", slip.batch.as_deref().unwrap_or(""), 64, false);
                    text("slip/defect", &slip.defect, 1000, false);
                }
                deductions("missing_accessories", missing_accessories, &mut errors);
            }
            Command::Inspect(i) => deductions("damage", &i.damage, &mut errors),
            Command::Cancel { reason } => {
                text("reason", reason.as_deref().unwrap_or(""), 1000, false)
            }
            Command::ExecuteRefund | Command::DeadlineDue => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Refused::Invalid(errors))
        }
    }
}

/// What happened, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReturnChange {
    Approved {
        reason_code: String,
        note: String,
        by_system: bool,
        refund_without_return: bool,
    },
    Rejected {
        reason_code: String,
        note: String,
        resubmit_until: DateTime<Utc>,
    },
    Resubmitted {
        round: u32,
        note: String,
        decide_by: DateTime<Utc>,
    },
    Escalated {
        note: String,
    },
    Shipped {
        carrier: String,
        tracking_number: String,
    },
    Received {
        units: u32,
        deductions_minor: i64,
    },
    Inspected {
        fault_confirmed: bool,
        responsibility: Responsibility,
        dispositions: Vec<Disposition>,
    },
    /// Scrap above the limit waits for the top level's sign-off.
    ScrapSignOffRequested {
        scrap_value_minor: Amount,
    },
    ScrapApproved {
        reason_code: String,
        note: String,
    },
    /// The inspection refused the return (a no-reason return that cannot be sold again): the
    /// goods go back to the customer and nothing is refunded.
    RefusedOnInspection {
        reason: String,
    },
    RefundCalculated {
        breakdown: RefundBreakdown,
    },
    Refunded {
        amount_minor: i64,
        currency: Currency,
        by_system: bool,
    },
    Reshipped {
        carrier: String,
        tracking_number: String,
    },
    /// Refused goods sent back to the customer.
    SentBack {
        carrier: String,
        tracking_number: String,
    },
    FollowUpNeeded {
        shipped_at: DateTime<Utc>,
    },
    Lapsed,
    ReturnCancelled {
        from: Stage,
        reason: Option<String>,
    },
}

fn refuse<T>(rule: &'static str, message: impl Into<String>) -> Result<T, Refused> {
    Err(Refused::Rule(RuleError::new(rule, message)))
}

/// Refused because of where the return stands now (409), not because of what was asked.
fn refuse_state<T>(rule: &'static str, message: impl Into<String>) -> Result<T, Refused> {
    Err(Refused::Rule(RuleError::state(rule, message)))
}

/// Why a return command was refused (the domain's one refusal).
pub use super::Refusal as Refused;

fn need_rank(actor: &Actor, level: Role) -> Result<(), Refused> {
    if rank(actor.role) >= rank(level) {
        Ok(())
    } else {
        Err(Refused::Forbidden(format!(
            "this decision needs a {level} or above; a {} may not make it",
            actor.role
        )))
    }
}

/// The role check of the access table, for the step a command is.
fn allowed(actor: &Actor, step: ReturnAction) -> Result<(), Refused> {
    if access::may(actor.role, Action::Return(step)) {
        Ok(())
    } else {
        Err(Refused::Forbidden(format!(
            "a {} may not {}",
            actor.role,
            access::describe(Action::Return(step))
        )))
    }
}

/// After approval (by a person or by the clock): where the flow goes next.
fn approved(
    flow: &mut ReturnFlow,
    reasoned: Reasoned,
    by: &Actor,
    now: DateTime<Utc>,
    policy: &ReturnPolicy,
) -> Vec<ReturnChange> {
    let by_system = by.role == Role::System;
    let mut changes = Vec::new();
    // The 48-hour rule turns a return-and-refund into a refund without return.
    // …unless the batch is large enough that quality must inspect it first (DOMAIN §4.2).
    let without_return = by_system
        && flow.terms.kind == ReturnKind::ReturnAndRefund
        && policy.auto_approval_refunds_without_return
        && flow.terms.units.max(flow.day_units) < policy.quality_first_units;
    flow.refund_without_return = without_return;
    flow.approved_by = Some(by.id.clone());
    changes.push(ReturnChange::Approved {
        reason_code: reasoned.reason_code,
        note: reasoned.note,
        by_system,
        refund_without_return: without_return,
    });
    flow.deadline = None;
    if flow.terms.goods_come_back() && !without_return {
        flow.stage = Stage::AwaitingShipment;
    } else {
        let breakdown = refund_breakdown(&flow.terms, None, None, policy);
        changes.push(ReturnChange::RefundCalculated {
            breakdown: breakdown.clone(),
        });
        flow.refund = Some(breakdown);
        flow.stage = Stage::RefundPending;
        if by_system && flow.claim.is_some() && !flow.order_changed {
            // Auto-approval refunds at once (DOMAIN §4.1): the system executes, an amount it
            // checked against the order. A declared one waits for finance.
            changes.extend(execute(flow, true, now));
        }
    }
    changes
}

fn execute(flow: &mut ReturnFlow, by_system: bool, now: DateTime<Utc>) -> Vec<ReturnChange> {
    let amount = flow.refund.as_ref().map(|r| r.total_minor).unwrap_or(0);
    flow.settle_claim();
    flow.stage = Stage::Refunded;
    flow.refunded_at = Some(now);
    flow.deadline = None;
    vec![ReturnChange::Refunded {
        amount_minor: amount,
        currency: flow.terms.currency,
        by_system,
    }]
}

/// The level an approval or rejection needs: the request's, and a manager at least once the
/// platform has been asked to step in (escalation).
fn decision_level(flow: &ReturnFlow) -> Role {
    if flow.stage == Stage::Escalated && rank(flow.required_level) < rank(Role::Manager) {
        Role::Manager
    } else {
        flow.required_level
    }
}

/// Decides a command on a return: the new flow and its changes, or why not.
pub fn decide(
    flow: &ReturnFlow,
    command: Command,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &ReturnPolicy,
) -> Result<(ReturnFlow, Vec<ReturnChange>), Refused> {
    allowed(actor, command.access())?;
    command.check_fields()?;
    let mut next = flow.clone();
    let stage = flow.stage;
    let wrong_stage = |what: &str| -> Result<(ReturnFlow, Vec<ReturnChange>), Refused> {
        refuse_state(
            "wrong-stage",
            format!("a return that is {} cannot be {what}", stage.as_str()),
        )
    };
    let changes = match command {
        Command::Approve(_) | Command::Reject(_)
            if !matches!(stage, Stage::AwaitingDecision | Stage::Escalated) =>
        {
            return wrong_stage("decided now");
        }
        Command::Approve(reasoned) => {
            reasoned.check()?;
            need_rank(actor, decision_level(flow))?;
            approved(&mut next, reasoned, actor, now, policy)
        }
        Command::Reject(reasoned) => {
            reasoned.check()?;
            need_rank(actor, decision_level(flow))?;
            let until = later(now, days(policy.resubmit_days))?;
            next.stage = Stage::Rejected;
            next.deadline = Some(Deadline {
                kind: DeadlineKind::Resubmit,
                due: until,
            });
            vec![ReturnChange::Rejected {
                reason_code: reasoned.reason_code,
                note: reasoned.note,
                resubmit_until: until,
            }]
        }
        Command::Resubmit { note } => {
            if stage != Stage::Rejected {
                return wrong_stage("resubmitted");
            }
            let due = later(now, hours(policy.decision_hours))?;
            next.round = next.round.saturating_add(1);
            next.stage = Stage::AwaitingDecision;
            next.deadline = Some(Deadline {
                kind: DeadlineKind::Decision,
                due,
            });
            vec![ReturnChange::Resubmitted {
                round: next.round,
                note,
                decide_by: due,
            }]
        }
        Command::Escalate { note } => {
            if stage != Stage::Rejected {
                return wrong_stage("escalated");
            }
            next.stage = Stage::Escalated;
            next.deadline = None;
            vec![ReturnChange::Escalated { note }]
        }
        Command::Ship {
            carrier,
            tracking_number,
        } => {
            if stage != Stage::AwaitingShipment {
                return wrong_stage("shipped");
            }
            let (carrier, tracking_number) =
                (carrier.trim().to_owned(), tracking_number.trim().to_owned());
            next.stage = Stage::InTransit;
            next.shipment = Some(Shipment {
                carrier: carrier.clone(),
                tracking_number: tracking_number.clone(),
                shipped_at: now,
            });
            next.deadline = Some(Deadline {
                kind: DeadlineKind::ShipmentFollowUp,
                due: later(now, days(policy.shipment_follow_up_days))?,
            });
            vec![ReturnChange::Shipped {
                carrier,
                tracking_number,
            }]
        }
        Command::Receive {
            slip,
            units_received,
            missing_accessories,
        } => {
            if stage != Stage::InTransit {
                return wrong_stage("received");
            }
            let Some(slip) = slip else {
                return refuse(
                    "return-slip-required",
                    "goods without a return slip are refused and sent back to sales",
                );
            };
            if units_received == 0
                || units_received > flow.terms.units
                || slip.quantity != units_received
            {
                return refuse(
                    "count-mismatch",
                    "the units received must match the slip and not exceed the request",
                );
            }
            let deducted = missing_accessories
                .iter()
                .fold(0i64, |sum, d| sum.saturating_add(d.amount_minor.get()));
            next.receipt = Some(Receipt {
                slip,
                units_received,
                missing_accessories,
                received_at: now,
            });
            next.stage = Stage::Received;
            next.deadline = None;
            next.follow_up_needed = false;
            vec![ReturnChange::Received {
                units: units_received,
                deductions_minor: deducted,
            }]
        }
        Command::Inspect(inspection) => {
            if stage != Stage::Received {
                return wrong_stage("inspected");
            }
            let units = flow.receipt.as_ref().map(|r| r.units_received).unwrap_or(0);
            if inspection.dispositions.len() != units as usize {
                return refuse(
                    "disposition-per-unit",
                    format!("give one disposition per unit received ({units})"),
                );
            }
            if inspection.return_shipping_minor > policy.return_shipping_cap_minor {
                return refuse(
                    "return-shipping-above-cap",
                    format!(
                        "return shipping is reimbursed up to {} (minor units); record what the customer was actually charged",
                        policy.return_shipping_cap_minor
                    ),
                );
            }
            let mut changes = vec![ReturnChange::Inspected {
                fault_confirmed: inspection.fault_confirmed,
                responsibility: inspection.responsibility,
                dispositions: inspection.dispositions.clone(),
            }];
            if inspection.dispositions.contains(&Disposition::Scrap)
                && inspection.scrap_value_minor > policy.scrap_limit_minor
            {
                next.scrap_sign_off_pending = true;
                changes.push(ReturnChange::ScrapSignOffRequested {
                    scrap_value_minor: inspection.scrap_value_minor,
                });
            }
            if no_reason_not_resaleable(&flow.terms, &inspection)
                && policy.not_resaleable_no_reason == NotResaleable::Refuse
            {
                // DOMAIN §3: the no-reason return holds only for goods that can be sold again.
                next.inspection = Some(inspection);
                next.stage = Stage::SendBackPending;
                changes.push(ReturnChange::RefusedOnInspection {
                    reason: "A no-reason return must come back in a state that can be sold again; these goods cannot, so they are sent back and nothing is refunded.".into(),
                });
                return Ok((next, changes));
            }
            let breakdown = refund_breakdown(
                &flow.terms,
                flow.receipt.as_ref(),
                Some(&inspection),
                policy,
            );
            next.inspection = Some(inspection);
            next.stage = if flow.terms.kind == ReturnKind::Exchange {
                Stage::ReshipPending
            } else {
                Stage::RefundPending
            };
            changes.push(ReturnChange::RefundCalculated {
                breakdown: breakdown.clone(),
            });
            next.refund = Some(breakdown);
            changes
        }
        Command::ApproveScrap(reasoned) => {
            reasoned.check()?;
            if !flow.scrap_sign_off_pending {
                return refuse_state(
                    "no-scrap-to-sign-off",
                    "no scrap above the limit waits for a sign-off on this return",
                );
            }
            need_rank(actor, policy.levels.scrap_above_limit)?;
            next.scrap_sign_off_pending = false;
            vec![ReturnChange::ScrapApproved {
                reason_code: reasoned.reason_code,
                note: reasoned.note,
            }]
        }
        Command::ExecuteRefund => {
            if stage != Stage::RefundPending {
                return match stage {
                    Stage::Refunded | Stage::Exchanged => {
                        refuse_state("already-refunded", "this refund has been paid")
                    }
                    _ => wrong_stage("refunded"),
                };
            }
            if flow.approved_by.as_deref() == Some(actor.id.as_str()) {
                return Err(Refused::Forbidden(
                    "separation of duties: the person who approved a refund does not pay it".into(),
                ));
            }
            execute(&mut next, actor.role == Role::System, now)
        }
        Command::Reship {
            carrier,
            tracking_number,
        } => match stage {
            Stage::ReshipPending => {
                next.goods_sent = true;
                let refund = next.refund.as_ref().map(|r| r.total_minor).unwrap_or(0);
                let mut changes = vec![ReturnChange::Reshipped {
                    carrier,
                    tracking_number,
                }];
                if refund > 0 {
                    // A cheaper replacement: the difference is refunded before the case closes.
                    next.stage = Stage::RefundPending;
                } else {
                    next.stage = Stage::Exchanged;
                    // Nothing paid: the claim keeps the units exchanged, no money.
                    next.settle_claim();
                    changes.push(ReturnChange::Refunded {
                        amount_minor: 0,
                        currency: flow.terms.currency,
                        by_system: false,
                    });
                }
                changes
            }
            Stage::SendBackPending => {
                next.stage = Stage::SentBack;
                next.release_claim();
                vec![ReturnChange::SentBack {
                    carrier,
                    tracking_number,
                }]
            }
            _ => return wrong_stage("reshipped"),
        },
        Command::Cancel { reason } => {
            if !flow.cancellable() {
                return refuse_state(
                    "not-cancellable",
                    "a return can be cancelled only until the refund has succeeded",
                );
            }
            next.stage = Stage::Cancelled;
            next.deadline = None;
            next.release_claim();
            vec![ReturnChange::ReturnCancelled {
                from: stage,
                reason: reason
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty()),
            }]
        }
        Command::DeadlineDue => {
            let Some(deadline) = flow.deadline.filter(|d| d.due <= now) else {
                return refuse("not-due", "no deadline of this return is due");
            };
            match (deadline.kind, stage) {
                (
                    DeadlineKind::Decision | DeadlineKind::PromisedShipping,
                    Stage::AwaitingDecision,
                ) => approved(
                    &mut next,
                    Reasoned {
                        reason_code: "merchant_timeout".into(),
                        note: "Approved automatically: the merchant did not act in time.".into(),
                    },
                    actor,
                    now,
                    policy,
                ),
                (DeadlineKind::Resubmit, Stage::Rejected) => {
                    next.stage = Stage::Lapsed;
                    next.deadline = None;
                    next.release_claim();
                    vec![ReturnChange::Lapsed]
                }
                (DeadlineKind::ShipmentFollowUp, Stage::InTransit) => {
                    next.deadline = None;
                    next.follow_up_needed = true;
                    let shipped_at = flow.shipment.as_ref().map(|s| s.shipped_at).unwrap_or(now);
                    vec![ReturnChange::FollowUpNeeded { shipped_at }]
                }
                _ => {
                    next.deadline = None;
                    Vec::new()
                }
            }
        }
    };
    Ok((next, changes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::MAX_AMOUNT_MINOR;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        "2026-11-24T02:00:00Z".parse().unwrap()
    }
    fn who(role: Role) -> Actor {
        Actor {
            id: format!("{role}-1"),
            role,
            name: None,
        }
    }
    fn terms(kind: ReturnKind, reason: ReturnReason) -> ReturnTerms {
        ReturnTerms {
            kind,
            reason,
            units: 1,
            model: Some("TV-55".into()),
            currency: Currency::CNY,
            unit_price_minor: m(3999_00),
            shipping_fee_minor: m(20_00),
            amount_asked_minor: None,
            replacement_price_minor: None,
            order_shipped: true,
            promised_ship_by: None,
            quality_incident: false,
            least_unit_price_minor: None,
        }
    }
    fn m(minor: i64) -> Amount {
        Amount::new(minor).unwrap()
    }
    /// Opens a request whose amount was checked against a held order that paid exactly it.
    fn open_held(t: ReturnTerms) -> Result<ReturnFlow, RuleError> {
        let paid = Paid {
            currency: t.currency,
            line_id: "1".into(),
            unit_price_minor: t.unit_price_minor.get(),
            quantity: t.units,
            claimed_units: 0,
            left_minor: t.claim_minor(),
            shipped: t.order_shipped,
            shipping_minor: t.shipping_fee_minor.get(),
        };
        ReturnFlow::open(t, Some(&paid), &DayUnits::default(), t0(), &policy())
    }
    fn policy() -> ReturnPolicy {
        ReturnPolicy::default()
    }
    fn run(
        flow: &ReturnFlow,
        cmd: Command,
        role: Role,
        at: DateTime<Utc>,
    ) -> Result<(ReturnFlow, Vec<ReturnChange>), Refused> {
        decide(flow, cmd, &who(role), at, &policy())
    }
    fn ok(flow: &ReturnFlow, cmd: Command, role: Role, at: DateTime<Utc>) -> ReturnFlow {
        run(flow, cmd, role, at).unwrap().0
    }
    fn reason(code: &str) -> Reasoned {
        Reasoned {
            reason_code: code.into(),
            note: "note".into(),
        }
    }
    fn slip(units: u32) -> Option<ReturnSlip> {
        Some(ReturnSlip {
            item_number: "TV-55".into(),
            item_name: "55\" TV".into(),
            quantity: units,
            batch: Some("B2611".into()),
            defect: "no picture".into(),
        })
    }
    fn inspection(responsibility: Responsibility, units: usize) -> Inspection {
        Inspection {
            fault_confirmed: responsibility == Responsibility::Merchant,
            responsibility,
            resaleable: false,
            damage: vec![],
            dispositions: vec![Disposition::Rework; units],
            scrap_value_minor: m(0),
            return_shipping_minor: m(30_00),
        }
    }

    #[test]
    fn refund_only_is_refunded_by_the_system_after_48_hours() {
        let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::QualityFault)).unwrap();
        assert_eq!(flow.deadline.unwrap().due, t0() + Duration::hours(48));
        assert!(
            matches!(run(&flow, Command::DeadlineDue, Role::System, t0() + Duration::hours(47)), Err(Refused::Rule(r)) if r.rule == "not-due")
        );
        let (next, changes) = run(
            &flow,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::hours(48),
        )
        .unwrap();
        assert_eq!(next.stage, Stage::Refunded);
        assert!(matches!(
            changes[0],
            ReturnChange::Approved {
                by_system: true,
                ..
            }
        ));
        assert!(matches!(
            changes.last(),
            Some(ReturnChange::Refunded {
                amount_minor: 399900,
                by_system: true,
                ..
            })
        ));
    }

    #[test]
    fn return_and_refund_becomes_refund_without_return_after_48_hours() {
        let flow = open_held(terms(
            ReturnKind::ReturnAndRefund,
            ReturnReason::QualityFault,
        ))
        .unwrap();
        let (next, changes) = run(
            &flow,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::hours(49),
        )
        .unwrap();
        assert!(next.refund_without_return);
        assert_eq!(next.stage, Stage::Refunded);
        assert!(matches!(
            changes[0],
            ReturnChange::Approved {
                refund_without_return: true,
                ..
            }
        ));
    }

    #[test]
    fn an_unshipped_order_past_its_promised_shipping_time_is_refunded() {
        let mut t = terms(ReturnKind::RefundOnly, ReturnReason::CustomerReason);
        t.order_shipped = false;
        t.promised_ship_by = Some(t0() + Duration::hours(6));
        let flow = open_held(t).unwrap();
        assert_eq!(flow.deadline.unwrap().kind, DeadlineKind::PromisedShipping);
        let next = ok(
            &flow,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::hours(6),
        );
        assert_eq!(next.stage, Stage::Refunded);
    }

    #[test]
    fn a_rejection_can_be_resubmitted_and_decided_again_or_lapses_after_7_days() {
        let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::CustomerReason)).unwrap();
        let rejected = ok(
            &flow,
            Command::Reject(reason("used_goods")),
            Role::Agent,
            t0() + Duration::hours(1),
        );
        assert_eq!(
            rejected.stage.case_status(),
            super::super::case::CaseStatus::AwaitingCustomer
        );
        assert_eq!(rejected.deadline.unwrap().kind, DeadlineKind::Resubmit);
        let again = ok(
            &rejected,
            Command::Resubmit {
                note: "photos attached".into(),
            },
            Role::Customer,
            t0() + Duration::days(2),
        );
        assert_eq!((again.stage, again.round), (Stage::AwaitingDecision, 2));
        assert_eq!(
            again.deadline.unwrap().due,
            t0() + Duration::days(2) + Duration::hours(48),
            "the clock restarts"
        );
        let approved = ok(
            &again,
            Command::Approve(reason("evidence_ok")),
            Role::Agent,
            t0() + Duration::days(3),
        );
        assert_eq!(approved.stage, Stage::RefundPending);

        let lapsed = ok(
            &rejected,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::hours(1) + Duration::days(7),
        );
        assert_eq!(lapsed.stage, Stage::Lapsed);
        assert!(
            run(
                &lapsed,
                Command::Resubmit {
                    note: String::new()
                },
                Role::Customer,
                t0() + Duration::days(9)
            )
            .is_err()
        );
    }

    #[test]
    fn an_escalation_is_decided_by_a_manager() {
        let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::QualityFault)).unwrap();
        let rejected = ok(
            &flow,
            Command::Reject(reason("no_fault_found")),
            Role::Agent,
            t0(),
        );
        let escalated = ok(
            &rejected,
            Command::Escalate {
                note: "it is broken".into(),
            },
            Role::Customer,
            t0() + Duration::days(1),
        );
        assert_eq!(escalated.stage, Stage::Escalated);
        assert!(matches!(
            run(
                &escalated,
                Command::Approve(reason("platform")),
                Role::Agent,
                t0()
            ),
            Err(Refused::Forbidden(_))
        ));
        assert_eq!(
            ok(
                &escalated,
                Command::Approve(reason("platform")),
                Role::Manager,
                t0()
            )
            .stage,
            Stage::RefundPending
        );
    }

    #[test]
    fn a_large_batch_approved_by_the_clock_still_comes_back_for_inspection() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
        t.units = 20;
        let flow = open_held(t).unwrap();
        let next = ok(
            &flow,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::hours(48),
        );
        assert_eq!(next.stage, Stage::AwaitingShipment);
        assert!(!next.refund_without_return);
    }

    #[test]
    fn the_customer_cancels_in_every_stage_before_the_refund_and_in_none_after() {
        let flow = open_held(terms(
            ReturnKind::ReturnAndRefund,
            ReturnReason::QualityFault,
        ))
        .unwrap();
        let rejected = ok(&flow, Command::Reject(reason("no")), Role::Agent, t0());
        let escalated = ok(
            &rejected,
            Command::Escalate {
                note: String::new(),
            },
            Role::Customer,
            t0(),
        );
        let approved = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
        let shipped = ok(
            &approved,
            Command::Ship {
                carrier: "SF".into(),
                tracking_number: "1".into(),
            },
            Role::Customer,
            t0(),
        );
        let received = ok(
            &shipped,
            Command::Receive {
                slip: slip(1),
                units_received: 1,
                missing_accessories: vec![],
            },
            Role::Warehouse,
            t0(),
        );
        let inspected = ok(
            &received,
            Command::Inspect(inspection(Responsibility::Merchant, 1)),
            Role::Quality,
            t0(),
        );
        for open in [
            &flow, &rejected, &escalated, &approved, &shipped, &received, &inspected,
        ] {
            let (cancelled, changes) =
                run(open, Command::Cancel { reason: None }, Role::Customer, t0()).unwrap();
            assert_eq!(cancelled.stage, Stage::Cancelled, "from {:?}", open.stage);
            assert_eq!(
                cancelled.deadline, None,
                "no clock runs on a cancelled return"
            );
            assert!(
                matches!(changes[0], ReturnChange::ReturnCancelled { from, .. } if from == open.stage)
            );
        }
        let refunded = ok(&inspected, Command::ExecuteRefund, Role::Finance, t0());
        let lapsed = ok(
            &rejected,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::days(7),
        );
        for closed in [&refunded, &lapsed] {
            assert!(
                matches!(run(closed, Command::Cancel { reason: None }, Role::Customer, t0()), Err(Refused::Rule(r)) if r.rule == "not-cancellable")
            );
        }
    }

    #[test]
    fn the_whole_return_path_pays_the_breakdown_once() {
        let flow = open_held(terms(
            ReturnKind::ReturnAndRefund,
            ReturnReason::QualityFault,
        ))
        .unwrap();
        let f = ok(
            &flow,
            Command::Approve(reason("fault_plausible")),
            Role::Agent,
            t0(),
        );
        assert_eq!(f.stage, Stage::AwaitingShipment);
        let f = ok(
            &f,
            Command::Ship {
                carrier: "SF".into(),
                tracking_number: "SF1234567890".into(),
            },
            Role::Customer,
            t0(),
        );
        assert_eq!(f.deadline.unwrap().kind, DeadlineKind::ShipmentFollowUp);
        let late = ok(
            &f,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::days(5),
        );
        assert!(late.follow_up_needed);
        let refused = run(
            &f,
            Command::Receive {
                slip: None,
                units_received: 1,
                missing_accessories: vec![],
            },
            Role::Warehouse,
            t0(),
        );
        assert!(matches!(refused, Err(Refused::Rule(r)) if r.rule == "return-slip-required"));
        let remote = Deduction {
            reason: "remote missing".into(),
            amount_minor: m(50_00),
        };
        let f = ok(
            &f,
            Command::Receive {
                slip: slip(1),
                units_received: 1,
                missing_accessories: vec![remote],
            },
            Role::Warehouse,
            t0(),
        );
        let f = ok(
            &f,
            Command::Inspect(inspection(Responsibility::Merchant, 1)),
            Role::Quality,
            t0(),
        );
        let breakdown = f.refund.clone().unwrap();
        assert_eq!(breakdown.fee_minor, 0, "a quality fault carries no fee");
        assert_eq!(breakdown.total_minor, 3999_00 - 50_00 + 30_00);
        let paid = ok(&f, Command::ExecuteRefund, Role::Finance, t0());
        assert_eq!(paid.stage, Stage::Refunded);
        assert!(
            matches!(run(&paid, Command::ExecuteRefund, Role::Finance, t0()), Err(Refused::Rule(r)) if r.rule == "already-refunded")
        );
        assert!(
            matches!(run(&paid, Command::Cancel { reason: None }, Role::Customer, t0()), Err(Refused::Rule(r)) if r.rule == "not-cancellable")
        );
        assert!(matches!(
            run(&f, Command::ExecuteRefund, Role::Agent, t0()),
            Err(Refused::Forbidden(_))
        ));
    }

    #[test]
    fn a_customers_own_reason_costs_ten_percent_capped() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::CustomerReason);
        assert_eq!(
            refund_breakdown(&t, None, None, &policy()).fee_minor,
            399_90
        );
        t.unit_price_minor = m(9999_00);
        let b = refund_breakdown(&t, None, None, &policy());
        assert_eq!(b.fee_minor, 500_00, "capped at 500 yuan");
        assert_eq!(b.total_minor, 9999_00 - 500_00);
    }

    #[test]
    fn batches_quality_incidents_price_protection_and_large_compensation_raise_the_level() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
        assert_eq!(
            required_level(&t, &DayUnits::default(), true, &policy()).0,
            Role::Agent
        );
        t.units = 50;
        assert_eq!(
            required_level(&t, &DayUnits::default(), true, &policy()).0,
            Role::Manager
        );
        t.units = 49;
        t.model = None;
        assert_eq!(
            required_level(&t, &DayUnits::default(), true, &policy()).0,
            Role::Agent
        );
        t.units = 100;
        assert_eq!(
            required_level(&t, &DayUnits::default(), true, &policy()).0,
            Role::Manager
        );
        t.quality_incident = true;
        assert_eq!(
            required_level(&t, &DayUnits::default(), true, &policy()).0,
            Role::Admin
        );
        let mut p = terms(ReturnKind::PriceProtection, ReturnReason::MerchantError);
        p.amount_asked_minor = Some(m(100_00));
        assert_eq!(
            required_level(&p, &DayUnits::default(), true, &policy()).0,
            Role::Manager
        );
        let mut c = terms(ReturnKind::Compensation, ReturnReason::MerchantError);
        c.amount_asked_minor = Some(m(20_00));
        assert_eq!(
            required_level(&c, &DayUnits::default(), true, &policy()).0,
            Role::Agent,
            "up to the shipping fee"
        );
        c.amount_asked_minor = Some(m(20_01));
        assert_eq!(
            required_level(&c, &DayUnits::default(), true, &policy()).0,
            Role::Manager
        );
        let flow = open_held(c).unwrap();
        assert!(matches!(
            run(
                &flow,
                Command::Approve(reason("goodwill")),
                Role::Agent,
                t0()
            ),
            Err(Refused::Forbidden(_))
        ));
        assert!(
            matches!(run(&flow, Command::Approve(Reasoned { reason_code: String::new(), note: String::new() }), Role::Manager, t0()), Err(Refused::Rule(r)) if r.rule == "reason-required")
        );
    }

    #[test]
    fn an_exchange_settles_the_price_difference_both_ways() {
        let mut t = terms(ReturnKind::Exchange, ReturnReason::QualityFault);
        t.replacement_price_minor = Some(m(3499_00));
        assert_eq!(
            refund_breakdown(&t, None, None, &policy()).total_minor,
            500_00,
            "a cheaper replacement refunds the difference"
        );
        t.replacement_price_minor = Some(m(4299_00));
        assert_eq!(
            refund_breakdown(&t, None, None, &policy()).total_minor,
            0,
            "a dearer one is paid on the new order"
        );
        let flow = open_held(t).unwrap();
        assert!(flow.claim.as_ref().is_some_and(|c| c.minor > 0));
        let f = ok(&flow, Command::Approve(reason("fault")), Role::Agent, t0());
        let f = ok(
            &f,
            Command::Ship {
                carrier: "SF".into(),
                tracking_number: "SF1".into(),
            },
            Role::Customer,
            t0(),
        );
        let f = ok(
            &f,
            Command::Receive {
                slip: slip(1),
                units_received: 1,
                missing_accessories: vec![],
            },
            Role::Warehouse,
            t0(),
        );
        let free_shipping = Inspection {
            return_shipping_minor: m(0),
            ..inspection(Responsibility::Merchant, 1)
        };
        let f = ok(&f, Command::Inspect(free_shipping), Role::Quality, t0());
        assert_eq!(f.stage, Stage::ReshipPending);
        let f = ok(
            &f,
            Command::Reship {
                carrier: "SF".into(),
                tracking_number: "SF2".into(),
            },
            Role::Warehouse,
            t0(),
        );
        assert_eq!(f.stage, Stage::Exchanged);
        let claim = f.claim.expect("an exchange keeps its claim");
        assert_eq!(
            claim.minor, 0,
            "the order's money is left for other requests"
        );
        assert_eq!(
            claim.lines.values().sum::<u32>(),
            1,
            "the unit exchanged stays claimed"
        );
    }

    #[test]
    fn scrap_above_the_limit_waits_for_the_top_levels_sign_off() {
        let f = received(terms(
            ReturnKind::ReturnAndRefund,
            ReturnReason::QualityFault,
        ));
        let mut i = inspection(Responsibility::Merchant, 1);
        i.dispositions = vec![Disposition::Scrap];
        i.scrap_value_minor = m(30_000_01);
        assert!(
            matches!(
                run(&f, Command::Inspect(i.clone()), Role::Admin, t0()),
                Err(Refused::Forbidden(_))
            ),
            "the top level signs off, it does not inspect"
        );
        let inspected = ok(&f, Command::Inspect(i), Role::Quality, t0());
        assert!(inspected.scrap_sign_off_pending);
        assert!(matches!(
            run(
                &inspected,
                Command::ApproveScrap(reason("scrap_ok")),
                Role::Manager,
                t0()
            ),
            Err(Refused::Forbidden(_))
        ));
        let signed = ok(
            &inspected,
            Command::ApproveScrap(reason("scrap_ok")),
            Role::Admin,
            t0(),
        );
        assert!(!signed.scrap_sign_off_pending);
        assert!(
            matches!(run(&signed, Command::ApproveScrap(reason("again")), Role::Admin, t0()), Err(Refused::Rule(r)) if r.rule == "no-scrap-to-sign-off")
        );
    }

    /// A return of `t` approved, shipped and received (one unit).
    fn received(t: ReturnTerms) -> ReturnFlow {
        let flow = open_held(t).unwrap();
        let f = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
        let f = ok(
            &f,
            Command::Ship {
                carrier: "SF".into(),
                tracking_number: "SF1".into(),
            },
            Role::Customer,
            t0(),
        );
        ok(
            &f,
            Command::Receive {
                slip: slip(1),
                units_received: 1,
                missing_accessories: vec![],
            },
            Role::Warehouse,
            t0(),
        )
    }

    #[test]
    fn return_shipping_above_the_policys_cap_is_refused_and_the_refund_never_exceeds_price_plus_cap()
     {
        let f = received(terms(
            ReturnKind::ReturnAndRefund,
            ReturnReason::QualityFault,
        ));
        let mut i = inspection(Responsibility::Merchant, 1);
        i.return_shipping_minor = m(200_01);
        assert!(
            matches!(run(&f, Command::Inspect(i.clone()), Role::Quality, t0()), Err(Refused::Rule(r)) if r.rule == "return-shipping-above-cap")
        );
        i.return_shipping_minor = m(200_00);
        let inspected = ok(&f, Command::Inspect(i), Role::Quality, t0());
        assert_eq!(inspected.refund.unwrap().total_minor, 3999_00 + 200_00);
        assert!(
            serde_json::from_value::<Command>(serde_json::json!({
                "action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
                "resaleable": false, "dispositions": ["rework"],
                "return_shipping_minor": 1_000_000_000_000_000i64
            }))
            .is_err(),
            "10^15 is no amount"
        );
    }

    #[test]
    fn the_person_who_approved_a_refund_does_not_pay_it() {
        let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::QualityFault)).unwrap();
        let same = Actor {
            id: "pat".into(),
            role: Role::Agent,
            name: None,
        };
        let (approved, _) = decide(
            &flow,
            Command::Approve(reason("ok")),
            &same,
            t0(),
            &policy(),
        )
        .unwrap();
        assert_eq!(approved.approved_by.as_deref(), Some("pat"));
        let pat_in_finance = Actor {
            role: Role::Finance,
            ..same
        };
        assert!(matches!(
            decide(
                &approved,
                Command::ExecuteRefund,
                &pat_in_finance,
                t0(),
                &policy()
            ),
            Err(Refused::Forbidden(_))
        ));
        assert_eq!(
            ok(&approved, Command::ExecuteRefund, Role::Finance, t0()).stage,
            Stage::Refunded
        );
    }

    #[test]
    fn a_no_reason_return_that_cannot_be_resold_is_refused_or_deducted_as_the_policy_says() {
        let t = terms(ReturnKind::ReturnAndRefund, ReturnReason::CustomerReason);
        let mut used = inspection(Responsibility::Customer, 1);
        used.resaleable = false;
        let f = received(t.clone());
        let refused = ok(&f, Command::Inspect(used.clone()), Role::Quality, t0());
        assert_eq!(refused.stage, Stage::SendBackPending);
        assert_eq!(refused.refund, None, "never silently the full refund");
        assert!(matches!(
            run(&refused, Command::ExecuteRefund, Role::Finance, t0()),
            Err(Refused::Rule(r)) if r.rule == "wrong-stage"
        ));
        let back = ok(
            &refused,
            Command::Reship {
                carrier: "SF".into(),
                tracking_number: "SF9".into(),
            },
            Role::Warehouse,
            t0(),
        );
        assert_eq!(back.stage, Stage::SentBack);
        assert_eq!(
            back.stage.case_status(),
            super::super::case::CaseStatus::Closed
        );

        let mut deducting = policy();
        deducting.not_resaleable_no_reason = NotResaleable::Deduct { percent: 30 };
        let (inspected, _) = decide(
            &f,
            Command::Inspect(used.clone()),
            &who(Role::Quality),
            t0(),
            &deducting,
        )
        .unwrap();
        let b = inspected.refund.unwrap();
        let fee = 399_90;
        assert_eq!(
            b.total_minor,
            3999_00 - fee - 1199_70,
            "10% fee and 30% loss of value"
        );

        // A fault found by quality is not a no-reason return any more.
        let mut faulty = used;
        faulty.responsibility = Responsibility::Merchant;
        assert_eq!(
            ok(&f, Command::Inspect(faulty), Role::Quality, t0()).stage,
            Stage::RefundPending
        );
        // Resaleable goods are refunded as ever.
        let fine = Inspection {
            resaleable: true,
            ..inspection(Responsibility::Customer, 1)
        };
        assert_eq!(
            ok(&f, Command::Inspect(fine), Role::Quality, t0()).stage,
            Stage::RefundPending
        );
    }

    #[test]
    fn a_declared_amount_is_approved_by_the_clock_but_paid_by_finance_only() {
        let declared = ReturnFlow::open(
            terms(ReturnKind::RefundOnly, ReturnReason::QualityFault),
            None,
            &DayUnits::default(),
            t0(),
            &policy(),
        )
        .unwrap();
        assert!(!declared.amount_verified());
        let approved = ok(
            &declared,
            Command::DeadlineDue,
            Role::System,
            t0() + Duration::hours(48),
        );
        assert_eq!(
            approved.stage,
            Stage::RefundPending,
            "nobody checked the amount"
        );
        assert_eq!(approved.refunded_at, None);
        assert_eq!(
            ok(&approved, Command::ExecuteRefund, Role::Finance, t0()).stage,
            Stage::Refunded
        );
    }

    #[test]
    fn a_request_asks_no_more_than_its_order_line_paid_and_the_order_has_left() {
        let t = terms(ReturnKind::RefundOnly, ReturnReason::QualityFault);
        let paid = Paid {
            currency: Currency::CNY,
            line_id: "1".into(),
            unit_price_minor: 3999_00,
            quantity: 1,
            claimed_units: 0,
            left_minor: 3999_00,
            shipped: true,
            shipping_minor: 20_00,
        };
        assert_eq!(t.check_paid(&paid), Ok(()));
        let rule = |t: &ReturnTerms, p: &Paid| t.check_paid(p).unwrap_err().rule;
        let mut dearer = t.clone();
        dearer.unit_price_minor = m(4000_00);
        assert_eq!(rule(&dearer, &paid), "terms-exceed-order");
        let mut more = t.clone();
        more.units = 2;
        assert_eq!(rule(&more, &paid), "terms-exceed-order");
        let mut dollars = t.clone();
        dollars.currency = Currency::parse("USD").unwrap();
        assert_eq!(rule(&dollars, &paid), "terms-exceed-order");
        let taken = Paid {
            claimed_units: 1,
            ..paid.clone()
        };
        assert_eq!(
            rule(&t, &taken),
            "terms-exceed-order",
            "another request has the unit"
        );
        let refunded = Paid {
            left_minor: 100_00,
            ..paid
        };
        assert_eq!(rule(&t, &refunded), "order-already-refunded");
        let mut small = terms(ReturnKind::Compensation, ReturnReason::MerchantError);
        small.amount_asked_minor = Some(m(100_00));
        assert_eq!(
            small.check_paid(&refunded),
            Ok(()),
            "compensation claims what it asks"
        );
    }

    #[test]
    fn fewer_units_received_than_asked_are_refunded_as_received() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
        t.units = 10;
        t.unit_price_minor = m(100_00);
        let flow = open_held(t).unwrap();
        let f = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
        let f = ok(
            &f,
            Command::Ship {
                carrier: "SF".into(),
                tracking_number: "SF1".into(),
            },
            Role::Customer,
            t0(),
        );
        let f = ok(
            &f,
            Command::Receive {
                slip: slip(1),
                units_received: 1,
                missing_accessories: vec![],
            },
            Role::Warehouse,
            t0(),
        );
        let f = ok(
            &f,
            Command::Inspect(inspection(Responsibility::Merchant, 1)),
            Role::Quality,
            t0(),
        );
        assert_eq!(
            f.refund.unwrap().total_minor,
            100_00 + 30_00,
            "one unit and its shipping"
        );
    }

    #[test]
    fn one_model_spelled_three_ways_is_one_model_for_the_batch_rule() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
        t.units = 30;
        let mut day = DayUnits::default();
        for spelling in ["TV-55", "TV-55\u{200b}", "tv\u{2011}55"] {
            t.model = Some(spelling.into());
            day = day.with(&t);
        }
        assert_eq!(day.of_model(" Tv-55"), 90);
        t.model = Some("tv 55".into());
        assert_eq!(required_level(&t, &day, true, &policy()).0, Role::Manager);
    }

    #[test]
    fn a_request_states_the_orders_shipping_as_it_was() {
        let t = terms(ReturnKind::RefundOnly, ReturnReason::QualityFault);
        let paid = Paid {
            currency: Currency::CNY,
            line_id: "1".into(),
            unit_price_minor: 3999_00,
            quantity: 1,
            claimed_units: 0,
            left_minor: 3999_00,
            shipped: true,
            shipping_minor: 20_00,
        };
        let mut unshipped = t.clone();
        unshipped.order_shipped = false;
        unshipped.promised_ship_by = Some(t0());
        assert_eq!(
            unshipped.check_paid(&paid).unwrap_err().rule,
            "terms-exceed-order"
        );
        let mut promised = t.clone();
        promised.promised_ship_by = Some(t0());
        assert_eq!(
            promised.check_paid(&paid).unwrap_err().rule,
            "terms-exceed-order"
        );
        let mut dear_shipping = t.clone();
        dear_shipping.shipping_fee_minor = m(1_000_000_000_000);
        assert_eq!(
            dear_shipping.check_paid(&paid).unwrap_err().rule,
            "terms-exceed-order"
        );
    }

    #[test]
    fn a_declared_shipping_fee_does_not_lower_the_level_of_a_compensation() {
        let mut c = terms(ReturnKind::Compensation, ReturnReason::MerchantError);
        c.amount_asked_minor = Some(m(3999_00));
        c.shipping_fee_minor = m(1_000_000_000_000);
        assert_eq!(
            required_level(&c, &DayUnits::default(), false, &policy()).0,
            Role::Manager
        );
    }

    #[test]
    fn an_exchange_whose_replacement_went_out_can_no_longer_be_cancelled() {
        let mut t = terms(ReturnKind::Exchange, ReturnReason::QualityFault);
        t.replacement_price_minor = Some(m(3000_00));
        let f = received(t);
        let f = ok(
            &f,
            Command::Inspect(inspection(Responsibility::Merchant, 1)),
            Role::Quality,
            t0(),
        );
        let sent = ok(
            &f,
            Command::Reship {
                carrier: "SF".into(),
                tracking_number: "SF2".into(),
            },
            Role::Warehouse,
            t0(),
        );
        assert_eq!(
            sent.stage,
            Stage::RefundPending,
            "the difference is still to pay"
        );
        assert!(
            matches!(run(&sent, Command::Cancel { reason: None }, Role::Customer, t0()), Err(Refused::Rule(r)) if r.rule == "not-cancellable")
        );
    }

    #[test]
    fn a_partial_receipt_of_lines_of_different_prices_is_paid_at_the_least() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
        // A television (3 999.00) and nine cables (1.00): 4 008.00 over 10 units.
        t.units = 10;
        t.unit_price_minor = m(400_80);
        t.least_unit_price_minor = Some(m(1_00));
        let receipt = Receipt {
            slip: slip(9).unwrap(),
            units_received: 9,
            missing_accessories: vec![],
            received_at: t0(),
        };
        let b = refund_breakdown(&t, Some(&receipt), None, &policy());
        assert_eq!(b.total_minor, 9_00);
    }

    #[test]
    fn a_claim_is_given_back_in_full_when_unpaid_and_down_to_what_was_paid_when_paid() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
        t.units = 2;
        t.unit_price_minor = m(1000_00);
        let flow = open_held(t).unwrap();
        let claimed = flow.claim.clone().unwrap();
        assert_eq!(claimed.minor, 2000_00);
        let cancelled = ok(
            &flow,
            Command::Cancel { reason: None },
            Role::Customer,
            t0(),
        );
        let back = claimed.beyond(cancelled.claim.as_ref().unwrap()).unwrap();
        assert_eq!((back.minor, back.lines["1"]), (2000_00, 2));

        let f = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
        let f = ok(
            &f,
            Command::Ship {
                carrier: "SF".into(),
                tracking_number: "SF1".into(),
            },
            Role::Customer,
            t0(),
        );
        let f = ok(
            &f,
            Command::Receive {
                slip: slip(1),
                units_received: 1,
                missing_accessories: vec![],
            },
            Role::Warehouse,
            t0(),
        );
        let f = ok(
            &f,
            Command::Inspect(inspection(Responsibility::Merchant, 1)),
            Role::Quality,
            t0(),
        );
        let paid = ok(&f, Command::ExecuteRefund, Role::Finance, t0());
        let kept = paid.claim.as_ref().unwrap();
        assert_eq!(
            (kept.minor, kept.lines["1"]),
            (1000_00, 1),
            "the unit not returned is free again"
        );
        assert!(order_overdrawn(3999_00, 3999_00, 1));
        assert!(!order_overdrawn(3999_00, 0, 3999_00));
    }

    #[test]
    fn batch_thresholds_count_the_customers_units_of_the_day_not_the_request() {
        let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
        t.units = 25;
        let none = DayUnits::default();
        assert_eq!(required_level(&t, &none, true, &policy()).0, Role::Agent);
        let after_first = none.with(&t);
        assert_eq!(after_first.of_model("TV-55"), 25);
        assert_eq!(
            required_level(&t, &after_first, true, &policy()).0,
            Role::Manager,
            "25 + 25 units of one model on one day"
        );
        let mut other = t.clone();
        other.model = Some("TV-65".into());
        assert_eq!(
            required_level(&other, &after_first, true, &policy()).0,
            Role::Agent,
            "another model counts towards the total only"
        );
        let busy = DayUnits {
            total: 90,
            ..DayUnits::default()
        };
        other.units = 10;
        assert_eq!(
            required_level(&other, &busy, true, &policy()).0,
            Role::Manager,
            "100 units in all on one day"
        );
    }

    fn any_command() -> impl Strategy<Value = (Command, Role, i64)> {
        let roles = prop::sample::select(vec![
            Role::Customer,
            Role::Agent,
            Role::Manager,
            Role::Warehouse,
            Role::Quality,
            Role::Finance,
            Role::System,
        ]);
        let cmd = prop_oneof![
            Just(Command::Approve(Reasoned {
                reason_code: "ok".into(),
                note: String::new()
            })),
            Just(Command::Reject(Reasoned {
                reason_code: "no".into(),
                note: String::new()
            })),
            Just(Command::Resubmit {
                note: String::new()
            }),
            Just(Command::Escalate {
                note: String::new()
            }),
            Just(Command::Ship {
                carrier: "SF".into(),
                tracking_number: "1".into()
            }),
            (0u32..3).prop_map(|u| Command::Receive {
                slip: slip(u),
                units_received: u,
                missing_accessories: vec![Deduction {
                    reason: "box".into(),
                    amount_minor: m(10_00)
                }]
            }),
            Just(Command::Inspect(inspection(Responsibility::Customer, 1))),
            Just(Command::ExecuteRefund),
            Just(Command::Cancel { reason: None }),
            Just(Command::DeadlineDue),
        ];
        (cmd, roles, 0i64..400)
    }

    proptest! {
        #[test]
        fn the_refund_never_exceeds_what_was_paid_and_each_change_is_one_stage(
            kind in prop::sample::select(vec![ReturnKind::RefundOnly, ReturnKind::ReturnAndRefund, ReturnKind::Compensation]),
            reason in prop::sample::select(vec![ReturnReason::QualityFault, ReturnReason::CustomerReason]),
            price in 0i64..2_000_000,
            steps in prop::collection::vec(any_command(), 1..25),
        ) {
            let mut t = terms(kind, reason);
            t.unit_price_minor = m(price);
            if kind == ReturnKind::Compensation { t.amount_asked_minor = Some(m(price.max(1))); t.unit_price_minor = m(price.max(1)); }
            let mut flow = open_held(t.clone()).unwrap();
            let mut now = t0();
            let mut refunds = 0;
            for (cmd, role, hours) in steps {
                now += Duration::hours(hours);
                let before = flow.stage;
                // `decide` is pure: a refused command leaves `flow` as it was.
                if let Ok((next, changes)) = decide(&flow, cmd, &who(role), now, &policy()) {
                    refunds += changes.iter().filter(|c| matches!(c, ReturnChange::Refunded { .. })).count();
                    if next.stage != before { prop_assert!(!changes.is_empty(), "a stage change is on the timeline"); }
                    flow = next;
                }
                if let Some(b) = &flow.refund {
                    prop_assert!(b.total_minor >= 0);
                    prop_assert!(b.total_minor <= t.paid_minor().unwrap() + b.shipping_reimbursed_minor);
                }
            }
            prop_assert!(refunds <= 1, "a refund is paid at most once");
        }
    }

    proptest! {
        #[test]
        fn amounts_up_to_i64_bounds_are_refused_or_give_a_refund_within_paid_plus_the_shipping_cap(
            price in any::<i64>(),
            units in 1u32..=MAX_UNITS,
            shipping in any::<i64>(),
            damage in prop::collection::vec(any::<i64>(), 0..4),
            accessories in prop::collection::vec(any::<i64>(), 0..4),
            fee_percent in 0u32..=100,
            reason in prop::sample::select(vec![ReturnReason::QualityFault, ReturnReason::CustomerReason]),
            responsibility in prop::sample::select(vec![Responsibility::Merchant, Responsibility::Carrier, Responsibility::Customer]),
        ) {
            let amount = |x: i64| Amount::new(x).ok();
            let (Some(price), Some(shipping)) = (amount(price), amount(shipping)) else {
                let bounds = 0..=MAX_AMOUNT_MINOR;
                prop_assert!(!bounds.contains(&price) || !bounds.contains(&shipping));
                return Ok(());
            };
            let deductions = |raw: Vec<i64>| -> Vec<Deduction> {
                raw.into_iter()
                    .filter_map(amount)
                    .map(|a| Deduction { reason: "x".into(), amount_minor: a })
                    .collect()
            };
            let mut t = terms(ReturnKind::ReturnAndRefund, reason);
            t.unit_price_minor = price;
            t.units = units;
            let mut p = policy();
            p.fee_percent = fee_percent;
            p.not_resaleable_no_reason = NotResaleable::Deduct { percent: 100 };
            let Some(paid) = t.paid_minor() else {
                prop_assert!(t.validate().is_err(), "a request whose price cannot be summed is refused");
                return Ok(());
            };
            let receipt = Receipt {
                slip: slip(1).unwrap(),
                units_received: 1,
                missing_accessories: deductions(accessories),
                received_at: t0(),
            };
            let inspection = Inspection {
                damage: deductions(damage),
                return_shipping_minor: shipping,
                ..inspection(responsibility, 1)
            };
            let b = refund_breakdown(&t, Some(&receipt), Some(&inspection), &p);
            prop_assert!(b.total_minor >= 0);
            prop_assert!(b.shipping_reimbursed_minor <= p.return_shipping_cap_minor.get());
            prop_assert!(b.total_minor <= paid + b.shipping_reimbursed_minor);
        }
    }
}
