//! A case's work order: its steps, the technicians who fit it, the times a customer may book,
//! the customer's code, the slip; and the board's lists (open work orders, the day's sheet).

use std::collections::BTreeMap;

use aftersales::clock::random_u64;
use aftersales::domain::RuleError;
use aftersales::domain::access::Action;
use aftersales::domain::case::work::{self, WorkCommand, WorkInputs};
use aftersales::domain::case::{Case, CaseSummary, WorkOrder};
use aftersales::domain::dispatch::{self, Area, DayBookings, Offer, RepairDone, VisitNeed};
use aftersales::domain::identity::Role;
use aftersales::domain::policy::Policy;
use aftersales::domain::values::CaseId;
use aftersales::http::{
    ApiError, CaseView, JsonBody, Principal, QueryParams, on_case, page_limit, visible_case,
};
use aftersales::store::{DayBooking, Page, Paging, WorkListing};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::AppState;

fn work_of(case: &Case) -> Result<&WorkOrder, ApiError> {
    case.work
        .as_ref()
        .ok_or_else(|| RuleError::state("no-work-order", "this case has no work order").into())
}

fn need_of(w: &WorkOrder) -> VisitNeed<'_> {
    VisitNeed {
        skill: &w.skill,
        district: &w.district,
        minutes: w.expected_minutes,
        due: w.due,
    }
}

/// Each technician's visits of the day, as the suggestion rules read them, leaving out
/// `except`'s own (a visit being moved does not stand in its own way).
fn day_map(bookings: &[DayBooking], except: Option<&CaseId>) -> DayBookings {
    let mut map = DayBookings::new();
    for b in bookings.iter().filter(|b| Some(&b.case_id) != except) {
        map.entry(b.technician.clone())
            .or_default()
            .push((b.start, b.end));
    }
    map
}

fn today(app: &AppState, policy: &Policy) -> NaiveDate {
    app.clock
        .now()
        .with_timezone(&policy.time_zone())
        .date_naive()
}

/// A fresh six-digit code for the customer.
fn draw_code() -> String {
    format!("{:06}", random_u64() % 1_000_000)
}

