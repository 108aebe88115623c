//! Cases and their timelines: creation with its idempotency record, versioned updates, the
//! case-with-timeline read, and the listing indexes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::idempotency::IdempotencyRecord;
use super::keys::{CaseKeys, Index, sortable};
use super::tx::Tx;
use super::{Store, StoreError, cursor};
use crate::domain::case::{Case, CaseStatus, CaseSummary, CaseType, Event};
use crate::domain::values::{CaseId, CustomerId};

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct CaseItem {
    PK: String,
    SK: String,
    entity: String,
    GSI1PK: String,
    GSI1SK: String,
    GSI2PK: String,
    GSI2SK: String,
    GSI3PK: String,
    GSI3SK: String,
    /// The e-mail index: only cases whose customer's e-mail is known are in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI4PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI4SK: Option<String>,
    /// Due deadlines (sparse, keys only): a timers run reads only what is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5SK: Option<String>,
    /// Return queues by stage, by deadline (sparse: return cases only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI6PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI6SK: Option<String>,
    /// Top level, for the optimistic-locking condition and for filters.
    version: u64,
    status: CaseStatus,
    case_type: CaseType,
    /// The only attribute (with the keys, `status` and `case_type`) that the listing indexes
    /// project: a queue reads summaries, never whole cases.
    summary: CaseSummary,
    case: Case,
}

/// A case as the listing indexes hold it.
#[derive(Deserialize)]
struct IndexedCase {
    summary: CaseSummary,
}

