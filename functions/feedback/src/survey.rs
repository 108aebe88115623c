//! The survey answered in the app, or through a signed one-time link (for SMS or e-mail).
//!
//! A link's token is the case number and the survey's opening instant, sealed with the
//! table's cursor key (XChaCha20-Poly1305): its holder can neither read nor change it, and it
//! names one survey. It works while that survey is open and unanswered: the answer itself is
//! the once (a second is a 409), the policy's window the expiry (a 409 `survey-expired`), and
//! a token forged, changed, or for a survey that is not there is a 404.

use aftersales::domain::access::Action;
use aftersales::domain::case::Case;
use aftersales::domain::feedback::{self, AnswerSurvey};
use aftersales::domain::identity::Role;
use aftersales::domain::values::CaseId;
use aftersales::http::{ApiError, CaseView, JsonBody, Op, Principal, visible_case};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::AppState;

/// What the token seals.
#[derive(Serialize, Deserialize)]
struct Sealed {
    c: CaseId,
    o: DateTime<Utc>,
}

const CONTEXT: &str = "survey-link";

/// A link to send.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyLink {
    pub token: String,
    /// The API path the customer's page calls (`GET` the form, `POST` the answer).
    pub path: String,
    pub expires_at: DateTime<Utc>,
}

/// What a link's holder sees of the survey: nothing of the case beyond what it is about.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyForm {
    pub case_id: CaseId,
    /// The product, as the case names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    pub resolved_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub answered: bool,
}

fn expiry(opened_at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    opened_at
        .checked_add_signed(Duration::days(i64::from(days)))
        .unwrap_or(opened_at)
}

pub fn link_op() -> Op {
    Op::new("surveyLink", "A signed one-time link to a resolved case's survey")
        .tag("feedback")
        .describe("For customer service to send by SMS or e-mail: whoever holds it answers that survey alone, once, until the policy's `feedback.survey_days` after the resolution, without signing in. A case without a survey is a 409 `no-survey`; an answered one `survey-answered`.")
        .allowed(&[Action::SurveyLink])
        .path_param("id", "The case number", "AS2611-2012345678")
        .answers::<SurveyLink>(200, "The link", json!({"token": "q3V0…", "path": "/v1/surveys/q3V0…", "expires_at": "2026-12-05T02:00:00Z"}))
        .refuses(&[409])
}

/// `POST /v1/cases/{id}/survey/link`.
pub async fn link(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<SurveyLink>, ApiError> {
    let case = visible_case(&app.store, &principal, &id, Action::SurveyLink).await?;
    let survey = feedback::open_survey(&case).map_err(ApiError::Rule)?;
    let (policy, _) = app.policy.get(&app.store).await?;
    let token = app
        .store
        .seal_token(
            CONTEXT,
            &Sealed {
                c: case.id.clone(),
                o: survey.opened_at,
            },
        )
        .ok_or_else(|| ApiError::Internal("the survey link could not be sealed".into()))?;
    tracing::info!(case = %case.id, by = %principal.id, "survey link made");
    Ok(Json(SurveyLink {
        path: format!("/v1/surveys/{token}"),
        token,
        expires_at: expiry(survey.opened_at, policy.feedback.survey_days),
    }))
}

/// The case a token names, while its survey is the one sealed: else 404.
async fn case_of(app: &AppState, token: &str) -> Result<Case, ApiError> {
    let not_found = || ApiError::NotFound("no such survey".into());
    let sealed: Sealed = app.store.open_token(CONTEXT, token).ok_or_else(not_found)?;
    let case = app.store.case(&sealed.c).await?.ok_or_else(not_found)?;
    match &case.survey {
        Some(s) if s.opened_at == sealed.o => Ok(case),
        _ => Err(not_found()),
    }
}

async fn form_of(app: &AppState, case: &Case) -> Result<SurveyForm, ApiError> {
    let (policy, _) = app.policy.get(&app.store).await?;
    let survey = case
        .survey
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("no such survey".into()))?;
    Ok(SurveyForm {
        case_id: case.id.clone(),
        product: case.product.model.clone().or(case.product.sku.clone()),
        resolved_at: survey.opened_at,
        expires_at: expiry(survey.opened_at, policy.feedback.survey_days),
        answered: survey.answer.is_some(),
    })
}

fn form_example() -> serde_json::Value {
    json!({"case_id": "AS2611-2012345678", "product": "Air purifier AP-300", "resolved_at": "2026-11-21T02:00:00Z", "expires_at": "2026-12-05T02:00:00Z", "answered": false})
}

pub fn form_op() -> Op {
    Op::new("surveyForm", "The survey a link names")
        .tag("feedback")
        .describe(
            "No sign-in: the token is the credential. A forged, changed or stale token is a 404.",
        )
        .public()
        .path_param("token", "The link's token", "q3V0")
        .answers::<SurveyForm>(200, "The survey", form_example())
}

/// `GET /v1/surveys/{token}`.
pub async fn form(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<SurveyForm>, ApiError> {
    let case = case_of(&app, &token).await?;
    Ok(Json(form_of(&app, &case).await?))
}

pub fn answer_op() -> Op {
    Op::new("answerSurveyByLink", "Answer the survey a link names")
        .tag("feedback")
        .describe("As `answerSurvey`, for whoever holds the link: once (a second answer is a 409 `survey-answered`), within the window (409 `survey-expired`). The answer is recorded as the case's customer's.")
        .public()
        .path_param("token", "The link's token", "q3V0")
        .body::<AnswerSurvey>(true, json!({"level": "satisfied"}))
        .answers::<SurveyForm>(200, "The survey, answered", form_example())
        .refuses(&[409, 422])
}

/// `POST /v1/surveys/{token}`.
pub async fn answer_by_link(
    State(app): State<AppState>,
    Path(token): Path<String>,
    JsonBody { value: body, .. }: JsonBody<AnswerSurvey>,
) -> Result<Json<SurveyForm>, ApiError> {
    let case = case_of(&app, &token).await?;
    // The link stands for the case's customer, and for nothing else.
    let customer = Principal {
        id: case.customer_id.as_str().to_owned(),
        roles: Default::default(),
        name: None,
        verified_email: None,
        storefront_customer: Some(case.customer_id.clone()),
    };
    debug_assert_eq!(customer.role(), Role::Customer);
    let view = answer_as(&app, &customer, case.id.as_str(), &body).await?;
    tracing::info!(case = %case.id, "survey answered by link");
    Ok(Json(form_of(&app, &view.case).await?))
}

/// The customer's answer, however it came.
pub async fn answer_as(
    app: &AppState,
    principal: &Principal,
    id: &str,
    body: &AnswerSurvey,
) -> Result<CaseView, ApiError> {
    crate::with_policy(
        app,
        principal,
        id,
        Action::AnswerSurvey,
        |case, actor, now, policy| {
            feedback::answer(case, body.clone(), actor, now, &policy.feedback)
        },
    )
    .await
}
