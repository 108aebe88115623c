//! Commands on an existing case: evidence, cancellation, a return's steps.

use super::*;

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
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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
pub(super) fn close_flow(case: &mut Case) {
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
    let (flow, changes) = returns::decide(flow, command, &actor, now, &policy.returns)?;
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
