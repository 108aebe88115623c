//! The service case (售后单, DOMAIN §2): one record per customer request, its timeline of
//! events, and the rules for filing it, adding evidence and cancelling it.
//!
//! Every function here takes the current state, a command, the actor, `now` and the policy,
//! and returns the new state with the events that explain it, or says why not. The version
//! goes up by one per state change and every event carries the version it produced, so the
//! timeline and the record can never disagree.
//!
//! The types are here; by subject: [`filing`] (a new case, its entitlement and deadlines),
//! [`commands`] (evidence, cancellation, a return's steps: [`CaseCommand`] is how a command
//! gets its route), [`storefront`] (a storefront's own returns and what happens to orders).

use chrono::{DateTime, Duration, NaiveDate, Utc};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Storefront,
    App,
    Hotline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// 保内客户 / 按年合同客户 / 按次合同客户
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerAttribute {
    #[default]
    InWarranty,
    AnnualContract,
    PerVisitContract,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRef {
    /// The storefront the order came from (as configured); absent for orders we do not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storefront: Option<String>,
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Set by the service alone, for a file uploaded through `POST /v1/cases/{id}/uploads`:
    /// its key in the evidence bucket (read it back with `GET /v1/cases/{id}/evidence/{n}`).
    /// A request that names one is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub upload: Option<String>,
}

pub const MAX_EVIDENCE: usize = 20;
/// Order lines one case may name: each counts towards that line's open cases.
pub const MAX_CASE_LINES: usize = 20;
/// The largest evidence file: a phone's minute of video.
pub const MAX_EVIDENCE_BYTES: u64 = 200 * 1024 * 1024;

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
            upload: self.upload.clone(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The storefront's last status of that return, as it reported it: the same status
    /// reported again (another delivery of the same change) notes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storefront_return_status: Option<String>,
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
    /// A repair, installation or technical support sent to a technician (DOMAIN §5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<WorkOrder>,
    /// A complaint's channel and who handles it (DOMAIN §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<super::feedback::Complaint>,
    /// Opened when the case is resolved; answered once by its customer (DOMAIN §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<super::feedback::Survey>,
    /// Sent back to customer service (the latest time): by a dissatisfied answer, with its
    /// reasons, or by a complaint about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened: Option<super::feedback::Reopened>,
    /// Every time it was sent back, for the reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reopenings: Vec<super::feedback::Reopened>,
    /// The technician the work is booked with: they see the case, no other technician does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The next callback (回访), from its resolution on (DOMAIN §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<super::feedback::Callback>,
    /// The callbacks made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callbacks: Vec<super::feedback::CallbackRecord>,
    /// Reason, defect and responsibility, set by staff once the case is settled (DOMAIN §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<super::feedback::CaseTags>,
    /// The merchant's UTC offset when the case was filed: the reports count its facts on the
    /// merchant's days.
    #[serde(default = "default_offset")]
    pub merchant_utc_offset_minutes: i32,
    /// Each decision on a storefront's return, done again in the shop, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writebacks: Vec<super::writeback::WriteBack>,
    pub filed_by: Actor,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

/// What a queue or a customer's list shows of a case: small, because it is what the listing
/// indexes hold (a case's full record is read by its id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Who handles the case, when it is not customer service's as usual (a complaint from a
    /// consumer association or a regulator: a manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<Role>,
    /// Why its customer sent a resolved case back (a dissatisfied survey).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reopened_for: Vec<super::feedback::Reason>,
    /// The complaint that sent a resolved case back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened_by: Option<CaseId>,
    /// A work order's board state, technician, visit and promise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<WorkSummary>,
    /// The next callback, for the callback queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<super::feedback::Callback>,
    /// A step the storefront refused to do in its shop (a refund: back in finance's queue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writeback_failed: Option<super::writeback::WriteStep>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: u64,
}

impl CaseSummary {
    /// The deadline the case's queue sorts on: the return's next deadline, else the work
    /// order's promise, else the first answer due. The admin page shows the same instant.
    pub fn due_at(&self) -> DateTime<Utc> {
        self.deadline
            .map(|d| d.due)
            .or(self.work.as_ref().map(|w| w.due))
            .unwrap_or(self.first_response_due)
    }
}

pub const SUMMARY_TITLE_CHARS: usize = 80;

/// The policy's default offset (China Standard Time), for cases recorded before the field.
fn default_offset() -> i32 {
    8 * 60
}

/// A return's stage decides its case's status (here, so that the returns module needs nothing
/// of cases).
impl returns::Stage {
    /// The case's coarse status in this stage.
    pub fn case_status(self) -> CaseStatus {
        use CaseStatus as S;
        match self {
            returns::Stage::AwaitingDecision => S::Submitted,
            returns::Stage::Rejected | returns::Stage::AwaitingShipment => S::AwaitingCustomer,
            returns::Stage::Escalated
            | returns::Stage::InTransit
            | returns::Stage::Received
            | returns::Stage::ReshipPending
            | returns::Stage::RefundPending => S::InProgress,
            returns::Stage::SendBackPending => S::InProgress,
            returns::Stage::Refunded | returns::Stage::Exchanged => S::Resolved,
            returns::Stage::SentBack | returns::Stage::Lapsed => S::Closed,
            returns::Stage::Cancelled => S::Cancelled,
        }
    }
}

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
            handler: self
                .complaint
                .as_ref()
                .map(|c| c.handler)
                .filter(|h| *h != Role::Agent),
            reopened_for: self
                .reopened
                .as_ref()
                .map(|r| r.reasons.iter().copied().collect())
                .unwrap_or_default(),
            reopened_by: self.reopened.as_ref().and_then(|r| r.complaint.clone()),
            work: self.work.as_ref().map(WorkOrder::summary),
            callback: self.callback.clone(),
            writeback_failed: super::writeback::failed_step(self),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// One entry of a case's timeline: what changed, who did it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// The case version this event produced; events of one change share it.
    pub version: u64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    #[serde(flatten)]
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The customer answered the case's survey.
    SurveyAnswered {
        level: super::feedback::Satisfaction,
        #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
        reasons: std::collections::BTreeSet<super::feedback::Reason>,
    },
    /// A dissatisfied answer sent the resolved case back to customer service.
    Reopened {
        #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
        reasons: std::collections::BTreeSet<super::feedback::Reason>,
        /// The complaint that sent it back (none: its customer's survey answer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        complaint: Option<CaseId>,
    },
    /// A complaint's answer was not given in time: a manager's now (the timers).
    ComplaintOverdue,
    /// A complaint's handler gave the customer their answer (a plan).
    ComplaintAnswered {
        note: String,
    },
    /// A complaint was settled.
    ComplaintResolved {
        resolution: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        against: Option<String>,
    },
    /// The case's callback is due (the timers).
    CallbackDue {
        kind: super::feedback::CallbackKind,
    },
    /// Customer service called the customer back.
    CallbackRecorded {
        outcome: super::feedback::CallbackOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<super::feedback::Satisfaction>,
    },
    /// Staff tagged the settled case.
    Tagged {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        defect: Option<String>,
        responsibility: String,
    },
    /// A step of the case's work order (DOMAIN §5).
    Work {
        step: WorkStep,
    },
    /// The shop did what a decision asked of it (`reference`: its id for what it made).
    StorefrontWritten {
        step: super::writeback::WriteStep,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// The shop refused what a decision asked of it (or never answered): its message.
    StorefrontRefused {
        step: super::writeback::WriteStep,
        message: String,
    },
    /// Nothing was written in the shop (write-back off, nowhere to send, no return there):
    /// the merchant does it in the shop's admin.
    StorefrontNotWritten {
        step: super::writeback::WriteStep,
        why: String,
    },
    /// Finance asked the shop again.
    WriteBackRetried {
        step: super::writeback::WriteStep,
    },
    /// Finance recorded the step as done by hand in the shop.
    WriteBackSettled {
        step: super::writeback::WriteStep,
        note: String,
    },
    /// The storefront changed the state of the return behind this case.
    StorefrontReturnStatus {
        return_id: String,
        status: String,
        /// When the storefront changed it (the event's `at` is when we learned of it).
        changed_at: DateTime<Utc>,
    },
}

impl Change {
    /// What the shop was told of a decision, and what it answered: the merchant's business.
    pub fn is_writeback(&self) -> bool {
        matches!(
            self,
            Change::StorefrontWritten { .. }
                | Change::StorefrontRefused { .. }
                | Change::StorefrontNotWritten { .. }
                | Change::WriteBackRetried { .. }
                | Change::WriteBackSettled { .. }
        )
    }
}

/// A request to file a case: the body of `POST /v1/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// A complaint: where it came from (a customer's: the app; customer service's: the phone,
    /// unless they name a consumer association or a regulator, which go to a manager).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint_channel: Option<super::feedback::ComplaintChannel>,
    /// A complaint about an earlier case (the caller's own, or any for staff): a resolved one
    /// goes back to customer service's queue, and the complaint counts against its technician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about_case: Option<CaseId>,
}

pub use super::Refusal;

pub mod commands;
pub mod filing;
pub mod storefront;
#[cfg(test)]
mod tests;
pub mod work;

pub use commands::*;
pub use filing::*;
pub use storefront::*;
pub use work::{WorkOrder, WorkStep, WorkSummary};
