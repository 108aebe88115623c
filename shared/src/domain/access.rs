//! Who may see and do what: every route's and every return step's access rule, in one table.
//!
//! Every handler asks two questions, in this order:
//! 1. [`sees`]: may the caller see this record at all? A customer sees their own records only,
//!    a technician the cases assigned to them; anyone else's record is answered 404, exactly
//!    as if it did not exist, so that case numbers and order ids leak nothing.
//! 2. [`may`]: may the caller's role take this action? Otherwise 403.
//!
//! What is not a question of role alone stays with the rule that needs the record: approval
//! levels (who decides a return, by rank) and separation of duties (the person who approved a
//! refund does not pay it) are checked in [`super::returns::decide`]. The README's role table
//! is this table in words; `tests/tests/access.rs` checks every route against it for every
//! role, the owner and a stranger.

use super::identity::Role;

/// Everything a person can ask of the system, by route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `GET /v1/entitlements` by category and dates (by order line: [`Action::ReadOrders`]).
    LookUpEntitlement,
    /// `POST /v1/cases`: a customer for themselves, customer service for a customer.
    FileCase,
    /// `GET /v1/cases`: a customer's own, or the staff queue.
    ListCases,
    /// `GET /v1/cases/{id}`.
    ReadCase,
    /// `POST /v1/cases/{id}/evidence`.
    AddEvidence,
    /// `POST /v1/cases/{id}/cancel`.
    CancelCase,
    /// `GET /v1/orders`, `GET /v1/orders/{storefront}/{id}`, entitlement by order line.
    ReadOrders,
    /// `GET /v1/policy`.
    ReadPolicy,
    /// `PUT /v1/policy`.
    ReplacePolicy,
    /// `GET /v1/returns?stage=`.
    ReturnQueue,
    /// `POST /v1/cases/{id}/return`, by the step's `action`.
    Return(ReturnAction),
    /// `POST /v1/cases/{id}/work`, by the step's `action`.
    Work(WorkAction),
    /// `POST /v1/cases/{id}/writeback`: a decision the storefront refused, asked again or
    /// recorded as done by hand in the shop.
    WriteBack,
    /// `GET /v1/technicians`, `GET /v1/tools`: who works, with what.
    ReadTechnicians,
    /// `PUT /v1/technicians/{id}`, `PUT /v1/tools/{code}`.
    ManageTechnicians,
    /// `POST /v1/tools/{code}/lend`, `POST /v1/tools/{code}/return` (专用工具借用).
    LendTools,
    /// `GET /v1/dispatch/day`: every technician's day, free and booked (预约能力分析表).
    DayBoard,
    /// `GET /v1/work-orders`: the board's list (a technician: their own).
    WorkOrders,
    /// `GET /v1/cases/{id}/suggestions`: the technicians who fit, ranked.
    Suggest,
    /// `GET /v1/cases/{id}/times`: the times a visit may be booked at.
    OfferedTimes,
    /// `GET /v1/cases/{id}/slip`: the dispatch slip (售后人员派遣单).
    ReadSlip,
    /// `GET /v1/cases/{id}/work/code`: the customer's code to confirm the work.
    ReadWorkCode,
    /// `GET /v1/dispatch/repeats`: late and repeat repairs by technician and product.
    DispatchReport,
    /// `POST /v1/cases/{id}/survey`: the case's customer answers its survey.
    AnswerSurvey,
    /// `POST /v1/cases/{id}/survey/link`: a signed one-time link to the survey, for staff to
    /// send by SMS or e-mail.
    SurveyLink,
    /// `POST /v1/cases/{id}/complaint`: a complaint's handling (a manager's complaint: a
    /// manager only, which the domain checks).
    HandleComplaint,
    /// `PUT /v1/cases/{id}/tags`: reason, defect and responsibility of a settled case.
    TagCase,
    /// `GET /v1/callbacks` and `POST /v1/cases/{id}/callback`: the callback queue (回访).
    Callbacks,
    /// `GET /v1/reports`: the period's reports.
    ReadReports,
}

