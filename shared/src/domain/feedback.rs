//! Feedback (DOMAIN §6): the satisfaction survey a finished case opens, and the loop it closes.
//!
//! A case that becomes resolved opens its one survey; its customer answers it once, within the
//! policy's window. An answer below satisfied names why (attitude, skill, speed); 不满意 sends
//! the case back to customer service's queue with those reasons, by itself.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::case::{Case, CaseStatus, Change, Event};
use super::identity::{Actor, Role};
use super::values::bounded_text;
use super::{InvalidField, Refusal, RuleError, check_range};

/// 很满意 / 满意 / 一般 / 不满意.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    VerySatisfied,
    Satisfied,
    Average,
    Dissatisfied,
}

/// Why not satisfied: 服务态度 / 技术水平 / 速度.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Attitude,
    Skill,
    Speed,
}

/// Where a complaint (投诉) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintChannel {
    Phone,
    App,
    Storefront,
    /// 消费者协会
    ConsumerAssociation,
    /// 市场监管 and other regulators
    Regulator,
}

/// A complaint as filed: its channel, who handles it, and how it was handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Complaint {
    pub channel: ComplaintChannel,
    /// Consumer-association and regulator complaints go to a manager at once (DOMAIN §6);
    /// the others to customer service.
    pub handler: Role,
    /// The customer must have the merchant's answer (a plan) by then (the policy's
    /// `complaint_answer_hours`: 两天内给明确的处理方案).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_due: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    /// The plan given to the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// The technician the complaint was found to be about: it counts against them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<String>,
    /// The earlier case complained about, and the technician who worked on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<super::values::CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about_technician: Option<String>,
    /// Not answered in time: the timers gave it to a manager.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overdue: bool,
}

impl Complaint {
    /// A complaint from `channel` (as the filer's role gives it when unnamed: the app for a
    /// customer, the phone for customer service), routed to whom handles it, with its answer
    /// due by the policy.
    pub fn routed(
        channel: Option<ComplaintChannel>,
        filer: Role,
        now: DateTime<Utc>,
        policy: &FeedbackPolicy,
    ) -> Self {
        let channel = channel.unwrap_or(if filer == Role::Customer {
            ComplaintChannel::App
        } else {
            ComplaintChannel::Phone
        });
        let handler = match channel {
            ComplaintChannel::ConsumerAssociation | ComplaintChannel::Regulator => Role::Manager,
            _ => Role::Agent,
        };
        Self {
            channel,
            handler,
            answer_due: now
                .checked_add_signed(Duration::hours(i64::from(policy.complaint_answer_hours))),
            answered_at: None,
            answer: None,
            resolution: None,
            resolved_at: None,
            against: None,
            about: None,
            about_technician: None,
            overdue: false,
        }
    }

    /// Whether the timers still watch its answer's deadline.
    pub fn awaits_answer(&self) -> Option<DateTime<Utc>> {
        self.answer_due
            .filter(|_| self.answered_at.is_none() && !self.overdue)
    }
}

/// A complaint filed about an earlier case: it names that case and its technician, and a
/// resolved case goes back to customer service's queue (answered with its next state and
/// event, written in the complaint's own transaction).
pub fn complaint_about(
    complaint: &mut Case,
    about: &Case,
    actor: Actor,
    now: DateTime<Utc>,
) -> Option<(Case, Vec<Event>)> {
    let technician = about
        .work
        .as_ref()
        .and_then(|w| w.booking.as_ref())
        .map(|b| b.technician.clone());
    if let Some(c) = complaint.complaint.as_mut() {
        c.about = Some(about.id.clone());
        c.about_technician = technician;
    }
    if about.status != CaseStatus::Resolved {
        return None;
    }
    let mut next = next_version(about, now);
    next.status = CaseStatus::InProgress;
    let reopened = Reopened {
        at: now,
        reasons: BTreeSet::new(),
        complaint: Some(complaint.id.clone()),
    };
    next.reopenings.push(reopened.clone());
    next.reopened = Some(reopened);
    let event = Event {
        version: next.version,
        at: now,
        actor,
        change: Change::Reopened {
            reasons: BTreeSet::new(),
            complaint: Some(complaint.id.clone()),
        },
    };
    Some((next, vec![event]))
}

