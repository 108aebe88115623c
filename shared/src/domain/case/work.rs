//! Work orders (派工, DOMAIN §5): a case that needs a technician becomes a work order on the
//! case itself, so that every step is a versioned change of the case with its event on the
//! case's timeline (who, when), and the technician it is assigned to is the case's assignee
//! (whom the access table lets see it).
//!
//! The steps: opened with its promise (on site within hours by contract and area, or in the
//! workshop within working days), booked on a technician's slots, started, moved about the
//! board (在修 / 待料 / 机加工 / 等待答复 / 停工), changes of the agreed work confirmed by the
//! customer (服务项目更改登记), parts used, finished with the customer's one-time code, then
//! the exit inspection (出店检验); a failed inspection is an internal rework, a repeat of an
//! earlier repair is flagged and counted. A missed promise goes to the dispatcher, then once
//! to the manager, whatever the number of timer sweeps: the next alarm is part of the state.

use super::*;
use crate::domain::access::WorkAction;
use crate::domain::dispatch::{self, Area, BoardStatus, RepairDone};
use crate::domain::effects::{Counter, Decision, Effect};
use crate::domain::values::Currency;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// 上门: at the customer's.
    OnSite,
    /// 进店: in the workshop.
    Workshop,
}

/// How the work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkResult {
    /// Repaired.
    Done,
    /// Cannot be repaired on site: taken to the workshop (the workshop's promise starts).
    DepotRepair,
    /// Cannot be repaired: the exchange path of return approval opens.
    Replacement,
}

/// A visit or workshop slot on a technician's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Booking {
    pub technician: String,
    /// Shown to the customer with the arrival window.
    pub technician_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub booked_by: Role,
}

/// A change of the agreed work (服务项目更改登记), proposed by the technician and answered by
/// the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkChange {
    pub n: u32,
    pub description: String,
    /// What it adds to the balance to collect (minor units; may be 0).
    pub extra_minor: Amount,
    pub proposed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartUsed {
    pub part: String,
    pub quantity: u32,
    pub unit_price_minor: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExitInspection {
    pub by: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The earlier repair this one repeats (不允许同一问题重复修理).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RepeatOf {
    pub case_id: CaseId,
    pub technician: String,
    pub finished_at: DateTime<Utc>,
}

/// The work order of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkOrder {
    pub kind: WorkKind,
    /// The skill it needs (a product line, or for cars 机电 / 钣喷 / 改装).
    pub skill: String,
    pub district: String,
    pub area: Area,
    /// A contract customer (annual or per visit): the contract's hours apply.
    pub contract: bool,
    /// 服务内容: the agreed work.
    pub service: String,
    /// 预计停留: the expected stay, in minutes.
    pub expected_minutes: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts_to_bring: Vec<String>,
    pub currency: Currency,
    /// 借款金额: cash advanced to the technician (staff only).
    #[serde(default, skip_serializing_if = "Amount::is_zero")]
    pub cash_advance_minor: Amount,
    /// 需要收回的尾款: the balance to collect from the customer.
    pub balance_due_minor: Amount,
    pub accepted_at: DateTime<Utc>,
    /// The promise: on site by then, or (workshop) repaired by then.
    pub due: DateTime<Utc>,
    /// When the timers look at it next (the promise, then the manager's turn); none once met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_at: Option<DateTime<Utc>>,
    /// Who a missed promise went to, in order (the dispatcher, then the manager).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalated_to: Vec<Role>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<Booking>,
    /// The board's state once the technician has started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<BoardStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// Waiting for parts (待料): when they are promised (the policy's spare-parts days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts_due: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<WorkChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts_used: Vec<PartUsed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<WorkResult>,
    /// The fault found (a code of the merchant's vocabulary): the repeat-repair rule reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// When the customer's code confirmed the work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Wrong codes entered since the customer's code was issued.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code_failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection: Option<ExitInspection>,
    /// Internal reworks (返修): exit inspections failed.
    #[serde(default)]
    pub reworks: u32,
    /// An external rework order: the earlier case whose repair failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rework_of: Option<CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<RepeatOf>,
}

/// What a work order comes to, for the board and the queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkSummary {
    pub kind: WorkKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<BoardStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    pub due: DateTime<Utc>,
    /// The promise is kept (on site: started; in the workshop: finished).
    #[serde(default)]
    pub met: bool,
    /// The promise was missed (or, in a listing, is past and not met).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_to: Option<Role>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_inspection: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl WorkSummary {
    /// Late at `now`: escalated already, or past the promise and not met.
    pub fn late_at(&self, now: DateTime<Utc>) -> bool {
        self.late || (!self.met && now > self.due)
    }
}

impl WorkOrder {
    /// The promise is kept: on site, the technician has started; in the workshop, the repair
    /// is finished.
    pub fn met(&self) -> bool {
        match self.kind {
            WorkKind::OnSite => self.started_at.is_some(),
            WorkKind::Workshop => self.finished_at.is_some(),
        }
    }

