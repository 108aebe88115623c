//! One state change, one `TransactWriteItems`: a builder that collects conditional puts from
//! any entity, and the commit that tells which conditions failed (by the labels given).

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnConsumedCapacity, TransactWriteItem, Update,
};
use serde::Serialize;

use super::{Store, StoreError};

/// DynamoDB's limit of items per transaction.
pub const MAX_ITEMS: usize = 100;

#[derive(Default)]
pub struct Tx {
    items: Vec<TransactWriteItem>,
    labels: Vec<&'static str>,
    table: String,
}

impl Tx {
    /// Adds a put of `item`, conditioned by `condition` with its values.
    pub fn put(
        &mut self,
        label: &'static str,
        item: &impl Serialize,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<(), StoreError> {
        self.add_put(label, item, Some(condition), values)
    }

    fn add_put(
        &mut self,
        label: &'static str,
        item: &impl Serialize,
        condition: Option<&str>,
        values: &[(&str, AttributeValue)],
    ) -> Result<(), StoreError> {
        let mut builder = Put::builder()
            .table_name(&self.table)
            .set_item(Some(serde_dynamo::to_item(item)?))
            .set_condition_expression(condition.map(str::to_owned));
        for (name, value) in values {
            builder = builder.expression_attribute_values(*name, value.clone());
        }
        let put = builder
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        self.items
            .push(TransactWriteItem::builder().put(put).build());
        self.labels.push(label);
        Ok(())
    }

    /// Adds an update of the item at `pk`/`sk` (a counter), conditioned by `condition` if any.
    pub fn update(
        &mut self,
        label: &'static str,
        (pk, sk): (String, String),
        expression: &str,
        condition: Option<&str>,
        values: &[(&str, AttributeValue)],
    ) -> Result<(), StoreError> {
        self.update_named(label, (pk, sk), expression, condition, &[], values)
    }

    /// [`Tx::update`] with attribute names (`#name` → a map key such as an order line's id).
    pub fn update_named(
        &mut self,
        label: &'static str,
        (pk, sk): (String, String),
        expression: &str,
        condition: Option<&str>,
        names: &[(String, String)],
        values: &[(&str, AttributeValue)],
    ) -> Result<(), StoreError> {
        let mut builder = Update::builder()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .update_expression(expression)
            .set_condition_expression(condition.map(str::to_owned));
        for (name, value) in values {
            builder = builder.expression_attribute_values(*name, value.clone());
        }
        for (placeholder, name) in names {
            builder = builder.expression_attribute_names(placeholder, name);
        }
        let update = builder
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        self.items
            .push(TransactWriteItem::builder().update(update).build());
        self.labels.push(label);
        Ok(())
    }

    /// Adds a put of `item` that replaces whatever is there (a record kept beside another
    /// whose own condition guards the change, such as a case's confirmation code).
    pub fn put_over(
        &mut self,
        label: &'static str,
        item: &impl Serialize,
    ) -> Result<(), StoreError> {
        self.add_put(label, item, None, &[])
    }

    /// Adds a delete of the item at `pk`/`sk`, conditioned by `condition` with its values.
    pub fn delete(
        &mut self,
        label: &'static str,
        (pk, sk): (String, String),
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<(), StoreError> {
        let mut builder = Delete::builder()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .condition_expression(condition);
        for (name, value) in values {
            builder = builder.expression_attribute_values(*name, value.clone());
        }
        let delete = builder
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        self.items
            .push(TransactWriteItem::builder().delete(delete).build());
        self.labels.push(label);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Why a transaction did not commit.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// These labelled conditions failed (an item already exists, a version moved on...).
    #[error("conditions failed: {0:?}")]
    ConditionFailed(Vec<&'static str>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TxError {
    pub fn failed(&self, label: &str) -> bool {
        matches!(self, TxError::ConditionFailed(labels) if labels.contains(&label))
    }
}

impl From<TxError> for StoreError {
    fn from(e: TxError) -> Self {
        match e {
            TxError::ConditionFailed(_) => StoreError::Conflict,
            TxError::Store(e) => e,
        }
    }
}

impl From<serde_dynamo::Error> for TxError {
    fn from(e: serde_dynamo::Error) -> Self {
        TxError::Store(e.into())
    }
}

type TransactSdkError =
    SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>;

impl Store {
    pub fn tx(&self) -> Tx {
        Tx {
            table: self.table.to_string(),
            ..Tx::default()
        }
    }

    /// Commits all of `tx` or nothing.
    pub async fn commit(&self, tx: Tx) -> Result<(), TxError> {
        if tx.items.len() > MAX_ITEMS {
            return Err(TxError::Store(StoreError::Other(format!(
                "a transaction of {} items exceeds DynamoDB's {MAX_ITEMS}",
                tx.items.len()
            ))));
        }
        let keys: Vec<super::Written> = tx.items.iter().filter_map(written).collect();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(tx.items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(out) => {
                self.metrics.record_write(out.consumed_capacity());
                self.metrics.note_written(keys);
                Ok(())
            }
            Err(err) => {
                self.metrics.record_write([]);
                Err(classify(err, &tx.labels))
            }
        }
    }
}

/// The key an item of a transaction writes.
fn written(item: &TransactWriteItem) -> Option<super::Written> {
    let key = item
        .put()
        .map(|p| p.item())
        .or_else(|| item.update().map(|u| u.key()))
        .or_else(|| item.delete().map(|d| d.key()))?;
    let s = |name: &str| key.get(name).and_then(|v| v.as_s().ok()).cloned();
    Some(super::Written {
        pk: s("PK")?,
        sk: s("SK")?,
        transactional: true,
    })
}

fn classify(err: TransactSdkError, labels: &[&'static str]) -> TxError {
    if let SdkError::ServiceError(service) = &err
        && let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err()
    {
        let codes: HashMap<usize, &str> = cancelled
            .cancellation_reasons()
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.code().map(|c| (i, c)))
            .collect();
        let failed: Vec<&'static str> = codes
            .iter()
            .filter(|(_, c)| **c == "ConditionalCheckFailed")
            .filter_map(|(i, _)| labels.get(*i).copied())
            .collect();
        if !failed.is_empty() {
            return TxError::ConditionFailed(failed);
        }
        if codes.values().any(|c| *c == "TransactionConflict") {
            return TxError::Store(StoreError::Conflict);
        }
        if codes
            .values()
            .any(|c| matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded"))
        {
            return TxError::Store(StoreError::Unavailable("throttled".into()));
        }
    }
    TxError::Store(StoreError::from(err))
}
