//! The reports' counters: one item per merchant day, metric, dimensions and shard, in the
//! month's partition (`STATS#YYYY-MM`), added to in the transaction of the fact they count
//! (`domain::reports`). A period's report reads its months' partitions between its first and
//! last day: one Query per month, all at once.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Deserialize;

use super::keys::shard;
use super::tx::Tx;
use super::{Store, StoreError};
use crate::domain::reports::{Counted, Period, Tally};

/// The counters' keys. Each counter is split over [`super::keys::SHARDS`] items (by the
/// writer's key): concurrent transactions on one hot counter (today's filings) then rarely
/// meet on one item, and a report sums the shards.
pub struct StatsKeys;

impl StatsKeys {
    pub fn pk(day: chrono::NaiveDate) -> String {
        format!("STATS#{}", day.format("%Y-%m"))
    }
    pub fn month_pk(month: &str) -> String {
        format!("STATS#{month}")
    }
    /// `<day>#<metric>#<dims…>#<shard>`, the dimensions escaped so that no two counters share
    /// a key.
    pub fn sk(t: &Tally, writer: &str) -> String {
        let dims: Vec<String> = t
            .dims
            .iter()
            .map(|d| d.replace('%', "%25").replace('#', "%23"))
            .collect();
        format!(
            "{}#{}#{}#{}",
            t.day.format("%Y-%m-%d"),
            t.metric,
            dims.join("#"),
            shard(writer)
        )
    }
}

#[derive(Deserialize)]
struct CounterItem {
    on_day: chrono::NaiveDate,
    metric: String,
    dims: Vec<String>,
    n: i64,
}

impl Store {
    /// Adds the counters' changes to a transaction; `writer` (the case's key) picks the shard.
    pub(super) fn add_tallies(
        &self,
        tx: &mut Tx,
        tallies: &[Tally],
        writer: &str,
    ) -> Result<(), StoreError> {
        for t in tallies {
            let dims = AttributeValue::L(t.dims.iter().cloned().map(AttributeValue::S).collect());
            tx.update_named(
                "counter",
                (StatsKeys::pk(t.day), StatsKeys::sk(t, writer)),
                "ADD #n :n SET entity = :e, on_day = :day, metric = :m, dims = :dims",
                None,
                &[("#n".to_owned(), "n".to_owned())],
                &[
                    (":n", AttributeValue::N(t.n.to_string())),
                    (":e", AttributeValue::S("counter".to_owned())),
                    (
                        ":day",
                        AttributeValue::S(t.day.format("%Y-%m-%d").to_string()),
                    ),
                    (":m", AttributeValue::S(t.metric.to_owned())),
                    (":dims", dims),
                ],
            )?;
        }
        Ok(())
    }

    /// Every counter of `period`'s days: one Query per month touched, sent at once.
    pub async fn counters(&self, period: Period) -> Result<Vec<Counted>, StoreError> {
        let from = period.from.format("%Y-%m-%d").to_string();
        // `~` sorts after every key of the last day.
        let to = format!("{}~", period.to.format("%Y-%m-%d"));
        let months = period.months();
        let parts = self
            .together(|store| async move {
                let reads = months.iter().map(|m| {
                    store.partition_between(StatsKeys::month_pk(m), from.clone(), to.clone())
                });
                futures::future::join_all(reads).await
            })
            .await;
        let mut counted = Vec::new();
        for part in parts {
            for (_, item) in part? {
                let c: CounterItem = serde_dynamo::from_item(item)?;
                counted.push(Counted {
                    day: c.on_day,
                    metric: c.metric,
                    dims: c.dims,
                    n: c.n,
                });
            }
        }
        Ok(counted)
    }
}
