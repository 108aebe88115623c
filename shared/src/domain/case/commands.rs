//! Commands on an existing case: evidence, cancellation, a return's steps.

use super::*;

/// A command on an existing case, as its route's JSON body. Adding one is this impl (its
/// domain function, with its tests) and its route in a function's `api()`:
/// `.post(path, case_command_route::<C, _>(), case_command_op::<C>(id, summary, example))`.
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
    append_evidence(case, actor, evidence, now)
}

/// A file uploaded to the evidence bucket for a case, as the bucket describes it (its size and
/// media type are the bucket's, not the caller's word).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// Its key: `cases/<case number>/<upload id>`.
    pub key: String,
    /// Its address as stored on the case (`s3://<bucket>/<key>`).
    pub url: String,
    pub kind: EvidenceKind,
    /// The size the upload URL was asked for.
    pub asked_bytes: u64,
    /// What the bucket holds.
    pub size_bytes: u64,
    pub content_type: Option<String>,
    pub note: Option<String>,
}

/// Checks a request for an upload URL: a media type evidence may have, a size within bounds,
/// on an open case with room for more evidence, by someone who may add evidence.
pub fn plan_upload(
    case: &Case,
    actor: &Actor,
    content_type: &str,
    size_bytes: u64,
) -> Result<String, Refusal> {
    allowed(actor, Action::AddEvidence)?;
    let probe = Evidence {
        kind: EvidenceKind::Photo,
        url: "s3://evidence/probe".into(),
        size_bytes,
        content_type: Some(content_type.to_owned()),
        note: None,
        upload: None,
    };
    let checked = normalise_evidence(&[probe], case.evidence.len()).map_err(|errors| {
        Refusal::Invalid(
            errors
                .into_iter()
                .map(|e| InvalidField::new(e.field.replace("evidence/0/", ""), e.reason))
                .collect(),
        )
    })?;
    takes_evidence(case)?;
    Ok(checked
        .into_iter()
        .next()
        .and_then(|e| e.content_type)
        .unwrap_or_default())
}

/// Attaches an uploaded file to the case it was uploaded for, once.
pub fn attach_upload(
    case: &Case,
    actor: Actor,
    upload: Uploaded,
    now: DateTime<Utc>,
) -> Result<(Case, Vec<Event>), Refusal> {
    allowed(&actor, Action::AddEvidence)?;
    if !upload.key.starts_with(&format!("cases/{}/", case.id)) {
        return Err(RuleError::new(
            "upload-of-another-case",
            "that file was uploaded for another case",
        )
        .into());
    }
    if case
        .evidence
        .iter()
        .any(|e| e.upload.as_deref() == Some(upload.key.as_str()))
    {
        return Err(RuleError::state("upload-attached", "that file is attached already").into());
    }
    if upload.size_bytes != upload.asked_bytes {
        return Err(RuleError::new(
            "upload-size-mismatch",
            format!(
                "the file uploaded has {} bytes, not the {} its upload URL was asked for",
                upload.size_bytes, upload.asked_bytes
            ),
        )
        .into());
    }
    let evidence = Evidence {
        kind: upload.kind,
        url: upload.url,
        size_bytes: upload.size_bytes,
        content_type: upload.content_type,
        note: upload.note,
        upload: None,
    };
    let mut checked =
        normalise_evidence(&[evidence], case.evidence.len()).map_err(Refusal::Invalid)?;
    for e in &mut checked {
        e.upload = Some(upload.key.clone());
    }
    append_evidence(case, actor, checked, now)
}

/// An open case takes evidence; a settled one takes no more (409).
fn takes_evidence(case: &Case) -> Result<(), Refusal> {
    if case.status.open() {
        return Ok(());
    }
    Err(RuleError::state(
        "case-closed",
        format!(
            "a case that is {} takes no more evidence",
            case.status.as_str()
        ),
    )
    .into())
}

/// Appends checked evidence to an open case.
fn append_evidence(
    case: &Case,
    actor: Actor,
    evidence: Vec<Evidence>,
    now: DateTime<Utc>,
) -> Result<(Case, Vec<Event>), Refusal> {
    takes_evidence(case)?;
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
    let pays = matches!(command, returns::Command::ExecuteRefund);
    // The rules (the role first) answer before the case's state does: a role that may never
    // take the step hears 403, whatever state the case is in.
    let (flow, changes) = returns::decide(flow, command, &actor, now, &policy.returns)?;
    if pays {
        super::super::writeback::check_refund(case)?;
    }
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
