//! The configuration a function reads once, at cold start, from its environment.

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

/// The DynamoDB client, built once per process: the default credential chain in AWS;
/// `endpoint` points it at DynamoDB Local.
pub async fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}

/// Logs as JSON lines, one per event, at `RUST_LOG` (default `info`): CloudWatch stamps and
/// indexes each line, so no time and no target are printed.
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .without_time()
        .init();
}
