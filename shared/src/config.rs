//! The configuration a function reads once, at cold start: the table, the DynamoDB client with
//! its timeouts, and the secrets (storefront webhook secrets, the cursor key).
//!
//! Secrets are read at cold start, never baked into the deployment: each comes from the first
//! of `NAME` (the value), `NAME_FILE` (a file, on a laptop) or `NAME_SECRET_ID` (AWS Secrets
//! Manager, in AWS). So a rotated secret is used by every instance started after the rotation,
//! without a deploy.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use crate::store::CursorKey;
use crate::webhooks::config::Storefronts;

/// Where the records live. `DYNAMODB_ENDPOINT` is set only off AWS (DynamoDB Local).
#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub dynamodb_endpoint: Option<String>,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let table_name = std::env::var("TABLE_NAME")
            .map_err(|_| "TABLE_NAME is not set: name the DynamoDB table".to_owned())?;
        let dynamodb_endpoint = std::env::var("DYNAMODB_ENDPOINT")
            .ok()
            .filter(|s| !s.is_empty());
        Ok(Self {
            table_name,
            dynamodb_endpoint,
        })
    }
}

/// How long DynamoDB is waited for. A stalled database must be answered 503 (with
/// `Retry-After`) well inside the function's timeout (the intake function has 10 s, and a
/// storefront waits 5 s for a webhook's answer), never hang the request:
/// - connecting: 1 s;
/// - one attempt: 1 s (DynamoDB answers in milliseconds; a transaction of 100 items in tens);
/// - one operation, retries included: 2.5 s.
///
/// A request makes a handful of calls at most; the first that times out ends it. Each can be
/// changed with `DYNAMODB_<CONNECT|ATTEMPT|OPERATION>_TIMEOUT_MS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamoTimeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
}

impl Default for DynamoTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_millis(1000),
            attempt: Duration::from_millis(1000),
            operation: Duration::from_millis(2500),
        }
    }
}

impl DynamoTimeouts {
    pub fn from_env() -> Self {
        let ms = |name: &str, default: Duration| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|ms| (1..=60_000).contains(ms))
                .map_or(default, Duration::from_millis)
        };
        let d = Self::default();
        Self {
            connect: ms("DYNAMODB_CONNECT_TIMEOUT_MS", d.connect),
            attempt: ms("DYNAMODB_ATTEMPT_TIMEOUT_MS", d.attempt),
            operation: ms("DYNAMODB_OPERATION_TIMEOUT_MS", d.operation),
        }
    }
}

/// The SDK's retries, set deliberately: the standard mode (exponential backoff with jitter,
/// a retry quota that stops retrying a database that keeps failing), three attempts in all,
/// all within the operation timeout above. Throttling and 5xx are retried; a failed condition
/// never is (it is an answer, not a fault).
pub fn dynamodb_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(500))
}

/// Applies the timeouts and retries to a DynamoDB client's configuration (in AWS and on a
/// laptop alike).
pub fn dynamodb_settings(
    builder: aws_sdk_dynamodb::config::Builder,
    timeouts: DynamoTimeouts,
) -> aws_sdk_dynamodb::config::Builder {
    builder
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(timeouts.connect)
                .operation_attempt_timeout(timeouts.attempt)
                .operation_timeout(timeouts.operation)
                .build(),
        )
        .retry_config(dynamodb_retries())
        .http_client(http_client())
}

/// The roots that AWS's endpoints chain to (Amazon Trust Services: Amazon Root CA 1–4, and
/// Starfield Services Root G2 that cross-signs them). The functions speak HTTPS to AWS alone.
const AWS_ROOTS: &[u8] = include_bytes!("../certs/aws-roots.pem");

/// The HTTP client of the AWS SDK's clients: hyper 1 and rustls with ring, trusting
/// `AWS_ROOTS`. The SDK's default would read and parse every certificate of the system's
/// store (a few milliseconds of every cold start) and link a second TLS stack. Plain `http://`
/// is spoken too, for DynamoDB Local. Built per SDK configuration, not shared by the process:
/// its pooled connections belong to the runtime that opened them.
pub fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = TrustStore::empty().with_pem_certificate(AWS_ROOTS);
    // Certificates alone always build (a test holds it); were they refused, the platform's
    // roots still speak TLS, at the cost of reading them.
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the bundled AWS roots were refused; the system's are used");
            TlsContext::default()
        });
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https()
}

/// The HTTPS client of calls beyond the AWS SDK (storefronts, the evidence bucket's `HEAD`):
/// rustls with ring (the SDK's own), Mozilla's roots compiled in, nothing read at start.
/// Built on first use by its caller; `what` names it in the error.
pub fn web_client(
    what: &str,
    connect: Duration,
    total: Duration,
) -> Result<reqwest::Client, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(connect)
        .timeout(total)
        .build()
        .map_err(|e| format!("{what}: {e}"))
}

/// The AWS configuration (region, credentials), loaded once per process, with
/// [`http_client`] for every client made from it.
pub async fn aws() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .load()
        .await
}

