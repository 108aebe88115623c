//! The outbox: messages to send out (a decision written back to the storefront), written in the
//! same transaction as the change they report, and delivered later with retries by the timers.
//! A message waiting for an attempt is in the due index (`GSI5`) at its next attempt time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::{DueKeys, OutboxKeys};
use super::tx::Tx;
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Also the `webhook-id` the receiver sees, the same on every attempt.
    pub id: String,
    pub storefront: String,
    /// The JSON body to send.
    pub payload: serde_json::Value,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gave_up_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl OutboxMessage {
    /// A new message, due at once.
    pub fn new(id: &str, storefront: &str, payload: &serde_json::Value, at: DateTime<Utc>) -> Self {
        Self {
            id: id.to_owned(),
            storefront: storefront.to_owned(),
            payload: payload.clone(),
            attempts: 0,
            next_attempt_at: Some(at),
            delivered_at: None,
            gave_up_at: None,
            last_error: None,
            created_at: at,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct OutboxItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5SK: Option<String>,
    version: u64,
    message: OutboxMessage,
}

fn item(message: &OutboxMessage, version: u64) -> OutboxItem {
    let pk = OutboxKeys::pk(&message.id);
    OutboxItem {
        GSI5PK: message.next_attempt_at.map(|_| DueKeys::pk(&pk)),
        GSI5SK: message.next_attempt_at.map(|t| DueKeys::sk(t, &pk)),
        PK: pk,
        SK: OutboxKeys::SK.to_owned(),
        entity: "outbox".to_owned(),
        version,
        message: message.clone(),
    }
}

impl Store {
    /// Queues a message in the transaction of the change it reports, once per id (label `outbox`).
    pub fn add_outbox(&self, tx: &mut Tx, message: &OutboxMessage) -> Result<(), StoreError> {
        tx.put("outbox", &item(message, 1), "attribute_not_exists(PK)", &[])
    }

    /// Records an attempt's outcome in the transaction that records it on its case, if no
    /// other run recorded one meanwhile (label `outbox-version`).
    pub fn add_outbox_save(
        &self,
        tx: &mut Tx,
        message: &OutboxMessage,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        tx.put(
            "outbox-version",
            &item(message, expected_version + 1),
            "version = :expected",
            &[(
                ":expected",
                aws_sdk_dynamodb::types::AttributeValue::N(expected_version.to_string()),
            )],
        )
    }

    pub async fn outbox(&self, id: &str) -> Result<Option<(OutboxMessage, u64)>, StoreError> {
        let Some(raw) = self.get(OutboxKeys::pk(id), OutboxKeys::SK).await? else {
            return Ok(None);
        };
        let item: OutboxItem = serde_dynamo::from_item(raw)?;
        Ok(Some((item.message, item.version)))
    }

    /// Records an attempt's outcome if no other run recorded one meanwhile.
    pub async fn save_outbox(
        &self,
        message: &OutboxMessage,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        self.put_versioned(&item(message, expected_version + 1), expected_version)
            .await
    }
}
