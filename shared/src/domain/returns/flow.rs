//! The workflow: stages, deadlines, commands and `decide`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::*;
use crate::domain::access::{self, Action, ReturnAction};
use crate::domain::identity::{Actor, Role};
use crate::domain::values::{Amount, Currency, bounded_text};
use crate::domain::{InvalidField, Refusal, RuleError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The merchant's 48 hours; then the system approves.
    Decision,
    /// The customer's 7 days after a rejection; then the request lapses.
    Resubmit,
    /// 5 days after the customer shipped; then staff follow up.
    ShipmentFollowUp,
    /// The promised shipping time of an unshipped order; then refund-only is approved.
    PromisedShipping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    AwaitingDecision,
    Rejected,
    Escalated,
    AwaitingShipment,
    InTransit,
    Received,
    /// The replacement of an exchange is to be sent.
    ReshipPending,
    RefundPending,
    Refunded,
    Exchanged,
    /// Refused on inspection: the goods are to be sent back to the customer.
    SendBackPending,
    /// Refused on inspection, the goods sent back.
    SentBack,
    Lapsed,
    Cancelled,
}

impl Stage {
    /// The customer may cancel until the refund has succeeded (DOMAIN §4.1), and not once the
    /// return has been refused on inspection (there is nothing left to cancel).
    pub fn cancellable(self) -> bool {
        !matches!(
            self,
            Stage::Refunded
                | Stage::Exchanged
                | Stage::SendBackPending
                | Stage::SentBack
                | Stage::Lapsed
                | Stage::Cancelled
        )
    }

    pub const ALL: [Stage; 14] = [
        Stage::AwaitingDecision,
        Stage::Rejected,
        Stage::Escalated,
        Stage::AwaitingShipment,
        Stage::InTransit,
        Stage::Received,
        Stage::ReshipPending,
        Stage::RefundPending,
        Stage::Refunded,
        Stage::Exchanged,
        Stage::SendBackPending,
        Stage::SentBack,
        Stage::Lapsed,
        Stage::Cancelled,
    ];

    /// The stage as the API and the keys spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::AwaitingDecision => "awaiting_decision",
            Stage::Rejected => "rejected",
            Stage::Escalated => "escalated",
            Stage::AwaitingShipment => "awaiting_shipment",
            Stage::InTransit => "in_transit",
            Stage::Received => "received",
            Stage::ReshipPending => "reship_pending",
            Stage::RefundPending => "refund_pending",
            Stage::Refunded => "refunded",
            Stage::Exchanged => "exchanged",
            Stage::SendBackPending => "send_back_pending",
            Stage::SentBack => "sent_back",
            Stage::Lapsed => "lapsed",
            Stage::Cancelled => "cancelled",
        }
    }
}

/// A decision with its coded reason and its note to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reasoned {
    pub reason_code: String,
    #[serde(default)]
    pub note: String,
}

impl Reasoned {
    fn check(&self) -> Result<(), RuleError> {
        let code_ok = !self.reason_code.is_empty()
            && self.reason_code.len() <= 64
            && self
                .reason_code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !code_ok {
            return Err(RuleError::new(
                "reason-required",
                "a decision carries a coded reason (letters, digits, '_', '-')",
            ));
        }
        if self.note.chars().count() > 2000 {
            return Err(RuleError::new(
                "reason-required",
                "the note is at most 2000 characters",
            ));
        }
        Ok(())
    }
}

