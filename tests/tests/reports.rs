//! The reports against a brute-force recount: thousands of cases generated through the API with
//! a seeded generator (complaints on every channel answered in time or late and resolved, some
//! against a technician; refund requests decided by customer service or by the 48-hour clock;
//! surveys at every level, some reopening their case; tags, some replaced; callbacks), many at
//! once. Then every case is read back and its timeline recounted from scratch, and the reports
//! (kept as counters in each write's transaction) must equal that recount: for the whole period
//! and for one day of it.
//!
//! `REPORT_SEED=<seed>` replays a run; `REPORT_CASES=<n>` changes its size (2000 by default).

use std::collections::BTreeMap;
use std::io::Write;

use aftersales::domain::identity::Role;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use e2e::{Rng, StatusCode, TestApp, json};
use futures::stream::{self, StreamExt};
use serde_json::{Value, json};

const AT_ONCE: usize = 8;
const CHANNELS: [&str; 5] = [
    "phone",
    "app",
    "storefront",
    "consumer_association",
    "regulator",
];
const PRODUCTS: [&str; 4] = ["TV-55X", "AP-300", "WM-8KG", "FR-2D"];
const REASONS: [&str; 3] = ["quality_fault", "merchant_error", "customer_reason"];
const TECHNICIANS: [&str; 3] = ["tech-a", "tech-b", "tech-c"];
const LEVELS: [&str; 4] = ["very_satisfied", "satisfied", "average", "dissatisfied"];
const WHY: [&str; 3] = ["attitude", "skill", "speed"];
const TAG_REASONS: [&str; 4] = ["quality_fault", "wrong_item", "late_delivery", "other"];
const DEFECTS: [&str; 4] = ["electrical", "mechanical", "cosmetic", "packaging"];
const RESPONSIBLE: [&str; 4] = ["manufacturer", "merchant", "logistics", "technician"];
const OUTCOMES: [&str; 4] = ["reached", "no_answer", "refused", "wrong_number"];

