//! Write-back: each decision on a storefront's return is done again in the shop itself (the
//! return approved or declined, the goods processed, the money refunded), exactly once and in
//! the order it was decided.
//!
//! A decision queues its write-backs on the case (one [`WriteBack`] per step, in a list kept
//! in order) and, in the same transaction, one outbox message each; the timers deliver them
//! (`writeback` at the crate's top: Shopify's Admin API, WooCommerce's REST API, or a signed
//! Standard Webhook) and record each outcome here. A step goes only once every earlier one is
//! done: a refund is never asked before the return it pays was approved. A storefront that
//! refuses the refund leaves it unpaid: the return goes back to finance's queue with the
//! storefront's reason, to be asked again or recorded as paid by hand.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::case::{Case, Change, Event};
use super::effects::Effect;
use super::feedback::next_version;
use super::identity::Actor;
use super::order::format_minor;
use super::returns::{Disposition, ReturnChange, Stage};
use super::values::bounded_text;
use super::{Refusal, RuleError};

/// What the shop is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteStep {
    /// The return request approved.
    Approve,
    /// The return request declined, with our reason.
    Decline,
    /// The goods received and inspected.
    Process,
    /// The money paid back.
    Refund,
    /// The exchange's replacement sent.
    Exchange,
}

impl WriteStep {
    /// The Standard Webhooks event type a generic storefront receives.
    pub fn event_type(self) -> &'static str {
        match self {
            WriteStep::Approve => "return.approved",
            WriteStep::Decline => "return.declined",
            WriteStep::Process => "return.processed",
            WriteStep::Refund => "refund.succeeded",
            WriteStep::Exchange => "exchange.completed",
        }
    }
}

/// Where a write-back stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WriteState {
    /// Queued: the timers deliver it once every earlier one is done.
    Pending,
    /// The shop did it; `reference` is its id for what it made (a refund's id).
    Done {
        at: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// The shop refused (or never answered, after every retry): its message.
    Failed { at: DateTime<Utc>, message: String },
    /// Not written: the storefront has nowhere to take it (why); the merchant does it in the
    /// shop's own admin.
    NotWritten { at: DateTime<Utc>, why: String },
    /// Failed, then recorded as done by hand in the shop's own admin.
    Settled {
        at: DateTime<Utc>,
        by: String,
        note: String,
    },
}

impl WriteState {
    fn finished(&self) -> bool {
        matches!(
            self,
            WriteState::Done { .. } | WriteState::Settled { .. } | WriteState::NotWritten { .. }
        )
    }
}

/// One step written back, as the case keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WriteBack {
    /// The outbox message's id (the `webhook-id` a generic storefront sees).
    pub id: String,
    pub step: WriteStep,
    /// Asked again after a refusal: each asking is a new request to the shop (a new
    /// idempotency key); retries of one asking share its key.
    #[serde(default)]
    pub generation: u32,
    #[serde(flatten)]
    pub state: WriteState,
    pub queued_at: DateTime<Utc>,
    /// A decline's reason, as the decision gave it (the shop is told it on every asking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Declined>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Declined {
    pub reason_code: String,
    pub note: String,
}

/// What every key begins with: a storefront's refund that carries it was made here.
pub const MARK_PREFIX: &str = "aftersales-";

impl WriteBack {
    /// The key that makes the shop do this asking once, however often it is sent (Shopify's
    /// `@idempotent`, and our mark in a WooCommerce refund's reason).
    pub fn key(&self, case: &Case) -> String {
        format!("{MARK_PREFIX}{}-{}", case.id, self.id_suffix())
    }

    fn id_suffix(&self) -> &str {
        // `<type>-<case>-<n>[.<generation>]`: what follows the case id.
        self.id.rsplit('-').next().unwrap_or(&self.id)
    }
}

/// A case keeps at most this many write-backs (a return has a handful of steps; retries reuse
/// their entry).
pub const MAX_WRITEBACKS: usize = 40;