/// The workflow state a return case carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnFlow {
    pub terms: ReturnTerms,
    pub stage: Stage,
    /// Who must decide, and why.
    pub required_level: Role,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub level_reasons: Vec<String>,
    /// 1 at the first request, +1 per resubmission.
    pub round: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Deadline>,
    /// Staff must chase the shipment (5 days without receipt).
    #[serde(default)]
    pub follow_up_needed: bool,
    /// Approved without the goods coming back (48 h rule on a return-and-refund).
    #[serde(default)]
    pub refund_without_return: bool,
    /// What the request claims of the storefront order the system holds, its amount checked
    /// against it. Only such an amount is paid by the system on its own (the 48-hour rule);
    /// one the customer declared (no claim) waits for finance, who checks the proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// The storefront changed the order after the request was filed (refunded money on it,
    /// shipped it): the refund is finance's to check, never the clock's to pay.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub order_changed: bool,
    /// The version of the order's claims right after this request last wrote them (the store
    /// records it; none once unknown). While the claims are still at it, nothing has touched
    /// the order since (every storefront change and every claim moves it), so a payment
    /// checks that in its transaction instead of reading the order first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_seen: Option<u64>,
    /// The customer's units of returns on the day of the request, this one included: the
    /// inspection rule (DOMAIN §4.2, 20 units) is judged on them.
    #[serde(default)]
    pub day_units: u32,
    /// Goods went out to the customer (an exchange's replacement): the request can no longer be
    /// cancelled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub goods_sent: bool,
    /// Who approved the request (a person's id, or the timers): that person does not pay it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment: Option<Shipment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<Inspection>,
    /// Scrap above the policy's limit waits for its sign-off (the goods' fate, not the refund).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scrap_sign_off_pending: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundBreakdown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<DateTime<Utc>>,
}

/// `t` plus `n` hours or days, or a named refusal past the end of time. With a validated
/// policy and a sane clock this never refuses; it exists so that nothing can panic.
pub(super) fn later(
    t: DateTime<Utc>,
    duration: Option<Duration>,
) -> Result<DateTime<Utc>, RuleError> {
    duration
        .and_then(|d| t.checked_add_signed(d))
        .ok_or_else(|| RuleError::new("date-out-of-range", "a deadline falls out of range"))
}

pub(super) fn hours(n: u32) -> Option<Duration> {
    Duration::try_hours(i64::from(n))
}

pub(super) fn days(n: u32) -> Option<Duration> {
    Duration::try_days(i64::from(n))
}

impl ReturnFlow {
    /// The customer may cancel until the refund has succeeded (DOMAIN §4.1), as long as no
    /// goods have gone out to them.
    pub fn cancellable(&self) -> bool {
        self.stage.cancellable() && !self.goods_sent
    }

    /// Whether the amount was checked against a held order (and claims part of it).
    pub fn amount_verified(&self) -> bool {
        self.claim.is_some()
    }

    /// A request that ends unpaid (cancelled, lapsed, refused) gives back all it claimed.
    pub fn release_claim(&mut self) {
        if let Some(claim) = self.claim.as_mut() {
            claim.minor = 0;
            claim.lines.values_mut().for_each(|u| *u = 0);
        }
    }

    /// A paid request keeps what it was paid of the order: the units received (when one line
    /// was asked), and the order's money refunded (the shipping reimbursed is not the order's).
    fn settle_claim(&mut self) {
        let paid_of_order = self
            .refund
            .as_ref()
            .map(|r| r.total_minor.saturating_sub(r.shipping_reimbursed_minor))
            // An exchange pays nothing, whether or not a refund was ever computed.
            .or((self.stage == Stage::Exchanged).then_some(0));
        let received = self.receipt.as_ref().map(|r| r.units_received);
        if let Some(claim) = self.claim.as_mut() {
            if let Some(paid) = paid_of_order {
                claim.minor = claim.minor.min(paid.max(0));
            }
            if let (Some(received), 1) = (received, claim.lines.len()) {
                claim
                    .lines
                    .values_mut()
                    .for_each(|u| *u = (*u).min(received));
            }
        }
    }

