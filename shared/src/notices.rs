//! Telling an order's open cases what the storefront did to the order, however many cases
//! there are.
//!
//! A storefront's refund or cancellation is recorded on the order at once, with a
//! [`Notice`] listing the cases to tell (see `store::notices`). Then each
//! case is told in a transaction of its own, marked so that it is told once: the request that
//! received the delivery tells as many as it can within [`IN_REQUEST`], and the timers tell the
//! rest, picking the notice from the due index until none is left. A storefront's retries of
//! the delivery are answered as duplicates meanwhile; nothing depends on every case fitting in
//! one transaction.

use chrono::{DateTime, Duration, Utc};

use crate::domain::case::{self, Case};
use crate::domain::values::CaseId;
use crate::retry::on_lost_race;
use crate::store::{Notice, Store, StoreError};

/// Cases told within the webhook's own request; the timers tell the rest.
pub const IN_REQUEST: usize = 50;
/// Cases told at once (each a read and a transaction).
const AT_ONCE: usize = 10;

/// What telling a notice's cases came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Cases told (or found closed, or already told) in this run.
    pub told: usize,
    /// Cases left for a later run.
    pub left: usize,
}

/// Tells at most `max_cases` of the notice's pending cases, and records what is left. A
/// notice that is gone or done is no work.
pub async fn tell(
    store: &Store,
    id: &str,
    now: DateTime<Utc>,
    max_cases: usize,
) -> Result<Progress, StoreError> {
    let Some((notice, version)) = store.notice(id).await? else {
        return Ok(Progress::default());
    };
    tell_known(store, notice, version, now, max_cases).await
}

/// [`tell`], for a notice in hand at `version` (the delivery that just wrote it).
pub async fn tell_known(
    store: &Store,
    mut notice: Notice,
    version: u64,
    now: DateTime<Utc>,
    max_cases: usize,
) -> Result<Progress, StoreError> {
    if notice.done_at.is_some() {
        return Ok(Progress::default());
    }
    let batch: Vec<CaseId> = notice.pending.iter().take(max_cases).cloned().collect();
    let mut told = Vec::new();
    let mut failure = None;
    for chunk in batch.chunks(AT_ONCE) {
        // The chunk's cases in one read; a case that moves on meanwhile is read again alone.
        let mut read = store.cases(chunk).await?;
        let results = futures::future::join_all(chunk.iter().map(|c| {
            let first = read
                .iter()
                .position(|case| &case.id == c)
                .map(|i| read.swap_remove(i));
            tell_case(store, &notice, c, first, now)
        }))
        .await;
        for (case_id, result) in chunk.iter().zip(results) {
            match result {
                Ok(()) => told.push(case_id.clone()),
                Err(e) => {
                    tracing::warn!(notice = %notice.id, case = %case_id, error = %e, "case not told yet");
                    failure = Some(e);
                }
            }
        }
    }
    notice.pending.retain(|c| !told.contains(c));
    notice.attempts = notice.attempts.saturating_add(1);
    if notice.pending.is_empty() {
        notice.done_at = Some(now);
        notice.next_attempt_at = None;
    } else {
        // Left over by the budget: at once; after a failure: a little later.
        let wait = if failure.is_some() {
            Duration::minutes(1)
        } else {
            Duration::zero()
        };
        notice.next_attempt_at = Some(now.checked_add_signed(wait).unwrap_or(now));
    }
    let progress = Progress {
        told: told.len(),
        left: notice.pending.len(),
    };
    match store.save_notice(&notice, version).await {
        // Another run recorded its progress first; the marks keep each case told once.
        Ok(()) | Err(StoreError::Conflict) => Ok(progress),
        Err(e) => Err(e),
    }
}

/// Tells one case, once: the case's change and the notice's mark in one transaction. A closed
/// case, a case gone, or one told before is done. `first` is the case as the batch read it.
async fn tell_case(
    store: &Store,
    notice: &Notice,
    case_id: &CaseId,
    first: Option<Case>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let first = std::sync::Mutex::new(first);
    on_lost_race(|attempt| {
        let first = &first;
        async move {
            let current = match attempt {
                1 => first.lock().ok().and_then(|mut f| f.take()),
                _ => store.case(case_id).await?,
            };
            let Some(current) = current else {
                return Ok(());
            };
            if !current.status.open() {
                return Ok(());
            }
            let (next, events) =
                case::note_storefront_all(&current, &notice.storefront, &notice.changes, now);
            let mut tx = store.tx();
            store.add_case_update(&mut tx, &current, &next, &events)?;
            store.add_notice_mark(&mut tx, case_id, &notice.id, now)?;
            match store.commit(tx).await {
                Ok(()) => Ok(()),
                Err(e) if e.failed("notice-mark") => Ok(()),
                // The case moved on meanwhile: read it again.
                Err(e) => Err(e.into()),
            }
        }
    })
    .await
}