/// The steps of a work order (DOMAIN §5), as far as access is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkAction {
    Open,
    Book,
    CancelBooking,
    Start,
    SetStatus,
    ProposeChange,
    AnswerChange,
    UsePart,
    Finish,
    Inspect,
    /// A promise fell due: the timers only.
    FireDeadline,
}

impl WorkAction {
    pub const ALL: [WorkAction; 11] = [
        WorkAction::Open,
        WorkAction::Book,
        WorkAction::CancelBooking,
        WorkAction::Start,
        WorkAction::SetStatus,
        WorkAction::ProposeChange,
        WorkAction::AnswerChange,
        WorkAction::UsePart,
        WorkAction::Finish,
        WorkAction::Inspect,
        WorkAction::FireDeadline,
    ];
}

/// The steps of a return (DOMAIN §4), as far as access is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnAction {
    /// Approve or reject, at or above the level the request needs.
    Decide,
    Resubmit,
    Escalate,
    Ship,
    Receive,
    Inspect,
    /// Sign off scrap above the policy's limit, at or above its level.
    ApproveScrap,
    ExecuteRefund,
    /// Send the replacement of an exchange, or refused goods back.
    Reship,
    Cancel,
    /// A deadline fell due: the timers only.
    FireDeadline,
}

impl ReturnAction {
    pub const ALL: [ReturnAction; 11] = [
        ReturnAction::Decide,
        ReturnAction::Resubmit,
        ReturnAction::Escalate,
        ReturnAction::Ship,
        ReturnAction::Receive,
        ReturnAction::Inspect,
        ReturnAction::ApproveScrap,
        ReturnAction::ExecuteRefund,
        ReturnAction::Reship,
        ReturnAction::Cancel,
        ReturnAction::FireDeadline,
    ];
}

use Role::{
    Admin, Agent, Customer, Dispatcher, Finance, Manager, Quality, Reviewer, System, Technician,
    Warehouse,
};

/// Staff who read cases, orders and queues: everyone but technicians, who see their own work.
const STAFF_READERS: &[Role] = &[
    Agent, Reviewer, Manager, Dispatcher, Warehouse, Quality, Finance, Admin,
];
/// Customer service: files for a customer (hotline), cancels or acts on their behalf.
const CUSTOMER_SERVICE: &[Role] = &[Agent, Reviewer, Manager];

/// The roles that may take `action` (customers and technicians then only on what they see).
/// Admin administers (the policy) and decides at the top level; it does not receive goods,
/// inspect, pay refunds or act for customers: one person cannot approve, receive, inspect and
/// pay the same refund.
pub fn roles(action: Action) -> &'static [Role] {
    use ReturnAction as R;
    match action {
        Action::LookUpEntitlement => &Role::PEOPLE,
        Action::FileCase | Action::CancelCase => &[Customer, Agent, Reviewer, Manager],
        Action::ListCases | Action::ReadOrders => &[
            Customer, Agent, Reviewer, Manager, Dispatcher, Warehouse, Quality, Finance, Admin,
        ],
        Action::ReadCase => &[
            Customer, Agent, Reviewer, Manager, Dispatcher, Technician, Warehouse, Quality,
            Finance, Admin,
        ],
        Action::AddEvidence => &[
            Customer, Agent, Reviewer, Manager, Dispatcher, Technician, Warehouse, Quality,
        ],
        Action::ReadPolicy => &[
            Agent, Reviewer, Manager, Dispatcher, Technician, Warehouse, Quality, Finance, Admin,
        ],
        Action::ReplacePolicy => &[Admin],
        Action::ReturnQueue => STAFF_READERS,
        Action::Return(step) => match step {
            R::Decide | R::ApproveScrap => &[Agent, Reviewer, Manager, Admin],
            R::Resubmit | R::Escalate | R::Ship => &[Customer, Agent],
            R::Receive | R::Reship => &[Warehouse],
            R::Inspect => &[Quality],
            R::ExecuteRefund => &[Finance],
            R::Cancel => &[Customer, Agent, Reviewer, Manager],
            R::FireDeadline => &[System],
        },
        // Mostly a refund the shop would not pay: finance's; a manager for the rest.
        Action::WriteBack => &[Finance, Manager],
        Action::Work(step) => match step {
            WorkAction::Open => &[Agent, Dispatcher, Manager],
            WorkAction::Book | WorkAction::CancelBooking => &[Customer, Agent, Dispatcher, Manager],
            WorkAction::Start
            | WorkAction::ProposeChange
            | WorkAction::UsePart
            | WorkAction::Finish => &[Technician],
            WorkAction::SetStatus => &[Technician, Dispatcher],
            // The customer confirms in the app, or tells customer service on the phone.
            WorkAction::AnswerChange => &[Customer, Agent],
            WorkAction::Inspect => &[Quality],
            WorkAction::FireDeadline => &[System],
        },
        Action::ReadTechnicians => &[Agent, Manager, Dispatcher, Quality, Admin],
        Action::ManageTechnicians => &[Dispatcher, Admin],
        Action::LendTools => &[Dispatcher, Warehouse],
        Action::DayBoard => &[Agent, Manager, Dispatcher, Admin],
        Action::WorkOrders => &[Agent, Manager, Dispatcher, Technician, Quality, Admin],
        Action::Suggest => &[Agent, Manager, Dispatcher],
        Action::OfferedTimes => &[Customer, Agent, Manager, Dispatcher],
        Action::ReadSlip => &[Agent, Manager, Dispatcher, Technician],
        Action::ReadWorkCode => &[Customer],
        Action::DispatchReport => &[Manager, Dispatcher, Quality, Admin],
        Action::AnswerSurvey => &[Customer],
        Action::SurveyLink => &[Agent, Manager],
        Action::HandleComplaint => &[Agent, Manager],
        Action::TagCase => &[Agent, Reviewer, Manager, Quality],
        Action::Callbacks => &[Agent, Manager],
        Action::ReadReports => &[Manager, Quality, Dispatcher, Admin],
    }
}