    /// Opens the flow of a new request: the level it needs and the merchant's clock.
    /// `earlier` is what the same customer asked to return earlier the same day; `paid`, what
    /// the system knows was paid for it, if it holds the order.
    pub fn open(
        terms: ReturnTerms,
        paid: Option<&Paid>,
        earlier: &DayUnits,
        now: DateTime<Utc>,
        policy: &ReturnPolicy,
    ) -> Result<Self, RuleError> {
        terms.validate()?;
        if let Some(paid) = paid {
            terms.check_paid(paid)?;
        }
        let (required_level, level_reasons) =
            required_level(&terms, earlier, paid.is_some(), policy);
        let mut deadline = Deadline {
            kind: DeadlineKind::Decision,
            due: later(now, hours(policy.decision_hours))?,
        };
        // An unshipped order past its promised shipping time: refund-only is approved then.
        if terms.kind == ReturnKind::RefundOnly
            && !terms.order_shipped
            && let Some(promised) = terms.promised_ship_by
            && promised < deadline.due
        {
            deadline = Deadline {
                kind: DeadlineKind::PromisedShipping,
                due: promised.max(now),
            };
        }
        let claim = paid.map(|p| Claim {
            minor: terms.claim_minor(),
            lines: BTreeMap::from([(p.line_id.clone(), terms.units)]),
        });
        let day_units = earlier.with(&terms).total;
        Ok(Self {
            terms,
            stage: Stage::AwaitingDecision,
            required_level,
            level_reasons,
            round: 1,
            deadline: Some(deadline),
            follow_up_needed: false,
            refund_without_return: false,
            claim,
            order_changed: false,
            claims_seen: None,
            day_units,
            goods_sent: false,
            approved_by: None,
            shipment: None,
            receipt: None,
            inspection: None,
            scrap_sign_off_pending: false,
            refund: None,
            refunded_at: None,
        })
    }
}

/// What may be done to a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Approve(Reasoned),
    Reject(Reasoned),
    /// The customer changes the request after a rejection (the clock restarts).
    Resubmit {
        #[serde(default)]
        note: String,
    },
    /// The customer asks for the platform to step in after a rejection.
    Escalate {
        #[serde(default)]
        note: String,
    },
    Ship {
        carrier: String,
        tracking_number: String,
    },
    Receive {
        slip: Option<ReturnSlip>,
        units_received: u32,
        #[serde(default)]
        missing_accessories: Vec<Deduction>,
    },
    Inspect(Inspection),
    /// The top level signs off scrap above the policy's limit.
    ApproveScrap(Reasoned),
    /// Finance pays the refund (or the system, on auto-approval).
    ExecuteRefund,
    /// The warehouse ships goods to the customer: an exchange's replacement, or goods whose
    /// return was refused.
    Reship {
        carrier: String,
        tracking_number: String,
    },
    Cancel {
        #[serde(default)]
        reason: Option<String>,
    },
    /// A deadline fell due (timers only).
    DeadlineDue,
}

impl Command {
    /// The step this command is, for access.
    pub fn access(&self) -> ReturnAction {
        match self {
            Command::Approve(_) | Command::Reject(_) => ReturnAction::Decide,
            Command::Resubmit { .. } => ReturnAction::Resubmit,
            Command::Escalate { .. } => ReturnAction::Escalate,
            Command::Ship { .. } => ReturnAction::Ship,
            Command::Receive { .. } => ReturnAction::Receive,
            Command::Inspect(_) => ReturnAction::Inspect,
            Command::ApproveScrap(_) => ReturnAction::ApproveScrap,
            Command::ExecuteRefund => ReturnAction::ExecuteRefund,
            Command::Reship { .. } => ReturnAction::Reship,
            Command::Cancel { .. } => ReturnAction::Cancel,
            Command::DeadlineDue => ReturnAction::FireDeadline,
        }
    }

