//! Signature checks, constant-time, over the raw body bytes as received.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::Storefront;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], parts: &[&[u8]]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    for p in parts {
        mac.update(p);
    }
    Some(mac)
}

/// Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`): the base64
/// HMAC-SHA256 of the body with the shared secret. True if any secret live at `now` matches.
pub fn body_hmac_valid(
    storefront: &Storefront,
    body: &[u8],
    header: &str,
    now: DateTime<Utc>,
) -> bool {
    let Ok(expected) = STANDARD.decode(header.trim()) else {
        return false;
    };
    if expected.len() != 32 {
        return false;
    }
    storefront.live_secrets(now).any(|secret| {
        mac(secret.as_bytes(), &[body]).is_some_and(|m| m.verify_slice(&expected).is_ok())
    })
}

/// Standard Webhooks: how far `webhook-timestamp` may be from now, either way.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

#[derive(Debug, PartialEq, Eq)]
pub enum StandardCheck {
    Valid,
    BadSignature,
    StaleTimestamp,
}

/// A Standard Webhooks secret's key: base64 after an optional `whsec_` prefix, as the
/// reference libraries read it (a secret that is not base64 is an error, never raw bytes).
pub fn standard_key(secret: &str) -> Result<Vec<u8>, String> {
    // Padded or not, as the reference libraries take it.
    const KEY: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    match KEY.decode(b64) {
        Ok(key) if !key.is_empty() => Ok(key),
        Ok(_) => Err("is empty".to_owned()),
        Err(e) => Err(format!(
            "is not base64 ({e}); a Standard Webhooks secret is base64, optionally after 'whsec_'"
        )),
    }
}

/// Standard Webhooks: `webhook-signature` is a space-separated list of `v1,<base64>`, each an
/// HMAC-SHA256 of `id.timestamp.body` keyed with the secret (`whsec_` + base64 key). Any one
/// valid signature from any live secret passes; an empty or truncated signature never does.
pub fn standard_webhook(
    storefront: &Storefront,
    id: &str,
    timestamp: &str,
    body: &[u8],
    signatures: &str,
    now: DateTime<Utc>,
) -> StandardCheck {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return StandardCheck::BadSignature;
    };
    // `abs_diff`: a timestamp such as i64::MIN must be stale, not an overflow.
    if now.timestamp().abs_diff(ts) > TOLERANCE_SECONDS.unsigned_abs() {
        return StandardCheck::StaleTimestamp;
    }
    let candidates: Vec<Vec<u8>> = signatures
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .filter(|sig| sig.len() == 32)
        .collect();
    if candidates.is_empty() {
        return StandardCheck::BadSignature;
    }
    let valid = storefront.live_secrets(now).any(|secret| {
        // Refused when the configuration is loaded; never a key here.
        let Ok(key) = standard_key(secret) else {
            return false;
        };
        candidates.iter().any(|sig| {
            mac(
                &key,
                &[id.as_bytes(), b".", timestamp.trim().as_bytes(), b".", body],
            )
            .is_some_and(|m| m.verify_slice(sig).is_ok())
        })
    });
    if valid {
        StandardCheck::Valid
    } else {
        StandardCheck::BadSignature
    }
}

/// The signatures the senders compute: the timers' outbox signs with [`sign::standard`], tests
/// and the storefront simulator with both. `None` only if the HMAC refused its key, which
/// HMAC-SHA256 never does (any key length is taken).
pub mod sign {
    use super::*;

    pub fn body_hmac(secret: &str, body: &[u8]) -> Option<String> {
        let m = mac(secret.as_bytes(), &[body])?;
        Some(STANDARD.encode(m.finalize().into_bytes()))
    }

