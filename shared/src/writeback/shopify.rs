//! Shopify's Admin GraphQL API (version [`SHOPIFY_API_VERSION`]): a return approved with
//! `returnApproveRequest`, declined with `returnDeclineRequest`, its goods processed with
//! `returnProcess` (the inspection's dispositions), and the refund made with `refundCreate`
//! under `@idempotent(key: …)`, the key derived from our refund.
//!
//! Shopify limits an app by query cost: a `THROTTLED` answer names in `extensions.cost` what
//! the query needs and what is available, and the wait is the shortfall over the restore rate;
//! a short wait is waited here, a long one is the next attempt's time. `userErrors` are the
//! step refused, with Shopify's message.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Answer, Attempt, SHOPIFY_API_VERSION, Sent, carries, exchange, shorten};
use crate::domain::writeback::WriteStep;
use crate::webhooks::config::ShopApi;

/// A throttle wait this long or shorter is waited within the attempt; a longer one is left to
/// the next run.
const WAIT_HERE: Duration = Duration::from_secs(10);
/// Throttled answers waited within one attempt.
const THROTTLES_HERE: u32 = 3;

struct Client<'a> {
    http: &'a reqwest::Client,
    url: String,
    token: &'a str,
}

pub(super) async fn send(
    http: &reqwest::Client,
    api: &ShopApi,
    base: &str,
    step: WriteStep,
    attempt: &Attempt<'_>,
) -> Sent {
    let Some(token) = api.access_token.as_ref() else {
        return Sent::NotWritten {
            why: "no Admin API access token is configured".into(),
        };
    };
    let client = Client {
        http,
        url: format!("{base}/admin/api/{SHOPIFY_API_VERSION}/graphql.json"),
        token: token.expose(),
    };
    let outcome = match step {
        WriteStep::Refund => refund(&client, attempt).await,
        WriteStep::Approve | WriteStep::Decline | WriteStep::Process => {
            let Some(return_id) = attempt.text("return_id").and_then(return_gid) else {
                return Sent::NotWritten {
                    why: "the request was made here, not in Shopify: no Shopify return to update"
                        .into(),
                };
            };
            match step {
                WriteStep::Approve => approve(&client, &return_id, attempt).await,
                WriteStep::Decline => decline(&client, &return_id, attempt).await,
                _ => process(&client, &return_id, attempt).await,
            }
        }
        // Shopify makes an exchange's replacement order when the return is processed.
        WriteStep::Exchange => Ok(Sent::NotWritten {
            why: "Shopify ships an exchange from the processed return".into(),
        }),
    };
    outcome.unwrap_or_else(|sent| sent)
}

/// `gid://shopify/Return/<id>` from a webhook's numeric id (or a gid already).
fn return_gid(id: &str) -> Option<String> {
    gid("Return", id)
}

fn gid(kind: &str, id: &str) -> Option<String> {
    if id.starts_with("gid://shopify/") {
        Some(id.to_owned())
    } else if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Some(format!("gid://shopify/{kind}/{id}"))
    } else {
        None
    }
}

const RETURN_STATUS: &str =
    "query WriteBackReturnStatus($id: ID!) { return(id: $id) { id status } }";

/// Whether the return is in `status` already (an earlier attempt did it, and its answer was
/// lost): read only when asked before.
async fn already(
    client: &Client<'_>,
    return_id: &str,
    attempt: &Attempt<'_>,
    statuses: &[&str],
) -> Result<bool, Sent> {
    if !attempt.asked_before {
        return Ok(false);
    }
    let data = client.call(RETURN_STATUS, json!({"id": return_id})).await?;
    let status = data
        .pointer("/return/status")
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(statuses.contains(&status))
}

const APPROVE: &str = "mutation WriteBackApprove($input: ReturnApproveRequestInput!) { \
returnApproveRequest(input: $input) { return { id status } userErrors { code field message } } }";

