//! The case endpoints: file, list, read, add evidence, cancel.

use aftersales::clock::random_u64;
use aftersales::domain::access::{self, Action, Wanted};
use aftersales::domain::case::{self, CaseSummary, Channel, Held, History, NewCase};
use aftersales::domain::feedback;
use aftersales::domain::identity::Role;
use aftersales::domain::order::Order;
use aftersales::domain::values::{
    CaseId, CustomerId, Email, IdempotencyKey, date_out_of_range, sane_time,
};
use aftersales::domain::{InvalidField, RuleError};
use aftersales::http::{ApiError, CaseView, JsonBody, Principal, QueryParams, page_limit};
use aftersales::store::{
    CaseQuery, CreateError, Filing, IdempotencyRecord, OrderRecord, Page, StoreError,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
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
        value: request,
        raw,
    }: JsonBody<NewCase>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let caller = principal.caller_key();
    let hash = fingerprint("POST", "/v1/cases", &raw);
    let now = app.clock.now();

    let actor = principal.actor();
    let customer = case::filing_customer(&actor, request.customer_id.as_ref())?;
    let (policy, _) = app.policy.get(&app.store).await?;
    let channel = if principal.role() == Role::Customer {
        Channel::App
    } else {
        Channel::Hotline
    };
    let day = case::merchant_date(now, &policy);
    // A lost race on the customer's units of the day or on what the order has left is
    // decided again on what is there now.
    let filed = retry_on_conflict(|| async {
        let mut command = request.clone();
        // What the filing decides on, read in one round: the key's earlier use, the order,
        // the customer's units of the day.
        let (earlier_use, order, day_units, about) = app
            .store
            .together(|store| {
                let app = AppState {
                    store,
                    ..app.clone()
                };
                let (key, caller, customer, principal) = (&key, &caller, &customer, &principal);
                let command = &mut command;
                let policy = &policy;
                async move {
                    let units = command.return_terms.is_some();
                    let about = command.about_case.clone();
                    tokio::join!(
                        async {
                            match key {
                                Some(key) => {
                                    app.store
                                        .idempotency_record(caller, key.as_str(), now)
                                        .await
                                }
                                None => Ok(None),
                            }
                        },
                        with_order_as_proof(&app, principal, command, policy),
                        async {
                            match units {
                                true => app.store.day_units(customer, day).await.map(Some),
                                false => Ok(None),
                            }
                        },
                        async {
                            match &about {
                                Some(id) => app.store.case(id).await,
                                None => Ok(None),
                            }
                        }
                    )
                }
            })
            .await;
        if let Some(record) = earlier_use? {
            return replay(&app, &record, &hash).await;
        }
        let (order, day_units) = (order?, day_units?);
        // A complaint about a case names one the caller may see (anyone else's: 404).
        let about = match (&request.about_case, about?) {
            (Some(_), Some(case)) => {
                principal.check_case(Action::ReadCase, &case)?;
                if case.customer_id != customer {
                    return Err(ApiError::invalid(vec![InvalidField::new(
                        "about_case",
                        "a complaint is about a case of the same customer",
                    )]));
                }
                Some(case)
            }
            (Some(id), None) => return Err(not_found(id.as_str())),
            (None, _) => None,
        };
        let earlier = day_units.as_ref().map(|(u, _)| u.clone()).unwrap_or_default();
        let history = History {
            earlier: &earlier,
            held: order.as_ref().map(|(order, record)| Held {
                order,
                left_minor: record.left_minor(),
                claimed_units: &record.claims.units,
            }),
        };
        let (mut new_case, events) = case::file(
            CaseId::draw(day, random_u64()),
            command,
            actor.clone(),
            channel,
            history,
            now,
            &policy,
        )?;
        if principal.role() == Role::Customer {
            new_case.customer_email = principal.verified_email.clone();
        }
        let reopened = about
            .as_ref()
            .and_then(|about| feedback::complaint_about(&mut new_case, about, actor.clone(), now));

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
        let units_after = new_case.returns.as_ref().map(|f| earlier.with(&f.terms));
        let filing = Filing {
            idempotency: record.as_ref(),
            open_cases_limit: Some(policy.max_open_cases_per_order_line),
            day_units: units_after
                .as_ref()
                .zip(day_units.as_ref())
                .map(|(units, (_, version))| (day, units, *version)),
            claims_read: order.as_ref().map(|(_, record)| &record.claims),
            reopens: about
                .as_ref()
                .zip(reopened.as_ref())
                .map(|(before, (after, events))| (before, after, events.as_slice())),
        };
        match app.store.create_case(&new_case, &events, filing, now).await {
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
            // The number drawn was taken: draw again.
            Err(CreateError::NumberTaken) => Err(StoreError::Conflict.into()),
            Err(CreateError::TooManyOpenCases) => Err(RuleError::new(
                "too-many-open-cases",
                format!(
                    "a line of this order already has {} open cases; follow them up, or cancel one first",
                    policy.max_open_cases_per_order_line
                ),
            )
            .into()),
            // A concurrent request with the same key came first: answered below.
            Err(CreateError::IdempotencyKeyTaken) if key.is_some() => Err(ApiError::Conflict(
                "a request with this Idempotency-Key is in flight; retry".into(),
            )),
            Err(CreateError::IdempotencyKeyTaken) => Err(ApiError::Internal(
                "an idempotency conflict on a request without a key".into(),
            )),
            Err(CreateError::Store(StoreError::Conflict)) => Err(ApiError::Conflict(
                "a concurrent request changed the same records; retry".into(),
            )),
            Err(CreateError::Store(e)) => Err(e.into()),
        }
    })
    .await;
    // A retry that lost to its twin with the same key (the twin's claim is what refused it, or
    // the twin's transaction came first) answers what the twin filed.
    match (&key, filed) {
        (Some(key), Err(refused @ (ApiError::Rule(_) | ApiError::Conflict(_)))) => {
            match app
                .store
                .idempotency_record(&caller, key.as_str(), now)
                .await?
            {
                Some(record) => replay(&app, &record, &hash).await,
                None => Err(refused),
            }
        }
        (_, filed) => filed,
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
) -> Result<Option<(Order, OrderRecord)>, ApiError> {
    let Some(order_ref) = command.order.as_mut() else {
        return Ok(None);
    };
    let Some(storefront) = order_ref.storefront.clone() else {
        return Ok(None);
    };
    let order_id = order_ref.order_id.as_str().to_owned();
    let (order, record) =
        aftersales::http::orders::visible_order(&app.store, principal, &storefront, &order_id)
            .await?;
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
    if let Some(unknown) = order_ref
        .line_ids
        .iter()
        .find(|id| order.line(id).is_none())
    {
        return Err(RuleError::new(
            "unknown-order-line",
            format!("order {storefront}/{order_id} has no line {unknown}"),
        )
        .into());
    }
    // The case concerns the line it takes its purchase from: it counts against that line.
    if order_ref.line_ids.is_empty() {
        order_ref.line_ids.push(line.line_id.clone());
    }
    // The order is the proof of purchase: its dates stand, whatever the request says (the
    // exclusions a request names, which only take away, are kept).
    let mut purchase = order.purchase_of(line, policy);
    if let Some(given) = command.purchase.take() {
        purchase.exclusions = given.exclusions;
    }
    command.purchase = Some(purchase);
    let product = &mut command.product;
    product.sku = product.sku.take().or_else(|| line.sku.clone());
    product.model = product.model.take().or_else(|| Some(line.title.clone()));
    product.serial_number = product
        .serial_number
        .take()
        .or_else(|| line.serial_numbers.first().cloned());
    Ok(Some((order, record)))
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
    let (case, timeline) = app
        .store
        .case_with_timeline(&case_id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    principal.check_case(Action::ReadCase, &case)?;
    Ok(Json(CaseView { case, timeline }.shown_to(principal.role())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Staff: only cases in this status. An open status (`submitted`, `in_progress`,
    /// `awaiting_customer`) is a queue: earliest deadline first (a return's next deadline, else
    /// a work order's promise, else the first answer due). Every other listing: newest first.
    #[param(value_type = Option<case::CaseStatus>)]
    status: Option<String>,
    /// Staff: only cases of this type.
    #[serde(rename = "type")]
    #[param(value_type = Option<case::CaseType>)]
    case_type: Option<String>,
    /// Staff: only the cases this role handles beyond customer service (`manager`: complaints
    /// from consumer associations and regulators).
    handler: Option<aftersales::domain::identity::Role>,
    /// Staff: one customer's cases.
    customer_id: Option<CustomerId>,
    /// Staff: the cases of a storefront customer known by e-mail.
    #[param(value_type = Option<String>, format = Email)]
    email: Option<Email>,
    /// Filed at or after.
    from: Option<DateTime<Utc>>,
    /// Filed before.
    to: Option<DateTime<Utc>>,
    /// At most this many (20 unless given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

/// `GET /v1/cases`: a customer's own cases, or for staff the queue (by deadline for an open
/// status).
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
    let limit = page_limit(params.limit, 20)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    for (name, at) in [("from", params.from), ("to", params.to)] {
        if at.is_some_and(|t| !sane_time(t)) {
            errors.push(date_out_of_range(name));
        }
    }
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from >= to
    {
        errors.push(InvalidField::new("from", "must be before 'to'"));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let scope = access::list_scope(
        &principal.caller(),
        Action::ListCases,
        Wanted {
            customer_id: params.customer_id.as_ref().map(CustomerId::as_str),
            email: params.email.as_ref().map(Email::as_str),
        },
    )?;
    let query = CaseQuery {
        scope,
        viewer: principal.caller_key(),
        status,
        case_type,
        handler: params.handler,
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