    /// The work order as its customer is shown it: who comes and when, the work agreed, its
    /// changes and parts, the balance to collect and the outcome; not the technician's cash
    /// advance, tools and parts to bring, nor how the merchant escalated a missed promise.
    pub fn as_seen_by_customer(&mut self) {
        self.cash_advance_minor = Amount::ZERO;
        self.tools.clear();
        self.parts_to_bring.clear();
        self.escalated_to.clear();
        self.code_failures = 0;
    }

    /// Done with: inspected, or handed over to the exchange.
    pub fn complete(&self) -> bool {
        self.inspection.is_some() || self.result == Some(WorkResult::Replacement)
    }

    fn open_board(&self) -> Option<BoardStatus> {
        self.board.filter(|b| *b != BoardStatus::Finished)
    }

    fn pending_change(&self) -> Option<&WorkChange> {
        self.changes.iter().find(|c| c.accepted.is_none())
    }

    /// Late at `now`: escalated already, or past the promise and not met.
    pub fn late_at(&self, now: DateTime<Utc>) -> bool {
        self.late || (!self.met() && !self.complete() && now > self.due)
    }

    pub fn summary(&self) -> WorkSummary {
        WorkSummary {
            kind: self.kind,
            board: self.board,
            technician: self.booking.as_ref().map(|b| b.technician.clone()),
            start: self.booking.as_ref().map(|b| b.start),
            due: self.due,
            met: self.met(),
            late: self.late,
            escalated_to: self.escalated_to.last().copied(),
            awaiting_inspection: self.board == Some(BoardStatus::Finished)
                && self.result == Some(WorkResult::Done)
                && self.inspection.is_none(),
        }
    }

    /// When the timers must look next: the promise, then the manager's turn, while unmet.
    fn next_alarm(&self, policy: &Policy) -> Option<DateTime<Utc>> {
        if self.met() || self.complete() {
            return None;
        }
        match self.escalated_to.len() {
            0 => Some(self.due),
            1 => self.due.checked_add_signed(Duration::hours(i64::from(
                policy.dispatch.manager_after_hours,
            ))),
            _ => None,
        }
    }
}

