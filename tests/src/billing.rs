//! What AWS bills for the writes of one operation, computed from the items themselves:
//! DynamoDB Local counts no index writes and under-reports transactions, so the cost tests and
//! the benchmark compute instead of reading.
//!
//! The rules (DynamoDB developer guide, "Capacity unit consumption"): an item's size is the
//! sum of its attribute names and values (a string its UTF-8 bytes, a number about one byte per
//! two digits plus one, a map or list 3 bytes plus one per element plus its contents); a write
//! costs one unit per KB of the larger of the item before and after, two in a transaction. An
//! index entry is the index's keys, the table's keys and the projected attributes, plus 100
//! bytes; writing an item adds, changes or removes its entry in each index whose keys it has
//! (one standard write each), and an entry whose index keys change moves (a delete and a put).
//!
//! The floor of an operation is what its data needs: each item it writes at the size of what
//! it records (without the attributes that exist only to be indexed or to be listed), and the
//! same index writes (the entries hold what their queries return, and move only when what they
//! sort by changes).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, ProjectionType};
use local_gateway::schema::TableSpec;

use crate::TestApp;

type Item = HashMap<String, AttributeValue>;
type Items = HashMap<(String, String), Item>;

/// Attributes that exist only for the indexes or the listings: not part of an item's data.
fn derived(name: &str) -> bool {
    name.starts_with("GSI") || name == "entity" || name == "summary"
}

/// The bytes AWS counts for a value.
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => {
            let digits = n.chars().filter(char::is_ascii_digit).count();
            digits.div_ceil(2) + 1
        }
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| k.len() + value_size(v) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Ss(ss) => ss.iter().map(String::len).sum(),
        AttributeValue::Ns(ns) => ns.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(bs) => bs.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

/// The bytes AWS counts for an item (or the part of it `keep` keeps).
pub fn item_size(item: &Item, keep: impl Fn(&str) -> bool) -> usize {
    item.iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| k.len() + value_size(v))
        .sum()
}

fn units(bytes: usize) -> u64 {
    bytes.div_ceil(1024).max(1) as u64
}

/// One operation's write cost: as billed, and its floor.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bill {
    pub table: u64,
    pub indexes: u64,
    pub floor_table: u64,
    /// Item by item: key, bytes before/after, bytes of data, units billed, units of floor.
    pub lines: Vec<String>,
}

impl Bill {
    pub fn billed(&self) -> u64 {
        self.table + self.indexes
    }

    pub fn floor(&self) -> u64 {
        self.floor_table + self.indexes
    }

    pub fn ratio(&self) -> f64 {
        self.billed() as f64 / self.floor().max(1) as f64
    }
}

