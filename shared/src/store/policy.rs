//! The merchant's policy, one versioned item.

use serde::{Deserialize, Serialize};

use super::keys::PolicyKeys;
use super::{Store, StoreError};
use crate::domain::policy::Policy;

#[derive(Serialize, Deserialize)]
struct PolicyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    version: u64,
    policy: Policy,
}

impl Store {
    /// The stored policy and its version; `None` if the merchant never changed the defaults.
    pub async fn policy(&self) -> Result<Option<(Policy, u64)>, StoreError> {
        let Some(item) = self.get(PolicyKeys::PK.to_owned(), PolicyKeys::SK).await? else {
            return Ok(None);
        };
        let item: PolicyItem = serde_dynamo::from_item(item)?;
        Ok(Some((item.policy, item.version)))
    }

    /// Replaces the policy if it is still at `expected_version` (0: never stored).
    pub async fn put_policy(
        &self,
        policy: &Policy,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let version = expected_version.saturating_add(1);
        let item = PolicyItem {
            pk: PolicyKeys::PK.to_owned(),
            sk: PolicyKeys::SK.to_owned(),
            entity: "policy".to_owned(),
            version,
            policy: policy.clone(),
        };
        self.put_versioned(&item, expected_version).await?;
        Ok(version)
    }
}