/// One step of a work order on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum WorkStep {
    Opened {
        kind: WorkKind,
        due: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rework_of: Option<CaseId>,
    },
    Booked {
        technician: String,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rescheduled_from: Option<DateTime<Utc>>,
    },
    BookingCancelled {
        technician: String,
        start: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Started,
    Status {
        from: BoardStatus,
        to: BoardStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    ChangeProposed {
        n: u32,
        description: String,
        extra_minor: Amount,
    },
    ChangeAnswered {
        n: u32,
        accepted: bool,
    },
    PartUsed {
        part: String,
        quantity: u32,
    },
    /// A wrong confirmation code; `renewed` when the customer's code was replaced.
    CodeRefused {
        failures: u32,
        renewed: bool,
    },
    Finished {
        result: WorkResult,
        fault: String,
        confirmed_by_customer: bool,
    },
    /// The work goes to the workshop: the workshop's promise replaces the visit's.
    ToWorkshop {
        due: DateTime<Utc>,
    },
    Inspected {
        passed: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repeat_of: Option<RepeatOf>,
    },
    /// The promise was missed: told to `to` (the dispatcher, then the manager).
    Late {
        due: DateTime<Utc>,
        to: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        technician: Option<String>,
    },
}

/// The body of `POST /v1/cases/{id}/work`: one step, named by `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorkCommand {
    /// Customer service or the dispatcher make the case a work order.
    Open(OpenWork),
    /// Book (or move) the visit: staff may name the technician (else the best free one at
    /// that time goes), the customer picks one of the offered times.
    Book {
        start: DateTime<Utc>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        technician: Option<String>,
    },
    CancelBooking {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The technician is there (or has the unit on the bench).
    Start,
    SetStatus {
        status: BoardStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    ProposeChange {
        description: String,
        #[serde(default)]
        extra_minor: Amount,
    },
    AnswerChange {
        accept: bool,
    },
    UsePart {
        part: String,
        quantity: u32,
        #[serde(default)]
        unit_price_minor: Amount,
    },
    Finish {
        result: WorkResult,
        /// The fault found (a short code such as `power-board`).
        fault: String,
        /// The customer's one-time code (on site, when the work is done).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// For a replacement: the exchange to open.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exchange: Option<returns::ReturnTerms>,
    },
    /// 出店检验.
    Inspect {
        passed: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The promise's alarm fell due (the timers only: anyone else is refused 403).
    DeadlineDue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenWork {
    pub kind: WorkKind,
    pub skill: String,
    pub district: String,
    pub area: Area,
    pub service: String,
    /// Minutes (15 to 480).
    pub expected_minutes: u32,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub parts_to_bring: Vec<String>,
    #[serde(default = "cny")]
    pub currency: Currency,
    #[serde(default)]
    pub cash_advance_minor: Amount,
    #[serde(default)]
    pub balance_due_minor: Amount,
    /// An external rework order: the earlier case whose repair failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rework_of: Option<CaseId>,
}

fn cny() -> Currency {
    Currency::CNY
}

impl WorkCommand {
    pub fn access(&self) -> WorkAction {
        match self {
            WorkCommand::Open(_) => WorkAction::Open,
            WorkCommand::Book { .. } => WorkAction::Book,
            WorkCommand::CancelBooking { .. } => WorkAction::CancelBooking,
            WorkCommand::Start => WorkAction::Start,
            WorkCommand::SetStatus { .. } => WorkAction::SetStatus,
            WorkCommand::ProposeChange { .. } => WorkAction::ProposeChange,
            WorkCommand::AnswerChange { .. } => WorkAction::AnswerChange,
            WorkCommand::UsePart { .. } => WorkAction::UsePart,
            WorkCommand::Finish { .. } => WorkAction::Finish,
            WorkCommand::Inspect { .. } => WorkAction::Inspect,
            WorkCommand::DeadlineDue => WorkAction::FireDeadline,
        }
    }
}

/// What a work step needs beyond the case, as the handler read or drew it.
#[derive(Debug, Clone, Default)]
pub struct WorkInputs<'a> {
    /// A booking: the technician who goes, their name and daily capacity (resolved by the
    /// handler from the technicians' record and the day's bookings; the slots' and the day's
    /// conditional writes decide).
    pub booking_technician: Option<(&'a str, &'a str, u32)>,
    /// Finishing: the customer's code as it was issued.
    pub issued_code: Option<&'a str>,
    /// A fresh code, issued if the step needs one (a start, a renewal, a rework).
    pub fresh_code: Option<&'a str>,
    /// An inspection: the earlier repairs of the unit's serial number.
    pub history: &'a [RepairDone<'a>],
}

pub const MAX_PARTS: usize = 100;
pub const MAX_CHANGES: usize = 20;
const MAX_LIST: usize = 30;

fn refuse(rule: &'static str, message: impl Into<String>) -> Refusal {
    RuleError::state(rule, message).into()
}

fn text_list(field: &str, items: &[String]) -> Result<Vec<String>, InvalidField> {
    if items.len() > MAX_LIST {
        return Err(InvalidField::new(
            field,
            format!("at most {MAX_LIST} items"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let t = bounded_text(&format!("{field}/{i}"), t, 100)?;
            if t.is_empty() {
                return Err(InvalidField::new(
                    format!("{field}/{i}"),
                    "must not be empty",
                ));
            }
            Ok(t)
        })
        .collect()
}

fn required_text(field: &str, raw: &str, max: usize) -> Result<String, InvalidField> {
    let t = bounded_text(field, raw, max)?;
    if t.is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    Ok(t)
}

/// A fault code: lower-case letters, digits and dashes (the reports count by it).
fn fault_code(raw: &str) -> Result<String, InvalidField> {
    let code = raw.trim().to_ascii_lowercase();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(InvalidField::new(
            "fault",
            "a code of 1 to 40 letters, digits, dashes or underscores",
        ));
    }
    Ok(code)
}

/// The key repeat repairs are counted by for a product: its SKU, else its model.
pub fn product_key(case: &Case) -> Option<String> {
    case.product
        .sku
        .clone()
        .or_else(|| case.product.model.clone())
        .filter(|k| !k.is_empty())
}

/// Compares the code entered with the code issued, in time independent of where they differ.
fn same_code(entered: &str, issued: &str) -> bool {
    let (a, b) = (entered.trim().as_bytes(), issued.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One step of a case's work order: the next case, its event, and what else is written.
pub fn apply_work(
    case: &Case,
    command: WorkCommand,
    actor: Actor,
    now: DateTime<Utc>,
    policy: &Policy,
    inputs: &WorkInputs<'_>,
) -> Result<Decision, Refusal> {
    allowed(&actor, Action::Work(command.access()))?;
    if !case.status.open() && !matches!(command, WorkCommand::DeadlineDue) {
        return Err(refuse(
            "case-closed",
            format!("a case that is {} takes no more work", case.status.as_str()),
        ));
    }
    let mut effects = Vec::new();
    let mut work = match (&command, case.work.clone()) {
        (WorkCommand::Open(_), None) => None,
        (WorkCommand::Open(_), Some(_)) => {
            return Err(refuse(
                "work-order-open",
                "this case has a work order already",
            ));
        }
        (_, Some(work)) => Some(work),
        (_, None) => {
            return Err(refuse("no-work-order", "this case has no work order"));
        }
    };
    let step = match command {
        WorkCommand::Open(open) => {
            let (opened, step) = open_work(case, open, now, policy)?;
            work = Some(opened);
            step
        }
        WorkCommand::Book { start, .. } => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            if w.board.is_some() {
                return Err(refuse(
                    "work-started",
                    "the technician has started: the visit can no longer be moved",
                ));
            }
            dispatch::bookable(start, now)?;
            let (id, name, capacity) = inputs.booking_technician.ok_or_else(|| {
                RuleError::new("no-technician-free", "no technician is free then")
            })?;
            let end = start + dispatch::slot_length(w.expected_minutes, policy);
            let (day, slots) = dispatch::slots(start, end, policy)
                .map_err(|why| RuleError::new("off-the-grid", why))?;
            let rescheduled_from = w.booking.as_ref().map(|b| b.start);
            if let Some(old) = w.booking.take() {
                effects.push(free_slots(&old, policy));
            }
            effects.push(Effect::HoldSlots {
                technician: id.to_owned(),
                day,
                slots,
                start,
                end,
                kind: w.kind,
                capacity,
            });
            w.booking = Some(Booking {
                technician: id.to_owned(),
                technician_name: name.to_owned(),
                start,
                end,
                booked_by: actor.role,
            });
            WorkStep::Booked {
                technician: id.to_owned(),
                start,
                end,
                rescheduled_from,
            }
        }
        WorkCommand::CancelBooking { note } => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            let note = optional_text("note", &note, 500)?;
            if w.board.is_some() {
                return Err(refuse("work-started", "the technician has started"));
            }
            let old = w
                .booking
                .take()
                .ok_or_else(|| refuse("not-booked", "nothing is booked"))?;
            effects.push(free_slots(&old, policy));
            WorkStep::BookingCancelled {
                technician: old.technician,
                start: old.start,
                note,
            }
        }
        WorkCommand::Start => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            if w.board.is_some() {
                return Err(refuse("work-started", "the work has started already"));
            }
            if w.booking.is_none() {
                return Err(refuse("not-booked", "the work is not booked"));
            }
            w.board = Some(BoardStatus::InRepair);
            w.started_at = Some(now);
            issue_code(w, inputs, case, now, &mut effects)?;
            WorkStep::Started
        }
        WorkCommand::SetStatus { status, note } => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            let note = optional_text("note", &note, 500)?;
            let from = w
                .open_board()
                .ok_or_else(|| refuse("work-not-running", "the work is not running"))?;
            if status == BoardStatus::Finished {
                return Err(RuleError::new(
                    "finish-with-result",
                    "finish the work with its result (action finish)",
                )
                .into());
            }
            if w.pending_change().is_some() && status != BoardStatus::WaitingForCustomer {
                return Err(refuse(
                    "change-unanswered",
                    "the customer has not answered the change of the agreed work",
                ));
            }
            if !from.may_become(status) {
                return Err(refuse(
                    "board-transition",
                    format!("the work is {} already", status.label_zh()),
                ));
            }
            w.board = Some(status);
            w.parts_due = if status == BoardStatus::WaitingForParts {
                now.checked_add_signed(Duration::days(i64::from(policy.dispatch.spare_parts_days)))
            } else {
                None
            };
            WorkStep::Status {
                from,
                to: status,
                note,
            }
        }
        WorkCommand::ProposeChange {
            description,
            extra_minor,
        } => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            let description = required_text("description", &description, 1000)?;
            w.open_board()
                .ok_or_else(|| refuse("work-not-running", "the work is not running"))?;
            if w.pending_change().is_some() {
                return Err(refuse(
                    "change-unanswered",
                    "the customer has not answered the last change yet",
                ));
            }
            if w.changes.len() >= MAX_CHANGES {
                return Err(RuleError::new("too-many-changes", "at most 20 changes").into());
            }
            let n = u32::try_from(w.changes.len()).unwrap_or(u32::MAX) + 1;
            w.changes.push(WorkChange {
                n,
                description: description.clone(),
                extra_minor,
                proposed_at: now,
                accepted: None,
                answered_at: None,
            });
            w.board = Some(BoardStatus::WaitingForCustomer);
            WorkStep::ChangeProposed {
                n,
                description,
                extra_minor,
            }
        }
        WorkCommand::AnswerChange { accept } => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            let balance = w.balance_due_minor;
            let change = w
                .changes
                .iter_mut()
                .find(|c| c.accepted.is_none())
                .ok_or_else(|| refuse("no-change-pending", "no change awaits an answer"))?;
            if accept {
                w.balance_due_minor = balance
                    .get()
                    .checked_add(change.extra_minor.get())
                    .and_then(|sum| Amount::new(sum).ok())
                    .ok_or_else(|| {
                        RuleError::new("amount-out-of-range", "the balance would exceed its bound")
                    })?;
            }
            change.accepted = Some(accept);
            change.answered_at = Some(now);
            let n = change.n;
            w.board = Some(BoardStatus::InRepair);
            WorkStep::ChangeAnswered {
                n,
                accepted: accept,
            }
        }
        WorkCommand::UsePart {
            part,
            quantity,
            unit_price_minor,
        } => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            let part = required_text("part", &part, 100)?;
            if !(1..=1000).contains(&quantity) {
                return Err(InvalidField::new("quantity", "must be 1 to 1000").into());
            }
            w.open_board()
                .ok_or_else(|| refuse("work-not-running", "the work is not running"))?;
            if w.parts_used.len() >= MAX_PARTS {
                return Err(RuleError::new("too-many-parts", "at most 100 parts").into());
            }
            w.parts_used.push(PartUsed {
                part: part.clone(),
                quantity,
                unit_price_minor,
            });
            WorkStep::PartUsed { part, quantity }
        }
        WorkCommand::Finish {
            result,
            fault,
            code,
            exchange,
        } => {
            let fault = fault_code(&fault)?;
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            w.open_board()
                .ok_or_else(|| refuse("work-not-running", "the work is not running"))?;
            if w.pending_change().is_some() {
                return Err(refuse(
                    "change-unanswered",
                    "the customer has not answered the change of the agreed work",
                ));
            }
            if exchange.is_some() != (result == WorkResult::Replacement) {
                return Err(InvalidField::new(
                    "exchange",
                    "the exchange's terms come with a replacement, and only then",
                )
                .into());
            }
            let mut confirmed = false;
            if result == WorkResult::Done && w.kind == WorkKind::OnSite {
                let entered = code.as_deref().ok_or_else(|| {
                    InvalidField::new("code", "the customer's code confirms the work done")
                })?;
                if !inputs
                    .issued_code
                    .is_some_and(|issued| same_code(entered, issued))
                {
                    return Err(RuleError::new(
                        "wrong-code",
                        "that is not the customer's code: ask them to read it from their app",
                    )
                    .into());
                }
                confirmed = true;
                w.confirmed_at = Some(now);
            }
            w.fault = Some(fault.clone());
            match result {
                WorkResult::Done => {
                    w.result = Some(result);
                    w.board = Some(BoardStatus::Finished);
                    w.finished_at = Some(now);
                }
                WorkResult::DepotRepair => {
                    if w.kind == WorkKind::Workshop {
                        return Err(RuleError::new(
                            "in-the-workshop",
                            "the work is in the workshop already",
                        )
                        .into());
                    }
                    let due = dispatch::workshop_due(now, policy).ok_or_else(|| {
                        RuleError::new("date-out-of-range", "a deadline falls out of range")
                    })?;
                    w.kind = WorkKind::Workshop;
                    w.due = due;
                    w.board = Some(BoardStatus::InRepair);
                    w.escalated_to.clear();
                    w.late = false;
                }
                WorkResult::Replacement => {
                    if case.returns.is_some() {
                        return Err(refuse("return-open", "the case has a return already"));
                    }
                    w.result = Some(result);
                    w.board = Some(BoardStatus::Finished);
                    w.finished_at = Some(now);
                }
            }
            let mut step = WorkStep::Finished {
                result,
                fault,
                confirmed_by_customer: confirmed,
            };
            if result == WorkResult::DepotRepair {
                step = WorkStep::ToWorkshop { due: w.due };
            }
            if let Some(terms) = exchange {
                if terms.kind != returns::ReturnKind::Exchange {
                    return Err(InvalidField::new("exchange/kind", "must be exchange").into());
                }
                let flow = returns::ReturnFlow::open(
                    terms,
                    None,
                    &returns::DayUnits::default(),
                    now,
                    &policy.returns,
                )?;
                let (mut next, event) = next_version(case, actor.clone(), now, work_change(step));
                next.status = flow.stage.case_status();
                next.returns = Some(flow);
                return Ok(finish(next, work, vec![event], effects, policy));
            }
            step
        }
        WorkCommand::Inspect { passed, note } => {
            let note = optional_text("note", &note, 500)?;
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            if !(w.board == Some(BoardStatus::Finished)
                && w.result == Some(WorkResult::Done)
                && w.inspection.is_none())
            {
                return Err(refuse(
                    "not-awaiting-inspection",
                    "only finished work awaits its exit inspection",
                ));
            }
            if passed {
                w.inspection = Some(ExitInspection {
                    by: actor.id.clone(),
                    at: now,
                    note: note.clone(),
                });
                let technician = w.booking.as_ref().map(|b| b.technician.clone());
                let repeat = inspected_repair(case, w, technician.as_deref(), now, policy, inputs);
                if let Some((earlier, effects_of)) = repeat {
                    w.repeat_of = earlier;
                    effects.extend(effects_of);
                }
                WorkStep::Inspected {
                    passed,
                    note,
                    repeat_of: w.repeat_of.clone(),
                }
            } else {
                // 返修: back on the bench, and the customer confirms the work again.
                w.reworks = w.reworks.saturating_add(1);
                w.board = Some(BoardStatus::InRepair);
                w.result = None;
                w.finished_at = None;
                w.confirmed_at = None;
                issue_code(w, inputs, case, now, &mut effects)?;
                WorkStep::Inspected {
                    passed,
                    note,
                    repeat_of: None,
                }
            }
        }
        WorkCommand::DeadlineDue => {
            let w = work
                .as_mut()
                .ok_or_else(|| refuse("no-work-order", "no work order"))?;
            if w.alarm_at.is_none_or(|at| at > now) || !case.status.open() {
                return Err(refuse("not-due", "no promise of this work order is due"));
            }
            let to = if w.escalated_to.is_empty() {
                Role::Dispatcher
            } else {
                Role::Manager
            };
            let technician = w.booking.as_ref().map(|b| b.technician.clone());
            if w.escalated_to.is_empty()
                && let Some(t) = &technician
            {
                effects.push(Effect::Count(Counter::TechnicianLate(t.clone())));
            }
            w.escalated_to.push(to);
            w.late = true;
            WorkStep::Late {
                due: w.due,
                to,
                technician,
            }
        }
    };
    let (next, event) = next_version(case, actor, now, work_change(step));
    Ok(finish(next, work, vec![event], effects, policy))
}