impl CaseItem {
    fn of(case: &Case) -> Self {
        let flow = case.returns.as_ref();
        let due = flow.and_then(|f| f.deadline).map(|d| d.due);
        let created = CaseKeys::created_sk(case.created_at, &case.id);
        Self {
            PK: CaseKeys::pk(&case.id),
            SK: CaseKeys::SK.to_owned(),
            entity: "case".to_owned(),
            GSI1PK: CaseKeys::customer_pk(&case.customer_id),
            GSI1SK: CaseKeys::customer_sk(case.created_at, &case.id),
            GSI2PK: CaseKeys::status_pk(case.status),
            GSI2SK: created.clone(),
            GSI3PK: CaseKeys::ALL_PK.to_owned(),
            GSI3SK: created,
            GSI4PK: case.customer_email.as_deref().map(CaseKeys::email_pk),
            GSI5PK: due.map(|_| CaseKeys::DUE_PK.to_owned()),
            GSI5SK: due.map(|d| CaseKeys::created_sk(d, &case.id)),
            GSI6PK: flow.map(|f| CaseKeys::stage_pk(f.stage)),
            GSI6SK: flow.map(|_| CaseKeys::created_sk(due.unwrap_or(case.created_at), &case.id)),
            GSI4SK: case
                .customer_email
                .as_ref()
                .map(|_| CaseKeys::customer_sk(case.created_at, &case.id)),
            version: case.version,
            status: case.status,
            case_type: case.case_type,
            summary: case.summary(),
            case: case.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct EventItem {
    PK: String,
    SK: String,
    entity: String,
    event: Event,
}

/// A listing of cases, newest first. The index is chosen from the filters: a customer's own
/// partition, else the status queue, else every case; the other filters narrow the result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseQuery {
    pub customer: Option<CustomerId>,
    /// A customer known by a verified e-mail only: their items in the e-mail index.
    pub email: Option<String>,
    pub status: Option<CaseStatus>,
    pub case_type: Option<CaseType>,
    /// Filed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Filed before.
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Bounded work per listing: with a type filter a page may need several reads; after this
/// many the page is returned short, with a cursor to go on.
const MAX_READS_PER_PAGE: usize = 5;

fn add_events(tx: &mut Tx, id: &CaseId, events: &[Event]) -> Result<(), StoreError> {
    for (n, event) in events.iter().enumerate() {
        let item = EventItem {
            PK: CaseKeys::pk(id),
            SK: CaseKeys::event_sk(event.version, n),
            entity: "event".to_owned(),
            event: event.clone(),
        };
        tx.put("event", &item, "attribute_not_exists(PK)", &[])?;
    }
    Ok(())
}

impl Store {
    /// Adds a new case and its first events to a transaction.
    pub fn add_new_case(
        &self,
        tx: &mut Tx,
        case: &Case,
        events: &[Event],
    ) -> Result<(), StoreError> {
        tx.put("case", &CaseItem::of(case), "attribute_not_exists(PK)", &[])?;
        add_events(tx, &case.id, events)
    }

    /// Adds a changed case, conditioned on the version it was read at, and its events.
    pub fn add_case_update(
        &self,
        tx: &mut Tx,
        case: &Case,
        expected_version: u64,
        events: &[Event],
    ) -> Result<(), StoreError> {
        let expected = AttributeValue::N(expected_version.to_string());
        tx.put(
            "case-version",
            &CaseItem::of(case),
            "version = :expected",
            &[(":expected", expected)],
        )?;
        add_events(tx, &case.id, events)
    }

    /// Draws the next number of the month's sequence (one atomic update). A number drawn for a
    /// request that then fails is skipped, never reused.
    pub async fn next_case_sequence(&self, year: i32, month: u32) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .key("PK", AttributeValue::S(CaseKeys::counter_pk(year, month)))
            .key("SK", AttributeValue::S("COUNTER".to_owned()))
            .update_expression("ADD #n :one SET entity = :e")
            .expression_attribute_names("#n", "next")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(":e", AttributeValue::S("counter".to_owned()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        self.metrics.record(out.consumed_capacity());
        out.attributes()
            .and_then(|a| a.get("next"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::Corrupt("case counter".to_owned()))
    }

    /// Writes a new case, its first events and (if the request had one) its idempotency record,
    /// all or nothing. `Err(CreateError::IdempotencyKeyTaken)` means the key was used meanwhile.
    pub async fn create_case(
        &self,
        case: &Case,
        events: &[Event],
        idempotency: Option<&IdempotencyRecord>,
        order: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> Result<(), CreateError> {
        let mut tx = self.tx();
        self.add_new_case(&mut tx, case, events)?;
        if let Some((storefront, order_id)) = order {
            self.add_order_case_link(&mut tx, storefront, order_id, &case.id)?;
        }
        if let Some(record) = idempotency {
            // An expired record that DynamoDB has not deleted yet may be taken over.
            let now = AttributeValue::N(now.timestamp().to_string());
            tx.put(
                "idempotency",
                record,
                "attribute_not_exists(PK) OR expires_at < :now",
                &[(":now", now)],
            )?;
        }
        match self.commit(tx).await {
            Ok(()) => Ok(()),
            Err(e) if e.failed("idempotency") => Err(CreateError::IdempotencyKeyTaken),
            Err(e) => Err(CreateError::Store(e.into())),
        }
    }

    /// Writes a changed case and its events if the stored case is still at `expected_version`.
    pub async fn update_case(
        &self,
        case: &Case,
        expected_version: u64,
        events: &[Event],
    ) -> Result<(), StoreError> {
        let mut tx = self.tx();
        self.add_case_update(&mut tx, case, expected_version, events)?;
        Ok(self.commit(tx).await?)
    }

    /// The case alone (strongly consistent), for a command that will change it.
    pub async fn case(&self, id: &CaseId) -> Result<Option<Case>, StoreError> {
        let item = self.get(CaseKeys::pk(id), CaseKeys::SK).await?;
        Ok(item
            .map(serde_dynamo::from_item::<_, CaseItem>)
            .transpose()?
            .map(|i| i.case))
    }

    /// The case and its timeline, oldest event first, in one Query of the case's partition.
    pub async fn case_with_timeline(
        &self,
        id: &CaseId,
    ) -> Result<Option<(Case, Vec<Event>)>, StoreError> {
        let mut case = None;
        let mut events = Vec::new();
        for (entity, item) in self.partition(CaseKeys::pk(id)).await? {
            match entity.as_str() {
                "case" => case = Some(serde_dynamo::from_item::<_, CaseItem>(item)?.case),
                "event" => events.push(serde_dynamo::from_item::<_, EventItem>(item)?.event),
                _ => {}
            }
        }
        Ok(case.map(|c| (c, events)))
    }

    /// A page of case summaries, newest first.
    pub async fn list_cases(&self, query: &CaseQuery) -> Result<Page<CaseSummary>, StoreError> {
        let (index, pk, prefix, status_filter) = match (&query.customer, query.status) {
            (Some(c), status) => (
                Index::Customer,
                CaseKeys::customer_pk(c),
                CaseKeys::CUSTOMER_SK_PREFIX,
                status,
            ),
            (None, Some(s)) => (Index::Status, CaseKeys::status_pk(s), "", None),
            (None, None) => (Index::AllCases, CaseKeys::ALL_PK.to_owned(), "", None),
        };
        let mut filters = Vec::new();
        let mut filter_values = Vec::new();
        if let Some(t) = query.case_type {
            filters.push("case_type = :t");
            filter_values.push((":t", t.as_str()));
        }
        if let Some(s) = status_filter {
            filters.push("#st = :st");
            filter_values.push((":st", s.as_str()));
        }
        let key_attrs = ["PK", "SK", index.pk(), index.sk()];
        // Sort keys hold timestamps after the prefix: `0` sorts before every one of them, and
        // DynamoDB refuses an empty string as a key value.
        let low = format!(
            "{prefix}{}",
            query.from.map(sortable).unwrap_or_else(|| "0".to_owned())
        );
        // `~` sorts after every character used in these keys.
        let high = format!(
            "{prefix}{}",
            query.to.map(sortable).unwrap_or_else(|| "~".to_owned())
        );
        let mut start = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &key_attrs, index.pk(), &pk))
            .transpose()?;
        let limit = query.limit.clamp(1, 100);
        let mut items = Vec::with_capacity(limit);
        let mut last_item_key = None;

        for _ in 0..MAX_READS_PER_PAGE {
            let mut request = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .index_name(index.name())
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                .expression_attribute_names("#pk", index.pk())
                .expression_attribute_names("#sk", index.sk())
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":low", AttributeValue::S(low.clone()))
                .expression_attribute_values(":high", AttributeValue::S(high.clone()))
                .scan_index_forward(false)
                .limit((limit - items.len()) as i32)
                .set_exclusive_start_key(start.take())
                .return_consumed_capacity(ReturnConsumedCapacity::Total);
            if !filters.is_empty() {
                request = request.filter_expression(filters.join(" AND "));
                for (name, value) in &filter_values {
                    request = request
                        .expression_attribute_values(*name, AttributeValue::S((*value).to_owned()));
                }
                if status_filter.is_some() {
                    // `status` is a reserved word in expressions.
                    request = request.expression_attribute_names("#st", "status");
                }
            }
            let out = request.send().await?;
            self.metrics.record(out.consumed_capacity());
            for item in out.items.unwrap_or_default() {
                last_item_key = Some(
                    key_attrs
                        .iter()
                        .filter_map(|a| item.get(*a).map(|v| ((*a).to_owned(), v.clone())))
                        .collect::<HashMap<_, _>>(),
                );
                items.push(serde_dynamo::from_item::<_, IndexedCase>(item)?.summary);
            }
            start = out.last_evaluated_key;
            if items.len() >= limit || start.is_none() {
                break;
            }
        }
        let next = if items.len() >= limit && start.is_some() {
            last_item_key
        } else {
            start
        };
        Ok(Page {
            items,
            next_cursor: next.as_ref().and_then(cursor::encode),
        })
    }
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct RefundRecordItem {
    PK: String,
    SK: String,
    entity: String,
    amount_minor: i64,
    currency: crate::domain::values::Currency,
    paid_at: DateTime<Utc>,
    by: String,
}

impl Store {
    /// The record of a refund paid, at most one per case (label `refund-record`): even if two
    /// executions raced past the version condition, the second could not write this.
    pub fn add_refund_record(
        &self,
        tx: &mut Tx,
        case: &CaseId,
        amount_minor: i64,
        currency: crate::domain::values::Currency,
        paid_at: DateTime<Utc>,
        by: &str,
    ) -> Result<(), StoreError> {
        let item = RefundRecordItem {
            PK: CaseKeys::pk(case),
            SK: "REFUND".to_owned(),
            entity: "refund_record".to_owned(),
            amount_minor,
            currency,
            paid_at,
            by: by.to_owned(),
        };
        tx.put("refund-record", &item, "attribute_not_exists(PK)", &[])
    }

    /// Writes one step of a return workflow: the case at its read version, its event, and —
    /// when this step paid the refund — the case's one refund record. Two executions of one
    /// refund cannot both commit: the version moved, and the record exists.
    pub async fn save_return_step(
        &self,
        before: &Case,
        after: &Case,
        events: &[Event],
    ) -> Result<(), StoreError> {
        use crate::domain::returns::Stage;
        let mut tx = self.tx();
        self.add_case_update(&mut tx, after, before.version, events)?;
        let paid = |c: &Case| {
            c.returns
                .as_ref()
                .is_some_and(|f| matches!(f.stage, Stage::Refunded | Stage::Exchanged))
        };
        if paid(after)
            && !paid(before)
            && let Some(flow) = after.returns.as_ref()
        {
            let amount = flow.refund.as_ref().map_or(0, |r| r.total_minor);
            let by = events.last().map_or("system", |e| e.actor.id.as_str());
            let paid_at = flow.refunded_at.unwrap_or(after.updated_at);
            self.add_refund_record(&mut tx, &after.id, amount, flow.terms.currency, paid_at, by)?;
            // The storefront the case came from is told the outcome (DOMAIN §4.4).
            if let Some(order) = after.order.as_ref()
                && let Some(storefront) = order.storefront.clone()
            {
                let kind = if flow.stage == Stage::Exchanged {
                    "exchange.completed"
                } else {
                    "refund.succeeded"
                };
                let message = super::OutboxMessage {
                    id: format!("{kind}-{}", after.id),
                    storefront,
                    payload: serde_json::json!({
                        "type": kind,
                        "timestamp": paid_at,
                        "data": {
                            "case_id": after.id,
                            "order_id": order.order_id,
                            "return_id": after.storefront_return_id,
                            "amount": crate::domain::order::format_minor(amount, flow.terms.currency),
                            "amount_minor": amount,
                            "currency": flow.terms.currency,
                            "refunded_at": paid_at,
                        }
                    }),
                    attempts: 0,
                    next_attempt_at: Some(paid_at),
                    delivered_at: None,
                    gave_up_at: None,
                    last_error: None,
                    created_at: paid_at,
                };
                self.add_outbox(&mut tx, &message)?;
            }
        }
        Ok(self.commit(tx).await?)
    }

    /// What is due at `now` (case deadlines and outbox messages), earliest first, at most
    /// `limit`; and how many index items were read (the cost grows with what is due, not with
    /// open cases).
    pub async fn due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<Due>, usize), StoreError> {
        let index = Index::Due;
        let out = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(index.name())
            .key_condition_expression("#pk = :pk AND #sk <= :now")
            .expression_attribute_names("#pk", index.pk())
            .expression_attribute_names("#sk", index.sk())
            .expression_attribute_values(":pk", AttributeValue::S(CaseKeys::DUE_PK.to_owned()))
            // `~` sorts after the case id that follows the time.
            .expression_attribute_values(":now", AttributeValue::S(format!("{}~", sortable(now))))
            .limit(limit.clamp(1, 1000) as i32)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        self.metrics.record(out.consumed_capacity());
        let items = out.items.unwrap_or_default();
        let read = items.len();
        let due = items
            .iter()
            .filter_map(|i| i.get("PK").and_then(|v| v.as_s().ok()))
            .filter_map(|pk| {
                if let Some(id) = pk.strip_prefix("CASE#") {
                    CaseId::parse(id).ok().map(Due::Case)
                } else {
                    pk.strip_prefix(super::outbox::OUTBOX_PREFIX)
                        .map(|id| Due::Outbox(id.to_owned()))
                }
            })
            .collect();
        Ok((due, read))
    }

    /// A return queue: the cases in `stage`, earliest deadline first.
    pub async fn stage_queue(
        &self,
        stage: crate::domain::returns::Stage,
        limit: usize,
        cursor_in: Option<&str>,
    ) -> Result<Page<CaseSummary>, StoreError> {
        let page = self
            .index_page::<IndexedCase>(
                Index::Stage,
                CaseKeys::stage_pk(stage),
                None,
                false,
                limit,
                cursor_in,
            )
            .await?;
        Ok(page.map(|c| c.summary))
    }
}

/// Something due: a case's deadline, or an outbox message's next attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    Case(CaseId),
    Outbox(String),
}

/// Why a new case was not written.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the idempotency key was used by a concurrent request")]
    IdempotencyKeyTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<serde_dynamo::Error> for CreateError {
    fn from(e: serde_dynamo::Error) -> Self {
        CreateError::Store(e.into())
    }
}
