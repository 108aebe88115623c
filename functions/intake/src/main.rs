//! The intake Lambda function: configuration, the cursor key and the DynamoDB client built
//! once per cold start, then the router served by the Lambda runtime.

use std::sync::Arc;

use aftersales::clock::SystemClock;
use aftersales::config::{self, Config};
use aftersales::store::Store;
use intake::{AppState, router};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::init_tracing();
    let config = Config::from_env()?;
    let sdk = config::aws().await;
    let client = config::dynamodb_client(&sdk, config.dynamodb_endpoint.as_deref());
    let cursor_key = config::cursor_key(Some(&sdk)).await?;
    let state = AppState::new(
        Store::new(client, config.table_name, cursor_key),
        Arc::new(SystemClock),
    );
    lambda_http::run(router(state)).await
}
