//! Pagination cursors: DynamoDB's `LastEvaluatedKey`, sealed so that clients can neither read
//! nor forge one.
//!
//! A cursor is the key, encrypted and authenticated (XChaCha20-Poly1305) with a key from the
//! configuration, and bound to the query it was issued for (index, partition, range and
//! filters, as associated data). So a cursor shows nothing of the index keys (an e-mail, a
//! customer id), one issued for one customer's listing cannot start another's, and any change
//! to it, however small, is refused whole as a 400, before DynamoDB sees it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use super::StoreError;

/// The longest cursor accepted: far above what a key makes, far below a query string's limit.
const MAX_CURSOR_CHARS: usize = 2048;
const NONCE_BYTES: usize = 24;

/// The key that seals cursors. Every instance of every function must share it (a cursor from
/// one Lambda instance is used on the next request, by another), so it comes from the
/// configuration; rotating it only ends the paging of listings open at that moment.
#[derive(Clone)]
pub struct CursorKey(Arc<XChaCha20Poly1305>);

impl CursorKey {
    /// From configured secret material of any length (hashed to the 256-bit key).
    pub fn from_secret(secret: &[u8]) -> Self {
        let key = Sha256::digest(secret);
        Self(Arc::new(XChaCha20Poly1305::new(&key)))
    }

    /// A key of this process alone: for tests, and for functions that never list.
    pub fn random() -> Self {
        Self(Arc::new(XChaCha20Poly1305::new(
            &XChaCha20Poly1305::generate_key(&mut OsRng),
        )))
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

/// Seals `key` (string attributes only, as every key of this table) for the query `context`.
pub fn seal(
    cursor_key: &CursorKey,
    context: &str,
    key: &HashMap<String, AttributeValue>,
) -> Option<String> {
    let plain: BTreeMap<&str, &str> = key
        .iter()
        .map(|(k, v)| v.as_s().ok().map(|s| (k.as_str(), s.as_str())))
        .collect::<Option<_>>()?;
    let json = serde_json::to_vec(&plain).ok()?;
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cursor_key
        .0
        .encrypt(
            &nonce,
            Payload {
                msg: &json,
                aad: context.as_bytes(),
            },
        )
        .ok()?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Some(URL_SAFE_NO_PAD.encode(out))
}

/// Opens a cursor issued for the query `context`, whose key attributes must be exactly
/// `attrs`. Anything else (not base64, too long, tampered, sealed with another key or for
/// another query) is [`StoreError::BadCursor`].
pub fn open(
    cursor_key: &CursorKey,
    context: &str,
    cursor: &str,
    attrs: &[&str],
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(StoreError::BadCursor);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::BadCursor)?;
    if bytes.len() <= NONCE_BYTES {
        return Err(StoreError::BadCursor);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| StoreError::BadCursor)?;
    let json = cursor_key
        .0
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: sealed,
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| StoreError::BadCursor)?;
    let plain: BTreeMap<String, String> =
        serde_json::from_slice(&json).map_err(|_| StoreError::BadCursor)?;
    let mut names: Vec<&str> = plain.keys().map(String::as_str).collect();
    let mut wanted = attrs.to_vec();
    names.sort_unstable();
    wanted.sort_unstable();
    wanted.dedup();
    if names != wanted || plain.values().any(String::is_empty) {
        return Err(StoreError::BadCursor);
    }
    Ok(plain
        .into_iter()
        .map(|(k, v)| (k, AttributeValue::S(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTRS: [&str; 4] = ["PK", "SK", "GSI4PK", "GSI4SK"];

    fn key() -> HashMap<String, AttributeValue> {
        [
            ("PK", "CASE#AS2611-00001"),
            ("SK", "CASE"),
            ("GSI4PK", "EMAIL#jon@example.com"),
            ("GSI4SK", "CASE#2026"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())))
        .collect()
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query_and_shows_nothing_of_the_key() {
        let k = CursorKey::random();
        let c = seal(&k, "GSI4|EMAIL#jon@example.com", &key()).unwrap();
        assert!(!c.contains("jon"));
        let raw = URL_SAFE_NO_PAD.decode(&c).unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains("example.com"),
            "the e-mail is not readable in the cursor"
        );
        assert_eq!(
            open(&k, "GSI4|EMAIL#jon@example.com", &c, &ATTRS).unwrap(),
            key()
        );
    }

    #[test]
    fn a_cursor_for_another_query_another_key_or_with_one_bit_changed_is_refused() {
        let k = CursorKey::random();
        let c = seal(&k, "GSI4|EMAIL#jon@example.com", &key()).unwrap();
        assert!(open(&k, "GSI4|EMAIL#eve@example.com", &c, &ATTRS).is_err());
        assert!(
            open(
                &CursorKey::random(),
                "GSI4|EMAIL#jon@example.com",
                &c,
                &ATTRS
            )
            .is_err()
        );
        let mut raw = URL_SAFE_NO_PAD.decode(&c).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(raw);
        assert!(open(&k, "GSI4|EMAIL#jon@example.com", &tampered, &ATTRS).is_err());
        assert!(open(&k, "GSI4|EMAIL#jon@example.com", "not base64!", &ATTRS).is_err());
        assert!(open(&k, "GSI4|EMAIL#jon@example.com", "", &ATTRS).is_err());
        assert!(open(&k, "GSI4|EMAIL#jon@example.com", &"A".repeat(5000), &ATTRS).is_err());
        assert!(
            open(
                &k,
                "GSI4|EMAIL#jon@example.com",
                &c,
                &["PK", "SK", "GSI1PK", "GSI1SK"]
            )
            .is_err()
        );
    }

    #[test]
    fn the_same_secret_makes_the_same_key_in_every_instance() {
        let a = CursorKey::from_secret(b"configured secret");
        let b = CursorKey::from_secret(b"configured secret");
        let c = seal(&a, "ctx", &key()).unwrap();
        assert_eq!(open(&b, "ctx", &c, &ATTRS).unwrap(), key());
    }
}
