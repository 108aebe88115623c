//! A customer's storefront orders: `GET /v1/orders` and `GET /v1/orders/{storefront}/{id}`,
//! with what each line is owed today. Orders arrive by webhook; here they are only read.

use aftersales::domain::InvalidField;
use aftersales::domain::access::{self, Action, Scope, Wanted};
use aftersales::domain::case::merchant_date;
use aftersales::domain::entitlement::{Entitlement, entitlement};
use aftersales::domain::order::{Order, OrderLine, Refund};
use aftersales::domain::values::{CaseId, CustomerId, Email};
use aftersales::http::orders::visible_order;
use aftersales::http::{ApiError, Principal, QueryParams, page_limit};
use aftersales::store::{OrderSummary, Page, Paging};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    customer_id: Option<CustomerId>,
    email: Option<Email>,
    limit: Option<usize>,
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

#[derive(Serialize)]
pub struct LineView {
    #[serde(flatten)]
    line: OrderLine,
    /// What this line is owed today, from the order as proof of purchase.
    #[serde(skip_serializing_if = "Option::is_none")]
    entitlement: Option<Entitlement>,
}

#[derive(Serialize)]
pub struct OrderView {
    #[serde(flatten)]
    order: Order,
    lines: Vec<LineView>,
    refunds: Vec<Refund>,
    refunded_minor: i64,
    cases: Vec<CaseId>,
}

pub async fn read(
    State(app): State<AppState>,
    principal: Principal,
    Path((storefront, order_id)): Path<(String, String)>,
) -> Result<Json<OrderView>, ApiError> {
    let (order, record) = visible_order(&app.store, &principal, &storefront, &order_id).await?;
    let (policy, _) = app.policy.get(&app.store).await?;
    let today = merchant_date(app.clock.now(), &policy);
    let lines = order
        .lines
        .iter()
        .map(|line| LineView {
            line: line.clone(),
            entitlement: entitlement(&order.purchase_of(line, &policy), today, &policy).ok(),
        })
        .collect();
    let refunded_minor = record.refunded_minor();
    Ok(Json(OrderView {
        lines,
        refunds: record.refunds,
        refunded_minor,
        cases: record.case_ids,
        order,
    }))
}