/// A wrong code: counted, and past the policy's attempts the customer's code is renewed (so
/// that guessing is bounded). The decision to write; the request is still refused.
pub fn refuse_code(
    case: &Case,
    actor: Actor,
    now: DateTime<Utc>,
    policy: &Policy,
    fresh_code: &str,
) -> Option<Decision> {
    let mut work = case.work.clone()?;
    work.code_failures = work.code_failures.saturating_add(1);
    let mut effects = Vec::new();
    let renewed = work.code_failures >= policy.dispatch.confirmation_attempts;
    if renewed {
        work.code_failures = 0;
        effects.push(Effect::IssueCode {
            code: fresh_code.to_owned(),
            at: now,
        });
    }
    let failures = if renewed {
        policy.dispatch.confirmation_attempts
    } else {
        work.code_failures
    };
    let (next, event) = next_version(
        case,
        actor,
        now,
        work_change(WorkStep::CodeRefused { failures, renewed }),
    );
    Some(finish(next, Some(work), vec![event], effects, policy))
}

fn work_change(step: WorkStep) -> Change {
    Change::Work { step }
}

/// The case with its work order's alarm, assignee and status brought up to date.
fn finish(
    mut next: Case,
    work: Option<WorkOrder>,
    events: Vec<Event>,
    effects: Vec<Effect>,
    policy: &Policy,
) -> Decision {
    if let Some(mut w) = work {
        w.alarm_at = w.next_alarm(policy);
        next.assignee = w.booking.as_ref().map(|b| b.technician.clone());
        if w.inspection.is_some() && next.returns.is_none() {
            next.status = CaseStatus::Resolved;
        } else if next.returns.is_none() && next.status == CaseStatus::Submitted {
            next.status = CaseStatus::InProgress;
        }
        next.work = Some(w);
    }
    Decision {
        next,
        events,
        effects,
    }
}