/// `POST /v1/cases/{id}/work` with a step such as `{"action": "start"}`.
pub async fn step(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    JsonBody { value: command, .. }: JsonBody<WorkCommand>,
) -> Result<Json<CaseView>, ApiError> {
    let (app, principal, command) = (&app, &principal, &command);
    let fresh = draw_code();
    let fresh = fresh.as_str();
    let outcome = on_case(app, principal, &id, Action::ReadCase, |current, _| async move {
        // A role that may never take the step hears 403 before anything is read for it.
        principal.check(Action::Work(command.access()), None)?;
        let (policy, _) = app.policy.get(&app.store).await?;
        let now = app.clock.now();
        let mut chosen: Option<(String, String, u32)> = None;
        let mut issued: Option<String> = None;
        let mut history = Vec::new();
        match (command, current.work.as_ref()) {
            (WorkCommand::Book { start, technician }, Some(w)) => {
                if principal.role() == Role::Customer && technician.is_some() {
                    return Err(RuleError::new(
                        "customer-picks-a-time",
                        "pick one of the times offered; the technician follows from it",
                    )
                    .into());
                }
                dispatch::bookable(*start, now)?;
                let day = start.with_timezone(&policy.time_zone()).date_naive();
                let (people, bookings) = app.store.day_sheet(day).await?;
                let booked = day_map(&bookings, Some(&current.id));
                let technicians: Vec<_> = people.into_iter().map(|r| r.technician).collect();
                let need = need_of(w);
                let t = match technician {
                    Some(wanted) => {
                        let t = technicians
                            .iter()
                            .find(|t| &t.id == wanted)
                            .ok_or_else(|| RuleError::new("unknown-technician", format!("no technician {wanted}")))?;
                        let visits = booked.get(&t.id).map(Vec::as_slice).unwrap_or_default();
                        dispatch::free_at(t, visits, &need, *start, &policy)
                            .map_err(|why| RuleError::state("technician-not-free", why))?;
                        t
                    }
                    None => dispatch::pick(&technicians, &booked, &need, *start, &policy)
                        .ok_or_else(|| {
                            RuleError::state("no-technician-free", "no technician who fits is free at that time: ask for the times offered")
                        })?,
                };
                chosen = Some((t.id.clone(), t.name.clone(), t.daily_capacity));
            }
            (WorkCommand::Finish { .. }, Some(_)) => {
                issued = app.store.work_code(&current.id).await?.map(|(code, _)| code);
            }
            (WorkCommand::Inspect { passed: true, .. }, Some(_)) => {
                if let Some(serial) = current.product.serial_number.as_deref() {
                    history = app.store.repairs_of(serial).await?;
                }
            }
            _ => {}
        }
        let done: Vec<RepairDone<'_>> = history
            .iter()
            .map(|r| RepairDone {
                case_id: &r.case_id,
                serial_number: &r.serial_number,
                fault: &r.fault,
                technician: &r.technician,
                finished_at: r.finished_at,
            })
            .collect();
        let inputs = WorkInputs {
            booking_technician: chosen
                .as_ref()
                .map(|(id, name, capacity)| (id.as_str(), name.as_str(), *capacity)),
            issued_code: issued.as_deref(),
            fresh_code: Some(fresh),
            history: &done,
        };
        let decision =
            work::apply_work(&current, command.clone(), principal.actor(), now, &policy, &inputs)?;
        Ok((decision, None))
    })
    .await;
    match outcome {
        Err(ApiError::Rule(refused)) if refused.rule == "wrong-code" => {
            let refused = &refused;
            // Counted on the case (and past the policy's attempts the code is renewed), then
            // refused: guessing the customer's code is bounded.
            on_case(
                app,
                principal,
                &id,
                Action::ReadCase,
                |current, _| async move {
                    let (policy, _) = app.policy.get(&app.store).await?;
                    let decision = work::refuse_code(
                        &current,
                        principal.actor(),
                        app.clock.now(),
                        &policy,
                        fresh,
                    )
                    .ok_or_else(|| ApiError::Rule(refused.clone()))?;
                    Ok((decision, None))
                },
            )
            .await?;
            Err(ApiError::Rule(refused.clone()))
        }
        Ok(view) => {
            tracing::info!(case = %id, by = %principal.id, "work step");
            Ok(Json(view))
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DayParams {
    /// The merchant's calendar day (today unless given).
    date: Option<NaiveDate>,
}

/// A technician who fits a visit, as the dispatcher sees them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suggested {
    pub technician: String,
    pub name: String,
    /// Their earliest free start that day.
    pub start: DateTime<Utc>,
    /// Visits already booked that day.
    pub load: u32,
    pub band: Area,
}

fn day_or_today(
    app: &AppState,
    policy: &Policy,
    date: Option<NaiveDate>,
) -> Result<NaiveDate, ApiError> {
    let today = today(app, policy);
    match date {
        Some(d) if (d - today).num_days().abs() > 366 => Err(ApiError::invalid(vec![
            aftersales::domain::InvalidField::new("date", "within a year of today"),
        ])),
        Some(d) => Ok(d),
        None => Ok(today),
    }
}

/// What a question about a case's visit on a day reads: the case (if the caller may ask it
/// of this case), the policy, the day, every technician and the day's other visits.
struct VisitDay {
    case: Case,
    policy: std::sync::Arc<Policy>,
    day: NaiveDate,
    technicians: Vec<aftersales::domain::dispatch::Technician>,
    booked: DayBookings,
}

impl VisitDay {
    async fn read(
        app: &AppState,
        principal: &Principal,
        id: &str,
        action: Action,
        date: Option<NaiveDate>,
    ) -> Result<Self, ApiError> {
        let case = visible_case(&app.store, principal, id, action).await?;
        work_of(&case)?;
        let (policy, _) = app.policy.get(&app.store).await?;
        let day = day_or_today(app, &policy, date)?;
        let (people, bookings) = app.store.day_sheet(day).await?;
        Ok(Self {
            booked: day_map(&bookings, Some(&case.id)),
            technicians: people.into_iter().map(|r| r.technician).collect(),
            case,
            policy,
            day,
        })
    }

    fn need(&self) -> Result<VisitNeed<'_>, ApiError> {
        Ok(need_of(work_of(&self.case)?))
    }
}

/// `GET /v1/cases/{id}/suggestions?date=`: who fits the visit, ranked.
pub async fn suggestions(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<DayParams>,
) -> Result<Json<Vec<Suggested>>, ApiError> {
    let v = VisitDay::read(&app, &principal, &id, Action::Suggest, params.date).await?;
    let names: BTreeMap<&str, &str> = v
        .technicians
        .iter()
        .map(|t| (t.id.as_str(), t.name.as_str()))
        .collect();
    let ranked = dispatch::suggest(
        &v.technicians,
        &v.booked,
        &v.need()?,
        v.day,
        app.clock.now(),
        &v.policy,
    );
    Ok(Json(
        ranked
            .into_iter()
            .map(|s| Suggested {
                name: names
                    .get(s.technician.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                technician: s.technician,
                start: s.start,
                load: s.load,
                band: s.band,
            })
            .collect(),
    ))
}

/// `GET /v1/cases/{id}/times?date=`: the times the visit may be booked at (no names, no other
/// customer's anything: only when, and how many technicians are free then).
pub async fn times(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<DayParams>,
) -> Result<Json<Vec<Offer>>, ApiError> {
    let v = VisitDay::read(&app, &principal, &id, Action::OfferedTimes, params.date).await?;
    Ok(Json(dispatch::offers(
        &v.technicians,
        &v.booked,
        &v.need()?,
        v.day,
        app.clock.now(),
        &v.policy,
        48,
    )))
}

/// The customer's code, to read out to the technician when the work is done.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkCode {
    pub code: String,
    pub issued_at: DateTime<Utc>,
}

/// `GET /v1/cases/{id}/work/code`: the customer's own code (nobody else reads it).
pub async fn code(
    State(app): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<WorkCode>, ApiError> {
    let case = visible_case(&app.store, &principal, &id, Action::ReadWorkCode).await?;
    let w = work_of(&case)?;
    let (code, issued_at) = app
        .store
        .work_code(&case.id)
        .await?
        .filter(|_| w.board.is_some() && w.finished_at.is_none())
        .ok_or_else(|| {
            ApiError::from(RuleError::state(
                "no-code",
                "a code is shown while the technician is at work",
            ))
        })?;
    Ok(Json(WorkCode { code, issued_at }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorkParams {
    /// Staff: one technician's (a technician always gets their own).
    technician: Option<String>,
    /// Only those past their promise and not met now.
    late: Option<bool>,
    /// At most this many (20 unless given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

/// `GET /v1/work-orders`: open work orders, earliest promise first, late ones marked.
pub async fn work_orders(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<WorkParams>,
) -> Result<Json<Page<CaseSummary>>, ApiError> {
    principal.check(Action::WorkOrders, None)?;
    let technician = match (principal.role(), params.technician.as_deref()) {
        (Role::Technician, Some(other)) if other != principal.id => {
            return Err(ApiError::Forbidden(
                "a technician lists their own work orders only".into(),
            ));
        }
        (Role::Technician, _) => Some(principal.id.as_str()),
        (_, wanted) => wanted,
    };
    if technician.is_some_and(|t| t.is_empty() || t.len() > 128) {
        return Err(ApiError::invalid(vec![
            aftersales::domain::InvalidField::new("technician", "1 to 128 characters"),
        ]));
    }
    let limit = page_limit(params.limit, 20).map_err(|e| ApiError::invalid(vec![e]))?;
    let now = app.clock.now();
    let viewer = principal.caller_key();
    let page = app
        .store
        .work_orders(WorkListing {
            technician,
            late_at: params.late.unwrap_or(false).then_some(now),
            paging: Paging {
                limit,
                cursor: params.cursor.as_deref(),
                viewer: &viewer,
            },
        })
        .await?;
    Ok(Json(page.map(|mut summary| {
        if let Some(w) = summary.work.as_mut() {
            w.late = w.late_at(now);
        }
        summary
    })))
}

/// A span of time.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One technician's day on the capacity sheet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TechnicianDay {
    pub technician: String,
    pub name: String,
    /// Their working hours that day (none: not working, on leave, or a holiday).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours: Option<Window>,
    pub capacity: u32,
    pub bookings: Vec<DayBooking>,
    /// Their free time between bookings.
    pub free: Vec<Window>,
}

/// 预约能力分析表: every technician's day, free and booked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DaySheet {
    pub date: NaiveDate,
    pub technicians: Vec<TechnicianDay>,
}

/// `GET /v1/dispatch/day?date=`: the capacity sheet, from one round trip (the technicians'
/// partition and the day's, read at once).
pub async fn day(
    State(app): State<AppState>,
    principal: Principal,
    QueryParams(params): QueryParams<DayParams>,
) -> Result<Json<DaySheet>, ApiError> {
    principal.check(Action::DayBoard, None)?;
    let (policy, _) = app.policy.get(&app.store).await?;
    let date = day_or_today(&app, &policy, params.date)?;
    let (people, bookings) = app.store.day_sheet(date).await?;
    let technicians = people
        .into_iter()
        .map(|r| {
            let t = r.technician;
            let mut mine: Vec<DayBooking> = bookings
                .iter()
                .filter(|b| b.technician == t.id)
                .cloned()
                .collect();
            mine.sort_by_key(|b| b.start);
            let hours = t.working_window(date, &policy);
            let mut free = Vec::new();
            if let Some((open, close)) = hours {
                let mut at = open;
                for b in &mine {
                    if b.start > at {
                        free.push(Window {
                            start: at,
                            end: b.start.min(close),
                        });
                    }
                    at = at.max(b.end);
                }
                if at < close {
                    free.push(Window {
                        start: at,
                        end: close,
                    });
                }
            }
            TechnicianDay {
                technician: t.id.clone(),
                name: t.name.clone(),
                hours: hours.map(|(start, end)| Window { start, end }),
                capacity: t.daily_capacity,
                bookings: mine,
                free,
            }
        })
        .collect();
    Ok(Json(DaySheet { date, technicians }))
}
