//! Storefront webhooks: `POST /v1/webhooks/shopify`, `/woocommerce` and `/generic`.
//!
//! No token: each body is verified with its storefront's secret (constant-time, over the raw
//! bytes) before anything in it is believed. Then each delivery is applied exactly once, in any
//! order:
//! - a delivery seen before answers 200 and changes nothing (a marker with a TTL, written in
//!   the same transaction as the change, so concurrent duplicates cannot both apply);
//! - an order snapshot older than the stored one is acknowledged and dropped;
//! - a refund is kept once by its id, whether or not its order has arrived;
//! - a return request opens one case (a link per return), linked to its order;
//! - what happens to an order (cancellation, refund) is recorded on the order at once, with a
//!   notice that each of its open cases is then told in a transaction of its own (however many
//!   there are: see `aftersales::notices`).
//!
//! A bad or missing signature, an unknown storefront or a stale timestamp is 401 and writes
//! nothing.

use aftersales::clock::random_u64;
use aftersales::domain::RuleError;
use aftersales::domain::case::{self, Change, Held};
use aftersales::domain::order::{Order, Refund, ReturnRequest};
use aftersales::domain::values::{CaseId, OrderId};
use aftersales::http::ApiError;
use aftersales::notices;
use aftersales::store::tx::{Tx, TxError};
use aftersales::store::{Filing, Notice, OrderRecord, ReturnLink, StoreError};
use aftersales::webhooks::config::{Storefront, StorefrontKind};
use aftersales::webhooks::verify::{self, StandardCheck};
use aftersales::webhooks::{
    Inbound, PayloadError, generic, parse_time, shopify as shopify_payload,
    woocommerce as woo_payload,
};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{AppState, retry_on_conflict};

/// Storefront payloads are bigger than app commands (an order with many lines); anything
/// above this is refused with 413.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The event changed what we hold.
    Applied,
    /// This delivery was applied before.
    Duplicate,
    /// Older than what we hold: acknowledged, nothing changed.
    Stale,
    /// A topic we do not act on, or a ping.
    Ignored,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Answer {
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    case_id: Option<CaseId>,
}

fn answer(outcome: Outcome, case_id: Option<CaseId>) -> Json<Answer> {
    Json(Answer { outcome, case_id })
}

fn unauthorized() -> ApiError {
    // One answer for every verification failure: a prober learns nothing about which part failed.
    ApiError::Unauthorized("the webhook's storefront or signature is not recognised".into())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn required<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    header(headers, name)
        .ok_or_else(|| ApiError::bad_request(format!("the {name} header is missing")))
}

async fn read_limited(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let declared =
        header(headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_WEBHOOK_BYTES) {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_WEBHOOK_BYTES,
        });
    }
    axum::body::to_bytes(body, MAX_WEBHOOK_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge {
            limit: MAX_WEBHOOK_BYTES,
        })
}

/// The storefront named by `source_header` whose secret signed `raw` (base64 HMAC-SHA256 in
/// `signature_header`), or a 401 that says nothing about which part failed.
fn signed_by<'a>(
    app: &'a AppState,
    headers: &HeaderMap,
    raw: &[u8],
    now: DateTime<Utc>,
    kind: StorefrontKind,
    source_header: &str,
    signature_header: &str,
) -> Result<&'a Storefront, ApiError> {
    let source = header(headers, source_header).ok_or_else(unauthorized)?;
    let storefront = app
        .storefronts
        .by_source(kind, source)
        .ok_or_else(unauthorized)?;
    let signature = header(headers, signature_header).ok_or_else(unauthorized)?;
    if verify::body_hmac_valid(storefront, raw, signature, now) {
        Ok(storefront)
    } else {
        Err(unauthorized())
    }
}

fn unusable(e: PayloadError) -> ApiError {
    ApiError::bad_request(e.0)
}

