//! Orders from the storefronts, their refunds and the cases linked to them; webhook deliveries
//! (so that each is applied once) and storefront returns (one case per return).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::cases::Page;
use super::keys::{CaseKeys, Index, OrderKeys, WebhookKeys, sortable};
use super::query::{IndexQuery, SortRange};
use super::tx::Tx;
use super::{Store, StoreError};
use std::collections::BTreeMap;

use crate::domain::access::Scope;
use crate::domain::order::{Order, Refund, customer_key};
use crate::domain::returns::Claim;
use crate::domain::values::{CaseId, Currency, OrderId};

/// How long a delivery is remembered: longer than any sender retries (Shopify: 48 hours).
pub const DELIVERY_MEMORY_DAYS: i64 = 30;

/// What an order list shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderSummary {
    pub storefront: String,
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub currency: Currency,
    pub total_minor: i64,
    pub lines: usize,
    pub cancelled: bool,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct OrderItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI1PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI1SK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI4PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI4SK: Option<String>,
    /// The storefront's modification time, sortable: newer snapshots replace older ones.
    source_updated_at: String,
    version: u64,
    summary: OrderSummary,
    order: Order,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct RefundItem {
    PK: String,
    SK: String,
    entity: String,
    /// The refund's amount at the top level too, for the condition that it only grows.
    #[serde(default)]
    amount_minor: i64,
    refund: Refund,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct LinkItem {
    PK: String,
    SK: String,
    entity: String,
    case_id: CaseId,
    /// An order's link to a case: whether the case is open (kept as it opens and closes), so
    /// that what the storefront does to the order is told to its open cases only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    open: Option<bool>,
}

/// A storefront return's link: its case, or (reported ended before its request) how it ended.
#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct ReturnLinkItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    case_id: Option<CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ended: Option<String>,
}

/// What is known of a storefront's return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnLink {
    Unknown,
    Case(CaseId),
    /// The storefront reported it ended (`status`) before its request arrived.
    EndedBeforeRequest(String),
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct DeliveryItem {
    PK: String,
    SK: String,
    entity: String,
    topic: String,
    received_at: DateTime<Utc>,
    expires_at: i64,
}

#[derive(Deserialize)]
struct IndexedOrder {
    summary: OrderSummary,
}

/// Everything stored about one order: the latest snapshot (if it has arrived), every refund
/// known (from snapshots and from refund events, by id), the cases opened for it, and what
/// its return requests claim of it.
#[derive(Debug, Clone, Default)]
pub struct OrderRecord {
    pub order: Option<Order>,
    /// 0 while no snapshot is stored.
    pub version: u64,
    pub refunds: Vec<Refund>,
    pub case_ids: Vec<CaseId>,
    /// Those of them that are open.
    pub open_case_ids: Vec<CaseId>,
    /// What return requests on this order claim (open, or paid), as last written.
    pub claims: Claims,
}

/// What the return requests on one order claim of it, with the version the rules read: a new
/// claim, and a storefront's refund, are written only if it is still that version, so that
/// neither can slip past the other.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims {
    pub version: u64,
    pub minor: i64,
    /// Units claimed by order line.
    pub units: BTreeMap<String, u32>,
}

impl OrderRecord {
    /// What the storefront refunded of its own accord (not our write-backs' refunds, which
    /// the cases' claims count already).
    pub fn refunded_minor(&self) -> i64 {
        self.refunds
            .iter()
            .filter(|r| !r.ours())
            .fold(0i64, |sum, r| sum.saturating_add(r.amount_minor))
    }

    /// What is left of the order to refund: its total, less the storefront's refunds and what
    /// requests here claim.
    pub fn left_minor(&self) -> i64 {
        self.order.as_ref().map_or(0, |o| {
            o.total_minor
                .saturating_sub(self.refunded_minor())
                .saturating_sub(self.claims.minor)
                .max(0)
        })
    }
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct ClaimsItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    claimed_minor: i64,
    #[serde(default)]
    units: BTreeMap<String, u32>,
}

/// The condition that the order's claims are still at `version` (0: none written yet).
fn claims_at(version: u64) -> (&'static str, AttributeValue) {
    (
        if version == 0 {
            "attribute_not_exists(version) OR version = :v"
        } else {
            "version = :v"
        },
        AttributeValue::N(version.to_string()),
    )
}