/// The steps a return step's events call for, in the order they happened.
fn steps_of(before: &Case, next: &Case, events: &[Event]) -> Vec<(WriteStep, Option<Declined>)> {
    let mut steps = Vec::new();
    for event in events {
        let Change::Return { changes } = &event.change else {
            continue;
        };
        for change in changes {
            match change {
                ReturnChange::Approved { .. } => steps.push((WriteStep::Approve, None)),
                ReturnChange::Rejected {
                    reason_code, note, ..
                } => steps.push((
                    WriteStep::Decline,
                    Some(Declined {
                        reason_code: reason_code.clone(),
                        note: note.clone(),
                    }),
                )),
                ReturnChange::Inspected { .. } => steps.push((WriteStep::Process, None)),
                ReturnChange::Refunded { .. } => steps.push((WriteStep::Refund, None)),
                _ => {}
            }
        }
    }
    let stage = |c: &Case| c.returns.as_ref().map(|f| f.stage);
    if stage(next) == Some(Stage::Exchanged) && stage(before) != Some(Stage::Exchanged) {
        steps.push((WriteStep::Exchange, None));
    }
    steps
}

/// Queues on `next` the write-backs its return step calls for, and answers their outbox
/// messages (for a storefront's order only: a case of an order we do not hold has no shop to
/// write to).
pub fn plan(before: &Case, next: &mut Case, events: &[Event]) -> Vec<Effect> {
    let Some(storefront) = next.order.as_ref().and_then(|o| o.storefront.clone()) else {
        return Vec::new();
    };
    let at = next.updated_at;
    let mut effects = Vec::new();
    for (step, decline) in steps_of(before, next, events) {
        if next.writebacks.len() >= MAX_WRITEBACKS {
            tracing::warn!(case = %next.id, "write-back list full: step not queued");
            break;
        }
        let n = next.writebacks.len() + 1;
        let record = WriteBack {
            id: format!("{}-{}-{n}", step.event_type(), next.id),
            step,
            generation: 0,
            state: WriteState::Pending,
            queued_at: at,
            decline,
        };
        effects.push(message(next, &record, &storefront));
        next.writebacks.push(record);
    }
    effects
}

/// The outbox message of a write-back: a Standard Webhooks event (what a generic storefront
/// receives as is), which carries everything the Shopify and WooCommerce calls need.
fn message(case: &Case, record: &WriteBack, storefront: &str) -> Effect {
    Effect::TellStorefront {
        id: record.id.clone(),
        storefront: storefront.to_owned(),
        payload: payload(case, record),
        at: case.updated_at,
    }
}

/// The event body of `record` on `case` (as the case is when it is queued).
pub fn payload(case: &Case, record: &WriteBack) -> Value {
    let flow = case.returns.as_ref();
    let mut data = json!({
        "case_id": case.id,
        "order_id": case.order.as_ref().map(|o| o.order_id.as_str()),
        "return_id": case.storefront_return_id,
        "key": record.key(case),
    });
    let extra = match record.step {
        WriteStep::Approve | WriteStep::Exchange => json!({}),
        WriteStep::Decline => {
            let d = record.decline.clone().unwrap_or(Declined {
                reason_code: String::new(),
                note: String::new(),
            });
            json!({"reason_code": d.reason_code, "note": d.note})
        }
        WriteStep::Process => {
            let inspection = flow.and_then(|f| f.inspection.as_ref());
            let received = flow
                .and_then(|f| f.receipt.as_ref())
                .map_or(0, |r| r.units_received);
            json!({
                "units": received,
                "restock": inspection.is_some_and(|i| i.dispositions.contains(&Disposition::Restock)),
                "dispositions": inspection.map(|i| i.dispositions.clone()).unwrap_or_default(),
                "lines": flow.and_then(|f| f.claim.as_ref()).map(|c| c.lines.clone()).unwrap_or_default(),
            })
        }
        WriteStep::Refund => {
            let amount = flow
                .and_then(|f| f.refund.as_ref())
                .map_or(0, |r| r.total_minor);
            let currency = flow.map(|f| f.terms.currency);
            json!({
                "amount": currency.map(|c| format_minor(amount, c)),
                "amount_minor": amount,
                "currency": currency,
                "refunded_at": flow.and_then(|f| f.refunded_at).unwrap_or(case.updated_at),
                "units": flow.map_or(0, |f| f.terms.units),
                "lines": flow.and_then(|f| f.claim.as_ref()).map(|c| c.lines.clone()).unwrap_or_default(),
            })
        }
    };
    if let (Value::Object(data), Value::Object(extra)) = (&mut data, extra) {
        data.extend(extra);
    }
    json!({
        "type": record.step.event_type(),
        "timestamp": record.queued_at,
        "data": data,
    })
}

