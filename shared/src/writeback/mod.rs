//! Write-back senders: one decision on a storefront's return done again in the shop itself,
//! through the shop's own API (Shopify's Admin GraphQL, WooCommerce's REST API v3), or told
//! to any other storefront as a signed Standard Webhook.
//!
//! The timers call [`send`] with an outbox message queued by `domain::writeback` and record
//! what it answers on the case. A sender never pays twice: Shopify's refund carries the
//! `@idempotent` key derived from our refund, and before any retry of a refund (or of an
//! order note) the shop's own records are read and one carrying our key counts as done.
//! What the shop refused is [`Sent::Refused`] with the shop's message; what may work later
//! (a timeout, a 5xx, a throttle) is [`Sent::Retry`], with the wait the shop named if any.

mod shopify;
mod woocommerce;

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use crate::domain::writeback::WriteStep;
use crate::webhooks::config::{Storefront, StorefrontKind};
use crate::webhooks::verify::sign;

/// The Shopify Admin API version every call names.
pub const SHOPIFY_API_VERSION: &str = "2026-04";

/// What a shop answered to one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// Done in the shop; `reference` is the shop's id for what it made (a refund's id).
    Done { reference: Option<String> },
    /// The shop refused: its message.
    Refused { message: String },
    /// Nowhere to write it (write-back off, no `notify_url`, no return in the shop): the
    /// merchant does it in the shop's admin.
    NotWritten { why: String },
    /// Worth asking again: after `after` when the shop named a wait, else after the backoff.
    Retry {
        why: String,
        after: Option<Duration>,
    },
}

impl Sent {
    fn retry(why: impl Into<String>) -> Self {
        Sent::Retry {
            why: why.into(),
            after: None,
        }
    }
    fn refused(message: impl Into<String>) -> Self {
        Sent::Refused {
            message: message.into(),
        }
    }
}

/// One attempt at an outbox message.
pub struct Attempt<'a> {
    /// The message's id: the `webhook-id` of a Standard Webhook.
    pub id: &'a str,
    /// The Standard Webhooks event `domain::writeback::payload` made.
    pub payload: &'a Value,
    /// Asked before (an earlier attempt, or an earlier asking): the shop may have done it
    /// already, and is read before it is asked again.
    pub asked_before: bool,
}

impl Attempt<'_> {
    fn data(&self, field: &str) -> Option<&Value> {
        self.payload.get("data").and_then(|d| d.get(field))
    }
    fn text(&self, field: &str) -> Option<&str> {
        self.data(field).and_then(Value::as_str)
    }
    /// The step, from the event's type.
    fn step(&self) -> Option<WriteStep> {
        let kind = self.payload.get("type").and_then(Value::as_str)?;
        [
            WriteStep::Approve,
            WriteStep::Decline,
            WriteStep::Process,
            WriteStep::Refund,
            WriteStep::Exchange,
        ]
        .into_iter()
        .find(|s| s.event_type() == kind)
    }
    /// The idempotency key of this asking (`aftersales-<case>-<n>[.<generation>]`).
    fn key(&self) -> &str {
        self.text("key").unwrap_or(self.id)
    }
    /// The mark every asking of this step carries (the key without its generation): what a
    /// shop's record must carry to be ours.
    fn mark(&self) -> &str {
        mark_of(self.key())
    }
    /// The claimed lines: order line id → units.
    fn lines(&self) -> Vec<(String, u64)> {
        self.data("lines")
            .and_then(Value::as_object)
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|(line, units)| Some((line.clone(), units.as_u64()?)))
                    .filter(|(_, units)| *units > 0)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `aftersales-<case>-<n>` of a key `aftersales-<case>-<n>[.<generation>]`.
pub fn mark_of(key: &str) -> &str {
    match key.rsplit_once('-') {
        Some((head, tail)) => match tail.split_once('.') {
            Some((n, _)) => &key[..head.len() + 1 + n.len()],
            None => key,
        },
        None => key,
    }
}

