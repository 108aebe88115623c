//! The timers: every deadline that is due fires through the same domain rules as a person's
//! action, recorded as the system's decision (the 48-hour auto-approval, the 7-day lapse, the
//! 5-day shipment follow-up, the promised-shipping rule).
//!
//! The same run delivers the outbox: each decision on a storefront's return written back to
//! the shop (`aftersales::writeback`: Shopify's or WooCommerce's API, or a signed Standard
//! Webhook), one step after the other, retried with backoff (or after the wait a throttled
//! shop names); each outcome is recorded on the case in the transaction that closes its
//! message.
//!
//! And it tells an order's open cases what the storefront did to the order (a refund, a
//! cancellation) when the webhook's own request could not tell them all (`aftersales::notices`).
//!
//! Deadlines live in a sparse index (`GSI5`) keyed by due time, so a run reads only what is
//! due: its cost grows with the deadlines due, not with the cases open. Runs are safe to
//! overlap or repeat, so the schedule needs no reserved concurrency: each firing is
//! conditioned on the case's version (a deadline that moved meanwhile is simply not due any
//! more), each case is told a notice once (a mark in its transaction), and an outbox message
//! is claimed (its next attempt moved past the send) before it is sent, so two runs do not
//! both send it.

use aftersales::clock::SharedClock;
use aftersales::domain::case;
use aftersales::domain::effects::Decision;
use aftersales::domain::identity::{Actor, Role};
use aftersales::domain::returns::Command;
use aftersales::domain::values::CaseId;
use aftersales::domain::writeback;
use aftersales::notices;
use aftersales::payments;
use aftersales::policy_cache::PolicyCache;
use aftersales::retry::on_lost_race;
use aftersales::store::{Due, OutboxMessage, Store, StoreError};
use aftersales::webhooks::config::Storefronts;
use aftersales::writeback::Sent;
use chrono::{DateTime, Duration, Utc};
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
    /// Outbox messages settled (their outcome on the case: done, refused or not written), and
    /// attempts that failed (retried later).
    pub delivered: usize,
    pub failed_attempts: usize,
    /// Cases told of a storefront's notice, and cases left for the next run.
    pub cases_told: usize,
    pub cases_left: usize,
    /// Due items that failed (logged; tried again next run): none unless something is wrong.
    pub failed: usize,
}

/// Where outbox messages go: the storefronts' addresses and secrets, and an HTTP client.
#[derive(Clone)]
pub struct Outbound {
    pub storefronts: std::sync::Arc<Storefronts>,
    /// Built when the first message is sent: most runs send none, and a cold start should not
    /// pay for a TLS stack it may not use.
    http: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    timeout: std::time::Duration,
}

impl Outbound {
    pub fn new(storefronts: Storefronts) -> Self {
        Self {
            storefronts: std::sync::Arc::new(storefronts),
            http: std::sync::Arc::default(),
            timeout: STOREFRONT_TIMEOUT,
        }
    }

    /// The same, with calls that give up after `timeout` (a test's stand-in that never
    /// answers need not be waited on for long).
    pub fn with_timeout(storefronts: Storefronts, timeout: std::time::Duration) -> Self {
        Self {
            timeout,
            ..Self::new(storefronts)
        }
    }

