//! One key builder per entity: the only place that knows how keys are spelled.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::domain::case::CaseStatus;
use crate::domain::values::{CaseId, CustomerId};

pub const PK: &str = "PK";
pub const SK: &str = "SK";

/// The GSIs as named in `infra/template.yaml`, with their key attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// A customer's items (cases), newest first.
    Customer,
    /// Cases by status.
    Status,
    /// Every case.
    AllCases,
    /// A customer's items by verified e-mail.
    Email,
    /// Due deadlines.
    Due,
    /// Return cases by stage.
    Stage,
    /// Open work orders by promise (the dispatch board).
    Work,
    /// A technician's open work orders by promise.
    TechnicianWork,
    /// Cases with a callback to make, by its time.
    Callbacks,
}

impl Index {
    pub fn name(self) -> &'static str {
        match self {
            Index::Customer => "GSI1",
            Index::Status => "GSI2",
            Index::AllCases => "GSI3",
            Index::Email => "GSI4",
            Index::Due => "GSI5",
            Index::Stage => "GSI6",
            Index::Work => "GSI7",
            Index::TechnicianWork => "GSI8",
            Index::Callbacks => "GSI9",
        }
    }
    pub fn pk(self) -> &'static str {
        match self {
            Index::Customer => "GSI1PK",
            Index::Status => "GSI2PK",
            Index::AllCases => "GSI3PK",
            Index::Email => "GSI4PK",
            Index::Due => "GSI5PK",
            Index::Stage => "GSI6PK",
            Index::Work => "GSI7PK",
            Index::TechnicianWork => "GSI8PK",
            Index::Callbacks => "GSI9PK",
        }
    }
    pub fn sk(self) -> &'static str {
        match self {
            Index::Customer => "GSI1SK",
            Index::Status => "GSI2SK",
            Index::AllCases => "GSI3SK",
            Index::Email => "GSI4SK",
            Index::Due => "GSI5SK",
            Index::Stage => "GSI6SK",
            Index::Work => "GSI7SK",
            Index::TechnicianWork => "GSI8SK",
            Index::Callbacks => "GSI9SK",
        }
    }
}

/// Index partitions that every case (or every deadline) would otherwise share are split in
/// this many shards. One index partition takes about 1 000 writes a second; split, the
/// queues and the due index take this many times that. An item's shard follows from its id,
/// so an entry never changes shard; a query of such an index asks every shard at once and
/// merges their answers in order (`store::query`).
pub const SHARDS: u32 = 4;

/// The shard of the item whose table key is `pk` (FNV-1a: stable across builds and machines).
pub fn shard(pk: &str) -> u32 {
    let hash = pk.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    hash % SHARDS
}

/// The partition `name` of the shard of `pk`, and all of them.
fn sharded(name: &str, pk: &str) -> String {
    format!("{name}#{}", shard(pk))
}
fn all_shards(name: &str) -> Vec<String> {
    (0..SHARDS).map(|s| format!("{name}#{s}")).collect()
}

