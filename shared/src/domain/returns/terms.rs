//! What a request asks (kind, reason, units, money), what it claims of a held order, and a customer's units of the day.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::*;
use crate::domain::RuleError;
use crate::domain::values::{Amount, Currency, bounded_text, sane_time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    QualityFault,
    MerchantError,
    CustomerReason,
}

/// What was asked for, with the money it concerns: fixed when the flow opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

pub(super) fn yes() -> bool {
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

    pub(super) fn goods_come_back(&self) -> bool {
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayUnits {
    pub total: u32,
    #[serde(default)]
    pub by_model: BTreeMap<String, u32>,
}

/// Models counted one by one per customer and day; past this, only the total grows (no
/// honest customer returns this many models in a day, and the record must stay small).
pub(super) const MAX_MODELS_PER_DAY: usize = 200;

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