/// The timers give a complaint not answered by its deadline to a manager, urgent (`None`:
/// nothing to do).
pub fn complaint_overdue(
    case: &Case,
    now: DateTime<Utc>,
    actor: Actor,
) -> Option<(Case, Vec<Event>)> {
    let due = case.complaint.as_ref()?.awaits_answer()?;
    if due > now || !case.status.open() {
        return None;
    }
    let mut next = next_version(case, now);
    if let Some(c) = next.complaint.as_mut() {
        c.overdue = true;
        c.handler = Role::Manager;
    }
    next.priority = super::case::Priority::Urgent;
    let event = Event {
        version: next.version,
        at: now,
        actor,
        change: Change::ComplaintOverdue,
    };
    Some((next, vec![event]))
}

/// A step of a complaint's handling: the body of `POST /v1/cases/{id}/complaint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ComplaintStep {
    /// The plan given to the customer (meets the answer deadline if in time).
    Answer {
        /// At most 2000 characters.
        note: String,
    },
    /// The complaint is settled: the case is resolved (its survey opens).
    Resolve {
        /// At most 2000 characters.
        resolution: String,
        /// The technician the complaint was found to be about (it counts against them).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        against: Option<String>,
    },
}

/// One term of a controlled vocabulary, with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub code: String,
    pub en: String,
    pub zh: String,
}

/// The merchant's tags for a closed case (打标 / 归类), so that the product and the shop
/// improve (反哺产品).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TagVocabulary {
    /// Why the customer came.
    pub reasons: Vec<Term>,
    /// What was wrong with the product.
    pub defects: Vec<Term>,
    /// Who or which step was responsible.
    pub responsibilities: Vec<Term>,
}

fn terms(items: &[(&str, &str, &str)]) -> Vec<Term> {
    items
        .iter()
        .map(|(code, en, zh)| Term {
            code: (*code).to_owned(),
            en: (*en).to_owned(),
            zh: (*zh).to_owned(),
        })
        .collect()
}

impl Default for TagVocabulary {
    fn default() -> Self {
        Self {
            reasons: terms(&[
                ("quality_fault", "Quality fault", "质量问题"),
                ("not_as_described", "Not as described", "与描述不符"),
                ("wrong_item", "Wrong or missing item", "错发漏发"),
                ("damaged_in_transit", "Damaged in transit", "运输破损"),
                ("late_delivery", "Late delivery", "物流延误"),
                ("installation", "Installation or use", "安装使用"),
                ("changed_mind", "Changed mind", "个人原因"),
                ("other", "Other", "其他"),
            ]),
            defects: terms(&[
                ("none", "No defect", "无故障"),
                ("electrical", "Electrical", "电气故障"),
                ("mechanical", "Mechanical", "机械故障"),
                ("software", "Software", "软件故障"),
                ("cosmetic", "Cosmetic", "外观瑕疵"),
                ("missing_part", "Missing part", "缺件"),
                ("packaging", "Packaging", "包装问题"),
                ("other", "Other", "其他"),
            ]),
            responsibilities: terms(&[
                ("manufacturer", "Manufacturer", "厂家"),
                ("merchant", "Merchant", "商家"),
                ("logistics", "Logistics", "物流"),
                ("technician", "Technician", "维修人员"),
                ("customer", "Customer", "顾客"),
                ("none", "Nobody", "无责任"),
            ]),
        }
    }
}