/// Timestamps in sort keys: fixed width (microseconds, `Z`), so that they sort as they read.
pub fn sortable(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub struct CaseKeys;

impl CaseKeys {
    pub fn pk(id: &CaseId) -> String {
        format!("CASE#{id}")
    }
    pub const SK: &'static str = "CASE";
    /// The case's one refund record.
    pub const REFUND_SK: &'static str = "REFUND";
    /// A storefront notice applied to this case (so that it is applied once).
    pub fn notice_sk(notice: &str) -> String {
        format!("NOTICE#{notice}")
    }
    pub fn event_sk(version: u64, n: usize) -> String {
        format!("EVENT#{version:010}#{n:03}")
    }
    pub const EVENT_PREFIX: &'static str = "EVENT#";

    pub fn customer_pk(customer: &str) -> String {
        format!("CUSTOMER#{customer}")
    }
    pub const CUSTOMER_SK_PREFIX: &'static str = "CASE#";
    pub fn customer_sk(created: DateTime<Utc>, id: &CaseId) -> String {
        format!("CASE#{}#{id}", sortable(created))
    }
    /// The e-mail index's partition: a customer who signs in with only a verified e-mail
    /// finds their cases and orders here.
    pub fn email_pk(email: &str) -> String {
        format!("EMAIL#{}", email.to_ascii_lowercase())
    }
    /// The status queue's shard of a case, and every shard of one status.
    pub fn status_pk(status: CaseStatus, id: &CaseId) -> String {
        sharded(&format!("CASES#{}", status.as_str()), &Self::pk(id))
    }
    pub fn status_shards(status: CaseStatus) -> Vec<String> {
        all_shards(&format!("CASES#{}", status.as_str()))
    }
    /// The every-case index's shard of a case, and all of them.
    pub fn all_pk(id: &CaseId) -> String {
        sharded("CASES", &Self::pk(id))
    }
    pub fn all_shards() -> Vec<String> {
        all_shards("CASES")
    }
    /// A return queue's shard of a case, and every shard of one stage.
    pub fn stage_pk(stage: crate::domain::returns::Stage, id: &CaseId) -> String {
        sharded(&format!("RETURNS#{}", stage.as_str()), &Self::pk(id))
    }
    pub fn stage_shards(stage: crate::domain::returns::Stage) -> Vec<String> {
        all_shards(&format!("RETURNS#{}", stage.as_str()))
    }
    /// The board's shard of an open work order, and all of them.
    pub fn work_pk(id: &CaseId) -> String {
        sharded("WORK", &Self::pk(id))
    }
    pub fn work_shards() -> Vec<String> {
        all_shards("WORK")
    }
    /// A technician's open work orders.
    pub fn callback_pk(id: &CaseId) -> String {
        sharded("CALLBACKS", &Self::pk(id))
    }
    pub fn callback_shards() -> Vec<String> {
        all_shards("CALLBACKS")
    }
    pub fn technician_work_pk(technician: &str) -> String {
        format!("TECHWORK#{technician}")
    }
    /// The customer's confirmation code of the case's work order.
    pub const CODE_SK: &'static str = "CODE";
    pub fn created_sk(created: DateTime<Utc>, id: &CaseId) -> String {
        format!("{}#{id}", sortable(created))
    }
    /// The case id of an item of the case's partition (as the due index returns them).
    pub fn case_of(pk: &str) -> Option<CaseId> {
        pk.strip_prefix("CASE#")
            .and_then(|id| CaseId::parse(id).ok())
    }
}

/// The due index (sparse, keys only): whatever has a deadline or a next attempt (a case, an
/// outbox message, a notice) is in the shard of its table key, sorted by when it is due.
pub struct DueKeys;

impl DueKeys {
    pub fn pk(owner_pk: &str) -> String {
        sharded("DUE", owner_pk)
    }
    pub fn shards() -> Vec<String> {
        all_shards("DUE")
    }
    /// `<due>#<suffix>`: the suffix keeps entries due at the same instant apart.
    pub fn sk(at: DateTime<Utc>, suffix: &str) -> String {
        format!("{}#{suffix}", sortable(at))
    }
    /// What a due entry's table key names.
    pub fn owner(pk: &str) -> Option<DueOwner> {
        if let Some(id) = CaseKeys::case_of(pk) {
            Some(DueOwner::Case(id))
        } else if let Some(id) = pk.strip_prefix(NoticeKeys::PREFIX) {
            Some(DueOwner::Notice(id.to_owned()))
        } else {
            pk.strip_prefix(OutboxKeys::PREFIX)
                .map(|id| DueOwner::Outbox(id.to_owned()))
        }
    }
}

/// Something due: a case's deadline, an outbox message's next attempt, or a storefront notice
/// not yet noted on all of its order's cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueOwner {
    Case(CaseId),
    Outbox(String),
    Notice(String),
}

pub struct OutboxKeys;

impl OutboxKeys {
    /// A message to send (a refund's outcome, to its storefront).
    pub fn pk(id: &str) -> String {
        format!("{}{id}", Self::PREFIX)
    }
    pub const PREFIX: &'static str = "OUTBOX#";
    pub const SK: &'static str = "OUTBOX";
}

pub struct DayUnitsKeys;

impl DayUnitsKeys {
    /// A customer's units of returns asked for on one day of the merchant's calendar.
    pub fn pk(customer: &CustomerId, day: NaiveDate) -> String {
        format!("UNITS#{customer}#{day}")
    }
    pub const SK: &'static str = "UNITS";
}

pub struct NoticeKeys;

