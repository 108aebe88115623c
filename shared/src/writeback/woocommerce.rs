//! WooCommerce's REST API v3: a refund with `POST /wp-json/wc/v3/orders/{id}/refunds` (the
//! amount, the lines, `api_refund: true` so the payment gateway pays it back), and an order
//! note for every other decision. Key and secret go as HTTP Basic over HTTPS.
//!
//! WooCommerce has no idempotency key: every refund and note carries our mark in its text, and
//! before asking again the order's refunds (or notes) are read: one carrying the mark is ours,
//! made by an attempt whose answer was lost, and is not made twice.

use serde_json::{Value, json};

use super::{Answer, Attempt, Sent, carries, exchange, shorten};
use crate::domain::writeback::WriteStep;
use crate::webhooks::config::ShopApi;

struct Client<'a> {
    http: &'a reqwest::Client,
    base: String,
    key: &'a str,
    secret: &'a str,
}

pub(super) async fn send(
    http: &reqwest::Client,
    api: &ShopApi,
    site: &str,
    step: WriteStep,
    attempt: &Attempt<'_>,
) -> Sent {
    let (Some(key), Some(secret)) = (&api.consumer_key, &api.consumer_secret) else {
        return Sent::NotWritten {
            why: "no WooCommerce REST API key is configured".into(),
        };
    };
    let Some(order) = attempt
        .text("order_id")
        .filter(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()))
    else {
        return Sent::refused("the order is not a WooCommerce order id");
    };
    let client = Client {
        http,
        base: format!("{site}/wp-json/wc/v3/orders/{order}"),
        key: key.expose(),
        secret: secret.expose(),
    };
    let result = match step {
        WriteStep::Refund => refund(&client, attempt).await,
        _ => note(&client, step, attempt).await,
    };
    result.unwrap_or_else(|sent| sent)
}

/// The first record at `path` (refunds or notes) whose `field` carries our mark.
async fn find_ours(
    client: &Client<'_>,
    path: &str,
    field: &str,
    mark: &str,
) -> Result<Option<Value>, Sent> {
    let answer = client
        .call(
            client
                .http
                .get(format!("{}/{path}?per_page=100", client.base)),
        )
        .await?;
    Ok(answer
        .body
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| {
            r.get(field)
                .and_then(Value::as_str)
                .is_some_and(|t| carries(t, mark))
        })
        .cloned())
}

async fn refund(client: &Client<'_>, attempt: &Attempt<'_>) -> Result<Sent, Sent> {
    if attempt.asked_before
        && let Some(made) = find_ours(client, "refunds", "reason", attempt.mark()).await?
    {
        let id = made.get("id").map(id_text).unwrap_or_default();
        // Ours by its mark; made for another amount, it is not this refund: a person looks.
        let theirs = made.get("amount").and_then(Value::as_str).unwrap_or("");
        let ours = attempt.text("amount").unwrap_or("");
        if !same_amount(theirs, ours) {
            return Err(Sent::refused(format!(
                "WooCommerce holds refund {id} with this refund's mark for {theirs}, not {ours}: check the order by hand"
            )));
        }
        return Ok(Sent::Done {
            reference: Some(id),
        });
    }
    let Some(amount) = attempt.text("amount") else {
        return Err(Sent::refused("the refund has no amount"));
    };
    let case = attempt.text("case_id").unwrap_or("");
    let body = json!({
        "amount": amount,
        "reason": format!("After-sales case {case} [{}]", attempt.key()),
        "line_items": attempt.lines().into_iter().map(|(line, units)| {
            json!({"id": line.parse::<u64>().map_or(json!(line), |n| json!(n)), "quantity": units, "refund_total": 0})
        }).collect::<Vec<_>>(),
        // The payment gateway pays it back; what goes back on the shelf is the warehouse's call.
        "api_refund": true,
        "api_restock": false,
    });
    let answer = client
        .call(
            client
                .http
                .post(format!("{}/refunds", client.base))
                .json(&body),
        )
        .await?;
    Ok(Sent::Done {
        reference: answer.body.get("id").map(id_text),
    })
}