impl TagVocabulary {
    fn validate(&self, field: &str, errors: &mut Vec<InvalidField>) {
        for (name, list) in [
            ("reasons", &self.reasons),
            ("defects", &self.defects),
            ("responsibilities", &self.responsibilities),
        ] {
            if list.is_empty() || list.len() > 100 {
                errors.push(InvalidField::new(
                    format!("{field}/{name}"),
                    "must hold 1 to 100 terms",
                ));
            }
            let mut seen = BTreeSet::new();
            for (i, t) in list.iter().enumerate() {
                let ok = !t.code.is_empty()
                    && t.code.len() <= 40
                    && t.code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !ok {
                    errors.push(InvalidField::new(
                        format!("{field}/{name}/{i}/code"),
                        "must be 1 to 40 of a-z, 0-9 and _",
                    ));
                }
                if !seen.insert(t.code.as_str()) {
                    errors.push(InvalidField::new(
                        format!("{field}/{name}/{i}/code"),
                        "is listed twice",
                    ));
                }
                for (label, text) in [("en", &t.en), ("zh", &t.zh)] {
                    let n = text.trim().chars().count();
                    if n == 0 || n > 60 {
                        errors.push(InvalidField::new(
                            format!("{field}/{name}/{i}/{label}"),
                            "must be 1 to 60 characters",
                        ));
                    }
                }
            }
        }
    }

    fn knows(list: &[Term], code: &str) -> bool {
        list.iter().any(|t| t.code == code)
    }
}

/// A case's tags, as staff set them on close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseTags {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect: Option<String>,
    pub responsibility: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The body of `PUT /v1/cases/{id}/tags`: codes of the policy's `feedback.tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagCase {
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defect: Option<String>,
    pub responsibility: String,
}

/// Who the merchant calls back (回访), and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CallbackPolicy {
    /// Days after a case is resolved that its customer is called back (0: no such call).
    pub after_service_days: u32,
    /// Days between the periodic calls to a key (contract) customer (0: none).
    pub key_customer_every_days: u32,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self {
            after_service_days: 3,
            key_customer_every_days: 90,
        }
    }
}

/// A case's survey: opened when the case was resolved, answered at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Survey {
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<SurveyAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyAnswer {
    pub level: Satisfaction,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub reasons: BTreeSet<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

/// A resolved case sent back to customer service: by its customer's answer (with its
/// reasons), or by a complaint about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reopened {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub reasons: BTreeSet<Reason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complaint: Option<super::values::CaseId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackPolicy {
    /// A survey can be answered this many days after the case was resolved.
    pub survey_days: u32,
    /// A complaint's customer has the merchant's answer within this many hours.
    pub complaint_answer_hours: u32,
    pub callbacks: CallbackPolicy,
    pub tags: TagVocabulary,
}

impl Default for FeedbackPolicy {
    fn default() -> Self {
        Self {
            survey_days: 14,
            complaint_answer_hours: 48,
            callbacks: CallbackPolicy::default(),
            tags: TagVocabulary::default(),
        }
    }
}

impl FeedbackPolicy {
    pub fn validate(&self, field: &str, errors: &mut Vec<InvalidField>) {
        check_range(
            errors,
            format!("{field}/survey_days"),
            self.survey_days,
            (1, 90),
            "days",
        );
        check_range(
            errors,
            format!("{field}/complaint_answer_hours"),
            self.complaint_answer_hours,
            (1, 720),
            "hours",
        );
        for (name, days) in [
            ("after_service_days", self.callbacks.after_service_days),
            (
                "key_customer_every_days",
                self.callbacks.key_customer_every_days,
            ),
        ] {
            check_range(
                errors,
                format!("{field}/callbacks/{name}"),
                days,
                (0, 366),
                "days",
            );
        }
        self.tags.validate(&format!("{field}/tags"), errors);
    }
}

/// The body of `POST /v1/cases/{id}/survey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerSurvey {
    pub level: Satisfaction,
    /// Below satisfied: why (at least one).
    #[serde(default)]
    pub reasons: BTreeSet<Reason>,
    /// Suggestions, in the customer's words (at most 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Whether a change from `before` to `next` resolves the case.
pub fn resolves(before: &Case, next: &Case) -> bool {
    next.status == CaseStatus::Resolved && before.status != CaseStatus::Resolved
}

