//! Our own schema for any other storefront, delivered the Standard Webhooks way
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The body is
//! `{"type": "...", "timestamp": "...", "data": {...}}` with these types:
//!
//! | type               | data                                                                 |
//! |--------------------|----------------------------------------------------------------------|
//! | `order.upserted`   | an order: `order_id`, `updated_at`, `currency`, `total`, `lines`, customer, dates |
//! | `refund.created`   | `order_id`, `refund_id`, `amount`, `created_at`                       |
//! | `return.requested` | `return_id`, `order_id`, `lines` (`line_id`, `quantity`, `reason`, `note`), `refund_only`, `requested_at` |
//! | `return.cancelled` | `return_id`, `cancelled_at`                                           |
//!
//! Amounts are decimal strings (`"199.00"`); ids are strings or integers; times are RFC 3339.
//! `tests/fixtures/generic/` holds one example of each.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Inbound, PayloadError, ReturnLine, ReturnRequest, id_string, order_id};
use crate::domain::order::{Order, OrderCustomer, OrderLine, Refund, minor_exponent, parse_minor};
use crate::domain::values::Currency;

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericOrder {
    #[serde(deserialize_with = "id_string")]
    order_id: String,
    name: Option<String>,
    #[serde(default)]
    customer: GenericCustomer,
    currency: String,
    total: String,
    lines: Vec<GenericLine>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GenericCustomer {
    #[serde(default, deserialize_with = "super::opt_id_string")]
    id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericLine {
    #[serde(deserialize_with = "id_string")]
    line_id: String,
    sku: Option<String>,
    title: String,
    quantity: u32,
    unit_price: String,
    category: Option<String>,
    #[serde(default)]
    serial_numbers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericRefund {
    #[serde(deserialize_with = "id_string")]
    order_id: String,
    #[serde(deserialize_with = "id_string")]
    refund_id: String,
    amount: String,
    currency: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericReturn {
    #[serde(deserialize_with = "id_string")]
    return_id: String,
    #[serde(deserialize_with = "id_string")]
    order_id: String,
    lines: Vec<ReturnLine>,
    #[serde(default)]
    refund_only: bool,
    requested_at: DateTime<Utc>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericReturnCancel {
    #[serde(deserialize_with = "id_string")]
    return_id: String,
    cancelled_at: DateTime<Utc>,
}

/// The event in a delivery's body, checked (see [`Inbound::checked`]).
pub fn parse(storefront: &str, body: &[u8]) -> Result<Inbound, PayloadError> {
    parse_unchecked(storefront, body).and_then(Inbound::checked)
}

fn parse_unchecked(storefront: &str, body: &[u8]) -> Result<Inbound, PayloadError> {
    let env: Envelope = serde_json::from_slice(body)?;
    match env.kind.as_str() {
        "order.upserted" => {
            let o: GenericOrder = serde_json::from_value(env.data)?;
            let currency = Currency::parse(&o.currency).map_err(PayloadError)?;
            let exp = minor_exponent(currency);
            let lines = o
                .lines
                .into_iter()
                .map(|l| {
                    Ok(OrderLine {
                        line_id: l.line_id,
                        sku: l.sku,
                        title: l.title,
                        quantity: l.quantity,
                        unit_price_minor: parse_minor(&l.unit_price, exp).map_err(PayloadError)?,
                        category: l.category,
                        serial_numbers: l.serial_numbers,
                    })
                })
                .collect::<Result<Vec<_>, PayloadError>>()?;
            Ok(Inbound::Order(Order {
                storefront: storefront.to_owned(),
                order_id: order_id(o.order_id)?,
                name: o.name,
                customer: OrderCustomer {
                    id: o.customer.id,
                    email: o.customer.email.map(|e| e.trim().to_ascii_lowercase()),
                    name: o.customer.name,
                    phone: o.customer.phone,
                },
                currency,
                total_minor: parse_minor(&o.total, exp).map_err(PayloadError)?,
                lines,
                created_at: o.created_at,
                paid_at: o.paid_at,
                shipped_at: o.shipped_at,
                delivered_at: o.delivered_at,
                cancelled_at: o.cancelled_at,
                refunds: Vec::new(),
                source_updated_at: o.updated_at,
            }))
        }
        "refund.created" => {
            let r: GenericRefund = serde_json::from_value(env.data)?;
            let exp = match r.currency.as_deref() {
                Some(c) => minor_exponent(Currency::parse(c).map_err(PayloadError)?),
                None => 2,
            };
            let refund = Refund {
                refund_id: r.refund_id,
                amount_minor: parse_minor(&r.amount, exp).map_err(PayloadError)?.abs(),
                at: r.created_at,
                by_case: None,
            };
            Ok(Inbound::Refund {
                order_id: order_id(r.order_id)?,
                refund,
            })
        }
        "return.requested" => {
            let r: GenericReturn = serde_json::from_value(env.data)?;
            Ok(Inbound::ReturnRequested(ReturnRequest {
                return_id: r.return_id,
                order_id: order_id(r.order_id)?,
                lines: r.lines,
                refund_only: r.refund_only,
                requested_at: r.requested_at,
                note: r.note,
            }))
        }
        "return.cancelled" => {
            let r: GenericReturnCancel = serde_json::from_value(env.data)?;
            Ok(Inbound::ReturnChanged {
                return_id: r.return_id,
                status: "cancelled".into(),
                at: r.cancelled_at,
            })
        }
        other => Ok(Inbound::Ignored {
            topic: other.to_owned(),
        }),
    }
}
