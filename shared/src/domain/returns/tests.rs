//! The workflow's rules, one by one, and properties over any sequence of commands.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::identity::{Actor, Role};
use crate::domain::values::{Amount, Currency, MAX_AMOUNT_MINOR};
use crate::domain::{Refusal, RuleError};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    "2026-11-24T02:00:00Z".parse().unwrap()
}
fn who(role: Role) -> Actor {
    Actor {
        id: format!("{role}-1"),
        role,
        name: None,
    }
}
fn terms(kind: ReturnKind, reason: ReturnReason) -> ReturnTerms {
    ReturnTerms {
        kind,
        reason,
        units: 1,
        model: Some("TV-55".into()),
        currency: Currency::CNY,
        unit_price_minor: m(3999_00),
        shipping_fee_minor: m(20_00),
        amount_asked_minor: None,
        replacement_price_minor: None,
        order_shipped: true,
        promised_ship_by: None,
        quality_incident: false,
        least_unit_price_minor: None,
    }
}
fn m(minor: i64) -> Amount {
    Amount::new(minor).unwrap()
}
/// Opens a request whose amount was checked against a held order that paid exactly it.
fn open_held(t: ReturnTerms) -> Result<ReturnFlow, RuleError> {
    let paid = Paid {
        currency: t.currency,
        line_id: "1".into(),
        unit_price_minor: t.unit_price_minor.get(),
        quantity: t.units,
        claimed_units: 0,
        left_minor: t.claim_minor(),
        shipped: t.order_shipped,
        shipping_minor: t.shipping_fee_minor.get(),
    };
    ReturnFlow::open(t, Some(&paid), &DayUnits::default(), t0(), &policy())
}
fn policy() -> ReturnPolicy {
    ReturnPolicy::default()
}
fn run(
    flow: &ReturnFlow,
    cmd: Command,
    role: Role,
    at: DateTime<Utc>,
) -> Result<(ReturnFlow, Vec<ReturnChange>), Refusal> {
    decide(flow, cmd, &who(role), at, &policy())
}
fn ok(flow: &ReturnFlow, cmd: Command, role: Role, at: DateTime<Utc>) -> ReturnFlow {
    run(flow, cmd, role, at).unwrap().0
}
fn reason(code: &str) -> Reasoned {
    Reasoned {
        reason_code: code.into(),
        note: "note".into(),
    }
}
fn slip(units: u32) -> Option<ReturnSlip> {
    Some(ReturnSlip {
        item_number: "TV-55".into(),
        item_name: "55\" TV".into(),
        quantity: units,
        batch: Some("B2611".into()),
        defect: "no picture".into(),
    })
}
fn inspection(responsibility: Responsibility, units: usize) -> Inspection {
    Inspection {
        fault_confirmed: responsibility == Responsibility::Merchant,
        responsibility,
        resaleable: false,
        damage: vec![],
        dispositions: vec![Disposition::Rework; units],
        scrap_value_minor: m(0),
        return_shipping_minor: m(30_00),
    }
}

#[test]
fn refund_only_is_refunded_by_the_system_after_48_hours() {
    let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::QualityFault)).unwrap();
    assert_eq!(flow.deadline.unwrap().due, t0() + Duration::hours(48));
    assert!(
        matches!(run(&flow, Command::DeadlineDue, Role::System, t0() + Duration::hours(47)), Err(Refusal::Rule(r)) if r.rule == "not-due")
    );
    let (next, changes) = run(
        &flow,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::hours(48),
    )
    .unwrap();
    assert_eq!(next.stage, Stage::Refunded);
    assert!(matches!(
        changes[0],
        ReturnChange::Approved {
            by_system: true,
            ..
        }
    ));
    assert!(matches!(
        changes.last(),
        Some(ReturnChange::Refunded {
            amount_minor: 399900,
            by_system: true,
            ..
        })
    ));
}

#[test]
fn return_and_refund_becomes_refund_without_return_after_48_hours() {
    let flow = open_held(terms(
        ReturnKind::ReturnAndRefund,
        ReturnReason::QualityFault,
    ))
    .unwrap();
    let (next, changes) = run(
        &flow,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::hours(49),
    )
    .unwrap();
    assert!(next.refund_without_return);
    assert_eq!(next.stage, Stage::Refunded);
    assert!(matches!(
        changes[0],
        ReturnChange::Approved {
            refund_without_return: true,
            ..
        }
    ));
}

#[test]
fn an_unshipped_order_past_its_promised_shipping_time_is_refunded() {
    let mut t = terms(ReturnKind::RefundOnly, ReturnReason::CustomerReason);
    t.order_shipped = false;
    t.promised_ship_by = Some(t0() + Duration::hours(6));
    let flow = open_held(t).unwrap();
    assert_eq!(flow.deadline.unwrap().kind, DeadlineKind::PromisedShipping);
    let next = ok(
        &flow,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::hours(6),
    );
    assert_eq!(next.stage, Stage::Refunded);
}

