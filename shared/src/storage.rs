//! The evidence bucket: photos and videos go from the customer's phone straight to S3, never
//! through a function. A function hands out short-lived presigned URLs (SigV4, in the query)
//! and asks the bucket (`HEAD`) what arrived before a case refers to it.
//!
//! - An upload URL is a `PUT` signed with the object's `Content-Type` and `Content-Length` and
//!   `If-None-Match: *`: S3 refuses the body if either differs from what was asked, once the URL
//!   has expired, and once the object exists (a file attached as evidence cannot be swapped
//!   for another by using its URL again).
//! - Keys are `cases/<case number>/<upload id>`, the upload id holding the size asked (so that
//!   the attach checks what arrived against it, with nothing stored per upload); a case only
//!   ever refers to objects under its own prefix, and in AWS the function's role reaches only
//!   `cases/*`.
//! - A read is a presigned `GET` of a few minutes, for whoever may see the case.
//!
//! Signed with `aws-sigv4` (already linked by the DynamoDB client) rather than the S3 SDK,
//! which would add megabytes to the function for three kinds of request.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_smithy_runtime_api::client::identity::Identity;

/// How long an upload URL may be used.
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a read URL may be used.
pub const READ_URL_TTL: Duration = Duration::from_secs(5 * 60);
/// The prefix of every evidence object.
pub const CASES_PREFIX: &str = "cases/";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("uploads are not configured here (EVIDENCE_BUCKET is not set)")]
    NotConfigured,
    #[error("the evidence bucket is unreachable: {0}")]
    Unavailable(String),
    #[error("cannot sign: {0}")]
    Signing(String),
}

/// What the bucket holds under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size_bytes: u64,
    pub content_type: Option<String>,
}

/// The evidence bucket and how to reach it.
#[derive(Clone)]
pub struct Bucket {
    name: String,
    region: String,
    /// `None`: AWS, virtual-hosted style. `Some(base)`: a local S3 at `base`, path style.
    endpoint: Option<String>,
    identity: Identity,
    /// Made at the first `HEAD`, not at start (a function's first request that reads no
    /// photo pays nothing for it).
    http: std::sync::Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("name", &self.name)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Bucket {
    pub fn new(
        name: impl Into<String>,
        region: impl Into<String>,
        endpoint: Option<String>,
        credentials: Credentials,
    ) -> Self {
        Self {
            name: name.into(),
            region: region.into(),
            endpoint: endpoint.map(|e| e.trim_end_matches('/').to_owned()),
            identity: credentials.into(),
            http: Default::default(),
        }
    }

    /// Short timeouts: a `HEAD` answers in milliseconds or the attach is refused as
    /// unavailable.
    fn client(&self) -> Result<&reqwest::Client, StorageError> {
        self.http
            .get_or_init(|| {
                crate::config::web_client(
                    "the S3 client",
                    Duration::from_secs(1),
                    Duration::from_secs(3),
                )
            })
            .as_ref()
            .map_err(|e| StorageError::Unavailable(e.clone()))
    }

    /// From the environment: `EVIDENCE_BUCKET` (none: uploads are off), `S3_ENDPOINT` (a local
    /// S3; AWS otherwise) and the function's credentials (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: Lambda sets them for the role), or
    /// `S3_ACCESS_KEY_ID` / `S3_SECRET_ACCESS_KEY` for a local S3.
    pub fn from_env() -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let name = var("EVIDENCE_BUCKET")?;
        let region = var("AWS_REGION").unwrap_or_else(|| "us-east-1".into());
        let (key, secret, token) = match (var("S3_ACCESS_KEY_ID"), var("S3_SECRET_ACCESS_KEY")) {
            (Some(k), Some(s)) => (k, s, None),
            _ => (
                var("AWS_ACCESS_KEY_ID")?,
                var("AWS_SECRET_ACCESS_KEY")?,
                var("AWS_SESSION_TOKEN"),
            ),
        };
        let credentials = Credentials::new(key, secret, token, None, "environment");
        Some(Self::new(name, region, var("S3_ENDPOINT"), credentials))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The object's address, unsigned.
    fn url(&self, key: &str) -> String {
        let key = encode_key(key);
        match &self.endpoint {
            Some(base) => format!("{base}/{}/{key}", self.name),
            None => format!(
                "https://{}.s3.{}.amazonaws.com/{key}",
                self.name, self.region
            ),
        }
    }

    /// A URL that performs `method` on `key` with exactly `headers`, until `ttl` after `now`.
    fn presign(
        &self,
        method: &str,
        key: &str,
        headers: &[(&str, &str)],
        ttl: Duration,
        now: SystemTime,
    ) -> Result<String, StorageError> {
        let url = self.url(key);
        let host = host_of(&url);
        let mut signed: Vec<(&str, &str)> = vec![("host", host.as_str())];
        signed.extend_from_slice(headers);
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(ttl);
        // S3 signs the path as sent, encoded once; and nothing of the request is excluded:
        // the type and length asked are part of the signature.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.excluded_headers = Some(vec![Cow::Borrowed("user-agent")]);
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("s3")
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| StorageError::Signing(e.to_string()))?
            .into();
        let request = SignableRequest::new(
            method,
            url.as_str(),
            signed.into_iter(),
            SignableBody::UnsignedPayload,
        )
        .map_err(|e| StorageError::Signing(e.to_string()))?;
        let (instructions, _) = sign(request, &params)
            .map_err(|e| StorageError::Signing(e.to_string()))?
            .into_parts();
        let (_, query) = instructions.into_parts();
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode_query(k), encode_query(v)))
            .collect();
        Ok(format!("{url}?{}", query.join("&")))
    }

    /// An upload URL for exactly `size_bytes` of `content_type`, for an object not there yet.
    pub fn upload_url(
        &self,
        key: &str,
        content_type: &str,
        size_bytes: u64,
        now: SystemTime,
    ) -> Result<String, StorageError> {
        let size = size_bytes.to_string();
        self.presign(
            "PUT",
            key,
            &[
                ("content-length", &size),
                ("content-type", content_type),
                ("if-none-match", "*"),
            ],
            UPLOAD_URL_TTL,
            now,
        )
    }

    /// A read URL of `key`.
    pub fn read_url(&self, key: &str, now: SystemTime) -> Result<String, StorageError> {
        self.presign("GET", key, &[], READ_URL_TTL, now)
    }

    /// What the bucket holds under `key`, if anything (one `HEAD`).
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        let url = self.presign("HEAD", key, &[], Duration::from_secs(60), SystemTime::now())?;
        let response = self
            .client()?
            .head(url)
            .send()
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        match response.status().as_u16() {
            200 => {
                let header = |name: &str| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                Ok(Some(ObjectInfo {
                    size_bytes: header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                    content_type: header("content-type"),
                }))
            }
            404 => Ok(None),
            status => Err(StorageError::Unavailable(format!(
                "HEAD of an evidence object answered {status}"
            ))),
        }
    }
}

