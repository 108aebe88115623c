//! Idempotency records: an `Idempotency-Key` remembered with a hash of the request it came with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keys::IdempotencyKeys;
use super::{Store, StoreError};
use crate::domain::values::CaseId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub entity: String,
    /// SHA-256 of the method, path and body: the same key with another request is refused.
    pub request_hash: String,
    pub case_id: CaseId,
    pub created_at: DateTime<Utc>,
    /// Epoch seconds; the table's TTL attribute.
    pub expires_at: i64,
}

impl IdempotencyRecord {
    pub fn new(
        caller: &str,
        key: &str,
        request_hash: String,
        case_id: CaseId,
        now: DateTime<Utc>,
        ttl_hours: u32,
    ) -> Self {
        Self {
            pk: IdempotencyKeys::pk(caller, key),
            sk: IdempotencyKeys::SK.to_owned(),
            entity: "idempotency".to_owned(),
            request_hash,
            case_id,
            created_at: now,
            expires_at: chrono::Duration::try_hours(i64::from(ttl_hours))
                .and_then(|ttl| now.checked_add_signed(ttl))
                .map_or(i64::MAX, |t| t.timestamp()),
        }
    }
}

impl Store {
    /// The live record for a caller's key, if any. An expired record is absent, whether or not
    /// DynamoDB has deleted it yet.
    pub async fn idempotency_record(
        &self,
        caller: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let item = self
            .get(IdempotencyKeys::pk(caller, key), IdempotencyKeys::SK)
            .await?;
        let Some(item) = item else { return Ok(None) };
        let record: IdempotencyRecord = serde_dynamo::from_item(item)?;
        Ok((record.expires_at > now.timestamp()).then_some(record))
    }
}