    /// `None` for a secret that is not a Standard Webhooks secret (see [`standard_key`]).
    pub fn standard(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
        let key = standard_key(secret).ok()?;
        let ts = timestamp.to_string();
        let m = mac(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body])?;
        Some(format!("v1,{}", STANDARD.encode(m.finalize().into_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::config::{Secret, Storefront, StorefrontKind};

    fn shop(secrets: Vec<Secret>) -> Storefront {
        Storefront {
            id: "main".into(),
            kind: StorefrontKind::Shopify,
            source: None,
            secrets,
            notify_url: None,
            write_back: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-24T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_body_signed_with_the_secret_verifies_and_a_tampered_one_does_not() {
        let s = shop(vec![Secret::new("hush")]);
        let body = br#"{"id":820982911946154508}"#;
        let sig = sign::body_hmac("hush", body).unwrap();
        assert!(body_hmac_valid(&s, body, &sig, now()));
        assert!(!body_hmac_valid(
            &s,
            br#"{"id":820982911946154509}"#,
            &sig,
            now()
        ));
        assert!(!body_hmac_valid(
            &s,
            body,
            &sign::body_hmac("other", body).unwrap(),
            now()
        ));
        assert!(!body_hmac_valid(&s, body, "", now()));
        assert!(!body_hmac_valid(&s, body, &sig[..20], now()));
    }

    #[test]
    fn during_rotation_both_secrets_verify_until_the_old_one_expires() {
        let old = Secret {
            value: "old".into(),
            not_after: Some("2026-11-25T00:00:00Z".parse().unwrap()),
        };
        let s = shop(vec![Secret::new("new"), old]);
        let body = b"{}";
        assert!(body_hmac_valid(
            &s,
            body,
            &sign::body_hmac("old", body).unwrap(),
            now()
        ));
        assert!(body_hmac_valid(
            &s,
            body,
            &sign::body_hmac("new", body).unwrap(),
            now()
        ));
        let later = "2026-11-26T00:00:00Z".parse().unwrap();
        assert!(!body_hmac_valid(
            &s,
            body,
            &sign::body_hmac("old", body).unwrap(),
            later
        ));
    }

    #[test]
    fn standard_webhooks_verify_any_listed_signature_within_five_minutes() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let s = shop(vec![Secret::new(secret)]);
        let body = br#"{"type":"order.updated"}"#;
        let ts = now().timestamp();
        let good = sign::standard(secret, "msg_1", ts, body).unwrap();
        let header = format!("v1,AAAA {good}");
        assert_eq!(
            standard_webhook(&s, "msg_1", &ts.to_string(), body, &header, now()),
            StandardCheck::Valid
        );
        assert_eq!(
            standard_webhook(&s, "msg_2", &ts.to_string(), body, &good, now()),
            StandardCheck::BadSignature
        );
        assert_eq!(
            standard_webhook(&s, "msg_1", &ts.to_string(), body, "", now()),
            StandardCheck::BadSignature
        );
        assert_eq!(
            standard_webhook(&s, "msg_1", &ts.to_string(), body, "v1,", now()),
            StandardCheck::BadSignature
        );
        assert_eq!(
            standard_webhook(
                &s,
                "msg_1",
                &ts.to_string(),
                body,
                &good[..good.len() - 4],
                now()
            ),
            StandardCheck::BadSignature
        );
        let old = ts - TOLERANCE_SECONDS - 1;
        let stale = sign::standard(secret, "msg_1", old, body).unwrap();
        assert_eq!(
            standard_webhook(&s, "msg_1", &old.to_string(), body, &stale, now()),
            StandardCheck::StaleTimestamp
        );
        for extreme in [i64::MIN, i64::MAX, 0] {
            assert_eq!(
                standard_webhook(&s, "msg_1", &extreme.to_string(), body, &good, now()),
                StandardCheck::StaleTimestamp
            );
        }
        let ahead = ts + TOLERANCE_SECONDS + 1;
        let future = sign::standard(secret, "msg_1", ahead, body).unwrap();
        assert_eq!(
            standard_webhook(&s, "msg_1", &ahead.to_string(), body, &future, now()),
            StandardCheck::StaleTimestamp
        );
    }
}
