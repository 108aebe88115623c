//! Storefront webhooks: who may send them, how they are verified, and what they say.
//!
//! Each sender's payload is parsed into one [`Inbound`] event, so that what an event *does*
//! (store an order, open a return case, note a refund) is written once, whatever the sender.
//!
//! - [`config`]: the connected storefronts and their (rotating) secrets;
//! - [`verify`]: constant-time signature checks over the raw body;
//! - [`shopify`], [`woocommerce`], [`generic`]: each sender's shapes and topics.

pub mod config;
pub mod generic;
pub mod shopify;
pub mod verify;
pub mod woocommerce;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::domain::order::{Order, Refund};
pub use crate::domain::order::{ReturnLine, ReturnRequest};
use crate::domain::returns::MAX_UNITS;
use crate::domain::values::Amount;
use crate::domain::values::OrderId;

/// What a storefront told us, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A snapshot of an order (created, paid, fulfilled, updated or cancelled).
    Order(Order),
    /// A refund made at the storefront.
    Refund { order_id: OrderId, refund: Refund },
    /// A customer asked to return goods at the storefront.
    ReturnRequested(ReturnRequest),
    /// A return's status changed at the storefront (cancelled, declined, approved, closed...).
    ReturnChanged {
        return_id: String,
        status: String,
        at: DateTime<Utc>,
    },
    /// A topic we do not act on: accepted and ignored.
    Ignored { topic: String },
}

/// Lines an order may have, and lines a return may name: far above any real order, and small
/// enough that the order's record fits a DynamoDB item.
pub const MAX_ORDER_LINES: usize = 500;
pub const MAX_RETURN_LINES: usize = 50;
/// Refunds one order may carry.
pub const MAX_REFUNDS: usize = 200;
/// The most an order may weigh as stored (a DynamoDB item holds 400 KB).
pub const MAX_ORDER_BYTES: usize = 300 * 1024;

impl Inbound {
    /// The event if every time in it is sane and every list within its bound: what each
    /// sender's parser answers, so that no payload can reach the store with a date chrono
    /// cannot add to, or a record DynamoDB cannot hold.
    pub fn checked(self) -> Result<Self, PayloadError> {
        let too_many = |what: &str, max: usize| {
            PayloadError(format!(
                "more than {max} {what}: this system does not take it"
            ))
        };
        match &self {
            Inbound::Order(o) => {
                if o.lines.len() > MAX_ORDER_LINES {
                    return Err(too_many("order lines", MAX_ORDER_LINES));
                }
                let amount = |what: &str, minor: i64| {
                    Amount::new(minor).map(|_| ()).map_err(|e| {
                        PayloadError(format!("{what}: {e} (a price is never negative)"))
                    })
                };
                amount("the order's total", o.total_minor)?;
                let mut ids = std::collections::BTreeSet::new();
                for line in &o.lines {
                    amount("a line's price", line.unit_price_minor)?;
                    if line.quantity > MAX_UNITS {
                        return Err(PayloadError(format!(
                            "a line of more than {MAX_UNITS} units: this system does not take it"
                        )));
                    }
                    if !ids.insert(line.line_id.as_str()) {
                        return Err(PayloadError(format!(
                            "line {} is listed twice",
                            line.line_id
                        )));
                    }
                    key_part("a line id", &line.line_id)?;
                    text("a line's title", &line.title, 1000)?;
                    text("a line's SKU", line.sku.as_deref().unwrap_or(""), 255)?;
                    if line
                        .category
                        .as_deref()
                        .is_some_and(|c| !crate::domain::policy::is_category_key(c))
                    {
                        return Err(PayloadError(
                            "a line's category is a category key: 1 to 64 letters, digits, '_' or '-'"
                                .into(),
                        ));
                    }
                    if line.serial_numbers.len() > 100 {
                        return Err(too_many("serial numbers on a line", 100));
                    }
                    for serial in &line.serial_numbers {
                        text("a serial number", serial, 100)?;
                    }
                }
                if let Some(id) = &o.customer.id {
                    key_part("the customer id", id)?;
                }
                // The e-mail is an index key (at most 2 KB): an address is at most 254.
                text(
                    "the customer's e-mail",
                    o.customer.email.as_deref().unwrap_or(""),
                    254,
                )?;
                text(
                    "the customer's name",
                    o.customer.name.as_deref().unwrap_or(""),
                    200,
                )?;
                text(
                    "the customer's phone",
                    o.customer.phone.as_deref().unwrap_or(""),
                    50,
                )?;
                text("the order's name", o.name.as_deref().unwrap_or(""), 100)?;
                for refund in &o.refunds {
                    key_part("a refund id", &refund.refund_id)?;
                }
                if o.refunds.len() > MAX_REFUNDS {
                    return Err(too_many("refunds", MAX_REFUNDS));
                }
                // A DynamoDB item holds 400 KB; the order is stored with its summary.
                if serde_json::to_vec(o).map_or(usize::MAX, |v| v.len()) > MAX_ORDER_BYTES {
                    return Err(PayloadError(format!(
                        "the order is larger than {MAX_ORDER_BYTES} bytes once read: this system does not take it"
                    )));
                }
                let times = [Some(o.created_at), Some(o.source_updated_at)]
                    .into_iter()
                    .chain([o.paid_at, o.shipped_at, o.delivered_at, o.cancelled_at])
                    .flatten()
                    .chain(o.refunds.iter().map(|r| r.at));
                for t in times {
                    sane(t)?;
                }
            }
            Inbound::Refund { refund, .. } => {
                key_part("the refund id", &refund.refund_id)?;
                sane(refund.at)?;
            }
            Inbound::ReturnRequested(r) => {
                if r.lines.len() > MAX_RETURN_LINES {
                    return Err(too_many("return lines", MAX_RETURN_LINES));
                }
                key_part("the return id", &r.return_id)?;
                text("the return's note", r.note.as_deref().unwrap_or(""), 2000)?;
                for line in &r.lines {
                    key_part("a line id", &line.line_id)?;
                    text("a return reason", line.reason.as_deref().unwrap_or(""), 200)?;
                    text(
                        "a return line's note",
                        line.note.as_deref().unwrap_or(""),
                        2000,
                    )?;
                }
                sane(r.requested_at)?;
            }
            Inbound::ReturnChanged { at, return_id, .. } => {
                key_part("the return id", return_id)?;
                sane(*at)?;
            }
            Inbound::Ignored { .. } => {}
        }
        Ok(self)
    }
}

