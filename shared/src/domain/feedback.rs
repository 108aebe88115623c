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
use super::{InvalidField, Refusal, RuleError};

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

/// A complaint as filed: its channel and who handles it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Complaint {
    pub channel: ComplaintChannel,
    /// Consumer-association and regulator complaints go to a manager at once (DOMAIN §6);
    /// the others to customer service.
    pub handler: Role,
}

impl Complaint {
    /// A complaint from `channel` (as the filer's role gives it when unnamed: the app for a
    /// customer, the phone for customer service), routed to whom handles it.
    pub fn routed(channel: Option<ComplaintChannel>, filer: Role) -> Self {
        let channel = channel.unwrap_or(if filer == Role::Customer {
            ComplaintChannel::App
        } else {
            ComplaintChannel::Phone
        });
        let handler = match channel {
            ComplaintChannel::ConsumerAssociation | ComplaintChannel::Regulator => Role::Manager,
            _ => Role::Agent,
        };
        Self { channel, handler }
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

/// A resolved case sent back to customer service by its customer's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reopened {
    pub at: DateTime<Utc>,
    pub reasons: BTreeSet<Reason>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackPolicy {
    /// A survey can be answered this many days after the case was resolved.
    pub survey_days: u32,
}

impl Default for FeedbackPolicy {
    fn default() -> Self {
        Self { survey_days: 14 }
    }
}

impl FeedbackPolicy {
    pub fn validate(&self, field: &str, errors: &mut Vec<InvalidField>) {
        if !(1..=90).contains(&self.survey_days) {
            errors.push(InvalidField::new(
                format!("{field}/survey_days"),
                "must be 1 to 90 (days)",
            ));
        }
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

/// Every decision that resolves a case opens its survey (once).
pub fn opened_on_resolution(before: &Case, next: &mut Case) {
    if next.status == CaseStatus::Resolved
        && before.status != CaseStatus::Resolved
        && next.survey.is_none()
    {
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
    let survey = case
        .survey
        .as_ref()
        .ok_or_else(|| RuleError::state("no-survey", "a survey opens when the case is resolved"))?;
    if survey.answer.is_some() {
        return Err(RuleError::state("survey-answered", "this survey was answered already").into());
    }
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
        next.reopened = Some(Reopened {
            at: now,
            reasons: body.reasons.clone(),
        });
        events.push(Event {
            version: next.version,
            at: now,
            actor,
            change: Change::Reopened {
                reasons: body.reasons,
            },
        });
    }
    Ok((next, events))
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
}
