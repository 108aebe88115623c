//! Paying a refund from a storefront order the system holds, by finance or by the clock.
//!
//! A request's amount was checked against its order when it was filed, but the order can
//! change after (the storefront refunds it, withdraws its payment, cancels it, shrinks it).
//! So a step that pays reads the order again, pays nothing from an order that has given back
//! more than it was paid, and writes the payment only if the order's claims have not moved
//! since that read (`Store::save_decision`). A case remembers the version of the claims it last
//! wrote (`ReturnFlow::claims_seen`): while they are still there, nothing has touched the order,
//! and the payment checks that in its transaction instead of reading the order first.

use crate::domain::case::Case;
use crate::domain::returns::{self, Stage};
use crate::store::{OrderRecord, Store, StoreError};

/// Whether the step from `before` to `after` pays the refund of a request on a held order.
pub fn pays_from_order(before: &Case, after: &Case) -> bool {
    let refunded = |c: &Case| {
        c.returns
            .as_ref()
            .is_some_and(|f| f.stage == Stage::Refunded && f.amount_verified())
    };
    refunded(after) && !refunded(before)
}

/// The order a paying step pays from, as it is now, and whether it is overdrawn: the
/// storefront's refunds and the requests' claims (this one's included) exceed what it was
/// paid (nothing, if it was never paid or was cancelled).
pub async fn order_for_payment(
    store: &Store,
    case: &Case,
) -> Result<Option<(OrderRecord, bool)>, StoreError> {
    let Some((storefront, order_id)) = case
        .order
        .as_ref()
        .and_then(|o| Some((o.storefront.as_deref()?, o.order_id.as_str())))
    else {
        return Ok(None);
    };
    let record = store.order_record(storefront, order_id).await?;
    let paid = record
        .order
        .as_ref()
        .filter(|o| o.paid_at.is_some() && o.cancelled_at.is_none())
        .map_or(0, |o| o.total_minor);
    let overdrawn = returns::order_overdrawn(paid, record.refunded_minor(), record.claims.minor);
    Ok(Some((record, overdrawn)))
}