/// An id that becomes part of a key or a record: 1 to 128 characters, no control characters.
fn key_part(what: &str, id: &str) -> Result<(), PayloadError> {
    if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
        return Err(PayloadError(format!(
            "{what} must be 1 to 128 characters without control characters"
        )));
    }
    Ok(())
}

/// A storefront's category property, kept only when it can name a policy category: the
/// merchant types these freely, and one that cannot match must not cost the whole order.
pub(crate) fn category_key(values: Vec<String>) -> Option<String> {
    values
        .into_iter()
        .map(|v| v.trim().to_owned())
        .find(|v| crate::domain::policy::is_category_key(v))
}

/// Free text from a payload, at most `max` characters (the case and order records that keep
/// it must fit a DynamoDB item).
fn text(what: &str, value: &str, max: usize) -> Result<(), PayloadError> {
    if value.chars().count() > max {
        return Err(PayloadError(format!(
            "{what} is longer than {max} characters: this system does not take it"
        )));
    }
    Ok(())
}

/// Why a payload could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PayloadError(pub String);

impl From<serde_json::Error> for PayloadError {
    fn from(e: serde_json::Error) -> Self {
        PayloadError(format!(
            "the payload does not match the sender's schema: {e}"
        ))
    }
}

/// Storefront ids arrive as JSON numbers (Shopify's exceed 2^53) or strings: read either
/// without a float, into a string.
pub fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        N(u64),
        S(String),
    }
    match Id::deserialize(d)? {
        Id::N(n) => Ok(n.to_string()),
        Id::S(s) if !s.is_empty() => Ok(s),
        Id::S(_) => Err(serde::de::Error::custom("empty id")),
    }
}

pub fn opt_id_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        N(u64),
        S(String),
    }
    Ok(match Option::<Id>::deserialize(d)? {
        Some(Id::N(n)) => Some(n.to_string()),
        Some(Id::S(s)) if !s.is_empty() => Some(s),
        _ => None,
    })
}

/// A time with an offset (`2021-12-31T19:00:00-05:00`) or, as WooCommerce's `*_gmt` fields
/// send it, without one (UTC).
pub fn parse_time(raw: &str) -> Result<DateTime<Utc>, PayloadError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S").map(|n| n.and_utc()))
        .map_err(|_| PayloadError(format!("'{raw}' is not a time")))
        .and_then(sane)
}

/// A time from a payload, if it lies in the calendar the system reasons in (1970 to 2200).
pub fn sane(at: DateTime<Utc>) -> Result<DateTime<Utc>, PayloadError> {
    if crate::domain::values::sane_time(at) {
        Ok(at)
    } else {
        Err(PayloadError(format!(
            "{at} is outside the dates this system accepts (1970 to 2200)"
        )))
    }
}

