//! Feedback (DOMAIN §6): what a merchant learns from every finished case.
//!
//! | route                          | who                                                      |
//! |--------------------------------|----------------------------------------------------------|
//! | `POST /v1/cases/{id}/survey`   | the case's customer: once, within the policy's window    |
//!
//! A case that becomes resolved opens its survey (`domain::feedback`, applied to every
//! decision); an answer of 不满意 sends the case back to customer service's queue with its
//! reasons, in the same transaction as the answer.

use aftersales::domain::access::Action;
use aftersales::domain::feedback::{self, AnswerSurvey};
use aftersales::http::contract::{Docs, RoutesOnly};
use aftersales::http::{
    Api, ApiError, CaseView, JsonBody, Op, Principal, examples, on_case, problem,
};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::json;

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

/// The function's routes, each with its operation in the published contract.
pub fn api<D: Docs>() -> Api<AppState, D> {
    Api::new().post(
        "/v1/cases/{id}/survey",
        post(answer),
        || Op::new("answerSurvey", "Answer a resolved case's satisfaction survey")
            .tag("feedback")
            .describe("The case's customer answers once, within the policy's `feedback.survey_days` of the case's resolution: `very_satisfied`, `satisfied`, `average` or `dissatisfied` (很满意 满意 一般 不满意); below satisfied with its `reasons` (`attitude`, `skill`, `speed`). `dissatisfied` sends the case back to customer service (status `in_progress`, `reopened` with the reasons). A second answer is a 409 `survey-answered`, a late one `survey-expired`; anyone else's case is a 404.")
            .allowed(&[Action::AnswerSurvey])
            .path_param("id", "The case number", "AS2611-2012345678")
            .body::<AnswerSurvey>(true, json!({"level": "dissatisfied", "reasons": ["speed"], "comment": "Two visits to fix it."}))
            .answers::<CaseView>(200, "The case, with its survey answered", examples::case_view())
            .refuses(&[409, 422]),
    )
}

/// `POST /v1/cases/{id}/survey`.
pub async fn answer(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: body, .. }: JsonBody<AnswerSurvey>,
) -> Result<Json<CaseView>, ApiError> {
    let (app, principal, body) = (&app, &principal, &body);
    let view = on_case(
        &app.store,
        principal,
        &id,
        Action::AnswerSurvey,
        |current, _| async move {
            let (policy, _) = app.policy.get(&app.store).await?;
            let decided = feedback::answer(
                &current,
                body.clone(),
                principal.actor(),
                app.clock.now(),
                &policy.feedback,
            )?;
            Ok((decided.into(), None))
        },
    )
    .await?;
    tracing::info!(case = %id, "survey answered");
    Ok(Json(view))
}
