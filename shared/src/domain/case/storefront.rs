//! What a storefront does to a case: its own return requests, and what happens to their orders.

use super::*;
use crate::domain::order::Refund;

/// The actor of everything a storefront's webhook does: the system, on the storefront's word.
pub fn storefront_actor(storefront: &str) -> Actor {
    Actor {
        id: format!("storefront:{storefront}"),
        role: Role::System,
        name: None,
    }
}

/// Opens a return case for a return requested at the storefront (DOMAIN §4): linked to the
/// order and its lines, with the entitlement of the first returned line on the day of the
/// request. Special goods take the refund-only path whatever the storefront asked.
pub fn file_storefront_return(
    id: CaseId,
    held: Held<'_>,
    request: &ReturnRequest,
    customer_id: CustomerId,
    earlier: &DayUnits,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(Case, Vec<Event>), Refusal> {
    let order = held.order;
    held.paid()?;
    // Each line asks no more units than it has (less what other requests have), each once.
    let mut seen = std::collections::BTreeSet::new();
    for asked in &request.lines {
        let Some(line) = order.line(&asked.line_id) else {
            return Err(RuleError::new(
                "unknown-order-line",
                format!("the order has no line {}", asked.line_id),
            )
            .into());
        };
        let left = line.quantity.saturating_sub(held.claimed(&line.line_id));
        if asked.quantity == 0 || asked.quantity > left || !seen.insert(&asked.line_id) {
            return Err(RuleError::new(
                "terms-exceed-order",
                format!(
                    "line {} has {} units, {left} not asked for already; a return asks 1 to {left} of it, once",
                    line.line_id, line.quantity
                ),
            )
            .into());
        }
    }
    let first = request
        .lines
        .first()
        .and_then(|l| order.line(&l.line_id))
        .ok_or_else(|| {
            RuleError::new(
                "unknown-order-line",
                "the return names no line of its order",
            )
        })?;
    let purchase = order.purchase_of(first, policy);
    let entitlement = entitlement(
        &purchase,
        merchant_date(request.requested_at, policy),
        policy,
    )?;
    let case_type = if request.refund_only || entitlement.special_goods {
        CaseType::RefundOnly
    } else {
        CaseType::ReturnRefund
    };
    let description: String = request
        .lines
        .iter()
        .map(|l| {
            let title = order
                .line(&l.line_id)
                .map(|x| x.title.as_str())
                .unwrap_or("?");
            let why = [l.reason.as_deref(), l.note.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            format!(
                "{} × {title}{}",
                l.quantity,
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                }
            )
        })
        .chain(request.note.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let actor = storefront_actor(&order.storefront);
    let first_response_due = first_response_due(case_type, now, policy)?;
    let terms = storefront_terms(order, request, case_type)?;
    // The terms are the order's own; what is checked is that the order has that much left.
    let paid = Paid {
        currency: order.currency,
        line_id: first.line_id.clone(),
        unit_price_minor: terms.unit_price_minor.get(),
        quantity: terms.units,
        claimed_units: 0,
        left_minor: held.left_minor,
        shipped: terms.order_shipped,
        shipping_minor: order.beyond_lines_minor(),
    };
    let mut flow = ReturnFlow::open(terms, Some(&paid), earlier, now, &policy.returns)?;
    // The request claims each of its lines' units.
    if let Some(claim) = flow.claim.as_mut() {
        claim.lines = request
            .lines
            .iter()
            .map(|l| (l.line_id.clone(), l.quantity))
            .collect();
    }
    let case = Case {
        customer_email: order.customer.email.clone(),
        contact: Contact {
            name: order.customer.name.clone(),
            phone: order
                .customer
                .phone
                .as_deref()
                .and_then(|p| Phone::parse(p).ok()),
            address: None,
            attribute: CustomerAttribute::InWarranty,
        },
        order: Some(OrderRef {
            storefront: Some(order.storefront.clone()),
            order_id: order.order_id.clone(),
            line_ids: request.lines.iter().map(|l| l.line_id.clone()).collect(),
        }),
        storefront_return_id: Some(request.return_id.clone()),
        product: Product {
            sku: first.sku.clone(),
            model: Some(first.title.clone()),
            serial_number: first.serial_numbers.first().cloned(),
            batch: None,
        },
        purchase: Some(purchase),
        entitlement: Some(entitlement),
        description: bounded_text("description", &description, 4000)
            .unwrap_or_else(|_| description.chars().take(4000).collect()),
        merchant_utc_offset_minutes: policy.utc_offset_minutes,
        ..Case::filed(
            id,
            case_type,
            Channel::Storefront,
            customer_id,
            Some(flow),
            first_response_due,
            &actor,
            now,
        )
    };
    let event = filed_event(&case, actor);
    Ok((case, vec![event]))
}

/// What a storefront return asks, from its order: the lines' units and prices, the order's
/// currency and whether it shipped; a defect named by the storefront is a quality fault.
pub(super) fn storefront_terms(
    order: &Order,
    request: &ReturnRequest,
    case_type: CaseType,
) -> Result<ReturnTerms, RuleError> {
    let mut units: u32 = 0;
    let mut paid: i64 = 0;
    let mut least = i64::MAX;
    for line in &request.lines {
        let price = order
            .line(&line.line_id)
            .map_or(0, |l| order.paid_unit_price(l));
        units = units.saturating_add(line.quantity);
        paid = paid.saturating_add(price.saturating_mul(i64::from(line.quantity)));
        least = least.min(price);
    }
    let units = units.clamp(1, returns::MAX_UNITS);
    let quality = request.lines.iter().any(|l| {
        matches!(
            l.reason.as_deref().map(str::to_ascii_lowercase).as_deref(),
            Some("defective" | "not_as_described" | "wrong_item" | "damaged" | "quality")
        )
    });
    let first = request.lines.first().and_then(|l| order.line(&l.line_id));
    let unit_price_minor = Amount::new(paid / i64::from(units)).map_err(|_| {
        RuleError::new(
            "invalid-return-terms",
            "the order's prices for these lines are not amounts this system takes",
        )
    })?;
    Ok(ReturnTerms {
        kind: if case_type == CaseType::RefundOnly {
            ReturnKind::RefundOnly
        } else {
            ReturnKind::ReturnAndRefund
        },
        reason: if quality {
            ReturnReason::QualityFault
        } else {
            ReturnReason::CustomerReason
        },
        units,
        model: first.and_then(|l| l.sku.clone()),
        currency: order.currency,
        unit_price_minor,
        shipping_fee_minor: Amount::ZERO,
        amount_asked_minor: None,
        replacement_price_minor: None,
        order_shipped: order.shipped(),
        promised_ship_by: None,
        quality_incident: false,
        least_unit_price_minor: Amount::new(least)
            .ok()
            .filter(|least| *least < unit_price_minor),
    })
}

/// Records on a case what its storefront did (a cancellation, a refund, a return's new state).
/// A return cancelled at the storefront cancels the case while it can still be cancelled.
pub fn note_storefront(
    case: &Case,
    storefront: &str,
    change: Change,
    now: DateTime<Utc>,
) -> (Case, Vec<Event>) {
    let actor = storefront_actor(storefront);
    let ended = match &change {
        Change::StorefrontReturnStatus { status, .. } => return_end(status),
        _ => None,
    };
    let return_cancelled = ended == Some(ReturnEnd::Cancelled);
    // The storefront decided the return itself (declined it, or closed it): the clock has
    // nothing left to decide, and nothing to pay.
    let decided = ended == Some(ReturnEnd::Decided);
    let changes_order = decided
        || matches!(
            change,
            Change::RefundedAtStorefront { .. }
                | Change::OrderShippedAtStorefront { .. }
                | Change::OrderCancelledAtStorefront { .. }
                | Change::OrderAmendedAtStorefront { .. }
        );
    let reported = match &change {
        Change::StorefrontReturnStatus { status, .. } => Some(status.to_ascii_lowercase()),
        _ => None,
    };
    let (mut next, event) = next_version(case, actor, now, change);
    if reported.is_some() {
        next.storefront_return_status = reported;
    }
    if return_cancelled && case.cancellable() {
        next.status = CaseStatus::Cancelled;
        close_flow(&mut next);
    }
    // Money the storefront paid back on the order may be this very request's, and an order
    // shipped since changes what a refund-only request is: its refund is finance's to check,
    // never the clock's to pay.
    if changes_order
        && let Some(flow) = next.returns.as_mut()
        && !matches!(
            flow.stage,
            returns::Stage::Refunded | returns::Stage::Exchanged
        )
    {
        flow.order_changed = true;
        if decided && flow.stage == returns::Stage::AwaitingDecision {
            flow.deadline = None;
        }
    }
    (next, vec![event])
}

/// Whether `status` is news for the case's storefront return (not the status last reported).
pub fn storefront_return_status_is_new(case: &Case, status: &str) -> bool {
    case.storefront_return_status.as_deref() != Some(status.to_ascii_lowercase().as_str())
}

/// How a storefront's return ended there, by the status it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReturnEnd {
    /// The customer (or the shop) withdrew it.
    Cancelled,
    /// The storefront declined it, or closed it done.
    Decided,
}

fn return_end(status: &str) -> Option<ReturnEnd> {
    match status.to_ascii_lowercase().as_str() {
        "cancelled" | "canceled" => Some(ReturnEnd::Cancelled),
        "declined" | "decline" | "closed" | "close" => Some(ReturnEnd::Decided),
        _ => None,
    }
}

/// Whether a storefront's return in `status` has ended there (cancelled, declined, closed):
/// reported before its request, the request opens no case.
pub fn storefront_return_ended(status: &str) -> bool {
    return_end(status).is_some()
}

/// Records several things a storefront did on one case, one event each.
pub fn note_storefront_all(
    case: &Case,
    storefront: &str,
    changes: &[Change],
    now: DateTime<Utc>,
) -> (Case, Vec<Event>) {
    let mut next = case.clone();
    let mut events = Vec::with_capacity(changes.len());
    for change in changes {
        let (n, mut e) = note_storefront(&next, storefront, change.clone(), now);
        next = n;
        events.append(&mut e);
    }
    (next, events)
}

/// Refunds of one order snapshot told to its cases one by one; more are told as one, so that
/// telling a case stays one transaction.
const NOTED_ONE_BY_ONE: usize = 10;

/// Whether `incoming` is a later snapshot of the order than the one held (none: it is). A
/// storefront's times are often whole seconds, so a different snapshot of the same second is
/// taken as the later one (a cancellation in the second of the last update is not lost),
/// unless it would undo a cancellation.
pub fn order_snapshot_is_newer(stored: Option<&Order>, incoming: &Order) -> bool {
    stored.is_none_or(|s| {
        s.source_updated_at < incoming.source_updated_at
            || (s.source_updated_at == incoming.source_updated_at
                && s != incoming
                && !(s.cancelled_at.is_some() && incoming.cancelled_at.is_none()))
    })
}

/// What a storefront's refund delivery adds to what is known of the same refund: the refund
/// itself if it is new, the difference if it grew (a pending refund that succeeded), nothing
/// if it is known at that amount or more.
pub fn refund_growth(known: &[Refund], incoming: &Refund) -> Option<Refund> {
    let before = known
        .iter()
        .filter(|k| k.refund_id == incoming.refund_id)
        .map(|k| k.amount_minor)
        .max();
    match before {
        None => Some(incoming.clone()),
        Some(before) if incoming.amount_minor > before => Some(Refund {
            amount_minor: incoming.amount_minor - before,
            ..incoming.clone()
        }),
        Some(_) => None,
    }
}

/// A storefront refund of `order`, as its open cases are told of it.
pub fn refunded_at_storefront(order: &Order, refund: &Refund) -> Change {
    Change::RefundedAtStorefront {
        order_id: order.order_id.clone(),
        refund_id: refund.refund_id.clone(),
        amount_minor: refund.amount_minor,
        currency: order.currency,
    }
}

/// What a newer snapshot of an order means for its open cases, against the one held
/// (`stored`, with the refunds known of it): cancelled, money given back (a refund new, or
/// grown), shipped, its total lowered, its payment withdrawn.
pub fn order_changes(
    stored: Option<&Order>,
    known_refunds: &[Refund],
    incoming: &Order,
) -> Vec<Change> {
    let order_id = || incoming.order_id.clone();
    let mut changes = Vec::new();
    let cancelled = incoming.cancelled_at.is_some();
    if cancelled && stored.is_none_or(|o| o.cancelled_at.is_none()) {
        changes.push(Change::OrderCancelledAtStorefront {
            order_id: order_id(),
        });
    }
    // A refund is new, or grew (a pending refund that succeeded): either way money went back.
    // Ours (a write-back's) is the case's own refund: nothing new to tell it.
    let new_refunds: Vec<Refund> = incoming
        .refunds
        .iter()
        .filter(|r| !r.ours())
        .filter_map(|r| {
            let known = known_refunds
                .iter()
                .find(|k| k.refund_id == r.refund_id)
                .map_or(0, |k| k.amount_minor);
            (r.amount_minor > known).then(|| Refund {
                amount_minor: r.amount_minor - known,
                ..r.clone()
            })
        })
        .collect();
    if new_refunds.len() <= NOTED_ONE_BY_ONE {
        changes.extend(
            new_refunds
                .iter()
                .map(|r| refunded_at_storefront(incoming, r)),
        );
    } else {
        let total = new_refunds
            .iter()
            .fold(0i64, |sum, r| sum.saturating_add(r.amount_minor));
        changes.push(Change::RefundedAtStorefront {
            order_id: order_id(),
            refund_id: format!("{} refunds", new_refunds.len()),
            amount_minor: total,
            currency: incoming.currency,
        });
    }
    if let Some(stored) = stored {
        if incoming.shipped() && !stored.shipped() {
            changes.push(Change::OrderShippedAtStorefront {
                order_id: order_id(),
            });
        }
        // A cancellation changes the total and the payment too: its own note says it all.
        let amended = |what: &str| Change::OrderAmendedAtStorefront {
            order_id: order_id(),
            what: what.to_owned(),
        };
        if !cancelled && incoming.total_minor < stored.total_minor {
            changes.push(amended("its total went down"));
        }
        if !cancelled && incoming.paid_at.is_none() && stored.paid_at.is_some() {
            changes.push(amended("its payment was withdrawn"));
        }
    }
    changes
}

/// Who a storefront's return is for: the order's customer, or (a guest order) the order
/// itself, so that the return still counts as one customer's.
pub fn storefront_return_customer(storefront: &str, order: &Order) -> Option<CustomerId> {
    crate::domain::order::customer_key(storefront, &order.customer)
        .or_else(|| CustomerId::parse(format!("{storefront}:order-{}", order.order_id)).ok())
}