#[test]
fn a_rejection_can_be_resubmitted_and_decided_again_or_lapses_after_7_days() {
    let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::CustomerReason)).unwrap();
    let rejected = ok(
        &flow,
        Command::Reject(reason("used_goods")),
        Role::Agent,
        t0() + Duration::hours(1),
    );
    assert_eq!(
        rejected.stage.case_status(),
        crate::domain::case::CaseStatus::AwaitingCustomer
    );
    assert_eq!(rejected.deadline.unwrap().kind, DeadlineKind::Resubmit);
    let again = ok(
        &rejected,
        Command::Resubmit {
            note: "photos attached".into(),
        },
        Role::Customer,
        t0() + Duration::days(2),
    );
    assert_eq!((again.stage, again.round), (Stage::AwaitingDecision, 2));
    assert_eq!(
        again.deadline.unwrap().due,
        t0() + Duration::days(2) + Duration::hours(48),
        "the clock restarts"
    );
    let approved = ok(
        &again,
        Command::Approve(reason("evidence_ok")),
        Role::Agent,
        t0() + Duration::days(3),
    );
    assert_eq!(approved.stage, Stage::RefundPending);

    let lapsed = ok(
        &rejected,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::hours(1) + Duration::days(7),
    );
    assert_eq!(lapsed.stage, Stage::Lapsed);
    assert!(
        run(
            &lapsed,
            Command::Resubmit {
                note: String::new()
            },
            Role::Customer,
            t0() + Duration::days(9)
        )
        .is_err()
    );
}

#[test]
fn an_escalation_is_decided_by_a_manager() {
    let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::QualityFault)).unwrap();
    let rejected = ok(
        &flow,
        Command::Reject(reason("no_fault_found")),
        Role::Agent,
        t0(),
    );
    let escalated = ok(
        &rejected,
        Command::Escalate {
            note: "it is broken".into(),
        },
        Role::Customer,
        t0() + Duration::days(1),
    );
    assert_eq!(escalated.stage, Stage::Escalated);
    assert!(matches!(
        run(
            &escalated,
            Command::Approve(reason("platform")),
            Role::Agent,
            t0()
        ),
        Err(Refusal::Forbidden(_))
    ));
    assert_eq!(
        ok(
            &escalated,
            Command::Approve(reason("platform")),
            Role::Manager,
            t0()
        )
        .stage,
        Stage::RefundPending
    );
}

#[test]
fn a_large_batch_approved_by_the_clock_still_comes_back_for_inspection() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
    t.units = 20;
    let flow = open_held(t).unwrap();
    let next = ok(
        &flow,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::hours(48),
    );
    assert_eq!(next.stage, Stage::AwaitingShipment);
    assert!(!next.refund_without_return);
}

#[test]
fn the_customer_cancels_in_every_stage_before_the_refund_and_in_none_after() {
    let flow = open_held(terms(
        ReturnKind::ReturnAndRefund,
        ReturnReason::QualityFault,
    ))
    .unwrap();
    let rejected = ok(&flow, Command::Reject(reason("no")), Role::Agent, t0());
    let escalated = ok(
        &rejected,
        Command::Escalate {
            note: String::new(),
        },
        Role::Customer,
        t0(),
    );
    let approved = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
    let shipped = ok(
        &approved,
        Command::Ship {
            carrier: "SF".into(),
            tracking_number: "1".into(),
        },
        Role::Customer,
        t0(),
    );
    let received = ok(
        &shipped,
        Command::Receive {
            slip: slip(1),
            units_received: 1,
            missing_accessories: vec![],
        },
        Role::Warehouse,
        t0(),
    );
    let inspected = ok(
        &received,
        Command::Inspect(inspection(Responsibility::Merchant, 1)),
        Role::Quality,
        t0(),
    );
    for open in [
        &flow, &rejected, &escalated, &approved, &shipped, &received, &inspected,
    ] {
        let (cancelled, changes) =
            run(open, Command::Cancel { reason: None }, Role::Customer, t0()).unwrap();
        assert_eq!(cancelled.stage, Stage::Cancelled, "from {:?}", open.stage);
        assert_eq!(
            cancelled.deadline, None,
            "no clock runs on a cancelled return"
        );
        assert!(
            matches!(changes[0], ReturnChange::ReturnCancelled { from, .. } if from == open.stage)
        );
    }
    let refunded = ok(&inspected, Command::ExecuteRefund, Role::Finance, t0());
    let lapsed = ok(
        &rejected,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::days(7),
    );
    for closed in [&refunded, &lapsed] {
        assert!(
            matches!(run(closed, Command::Cancel { reason: None }, Role::Customer, t0()), Err(Refusal::Rule(r)) if r.rule == "not-cancellable")
        );
    }
}