/// What the generator decided for one case, before anything is sent.
#[derive(Clone)]
enum Plan {
    Complaint {
        channel: &'static str,
        answer_in_time: bool,
        against: Option<&'static str>,
        survey: Option<(&'static str, Vec<&'static str>)>,
        tags: Vec<(&'static str, Option<&'static str>, &'static str)>,
        callback: Option<&'static str>,
        /// A second complaint about this one once it is settled (it sends it back).
        again: bool,
    },
    Refund {
        product: &'static str,
        reason: &'static str,
        units: u32,
        decided_in_time: bool,
    },
}

fn plan(rng: &mut Rng) -> Plan {
    if rng.chance(55) {
        let survey = rng.chance(80).then(|| {
            let level = *rng.pick(&LEVELS);
            let mut why = Vec::new();
            if level == "average" || level == "dissatisfied" {
                why.push(*rng.pick(&WHY));
                if rng.chance(30) {
                    let other = *rng.pick(&WHY);
                    if !why.contains(&other) {
                        why.push(other);
                    }
                }
            }
            (level, why)
        });
        // A dissatisfied answer reopens the case: it is no longer tagged.
        let taggable = survey.as_ref().is_none_or(|(l, _)| *l != "dissatisfied");
        let mut tags = Vec::new();
        if taggable && rng.chance(50) {
            let times = if rng.chance(15) { 2 } else { 1 };
            for _ in 0..times {
                let defect = rng.chance(70).then(|| *rng.pick(&DEFECTS));
                tags.push((*rng.pick(&TAG_REASONS), defect, *rng.pick(&RESPONSIBLE)));
            }
        }
        Plan::Complaint {
            channel: CHANNELS[rng.below(CHANNELS.len())],
            answer_in_time: rng.chance(60),
            against: rng.chance(40).then(|| *rng.pick(&TECHNICIANS)),
            survey,
            tags,
            callback: rng.chance(25).then(|| *rng.pick(&OUTCOMES)),
            again: rng.chance(10),
        }
    } else {
        Plan::Refund {
            product: PRODUCTS[rng.below(PRODUCTS.len())],
            reason: REASONS[rng.below(REASONS.len())],
            units: 1 + rng.below(3) as u32,
            decided_in_time: rng.chance(50),
        }
    }
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &Value,
) -> Value {
    let (status, answer) = json(
        app.request(method.clone(), path, token)
            .json(body)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert!(
        status.is_success(),
        "{method} {path} {body}: {status} {answer}"
    );
    answer
}

/// Files the case and takes the steps that come before the clock moves.
async fn first_half(app: &TestApp, i: usize, plan: &Plan) -> String {
    let agent = app.token(Role::Agent, "agent-1");
    let post = reqwest::Method::POST;
    match plan {
        Plan::Complaint {
            channel,
            answer_in_time,
            ..
        } => {
            let case = send(
                app,
                post.clone(),
                "/v1/cases",
                &agent,
                &json!({"type": "complaint", "customer_id": format!("cust-{i}"),
                        "complaint_channel": channel, "description": "The service was not what was promised."}),
            )
            .await;
            let id = case["id"].as_str().expect("an id").to_owned();
            if *answer_in_time {
                answer_complaint(app, &id, channel).await;
            }
            id
        }
        Plan::Refund {
            product,
            reason,
            units,
            decided_in_time,
        } => {
            let case = send(
                app,
                post.clone(),
                "/v1/cases",
                &app.customer(&format!("cust-{i}")),
                &json!({
                    "type": "refund_only",
                    "description": "Arrived broken.",
                    "product": {"sku": product},
                    "purchase": {"category": "television", "invoice_date": e2e::merchant_day(-5),
                                 "receipt_date": e2e::merchant_day(-3)},
                    "order": {"order_id": format!("SO-{i}")},
                    "return_terms": {"kind": "refund_only", "reason": reason, "units": units,
                        "model": product, "currency": "CNY", "unit_price_minor": 9900}
                }),
            )
            .await;
            let id = case["id"].as_str().expect("an id").to_owned();
            if *decided_in_time {
                send(
                    app,
                    post,
                    &format!("/v1/cases/{id}/return"),
                    &agent,
                    &json!({"action": "approve", "reason_code": "ok", "note": "Refund it."}),
                )
                .await;
            }
            id
        }
    }
}

fn handler(channel: &str) -> Role {
    if matches!(channel, "consumer_association" | "regulator") {
        Role::Manager
    } else {
        Role::Agent
    }
}

async fn answer_complaint(app: &TestApp, id: &str, channel: &str) {
    let token = app.token(handler(channel), "handler-1");
    send(
        app,
        reqwest::Method::POST,
        &format!("/v1/cases/{id}/complaint"),
        &token,
        &json!({"action": "answer", "note": "We are on it."}),
    )
    .await;
}

/// The steps after the clock moved: late answers, resolutions, surveys, tags, callbacks.
async fn second_half(app: &TestApp, i: usize, id: &str, plan: &Plan) {
    let Plan::Complaint {
        channel,
        answer_in_time,
        against,
        survey,
        tags,
        callback,
        again,
    } = plan
    else {
        return;
    };
    let post = reqwest::Method::POST;
    // Not answered in time: the timers gave it to a manager.
    let token = if *answer_in_time {
        app.token(handler(channel), "handler-1")
    } else {
        app.token(Role::Manager, "manager-2")
    };
    if !answer_in_time {
        send(
            app,
            post.clone(),
            &format!("/v1/cases/{id}/complaint"),
            &token,
            &json!({"action": "answer", "note": "Sorry for the wait."}),
        )
        .await;
    }
    let mut resolve = json!({"action": "resolve", "resolution": "Settled with the customer."});
    if let Some(t) = against {
        resolve["against"] = json!(t);
    }
    send(
        app,
        post.clone(),
        &format!("/v1/cases/{id}/complaint"),
        &token,
        &resolve,
    )
    .await;
    if let Some((level, why)) = survey {
        send(
            app,
            post.clone(),
            &format!("/v1/cases/{id}/survey"),
            &app.customer(&format!("cust-{i}")),
            &json!({"level": level, "reasons": why}),
        )
        .await;
    }
    let quality = app.token(Role::Quality, "quality-1");
    for (reason, defect, responsibility) in tags {
        let mut body = json!({"reason": reason, "responsibility": responsibility});
        if let Some(d) = defect {
            body["defect"] = json!(d);
        }
        send(
            app,
            reqwest::Method::PUT,
            &format!("/v1/cases/{id}/tags"),
            &quality,
            &body,
        )
        .await;
    }
    if let Some(outcome) = callback {
        send(
            app,
            post.clone(),
            &format!("/v1/cases/{id}/callback"),
            &app.token(Role::Agent, "agent-2"),
            &json!({"outcome": outcome}),
        )
        .await;
    }
    if *again {
        send(
            app,
            post,
            "/v1/cases",
            &app.customer(&format!("cust-{i}")),
            &json!({"type": "complaint", "about_case": id, "description": "It happened again."}),
        )
        .await;
    }
}

fn day(at: &Value) -> NaiveDate {
    let at: DateTime<Utc> = at.as_str().expect("a time").parse().expect("a time");
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive()
}

type Counts = BTreeMap<(NaiveDate, String), i64>;

/// The recount: every case's timeline read from the start, nothing of the counters.
fn recount(cases: &[Value]) -> Counts {
    let mut counts = Counts::new();
    let mut add = |at: &Value, key: String| *counts.entry((day(at), key)).or_default() += 1;
    for case in cases {
        let events = case["timeline"].as_array().expect("a timeline");
        let filed_at = &case["created_at"];
        let product = case["product"]["sku"].as_str().unwrap_or("-");
        let mut first_answer = None;
        let mut last_resolution = None;
        let mut last_tags = None;
        for e in events {
            let at = &e["at"];
            match e["type"].as_str().expect("a type") {
                "filed" => {
                    add(at, format!("filed|{}", e["case_type"].as_str().unwrap()));
                    if let Some(terms) = case["returns"]["terms"].as_object() {
                        for _ in 0..terms["units"].as_u64().unwrap() {
                            add(at, format!("returned|{product}"));
                        }
                        add(
                            at,
                            format!(
                                "return_reason|{product}|{}",
                                terms["reason"].as_str().unwrap()
                            ),
                        );
                    }
                    if let Some(channel) = case["complaint"]["channel"].as_str() {
                        add(at, format!("complaint|{channel}"));
                    }
                }
                "return" => {
                    for change in e["changes"].as_array().unwrap() {
                        match change["type"].as_str().unwrap() {
                            "approved" => {
                                let outcome = if change["by_system"] == true {
                                    "missed"
                                } else {
                                    "met"
                                };
                                add(filed_at, format!("promise|merchant_clock|{outcome}"));
                            }
                            "rejected" => add(filed_at, "promise|merchant_clock|met".into()),
                            _ => {}
                        }
                    }
                }
                "complaint_answered" | "complaint_resolved" => {
                    first_answer.get_or_insert(at.clone());
                    if e["type"] == "complaint_resolved" {
                        if last_resolution.is_none() {
                            add(at, format!("resolved|{}", case["type"].as_str().unwrap()));
                        }
                        last_resolution = Some(e.clone());
                    }
                }
                "survey_answered" => {
                    add(at, format!("survey|-|{}", e["level"].as_str().unwrap()));
                    for why in e["reasons"].as_array().into_iter().flatten() {
                        add(at, format!("survey_reason|{}", why.as_str().unwrap()));
                    }
                }
                "reopened" => {
                    for why in e["reasons"].as_array().into_iter().flatten() {
                        add(at, format!("reopened|{}", why.as_str().unwrap()));
                    }
                    if e["complaint"].is_string() {
                        add(at, "reopened|complaint".to_owned());
                    }
                }
                "tagged" => last_tags = Some(e.clone()),
                "callback_recorded" => {
                    add(at, format!("callback|{}", e["outcome"].as_str().unwrap()))
                }
                _ => {}
            }
        }
        if let Some(answered) = first_answer {
            let due = &case["complaint"]["answer_due"];
            let a: DateTime<Utc> = answered.as_str().unwrap().parse().unwrap();
            let d: DateTime<Utc> = due.as_str().unwrap().parse().unwrap();
            let outcome = if a <= d { "met" } else { "missed" };
            add(due, format!("promise|complaint_answer|{outcome}"));
        }
        if let Some(r) = last_resolution
            && let Some(t) = r["against"].as_str()
        {
            add(&r["at"], format!("complaint_against|{t}"));
        }
        if let Some(t) = last_tags {
            let at = &t["at"];
            add(at, format!("tag_reason|{}", t["reason"].as_str().unwrap()));
            if let Some(d) = t["defect"].as_str() {
                add(at, format!("tag_defect|{product}|{d}"));
            }
            add(
                at,
                format!(
                    "tag_responsibility|{}",
                    t["responsibility"].as_str().unwrap()
                ),
            );
        }
    }
    counts
}

fn within(counts: &Counts, from: NaiveDate, to: NaiveDate) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for ((d, key), n) in counts {
        if *d >= from && *d <= to {
            *out.entry(key.clone()).or_default() += n;
        }
    }
    out
}

/// The report's figures in the recount's terms.
fn flatten(report: &Value) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut put = |key: String, n: &Value| {
        let n = n.as_i64().unwrap_or(0);
        if n != 0 {
            out.insert(key, n);
        }
    };
    let map = |v: &Value| v.as_object().cloned().unwrap_or_default();
    for (section, prefix) in [
        ("filed", "filed"),
        ("resolved", "resolved"),
        ("complaints_by_channel", "complaint"),
        ("survey_reasons", "survey_reason"),
        ("reopened", "reopened"),
        ("tag_reasons", "tag_reason"),
        ("responsibility", "tag_responsibility"),
        ("callbacks", "callback"),
    ] {
        for (k, n) in map(&report[section]) {
            put(format!("{prefix}|{k}"), &n);
        }
    }
    for (promise, c) in map(&report["deadlines"]) {
        put(format!("promise|{promise}|met"), &c["met"]);
        put(format!("promise|{promise}|missed"), &c["missed"]);
    }
    for (tech, levels) in map(&report["satisfaction_by_technician"]) {
        for level in LEVELS {
            put(format!("survey|{tech}|{level}"), &levels[level]);
        }
    }
    for (p, defects) in map(&report["defects_by_product"]) {
        for (d, n) in map(&defects) {
            put(format!("tag_defect|{p}|{d}"), &n);
        }
    }
    for p in report["returns_by_product"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = p["product"].as_str().unwrap();
        put(format!("returned|{name}"), &p["returned"]);
        for (r, n) in map(&p["reasons"]) {
            put(format!("return_reason|{name}|{r}"), &n);
        }
    }
    for t in report["technicians"].as_array().into_iter().flatten() {
        put(
            format!("complaint_against|{}", t["technician"].as_str().unwrap()),
            &t["complaints"],
        );
    }
    out
}

