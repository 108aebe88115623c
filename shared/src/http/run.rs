//! The one path of a command on an existing case, for every route (and the timers) that change
//! one: load the case with its timeline (one read), check that the caller may see it, decide,
//! write the decision in one transaction conditioned on the version read, and answer what was
//! written; on a lost race, all of it again on what is there now ([`crate::retry::on_lost_race`]).

use std::future::Future;

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{MethodRouter, post};

use crate::clock::SharedClock;
use crate::domain::case::CaseCommand;
use crate::policy_cache::PolicyCache;

use crate::domain::access::Action;
use crate::domain::case::Case;
pub use crate::domain::effects::Decision;
use crate::domain::values::CaseId;
use crate::store::Store;

use super::{ApiError, CaseView, JsonBody, OptionalJsonBody, Principal};

/// What every function's handlers share, built once per process (cold start): the table, the
/// merchant's policy (cached), the clock. A function with more (the storefronts' secrets)
/// gives this part of its state by `FromRef`.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub policy: PolicyCache,
    pub clock: SharedClock,
    /// The evidence bucket (`EVIDENCE_BUCKET`); without one, uploads answer 503.
    pub evidence: Option<crate::storage::Bucket>,
}

impl App {
    pub fn new(store: Store, clock: SharedClock) -> Self {
        Self {
            store,
            policy: PolicyCache::default(),
            clock,
            evidence: crate::storage::Bucket::from_env(),
        }
    }
}

/// The route of a [`CaseCommand`]: `POST` with its body, through [`on_case`].
pub fn case_command_route<C, S>() -> MethodRouter<S>
where
    C: CaseCommand + Default,
    S: Clone + Send + Sync + 'static,
    App: axum::extract::FromRef<S>,
{
    if C::BODY_OPTIONAL {
        post(
            |State(core): State<App>,
             principal: Principal,
             Path(id): Path<String>,
             OptionalJsonBody(command): OptionalJsonBody<C>| async move {
                run_command(&core, &principal, &id, command).await
            },
        )
    } else {
        post(
            |State(core): State<App>,
             principal: Principal,
             Path(id): Path<String>,
             JsonBody { value: command, .. }: JsonBody<C>| async move {
                run_command(&core, &principal, &id, command).await
            },
        )
    }
}

/// The operation of a [`CaseCommand`]'s route: its body, the case it answers, who may.
pub fn case_command_op<C: CaseCommand + utoipa::ToSchema>(
    id: &str,
    summary: &str,
    example: serde_json::Value,
) -> super::contract::Op {
    super::contract::Op::new(id, summary)
        .tag("cases")
        .allowed(&[C::ACTION])
        .path_param("id", "The case number", "AS2611-2012345678")
        .body::<C>(!C::BODY_OPTIONAL, example)
        .answers::<CaseView>(
            200,
            "The case as it is now, with its timeline",
            super::examples::case_view(),
        )
        .refuses(&[409, 422])
}

async fn run_command<C: CaseCommand>(
    core: &App,
    principal: &Principal,
    id: &str,
    command: C,
) -> Result<Json<CaseView>, ApiError> {
    let view = on_case(core, principal, id, C::ACTION, |current, _| {
        let command = command.clone();
        async move {
            let decided = command.decide(&current, principal.actor(), core.clock.now())?;
            // A case that closes gives back the visit booked for it.
            if current.work.is_none() {
                return Ok((decided.into(), None));
            }
            let (policy, _) = core.policy.get(&core.store).await?;
            Ok((Decision::of_command(&current, decided, &policy), None))
        }
    })
    .await?;
    Ok(Json(view))
}

/// The case `id` if `principal` may see it for `action`: someone else's, or none, is a 404
/// (one read; for routes that read a case and change nothing, or change something beside it).
pub async fn visible_case(
    store: &Store,
    principal: &Principal,
    id: &str,
    action: Action,
) -> Result<Case, ApiError> {
    let not_found = || ApiError::NotFound(format!("no case {id}"));
    let case_id = CaseId::parse(id).map_err(|_| not_found())?;
    let case = store.case(&case_id).await?.ok_or_else(not_found)?;
    principal.check_case(action, &case)?;
    Ok(case)
}

/// Runs `decide` on the case `id` for `principal`: someone else's case, or none, is a 404
/// (`action` is the access table's row that lets the caller see it; the step's own role
/// check is the domain's). `decide` is given the case and the attempt (1, then 2 and 3 after
/// a lost race) and answers the decision and, for a payment from a held order, the version
/// of the order's claims it pays from (the transaction holds only if they have not moved).
pub async fn on_case<F, Fut>(
    app: &App,
    principal: &Principal,
    id: &str,
    action: Action,
    decide: F,
) -> Result<CaseView, ApiError>
where
    F: Fn(Case, usize) -> Fut,
    Fut: Future<Output = Result<(Decision, Option<u64>), ApiError>>,
{
    let store = &app.store;
    let not_found = || ApiError::NotFound(format!("no case {id}"));
    let case_id = CaseId::parse(id).map_err(|_| not_found())?;
    let (case_id, decide, not_found) = (&case_id, &decide, &not_found);
    crate::retry::on_lost_race(|attempt| async move {
        let (current, mut timeline) = store
            .case_with_timeline(case_id)
            .await?
            .ok_or_else(not_found)?;
        principal.check_case(action, &current)?;
        let (decision, paid_from) = decide(current.clone(), attempt).await?;
        // The policy is read (or taken from the cache) only for a decision that resolves.
        let decision = if decision.resolves(&current) {
            let (policy, _) = app.policy.get(store).await?;
            decision.settled(&current, &policy.feedback)
        } else {
            decision
        };
        store.save_decision(&current, &decision, paid_from).await?;
        timeline.extend(decision.events);
        Ok(CaseView {
            case: decision.next,
            timeline,
        }
        .shown_to(principal.role()))
    })
    .await
}