/// What is to be done with write-back `id` of `case` now.
#[derive(Debug, PartialEq, Eq)]
pub enum Ready<'a> {
    /// Send it.
    Go(&'a WriteBack),
    /// An earlier step is not done yet: later.
    Wait,
    /// An earlier step was refused, and waits for finance: much later.
    Blocked,
    /// Nothing to send: its outcome is recorded, or it is not this case's any more.
    Gone,
}

pub fn ready<'a>(case: &'a Case, id: &str) -> Ready<'a> {
    let Some(at) = case.writebacks.iter().position(|w| w.id == id) else {
        return Ready::Gone;
    };
    let record = &case.writebacks[at];
    if record.state != WriteState::Pending {
        return Ready::Gone;
    }
    let earlier = &case.writebacks[..at];
    if earlier.iter().all(|w| w.state.finished()) {
        Ready::Go(record)
    } else if earlier
        .iter()
        .any(|w| matches!(w.state, WriteState::Failed { .. }))
    {
        Ready::Blocked
    } else {
        Ready::Wait
    }
}

/// What the shop answered, in the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done { reference: Option<String> },
    Refused { message: String },
    NotWritten { why: String },
}

/// Records the outcome of write-back `id` (the timers): `None` if it was recorded before. A
/// refused refund was not paid: the return is finance's again, with the shop's reason.
pub fn record(
    case: &Case,
    id: &str,
    outcome: Outcome,
    actor: Actor,
    now: DateTime<Utc>,
) -> Option<(Case, Vec<Event>)> {
    let at = case
        .writebacks
        .iter()
        .position(|w| w.id == id && w.state == WriteState::Pending)?;
    let mut next = next_version(case, now);
    let step = next.writebacks[at].step;
    let change = match outcome {
        Outcome::Done { reference } => {
            next.writebacks[at].state = WriteState::Done {
                at: now,
                reference: reference.clone(),
            };
            Change::StorefrontWritten { step, reference }
        }
        Outcome::Refused { message } => {
            let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
            next.writebacks[at].state = WriteState::Failed {
                at: now,
                message: message.clone(),
            };
            if step == WriteStep::Refund {
                unpay(&mut next);
            }
            Change::StorefrontRefused { step, message }
        }
        Outcome::NotWritten { why } => {
            let why: String = why.chars().take(MAX_MESSAGE_CHARS).collect();
            next.writebacks[at].state = WriteState::NotWritten {
                at: now,
                why: why.clone(),
            };
            Change::StorefrontNotWritten { step, why }
        }
    };
    let event = event_of(&next, now, actor, change);
    Some((next, vec![event]))
}

/// The event of `next`'s version: what `actor` did to it.
fn event_of(next: &Case, now: DateTime<Utc>, actor: Actor, change: Change) -> Event {
    Event {
        version: next.version,
        at: now,
        actor,
        change,
    }
}

/// A shop's message is kept to this length.
const MAX_MESSAGE_CHARS: usize = 500;

