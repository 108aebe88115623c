//! A merchant with thousands of cases: the queues and the deadlines are read across the index
//! shards (no index partition holds every case, every case of a status or every deadline),
//! and paging through them gives every case once, in the order the queue promises.

use std::collections::{HashMap, HashSet};

use aftersales::domain::identity::Role;
use aftersales::domain::values::CaseId;
use aftersales::store::keys::{CaseKeys, DueKeys, SHARDS};
use e2e::{StatusCode, TestApp, json, merchant_day};
use futures::StreamExt;
use serde_json::{Value, json};

const REPAIRS: usize = 1_600;
const RETURNS: usize = 400;

/// Every item of a listing, page by page, following its cursors.
async fn every_page(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_owned(),
        };
        let (status, page) = json(app.get(&url, token).await).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn thousands_of_cases_page_through_every_queue_in_order_once_each() {
    let app = TestApp::spawn().await;
    let repair = json!({
        "type": "repair", "description": "Noise.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-20)}
    });
    let refund = json!({
        "type": "return_refund", "description": "No picture.",
        "purchase": {"category": "television", "invoice_date": merchant_day(-3)},
        "return_terms": {"kind": "return_and_refund", "reason": "quality_fault", "units": 1,
                         "currency": "CNY", "unit_price_minor": 399900}
    });
    // Filed sixteen at a time, each return by a customer of its own (their day's units).
    let filed: Vec<(bool, Value)> = futures::stream::iter(0..REPAIRS + RETURNS)
        .map(|i| {
            let (app, repair, refund) = (&app, &repair, &refund);
            async move {
                let is_return = i % 5 == 0;
                let token = app.customer(&format!("shard-customer-{i}"));
                let body = if is_return { refund } else { repair };
                let (status, case) = json(app.post("/v1/cases", &token, body).await).await;
                assert_eq!(status, StatusCode::CREATED, "{case}");
                (is_return, case)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let created: HashMap<String, String> = filed
        .iter()
        .map(|(_, c)| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["created_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        created.len(),
        REPAIRS + RETURNS,
        "every filing its own number"
    );
    let returns: HashSet<String> = filed
        .iter()
        .filter(|(r, _)| *r)
        .map(|(_, c)| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(returns.len(), RETURNS);

    // The index partitions these cases sit in: spread over every shard, none holding all.
    let all_partitions: HashSet<String> = created
        .keys()
        .map(|id| CaseKeys::all_pk(&CaseId::parse(id).unwrap()))
        .collect();
    assert_eq!(all_partitions.len(), SHARDS as usize);
    let due_partitions: HashSet<String> = returns
        .iter()
        .map(|id| DueKeys::pk(&CaseKeys::pk(&CaseId::parse(id).unwrap())))
        .collect();
    assert_eq!(due_partitions.len(), SHARDS as usize);

    let agent = app.token(Role::Agent, "agent-1");
    // Every case, newest first, each once.
    let everything = every_page(&app, &agent, "/v1/cases?limit=100").await;
    let listed = ids(&everything);
    assert_eq!(listed.len(), REPAIRS + RETURNS);
    assert_eq!(
        listed.iter().collect::<HashSet<_>>().len(),
        listed.len(),
        "no case twice"
    );
    let order: Vec<(&str, &str)> = listed
        .iter()
        .map(|id| (created[id].as_str(), id.as_str()))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] >= w[1]),
        "newest first across shards"
    );

    // The status queue, filtered by type: only the returns, earliest deadline first.
    let submitted = every_page(
        &app,
        &agent,
        "/v1/cases?status=submitted&type=return_refund&limit=37",
    )
    .await;
    let submitted_ids = ids(&submitted);
    assert_eq!(
        submitted_ids.iter().cloned().collect::<HashSet<_>>(),
        returns
    );
    assert_eq!(submitted_ids.len(), RETURNS);
    let order: Vec<_> = submitted
        .iter()
        .map(|c| {
            let due = c["deadline"]["due"].as_str().unwrap();
            (
                chrono::DateTime::parse_from_rfc3339(due).unwrap(),
                c["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "earliest deadline first across shards"
    );

    // The return queue by stage: earliest deadline first.
    let reviewer = app.token(Role::Reviewer, "reviewer-1");
    let queue = every_page(
        &app,
        &reviewer,
        "/v1/returns?stage=awaiting_decision&limit=100",
    )
    .await;
    assert_eq!(ids(&queue).into_iter().collect::<HashSet<_>>(), returns);
    assert_eq!(queue.len(), RETURNS);
    let deadlines: Vec<(&str, &str)> = queue
        .iter()
        .map(|c| {
            (
                c["deadline"]["due"].as_str().unwrap(),
                c["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        deadlines.windows(2).all(|w| w[0] <= w[1]),
        "earliest deadline first across shards"
    );

    // Past every decision deadline, one timers run finds each of them due, once.
    app.stack.clock.advance(chrono::Duration::hours(49));
    let run = app.stack.run_timers().await.unwrap();
    assert_eq!(run.fired, RETURNS, "{run:?}");
    assert_eq!(run.failed, 0);
    let again = app.stack.run_timers().await.unwrap();
    assert_eq!(again.fired, 0, "nothing fires twice: {again:?}");
    let (status, page) = json(
        app.get("/v1/returns?stage=awaiting_decision&limit=10", &reviewer)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"], json!([]), "every lapsed decision moved on");
}
