//! The goods coming back: shipment, receipt slip, deductions, inspection.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::*;
use crate::domain::values::Amount;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: DateTime<Utc>,
}

/// 退货单: what the returned parcel must come with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnSlip {
    pub item_number: String,
    pub item_name: String,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    pub defect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deduction {
    pub reason: String,
    pub amount_minor: Amount,
}

/// Deductions one step may name (missing accessories, damage).
pub const MAX_DEDUCTIONS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    pub slip: ReturnSlip,
    pub units_received: u32,
    /// Accessories missing (box, remote, stand...), each deducted from the refund.
    pub missing_accessories: Vec<Deduction>,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Responsibility {
    Merchant,
    Carrier,
    Customer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Restock,
    Rework,
    RepairAndReturn,
    ReturnToSupplier,
    Scrap,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    pub(super) fn customers_doing(&self) -> bool {
        self.responsibility == Responsibility::Customer
    }
}

/// A no-reason return (七天无理由) whose goods quality found cannot be sold again: DOMAIN §3
/// allows the no-reason return only for goods that can.
pub(super) fn no_reason_not_resaleable(terms: &ReturnTerms, inspection: &Inspection) -> bool {
    terms.reason == ReturnReason::CustomerReason
        && inspection.customers_doing()
        && !inspection.resaleable
}