    /// Every free-text field within its bound, every list within its length.
    fn check_fields(&self) -> Result<(), Refusal> {
        let mut errors = Vec::new();
        let mut text = |field: &str, value: &str, max: usize, required: bool| match bounded_text(
            field, value, max,
        ) {
            Ok(t) if required && t.is_empty() => {
                errors.push(InvalidField::new(field, "must not be empty"))
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        };
        let deductions = |field: &str, list: &[Deduction], errors: &mut Vec<InvalidField>| {
            if list.len() > MAX_DEDUCTIONS {
                errors.push(InvalidField::new(
                    field,
                    format!("at most {MAX_DEDUCTIONS} deductions"),
                ));
            }
            for (i, d) in list.iter().enumerate() {
                if let Err(e) = bounded_text(&format!("{field}/{i}/reason"), &d.reason, 200) {
                    errors.push(e);
                }
            }
        };
        match self {
            Command::Approve(r) | Command::Reject(r) | Command::ApproveScrap(r) => {
                text("note", &r.note, 2000, false)
            }
            Command::Resubmit { note } | Command::Escalate { note } => {
                text("note", note, 2000, false)
            }
            Command::Ship {
                carrier,
                tracking_number,
            }
            | Command::Reship {
                carrier,
                tracking_number,
            } => {
                text("carrier", carrier, 64, true);
                text("tracking_number", tracking_number, 64, true);
            }
            Command::Receive {
                slip,
                missing_accessories,
                ..
            } => {
                if let Some(slip) = slip {
                    text("slip/item_number", &slip.item_number, 64, true);
                    text("slip/item_name", &slip.item_name, 200, true);
                    text("slip/batch", slip.batch.as_deref().unwrap_or(""), 64, false);
                    text("slip/defect", &slip.defect, 1000, false);
                }
                deductions("missing_accessories", missing_accessories, &mut errors);
            }
            Command::Inspect(i) => deductions("damage", &i.damage, &mut errors),
            Command::Cancel { reason } => {
                text("reason", reason.as_deref().unwrap_or(""), 1000, false)
            }
            Command::ExecuteRefund | Command::DeadlineDue => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::Invalid(errors))
        }
    }
}

/// What happened, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReturnChange {
    Approved {
        reason_code: String,
        note: String,
        by_system: bool,
        refund_without_return: bool,
    },
    Rejected {
        reason_code: String,
        note: String,
        resubmit_until: DateTime<Utc>,
    },
    Resubmitted {
        round: u32,
        note: String,
        decide_by: DateTime<Utc>,
    },
    Escalated {
        note: String,
    },
    Shipped {
        carrier: String,
        tracking_number: String,
    },
    Received {
        units: u32,
        deductions_minor: i64,
    },
    Inspected {
        fault_confirmed: bool,
        responsibility: Responsibility,
        dispositions: Vec<Disposition>,
    },
    /// Scrap above the limit waits for the top level's sign-off.
    ScrapSignOffRequested {
        scrap_value_minor: Amount,
    },
    ScrapApproved {
        reason_code: String,
        note: String,
    },
    /// The inspection refused the return (a no-reason return that cannot be sold again): the
    /// goods go back to the customer and nothing is refunded.
    RefusedOnInspection {
        reason: String,
    },
    RefundCalculated {
        breakdown: RefundBreakdown,
    },
    Refunded {
        amount_minor: i64,
        currency: Currency,
        by_system: bool,
    },
    Reshipped {
        carrier: String,
        tracking_number: String,
    },
    /// Refused goods sent back to the customer.
    SentBack {
        carrier: String,
        tracking_number: String,
    },
    FollowUpNeeded {
        shipped_at: DateTime<Utc>,
    },
    Lapsed,
    ReturnCancelled {
        from: Stage,
        reason: Option<String>,
    },
}

pub(super) fn refuse<T>(rule: &'static str, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::Rule(RuleError::new(rule, message)))
}

/// Refused because of where the return stands now (409), not because of what was asked.
pub(super) fn refuse_state<T>(
    rule: &'static str,
    message: impl Into<String>,
) -> Result<T, Refusal> {
    Err(Refusal::Rule(RuleError::state(rule, message)))
}

pub(super) fn need_rank(actor: &Actor, level: Role) -> Result<(), Refusal> {
    if rank(actor.role) >= rank(level) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "this decision needs a {level} or above; a {} may not make it",
            actor.role
        )))
    }
}

/// The role check of the access table, for the step a command is.
pub(super) fn allowed(actor: &Actor, step: ReturnAction) -> Result<(), Refusal> {
    if access::may(actor.role, Action::Return(step)) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "a {} may not {}",
            actor.role,
            access::describe(Action::Return(step))
        )))
    }
}

