//! The case's rules: filing, commands, the storefront's changes, and properties over them.

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
        crate::domain::entitlement::Remedy::Exchange
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
        upload: None,
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
        upload: None,
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

fn refund(id: &str, minor: i64) -> crate::domain::order::Refund {
    crate::domain::order::Refund {
        refund_id: id.to_owned(),
        amount_minor: minor,
        at: now(),
        by_case: None,
    }
}

#[test]
fn an_order_snapshot_no_newer_than_the_one_held_is_stale() {
    let held = held_order();
    assert!(order_snapshot_is_newer(None, &held));
    assert!(!order_snapshot_is_newer(Some(&held), &held));
    let mut later = held.clone();
    later.source_updated_at += Duration::minutes(1);
    assert!(order_snapshot_is_newer(Some(&held), &later));
    assert!(!order_snapshot_is_newer(Some(&later), &held));
}

#[test]
fn a_newer_snapshot_tells_its_cases_what_the_storefront_did_and_only_that() {
    let held = held_order();
    assert_eq!(
        order_changes(Some(&held), &[], &held),
        vec![],
        "nothing changed"
    );

    let mut refunded = held.clone();
    refunded.refunds = vec![refund("R1", 5000)];
    assert!(matches!(
        order_changes(Some(&held), &[], &refunded)[..],
        [Change::RefundedAtStorefront {
            amount_minor: 5000,
            ..
        }]
    ));
    // A refund known at 3000 that grew to 5000 gave back 2000 more; one known whole, nothing.
    assert!(matches!(
        order_changes(Some(&held), &[refund("R1", 3000)], &refunded)[..],
        [Change::RefundedAtStorefront {
            amount_minor: 2000,
            ..
        }]
    ));
    assert_eq!(
        order_changes(Some(&held), &[refund("R1", 5000)], &refunded),
        vec![]
    );

    // Many refunds at once are told as one, for their sum.
    let mut many = held.clone();
    many.refunds = (0..12).map(|i| refund(&format!("R{i}"), 100)).collect();
    assert!(matches!(
        order_changes(Some(&held), &[], &many)[..],
        [Change::RefundedAtStorefront {
            amount_minor: 1200,
            ..
        }]
    ));

    // A cancellation says it all: not also "total went down" or "payment withdrawn".
    let mut cancelled = held.clone();
    cancelled.cancelled_at = Some(now());
    cancelled.total_minor = 0;
    cancelled.paid_at = None;
    assert!(matches!(
        order_changes(Some(&held), &[], &cancelled)[..],
        [Change::OrderCancelledAtStorefront { .. }]
    ));
    let mut lowered = held.clone();
    lowered.total_minor = 15000;
    assert!(matches!(
        order_changes(Some(&held), &[], &lowered)[..],
        [Change::OrderAmendedAtStorefront { .. }]
    ));
}

#[test]
fn a_guest_orders_return_counts_as_the_orders_own_customer() {
    let mut guest = held_order();
    guest.customer.id = None;
    assert_eq!(
        storefront_return_customer("erp", &guest).unwrap().as_str(),
        "email:c@example.com",
        "a guest known by e-mail"
    );
    guest.customer.email = None;
    assert_eq!(
        storefront_return_customer("erp", &guest).unwrap().as_str(),
        "erp:order-SO-1"
    );
    assert_eq!(
        storefront_return_customer("erp", &held_order())
            .unwrap()
            .as_str(),
        "erp:C-1"
    );
}

#[test]
fn a_different_snapshot_of_the_same_second_is_later_unless_it_undoes_a_cancellation() {
    let held = held_order();
    let mut cancelled = held.clone();
    cancelled.cancelled_at = Some(now());
    assert!(order_snapshot_is_newer(Some(&held), &cancelled));
    assert!(!order_snapshot_is_newer(Some(&cancelled), &held));
    assert!(!order_snapshot_is_newer(Some(&cancelled), &cancelled));
}

#[test]
fn a_refund_counts_once_and_again_only_by_what_it_grew() {
    let known = [refund("R1", 3000)];
    assert_eq!(
        refund_growth(&known, &refund("R2", 500)),
        Some(refund("R2", 500))
    );
    assert_eq!(
        refund_growth(&known, &refund("R1", 5000)),
        Some(refund("R1", 2000))
    );
    assert_eq!(refund_growth(&known, &refund("R1", 3000)), None);
    assert_eq!(
        refund_growth(&known, &refund("R1", 1000)),
        None,
        "a smaller one after"
    );
}

fn uploaded(case: &Case, id: &str) -> Uploaded {
    Uploaded {
        key: format!("cases/{}/{id}", case.id),
        url: format!("s3://evidence/cases/{}/{id}", case.id),
        kind: EvidenceKind::Photo,
        asked_bytes: 482_133,
        size_bytes: 482_133,
        content_type: Some("image/jpeg".into()),
        note: None,
    }
}

