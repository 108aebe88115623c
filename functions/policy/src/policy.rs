//! `GET/PUT /v1/policy`: the merchant's periods, deadlines and thresholds, changed without a
//! code change. Optimistic: a PUT names the version it replaces in `If-Match`.

use aftersales::domain::access::Action;
use aftersales::domain::policy::Policy;
use aftersales::http::{ApiError, JsonBody, Principal};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Serialize;

use crate::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    /// 0 while the defaults of DOMAIN.md are in force.
    version: u64,
    policy: Policy,
}

pub async fn read(
    State(app): State<AppState>,
    principal: Principal,
) -> Result<Json<PolicyView>, ApiError> {
    principal.check(Action::ReadPolicy, None)?;
    let (policy, version) = app.policy.get(&app.store).await?;
    Ok(Json(PolicyView {
        version,
        policy: (*policy).clone(),
    }))
}

pub async fn replace(
    State(app): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<JsonBody<Policy>, ApiError>,
) -> Result<Json<PolicyView>, ApiError> {
    // Who may comes first: a caller who may not change the policy hears 403 whatever it sent.
    principal.check(Action::ReplacePolicy, None)?;
    let policy = body?.value;
    policy.validate().map_err(ApiError::invalid)?;
    let expected = match headers.get(header::IF_MATCH) {
        Some(v) => v
            .to_str()
            .ok()
            .map(|s| s.trim().trim_matches('"'))
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| {
                ApiError::bad_request("If-Match must be the policy's version, e.g. \"3\"")
            })?,
        None => {
            return Err(ApiError::bad_request(
                "send If-Match with the version you read (GET /v1/policy), so that two admins cannot overwrite each other",
            ));
        }
    };
    let version = app
        .policy
        .replace(&app.store, policy.clone(), expected)
        .await?;
    tracing::info!(version, by = %principal.id, "policy replaced");
    Ok(Json(PolicyView { version, policy }))
}
