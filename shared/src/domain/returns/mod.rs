//! Return approval (退货退款审批, DOMAIN §4): the workflow of a refund, return or exchange, its
//! clocks, who may decide what, and the refund's arithmetic.
//!
//! A return case carries one [`ReturnFlow`]. Its [`Stage`] is the single source of truth: the
//! case's coarse status is derived from it, and every command or deadline moves it through
//! [`decide`], a pure function of the flow, the command, the actor, `now` and the policy,
//! which answers with the new flow and the timeline changes, or a named refusal.
//!
//! ```text
//! AwaitingDecision ──approve──▶ RefundPending (refund only, compensation, price protection)
//!        │                 └──▶ AwaitingShipment ──ship──▶ InTransit ──receive──▶ Received
//!        │                                                          ──inspect──▶ RefundPending / ReshipPending
//!        ├──reject──▶ Rejected ──resubmit──▶ AwaitingDecision (clock restarts)
//!        │                     ──escalate──▶ Escalated ──approve/reject (manager)──▶ …
//!        │                     ──7 days──▶ Lapsed
//!        └──48 h──▶ approved by the system (refund only, or refund without return)
//! RefundPending ──execute (finance, or the system)──▶ Refunded
//! any stage before Refunded ──cancel (customer)──▶ Cancelled
//! ```

//! By subject: [`policy`] (the merchant's numbers, approval levels), [`terms`] (what a request
//! asks and claims), [`levels`] (who must decide), [`goods`] (shipment, receipt, inspection),
//! [`refund`] (the arithmetic), [`flow`] (stages, deadlines, commands, `decide`). Nothing here
//! knows about cases: a case carries a flow (`domain::case`), not the other way round.

// Money literals are written yuan_fen: `3999_00` is 3,999.00 yuan in minor units.
#![allow(clippy::inconsistent_digit_grouping)]

pub mod flow;
pub mod goods;
pub mod levels;
pub mod policy;
pub mod refund;
pub mod terms;
#[cfg(test)]
mod tests;

pub use flow::*;
pub use goods::*;
pub use levels::*;
pub use policy::*;
pub use refund::*;
pub use terms::*;