fn open_work(
    case: &Case,
    open: OpenWork,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(WorkOrder, WorkStep), Refusal> {
    if !matches!(
        case.case_type,
        CaseType::Repair | CaseType::Installation | CaseType::TechnicalSupport
    ) || case.returns.is_some()
    {
        return Err(RuleError::new(
            "not-field-work",
            "repairs, installations and technical support become work orders",
        )
        .into());
    }
    let mut errors = Vec::new();
    let mut field = |r: Result<String, InvalidField>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            String::new()
        }
    };
    let skill = field(required_text("skill", &open.skill, 64));
    let district = field(required_text("district", &open.district, 32));
    let service = field(required_text("service", &open.service, 1000));
    let tools = text_list("tools", &open.tools).unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    let parts = text_list("parts_to_bring", &open.parts_to_bring).unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    if !(15..=480).contains(&open.expected_minutes) {
        errors.push(InvalidField::new("expected_minutes", "must be 15 to 480"));
    }
    if let Some(earlier) = &open.rework_of
        && *earlier == case.id
    {
        errors.push(InvalidField::new(
            "rework_of",
            "an earlier case, not this one",
        ));
    }
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    let contract = case.contact.attribute != CustomerAttribute::InWarranty;
    let due = match open.kind {
        WorkKind::OnSite => dispatch::on_site_due(now, contract, open.area, policy),
        WorkKind::Workshop => dispatch::workshop_due(now, policy),
    }
    .ok_or_else(|| RuleError::new("date-out-of-range", "a deadline falls out of range"))?;
    let work = WorkOrder {
        kind: open.kind,
        skill,
        district,
        area: open.area,
        contract,
        service,
        expected_minutes: open.expected_minutes,
        tools,
        parts_to_bring: parts,
        currency: open.currency,
        cash_advance_minor: open.cash_advance_minor,
        balance_due_minor: open.balance_due_minor,
        accepted_at: now,
        due,
        alarm_at: None,
        escalated_to: Vec::new(),
        late: false,
        booking: None,
        board: None,
        started_at: None,
        parts_due: None,
        changes: Vec::new(),
        parts_used: Vec::new(),
        result: None,
        fault: None,
        finished_at: None,
        confirmed_at: None,
        code_failures: 0,
        inspection: None,
        reworks: 0,
        rework_of: open.rework_of.clone(),
        repeat_of: None,
    };
    let step = WorkStep::Opened {
        kind: open.kind,
        due,
        rework_of: open.rework_of,
    };
    Ok((work, step))
}

