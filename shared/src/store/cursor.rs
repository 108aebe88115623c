//! Pagination cursors: DynamoDB's `LastEvaluatedKey`, as an opaque URL-safe string.
//!
//! A cursor comes back from the client, so it is checked before use: it must name exactly the
//! key attributes of the index being queried, with the partition the caller is allowed to read.
//! A cursor crafted to start in another customer's partition is refused, not followed.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::StoreError;

pub fn encode(key: &HashMap<String, AttributeValue>) -> Option<String> {
    let plain: BTreeMap<&str, &str> = key
        .iter()
        .map(|(k, v)| v.as_s().ok().map(|s| (k.as_str(), s.as_str())))
        .collect::<Option<_>>()?;
    let json = serde_json::to_vec(&plain).ok()?;
    Some(URL_SAFE_NO_PAD.encode(json))
}

/// Decodes a cursor for a query whose partition key attribute `pk_attr` must equal `pk_value`
/// and whose key attributes are exactly `attrs`.
pub fn decode(
    cursor: &str,
    attrs: &[&str],
    pk_attr: &str,
    pk_value: &str,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    if cursor.len() > 2048 {
        return Err(StoreError::BadCursor);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::BadCursor)?;
    let plain: BTreeMap<String, String> =
        serde_json::from_slice(&bytes).map_err(|_| StoreError::BadCursor)?;
    let mut names: Vec<&str> = plain.keys().map(String::as_str).collect();
    let mut wanted = attrs.to_vec();
    names.sort_unstable();
    wanted.sort_unstable();
    wanted.dedup();
    if names != wanted || plain.get(pk_attr).map(String::as_str) != Some(pk_value) {
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

    fn key(pk: &str) -> HashMap<String, AttributeValue> {
        [
            ("PK", "CASE#1"),
            ("SK", "CASE"),
            ("GSI1PK", pk),
            ("GSI1SK", "CASE#2026"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.to_owned())))
        .collect()
    }

    #[test]
    fn a_cursor_round_trips_for_the_same_partition() {
        let c = encode(&key("CUSTOMER#a")).unwrap();
        let back = decode(
            &c,
            &["PK", "SK", "GSI1PK", "GSI1SK"],
            "GSI1PK",
            "CUSTOMER#a",
        )
        .unwrap();
        assert_eq!(back, key("CUSTOMER#a"));
    }

    #[test]
    fn a_cursor_for_another_partition_or_shape_is_refused() {
        let c = encode(&key("CUSTOMER#b")).unwrap();
        let attrs = ["PK", "SK", "GSI1PK", "GSI1SK"];
        assert!(decode(&c, &attrs, "GSI1PK", "CUSTOMER#a").is_err());
        assert!(
            decode(
                &c,
                &["PK", "SK", "GSI2PK", "GSI2SK"],
                "GSI2PK",
                "CUSTOMER#b"
            )
            .is_err()
        );
        assert!(decode("not base64!", &attrs, "GSI1PK", "CUSTOMER#b").is_err());
    }
}
