//! `GET /v1/reports`: a period's reports from its counters (`domain::reports`): one Query per
//! month of the period, sent at once, whatever the number of cases.

use aftersales::domain::access::Action;
use aftersales::domain::reports::{MAX_PERIOD_DAYS, Period, Reports};
use aftersales::domain::{InvalidField, reports};
use aftersales::http::{ApiError, Op, Principal, QueryParams};
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The first day (the merchant's), `YYYY-MM-DD`; with `to`. Without both: this quarter.
    from: Option<NaiveDate>,
    /// The last day, included; at most 366 days after `from`.
    to: Option<NaiveDate>,
}

pub fn read_op() -> Op {
    Op::new("reports", "The reports of a period")
        .tag("feedback")
        .describe("Return rate and reasons by product, tags (reasons, defects by product, responsibility), repeat repairs, deadline compliance by promise, satisfaction by technician and by week, the technician review (维修评核表), weekly quality tracking (质检跟踪统计表), the technicians without a complaint (the quarter's reward list), and the service-rating self-assessment with each indicator's inputs. Kept as counters written with each fact, on the merchant's days; a period is read in one Query per month.")
        .allowed(&[Action::ReadReports])
        .query::<ReportParams>()
        .answers::<Reports>(200, "The reports", json!({"period": {"from": "2026-10-01", "to": "2026-12-31"}}))
        .refuses(&[422])
}

/// `GET /v1/reports`.
pub async fn read(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<ReportParams>,
) -> Result<Json<Reports>, ApiError> {
    principal.check(Action::ReadReports, None)?;
    let period = match (params.from, params.to) {
        (Some(from), Some(to)) => Period::new(from, to).ok_or_else(|| {
            ApiError::invalid(vec![InvalidField::new(
                "to",
                format!("must be on or after `from`, at most {MAX_PERIOD_DAYS} days on"),
            )])
        })?,
        (None, None) => {
            let (policy, _) = app.policy.get(&app.store).await?;
            let today = reports::merchant_day(app.clock.now(), policy.utc_offset_minutes);
            Period::quarter_of(today)
        }
        _ => {
            return Err(ApiError::invalid(vec![InvalidField::new(
                "from",
                "give both `from` and `to`, or neither",
            )]));
        }
    };
    let counters = app.store.counters(period).await?;
    Ok(Json(Reports::of(period, &counters)))
}