impl std::fmt::Display for Bill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "billed {} WCU (table {}, indexes {}), floor {} ({:.2}x)",
            self.billed(),
            self.table,
            self.indexes,
            self.floor(),
            self.ratio()
        )?;
        for line in &self.lines {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// Every item of the test's table (a test's own table: never on a request path).
async fn every_item(app: &TestApp) -> Items {
    let mut items = Items::new();
    let mut start = None;
    loop {
        let out = app
            .store
            .client()
            .scan()
            .table_name(app.store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the test table");
        for item in out.items.unwrap_or_default() {
            let key = |n: &str| item.get(n).and_then(|v| v.as_s().ok()).cloned();
            if let (Some(pk), Some(sk)) = (key("PK"), key("SK")) {
                items.insert((pk, sk), item);
            }
        }
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => return items,
        }
    }
}

/// The table's state before an operation, to bill what the operation writes.
pub struct Meter {
    before: Items,
    written_before: usize,
}

impl Meter {
    pub async fn start(app: &TestApp) -> Self {
        app.store.keep_written();
        Self {
            before: every_item(app).await,
            written_before: app.store.written().len(),
        }
    }

    /// The bill of every write since [`Meter::start`].
    pub async fn bill(self, app: &TestApp) -> Bill {
        let after = every_item(app).await;
        let spec = TableSpec::from_template(local_gateway::schema::TEMPLATE).expect("template");
        let mut written: BTreeMap<(String, String), bool> = BTreeMap::new();
        for w in app.store.written().into_iter().skip(self.written_before) {
            *written.entry((w.pk, w.sk)).or_default() |= w.transactional;
        }
        let mut bill = Bill::default();
        for (key, transactional) in written {
            let per_kb = if transactional { 2 } else { 1 };
            let (b, a) = (self.before.get(&key), after.get(&key));
            let size = |i: Option<&Item>| i.map_or(0, |i| item_size(i, |_| true));
            let table = per_kb * units(size(b).max(size(a)));
            let data = a.or(b).map_or(0, |i| item_size(i, |n| !derived(n)));
            let floor = per_kb * units(data);
            let mut index_units = 0;
            for index in &spec.indexes {
                index_units += index_writes(index, b, a);
            }
            bill.table += table;
            bill.floor_table += floor;
            bill.indexes += index_units;
            bill.lines.push(format!(
                "{} {}: {} -> {} bytes (data {}): table {table}, indexes {index_units}, floor {}",
                key.0,
                key.1,
                size(b),
                size(a),
                data,
                floor + index_units
            ));
        }
        bill
    }
}

/// Standard writes to one index for an item going from `before` to `after`.
fn index_writes(
    index: &aws_sdk_dynamodb::types::GlobalSecondaryIndex,
    before: Option<&Item>,
    after: Option<&Item>,
) -> u64 {
    let keys: Vec<&str> = index
        .key_schema()
        .iter()
        .map(|k| k.attribute_name())
        .collect();
    let projection = index.projection();
    let projected = |name: &str| {
        name == "PK"
            || name == "SK"
            || keys.contains(&name)
            || match projection.and_then(|p| p.projection_type()) {
                Some(ProjectionType::All) => true,
                Some(ProjectionType::Include) => projection
                    .map(|p| p.non_key_attributes())
                    .unwrap_or_default()
                    .iter()
                    .any(|a| a == name),
                _ => false,
            }
    };
    let entry = |item: Option<&Item>| -> Option<Item> {
        let item = item?;
        if !keys.iter().all(|k| item.contains_key(*k)) {
            return None;
        }
        Some(
            item.iter()
                .filter(|(k, _)| projected(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    };
    let size = |e: &Item| units(item_size(e, |_| true) + 100);
    match (entry(before), entry(after)) {
        (None, None) => 0,
        (Some(e), None) | (None, Some(e)) => size(&e),
        (Some(b), Some(a)) => {
            let moved = keys.iter().any(|k| b.get(*k) != a.get(*k));
            if moved {
                size(&b) + size(&a)
            } else if b != a {
                size(&b).max(size(&a))
            } else {
                0
            }
        }
    }
}

/// Each state change of a case's life, from filing to refund, and the storefront's webhooks,
/// once each on `app`'s fresh table: what each one writes, billed and against its floor.
pub async fn typical_operations(app: &TestApp) -> Vec<(&'static str, Bill)> {
    use aftersales::domain::identity::Role;
    use serde_json::json;

    let alice = app.customer("alice");
    let repair = json!({
        "type": "repair", "description": "The picture flickers after ten minutes.",
        "product": {"sku": "TV-55-Q8", "model": "Q8", "serial_number": "Q8A55-000123"},
        "purchase": {"category": "television", "invoice_date": crate::merchant_day(-20)},
        "contact": {"name": "Wang Fang", "phone": "+86 138 0013 8000"}
    });
    let refund = json!({
        "type": "return_refund", "description": "No picture.",
        "purchase": {"category": "television", "invoice_date": crate::merchant_day(-3)},
        "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                         "currency": "CNY", "unit_price_minor": 399900}
    });
    // The policy is read once per process: not part of any operation below.
    app.post("/v1/cases", &alice, &repair).await;

    let mut bills = Vec::new();
    let meter = Meter::start(app).await;
    let (_, case) = crate::json(app.post("/v1/cases", &alice, &repair).await).await;
    bills.push(("file a repair", meter.bill(app).await));
    let evidence = json!({"evidence": [{"type": "photo", "url": "https://cdn.example/1.jpg", "size_bytes": 10}]});
    let path = format!("/v1/cases/{}/evidence", case["id"].as_str().expect("id"));
    let meter = Meter::start(app).await;
    app.post(&path, &alice, &evidence).await;
    bills.push(("add evidence", meter.bill(app).await));

    let meter = Meter::start(app).await;
    let (_, case) = crate::json(app.post("/v1/cases", &alice, &refund).await).await;
    bills.push(("file a return", meter.bill(app).await));
    let path = format!("/v1/cases/{}/return", case["id"].as_str().expect("id"));
    let steps = [
        (
            "return: approve",
            app.token(Role::Reviewer, "rev-1"),
            json!({"action": "approve", "reason_code": "ok", "note": ""}),
        ),
        (
            "return: ship",
            alice.clone(),
            json!({"action": "ship", "carrier": "SF", "tracking_number": "SF1"}),
        ),
        (
            "return: receive",
            app.token(Role::Warehouse, "wh-1"),
            json!({"action": "receive", "units_received": 1,
                   "slip": {"item_number": "TV", "item_name": "TV", "quantity": 1, "defect": "no picture"}}),
        ),
        (
            "return: inspect",
            app.token(Role::Quality, "qc-1"),
            json!({"action": "inspect", "fault_confirmed": true, "responsibility": "merchant",
                   "resaleable": false, "dispositions": ["rework"]}),
        ),
        (
            "return: execute refund",
            app.token(Role::Finance, "fin-1"),
            json!({"action": "execute_refund"}),
        ),
    ];
    for (name, token, step) in &steps {
        let meter = Meter::start(app).await;
        let response = app.post(&path, token, step).await;
        assert!(
            response.status().is_success(),
            "{name}: {}",
            response.status()
        );
        bills.push((*name, meter.bill(app).await));
    }

    let webhooks = [
        (
            "webhook orders/create",
            "orders/create",
            "shopify/orders-create.json",
        ),
        (
            "webhook returns/request",
            "returns/request",
            "shopify/returns-request.json",
        ),
        (
            "webhook refunds/create",
            "refunds/create",
            "shopify/refunds-create.json",
        ),
    ];
    for (name, topic, body) in webhooks {
        let meter = Meter::start(app).await;
        let response = app.shopify(topic, &crate::fixture(body), name).await;
        assert!(
            response.status().is_success(),
            "{name}: {}",
            response.status()
        );
        bills.push((name, meter.bill(app).await));
    }
    bills.extend(work_order_operations(app).await);
    bills
}

/// A work order's life on `app`: opened, booked, started, moved on the board, finished with the
/// customer's code, inspected; what each step writes, billed and against its floor.
pub async fn work_order_operations(app: &TestApp) -> Vec<(&'static str, Bill)> {
    use aftersales::domain::identity::Role;
    use serde_json::json;

    app.advance_to(chrono::Weekday::Wed, 8).await;
    app.put_technician("tech-bill", "Wang Qiang", "city", 8)
        .await;
    let customer = app.customer("bill-customer");
    // The first work order: its open is billed below, on a fresh case.
    let id = app
        .work_order("bill-customer", "SN-BILL-0", json!({}))
        .await;
    let agent = app.token(Role::Agent, "agent-bill");
    let (_, case) = crate::json(
        app.post(
            "/v1/cases",
            &customer,
            &json!({"type": "repair", "description": "No picture.",
                    "product": {"sku": "TV-55X", "serial_number": "SN-BILL-1"},
                    "contact": {"name": "Li Lei", "address": "1 Jiefang Road"},
                    "purchase": {"category": "television", "invoice_date": crate::merchant_day(-20)}}),
        )
        .await,
    )
    .await;
    let fresh = case["id"].as_str().expect("id").to_owned();
    let mut bills = Vec::new();
    let meter = Meter::start(app).await;
    let response = app
        .post(
            &format!("/v1/cases/{fresh}/work"),
            &agent,
            &json!({"action": "open", "kind": "on_site", "skill": "television", "district": "420102",
                    "area": "city", "service": "Repair", "expected_minutes": 90}),
        )
        .await;
    assert!(
        response.status().is_success(),
        "open: {}",
        response.status()
    );
    bills.push(("work: open", meter.bill(app).await));

    let dispatcher = app.token(Role::Dispatcher, "dispatcher-bill");
    let technician = app.token(Role::Technician, "tech-bill");
    let (_, suggested) = crate::json(
        app.get(&format!("/v1/cases/{id}/suggestions"), &dispatcher)
            .await,
    )
    .await;
    let start = suggested[0]["start"].clone();
    let path = format!("/v1/cases/{id}/work");
    let steps = [
        (
            "work: book",
            dispatcher.clone(),
            json!({"action": "book", "start": start, "technician": "tech-bill"}),
        ),
        (
            "work: start",
            technician.clone(),
            json!({"action": "start"}),
        ),
        (
            "work: status",
            technician.clone(),
            json!({"action": "set_status", "status": "waiting_for_parts"}),
        ),
    ];
    for (name, token, step) in &steps {
        let meter = Meter::start(app).await;
        let response = app.post(&path, token, step).await;
        assert!(
            response.status().is_success(),
            "{name}: {}",
            response.status()
        );
        bills.push((*name, meter.bill(app).await));
    }
    app.post(
        &path,
        &technician,
        &json!({"action": "set_status", "status": "in_repair"}),
    )
    .await;
    let (_, code) = crate::json(
        app.get(&format!("/v1/cases/{id}/work/code"), &customer)
            .await,
    )
    .await;
    let meter = Meter::start(app).await;
    let response = app
        .post(
            &path,
            &technician,
            &json!({"action": "finish", "result": "done", "fault": "power-board", "code": code["code"]}),
        )
        .await;
    assert!(
        response.status().is_success(),
        "finish: {}",
        response.status()
    );
    bills.push(("work: finish", meter.bill(app).await));
    let meter = Meter::start(app).await;
    let quality = app.token(Role::Quality, "quality-bill");
    let response = app
        .post(
            &path,
            &quality,
            &json!({"action": "inspect", "passed": true}),
        )
        .await;
    assert!(
        response.status().is_success(),
        "inspect: {}",
        response.status()
    );
    bills.push(("work: inspect", meter.bill(app).await));
    bills
}
