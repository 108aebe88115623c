//! Dispatch's records beside the cases: technicians with their counters (one partition, read
//! at once), special tools (lent with a condition, so never twice), each day's slots and
//! bookings (the capacity sheet is one partition), the customer's confirmation code (beside
//! the case, never in it), and the repairs of each serial number (the repeat-repair rule).
//!
//! A booking holds its slots with conditional puts in the case's own transaction: of two
//! bookings of one time, however they race, one commits and the other fails on the slot
//! (label `slot`), never by a read that came too late.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::cases::Page;
use super::keys::{CaseKeys, DispatchKeys, Index};
use super::query::{IndexQuery, SortRange};
use super::tx::Tx;
use super::{Paging, Store, StoreError};
use crate::domain::case::CaseSummary;
use crate::domain::case::work::WorkKind;
use crate::domain::dispatch::Technician;
use crate::domain::effects::{Counter, Effect};
use crate::domain::values::CaseId;

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct TechnicianItem {
    PK: String,
    SK: String,
    entity: String,
    version: u64,
    technician: Technician,
}

/// What is counted against a technician, kept as the events happen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TechnicianStats {
    /// Repairs that passed their exit inspection.
    #[serde(default)]
    pub repairs: u64,
    /// Promises missed on their visits.
    #[serde(default)]
    pub late: u64,
    /// Their repairs that had to be done again (the same fault within the window).
    #[serde(default)]
    pub repeats: u64,
}

/// A technician as stored, with the version to change them at and their counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TechnicianRecord {
    #[serde(flatten)]
    pub technician: Technician,
    pub version: u64,
    pub stats: TechnicianStats,
}

/// Repairs and repeats of one product (SKU, else model).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductStats {
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub repairs: u64,
    #[serde(default)]
    pub repeats: u64,
}

/// A special tool (专用工具) and who has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tool {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lent_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lent_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct ToolItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(flatten)]
    tool: Tool,
}

/// A visit on the capacity sheet: who, when, for which case (staff only: no address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayBooking {
    pub technician: String,
    pub case_id: CaseId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub kind: WorkKind,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct BookingItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(flatten)]
    booking: DayBooking,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct SlotItem {
    PK: String,
    SK: String,
    entity: String,
    case_id: CaseId,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct CodeItem {
    PK: String,
    SK: String,
    entity: String,
    code: String,
    issued_at: DateTime<Utc>,
}

/// A repair that passed its inspection, as the repeat-repair rule reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairRecord {
    pub case_id: CaseId,
    pub serial_number: String,
    pub fault: String,
    pub technician: String,
    pub finished_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct RepairItem {
    PK: String,
    SK: String,
    entity: String,
    #[serde(flatten)]
    repair: RepairRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product: Option<String>,
}

/// Why a tool was not lent or given back.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("no such tool")]
    NotFound,
    #[error("the tool is lent to someone else, or not lent")]
    NotAvailable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A listing of work orders: one technician's, or the whole board; `late_at`: only those
/// past their promise and not met at that moment.
pub struct WorkListing<'a> {
    pub technician: Option<&'a str>,
    pub late_at: Option<DateTime<Utc>>,
    pub paging: Paging<'a>,
}

#[derive(Deserialize)]
struct IndexedCase {
    summary: CaseSummary,
}