    /// The client that calls storefronts (rustls with ring, Mozilla's roots compiled in), or
    /// why it could not be built (the message then waits in the outbox, and the run says so).
    pub fn http(&self) -> Result<&reqwest::Client, String> {
        self.http
            .get_or_init(|| storefront_client(self.timeout))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Storefronts answer quickly or not at all; a retry comes later (and reads what the shop
/// made before it asks again).
const STOREFRONT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn storefront_client(timeout: std::time::Duration) -> Result<reqwest::Client, String> {
    aftersales::config::web_client(
        "the storefront client",
        std::time::Duration::from_secs(5).min(timeout),
        timeout,
    )
}

/// Attempts before a message is given up (and kept, for staff to see).
pub const MAX_ATTEMPTS: u32 = 10;

/// Minutes before attempt `n + 1`: 1, 2, 4… capped at 6 hours.
fn backoff(attempts: u32) -> Duration {
    Duration::minutes((1i64 << attempts.saturating_sub(1).min(9)).min(360))
}

/// Index entries read per query, and queries per run (a run ends; the next one goes on).
const PAGE: usize = 100;
const MAX_PAGES: usize = 20;
/// Cases of one notice told per run.
const NOTICE_CASES_PER_RUN: usize = 200;
/// How long a run holds an outbox message it is sending: longer than a send can take.
/// A send is a few calls of at most 10 s each, and up to 30 s of throttle waits.
const SEND_LEASE_SECONDS: i64 = 120;
/// No new send starts this long into a run: the Lambda stops at 60 s, and a send cut short
/// is only retried (counted, and read back from the shop first) after its lease.
const SEND_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

pub fn system() -> Actor {
    Actor {
        id: "timers".to_owned(),
        role: Role::System,
        name: None,
    }
}

/// Fires every deadline due now and sends every outbox message due.
pub async fn run(
    store: &Store,
    policy: &PolicyCache,
    clock: &SharedClock,
    outbound: &Outbound,
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let started = std::time::Instant::now();
    let (policy, _) = policy.get(store).await?;
    for _ in 0..MAX_PAGES {
        let now = clock.now();
        let (due, read, more) = store.due(now, PAGE).await?;
        report.due_read += read;
        let mut fired_this_page = 0;
        for entry in due {
            let outcome = match &entry {
                Due::Case(id) => fire(store, id, now, &policy).await,
                Due::Notice(id) => notices::tell(store, id, now, NOTICE_CASES_PER_RUN)
                    .await
                    .map(|p| {
                        report.cases_told += p.told;
                        report.cases_left += p.left;
                        Fired::Done
                    }),
                // Left for the next run, still due.
                Due::Outbox(_) if started.elapsed() > SEND_BUDGET => Ok(Fired::Skipped),
                Due::Outbox(id) => deliver(store, outbound, id, now).await.map(|d| match d {
                    Some(true) => {
                        report.delivered += 1;
                        Fired::Done
                    }
                    Some(false) => {
                        report.failed_attempts += 1;
                        Fired::Done
                    }
                    None => Fired::Skipped,
                }),
            };
            match outcome {
                Ok(Fired::Deadline) => {
                    report.fired += 1;
                    fired_this_page += 1;
                }
                Ok(Fired::Done) => fired_this_page += 1,
                Ok(Fired::Skipped) => report.skipped += 1,
                // The database is away: the next run starts over.
                Err(e @ StoreError::Unavailable(_)) => return Err(e),
                // One item that cannot be handled must not hold up everything due after it:
                // it is logged (and alarmed on) and left for the next run.
                Err(e) => {
                    tracing::error!(?entry, error = %e, "a due item failed");
                    report.failed += 1;
                }
            }
        }
        // The last page means everything due has been read; a page where nothing could fire
        // would only be read again.
        if !more || fired_this_page == 0 {
            break;
        }
    }
    Ok(report)
}

/// What handling one due item came to.
enum Fired {
    /// A case's deadline fired: the case moved on.
    Deadline,
    /// A notice or an outbox message was handled.
    Done,
    /// Nothing to do (gone, no longer due, or someone acted meanwhile).
    Skipped,
}

/// Fires a case's due deadline through the return rules, as the system. A payment the clock
/// would make from a held order is made only from the order as it stands: if the storefront
/// refunded it (or it is no longer paid) meanwhile, the request is approved but its refund
/// waits for finance.
async fn fire(
    store: &Store,
    id: &aftersales::domain::values::CaseId,
    now: DateTime<Utc>,
    policy: &aftersales::domain::policy::Policy,
) -> Result<Fired, StoreError> {
    // A payment from a held order first trusts the claims version the case last saw (the
    // transaction checks it); if they moved, the case and its order are read again.
    let fired = on_lost_race(|attempt| async move {
        let Some(current) = store.case(id).await? else {
            return Ok(Fired::Skipped);
        };
        // A complaint not answered in time goes to a manager; a callback's time makes it due
        // (the top of customer service's callback queue).
        use aftersales::domain::feedback::{callback_due, complaint_overdue};
        if let Some(decided) = complaint_overdue(&current, now, system()) {
            store
                .save_decision(&current, &decided.into(), None)
                .await?;
            tracing::warn!(case = %id, "a complaint's answer is overdue: to a manager");
            return Ok(Fired::Deadline);
        }
        if let Some(decided) = callback_due(&current, now, system()) {
            store
                .save_decision(&current, &decided.into(), None)
                .await?;
            tracing::info!(case = %id, "a callback is due");
            return Ok(Fired::Deadline);
        }
        // A work order's missed promise: to the dispatcher, later to the manager, once each
        // (the next alarm is part of the case's state, so another sweep finds nothing due).
        if let Ok(decision) = case::work::apply_work(
            &current,
            case::work::WorkCommand::DeadlineDue,
            system(),
            now,
            policy,
            &case::work::WorkInputs::default(),
        ) {
            store
                .save_decision(&current, &decision.settled(&current, &policy.feedback), None)
                .await?;
            tracing::warn!(case = %id, "a work order's promise was missed");
            return Ok(Fired::Deadline);
        }
        let Ok((mut next, mut events)) =
            case::apply_return(&current, Command::DeadlineDue, system(), now, policy)
        else {
            return Ok(Fired::Skipped);
        };
        let seen = current.returns.as_ref().and_then(|f| f.claims_seen);
        let mut paid_from = None;
        if payments::pays_from_order(&current, &next) {
            match seen {
                Some(version) if attempt == 1 => paid_from = Some(version),
                _ => match payments::order_for_payment(store, &next).await? {
                    Some((_, true)) => {
                        let mut changed = current.clone();
                        if let Some(flow) = changed.returns.as_mut() {
                            flow.order_changed = true;
                        }
                        let Ok(decided) = case::apply_return(
                            &changed,
                            Command::DeadlineDue,
                            system(),
                            now,
                            policy,
                        ) else {
                            return Ok(Fired::Skipped);
                        };
                        (next, events) = decided;
                        tracing::warn!(case = %id, "the order is overdrawn: the refund waits for finance");
                    }
                    Some((record, false)) => paid_from = Some(record.claims.version),
                    None => {}
                },
            }
        }
        store
            .save_decision(
                &current,
                &Decision::of_return_step(&current, (next, events))
                    .settled(&current, &policy.feedback),
                paid_from,
            )
            .await?;
        tracing::info!(case = %id, "deadline fired");
        Ok(Fired::Deadline)
    })
    .await;
    match fired {
        // Others kept acting on the case (or its order): its new state decides next run.
        Err(StoreError::Conflict) => Ok(Fired::Skipped),
        other => other,
    }
}

/// One attempt at an outbox message: `Some(true)` delivered (done, refused or not written:
/// its outcome is on its case), `Some(false)` failed (retried later), `None` nothing to do
/// (gone, waiting on an earlier step, or another run holds it).
async fn deliver(
    store: &Store,
    outbound: &Outbound,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<bool>, StoreError> {
    let Some((message, version)) = store.outbox(id).await? else {
        return Ok(None);
    };
    if message.next_attempt_at.is_none_or(|t| t > now) {
        return Ok(None);
    }
    // Claim it: a run that overlaps this one finds its next attempt moved and leaves it. The
    // attempt is counted now: a run cut short mid-send leaves it counted, and the next one
    // reads what the shop made before it asks again.
    let mut claimed = message.clone();
    claimed.next_attempt_at = now.checked_add_signed(Duration::seconds(SEND_LEASE_SECONDS));
    claimed.attempts = claimed.attempts.saturating_add(1);
    match store.save_outbox(&claimed, version).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(None),
        Err(e) => return Err(e),
    }
    let version = version + 1;
    // The case decides whether the step goes now: each step waits for the one before it.
    let case = match case_of(&message) {
        Some(id) => store.case(&id).await?,
        None => None,
    };
    let Some(case) = case else {
        let gone = writeback::Outcome::Refused {
            message: "its case is gone, or it names none".into(),
        };
        return finish(store, message, version, now, gone, None).await;
    };
    let asked_before = match writeback::ready(&case, &message.id) {
        writeback::Ready::Go(record) => message.attempts > 0 || record.generation > 0,
        // Recorded already (or asked again under a new id): nothing to send.
        writeback::Ready::Gone => {
            let mut done = message;
            done.next_attempt_at = None;
            done.delivered_at.get_or_insert(now);
            return match store.save_outbox(&done, version).await {
                Ok(()) | Err(StoreError::Conflict) => Ok(None),
                Err(e) => Err(e),
            };
        }
        // An earlier step is not done: look again in a minute (a quarter of an hour while it
        // waits for finance), without counting an attempt.
        wait @ (writeback::Ready::Wait | writeback::Ready::Blocked) => {
            let pause = if wait == writeback::Ready::Blocked {
                15
            } else {
                1
            };
            let mut later = message;
            later.next_attempt_at = Some(now + Duration::minutes(pause));
            return match store.save_outbox(&later, version).await {
                Ok(()) | Err(StoreError::Conflict) => Ok(None),
                Err(e) => Err(e),
            };
        }
    };
    let sent = match outbound.storefronts.by_id(&message.storefront) {
        None => Sent::NotWritten {
            why: "the storefront is no longer configured".into(),
        },
        Some(storefront) => match outbound.http() {
            Ok(http) => {
                let attempt = aftersales::writeback::Attempt {
                    id: &message.id,
                    payload: &message.payload,
                    asked_before,
                };
                aftersales::writeback::send(http, storefront, &attempt).await
            }
            Err(why) => Sent::Retry { why, after: None },
        },
    };
    let outcome = match sent {
        Sent::Done { reference } => writeback::Outcome::Done { reference },
        Sent::Refused { message } => writeback::Outcome::Refused { message },
        Sent::NotWritten { why } => writeback::Outcome::NotWritten { why },
        Sent::Retry { why, after } => {
            let mut message = claimed;
            tracing::warn!(message = %message.id, attempts = message.attempts, %why, "write-back attempt failed");
            if message.attempts >= MAX_ATTEMPTS {
                return finish(
                    store,
                    message,
                    version,
                    now,
                    writeback::Outcome::Refused {
                        message: format!("no answer after {MAX_ATTEMPTS} attempts: {why}"),
                    },
                    Some(case),
                )
                .await;
            }
            let wait = after.and_then(|a| Duration::from_std(a).ok()).map_or_else(
                || backoff(message.attempts),
                |a| a.max(Duration::seconds(1)),
            );
            message.last_error = Some(why);
            message.next_attempt_at = Some(now + wait);
            return match store.save_outbox(&message, version).await {
                Ok(()) => Ok(Some(false)),
                Err(StoreError::Conflict) => Ok(None),
                Err(e) => Err(e),
            };
        }
    };
    finish(store, claimed, version, now, outcome, Some(case)).await
}

/// The case a write-back's message is about.
fn case_of(message: &OutboxMessage) -> Option<CaseId> {
    let id = message.payload.pointer("/data/case_id")?.as_str()?;
    CaseId::parse(id).ok()
}

/// Records a write-back's outcome on its case and closes its message, in one transaction:
/// the case is never told twice, and a message closed is never sent again. The case as read
/// before the send (`read`) is tried first; one that moved meanwhile is read again.
async fn finish(
    store: &Store,
    mut message: OutboxMessage,
    version: u64,
    now: DateTime<Utc>,
    outcome: writeback::Outcome,
    read: Option<aftersales::domain::case::Case>,
) -> Result<Option<bool>, StoreError> {
    message.next_attempt_at = None;
    match &outcome {
        writeback::Outcome::Done { .. } => {
            message.delivered_at = Some(now);
            message.last_error = None;
        }
        writeback::Outcome::Refused { message: why } | writeback::Outcome::NotWritten { why } => {
            tracing::warn!(message = %message.id, %why, "write-back not done");
            message.gave_up_at = Some(now);
            message.last_error = Some(why.clone());
        }
    }
    let case_id = case_of(&message);
    let (message, outcome, case_id, read) = (&message, &outcome, &case_id, &read);
    let saved = on_lost_race(|attempt| async move {
        let mut tx = store.tx();
        store.add_outbox_save(&mut tx, message, version)?;
        let current = match (read, case_id) {
            (Some(case), _) if attempt == 1 => Some(case.clone()),
            (_, Some(case_id)) => store.case(case_id).await?,
            (_, None) => None,
        };
        if let Some(current) = current
            && let Some((next, events)) =
                writeback::record(&current, &message.id, outcome.clone(), system(), now)
        {
            store.add_case_update(&mut tx, &current, &next, &events)?;
        }
        match store.commit(tx).await {
            // Another run closed the message: it recorded the outcome too.
            Err(e) if e.failed("outbox-version") => Ok(false),
            Err(e) => Err(StoreError::from(e)),
            Ok(()) => Ok(true),
        }
    })
    .await?;
    Ok(saved.then_some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_a_minute_to_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(5), Duration::minutes(16));
        assert_eq!(backoff(9), Duration::minutes(256));
        assert_eq!(backoff(10), Duration::minutes(360));
        assert_eq!(backoff(40), Duration::minutes(360));
    }
}
