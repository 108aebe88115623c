//! The single DynamoDB table: key builders, items, and the reads and writes the handlers use.
//!
//! # Access patterns
//!
//! | pattern                                   | key or index                                      |
//! |-------------------------------------------|---------------------------------------------------|
//! | a case with its timeline (one Query)      | `PK = CASE#<id>`: `SK = CASE`, `SK = EVENT#<v>#<n>` |
//! | a customer's cases, newest first          | GSI1: `CUSTOMER#<customer>` / `CASE#<created>#<id>` |
//! | staff queue by status, newest first       | GSI2: `CASES#<status>#<shard>` / `<created>#<id>`   |
//! | every case, newest first                  | GSI3: `CASES#<shard>` / `<created>#<id>`            |
//! | an `Idempotency-Key` already used         | `PK = IDEM#<caller>#<key>` (TTL `expires_at`)       |
//! | the merchant's policy                     | `PK = POLICY`, `SK = CURRENT`                       |
//! | an order with refunds and case links      | `PK = ORDER#<storefront>#<order>` (one Query)       |
//! | a customer's orders                       | GSI1: `CUSTOMER#<storefront>:<id>` / `ORDER#<created>#…` |
//! | a customer's cases and orders by e-mail   | GSI4: `EMAIL#<email>` / `CASE#…`, `ORDER#…`         |
//! | a webhook delivery already applied        | `PK = DELIVERY#<storefront>#<key>` (TTL)            |
//! | the case of a storefront return (or how it ended before its request) | `PK = RETURN#<storefront>#<return>` |
//! | deadlines and outbox messages now due     | GSI5 (sparse, keys only): `DUE#<shard>` / `<due>#<id>` |
//! | a return queue, by deadline               | GSI6 (sparse): `RETURNS#<stage>#<shard>` / `<due>#<id>` |
//! | a message to send (refund outcome)        | `PK = OUTBOX#<id>` (in the due index until sent)    |
//! | a storefront's refund or cancellation, to note on its order's open cases | `PK = NOTICE#<id>` (in the due index until every case is told); each case told is marked `SK = NOTICE#<id>` in its partition |
//! | open cases on one order line (the policy's limit) | `PK = ORDER#…`, `SK = OPEN#<line>` (a counter) |
//! | what return requests claim of an order (money, units by line) | `PK = ORDER#…`, `SK = CLAIMS` (versioned; read with the order) |
//! | a case's refund paid (one per case)       | `PK = CASE#<id>`, `SK = REFUND`                     |
//! | a customer's return units of a day (batch levels) | `PK = UNITS#<customer>#<date>` (TTL)     |
//!
//! `<shard>` is 0..[`keys::SHARDS`], a hash of the item's own key: no partition of an index
//! holds every case, every case of a status or every deadline (each takes about 1,000 writes a
//! second), and the listings read the shards at once and merge them in order (`query`).
//!
//! A type filter and a date range narrow the case indexes (the date range is a key condition,
//! the type a filter). Nothing on a request path scans.
//!
//! # Writes
//!
//! A state change is one `TransactWriteItems`: the case conditioned on the version it was read
//! at, plus its timeline events conditioned on not existing, plus what the change means for the
//! records it counts in: a case that opens or closes counts on its order lines' open cases, a
//! return that is filed or ends unpaid adds or gives back its claim on its order. Whatever
//! decides a request reads is conditioned in its transaction (the day's units, the order's
//! claims), so that a concurrent writer makes it decide again instead of deciding on stale
//! numbers. Items with a TTL may outlive it
//! (DynamoDB deletes expired items within about 48 hours, DynamoDB Local never does), so every
//! read of such an item checks `expires_at` itself.

mod cases;
pub mod cursor;
mod dispatch;
mod error;
mod idempotency;
pub mod keys;
mod notices;
mod orders;
mod outbox;
mod policy;
mod query;
mod reports;
pub mod tx;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, KeysAndAttributes, ReturnConsumedCapacity,
};

pub use cases::{CaseQuery, CreateError, Filing, Page};
pub use cursor::CursorKey;
pub use dispatch::{
    DayBooking, ProductStats, RepairRecord, TechnicianRecord, TechnicianStats, Tool, ToolError,
    WorkListing,
};
pub use error::StoreError;
pub use idempotency::IdempotencyRecord;
pub use keys::DueOwner as Due;
pub use notices::Notice;
pub use orders::{Claims, OrderRecord, OrderSummary, ReturnLink};
pub use outbox::OutboxMessage;
pub use reports::StatsKeys;

