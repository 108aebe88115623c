//! Cases and their timelines: creation with its idempotency record, versioned updates, the
//! case-with-timeline read, and the listing indexes.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::idempotency::IdempotencyRecord;
use super::keys::{CaseKeys, DayUnitsKeys, DueKeys, DueOwner, Index, OrderKeys, sortable};
use super::orders::Claims;
use super::query::{IndexQuery, SortRange};
use super::tx::Tx;
use super::{Item, Store, StoreError};
use crate::domain::access::Scope;
use crate::domain::case::{Case, CaseStatus, CaseSummary, CaseType, Event};
use crate::domain::effects::{Decision, Effect};
use crate::domain::entitlement::Entitlement;
use crate::domain::reports;
use crate::domain::returns::{Claim, DayUnits};
use crate::domain::values::{CaseId, CustomerId};

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct CaseItem {
    PK: String,
    SK: String,
    entity: String,
    GSI1PK: String,
    GSI1SK: String,
    GSI2PK: String,
    GSI2SK: String,
    GSI3PK: String,
    GSI3SK: String,
    /// The e-mail index: only cases whose customer's e-mail is known are in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI4PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI4SK: Option<String>,
    /// Due deadlines (sparse, keys only): a timers run reads only what is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI5SK: Option<String>,
    /// Return queues by stage, by deadline (sparse: return cases only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI6PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI6SK: Option<String>,
    /// The dispatch board: open work orders by promise (sparse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI7PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI7SK: Option<String>,
    /// A technician's open work orders by promise (sparse: booked ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI8PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI8SK: Option<String>,
    /// The callback queue by due time (sparse: cases with a callback to make).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI9PK: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    GSI9SK: Option<String>,
    /// An open work order's promise kept (`yes`) or not yet (`no`): the late filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    work_met: Option<String>,
    /// Top level, for the optimistic-locking condition and for filters.
    version: u64,
    status: CaseStatus,
    case_type: CaseType,
    /// The only attribute (with the keys, `status` and `case_type`) that the listing indexes
    /// project: a queue reads summaries, never whole cases.
    summary: CaseSummary,
    case: Case,
}

/// A case as the listing indexes hold it.
#[derive(Deserialize)]
struct IndexedCase {
    summary: CaseSummary,
}

impl CaseItem {
    fn of(case: &Case) -> Self {
        let flow = case.returns.as_ref();
        let deadline = flow.and_then(|f| f.deadline).map(|d| d.due);
        let work = case.work.as_ref();
        // A closed case's work order has nothing left to be late for.
        let alarm = work.filter(|_| case.status.open()).and_then(|w| w.alarm_at);
        // A scheduled callback is made due by the timers at its time.
        let callback = case.callback.as_ref();
        let scheduled = callback
            .filter(|c| c.state == crate::domain::feedback::CallbackState::Scheduled)
            .map(|c| c.due_at);
        // The timers look at the case at its earliest: the return's deadline, the work's
        // alarm, the callback's time.
        // An open complaint's answer, until it is given (or the timers gave it to a manager).
        let answer = case
            .complaint
            .as_ref()
            .filter(|_| case.status.open())
            .and_then(|c| c.awaits_answer());
        let due = [deadline, alarm, scheduled, answer]
            .into_iter()
            .flatten()
            .min();
        let created = CaseKeys::created_sk(case.created_at, &case.id);
        let summary = case.summary();
        // An open status is a queue, worked earliest deadline first; the others are records,
        // read newest first.
        let in_status = if case.status.open() {
            CaseKeys::created_sk(summary.due_at(), &case.id)
        } else {
            created.clone()
        };
        let on_board = work.filter(|w| !w.complete() && case.status.open());
        let promise = on_board.map(|w| CaseKeys::created_sk(w.due, &case.id));
        let technician = on_board.and_then(|w| w.booking.as_ref());
        Self {
            PK: CaseKeys::pk(&case.id),
            SK: CaseKeys::SK.to_owned(),
            entity: "case".to_owned(),
            GSI1PK: CaseKeys::customer_pk(case.customer_id.as_str()),
            GSI1SK: CaseKeys::customer_sk(case.created_at, &case.id),
            GSI2PK: CaseKeys::status_pk(case.status, &case.id),
            GSI2SK: in_status,
            GSI3PK: CaseKeys::all_pk(&case.id),
            GSI3SK: created,
            GSI4PK: case.customer_email.as_deref().map(CaseKeys::email_pk),
            GSI5PK: due.map(|_| DueKeys::pk(&CaseKeys::pk(&case.id))),
            GSI5SK: due.map(|d| DueKeys::sk(d, case.id.as_str())),
            GSI6PK: flow.map(|f| CaseKeys::stage_pk(f.stage, &case.id)),
            GSI6SK: flow
                .map(|_| CaseKeys::created_sk(deadline.unwrap_or(case.created_at), &case.id)),
            GSI7PK: on_board.map(|_| CaseKeys::work_pk(&case.id)),
            GSI7SK: promise.clone(),
            GSI8PK: technician.map(|b| CaseKeys::technician_work_pk(&b.technician)),
            GSI8SK: technician.and(promise),
            GSI9PK: callback.map(|_| CaseKeys::callback_pk(&case.id)),
            GSI9SK: callback.map(|c| CaseKeys::created_sk(c.due_at, &case.id)),
            work_met: on_board.map(|w| if w.met() { "yes" } else { "no" }.to_owned()),
            GSI4SK: case
                .customer_email
                .as_ref()
                .map(|_| CaseKeys::customer_sk(case.created_at, &case.id)),
            version: case.version,
            status: case.status,
            case_type: case.case_type,
            summary,
            case: Case {
                // Its sentences follow from its fields: rebuilt when read, not stored.
                entitlement: case.entitlement.as_ref().map(Entitlement::without_reasons),
                ..case.clone()
            },
        }
    }

