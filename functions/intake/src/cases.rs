//! The case endpoints: file, list, read, add evidence, cancel.

use aftersales::domain::case::{self, Case, CaseSummary, Channel, Event, Evidence, NewCase};
use aftersales::domain::identity::Role;
use aftersales::domain::values::{CaseId, CustomerId, IdempotencyKey};
use aftersales::domain::{InvalidField, RuleError};
use aftersales::http::{ApiError, CaseView, JsonBody, OptionalJsonBody, Principal, QueryParams};
use aftersales::store::{CaseQuery, CreateError, IdempotencyRecord, Page, StoreError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{AppState, retry_on_conflict};

fn created(view: CaseView, replayed: bool) -> Response {
    let location = format!("/v1/cases/{}", view.case.id);
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no case {id}"))
}

fn parse_case_id(raw: &str) -> Result<CaseId, ApiError> {
    CaseId::parse(raw).map_err(|_| not_found(raw))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    headers
        .get("idempotency-key")
        .map(|v| {
            let raw = v.to_str().map_err(|_| {
                ApiError::invalid(vec![InvalidField::new("Idempotency-Key", "must be ASCII")])
            })?;
            IdempotencyKey::parse(raw)
                .map_err(|e| ApiError::invalid(vec![InvalidField::new("Idempotency-Key", e)]))
        })
        .transpose()
}

fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `POST /v1/cases`
pub async fn file(
    State(app): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    JsonBody {
        value: mut command,
        raw,
    }: JsonBody<NewCase>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let caller = principal.caller_key();
    let hash = fingerprint("POST", "/v1/cases", &raw);
    let now = app.clock.now();

    if let Some(key) = &key
        && let Some(record) = app
            .store
            .idempotency_record(&caller, key.as_str(), now)
            .await?
    {
        return replay(&app, &record, &hash).await;
    }

    let (policy, _) = app.policy.get(&app.store).await?;
    let order_link = with_order_as_proof(&app, &principal, &mut command, &policy).await?;
    let channel = if principal.is_staff() {
        Channel::Hotline
    } else {
        Channel::App
    };
    let month = case::merchant_date(now, &policy);
    // Decide first with a provisional number, so that a refused request draws no number.
    let provisional = CaseId::new(month.year(), month.month(), 0);
    let (mut new_case, events) = case::file(
        provisional,
        command,
        principal.actor(),
        channel,
        now,
        &policy,
    )?;
    if principal.role() == Role::Customer {
        new_case.customer_email = principal.verified_email.clone();
    }
    let sequence = app
        .store
        .next_case_sequence(month.year(), month.month())
        .await?;
    new_case.id = CaseId::new(month.year(), month.month(), sequence);

    let record = key.as_ref().map(|key| {
        IdempotencyRecord::new(
            &caller,
            key.as_str(),
            hash.clone(),
            new_case.id.clone(),
            now,
            policy.idempotency_ttl_hours,
        )
    });
    let link = order_link.as_ref().map(|(s, o)| (s.as_str(), o.as_str()));
    match app
        .store
        .create_case(&new_case, &events, record.as_ref(), link, now)
        .await
    {
        Ok(()) => {
            tracing::info!(case = %new_case.id, case_type = new_case.case_type.as_str(), "case filed");
            Ok(created(
                CaseView {
                    case: new_case,
                    timeline: events,
                },
                false,
            ))
        }
        // A concurrent request with the same key won (its condition or its transaction came
        // first): answer what it created.
        Err(CreateError::IdempotencyKeyTaken | CreateError::Store(StoreError::Conflict))
            if key.is_some() =>
        {
            let key = key.as_ref().map(IdempotencyKey::as_str).unwrap_or_default();
            match app.store.idempotency_record(&caller, key, now).await? {
                Some(record) => replay(&app, &record, &hash).await,
                None => Err(ApiError::Conflict(
                    "a request with this Idempotency-Key is in flight; retry".into(),
                )),
            }
        }
        Err(CreateError::IdempotencyKeyTaken) => Err(ApiError::Internal(
            "an idempotency conflict on a request without a key".into(),
        )),
        Err(CreateError::Store(e)) => Err(e.into()),
    }
}

/// A case that names a storefront order we hold takes its proof of purchase from it: the
/// order must be the caller's (404 otherwise), and the first named line (or the order's first)
/// gives the purchase and the product. Returns the order to link the case to.
async fn with_order_as_proof(
    app: &AppState,
    principal: &Principal,
    command: &mut NewCase,
    policy: &aftersales::domain::policy::Policy,
) -> Result<Option<(String, String)>, ApiError> {
    let Some(order_ref) = command.order.as_ref() else {
        return Ok(None);
    };
    let Some(storefront) = order_ref.storefront.clone() else {
        return Ok(None);
    };
    let order_id = order_ref.order_id.as_str().to_owned();
    let (order, _) = crate::orders::visible_order(app, principal, &storefront, &order_id).await?;
    let line = match order_ref.line_ids.first() {
        Some(id) => order.line(id).ok_or_else(|| {
            RuleError::new(
                "unknown-order-line",
                format!("order {storefront}/{order_id} has no line {id}"),
            )
        })?,
        None => order
            .lines
            .first()
            .ok_or_else(|| RuleError::new("unknown-order-line", "the order has no lines"))?,
    };
    if command.purchase.is_none() {
        command.purchase = Some(order.purchase_of(line, policy));
    }
    let product = &mut command.product;
    product.sku = product.sku.take().or_else(|| line.sku.clone());
    product.model = product.model.take().or_else(|| Some(line.title.clone()));
    product.serial_number = product
        .serial_number
        .take()
        .or_else(|| line.serial_numbers.first().cloned());
    Ok(Some((storefront, order_id)))
}

async fn replay(
    app: &AppState,
    record: &IdempotencyRecord,
    hash: &str,
) -> Result<Response, ApiError> {
    if record.request_hash != hash {
        return Err(RuleError::new(
            "idempotency-key-reused",
            "this Idempotency-Key was used with a different request; use a new key for a new request",
        )
        .into());
    }
    let (case, timeline) = app
        .store
        .case_with_timeline(&record.case_id)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(format!(
                "idempotency record points at missing case {}",
                record.case_id
            ))
        })?;
    Ok(created(CaseView { case, timeline }, true))
}

