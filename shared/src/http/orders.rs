//! An order as the caller may see it: the storefront order a case is filed on, whose
//! entitlement is looked up, or that is read: someone else's is a 404, like one that is not
//! there (no existence leak).

use crate::domain::access::{Action, Owner};
use crate::domain::order::{Order, customer_key};
use crate::domain::values::{CustomerId, OrderId};
use crate::store::{OrderRecord, Store};

use super::{ApiError, Principal};

/// An order the caller may see, or 404 (also for someone else's: no existence leak).
pub async fn visible_order(
    store: &Store,
    principal: &Principal,
    storefront: &str,
    order_id: &str,
) -> Result<(Order, OrderRecord), ApiError> {
    principal.check(Action::ReadOrders, None)?;
    let not_found = || ApiError::NotFound(format!("no order {storefront}/{order_id}"));
    if OrderId::parse(order_id).is_err()
        || storefront.is_empty()
        || storefront.contains('#')
        || storefront.len() > 32
    {
        return Err(not_found());
    }
    let record = store.order_record(storefront, order_id).await?;
    let order = record.order.clone().ok_or_else(not_found)?;
    let key = customer_key(&order.storefront, &order.customer);
    let owner = Owner {
        customer_id: key.as_ref().map(CustomerId::as_str).unwrap_or(""),
        email: order.customer.email.as_deref(),
        assignee: None,
    };
    principal
        .check(Action::ReadOrders, Some(&owner))
        .map_err(|_| not_found())?;
    Ok((order, record))
}
