//! Technicians and their special tools, as the dispatcher and the admin keep them, and what is
//! counted against them (late visits, repeat repairs) and against each product.

use std::collections::{BTreeMap, BTreeSet};

use aftersales::domain::access::Action;
use aftersales::domain::dispatch::{Area, Technician};
use aftersales::domain::values::bounded_text;
use aftersales::domain::{InvalidField, RuleError};
use aftersales::http::{ApiError, JsonBody, Principal};
use aftersales::store::{ProductStats, StoreError, TechnicianRecord, Tool, ToolError};
use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::AppState;

/// `GET /v1/technicians`: every technician with their counters.
pub async fn list(
    State(app): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<TechnicianRecord>>, ApiError> {
    principal.check(Action::ReadTechnicians, None)?;
    Ok(Json(app.store.technicians().await?))
}

/// The body of `PUT /v1/technicians/{id}`: the technician's id is the path's (their sign-in
/// subject).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TechnicianBody {
    pub name: String,
    pub skills: BTreeSet<String>,
    pub districts: BTreeMap<String, Area>,
    /// Monday first: `[start, end]` in minutes of the merchant's day, or null.
    pub hours: [Option<(u16, u16)>; 7],
    pub daily_capacity: u32,
    #[serde(default)]
    pub leave: BTreeSet<NaiveDate>,
    /// The version read (0 or absent: a new technician); a stale one is refused.
    #[serde(default)]
    pub version: u64,
}

/// `PUT /v1/technicians/{id}`: adds or changes a technician.
pub async fn put(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: body, .. }: JsonBody<TechnicianBody>,
) -> Result<Json<TechnicianRecord>, ApiError> {
    principal.check(Action::ManageTechnicians, None)?;
    let name = bounded_text("name", &body.name, 100).map_err(|e| ApiError::invalid(vec![e]))?;
    let technician = Technician {
        id: id.trim().to_owned(),
        name,
        skills: body.skills,
        districts: body.districts,
        hours: body.hours,
        daily_capacity: body.daily_capacity,
        leave: body.leave,
    };
    let mut errors = technician.validate();
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        errors.push(InvalidField::new("id", "letters, digits and - _ . @ only"));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let version = match app.store.put_technician(&technician, body.version).await {
        Err(StoreError::Conflict) => {
            return Err(RuleError::state(
                "stale-version",
                "the technician was changed (or added) meanwhile: read them again",
            )
            .into());
        }
        other => other?,
    };
    tracing::info!(technician = %technician.id, by = %principal.id, "technician saved");
    Ok(Json(TechnicianRecord {
        technician,
        version,
        stats: Default::default(),
    }))
}

/// `GET /v1/tools`.
pub async fn tools(
    State(app): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<Tool>>, ApiError> {
    principal.check(Action::ReadTechnicians, None)?;
    Ok(Json(app.store.tools().await?))
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTool {
    pub name: String,
}

fn valid_tool_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A new tool's code: a malformed one is the request's fault (400).
fn new_tool_code(code: &str) -> Result<&str, ApiError> {
    if !valid_tool_code(code) {
        return Err(ApiError::invalid(vec![InvalidField::new(
            "code",
            "1 to 40 letters, digits, dashes or underscores",
        )]));
    }
    Ok(code)
}

/// An existing tool's code: one that cannot exist is not found (404), as a case number.
fn tool_code(code: &str) -> Result<&str, ApiError> {
    if !valid_tool_code(code) {
        return Err(ApiError::NotFound("no such tool".into()));
    }
    Ok(code)
}

/// `PUT /v1/tools/{code}`: registers a special tool.
pub async fn add_tool(
    State(app): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
    JsonBody { value: body, .. }: JsonBody<NewTool>,
) -> Result<(axum::http::StatusCode, Json<Tool>), ApiError> {
    principal.check(Action::ManageTechnicians, None)?;
    let code = new_tool_code(&code)?;
    let name = bounded_text("name", &body.name, 100).map_err(|e| ApiError::invalid(vec![e]))?;
    if name.is_empty() {
        return Err(ApiError::invalid(vec![InvalidField::new(
            "name",
            "must not be empty",
        )]));
    }
    match app.store.add_tool(code, &name).await {
        Ok(tool) => Ok((axum::http::StatusCode::CREATED, Json(tool))),
        Err(StoreError::Conflict) => {
            Err(RuleError::state("tool-exists", "a tool with this code exists").into())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lend {
    /// The technician who takes it.
    pub technician: String,
}

fn tool_answer(result: Result<Tool, ToolError>) -> Result<Json<Tool>, ApiError> {
    match result {
        Ok(tool) => Ok(Json(tool)),
        Err(ToolError::NotFound) => Err(ApiError::NotFound("no such tool".into())),
        Err(ToolError::NotAvailable) => Err(RuleError::state(
            "tool-not-available",
            "the tool is lent already (or, to give it back, not lent)",
        )
        .into()),
        Err(ToolError::Store(e)) => Err(e.into()),
    }
}

/// `POST /v1/tools/{code}/lend`: 专用工具借用, never to two at once.
pub async fn lend(
    State(app): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
    JsonBody { value: body, .. }: JsonBody<Lend>,
) -> Result<Json<Tool>, ApiError> {
    principal.check(Action::LendTools, None)?;
    let code = tool_code(&code)?;
    let technician = body.technician.trim();
    if technician.is_empty() || technician.len() > 128 {
        return Err(ApiError::invalid(vec![InvalidField::new(
            "technician",
            "1 to 128 characters",
        )]));
    }
    let known = app
        .store
        .technicians()
        .await?
        .iter()
        .any(|t| t.technician.id == technician);
    if !known {
        return Err(
            RuleError::new("unknown-technician", format!("no technician {technician}")).into(),
        );
    }
    tool_answer(
        app.store
            .lend_tool(code, Some(technician), app.clock.now())
            .await,
    )
}

/// `POST /v1/tools/{code}/return`: the tool is back.
pub async fn give_back(
    State(app): State<AppState>,
    principal: Principal,
    Path(code): Path<String>,
) -> Result<Json<Tool>, ApiError> {
    principal.check(Action::LendTools, None)?;
    let code = tool_code(&code)?;
    tool_answer(app.store.lend_tool(code, None, app.clock.now()).await)
}

/// What dispatch counts: per technician (repairs, late visits, repeats of their repairs) and
/// per product (repairs, repeats).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DispatchReport {
    pub technicians: Vec<TechnicianRecord>,
    pub products: Vec<ProductStats>,
}

/// `GET /v1/dispatch/report`: the counters, kept as the events happened (never a scan).
pub async fn report(
    State(app): State<AppState>,
    principal: Principal,
) -> Result<Json<DispatchReport>, ApiError> {
    principal.check(Action::DispatchReport, None)?;
    let (technicians, products) = app
        .store
        .together(
            |round| async move { futures::try_join!(round.technicians(), round.product_stats()) },
        )
        .await?;
    Ok(Json(DispatchReport {
        technicians,
        products,
    }))
}
