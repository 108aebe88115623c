//! The merchant's policy as a function sees it: read from the table, kept for a short while.
//!
//! Every request needs the policy, and it changes rarely, so a warm function re-reads it at
//! most every [`TTL`]. A change made through this process is seen at once; a change made
//! through another function instance is seen within the TTL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::RwLock;

use crate::domain::policy::Policy;
use crate::store::{Store, StoreError};

pub const TTL: Duration = Duration::from_secs(30);

#[derive(Clone, Default)]
pub struct PolicyCache {
    inner: Arc<RwLock<Option<Cached>>>,
}

#[derive(Clone)]
struct Cached {
    read_at: Instant,
    policy: Arc<Policy>,
    version: u64,
}

impl PolicyCache {
    /// The current policy and its stored version (0: the defaults, never stored).
    pub async fn get(&self, store: &Store) -> Result<(Arc<Policy>, u64), StoreError> {
        if let Some(c) = self.inner.read().await.as_ref()
            && c.read_at.elapsed() < TTL
        {
            return Ok((c.policy.clone(), c.version));
        }
        let (policy, version) = store.policy().await?.unwrap_or_default();
        let policy = Arc::new(policy);
        *self.inner.write().await = Some(Cached {
            read_at: Instant::now(),
            policy: policy.clone(),
            version,
        });
        Ok((policy, version))
    }

    /// Stores a new policy if the stored one is still at `expected_version`.
    pub async fn replace(
        &self,
        store: &Store,
        policy: Policy,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let version = store.put_policy(&policy, expected_version).await?;
        *self.inner.write().await = Some(Cached {
            read_at: Instant::now(),
            policy: Arc::new(policy),
            version,
        });
        Ok(version)
    }
}
