//! Reading an index a page at a time, over one partition or over the shards of one (see
//! [`super::keys::SHARDS`]), in the order of its sort key, with a sealed cursor.
//!
//! The shards are asked at once (one round trip), each for a page; their answers are merged
//! in order, and only what is certainly in order is answered: a shard that has more to read
//! bounds what the others may give (nothing of it beyond its last read key can come before
//! them). The cursor holds each shard's position: after the last item answered from it, at the
//! end of what it read when everything read from it was answered, or done.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use futures::future::try_join_all;

use super::cursor::{self, PlainKey, Position};
use super::keys::Index;
use super::{Item, Store, StoreError};

/// Bounded work per listing: with a filter a shard may need several reads for one page; after
/// this many the page is answered short, with a cursor to go on.
pub(super) const MAX_READS_PER_PAGE: usize = 5;

/// Items a filtered read asks DynamoDB to look at, at least: its `Limit` counts the items it
/// looks at, not those the filter keeps, so a small page of a rare status would otherwise
/// come back empty page after page.
const FILTERED_READ: usize = 100;

/// Which sort keys of a partition.
#[derive(Debug, Clone)]
pub(super) enum SortRange {
    All,
    Prefix(String),
    Between(String, String),
}

/// A filter expression, with its attribute names and string values.
pub(super) type Filter<'a> = (String, Vec<(&'a str, &'a str)>, Vec<(&'a str, String)>);

/// One listing of an index: the partitions (shards) it reads, the range of sort keys, the
/// order, and what it keeps.
pub(super) struct IndexQuery<'a> {
    pub index: Index,
    pub partitions: Vec<String>,
    pub range: SortRange,
    pub newest_first: bool,
    pub filter: Option<Filter<'a>>,
    /// Items the query returns that the listing does not show (the e-mail index holds cases
    /// and orders alike).
    pub keep: &'a (dyn Fn(&Item) -> bool + Sync),
    pub limit: usize,
    /// Who lists: the cursor is sealed for them and this query alone.
    pub viewer: &'a str,
    pub cursor: Option<&'a str>,
}

/// What one shard gave for a page.
struct ShardRead {
    items: Vec<Item>,
    /// Where its reading stopped; `None`: it has nothing more.
    frontier: Option<HashMap<String, AttributeValue>>,
    reads: usize,
}

impl IndexQuery<'_> {
    fn key_attrs(&self) -> [&'static str; 4] {
        ["PK", "SK", self.index.pk(), self.index.sk()]
    }

    /// The query as the cursor is bound to it: index, partitions, range, filter and viewer.
    fn context(&self) -> String {
        let range = match &self.range {
            SortRange::All => String::new(),
            SortRange::Prefix(p) => format!("prefix {p}"),
            SortRange::Between(low, high) => format!("{low}..{high}"),
        };
        let filter = self
            .filter
            .as_ref()
            .map(|(expr, _, values)| {
                let values: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{expr} {}", values.join(","))
            })
            .unwrap_or_default();
        format!(
            "{}|{}|{}|{range}|{filter}|{}",
            self.viewer,
            self.index.name(),
            self.partitions.join(","),
            self.newest_first
        )
    }

    fn sort_key<'i>(&self, item: &'i HashMap<String, AttributeValue>) -> &'i str {
        item.get(self.index.sk())
            .and_then(|v| v.as_s().ok())
            .map_or("", String::as_str)
    }
}

impl Store {
    /// One page of `query`, each item read as `T`.
    pub(super) async fn index_page<T: serde::de::DeserializeOwned>(
        &self,
        query: &IndexQuery<'_>,
    ) -> Result<super::Page<T>, StoreError> {
        let (items, next_cursor) = self.index_items(query).await?;
        Ok(super::Page {
            items: items
                .into_iter()
                .map(serde_dynamo::from_item)
                .collect::<Result<Vec<T>, _>>()?,
            next_cursor,
        })
    }