async fn approve(
    client: &Client<'_>,
    return_id: &str,
    attempt: &Attempt<'_>,
) -> Result<Sent, Sent> {
    if already(client, return_id, attempt, &["OPEN", "CLOSED"]).await? {
        return Ok(Sent::Done { reference: None });
    }
    let data = client
        .call(
            APPROVE,
            json!({"input": {"id": return_id, "notifyCustomer": true}}),
        )
        .await?;
    Ok(outcome(&data, "returnApproveRequest", "/return/id"))
}

const DECLINE: &str = "mutation WriteBackDecline($input: ReturnDeclineRequestInput!) { \
returnDeclineRequest(input: $input) { return { id status } userErrors { code field message } } }";

/// Our reason codes as Shopify's `ReturnDeclineReason`.
pub fn decline_reason(code: &str) -> &'static str {
    match code {
        "window_closed" | "no-reason-window-closed" => "RETURN_PERIOD_ENDED",
        "final_sale" => "FINAL_SALE",
        _ => "OTHER",
    }
}

async fn decline(
    client: &Client<'_>,
    return_id: &str,
    attempt: &Attempt<'_>,
) -> Result<Sent, Sent> {
    if already(client, return_id, attempt, &["DECLINED"]).await? {
        return Ok(Sent::Done { reference: None });
    }
    let code = attempt.text("reason_code").unwrap_or("");
    let mut input = json!({
        "id": return_id,
        "declineReason": decline_reason(code),
        "notifyCustomer": true,
    });
    // Shopify shows the note to the customer, up to 500 characters.
    let note: String = attempt
        .text("note")
        .unwrap_or("")
        .chars()
        .take(500)
        .collect();
    if !note.trim().is_empty() {
        input["declineNote"] = json!(note);
    }
    let data = client.call(DECLINE, json!({"input": input})).await?;
    Ok(outcome(&data, "returnDeclineRequest", "/return/id"))
}

/// The return's lines, the reverse fulfillment order's lines they are processed through,
/// and the shop's primary location (where restocked goods go).
const RETURN_LINES: &str = "query WriteBackReturnLines($id: ID!) { \
return(id: $id) { id status \
returnLineItems(first: 50) { nodes { id quantity ... on ReturnLineItem { fulfillmentLineItem { id lineItem { id } } } } } \
reverseFulfillmentOrders(first: 10) { nodes { lineItems(first: 50) { nodes { id totalQuantity fulfillmentLineItem { id } } } } } } \
location { id } }";

const PROCESS: &str = "mutation WriteBackProcess($input: ReturnProcessInput!) { \
returnProcess(input: $input) { return { id status } userErrors { code field message } } }";

/// Shopify's disposition of one of our units.
fn disposition_type(ours: &str) -> &'static str {
    match ours {
        "restock" => "RESTOCKED",
        "scrap" | "return_to_supplier" => "NOT_RESTOCKED",
        // Rework and repair: more to do before it is sold again or thrown away.
        _ => "PROCESSING_REQUIRED",
    }
}