/// A refund the shop did not make: the return waits for finance again.
fn unpay(case: &mut Case) {
    if let Some(flow) = case.returns.as_mut()
        && flow.stage == Stage::Refunded
    {
        flow.stage = Stage::RefundPending;
        flow.refunded_at = None;
        case.status = flow.stage.case_status();
    }
}

/// What finance does with a write-back the shop refused: `POST /v1/cases/{id}/writeback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum WriteBackCommand {
    /// Ask the shop again (a new request, under a new idempotency key).
    Retry,
    /// It was done by hand in the shop's admin (a refund paid there): say how.
    Settle { note: String },
}

/// Finance's answer to the first refused write-back of `case`; with the message to queue
/// when it is asked again.
pub fn handle(
    case: &Case,
    command: WriteBackCommand,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(Case, Vec<Event>, Vec<Effect>), Refusal> {
    let at = case
        .writebacks
        .iter()
        .position(|w| matches!(w.state, WriteState::Failed { .. }))
        .ok_or_else(|| {
            RuleError::state(
                "no-failed-writeback",
                "nothing the storefront refused waits on this case",
            )
        })?;
    let storefront = case
        .order
        .as_ref()
        .and_then(|o| o.storefront.clone())
        .ok_or_else(|| RuleError::state("no-storefront", "this case's order has no storefront"))?;
    let mut next = next_version(case, now);
    let step = next.writebacks[at].step;
    let mut effects = Vec::new();
    let change = match command {
        WriteBackCommand::Retry => {
            let record = &mut next.writebacks[at];
            record.generation += 1;
            // `<type>-<case>-<n>[.<generation>]`: the type has dots of its own.
            let (head, tail) = record.id.rsplit_once('-').unwrap_or(("", &record.id));
            let n = tail.split('.').next().unwrap_or(tail);
            record.id = format!("{head}-{n}.{}", record.generation);
            record.state = WriteState::Pending;
            record.queued_at = now;
            if step == WriteStep::Refund {
                repay(&mut next, now);
            }
            let record = next.writebacks[at].clone();
            effects.push(message(&next, &record, &storefront));
            Change::WriteBackRetried { step }
        }
        WriteBackCommand::Settle { note } => {
            let note = bounded_text("note", &note, 1000)?;
            if note.is_empty() {
                return Err(super::InvalidField::new(
                    "note",
                    "say how it was done in the shop (e.g. the refund's number there)",
                )
                .into());
            }
            next.writebacks[at].state = WriteState::Settled {
                at: now,
                by: actor.id.clone(),
                note: note.clone(),
            };
            if step == WriteStep::Refund {
                repay(&mut next, now);
            }
            Change::WriteBackSettled { step, note }
        }
    };
    let event = event_of(&next, now, actor, change);
    Ok((next, vec![event], effects))
}

/// The refund paid after all (asked again, or paid by hand).
fn repay(case: &mut Case, now: DateTime<Utc>) {
    if let Some(flow) = case.returns.as_mut()
        && flow.stage == Stage::RefundPending
    {
        flow.stage = Stage::Refunded;
        flow.refunded_at = Some(now);
        case.status = flow.stage.case_status();
    }
}

/// Finance pays a refund once: one the shop refused is asked again or settled by hand
/// ([`handle`]), never paid a second time.
pub fn check_refund(case: &Case) -> Result<(), Refusal> {
    let refused = case
        .writebacks
        .iter()
        .any(|w| w.step == WriteStep::Refund && matches!(w.state, WriteState::Failed { .. }));
    if refused {
        return Err(RuleError::state(
            "storefront-refused-refund",
            "the storefront refused this refund: ask it again or record it paid by hand (POST /v1/cases/{id}/writeback)",
        )
        .into());
    }
    Ok(())
}

/// The first write-back the shop refused, for the queues.
pub fn failed_step(case: &Case) -> Option<WriteStep> {
    case.writebacks
        .iter()
        .find(|w| matches!(w.state, WriteState::Failed { .. }))
        .map(|w| w.step)
}
