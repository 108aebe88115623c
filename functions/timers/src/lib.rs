//! The timers: every deadline that is due fires through the same domain rules as a person's
//! action, recorded as the system's decision (the 48-hour auto-approval, the 7-day lapse, the
//! 5-day shipment follow-up, the promised-shipping rule).
//!
//! Deadlines live in a sparse index (`GSI5`) keyed by due time, so a run reads only what is
//! due: its cost grows with the deadlines due, not with the cases open. Runs are safe to
//! overlap or repeat: each firing is conditioned on the case's version, and a deadline that
//! moved meanwhile is simply not due any more.

use aftersales::clock::SharedClock;
use aftersales::domain::case::{self, Refusal};
use aftersales::domain::identity::{Actor, Role};
use aftersales::domain::returns::Command;
use aftersales::policy_cache::PolicyCache;
use aftersales::store::{Store, StoreError};
use serde::Serialize;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Index items read: the deadlines due.
    pub due_read: usize,
    /// Deadlines fired (a case moved on).
    pub fired: usize,
    /// Due entries that no longer applied or lost a race (picked up again if still due).
    pub skipped: usize,
}

/// Index entries read per query, and queries per run (a run ends; the next one goes on).
const PAGE: usize = 100;
const MAX_PAGES: usize = 20;

pub fn system() -> Actor {
    Actor {
        id: "timers".to_owned(),
        role: Role::System,
        name: None,
    }
}

/// Fires every deadline due now.
pub async fn run(
    store: &Store,
    policy: &PolicyCache,
    clock: &SharedClock,
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let (policy, _) = policy.get(store).await?;
    for _ in 0..MAX_PAGES {
        let now = clock.now();
        let (due, read) = store.due_cases(now, PAGE).await?;
        report.due_read += read;
        let mut fired_this_page = 0;
        for id in due {
            let Some(current) = store.case(&id).await? else {
                report.skipped += 1;
                continue;
            };
            match case::apply_return(&current, Command::DeadlineDue, system(), now, &policy) {
                Ok((next, events)) => {
                    match store.save_return_step(&current, &next, &events).await {
                        Ok(()) => {
                            report.fired += 1;
                            fired_this_page += 1;
                            tracing::info!(case = %id, "deadline fired");
                        }
                        // Someone acted on the case meanwhile: its new state decides next time.
                        Err(StoreError::Conflict) => report.skipped += 1,
                        Err(e) => return Err(e),
                    }
                }
                Err(Refusal::Rule(_) | Refusal::Forbidden(_) | Refusal::Invalid(_)) => {
                    report.skipped += 1
                }
            }
        }
        // A short page means everything due has been read; a page where nothing could fire
        // would only be read again.
        if read < PAGE || fired_this_page == 0 {
            break;
        }
    }
    Ok(report)
}
