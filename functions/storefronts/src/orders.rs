//! A customer's storefront orders: `GET /v1/orders` and `GET /v1/orders/{storefront}/{id}`,
//! with what each line is owed today. Orders arrive by webhook; here they are only read.

use aftersales::domain::InvalidField;
use aftersales::domain::access::{self, Action, Scope, Wanted};
use aftersales::domain::case::merchant_date;
use aftersales::domain::entitlement::{Entitlement, entitlement};
use aftersales::domain::order::{Order, OrderCustomer, OrderLine, Refund};
use aftersales::domain::policy::Policy;
use aftersales::domain::values::{CaseId, Currency, CustomerId, Email, OrderId};
use aftersales::http::orders::visible_order;
use aftersales::http::{ApiError, Principal, QueryParams, page_limit};
use aftersales::store::{OrderSummary, Page, Paging};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Staff: one customer's orders (a customer sees their own).
    customer_id: Option<CustomerId>,
    /// Staff: the orders of a buyer known by e-mail.
    #[param(value_type = Option<String>, format = Email)]
    email: Option<Email>,
    /// At most this many (20 unless given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

pub async fn list(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Json<Page<OrderSummary>>, ApiError> {
    let limit = page_limit(params.limit, 20).map_err(|e| ApiError::invalid(vec![e]))?;
    let scope = access::list_scope(
        &principal.caller(),
        Action::ReadOrders,
        Wanted {
            customer_id: params.customer_id.as_ref().map(CustomerId::as_str),
            email: params.email.as_ref().map(Email::as_str),
        },
    )?;
    if scope == Scope::Everyone {
        return Err(ApiError::invalid(vec![InvalidField::new(
            "customer_id",
            "name a customer_id or an email",
        )]));
    }
    Ok(Json(
        app.store
            .list_orders(
                &scope,
                Paging {
                    limit,
                    cursor: params.cursor.as_deref(),
                    viewer: &principal.caller_key(),
                },
            )
            .await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LineView {
    #[serde(flatten)]
    line: OrderLine,
    /// What this line is owed today, from the order as proof of purchase.
    #[serde(skip_serializing_if = "Option::is_none")]
    entitlement: Option<Entitlement>,
}

/// An order as its customer and staff see it: the storefront's order (its lines with what
/// each is owed today), every refund the storefront made, and the cases opened on it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderView {
    storefront: String,
    order_id: OrderId,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    customer: OrderCustomer,
    currency: Currency,
    total_minor: i64,
    created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paid_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shipped_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivered_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancelled_at: Option<DateTime<Utc>>,
    source_updated_at: DateTime<Utc>,
    lines: Vec<LineView>,
    refunds: Vec<Refund>,
    refunded_minor: i64,
    cases: Vec<CaseId>,
}

impl OrderView {
    /// The view of `order` with what each line is owed on `today` (a line whose entitlement
    /// cannot be told, for want of a date, shows none).
    pub fn new(
        order: Order,
        refunds: Vec<Refund>,
        refunded_minor: i64,
        cases: Vec<CaseId>,
        today: chrono::NaiveDate,
        policy: &Policy,
    ) -> Self {
        let lines = order
            .lines
            .iter()
            .map(|line| LineView {
                line: line.clone(),
                entitlement: entitlement(&order.purchase_of(line, policy), today, policy).ok(),
            })
            .collect();
        Self {
            lines,
            refunds,
            refunded_minor,
            cases,
            storefront: order.storefront,
            order_id: order.order_id,
            name: order.name,
            customer: order.customer,
            currency: order.currency,
            total_minor: order.total_minor,
            created_at: order.created_at,
            paid_at: order.paid_at,
            shipped_at: order.shipped_at,
            delivered_at: order.delivered_at,
            cancelled_at: order.cancelled_at,
            source_updated_at: order.source_updated_at,
        }
    }
}

pub async fn read(
    State(app): State<AppState>,
    principal: Principal,
    Path((storefront, order_id)): Path<(String, String)>,
) -> Result<Json<OrderView>, ApiError> {
    let (order, record) = visible_order(&app.store, &principal, &storefront, &order_id).await?;
    let (policy, _) = app.policy.get(&app.store).await?;
    let today = merchant_date(app.clock.now(), &policy);
    let refunded_minor = record.refunded_minor();
    Ok(Json(OrderView::new(
        order,
        record.refunds,
        refunded_minor,
        record.case_ids,
        today,
        &policy,
    )))
}
