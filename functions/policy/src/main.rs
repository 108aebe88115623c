//! The policy Lambda function: configuration and the DynamoDB client built once per cold
//! start (no secret), then the router served by the Lambda runtime.

use std::sync::Arc;

use aftersales::clock::SystemClock;
use aftersales::config::{self, Config};
use aftersales::store::{CursorKey, Store};
use policy::{AppState, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::init_tracing();
    let config = Config::from_env()?;
    let sdk = config::aws().await;
    let client = config::dynamodb_client(&sdk, config.dynamodb_endpoint.as_deref());
    // The policy is one item: nothing here is listed, so no cursor key is read at start.
    let state = AppState::new(
        Store::new(client, config.table_name, CursorKey::random()),
        Arc::new(SystemClock),
    );
    lambda_http::run(router(state)).await
}
