//! The refund's arithmetic (DOMAIN §4.4).

use serde::{Deserialize, Serialize};

use super::*;
use crate::domain::values::{Amount, Currency};

/// How a refund's amount is made up; `total_minor` is what is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
pub(super) fn percent_of(amount: i64, percent: u32) -> i64 {
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