impl NoticeKeys {
    /// Something a storefront did to an order, to be noted on each of its open cases.
    pub fn pk(id: &str) -> String {
        format!("{}{id}", Self::PREFIX)
    }
    pub const PREFIX: &'static str = "NOTICE#";
    pub const SK: &'static str = "NOTICE";
}

pub struct IdempotencyKeys;

impl IdempotencyKeys {
    /// Keys are scoped to the caller, so that one caller's key can neither collide with nor
    /// reveal another caller's request.
    pub fn pk(caller: &str, key: &str) -> String {
        format!("IDEM#{caller}#{key}")
    }
    pub const SK: &'static str = "IDEM";
}

pub struct PolicyKeys;

impl PolicyKeys {
    pub const PK: &'static str = "POLICY";
    pub const SK: &'static str = "CURRENT";
}

pub struct OrderKeys;

impl OrderKeys {
    /// An order's partition holds the order, its refunds and links to its cases.
    pub fn pk(storefront: &str, order_id: &str) -> String {
        format!("ORDER#{storefront}#{order_id}")
    }
    pub const SK: &'static str = "ORDER";
    pub fn refund_sk(refund_id: &str) -> String {
        format!("REFUND#{refund_id}")
    }
    pub fn case_sk(case: &CaseId) -> String {
        format!("CASE#{case}")
    }
    /// What return requests claim of the order (money, minor units).
    pub const CLAIMS_SK: &'static str = "CLAIMS";
    /// The number of open cases on one line of the order.
    pub fn open_cases_sk(line_id: &str) -> String {
        format!("OPEN#{line_id}")
    }
    pub const CUSTOMER_SK_PREFIX: &'static str = "ORDER#";
    pub fn customer_sk(created: DateTime<Utc>, storefront: &str, order_id: &str) -> String {
        format!("ORDER#{}#{storefront}#{order_id}", sortable(created))
    }
}

pub struct WebhookKeys;

impl WebhookKeys {
    /// A delivery already applied (TTL `expires_at`).
    pub fn delivery_pk(storefront: &str, dedup_key: &str) -> String {
        format!("DELIVERY#{storefront}#{dedup_key}")
    }
    pub const DELIVERY_SK: &'static str = "DELIVERY";
    /// The case opened for a storefront's return.
    pub fn return_pk(storefront: &str, return_id: &str) -> String {
        format!("RETURN#{storefront}#{return_id}")
    }
    pub const RETURN_SK: &'static str = "RETURN";
}

pub struct DispatchKeys;

impl DispatchKeys {
    /// Every technician (and their counters) in one partition: the board reads it at once.
    pub const TECHNICIANS: &'static str = "TECHNICIANS";
    pub fn technician_sk(id: &str) -> String {
        format!("TECH#{id}")
    }
    pub const TECHNICIAN_PREFIX: &'static str = "TECH#";
    pub fn technician_stats_sk(id: &str) -> String {
        format!("STATS#{id}")
    }
    /// Every special tool, lent or not.
    pub const TOOLS: &'static str = "TOOLS";
    pub fn tool_sk(code: &str) -> String {
        format!("TOOL#{code}")
    }
    /// Counters by product.
    pub const PRODUCTS: &'static str = "PRODUCTS";
    pub fn product_stats_sk(product: &str) -> String {
        format!("STATS#{product}")
    }
    /// One day of every technician: their slots and bookings (the capacity sheet).
    pub fn day_pk(day: NaiveDate) -> String {
        format!("DAY#{day}")
    }
    pub fn slot_sk(technician: &str, slot: &str) -> String {
        format!("SLOT#{technician}#{slot}")
    }
    pub fn booking_sk(technician: &str, start: DateTime<Utc>) -> String {
        format!("{}{technician}#{}", Self::BOOKING_PREFIX, sortable(start))
    }
    pub const BOOKING_PREFIX: &'static str = "BOOKING#";
    /// A technician's number of visits that day (kept below their daily capacity).
    pub fn load_sk(technician: &str) -> String {
        format!("LOAD#{technician}")
    }
    /// The repairs of one serial number (the repeat-repair rule).
    pub fn serial_pk(serial: &str) -> String {
        format!("SERIAL#{serial}")
    }
    pub fn repair_sk(finished: DateTime<Utc>, case: &str) -> String {
        format!("REPAIR#{}#{case}", sortable(finished))
    }
}