/// The DynamoDB client, built once per process: the default credential chain in AWS;
/// `endpoint` points it at DynamoDB Local.
pub fn dynamodb_client(sdk: &SdkConfig, endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    let mut builder = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_dynamodb::Client::from_conf(
        dynamodb_settings(builder, DynamoTimeouts::from_env()).build(),
    )
}

/// A secret named `name`: from `name`, `name_FILE` or `name_SECRET_ID` (Secrets Manager, with
/// `sdk`), the first one set; `None` if none is.
pub async fn secret(sdk: Option<&SdkConfig>, name: &str) -> Result<Option<String>, String> {
    let var = |suffix: &str| {
        std::env::var(format!("{name}{suffix}"))
            .ok()
            .filter(|v| !v.trim().is_empty())
    };
    if let Some(value) = var("") {
        return Ok(Some(value));
    }
    if let Some(path) = var("_FILE") {
        return std::fs::read_to_string(&path)
            .map(Some)
            .map_err(|e| format!("{name}_FILE {path}: {e}"));
    }
    let Some(id) = var("_SECRET_ID") else {
        return Ok(None);
    };
    let Some(sdk) = sdk else {
        return Err(format!(
            "{name}_SECRET_ID is read in AWS only: give {name} or {name}_FILE here"
        ));
    };
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let out = secrets
        .get_secret_value()
        .secret_id(&id)
        .send()
        .await
        .map_err(|e| {
            format!(
                "{name}_SECRET_ID {id}: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e)
            )
        })?;
    out.secret_string
        .map(Some)
        .ok_or_else(|| format!("{name}_SECRET_ID {id} holds no text"))
}

/// The connected storefronts and their webhook secrets (`STOREFRONTS`, see
/// [`Storefronts::parse`]); none configured is an empty list, and every webhook is then refused.
pub async fn storefronts(sdk: Option<&SdkConfig>) -> Result<Storefronts, String> {
    match secret(sdk, "STOREFRONTS").await? {
        Some(json) => Storefronts::parse(&json),
        None => Ok(Storefronts::default()),
    }
}

/// The key that seals listing cursors (`CURSOR_KEY`). Every instance must share it; without
/// one a function that lists refuses to start, rather than hand out cursors that the next
/// instance cannot read.
pub async fn cursor_key(sdk: Option<&SdkConfig>) -> Result<CursorKey, String> {
    match secret(sdk, "CURSOR_KEY").await? {
        Some(key) if key.trim().len() >= 32 => Ok(CursorKey::from_secret(key.trim().as_bytes())),
        Some(_) => Err("CURSOR_KEY must be at least 32 characters of random text".into()),
        None => Err(
            "CURSOR_KEY is not set: give CURSOR_KEY, CURSOR_KEY_FILE or CURSOR_KEY_SECRET_ID"
                .into(),
        ),
    }
}

/// What every function builds once per cold start: tracing, the configuration, the AWS
/// configuration and the DynamoDB client. `App` then needs only the cursor key.
pub struct Start {
    pub config: Config,
    pub sdk: SdkConfig,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

pub async fn start() -> Result<Start, String> {
    init_tracing();
    let config = Config::from_env()?;
    let sdk = aws().await;
    let dynamodb = dynamodb_client(&sdk, config.dynamodb_endpoint.as_deref());
    Ok(Start {
        config,
        sdk,
        dynamodb,
    })
}

impl Start {
    /// The store of this function (its cursor key: the configured one for a function that
    /// lists, [`CursorKey::random`] for one that never does).
    pub fn store(self, cursor_key: crate::store::CursorKey) -> crate::store::Store {
        crate::store::Store::new(self.dynamodb, self.config.table_name, cursor_key)
    }

    /// Handlers' shared state, on the system clock.
    pub fn app(self, cursor_key: crate::store::CursorKey) -> crate::http::App {
        crate::http::App::new(
            self.store(cursor_key),
            std::sync::Arc::new(crate::clock::SystemClock),
        )
    }
}

/// Logs as JSON lines, one per event, at `RUST_LOG` (default `info`): CloudWatch stamps and
/// indexes each line, so no time and no target are printed. JSON also escapes every value,
/// so no field a client sent can forge a line.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .with_target(false)
                .without_time(),
        )
        .with(log_filter())
        .init();
}

/// What `RUST_LOG` asks for (`info`, `warn`, `aftersales=debug,info`...), or `info`: targets
/// and levels only, parsed without the regular expressions a full `EnvFilter` links in.
pub fn log_filter() -> tracing_subscriber::filter::Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO)
        })
}

#[cfg(test)]
mod tests {
    use aws_smithy_http_client::tls::{TlsContext, TrustStore};

    #[test]
    fn the_bundled_aws_roots_make_a_tls_context() {
        let trust = TrustStore::empty().with_pem_certificate(super::AWS_ROOTS);
        assert!(
            TlsContext::builder()
                .with_trust_store(trust)
                .build()
                .is_ok()
        );
    }
}