/// Whether `text` carries `mark` (and not a longer mark it begins: `…-1` is not `…-12`).
pub fn carries(text: &str, mark: &str) -> bool {
    !mark.is_empty()
        && text
            .match_indices(mark)
            .any(|(at, _)| !text[at + mark.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Sends `attempt` to `storefront`: through its API when write-back is on, else as a Standard
/// Webhook to its `notify_url`.
pub async fn send(http: &reqwest::Client, storefront: &Storefront, attempt: &Attempt<'_>) -> Sent {
    if let Some((api, base)) = storefront.shop_api() {
        let Some(step) = attempt.step() else {
            return Sent::refused("not a write-back this service knows");
        };
        return match storefront.kind {
            StorefrontKind::Shopify => shopify::send(http, api, &base, step, attempt).await,
            StorefrontKind::Woocommerce => woocommerce::send(http, api, &base, step, attempt).await,
            // Refused when the configuration loads; kept out of harm's way all the same.
            StorefrontKind::Generic => Sent::NotWritten {
                why: "a generic storefront has no API to write to".into(),
            },
        };
    }
    standard_webhook(http, storefront, attempt).await
}

/// The signed Standard Webhook of any other storefront (or of one whose write-back is off).
async fn standard_webhook(
    http: &reqwest::Client,
    storefront: &Storefront,
    attempt: &Attempt<'_>,
) -> Sent {
    let Some(url) = storefront.notify_url.as_deref() else {
        return Sent::NotWritten {
            why: match storefront.write_back {
                Some(_) => "write-back is off for this storefront".into(),
                None => "the storefront has no notify_url and no write-back".into(),
            },
        };
    };
    // The signature's timestamp is the wire's real time, which the receiver checks against
    // its own clock (whatever clock decided the step).
    let timestamp = Utc::now().timestamp();
    let Some(secret) = storefront.live_secrets(Utc::now()).next() else {
        return Sent::NotWritten {
            why: "the storefront has no live secret to sign with".into(),
        };
    };
    let body = match serde_json::to_vec(attempt.payload) {
        Ok(body) => body,
        Err(e) => return Sent::refused(e.to_string()),
    };
    let Some(signature) = sign::standard(secret, attempt.id, timestamp, &body) else {
        return Sent::NotWritten {
            why: "the storefront's secret cannot key an HMAC".into(),
        };
    };
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", attempt.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => Sent::Done { reference: None },
        // The receiver's 4xx may be a deploy away from a 2xx: a webhook is retried until it
        // is taken or the attempts run out.
        Ok(r) => Sent::retry(format!("{url} answered {}", r.status())),
        Err(e) => Sent::retry(format!("{url}: {e}")),
    }
}

/// An HTTP answer read whole: status, `Retry-After` seconds, JSON body (`Null` if none).
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Value,
}

/// Sends `request` and reads its answer; a transport failure (a timeout, a refused
/// connection) is a retry: the shop may or may not have done it, which the next attempt reads
/// before asking again.
async fn exchange(request: reqwest::RequestBuilder, what: &str) -> Result<Answer, Sent> {
    let response = request
        .send()
        .await
        .map_err(|e| Sent::retry(format!("{what}: {}", without_url(&e))))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)));
    let bytes = response
        .bytes()
        .await
        .map_err(|e| Sent::retry(format!("{what}: {}", without_url(&e))))?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// A transport error without its URL (which may carry a WooCommerce key in its query).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    kind.to_owned()
}

/// A shop's message, kept short and on one line.
fn shorten(message: &str) -> String {
    let one_line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asking_of_a_step_carries_the_same_mark() {
        assert_eq!(
            mark_of("aftersales-AS2612-0312345678-4"),
            "aftersales-AS2612-0312345678-4"
        );
        assert_eq!(
            mark_of("aftersales-AS2612-0312345678-4.2"),
            "aftersales-AS2612-0312345678-4"
        );
    }

    #[test]
    fn a_mark_is_not_found_inside_a_longer_one() {
        assert!(carries("Case X [aftersales-X-1.2]", "aftersales-X-1"));
        assert!(carries(
            "aftersales-X-1 (after-sales case X)",
            "aftersales-X-1"
        ));
        assert!(!carries("Case X [aftersales-X-12]", "aftersales-X-1"));
        assert!(!carries("anything", ""));
    }

    #[test]
    fn a_step_is_read_from_its_event_type() {
        let payload = serde_json::json!({"type": "refund.succeeded", "data": {"key": "k-1"}});
        let attempt = Attempt {
            id: "refund.succeeded-x-1",
            payload: &payload,
            asked_before: false,
        };
        assert_eq!(attempt.step(), Some(WriteStep::Refund));
        assert_eq!(attempt.key(), "k-1");
    }
}