/// Whether a person in `role` may take `action` at all.
pub fn may(role: Role, action: Action) -> bool {
    roles(action).contains(&role)
}

/// Staff who pay refunds or administer the system sign in with a second factor (MFA): the
/// identity trigger refuses them a token until they have one (see `functions/identity`).
pub fn needs_mfa(role: Role) -> bool {
    matches!(role, Finance | Admin)
}

/// Customer service roles, for the rules that speak of them (filing for a customer).
pub fn is_customer_service(role: Role) -> bool {
    CUSTOMER_SERVICE.contains(&role)
}

/// The one reason an action may be refused before any rule looks at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The record is not the caller's to see: answered as if it did not exist.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
}

/// Who asks, as far as access is concerned: the role they act in and the identities their
/// records carry (the subject, a linked storefront account, a verified e-mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    pub role: Role,
    pub subject: &'a str,
    pub storefront_customer: Option<&'a str>,
    pub verified_email: Option<&'a str>,
}

/// Whose a record is: a case's or an order's customer, by id and e-mail, and for a case the
/// technician it is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owner<'a> {
    pub customer_id: &'a str,
    pub email: Option<&'a str>,
    pub assignee: Option<&'a str>,
}

impl Caller<'_> {
    /// Whether records of this customer id or e-mail are this customer's.
    pub fn owns(&self, owner: &Owner<'_>) -> bool {
        let id = owner.customer_id;
        (!id.is_empty() && (id == self.subject || self.storefront_customer == Some(id)))
            || self
                .verified_email
                .is_some_and(|mine| owner.email.is_some_and(|e| e.eq_ignore_ascii_case(mine)))
    }
}

/// Whether the caller may see the record: its customer, the technician it is assigned to, any
/// other staff.
pub fn sees(caller: &Caller<'_>, owner: &Owner<'_>) -> bool {
    match caller.role {
        Customer => caller.owns(owner),
        Technician => owner.assignee.is_some_and(|a| a == caller.subject),
        _ => true,
    }
}

/// Both questions at once, for a route about one record (or none): 403 for a role that never
/// may, then 404 for a record the caller may not see.
pub fn check(caller: &Caller<'_>, action: Action, owner: Option<&Owner<'_>>) -> Result<(), Denied> {
    if !may(caller.role, action) {
        return Err(Denied::Forbidden(format!(
            "a {} may not {}",
            caller.role,
            describe(action)
        )));
    }
    match owner {
        Some(owner) if !sees(caller, owner) => Err(Denied::NotFound),
        _ => Ok(()),
    }
}