/// On site, the customer gets a code to confirm the work with (on a start, and again after a
/// rework).
fn issue_code(
    w: &mut WorkOrder,
    inputs: &WorkInputs<'_>,
    case: &Case,
    now: DateTime<Utc>,
    effects: &mut Vec<Effect>,
) -> Result<(), Refusal> {
    if w.kind != WorkKind::OnSite {
        return Ok(());
    }
    let code = inputs.fresh_code.ok_or_else(|| {
        Refusal::Rule(RuleError::new(
            "no-code",
            format!("no code drawn for {}", case.id),
        ))
    })?;
    w.code_failures = 0;
    effects.push(Effect::IssueCode {
        code: code.to_owned(),
        at: now,
    });
    Ok(())
}

/// The booking's slots given back.
pub fn free_slots(booking: &Booking, policy: &Policy) -> Effect {
    let (day, slots) = dispatch::slots(booking.start, booking.end, policy).unwrap_or_else(|_| {
        (
            booking
                .start
                .with_timezone(&policy.time_zone())
                .date_naive(),
            Vec::new(),
        )
    });
    Effect::FreeSlots {
        technician: booking.technician.clone(),
        day,
        slots,
        start: booking.start,
    }
}

/// A repair that passed its inspection: its record for the repeat-repair rule, and if it
/// repeats an earlier one, that one (counted against its technician and the product).
fn inspected_repair(
    case: &Case,
    w: &WorkOrder,
    technician: Option<&str>,
    now: DateTime<Utc>,
    policy: &Policy,
    inputs: &WorkInputs<'_>,
) -> Option<(Option<RepeatOf>, Vec<Effect>)> {
    let serial = case
        .product
        .serial_number
        .as_deref()
        .filter(|s| !s.is_empty())?;
    let fault = w.fault.as_deref()?;
    let technician = technician.unwrap_or("");
    let this = RepairDone {
        case_id: &case.id,
        serial_number: serial,
        fault,
        technician,
        finished_at: now,
    };
    let mut effects = vec![Effect::RecordRepair {
        serial_number: serial.to_owned(),
        fault: fault.to_owned(),
        technician: technician.to_owned(),
        product: product_key(case),
        finished_at: now,
    }];
    let earlier = dispatch::repeat_of(&this, inputs.history, policy.dispatch.repeat_window_days)
        .map(|e| {
            effects.push(Effect::Count(Counter::TechnicianRepeat(
                e.technician.to_owned(),
            )));
            if let Some(product) = product_key(case) {
                effects.push(Effect::Count(Counter::ProductRepeat(product)));
            }
            RepeatOf {
                case_id: e.case_id.clone(),
                technician: e.technician.to_owned(),
                finished_at: e.finished_at,
            }
        });
    Some((earlier, effects))
}