    fn into_case(self) -> Case {
        let mut case = self.case;
        if let Some(e) = case.entitlement.as_mut() {
            e.explain();
        }
        case
    }
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct EventItem {
    PK: String,
    SK: String,
    entity: String,
    event: Event,
}

/// A listing of cases, newest first. The index follows from the scope alone (see
/// `domain::access::list_scope`): one customer's partition, the records carrying one e-mail,
/// or (staff only) the status queue or every case; the other filters narrow the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseQuery {
    pub scope: Scope,
    /// Who lists (the caller's role and subject): the cursor is sealed for them alone.
    pub viewer: String,
    pub status: Option<CaseStatus>,
    pub case_type: Option<CaseType>,
    /// Only the cases this role handles beyond customer service (a manager's complaints).
    pub handler: Option<crate::domain::identity::Role>,
    /// Filed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Filed before.
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

fn add_events(tx: &mut Tx, id: &CaseId, events: &[Event]) -> Result<(), StoreError> {
    for (n, event) in events.iter().enumerate() {
        let item = EventItem {
            PK: CaseKeys::pk(id),
            SK: CaseKeys::event_sk(event.version, n),
            entity: "event".to_owned(),
            event: event.clone(),
        };
        tx.put("event", &item, "attribute_not_exists(PK)", &[])?;
    }
    Ok(())
}

/// The order lines a case counts against, once each.
fn counted_lines(case: &Case) -> Option<(&str, &str, Vec<&str>)> {
    let order = case.order.as_ref()?;
    let storefront = order.storefront.as_deref()?;
    let mut lines: Vec<&str> = order.line_ids.iter().map(String::as_str).collect();
    lines.sort_unstable();
    lines.dedup();
    Some((storefront, order.order_id.as_str(), lines))
}

/// Adds `delta` to the open cases of each line the case names. With `limit`, each line must
/// have fewer than that open (label `open-cases`); closing a case never waits on a limit.
fn add_open_cases(
    tx: &mut Tx,
    case: &Case,
    delta: i64,
    limit: Option<u32>,
) -> Result<(), StoreError> {
    let Some((storefront, order_id, lines)) = counted_lines(case) else {
        return Ok(());
    };
    let mut values = vec![
        (":d", AttributeValue::N(delta.to_string())),
        (":e", AttributeValue::S("open_cases".to_owned())),
    ];
    if let Some(max) = limit {
        values.push((":max", AttributeValue::N(max.to_string())));
    }
    for line in lines {
        tx.update(
            "open-cases",
            (
                OrderKeys::pk(storefront, order_id),
                OrderKeys::open_cases_sk(line),
            ),
            "ADD open_cases :d SET entity = :e",
            limit.map(|_| "attribute_not_exists(open_cases) OR open_cases < :max"),
            &values,
        )?;
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
#[allow(non_snake_case)]
struct DayUnitsItem {
    PK: String,
    SK: String,
    entity: String,
    version: u64,
    units: DayUnits,
    /// Kept a few days past the day it counts (TTL).
    expires_at: i64,
}

/// What filing a case writes besides the case and its events.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filing<'a> {
    /// The request's `Idempotency-Key`, remembered with the case.
    pub idempotency: Option<&'a IdempotencyRecord>,
    /// A case linked to a storefront order counts against its lines: at most this many open
    /// on each (none: no limit, for the storefront's own returns).
    pub open_cases_limit: Option<u32>,
    /// A return: the customer's units of the day (merchant's calendar) with this one, and the
    /// version they were read at.
    pub day_units: Option<(NaiveDate, &'a DayUnits, u64)>,
    /// A return of a held order: what its requests claimed when the rules read it (the new
    /// claim is written only if that is still so).
    pub claims_read: Option<&'a Claims>,
    /// A complaint about an earlier case that sends it back: that case as read and as it
    /// becomes, with its events (written only if it has not moved since it was read).
    pub reopens: Option<(&'a Case, &'a Case, &'a [Event])>,
}

/// `case` with the version of its order's claims it last wrote (see `ReturnFlow::claims_seen`).
fn with_claims_seen(case: &Case, seen: Option<u64>) -> std::borrow::Cow<'_, Case> {
    match case.returns.as_ref() {
        Some(flow) if flow.claims_seen != seen => {
            let mut case = case.clone();
            if let Some(flow) = case.returns.as_mut() {
                flow.claims_seen = seen;
            }
            std::borrow::Cow::Owned(case)
        }
        _ => std::borrow::Cow::Borrowed(case),
    }
}

/// The order a return claims part of, and its claim (see `ReturnFlow::claim`).
fn order_claim(case: &Case) -> Option<((&str, &str), &Claim)> {
    let claim = case.returns.as_ref()?.claim.as_ref()?;
    let order = case.order.as_ref()?;
    let storefront = order.storefront.as_deref()?;
    Some(((storefront, order.order_id.as_str()), claim))
}

impl Store {
    /// Adds a new case and its first events to a transaction, with what the filing adds: the
    /// link to its storefront order (counted against the lines it names), the idempotency
    /// record, the customer's units of the day.
    pub fn add_new_case(
        &self,
        tx: &mut Tx,
        case: &Case,
        events: &[Event],
        filing: Filing<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // The claims this filing writes are at the version read + 1: the case remembers it.
        let claims_written = order_claim(case).map(|_| {
            filing
                .claims_read
                .map_or(1, |c| c.version.saturating_add(1))
        });
        let case = &with_claims_seen(case, claims_written);
        tx.put("case", &CaseItem::of(case), "attribute_not_exists(PK)", &[])?;
        add_events(tx, &case.id, events)?;
        let key = CaseKeys::pk(&case.id);
        self.add_tallies(tx, &reports::tallies(None, case), &key)?;
        if let Some((storefront, order_id, _)) = counted_lines(case) {
            self.add_order_case_link(tx, storefront, order_id, &case.id)?;
            add_open_cases(tx, case, 1, filing.open_cases_limit)?;
        }
        if let Some(record) = filing.idempotency {
            // An expired record that DynamoDB has not deleted yet may be taken over.
            let now = AttributeValue::N(now.timestamp().to_string());
            tx.put(
                "idempotency",
                record,
                "attribute_not_exists(PK) OR expires_at < :now",
                &[(":now", now)],
            )?;
        }
        if let Some((day, units, version)) = filing.day_units {
            self.add_day_units(tx, &case.customer_id, day, units, version)?;
        }
        if let Some((order, claim)) = order_claim(case) {
            let none = Claims::default();
            self.add_claim(tx, order, claim, filing.claims_read.unwrap_or(&none))?;
        }
        if let Some((before, after, events)) = filing.reopens {
            self.add_case_update(tx, before, after, events)?;
        }
        Ok(())
    }

    /// Adds a changed case, conditioned on the version `before` was read at, and its events.
    /// A case that closes (or reopens) counts off (or back onto) its order lines.
    pub fn add_case_update(
        &self,
        tx: &mut Tx,
        before: &Case,
        after: &Case,
        events: &[Event],
    ) -> Result<(), StoreError> {
        self.add_case_update_from(tx, before, after, events, None)
    }

    /// [`Store::add_case_update`], and for a request on a held order, checks in the same
    /// transaction that the order's claims are still at `claims_read` (a payment is made from
    /// the order as it was read).
    fn add_case_update_from(
        &self,
        tx: &mut Tx,
        before: &Case,
        after: &Case,
        events: &[Event],
        claims_read: Option<u64>,
    ) -> Result<(), StoreError> {
        // A claim the rules shrank (a request ended unpaid, or was paid for fewer units) gives
        // its order back the difference; a claims version checked stays, one moved blindly is
        // no longer known.
        let claim_change = match (order_claim(before), order_claim(after)) {
            (Some((_, was)), Some((order, now))) => {
                let back = was.beyond(now);
                (back.is_some() || claims_read.is_some()).then_some((order, back))
            }
            _ => None,
        };
        let seen = after.returns.as_ref().and_then(|f| f.claims_seen);
        let seen = match &claim_change {
            // Given back at a version checked: one more; given back blindly: unknown.
            Some((_, Some(_))) => claims_read.map(|v| v.saturating_add(1)),
            // Checked and left as they were (a payment): still at the version checked.
            Some((_, None)) => claims_read,
            None => seen,
        };
        let after = &with_claims_seen(after, seen);
        let expected = AttributeValue::N(before.version.to_string());
        tx.put(
            "case-version",
            &CaseItem::of(after),
            "version = :expected",
            &[(":expected", expected)],
        )?;
        add_events(tx, &after.id, events)?;
        let key = CaseKeys::pk(&after.id);
        self.add_tallies(tx, &reports::tallies(Some(before), after), &key)?;
        let opens = match (before.status.open(), after.status.open()) {
            (true, false) => Some(false),
            (false, true) => Some(true),
            _ => None,
        };
        if let Some(open) = opens {
            add_open_cases(tx, after, if open { 1 } else { -1 }, None)?;
            if let Some((storefront, order_id, _)) = counted_lines(after) {
                self.add_link_open(tx, (storefront, order_id), &after.id, open)?;
            }
        }
        if let Some((order, back)) = claim_change {
            self.add_claim_change(tx, order, back.as_ref(), claims_read)?;
        }
        Ok(())
    }

    /// A customer's units of returns asked for on `day`, with the version to write back at
    /// (0: none yet).
    pub async fn day_units(
        &self,
        customer: &CustomerId,
        day: NaiveDate,
    ) -> Result<(DayUnits, u64), StoreError> {
        let item = self
            .get(DayUnitsKeys::pk(customer, day), DayUnitsKeys::SK)
            .await?;
        Ok(match item {
            Some(item) => {
                let item: DayUnitsItem = serde_dynamo::from_item(item)?;
                (item.units, item.version)
            }
            None => (DayUnits::default(), 0),
        })
    }

    /// The customer's units of `day` as they are now, if still at `expected_version` (label
    /// `day-units`): two filings of one day cannot both count from the same total.
    pub fn add_day_units(
        &self,
        tx: &mut Tx,
        customer: &CustomerId,
        day: NaiveDate,
        units: &DayUnits,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let item = DayUnitsItem {
            PK: DayUnitsKeys::pk(customer, day),
            SK: DayUnitsKeys::SK.to_owned(),
            entity: "day_units".to_owned(),
            version: expected_version.saturating_add(1),
            units: units.clone(),
            expires_at: day
                .checked_add_days(chrono::Days::new(3))
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(i64::MAX, |t| t.and_utc().timestamp()),
        };
        if expected_version == 0 {
            tx.put("day-units", &item, "attribute_not_exists(PK)", &[])
        } else {
            let v = AttributeValue::N(expected_version.to_string());
            tx.put("day-units", &item, "version = :v", &[(":v", v)])
        }
    }

    /// Writes a new case, its first events and what the filing adds (see [`Filing`]), all or
    /// nothing; the error says which condition stopped it.
    pub async fn create_case(
        &self,
        case: &Case,
        events: &[Event],
        filing: Filing<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), CreateError> {
        let mut tx = self.tx();
        self.add_new_case(&mut tx, case, events, filing, now)?;
        match self.commit(tx).await {
            Ok(()) => Ok(()),
            Err(e) if e.failed("case") => Err(CreateError::NumberTaken),
            Err(e) if e.failed("idempotency") => Err(CreateError::IdempotencyKeyTaken),
            Err(e) if e.failed("open-cases") => Err(CreateError::TooManyOpenCases),
            Err(e) => Err(CreateError::Store(e.into())),
        }
    }

    /// The case alone (strongly consistent), for a command that will change it.
    pub async fn case(&self, id: &CaseId) -> Result<Option<Case>, StoreError> {
        let item = self.get(CaseKeys::pk(id), CaseKeys::SK).await?;
        Ok(item
            .map(serde_dynamo::from_item::<_, CaseItem>)
            .transpose()?
            .map(CaseItem::into_case))
    }

    /// Several cases at once (strongly consistent, one BatchGetItem per hundred), for commands
    /// that change each of them: the cases that exist, in no particular order.
    pub async fn cases(&self, ids: &[CaseId]) -> Result<Vec<Case>, StoreError> {
        let keys = ids
            .iter()
            .map(|id| (CaseKeys::pk(id), CaseKeys::SK.to_owned()));
        let items = self.get_many(keys.collect()).await?;
        items
            .into_iter()
            .map(|item| Ok(serde_dynamo::from_item::<_, CaseItem>(item)?.into_case()))
            .collect()
    }

    /// The case and its timeline, oldest event first, in one Query of the case's partition.
    pub async fn case_with_timeline(
        &self,
        id: &CaseId,
    ) -> Result<Option<(Case, Vec<Event>)>, StoreError> {
        let mut case = None;
        let mut events = Vec::new();
        for (entity, item) in self.partition(CaseKeys::pk(id)).await? {
            match entity.as_str() {
                "case" => case = Some(serde_dynamo::from_item::<_, CaseItem>(item)?.into_case()),
                "event" => events.push(serde_dynamo::from_item::<_, EventItem>(item)?.event),
                _ => {}
            }
        }
        Ok(case.map(|c| (c, events)))
    }

    /// A page of case summaries: an open status's queue earliest deadline first, any other
    /// listing newest first.
    pub async fn list_cases(&self, query: &CaseQuery) -> Result<Page<CaseSummary>, StoreError> {
        let (index, partitions, prefix, status_filter) = match (&query.scope, query.status) {
            (Scope::Customer(c), status) => (
                Index::Customer,
                vec![CaseKeys::customer_pk(c)],
                CaseKeys::CUSTOMER_SK_PREFIX,
                status,
            ),
            (Scope::Email(e), status) => (
                Index::Email,
                vec![CaseKeys::email_pk(e)],
                CaseKeys::CUSTOMER_SK_PREFIX,
                status,
            ),
            (Scope::Everyone, Some(s)) => (Index::Status, CaseKeys::status_shards(s), "", None),
            (Scope::Everyone, None) => (Index::AllCases, CaseKeys::all_shards(), "", None),
        };
        // An open status's index is keyed by deadline (see `CaseItem::of`): the filing dates
        // become a filter there, and a range of the key everywhere else.
        let queue = index == Index::Status && query.status.is_some_and(CaseStatus::open);
        let mut filters = Vec::new();
        let mut names = Vec::new();
        let mut values = Vec::new();
        if let Some(t) = query.case_type {
            filters.push("case_type = :t");
            values.push((":t", t.as_str().to_owned()));
        }
        let dated = queue && (query.from.is_some() || query.to.is_some());
        if query.handler.is_some() || dated {
            names.push(("#sum", "summary"));
        }
        if let Some(h) = query.handler {
            filters.push("#sum.#handler = :h");
            names.push(("#handler", "handler"));
            values.push((":h", h.as_str().to_owned()));
        }
        if let Some(s) = status_filter {
            // `status` is a reserved word in expressions.
            filters.push("#st = :st");
            names.push(("#st", "status"));
            values.push((":st", s.as_str().to_owned()));
        }
        let range = if queue {
            // Stored filing instants carry 0 to 9 decimals, so strings compare right only to
            // the second: the filter keeps whole seconds around the bounds, `keep` is exact.
            if let Some(from) = query.from {
                filters.push("#sum.#filed >= :from");
                values.push((":from", to_the_second(from)));
            }
            if let Some(to) = query.to {
                filters.push("#sum.#filed < :to");
                values.push((":to", to_the_second(to + chrono::Duration::seconds(1))));
            }
            if dated {
                names.push(("#filed", "created_at"));
            }
            SortRange::All
        } else {
            // Sort keys hold timestamps after the prefix: `0` sorts before every one of them,
            // and DynamoDB refuses an empty string as a key value.
            let low = format!(
                "{prefix}{}",
                query.from.map(sortable).unwrap_or_else(|| "0".to_owned())
            );
            // `~` sorts after every character used in these keys.
            let high = format!(
                "{prefix}{}",
                query.to.map(sortable).unwrap_or_else(|| "~".to_owned())
            );
            SortRange::Between(low, high)
        };
        let (from, to) = (query.from, query.to);
        let filed_within = move |item: &Item| {
            is_case(item)
                && (!queue
                    || filed_at(item)
                        .is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e)))
        };
        let page = self
            .index_page::<IndexedCase>(&IndexQuery {
                index,
                partitions,
                range,
                newest_first: !queue,
                filter: (!filters.is_empty()).then(|| (filters.join(" AND "), names, values)),
                // The e-mail index also holds orders: only cases are listed here.
                keep: &filed_within,
                limit: query.limit,
                viewer: &query.viewer,
                cursor: query.cursor.as_deref(),
            })
            .await?;
        Ok(page.map(|c| c.summary))
    }
}

/// `at` cut to its second, as the start of every stored instant in that second.
fn to_the_second(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// When a listed case was filed, from its summary.
fn filed_at(item: &Item) -> Option<DateTime<Utc>> {
    let summary = item.get("summary")?.as_m().ok()?;
    let at = summary.get("created_at")?.as_s().ok()?;
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn is_case(item: &Item) -> bool {
    item.get("entity")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        == Some("case")
}

fn every_item(_: &Item) -> bool {
    true
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct RefundRecordItem {
    PK: String,
    SK: String,
    entity: String,
    amount_minor: i64,
    currency: crate::domain::values::Currency,
    paid_at: DateTime<Utc>,
    by: String,
}

impl Store {
    /// The record of a refund paid, at most one per case (label `refund-record`): even if two
    /// executions raced past the version condition, the second could not write this.
    pub fn add_refund_record(
        &self,
        tx: &mut Tx,
        case: &CaseId,
        amount_minor: i64,
        currency: crate::domain::values::Currency,
        paid_at: DateTime<Utc>,
        by: &str,
    ) -> Result<(), StoreError> {
        let item = RefundRecordItem {
            PK: CaseKeys::pk(case),
            SK: CaseKeys::REFUND_SK.to_owned(),
            entity: "refund_record".to_owned(),
            amount_minor,
            currency,
            paid_at,
            by: by.to_owned(),
        };
        tx.put("refund-record", &item, "attribute_not_exists(PK)", &[])
    }

    /// Writes a decision on a case: the case at its read version, its events, and the
    /// effects the domain decided (`domain::effects`): a refund record (one per case, so two
    /// executions of one refund cannot both commit), a message to the storefront.
    /// A step that pays from a held order names the version of the order's claims it pays
    /// from (`paid_from`: as read, or as the case last saw them): the transaction then holds
    /// only if they have not moved since.
    pub async fn save_decision(
        &self,
        before: &Case,
        decision: &Decision,
        paid_from: Option<u64>,
    ) -> Result<(), StoreError> {
        let after = &decision.next;
        let mut tx = self.tx();
        self.add_case_update_from(&mut tx, before, after, &decision.events, paid_from)?;
        let mut dispatch = Vec::new();
        for effect in &decision.effects {
            match effect {
                Effect::RefundPaid {
                    amount_minor,
                    currency,
                    paid_at,
                    by,
                } => self.add_refund_record(
                    &mut tx,
                    &after.id,
                    *amount_minor,
                    *currency,
                    *paid_at,
                    by,
                )?,
                Effect::TellStorefront {
                    id,
                    storefront,
                    payload,
                    at,
                } => self.add_outbox(
                    &mut tx,
                    &super::OutboxMessage::new(id, storefront, payload, *at),
                )?,
                other => dispatch.push(other),
            }
        }
        self.add_dispatch_effects(&mut tx, &after.id, &dispatch)?;
        match self.commit(tx).await {
            Ok(()) => Ok(()),
            // The time was taken by another booking (and the case itself had not moved: else
            // the decision is made again on what is there now).
            Err(e) if e.failed("slot") && !e.failed("case-version") => Err(StoreError::Taken(
                "slot-taken",
                "the technician was booked at that time meanwhile: pick another time",
            )),
            Err(e) if e.failed("day-full") && !e.failed("case-version") => Err(StoreError::Taken(
                "technician-day-full",
                "the technician's day was filled meanwhile: pick another time or technician",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// What is due at `now` (case deadlines, outbox messages, notices), earliest first in each
    /// shard of the due index, at most `limit` from each; how many index items were read (the
    /// cost grows with what is due, not with open cases); and whether more may be due
    /// (DynamoDB ends a page at `limit` or at 1 MB).
    pub async fn due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<(Vec<DueOwner>, usize, bool), StoreError> {
        let query = IndexQuery {
            index: Index::Due,
            partitions: DueKeys::shards(),
            // `~` sorts after the id that follows the time.
            range: SortRange::Between("0".to_owned(), format!("{}~", sortable(now))),
            newest_first: false,
            filter: None,
            keep: &every_item,
            limit,
            viewer: "timers",
            cursor: None,
        };
        let (items, more) = self.read_shards(&query).await?;
        let read = items.len();
        let due = items
            .iter()
            .filter_map(|i| i.get("PK").and_then(|v| v.as_s().ok()))
            .filter_map(|pk| DueKeys::owner(pk))
            .collect();
        Ok((due, read, more))
    }

    /// A return queue: the cases in `stage`, earliest deadline first.
    /// The callback queue, earliest first: all scheduled and due, or (`due_at`) those whose
    /// time has come.
    pub async fn callback_queue(
        &self,
        due_at: Option<DateTime<Utc>>,
        paging: super::Paging<'_>,
    ) -> Result<Page<CaseSummary>, StoreError> {
        let range = match due_at {
            // `~` sorts after the id that follows the time.
            Some(now) => SortRange::Between("0".to_owned(), format!("{}~", sortable(now))),
            None => SortRange::All,
        };
        self.queue(Index::Callbacks, CaseKeys::callback_shards(), range, paging)
            .await
    }

    /// A return queue: the cases in `stage`, earliest deadline first.
    pub async fn stage_queue(
        &self,
        stage: crate::domain::returns::Stage,
        paging: super::Paging<'_>,
    ) -> Result<Page<CaseSummary>, StoreError> {
        let partitions = CaseKeys::stage_shards(stage);
        self.queue(Index::Stage, partitions, SortRange::All, paging)
            .await
    }

    /// A queue of case summaries over a sharded index, earliest first.
    async fn queue(
        &self,
        index: Index,
        partitions: Vec<String>,
        range: SortRange,
        paging: super::Paging<'_>,
    ) -> Result<Page<CaseSummary>, StoreError> {
        let page = self
            .index_page::<IndexedCase>(&IndexQuery {
                index,
                partitions,
                range,
                newest_first: false,
                filter: None,
                keep: &every_item,
                limit: paging.limit,
                viewer: paging.viewer,
                cursor: paging.cursor,
            })
            .await?;
        Ok(page.map(|c| c.summary))
    }
}

/// Why a new case was not written.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the idempotency key was used by a concurrent request")]
    IdempotencyKeyTaken,
    #[error("the case number drawn is taken")]
    NumberTaken,
    #[error("a line of the order has as many open cases as the policy allows")]
    TooManyOpenCases,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<serde_dynamo::Error> for CreateError {
    fn from(e: serde_dynamo::Error) -> Self {
        CreateError::Store(e.into())
    }
}