/// `GET /v1/cases/{id}`
pub async fn read(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let case_id = parse_case_id(&id)?;
    match app.store.case_with_timeline(&case_id).await? {
        Some((case, timeline)) if principal.can_see(&case) => Ok(Json(CaseView { case, timeline })),
        _ => Err(not_found(&id)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    status: Option<String>,
    #[serde(rename = "type")]
    case_type: Option<String>,
    customer_id: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /v1/cases`: a customer's own cases, or for staff the queue.
pub async fn list(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Json<Page<CaseSummary>>, ApiError> {
    let mut errors = Vec::new();
    let status = parse_filter(
        &mut errors,
        "status",
        params.status.as_deref(),
        case::CaseStatus::parse,
    );
    let case_type = parse_filter(
        &mut errors,
        "type",
        params.case_type.as_deref(),
        case::CaseType::parse,
    );
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        errors.push(InvalidField::new("limit", "must be 1 to 100"));
    }
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from >= to
    {
        errors.push(InvalidField::new("from", "must be before 'to'"));
    }
    let mut email = None;
    let customer = match (principal.role(), params.customer_id) {
        (Role::Customer, Some(other)) if other != principal.customer_key() => {
            return Err(ApiError::Forbidden(
                "a customer lists their own cases only".into(),
            ));
        }
        // Linked to a storefront account: everything under it. Else a verified e-mail finds
        // the storefront's records and the app's alike. Else the subject's own cases.
        (Role::Customer, _)
            if principal.storefront_customer.is_none() && principal.verified_email.is_some() =>
        {
            email = principal.verified_email.clone();
            None
        }
        (Role::Customer, _) => Some(principal.customer_key()),
        (Role::Technician, _) => {
            return Err(ApiError::Forbidden(
                "technicians see their work orders, not the case queue".into(),
            ));
        }
        (_, other) => other,
    };
    let customer = customer
        .map(CustomerId::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(vec![InvalidField::new("customer_id", e)]))?;
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let query = CaseQuery {
        customer,
        email,
        status,
        case_type,
        from: params.from,
        to: params.to,
        limit,
        cursor: params.cursor,
    };
    Ok(Json(app.store.list_cases(&query).await?))
}

/// A named filter value, or an entry in `errors` saying it is not one of the known values.
fn parse_filter<T>(
    errors: &mut Vec<InvalidField>,
    name: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = raw?;
    let parsed = parse(raw);
    if parsed.is_none() {
        errors.push(InvalidField::new(name, format!("unknown {name} '{raw}'")));
    }
    parsed
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddEvidence {
    evidence: Vec<Evidence>,
}

/// `POST /v1/cases/{id}/evidence`
pub async fn add_evidence(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: JsonBody<AddEvidence>,
) -> Result<Json<CaseView>, ApiError> {
    let evidence = body.value.evidence;
    change(&app, &principal, &id, |case, now| {
        case::add_evidence(case, principal.actor(), evidence.clone(), now)
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    reason: Option<String>,
}

/// `POST /v1/cases/{id}/cancel`; the body (`{"reason": ...}`) is optional.
pub async fn cancel(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<Cancel>,
) -> Result<Json<CaseView>, ApiError> {
    change(&app, &principal, &id, |case, now| {
        case::cancel(case, principal.actor(), body.reason.clone(), now)
    })
    .await
}

/// Load, decide, write with the version condition; again on a lost race.
async fn change<F>(
    app: &AppState,
    principal: &Principal,
    id: &str,
    decide: F,
) -> Result<Json<CaseView>, ApiError>
where
    F: Fn(&Case, DateTime<Utc>) -> Result<(Case, Vec<Event>), case::Refusal>,
{
    let case_id = parse_case_id(id)?;
    // One read of the case with its timeline, one transaction; the answer is what was written.
    let view = retry_on_conflict(|| async {
        let (current, mut timeline) = app
            .store
            .case_with_timeline(&case_id)
            .await?
            .filter(|(c, _)| principal.can_see(c))
            .ok_or_else(|| not_found(id))?;
        let (next, events) = decide(&current, app.clock.now())?;
        app.store
            .update_case(&next, current.version, &events)
            .await?;
        timeline.extend(events);
        Ok(CaseView {
            case: next,
            timeline,
        })
    })
    .await?;
    Ok(Json(view))
}