/// When a case that closes had a visit booked and not started: its slots are given back.
pub fn released_booking(before: &Case, after: &Case, policy: &Policy) -> Option<Effect> {
    if after.status.open() || !before.status.open() {
        return None;
    }
    let w = before.work.as_ref()?;
    let booking = w.booking.as_ref().filter(|_| w.board.is_none())?;
    Some(free_slots(booking, policy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::values::Phone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        // 2026-12-02 (a Wednesday) in Beijing time.
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 2, h, m, 0)
            .single()
            .unwrap()
            - Duration::hours(8)
    }

    fn person(id: &str, role: Role) -> Actor {
        Actor {
            id: id.into(),
            role,
            name: None,
        }
    }

    fn contract_repair() -> Case {
        let mut case = super::super::tests::filed_repair_for_tests();
        case.contact.attribute = CustomerAttribute::AnnualContract;
        case.contact.phone = Phone::parse("13800138000").ok();
        case
    }

    fn open() -> WorkCommand {
        serde_json::from_value(serde_json::json!({
            "action": "open", "kind": "on_site", "skill": "television", "district": "420102",
            "area": "city", "service": "Replace the power board", "expected_minutes": 90
        }))
        .unwrap()
    }

    fn step(
        case: &Case,
        command: WorkCommand,
        actor: Actor,
        now: DateTime<Utc>,
        inputs: &WorkInputs<'_>,
    ) -> Result<Decision, Refusal> {
        apply_work(case, command, actor, now, &Policy::default(), inputs)
    }

    fn booked(now: DateTime<Utc>) -> Case {
        let none = WorkInputs::default();
        let case = contract_repair();
        let opened = step(&case, open(), person("a-1", Role::Agent), now, &none).unwrap();
        let inputs = WorkInputs {
            booking_technician: Some(("t-1", "Wang", 8)),
            ..WorkInputs::default()
        };
        let book = WorkCommand::Book {
            start: at(11, 0),
            technician: Some("t-1".into()),
        };
        step(
            &opened.next,
            book,
            person("d-1", Role::Dispatcher),
            now,
            &inputs,
        )
        .unwrap()
        .next
    }

    #[test]
    fn a_contract_customer_in_the_city_is_promised_a_technician_two_hours_after_acceptance() {
        let case = booked(at(10, 0));
        let work = case.work.as_ref().unwrap();
        assert_eq!(work.due, at(12, 0));
        assert_eq!(work.alarm_at, Some(at(12, 0)));
        assert_eq!(case.assignee.as_deref(), Some("t-1"));
        assert_eq!(work.booking.as_ref().unwrap().end, at(12, 30));
    }

    #[test]
    fn a_missed_promise_goes_to_the_dispatcher_then_once_to_the_manager_and_never_again() {
        let case = booked(at(10, 0));
        let none = WorkInputs::default();
        let system = person("timers", Role::System);
        assert!(
            step(
                &case,
                WorkCommand::DeadlineDue,
                system.clone(),
                at(11, 59),
                &none
            )
            .is_err()
        );
        let first = step(
            &case,
            WorkCommand::DeadlineDue,
            system.clone(),
            at(12, 1),
            &none,
        )
        .unwrap();
        assert_eq!(
            first.effects,
            [Effect::Count(Counter::TechnicianLate("t-1".into()))]
        );
        let work = first.next.work.as_ref().unwrap();
        assert_eq!(work.escalated_to, [Role::Dispatcher]);
        assert_eq!(work.alarm_at, Some(at(16, 0)));
        // Another sweep before the manager's turn finds nothing due.
        assert!(
            step(
                &first.next,
                WorkCommand::DeadlineDue,
                system.clone(),
                at(13, 0),
                &none
            )
            .is_err()
        );
        let second = step(
            &first.next,
            WorkCommand::DeadlineDue,
            system.clone(),
            at(16, 0),
            &none,
        )
        .unwrap();
        let work = second.next.work.as_ref().unwrap();
        assert_eq!(work.escalated_to, [Role::Dispatcher, Role::Manager]);
        assert_eq!(work.alarm_at, None);
        assert!(
            second.effects.is_empty(),
            "counted against the technician once"
        );
        assert!(
            step(
                &second.next,
                WorkCommand::DeadlineDue,
                system,
                at(23, 0),
                &none
            )
            .is_err()
        );
    }

    #[test]
    fn moving_a_visit_gives_its_slots_back_and_holds_the_new_ones() {
        let case = booked(at(10, 0));
        let inputs = WorkInputs {
            booking_technician: Some(("t-2", "Li", 8)),
            ..WorkInputs::default()
        };
        let moved = step(
            &case,
            WorkCommand::Book {
                start: at(14, 0),
                technician: None,
            },
            person("c-1", Role::Customer),
            at(10, 5),
            &inputs,
        )
        .unwrap();
        assert!(
            matches!(&moved.effects[0], Effect::FreeSlots { technician, slots, .. } if technician == "t-1" && slots == &["1100", "1130", "1200"])
        );
        assert!(
            matches!(&moved.effects[1], Effect::HoldSlots { technician, slots, .. } if technician == "t-2" && slots == &["1400", "1430", "1500"])
        );
        assert_eq!(moved.next.assignee.as_deref(), Some("t-2"));
    }

    #[test]
    fn the_work_is_done_only_with_the_customers_code_and_a_failed_inspection_is_a_rework() {
        let case = booked(at(10, 0));
        let tech = person("t-1", Role::Technician);
        let fresh = WorkInputs {
            fresh_code: Some("482913"),
            ..WorkInputs::default()
        };
        let started = step(&case, WorkCommand::Start, tech.clone(), at(11, 0), &fresh).unwrap();
        assert!(
            started
                .effects
                .iter()
                .any(|e| matches!(e, Effect::IssueCode { code, .. } if code == "482913"))
        );
        assert_eq!(
            started.next.work.as_ref().unwrap().alarm_at,
            None,
            "on site in time"
        );
        let finish = |code: &str| WorkCommand::Finish {
            result: WorkResult::Done,
            fault: "Power-Board".into(),
            code: Some(code.into()),
            exchange: None,
        };
        let issued = WorkInputs {
            issued_code: Some("482913"),
            ..WorkInputs::default()
        };
        let wrong = step(
            &started.next,
            finish("000000"),
            tech.clone(),
            at(12, 0),
            &issued,
        );
        assert!(matches!(wrong, Err(Refusal::Rule(r)) if r.rule == "wrong-code"));
        let done = step(&started.next, finish("482913"), tech, at(12, 0), &issued).unwrap();
        let work = done.next.work.as_ref().unwrap();
        assert_eq!(work.fault.as_deref(), Some("power-board"));
        assert_eq!(work.board, Some(BoardStatus::Finished));
        let quality = person("q-1", Role::Quality);
        let failed = step(
            &done.next,
            WorkCommand::Inspect {
                passed: false,
                note: Some("still flickers".into()),
            },
            quality,
            at(13, 0),
            &fresh,
        )
        .unwrap();
        let work = failed.next.work.as_ref().unwrap();
        assert_eq!(work.reworks, 1);
        assert_eq!(work.board, Some(BoardStatus::InRepair));
        assert_eq!(failed.next.status, CaseStatus::InProgress);
    }

    #[test]
    fn a_wrong_code_is_counted_and_the_customers_code_renewed_after_the_policys_attempts() {
        let case = booked(at(10, 0));
        let policy = Policy::default();
        let tech = person("t-1", Role::Technician);
        let mut current = case;
        for attempt in 1..=policy.dispatch.confirmation_attempts {
            let d = refuse_code(&current, tech.clone(), at(12, 0), &policy, "111111").unwrap();
            let renewed = d
                .effects
                .iter()
                .any(|e| matches!(e, Effect::IssueCode { .. }));
            assert_eq!(renewed, attempt == policy.dispatch.confirmation_attempts);
            current = d.next;
        }
        assert_eq!(current.work.as_ref().unwrap().code_failures, 0);
    }

    #[test]
    fn each_step_is_taken_by_its_roles_only() {
        let case = booked(at(10, 0));
        let none = WorkInputs::default();
        let refused = step(
            &case,
            WorkCommand::Start,
            person("c-1", Role::Customer),
            at(11, 0),
            &none,
        );
        assert!(matches!(refused, Err(Refusal::Forbidden(_))));
        let refused = step(
            &case,
            open(),
            person("t-1", Role::Technician),
            at(11, 0),
            &none,
        );
        assert!(matches!(refused, Err(Refusal::Forbidden(_))));
    }
}
