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
    /// Shopify and WooCommerce: decisions done again in the shop through its own API.
    #[serde(default)]
    pub write_back: Option<ShopApi>,
}

/// A credential of a shop's API: never printed, never logged.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Credential(String);

impl Credential {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential(***)")
    }
}

/// How decisions reach a shop's own API (see `crate::writeback`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopApi {
    /// Off: nothing is written in the shop (the merchant does it in the shop's admin); the
    /// case's timeline says so.
    #[serde(default = "on")]
    pub enabled: bool,
    /// The API's site: Shopify `https://<shop>.myshopify.com` (from `source` when absent),
    /// WooCommerce the WordPress site (from `source`). HTTPS, or HTTP on this machine only.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Shopify: the Admin API access token (a custom app's, with the scopes in the README).
    #[serde(default)]
    pub access_token: Option<Credential>,
    /// WooCommerce: a REST API key with read/write permission.
    #[serde(default)]
    pub consumer_key: Option<Credential>,
    #[serde(default)]
    pub consumer_secret: Option<Credential>,
}

fn on() -> bool {
    true
}

impl Storefront {
    /// The shop's API, when write-back is on: its base address without a trailing `/`.
    pub fn shop_api(&self) -> Option<(&ShopApi, String)> {
        let api = self.write_back.as_ref().filter(|a| a.enabled)?;
        let base = match (&api.base_url, &self.source, self.kind) {
            (Some(url), _, _) => url.clone(),
            (None, Some(shop), StorefrontKind::Shopify) if !shop.contains("://") => {
                format!("https://{shop}")
            }
            (None, Some(site), _) => site.clone(),
            (None, None, _) => return None,
        };
        Some((api, base.trim_end_matches('/').to_owned()))
    }
}

/// HTTPS, or HTTP to this machine (a stand-in in tests): credentials never cross a network
/// in clear.
fn safe_base(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let host = rest.split(['/', ':', '?', '#']).next().unwrap_or("");
    match scheme {
        "https" => !host.is_empty(),
        "http" => matches!(host, "127.0.0.1" | "localhost" | "[::1]"),
        _ => false,
    }
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
            if let Some(api) = s.write_back.as_ref().filter(|a| a.enabled) {
                let missing = match s.kind {
                    StorefrontKind::Shopify => api.access_token.is_none().then_some("access_token"),
                    StorefrontKind::Woocommerce => (api.consumer_key.is_none()
                        || api.consumer_secret.is_none())
                    .then_some("consumer_key and consumer_secret"),
                    StorefrontKind::Generic => {
                        Some("a shop API (generic storefronts are told by notify_url)")
                    }
                };
                if let Some(what) = missing {
                    return Err(format!("storefront '{}': write_back needs {what}", s.id));
                }
                match s.shop_api() {
                    Some((_, base)) if safe_base(&base) => {}
                    _ => {
                        return Err(format!(
                            "storefront '{}': write_back needs an https:// base_url or source (http only to 127.0.0.1)",
                            s.id
                        ));
                    }
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
                let writes = if s.shop_api().is_some() {
                    ", write-back on"
                } else {
                    ""
                };
                format!("{} ({kind}, {} secrets{writes})", s.id, s.secrets.len())
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

    #[test]
    fn write_back_needs_the_shops_credentials_over_https_and_never_prints_them() {
        let shop = |write_back: &str| {
            Storefronts::parse(&format!(
                r#"[{{"id": "main", "kind": "shopify", "source": "jsmith.myshopify.com", "secrets": ["s"], "write_back": {write_back}}}]"#
            ))
        };
        let ok = shop(r#"{"access_token": "shpat_123"}"#).unwrap();
        let main = ok.by_id("main").unwrap();
        let (api, base) = main.shop_api().unwrap();
        assert_eq!(base, "https://jsmith.myshopify.com");
        assert!(!format!("{main:?}").contains("shpat_123"), "{main:?}");
        assert_eq!(api.access_token.as_ref().unwrap().expose(), "shpat_123");
        let err = shop("{}").unwrap_err();
        assert!(err.contains("access_token"), "{err}");
        let err = shop(r#"{"access_token": "t", "base_url": "http://shop.example"}"#).unwrap_err();
        assert!(err.contains("https"), "{err}");
        assert!(shop(r#"{"access_token": "t", "base_url": "http://127.0.0.1:9000"}"#).is_ok());
        assert!(
            shop(r#"{"enabled": false}"#)
                .unwrap()
                .by_id("main")
                .unwrap()
                .shop_api()
                .is_none()
        );
        let woo = Storefronts::parse(
            r#"[{"id": "woo", "kind": "woocommerce", "source": "https://shop.example", "secrets": ["s"], "write_back": {"consumer_key": "ck"}}]"#,
        );
        assert!(woo.unwrap_err().contains("consumer_secret"));
    }
}
