//! The storefronts a merchant connects, with their signing secrets.
//!
//! Read once at cold start (see `crate::config::storefronts`): from `STOREFRONTS` (JSON),
//! `STOREFRONTS_FILE` (a JSON file, on a laptop) or `STOREFRONTS_SECRET_ID` (Secrets Manager,
//! in AWS). A secret may carry a
//! `not_after`: during a rotation the new secret is added, both verify until the old one's
//! `not_after`, and then only the new one does.

use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorefrontKind {
    Shopify,
    Woocommerce,
    Generic,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "SecretRepr")]
pub struct Secret {
    pub value: String,
    pub not_after: Option<DateTime<Utc>>,
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            not_after: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SecretRepr {
    Plain(String),
    Rotating {
        value: String,
        not_after: Option<DateTime<Utc>>,
    },
}

impl From<SecretRepr> for Secret {
    fn from(r: SecretRepr) -> Self {
        match r {
            SecretRepr::Plain(value) => Secret {
                value,
                not_after: None,
            },
            SecretRepr::Rotating { value, not_after } => Secret { value, not_after },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storefront {
    /// Our name for it; part of order keys and customer ids (`main`, `outlet`).
    pub id: String,
    pub kind: StorefrontKind,
    /// Shopify: the shop's `*.myshopify.com` domain. WooCommerce: the site address sent in
    /// `X-WC-Webhook-Source`. Generic: unused (the signature names the sender).
    #[serde(default)]
    pub source: Option<String>,
    pub secrets: Vec<Secret>,
    /// Where the storefront is told outcomes (refunds), signed the Standard Webhooks way with
    /// its first live secret.
    #[serde(default)]
    pub notify_url: Option<String>,
}

impl Storefront {
    pub fn live_secrets(&self, now: DateTime<Utc>) -> impl Iterator<Item = &str> {
        self.secrets
            .iter()
            .filter(move |s| s.not_after.is_none_or(|t| now <= t) && !s.value.is_empty())
            .map(|s| s.value.as_str())
    }

    fn matches_source(&self, kind: StorefrontKind, source: &str) -> bool {
        let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
        self.kind == kind
            && self
                .source
                .as_deref()
                .is_some_and(|s| norm(s) == norm(source))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Storefronts(Vec<Storefront>);

impl Storefronts {
    pub fn new(list: Vec<Storefront>) -> Result<Self, String> {
        for s in &list {
            let id_ok = !s.id.is_empty()
                && s.id.len() <= 32
                && s.id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !id_ok {
                return Err(format!(
                    "storefront id '{}' must be 1-32 letters, digits, '-' or '_'",
                    s.id
                ));
            }
            if s.secrets.is_empty() {
                return Err(format!("storefront '{}' has no secret", s.id));
            }
            // Standard Webhooks secrets are read as the reference libraries read them: a
            // secret they would refuse (or read otherwise) is refused here, before any delivery.
            if s.kind == StorefrontKind::Generic {
                for (n, secret) in s.secrets.iter().enumerate() {
                    super::verify::standard_key(&secret.value)
                        .map_err(|why| format!("storefront '{}': secret {} {why}", s.id, n + 1))?;
                }
            }
            if s.kind != StorefrontKind::Generic && s.source.is_none() {
                return Err(format!(
                    "storefront '{}' needs its source (shop domain or site address)",
                    s.id
                ));
            }
        }
        Ok(Self(list))
    }

    pub fn parse(json: &str) -> Result<Self, String> {
        let list: Vec<Storefront> =
            serde_json::from_str(json).map_err(|e| format!("STOREFRONTS is not valid: {e}"))?;
        Self::new(list)
    }

    /// What the list holds, without its secrets: `main (shopify, 2 secrets), erp (generic, ...)`.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "no storefronts".to_owned();
        }
        self.0
            .iter()
            .map(|s| {
                let kind = match s.kind {
                    StorefrontKind::Shopify => "shopify",
                    StorefrontKind::Woocommerce => "woocommerce",
                    StorefrontKind::Generic => "generic",
                };
                format!("{} ({kind}, {} secrets)", s.id, s.secrets.len())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn by_source(&self, kind: StorefrontKind, source: &str) -> Option<&Storefront> {
        self.0.iter().find(|s| s.matches_source(kind, source))
    }

    pub fn by_id(&self, id: &str) -> Option<&Storefront> {
        self.0.iter().find(|s| s.id == id)
    }

    pub fn of_kind(&self, kind: StorefrontKind) -> impl Iterator<Item = &Storefront> {
        self.0.iter().filter(move |s| s.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storefronts_read_from_json_with_plain_and_rotating_secrets() {
        let s = Storefronts::parse(
            r#"[{"id": "main", "kind": "shopify", "source": "jsmith.myshopify.com",
                 "secrets": ["new", {"value": "old", "not_after": "2026-12-01T00:00:00Z"}]},
                {"id": "erp", "kind": "generic", "secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}]"#,
        )
        .unwrap();
        let shop = s
            .by_source(StorefrontKind::Shopify, "JSMITH.myshopify.com")
            .unwrap();
        assert_eq!(shop.secrets.len(), 2);
        assert!(
            s.by_source(StorefrontKind::Woocommerce, "jsmith.myshopify.com")
                .is_none()
        );
        assert_eq!(s.of_kind(StorefrontKind::Generic).count(), 1);
    }

    #[test]
    fn a_storefront_without_a_secret_or_source_is_a_configuration_error() {
        assert!(Storefronts::parse(r#"[{"id": "a", "kind": "generic", "secrets": []}]"#).is_err());
        assert!(
            Storefronts::parse(r#"[{"id": "a", "kind": "shopify", "secrets": ["x"]}]"#).is_err()
        );
        assert!(
            Storefronts::parse(r#"[{"id": "a#b", "kind": "generic", "secrets": ["x"]}]"#).is_err()
        );
    }

    #[test]
    fn a_standard_webhooks_secret_that_is_not_base64_is_refused_with_the_reason() {
        let err = Storefronts::parse(
            r#"[{"id": "erp", "kind": "generic", "secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"]}]"#,
        )
        .unwrap_err();
        assert!(
            err.contains("'erp'") && err.contains("secret 2") && err.contains("base64"),
            "{err}"
        );
        // Without the prefix, the same base64 is the same key, as the reference libraries read it.
        assert!(
            Storefronts::parse(
                r#"[{"id": "erp", "kind": "generic", "secrets": ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}]"#
            )
            .is_ok()
        );
        assert_eq!(
            crate::webhooks::verify::standard_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            crate::webhooks::verify::standard_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        );
        // Shopify's and WooCommerce's secrets are plain strings: not read as base64.
        assert!(
            Storefronts::parse(
                r#"[{"id": "woo", "kind": "woocommerce", "source": "https://shop.example", "secrets": ["a plain secret!"]}]"#
            )
            .is_ok()
        );
    }
}
