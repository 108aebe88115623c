//! Filing a case: who it is for, its entitlement, its deadlines, and a return's first steps (DOMAIN §2, §4.1).

use super::*;

pub(super) fn optional_text(
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
pub(super) fn normalise_evidence(
    items: &[Evidence],
    already: usize,
) -> Result<Vec<Evidence>, Vec<InvalidField>> {
    let mut errors = Vec::new();
    let mut kept = Vec::with_capacity(items.len());
    for (i, e) in items.iter().enumerate() {
        if e.upload.is_some() {
            errors.push(InvalidField::new(
                format!("evidence/{i}/upload"),
                "is set by the service when an uploaded file is attached (POST /v1/cases/{id}/uploads/{upload})",
            ));
            continue;
        }
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
pub(super) fn allowed(actor: &Actor, action: Action) -> Result<(), Refusal> {
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

/// Adds the merchant's working days (its calendar, in its time zone) to an instant.
pub(super) fn add_working_days(
    now: DateTime<Utc>,
    days: u32,
    policy: &Policy,
) -> Option<DateTime<Utc>> {
    policy
        .calendar
        .add_working_days(now, days, policy.time_zone())
}

/// When the merchant must first answer a case of type `t` filed `now` (DOMAIN §2, §5).
pub(super) fn first_response_due(
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
pub(super) fn check_order_customer(
    actor: &Actor,
    customer: &CustomerId,
    order: &Order,
) -> Result<(), RuleError> {
    if actor.role == Role::Customer {
        // The order's visibility was the customer's to pass (their id, account or e-mail).
        return Ok(());
    }
    let owner = crate::domain::order::customer_key(&order.storefront, &order.customer);
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
pub(super) fn check_no_reason_window(
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
    pub(super) fn claimed(&self, line_id: &str) -> u32 {
        self.claimed_units.get(line_id).copied().unwrap_or(0)
    }

    /// Only a paid order that stands has money to give back: an unpaid one is cancelled at the
    /// storefront, and a cancelled one was refunded there with its cancellation.
    pub(super) fn paid(&self) -> Result<(), RuleError> {
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
    if t != CaseType::Complaint && cmd.complaint_channel.is_some() {
        errors.push(InvalidField::new(
            "complaint_channel",
            "only a complaint has a complaint channel",
        ));
    }
    if t != CaseType::Complaint && cmd.about_case.is_some() {
        errors.push(InvalidField::new(
            "about_case",
            "only a complaint names the case it is about",
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
    let complaint = (t == CaseType::Complaint).then(|| {
        crate::domain::feedback::Complaint::routed(
            cmd.complaint_channel,
            actor.role,
            now,
            &policy.feedback,
        )
    });
    // A complaint's answer is the merchant's first response.
    let first_response_due = match complaint.as_ref().and_then(|c| c.answer_due) {
        Some(due) => first_response_due.min(due),
        None => first_response_due,
    };
    // A complaint a manager handles is urgent, whatever the filer said.
    let priority = match &complaint {
        Some(c) if c.handler == Role::Manager => Priority::Urgent,
        _ => cmd.priority,
    };

    let case = Case {
        contact,
        order: cmd.order,
        product,
        purchase: cmd.purchase,
        entitlement,
        description,
        logistics_issue: cmd.logistics_issue,
        tracking_number,
        order_issue: cmd.order_issue,
        evidence,
        priority,
        complaint,
        merchant_utc_offset_minutes: policy.utc_offset_minutes,
        ..Case::filed(
            id,
            t,
            channel,
            customer_id,
            flow,
            first_response_due,
            &actor,
            now,
        )
    };
    let event = filed_event(&case, actor);
    Ok((case, vec![event]))
}

impl Case {
    /// A case as it is filed, before what its filing adds: version 1, open (at its return's
    /// stage, if it is one), no evidence, no one assigned.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn filed(
        id: CaseId,
        case_type: CaseType,
        channel: Channel,
        customer_id: CustomerId,
        returns: Option<ReturnFlow>,
        first_response_due: DateTime<Utc>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Case {
        Case {
            id,
            case_type,
            status: returns
                .as_ref()
                .map_or(CaseStatus::Submitted, |f| f.stage.case_status()),
            channel,
            customer_id,
            customer_email: None,
            contact: Contact::default(),
            order: None,
            storefront_return_id: None,
            storefront_return_status: None,
            product: Product::default(),
            purchase: None,
            entitlement: None,
            description: String::new(),
            logistics_issue: None,
            tracking_number: None,
            order_issue: None,
            evidence: Vec::new(),
            returns,
            priority: Priority::Normal,
            first_response_due,
            work: None,
            complaint: None,
            survey: None,
            reopened: None,
            reopenings: Vec::new(),
            assignee: None,
            tags: None,
            callback: None,
            callbacks: Vec::new(),
            writebacks: Vec::new(),
            merchant_utc_offset_minutes: default_offset(),
            filed_by: actor.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// Who files a return, for whom, on which order line, owed what (see [`open_return`]).
pub(super) struct ReturnFiling<'a> {
    actor: &'a Actor,
    customer: &'a CustomerId,
    line_id: Option<&'a String>,
    entitlement: Option<&'a Entitlement>,
}

/// Opens the workflow of a refund, return or exchange filed in the app or by customer service:
/// the no-reason window, the replacement's price, and on a held order everything the order
/// says (what was paid, its customer, its shipping, its model).
pub(super) fn open_return(
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
pub(super) fn filed_event(case: &Case, actor: Actor) -> Event {
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

pub(super) fn next_version(
    case: &Case,
    actor: Actor,
    now: DateTime<Utc>,
    change: Change,
) -> (Case, Event) {
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