/// What an order note says of each decision (the merchant's staff read it in the order).
fn note_text(step: WriteStep, attempt: &Attempt<'_>) -> String {
    let case = attempt.text("case_id").unwrap_or("");
    let said = match step {
        WriteStep::Approve => "return approved".to_owned(),
        WriteStep::Decline => format!(
            "return declined ({}): {}",
            attempt.text("reason_code").unwrap_or(""),
            attempt.text("note").unwrap_or("")
        ),
        WriteStep::Process => {
            let units = attempt.data("units").and_then(Value::as_u64).unwrap_or(0);
            let restocked = attempt
                .data("dispositions")
                .and_then(Value::as_array)
                .map_or(0, |d| {
                    d.iter().filter(|d| d.as_str() == Some("restock")).count()
                });
            format!("goods received and inspected: {units} unit(s), {restocked} to restock")
        }
        WriteStep::Exchange => "exchange replacement sent".to_owned(),
        WriteStep::Refund => "refund".to_owned(),
    };
    format!(
        "After-sales case {case}: {} [{}]",
        shorten(&said),
        attempt.key()
    )
}

async fn note(client: &Client<'_>, step: WriteStep, attempt: &Attempt<'_>) -> Result<Sent, Sent> {
    if attempt.asked_before
        && let Some(made) = find_ours(client, "notes", "note", attempt.mark()).await?
    {
        return Ok(Sent::Done {
            reference: made.get("id").map(id_text),
        });
    }
    let body = json!({"note": note_text(step, attempt), "customer_note": false});
    let answer = client
        .call(
            client
                .http
                .post(format!("{}/notes", client.base))
                .json(&body),
        )
        .await?;
    Ok(Sent::Done {
        reference: answer.body.get("id").map(id_text),
    })
}

/// Whether two decimal amounts are the same ("12.0" and "12.00" are).
fn same_amount(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() < 0.005,
        _ => false,
    }
}

fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Client<'_> {
    /// One request: a 2xx answer, or why not (keyed on the HTTP status and WooCommerce's
    /// `code`, whose `data` is sometimes an object and sometimes a bare number).
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Answer, Sent> {
        let answer = exchange(
            request.basic_auth(self.key, Some(self.secret)),
            "WooCommerce",
        )
        .await?;
        let status = answer.status;
        if (200..300).contains(&status) {
            return Ok(answer);
        }
        let code = answer
            .body
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("");
        let message = answer
            .body
            .get("message")
            .and_then(Value::as_str)
            .map(shorten)
            .unwrap_or_default();
        let said = format!("WooCommerce answered {status} {code}: {message}");
        Err(match (status, code) {
            // The gateway cannot pay it back (or the order cannot be refunded): a refusal,
            // though WooCommerce sends it as a 500.
            (_, "woocommerce_rest_cannot_create_order_refund") => Sent::refused(said),
            (401 | 403, _) => Sent::refused(format!(
                "{said} (check the REST API key: it needs Read/Write)"
            )),
            (429, _) => Sent::Retry {
                why: said,
                after: answer.retry_after,
            },
            (500..=599, _) => Sent::retry(said),
            _ => Sent::refused(said),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_compare_as_numbers() {
        assert!(same_amount("12.00", "12.0"));
        assert!(!same_amount("12.00", "12.01"));
        assert!(!same_amount("", "0"));
    }

    #[test]
    fn a_note_carries_the_case_the_decision_and_our_mark() {
        let payload = json!({"type": "return.declined", "data": {"case_id": "AS2612-00001",
            "key": "aftersales-AS2612-00001-1", "reason_code": "window_closed", "note": "Too late"}});
        let attempt = Attempt {
            id: "return.declined-AS2612-00001-1",
            payload: &payload,
            asked_before: false,
        };
        assert_eq!(
            note_text(WriteStep::Decline, &attempt),
            "After-sales case AS2612-00001: return declined (window_closed): Too late [aftersales-AS2612-00001-1]"
        );
    }
}