#[tokio::test]
async fn the_reports_of_a_period_equal_a_recount_of_thousands_of_generated_cases() {
    let seed: u64 = std::env::var("REPORT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().timestamp_micros() as u64);
    let n: usize = std::env::var("REPORT_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let _ = writeln!(
        std::io::stderr(),
        "reports: REPORT_SEED={seed} REPORT_CASES={n}"
    );
    let mut rng = Rng(seed);
    let plans: Vec<Plan> = (0..n).map(|_| plan(&mut rng)).collect();
    let app = TestApp::spawn().await;

    let ids: Vec<String> = stream::iter(plans.iter().enumerate())
        .map(|(i, p)| first_half(&app, i, p))
        .buffered(AT_ONCE)
        .collect()
        .await;
    // Two days on: undecided refunds go to the 48-hour clock, unanswered complaints are late.
    app.advance_clock(49).await;
    stream::iter(plans.iter().zip(&ids).enumerate())
        .map(|(i, (p, id))| second_half(&app, i, id, p))
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<()>>()
        .await;

    let agent = app.token(Role::Agent, "agent-read");
    // The complaints filed about earlier ones are cases too: every case of the test's table.
    let mut known: std::collections::HashSet<String> = ids.iter().cloned().collect();
    let mut ids = ids;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/cases?type=complaint&limit=100&cursor={c}"),
            None => "/v1/cases?type=complaint&limit=100".to_owned(),
        };
        let (status, page) =
            json(app.get(&path, &app.token(Role::Agent, "agent-list")).await).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for c in page["items"].as_array().unwrap() {
            let id = c["id"].as_str().unwrap().to_owned();
            if known.insert(id.clone()) {
                ids.push(id);
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let cases: Vec<Value> = stream::iter(&ids)
        .map(|id| {
            let (app, agent) = (&app, &agent);
            async move {
                let (status, case) = json(app.get(&format!("/v1/cases/{id}"), agent).await).await;
                assert_eq!(status, StatusCode::OK, "{case}");
                case
            }
        })
        .buffered(AT_ONCE)
        .collect()
        .await;
    let counts = recount(&cases);
    let first = counts.keys().map(|(d, _)| *d).min().expect("counted");
    let last = counts.keys().map(|(d, _)| *d).max().expect("counted");
    // Every kind of fact the generator makes was made.
    let all = within(&counts, first, last);
    for kind in [
        "promise|merchant_clock|met",
        "promise|merchant_clock|missed",
        "promise|complaint_answer|met",
        "promise|complaint_answer|missed",
        "survey|-|dissatisfied",
        "reopened|speed",
        "complaint_against|tech-a",
        "callback|reached",
        "reopened|complaint",
    ] {
        assert!(all.contains_key(kind), "the generator made no {kind}");
    }

    let manager = app.token(Role::Manager, "manager-1");
    for (from, to) in [(first, last), (first, first), (last, last)] {
        let before = app.store.metrics();
        let (status, report) = json(
            app.get(&format!("/v1/reports?from={from}&to={to}"), &manager)
                .await,
        )
        .await;
        let cost = app.store.metrics() - before;
        assert_eq!(status, StatusCode::OK, "{report}");
        let expected = within(&counts, from, to);
        let got = flatten(&report);
        let differences: Vec<_> = expected
            .keys()
            .chain(got.keys())
            .filter(|k| expected.get(*k) != got.get(*k))
            .map(|k| (k.clone(), expected.get(k), got.get(k)))
            .collect();
        assert!(
            differences.is_empty(),
            "{from}..{to} (seed {seed}): (recount, report) differ: {differences:?}"
        );
        let _ = writeln!(
            std::io::stderr(),
            "reports: {from}..{to}: {} figures equal the recount, {} counters read, {} round trip, {:.1} read units",
            expected.len(),
            report["counters_read"],
            cost.round_trips,
            cost.capacity_units
        );
    }
}

/// The order fixture as order `id`, with its `data` changed.
fn order_snapshot(id: &str, changes: Value) -> Vec<u8> {
    let mut body: Value =
        serde_json::from_slice(&e2e::fixture("generic/order-upserted.json")).expect("JSON");
    body["data"]["order_id"] = json!(id);
    for (k, v) in changes.as_object().expect("an object") {
        body["data"][k] = v.clone();
    }
    serde_json::to_vec(&body).expect("JSON")
}

#[tokio::test]
async fn a_products_return_rate_is_the_units_asked_back_over_the_units_sold() {
    let app = TestApp::spawn().await;
    let wang = app.linked_customer("wang", Some("erp:C-88"), None);
    let order = app.owners_order().await;
    // A later snapshot of the same order sells nothing more.
    let again = app
        .generic(
            &order_snapshot(&order, json!({"updated_at": "2026-11-04T09:00:00Z"})),
            "msg-order-again",
        )
        .await;
    assert!(again.status().is_success(), "{}", again.status());
    let (status, case) = json(
        app.post(
            "/v1/cases",
            &wang,
            &json!({
                "type": "refund_only", "description": "It never worked.",
                "order": {"storefront": "erp", "order_id": order, "line_ids": ["1"]},
                "return_terms": {"kind": "refund_only", "reason": "quality_fault", "units": 1,
                                 "currency": "CNY", "unit_price_minor": 399900}
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let manager = app.token(Role::Manager, "manager-1");
    let path = format!("/v1/reports?from=2026-11-01&to={}", e2e::merchant_day(1));
    let product = |report: &Value| {
        report["returns_by_product"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["product"] == "TV-55-Q8")
            .cloned()
            .unwrap_or_else(|| panic!("{report}"))
    };
    let (_, report) = json(app.get(&path, &manager).await).await;
    let tv = product(&report);
    assert_eq!(
        (&tv["sold"], &tv["returned"], &tv["return_rate"]),
        (&json!(1), &json!(1), &json!(1.0)),
        "{tv}"
    );
    assert_eq!(tv["reasons"], json!({"quality_fault": 1}));

    // The storefront cancels the order: it sold nothing.
    let cancelled = app
        .generic(
            &order_snapshot(
                &order,
                json!({"updated_at": "2026-11-05T09:00:00Z",
                                   "cancelled_at": "2026-11-05T09:00:00Z"}),
            ),
            "msg-order-cancelled",
        )
        .await;
    assert!(cancelled.status().is_success(), "{}", cancelled.status());
    let (_, report) = json(app.get(&path, &manager).await).await;
    let tv = product(&report);
    assert_eq!(tv["sold"], 0, "{tv}");
    assert!(tv.get("return_rate").is_none(), "no sales, no rate: {tv}");
}
