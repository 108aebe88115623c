//! The one path of a command on an existing case, for every route (and the timers) that change
//! one: load the case with its timeline (one read), check that the caller may see it, decide,
//! write the decision in one transaction conditioned on the version read, and answer what was
//! written; on a lost race, all of it again on what is there now ([`retry_on_conflict`]).

use std::future::Future;

use crate::domain::access::Action;
use crate::domain::case::Case;
pub use crate::domain::effects::Decision;
use crate::domain::values::CaseId;
use crate::store::{OrderRecord, Store};

use super::{ApiError, CaseView, Principal, retry_on_conflict};

/// Runs `decide` on the case `id` for `principal`: someone else's case, or none, is a 404
/// (`action` is the access table's row that lets the caller see it; the step's own role
/// check is the domain's). `decide` answers the decision and, for a payment from a held
/// order, the order as it read it (the transaction holds only if its claims have not moved).
pub async fn on_case<F, Fut>(
    store: &Store,
    principal: &Principal,
    id: &str,
    action: Action,
    decide: F,
) -> Result<CaseView, ApiError>
where
    F: Fn(Case) -> Fut,
    Fut: Future<Output = Result<(Decision, Option<OrderRecord>), ApiError>>,
{
    let not_found = || ApiError::NotFound(format!("no case {id}"));
    let case_id = CaseId::parse(id).map_err(|_| not_found())?;
    retry_on_conflict(|| async {
        let (current, mut timeline) = store
            .case_with_timeline(&case_id)
            .await?
            .ok_or_else(not_found)?;
        principal.check_case(action, &current)?;
        let (decision, paid_from) = decide(current.clone()).await?;
        store
            .save_decision(&current, &decision, paid_from.as_ref())
            .await?;
        timeline.extend(decision.events);
        Ok(CaseView {
            case: decision.next,
            timeline,
        })
    })
    .await
}