#[test]
fn an_upload_is_attached_once_and_only_to_the_case_whose_prefix_it_has() {
    let case = file_repair();
    let (next, events) =
        attach_upload(&case, customer("c-1"), uploaded(&case, "0a"), now()).unwrap();
    assert_eq!(
        next.evidence[0].upload.as_deref(),
        Some(format!("cases/{}/0a", case.id).as_str())
    );
    assert_eq!(events.len(), 1);
    // Once: the same object again is a state refusal (409), not a second piece of evidence.
    let again = attach_upload(&next, customer("c-1"), uploaded(&case, "0a"), now());
    assert!(
        matches!(again, Err(Refusal::Rule(ref r)) if r.rule == "upload-attached"),
        "{again:?}"
    );
    // Another case's object is refused, whatever it holds.
    let foreign = Uploaded {
        key: "cases/AS2611-00002/0b".into(),
        ..uploaded(&case, "0b")
    };
    let foreign = attach_upload(&case, customer("c-1"), foreign, now());
    assert!(
        matches!(foreign, Err(Refusal::Rule(ref r)) if r.rule == "upload-of-another-case"),
        "{foreign:?}"
    );
}

#[test]
fn an_upload_of_another_size_than_asked_is_not_attached() {
    let case = file_repair();
    let bigger = Uploaded {
        size_bytes: 482_134,
        ..uploaded(&case, "0e")
    };
    let refused = attach_upload(&case, customer("c-1"), bigger, now());
    assert!(
        matches!(refused, Err(Refusal::Rule(ref r)) if r.rule == "upload-size-mismatch"),
        "{refused:?}"
    );
}

#[test]
fn an_upload_of_a_scriptable_type_is_not_attached_and_nobody_names_an_upload_by_hand() {
    let case = file_repair();
    let svg = Uploaded {
        content_type: Some("image/svg+xml".into()),
        ..uploaded(&case, "0c")
    };
    assert!(matches!(
        attach_upload(&case, customer("c-1"), svg, now()),
        Err(Refusal::Invalid(_))
    ));
    let forged = Evidence {
        kind: EvidenceKind::Photo,
        url: "https://cdn.example/a.jpg".into(),
        size_bytes: 10,
        content_type: Some("image/jpeg".into()),
        note: None,
        upload: Some(format!("cases/{}/0d", case.id)),
    };
    assert!(matches!(
        add_evidence(&case, customer("c-1"), vec![forged], now()),
        Err(Refusal::Invalid(ref f)) if f[0].field == "evidence/0/upload"
    ));
}

#[test]
fn an_upload_is_asked_for_an_allowed_type_and_size_on_an_open_case() {
    let case = file_repair();
    assert!(plan_upload(&case, &customer("c-1"), "image/jpeg", 482_133).is_ok());
    assert!(matches!(
        plan_upload(&case, &customer("c-1"), "text/html", 10),
        Err(Refusal::Invalid(_))
    ));
    assert!(matches!(
        plan_upload(&case, &customer("c-1"), "image/jpeg", 0),
        Err(Refusal::Invalid(_))
    ));
    assert!(matches!(
        plan_upload(&case, &customer("c-1"), "video/mp4", MAX_EVIDENCE_BYTES + 1),
        Err(Refusal::Invalid(_))
    ));
}

/// A repair filed by a customer in the app (for the work order's tests).
pub(super) fn filed_repair_for_tests() -> Case {
    file_repair()
}

fn staff(role: Role) -> Actor {
    Actor {
        id: format!("{role}-1"),
        role,
        name: None,
    }
}

/// `case` after a return step, with the write-backs it queued.
fn stepped(
    case: &Case,
    command: serde_json::Value,
    role: Role,
) -> (Case, Vec<crate::domain::effects::Effect>) {
    let command: returns::Command = serde_json::from_value(command).unwrap();
    let decided = apply_return(case, command, staff(role), now(), &Policy::default()).unwrap();
    let decision = crate::domain::effects::Decision::of_return_step(case, decided);
    (decision.next, decision.effects)
}