#[test]
fn the_whole_return_path_pays_the_breakdown_once() {
    let flow = open_held(terms(
        ReturnKind::ReturnAndRefund,
        ReturnReason::QualityFault,
    ))
    .unwrap();
    let f = ok(
        &flow,
        Command::Approve(reason("fault_plausible")),
        Role::Agent,
        t0(),
    );
    assert_eq!(f.stage, Stage::AwaitingShipment);
    let f = ok(
        &f,
        Command::Ship {
            carrier: "SF".into(),
            tracking_number: "SF1234567890".into(),
        },
        Role::Customer,
        t0(),
    );
    assert_eq!(f.deadline.unwrap().kind, DeadlineKind::ShipmentFollowUp);
    let late = ok(
        &f,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::days(5),
    );
    assert!(late.follow_up_needed);
    let refused = run(
        &f,
        Command::Receive {
            slip: None,
            units_received: 1,
            missing_accessories: vec![],
        },
        Role::Warehouse,
        t0(),
    );
    assert!(matches!(refused, Err(Refusal::Rule(r)) if r.rule == "return-slip-required"));
    let remote = Deduction {
        reason: "remote missing".into(),
        amount_minor: m(50_00),
    };
    let f = ok(
        &f,
        Command::Receive {
            slip: slip(1),
            units_received: 1,
            missing_accessories: vec![remote],
        },
        Role::Warehouse,
        t0(),
    );
    let f = ok(
        &f,
        Command::Inspect(inspection(Responsibility::Merchant, 1)),
        Role::Quality,
        t0(),
    );
    let breakdown = f.refund.clone().unwrap();
    assert_eq!(breakdown.fee_minor, 0, "a quality fault carries no fee");
    assert_eq!(breakdown.total_minor, 3999_00 - 50_00 + 30_00);
    let paid = ok(&f, Command::ExecuteRefund, Role::Finance, t0());
    assert_eq!(paid.stage, Stage::Refunded);
    assert!(
        matches!(run(&paid, Command::ExecuteRefund, Role::Finance, t0()), Err(Refusal::Rule(r)) if r.rule == "already-refunded")
    );
    assert!(
        matches!(run(&paid, Command::Cancel { reason: None }, Role::Customer, t0()), Err(Refusal::Rule(r)) if r.rule == "not-cancellable")
    );
    assert!(matches!(
        run(&f, Command::ExecuteRefund, Role::Agent, t0()),
        Err(Refusal::Forbidden(_))
    ));
}

#[test]
fn a_customers_own_reason_costs_ten_percent_capped() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::CustomerReason);
    assert_eq!(
        refund_breakdown(&t, None, None, &policy()).fee_minor,
        399_90
    );
    t.unit_price_minor = m(9999_00);
    let b = refund_breakdown(&t, None, None, &policy());
    assert_eq!(b.fee_minor, 500_00, "capped at 500 yuan");
    assert_eq!(b.total_minor, 9999_00 - 500_00);
}

#[test]
fn batches_quality_incidents_price_protection_and_large_compensation_raise_the_level() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
    assert_eq!(
        required_level(&t, &DayUnits::default(), true, &policy()).0,
        Role::Agent
    );
    t.units = 50;
    assert_eq!(
        required_level(&t, &DayUnits::default(), true, &policy()).0,
        Role::Manager
    );
    t.units = 49;
    t.model = None;
    assert_eq!(
        required_level(&t, &DayUnits::default(), true, &policy()).0,
        Role::Agent
    );
    t.units = 100;
    assert_eq!(
        required_level(&t, &DayUnits::default(), true, &policy()).0,
        Role::Manager
    );
    t.quality_incident = true;
    assert_eq!(
        required_level(&t, &DayUnits::default(), true, &policy()).0,
        Role::Admin
    );
    let mut p = terms(ReturnKind::PriceProtection, ReturnReason::MerchantError);
    p.amount_asked_minor = Some(m(100_00));
    assert_eq!(
        required_level(&p, &DayUnits::default(), true, &policy()).0,
        Role::Manager
    );
    let mut c = terms(ReturnKind::Compensation, ReturnReason::MerchantError);
    c.amount_asked_minor = Some(m(20_00));
    assert_eq!(
        required_level(&c, &DayUnits::default(), true, &policy()).0,
        Role::Agent,
        "up to the shipping fee"
    );
    c.amount_asked_minor = Some(m(20_01));
    assert_eq!(
        required_level(&c, &DayUnits::default(), true, &policy()).0,
        Role::Manager
    );
    let flow = open_held(c).unwrap();
    assert!(matches!(
        run(
            &flow,
            Command::Approve(reason("goodwill")),
            Role::Agent,
            t0()
        ),
        Err(Refusal::Forbidden(_))
    ));
    assert!(
        matches!(run(&flow, Command::Approve(Reasoned { reason_code: String::new(), note: String::new() }), Role::Manager, t0()), Err(Refusal::Rule(r)) if r.rule == "reason-required")
    );
}

