//! The published contract's examples, made by the domain itself from fixed inputs (a fixed
//! moment, the default policy): each is an answer the API could give, and the document stays
//! the same from build to build. A request example that stopped parsing would fail here (the
//! contract's test builds every one).

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::case::{self, CaseSummary, Channel, History, NewCase};
use crate::domain::entitlement::{self, Purchase};
use crate::domain::identity::{Actor, Role};
use crate::domain::policy::Policy;
use crate::domain::returns::{Command, DayUnits};
use crate::domain::values::CaseId;
use crate::store::Page;

use super::CaseView;

/// The moment every example happens at.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

fn value(of: &impl Serialize) -> Value {
    serde_json::to_value(of).unwrap_or(Value::Null)
}

/// `POST /v1/cases`: a repair asked from the app.
pub fn new_case() -> Value {
    json!({
        "type": "repair",
        "description": "The picture flickers after ten minutes.",
        "contact": {"name": "Li Lei", "phone": "13800138000", "address": "1 Jiefang Road, Wuhan"},
        "product": {"model": "TV-55X", "serial_number": "SN0012345"},
        "purchase": {"category": "television", "invoice_date": "2026-10-02"},
        "evidence": [{"type": "photo", "url": "https://img.example.com/fault-1.jpg", "size_bytes": 482133, "content_type": "image/jpeg"}]
    })
}

/// `POST /v1/cases/{id}/evidence`.
pub fn add_evidence() -> Value {
    json!({"evidence": [{"type": "photo", "url": "https://img.example.com/fault-2.jpg", "size_bytes": 391024, "content_type": "image/jpeg"}]})
}

/// `POST /v1/cases/{id}/cancel`.
pub fn cancel() -> Value {
    json!({"reason": "It works again."})
}

/// `POST /v1/cases/{id}/return`: one step, here a decision.
pub fn return_step() -> Value {
    json!({"action": "approve", "reason_code": "fault_plausible", "note": "Photos show the fault."})
}

pub fn writeback() -> Value {
    json!({"action": "settle", "note": "Refunded in Shopify's admin: refund #1042."})
}

fn customer() -> Actor {
    Actor {
        id: "c0ffee00-1234-4321-8888-0123456789ab".into(),
        role: Role::Customer,
        name: None,
    }
}

/// The case that [`new_case`] files, with its timeline.
pub fn filed_case() -> CaseView {
    let policy = Policy::default();
    let filed = serde_json::from_value::<NewCase>(new_case())
        .map_err(|e| e.to_string())
        .and_then(|cmd| {
            case::file(
                CaseId::parse("AS2611-2012345678")?,
                cmd,
                customer(),
                Channel::App,
                History {
                    earlier: &DayUnits::default(),
                    held: None,
                },
                now(),
                &policy,
            )
            .map_err(|e| e.to_string())
        });
    match filed {
        Ok((case, timeline)) => CaseView { case, timeline },
        Err(e) => panic!("the contract's example case no longer files: {e}"),
    }
}

pub fn case_view() -> Value {
    value(&filed_case())
}

pub fn case_page() -> Value {
    let summary: CaseSummary = filed_case().case.summary();
    value(&Page {
        items: vec![summary],
        next_cursor: Some("opaque-cursor".into()),
    })
}

pub fn entitlement() -> Value {
    let policy = Policy::default();
    let purchase = Purchase {
        category: "television".into(),
        invoice_date: chrono::NaiveDate::from_ymd_opt(2026, 10, 2),
        receipt_date: None,
        factory_date: None,
        acceptance_date: None,
        exclusions: Vec::new(),
    };
    let today = case::merchant_date(now(), &policy);
    entitlement::entitlement(&purchase, today, &policy)
        .map(|e| value(&e))
        .unwrap_or(Value::Null)
}

pub fn policy() -> Value {
    value(&Policy::default())
}

/// Every request example parses as the type its route reads (held by the contract's test).
pub fn check_requests() -> Result<(), String> {
    serde_json::from_value::<NewCase>(new_case()).map_err(|e| format!("new case: {e}"))?;
    serde_json::from_value::<case::AddEvidence>(add_evidence())
        .map_err(|e| format!("evidence: {e}"))?;
    serde_json::from_value::<case::Cancel>(cancel()).map_err(|e| format!("cancel: {e}"))?;
    serde_json::from_value::<Command>(return_step()).map_err(|e| format!("return: {e}"))?;
    serde_json::from_value::<Policy>(policy()).map_err(|e| format!("policy: {e}"))?;
    for step in [open_work(), book_visit(), finish_work()] {
        serde_json::from_value::<case::work::WorkCommand>(step)
            .map_err(|e| format!("work: {e}"))?;
    }
    Ok(())
}