async fn process(
    client: &Client<'_>,
    return_id: &str,
    attempt: &Attempt<'_>,
) -> Result<Sent, Sent> {
    let data = client.call(RETURN_LINES, json!({"id": return_id})).await?;
    let ret = data
        .get("return")
        .filter(|r| !r.is_null())
        .ok_or_else(|| Sent::refused(format!("Shopify has no return {return_id}")))?;
    if ret.get("status").and_then(Value::as_str) == Some("CLOSED") {
        return Ok(Sent::Done { reference: None });
    }
    let location = data.pointer("/location/id").and_then(Value::as_str);
    // The reverse fulfillment order's line of each fulfillment line.
    let mut reverse: Vec<(String, String)> = Vec::new();
    for rfo in nodes(ret.pointer("/reverseFulfillmentOrders")) {
        for line in nodes(rfo.pointer("/lineItems")) {
            if let (Some(id), Some(fulfillment)) = (
                line.get("id").and_then(Value::as_str),
                line.pointer("/fulfillmentLineItem/id")
                    .and_then(Value::as_str),
            ) {
                reverse.push((fulfillment.to_owned(), id.to_owned()));
            }
        }
    }
    // One disposition per unit received, in the order of the return's lines; a unit not
    // received is missing.
    let mut ours = attempt
        .data("dispositions")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter();
    let mut lines = Vec::new();
    for line in nodes(ret.pointer("/returnLineItems")) {
        let (Some(id), Some(quantity)) = (
            line.get("id").and_then(Value::as_str),
            line.get("quantity").and_then(Value::as_u64),
        ) else {
            continue;
        };
        let rfo_line = line
            .pointer("/fulfillmentLineItem/id")
            .and_then(Value::as_str)
            .and_then(|f| reverse.iter().find(|(ff, _)| ff == f))
            .map(|(_, r)| r.clone());
        let mut dispositions: Vec<Value> = Vec::new();
        if let Some(rfo_line) = rfo_line {
            let mut counts: Vec<(&'static str, u64)> = Vec::new();
            for _ in 0..quantity {
                let kind = ours.next().map_or("MISSING", |d| disposition_type(&d));
                match counts.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((kind, 1)),
                }
            }
            for (kind, n) in counts {
                let mut d = json!({
                    "reverseFulfillmentOrderLineItemId": rfo_line,
                    "quantity": n,
                    "dispositionType": kind,
                });
                if kind == "RESTOCKED" {
                    match location {
                        Some(location) => d["locationId"] = json!(location),
                        None => d["dispositionType"] = json!("PROCESSING_REQUIRED"),
                    }
                }
                dispositions.push(d);
            }
        }
        lines.push(json!({"id": id, "quantity": quantity, "dispositions": dispositions}));
    }
    if lines.is_empty() {
        return Err(Sent::refused(format!(
            "Shopify's return {return_id} has no lines to process"
        )));
    }
    let input = json!({"returnId": return_id, "returnLineItems": lines, "notifyCustomer": false});
    let data = client.call(PROCESS, json!({"input": input})).await?;
    Ok(outcome(&data, "returnProcess", "/return/id"))
}

/// The order's refunds (to find ours) and its transactions (to refund the payment).
const ORDER_MONEY: &str = "query WriteBackOrder($id: ID!) { order(id: $id) { id \
refunds(first: 50) { id note } \
transactions(first: 20) { id kind status gateway } } }";