/// `POST /v1/webhooks/shopify`
pub async fn shopify(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Answer>, ApiError> {
    let raw = read_limited(&headers, body).await?;
    let now = app.clock.now();
    let storefront = signed_by(
        &app,
        &headers,
        &raw,
        now,
        StorefrontKind::Shopify,
        "x-shopify-shop-domain",
        "x-shopify-hmac-sha256",
    )?;
    let topic = required(&headers, "x-shopify-topic")?;
    // The event id is the same for every delivery of one event (the webhook id differs per
    // delivery, so it cannot de-duplicate retries).
    let event_id = header(&headers, "x-shopify-event-id")
        .or_else(|| header(&headers, "x-shopify-webhook-id"))
        .ok_or_else(|| ApiError::bad_request("the X-Shopify-Event-Id header is missing"))?;
    let triggered_at = header(&headers, "x-shopify-triggered-at").and_then(|t| parse_time(t).ok());
    let inbound =
        shopify_payload::parse(&storefront.id, topic, &raw, triggered_at).map_err(unusable)?;
    apply(&app, storefront, event_id, topic, inbound, now).await
}

/// `POST /v1/webhooks/woocommerce`
pub async fn woocommerce(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Answer>, ApiError> {
    let raw = read_limited(&headers, body).await?;
    let now = app.clock.now();
    // When a webhook is saved, WooCommerce pings it unsigned with a form body `webhook_id=N`.
    let form = header(&headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if form
        && raw.starts_with(b"webhook_id=")
        && raw.len() < 64
        && !headers.contains_key("x-wc-webhook-signature")
    {
        return Ok(answer(Outcome::Ignored, None));
    }
    let storefront = signed_by(
        &app,
        &headers,
        &raw,
        now,
        StorefrontKind::Woocommerce,
        "x-wc-webhook-source",
        "x-wc-webhook-signature",
    )?;
    let topic = required(&headers, "x-wc-webhook-topic")?;
    let webhook_id = required(&headers, "x-wc-webhook-id")?;
    // A delivery id can repeat across different events: the change itself is the identity.
    let dedup = woo_payload::dedup_key(webhook_id, &raw).or_else(|_| {
        required(&headers, "x-wc-webhook-delivery-id").map(|d| format!("{webhook_id}:delivery:{d}"))
    })?;
    let inbound = woo_payload::parse(&storefront.id, topic, &raw).map_err(unusable)?;
    apply(&app, storefront, &dedup, topic, inbound, now).await
}

/// `POST /v1/webhooks/generic`: the Standard Webhooks convention; the signature names the
/// sender among the generic storefronts.
pub async fn generic(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Answer>, ApiError> {
    let raw = read_limited(&headers, body).await?;
    let now = app.clock.now();
    let id = header(&headers, "webhook-id").ok_or_else(unauthorized)?;
    let timestamp = header(&headers, "webhook-timestamp").ok_or_else(unauthorized)?;
    let signatures = header(&headers, "webhook-signature").ok_or_else(unauthorized)?;
    let storefront = app
        .storefronts
        .of_kind(StorefrontKind::Generic)
        .find(|s| {
            verify::standard_webhook(s, id, timestamp, &raw, signatures, now)
                == StandardCheck::Valid
        })
        .ok_or_else(unauthorized)?;
    let inbound = generic::parse(&storefront.id, &raw).map_err(unusable)?;
    let topic = match &inbound {
        Inbound::Ignored { topic } => topic.clone(),
        _ => "generic".to_owned(),
    };
    apply(&app, storefront, id, &topic, inbound, now).await
}

/// Applies one verified delivery, once.
async fn apply(
    app: &AppState,
    storefront: &Storefront,
    dedup_key: &str,
    topic: &str,
    inbound: Inbound,
    now: DateTime<Utc>,
) -> Result<Json<Answer>, ApiError> {
    if dedup_key.len() > 512 {
        return Err(ApiError::bad_request("the delivery id is too long"));
    }
    if let Inbound::Ignored { topic } = &inbound {
        tracing::info!(storefront = %storefront.id, topic, "webhook topic ignored");
        return Ok(answer(Outcome::Ignored, None));
    }
    let sf = storefront.id.as_str();
    let delivery = Delivery {
        storefront: sf,
        key: dedup_key,
        topic,
        now,
    };
    // A delivery seen before is refused by its marker's condition in the transaction that
    // would apply it again (or found stale, or its refund or return known): no read first.
    let (outcome, case_id) = retry_on_conflict(|| async {
        let result = match &inbound {
            Inbound::Order(order) => apply_order(app, order, &delivery).await,
            Inbound::Refund { order_id, refund } => {
                apply_refund(app, order_id, refund, &delivery).await
            }
            Inbound::ReturnRequested(request) => apply_return(app, request, &delivery).await,
            Inbound::ReturnChanged {
                return_id,
                status,
                at,
            } => apply_return_status(app, return_id, status, *at, &delivery).await,
            Inbound::Ignored { .. } => Ok((Outcome::Ignored, None)),
        };
        match result {
            // Another delivery of the same event got there first.
            Err(Failure::Tx(e)) if e.failed("delivery") => Ok((Outcome::Duplicate, None)),
            Err(Failure::Tx(TxError::ConditionFailed(_))) => Err(ApiError::Conflict(
                "a concurrent change to the same record; retry".into(),
            )),
            Err(Failure::Tx(TxError::Store(e))) => Err(e.into()),
            Err(Failure::Refused(e)) => Err(e),
            // Stale because a concurrent delivery of this very event just stored it?
            Ok((Outcome::Stale, _)) if app.store.delivery_seen(sf, dedup_key, now).await? => {
                Ok((Outcome::Duplicate, None))
            }
            Ok(done) => Ok(done),
        }
    })
    .await?;
    tracing::info!(storefront = sf, topic, ?outcome, "webhook applied");
    Ok(answer(outcome, case_id))
}

type Applied = Result<(Outcome, Option<CaseId>), Failure>;

/// One verified delivery: where from, how it is told apart from others, and when it came.
struct Delivery<'a> {
    storefront: &'a str,
    key: &'a str,
    topic: &'a str,
    now: DateTime<Utc>,
}

impl Delivery<'_> {
    /// Marks this delivery applied, in the transaction that applies it.
    fn mark(&self, app: &AppState, tx: &mut Tx) -> Result<(), StoreError> {
        app.store
            .add_delivery(tx, self.storefront, self.key, self.topic, self.now)
    }
}

/// Why a delivery was not applied: a write's conditions, or a rule that refuses it.
enum Failure {
    Tx(TxError),
    Refused(ApiError),
}

impl From<TxError> for Failure {
    fn from(e: TxError) -> Self {
        Failure::Tx(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Tx(TxError::Store(e))
    }
}

/// Records, in `tx`, a notice of `changes` for every case linked to the order; the cases are
/// told after the commit ([`tell_cases`]).
fn add_notice(
    app: &AppState,
    tx: &mut Tx,
    record: &OrderRecord,
    order_id: &OrderId,
    changes: Vec<Change>,
    d: &Delivery<'_>,
) -> Result<Option<Notice>, StoreError> {
    if changes.is_empty() {
        return Ok(None);
    }
    // Whatever the storefront did, a filing that read the order before it is decided again,
    // and a filing that slipped in first makes this delivery read the order again.
    app.store
        .add_order_touch(tx, (d.storefront, order_id.as_str()), &record.claims)?;
    if record.open_case_ids.is_empty() {
        return Ok(None);
    }
    let notice = Notice {
        id: notice_id(d.storefront, d.key),
        storefront: d.storefront.to_owned(),
        order_id: order_id.clone(),
        changes,
        pending: record.open_case_ids.clone(),
        created_at: d.now,
        attempts: 0,
        next_attempt_at: Some(d.now),
        done_at: None,
    };
    app.store.add_notice(tx, &notice)?;
    Ok(Some(notice))
}

/// A notice's id: one per delivery, short and key-safe whatever the sender's delivery id.
fn notice_id(storefront: &str, dedup_key: &str) -> String {
    let digest = Sha256::digest(format!("{storefront}\n{dedup_key}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Tells the order's cases within this request as far as [`notices::IN_REQUEST`] goes; the
/// delivery is recorded already, so a failure here leaves the rest to the timers.
async fn tell_cases(app: &AppState, notice: Option<Notice>, now: DateTime<Utc>) {
    let Some(notice) = notice else { return };
    let id = notice.id.clone();
    // Written at version 1 by the delivery's transaction.
    match notices::tell_known(&app.store, notice, 1, now, notices::IN_REQUEST).await {
        Ok(p) if p.left > 0 => {
            tracing::info!(notice = %id, told = p.told, left = p.left, "the timers tell the rest")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(notice = %id, error = %e, "the timers will tell the cases"),
    }
}

async fn apply_order(app: &AppState, order: &Order, d: &Delivery<'_>) -> Applied {
    let (sf, now) = (order.storefront.as_str(), d.now);
    let record = app.store.order_record(sf, order.order_id.as_str()).await?;
    // A refund marked as a write-back's is ours only for one of this order's own cases.
    let held = Order {
        refunds: order
            .refunds
            .iter()
            .map(|r| r.clone().held_to(&record.case_ids))
            .collect(),
        ..order.clone()
    };
    let order = &held;
    if !case::order_snapshot_is_newer(record.order.as_ref(), order) {
        return Ok((Outcome::Stale, None));
    }
    let changes = case::order_changes(record.order.as_ref(), &record.refunds, order);
    let (policy, _) = app.policy.get(&app.store).await?;
    let mut tx = app.store.tx();
    app.store.add_order(
        &mut tx,
        order,
        record.order.as_ref(),
        record.version,
        policy.utc_offset_minutes,
    )?;
    d.mark(app, &mut tx)?;
    let notice = add_notice(app, &mut tx, &record, &order.order_id, changes, d)?;
    app.store.commit(tx).await?;
    tell_cases(app, notice, now).await;
    Ok((Outcome::Applied, None))
}

async fn apply_refund(
    app: &AppState,
    order_id: &OrderId,
    refund: &Refund,
    d: &Delivery<'_>,
) -> Applied {
    let sf = d.storefront;
    let record = app.store.order_record(sf, order_id.as_str()).await?;
    let refund = &refund.clone().held_to(&record.case_ids);
    // Known at this amount: a duplicate; grown (a pending refund that succeeded): the
    // difference went back too.
    let Some(growth) = case::refund_growth(&record.refunds, refund) else {
        return Ok((Outcome::Duplicate, None));
    };
    let mut tx = app.store.tx();
    app.store
        .add_refund(&mut tx, sf, order_id.as_str(), refund)?;
    d.mark(app, &mut tx)?;
    // Our own write-back's refund coming back is the case's refund, recorded there already:
    // kept on the order for the record, told to no case.
    let changes = record
        .order
        .as_ref()
        .filter(|_| !refund.ours())
        .map(|order| vec![case::refunded_at_storefront(order, &growth)])
        .unwrap_or_default();
    let notice = add_notice(app, &mut tx, &record, order_id, changes, d)?;
    match app.store.commit(tx).await {
        Err(e) if e.failed("refund") => Ok((Outcome::Duplicate, None)),
        Err(e) => Err(e.into()),
        Ok(()) => {
            tell_cases(app, notice, d.now).await;
            Ok((Outcome::Applied, None))
        }
    }
}

async fn apply_return(app: &AppState, request: &ReturnRequest, d: &Delivery<'_>) -> Applied {
    let (sf, now) = (d.storefront, d.now);
    // One round: what is known of the return, and the order.
    let (link, record) = app
        .store
        .together(|store| async move {
            tokio::join!(
                store.return_link(sf, &request.return_id),
                store.order_record(sf, request.order_id.as_str())
            )
        })
        .await;
    match link? {
        ReturnLink::Case(existing) => return Ok((Outcome::Duplicate, Some(existing))),
        ReturnLink::EndedBeforeRequest(status) => {
            // Cancelled, declined or closed at the storefront before its request reached
            // us: there is nothing to decide, and nothing to pay.
            tracing::info!(storefront = sf, return_id = %request.return_id, status, "the return ended before its request arrived");
            return Ok((Outcome::Stale, None));
        }
        ReturnLink::Unknown => {}
    }
    let record = record?;
    let Some(order) = &record.order else {
        // The order's own webhook has not arrived yet: the sender retries, and by then it has.
        // A 409 of its own, not a lost race: asking DynamoDB again now would not help.
        return Err(Failure::Refused(
            RuleError::state(
                "order-not-received",
                format!(
                    "order {} has not arrived from the storefront yet; retry later",
                    request.order_id
                ),
            )
            .into(),
        ));
    };
    let (policy, _) = app.policy.get(&app.store).await?;
    let customer = case::storefront_return_customer(sf, order)
        .ok_or_else(|| StoreError::Other("no usable customer id".into()))?;
    let day = case::merchant_date(now, &policy);
    // A storefront's returns count towards the customer's units of the day too. Most
    // customers have none yet that day: the filing assumes so, and its transaction's
    // condition on the day's units says when that was wrong (then they are read).
    let mut units_read = None;
    loop {
        let (earlier, units_version) = units_read.clone().unwrap_or_default();
        let held = Held {
            order,
            left_minor: record.left_minor(),
            claimed_units: &record.claims.units,
        };
        let filed = case::file_storefront_return(
            CaseId::draw(day, random_u64()),
            held,
            request,
            customer.clone(),
            &earlier,
            now,
            &policy,
        );
        let (new_case, events) = match filed {
            Ok(filed) => filed,
            // The two reads above are not one snapshot: a concurrent delivery of this very
            // return may have filed it between them, so the order's claims already hold its
            // units. Then this is a duplicate, not a return asking too much.
            Err(refusal) => {
                return match app.store.return_link(sf, &request.return_id).await? {
                    ReturnLink::Case(existing) => Ok((Outcome::Duplicate, Some(existing))),
                    _ => Err(Failure::Refused(refusal.into())),
                };
            }
        };
        let units_after = new_case.returns.as_ref().map(|f| earlier.with(&f.terms));
        let filing = Filing {
            idempotency: None,
            // The storefront decided to take the return: its cases count, with no limit.
            open_cases_limit: None,
            day_units: units_after.as_ref().map(|u| (day, u, units_version)),
            claims_read: Some(&record.claims),
            reopens: None,
        };
        let mut tx = app.store.tx();
        app.store
            .add_new_case(&mut tx, &new_case, &events, filing, now)?;
        app.store
            .add_return_link(&mut tx, sf, &request.return_id, &new_case.id)?;
        d.mark(app, &mut tx)?;
        return match app.store.commit(tx).await {
            Err(e) if e.failed("return") => Ok((
                Outcome::Duplicate,
                app.store.return_case(sf, &request.return_id).await?,
            )),
            Err(TxError::ConditionFailed(labels))
                if units_read.is_none() && labels == ["day-units"] =>
            {
                units_read = Some(app.store.day_units(&customer, day).await?);
                continue;
            }
            other => Ok(other.map(|()| (Outcome::Applied, Some(new_case.id)))?),
        };
    }
}

async fn apply_return_status(
    app: &AppState,
    return_id: &str,
    status: &str,
    at: DateTime<Utc>,
    d: &Delivery<'_>,
) -> Applied {
    let (sf, now) = (d.storefront, d.now);
    let case_id = match app.store.return_link(sf, return_id).await? {
        ReturnLink::Case(case_id) => case_id,
        // A return we have not seen requested, ended at the storefront: remembered, so that
        // its request, if it comes after, opens nothing (deliveries come in any order).
        ReturnLink::Unknown if case::storefront_return_ended(status) => {
            let mut tx = app.store.tx();
            app.store.add_return_ended(&mut tx, sf, return_id, status)?;
            d.mark(app, &mut tx)?;
            app.store.commit(tx).await?;
            return Ok((Outcome::Applied, None));
        }
        // Not ended, or ended already: nothing of ours to change.
        ReturnLink::Unknown | ReturnLink::EndedBeforeRequest(_) => {
            return Ok((Outcome::Ignored, None));
        }
    };
    let Some(current) = app.store.case(&case_id).await? else {
        return Ok((Outcome::Ignored, None));
    };
    if !case::storefront_return_status_is_new(&current, status) {
        // Another delivery of the same change (the storefront's retries differ in id).
        return Ok((Outcome::Duplicate, Some(case_id)));
    }
    let change = Change::StorefrontReturnStatus {
        return_id: return_id.to_owned(),
        status: status.to_owned(),
        changed_at: at,
    };
    let (next, events) = case::note_storefront(&current, sf, change, now);
    let mut tx = app.store.tx();
    app.store
        .add_case_update(&mut tx, &current, &next, &events)?;
    d.mark(app, &mut tx)?;
    app.store.commit(tx).await?;
    Ok((Outcome::Applied, Some(case_id)))
}
