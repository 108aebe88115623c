//! Return approval: where money leaves the company (DOMAIN §4).
//!
//! | route                              | who                                                     |
//! |------------------------------------|---------------------------------------------------------|
//! | `POST /v1/cases/{id}/return`       | the step of the workflow named by `action`: staff decide at their level, the customer resubmits, escalates, ships or cancels, the warehouse receives, quality inspects, finance refunds |
//! | `GET  /v1/returns?stage=`          | staff: a return queue (pending decisions by deadline, goods in transit, to inspect, refunds to execute) |
//! | `POST /v1/cases/{id}/writeback`    | finance, a manager: a decision the storefront refused, asked again or recorded as done by hand |
//!
//! Every step is decided by `aftersales::domain::returns` and written in one transaction
//! conditioned on the case's version; a refund is recorded at most once per case.

use aftersales::domain::RuleError;
use aftersales::domain::access::Action;
use aftersales::domain::case::{self, CaseSummary};
use aftersales::domain::effects::Decision;
use aftersales::domain::returns::{Command, Stage};
use aftersales::domain::writeback::{self, WriteBackCommand};
use aftersales::http::contract::{Docs, RoutesOnly};
use aftersales::http::{
    Api, ApiError, CaseView, JsonBody, Op, Principal, QueryParams, examples, on_case, page_limit,
    problem,
};
use aftersales::payments;
use aftersales::store::{Page, Paging};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::Deserialize;

/// What every handler shares: built once per process.
pub use aftersales::http::App as AppState;

/// The function's router as its Lambda serves it: its routes, and problem+json 404s.
pub fn router(state: AppState) -> Router {
    routes(state).fallback(problem::not_found)
}

/// The function's routes alone, to merge with others' behind one gateway.
pub fn routes(state: AppState) -> Router {
    api::<RoutesOnly>().into_parts().0.with_state(state)
}

/// The function's routes, each with its operation in the published contract (built only
/// `WithDocs`: a Lambda's router is `RoutesOnly`).
pub fn api<D: Docs>() -> Api<AppState, D> {
    let steps = aftersales::domain::access::ReturnAction::ALL.map(Action::Return);
    Api::new()
        .post(
            "/v1/cases/{id}/return",
            post(step),
            || Op::new("returnStep", "Take one step of a return")
                .tag("returns")
                .describe("The `action` names the step; who may take it is the access table's (`x-roles` is every role that may take some step): staff decide at the level the request needs, the customer resubmits, escalates, ships or cancels, the warehouse receives and reships, quality inspects, finance pays. A step the case's stage does not allow is a 409 naming its rule.")
                .allowed(&steps)
                .path_param("id", "The case number", "AS2611-2012345678")
                .body::<Command>(true, examples::return_step())
                .answers::<CaseView>(200, "The case after the step, with its timeline", examples::case_view())
                .refuses(&[409, 422]),
        )
        .post(
            "/v1/cases/{id}/writeback",
            post(writeback),
            || Op::new("settleWriteBack", "Ask the storefront again, or record it done by hand")
                .tag("returns")
                .describe("Each decision on a storefront's return is written back to the shop (Shopify's or WooCommerce's API, or a signed webhook); one the shop refused waits here with the shop's message. `retry` asks again (a new request, under a new idempotency key; a refund the shop has already made under an earlier one is found and not made twice); `settle` records it done in the shop's own admin, with a note saying how. A refused refund is back in finance's queue until then. 409 when nothing refused waits on the case.")
                .allowed(&[Action::WriteBack])
                .path_param("id", "The case number", "AS2611-2012345678")
                .body::<WriteBackCommand>(true, examples::writeback())
                .answers::<CaseView>(200, "The case, its write-backs and timeline", examples::case_view())
                .refuses(&[409, 422]),
        )
        .get(
            "/v1/returns",
            get(queue),
            || Op::new("returnQueue", "A return queue by stage, earliest deadline first")
                .tag("returns")
                .allowed(&[Action::ReturnQueue])
                .query::<QueueParams>()
                .answers_page::<CaseSummary>("One page", examples::case_page()),
        )
}

/// `POST /v1/cases/{id}/return` with a command such as
/// `{"action": "approve", "reason_code": "fault_plausible", "note": "..."}`.
pub async fn step(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: command, .. }: JsonBody<Command>,
) -> Result<Json<CaseView>, ApiError> {
    // Someone else's case is not there (404); the step's role is the rules' (403).
    let (app, principal, command) = (&app, &principal, &command);
    let view = on_case(app, principal, &id, Action::ReadCase, |current, attempt| async move {
        let (policy, _) = app.policy.get(&app.store).await?;
        let decided =
            case::apply_return(&current, command.clone(), principal.actor(), app.clock.now(), &policy)?;
        let decision = Decision::of_return_step(&current, decided);
        // A payment from a held order is made from the order as it stands now: as the case last
        // saw its claims, if nothing has moved them since (the transaction checks); else, or
        // once that check failed, as read again now.
        let seen = current.returns.as_ref().and_then(|f| f.claims_seen);
        let paid_from = match (payments::pays_from_order(&current, &decision.next), seen) {
            (false, _) => None,
            (true, Some(version)) if attempt == 1 => Some(version),
            (true, _) => match payments::order_for_payment(&app.store, &decision.next).await? {
                Some((_, true)) => {
                    return Err(RuleError::new(
                        "order-already-refunded",
                        "the storefront has refunded this order (or it is no longer paid): check whether its refund was this request's, and close the request instead of paying it again",
                    )
                    .into());
                }
                Some((record, false)) => Some(record.claims.version),
                None => None,
            },
        };
        Ok((decision, paid_from))
    })
    .await?;
    tracing::info!(case = %id, stage = ?view.case.returns.as_ref().map(|f| f.stage), by = %principal.id, "return step");
    Ok(Json(view))
}

/// `POST /v1/cases/{id}/writeback` with `{"action": "retry"}` or
/// `{"action": "settle", "note": "refunded in Shopify's admin, refund #1042"}`.
pub async fn writeback(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: command, .. }: JsonBody<WriteBackCommand>,
) -> Result<Json<CaseView>, ApiError> {
    let (app, principal, command) = (&app, &principal, &command);
    let view = on_case(
        app,
        principal,
        &id,
        Action::WriteBack,
        |current, _| async move {
            let (next, events, effects) = writeback::handle(
                &current,
                command.clone(),
                principal.actor(),
                app.clock.now(),
            )?;
            Ok((
                Decision {
                    next,
                    events,
                    effects,
                },
                None,
            ))
        },
    )
    .await?;
    tracing::info!(case = %id, by = %principal.id, "write-back settled or asked again");
    Ok(Json(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    stage: Stage,
    /// At most this many (20 unless given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

/// `GET /v1/returns?stage=awaiting_decision`: a return queue, earliest deadline first.
pub async fn queue(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<QueueParams>,
) -> Result<Json<Page<CaseSummary>>, ApiError> {
    principal.check(Action::ReturnQueue, None)?;
    let limit = page_limit(params.limit, 50).map_err(|e| ApiError::invalid(vec![e]))?;
    Ok(Json(
        app.store
            .stage_queue(
                params.stage,
                Paging {
                    limit,
                    cursor: params.cursor.as_deref(),
                    viewer: &principal.caller_key(),
                },
            )
            .await?,
    ))
}