/// Round trips, requests and consumed capacity, counted per store so that a benchmark can
/// report the cost of one operation (ReturnConsumedCapacity is asked on every call). A round
/// trip is a wait on DynamoDB: requests sent at once (the shards of an index) are one.
#[derive(Debug, Default)]
pub struct Metrics {
    round_trips: AtomicU64,
    /// Of which waited on writes (transactions and single-item puts).
    write_round_trips: AtomicU64,
    requests: AtomicU64,
    /// Capacity units × 1000, to count fractions in an integer.
    milli_units: AtomicU64,
    /// The keys of every item written, with whether in a transaction, once asked for
    /// ([`Store::keep_written`]): a benchmark or a cost test computes from them what AWS bills
    /// (DynamoDB Local does not count index writes). Off in the functions.
    keep_written: std::sync::atomic::AtomicBool,
    written: std::sync::Mutex<Vec<Written>>,
}

/// An item written (put or updated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub pk: String,
    pub sk: String,
    pub transactional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetricsSnapshot {
    pub round_trips: u64,
    pub write_round_trips: u64,
    pub requests: u64,
    pub capacity_units: f64,
}

impl MetricsSnapshot {
    /// Read round trips: every wait on DynamoDB that wrote nothing.
    pub fn read_round_trips(&self) -> u64 {
        self.round_trips - self.write_round_trips
    }
}

/// What happened between two snapshots.
impl std::ops::Sub for MetricsSnapshot {
    type Output = MetricsSnapshot;
    fn sub(self, before: Self) -> Self {
        MetricsSnapshot {
            round_trips: self.round_trips - before.round_trips,
            write_round_trips: self.write_round_trips - before.write_round_trips,
            requests: self.requests - before.requests,
            capacity_units: self.capacity_units - before.capacity_units,
        }
    }
}

impl Metrics {
    /// A request waited for on its own.
    fn record<'a>(&self, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        self.add_round_trips(1);
        self.record_request(consumed);
    }

    /// A request sent with others at once: its round trips are counted by the caller.
    fn record_request<'a>(&self, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let units: f64 = consumed
            .into_iter()
            .filter_map(|c| c.capacity_units())
            .sum();
        self.milli_units
            .fetch_add((units * 1000.0).round() as u64, Ordering::Relaxed);
    }

    fn add_round_trips(&self, n: u64) {
        self.round_trips.fetch_add(n, Ordering::Relaxed);
    }

    fn note_written(&self, keys: impl IntoIterator<Item = Written>) {
        if !self.keep_written.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(mut written) = self.written.lock() {
            written.extend(keys);
        }
    }

    /// The items written so far, in order.
    pub fn written(&self) -> Vec<Written> {
        self.written.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// A write waited for on its own.
    fn record_write<'a>(&self, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        self.write_round_trips.fetch_add(1, Ordering::Relaxed);
        self.record(consumed);
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            round_trips: self.round_trips.load(Ordering::Relaxed),
            write_round_trips: self.write_round_trips.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            capacity_units: self.milli_units.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }
}

/// The table and the client, built once per process (cold start) and shared by handlers.
#[derive(Clone)]
pub struct Store {
    client: Client,
    table: Arc<str>,
    metrics: Arc<Metrics>,
    /// Seals the cursors of listings (see [`cursor`]).
    cursor_key: CursorKey,
    /// Reads sent at once with others ([`Store::together`]): their wait is counted there,
    /// once if any was sent.
    in_round: Option<Arc<AtomicU64>>,
}

impl Store {
    pub fn new(client: Client, table: impl Into<Arc<str>>, cursor_key: CursorKey) -> Self {
        Self {
            client,
            table: table.into(),
            metrics: Arc::default(),
            cursor_key,
            in_round: None,
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics.snapshot()
    }

    /// Every item this store has written since [`Store::keep_written`], in order.
    pub fn written(&self) -> Vec<Written> {
        self.metrics.written()
    }

    /// Keeps the keys of the items written from now on (for cost tests and benchmarks).
    pub fn keep_written(&self) {
        self.metrics.keep_written.store(true, Ordering::Relaxed);
    }

    /// Independent reads sent at once: `reads` is given a store whose reads it joins (for
    /// example with `tokio::join!`), and the wait counts as one round trip. A command reads
    /// what it decides on in one such round.
    pub async fn together<T, F, Fut>(&self, reads: F) -> T
    where
        F: FnOnce(Store) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let sent = Arc::new(AtomicU64::new(0));
        let round = Store {
            in_round: Some(sent.clone()),
            ..self.clone()
        };
        let out = reads(round).await;
        if sent.load(Ordering::Relaxed) > 0 {
            self.round_trip();
        }
        out
    }

    /// One wait on DynamoDB, or one more request of the round this store is in.
    fn round_trip(&self) {
        match &self.in_round {
            Some(sent) => {
                sent.fetch_add(1, Ordering::Relaxed);
            }
            None => self.metrics.add_round_trips(1),
        }
    }