#[test]
fn an_exchange_settles_the_price_difference_both_ways() {
    let mut t = terms(ReturnKind::Exchange, ReturnReason::QualityFault);
    t.replacement_price_minor = Some(m(3499_00));
    assert_eq!(
        refund_breakdown(&t, None, None, &policy()).total_minor,
        500_00,
        "a cheaper replacement refunds the difference"
    );
    t.replacement_price_minor = Some(m(4299_00));
    assert_eq!(
        refund_breakdown(&t, None, None, &policy()).total_minor,
        0,
        "a dearer one is paid on the new order"
    );
    let flow = open_held(t).unwrap();
    assert!(flow.claim.as_ref().is_some_and(|c| c.minor > 0));
    let f = ok(&flow, Command::Approve(reason("fault")), Role::Agent, t0());
    let f = ok(
        &f,
        Command::Ship {
            carrier: "SF".into(),
            tracking_number: "SF1".into(),
        },
        Role::Customer,
        t0(),
    );
    let f = ok(
        &f,
        Command::Receive {
            slip: slip(1),
            units_received: 1,
            missing_accessories: vec![],
        },
        Role::Warehouse,
        t0(),
    );
    let free_shipping = Inspection {
        return_shipping_minor: m(0),
        ..inspection(Responsibility::Merchant, 1)
    };
    let f = ok(&f, Command::Inspect(free_shipping), Role::Quality, t0());
    assert_eq!(f.stage, Stage::ReshipPending);
    let f = ok(
        &f,
        Command::Reship {
            carrier: "SF".into(),
            tracking_number: "SF2".into(),
        },
        Role::Warehouse,
        t0(),
    );
    assert_eq!(f.stage, Stage::Exchanged);
    let claim = f.claim.expect("an exchange keeps its claim");
    assert_eq!(
        claim.minor, 0,
        "the order's money is left for other requests"
    );
    assert_eq!(
        claim.lines.values().sum::<u32>(),
        1,
        "the unit exchanged stays claimed"
    );
}

#[test]
fn scrap_above_the_limit_waits_for_the_top_levels_sign_off() {
    let f = received(terms(
        ReturnKind::ReturnAndRefund,
        ReturnReason::QualityFault,
    ));
    let mut i = inspection(Responsibility::Merchant, 1);
    i.dispositions = vec![Disposition::Scrap];
    i.scrap_value_minor = m(30_000_01);
    assert!(
        matches!(
            run(&f, Command::Inspect(i.clone()), Role::Admin, t0()),
            Err(Refusal::Forbidden(_))
        ),
        "the top level signs off, it does not inspect"
    );
    let inspected = ok(&f, Command::Inspect(i), Role::Quality, t0());
    assert!(inspected.scrap_sign_off_pending);
    assert!(matches!(
        run(
            &inspected,
            Command::ApproveScrap(reason("scrap_ok")),
            Role::Manager,
            t0()
        ),
        Err(Refusal::Forbidden(_))
    ));
    let signed = ok(
        &inspected,
        Command::ApproveScrap(reason("scrap_ok")),
        Role::Admin,
        t0(),
    );
    assert!(!signed.scrap_sign_off_pending);
    assert!(
        matches!(run(&signed, Command::ApproveScrap(reason("again")), Role::Admin, t0()), Err(Refusal::Rule(r)) if r.rule == "no-scrap-to-sign-off")
    );
}

/// A return of `t` approved, shipped and received (one unit).
fn received(t: ReturnTerms) -> ReturnFlow {
    let flow = open_held(t).unwrap();
    let f = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
    let f = ok(
        &f,
        Command::Ship {
            carrier: "SF".into(),
            tracking_number: "SF1".into(),
        },
        Role::Customer,
        t0(),
    );
    ok(
        &f,
        Command::Receive {
            slip: slip(1),
            units_received: 1,
            missing_accessories: vec![],
        },
        Role::Warehouse,
        t0(),
    )
}

