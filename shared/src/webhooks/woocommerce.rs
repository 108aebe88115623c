//! WooCommerce's webhook payloads (the REST API v3 order shape) and topics.
//!
//! Refunds arrive inside `order.updated` (the order's `refunds` list). A delivery id can
//! repeat across different events, so deliveries are told apart by the webhook id, the
//! resource id and its modification time ([`dedup_key`]).

use serde::Deserialize;

use super::{Inbound, PayloadError, full_name, id_string, opt_time, order_id, parse_time};
use crate::domain::order::{Order, OrderCustomer, OrderLine, Refund, minor_exponent, parse_minor};
use crate::domain::values::Currency;

#[derive(Deserialize)]
struct WooOrder {
    #[serde(deserialize_with = "id_string")]
    id: String,
    number: Option<String>,
    status: String,
    currency: String,
    date_created_gmt: String,
    date_modified_gmt: Option<String>,
    date_paid_gmt: Option<String>,
    date_completed_gmt: Option<String>,
    total: String,
    #[serde(default)]
    customer_id: u64,
    billing: Option<WooBilling>,
    #[serde(default)]
    line_items: Vec<WooLine>,
    #[serde(default)]
    refunds: Vec<WooRefund>,
}

#[derive(Deserialize)]
struct WooBilling {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct WooLine {
    #[serde(deserialize_with = "id_string")]
    id: String,
    name: String,
    sku: Option<String>,
    quantity: u32,
    /// The line's total after discounts, a decimal string (its `price` is a float: unused).
    total: String,
    #[serde(default)]
    meta_data: Vec<WooMeta>,
}

#[derive(Deserialize)]
struct WooMeta {
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct WooRefund {
    #[serde(deserialize_with = "id_string")]
    id: String,
    total: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Just enough of any resource to de-duplicate a delivery.
#[derive(Deserialize)]
struct Resource {
    #[serde(deserialize_with = "id_string")]
    id: String,
    date_modified_gmt: Option<String>,
}

/// Webhook id + resource id + modification time: the same change delivered twice.
pub fn dedup_key(webhook_id: &str, body: &[u8]) -> Result<String, PayloadError> {
    let r: Resource = serde_json::from_slice(body)?;
    Ok(format!(
        "{webhook_id}:{}:{}",
        r.id,
        r.date_modified_gmt.unwrap_or_default()
    ))
}

fn order(storefront: &str, o: WooOrder) -> Result<Order, PayloadError> {
    let currency = Currency::parse(&o.currency).map_err(PayloadError)?;
    let exp = minor_exponent(currency);
    let modified = opt_time(o.date_modified_gmt.as_deref())?;
    let lines = o
        .line_items
        .iter()
        .map(|l| {
            let total = parse_minor(&l.total, exp).map_err(PayloadError)?;
            let meta = |keys: &[&str]| {
                l.meta_data
                    .iter()
                    .filter(|m| keys.iter().any(|k| m.key.eq_ignore_ascii_case(k)))
                    .filter_map(|m| m.value.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            };
            Ok(OrderLine {
                line_id: l.id.clone(),
                sku: l.sku.clone().filter(|s| !s.is_empty()),
                title: l.name.clone(),
                quantity: l.quantity,
                unit_price_minor: if l.quantity == 0 {
                    total
                } else {
                    total / i64::from(l.quantity)
                },
                category: super::category_key(meta(&["category", "_category"])),
                serial_numbers: meta(&["serial_number", "_serial_number"]),
            })
        })
        .collect::<Result<Vec<_>, PayloadError>>()?;
    let at = modified.unwrap_or(parse_time(&o.date_created_gmt)?);
    let refunds = o
        .refunds
        .iter()
        .map(|r| {
            Ok(Refund {
                refund_id: r.id.clone(),
                amount_minor: parse_minor(&r.total, exp).map_err(PayloadError)?.abs(),
                at,
                by_case: Refund::marked_case(r.reason.as_deref()),
            })
        })
        .collect::<Result<Vec<_>, PayloadError>>()?;
    let billing = o.billing.as_ref();
    let name = billing.and_then(|b| full_name(b.first_name.as_deref(), b.last_name.as_deref()));
    Ok(Order {
        storefront: storefront.to_owned(),
        order_id: order_id(o.id)?,
        name: o.number.map(|n| format!("#{n}")),
        customer: OrderCustomer {
            id: (o.customer_id != 0).then(|| o.customer_id.to_string()),
            email: billing
                .and_then(|b| b.email.clone())
                .filter(|e| !e.is_empty())
                .map(|e| e.trim().to_ascii_lowercase()),
            name,
            phone: billing
                .and_then(|b| b.phone.clone())
                .filter(|p| !p.is_empty()),
        },
        currency,
        total_minor: parse_minor(&o.total, exp).map_err(PayloadError)?,
        lines,
        created_at: parse_time(&o.date_created_gmt)?,
        paid_at: opt_time(o.date_paid_gmt.as_deref())?,
        shipped_at: opt_time(o.date_completed_gmt.as_deref())?,
        delivered_at: None,
        cancelled_at: (o.status == "cancelled").then_some(at),
        refunds,
        source_updated_at: at,
    })
}

/// Parses a WooCommerce delivery of `topic` (`order.created`, `order.updated`, ...).
/// The event in a delivery's body, checked (see [`Inbound::checked`]).
pub fn parse(storefront: &str, topic: &str, body: &[u8]) -> Result<Inbound, PayloadError> {
    parse_unchecked(storefront, topic, body).and_then(Inbound::checked)
}

fn parse_unchecked(storefront: &str, topic: &str, body: &[u8]) -> Result<Inbound, PayloadError> {
    match topic {
        "order.created" | "order.updated" | "order.restored" => Ok(Inbound::Order(order(
            storefront,
            serde_json::from_slice(body)?,
        )?)),
        other => Ok(Inbound::Ignored {
            topic: other.to_owned(),
        }),
    }
}