/// After approval (by a person or by the clock): where the flow goes next.
pub(super) fn approved(
    flow: &mut ReturnFlow,
    reasoned: Reasoned,
    by: &Actor,
    now: DateTime<Utc>,
    policy: &ReturnPolicy,
) -> Vec<ReturnChange> {
    let by_system = by.role == Role::System;
    let mut changes = Vec::new();
    // The 48-hour rule turns a return-and-refund into a refund without return.
    // …unless the batch is large enough that quality must inspect it first (DOMAIN §4.2).
    let without_return = by_system
        && flow.terms.kind == ReturnKind::ReturnAndRefund
        && policy.auto_approval_refunds_without_return
        && flow.terms.units.max(flow.day_units) < policy.quality_first_units;
    flow.refund_without_return = without_return;
    flow.approved_by = Some(by.id.clone());
    changes.push(ReturnChange::Approved {
        reason_code: reasoned.reason_code,
        note: reasoned.note,
        by_system,
        refund_without_return: without_return,
    });
    flow.deadline = None;
    if flow.terms.goods_come_back() && !without_return {
        flow.stage = Stage::AwaitingShipment;
    } else {
        let breakdown = refund_breakdown(&flow.terms, None, None, policy);
        changes.push(ReturnChange::RefundCalculated {
            breakdown: breakdown.clone(),
        });
        flow.refund = Some(breakdown);
        flow.stage = Stage::RefundPending;
        if by_system && flow.claim.is_some() && !flow.order_changed {
            // Auto-approval refunds at once (DOMAIN §4.1): the system executes, an amount it
            // checked against the order. A declared one waits for finance.
            changes.extend(execute(flow, true, now));
        }
    }
    changes
}

pub(super) fn execute(
    flow: &mut ReturnFlow,
    by_system: bool,
    now: DateTime<Utc>,
) -> Vec<ReturnChange> {
    let amount = flow.refund.as_ref().map(|r| r.total_minor).unwrap_or(0);
    flow.settle_claim();
    flow.stage = Stage::Refunded;
    flow.refunded_at = Some(now);
    flow.deadline = None;
    vec![ReturnChange::Refunded {
        amount_minor: amount,
        currency: flow.terms.currency,
        by_system,
    }]
}

/// The level an approval or rejection needs: the request's, and a manager at least once the
/// platform has been asked to step in (escalation).
pub(super) fn decision_level(flow: &ReturnFlow) -> Role {
    if flow.stage == Stage::Escalated && rank(flow.required_level) < rank(Role::Manager) {
        Role::Manager
    } else {
        flow.required_level
    }
}