#[test]
fn return_shipping_above_the_policys_cap_is_refused_and_the_refund_never_exceeds_price_plus_cap() {
    let f = received(terms(
        ReturnKind::ReturnAndRefund,
        ReturnReason::QualityFault,
    ));
    let mut i = inspection(Responsibility::Merchant, 1);
    i.return_shipping_minor = m(200_01);
    assert!(
        matches!(run(&f, Command::Inspect(i.clone()), Role::Quality, t0()), Err(Refusal::Rule(r)) if r.rule == "return-shipping-above-cap")
    );
    i.return_shipping_minor = m(200_00);
    let inspected = ok(&f, Command::Inspect(i), Role::Quality, t0());
    assert_eq!(inspected.refund.unwrap().total_minor, 3999_00 + 200_00);
    assert!(
        serde_json::from_value::<Command>(serde_json::json!({
            "action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
            "resaleable": false, "dispositions": ["rework"],
            "return_shipping_minor": 1_000_000_000_000_000i64
        }))
        .is_err(),
        "10^15 is no amount"
    );
}

#[test]
fn the_person_who_approved_a_refund_does_not_pay_it() {
    let flow = open_held(terms(ReturnKind::RefundOnly, ReturnReason::QualityFault)).unwrap();
    let same = Actor {
        id: "pat".into(),
        role: Role::Agent,
        name: None,
    };
    let (approved, _) = decide(
        &flow,
        Command::Approve(reason("ok")),
        &same,
        t0(),
        &policy(),
    )
    .unwrap();
    assert_eq!(approved.approved_by.as_deref(), Some("pat"));
    let pat_in_finance = Actor {
        role: Role::Finance,
        ..same
    };
    assert!(matches!(
        decide(
            &approved,
            Command::ExecuteRefund,
            &pat_in_finance,
            t0(),
            &policy()
        ),
        Err(Refusal::Forbidden(_))
    ));
    assert_eq!(
        ok(&approved, Command::ExecuteRefund, Role::Finance, t0()).stage,
        Stage::Refunded
    );
}

#[test]
fn a_no_reason_return_that_cannot_be_resold_is_refused_or_deducted_as_the_policy_says() {
    let t = terms(ReturnKind::ReturnAndRefund, ReturnReason::CustomerReason);
    let mut used = inspection(Responsibility::Customer, 1);
    used.resaleable = false;
    let f = received(t.clone());
    let refused = ok(&f, Command::Inspect(used.clone()), Role::Quality, t0());
    assert_eq!(refused.stage, Stage::SendBackPending);
    assert_eq!(refused.refund, None, "never silently the full refund");
    assert!(matches!(
        run(&refused, Command::ExecuteRefund, Role::Finance, t0()),
        Err(Refusal::Rule(r)) if r.rule == "wrong-stage"
    ));
    let back = ok(
        &refused,
        Command::Reship {
            carrier: "SF".into(),
            tracking_number: "SF9".into(),
        },
        Role::Warehouse,
        t0(),
    );
    assert_eq!(back.stage, Stage::SentBack);
    assert_eq!(
        back.stage.case_status(),
        crate::domain::case::CaseStatus::Closed
    );

    let mut deducting = policy();
    deducting.not_resaleable_no_reason = NotResaleable::Deduct { percent: 30 };
    let (inspected, _) = decide(
        &f,
        Command::Inspect(used.clone()),
        &who(Role::Quality),
        t0(),
        &deducting,
    )
    .unwrap();
    let b = inspected.refund.unwrap();
    let fee = 399_90;
    assert_eq!(
        b.total_minor,
        3999_00 - fee - 1199_70,
        "10% fee and 30% loss of value"
    );

    // A fault found by quality is not a no-reason return any more.
    let mut faulty = used;
    faulty.responsibility = Responsibility::Merchant;
    assert_eq!(
        ok(&f, Command::Inspect(faulty), Role::Quality, t0()).stage,
        Stage::RefundPending
    );
    // Resaleable goods are refunded as ever.
    let fine = Inspection {
        resaleable: true,
        ..inspection(Responsibility::Customer, 1)
    };
    assert_eq!(
        ok(&f, Command::Inspect(fine), Role::Quality, t0()).stage,
        Stage::RefundPending
    );
}

#[test]
fn a_declared_amount_is_approved_by_the_clock_but_paid_by_finance_only() {
    let declared = ReturnFlow::open(
        terms(ReturnKind::RefundOnly, ReturnReason::QualityFault),
        None,
        &DayUnits::default(),
        t0(),
        &policy(),
    )
    .unwrap();
    assert!(!declared.amount_verified());
    let approved = ok(
        &declared,
        Command::DeadlineDue,
        Role::System,
        t0() + Duration::hours(48),
    );
    assert_eq!(
        approved.stage,
        Stage::RefundPending,
        "nobody checked the amount"
    );
    assert_eq!(approved.refunded_at, None);
    assert_eq!(
        ok(&approved, Command::ExecuteRefund, Role::Finance, t0()).stage,
        Stage::Refunded
    );
}

