//! Feedback (DOMAIN §6): what a merchant learns from every finished case.
//!
//! | route                                | who                                                    |
//! |--------------------------------------|--------------------------------------------------------|
//! | `POST /v1/cases/{id}/survey`         | the case's customer: once, within the policy's window  |
//! | `POST /v1/cases/{id}/survey/link`    | customer service: a signed one-time link to send       |
//! | `GET/POST /v1/surveys/{token}`       | whoever holds the link (no sign-in): that survey only  |
//! | `POST /v1/cases/{id}/complaint`      | customer service; a manager's complaint a manager only |
//! | `PUT /v1/cases/{id}/tags`            | customer service, reviewers, quality, managers         |
//! | `GET /v1/callbacks`, `POST /v1/cases/{id}/callback` | customer service: the callback queue (回访) |
//! | `GET /v1/reports`                    | managers, quality, dispatchers, admins                 |
//!
//! A case that becomes resolved opens its survey and schedules its callback (applied to every
//! decision); an answer of 不满意 sends the case back to customer service's queue with its
//! reasons, in the same transaction as the answer. Every write of a case adds what it changed
//! to the reports' counters in that same transaction (`domain::reports`).

pub mod callbacks;
pub mod reports;
pub mod survey;

use aftersales::domain::Refusal;
use aftersales::domain::access::Action;
use aftersales::domain::case::{Case, Event};
use aftersales::domain::feedback::{self, AnswerSurvey, ComplaintStep, TagCase};
use aftersales::domain::identity::Actor;
use aftersales::domain::policy::Policy;
use aftersales::http::contract::{Docs, RoutesOnly};
use aftersales::http::{
    Api, ApiError, CaseView, JsonBody, Op, Principal, examples, on_case, problem,
};
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
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

const CASE: (&str, &str, &str) = ("id", "The case number", "AS2611-2012345678");

/// The function's routes, each with its operation in the published contract.
pub fn api<D: Docs>() -> Api<AppState, D> {
    let (id, what, example) = CASE;
    Api::new()
        .post(
            "/v1/cases/{id}/survey",
            post(answer),
            || Op::new("answerSurvey", "Answer a resolved case's satisfaction survey")
                .tag("feedback")
                .describe("The case's customer answers once, within the policy's `feedback.survey_days` of the case's resolution: `very_satisfied`, `satisfied`, `average` or `dissatisfied` (很满意 满意 一般 不满意); below satisfied with its `reasons` (`attitude`, `skill`, `speed`). `dissatisfied` sends the case back to customer service (status `in_progress`, `reopened` with the reasons). A second answer is a 409 `survey-answered`, a late one `survey-expired`; anyone else's case is a 404.")
                .allowed(&[Action::AnswerSurvey])
                .path_param(id, what, example)
                .body::<AnswerSurvey>(true, json!({"level": "dissatisfied", "reasons": ["speed"], "comment": "Two visits to fix it."}))
                .answers::<CaseView>(200, "The case, with its survey answered", examples::case_view())
                .refuses(&[409, 422]),
        )
        .post("/v1/cases/{id}/survey/link", post(survey::link), survey::link_op)
        .get("/v1/surveys/{token}", get(survey::form), survey::form_op)
        .post("/v1/surveys/{token}", post(survey::answer_by_link), survey::answer_op)
        .post(
            "/v1/cases/{id}/complaint",
            post(complaint),
            || Op::new("handleComplaint", "A step of a complaint's handling")
                .tag("feedback")
                .describe("`answer` records the plan given to the customer (the policy's `feedback.complaint_answer_hours` after filing is the deadline the reports measure); `resolve` settles the complaint: the case is resolved (its survey opens) and, when `against` names the technician it was about, it counts against them. A consumer-association or regulator complaint is a manager's (403 for anyone else).")
                .allowed(&[Action::HandleComplaint])
                .path_param(id, what, example)
                .body::<ComplaintStep>(true, json!({"action": "resolve", "resolution": "Refunded the visit fee and apologised.", "against": "tech-li"}))
                .answers::<CaseView>(200, "The complaint as it stands", examples::case_view())
                .refuses(&[409, 422]),
        )
        .put(
            "/v1/cases/{id}/tags",
            put(tag),
            || Op::new("tagCase", "Tag a settled case: reason, defect, responsibility")
                .tag("feedback")
                .describe("Codes of the policy's `feedback.tags` vocabulary (422 for any other). Only a resolved or closed case is tagged (409 `case-open`); tagging again replaces the tags and the reports move with them.")
                .allowed(&[Action::TagCase])
                .path_param(id, what, example)
                .body::<TagCase>(true, json!({"reason": "quality_fault", "defect": "electrical", "responsibility": "manufacturer"}))
                .answers::<CaseView>(200, "The case, tagged", examples::case_view())
                .refuses(&[409, 422]),
        )
        .get("/v1/callbacks", get(callbacks::queue), callbacks::queue_op)
        .post("/v1/cases/{id}/callback", post(callbacks::record), callbacks::record_op)
        .get("/v1/reports", get(reports::read), reports::read_op)
}

/// `POST /v1/cases/{id}/survey`.
pub async fn answer(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: body, .. }: JsonBody<AnswerSurvey>,
) -> Result<Json<CaseView>, ApiError> {
    let view = survey::answer_as(&app, &principal, &id, &body).await?;
    tracing::info!(case = %id, "survey answered");
    Ok(Json(view))
}

/// A feedback step on the case `id` that reads the merchant's policy: `decide` applied to the
/// case as `principal` sees it, now, its decision written by the one pipeline (`on_case`).
pub(crate) async fn with_policy<F>(
    app: &AppState,
    principal: &Principal,
    id: &str,
    action: Action,
    decide: F,
) -> Result<CaseView, ApiError>
where
    F: Fn(&Case, Actor, DateTime<Utc>, &Policy) -> Result<(Case, Vec<Event>), Refusal>,
{
    let decide = &decide;
    on_case(app, principal, id, action, |current, _| async move {
        let (policy, _) = app.policy.get(&app.store).await?;
        let decided = decide(&current, principal.actor(), app.clock.now(), &policy)?;
        Ok((decided.into(), None))
    })
    .await
}

/// `POST /v1/cases/{id}/complaint`.
pub async fn complaint(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: step, .. }: JsonBody<ComplaintStep>,
) -> Result<Json<CaseView>, ApiError> {
    let (app, principal, step) = (&app, &principal, &step);
    let view = on_case(
        app,
        principal,
        &id,
        Action::HandleComplaint,
        |current, _| async move {
            let decided = feedback::handle_complaint(
                &current,
                step.clone(),
                principal.actor(),
                app.clock.now(),
            )?;
            Ok((decided.into(), None))
        },
    )
    .await?;
    Ok(Json(view))
}

/// `PUT /v1/cases/{id}/tags`.
pub async fn tag(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: body, .. }: JsonBody<TagCase>,
) -> Result<Json<CaseView>, ApiError> {
    let view = with_policy(
        &app,
        &principal,
        &id,
        Action::TagCase,
        |case, actor, now, policy| feedback::tag(case, body.clone(), actor, now, &policy.feedback),
    )
    .await?;
    Ok(Json(view))
}