async fn refund(client: &Client<'_>, attempt: &Attempt<'_>) -> Result<Sent, Sent> {
    let Some(order_id) = attempt.text("order_id").and_then(|o| gid("Order", o)) else {
        return Err(Sent::refused(
            "the refund's order is not a Shopify order id",
        ));
    };
    let data = client.call(ORDER_MONEY, json!({"id": order_id})).await?;
    let order = data
        .get("order")
        .filter(|o| !o.is_null())
        .ok_or_else(|| Sent::refused(format!("Shopify has no order {order_id}")))?;
    // Made by an earlier asking whose answer was lost: done, never made twice.
    let mark = attempt.mark();
    if let Some(made) = order
        .get("refunds")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| {
            r.get("note")
                .and_then(Value::as_str)
                .is_some_and(|n| carries(n, mark))
        })
    {
        return Ok(Sent::Done {
            reference: made.get("id").and_then(Value::as_str).map(str::to_owned),
        });
    }
    let Some(amount) = attempt.text("amount") else {
        return Err(Sent::refused("the refund has no amount"));
    };
    let currency = attempt.text("currency");
    let parent = order
        .get("transactions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|t| {
            matches!(
                t.get("kind").and_then(Value::as_str),
                Some("SALE" | "CAPTURE")
            ) && t.get("status").and_then(Value::as_str) == Some("SUCCESS")
        });
    let case = attempt.text("case_id").unwrap_or("");
    let mut input = json!({
        "orderId": order_id,
        "note": format!("{} (after-sales case {case})", attempt.key()),
        "notify": true,
        // The goods were processed with the return (or never came back): nothing to restock.
        "refundLineItems": attempt.lines().into_iter().filter_map(|(line, units)| {
            Some(json!({"lineItemId": gid("LineItem", &line)?, "quantity": units, "restockType": "NO_RESTOCK"}))
        }).collect::<Vec<_>>(),
    });
    if let Some(currency) = currency {
        input["currency"] = json!(currency);
    }
    if let Some(parent) = parent {
        input["transactions"] = json!([{
            "orderId": order_id,
            "gateway": parent.get("gateway").cloned().unwrap_or(Value::Null),
            "kind": "REFUND",
            "amount": amount,
            "parentId": parent.get("id").cloned().unwrap_or(Value::Null),
        }]);
    }
    // The key is a string literal of the document (JSON's escaping is GraphQL's for these
    // characters): the same asking always sends the same key.
    let key = serde_json::to_string(attempt.key()).unwrap_or_default();
    let document = format!(
        "mutation WriteBackRefund($input: RefundInput!) {{ refundCreate(input: $input) @idempotent(key: {key}) {{ \
refund {{ id note totalRefundedSet {{ presentmentMoney {{ amount currencyCode }} }} }} userErrors {{ field message }} }} }}"
    );
    let data = client.call(&document, json!({"input": input})).await?;
    Ok(outcome(&data, "refundCreate", "/refund/id"))
}