fn every_item(_: &super::Item) -> bool {
    true
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl Store {
    /// Every technician with their counters: one Query of one partition.
    pub async fn technicians(&self) -> Result<Vec<TechnicianRecord>, StoreError> {
        let mut people = BTreeMap::<String, (Technician, u64)>::new();
        let mut stats = BTreeMap::<String, TechnicianStats>::new();
        for (entity, item) in self.partition(DispatchKeys::TECHNICIANS.to_owned()).await? {
            match entity.as_str() {
                "technician" => {
                    let t: TechnicianItem = serde_dynamo::from_item(item)?;
                    people.insert(t.technician.id.clone(), (t.technician, t.version));
                }
                "technician_stats" => {
                    let id = item
                        .get("technician")
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default();
                    stats.insert(id, serde_dynamo::from_item(item)?);
                }
                _ => {}
            }
        }
        Ok(people
            .into_iter()
            .map(|(id, (technician, version))| TechnicianRecord {
                technician,
                version,
                stats: stats.remove(&id).unwrap_or_default(),
            })
            .collect())
    }

    /// Adds or replaces a technician if still at `expected_version` (0: new).
    pub async fn put_technician(
        &self,
        technician: &Technician,
        expected_version: u64,
    ) -> Result<u64, StoreError> {
        let version = expected_version.saturating_add(1);
        let item = TechnicianItem {
            PK: DispatchKeys::TECHNICIANS.to_owned(),
            SK: DispatchKeys::technician_sk(&technician.id),
            entity: "technician".to_owned(),
            version,
            technician: technician.clone(),
        };
        self.put_versioned(&item, expected_version).await?;
        Ok(version)
    }

    /// Every special tool.
    pub async fn tools(&self) -> Result<Vec<Tool>, StoreError> {
        self.partition(DispatchKeys::TOOLS.to_owned())
            .await?
            .into_iter()
            .filter(|(entity, _)| entity == "tool")
            .map(|(_, item)| Ok(serde_dynamo::from_item::<_, ToolItem>(item)?.tool))
            .collect()
    }

    /// Adds a tool (a code taken already is a conflict).
    pub async fn add_tool(&self, code: &str, name: &str) -> Result<Tool, StoreError> {
        let tool = Tool {
            code: code.to_owned(),
            name: name.to_owned(),
            lent_to: None,
            lent_at: None,
        };
        let item = ToolItem {
            PK: DispatchKeys::TOOLS.to_owned(),
            SK: DispatchKeys::tool_sk(code),
            entity: "tool".to_owned(),
            tool: tool.clone(),
        };
        self.put_versioned(&item, 0).await?;
        Ok(tool)
    }

    /// Lends a tool to `technician` if nobody has it (`Some`), or takes it back from whoever
    /// has it (`None`), with a condition: a tool cannot be lent twice.
    pub async fn lend_tool(
        &self,
        code: &str,
        technician: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Tool, ToolError> {
        let request = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .key("PK", AttributeValue::S(DispatchKeys::TOOLS.to_owned()))
            .key("SK", AttributeValue::S(DispatchKeys::tool_sk(code)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let request = match technician {
            Some(t) => request
                .update_expression("SET lent_to = :t, lent_at = :at")
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(lent_to)")
                .expression_attribute_values(":t", AttributeValue::S(t.to_owned()))
                .expression_attribute_values(":at", AttributeValue::S(super::keys::sortable(now))),
            None => request
                .update_expression("REMOVE lent_to, lent_at")
                .condition_expression("attribute_exists(PK) AND attribute_exists(lent_to)"),
        };
        match request.send().await {
            Ok(out) => {
                self.metrics.record_write(out.consumed_capacity());
                let item = out.attributes.unwrap_or_default();
                Ok(serde_dynamo::from_item::<_, ToolItem>(item)
                    .map_err(StoreError::from)?
                    .tool)
            }
            Err(e) => {
                self.metrics.record_write([]);
                match StoreError::from(e) {
                    StoreError::Conflict => {
                        let exists = self
                            .get(DispatchKeys::TOOLS.to_owned(), &DispatchKeys::tool_sk(code))
                            .await?
                            .is_some();
                        Err(if exists {
                            ToolError::NotAvailable
                        } else {
                            ToolError::NotFound
                        })
                    }
                    other => Err(other.into()),
                }
            }
        }
    }

    /// The visits booked on `day`, every technician's: one Query of the day's partition.
    pub async fn day_bookings(&self, day: NaiveDate) -> Result<Vec<DayBooking>, StoreError> {
        self.partition_prefix(
            DispatchKeys::day_pk(day),
            Some(DispatchKeys::BOOKING_PREFIX),
        )
        .await?
        .into_iter()
        .map(|(_, item)| Ok(serde_dynamo::from_item::<_, BookingItem>(item)?.booking))
        .collect()
    }

    /// The technicians and the day's bookings, read at once (one round trip).
    pub async fn day_sheet(
        &self,
        day: NaiveDate,
    ) -> Result<(Vec<TechnicianRecord>, Vec<DayBooking>), StoreError> {
        self.together(|round| async move {
            futures::try_join!(round.technicians(), round.day_bookings(day))
        })
        .await
    }

    /// The customer's confirmation code of a case's work order, if one was issued.
    pub async fn work_code(
        &self,
        case: &CaseId,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let Some(item) = self.get(CaseKeys::pk(case), CaseKeys::CODE_SK).await? else {
            return Ok(None);
        };
        let item: CodeItem = serde_dynamo::from_item(item)?;
        Ok(Some((item.code, item.issued_at)))
    }

    /// The repairs of one serial number that passed inspection, oldest first.
    pub async fn repairs_of(&self, serial: &str) -> Result<Vec<RepairRecord>, StoreError> {
        self.partition(DispatchKeys::serial_pk(serial))
            .await?
            .into_iter()
            .filter(|(entity, _)| entity == "repair")
            .map(|(_, item)| Ok(serde_dynamo::from_item::<_, RepairItem>(item)?.repair))
            .collect()
    }

    /// Repairs and repeats by product.
    pub async fn product_stats(&self) -> Result<Vec<ProductStats>, StoreError> {
        self.partition(DispatchKeys::PRODUCTS.to_owned())
            .await?
            .into_iter()
            .map(|(_, item)| Ok(serde_dynamo::from_item(item)?))
            .collect()
    }

    /// Open work orders, earliest promise first: one technician's, or the board's shards.
    pub async fn work_orders(
        &self,
        listing: WorkListing<'_>,
    ) -> Result<Page<CaseSummary>, StoreError> {
        let (index, partitions) = match listing.technician {
            Some(t) => (Index::TechnicianWork, vec![CaseKeys::technician_work_pk(t)]),
            None => (Index::Work, CaseKeys::work_shards()),
        };
        let (range, filter) = match listing.late_at {
            Some(now) => (
                SortRange::Between("0".to_owned(), super::keys::sortable(now)),
                Some((
                    "work_met = :no".to_owned(),
                    Vec::new(),
                    vec![(":no", "no".to_owned())],
                )),
            ),
            None => (SortRange::All, None),
        };
        let page = self
            .index_page::<IndexedCase>(&IndexQuery {
                index,
                partitions,
                range,
                newest_first: false,
                filter,
                keep: &every_item,
                limit: listing.paging.limit,
                viewer: listing.paging.viewer,
                cursor: listing.paging.cursor,
            })
            .await?;
        Ok(page.map(|c| c.summary))
    }

    /// Adds what a decision's dispatch effects write. A move within one technician's day may
    /// free and hold the same slot: that slot is left as it is (an item is written once per
    /// transaction), and so are counters on one item, summed.
    pub(super) fn add_dispatch_effects(
        &self,
        tx: &mut Tx,
        case: &CaseId,
        effects: &[&Effect],
    ) -> Result<(), StoreError> {
        let mut held = BTreeMap::new();
        let mut freed = BTreeMap::new();
        // Visits per technician-day: +1 a hold (under its capacity), -1 a free; a move within
        // one day nets to nothing and leaves the count alone.
        let mut load = BTreeMap::<(String, String), (i64, u32)>::new();
        let mut counters = BTreeMap::<(String, String), (String, BTreeMap<&str, u64>)>::new();
        let mut count = |pk: &str, sk: String, owner: String, attr: &'static str| {
            *counters
                .entry((pk.to_owned(), sk))
                .or_insert_with(|| (owner, BTreeMap::new()))
                .1
                .entry(attr)
                .or_default() += 1;
        };
        for effect in effects {
            match effect {
                Effect::HoldSlots {
                    technician,
                    day,
                    slots,
                    start,
                    end,
                    kind,
                    capacity,
                } => {
                    let pk = DispatchKeys::day_pk(*day);
                    let entry = load
                        .entry((pk.clone(), DispatchKeys::load_sk(technician)))
                        .or_insert((0, *capacity));
                    entry.0 += 1;
                    entry.1 = *capacity;
                    for slot in slots {
                        held.insert((pk.clone(), DispatchKeys::slot_sk(technician, slot)), None);
                    }
                    let booking = DayBooking {
                        technician: technician.clone(),
                        case_id: case.clone(),
                        start: *start,
                        end: *end,
                        kind: *kind,
                    };
                    held.insert(
                        (pk, DispatchKeys::booking_sk(technician, *start)),
                        Some(booking),
                    );
                }
                Effect::FreeSlots {
                    technician,
                    day,
                    slots,
                    start,
                } => {
                    let pk = DispatchKeys::day_pk(*day);
                    load.entry((pk.clone(), DispatchKeys::load_sk(technician)))
                        .or_insert((0, u32::MAX))
                        .0 -= 1;
                    for slot in slots {
                        freed.insert((pk.clone(), DispatchKeys::slot_sk(technician, slot)), ());
                    }
                    freed.insert((pk, DispatchKeys::booking_sk(technician, *start)), ());
                }
                Effect::IssueCode { code, at } => tx.put_over(
                    "code",
                    &CodeItem {
                        PK: CaseKeys::pk(case),
                        SK: CaseKeys::CODE_SK.to_owned(),
                        entity: "work_code".to_owned(),
                        code: code.clone(),
                        issued_at: *at,
                    },
                )?,
                Effect::RecordRepair {
                    serial_number,
                    fault,
                    technician,
                    product,
                    finished_at,
                } => {
                    let item = RepairItem {
                        PK: DispatchKeys::serial_pk(serial_number),
                        SK: DispatchKeys::repair_sk(*finished_at, case.as_str()),
                        entity: "repair".to_owned(),
                        repair: RepairRecord {
                            case_id: case.clone(),
                            serial_number: serial_number.clone(),
                            fault: fault.clone(),
                            technician: technician.clone(),
                            finished_at: *finished_at,
                        },
                        product: product.clone(),
                    };
                    tx.put("repair", &item, "attribute_not_exists(PK)", &[])?;
                    if !technician.is_empty() {
                        count(
                            DispatchKeys::TECHNICIANS,
                            DispatchKeys::technician_stats_sk(technician),
                            technician.clone(),
                            "repairs",
                        );
                    }
                    if let Some(p) = product {
                        count(
                            DispatchKeys::PRODUCTS,
                            DispatchKeys::product_stats_sk(p),
                            p.clone(),
                            "repairs",
                        );
                    }
                }
                Effect::Count(counter) => match counter {
                    Counter::TechnicianLate(t) => count(
                        DispatchKeys::TECHNICIANS,
                        DispatchKeys::technician_stats_sk(t),
                        t.clone(),
                        "late",
                    ),
                    Counter::TechnicianRepeat(t) => count(
                        DispatchKeys::TECHNICIANS,
                        DispatchKeys::technician_stats_sk(t),
                        t.clone(),
                        "repeats",
                    ),
                    Counter::ProductRepeat(p) => count(
                        DispatchKeys::PRODUCTS,
                        DispatchKeys::product_stats_sk(p),
                        p.clone(),
                        "repeats",
                    ),
                },
                Effect::RefundPaid { .. } | Effect::TellStorefront { .. } => {}
            }
        }
        // A slot freed and held again in one move stays as it is.
        let both: Vec<_> = held
            .keys()
            .filter(|k| freed.contains_key(*k))
            .cloned()
            .collect();
        for key in &both {
            freed.remove(key);
            if held.get(key).is_some_and(Option::is_none) {
                held.remove(key);
            }
        }
        let mine = [(":case", AttributeValue::S(case.to_string()))];
        for ((pk, sk), ()) in freed {
            tx.delete("free-slot", (pk, sk), "case_id = :case", &mine)?;
        }
        for ((pk, sk), booking) in held {
            match booking {
                Some(booking) => {
                    let item = BookingItem {
                        PK: pk,
                        SK: sk,
                        entity: "booking".to_owned(),
                        booking,
                    };
                    if both_contains(&both, &item.PK, &item.SK) {
                        tx.put("slot", &item, "case_id = :case", &mine)?;
                    } else {
                        tx.put("slot", &item, "attribute_not_exists(PK)", &[])?;
                    }
                }
                None => tx.put(
                    "slot",
                    &SlotItem {
                        PK: pk,
                        SK: sk,
                        entity: "slot".to_owned(),
                        case_id: case.clone(),
                    },
                    "attribute_not_exists(PK)",
                    &[],
                )?,
            }
        }
        for ((pk, sk), (delta, capacity)) in load {
            let values = [
                (":d", AttributeValue::N(delta.to_string())),
                (":e", AttributeValue::S("day_load".to_owned())),
                (":cap", n(u64::from(capacity))),
            ];
            match delta {
                0 => {}
                // Taking a visit: only while the day has room (label `day-full`).
                d if d > 0 => tx.update(
                    "day-full",
                    (pk, sk),
                    "ADD visits :d SET entity = :e",
                    Some("attribute_not_exists(visits) OR visits < :cap"),
                    &values,
                )?,
                _ => tx.update(
                    "day-load",
                    (pk, sk),
                    "ADD visits :d SET entity = :e",
                    None,
                    &values[..2],
                )?,
            }
        }
        for ((pk, sk), (owner, attrs)) in counters {
            let entity = if pk == DispatchKeys::PRODUCTS {
                ("product_stats", "product")
            } else {
                ("technician_stats", "technician")
            };
            let adds: Vec<String> = attrs.keys().map(|a| format!("{a} :{a}")).collect();
            let mut values = vec![
                (":entity", AttributeValue::S(entity.0.to_owned())),
                (":owner", AttributeValue::S(owner)),
            ];
            let names: Vec<(String, String)> = vec![("#owner".to_owned(), entity.1.to_owned())];
            let placeholders: Vec<String> = attrs.keys().map(|a| format!(":{a}")).collect();
            for (p, v) in placeholders.iter().zip(attrs.values()) {
                values.push((p.as_str(), n(*v)));
            }
            tx.update_named(
                "counter",
                (pk, sk),
                &format!(
                    "ADD {} SET entity = :entity, #owner = :owner",
                    adds.join(", ")
                ),
                None,
                &names,
                &values,
            )?;
        }
        Ok(())
    }
}

fn both_contains(both: &[(String, String)], pk: &str, sk: &str) -> bool {
    both.iter().any(|(p, s)| p == pk && s == sk)
}