/// The case's survey while it can be answered (answered or not yet opened: the rule refusing).
pub fn open_survey(case: &Case) -> Result<&Survey, RuleError> {
    let survey = case
        .survey
        .as_ref()
        .ok_or_else(|| RuleError::state("no-survey", "a survey opens when the case is resolved"))?;
    if survey.answer.is_some() {
        return Err(RuleError::state(
            "survey-answered",
            "this survey was answered already",
        ));
    }
    Ok(survey)
}

/// Every decision that resolves a case opens its survey (once).
pub fn opened_on_resolution(before: &Case, next: &mut Case) {
    if resolves(before, next) && next.survey.is_none() {
        next.survey = Some(Survey {
            opened_at: next.updated_at,
            answer: None,
        });
    }
}

/// The customer answers their case's survey: once, within the window; 不满意 reopens the case.
pub fn answer(
    case: &Case,
    body: AnswerSurvey,
    actor: Actor,
    now: DateTime<Utc>,
    policy: &FeedbackPolicy,
) -> Result<(Case, Vec<Event>), Refusal> {
    if actor.role != Role::Customer {
        return Err(Refusal::Forbidden(
            "the case's customer answers its survey".into(),
        ));
    }
    let below = body.level >= Satisfaction::Average;
    if below && body.reasons.is_empty() {
        return Err(InvalidField::new("reasons", "below satisfied, say why").into());
    }
    if !below && !body.reasons.is_empty() {
        return Err(
            InvalidField::new("reasons", "reasons come with an answer below satisfied").into(),
        );
    }
    let comment = body
        .comment
        .as_deref()
        .map(|c| bounded_text("comment", c, 1000))
        .transpose()?
        .filter(|c| !c.is_empty());
    let survey = open_survey(case)?;
    let window = Duration::days(i64::from(policy.survey_days));
    if survey
        .opened_at
        .checked_add_signed(window)
        .is_none_or(|end| now > end)
    {
        return Err(
            RuleError::state("survey-expired", "this survey can no longer be answered").into(),
        );
    }
    let mut next = case.clone();
    next.version += 1;
    next.updated_at = now;
    let answer = SurveyAnswer {
        level: body.level,
        reasons: body.reasons.clone(),
        comment,
        at: now,
    };
    next.survey = Some(Survey {
        opened_at: survey.opened_at,
        answer: Some(answer),
    });
    let mut events = vec![Event {
        version: next.version,
        at: now,
        actor: actor.clone(),
        change: Change::SurveyAnswered {
            level: body.level,
            reasons: body.reasons.clone(),
        },
    }];
    if body.level == Satisfaction::Dissatisfied && case.status == CaseStatus::Resolved {
        next.status = CaseStatus::InProgress;
        let reopened = Reopened {
            at: now,
            reasons: body.reasons.clone(),
            complaint: None,
        };
        next.reopenings.push(reopened.clone());
        next.reopened = Some(reopened);
        events.push(Event {
            version: next.version,
            at: now,
            actor,
            change: Change::Reopened {
                reasons: body.reasons,
                complaint: None,
            },
        });
    }
    Ok((next, events))
}

/// Why a customer is called back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackKind {
    /// After the case was resolved.
    AfterService,
    /// The periodic call to a key (contract) customer.
    KeyCustomer,
}

/// A scheduled callback waits for its time; the timers make it due (it then tops the queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackState {
    Scheduled,
    Due,
}

/// A case's next callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Callback {
    pub kind: CallbackKind,
    pub due_at: DateTime<Utc>,
    pub state: CallbackState,
    /// Calls not answered so far.
    #[serde(default)]
    pub attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    Reached,
    /// Tried again the next day, twice at most.
    NoAnswer,
    Refused,
    WrongNumber,
}

impl CallbackOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackOutcome::Reached => "reached",
            CallbackOutcome::NoAnswer => "no_answer",
            CallbackOutcome::Refused => "refused",
            CallbackOutcome::WrongNumber => "wrong_number",
        }
    }
}