/// Decides a command on a return: the new flow and its changes, or why not.
pub fn decide(
    flow: &ReturnFlow,
    command: Command,
    actor: &Actor,
    now: DateTime<Utc>,
    policy: &ReturnPolicy,
) -> Result<(ReturnFlow, Vec<ReturnChange>), Refusal> {
    allowed(actor, command.access())?;
    command.check_fields()?;
    let mut next = flow.clone();
    let stage = flow.stage;
    let wrong_stage = |what: &str| -> Result<(ReturnFlow, Vec<ReturnChange>), Refusal> {
        refuse_state(
            "wrong-stage",
            format!("a return that is {} cannot be {what}", stage.as_str()),
        )
    };
    let changes = match command {
        Command::Approve(_) | Command::Reject(_)
            if !matches!(stage, Stage::AwaitingDecision | Stage::Escalated) =>
        {
            return wrong_stage("decided now");
        }
        Command::Approve(reasoned) => {
            reasoned.check()?;
            need_rank(actor, decision_level(flow))?;
            approved(&mut next, reasoned, actor, now, policy)
        }
        Command::Reject(reasoned) => {
            reasoned.check()?;
            need_rank(actor, decision_level(flow))?;
            let until = later(now, days(policy.resubmit_days))?;
            next.stage = Stage::Rejected;
            next.deadline = Some(Deadline {
                kind: DeadlineKind::Resubmit,
                due: until,
            });
            vec![ReturnChange::Rejected {
                reason_code: reasoned.reason_code,
                note: reasoned.note,
                resubmit_until: until,
            }]
        }
        Command::Resubmit { note } => {
            if stage != Stage::Rejected {
                return wrong_stage("resubmitted");
            }
            let due = later(now, hours(policy.decision_hours))?;
            next.round = next.round.saturating_add(1);
            next.stage = Stage::AwaitingDecision;
            next.deadline = Some(Deadline {
                kind: DeadlineKind::Decision,
                due,
            });
            vec![ReturnChange::Resubmitted {
                round: next.round,
                note,
                decide_by: due,
            }]
        }
        Command::Escalate { note } => {
            if stage != Stage::Rejected {
                return wrong_stage("escalated");
            }
            next.stage = Stage::Escalated;
            next.deadline = None;
            vec![ReturnChange::Escalated { note }]
        }
        Command::Ship {
            carrier,
            tracking_number,
        } => {
            if stage != Stage::AwaitingShipment {
                return wrong_stage("shipped");
            }
            let (carrier, tracking_number) =
                (carrier.trim().to_owned(), tracking_number.trim().to_owned());
            next.stage = Stage::InTransit;
            next.shipment = Some(Shipment {
                carrier: carrier.clone(),
                tracking_number: tracking_number.clone(),
                shipped_at: now,
            });
            next.deadline = Some(Deadline {
                kind: DeadlineKind::ShipmentFollowUp,
                due: later(now, days(policy.shipment_follow_up_days))?,
            });
            vec![ReturnChange::Shipped {
                carrier,
                tracking_number,
            }]
        }
        Command::Receive {
            slip,
            units_received,
            missing_accessories,
        } => {
            if stage != Stage::InTransit {
                return wrong_stage("received");
            }
            let Some(slip) = slip else {
                return refuse(
                    "return-slip-required",
                    "goods without a return slip are refused and sent back to sales",
                );
            };
            if units_received == 0
                || units_received > flow.terms.units
                || slip.quantity != units_received
            {
                return refuse(
                    "count-mismatch",
                    "the units received must match the slip and not exceed the request",
                );
            }
            let deducted = missing_accessories
                .iter()
                .fold(0i64, |sum, d| sum.saturating_add(d.amount_minor.get()));
            next.receipt = Some(Receipt {
                slip,
                units_received,
                missing_accessories,
                received_at: now,
            });
            next.stage = Stage::Received;
            next.deadline = None;
            next.follow_up_needed = false;
            vec![ReturnChange::Received {
                units: units_received,
                deductions_minor: deducted,
            }]
        }
        Command::Inspect(inspection) => {
            if stage != Stage::Received {
                return wrong_stage("inspected");
            }
            let units = flow.receipt.as_ref().map(|r| r.units_received).unwrap_or(0);
            if inspection.dispositions.len() != units as usize {
                return refuse(
                    "disposition-per-unit",
                    format!("give one disposition per unit received ({units})"),
                );
            }
            if inspection.return_shipping_minor > policy.return_shipping_cap_minor {
                return refuse(
                    "return-shipping-above-cap",
                    format!(
                        "return shipping is reimbursed up to {} (minor units); record what the customer was actually charged",
                        policy.return_shipping_cap_minor
                    ),
                );
            }
            let mut changes = vec![ReturnChange::Inspected {
                fault_confirmed: inspection.fault_confirmed,
                responsibility: inspection.responsibility,
                dispositions: inspection.dispositions.clone(),
            }];
            if inspection.dispositions.contains(&Disposition::Scrap)
                && inspection.scrap_value_minor > policy.scrap_limit_minor
            {
                next.scrap_sign_off_pending = true;
                changes.push(ReturnChange::ScrapSignOffRequested {
                    scrap_value_minor: inspection.scrap_value_minor,
                });
            }
            if no_reason_not_resaleable(&flow.terms, &inspection)
                && policy.not_resaleable_no_reason == NotResaleable::Refuse
            {
                // DOMAIN §3: the no-reason return holds only for goods that can be sold again.
                next.inspection = Some(inspection);
                next.stage = Stage::SendBackPending;
                changes.push(ReturnChange::RefusedOnInspection {
                    reason: "A no-reason return must come back in a state that can be sold again; these goods cannot, so they are sent back and nothing is refunded.".into(),
                });
                return Ok((next, changes));
            }
            let breakdown = refund_breakdown(
                &flow.terms,
                flow.receipt.as_ref(),
                Some(&inspection),
                policy,
            );
            next.inspection = Some(inspection);
            next.stage = if flow.terms.kind == ReturnKind::Exchange {
                Stage::ReshipPending
            } else {
                Stage::RefundPending
            };
            changes.push(ReturnChange::RefundCalculated {
                breakdown: breakdown.clone(),
            });
            next.refund = Some(breakdown);
            changes
        }
        Command::ApproveScrap(reasoned) => {
            reasoned.check()?;
            if !flow.scrap_sign_off_pending {
                return refuse_state(
                    "no-scrap-to-sign-off",
                    "no scrap above the limit waits for a sign-off on this return",
                );
            }
            need_rank(actor, policy.levels.scrap_above_limit)?;
            next.scrap_sign_off_pending = false;
            vec![ReturnChange::ScrapApproved {
                reason_code: reasoned.reason_code,
                note: reasoned.note,
            }]
        }
        Command::ExecuteRefund => {
            if stage != Stage::RefundPending {
                return match stage {
                    Stage::Refunded | Stage::Exchanged => {
                        refuse_state("already-refunded", "this refund has been paid")
                    }
                    _ => wrong_stage("refunded"),
                };
            }
            if flow.approved_by.as_deref() == Some(actor.id.as_str()) {
                return Err(Refusal::Forbidden(
                    "separation of duties: the person who approved a refund does not pay it".into(),
                ));
            }
            execute(&mut next, actor.role == Role::System, now)
        }
        Command::Reship {
            carrier,
            tracking_number,
        } => match stage {
            Stage::ReshipPending => {
                next.goods_sent = true;
                let refund = next.refund.as_ref().map(|r| r.total_minor).unwrap_or(0);
                let mut changes = vec![ReturnChange::Reshipped {
                    carrier,
                    tracking_number,
                }];
                if refund > 0 {
                    // A cheaper replacement: the difference is refunded before the case closes.
                    next.stage = Stage::RefundPending;
                } else {
                    next.stage = Stage::Exchanged;
                    // Nothing paid: the claim keeps the units exchanged, no money.
                    next.settle_claim();
                    changes.push(ReturnChange::Refunded {
                        amount_minor: 0,
                        currency: flow.terms.currency,
                        by_system: false,
                    });
                }
                changes
            }
            Stage::SendBackPending => {
                next.stage = Stage::SentBack;
                next.release_claim();
                vec![ReturnChange::SentBack {
                    carrier,
                    tracking_number,
                }]
            }
            _ => return wrong_stage("reshipped"),
        },
        Command::Cancel { reason } => {
            if !flow.cancellable() {
                return refuse_state(
                    "not-cancellable",
                    "a return can be cancelled only until the refund has succeeded",
                );
            }
            next.stage = Stage::Cancelled;
            next.deadline = None;
            next.release_claim();
            vec![ReturnChange::ReturnCancelled {
                from: stage,
                reason: reason
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty()),
            }]
        }
        Command::DeadlineDue => {
            let Some(deadline) = flow.deadline.filter(|d| d.due <= now) else {
                return refuse("not-due", "no deadline of this return is due");
            };
            match (deadline.kind, stage) {
                (
                    DeadlineKind::Decision | DeadlineKind::PromisedShipping,
                    Stage::AwaitingDecision,
                ) => approved(
                    &mut next,
                    Reasoned {
                        reason_code: "merchant_timeout".into(),
                        note: "Approved automatically: the merchant did not act in time.".into(),
                    },
                    actor,
                    now,
                    policy,
                ),
                (DeadlineKind::Resubmit, Stage::Rejected) => {
                    next.stage = Stage::Lapsed;
                    next.deadline = None;
                    next.release_claim();
                    vec![ReturnChange::Lapsed]
                }
                (DeadlineKind::ShipmentFollowUp, Stage::InTransit) => {
                    next.deadline = None;
                    next.follow_up_needed = true;
                    let shipped_at = flow.shipment.as_ref().map(|s| s.shipped_at).unwrap_or(now);
                    vec![ReturnChange::FollowUpNeeded { shipped_at }]
                }
                _ => {
                    next.deadline = None;
                    Vec::new()
                }
            }
        }
    };
    Ok((next, changes))
}