#[test]
fn a_request_asks_no_more_than_its_order_line_paid_and_the_order_has_left() {
    let t = terms(ReturnKind::RefundOnly, ReturnReason::QualityFault);
    let paid = Paid {
        currency: Currency::CNY,
        line_id: "1".into(),
        unit_price_minor: 3999_00,
        quantity: 1,
        claimed_units: 0,
        left_minor: 3999_00,
        shipped: true,
        shipping_minor: 20_00,
    };
    assert_eq!(t.check_paid(&paid), Ok(()));
    let rule = |t: &ReturnTerms, p: &Paid| t.check_paid(p).unwrap_err().rule;
    let mut dearer = t.clone();
    dearer.unit_price_minor = m(4000_00);
    assert_eq!(rule(&dearer, &paid), "terms-exceed-order");
    let mut more = t.clone();
    more.units = 2;
    assert_eq!(rule(&more, &paid), "terms-exceed-order");
    let mut dollars = t.clone();
    dollars.currency = Currency::parse("USD").unwrap();
    assert_eq!(rule(&dollars, &paid), "terms-exceed-order");
    let taken = Paid {
        claimed_units: 1,
        ..paid.clone()
    };
    assert_eq!(
        rule(&t, &taken),
        "terms-exceed-order",
        "another request has the unit"
    );
    let refunded = Paid {
        left_minor: 100_00,
        ..paid
    };
    assert_eq!(rule(&t, &refunded), "order-already-refunded");
    let mut small = terms(ReturnKind::Compensation, ReturnReason::MerchantError);
    small.amount_asked_minor = Some(m(100_00));
    assert_eq!(
        small.check_paid(&refunded),
        Ok(()),
        "compensation claims what it asks"
    );
}

#[test]
fn fewer_units_received_than_asked_are_refunded_as_received() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
    t.units = 10;
    t.unit_price_minor = m(100_00);
    let flow = open_held(t).unwrap();
    let f = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
    let f = ok(
        &f,
        Command::Ship {
            carrier: "SF".into(),
            tracking_number: "SF1".into(),
        },
        Role::Customer,
        t0(),
    );
    let f = ok(
        &f,
        Command::Receive {
            slip: slip(1),
            units_received: 1,
            missing_accessories: vec![],
        },
        Role::Warehouse,
        t0(),
    );
    let f = ok(
        &f,
        Command::Inspect(inspection(Responsibility::Merchant, 1)),
        Role::Quality,
        t0(),
    );
    assert_eq!(
        f.refund.unwrap().total_minor,
        100_00 + 30_00,
        "one unit and its shipping"
    );
}

#[test]
fn one_model_spelled_three_ways_is_one_model_for_the_batch_rule() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
    t.units = 30;
    let mut day = DayUnits::default();
    for spelling in ["TV-55", "TV-55\u{200b}", "tv\u{2011}55"] {
        t.model = Some(spelling.into());
        day = day.with(&t);
    }
    assert_eq!(day.of_model(" Tv-55"), 90);
    t.model = Some("tv 55".into());
    assert_eq!(required_level(&t, &day, true, &policy()).0, Role::Manager);
}

#[test]
fn a_request_states_the_orders_shipping_as_it_was() {
    let t = terms(ReturnKind::RefundOnly, ReturnReason::QualityFault);
    let paid = Paid {
        currency: Currency::CNY,
        line_id: "1".into(),
        unit_price_minor: 3999_00,
        quantity: 1,
        claimed_units: 0,
        left_minor: 3999_00,
        shipped: true,
        shipping_minor: 20_00,
    };
    let mut unshipped = t.clone();
    unshipped.order_shipped = false;
    unshipped.promised_ship_by = Some(t0());
    assert_eq!(
        unshipped.check_paid(&paid).unwrap_err().rule,
        "terms-exceed-order"
    );
    let mut promised = t.clone();
    promised.promised_ship_by = Some(t0());
    assert_eq!(
        promised.check_paid(&paid).unwrap_err().rule,
        "terms-exceed-order"
    );
    let mut dear_shipping = t.clone();
    dear_shipping.shipping_fee_minor = m(1_000_000_000_000);
    assert_eq!(
        dear_shipping.check_paid(&paid).unwrap_err().rule,
        "terms-exceed-order"
    );
}

#[test]
fn a_declared_shipping_fee_does_not_lower_the_level_of_a_compensation() {
    let mut c = terms(ReturnKind::Compensation, ReturnReason::MerchantError);
    c.amount_asked_minor = Some(m(3999_00));
    c.shipping_fee_minor = m(1_000_000_000_000);
    assert_eq!(
        required_level(&c, &DayUnits::default(), false, &policy()).0,
        Role::Manager
    );
}