/// What an action is, for a refusal's message.
pub fn describe(action: Action) -> &'static str {
    use ReturnAction as R;
    match action {
        Action::LookUpEntitlement => "look up entitlements",
        Action::FileCase => "file cases",
        Action::ListCases => "list cases",
        Action::ReadCase => "read cases",
        Action::AddEvidence => "add evidence",
        Action::CancelCase => "cancel cases",
        Action::ReadOrders => "read orders",
        Action::ReadPolicy => "read the policy",
        Action::ReplacePolicy => "change the policy",
        Action::ReturnQueue => "read the return queues",
        Action::Return(step) => match step {
            R::Decide => "decide returns",
            R::Resubmit => "resubmit a request",
            R::Escalate => "escalate a request",
            R::Ship => "record the customer's shipment",
            R::Receive => "receive returned goods",
            R::Inspect => "inspect returned goods",
            R::ApproveScrap => "sign off scrap",
            R::ExecuteRefund => "execute refunds",
            R::Reship => "ship goods to the customer",
            R::Cancel => "cancel a request",
            R::FireDeadline => "fire deadlines",
        },
        Action::WriteBack => "settle what the storefront refused",
        Action::Work(step) => match step {
            WorkAction::Open => "open work orders",
            WorkAction::Book => "book visits",
            WorkAction::CancelBooking => "cancel visits",
            WorkAction::Start => "start work",
            WorkAction::SetStatus => "move work on the board",
            WorkAction::ProposeChange => "propose changes of the agreed work",
            WorkAction::AnswerChange => "answer changes of the agreed work",
            WorkAction::UsePart => "record parts used",
            WorkAction::Finish => "finish work",
            WorkAction::Inspect => "inspect finished work",
            WorkAction::FireDeadline => "fire deadlines",
        },
        Action::ReadTechnicians => "read the technicians and tools",
        Action::ManageTechnicians => "manage technicians and tools",
        Action::LendTools => "lend tools",
        Action::DayBoard => "read the day's bookings",
        Action::WorkOrders => "list work orders",
        Action::Suggest => "ask who fits a visit",
        Action::OfferedTimes => "ask the times a visit may be booked at",
        Action::ReadSlip => "read dispatch slips",
        Action::ReadWorkCode => "read a confirmation code",
        Action::DispatchReport => "read the dispatch report",
        Action::AnswerSurvey => "answer a case's survey",
        Action::SurveyLink => "make a survey link",
        Action::HandleComplaint => "handle complaints",
        Action::TagCase => "tag cases",
        Action::Callbacks => "work the callback queue",
        Action::ReadReports => "read the reports",
    }
}

/// Whose cases a listing reads: never wider than the caller may see. The index a listing
/// queries follows from this value alone, so a customer's listing cannot reach the staff
/// indexes whatever filters they send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One customer id's records (a customer's own, or staff filtering by customer).
    Customer(String),
    /// The records that carry this e-mail (a customer known by a verified e-mail only, or
    /// staff looking a customer up by e-mail).
    Email(String),
    /// Every customer's (staff only).
    Everyone,
}

/// What a listing asks for, before access narrows it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted<'a> {
    pub customer_id: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// The scope of a listing (`action` is [`Action::ListCases`] or [`Action::ReadOrders`]). A
