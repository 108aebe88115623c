//! What a decision means beyond the case itself: the records and messages that must be written
//! in the same transaction as the case's new state. The domain says which; the store only
//! writes them (each conditioned so that it is written once).

use chrono::{DateTime, Utc};

use super::case::{Case, Event};
use super::returns::Stage;
use super::values::Currency;

/// What a command decided: the case's next state, its timeline events, and what else is
/// written with them.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub next: Case,
    pub events: Vec<Event>,
    pub effects: Vec<Effect>,
}

impl From<(Case, Vec<Event>)> for Decision {
    fn from((next, events): (Case, Vec<Event>)) -> Self {
        Self {
            next,
            events,
            effects: Vec::new(),
        }
    }
}

impl Decision {
    /// Whether the decision resolves the case (then [`Decision::settled`] needs the policy).
    pub fn resolves(&self, before: &Case) -> bool {
        super::feedback::resolves(before, &self.next)
    }

    /// The rules every decision follows, whatever made it: a case that becomes resolved opens
    /// its survey and schedules its callback.
    pub fn settled(mut self, before: &Case, policy: &super::feedback::FeedbackPolicy) -> Self {
        super::feedback::opened_on_resolution(before, &mut self.next);
        super::feedback::callback_on_resolution(before, &mut self.next, &policy.callbacks);
        self
    }

    /// A command's decision on a case, with what closing it gives back (a booked visit).
    pub fn of_command(
        before: &Case,
        (next, events): (Case, Vec<Event>),
        policy: &super::policy::Policy,
    ) -> Self {
        let effects = super::case::work::released_booking(before, &next, policy)
            .into_iter()
            .collect();
        Self {
            next,
            events,
            effects,
        }
    }

    /// A return step's decision, with its effects ([`of_return_step`]) and the write-backs it
    /// queues for the storefront ([`super::writeback::plan`]).
    pub fn of_return_step(before: &Case, (mut next, events): (Case, Vec<Event>)) -> Self {
        let mut effects = of_return_step(before, &next, &events);
        effects.extend(super::writeback::plan(before, &mut next, &events));
        Self {
            next,
            events,
            effects,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The case's refund was paid: its one refund record (a second payment cannot commit).
    RefundPaid {
        amount_minor: i64,
        currency: Currency,
        paid_at: DateTime<Utc>,
        by: String,
    },
    /// A message for the storefront the case came from (DOMAIN §4.4), sent by the timers.
    TellStorefront {
        /// Also the message's id as the receiver sees it, the same on every attempt.
        id: String,
        storefront: String,
        payload: serde_json::Value,
        at: DateTime<Utc>,
    },
    /// A visit's slots on a technician's day: each written only if free, so that two
    /// bookings of one time cannot both commit, however they race.
    HoldSlots {
        technician: String,
        day: chrono::NaiveDate,
        /// `HHMM` of each slot (the merchant's time).
        slots: Vec<String>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        kind: super::case::work::WorkKind,
        /// The technician's visits a day at most: the day's count is conditioned on it.
        capacity: u32,
    },
    /// A visit's slots given back (moved, cancelled, or its case closed).
    FreeSlots {
        technician: String,
        day: chrono::NaiveDate,
        slots: Vec<String>,
        start: DateTime<Utc>,
    },
    /// The customer's one-time code to confirm the work: kept beside the case, never in it
    /// (the technician reads the case; the customer alone reads the code).
    IssueCode { code: String, at: DateTime<Utc> },
    /// A repair that passed its exit inspection, for the repeat-repair rule.
    RecordRepair {
        serial_number: String,
        fault: String,
        technician: String,
        product: Option<String>,
        finished_at: DateTime<Utc>,
    },
    /// One more on a counter (in the decision's transaction: counted exactly once).
    Count(Counter),
}

/// What dispatch counts against whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counter {
    /// A missed promise on a visit booked with this technician.
    TechnicianLate(String),
    /// A repeat repair of a repair this technician did.
    TechnicianRepeat(String),
    /// A repeat repair of this product (SKU, else model).
    ProductRepeat(String),
}

fn paid(case: &Case) -> bool {
    case.returns
        .as_ref()
        .is_some_and(|f| matches!(f.stage, Stage::Refunded | Stage::Exchanged))
}

/// The effects of a return step from `before` to `after`: the step that pays records the
/// refund (once: a refund the shop refused and that is paid after all is not recorded again).
pub fn of_return_step(before: &Case, after: &Case, events: &[Event]) -> Vec<Effect> {
    let Some(flow) = after
        .returns
        .as_ref()
        .filter(|_| paid(after) && !paid(before))
    else {
        return Vec::new();
    };
    let amount = flow.refund.as_ref().map_or(0, |r| r.total_minor);
    let by = events.last().map_or("system", |e| e.actor.id.as_str());
    let paid_at = flow.refunded_at.unwrap_or(after.updated_at);
    vec![Effect::RefundPaid {
        amount_minor: amount,
        currency: flow.terms.currency,
        paid_at,
        by: by.to_owned(),
    }]
}