/// A callback made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallbackRecord {
    pub kind: CallbackKind,
    pub outcome: CallbackOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Satisfaction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// The body of `POST /v1/cases/{id}/callback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCallback {
    pub outcome: CallbackOutcome,
    /// How satisfied the customer said they were, when reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Satisfaction>,
    /// At most 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Unanswered calls tried again, the day after each.
pub const CALLBACK_RETRIES: u32 = 2;

fn days(n: u32) -> Duration {
    Duration::days(i64::from(n))
}

/// A case that becomes resolved schedules its callback (after the policy's days; none if 0).
pub fn callback_on_resolution(before: &Case, next: &mut Case, policy: &CallbackPolicy) {
    if resolves(before, next) && next.callback.is_none() && policy.after_service_days > 0 {
        next.callback = next
            .updated_at
            .checked_add_signed(days(policy.after_service_days))
            .map(|due_at| Callback {
                kind: CallbackKind::AfterService,
                due_at,
                state: CallbackState::Scheduled,
                attempts: 0,
            });
    }
}

/// The timers make a scheduled callback due at its time (`None`: nothing to do).
pub fn callback_due(case: &Case, now: DateTime<Utc>, actor: Actor) -> Option<(Case, Vec<Event>)> {
    let callback = case.callback.as_ref()?;
    if callback.state != CallbackState::Scheduled || callback.due_at > now {
        return None;
    }
    let mut next = next_version(case, now);
    let kind = callback.kind;
    if let Some(c) = next.callback.as_mut() {
        c.state = CallbackState::Due;
    }
    let event = Event {
        version: next.version,
        at: now,
        actor,
        change: Change::CallbackDue { kind },
    };
    Some((next, vec![event]))
}

/// Customer service records a callback: an unanswered call is tried again the next day (twice
/// at most); a key customer's next periodic call is scheduled.
pub fn record_callback(
    case: &Case,
    body: RecordCallback,
    actor: Actor,
    now: DateTime<Utc>,
    policy: &CallbackPolicy,
) -> Result<(Case, Vec<Event>), Refusal> {
    let note = body
        .note
        .as_deref()
        .map(|c| bounded_text("note", c, 1000))
        .transpose()?
        .filter(|c| !c.is_empty());
    if body.level.is_some() && body.outcome != CallbackOutcome::Reached {
        return Err(
            InvalidField::new("level", "only a customer reached says how satisfied").into(),
        );
    }
    let callback = case
        .callback
        .as_ref()
        .ok_or_else(|| RuleError::state("no-callback", "no callback is scheduled for this case"))?;
    let mut next = next_version(case, now);
    next.callbacks.push(CallbackRecord {
        kind: callback.kind,
        outcome: body.outcome,
        level: body.level,
        note,
        by: actor.id.clone(),
        at: now,
    });
    let key_customer = case.work.as_ref().is_some_and(|w| w.contract);
    next.callback =
        if body.outcome == CallbackOutcome::NoAnswer && callback.attempts < CALLBACK_RETRIES {
            now.checked_add_signed(days(1)).map(|due_at| Callback {
                kind: callback.kind,
                due_at,
                state: CallbackState::Scheduled,
                attempts: callback.attempts + 1,
            })
        } else if key_customer && policy.key_customer_every_days > 0 {
            now.checked_add_signed(days(policy.key_customer_every_days))
                .map(|due_at| Callback {
                    kind: CallbackKind::KeyCustomer,
                    due_at,
                    state: CallbackState::Scheduled,
                    attempts: 0,
                })
        } else {
            None
        };
    let event = Event {
        version: next.version,
        at: now,
        actor,
        change: Change::CallbackRecorded {
            outcome: body.outcome,
            level: body.level,
        },
    };
    Ok((next, vec![event]))
}

/// The case's next version at `now` (its events are the caller's).
pub(super) fn next_version(case: &Case, now: DateTime<Utc>) -> Case {
    let mut next = case.clone();
    next.version = next.version.saturating_add(1);
    next.updated_at = now;
    next
}