/// customer always gets their own records: linked to a storefront account, everything under
/// it; else with a verified e-mail, everything carrying it (their app cases carry it too);
/// else their subject's. Naming someone else is a 403.
pub fn list_scope(
    caller: &Caller<'_>,
    action: Action,
    wanted: Wanted<'_>,
) -> Result<Scope, Denied> {
    check(caller, action, None)?;
    if caller.role != Customer {
        return Ok(match (wanted.customer_id, wanted.email) {
            (Some(id), _) => Scope::Customer(id.to_owned()),
            (None, Some(email)) => Scope::Email(email.trim().to_ascii_lowercase()),
            (None, None) => Scope::Everyone,
        });
    }
    let own = match (caller.storefront_customer, caller.verified_email) {
        (Some(key), _) => Scope::Customer(key.to_owned()),
        (None, Some(email)) => Scope::Email(email.to_owned()),
        (None, None) => Scope::Customer(caller.subject.to_owned()),
    };
    let names_other = wanted.customer_id.is_some_and(|id| {
        !caller.owns(&Owner {
            customer_id: id,
            ..Owner::default()
        })
    }) || wanted.email.is_some_and(|e| {
        caller
            .verified_email
            .is_none_or(|mine| !e.eq_ignore_ascii_case(mine))
    });
    if names_other {
        return Err(Denied::Forbidden(
            "a customer lists their own records only".into(),
        ));
    }
    Ok(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller<'static> {
        Caller {
            role,
            subject: "s-1",
            storefront_customer: None,
            verified_email: None,
        }
    }

    #[test]
    fn admin_administers_and_decides_but_never_receives_inspects_or_pays() {
        for step in [
            ReturnAction::Receive,
            ReturnAction::Inspect,
            ReturnAction::ExecuteRefund,
            ReturnAction::Reship,
        ] {
            assert!(!may(Admin, Action::Return(step)), "{step:?}");
        }
        assert!(may(Admin, Action::Return(ReturnAction::Decide)));
        assert!(may(Admin, Action::ReplacePolicy));
        assert!(!may(Manager, Action::ReplacePolicy));
    }

    #[test]
    fn each_return_step_is_taken_by_the_roles_the_readme_names_only() {
        let only = |step, roles: &[Role]| {
            for role in Role::PEOPLE.into_iter().chain([System]) {
                assert_eq!(
                    may(role, Action::Return(step)),
                    roles.contains(&role),
                    "{role} {step:?}"
                );
            }
        };
        only(ReturnAction::Receive, &[Warehouse]);
        only(ReturnAction::Inspect, &[Quality]);
        only(ReturnAction::ExecuteRefund, &[Finance]);
        only(ReturnAction::FireDeadline, &[System]);
    }

    #[test]
    fn a_customer_sees_records_by_subject_linked_account_or_verified_email_only() {
        let me = Caller {
            role: Customer,
            subject: "c-1",
            storefront_customer: Some("main:42"),
            verified_email: Some("jon@example.com"),
        };
        let owner = |id, email| Owner {
            customer_id: id,
            email,
            assignee: None,
        };
        assert!(sees(&me, &owner("c-1", None)));
        assert!(sees(&me, &owner("main:42", None)));
        assert!(sees(
            &me,
            &owner("email:jon@example.com", Some("JON@example.com"))
        ));
        assert!(!sees(&me, &owner("main:43", Some("other@example.com"))));
        assert!(
            !sees(&me, &owner("", None)),
            "an order without a customer is nobody's"
        );
        assert!(sees(&caller(Agent), &owner("anyone", None)));
        assert!(!sees(&caller(Technician), &owner("anyone", None)));
    }

    #[test]
    fn a_customer_with_a_verified_email_lists_through_the_email_index_only() {
        let me = Caller {
            role: Customer,
            subject: "c-1",
            storefront_customer: None,
            verified_email: Some("jon@example.com"),
        };
        assert_eq!(
            list_scope(&me, Action::ListCases, Wanted::default()),
            Ok(Scope::Email("jon@example.com".into()))
        );
        assert!(matches!(
            list_scope(
                &me,
                Action::ListCases,
                Wanted {
                    customer_id: Some("c-2"),
                    email: None
                }
            ),
            Err(Denied::Forbidden(_))
        ));
        assert!(matches!(
            list_scope(
                &me,
                Action::ListCases,
                Wanted {
                    customer_id: None,
                    email: Some("other@example.com")
                }
            ),
            Err(Denied::Forbidden(_))
        ));
        assert_eq!(
            list_scope(&caller(Customer), Action::ListCases, Wanted::default()),
            Ok(Scope::Customer("s-1".into()))
        );
        assert_eq!(
            list_scope(&caller(Agent), Action::ListCases, Wanted::default()),
            Ok(Scope::Everyone)
        );
        assert!(list_scope(&caller(Technician), Action::ListCases, Wanted::default()).is_err());
    }
}