#[test]
fn an_exchange_whose_replacement_went_out_can_no_longer_be_cancelled() {
    let mut t = terms(ReturnKind::Exchange, ReturnReason::QualityFault);
    t.replacement_price_minor = Some(m(3000_00));
    let f = received(t);
    let f = ok(
        &f,
        Command::Inspect(inspection(Responsibility::Merchant, 1)),
        Role::Quality,
        t0(),
    );
    let sent = ok(
        &f,
        Command::Reship {
            carrier: "SF".into(),
            tracking_number: "SF2".into(),
        },
        Role::Warehouse,
        t0(),
    );
    assert_eq!(
        sent.stage,
        Stage::RefundPending,
        "the difference is still to pay"
    );
    assert!(
        matches!(run(&sent, Command::Cancel { reason: None }, Role::Customer, t0()), Err(Refusal::Rule(r)) if r.rule == "not-cancellable")
    );
}

#[test]
fn a_partial_receipt_of_lines_of_different_prices_is_paid_at_the_least() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
    // A television (3 999.00) and nine cables (1.00): 4 008.00 over 10 units.
    t.units = 10;
    t.unit_price_minor = m(400_80);
    t.least_unit_price_minor = Some(m(1_00));
    let receipt = Receipt {
        slip: slip(9).unwrap(),
        units_received: 9,
        missing_accessories: vec![],
        received_at: t0(),
    };
    let b = refund_breakdown(&t, Some(&receipt), None, &policy());
    assert_eq!(b.total_minor, 9_00);
}

#[test]
fn a_claim_is_given_back_in_full_when_unpaid_and_down_to_what_was_paid_when_paid() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
    t.units = 2;
    t.unit_price_minor = m(1000_00);
    let flow = open_held(t).unwrap();
    let claimed = flow.claim.clone().unwrap();
    assert_eq!(claimed.minor, 2000_00);
    let cancelled = ok(
        &flow,
        Command::Cancel { reason: None },
        Role::Customer,
        t0(),
    );
    let back = claimed.beyond(cancelled.claim.as_ref().unwrap()).unwrap();
    assert_eq!((back.minor, back.lines["1"]), (2000_00, 2));

    let f = ok(&flow, Command::Approve(reason("ok")), Role::Agent, t0());
    let f = ok(
        &f,
        Command::Ship {
            carrier: "SF".into(),
            tracking_number: "SF1".into(),
        },
        Role::Customer,
        t0(),
    );
    let f = ok(
        &f,
        Command::Receive {
            slip: slip(1),
            units_received: 1,
            missing_accessories: vec![],
        },
        Role::Warehouse,
        t0(),
    );
    let f = ok(
        &f,
        Command::Inspect(inspection(Responsibility::Merchant, 1)),
        Role::Quality,
        t0(),
    );
    let paid = ok(&f, Command::ExecuteRefund, Role::Finance, t0());
    let kept = paid.claim.as_ref().unwrap();
    assert_eq!(
        (kept.minor, kept.lines["1"]),
        (1000_00, 1),
        "the unit not returned is free again"
    );
    assert!(order_overdrawn(3999_00, 3999_00, 1));
    assert!(!order_overdrawn(3999_00, 0, 3999_00));
}

#[test]
fn batch_thresholds_count_the_customers_units_of_the_day_not_the_request() {
    let mut t = terms(ReturnKind::ReturnAndRefund, ReturnReason::QualityFault);
    t.units = 25;
    let none = DayUnits::default();
    assert_eq!(required_level(&t, &none, true, &policy()).0, Role::Agent);
    let after_first = none.with(&t);
    assert_eq!(after_first.of_model("TV-55"), 25);
    assert_eq!(
        required_level(&t, &after_first, true, &policy()).0,
        Role::Manager,
        "25 + 25 units of one model on one day"
    );
    let mut other = t.clone();
    other.model = Some("TV-65".into());
    assert_eq!(
        required_level(&other, &after_first, true, &policy()).0,
        Role::Agent,
        "another model counts towards the total only"
    );
    let busy = DayUnits {
        total: 90,
        ..DayUnits::default()
    };
    other.units = 10;
    assert_eq!(
        required_level(&other, &busy, true, &policy()).0,
        Role::Manager,
        "100 units in all on one day"
    );
}