#[test]
fn a_storefront_returns_decisions_are_written_back_in_order_and_a_refused_refund_is_finances_again()
{
    use crate::domain::effects::Effect;
    use crate::domain::writeback::{
        Outcome, Ready, WriteBackCommand, WriteState, WriteStep, check_refund, handle, ready,
        record,
    };
    let filed = refund_of_held(1, 10000, 20000).unwrap();
    let approve = serde_json::json!({"action": "approve", "reason_code": "ok", "note": ""});
    let (approved, _) = stepped(&filed, approve, Role::Agent);
    let (paid, effects) = stepped(
        &approved,
        serde_json::json!({"action": "execute_refund"}),
        Role::Finance,
    );
    let steps: Vec<WriteStep> = paid.writebacks.iter().map(|w| w.step).collect();
    assert_eq!(steps, [WriteStep::Approve, WriteStep::Refund]);
    let told: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::TellStorefront { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let refund_id = format!("refund.succeeded-{}-2", paid.id);
    assert_eq!(
        told,
        [refund_id.as_str()],
        "the refund's message, in the refund's transaction"
    );

    let approve_id = paid.writebacks[0].id.clone();
    assert_eq!(
        ready(&paid, &refund_id),
        Ready::Wait,
        "not before the approval is done"
    );
    assert!(matches!(ready(&paid, &approve_id), Ready::Go(_)));
    let system = Actor {
        id: "timers".into(),
        role: Role::System,
        name: None,
    };
    let (approve_refused, _) = record(
        &paid,
        &approve_id,
        Outcome::Refused {
            message: "no".into(),
        },
        system.clone(),
        now(),
    )
    .unwrap();
    assert_eq!(
        ready(&approve_refused, &refund_id),
        Ready::Blocked,
        "a refused approval holds the refund until finance acts"
    );
    let done = Outcome::Done { reference: None };
    let (approved_there, _) =
        record(&paid, &approve_id, done.clone(), system.clone(), now()).unwrap();
    assert!(
        record(&approved_there, &approve_id, done, system.clone(), now()).is_none(),
        "recorded once"
    );
    assert!(matches!(ready(&approved_there, &refund_id), Ready::Go(_)));

    let refused = Outcome::Refused {
        message: "Shopify: the order is locked".into(),
    };
    let (unpaid, events) = record(
        &approved_there,
        &refund_id,
        refused.clone(),
        system.clone(),
        now(),
    )
    .unwrap();
    assert!(matches!(
        events[0].change,
        Change::StorefrontRefused {
            step: WriteStep::Refund,
            ..
        }
    ));
    assert_eq!(
        unpaid.returns.as_ref().unwrap().stage,
        returns::Stage::RefundPending
    );
    assert_eq!(
        crate::domain::writeback::failed_step(&unpaid),
        Some(WriteStep::Refund)
    );
    assert!(
        check_refund(&unpaid).is_err(),
        "never paid again another way"
    );

    let finance = staff(Role::Finance);
    let (asked, _, effects) =
        handle(&unpaid, WriteBackCommand::Retry, finance.clone(), now()).unwrap();
    let again = &asked.writebacks[1];
    assert_eq!(again.id, format!("{refund_id}.1"));
    assert_eq!((again.generation, &again.state), (1, &WriteState::Pending));
    assert_eq!(again.key(&asked), format!("aftersales-{}-2.1", asked.id));
    assert_eq!(
        asked.returns.as_ref().unwrap().stage,
        returns::Stage::Refunded
    );
    assert!(matches!(&effects[..], [Effect::TellStorefront { id, .. }] if *id == again.id));

    let (refused_again, _) = record(&asked, &again.id, refused, system, now()).unwrap();
    let blank = WriteBackCommand::Settle { note: "  ".into() };
    assert!(
        handle(&refused_again, blank, finance.clone(), now()).is_err(),
        "a settlement says how"
    );
    let settle = WriteBackCommand::Settle {
        note: "Refunded by hand, #1042".into(),
    };
    let (settled, _, effects) = handle(&refused_again, settle, finance.clone(), now()).unwrap();
    assert!(effects.is_empty(), "nothing more to send");
    assert!(matches!(
        settled.writebacks[1].state,
        WriteState::Settled { .. }
    ));
    assert_eq!(
        settled.returns.as_ref().unwrap().stage,
        returns::Stage::Refunded
    );
    assert!(
        handle(&settled, WriteBackCommand::Retry, finance, now()).is_err(),
        "nothing refused waits"
    );
}

#[test]
fn a_refund_is_ours_only_by_a_whole_mark_naming_one_of_the_orders_cases() {
    use crate::domain::order::Refund;
    let case = CaseId::parse("AS2612-0354704282").unwrap();
    let marked = |text: &str| Refund::marked_case(Some(text));
    assert_eq!(
        marked("aftersales-AS2612-0354704282-3 (after-sales case AS2612-0354704282)"),
        Some(case.clone())
    );
    assert_eq!(
        marked("After-sales case X [aftersales-AS2612-0354704282-3.1]"),
        Some(case.clone())
    );
    assert_eq!(
        marked("aftersales-AS2612-0354704282"),
        None,
        "no step: not our key"
    );
    assert_eq!(marked("aftersales-lol-1-2"), None, "not a case number");
    assert_eq!(marked("Things were damaged"), None);
    let ours = Refund {
        refund_id: "901".into(),
        amount_minor: 100,
        at: now(),
        by_case: Some(case.clone()),
    };
    assert!(ours.clone().held_to(std::slice::from_ref(&case)).ours());
    let other = CaseId::parse("AS2612-0000000001").unwrap();
    assert!(
        !ours.held_to(&[other]).ours(),
        "another order's case: the storefront's money"
    );
}