/// A step of a complaint's handling, by its handler: a manager's complaint (a consumer
/// association's, a regulator's) by a manager only.
pub fn handle_complaint(
    case: &Case,
    step: ComplaintStep,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<(Case, Vec<Event>), Refusal> {
    let complaint = case
        .complaint
        .as_ref()
        .ok_or_else(|| RuleError::state("not-a-complaint", "this case is not a complaint"))?;
    if complaint.handler == Role::Manager && actor.role != Role::Manager {
        return Err(Refusal::Forbidden(
            "a consumer-association or regulator complaint is a manager's to handle".into(),
        ));
    }
    if !case.status.open() {
        return Err(RuleError::state("complaint-settled", "this complaint is settled").into());
    }
    let mut next = next_version(case, now);
    let mut handled = complaint.clone();
    let change = match step {
        ComplaintStep::Answer { note } => {
            let note = bounded_text("note", &note, 2000)?;
            if note.is_empty() {
                return Err(InvalidField::new("note", "say what the customer was told").into());
            }
            // The first answer is the one the deadline looks at; later ones add to the record.
            handled.answered_at.get_or_insert(now);
            handled.answer = Some(note.clone());
            next.status = CaseStatus::InProgress;
            Change::ComplaintAnswered { note }
        }
        ComplaintStep::Resolve {
            resolution,
            against,
        } => {
            let resolution = bounded_text("resolution", &resolution, 2000)?;
            if resolution.is_empty() {
                return Err(InvalidField::new("resolution", "say how it was settled").into());
            }
            // Unnamed: the technician of the case complained about, if any.
            let against = match against.as_deref() {
                Some(t) => Some(bounded_text("against", t, 64)?).filter(|t| !t.is_empty()),
                None => complaint.about_technician.clone(),
            };
            handled.answered_at.get_or_insert(now);
            handled.resolution = Some(resolution.clone());
            handled.resolved_at = Some(now);
            handled.against = against.clone();
            next.status = CaseStatus::Resolved;
            Change::ComplaintResolved {
                resolution,
                against,
            }
        }
    };
    next.complaint = Some(handled);
    let event = Event {
        version: next.version,
        at: now,
        actor,
        change,
    };
    Ok((next, vec![event]))
}

/// Tags a settled case from the policy's vocabulary; tagging again replaces the tags (and the
/// reports move with them).
pub fn tag(
    case: &Case,
    body: TagCase,
    actor: Actor,
    now: DateTime<Utc>,
    policy: &FeedbackPolicy,
) -> Result<(Case, Vec<Event>), Refusal> {
    let v = &policy.tags;
    let mut errors = Vec::new();
    if !TagVocabulary::knows(&v.reasons, &body.reason) {
        errors.push(InvalidField::new(
            "reason",
            "not a reason of the policy's tags",
        ));
    }
    if let Some(d) = &body.defect
        && !TagVocabulary::knows(&v.defects, d)
    {
        errors.push(InvalidField::new(
            "defect",
            "not a defect of the policy's tags",
        ));
    }
    if !TagVocabulary::knows(&v.responsibilities, &body.responsibility) {
        errors.push(InvalidField::new(
            "responsibility",
            "not a responsibility of the policy's tags",
        ));
    }
    if !errors.is_empty() {
        return Err(Refusal::Invalid(errors));
    }
    if !matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed) {
        return Err(RuleError::state(
            "case-open",
            "a case is tagged once it is resolved or closed",
        )
        .into());
    }
    let mut next = next_version(case, now);
    next.tags = Some(CaseTags {
        reason: body.reason.clone(),
        defect: body.defect.clone(),
        responsibility: body.responsibility.clone(),
        by: actor.id.clone(),
        at: now,
    });
    let event = Event {
        version: next.version,
        at: now,
        actor,
        change: Change::Tagged {
            reason: body.reason,
            defect: body.defect,
            responsibility: body.responsibility,
        },
    };
    Ok((next, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case::CaseStatus;

    fn resolved_case() -> Case {
        let mut case = crate::http::examples::filed_case().case;
        let before = case.clone();
        case.status = CaseStatus::Resolved;
        case.updated_at = "2026-11-21T02:00:00Z".parse().unwrap();
        opened_on_resolution(&before, &mut case);
        case
    }

    fn customer() -> Actor {
        Actor {
            id: "c-1".into(),
            role: Role::Customer,
            name: None,
        }
    }

    #[test]
    fn a_resolution_opens_one_survey_and_a_later_decision_keeps_it() {
        let case = resolved_case();
        let opened = case.survey.clone().expect("opened");
        let mut again = case.clone();
        again.updated_at = "2026-11-22T02:00:00Z".parse().unwrap();
        opened_on_resolution(&case, &mut again);
        assert_eq!(again.survey, Some(opened));
    }

    #[test]
    fn only_a_dissatisfied_answer_reopens_the_case_and_reasons_come_only_below_satisfied() {
        let case = resolved_case();
        let now = "2026-11-23T02:00:00Z".parse().unwrap();
        let policy = FeedbackPolicy::default();
        let body = |level, reasons: &[Reason]| AnswerSurvey {
            level,
            reasons: reasons.iter().copied().collect(),
            comment: None,
        };
        let (average, _) = answer(
            &case,
            body(Satisfaction::Average, &[Reason::Skill]),
            customer(),
            now,
            &policy,
        )
        .unwrap();
        assert_eq!(average.status, CaseStatus::Resolved);
        let (unhappy, events) = answer(
            &case,
            body(Satisfaction::Dissatisfied, &[Reason::Speed]),
            customer(),
            now,
            &policy,
        )
        .unwrap();
        assert_eq!(unhappy.status, CaseStatus::InProgress);
        assert_eq!(events.len(), 2);
        assert!(
            answer(
                &case,
                body(Satisfaction::Satisfied, &[Reason::Speed]),
                customer(),
                now,
                &policy
            )
            .is_err()
        );
        assert!(
            answer(
                &case,
                body(Satisfaction::Dissatisfied, &[]),
                customer(),
                now,
                &policy
            )
            .is_err()
        );
    }

    #[test]
    fn an_unanswered_call_is_tried_twice_more_and_a_key_customer_is_called_again_later() {
        let mut case = resolved_case();
        case.status = CaseStatus::InProgress;
        let mut resolved = case.clone();
        resolved.status = CaseStatus::Resolved;
        let policy = CallbackPolicy::default();
        callback_on_resolution(&case, &mut resolved, &policy);
        let first = resolved.callback.clone().expect("scheduled");
        assert_eq!(first.kind, CallbackKind::AfterService);
        assert_eq!(first.due_at, resolved.updated_at + Duration::days(3));

        let now = first.due_at;
        let call = |case: &Case, outcome| {
            record_callback(
                case,
                RecordCallback {
                    outcome,
                    level: None,
                    note: None,
                },
                customer_service(),
                now,
                &policy,
            )
            .unwrap()
            .0
        };
        let once = call(&resolved, CallbackOutcome::NoAnswer);
        let twice = call(&once, CallbackOutcome::NoAnswer);
        assert_eq!(twice.callback.as_ref().map(|c| c.attempts), Some(2));
        let given_up = call(&twice, CallbackOutcome::NoAnswer);
        assert_eq!(given_up.callback, None, "three calls unanswered: no more");
        assert_eq!(given_up.callbacks.len(), 3);

        let mut key = resolved.clone();
        let mut work = crate::http::examples::work_case()
            .case
            .work
            .expect("a work order");
        work.contract = true;
        key.work = Some(work);
        let reached = call(&key, CallbackOutcome::Reached);
        let next = reached.callback.expect("the next periodic call");
        assert_eq!(next.kind, CallbackKind::KeyCustomer);
        assert_eq!(next.due_at, now + Duration::days(90));
    }

    fn customer_service() -> Actor {
        Actor {
            id: "agent-1".into(),
            role: Role::Agent,
            name: None,
        }
    }
}