fn any_command() -> impl Strategy<Value = (Command, Role, i64)> {
    let roles = prop::sample::select(vec![
        Role::Customer,
        Role::Agent,
        Role::Manager,
        Role::Warehouse,
        Role::Quality,
        Role::Finance,
        Role::System,
    ]);
    let cmd = prop_oneof![
        Just(Command::Approve(Reasoned {
            reason_code: "ok".into(),
            note: String::new()
        })),
        Just(Command::Reject(Reasoned {
            reason_code: "no".into(),
            note: String::new()
        })),
        Just(Command::Resubmit {
            note: String::new()
        }),
        Just(Command::Escalate {
            note: String::new()
        }),
        Just(Command::Ship {
            carrier: "SF".into(),
            tracking_number: "1".into()
        }),
        (0u32..3).prop_map(|u| Command::Receive {
            slip: slip(u),
            units_received: u,
            missing_accessories: vec![Deduction {
                reason: "box".into(),
                amount_minor: m(10_00)
            }]
        }),
        Just(Command::Inspect(inspection(Responsibility::Customer, 1))),
        Just(Command::ExecuteRefund),
        Just(Command::Cancel { reason: None }),
        Just(Command::DeadlineDue),
    ];
    (cmd, roles, 0i64..400)
}

proptest! {
    #[test]
    fn the_refund_never_exceeds_what_was_paid_and_each_change_is_one_stage(
        kind in prop::sample::select(vec![ReturnKind::RefundOnly, ReturnKind::ReturnAndRefund, ReturnKind::Compensation]),
        reason in prop::sample::select(vec![ReturnReason::QualityFault, ReturnReason::CustomerReason]),
        price in 0i64..2_000_000,
        steps in prop::collection::vec(any_command(), 1..25),
    ) {
        let mut t = terms(kind, reason);
        t.unit_price_minor = m(price);
        if kind == ReturnKind::Compensation { t.amount_asked_minor = Some(m(price.max(1))); t.unit_price_minor = m(price.max(1)); }
        let mut flow = open_held(t.clone()).unwrap();
        let mut now = t0();
        let mut refunds = 0;
        for (cmd, role, hours) in steps {
            now += Duration::hours(hours);
            let before = flow.stage;
            // `decide` is pure: a refused command leaves `flow` as it was.
            if let Ok((next, changes)) = decide(&flow, cmd, &who(role), now, &policy()) {
                refunds += changes.iter().filter(|c| matches!(c, ReturnChange::Refunded { .. })).count();
                if next.stage != before { prop_assert!(!changes.is_empty(), "a stage change is on the timeline"); }
                flow = next;
            }
            if let Some(b) = &flow.refund {
                prop_assert!(b.total_minor >= 0);
                prop_assert!(b.total_minor <= t.paid_minor().unwrap() + b.shipping_reimbursed_minor);
            }
        }
        prop_assert!(refunds <= 1, "a refund is paid at most once");
    }
}

proptest! {
    #[test]
    fn amounts_up_to_i64_bounds_are_refused_or_give_a_refund_within_paid_plus_the_shipping_cap(
        price in any::<i64>(),
        units in 1u32..=MAX_UNITS,
        shipping in any::<i64>(),
        damage in prop::collection::vec(any::<i64>(), 0..4),
        accessories in prop::collection::vec(any::<i64>(), 0..4),
        fee_percent in 0u32..=100,
        reason in prop::sample::select(vec![ReturnReason::QualityFault, ReturnReason::CustomerReason]),
        responsibility in prop::sample::select(vec![Responsibility::Merchant, Responsibility::Carrier, Responsibility::Customer]),
    ) {
        let amount = |x: i64| Amount::new(x).ok();
        let (Some(price), Some(shipping)) = (amount(price), amount(shipping)) else {
            let bounds = 0..=MAX_AMOUNT_MINOR;
            prop_assert!(!bounds.contains(&price) || !bounds.contains(&shipping));
            return Ok(());
        };
        let deductions = |raw: Vec<i64>| -> Vec<Deduction> {
            raw.into_iter()
                .filter_map(amount)
                .map(|a| Deduction { reason: "x".into(), amount_minor: a })
                .collect()
        };
        let mut t = terms(ReturnKind::ReturnAndRefund, reason);
        t.unit_price_minor = price;
        t.units = units;
        let mut p = policy();
        p.fee_percent = fee_percent;
        p.not_resaleable_no_reason = NotResaleable::Deduct { percent: 100 };
        let Some(paid) = t.paid_minor() else {
            prop_assert!(t.validate().is_err(), "a request whose price cannot be summed is refused");
            return Ok(());
        };
        let receipt = Receipt {
            slip: slip(1).unwrap(),
            units_received: 1,
            missing_accessories: deductions(accessories),
            received_at: t0(),
        };
        let inspection = Inspection {
            damage: deductions(damage),
            return_shipping_minor: shipping,
            ..inspection(responsibility, 1)
        };
        let b = refund_breakdown(&t, Some(&receipt), Some(&inspection), &p);
        prop_assert!(b.total_minor >= 0);
        prop_assert!(b.shipping_reimbursed_minor <= p.return_shipping_cap_minor.get());
        prop_assert!(b.total_minor <= paid + b.shipping_reimbursed_minor);
    }
}
