//! Pagination cursors: where a listing stands in each partition it reads (a key, as DynamoDB's
//! `LastEvaluatedKey` gives it), sealed so that clients can neither read nor forge one.
//!
//! A cursor is those positions, encrypted and authenticated (XChaCha20-Poly1305) with a key from the
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

/// A key as a cursor holds it: string attributes only, as every key of this table.
pub type PlainKey = BTreeMap<String, String>;

/// The position of one partition of a listing: not begun, after an item (its key), or read to
/// its end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Position {
    Start,
    After(PlainKey),
    Done,
}

/// A key as DynamoDB gives it, as a cursor holds it (`None` if an attribute is not a string).
pub fn plain(key: &HashMap<String, AttributeValue>) -> Option<PlainKey> {
    key.iter()
        .map(|(k, v)| v.as_s().ok().map(|s| (k.clone(), s.clone())))
        .collect()
}

/// A key as a cursor holds it, as DynamoDB takes it.
pub fn attribute_map(key: &PlainKey) -> HashMap<String, AttributeValue> {
    key.iter()
        .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
        .collect()
}

/// Seals `value` for `context` (a link's token: its holder can neither read nor change it).
pub fn seal_value<T: serde::Serialize>(
    cursor_key: &CursorKey,
    context: &str,
    value: &T,
) -> Option<String> {
    let json = serde_json::to_vec(value).ok()?;
    seal_bytes(cursor_key, context, &json)
}

/// Opens what [`seal_value`] sealed for `context`; anything else is `None`.
pub fn open_value<T: serde::de::DeserializeOwned>(
    cursor_key: &CursorKey,
    context: &str,
    token: &str,
) -> Option<T> {
    let json = open_bytes(cursor_key, context, token).ok()?;
    serde_json::from_slice(&json).ok()
}

fn seal_bytes(cursor_key: &CursorKey, context: &str, msg: &[u8]) -> Option<String> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cursor_key
        .0
        .encrypt(
            &nonce,
            Payload {
                msg,
                aad: context.as_bytes(),
            },
        )
        .ok()?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Some(URL_SAFE_NO_PAD.encode(out))
}

fn open_bytes(cursor_key: &CursorKey, context: &str, token: &str) -> Result<Vec<u8>, StoreError> {
    if token.len() > MAX_CURSOR_CHARS {
        return Err(StoreError::BadCursor);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| StoreError::BadCursor)?;
    if bytes.len() <= NONCE_BYTES {
        return Err(StoreError::BadCursor);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| StoreError::BadCursor)?;
    cursor_key
        .0
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: sealed,
                aad: context.as_bytes(),
            },
        )
        .map_err(|_| StoreError::BadCursor)
}

/// Seals the positions of a listing's partitions for the query `context`.
pub fn seal(cursor_key: &CursorKey, context: &str, positions: &[Position]) -> Option<String> {
    seal_value(cursor_key, context, &positions)
}

/// Opens a cursor issued for the query `context` over `partitions` partitions, each position
/// a key of exactly the attributes `attrs`. Anything else (not base64, too long, tampered,
/// sealed with another key or for another query) is [`StoreError::BadCursor`].
pub fn open(
    cursor_key: &CursorKey,
    context: &str,
    cursor: &str,
    partitions: usize,
    attrs: &[&str],
) -> Result<Vec<Position>, StoreError> {
    let json = open_bytes(cursor_key, context, cursor)?;
    let positions: Vec<Position> =
        serde_json::from_slice(&json).map_err(|_| StoreError::BadCursor)?;
    let mut wanted = attrs.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let well_formed = |key: &PlainKey| {
        key.keys().map(String::as_str).eq(wanted.iter().copied())
            && !key.values().any(String::is_empty)
    };
    let fits = positions.len() == partitions
        && positions.iter().all(|p| match p {
            Position::After(key) => well_formed(key),
            Position::Start | Position::Done => true,
        });
    if !fits {
        return Err(StoreError::BadCursor);
    }
    Ok(positions)
}

impl super::Store {
    /// A link's token for `value`, sealed with the table's cursor key for `context`.
    pub fn seal_token<T: serde::Serialize>(&self, context: &str, value: &T) -> Option<String> {
        seal_value(&self.cursor_key, context, value)
    }

    /// What a link's token sealed for `context`; `None` for anything forged or changed.
    pub fn open_token<T: serde::de::DeserializeOwned>(
        &self,
        context: &str,
        token: &str,
    ) -> Option<T> {
        open_value(&self.cursor_key, context, token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATTRS: [&str; 4] = ["PK", "SK", "GSI4PK", "GSI4SK"];

    fn positions() -> Vec<Position> {
        let key: PlainKey = [
            ("PK", "CASE#AS2611-00001"),
            ("SK", "CASE"),
            ("GSI4PK", "EMAIL#jon@example.com"),
            ("GSI4SK", "CASE#2026"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vec![Position::After(key), Position::Start, Position::Done]
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query_and_shows_nothing_of_the_key() {
        let k = CursorKey::random();
        let c = seal(&k, "GSI4|EMAIL#jon@example.com", &positions()).unwrap();
        assert!(!c.contains("jon"));
        let raw = URL_SAFE_NO_PAD.decode(&c).unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains("example.com"),
            "the e-mail is not readable in the cursor"
        );
        assert_eq!(
            open(&k, "GSI4|EMAIL#jon@example.com", &c, 3, &ATTRS).unwrap(),
            positions()
        );
    }

    #[test]
    fn a_cursor_for_another_query_another_key_or_with_one_bit_changed_is_refused() {
        let k = CursorKey::random();
        let ctx = "GSI4|EMAIL#jon@example.com";
        let c = seal(&k, ctx, &positions()).unwrap();
        assert!(open(&k, "GSI4|EMAIL#eve@example.com", &c, 3, &ATTRS).is_err());
        assert!(open(&CursorKey::random(), ctx, &c, 3, &ATTRS).is_err());
        let mut raw = URL_SAFE_NO_PAD.decode(&c).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(raw);
        assert!(open(&k, ctx, &tampered, 3, &ATTRS).is_err());
        assert!(open(&k, ctx, "not base64!", 3, &ATTRS).is_err());
        assert!(open(&k, ctx, "", 3, &ATTRS).is_err());
        assert!(open(&k, ctx, &"A".repeat(5000), 3, &ATTRS).is_err());
        assert!(open(&k, ctx, &c, 3, &["PK", "SK", "GSI1PK", "GSI1SK"]).is_err());
        assert!(
            open(&k, ctx, &c, 4, &ATTRS).is_err(),
            "a cursor over another number of partitions"
        );
    }

    #[test]
    fn a_sealed_key_with_an_empty_attribute_is_refused() {
        let k = CursorKey::random();
        let mut p = positions();
        if let Position::After(key) = &mut p[0] {
            key.insert("SK".into(), String::new());
        }
        let c = seal(&k, "ctx", &p).unwrap();
        assert!(open(&k, "ctx", &c, 3, &ATTRS).is_err());
    }

    #[test]
    fn the_same_secret_makes_the_same_key_in_every_instance() {
        let a = CursorKey::from_secret(b"configured secret");
        let b = CursorKey::from_secret(b"configured secret");
        let c = seal(&a, "ctx", &positions()).unwrap();
        assert_eq!(open(&b, "ctx", &c, 3, &ATTRS).unwrap(), positions());
    }
}
