//! `GET /v1/entitlements`: what a purchase is owed today, shown before a case is filed.

use aftersales::domain::InvalidField;
use aftersales::domain::access::Action;
use aftersales::domain::case::merchant_date;
use aftersales::domain::entitlement::{Entitlement, Exclusion, Purchase, entitlement};
use aftersales::http::{ApiError, Principal, QueryParams};
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use aftersales::http::orders::visible_order;

/// Either a storefront order line (`storefront`, `order_id`, `line_id`: the order is the proof
/// of purchase) or a product category with dates.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Params {
    storefront: Option<String>,
    order_id: Option<String>,
    line_id: Option<String>,
    category: Option<String>,
    invoice_date: Option<NaiveDate>,
    receipt_date: Option<NaiveDate>,
    factory_date: Option<NaiveDate>,
    acceptance_date: Option<NaiveDate>,
    /// Comma-separated exclusions known at the time of asking (e.g. `tamper_label_broken`).
    exclusions: Option<String>,
}

pub async fn look_up(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<Params>,
) -> Result<Json<Entitlement>, ApiError> {
    principal.check(Action::LookUpEntitlement, None)?;
    let exclusions = params
        .exclusions
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            serde_json::from_value::<Exclusion>(serde_json::Value::String(s.to_owned()))
                .map_err(|_| InvalidField::new("exclusions", format!("unknown exclusion '{s}'")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid(vec![e]))?;
    if let (Some(storefront), Some(order_id)) = (&params.storefront, &params.order_id) {
        let line_id = params.line_id.as_deref().ok_or_else(|| {
            ApiError::invalid(vec![InvalidField::new("line_id", "name the order line")])
        })?;
        let (order, _) = visible_order(&app.store, &principal, storefront, order_id).await?;
        let line = order.line(line_id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "order {storefront}/{order_id} has no line {line_id}"
            ))
        })?;
        let (policy, _) = app.policy.get(&app.store).await?;
        let mut purchase = order.purchase_of(line, &policy);
        purchase.exclusions = exclusions;
        let today = merchant_date(app.clock.now(), &policy);
        return Ok(Json(entitlement(&purchase, today, &policy)?));
    }
    let category = params.category.ok_or_else(|| {
        ApiError::invalid(vec![InvalidField::new(
            "category",
            "name a category, or a storefront order line",
        )])
    })?;
    let purchase = Purchase {
        category,
        invoice_date: params.invoice_date,
        receipt_date: params.receipt_date,
        factory_date: params.factory_date,
        acceptance_date: params.acceptance_date,
        exclusions,
    };
    purchase
        .validate()
        .map_err(|e| ApiError::invalid(vec![e]))?;
    let (policy, _) = app.policy.get(&app.store).await?;
    let today = merchant_date(app.clock.now(), &policy);
    Ok(Json(entitlement(&purchase, today, &policy)?))
}
