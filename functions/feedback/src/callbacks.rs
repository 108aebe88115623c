//! The callback queue (回访): customers called back after service, and key customers
//! periodically. A resolved case schedules its call (the policy's `feedback.callbacks`); the
//! timers make it due at its time; customer service works the queue earliest first and records
//! each call's outcome, which schedules the next one when there is one.

use aftersales::domain::access::Action;
use aftersales::domain::case::CaseSummary;
use aftersales::domain::feedback::{self, RecordCallback};
use aftersales::http::{
    ApiError, CaseView, JsonBody, Op, Principal, QueryParams, examples, page_limit,
};
use aftersales::store::{Page, Paging};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    /// Only the callbacks whose time has come (made due by the timers, or past their time).
    due: Option<bool>,
    /// At most this many (20 unless given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

pub fn queue_op() -> Op {
    Op::new("callbackQueue", "The callback queue, earliest first")
        .tag("feedback")
        .describe("Cases with a callback to make (`callback` in each summary: its kind, time, state and unanswered attempts), earliest first; `due=true` for those whose time has come.")
        .allowed(&[Action::Callbacks])
        .query::<QueueParams>()
        .answers_page::<CaseSummary>("The queue", json!([examples::case_view()["summary"]]))
}

/// `GET /v1/callbacks`.
pub async fn queue(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<QueueParams>,
) -> Result<Json<Page<CaseSummary>>, ApiError> {
    principal.check(Action::Callbacks, None)?;
    let limit = page_limit(params.limit, 20).map_err(|e| ApiError::invalid(vec![e]))?;
    let viewer = principal.caller_key();
    let due_at = params.due.unwrap_or(false).then(|| app.clock.now());
    let page = app
        .store
        .callback_queue(
            due_at,
            Paging {
                limit,
                cursor: params.cursor.as_deref(),
                viewer: &viewer,
            },
        )
        .await?;
    Ok(Json(page))
}

pub fn record_op() -> Op {
    Op::new("recordCallback", "Record a callback's outcome")
        .tag("feedback")
        .describe("`reached` (with the customer's `level` of satisfaction if they gave one), `no_answer` (tried again the next day, twice at most), `refused`, `wrong_number`. A key (contract) customer's next periodic call is scheduled after the policy's `feedback.callbacks.key_customer_every_days`. A case without a callback is a 409 `no-callback`.")
        .allowed(&[Action::Callbacks])
        .path_param("id", "The case number", "AS2611-2012345678")
        .body::<RecordCallback>(true, json!({"outcome": "reached", "level": "satisfied", "note": "Works well since the visit."}))
        .answers::<CaseView>(200, "The case, its callback recorded", examples::case_view())
        .refuses(&[409, 422])
}

/// `POST /v1/cases/{id}/callback`.
pub async fn record(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: body, .. }: JsonBody<RecordCallback>,
) -> Result<Json<CaseView>, ApiError> {
    let view = crate::with_policy(
        &app,
        &principal,
        &id,
        Action::Callbacks,
        |case, actor, now, policy| {
            feedback::record_callback(case, body.clone(), actor, now, &policy.feedback.callbacks)
        },
    )
    .await?;
    Ok(Json(view))
}