    fn record_read<'a>(&self, consumed: impl IntoIterator<Item = &'a ConsumedCapacity>) {
        self.metrics.record_request(consumed);
        self.round_trip();
    }

    /// One item by its key, strongly consistent: what a command reads before it decides.
    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        self.record_read(out.consumed_capacity());
        Ok(out.item)
    }

    /// Items by their keys, strongly consistent, at most 100 per request sent at once: one
    /// wait however many (DynamoDB's unprocessed keys are asked again).
    async fn get_many(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, StoreError> {
        let items = self
            .together(|round| async move {
                let chunks = keys
                    .chunks(100)
                    .map(|chunk| round.get_batch(chunk.to_vec()));
                futures::future::try_join_all(chunks).await
            })
            .await?;
        Ok(items.into_iter().flatten().collect())
    }

    async fn get_batch(&self, keys: Vec<(String, String)>) -> Result<Vec<Item>, StoreError> {
        let mut wanted = KeysAndAttributes::builder()
            .set_keys(Some(
                keys.into_iter()
                    .map(|(pk, sk)| {
                        Item::from([
                            ("PK".to_owned(), AttributeValue::S(pk)),
                            ("SK".to_owned(), AttributeValue::S(sk)),
                        ])
                    })
                    .collect(),
            ))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut items = Vec::new();
        for attempt in 0.. {
            let out = self
                .client
                .batch_get_item()
                .request_items(self.table.as_ref(), wanted)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await?;
            self.record_read(out.consumed_capacity());
            if let Some(mut found) = out.responses {
                items.extend(found.remove(self.table.as_ref()).unwrap_or_default());
            }
            match out
                .unprocessed_keys
                .and_then(|mut u| u.remove(self.table.as_ref()))
            {
                Some(left) if !left.keys().is_empty() => {
                    if attempt >= 5 {
                        return Err(StoreError::Unavailable("DynamoDB left keys unread".into()));
                    }
                    // Throttled: DynamoDB answered what it could; ask again a little later.
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                    wanted = left;
                }
                _ => break,
            }
        }
        Ok(items)
    }

    /// Puts `item` if the stored one is still at `expected_version` (0: there is none yet):
    /// the single-item optimistic write of records that change outside a transaction.
    async fn put_versioned(
        &self,
        item: &impl serde::Serialize,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(serde_dynamo::to_item(item)?))
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let request = if expected_version == 0 {
            request.condition_expression("attribute_not_exists(PK)")
        } else {
            request
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(expected_version.to_string()))
        };
        let out = request.send().await?;
        self.metrics.record_write(out.consumed_capacity());
        if self.metrics.keep_written.load(Ordering::Relaxed)
            && let Ok(written) = serde_dynamo::to_item::<_, Item>(item)
        {
            let key = |name: &str| {
                written
                    .get(name)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default()
            };
            self.metrics.note_written([Written {
                pk: key("PK"),
                sk: key("SK"),
                transactional: false,
            }]);
        }
        Ok(())
    }

    /// Every item of one partition (an aggregate with its parts), strongly consistent, each
    /// with its `entity` name.
    async fn partition(&self, pk: String) -> Result<Vec<(String, Item)>, StoreError> {
        self.partition_prefix(pk, None).await
    }

    /// The items of one partition whose sort key starts with `prefix` (all without one).
    async fn partition_prefix(
        &self,
        pk: String,
        prefix: Option<&str>,
    ) -> Result<Vec<(String, Item)>, StoreError> {
        match prefix {
            Some(p) => {
                self.partition_where(
                    "PK = :pk AND begins_with(SK, :a)",
                    [(":pk", pk), (":a", p.to_owned())].into(),
                    true,
                )
                .await
            }
            None => {
                self.partition_where("PK = :pk", [(":pk", pk)].into(), true)
                    .await
            }
        }
    }

    /// The items of one partition whose sort key is between `from` and `to`, eventually
    /// consistent (reports: half the read units).
    async fn partition_between(
        &self,
        pk: String,
        from: String,
        to: String,
    ) -> Result<Vec<(String, Item)>, StoreError> {
        self.partition_where(
            "PK = :pk AND SK BETWEEN :a AND :b",
            [(":pk", pk), (":a", from), (":b", to)].into(),
            false,
        )
        .await
    }

    async fn partition_where(
        &self,
        condition: &str,
        values: std::collections::HashMap<&str, String>,
        consistent: bool,
    ) -> Result<Vec<(String, Item)>, StoreError> {
        let values: std::collections::HashMap<String, AttributeValue> = values
            .into_iter()
            .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
            .collect();
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .consistent_read(consistent)
                .set_exclusive_start_key(start)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await?;
            self.record_read(out.consumed_capacity());
            for item in out.items.unwrap_or_default() {
                let entity = item
                    .get("entity")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                items.push((entity, item));
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(items),
            }
        }
    }
}

/// Which page of a listing, for whom: a cursor is sealed for its viewer (the caller's
/// role and subject) and works for no one else.
#[derive(Debug, Clone, Copy)]
pub struct Paging<'a> {
    pub limit: usize,
    pub cursor: Option<&'a str>,
    pub viewer: &'a str,
}

/// An item as the SDK holds it.
type Item = std::collections::HashMap<String, AttributeValue>;