/// A storefront order as the webhooks store it.
pub fn order() -> crate::domain::order::Order {
    use crate::domain::order::{Order, OrderCustomer, OrderLine};
    use crate::domain::values::{Currency, OrderId};
    let at = now() - chrono::Duration::days(49);
    Order {
        storefront: "main".into(),
        order_id: OrderId::parse("820982911946154508").unwrap_or_else(|e| panic!("{e}")),
        name: Some("#1001".into()),
        customer: OrderCustomer {
            id: Some("115310627314723954".into()),
            email: Some("li.lei@example.com".into()),
            name: Some("Li Lei".into()),
            phone: None,
        },
        currency: Currency::CNY,
        total_minor: 399_900,
        lines: vec![OrderLine {
            line_id: "866550311766439020".into(),
            sku: Some("TV-55X".into()),
            title: "55-inch television".into(),
            quantity: 1,
            unit_price_minor: 399_900,
            category: Some("television".into()),
            serial_numbers: vec!["SN0012345".into()],
        }],
        created_at: at,
        paid_at: Some(at),
        shipped_at: Some(at + chrono::Duration::days(1)),
        delivered_at: Some(at + chrono::Duration::days(3)),
        cancelled_at: None,
        refunds: Vec::new(),
        source_updated_at: at + chrono::Duration::days(3),
    }
}

pub fn order_page() -> Value {
    let order = order();
    value(&Page {
        items: vec![crate::store::OrderSummary {
            storefront: order.storefront,
            order_id: order.order_id,
            name: order.name,
            created_at: order.created_at,
            currency: order.currency,
            total_minor: order.total_minor,
            lines: order.lines.len(),
            cancelled: false,
        }],
        next_cursor: None,
    })
}

/// `POST /v1/cases/{id}/uploads`.
pub fn upload_request() -> Value {
    json!({"content_type": "image/jpeg", "size_bytes": 482_133})
}

/// Its answer.
pub fn upload_ticket() -> Value {
    json!({
        "upload_id": "0123456789abcdef0123456789abcdef-482133",
        "method": "PUT",
        "url": "https://evidence.s3.us-east-1.amazonaws.com/cases/AS2611-2012345678/0123456789abcdef0123456789abcdef-482133?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bif-none-match&X-Amz-Signature=…",
        "headers": {"Content-Length": "482133", "Content-Type": "image/jpeg", "If-None-Match": "*"},
        "expires_at": "2026-11-20T02:15:00Z"
    })
}

/// `POST /v1/cases/{id}/work`: a repair becomes a work order.
pub fn open_work() -> Value {
    json!({
        "action": "open", "kind": "on_site", "skill": "television", "district": "420102",
        "area": "city", "service": "Replace the power board", "expected_minutes": 90,
        "tools": ["ESD kit"], "parts_to_bring": ["PB-55X power board"],
        "cash_advance_minor": 20000, "balance_due_minor": 15000
    })
}

/// `POST /v1/cases/{id}/work`: the visit booked with a technician.
pub fn book_visit() -> Value {
    json!({"action": "book", "start": "2026-11-20T03:00:00Z", "technician": "tech-wang"})
}

/// `POST /v1/cases/{id}/work`: the work done, confirmed by the customer's code.
pub fn finish_work() -> Value {
    json!({"action": "finish", "result": "done", "fault": "power-board", "code": "482913"})
}

/// The example case made a work order and booked.
pub fn work_case() -> CaseView {
    use crate::domain::case::work::{WorkCommand, WorkInputs, apply_work};
    let filed = filed_case();
    let policy = Policy::default();
    let dispatcher = Actor {
        id: "dispatcher-zhao".into(),
        role: Role::Dispatcher,
        name: Some("Zhao".into()),
    };
    let step = |case: &case::Case, body: Value, inputs: &WorkInputs<'_>| {
        let command: WorkCommand = serde_json::from_value(body).map_err(|e| e.to_string())?;
        apply_work(case, command, dispatcher.clone(), now(), &policy, inputs)
            .map_err(|e| e.to_string())
    };
    let booked = step(&filed.case, open_work(), &WorkInputs::default()).and_then(|opened| {
        let inputs = WorkInputs {
            booking_technician: Some(("tech-wang", "Wang Qiang", 6)),
            ..WorkInputs::default()
        };
        let mut timeline = filed.timeline.clone();
        timeline.extend(opened.events.clone());
        step(&opened.next, book_visit(), &inputs).map(|d| {
            timeline.extend(d.events);
            CaseView {
                case: d.next,
                timeline,
            }
        })
    });
    match booked {
        Ok(view) => view,
        Err(e) => panic!("the contract's example work order no longer books: {e}"),
    }
}

pub fn work_case_view() -> Value {
    value(&work_case())
}

pub fn work_page() -> Value {
    value(&Page {
        items: vec![work_case().case.summary()],
        next_cursor: None,
    })
}

/// A technician as the dispatcher keeps them.
pub fn technician() -> crate::domain::dispatch::Technician {
    let day = Some((9 * 60, 18 * 60));
    crate::domain::dispatch::Technician {
        id: "tech-wang".into(),
        name: "Wang Qiang".into(),
        skills: ["television".to_owned()].into(),
        districts: [
            ("420102".to_owned(), crate::domain::dispatch::Area::City),
            ("420115".to_owned(), crate::domain::dispatch::Area::Suburbs),
        ]
        .into(),
        hours: [day, day, day, day, day, Some((9 * 60, 12 * 60)), None],
        daily_capacity: 6,
        leave: Default::default(),
    }
}