    /// One page of `query` as items, and the cursor of the next page if there is one.
    pub(super) async fn index_items(
        &self,
        query: &IndexQuery<'_>,
    ) -> Result<(Vec<Item>, Option<String>), StoreError> {
        let context = query.context();
        let attrs = query.key_attrs();
        let positions = match query.cursor {
            Some(c) => cursor::open(
                &self.cursor_key,
                &context,
                c,
                query.partitions.len(),
                &attrs,
            )?,
            None => vec![Position::Start; query.partitions.len()],
        };
        let limit = query.limit.clamp(1, 100);
        let reads = try_join_all(query.partitions.iter().zip(&positions).map(|(pk, at)| {
            let start = match at {
                Position::Start => Some(None),
                Position::After(key) => Some(Some(cursor::attribute_map(key))),
                Position::Done => None,
            };
            async move {
                match start {
                    Some(start) => self.read_shard(query, pk, start, limit).await.map(Some),
                    None => Ok(None),
                }
            }
        }))
        .await?;
        // The shards were asked at once: as long as the one that read most.
        self.shard_waits(reads.iter().flatten().map(|r| r.reads).max());

        // Nothing of a shard that has more can come before the key it stopped at.
        let bounds = reads
            .iter()
            .flatten()
            .filter_map(|r| r.frontier.as_ref().map(|f| query.sort_key(f).to_owned()));
        let bound = if query.newest_first {
            bounds.max()
        } else {
            bounds.min()
        };
        // Every item read, with its shard.
        let mut merged: Vec<(usize, &Item)> = reads
            .iter()
            .enumerate()
            .flat_map(|(s, r)| {
                r.iter()
                    .flat_map(move |r| r.items.iter().map(move |i| (s, i)))
            })
            .collect();
        merged.sort_by(|(_, a), (_, b)| {
            let order = query.sort_key(a).cmp(query.sort_key(b));
            if query.newest_first {
                order.reverse()
            } else {
                order
            }
        });
        let in_order = |key: &str| match &bound {
            None => true,
            Some(b) if query.newest_first => key >= b.as_str(),
            Some(b) => key <= b.as_str(),
        };
        let answered: Vec<(usize, &Item)> = merged
            .into_iter()
            .take_while(|(_, item)| in_order(query.sort_key(item)))
            .take(limit)
            .collect();

        let mut next = positions.clone();
        for (s, read) in reads.iter().enumerate() {
            let Some(read) = read else { continue };
            let last = answered.iter().rfind(|(shard, _)| *shard == s);
            let all_answered =
                answered.iter().filter(|(shard, _)| *shard == s).count() == read.items.len();
            next[s] = if all_answered {
                match &read.frontier {
                    Some(f) => Position::After(cursor::plain(f).ok_or(StoreError::BadCursor)?),
                    None => Position::Done,
                }
            } else if let Some((_, item)) = last {
                Position::After(key_of(item, &attrs)?)
            } else {
                positions[s].clone()
            };
        }
        let items = answered.iter().map(|(_, item)| (*item).clone()).collect();
        let next_cursor = if next.iter().all(|p| *p == Position::Done) {
            None
        } else {
            cursor::seal(&self.cursor_key, &context, &next)
        };
        Ok((items, next_cursor))
    }

    /// Every partition of `query` read once from its start, all at once: what they gave (each
    /// in order), and whether any has more.
    pub(super) async fn read_shards(
        &self,
        query: &IndexQuery<'_>,
    ) -> Result<(Vec<Item>, bool), StoreError> {
        let reads = try_join_all(
            query
                .partitions
                .iter()
                .map(|pk| self.read_shard(query, pk, None, query.limit)),
        )
        .await?;
        self.shard_waits(reads.iter().map(|r| r.reads).max());
        let more = reads.iter().any(|r| r.frontier.is_some());
        Ok((reads.into_iter().flat_map(|r| r.items).collect(), more))
    }

    /// Shards are read at once: the wait is the longest shard's reads (within a
    /// [`Store::together`] round, the round counts it).
    fn shard_waits(&self, longest: Option<usize>) {
        for _ in 0..longest.unwrap_or(0) {
            self.round_trip();
        }
    }

    /// Up to `limit` items of one partition that `query` keeps, from `start`, in at most
    /// [`MAX_READS_PER_PAGE`] reads.
    async fn read_shard(
        &self,
        query: &IndexQuery<'_>,
        pk: &str,
        mut start: Option<HashMap<String, AttributeValue>>,
        limit: usize,
    ) -> Result<ShardRead, StoreError> {
        let mut items = Vec::new();
        let mut reads = 0;
        // More than a page may come back: the merge answers a page, the cursor goes on after
        // the last item answered.
        let ask = |have: usize| match query.filter {
            Some(_) => FILTERED_READ.max(limit - have),
            None => limit - have,
        };
        loop {
            let out = self
                .index_request(query, pk, start.take(), ask(items.len()))
                .send()
                .await?;
            reads += 1;
            self.metrics.record_request(out.consumed_capacity());
            items.extend(out.items.unwrap_or_default().into_iter().filter(query.keep));
            start = out.last_evaluated_key;
            if items.len() >= limit || start.is_none() || reads >= MAX_READS_PER_PAGE {
                return Ok(ShardRead {
                    items,
                    frontier: start,
                    reads,
                });
            }
        }
    }

    fn index_request(
        &self,
        query: &IndexQuery<'_>,
        pk: &str,
        start: Option<HashMap<String, AttributeValue>>,
        limit: usize,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let index = query.index;
        let mut request = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(index.name())
            .expression_attribute_names("#pk", index.pk())
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
            .scan_index_forward(!query.newest_first)
            .limit(limit.clamp(1, 1000) as i32)
            .set_exclusive_start_key(start)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        request = match &query.range {
            SortRange::All => request.key_condition_expression("#pk = :pk"),
            SortRange::Prefix(prefix) => request
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", index.sk())
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.clone())),
            SortRange::Between(low, high) => request
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
                .expression_attribute_names("#sk", index.sk())
                .expression_attribute_values(":low", AttributeValue::S(low.clone()))
                .expression_attribute_values(":high", AttributeValue::S(high.clone())),
        };
        if let Some((expression, names, values)) = &query.filter {
            request = request.filter_expression(expression);
            for (name, attribute) in names {
                request = request.expression_attribute_names(*name, *attribute);
            }
            for (name, value) in values {
                request =
                    request.expression_attribute_values(*name, AttributeValue::S(value.clone()));
            }
        }
        request
    }
}

/// The key of an item of an index, as a cursor holds it.
fn key_of(item: &Item, attrs: &[&str]) -> Result<PlainKey, StoreError> {
    attrs
        .iter()
        .map(|a| {
            item.get(*a)
                .and_then(|v| v.as_s().ok())
                .map(|v| ((*a).to_owned(), v.clone()))
        })
        .collect::<Option<PlainKey>>()
        .ok_or_else(|| StoreError::Corrupt("an index item without its keys".into()))
}