impl Store {
    /// Whether this delivery was applied before (and is still remembered).
    pub async fn delivery_seen(
        &self,
        storefront: &str,
        dedup_key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let item = self
            .get(
                WebhookKeys::delivery_pk(storefront, dedup_key),
                WebhookKeys::DELIVERY_SK,
            )
            .await?;
        let expires_at = item
            .as_ref()
            .and_then(|i| i.get("expires_at"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok());
        Ok(expires_at.is_some_and(|exp| exp > now.timestamp()))
    }

    /// Marks a delivery applied, in the transaction that applies it (label `delivery`).
    pub fn add_delivery(
        &self,
        tx: &mut Tx,
        storefront: &str,
        dedup_key: &str,
        topic: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let item = DeliveryItem {
            PK: WebhookKeys::delivery_pk(storefront, dedup_key),
            SK: WebhookKeys::DELIVERY_SK.to_owned(),
            entity: "delivery".to_owned(),
            topic: topic.to_owned(),
            received_at: now,
            expires_at: (now + Duration::days(DELIVERY_MEMORY_DAYS)).timestamp(),
        };
        let now = AttributeValue::N(now.timestamp().to_string());
        tx.put(
            "delivery",
            &item,
            "attribute_not_exists(PK) OR expires_at < :now",
            &[(":now", now)],
        )
    }

    /// The order's partition in one Query: snapshot, refunds, case links.
    pub async fn order_record(
        &self,
        storefront: &str,
        order_id: &str,
    ) -> Result<OrderRecord, StoreError> {
        let mut record = OrderRecord::default();
        let mut snapshot_refunds = Vec::new();
        let mut event_refunds = Vec::new();
        for (entity, item) in self.partition(OrderKeys::pk(storefront, order_id)).await? {
            match entity.as_str() {
                "order" => {
                    let item: OrderItem = serde_dynamo::from_item(item)?;
                    record.version = item.version;
                    snapshot_refunds = item.order.refunds.clone();
                    record.order = Some(item.order);
                }
                "refund" => {
                    event_refunds.push(serde_dynamo::from_item::<_, RefundItem>(item)?.refund)
                }
                "order_case" => {
                    let link: LinkItem = serde_dynamo::from_item(item)?;
                    if link.open != Some(false) {
                        record.open_case_ids.push(link.case_id.clone());
                    }
                    record.case_ids.push(link.case_id);
                }
                "order_claims" => {
                    let item: ClaimsItem = serde_dynamo::from_item(item)?;
                    record.claims = Claims {
                        version: item.version,
                        minor: item.claimed_minor,
                        units: item.units,
                    };
                }
                _ => {}
            }
        }
        // One refund by id, at the most the storefront ever said it was (a pending refund
        // grows when it succeeds).
        for r in snapshot_refunds.into_iter().chain(event_refunds) {
            match record
                .refunds
                .iter_mut()
                .find(|k| k.refund_id == r.refund_id)
            {
                Some(known) if known.amount_minor < r.amount_minor => *known = r,
                Some(_) => {}
                None => record.refunds.push(r),
            }
        }
        Ok(record)
    }

    /// Stores an order snapshot if the stored one is still at `expected_version` (0: none yet).
    /// The caller has checked that the snapshot is newer (label `order`).
    pub fn add_order(
        &self,
        tx: &mut Tx,
        order: &Order,
        before: Option<&Order>,
        expected_version: u64,
        utc_offset_minutes: i32,
    ) -> Result<(), StoreError> {
        let tallies = crate::domain::reports::order_tallies(before, order, utc_offset_minutes);
        let pk = OrderKeys::pk(&order.storefront, order.order_id.as_str());
        self.add_tallies(tx, &tallies, &pk)?;
        let key = customer_key(&order.storefront, &order.customer);
        let customer_sk =
            OrderKeys::customer_sk(order.created_at, &order.storefront, order.order_id.as_str());
        let item = OrderItem {
            PK: OrderKeys::pk(&order.storefront, order.order_id.as_str()),
            SK: OrderKeys::SK.to_owned(),
            entity: "order".to_owned(),
            GSI1PK: key.as_ref().map(|k| CaseKeys::customer_pk(k.as_str())),
            GSI1SK: key.as_ref().map(|_| customer_sk.clone()),
            GSI4PK: order.customer.email.as_deref().map(CaseKeys::email_pk),
            GSI4SK: order.customer.email.as_ref().map(|_| customer_sk.clone()),
            source_updated_at: sortable(order.source_updated_at),
            version: expected_version + 1,
            summary: OrderSummary {
                storefront: order.storefront.clone(),
                order_id: order.order_id.clone(),
                name: order.name.clone(),
                created_at: order.created_at,
                currency: order.currency,
                total_minor: order.total_minor,
                lines: order.lines.len(),
                cancelled: order.cancelled_at.is_some(),
            },
            order: order.clone(),
        };
        if expected_version == 0 {
            tx.put("order", &item, "attribute_not_exists(PK)", &[])
        } else {
            let v = AttributeValue::N(expected_version.to_string());
            tx.put("order", &item, "version = :v", &[(":v", v)])
        }
    }

    /// A refund by its id, whether or not its order has arrived; again only if it grew (label
    /// `refund`: a delivery of the same amount, or a smaller one after a larger, is refused).
    pub fn add_refund(
        &self,
        tx: &mut Tx,
        storefront: &str,
        order_id: &str,
        refund: &Refund,
    ) -> Result<(), StoreError> {
        let item = RefundItem {
            PK: OrderKeys::pk(storefront, order_id),
            SK: OrderKeys::refund_sk(&refund.refund_id),
            entity: "refund".to_owned(),
            amount_minor: refund.amount_minor,
            refund: refund.clone(),
        };
        tx.put(
            "refund",
            &item,
            "attribute_not_exists(PK) OR attribute_not_exists(amount_minor) OR amount_minor < :amount",
            &[(":amount", AttributeValue::N(refund.amount_minor.to_string()))],
        )
    }

    /// Links a case to its order, so that what happens to the order reaches the case.
    pub fn add_order_case_link(
        &self,
        tx: &mut Tx,
        storefront: &str,
        order_id: &str,
        case_id: &CaseId,
    ) -> Result<(), StoreError> {
        let item = LinkItem {
            PK: OrderKeys::pk(storefront, order_id),
            SK: OrderKeys::case_sk(case_id),
            entity: "order_case".to_owned(),
            case_id: case_id.clone(),
            open: Some(true),
        };
        tx.put("order-case", &item, "attribute_not_exists(PK)", &[])
    }

    /// Keeps an order's link to a case as open or closed as the case.
    pub fn add_link_open(
        &self,
        tx: &mut Tx,
        (storefront, order_id): (&str, &str),
        case_id: &CaseId,
        open: bool,
    ) -> Result<(), StoreError> {
        tx.update_named(
            "order-case",
            (
                OrderKeys::pk(storefront, order_id),
                OrderKeys::case_sk(case_id),
            ),
            "SET #o = :o",
            Some("attribute_exists(PK)"),
            &[("#o".to_owned(), "open".to_owned())],
            &[(":o", AttributeValue::Bool(open))],
        )
    }

    /// Adds a request's claim to the order's, if the claims are still as `read` (label
    /// `order-claims`): the rules decided on them.
    pub fn add_claim(
        &self,
        tx: &mut Tx,
        (storefront, order_id): (&str, &str),
        claim: &Claim,
        read: &Claims,
    ) -> Result<(), StoreError> {
        let mut units = read.units.clone();
        for (line, n) in &claim.lines {
            let u = units.entry(line.clone()).or_default();
            *u = u.saturating_add(*n);
        }
        let item = ClaimsItem {
            PK: OrderKeys::pk(storefront, order_id),
            SK: OrderKeys::CLAIMS_SK.to_owned(),
            entity: "order_claims".to_owned(),
            version: read.version.saturating_add(1),
            claimed_minor: read.minor.saturating_add(claim.minor),
            units,
        };
        let (condition, version) = claims_at(read.version);
        tx.put("order-claims", &item, condition, &[(":v", version)])
    }

    /// Gives `back` (part of a request's claim) back to its order, and with `expect` checks
    /// in the same write that the order's claims are still at that version (label
    /// `order-claims`): a payment is made only from the order as it was read.
    pub fn add_claim_change(
        &self,
        tx: &mut Tx,
        (storefront, order_id): (&str, &str),
        back: Option<&Claim>,
        expect: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut names = Vec::new();
        let mut values = vec![(
            ":e".to_owned(),
            AttributeValue::S("order_claims".to_owned()),
        )];
        let mut adds = Vec::new();
        let mut sets = vec!["entity = :e".to_owned()];
        if let Some(back) = back {
            adds.push("claimed_minor :neg, version :one".to_owned());
            values.push((
                ":neg".to_owned(),
                AttributeValue::N(back.minor.saturating_neg().to_string()),
            ));
            values.push((":one".to_owned(), AttributeValue::N("1".to_owned())));
            if !back.lines.is_empty() {
                values.push((":zero".to_owned(), AttributeValue::N("0".to_owned())));
            }
            for (i, (line, units)) in back.lines.iter().enumerate() {
                names.push((format!("#l{i}"), line.clone()));
                values.push((format!(":u{i}"), AttributeValue::N(units.to_string())));
                sets.push(format!(
                    "units.#l{i} = if_not_exists(units.#l{i}, :zero) - :u{i}"
                ));
            }
        }
        let condition = expect.map(|version| {
            let (condition, v) = claims_at(version);
            values.push((":v".to_owned(), v));
            condition
        });
        let mut expression = format!("SET {}", sets.join(", "));
        if !adds.is_empty() {
            expression = format!("ADD {} {expression}", adds.join(", "));
        }
        let values: Vec<(&str, AttributeValue)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        tx.update_named(
            "order-claims",
            (
                OrderKeys::pk(storefront, order_id),
                OrderKeys::CLAIMS_SK.to_owned(),
            ),
            &expression,
            condition,
            &names,
            &values,
        )
    }

    /// Marks the order's claims as changed by the storefront (a refund, a cancellation, a
    /// shipment), if they are still as `read` (label `order-claims`): a filing that read the
    /// claims before this delivery is decided again, and this delivery, if a filing slipped in
    /// first, reads the order again and tells that request too.
    pub fn add_order_touch(
        &self,
        tx: &mut Tx,
        (storefront, order_id): (&str, &str),
        read: &Claims,
    ) -> Result<(), StoreError> {
        let (condition, version) = claims_at(read.version);
        tx.update(
            "order-claims",
            (
                OrderKeys::pk(storefront, order_id),
                OrderKeys::CLAIMS_SK.to_owned(),
            ),
            "ADD version :one SET entity = :e, units = if_not_exists(units, :none)",
            Some(condition),
            &[
                (":v", version),
                (":one", AttributeValue::N("1".to_owned())),
                (":e", AttributeValue::S("order_claims".to_owned())),
                (":none", AttributeValue::M(Default::default())),
            ],
        )
    }

    /// What is known of a storefront's return: its case, or that it ended before its request.
    pub async fn return_link(
        &self,
        storefront: &str,
        return_id: &str,
    ) -> Result<ReturnLink, StoreError> {
        let item = self
            .get(
                WebhookKeys::return_pk(storefront, return_id),
                WebhookKeys::RETURN_SK,
            )
            .await?;
        let Some(item) = item else {
            return Ok(ReturnLink::Unknown);
        };
        let link: ReturnLinkItem = serde_dynamo::from_item(item)?;
        Ok(match (link.case_id, link.ended) {
            (Some(case), _) => ReturnLink::Case(case),
            (None, Some(status)) => ReturnLink::EndedBeforeRequest(status),
            (None, None) => ReturnLink::Unknown,
        })
    }

    /// The case opened for a storefront's return, if any.
    pub async fn return_case(
        &self,
        storefront: &str,
        return_id: &str,
    ) -> Result<Option<CaseId>, StoreError> {
        Ok(match self.return_link(storefront, return_id).await? {
            ReturnLink::Case(case) => Some(case),
            _ => None,
        })
    }

    /// One case per storefront return, and none for a return that ended before its request
    /// (label `return`).
    pub fn add_return_link(
        &self,
        tx: &mut Tx,
        storefront: &str,
        return_id: &str,
        case_id: &CaseId,
    ) -> Result<(), StoreError> {
        let item = ReturnLinkItem {
            PK: WebhookKeys::return_pk(storefront, return_id),
            SK: WebhookKeys::RETURN_SK.to_owned(),
            entity: "return".to_owned(),
            case_id: Some(case_id.clone()),
            ended: None,
        };
        tx.put("return", &item, "attribute_not_exists(PK)", &[])
    }

    /// Records that the storefront ended a return whose request has not arrived (label
    /// `return`: a case linked meanwhile makes the delivery note it on the case instead).
    pub fn add_return_ended(
        &self,
        tx: &mut Tx,
        storefront: &str,
        return_id: &str,
        status: &str,
    ) -> Result<(), StoreError> {
        let item = ReturnLinkItem {
            PK: WebhookKeys::return_pk(storefront, return_id),
            SK: WebhookKeys::RETURN_SK.to_owned(),
            entity: "return".to_owned(),
            case_id: None,
            ended: Some(status.to_ascii_lowercase()),
        };
        tx.put(
            "return",
            &item,
            "attribute_not_exists(PK) OR attribute_not_exists(case_id)",
            &[],
        )
    }

    /// A customer's orders, newest first, by their storefront identity or e-mail. There is no
    /// listing of every customer's orders: `Scope::Everyone` reads nothing.
    pub async fn list_orders(
        &self,
        scope: &Scope,
        paging: super::Paging<'_>,
    ) -> Result<Page<OrderSummary>, StoreError> {
        let (index, partition) = match scope {
            Scope::Email(e) => (Index::Email, CaseKeys::email_pk(e)),
            Scope::Customer(c) => (Index::Customer, CaseKeys::customer_pk(c)),
            Scope::Everyone => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
        };
        let page = self
            .index_page::<IndexedOrder>(&IndexQuery {
                index,
                partitions: vec![partition],
                range: SortRange::Prefix(OrderKeys::CUSTOMER_SK_PREFIX.to_owned()),
                newest_first: true,
                filter: None,
                keep: &|_| true,
                limit: paging.limit,
                viewer: paging.viewer,
                cursor: paging.cursor,
            })
            .await?;
        Ok(page.map(|o| o.summary))
    }
}