/// The key of an upload for a case: `cases/<case>/<upload id>`.
pub fn upload_key(case_id: &str, upload_id: &str) -> String {
    format!("{CASES_PREFIX}{case_id}/{upload_id}")
}

/// The size an upload id was issued for, if `raw` is one (what [`new_upload_id`] makes:
/// 32 lowercase hex digits, `-`, the size in decimal); anything else is not looked up.
pub fn upload_size(raw: &str) -> Option<u64> {
    let (random, size) = raw.split_once('-')?;
    let random_ok = random.len() == 32
        && random
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let size_ok = !size.is_empty()
        && size.len() <= 12
        && !size.starts_with('0')
        && size.bytes().all(|b| b.is_ascii_digit());
    if random_ok && size_ok {
        size.parse().ok()
    } else {
        None
    }
}

/// A new upload id for a file of `size_bytes`: 128 random bits in hex, and the size.
pub fn new_upload_id(size_bytes: u64) -> String {
    format!(
        "{:016x}{:016x}-{size_bytes}",
        crate::clock::random_u64(),
        crate::clock::random_u64()
    )
}

fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
        .to_owned()
}

/// A key's path, each segment percent-encoded as S3 expects (`/` kept).
fn encode_key(key: &str) -> String {
    key.split('/')
        .map(encode_query)
        .collect::<Vec<_>>()
        .join("/")
}

/// RFC 3986 unreserved characters kept, everything else percent-encoded (SigV4's rule).
fn encode_query(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket() -> Bucket {
        Bucket::new(
            "evidence",
            "us-east-1",
            Some("http://127.0.0.1:9000".into()),
            Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"),
        )
    }

    #[test]
    fn an_upload_url_signs_the_type_and_the_length_it_allows() {
        let url = bucket()
            .upload_url(
                "cases/AS2611-2012345678/0123456789abcdef0123456789abcdef-482133",
                "image/jpeg",
                482_133,
                SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000),
            )
            .unwrap();
        assert!(url.starts_with(
            "http://127.0.0.1:9000/evidence/cases/AS2611-2012345678/0123456789abcdef0123456789abcdef-482133?"
        ));
        assert!(
            url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=900"), "{url}");
        assert!(url.contains("X-Amz-Signature="), "{url}");
    }

    #[test]
    fn upload_ids_are_what_new_upload_id_makes_and_nothing_else() {
        assert_eq!(upload_size(&new_upload_id(482_133)), Some(482_133));
        for bad in [
            "../AS2611-2012345678/x",
            "0123456789ABCDEF0123456789ABCDEF-10",
            "0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef-",
            "0123456789abcdef0123456789abcdef-010",
            "0123456789abcdef0123456789abcdef-+10",
            "0123456789abcdef0123456789abcde-10",
            "0123456789abcdef0123456789abcdef-1000000000000",
        ] {
            assert_eq!(upload_size(bad), None, "{bad}");
        }
    }
}