pub fn opt_time(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, PayloadError> {
    raw.filter(|s| !s.is_empty()).map(parse_time).transpose()
}

/// "First Last" from the parts a storefront has; none if it has neither.
fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let name = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

fn order_id(raw: String) -> Result<OrderId, PayloadError> {
    OrderId::parse(raw).map_err(PayloadError)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOPIFY_ORDER: &[u8] =
        include_bytes!("../../../tests/fixtures/shopify/orders-create.json");
    const SHOPIFY_CANCELLED: &[u8] =
        include_bytes!("../../../tests/fixtures/shopify/orders-cancelled.json");
    const SHOPIFY_REFUND: &[u8] =
        include_bytes!("../../../tests/fixtures/shopify/refunds-create.json");
    const SHOPIFY_RETURN: &[u8] =
        include_bytes!("../../../tests/fixtures/shopify/returns-request.json");
    const WOO_ORDER: &[u8] =
        include_bytes!("../../../tests/fixtures/woocommerce/order-created.json");
    const WOO_REFUNDED: &[u8] =
        include_bytes!("../../../tests/fixtures/woocommerce/order-updated-refund.json");
    const GENERIC_ORDER: &[u8] =
        include_bytes!("../../../tests/fixtures/generic/order-upserted.json");
    const GENERIC_RETURN: &[u8] =
        include_bytes!("../../../tests/fixtures/generic/return-requested.json");

    fn order(inbound: Inbound) -> Order {
        match inbound {
            Inbound::Order(o) => o,
            other => panic!("expected an order, got {other:?}"),
        }
    }

    #[test]
    fn shopifys_sample_order_keeps_its_large_ids_exact_and_its_money_in_cents() {
        let o = order(shopify::parse("main", "orders/create", SHOPIFY_ORDER, None).unwrap());
        assert_eq!(o.order_id.as_str(), "820982911946154508");
        assert_eq!(o.customer.id.as_deref(), Some("115310627314723954"));
        assert_eq!(o.customer.email.as_deref(), Some("john@example.com"));
        assert_eq!(o.total_minor, 38800);
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.lines[0].line_id, "866550311766439020");
        assert_eq!(o.lines[0].unit_price_minor, 19900);
        assert_eq!(o.paid_at, Some(parse_time("2022-01-01T00:00:00Z").unwrap()));
        assert_eq!(o.cancelled_at, None);
        let cancelled =
            order(shopify::parse("main", "orders/cancelled", SHOPIFY_CANCELLED, None).unwrap());
        assert!(cancelled.cancelled_at.is_some());
        assert!(cancelled.source_updated_at > o.source_updated_at);
    }

    #[test]
    fn shopify_refunds_and_returns_name_their_order_and_lines() {
        match shopify::parse("main", "refunds/create", SHOPIFY_REFUND, None).unwrap() {
            Inbound::Refund { order_id, refund } => {
                assert_eq!(order_id.as_str(), "820982911946154508");
                assert_eq!(refund.refund_id, "890088186047892319");
                assert_eq!(refund.amount_minor, 19900);
            }
            other => panic!("{other:?}"),
        }
        match shopify::parse("main", "returns/request", SHOPIFY_RETURN, None).unwrap() {
            Inbound::ReturnRequested(r) => {
                assert_eq!(r.return_id, "1097707602");
                assert_eq!(r.lines[0].line_id, "866550311766439020");
                assert_eq!(r.lines[0].reason.as_deref(), Some("defective"));
                assert_eq!(r.lines[0].note.as_deref(), Some("The screen stays black."));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            shopify::parse("main", "products/update", b"{}", None).unwrap(),
            Inbound::Ignored {
                topic: "products/update".into()
            }
        );
    }

    #[test]
    fn a_refund_in_a_currency_without_decimals_is_read_in_its_own_units() {
        let mut body: serde_json::Value = serde_json::from_slice(SHOPIFY_REFUND).unwrap();
        body["transactions"][0]["currency"] = "JPY".into();
        body["transactions"][0]["amount"] = "1500".into();
        let bytes = serde_json::to_vec(&body).unwrap();
        match shopify::parse("main", "refunds/create", &bytes, None).unwrap() {
            Inbound::Refund { refund, .. } => assert_eq!(refund.amount_minor, 1500),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn woocommerces_sample_order_reads_totals_from_strings_and_refunds_from_updates() {
        let o = order(woocommerce::parse("woo", "order.created", WOO_ORDER).unwrap());
        assert_eq!(o.order_id.as_str(), "727");
        assert_eq!(o.total_minor, 2935);
        assert_eq!(o.customer.id, None, "customer_id 0 is a guest");
        assert_eq!(o.customer.email.as_deref(), Some("john.doe@example.com"));
        assert_eq!(o.lines[0].unit_price_minor, 300);
        assert_eq!(o.lines[1].sku.as_deref(), Some("Bar3"));
        let r = order(woocommerce::parse("woo", "order.updated", WOO_REFUNDED).unwrap());
        assert_eq!(r.refunded_minor(), 1000);
        assert_ne!(
            woocommerce::dedup_key("7", WOO_ORDER).unwrap(),
            woocommerce::dedup_key("7", WOO_REFUNDED).unwrap(),
            "the same order changed later is another event"
        );
    }

    #[test]
    fn generic_orders_and_returns_follow_our_schema() {
        let o = order(generic::parse("erp", GENERIC_ORDER).unwrap());
        assert_eq!(o.total_minor, 399900);
        assert_eq!(o.lines[0].category.as_deref(), Some("television"));
        assert!(o.delivered_at.is_some());
        assert!(
            matches!(generic::parse("erp", GENERIC_RETURN).unwrap(), Inbound::ReturnRequested(r) if r.return_id == "RMA-5521")
        );
        assert!(
            generic::parse(
                "erp",
                br#"{"type": "order.upserted", "data": {"order_id": 1}}"#
            )
            .is_err()
        );
    }
}
