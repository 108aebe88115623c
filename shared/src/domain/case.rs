//! The service case (售后单, DOMAIN §2): one record per customer request, its timeline of
//! events, and the rules for filing it, adding evidence and cancelling it.
//!
//! Every function here takes the current state, a command, the actor, `now` and the policy,
//! and returns the new state with the events that explain it, or says why not. The version
//! goes up by one per state change and every event carries the version it produced, so the
//! timeline and the record can never disagree.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::access::{self, Action};
use super::entitlement::{Entitlement, Purchase, entitlement};
use super::identity::{Actor, Role};
use super::order::{Order, ReturnRequest};
use super::policy::Policy;
use super::returns::{
    self, DayUnits, Paid, ReturnChange, ReturnFlow, ReturnKind, ReturnReason, ReturnTerms,
};
use super::values::{Amount, CaseId, CustomerId, OrderId, Phone, bounded_text};
use super::{InvalidField, RuleError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseType {
    /// 维修 / 报修
    Repair,
    /// 退货退款
    ReturnRefund,
    /// 仅退款
    RefundOnly,
    /// 换货
    Exchange,
    /// 安装调试 and training
    Installation,
    /// 催件 / 查件 / 不是本人签收 / 丢件 / 破损
    LogisticsInquiry,
    /// 错发 / 少发 / 包装破损
    OrderProblem,
    /// 退差价
    PriceProtection,
    /// 投诉
    Complaint,
    /// 技术支持申请
    TechnicalSupport,
}

impl CaseType {
    pub const ALL: [CaseType; 10] = [
        CaseType::Repair,
        CaseType::ReturnRefund,
        CaseType::RefundOnly,
        CaseType::Exchange,
        CaseType::Installation,
        CaseType::LogisticsInquiry,
        CaseType::OrderProblem,
        CaseType::PriceProtection,
        CaseType::Complaint,
        CaseType::TechnicalSupport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseType::Repair => "repair",
            CaseType::ReturnRefund => "return_refund",
            CaseType::RefundOnly => "refund_only",
            CaseType::Exchange => "exchange",
            CaseType::Installation => "installation",
            CaseType::LogisticsInquiry => "logistics_inquiry",
            CaseType::OrderProblem => "order_problem",
            CaseType::PriceProtection => "price_protection",
            CaseType::Complaint => "complaint",
            CaseType::TechnicalSupport => "technical_support",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The return workflows a case of this type may run (DOMAIN §4); none for other types.
    pub fn return_kind(self) -> Option<&'static [ReturnKind]> {
        match self {
            CaseType::RefundOnly => Some(&[ReturnKind::RefundOnly, ReturnKind::Compensation]),
            CaseType::ReturnRefund => Some(&[ReturnKind::ReturnAndRefund]),
            CaseType::Exchange => Some(&[ReturnKind::Exchange]),
            CaseType::PriceProtection => Some(&[ReturnKind::PriceProtection]),
            _ => None,
        }
    }

    /// Types whose remedy depends on the warranty: the purchase must be known at filing.
    fn needs_purchase(self) -> bool {
        matches!(
            self,
            CaseType::Repair | CaseType::ReturnRefund | CaseType::Exchange
        )
    }

    /// Types where a person has to describe the problem in words.
    fn needs_description(self) -> bool {
        matches!(
            self,
            CaseType::Repair
                | CaseType::Installation
                | CaseType::Complaint
                | CaseType::TechnicalSupport
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Filed, waiting for the merchant's first answer.
    Submitted,
    /// Staff are working on it.
    InProgress,
    /// Waiting for the customer (information, shipment, confirmation).
    AwaitingCustomer,
    Resolved,
    Closed,
    Cancelled,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Submitted,
        CaseStatus::InProgress,
        CaseStatus::AwaitingCustomer,
        CaseStatus::Resolved,
        CaseStatus::Closed,
        CaseStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Submitted => "submitted",
            CaseStatus::InProgress => "in_progress",
            CaseStatus::AwaitingCustomer => "awaiting_customer",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
            CaseStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The customer may cancel until the case is settled (DOMAIN §4.1: until the refund has
    /// succeeded; the refund states arrive with return approval).
    pub fn cancellable(self) -> bool {
        matches!(
            self,
            CaseStatus::Submitted | CaseStatus::InProgress | CaseStatus::AwaitingCustomer
        )
    }

    /// Evidence can be added while the case is open.
    pub fn open(self) -> bool {
        self.cancellable()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Storefront,
    App,
    Hotline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// 保内客户 / 按年合同客户 / 按次合同客户
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerAttribute {
    #[default]
    InWarranty,
    AnnualContract,
    PerVisitContract,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default)]
    pub attribute: CustomerAttribute,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRef {
    /// The storefront the order came from (as configured); absent for orders we do not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storefront: Option<String>,
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// 生产批号
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Photo,
    GoodsPhoto,
    Waybill,
    Invoice,
    Video,
    Document,
}

/// A reference to an uploaded file (the app uploads to object storage and sends the
/// reference): the case never holds the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    #[serde(rename = "type")]
    pub kind: EvidenceKind,
    pub url: String,
    pub size_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub const MAX_EVIDENCE: usize = 20;
/// Order lines one case may name: each counts towards that line's open cases.
pub const MAX_CASE_LINES: usize = 20;
const MAX_EVIDENCE_BYTES: u64 = 200 * 1024 * 1024;

/// The media types evidence may have: photos, videos and PDFs that a browser shows without
/// running anything. SVG and HTML are refused: they can carry scripts.
pub const EVIDENCE_TYPES: [&str; 9] = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "application/pdf",
];

impl Evidence {
    /// The evidence as it is stored: checked, with its address and media type normalised, so
    /// that what was checked is exactly what is kept.
    fn normalised(&self, field: &str) -> Result<Evidence, InvalidField> {
        let url = self.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("s3://"));
        // The characters an address may hold unescaped (RFC 3986), and no user:password@:
        // what is stored is shown to staff as a link or an image, never as markup.
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&()*+,;=%".contains(c);
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        if rest.is_none()
            || url.len() > 2048
            || !url.chars().all(allowed)
            || host.is_none_or(|h| h.is_empty() || h.contains('@'))
        {
            return Err(InvalidField::new(
                format!("{field}/url"),
                "must be an https:// or s3:// address of at most 2048 characters, without credentials",
            ));
        }
        if self.size_bytes == 0 || self.size_bytes > MAX_EVIDENCE_BYTES {
            return Err(InvalidField::new(
                format!("{field}/size_bytes"),
                "must be between 1 byte and 200 MiB",
            ));
        }
        let content_type = match &self.content_type {
            Some(ct) => {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if !EVIDENCE_TYPES.contains(&essence.as_str()) {
                    return Err(InvalidField::new(
                        format!("{field}/content_type"),
                        format!("must be one of {}", EVIDENCE_TYPES.join(", ")),
                    ));
                }
                Some(essence)
            }
            None => None,
        };
        let note = optional_text(&format!("{field}/note"), &self.note, 500)?;
        Ok(Evidence {
            kind: self.kind,
            url: url.to_owned(),
            size_bytes: self.size_bytes,
            content_type,
            note,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogisticsIssue {
    /// 催件
    Hurry,
    /// 查件
    Track,
    /// 不是本人签收
    SignedNotReceived,
    /// 丢件
    Lost,
    /// 破损
    DamagedInTransit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderIssue {
    /// 错发
    WrongItem,
    /// 少发 / 漏发
    MissingItem,
    /// 包装破损 / 已拆封
    DamagedOnArrival,
}

/// The service case as stored and as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    #[serde(rename = "type")]
    pub case_type: CaseType,
    pub status: CaseStatus,
    pub channel: Channel,
    pub customer_id: CustomerId,
    /// The customer's e-mail where known and trustworthy (verified at sign-in, or the
    /// storefront's record): customers who sign in with only that e-mail find the case by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderRef>,
    /// The storefront's return this case was opened for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storefront_return_id: Option<String>,
    #[serde(default)]
    pub product: Product,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase: Option<Purchase>,
    /// What the purchase was owed on the day of filing, recorded for the decision-makers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entitlement: Option<Entitlement>,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logistics_issue: Option<LogisticsIssue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_issue: Option<OrderIssue>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// A refund, return or exchange: its approval workflow (DOMAIN §4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<ReturnFlow>,
    pub priority: Priority,
    /// The merchant must answer by then (DOMAIN §5).
    pub first_response_due: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    pub filed_by: Actor,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// What a queue or a customer's list shows of a case: small, because it is what the listing
/// indexes hold (a case's full record is read by its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub id: CaseId,
    #[serde(rename = "type")]
    pub case_type: CaseType,
    pub status: CaseStatus,
    pub channel: Channel,
    pub customer_id: CustomerId,
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<super::entitlement::Remedy>,
    /// The first line of the description, cut to [`SUMMARY_TITLE_CHARS`].
    pub title: String,
    pub first_response_due: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// A return's stage and its next deadline, for the return queues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_stage: Option<returns::Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<returns::Deadline>,
    /// The level whose decision the return awaits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_level: Option<Role>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_up_needed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

pub const SUMMARY_TITLE_CHARS: usize = 80;

impl Case {
    /// Whether the case can still be cancelled: while it is open, and a return by its own
    /// rule (DOMAIN §4.1: until the refund has succeeded, and no goods went out), whichever
    /// route asks (the customer, customer service, the storefront).
    pub fn cancellable(&self) -> bool {
        self.status.cancellable() && self.returns.as_ref().is_none_or(ReturnFlow::cancellable)
    }

    pub fn summary(&self) -> CaseSummary {
        let first_line = self.description.lines().next().unwrap_or("");
        let mut title: String = first_line.chars().take(SUMMARY_TITLE_CHARS).collect();
        if first_line.chars().count() > SUMMARY_TITLE_CHARS {
            title.push('…');
        }
        CaseSummary {
            id: self.id.clone(),
            case_type: self.case_type,
            status: self.status,
            channel: self.channel,
            customer_id: self.customer_id.clone(),
            priority: self.priority,
            sku: self.product.sku.clone(),
            remedy: self.entitlement.as_ref().map(|e| e.remedy),
            title,
            first_response_due: self.first_response_due,
            assignee: self.assignee.clone(),
            return_stage: self.returns.as_ref().map(|f| f.stage),
            deadline: self.returns.as_ref().and_then(|f| f.deadline),
            required_level: self.returns.as_ref().map(|f| f.required_level),
            follow_up_needed: self.returns.as_ref().is_some_and(|f| f.follow_up_needed),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// One entry of a case's timeline: what changed, who did it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The case version this event produced; events of one change share it.
    pub version: u64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[serde(flatten)]
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Filed {
        case_type: CaseType,
        channel: Channel,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remedy: Option<super::entitlement::Remedy>,
        first_response_due: DateTime<Utc>,
    },
    EvidenceAdded {
        evidence: Vec<Evidence>,
    },
    Cancelled {
        from: CaseStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The storefront cancelled the case's order.
    OrderCancelledAtStorefront {
        order_id: OrderId,
    },
    /// The storefront shipped the case's order (after the case was filed).
    OrderShippedAtStorefront {
        order_id: OrderId,
    },
    /// The storefront changed what the order was paid (its total, its payment, a refund's
    /// amount) after the case was filed.
    OrderAmendedAtStorefront {
        order_id: OrderId,
        what: String,
    },
    /// The storefront refunded money on the case's order.
    RefundedAtStorefront {
        order_id: OrderId,
        refund_id: String,
        amount_minor: i64,
        currency: super::values::Currency,
    },
    /// A step of the return workflow: everything one decision or deadline did.
    Return {
        changes: Vec<ReturnChange>,
    },
    /// The storefront changed the state of the return behind this case.
    StorefrontReturnStatus {
        return_id: String,
        status: String,
        /// When the storefront changed it (the event's `at` is when we learned of it).
        changed_at: DateTime<Utc>,
    },
}

/// A request to file a case: the body of `POST /v1/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    #[serde(rename = "type")]
    pub case_type: CaseType,
    /// Staff filing for a customer name them; a customer files for themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderRef>,
    #[serde(default)]
    pub product: Product,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase: Option<Purchase>,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logistics_issue: Option<LogisticsIssue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_issue: Option<OrderIssue>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub priority: Priority,
    /// For refunds, returns, exchanges and price protection: what is asked, with its money.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_terms: Option<ReturnTerms>,
}

pub use super::Refusal;

fn optional_text(
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Result<Option<String>, InvalidField> {
    value
        .as_deref()
        .map(|v| bounded_text(field, v, max))
        .transpose()
        .map(|v| v.filter(|s| !s.is_empty()))
}

/// The evidence normalised for storing, or every field that is wrong.
fn normalise_evidence(
    items: &[Evidence],
    already: usize,
) -> Result<Vec<Evidence>, Vec<InvalidField>> {
    let mut errors = Vec::new();
    let mut kept = Vec::with_capacity(items.len());
    for (i, e) in items.iter().enumerate() {
        match e.normalised(&format!("evidence/{i}")) {
            Ok(e) => kept.push(e),
            Err(e) => errors.push(e),
        }
    }
    if already.saturating_add(items.len()) > MAX_EVIDENCE {
        errors.push(InvalidField::new(
            "evidence",
            format!("a case holds at most {MAX_EVIDENCE} pieces of evidence"),
        ));
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(errors)
    }
}

/// The access table's answer for `actor`, as a refusal.
fn allowed(actor: &Actor, action: Action) -> Result<(), Refusal> {
    if access::may(actor.role, action) || actor.role == Role::System {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "a {} may not {}",
            actor.role,
            access::describe(action)
        )))
    }
}

/// The merchant's calendar date of an instant.
pub fn merchant_date(now: DateTime<Utc>, policy: &Policy) -> NaiveDate {
    now.with_timezone(&policy.time_zone()).date_naive()
}

/// Adds working days (Monday to Friday, in the merchant's time zone) to an instant.
fn add_working_days(now: DateTime<Utc>, days: u32, policy: &Policy) -> Option<DateTime<Utc>> {
    let tz = policy.time_zone();
    let mut t = now.with_timezone(&tz);
    let mut left = days;
    while left > 0 {
        t = t.checked_add_signed(Duration::days(1))?;
        if !matches!(t.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    Some(t.with_timezone(&Utc))
}

/// When the merchant must first answer a case of type `t` filed `now` (DOMAIN §2, §5).
fn first_response_due(
    t: CaseType,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<DateTime<Utc>, RuleError> {
    let due = if t == CaseType::TechnicalSupport {
        add_working_days(now, policy.technical_support_review_working_days, policy)
    } else {
        Duration::try_hours(i64::from(policy.first_response_hours))
            .and_then(|d| now.checked_add_signed(d))
    };
    due.ok_or_else(|| RuleError::new("date-out-of-range", "the first answer falls out of range"))
}

/// Whose case a filing is: a customer files for themselves, customer service for the customer
/// it names (DOMAIN §1).
pub fn filing_customer(actor: &Actor, named: Option<&CustomerId>) -> Result<CustomerId, Refusal> {
    allowed(actor, Action::FileCase)?;
    match (actor.role, named) {
        (Role::Customer, None) => CustomerId::parse(actor.id.clone())
            .map_err(|e| Refusal::Forbidden(format!("the caller's identity is unusable: {e}"))),
        (Role::Customer, Some(other)) if other.as_str() == actor.id => Ok(other.clone()),
        (Role::Customer, Some(_)) => Err(Refusal::Forbidden(
            "a customer files cases for themselves only".into(),
        )),
        (_, Some(customer)) => Ok(customer.clone()),
        (_, None) => Err(InvalidField::new(
            "customer_id",
            "staff filing for a customer must name the customer",
        )
        .into()),
    }
}

/// Customer service files on an order for the order's own customer only.
fn check_order_customer(
    actor: &Actor,
    customer: &CustomerId,
    order: &Order,
) -> Result<(), RuleError> {
    if actor.role == Role::Customer {
        // The order's visibility was the customer's to pass (their id, account or e-mail).
        return Ok(());
    }
    let owner = super::order::customer_key(&order.storefront, &order.customer);
    if owner.as_ref() == Some(customer) {
        Ok(())
    } else {
        Err(RuleError::new(
            "order-of-another-customer",
            format!(
                "order {} is {}'s: file it for them",
                order.order_id,
                owner.as_ref().map_or("nobody", CustomerId::as_str)
            ),
        ))
    }
}

/// DOMAIN §3: a request for the customer's own reason (七天无理由) on goods that were shipped is
/// a no-reason return: it is accepted only within the no-reason window of a category that
/// allows it, counted from receipt.
fn check_no_reason_window(
    terms: &ReturnTerms,
    entitlement: Option<&Entitlement>,
) -> Result<(), RuleError> {
    let no_reason = terms.reason == ReturnReason::CustomerReason
        && terms.order_shipped
        && matches!(
            terms.kind,
            ReturnKind::RefundOnly | ReturnKind::ReturnAndRefund | ReturnKind::Exchange
        );
    if !no_reason {
        return Ok(());
    }
    match entitlement.map(|e| &e.no_reason_return) {
        Some(n) if n.eligible => Ok(()),
        Some(n) => Err(RuleError::new(
            "no-reason-window-closed",
            format!(
                "a return for the customer's own reason is accepted within the no-reason window only: {}",
                n.why
            ),
        )),
        None => Err(RuleError::new(
            "no-reason-window-closed",
            "a return for the customer's own reason counts from the receipt date: give the purchase with its receipt_date",
        )),
    }
}

/// What the system knows that a request's rules weigh, besides the request itself.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    /// What the same customer asked to return earlier on the merchant's day (batch returns are
    /// judged by the day).
    pub earlier: &'a DayUnits,
    /// The storefront order the request names, if the system holds it.
    pub held: Option<Held<'a>>,
}

/// A storefront order the system holds, and what is left of it to refund: its total, less
/// the storefront's own refunds and what other requests on it claim, money and units by line.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub order: &'a Order,
    pub left_minor: i64,
    pub claimed_units: &'a std::collections::BTreeMap<String, u32>,
}

impl Held<'_> {
    fn claimed(&self, line_id: &str) -> u32 {
        self.claimed_units.get(line_id).copied().unwrap_or(0)
    }

    /// Only a paid order that stands has money to give back: an unpaid one is cancelled at the
    /// storefront, and a cancelled one was refunded there with its cancellation.
    fn paid(&self) -> Result<(), RuleError> {
        if self.order.cancelled_at.is_some() {
            return Err(RuleError::new(
                "order-cancelled",
                format!(
                    "order {} was cancelled at the storefront, which refunds it",
                    self.order.order_id
                ),
            ));
        }
        if self.order.paid_at.is_some() {
            Ok(())
        } else {
            Err(RuleError::new(
                "order-not-paid",
                format!(
                    "order {} has not been paid: there is nothing to refund; cancel it at the storefront",
                    self.order.order_id
                ),
            ))
        }
    }
}

/// Files a case (DOMAIN §2): validates the request, records the entitlement of the purchase
/// on the day of filing and sets the first-answer deadline. A refund, return or exchange of a
/// held order is checked against what was paid for the line it names (its first).
pub fn file(
    id: CaseId,
    cmd: NewCase,
    actor: Actor,
    channel: Channel,
    history: History<'_>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(Case, Vec<Event>), Refusal> {
    let customer_id = filing_customer(&actor, cmd.customer_id.as_ref())?;
    let (evidence, mut errors) = match normalise_evidence(&cmd.evidence, 0) {
        Ok(kept) => (kept, Vec::new()),
        Err(errors) => (Vec::new(), errors),
    };
    let mut check = |r: Result<Option<String>, InvalidField>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let description =
        check(bounded_text("description", &cmd.description, 4000).map(Some)).unwrap_or_default();
    let contact = Contact {
        name: check(optional_text("contact/name", &cmd.contact.name, 100)),
        phone: cmd.contact.phone.clone(),
        address: check(optional_text("contact/address", &cmd.contact.address, 500)),
        attribute: cmd.contact.attribute,
    };
    let product = Product {
        sku: check(optional_text("product/sku", &cmd.product.sku, 64)),
        model: check(optional_text("product/model", &cmd.product.model, 100)),
        serial_number: check(optional_text(
            "product/serial_number",
            &cmd.product.serial_number,
            100,
        )),
        batch: check(optional_text("product/batch", &cmd.product.batch, 64)),
    };
    let tracking_number = check(optional_text("tracking_number", &cmd.tracking_number, 64));
    if let Some(order) = &cmd.order {
        if order.line_ids.len() > MAX_CASE_LINES {
            errors.push(InvalidField::new(
                "order/line_ids",
                format!("at most {MAX_CASE_LINES} lines"),
            ));
        }
        if order.line_ids.iter().any(|l| l.is_empty() || l.len() > 64) {
            errors.push(InvalidField::new(
                "order/line_ids",
                "each must be 1 to 64 characters",
            ));
        }
    }
    if let Some(p) = &cmd.purchase
        && let Err(e) = p.validate()
    {
        errors.push(e);
    }
    let t = cmd.case_type;
    if t.needs_description() && description.is_empty() {
        errors.push(InvalidField::new(
            "description",
            format!("a {} case needs a description", t.as_str()),
        ));
    }
    if t.needs_purchase() && cmd.purchase.is_none() {
        errors.push(InvalidField::new(
            "purchase",
            format!(
                "a {} case needs the purchase (category and invoice, receipt or factory date)",
                t.as_str()
            ),
        ));
    }
    if t == CaseType::LogisticsInquiry && cmd.logistics_issue.is_none() {
        errors.push(InvalidField::new(
            "logistics_issue",
            "required for a logistics inquiry",
        ));
    }
    if t == CaseType::OrderProblem && cmd.order_issue.is_none() {
        errors.push(InvalidField::new(
            "order_issue",
            "required for an order problem",
        ));
    }
    if matches!(
        t,
        CaseType::PriceProtection | CaseType::RefundOnly | CaseType::OrderProblem
    ) && cmd.order.is_none()
    {
        errors.push(InvalidField::new(
            "order",
            format!("a {} case needs the order", t.as_str()),
        ));
    }
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }

    if t == CaseType::OrderProblem {
        let has = |k: EvidenceKind| evidence.iter().any(|e| e.kind == k);
        if !(has(EvidenceKind::GoodsPhoto) && has(EvidenceKind::Waybill)) {
            return Err(RuleError::new(
                "evidence-required",
                "an order problem needs a photo of the goods (goods_photo) and of the waybill (waybill)",
            )
            .into());
        }
    }

    let entitlement = cmd
        .purchase
        .as_ref()
        .map(|p| entitlement(p, merchant_date(now, policy), policy))
        .transpose()?;
    if t == CaseType::ReturnRefund && entitlement.as_ref().is_some_and(|e| e.special_goods) {
        return Err(RuleError::new(
            "special-goods-refund-only",
            "special goods (fresh food, virtual goods, cars...) take the refund-only path, not return-and-refund",
        )
        .into());
    }

    let flow = match (t.return_kind(), cmd.return_terms) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(InvalidField::new(
                "return_terms",
                format!(
                    "a {} case states what is asked (kind, reason, units, price)",
                    t.as_str()
                ),
            )
            .into());
        }
        (Some(kinds), Some(terms)) => {
            if !kinds.contains(&terms.kind) {
                return Err(InvalidField::new(
                    "return_terms/kind",
                    format!("does not fit a {} case", t.as_str()),
                )
                .into());
            }
            let filing = ReturnFiling {
                actor: &actor,
                customer: &customer_id,
                line_id: cmd.order.as_ref().and_then(|o| o.line_ids.first()),
                entitlement: entitlement.as_ref(),
            };
            Some(open_return(terms, filing, history, now, policy)?)
        }
    };

    let first_response_due = first_response_due(t, now, policy)?;

    let case = Case {
        id,
        case_type: t,
        channel,
        customer_id,
        customer_email: None,
        contact,
        order: cmd.order,
        storefront_return_id: None,
        product,
        purchase: cmd.purchase,
        entitlement,
        description,
        logistics_issue: cmd.logistics_issue,
        tracking_number,
        order_issue: cmd.order_issue,
        evidence,
        status: flow
            .as_ref()
            .map_or(CaseStatus::Submitted, |f| f.stage.case_status()),
        returns: flow,
        priority: cmd.priority,
        first_response_due,
        assignee: None,
        filed_by: actor.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = filed_event(&case, actor);
    Ok((case, vec![event]))
}

/// Who files a return, for whom, on which order line, owed what (see [`open_return`]).
struct ReturnFiling<'a> {
    actor: &'a Actor,
    customer: &'a CustomerId,
    line_id: Option<&'a String>,
    entitlement: Option<&'a Entitlement>,
}

/// Opens the workflow of a refund, return or exchange filed in the app or by customer service:
/// the no-reason window, the replacement's price, and on a held order everything the order
/// says (what was paid, its customer, its shipping, its model).
fn open_return(
    mut terms: ReturnTerms,
    filing: ReturnFiling<'_>,
    history: History<'_>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<ReturnFlow, Refusal> {
    let ReturnFiling {
        actor,
        customer,
        line_id,
        entitlement,
    } = filing;
    check_no_reason_window(&terms, entitlement)?;
    // The customer asks for an exchange of like for like, or dearer: a cheaper replacement
    // (a refund of the difference) is customer service's to state.
    if actor.role == Role::Customer
        && terms.kind == ReturnKind::Exchange
        && terms
            .replacement_price_minor
            .is_some_and(|r| r < terms.unit_price_minor)
    {
        return Err(RuleError::new(
            "replacement-price-by-staff",
            "a cheaper replacement is agreed with customer service, who file it",
        )
        .into());
    }
    let held_line = history
        .held
        .and_then(|held| Some((held, held.order.line(line_id?)?)));
    let paid = match held_line {
        Some((held, line)) => {
            check_order_customer(actor, customer, held.order)?;
            held.paid()?;
            // The promised shipping time is the storefront's to tell, and an order held here
            // does not: no request states one (the merchant's 48 hours apply).
            if terms.promised_ship_by.is_some() {
                return Err(RuleError::new(
                    "terms-exceed-order",
                    "the order's promised shipping time is the storefront's: leave it out",
                )
                .into());
            }
            // The order says which model it is: the batch rule counts it so.
            terms.model = line.sku.clone().or_else(|| Some(line.title.clone()));
            Some(Paid {
                currency: held.order.currency,
                line_id: line.line_id.clone(),
                unit_price_minor: held.order.paid_unit_price(line),
                quantity: line.quantity,
                claimed_units: held.claimed(&line.line_id),
                left_minor: held.left_minor,
                shipped: held.order.shipped(),
                shipping_minor: held.order.beyond_lines_minor(),
            })
        }
        None => None,
    };
    Ok(ReturnFlow::open(
        terms,
        paid.as_ref(),
        history.earlier,
        now,
        &policy.returns,
    )?)
}

/// The first event of every case: what was filed, through which channel, what the purchase
/// was owed, and when the first answer is due.
fn filed_event(case: &Case, actor: Actor) -> Event {
    Event {
        version: 1,
        at: case.created_at,
        actor,
        change: Change::Filed {
            case_type: case.case_type,
            channel: case.channel,
            remedy: case.entitlement.as_ref().map(|e| e.remedy),
            first_response_due: case.first_response_due,
        },
    }
}

fn next_version(case: &Case, actor: Actor, now: DateTime<Utc>, change: Change) -> (Case, Event) {
    let mut next = case.clone();
    next.version += 1;
    next.updated_at = now;
    let event = Event {
        version: next.version,
        at: now,
        actor,
        change,
    };
    (next, event)
}

/// A command on an existing case, as its route's JSON body. Adding one is this impl (its
/// domain function, with its tests) and one line in a router:
/// `.route("/v1/cases/{id}/cancel", case_command_route::<case::Cancel, _>())`.
pub trait CaseCommand: serde::de::DeserializeOwned + Clone + Send + Sync + 'static {
    /// The access table's row that lets the caller see the case: someone else's is a 404.
    const ACTION: Action;
    /// Whether the body may be left out (an empty body is then `Self::default()`).
    const BODY_OPTIONAL: bool = false;
    fn decide(
        self,
        case: &Case,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(Case, Vec<Event>), Refusal>;
}

/// `POST /v1/cases/{id}/cancel`, its body (`{"reason": ...}`) optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub reason: Option<String>,
}

impl CaseCommand for Cancel {
    const ACTION: Action = Action::CancelCase;
    const BODY_OPTIONAL: bool = true;
    fn decide(
        self,
        case: &Case,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(Case, Vec<Event>), Refusal> {
        cancel(case, actor, self.reason, now)
    }
}

/// `POST /v1/cases/{id}/evidence`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddEvidence {
    pub evidence: Vec<Evidence>,
}

impl CaseCommand for AddEvidence {
    const ACTION: Action = Action::AddEvidence;
    fn decide(
        self,
        case: &Case,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(Case, Vec<Event>), Refusal> {
        add_evidence(case, actor, self.evidence, now)
    }
}

/// Cancels a case on the customer's request (DOMAIN §4.1: at any step until it is settled).
pub fn cancel(
    case: &Case,
    actor: Actor,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<(Case, Vec<Event>), Refusal> {
    allowed(&actor, Action::CancelCase)?;
    let reason = optional_text("reason", &reason, 1000)?;
    if !case.cancellable() {
        return Err(RuleError::state(
            "not-cancellable",
            format!(
                "a case that is {} can no longer be cancelled",
                case.status.as_str()
            ),
        )
        .into());
    }
    let from = case.status;
    let (mut next, event) = next_version(case, actor, now, Change::Cancelled { from, reason });
    next.status = CaseStatus::Cancelled;
    close_flow(&mut next);
    Ok((next, vec![event]))
}

/// Adds references to photos, waybills or invoices to an open case.
pub fn add_evidence(
    case: &Case,
    actor: Actor,
    evidence: Vec<Evidence>,
    now: DateTime<Utc>,
) -> Result<(Case, Vec<Event>), Refusal> {
    allowed(&actor, Action::AddEvidence)?;
    if evidence.is_empty() {
        return Err(InvalidField::new("evidence", "give at least one piece of evidence").into());
    }
    let evidence = normalise_evidence(&evidence, case.evidence.len()).map_err(Refusal::Invalid)?;
    if !case.status.open() {
        return Err(RuleError::state(
            "case-closed",
            format!(
                "a case that is {} takes no more evidence",
                case.status.as_str()
            ),
        )
        .into());
    }
    let (mut next, event) = next_version(
        case,
        actor,
        now,
        Change::EvidenceAdded {
            evidence: evidence.clone(),
        },
    );
    next.evidence.extend(evidence);
    Ok((next, vec![event]))
}

/// A cancelled case's return workflow stops with it: no clock keeps running.
fn close_flow(case: &mut Case) {
    if let Some(flow) = case.returns.as_mut() {
        flow.stage = returns::Stage::Cancelled;
        flow.deadline = None;
        flow.release_claim();
    }
}

/// A command or a due deadline on a case's return workflow: the case moves with its flow's
/// stage, and everything the step did is one timeline event.
pub fn apply_return(
    case: &Case,
    command: returns::Command,
    actor: Actor,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(Case, Vec<Event>), Refusal> {
    let flow = case
        .returns
        .as_ref()
        .ok_or_else(|| RuleError::new("not-a-return", "this case has no return to decide"))?;
    // The rules (the role first) answer before the case's state does: a role that may never
    // take the step hears 403, whatever state the case is in.
    let (flow, changes) =
        returns::decide(flow, command, &actor, now, &policy.returns).map_err(|r| match r {
            returns::Refused::Forbidden(why) => Refusal::Forbidden(why),
            returns::Refused::Invalid(fields) => Refusal::Invalid(fields),
            returns::Refused::Rule(rule) => Refusal::Rule(rule),
        })?;
    if case.status == CaseStatus::Cancelled {
        return Err(RuleError::state("not-cancellable", "the case is cancelled").into());
    }
    if changes.is_empty() {
        // Nothing happened (a deadline that no longer applies): only the flow's clock moves.
        let mut next = case.clone();
        next.returns = Some(flow);
        next.version += 1;
        next.updated_at = now;
        return Ok((next, Vec::new()));
    }
    let (mut next, event) = next_version(case, actor, now, Change::Return { changes });
    next.status = flow.stage.case_status();
    next.returns = Some(flow);
    Ok((next, vec![event]))
}

/// The actor of everything a storefront's webhook does: the system, on the storefront's word.
pub fn storefront_actor(storefront: &str) -> Actor {
    Actor {
        id: format!("storefront:{storefront}"),
        role: Role::System,
        name: None,
    }
}

/// Opens a return case for a return requested at the storefront (DOMAIN §4): linked to the
/// order and its lines, with the entitlement of the first returned line on the day of the
/// request. Special goods take the refund-only path whatever the storefront asked.
pub fn file_storefront_return(
    id: CaseId,
    held: Held<'_>,
    request: &ReturnRequest,
    customer_id: CustomerId,
    earlier: &DayUnits,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(Case, Vec<Event>), Refusal> {
    let order = held.order;
    held.paid()?;
    // Each line asks no more units than it has (less what other requests have), each once.
    let mut seen = std::collections::BTreeSet::new();
    for asked in &request.lines {
        let Some(line) = order.line(&asked.line_id) else {
            return Err(RuleError::new(
                "unknown-order-line",
                format!("the order has no line {}", asked.line_id),
            )
            .into());
        };
        let left = line.quantity.saturating_sub(held.claimed(&line.line_id));
        if asked.quantity == 0 || asked.quantity > left || !seen.insert(&asked.line_id) {
            return Err(RuleError::new(
                "terms-exceed-order",
                format!(
                    "line {} has {} units, {left} not asked for already; a return asks 1 to {left} of it, once",
                    line.line_id, line.quantity
                ),
            )
            .into());
        }
    }
    let first = request
        .lines
        .first()
        .and_then(|l| order.line(&l.line_id))
        .ok_or_else(|| {
            RuleError::new(
                "unknown-order-line",
                "the return names no line of its order",
            )
        })?;
    let purchase = order.purchase_of(first, policy);
    let entitlement = entitlement(
        &purchase,
        merchant_date(request.requested_at, policy),
        policy,
    )?;
    let case_type = if request.refund_only || entitlement.special_goods {
        CaseType::RefundOnly
    } else {
        CaseType::ReturnRefund
    };
    let description: String = request
        .lines
        .iter()
        .map(|l| {
            let title = order
                .line(&l.line_id)
                .map(|x| x.title.as_str())
                .unwrap_or("?");
            let why = [l.reason.as_deref(), l.note.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
            format!(
                "{} × {title}{}",
                l.quantity,
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                }
            )
        })
        .chain(request.note.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let actor = storefront_actor(&order.storefront);
    let first_response_due = first_response_due(case_type, now, policy)?;
    let terms = storefront_terms(order, request, case_type)?;
    // The terms are the order's own; what is checked is that the order has that much left.
    let paid = Paid {
        currency: order.currency,
        line_id: first.line_id.clone(),
        unit_price_minor: terms.unit_price_minor.get(),
        quantity: terms.units,
        claimed_units: 0,
        left_minor: held.left_minor,
        shipped: terms.order_shipped,
        shipping_minor: order.beyond_lines_minor(),
    };
    let mut flow = ReturnFlow::open(terms, Some(&paid), earlier, now, &policy.returns)?;
    // The request claims each of its lines' units.
    if let Some(claim) = flow.claim.as_mut() {
        claim.lines = request
            .lines
            .iter()
            .map(|l| (l.line_id.clone(), l.quantity))
            .collect();
    }
    let case = Case {
        id,
        case_type,
        status: flow.stage.case_status(),
        channel: Channel::Storefront,
        customer_id,
        customer_email: order.customer.email.clone(),
        contact: Contact {
            name: order.customer.name.clone(),
            phone: order
                .customer
                .phone
                .as_deref()
                .and_then(|p| Phone::parse(p).ok()),
            address: None,
            attribute: CustomerAttribute::InWarranty,
        },
        order: Some(OrderRef {
            storefront: Some(order.storefront.clone()),
            order_id: order.order_id.clone(),
            line_ids: request.lines.iter().map(|l| l.line_id.clone()).collect(),
        }),
        storefront_return_id: Some(request.return_id.clone()),
        product: Product {
            sku: first.sku.clone(),
            model: Some(first.title.clone()),
            serial_number: first.serial_numbers.first().cloned(),
            batch: None,
        },
        purchase: Some(purchase),
        entitlement: Some(entitlement),
        description: bounded_text("description", &description, 4000)
            .unwrap_or_else(|_| description.chars().take(4000).collect()),
        logistics_issue: None,
        tracking_number: None,
        order_issue: None,
        evidence: Vec::new(),
        returns: Some(flow),
        priority: Priority::Normal,
        first_response_due,
        assignee: None,
        filed_by: actor.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = filed_event(&case, actor);
    Ok((case, vec![event]))
}

/// What a storefront return asks, from its order: the lines' units and prices, the order's
/// currency and whether it shipped; a defect named by the storefront is a quality fault.
fn storefront_terms(
    order: &Order,
    request: &ReturnRequest,
    case_type: CaseType,
) -> Result<ReturnTerms, RuleError> {
    let mut units: u32 = 0;
    let mut paid: i64 = 0;
    let mut least = i64::MAX;
    for line in &request.lines {
        let price = order
            .line(&line.line_id)
            .map_or(0, |l| order.paid_unit_price(l));
        units = units.saturating_add(line.quantity);
        paid = paid.saturating_add(price.saturating_mul(i64::from(line.quantity)));
        least = least.min(price);
    }
    let units = units.clamp(1, returns::MAX_UNITS);
    let quality = request.lines.iter().any(|l| {
        matches!(
            l.reason.as_deref().map(str::to_ascii_lowercase).as_deref(),
            Some("defective" | "not_as_described" | "wrong_item" | "damaged" | "quality")
        )
    });
    let first = request.lines.first().and_then(|l| order.line(&l.line_id));
    let unit_price_minor = Amount::new(paid / i64::from(units)).map_err(|_| {
        RuleError::new(
            "invalid-return-terms",
            "the order's prices for these lines are not amounts this system takes",
        )
    })?;
    Ok(ReturnTerms {
        kind: if case_type == CaseType::RefundOnly {
            ReturnKind::RefundOnly
        } else {
            ReturnKind::ReturnAndRefund
        },
        reason: if quality {
            ReturnReason::QualityFault
        } else {
            ReturnReason::CustomerReason
        },
        units,
        model: first.and_then(|l| l.sku.clone()),
        currency: order.currency,
        unit_price_minor,
        shipping_fee_minor: Amount::ZERO,
        amount_asked_minor: None,
        replacement_price_minor: None,
        order_shipped: order.shipped(),
        promised_ship_by: None,
        quality_incident: false,
        least_unit_price_minor: Amount::new(least)
            .ok()
            .filter(|least| *least < unit_price_minor),
    })
}

/// Records on a case what its storefront did (a cancellation, a refund, a return's new state).
/// A return cancelled at the storefront cancels the case while it can still be cancelled.
pub fn note_storefront(
    case: &Case,
    storefront: &str,
    change: Change,
    now: DateTime<Utc>,
) -> (Case, Vec<Event>) {
    let actor = storefront_actor(storefront);
    let return_cancelled = matches!(&change, Change::StorefrontReturnStatus { status, .. }
        if matches!(status.as_str(), "cancelled" | "canceled"));
    // The storefront decided the return itself (declined it, or closed it): the clock has
    // nothing left to decide, and nothing to pay.
    let decided = matches!(&change, Change::StorefrontReturnStatus { status, .. }
    if matches!(
        status.to_ascii_lowercase().as_str(),
        "declined" | "decline" | "closed" | "close"
    ));
    let changes_order = decided
        || matches!(
            change,
            Change::RefundedAtStorefront { .. }
                | Change::OrderShippedAtStorefront { .. }
                | Change::OrderCancelledAtStorefront { .. }
                | Change::OrderAmendedAtStorefront { .. }
        );
    let (mut next, event) = next_version(case, actor, now, change);
    if return_cancelled && case.cancellable() {
        next.status = CaseStatus::Cancelled;
        close_flow(&mut next);
    }
    // Money the storefront paid back on the order may be this very request's, and an order
    // shipped since changes what a refund-only request is: its refund is finance's to check,
    // never the clock's to pay.
    if changes_order
        && let Some(flow) = next.returns.as_mut()
        && !matches!(
            flow.stage,
            returns::Stage::Refunded | returns::Stage::Exchanged
        )
    {
        flow.order_changed = true;
        if decided && flow.stage == returns::Stage::AwaitingDecision {
            flow.deadline = None;
        }
    }
    (next, vec![event])
}

/// Records several things a storefront did on one case, one event each.
pub fn note_storefront_all(
    case: &Case,
    storefront: &str,
    changes: &[Change],
    now: DateTime<Utc>,
) -> (Case, Vec<Event>) {
    let mut next = case.clone();
    let mut events = Vec::with_capacity(changes.len());
    for change in changes {
        let (n, mut e) = note_storefront(&next, storefront, change.clone(), now);
        next = n;
        events.append(&mut e);
    }
    (next, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    static NO_CLAIMS: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();

    static NO_UNITS: DayUnits = DayUnits {
        total: 0,
        by_model: std::collections::BTreeMap::new(),
    };

    /// A customer with no earlier returns today, filing without a held order.
    fn fresh() -> History<'static> {
        History {
            earlier: &NO_UNITS,
            held: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-24T02:00:00Z".parse().unwrap()
    }

    fn customer(id: &str) -> Actor {
        Actor {
            id: id.into(),
            role: Role::Customer,
            name: None,
        }
    }

    fn repair_request() -> NewCase {
        serde_json::from_value(serde_json::json!({
            "type": "repair",
            "description": "The screen flickers after ten minutes.",
            "product": {"sku": "TV-55", "serial_number": "SN123"},
            "purchase": {"category": "television", "invoice_date": "2026-11-04"}
        }))
        .unwrap()
    }

    fn file_repair() -> Case {
        let id = CaseId::new(2026, 11, 1);
        file(
            id,
            repair_request(),
            customer("c-1"),
            Channel::App,
            fresh(),
            now(),
            &Policy::default(),
        )
        .unwrap()
        .0
    }

    #[test]
    fn a_repair_filed_twenty_days_after_invoice_records_an_exchange_entitlement() {
        let (case, events) = file(
            CaseId::new(2026, 11, 1),
            repair_request(),
            customer("c-1"),
            Channel::App,
            fresh(),
            now(),
            &Policy::default(),
        )
        .unwrap();
        assert_eq!(case.status, CaseStatus::Submitted);
        assert_eq!(case.customer_id.as_str(), "c-1");
        assert_eq!(
            case.entitlement.as_ref().unwrap().remedy,
            super::super::entitlement::Remedy::Exchange
        );
        assert_eq!(case.first_response_due, now() + Duration::hours(24));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].version, case.version);
    }

    #[test]
    fn a_customer_cannot_file_for_someone_else_and_staff_must_name_the_customer() {
        let mut cmd = repair_request();
        cmd.customer_id = Some(CustomerId::parse("c-2").unwrap());
        let err = file(
            CaseId::new(2026, 11, 1),
            cmd.clone(),
            customer("c-1"),
            Channel::App,
            fresh(),
            now(),
            &Policy::default(),
        );
        assert!(matches!(err, Err(Refusal::Forbidden(_))));

        let agent = Actor {
            id: "agent-7".into(),
            role: Role::Agent,
            name: None,
        };
        let (case, _) = file(
            CaseId::new(2026, 11, 1),
            cmd,
            agent.clone(),
            Channel::Hotline,
            fresh(),
            now(),
            &Policy::default(),
        )
        .unwrap();
        assert_eq!(case.customer_id.as_str(), "c-2");
        let err = file(
            CaseId::new(2026, 11, 1),
            repair_request(),
            agent,
            Channel::Hotline,
            fresh(),
            now(),
            &Policy::default(),
        );
        assert!(matches!(err, Err(Refusal::Invalid(ref f)) if f[0].field == "customer_id"));
    }

    #[test]
    fn an_order_problem_without_photos_of_goods_and_waybill_is_refused() {
        let cmd: NewCase = serde_json::from_value(serde_json::json!({
            "type": "order_problem", "order_issue": "wrong_item",
            "order": {"order_id": "1001"},
            "evidence": [{"type": "goods_photo", "url": "https://cdn.example/1.jpg", "size_bytes": 1000}]
        }))
        .unwrap();
        let err = file(
            CaseId::new(2026, 11, 1),
            cmd,
            customer("c-1"),
            Channel::App,
            fresh(),
            now(),
            &Policy::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Refusal::Rule(ref r) if r.rule == "evidence-required"));
    }

    #[test]
    fn special_goods_cannot_take_the_return_and_refund_path() {
        let cmd: NewCase = serde_json::from_value(serde_json::json!({
            "type": "return_refund",
            "purchase": {"category": "fresh_food", "receipt_date": "2026-11-23"}
        }))
        .unwrap();
        let err = file(
            CaseId::new(2026, 11, 1),
            cmd,
            customer("c-1"),
            Channel::App,
            fresh(),
            now(),
            &Policy::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Refusal::Rule(ref r) if r.rule == "special-goods-refund-only"));
    }

    #[test]
    fn a_technical_support_request_is_due_in_two_working_days() {
        let cmd: NewCase = serde_json::from_value(serde_json::json!({
            "type": "technical_support", "description": "How do I wire the NVR?"
        }))
        .unwrap();
        // Friday 10:00 in Beijing: due Tuesday 10:00.
        let friday: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        let (case, _) = file(
            CaseId::new(2026, 11, 1),
            cmd,
            customer("c-1"),
            Channel::App,
            fresh(),
            friday,
            &Policy::default(),
        )
        .unwrap();
        assert_eq!(
            case.first_response_due,
            "2026-12-01T02:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn cancelling_records_where_it_came_from_and_cannot_happen_twice() {
        let case = file_repair();
        let (cancelled, events) =
            cancel(&case, customer("c-1"), Some("fixed itself".into()), now()).unwrap();
        assert_eq!(cancelled.status, CaseStatus::Cancelled);
        assert_eq!(cancelled.version, 2);
        assert!(matches!(
            events[0].change,
            Change::Cancelled {
                from: CaseStatus::Submitted,
                ..
            }
        ));
        let again = cancel(&cancelled, customer("c-1"), None, now()).unwrap_err();
        assert!(matches!(again, Refusal::Rule(ref r) if r.rule == "not-cancellable"));
    }

    #[test]
    fn evidence_is_bounded_and_must_point_at_a_real_upload() {
        let case = file_repair();
        let photo = Evidence {
            kind: EvidenceKind::Photo,
            url: "https://cdn.example/a.jpg".into(),
            size_bytes: 10,
            content_type: Some("image/jpeg".into()),
            note: None,
        };
        let (next, _) = add_evidence(&case, customer("c-1"), vec![photo.clone()], now()).unwrap();
        assert_eq!(next.evidence.len(), 1);
        let bad = Evidence {
            url: "javascript:alert(1)".into(),
            ..photo.clone()
        };
        assert!(matches!(
            add_evidence(&case, customer("c-1"), vec![bad], now()),
            Err(Refusal::Invalid(_))
        ));
        let many = vec![photo; MAX_EVIDENCE + 1];
        assert!(matches!(
            add_evidence(&case, customer("c-1"), many, now()),
            Err(Refusal::Invalid(_))
        ));
    }

    mod return_cases {
        use super::*;
        use crate::domain::returns::Command;
        use proptest::prelude::*;

        fn refund_case() -> Case {
            let cmd: NewCase = serde_json::from_value(serde_json::json!({
                "type": "return_refund",
                "purchase": {"category": "television", "invoice_date": "2026-11-20", "receipt_date": "2026-11-22"},
                "return_terms": {"kind": "return_and_refund", "reason": "customer_reason", "units": 1,
                                 "currency": "CNY", "unit_price_minor": 100000}
            }))
            .unwrap();
            file(
                CaseId::new(2026, 11, 1),
                cmd,
                customer("c-1"),
                Channel::App,
                fresh(),
                now(),
                &Policy::default(),
            )
            .unwrap()
            .0
        }

        fn command() -> impl Strategy<Value = (Command, Role)> {
            let roles = prop::sample::select(vec![
                Role::Customer,
                Role::Agent,
                Role::Warehouse,
                Role::Quality,
                Role::Finance,
                Role::System,
            ]);
            let cmd = prop_oneof![
                Just(Command::Approve(crate::domain::returns::Reasoned {
                    reason_code: "ok".into(),
                    note: String::new()
                })),
                Just(Command::Reject(crate::domain::returns::Reasoned {
                    reason_code: "no".into(),
                    note: String::new()
                })),
                Just(Command::Resubmit {
                    note: String::new()
                }),
                Just(Command::Ship {
                    carrier: "SF".into(),
                    tracking_number: "1".into()
                }),
                Just(Command::ExecuteRefund),
                Just(Command::Cancel { reason: None }),
                Just(Command::DeadlineDue),
            ];
            (cmd, roles)
        }

        proptest! {
            #[test]
            fn a_case_is_in_one_state_and_each_change_has_one_event(steps in prop::collection::vec((command(), 0i64..200), 1..30)) {
                let mut case = refund_case();
                let mut timeline = vec![1u64];
                let mut at = now();
                for ((cmd, role), hours) in steps {
                    at += Duration::hours(hours);
                    let actor = Actor { id: "x".into(), role, name: None };
                    if let Ok((next, events)) = apply_return(&case, cmd, actor, at, &Policy::default()) {
                        prop_assert_eq!(next.version, case.version + 1);
                        prop_assert!(events.len() <= 1, "one event per change");
                        timeline.extend(events.iter().map(|e| e.version));
                        case = next;
                    }
                    let flow = case.returns.as_ref().unwrap();
                    prop_assert_eq!(case.status, flow.stage.case_status(), "the status is the stage's");
                }
                let mut sorted = timeline.clone();
                sorted.dedup();
                prop_assert_eq!(sorted.len(), timeline.len(), "no two events share a version");
            }
        }
    }

    #[test]
    fn events_read_back_as_they_were_written() {
        let case = file_repair();
        let (_, events) = cancel(&case, customer("c-1"), None, now()).unwrap();
        let json = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(json["type"], "cancelled");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, events[0]);
    }

    fn own_reason_return(
        receipt_days_ago: Option<i64>,
        kind: &str,
        shipped: bool,
    ) -> Result<Case, Refusal> {
        let today = merchant_date(now(), &Policy::default());
        let mut purchase = serde_json::json!({"category": "clothing", "invoice_date": (today - Duration::days(40)).to_string()});
        if let Some(days) = receipt_days_ago {
            purchase["receipt_date"] = (today - Duration::days(days)).to_string().into();
        }
        let case_type = if kind == "refund_only" {
            "refund_only"
        } else {
            "return_refund"
        };
        let cmd: NewCase = serde_json::from_value(serde_json::json!({
            "type": case_type,
            "purchase": purchase,
            "order": {"order_id": "SO-9"},
            "return_terms": {"kind": kind, "reason": "customer_reason", "units": 1,
                             "currency": "CNY", "unit_price_minor": 19900, "order_shipped": shipped}
        }))
        .unwrap();
        file(
            CaseId::new(2026, 11, 1),
            cmd,
            customer("c-1"),
            Channel::App,
            fresh(),
            now(),
            &Policy::default(),
        )
        .map(|(c, _)| c)
    }

    #[test]
    fn a_return_for_the_customers_own_reason_is_filed_within_the_no_reason_window_only() {
        assert!(
            own_reason_return(Some(7), "return_and_refund", true).is_ok(),
            "day 7 is the last day"
        );
        let late = own_reason_return(Some(8), "return_and_refund", true).unwrap_err();
        assert!(
            matches!(late, Refusal::Rule(ref r) if r.rule == "no-reason-window-closed"),
            "{late:?}"
        );
        let weeks = own_reason_return(Some(30), "refund_only", true).unwrap_err();
        assert!(
            matches!(weeks, Refusal::Rule(ref r) if r.rule == "no-reason-window-closed"),
            "keeping the goods weeks later is no exception"
        );
        let unknown = own_reason_return(None, "return_and_refund", true).unwrap_err();
        assert!(matches!(unknown, Refusal::Rule(ref r) if r.rule == "no-reason-window-closed"));
        assert!(
            own_reason_return(None, "refund_only", false).is_ok(),
            "an order not shipped yet is refunded whatever the reason"
        );
    }

    #[test]
    fn evidence_is_stored_as_it_was_checked_and_scriptable_types_are_refused() {
        let case = file_repair();
        let photo = Evidence {
            kind: EvidenceKind::Photo,
            url: "https://cdn.example/a.jpg\n".into(),
            size_bytes: 10,
            content_type: Some("Image/JPEG".into()),
            note: None,
        };
        let (next, _) = add_evidence(&case, customer("c-1"), vec![photo.clone()], now()).unwrap();
        assert_eq!(next.evidence[0].url, "https://cdn.example/a.jpg");
        assert_eq!(next.evidence[0].content_type.as_deref(), Some("image/jpeg"));
        for bad_url in [
            "https://cdn.example/\"><script>alert(1)</script>",
            "https://user:pass@cdn.example/a.jpg",
            "https://cdn.example/\u{202E}gpj.exe",
            "http://cdn.example/a.jpg",
            "https:///a.jpg",
        ] {
            let bad = Evidence {
                url: bad_url.into(),
                ..photo.clone()
            };
            assert!(
                matches!(add_evidence(&case, customer("c-1"), vec![bad], now()), Err(Refusal::Invalid(ref f)) if f[0].field == "evidence/0/url"),
                "{bad_url}"
            );
        }
        for bad in ["image/svg+xml", "text/html", "image/"] {
            let svg = Evidence {
                content_type: Some(bad.into()),
                ..photo.clone()
            };
            assert!(
                matches!(add_evidence(&case, customer("c-1"), vec![svg], now()), Err(Refusal::Invalid(ref f)) if f[0].field == "evidence/0/content_type"),
                "{bad}"
            );
        }
    }

    #[test]
    fn purchase_dates_at_the_edge_of_the_calendar_are_a_field_error_not_a_panic() {
        for date in ["+262142-12-31", "-262143-01-01", "1969-12-31", "2201-01-01"] {
            let cmd: NewCase = serde_json::from_value(serde_json::json!({
                "type": "repair", "description": "x",
                "purchase": {"category": "television", "receipt_date": date}
            }))
            .unwrap();
            let err = file(
                CaseId::new(2026, 11, 1),
                cmd,
                customer("c-1"),
                Channel::App,
                fresh(),
                now(),
                &Policy::default(),
            )
            .unwrap_err();
            assert!(
                matches!(err, Refusal::Invalid(ref f) if f[0].field == "purchase/receipt_date"),
                "{date}: {err:?}"
            );
        }
    }

    fn held_order() -> Order {
        serde_json::from_value(serde_json::json!({
            "storefront": "erp", "order_id": "SO-1",
            "customer": {"id": "C-1", "email": "c@example.com"},
            "currency": "CNY", "total_minor": 20000,
            "lines": [{"line_id": "1", "sku": "TV", "title": "TV", "quantity": 2, "unit_price_minor": 10000,
                       "category": "television"}],
            "created_at": "2026-11-20T02:00:00Z", "paid_at": "2026-11-20T02:00:00Z",
            "shipped_at": "2026-11-21T02:00:00Z", "delivered_at": "2026-11-22T02:00:00Z",
            "source_updated_at": "2026-11-22T02:00:00Z"
        }))
        .unwrap()
    }

    fn refund_of_held(units: u32, unit_price: i64, left: i64) -> Result<Case, Refusal> {
        let order = held_order();
        let cmd: NewCase = serde_json::from_value(serde_json::json!({
            "type": "refund_only", "description": "Broken.",
            "order": {"storefront": "erp", "order_id": "SO-1", "line_ids": ["1"]},
            "purchase": order.purchase_of(&order.lines[0], &Policy::default()),
            "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": units,
                             "currency": "CNY", "unit_price_minor": unit_price}
        }))
        .unwrap();
        let history = History {
            earlier: &NO_UNITS,
            held: Some(Held {
                order: &order,
                left_minor: left,
                claimed_units: &NO_CLAIMS,
            }),
        };
        file(
            CaseId::new(2026, 11, 1),
            cmd,
            customer("erp:C-1"),
            Channel::App,
            history,
            now(),
            &Policy::default(),
        )
        .map(|(c, _)| c)
    }

    #[test]
    fn a_request_on_a_held_order_is_checked_against_what_was_paid_and_what_is_left() {
        let case = refund_of_held(2, 10000, 20000).unwrap();
        assert!(case.returns.unwrap().amount_verified());
        let rule = |r: Result<Case, Refusal>| match r {
            Err(Refusal::Rule(r)) => r.rule,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            rule(refund_of_held(1, 10_000_000, 20000)),
            "terms-exceed-order"
        );
        assert_eq!(rule(refund_of_held(3, 10000, 20000)), "terms-exceed-order");
        assert_eq!(
            rule(refund_of_held(1, 10000, 0)),
            "order-already-refunded",
            "refunded at the storefront, or claimed by another request"
        );
    }

    #[test]
    fn a_storefront_return_asks_no_more_units_than_its_lines_have() {
        let order = held_order();
        let request = |quantity: u32| ReturnRequest {
            return_id: "R-1".into(),
            order_id: order.order_id.clone(),
            lines: vec![crate::domain::order::ReturnLine {
                line_id: "1".into(),
                quantity,
                reason: Some("defective".into()),
                note: None,
            }],
            refund_only: false,
            requested_at: now(),
            note: None,
        };
        let held = Held {
            order: &order,
            left_minor: 20000,
            claimed_units: &NO_CLAIMS,
        };
        let file = |q| {
            file_storefront_return(
                CaseId::new(2026, 11, 1),
                held,
                &request(q),
                CustomerId::parse("erp:C-1").unwrap(),
                &NO_UNITS,
                now(),
                &Policy::default(),
            )
        };
        let (case, _) = file(2).unwrap();
        assert_eq!(case.returns.unwrap().terms.claim_minor(), 20000);
        for q in [0, 3, u32::MAX] {
            assert!(
                matches!(file(q), Err(Refusal::Rule(ref r)) if r.rule == "terms-exceed-order"),
                "{q}"
            );
        }
    }

    #[test]
    fn a_return_refused_on_inspection_cannot_be_cancelled_by_any_route() {
        let mut case = file_repair();
        let flow = returns::ReturnFlow::open(
            serde_json::from_value(
                serde_json::json!({"kind": "return_and_refund", "reason": "customer_reason",
                "units": 1, "currency": "CNY", "unit_price_minor": 100}),
            )
            .unwrap(),
            None,
            &NO_UNITS,
            now(),
            &Policy::default().returns,
        )
        .unwrap();
        case.returns = Some(returns::ReturnFlow {
            stage: returns::Stage::SendBackPending,
            ..flow
        });
        case.status = CaseStatus::InProgress;
        let refused = cancel(&case, customer("c-1"), None, now()).unwrap_err();
        assert!(
            matches!(refused, Refusal::Rule(ref r) if r.rule == "not-cancellable"),
            "{refused:?}"
        );
    }

    #[test]
    fn a_storefront_refund_on_the_order_leaves_a_pending_refund_to_finance() {
        let case = refund_of_held(1, 10000, 20000).unwrap();
        let refunded = Change::RefundedAtStorefront {
            order_id: OrderId::parse("SO-1").unwrap(),
            refund_id: "RF-1".into(),
            amount_minor: 10000,
            currency: crate::domain::values::Currency::CNY,
        };
        let (noted, _) = note_storefront_all(&case, "erp", &[refunded], now());
        let flow = noted.returns.as_ref().unwrap();
        assert!(flow.order_changed);
        let due = flow.deadline.unwrap().due;
        let system = Actor {
            id: "timers".into(),
            role: Role::System,
            name: None,
        };
        let (after, _) = apply_return(
            &noted,
            returns::Command::DeadlineDue,
            system,
            due,
            &Policy::default(),
        )
        .unwrap();
        assert_eq!(after.returns.unwrap().stage, returns::Stage::RefundPending);
    }

    #[test]
    fn customer_service_files_on_an_order_for_its_own_customer_only() {
        let order = held_order();
        let agent = Actor {
            id: "agent-1".into(),
            role: Role::Agent,
            name: None,
        };
        let for_whom = |customer: &str| {
            let cmd: NewCase = serde_json::from_value(serde_json::json!({
                "type": "refund_only", "description": "Broken.", "customer_id": customer,
                "order": {"storefront": "erp", "order_id": "SO-1", "line_ids": ["1"]},
                "purchase": order.purchase_of(&order.lines[0], &Policy::default()),
                "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": 1,
                                 "model": "anything", "currency": "CNY", "unit_price_minor": 10000}
            }))
            .unwrap();
            let history = History {
                earlier: &NO_UNITS,
                held: Some(Held {
                    order: &order,
                    left_minor: 20000,
                    claimed_units: &NO_CLAIMS,
                }),
            };
            file(
                CaseId::new(2026, 11, 1),
                cmd,
                agent.clone(),
                Channel::Hotline,
                history,
                now(),
                &Policy::default(),
            )
        };
        let (case, _) = for_whom("erp:C-1").unwrap();
        assert_eq!(
            case.returns.unwrap().terms.model.as_deref(),
            Some("TV"),
            "the order says which model"
        );
        assert!(
            matches!(for_whom("mallory"), Err(Refusal::Rule(ref r)) if r.rule == "order-of-another-customer")
        );
    }

    #[test]
    fn a_customer_asks_no_cheaper_replacement_than_the_goods() {
        let cmd: NewCase = serde_json::from_value(serde_json::json!({
            "type": "exchange", "description": "Wrong colour.",
            "purchase": {"category": "television", "invoice_date": "2026-11-20"},
            "return_terms": {"kind": "exchange", "reason": "quality_fault", "units": 1,
                             "currency": "CNY", "unit_price_minor": 10000, "replacement_price_minor": 0}
        }))
        .unwrap();
        let err = file(
            CaseId::new(2026, 11, 1),
            cmd,
            customer("c-1"),
            Channel::App,
            fresh(),
            now(),
            &Policy::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Refusal::Rule(ref r) if r.rule == "replacement-price-by-staff"));
    }

    #[test]
    fn an_unpaid_order_has_nothing_to_refund_and_its_promise_is_the_merchants() {
        let mut unpaid = held_order();
        unpaid.paid_at = None;
        let cmd = |promise: Option<&str>| -> NewCase {
            let mut body = serde_json::json!({
                "type": "refund_only", "description": "Never came.",
                "order": {"storefront": "erp", "order_id": "SO-1", "line_ids": ["1"]},
                "purchase": {"category": "television", "invoice_date": "2026-11-20"},
                "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": 1,
                                 "currency": "CNY", "unit_price_minor": 10000}
            });
            if let Some(p) = promise {
                body["return_terms"]["order_shipped"] = false.into();
                body["return_terms"]["promised_ship_by"] = p.into();
            }
            serde_json::from_value(body).unwrap()
        };
        let file_on = |order: &Order, c: NewCase| {
            file(
                CaseId::new(2026, 11, 1),
                c,
                customer("erp:C-1"),
                Channel::App,
                History {
                    earlier: &NO_UNITS,
                    held: Some(Held {
                        order,
                        left_minor: 20000,
                        claimed_units: &NO_CLAIMS,
                    }),
                },
                now(),
                &Policy::default(),
            )
        };
        assert!(
            matches!(file_on(&unpaid, cmd(None)), Err(Refusal::Rule(ref r)) if r.rule == "order-not-paid")
        );
        let mut unshipped = held_order();
        unshipped.shipped_at = None;
        unshipped.delivered_at = None;
        assert!(
            matches!(file_on(&unshipped, cmd(Some("2026-01-01T00:00:00Z"))), Err(Refusal::Rule(ref r)) if r.rule == "terms-exceed-order")
        );
    }

    #[test]
    fn an_order_shipped_after_a_refund_only_request_leaves_its_refund_to_finance() {
        let case = refund_of_held(1, 10000, 20000).unwrap();
        let shipped = Change::OrderShippedAtStorefront {
            order_id: OrderId::parse("SO-1").unwrap(),
        };
        let (noted, _) = note_storefront_all(&case, "erp", &[shipped], now());
        assert!(noted.returns.unwrap().order_changed);
    }

    #[test]
    fn a_return_declined_or_an_order_cancelled_at_the_storefront_is_not_paid_by_the_clock() {
        let case = refund_of_held(1, 10000, 20000).unwrap();
        let declined = Change::StorefrontReturnStatus {
            return_id: "R-1".into(),
            status: "declined".into(),
            changed_at: now(),
        };
        let (noted, _) = note_storefront_all(&case, "erp", &[declined], now());
        let flow = noted.returns.unwrap();
        assert!(flow.order_changed);
        assert_eq!(flow.deadline, None, "the storefront decided: no clock runs");
        let cancelled = Change::OrderCancelledAtStorefront {
            order_id: OrderId::parse("SO-1").unwrap(),
        };
        let (noted, _) = note_storefront_all(&case, "erp", &[cancelled], now());
        assert!(noted.returns.unwrap().order_changed);

        let mut order = held_order();
        order.cancelled_at = Some(now());
        let held = Held {
            order: &order,
            left_minor: 20000,
            claimed_units: &NO_CLAIMS,
        };
        assert_eq!(held.paid().unwrap_err().rule, "order-cancelled");
    }

    #[test]
    fn an_order_level_discount_is_shared_by_its_lines() {
        let mut order = held_order();
        order.total_minor = 10000;
        assert_eq!(
            order.paid_unit_price(&order.lines[0]),
            5000,
            "two units, half off"
        );
        order.total_minor = 25000;
        assert_eq!(
            order.paid_unit_price(&order.lines[0]),
            10000,
            "shipping on top changes no price"
        );
    }
}