/// A mutation's answer: refused on `userErrors` (Shopify's messages), else done with the id
/// at `reference` (a refund's).
fn outcome(data: &Value, mutation: &str, reference: &str) -> Sent {
    let Some(payload) = data.get(mutation).filter(|p| !p.is_null()) else {
        return Sent::refused(format!("Shopify answered no {mutation}"));
    };
    let errors: Vec<String> = payload
        .get("userErrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .map(shorten)
        .collect();
    if !errors.is_empty() {
        return Sent::refused(format!("Shopify: {}", errors.join("; ")));
    }
    Sent::Done {
        reference: payload
            .pointer(reference)
            .and_then(Value::as_str)
            .filter(|_| mutation == "refundCreate")
            .map(str::to_owned),
    }
}

fn nodes(connection: Option<&Value>) -> impl Iterator<Item = &Value> {
    connection
        .and_then(|c| c.get("nodes"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

impl Client<'_> {
    /// One GraphQL document with its variables: its `data`, or why not (a throttle waited
    /// out here up to [`THROTTLES_HERE`] times).
    async fn call(&self, document: &str, variables: Value) -> Result<Value, Sent> {
        let body = json!({"query": document, "variables": variables});
        let mut throttled = 0;
        loop {
            let request = self
                .http
                .post(&self.url)
                .header("content-type", "application/json")
                .header("x-shopify-access-token", self.token)
                .json(&body);
            let answer = exchange(request, "Shopify").await?;
            match read(answer) {
                Read::Throttled(wait) if wait <= WAIT_HERE && throttled < THROTTLES_HERE => {
                    throttled += 1;
                    tracing::info!(
                        wait_ms = wait.as_millis() as u64,
                        "Shopify throttled: waiting"
                    );
                    tokio::time::sleep(wait).await;
                }
                Read::Throttled(wait) => {
                    return Err(Sent::Retry {
                        why: "Shopify throttled the call".into(),
                        after: Some(wait),
                    });
                }
                Read::Data(data) => return Ok(data),
                Read::Failed(sent) => return Err(sent),
            }
        }
    }
}

enum Read {
    Data(Value),
    Throttled(Duration),
    Failed(Sent),
}

/// What an answer says: data, a throttle and its wait, or a failure (a retry for what may pass,
/// a refusal for what will not: a token refused, a document Shopify rejects).
fn read(answer: Answer) -> Read {
    let Answer {
        status,
        retry_after,
        body,
    } = answer;
    let errors = body.get("errors").and_then(Value::as_array);
    let throttled = errors.is_some_and(|errors| {
        errors
            .iter()
            .any(|e| e.pointer("/extensions/code").and_then(Value::as_str) == Some("THROTTLED"))
    });
    if throttled || status == 429 {
        return Read::Throttled(
            throttle_wait(&body)
                .or(retry_after)
                .unwrap_or(Duration::from_secs(1)),
        );
    }
    match status {
        200..=299 => {}
        401 | 403 => {
            return Read::Failed(Sent::refused(format!(
                "Shopify refused the access token ({status}): check the app's token and scopes"
            )));
        }
        500..=599 => return Read::Failed(Sent::retry(format!("Shopify answered {status}"))),
        _ => {
            return Read::Failed(Sent::refused(format!(
                "Shopify answered {status}{}",
                first_message(errors)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )));
        }
    }
    if let Some(message) = first_message(errors) {
        return Read::Failed(Sent::refused(format!("Shopify: {message}")));
    }
    match body.get("data") {
        Some(data) if !data.is_null() => Read::Data(data.clone()),
        _ => Read::Failed(Sent::retry("Shopify answered without data")),
    }
}

fn first_message(errors: Option<&Vec<Value>>) -> Option<String> {
    errors?
        .iter()
        .find_map(|e| e.get("message").and_then(Value::as_str))
        .map(shorten)
}

/// The wait a throttled answer names: what the query needs beyond what is available, at the
/// restore rate.
pub fn throttle_wait(body: &Value) -> Option<Duration> {
    let cost = body.pointer("/extensions/cost")?;
    let requested = cost.get("requestedQueryCost")?.as_f64()?;
    let status = cost.get("throttleStatus")?;
    let available = status.get("currentlyAvailable")?.as_f64()?;
    let rate = status.get("restoreRate")?.as_f64()?;
    // A rate of zero (or not a number) names no wait.
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let seconds = ((requested - available) / rate).clamp(0.0, 3600.0);
    Some(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_answer_waits_the_shortfall_over_the_restore_rate() {
        let body = json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 752, "actualQueryCost": null,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 666, "restoreRate": 50.0}}}});
        assert_eq!(throttle_wait(&body), Some(Duration::from_millis(1720)));
        match read(Answer {
            status: 200,
            retry_after: None,
            body,
        }) {
            Read::Throttled(wait) => assert_eq!(wait, Duration::from_millis(1720)),
            _ => panic!("a THROTTLED answer is a throttle"),
        }
    }

    #[test]
    fn user_errors_refuse_the_step_with_shopifys_message() {
        let data = json!({"returnApproveRequest": {"return": null, "userErrors": [
            {"code": "INVALID_STATE", "field": ["id"], "message": "Return is not approvable."}]}});
        assert_eq!(
            outcome(&data, "returnApproveRequest", "/return/id"),
            Sent::Refused {
                message: "Shopify: Return is not approvable.".into()
            }
        );
    }

    #[test]
    fn our_reason_codes_map_to_shopifys_decline_reasons() {
        assert_eq!(decline_reason("window_closed"), "RETURN_PERIOD_ENDED");
        assert_eq!(decline_reason("final_sale"), "FINAL_SALE");
        assert_eq!(decline_reason("customer_damage"), "OTHER");
    }

    #[test]
    fn webhook_ids_become_global_ids() {
        assert_eq!(
            return_gid("1097707602").as_deref(),
            Some("gid://shopify/Return/1097707602")
        );
        assert_eq!(
            return_gid("gid://shopify/Return/5").as_deref(),
            Some("gid://shopify/Return/5")
        );
        assert_eq!(return_gid("RMA-1"), None);
    }
}
