//! Shopify's webhook payloads (REST Admin API shapes) and topics.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{
    Inbound, PayloadError, ReturnLine, ReturnRequest, full_name, id_string, opt_id_string,
    opt_time, order_id, parse_time,
};
use crate::domain::order::{Order, OrderCustomer, OrderLine, Refund, minor_exponent, parse_minor};
use crate::domain::values::Currency;

#[derive(Deserialize)]
struct ShopifyOrder {
    #[serde(deserialize_with = "id_string")]
    id: String,
    name: Option<String>,
    email: Option<String>,
    contact_email: Option<String>,
    phone: Option<String>,
    created_at: String,
    updated_at: Option<String>,
    processed_at: Option<String>,
    cancelled_at: Option<String>,
    currency: String,
    total_price: String,
    financial_status: Option<String>,
    customer: Option<ShopifyCustomer>,
    #[serde(default)]
    line_items: Vec<ShopifyLine>,
    #[serde(default)]
    fulfillments: Vec<ShopifyFulfillment>,
    #[serde(default)]
    refunds: Vec<ShopifyRefund>,
}

#[derive(Deserialize)]
struct ShopifyCustomer {
    #[serde(default, deserialize_with = "opt_id_string")]
    id: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyLine {
    #[serde(deserialize_with = "id_string")]
    id: String,
    sku: Option<String>,
    title: Option<String>,
    name: Option<String>,
    quantity: u32,
    price: String,
    #[serde(default)]
    properties: Vec<ShopifyProperty>,
}

#[derive(Deserialize)]
struct ShopifyProperty {
    name: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct ShopifyFulfillment {
    created_at: Option<String>,
    updated_at: Option<String>,
    shipment_status: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyRefund {
    #[serde(deserialize_with = "id_string")]
    id: String,
    #[serde(default, deserialize_with = "opt_id_string")]
    order_id: Option<String>,
    created_at: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    transactions: Vec<ShopifyTransaction>,
}

#[derive(Deserialize)]
struct ShopifyTransaction {
    amount: String,
    kind: Option<String>,
    status: Option<String>,
    currency: Option<String>,
}

#[derive(Deserialize)]
struct ShopifyReturn {
    #[serde(deserialize_with = "id_string")]
    id: String,
    status: Option<String>,
    order: Option<ShopifyRef>,
    #[serde(default, deserialize_with = "opt_id_string")]
    order_id: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    #[serde(default)]
    return_line_items: Vec<ShopifyReturnLine>,
}

#[derive(Deserialize)]
struct ShopifyRef {
    #[serde(deserialize_with = "id_string")]
    id: String,
}

#[derive(Deserialize)]
struct ShopifyReturnLine {
    quantity: u32,
    return_reason: Option<String>,
    return_reason_note: Option<String>,
    customer_note: Option<String>,
    fulfillment_line_item: Option<ShopifyFulfillmentLine>,
}

#[derive(Deserialize)]
struct ShopifyFulfillmentLine {
    line_item: ShopifyRef,
}

/// A refund's amount: its successful refund transactions, each in its own currency's minor
/// units (the order's `exponent` where a transaction does not name its currency).
fn refund_of(r: &ShopifyRefund, exponent: u32) -> Result<Refund, PayloadError> {
    let amount = r
        .transactions
        .iter()
        .filter(|t| t.kind.as_deref().is_none_or(|k| k == "refund"))
        .filter(|t| t.status.as_deref().is_none_or(|s| s == "success"))
        .map(|t| {
            let exp = match t.currency.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => minor_exponent(Currency::parse(c).map_err(PayloadError)?),
                None => exponent,
            };
            parse_minor(&t.amount, exp).map_err(PayloadError)
        })
        .try_fold(0i64, |sum, amount| {
            sum.checked_add(amount?)
                .ok_or_else(|| PayloadError("the refund's transactions sum too large".into()))
        })?;
    Ok(Refund {
        refund_id: r.id.clone(),
        amount_minor: amount.abs(),
        at: parse_time(&r.created_at)?,
        by_case: Refund::marked_case(r.note.as_deref()),
    })
}

fn order(storefront: &str, o: ShopifyOrder) -> Result<Order, PayloadError> {
    let currency = Currency::parse(&o.currency).map_err(PayloadError)?;
    let exp = minor_exponent(currency);
    let created_at = parse_time(&o.created_at)?;
    let paid = matches!(
        o.financial_status.as_deref(),
        // Partly paid is not paid: what was paid is not known here, and nothing is refunded
        // of an order that was not paid in full.
        Some("paid" | "partially_refunded" | "refunded")
    );
    let lines = o
        .line_items
        .iter()
        .map(|l| {
            let prop = |names: &[&str]| {
                l.properties
                    .iter()
                    .filter(|p| names.iter().any(|n| p.name.eq_ignore_ascii_case(n)))
                    .filter_map(|p| p.value.as_str().map(str::to_owned))
                    .collect::<Vec<_>>()
            };
            Ok(OrderLine {
                line_id: l.id.clone(),
                sku: l.sku.clone().filter(|s| !s.is_empty()),
                title: l
                    .title
                    .clone()
                    .or_else(|| l.name.clone())
                    .unwrap_or_default(),
                quantity: l.quantity,
                unit_price_minor: parse_minor(&l.price, exp).map_err(PayloadError)?,
                category: super::category_key(prop(&["category", "_category"])),
                serial_numbers: prop(&["serial_number", "serial number", "_serial_number"]),
            })
        })
        .collect::<Result<Vec<_>, PayloadError>>()?;
    let shipped_at = o
        .fulfillments
        .iter()
        .filter(|f| f.status.as_deref() != Some("cancelled"))
        .filter_map(|f| f.created_at.as_deref())
        .map(parse_time)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .min();
    let delivered_at = o
        .fulfillments
        .iter()
        .filter(|f| f.shipment_status.as_deref() == Some("delivered"))
        .filter_map(|f| f.updated_at.as_deref())
        .map(parse_time)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max();
    let refunds = o
        .refunds
        .iter()
        .map(|r| refund_of(r, exp))
        .collect::<Result<Vec<_>, _>>()?;
    let customer = o.customer.as_ref();
    let name = customer.and_then(|c| full_name(c.first_name.as_deref(), c.last_name.as_deref()));
    Ok(Order {
        storefront: storefront.to_owned(),
        order_id: order_id(o.id)?,
        name: o.name,
        customer: OrderCustomer {
            id: customer.and_then(|c| c.id.clone()),
            email: customer
                .and_then(|c| c.email.clone())
                .or(o.contact_email)
                .or(o.email)
                .map(|e| e.trim().to_ascii_lowercase()),
            name,
            phone: customer.and_then(|c| c.phone.clone()).or(o.phone),
        },
        currency,
        total_minor: parse_minor(&o.total_price, exp).map_err(PayloadError)?,
        lines,
        created_at,
        paid_at: if paid {
            opt_time(o.processed_at.as_deref())?.or(Some(created_at))
        } else {
            None
        },
        shipped_at,
        delivered_at,
        cancelled_at: opt_time(o.cancelled_at.as_deref())?,
        refunds,
        source_updated_at: opt_time(o.updated_at.as_deref())?.unwrap_or(created_at),
    })
}

/// Parses a Shopify delivery of `topic`. `triggered_at` (`X-Shopify-Triggered-At`) dates
/// events whose payload has no modification time.
/// The event in a delivery's body, checked (see [`Inbound::checked`]).
pub fn parse(
    storefront: &str,
    topic: &str,
    body: &[u8],
    triggered_at: Option<DateTime<Utc>>,
) -> Result<Inbound, PayloadError> {
    parse_unchecked(storefront, topic, body, triggered_at).and_then(Inbound::checked)
}

fn parse_unchecked(
    storefront: &str,
    topic: &str,
    body: &[u8],
    triggered_at: Option<DateTime<Utc>>,
) -> Result<Inbound, PayloadError> {
    match topic {
        "orders/create"
        | "orders/updated"
        | "orders/paid"
        | "orders/fulfilled"
        | "orders/partially_fulfilled"
        | "orders/cancelled" => Ok(Inbound::Order(order(
            storefront,
            serde_json::from_slice(body)?,
        )?)),
        "refunds/create" => {
            let r: ShopifyRefund = serde_json::from_slice(body)?;
            let order = r
                .order_id
                .clone()
                .ok_or_else(|| PayloadError("a refund without order_id".into()))?;
            // Each transaction names its currency; one that does not is read with 2 decimals.
            let refund = refund_of(&r, 2)?;
            Ok(Inbound::Refund {
                order_id: order_id(order)?,
                refund,
            })
        }
        "returns/request" => {
            let r: ShopifyReturn = serde_json::from_slice(body)?;
            let order = r
                .order
                .map(|o| o.id)
                .or(r.order_id)
                .ok_or_else(|| PayloadError("a return without its order".into()))?;
            let lines = r
                .return_line_items
                .into_iter()
                .map(|l| {
                    let line_id =
                        l.fulfillment_line_item
                            .map(|f| f.line_item.id)
                            .ok_or_else(|| {
                                PayloadError("a return line without its order line".into())
                            })?;
                    Ok(ReturnLine {
                        line_id,
                        quantity: l.quantity,
                        reason: l.return_reason,
                        note: l
                            .customer_note
                            .or(l.return_reason_note)
                            .filter(|n| !n.is_empty()),
                    })
                })
                .collect::<Result<Vec<_>, PayloadError>>()?;
            let requested_at = opt_time(r.created_at.as_deref())?
                .or(triggered_at)
                .unwrap_or_else(Utc::now);
            Ok(Inbound::ReturnRequested(ReturnRequest {
                return_id: r.id,
                order_id: order_id(order)?,
                lines,
                refund_only: false,
                requested_at,
                note: None,
            }))
        }
        t if t.starts_with("returns/") => {
            let r: ShopifyReturn = serde_json::from_slice(body)?;
            let at = opt_time(r.updated_at.as_deref())?
                .or(triggered_at)
                .unwrap_or_else(Utc::now);
            let status = r
                .status
                .unwrap_or_else(|| t.trim_start_matches("returns/").to_owned());
            Ok(Inbound::ReturnChanged {
                return_id: r.id,
                status,
                at,
            })
        }
        other => Ok(Inbound::Ignored {
            topic: other.to_owned(),
        }),
    }
}
